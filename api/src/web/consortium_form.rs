//! 组建创新联合体: the form in which an enterprise drafts an innovation consortium with its
//! members found in the directory (`/consortia/new`), and 备案 from the consortium's page
//! (`/consortia/{id}/file`). It saves through the API's own `create_consortium` and files through
//! `file_consortium`; without JavaScript every step ("查找单位", "加入", "移除") is a form post.

use super::bid_form::{directory_candidates, directory_pick, input, Candidate, Input};
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::ApiResult;
use crate::handlers::consortia::{create_consortium, file_consortium, ConsortiumRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::consortium_actions::may_lead;

/// What the form holds, as typed.
#[derive(Default)]
struct Typed {
    csrf: String,
    intent: String,
    name: String,
    industry_direction: String,
    /// (organisation id, name)
    members: Vec<(String, String)>,
    member_q: String,
    platforms: [String; 3],
    mechanisms: String,
}

fn parse(pairs: &[(String, String)]) -> Typed {
    let field = |n: &str| super::field(pairs, n);
    Typed {
        csrf: field("_csrf"),
        intent: field("intent"),
        name: field("name"),
        industry_direction: field("industry_direction"),
        members: super::fields(pairs, "member_id")
            .into_iter()
            .zip(super::fields(pairs, "member_name"))
            .collect(),
        member_q: field("member_q"),
        platforms: [
            field("national_platforms"),
            field("provincial_platforms"),
            field("regional_platforms"),
        ],
        mechanisms: field("mechanisms"),
    }
}

pub struct MemberRow {
    pub index: usize,
    pub id: String,
    pub name: String,
    /// The input id the error summary links to (`f-members-0-`).
    pub anchor: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "consortium_form.html")]
struct ConsortiumForm {
    layout: Layout,
    name: Input,
    industry_direction: Input,
    members: Vec<MemberRow>,
    members_error: Option<String>,
    member_q: String,
    candidates: Vec<Candidate>,
    searched: bool,
    platforms: [Input; 3],
    mechanisms: Input,
    errors: FormErrors,
}

fn form_page(
    visitor: &Visitor,
    t: &Typed,
    candidates: Vec<Candidate>,
    searched: bool,
    errors: FormErrors,
) -> ConsortiumForm {
    let e = &errors;
    ConsortiumForm {
        layout: Layout::new(visitor, "组建创新联合体", ""),
        name: input(e, "name", t.name.clone()),
        industry_direction: input(e, "industry_direction", t.industry_direction.clone()),
        members: t
            .members
            .iter()
            .enumerate()
            .map(|(i, (id, name))| {
                let field = format!("members[{i}]");
                MemberRow {
                    index: i,
                    id: id.clone(),
                    name: name.clone(),
                    anchor: FormErrors::id(&field),
                    error: e.of(&field).map(str::to_owned),
                }
            })
            .collect(),
        members_error: e.of("members").map(str::to_owned),
        member_q: t.member_q.clone(),
        candidates,
        searched,
        platforms: [
            input(e, "national_platforms", t.platforms[0].clone()),
            input(e, "provincial_platforms", t.platforms[1].clone()),
            input(e, "regional_platforms", t.platforms[2].clone()),
        ],
        mechanisms: input(e, "mechanisms", t.mechanisms.clone()),
        errors,
    }
}

/// `GET /consortia/new`: the empty form, for a user of an enterprise (anyone else is told why).
pub async fn new_form(visitor: Visitor) -> HttpResponse {
    let r = (|| {
        let auth = visitor.auth()?;
        may_lead(&auth.0)?;
        let t = Typed {
            platforms: ["0".into(), "0".into(), "0".into()],
            ..Default::default()
        };
        let page = form_page(&visitor, &t, Vec::new(), false, FormErrors::default());
        Ok(render(&visitor, StatusCode::OK, &page))
    })();
    respond(&visitor, r)
}

/// `POST /consortia/new`: a step of the form, or the draft saved (and filed, for `intent=file`).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let r: ApiResult<HttpResponse> = async {
        let mut t = parse(&form);
        session::check_form(&req, &visitor, &t.csrf)?;
        let auth = visitor.auth()?;
        if let Some(i) = t.intent.strip_prefix("remove_member:") {
            if let Ok(i) = i.parse::<usize>() {
                if i < t.members.len() {
                    t.members.remove(i);
                }
            }
            let page = form_page(&visitor, &t, Vec::new(), false, FormErrors::default());
            return Ok(render(&visitor, StatusCode::OK, &page));
        }
        if let Some(id) = t.intent.strip_prefix("add_member:") {
            if let Some(m) = directory_pick(&state, &visitor, &t.member_q, id).await? {
                if !t.members.iter().any(|x| x.0 == m.0) {
                    t.members.push(m);
                }
            }
            let page = form_page(&visitor, &t, Vec::new(), false, FormErrors::default());
            return Ok(render(&visitor, StatusCode::OK, &page));
        }
        if t.intent == "find_member" {
            let candidates = directory_candidates(&state, &visitor, &t.member_q).await?;
            let page = form_page(&visitor, &t, candidates, true, FormErrors::default());
            return Ok(render(&visitor, StatusCode::OK, &page));
        }
        let refused = |t: &Typed, errors: FormErrors| {
            let page = form_page(&visitor, t, Vec::new(), false, errors);
            render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page)
        };
        let mut errors = FormErrors::default();
        let mut count = |field: &str, v: &str| -> i64 {
            if v.trim().is_empty() {
                return 0;
            }
            v.trim().parse().unwrap_or_else(|_| {
                errors.push(field, "请填写整数 / enter a whole number");
                0
            })
        };
        let national = count("national_platforms", &t.platforms[0]);
        let provincial = count("provincial_platforms", &t.platforms[1]);
        let regional = count("regional_platforms", &t.platforms[2]);
        if errors.any() {
            return Ok(refused(&t, errors));
        }
        let body = ConsortiumRequest {
            name: t.name.clone(),
            industry_direction: t.industry_direction.clone(),
            members: t.members.iter().map(|m| m.0.clone()).collect(),
            national_platforms: national,
            provincial_platforms: provincial,
            regional_platforms: regional,
            mechanisms: t.mechanisms.clone(),
        };
        let request_id = audit::request_id(&req);
        let v = match create_consortium(&state, auth.clone(), request_id.clone(), body).await {
            Ok(v) => v,
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                return Ok(refused(&t, FormErrors::from_api(e)))
            }
            Err(e) => return Err(e),
        };
        if t.intent != "file" {
            return Ok(see_other(
                &visitor,
                &format!("/consortia/{}?done=save", v.id),
            ));
        }
        // saved; a refused filing is said on the draft's page, which offers 备案 again
        let done = match file_consortium(&state, auth, request_id, v.id.clone()).await {
            Ok(_) => "file",
            Err(_) => "save",
        };
        Ok(see_other(
            &visitor,
            &format!("/consortia/{}?done={done}", v.id),
        ))
    }
    .await;
    respond(&visitor, r)
}

/// `POST /consortia/{id}/file`: 备案 of a draft from its page.
pub async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<super::workspace::CsrfForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        file_consortium(&state, auth, audit::request_id(&req), id.clone()).await
    }
    .await;
    match r {
        Ok(_) => see_other(&visitor, &format!("/consortia/{id}?done=file")),
        Err(e) => error_page(&visitor, e),
    }
}

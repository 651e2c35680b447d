//! 评审细则 (`/challenges/{id}/rubric`): the publisher or an official sets the rubric — 2–10
//! criteria whose weights sum to 100 — through the API's own `set_rubric_of`, until an expert
//! scores. Ten rows are offered; empty rows are ignored, and a refusal shows beside its row.

use super::bid_form::{input, Input};
use super::session::{self, Visitor};
use super::{render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::handlers::challenges::read_view;
use crate::handlers::evaluation::{rubric_of, set_rubric_of};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_domain::codes::Code;
use jiebang_domain::evaluation::MAX_CRITERIA;
use jiebang_domain::Role;

use crate::state::AppState;

pub struct Row {
    pub number: usize,
    pub name: Input,
    pub weight: Input,
}

#[derive(Template)]
#[template(path = "rubric.html")]
struct RubricPage {
    layout: Layout,
    challenge_id: String,
    title: String,
    back_href: String,
    back_label: &'static str,
    rows: Vec<Row>,
    /// The message about the rubric as a whole (the number of criteria, the sum of weights).
    whole: Option<String>,
    errors: FormErrors,
}

/// Where the visitor came from: an official's 评审组织, a publisher's challenge page.
fn back(visitor: &Visitor, id: &str) -> (String, &'static str) {
    if visitor.role() == Some(Role::Official) {
        (format!("/challenges/{id}/evaluation"), "评审组织")
    } else {
        (format!("/challenges/{id}"), "榜单")
    }
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    typed: Option<Vec<(String, String)>>,
    errors: FormErrors,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let c = read_view(state, Some(auth.clone()), id.clone()).await?;
    if !c
        .actions
        .as_ref()
        .is_some_and(|a| a.contains(&ChallengeAction::SetRubric))
    {
        return Err(ApiError::with(
            Code::RubricLocked,
            "评审细则现在不能修改（专家已开始评分或榜单已结束）/ the rubric cannot change now",
        ));
    }
    let typed = match typed {
        Some(t) => t,
        None => rubric_of(state, auth, id.clone())
            .await
            .map(|r| {
                r.criteria
                    .into_iter()
                    .map(|k| (k.name, k.weight.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let rows = (0..MAX_CRITERIA)
        .map(|i| {
            let (name, weight) = typed.get(i).cloned().unwrap_or_default();
            Row {
                number: i + 1,
                name: input(&errors, format!("criteria[{i}].name"), name),
                weight: input(&errors, format!("criteria[{i}].weight"), weight),
            }
        })
        .collect();
    let (back_href, back_label) = back(visitor, &c.id);
    let page = RubricPage {
        layout: Layout::new(visitor, format!("评审细则：{}", c.title), ""),
        challenge_id: c.id,
        title: c.title,
        back_href,
        back_label,
        rows,
        whole: errors.of("criteria").map(str::to_owned),
        errors,
    };
    let status = if page.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

/// `GET /challenges/{id}/rubric`.
pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = page(
        &state,
        &visitor,
        id.into_inner(),
        None,
        FormErrors::default(),
    )
    .await;
    respond(&visitor, r)
}

/// `POST /challenges/{id}/rubric`: the rows with a name or a weight, in order; a refusal comes
/// back beside the row it concerns, every row as typed.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = id.into_inner();
    let pairs = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &super::field(&pairs, "_csrf"))?;
        let auth = visitor.auth()?;
        let typed: Vec<(String, String)> = (0..MAX_CRITERIA)
            .map(|i| {
                (
                    super::field(&pairs, &format!("criteria[{i}].name")),
                    super::field(&pairs, &format!("criteria[{i}].weight")),
                )
            })
            .collect();
        // the rows filled in, with the row each came from
        let kept: Vec<usize> = (0..MAX_CRITERIA)
            .filter(|&i| !typed[i].0.trim().is_empty() || !typed[i].1.trim().is_empty())
            .collect();
        let mut errors = FormErrors::default();
        let mut criteria = Vec::new();
        for &i in &kept {
            match typed[i].1.trim().parse::<i64>() {
                Ok(w) => criteria.push((typed[i].0.clone(), w)),
                Err(_) => errors.push(
                    &format!("criteria[{i}].weight"),
                    "请填写 1 到 100 的整数 / enter a whole number from 1 to 100",
                ),
            }
        }
        if errors.any() {
            return page(&state, &visitor, id.clone(), Some(typed), errors).await;
        }
        match set_rubric_of(&state, auth, audit::request_id(&req), id.clone(), criteria).await {
            Ok(_) => {
                let (href, _) = back(&visitor, &id);
                Ok(see_other(&visitor, &format!("{href}?done=rubric")))
            }
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                // the API numbers the rows it was sent; each message goes beside the row typed
                let mut errors = FormErrors::from_api(e);
                for f in &mut errors.fields {
                    if let Some(rest) = f.field.strip_prefix("criteria[") {
                        if let Some((n, tail)) = rest.split_once(']') {
                            if let Some(row) = n.parse::<usize>().ok().and_then(|n| kept.get(n)) {
                                f.field = format!("criteria[{row}]{tail}");
                                f.id = FormErrors::id(&f.field);
                            }
                        }
                    }
                }
                page(&state, &visitor, id.clone(), Some(typed), errors).await
            }
            Err(e) => Err(e),
        }
    };
    respond(&visitor, r.await)
}

//! 能力画像 (`/profile`): what the visitor's organisation can do — industries, keywords, a
//! statement, platforms and past projects — from which the platform recommends challenges. Read
//! and saved through the API's own `profile_of` and `put_profile_of` (its admin saves).

use super::public::Choice;
use super::session::{self, Visitor};
use super::{error_page, render, see_other, FormErrors, Layout};
use crate::auth::MaybeAuth;
use crate::error::{ApiError, ApiResult};
use crate::handlers::matching::{profile_of, put_profile_of, ProfileBody};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_domain::codes::Code;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    organization: String,
    industries: Vec<Choice>,
    keywords: String,
    statement: String,
    platforms: String,
    past_projects: String,
    errors: FormErrors,
    done: bool,
}

fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn page(
    state: &AppState,
    visitor: &Visitor,
    organization: String,
    p: &ProfileBody,
    errors: FormErrors,
    done: bool,
) -> ProfilePage {
    ProfilePage {
        layout: Layout::new(visitor, "能力画像", "/profile"),
        organization,
        industries: state
            .rules
            .industries
            .iter()
            .map(|i| Choice {
                value: i.clone(),
                label: i.clone(),
                selected: p.industries.contains(i),
            })
            .collect(),
        keywords: p.keywords.join(" "),
        statement: p.statement.clone(),
        platforms: p.platforms.join("\n"),
        past_projects: p.past_projects.join("\n"),
        errors,
        done,
    }
}

/// The organisation of a signed-in organisation user: (id, name).
fn own_organization(visitor: &Visitor) -> ApiResult<(String, String)> {
    let auth = visitor.auth()?;
    auth.organization
        .as_ref()
        .filter(|_| auth.role.is_organization_user())
        .map(|o| (o.id.clone(), o.name.clone()))
        .ok_or_else(|| {
            ApiError::with(
                Code::NoOrganization,
                "能力画像属于单位；您不属于任何单位 / profiles belong to organisations, and you belong to none",
            )
        })
}

#[derive(Debug, serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /profile`: the form, filled with the profile there is (empty when there is none).
pub async fn profile(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    let r = async {
        let (id, name) = own_organization(&visitor)?;
        let auth = MaybeAuth(visitor.auth().ok());
        let p = match profile_of(&state, auth, id).await {
            Ok(p) => p,
            Err(e) if e.0.code == Code::NotFound => ProfileBody {
                industries: vec![],
                keywords: vec![],
                statement: String::new(),
                platforms: vec![],
                past_projects: vec![],
            },
            Err(e) => return Err(e),
        };
        Ok(page(
            &state,
            &visitor,
            name,
            &p,
            FormErrors::default(),
            q.done.is_some(),
        ))
    };
    match r.await {
        Ok(p) => render(&visitor, StatusCode::OK, &p),
        Err(e) => error_page(&visitor, e),
    }
}

/// `POST /profile`: saved by the organisation's admin; a refusal keeps what was typed.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let get = |k: &str| super::field(&pairs, k);
    let body = ProfileBody {
        industries: super::fields(&pairs, "industries"),
        keywords: super::words(&get("keywords")),
        statement: get("statement"),
        platforms: split_lines(&get("platforms")),
        past_projects: split_lines(&get("past_projects")),
    };
    let r = async {
        session::check_form(&req, &visitor, &get("_csrf"))?;
        let (id, name) = own_organization(&visitor)?;
        let auth = visitor.auth()?;
        match put_profile_of(&state, auth, id, body.clone()).await {
            Ok(_) => Ok(None),
            Err(e) if matches!(e.0.code.status(), 403 | 422) => Ok(Some(page(
                &state,
                &visitor,
                name,
                &body,
                FormErrors::from_api(e),
                false,
            ))),
            Err(e) => Err(e),
        }
    }
    .await;
    match r {
        Ok(None) => see_other(&visitor, "/profile?done=1"),
        Ok(Some(p)) => render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &p),
        Err(e) => error_page(&visitor, e),
    }
}

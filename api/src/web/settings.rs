//! 账户设置 (`/account`): one's name and language, which notices also come by e-mail, and the
//! subscription to new challenges. Three forms, each one call of the API's own function
//! (`me::update_profile`, `inbox::set_preferences`, `inbox::set_subscription`), so a refusal
//! writes nothing and comes back beside its field.

use super::format;
use super::public::Choice;
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::error::{ApiError, ApiResult};
use crate::handlers::{inbox, me};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub struct KindRow {
    pub kind: String,
    pub label: &'static str,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    english: bool,
    kinds: Vec<KindRow>,
    industries: Vec<Choice>,
    keywords: String,
    errors: FormErrors,
    done: Option<&'static str>,
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    errors: FormErrors,
    done: Option<&'static str>,
    typed: Option<(String, String)>,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let prefs = inbox::preferences_of(state, auth.clone()).await?;
    let sub = inbox::subscription_of(state, auth.clone()).await?;
    let (name, keywords) =
        typed.unwrap_or_else(|| (auth.user.name.clone(), sub.keywords.join(" ")));
    let page = AccountPage {
        layout: Layout::new(visitor, "账户设置", "/account"),
        name,
        email: auth.user.email.clone(),
        english: auth.user.locale == "en",
        kinds: inbox::KINDS
            .iter()
            .map(|k| KindRow {
                kind: (*k).to_owned(),
                label: format::notice_kind(k),
                on: prefs.email.get(*k).copied().unwrap_or(true),
            })
            .collect(),
        industries: state
            .rules
            .industries
            .iter()
            .map(|i| Choice {
                value: i.clone(),
                label: i.clone(),
                selected: sub.industries.contains(i),
            })
            .collect(),
        keywords,
        errors,
        done,
    };
    let status = if page.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

#[derive(Debug, serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /account`.
pub async fn account(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = q.done.as_ref().map(|_| "已保存。/ Saved.");
    respond(
        &visitor,
        page(&state, &visitor, FormErrors::default(), done, None).await,
    )
}

/// `POST /account`: one of the three forms, named by `section`.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let get = |k: &str| super::field(&pairs, k);
    let all = |k: &str| super::fields(&pairs, k);
    let typed = (get("name"), get("keywords"));
    let r = async {
        session::check_form(&req, &visitor, &get("_csrf"))?;
        let auth = visitor.auth()?;
        match get("section").as_str() {
            "profile" => {
                let body = me::UpdateMeRequest {
                    name: Some(get("name")),
                    locale: Some(get("locale")),
                };
                me::update_profile(&state, &auth, body).await.map(|_| ())
            }
            "email" => {
                let on = all("email");
                let email = inbox::KINDS
                    .iter()
                    .map(|k| ((*k).to_owned(), on.iter().any(|o| o == k)))
                    .collect();
                inbox::set_preferences(&state, auth, inbox::Preferences { email })
                    .await
                    .map(|_| ())
            }
            "subscription" => {
                let body = inbox::SubscriptionBody {
                    industries: all("industries"),
                    keywords: super::words(&get("keywords")),
                };
                inbox::set_subscription(&state, auth, body)
                    .await
                    .map(|_| ())
            }
            _ => Err(ApiError::not_found("页面 / page")),
        }
    }
    .await;
    match r {
        Ok(()) => see_other(&visitor, "/account?done=1"),
        Err(e) if e.0.code.status() == 422 => respond(
            &visitor,
            page(&state, &visitor, FormErrors::from_api(e), None, Some(typed)).await,
        ),
        Err(e) => error_page(&visitor, e),
    }
}

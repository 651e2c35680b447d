//! `/me`: the caller, their role and organisation.

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::views::{OrganizationView, UserView};
use actix_web::HttpResponse;
use jiebang_domain::codes::FieldCode;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    /// `org_admin` | `org_member` | `official` | `expert` | `admin`
    pub role: String,
    pub organization: Option<OrganizationView>,
}

/// The authenticated user, their role and organisation.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::Problem)))]
pub async fn me(auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeResponse {
        user: UserView::from(&auth.user),
        role: auth.role.as_str().to_owned(),
        organization: auth
            .organization
            .as_ref()
            .map(|o| jiebang_application::organization_actions::view(o, Some(&auth))),
    }))
}

#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// The user's name.
    pub name: Option<String>,
    /// `zh` (default) or `en`: the language of e-mails and in-app notifications.
    pub locale: Option<String>,
}

/// Update one's own name or notification language.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", request_body = UpdateMeRequest, security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: actix_web::web::Data<crate::state::AppState>,
    auth: Auth,
    body: crate::extract::Json<UpdateMeRequest>,
) -> ApiResult<HttpResponse> {
    let user = update_profile(&state, &auth, body.0).await?;
    Ok(HttpResponse::Ok().json(MeResponse {
        user: UserView::from(&user),
        role: auth.role.as_str().to_owned(),
        organization: auth
            .organization
            .as_ref()
            .map(|o| jiebang_application::organization_actions::view(o, Some(&auth))),
    }))
}

/// Changes one's own name or language, as `PATCH /me` does (the web 账户设置 calls the same);
/// the user as it is now.
pub async fn update_profile(
    state: &actix_web::web::Data<crate::state::AppState>,
    auth: &Auth,
    b: UpdateMeRequest,
) -> ApiResult<jiebang_db::models::User> {
    let mut v = jiebang_domain::Violations::new();
    let name = b
        .name
        .as_deref()
        .and_then(|n| v.take("name", jiebang_domain::validation::bounded_text(n, 1, 50)));
    if let Some(l) = &b.locale {
        if l != "zh" && l != "en" {
            v.push(
                "locale",
                FieldCode::InvalidValue,
                "语言应为 zh 或 en / locale must be zh or en",
            );
        }
    }
    v.into_result()?;
    let now = state.now();
    let id = auth.user.id.clone();
    let locale = b.locale.clone();
    state
        .write(move |conn| {
            jiebang_db::users::update_profile(
                conn,
                &id,
                name.as_deref(),
                locale.as_deref(),
                now.naive_utc(),
            )?;
            jiebang_db::users::find(conn, &id)?
                .ok_or_else(|| crate::error::ApiError::internal("lost user"))
        })
        .await
}

/// The bids of the caller's organisation (我的申报): those it leads and those that name it as a
/// consortium member, newest first, with their challenges' titles, states and deadlines.
#[utoipa::path(get, path = "/api/v1/me/bids", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = Vec<jiebang_application::work::MyBid>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem)))]
pub async fn bids(
    state: actix_web::web::Data<crate::state::AppState>,
    auth: Auth,
) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let list = state
        .read(move |conn| Ok(jiebang_application::work::my_bids(conn, &st.ctx, &auth)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// An expert's assignments (评审任务): the challenges they score, with "已评 x / y".
#[utoipa::path(get, path = "/api/v1/me/assignments", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = Vec<jiebang_application::work::Assignment>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem)))]
pub async fn assignments(
    state: actix_web::web::Data<crate::state::AppState>,
    auth: Auth,
) -> ApiResult<HttpResponse> {
    let list = state
        .read(move |conn| Ok(jiebang_application::work::my_assignments(conn, &auth)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

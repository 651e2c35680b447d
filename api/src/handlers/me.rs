//! `/me`: the caller, their role and organisation.

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::views::{OrganizationView, UserView};
use actix_web::HttpResponse;
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
        organization: auth.organization.as_ref().map(OrganizationView::from),
    }))
}

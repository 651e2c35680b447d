//! Operations: `/healthz`, `/readyz`, `/openapi.json` (outside the `/api/v1` prefix).

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use jiebang_domain::codes::Code;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// "ok"
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// "ok"
    pub status: &'static str,
    /// `sqlite` | `postgres`
    pub database: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = crate::error::Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let ok = web::block(move || db.ping()).await?;
    if ok {
        Ok(HttpResponse::Ok().json(Readiness {
            status: "ok",
            database: state.db.backend().as_str(),
        }))
    } else {
        Err(ApiError::with(
            Code::DatabaseUnavailable,
            "数据库暂不可用 / the database is not reachable",
        ))
    }
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, description = "OpenAPI document")))]
pub async fn openapi(doc: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.get_ref().clone())
}

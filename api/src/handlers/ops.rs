//! Operations: `/healthz`, `/readyz`, `/metrics`, `/openapi.json` (outside the `/api/v1`
//! prefix).

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
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

/// Whether the caller may read the metrics: the configured token, or a loopback peer when no
/// proxy stands in front.
fn allowed(state: &AppState, req: &HttpRequest) -> bool {
    if let Some(token) = state
        .config
        .metrics_token
        .as_deref()
        .filter(|t| !t.is_empty())
    {
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(p) = presented {
            use subtle_eq::eq;
            return eq(p.as_bytes(), token.as_bytes());
        }
    }
    !state.config.trust_proxy && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
}

mod subtle_eq {
    /// Compares without stopping at the first difference (a token is a secret).
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The instance's metrics in the Prometheus text format (loopback or token only).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain"),
              (status = 403, body = crate::error::Problem)))]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    if !allowed(&state, &req) {
        return Err(ApiError::with(
            Code::Forbidden,
            "指标仅对本机或持令牌者开放 / metrics are open to loopback or to the metrics token",
        ));
    }
    let st = state.clone();
    let text = web::block(move || st.metrics.render(&st.db, &st.public, st.now())).await??;
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::TEXT_FORMAT)
        .body(text))
}

//! The one error type at the HTTP edge. Every error leaves as `application/problem+json`
//! (RFC 9457) with a stable snake_case `code`; unexpected causes are logged once and answered
//! as an opaque 500. See docs/api.md for the list of codes.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use jiebang_domain::codes::{Code, FieldCode};
use jiebang_domain::{FieldError, Violations};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answered to the client. Its HTTP status is its code's, from the catalogue
/// (`jiebang_domain::codes`).
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

/// The problem document (RFC 9457) every error response carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:jiebang:problem:<code>`
    #[serde(rename = "type")]
    pub type_: String,
    /// Short English summary of the status.
    pub title: String,
    pub status: u16,
    /// What went wrong, Chinese first, then English.
    pub detail: String,
    /// Stable machine code (snake_case), listed in docs/api.md.
    pub code: String,
    /// Field errors of a validation failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemFieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemFieldError {
    /// Path of the field in the request (`organization.credit_code`, `kpis[0].target`).
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ApiError {
    /// The code with its catalogue text.
    pub fn of(code: Code) -> Self {
        Self::with(code, code.text())
    }

    /// The code with a more specific detail ("中文 / English").
    pub fn with(code: Code, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 404 for a missing object, or one the caller may not know exists.
    /// `what` is "中文 / English", e.g. "榜单 / challenge".
    pub fn not_found(what: &str) -> Self {
        let (zh, en) = what.split_once(" / ").unwrap_or((what, what));
        Self::with(Code::NotFound, format!("未找到{zh} / {en} not found"))
    }

    /// 422 with field errors.
    pub fn validation(violations: Violations) -> Self {
        let mut e = Self::of(Code::ValidationFailed);
        e.errors = violations.0;
        e
    }

    /// 422 for one field.
    pub fn field(field: &str, code: FieldCode, message: impl Into<String>) -> Self {
        Self::validation(Violations(vec![FieldError::new(field, code, message)]))
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::with(
            Code::TooManyRequests,
            format!("尝试次数过多，请 {retry_after} 秒后再试 / too many attempts, retry in {retry_after} s"),
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn busy() -> Self {
        let mut e = Self::of(Code::ServerBusy);
        e.retry_after = Some(1);
        e
    }

    /// An unexpected failure: logged here, once, with its cause; the client sees nothing of it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::of(Code::InternalError)
    }

    fn problem(&self, status: StatusCode) -> Problem {
        Problem {
            type_: format!("urn:jiebang:problem:{}", self.code),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemFieldError {
                    field: e.field.clone(),
                    code: e.code.to_string(),
                    message: e.message.clone(),
                })
                .collect(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.status(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status();
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(s) = self.retry_after {
            resp.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        resp.json(self.problem(status)).map_into_boxed_body()
    }
}

impl From<jiebang_db::DbError> for ApiError {
    fn from(e: jiebang_db::DbError) -> Self {
        if jiebang_db::connection::is_pool_timeout(&e) {
            // every connection is busy: the client should retry, as with the hashing pool
            tracing::warn!("database pool exhausted");
            return ApiError::busy();
        }
        ApiError::internal(format!("database: {e}"))
    }
}

impl From<Violations> for ApiError {
    fn from(v: Violations) -> Self {
        ApiError::validation(v)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(format!("blocking task: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The catch-all of the `ErrorHandlers` middleware: any error response that is not already a
/// problem document (actix's own 404/405/413, extractor failures) is rewritten into one.
pub fn render_problem<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let status = res.status();
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let err = ApiError::of(Code::for_status(status.as_u16()));
    let body = serde_json::to_vec(&err.problem(status)).unwrap_or_default();
    let (req, mut resp) = res.into_parts();
    let retry = resp.headers().get(header::RETRY_AFTER).cloned();
    let mut new = HttpResponse::build(status);
    new.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if let Some(r) = retry {
        new.insert_header((header::RETRY_AFTER, r));
    }
    for (name, value) in resp.headers_mut().drain() {
        if let Some(name) = name {
            if name == header::ALLOW {
                new.insert_header((name, value));
            }
        }
    }
    let new = new.body(body);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

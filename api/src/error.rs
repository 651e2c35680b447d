//! The one error type at the HTTP edge. Every error leaves as `application/problem+json`
//! (RFC 9457) with a stable snake_case `code`; unexpected causes are logged once and answered
//! as an opaque 500. See docs/api.md for the list of codes.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use jiebang_application::Error;
use jiebang_domain::codes::{Code, FieldCode};
use jiebang_domain::Violations;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answered to the client: the application layer's error
/// (`jiebang_application::Error`) at the HTTP edge. Its HTTP status is its code's, from the
/// catalogue (`jiebang_domain::codes`).
#[derive(Debug)]
pub struct ApiError(pub jiebang_application::Error);

impl std::ops::Deref for ApiError {
    type Target = jiebang_application::Error;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<jiebang_application::Error> for ApiError {
    fn from(e: jiebang_application::Error) -> Self {
        ApiError(e)
    }
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
        Error::of(code).into()
    }

    /// The code with a more specific detail ("中文 / English").
    pub fn with(code: Code, detail: impl Into<String>) -> Self {
        Error::with(code, detail).into()
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 404 for a missing object, or one the caller may not know exists.
    /// `what` is "中文 / English", e.g. "榜单 / challenge".
    pub fn not_found(what: &str) -> Self {
        Error::not_found(what).into()
    }

    /// 422 with field errors.
    pub fn validation(violations: Violations) -> Self {
        Error::validation(violations).into()
    }

    /// 422 for one field.
    pub fn field(field: &str, code: FieldCode, message: impl Into<String>) -> Self {
        Error::field(field, code, message).into()
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Error::too_many_requests(retry_after).into()
    }

    pub fn busy() -> Self {
        Error::busy().into()
    }

    /// An unexpected failure: logged once, with its cause; the client sees nothing of it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Error::internal(cause).into()
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
        Error::from(e).into()
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
        .is_some_and(|v| {
            // a problem already, or a page of the web interface, which says what went wrong
            // in HTML
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(b"text/html")
        });
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

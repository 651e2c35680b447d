//! The audit log is written by the application layer (`jiebang_application::audit`); the HTTP
//! edge adds the request id of the current request.

pub use jiebang_application::audit::{record, Actor};

/// The request id of the current request, for the audit log.
pub fn request_id(req: &actix_web::HttpRequest) -> Option<String> {
    use actix_web::HttpMessage;
    req.extensions()
        .get::<crate::request_id::RequestId>()
        .map(|r| r.0.clone())
}

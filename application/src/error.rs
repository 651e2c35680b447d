//! The one refusal type of the use cases: a catalogue code (which fixes the HTTP status the API
//! answers with), a detail in Chinese and English, and field errors. Unexpected causes are logged
//! once here and never shown to anyone.

use jiebang_domain::codes::{Code, FieldCode};
use jiebang_domain::{FieldError, Violations};
use std::fmt;

/// A refusal or failure of a use case.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    /// "中文 / English".
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds after which a retry may succeed (429, 503).
    pub retry_after: Option<u64>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
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

    /// 404 for a missing object, or one the caller may not know exists.
    /// `what` is "中文 / English", e.g. "榜单 / challenge".
    pub fn not_found(what: &str) -> Self {
        let (zh, en) = what.split_once(" / ").unwrap_or((what, what));
        Self::with(Code::NotFound, format!("未找到{zh} / {en} not found"))
    }

    /// 409: the object changed since it was read, or another request won the race.
    pub fn version_conflict() -> Self {
        Self::with(
            Code::VersionConflict,
            "该对象已被他人修改，请刷新后重试 / the object was changed by someone else; reload and retry",
        )
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.status(), self.code)
    }
}

impl std::error::Error for Error {}

impl From<jiebang_db::DbError> for Error {
    fn from(e: jiebang_db::DbError) -> Self {
        if jiebang_db::connection::is_pool_timeout(&e) {
            // every connection is busy: the client should retry, as with the hashing pool
            tracing::warn!("database pool exhausted");
            return Error::busy();
        }
        if jiebang_db::connection::is_connection_lost(&e) {
            // PostgreSQL restarting or down: nothing was committed; the client should retry
            tracing::warn!(error = %e, "database connection lost");
            let mut err = Error::with(
                Code::DatabaseUnavailable,
                "数据库暂不可用，请稍后重试 / the database is not reachable; retry shortly",
            );
            err.retry_after = Some(1);
            return err;
        }
        Error::internal(format!("database: {e}"))
    }
}

impl From<Violations> for Error {
    fn from(v: Violations) -> Self {
        Error::validation(v)
    }
}

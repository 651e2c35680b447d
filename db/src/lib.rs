//! Jiebang's persistence. The only crate that knows diesel: schema, row types, queries.
//! Every query is written once against [`DbConnection`] and runs on SQLite and PostgreSQL.

pub mod agreements;
pub mod appends;
pub mod audit;
pub mod bids;
pub mod challenges;
pub mod changes;
pub mod connection;
pub mod consortia;
pub mod evaluation;
pub mod idempotency;
pub mod keys;
pub mod models;
pub mod notifications;
pub mod organizations;
pub mod profiles;
pub mod questions;
pub mod schema;
pub mod settings;
pub mod stats;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod web_sessions;

pub use connection::{Backend, Database, DbConnection, DbPool, POOL_WAIT as POOL_TIMEOUT};

/// Runs `$body` with `$c` bound to the backend's own connection. The two-backend connection
/// cannot run a few query forms (`RETURNING`, a multi-row `INSERT`); with this they are still
/// written once, and compiled for each backend.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Postgresql($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub use diesel;
pub use diesel::result::Error as DbError;

/// A new time-ordered identifier (UUID v7, as text).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `err` is a unique violation of the named constraint. PostgreSQL reports the
/// constraint name; SQLite names the columns (`UNIQUE constraint failed: users.email`).
pub fn is_unique_violation(err: &DbError, pg_constraint: &str, sqlite_columns: &str) -> bool {
    match err {
        DbError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info) => {
            info.constraint_name() == Some(pg_constraint) || info.message().contains(sqlite_columns)
        }
        _ => false,
    }
}

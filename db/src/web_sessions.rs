//! Sessions of the web interface (`web_sessions`): a token's hash, its user and its lifetime.

use crate::schema::web_sessions::dsl as w;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::web_sessions)]
pub struct WebSession {
    pub token_hash: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, s: &WebSession) -> Result<(), DbError> {
    diesel::insert_into(w::web_sessions)
        .values(s)
        .execute(conn)
        .map(|_| ())
}

/// The session with this token hash, if it has not ended (`expires_at` after `now`, and seen
/// after `idle_since`).
pub fn find_live(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> Result<Option<WebSession>, DbError> {
    w::web_sessions
        .filter(w::token_hash.eq(token_hash))
        .filter(w::expires_at.gt(now))
        .filter(w::last_seen_at.gt(idle_since))
        .select(WebSession::as_select())
        .first(conn)
        .optional()
}

/// Marks the session seen at `now` (it stays alive another idle period).
pub fn touch(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(w::web_sessions.filter(w::token_hash.eq(token_hash)))
        .set(w::last_seen_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Ends one session (sign-out).
pub fn delete(conn: &mut DbConnection, token_hash: &str) -> Result<usize, DbError> {
    diesel::delete(w::web_sessions.filter(w::token_hash.eq(token_hash))).execute(conn)
}

/// Ends every session of a user (password change, deactivation).
pub fn delete_for_user(conn: &mut DbConnection, user_id: &str) -> Result<usize, DbError> {
    diesel::delete(w::web_sessions.filter(w::user_id.eq(user_id))).execute(conn)
}

/// Forgets sessions that ended before `before` (housekeeping).
pub fn delete_ended(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    diesel::delete(w::web_sessions.filter(w::expires_at.lt(before))).execute(conn)
}

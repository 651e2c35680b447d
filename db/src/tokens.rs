//! Refresh tokens, stored only as SHA-256 hashes, rotated within a family.

use crate::models::RefreshToken;
use crate::schema::refresh_tokens::dsl as t;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConnection, token: &RefreshToken) -> Result<(), DbError> {
    diesel::insert_into(t::refresh_tokens)
        .values(token)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> Result<Option<RefreshToken>, DbError> {
    t::refresh_tokens
        .filter(t::token_hash.eq(hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used by a rotation. Returns false when it was already used or revoked, which
/// makes two concurrent refreshes with one token impossible: only one update succeeds.
pub fn mark_used(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<bool, DbError> {
    diesel::update(
        t::refresh_tokens
            .find(id)
            .filter(t::used_at.is_null())
            .filter(t::revoked_at.is_null()),
    )
    .set(t::used_at.eq(Some(at)))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn revoke_family(
    conn: &mut DbConnection,
    family: &str,
    at: NaiveDateTime,
) -> Result<usize, DbError> {
    diesel::update(
        t::refresh_tokens
            .filter(t::family_id.eq(family))
            .filter(t::revoked_at.is_null()),
    )
    .set(t::revoked_at.eq(Some(at)))
    .execute(conn)
}

pub fn revoke_user(
    conn: &mut DbConnection,
    user: &str,
    at: NaiveDateTime,
) -> Result<usize, DbError> {
    diesel::update(
        t::refresh_tokens
            .filter(t::user_id.eq(user))
            .filter(t::revoked_at.is_null()),
    )
    .set(t::revoked_at.eq(Some(at)))
    .execute(conn)
}

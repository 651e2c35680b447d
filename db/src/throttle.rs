//! Login attempts, counted in the database so that every instance on one PostgreSQL shares the
//! count (the policy — window and limits — is the caller's). Each key (an account or a client
//! address) has a row in `login_keys` that a reservation locks first: on PostgreSQL two instances
//! reserving for the same key take turns; on SQLite the write transaction already serialises.

use crate::schema::login_attempts::dsl as a;
use crate::schema::login_keys::dsl as k;
use crate::{DbConnection, DbError};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Locks the key's row (creating it when new). Keys are locked in sorted order by the caller so
/// that two reservations never wait on each other crosswise.
fn lock_key(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> Result<(), DbError> {
    let updated = diesel::update(k::login_keys.find(key))
        .set(k::touched_at.eq(now))
        .execute(conn)?;
    if updated == 1 {
        return Ok(());
    }
    let inserted = conn.transaction(|c| {
        diesel::insert_into(k::login_keys)
            .values((k::key.eq(key), k::touched_at.eq(now)))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(()),
        // another instance created it in the meantime: wait for its lock
        Err(DbError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            diesel::update(k::login_keys.find(key))
                .set(k::touched_at.eq(now))
                .execute(conn)
                .map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// How long until an attempt may be made under every `(key, limit)`, read without locking (a
/// cheap refusal for callers already over a limit; [`reserve`] decides under the locks).
pub fn wait(
    conn: &mut DbConnection,
    limits: &[(String, i64)],
    now: NaiveDateTime,
    window: Duration,
) -> Result<Option<i64>, DbError> {
    let mut wait: Option<i64> = None;
    for (key, limit) in limits {
        wait = longer(wait, wait_for_key(conn, key, *limit, now, window)?);
    }
    Ok(wait)
}

/// How long until `key` is under its limit again: the limit-th most recent attempt still in the
/// window decides. `None` when it is under the limit now.
fn wait_for_key(
    conn: &mut DbConnection,
    key: &str,
    limit: i64,
    now: NaiveDateTime,
    window: Duration,
) -> Result<Option<i64>, DbError> {
    let nth: Option<NaiveDateTime> = a::login_attempts
        .filter(a::key.eq(key))
        .filter(a::at.gt(now - window))
        .select(a::at)
        .order(a::at.desc())
        .offset((limit - 1).max(0))
        .first(conn)
        .optional()?;
    Ok(nth.map(|at| (at + window - now).num_seconds().max(1)))
}

/// The longer of two waits (none is no wait).
fn longer(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// Reserves one attempt under every `(key, limit)`: `Ok(Ok(ids))` with the ids of the attempts
/// recorded, or `Ok(Err(seconds))` — nothing recorded — when some key already holds `limit`
/// attempts within `window` before `now`, with how long until the oldest of them leaves it.
/// Call inside a write transaction.
pub fn reserve(
    conn: &mut DbConnection,
    limits: &[(String, i64)],
    now: NaiveDateTime,
    window: Duration,
) -> Result<Result<Vec<String>, i64>, DbError> {
    let mut sorted: Vec<&(String, i64)> = limits.iter().collect();
    sorted.sort_by(|x, y| x.0.cmp(&y.0));
    let since = now - window;
    let mut wait: Option<i64> = None;
    for (key, limit) in sorted {
        lock_key(conn, key, now)?;
        diesel::delete(
            a::login_attempts
                .filter(a::key.eq(key))
                .filter(a::at.le(since)),
        )
        .execute(conn)?;
        wait = longer(wait, wait_for_key(conn, key, *limit, now, window)?);
    }
    if let Some(secs) = wait {
        return Ok(Err(secs));
    }
    let mut ids = Vec::with_capacity(limits.len());
    for (key, _) in limits {
        let id = crate::new_id();
        diesel::insert_into(a::login_attempts)
            .values((a::id.eq(&id), a::key.eq(key), a::at.eq(now)))
            .execute(conn)?;
        ids.push(id);
    }
    Ok(Ok(ids))
}

/// Gives reserved attempts back (a login that succeeded, or one that checked nothing).
pub fn release(conn: &mut DbConnection, ids: &[String]) -> Result<(), DbError> {
    diesel::delete(a::login_attempts.filter(a::id.eq_any(ids)))
        .execute(conn)
        .map(|_| ())
}

/// Forgets every attempt under `key` (an account's failures after it logged in).
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::delete(a::login_attempts.filter(a::key.eq(key)))
        .execute(conn)
        .map(|_| ())
}

/// Deletes attempts and keys not touched since `before` (the scheduler's housekeeping).
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    let attempts = diesel::delete(a::login_attempts.filter(a::at.le(before))).execute(conn)?;
    let keys = diesel::delete(k::login_keys.filter(k::touched_at.le(before))).execute(conn)?;
    Ok(attempts + keys)
}

/// Attempts currently recorded under `key` (tests, `/metrics`).
pub fn count(conn: &mut DbConnection, key: &str) -> Result<i64, DbError> {
    a::login_attempts
        .filter(a::key.eq(key))
        .count()
        .get_result(conn)
}

//! Notification preferences, subscriptions and the record of reminders sent.

use crate::schema::notification_preferences::dsl as p;
use crate::schema::reminders_sent::dsl as r;
use crate::schema::subscriptions::dsl as s;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The kinds for which a user turned e-mail off.
pub fn email_disabled_kinds(conn: &mut DbConnection, user: &str) -> Result<Vec<String>, DbError> {
    p::notification_preferences
        .filter(p::user_id.eq(user))
        .filter(p::email_enabled.eq(false))
        .select(p::kind)
        .load(conn)
}

/// Those of `users` who turned e-mail of `kind` off.
pub fn email_disabled_for(
    conn: &mut DbConnection,
    users: &[&str],
    kind: &str,
) -> Result<Vec<String>, DbError> {
    p::notification_preferences
        .filter(p::user_id.eq_any(users))
        .filter(p::kind.eq(kind))
        .filter(p::email_enabled.eq(false))
        .select(p::user_id)
        .load(conn)
}

pub fn email_enabled(conn: &mut DbConnection, user: &str, kind: &str) -> Result<bool, DbError> {
    let pref: Option<bool> = p::notification_preferences
        .find((user, kind))
        .select(p::email_enabled)
        .first(conn)
        .optional()?;
    Ok(pref.unwrap_or(true))
}

pub fn set_email_enabled(
    conn: &mut DbConnection,
    user: &str,
    kind: &str,
    enabled: bool,
) -> Result<(), DbError> {
    diesel::delete(p::notification_preferences.find((user, kind))).execute(conn)?;
    diesel::insert_into(p::notification_preferences)
        .values((
            p::user_id.eq(user),
            p::kind.eq(kind),
            p::email_enabled.eq(enabled),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::subscriptions)]
pub struct Subscription {
    pub user_id: String,
    pub industries_json: String,
    pub keywords_json: String,
    pub updated_at: NaiveDateTime,
}

impl Subscription {
    pub fn industries(&self) -> Vec<String> {
        serde_json::from_str(&self.industries_json).unwrap_or_default()
    }

    pub fn keywords(&self) -> Vec<String> {
        serde_json::from_str(&self.keywords_json).unwrap_or_default()
    }
}

pub fn subscription(conn: &mut DbConnection, user: &str) -> Result<Option<Subscription>, DbError> {
    s::subscriptions
        .find(user)
        .select(Subscription::as_select())
        .first(conn)
        .optional()
}

pub fn all_subscriptions(conn: &mut DbConnection) -> Result<Vec<Subscription>, DbError> {
    s::subscriptions
        .select(Subscription::as_select())
        .load(conn)
}

pub fn set_subscription(
    conn: &mut DbConnection,
    user: &str,
    industries: &[String],
    keywords: &[String],
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::delete(s::subscriptions.find(user)).execute(conn)?;
    diesel::insert_into(s::subscriptions)
        .values((
            s::user_id.eq(user),
            s::industries_json.eq(serde_json::to_string(industries).expect("serialises")),
            s::keywords_json.eq(serde_json::to_string(keywords).expect("serialises")),
            s::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records that the reminder `key` was sent. False when it already was: the caller skips it.
/// Call inside the transaction that enqueues the reminder, so both happen or neither.
pub fn record_reminder(
    conn: &mut DbConnection,
    key: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    // the primary key decides, also between instances racing for the same reminder: a second
    // insert is refused inside a savepoint, so that the caller's transaction goes on (on
    // PostgreSQL a failed statement would otherwise abort it), and is no error
    let inserted = conn.transaction(|c| {
        diesel::insert_into(r::reminders_sent)
            .values((r::key.eq(key), r::sent_at.eq(at)))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e),
    }
}

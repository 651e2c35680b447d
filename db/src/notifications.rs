//! In-app notifications and the e-mail outbox. Both are written in the transaction of the change
//! that causes them; the notifications crate's worker delivers the e-mails.

use crate::schema::email_outbox::dsl as o;
use crate::schema::notifications::dsl as n;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::notifications)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub read_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::email_outbox)]
pub struct OutboxEmail {
    pub id: String,
    pub user_id: Option<String>,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

pub fn insert_notification(conn: &mut DbConnection, row: &Notification) -> Result<(), DbError> {
    diesel::insert_into(n::notifications)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn insert_email(conn: &mut DbConnection, row: &OutboxEmail) -> Result<(), DbError> {
    diesel::insert_into(o::email_outbox)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A user's notifications, newest first.
pub fn list_for_user(
    conn: &mut DbConnection,
    user: &str,
    limit: i64,
) -> Result<Vec<Notification>, DbError> {
    n::notifications
        .filter(n::user_id.eq(user))
        .order(n::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

/// Every outbox e-mail of a kind (tests, admin views).
pub fn emails_of_kind(conn: &mut DbConnection, kind: &str) -> Result<Vec<OutboxEmail>, DbError> {
    o::email_outbox
        .filter(o::kind.eq(kind))
        .order(o::id.asc())
        .select(OutboxEmail::as_select())
        .load(conn)
}

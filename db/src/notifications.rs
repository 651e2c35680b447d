//! In-app notifications and the e-mail outbox. Both are written in the transaction of the change
//! that causes them; the notifications crate's worker delivers the e-mails.

use crate::schema::email_outbox::dsl as o;
use crate::schema::notifications::dsl as n;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::notifications, treat_none_as_default_value = false)]
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
#[diesel(table_name = crate::schema::email_outbox, treat_none_as_default_value = false)]
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

/// Several notifications in one statement. One row (the usual case) goes in as a single-row
/// `INSERT`, which diesel keeps prepared on PostgreSQL; a multi-row one is parsed and planned
/// each time, since its text depends on the number of rows.
pub fn insert_notifications(conn: &mut DbConnection, rows: &[Notification]) -> Result<(), DbError> {
    match rows {
        [] => Ok(()),
        [row] => diesel::insert_into(n::notifications)
            .values(row)
            .execute(conn)
            .map(|_| ()),
        _ => {
            let q = diesel::insert_into(n::notifications).values(rows);
            crate::on_backend!(conn, |c| q.execute(c).map(|_| ()))
        }
    }
}

/// Several outbox e-mails in one statement (one row as in [`insert_notifications`]).
pub fn insert_emails(conn: &mut DbConnection, rows: &[OutboxEmail]) -> Result<(), DbError> {
    match rows {
        [] => Ok(()),
        [row] => insert_email(conn, row),
        _ => {
            let q = diesel::insert_into(o::email_outbox).values(rows);
            crate::on_backend!(conn, |c| q.execute(c).map(|_| ()))
        }
    }
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

/// Outbox messages due for a delivery attempt (pending, due, not claimed by a live worker).
pub fn due_emails(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    o::email_outbox
        .filter(o::status.eq("pending"))
        .filter(o::next_attempt_at.le(now))
        .filter(o::claimed_until.is_null().or(o::claimed_until.lt(now)))
        .order((o::next_attempt_at.asc(), o::id.asc()))
        .limit(limit)
        .select(o::id)
        .load(conn)
}

/// Claims one message for `until`: a conditional update that succeeds for one worker only — on
/// PostgreSQL a second worker waits for the first's row lock, then finds the claim taken.
/// Returns the message when this call claimed it.
pub fn claim_email(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Option<OutboxEmail>, DbError> {
    let n = diesel::update(
        o::email_outbox
            .find(id)
            .filter(o::status.eq("pending"))
            .filter(o::claimed_until.is_null().or(o::claimed_until.lt(now))),
    )
    .set(o::claimed_until.eq(Some(until)))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    o::email_outbox
        .find(id)
        .select(OutboxEmail::as_select())
        .first(conn)
        .optional()
}

/// Marks a claimed message sent.
pub fn mark_sent(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(o::email_outbox.find(id).filter(o::status.eq("pending")))
        .set((
            o::status.eq("sent"),
            o::sent_at.eq(Some(at)),
            o::attempts.eq(o::attempts + 1),
            o::claimed_until.eq(None::<NaiveDateTime>),
            o::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records a failed attempt: retried at `next` or, when `give_up`, marked `failed`.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: &str,
    error: &str,
    next: NaiveDateTime,
    give_up: bool,
) -> Result<(), DbError> {
    diesel::update(o::email_outbox.find(id).filter(o::status.eq("pending")))
        .set((
            o::status.eq(if give_up { "failed" } else { "pending" }),
            o::attempts.eq(o::attempts + 1),
            o::next_attempt_at.eq(next),
            o::claimed_until.eq(None::<NaiveDateTime>),
            o::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Outbox messages in a state, newest first (the admins' view).
pub fn emails_with_status(
    conn: &mut DbConnection,
    status: &str,
    limit: i64,
) -> Result<Vec<OutboxEmail>, DbError> {
    o::email_outbox
        .filter(o::status.eq(status))
        .order(o::id.desc())
        .limit(limit)
        .select(OutboxEmail::as_select())
        .load(conn)
}

/// Puts a failed message back in the queue. False when it was not failed.
pub fn retry_email(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    diesel::update(o::email_outbox.find(id).filter(o::status.eq("failed")))
        .set((
            o::status.eq("pending"),
            o::attempts.eq(0_i64),
            o::next_attempt_at.eq(now),
            o::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn find_email(conn: &mut DbConnection, id: &str) -> Result<Option<OutboxEmail>, DbError> {
    o::email_outbox
        .find(id)
        .select(OutboxEmail::as_select())
        .first(conn)
        .optional()
}

/// A page of a user's notifications, newest first, before the `before` id (cursor).
pub fn page_for_user(
    conn: &mut DbConnection,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Notification>, DbError> {
    let mut q = n::notifications
        .filter(n::user_id.eq(user))
        .select(Notification::as_select())
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(n::id.lt(b.to_owned()));
    }
    q.order(n::id.desc()).limit(limit).load(conn)
}

/// One of a user's notifications (another user's is `None`).
pub fn find_for_user(
    conn: &mut DbConnection,
    user: &str,
    id: &str,
) -> Result<Option<Notification>, DbError> {
    n::notifications
        .find(id)
        .filter(n::user_id.eq(user))
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

pub fn unread_count(conn: &mut DbConnection, user: &str) -> Result<i64, DbError> {
    n::notifications
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks one (or, with `None`, every) notification of a user read. Returns how many changed.
pub fn mark_read(
    conn: &mut DbConnection,
    user: &str,
    id: Option<&str>,
    at: NaiveDateTime,
) -> Result<usize, DbError> {
    match id {
        Some(id) => diesel::update(
            n::notifications
                .find(id)
                .filter(n::user_id.eq(user))
                .filter(n::read_at.is_null()),
        )
        .set(n::read_at.eq(Some(at)))
        .execute(conn),
        None => diesel::update(
            n::notifications
                .filter(n::user_id.eq(user))
                .filter(n::read_at.is_null()),
        )
        .set(n::read_at.eq(Some(at)))
        .execute(conn),
    }
}

pub fn notification_exists(conn: &mut DbConnection, user: &str, id: &str) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(
        n::notifications.find(id).filter(n::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// How many messages wait in the outbox (pending, including those being retried), and when the
/// oldest of them was enqueued (`/metrics`).
pub fn outbox_depth(conn: &mut DbConnection) -> Result<(i64, Option<NaiveDateTime>), DbError> {
    o::email_outbox
        .filter(o::status.eq("pending"))
        .select((diesel::dsl::count_star(), diesel::dsl::min(o::created_at)))
        .first(conn)
}

//! The rows a change appends beside itself — its audit entry, the in-app notifications and the
//! outbox e-mails it causes — written with the change in one statement on PostgreSQL.
//!
//! On PostgreSQL every statement inside a transaction is a round trip: the server's thread sends
//! it, a PostgreSQL backend is woken to run it, and the server's thread is woken again for the
//! answer. Written one by one, a bid's submission paid four of them for its `UPDATE`, its audit
//! entry, its notice and its e-mail. [`change_then_append!`] sends them as one statement:
//!
//! ```sql
//! WITH changed AS (UPDATE … RETURNING …),
//!   a AS (INSERT INTO audit_log (…) SELECT * FROM unnest(…) WHERE EXISTS (SELECT 1 FROM changed)),
//!   n AS (INSERT INTO notifications (…) SELECT * FROM unnest(…) WHERE EXISTS (…)),
//!   e AS (INSERT INTO email_outbox (…) SELECT * FROM unnest(…) WHERE EXISTS (…))
//! SELECT * FROM changed
//! ```
//!
//! Each column's values are bound as one array, so the text is the same however many rows there
//! are (none included) and the statement stays prepared. The rows are written only if the change
//! returned a row, exactly as when they are written one by one after it. SQLite, in-process,
//! has no round trip to save: there the macro runs the change, then the inserts every other
//! change uses (`audit::append`, `notifications::insert_notifications` and `insert_emails`).

use crate::models::NewAuditEntry;
use crate::notifications::{Notification, OutboxEmail};
use crate::DbError;
use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::methods::LoadQuery;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};

/// What a change appends: audit entries, notifications and outbox e-mails.
#[derive(Debug, Clone, Default)]
pub struct Appends {
    pub audit: Vec<NewAuditEntry>,
    pub notifications: Vec<Notification>,
    pub emails: Vec<OutboxEmail>,
}

/// Runs `change` (a statement returning at most one row, written once for both backends as in
/// `on_backend!`) and, if it returned a row, writes the [`Appends`]; the row, or `None` with
/// nothing written. One statement on PostgreSQL, kept prepared under its text: a call site's
/// `change` must set the same columns on every call (as each kind of bid change does).
#[macro_export]
macro_rules! change_then_append {
    ($conn:expr, $change:expr, $appends:expr) => {{
        let conn: &mut $crate::DbConnection = $conn;
        match conn {
            $crate::DbConnection::Postgresql(c) => {
                $crate::appends::on_postgres(c, $change, $appends)
            }
            $crate::DbConnection::Sqlite(c) => {
                let row = $crate::diesel::OptionalExtension::optional(
                    $crate::diesel::RunQueryDsl::get_result(($change), c),
                );
                $crate::appends::after_change(conn, row, $appends)
            }
        }
    }};
}

/// [`change_then_append!`] on PostgreSQL: the change and the appended rows in one statement.
pub fn on_postgres<'q, Q, U>(
    pg: &mut diesel::PgConnection,
    change: Q,
    appends: Appends,
) -> Result<Option<U>, DbError>
where
    WithAppends<Q>: LoadQuery<'q, diesel::PgConnection, U>,
{
    WithAppends {
        change,
        columns: Columns::of(appends),
    }
    .get_result(pg)
    .optional()
}

/// [`change_then_append!`] on SQLite: after the change (`row`, its result), the appended rows if
/// it returned one, with the inserts every other change uses.
pub fn after_change<U>(
    conn: &mut crate::DbConnection,
    row: Result<Option<U>, DbError>,
    appends: Appends,
) -> Result<Option<U>, DbError> {
    let Some(row) = row? else {
        return Ok(None);
    };
    for entry in &appends.audit {
        crate::audit::append(conn, entry)?;
    }
    crate::notifications::insert_notifications(conn, &appends.notifications)?;
    crate::notifications::insert_emails(conn, &appends.emails)?;
    Ok(Some(row))
}

/// The appended rows, column by column (each column is bound as one array).
#[derive(Debug, Default)]
struct Columns {
    audit_at: Vec<NaiveDateTime>,
    audit_actor_user_id: Vec<Option<String>>,
    audit_actor_organization_id: Vec<Option<String>>,
    audit_object_type: Vec<String>,
    audit_object_id: Vec<String>,
    audit_action: Vec<String>,
    audit_before_json: Vec<Option<String>>,
    audit_after_json: Vec<Option<String>>,
    audit_comment: Vec<Option<String>>,
    audit_request_id: Vec<Option<String>>,
    n_id: Vec<String>,
    n_user_id: Vec<String>,
    n_kind: Vec<String>,
    n_title: Vec<String>,
    n_body: Vec<String>,
    n_link: Vec<String>,
    n_read_at: Vec<Option<NaiveDateTime>>,
    n_created_at: Vec<NaiveDateTime>,
    e_id: Vec<String>,
    e_user_id: Vec<Option<String>>,
    e_kind: Vec<String>,
    e_to_address: Vec<String>,
    e_subject: Vec<String>,
    e_body_text: Vec<String>,
    e_body_html: Vec<String>,
    e_message_id: Vec<String>,
    e_status: Vec<String>,
    e_attempts: Vec<i64>,
    e_next_attempt_at: Vec<NaiveDateTime>,
    e_claimed_until: Vec<Option<NaiveDateTime>>,
    e_last_error: Vec<Option<String>>,
    e_created_at: Vec<NaiveDateTime>,
    e_sent_at: Vec<Option<NaiveDateTime>>,
}

impl Columns {
    fn of(appends: Appends) -> Columns {
        let mut c = Columns::default();
        for x in appends.audit {
            c.audit_at.push(x.at);
            c.audit_actor_user_id.push(x.actor_user_id);
            c.audit_actor_organization_id.push(x.actor_organization_id);
            c.audit_object_type.push(x.object_type);
            c.audit_object_id.push(x.object_id);
            c.audit_action.push(x.action);
            c.audit_before_json.push(x.before_json);
            c.audit_after_json.push(x.after_json);
            c.audit_comment.push(x.comment);
            c.audit_request_id.push(x.request_id);
        }
        for x in appends.notifications {
            c.n_id.push(x.id);
            c.n_user_id.push(x.user_id);
            c.n_kind.push(x.kind);
            c.n_title.push(x.title);
            c.n_body.push(x.body);
            c.n_link.push(x.link);
            c.n_read_at.push(x.read_at);
            c.n_created_at.push(x.created_at);
        }
        for x in appends.emails {
            c.e_id.push(x.id);
            c.e_user_id.push(x.user_id);
            c.e_kind.push(x.kind);
            c.e_to_address.push(x.to_address);
            c.e_subject.push(x.subject);
            c.e_body_text.push(x.body_text);
            c.e_body_html.push(x.body_html);
            c.e_message_id.push(x.message_id);
            c.e_status.push(x.status);
            c.e_attempts.push(x.attempts);
            c.e_next_attempt_at.push(x.next_attempt_at);
            c.e_claimed_until.push(x.claimed_until);
            c.e_last_error.push(x.last_error);
            c.e_created_at.push(x.created_at);
            c.e_sent_at.push(x.sent_at);
        }
        c
    }
}

/// `change` with the appended rows' inserts in front of it, as data-modifying CTEs (PostgreSQL).
#[derive(Debug)]
pub struct WithAppends<Q> {
    change: Q,
    columns: Columns,
}

/// Starts one `INSERT … SELECT * FROM unnest(…)` of the rows, written only if `changed` returned a
/// row.
fn insert_head(out: &mut AstPass<'_, '_, Pg>, name: &str, table: &str, columns: &str) {
    out.push_sql(", ");
    out.push_sql(name);
    out.push_sql(" AS (INSERT INTO ");
    out.push_sql(table);
    out.push_sql(" (");
    out.push_sql(columns);
    out.push_sql(") SELECT * FROM unnest(");
}

fn insert_tail(out: &mut AstPass<'_, '_, Pg>) {
    out.push_sql(") WHERE EXISTS (SELECT 1 FROM changed))");
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for WithAppends<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let c = &self.columns;
        out.push_sql("WITH changed AS (");
        self.change.walk_ast(out.reborrow())?;
        out.push_sql(")");

        insert_head(
            &mut out,
            "a",
            "audit_log",
            "at, actor_user_id, actor_organization_id, object_type, object_id, action, \
             before_json, after_json, comment, request_id",
        );
        out.push_bind_param::<Array<Timestamp>, _>(&c.audit_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.audit_actor_user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.audit_actor_organization_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.audit_object_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.audit_object_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.audit_action)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.audit_before_json)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.audit_after_json)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.audit_comment)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.audit_request_id)?;
        insert_tail(&mut out);

        insert_head(
            &mut out,
            "n",
            "notifications",
            "id, user_id, kind, title, body, link, read_at, created_at",
        );
        out.push_bind_param::<Array<Text>, _>(&c.n_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.n_user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.n_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.n_title)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.n_body)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.n_link)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&c.n_read_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&c.n_created_at)?;
        insert_tail(&mut out);

        insert_head(
            &mut out,
            "e",
            "email_outbox",
            "id, user_id, kind, to_address, subject, body_text, body_html, message_id, status, \
             attempts, next_attempt_at, claimed_until, last_error, created_at, sent_at",
        );
        out.push_bind_param::<Array<Text>, _>(&c.e_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.e_user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_to_address)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_subject)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_body_text)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_body_html)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_message_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&c.e_status)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&c.e_attempts)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&c.e_next_attempt_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&c.e_claimed_until)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&c.e_last_error)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&c.e_created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&c.e_sent_at)?;
        insert_tail(&mut out);

        out.push_sql(" SELECT * FROM changed");
        Ok(())
    }

    // The statement cache asks this before preparing; the default walks the statement, and an
    // `UPDATE` answers no, since a changeset's columns may differ from call to call. Each caller's
    // change sets the same columns every time and the rows are bound as arrays, so each call
    // site has one text: kept prepared under it (a hidden method of diesel's trait, overridable
    // in 2.x; the lock file pins the version).
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for WithAppends<Q> {
    // not known from the type: the statement cache keys it by its SQL text and bind types
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for WithAppends<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for WithAppends<Q> {}

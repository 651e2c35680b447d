//! The append-only audit log (who, when, object, action, before → after).

use crate::models::{AuditEntry, NewAuditEntry};
use crate::schema::audit_log::dsl as a;
use crate::{DbConnection, DbError};
use diesel::prelude::*;

pub fn append(conn: &mut DbConnection, entry: &NewAuditEntry) -> Result<(), DbError> {
    diesel::insert_into(a::audit_log)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

/// An object's history, oldest first.
pub fn history(
    conn: &mut DbConnection,
    object_type: &str,
    object_id: &str,
) -> Result<Vec<AuditEntry>, DbError> {
    a::audit_log
        .filter(
            a::object_type
                .eq(object_type)
                .and(a::object_id.eq(object_id)),
        )
        .order(a::id.asc())
        .select(AuditEntry::as_select())
        .load(conn)
}

/// An object's entries of the given actions, oldest first (e.g. a challenge's amendments and
/// extensions, for its public change notices).
pub fn entries_of(
    conn: &mut DbConnection,
    object_type: &str,
    object_id: &str,
    actions: &[&str],
) -> Result<Vec<AuditEntry>, DbError> {
    a::audit_log
        .filter(
            a::object_type
                .eq(object_type)
                .and(a::object_id.eq(object_id))
                .and(a::action.eq_any(actions)),
        )
        .order(a::id.asc())
        .select(AuditEntry::as_select())
        .load(conn)
}

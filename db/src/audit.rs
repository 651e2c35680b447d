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

/// An entry with its place in the hash chain (`seq`, `prev_hash`, `hash`: NULL until chained).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::audit_log)]
pub struct ChainedEntry {
    #[diesel(embed)]
    pub entry: AuditEntry,
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// Serialises the chain's sequencers across instances until the transaction ends (PostgreSQL;
/// on SQLite the write transaction already does).
pub fn lock_chain(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgresql(_) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(726354002)").execute(conn)?;
    }
    Ok(())
}

/// The chain's head: the entry with the highest `seq`.
pub fn chain_head(conn: &mut DbConnection) -> Result<Option<ChainedEntry>, DbError> {
    a::audit_log
        .filter(a::seq.is_not_null())
        .order(a::seq.desc())
        .select(ChainedEntry::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` entries not chained yet, oldest first.
pub fn unchained(conn: &mut DbConnection, limit: i64) -> Result<Vec<ChainedEntry>, DbError> {
    a::audit_log
        .filter(a::seq.is_null())
        .order(a::id.asc())
        .limit(limit)
        .select(ChainedEntry::as_select())
        .load(conn)
}

/// How many entries are not chained yet.
pub fn unchained_count(conn: &mut DbConnection) -> Result<i64, DbError> {
    a::audit_log
        .filter(a::seq.is_null())
        .count()
        .get_result(conn)
}

/// An entry's place in the chain, as the sequencer gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: i64,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// Rows per `UPDATE … FROM (VALUES …)`: four parameters each, far below either engine's limit.
const LINKS_PER_STATEMENT: usize = 250;

/// Sets the entries' places in the chain, up to 250 entries per statement. An entry's place is
/// set once: the table's trigger refuses to change a chained entry, which fails the whole
/// transaction. One statement text serves both engines: a `VALUES` list's columns are `column1`,
/// `column2`, … on both, and SQLite numbers the `$n` parameters in the order they first appear,
/// which is `n`'s order here. The statement names no condition on `seq`: with `seq IS NULL` in it
/// SQLite walked every entry not chained yet and, for each, the whole `VALUES` list (test
/// `the_chain_update_finds_each_entry_by_its_id`). Returns how many entries were set.
pub fn set_chain(conn: &mut DbConnection, links: &[Link]) -> Result<usize, DbError> {
    let mut set = 0;
    for chunk in links.chunks(LINKS_PER_STATEMENT) {
        set += chain_statement(chunk).execute(conn)?;
    }
    Ok(set)
}

/// The `UPDATE` that sets `links`' places in the chain.
fn chain_statement(
    links: &[Link],
) -> diesel::query_builder::BoxedSqlQuery<
    'static,
    crate::connection::MultiBackend,
    diesel::query_builder::SqlQuery,
> {
    use diesel::sql_types::{BigInt, Text};
    let mut query = diesel::sql_query(chain_sql(links.len())).into_boxed();
    for l in links {
        query = query
            .bind::<BigInt, _>(l.id)
            .bind::<BigInt, _>(l.seq)
            .bind::<Text, _>(l.prev_hash.clone())
            .bind::<Text, _>(l.hash.clone());
    }
    query
}

/// [`chain_statement`]'s text for `n` entries.
fn chain_sql(n: usize) -> String {
    let mut sql = String::from(
        "UPDATE audit_log SET seq = v.column2, prev_hash = v.column3, hash = v.column4 \
         FROM (VALUES ",
    );
    for i in 0..n {
        let p = i * 4;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4));
    }
    sql.push_str(") AS v WHERE audit_log.id = v.column1");
    sql
}

/// Chained entries with `seq > after`, in chain order, `limit` at a time (the verifier walks the
/// chain page by page).
pub fn chained_after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<ChainedEntry>, DbError> {
    a::audit_log
        .filter(a::seq.gt(after))
        .order(a::seq.asc())
        .limit(limit)
        .select(ChainedEntry::as_select())
        .load(conn)
}

/// An entry with chain values no sequencer gives: a `seq` below 1, or links without a `seq`.
pub fn stray(conn: &mut DbConnection) -> Result<Option<(i64, Option<i64>)>, DbError> {
    a::audit_log
        .filter(
            a::seq.lt(1).or(a::seq
                .is_null()
                .and(a::hash.is_not_null().or(a::prev_hash.is_not_null()))),
        )
        .order(a::id.asc())
        .select((a::id, a::seq))
        .first(conn)
        .optional()
}

#[cfg(test)]
mod plans {
    use super::*;

    /// SQLite finds each entry the sequencer chains by its id (the rowid). With `seq IS NULL` in
    /// the statement it walked the entries not chained yet (by the `seq` index) and scanned the
    /// `VALUES` list for each: a pass over 100 000 entries took 218 s instead of 3.
    #[test]
    fn the_chain_update_finds_each_entry_by_its_id() {
        let temp = crate::connection::tests::TempSqlite::migrated("chain-plan");
        let mut conn = temp.db().conn().unwrap();
        let plan = crate::connection::tests::query_plan(&mut conn, &chain_sql(LINKS_PER_STATEMENT));
        assert!(
            plan.iter()
                .any(|s| s.starts_with("SEARCH audit_log USING INTEGER PRIMARY KEY")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|s| s.starts_with("SCAN audit_log")),
            "{plan:?}"
        );
    }
}

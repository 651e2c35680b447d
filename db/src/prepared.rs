//! Keeping prepared a statement diesel would prepare anew on every call.
//!
//! diesel keeps a statement prepared (per connection) only when it can tell its text from its
//! type, or when nothing in it says the text may vary; an `UPDATE` always says so, because the
//! columns its changeset sets may differ from call to call. Where a caller's `UPDATE` sets the
//! same columns on every call, [`KeepPrepared`] has it kept under its SQL text and bind types —
//! the key diesel uses for every statement built at run time — so each distinct text is prepared
//! once per connection, and a changeset that sets other columns is simply another entry.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;
use diesel::QueryResult;

/// `Q`, kept prepared under its SQL text (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct KeepPrepared<Q>(pub Q);

impl<Q, DB> QueryFragment<DB> for KeepPrepared<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // The statement cache asks this before preparing; the default walks the statement, and an
    // `UPDATE` answers no. (A hidden method of diesel's trait, overridable in 2.x; the lock file
    // pins the version, and `a_kept_update_is_prepared_once` below fails if it stops working.)
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for KeepPrepared<Q> {
    // not known from the type: the statement cache keys it by its SQL text and bind types
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for KeepPrepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for KeepPrepared<Q> {}

#[cfg(test)]
mod tests {
    use super::KeepPrepared;
    use diesel::connection::{Connection, InstrumentationEvent};
    use diesel::prelude::*;
    use std::sync::{Arc, Mutex};

    diesel::table! {
        counters (id) {
            id -> Integer,
            n -> Integer,
        }
    }

    #[test]
    fn a_kept_update_is_prepared_once() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("INSERT INTO counters VALUES (1, 0)")
            .execute(&mut conn)
            .unwrap();
        let prepared = Arc::new(Mutex::new(Vec::new()));
        let seen = prepared.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                seen.lock().unwrap().push(sql.to_owned());
            }
        });
        let set = |i: i32| {
            diesel::update(counters::table.find(1))
                .set(counters::n.eq(i))
                .returning(counters::n)
        };
        for i in 0..3 {
            assert_eq!(set(i).get_result::<i32>(&mut conn).unwrap(), i);
        }
        assert!(
            prepared.lock().unwrap().is_empty(),
            "diesel keeps no UPDATE"
        );
        for i in 0..3 {
            let n: i32 = KeepPrepared(set(i)).get_result(&mut conn).unwrap();
            assert_eq!(n, i);
        }
        let kept = prepared.lock().unwrap().clone();
        assert_eq!(kept.len(), 1, "prepared once, then reused: {kept:?}");
        assert!(kept[0].starts_with("UPDATE"), "{kept:?}");
    }
}

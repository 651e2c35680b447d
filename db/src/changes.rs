//! The database's change counters (变更计数): numbers that move whenever a write has been
//! committed, so that caches (`api/src/public_cache.rs`) can tell whether an entry may still be
//! served. There are two, one per kind of cached read ([`Cache`]): the anonymous public reads,
//! and the signed-in callers' session checks. A write moves the counters of the reads it may make
//! stale ([`Touches`]): every write moves both unless it says otherwise, and the few that say
//! otherwise (a sign-in, a bid) are checked against the tables they changed ([`stales`]) in every
//! debug build on PostgreSQL, so the test suite fails if one declares too little.
//!
//! - A write made through this instance ([`Database::write`](crate::Database::write)) moves it
//!   after its commit and before the caller hears of it, so no response acknowledged by this
//!   instance is followed by a stale read here.
//! - Writes made by other instances move it through [`watch`]: on PostgreSQL each instance's
//!   committed writes are followed by `NOTIFY jiebang_changes` from that instance ([`announce`]:
//!   one notification may cover several writes), and a dedicated `LISTEN` connection hears it;
//!   on SQLite a dedicated connection polls `PRAGMA data_version`, which moves
//!   when any other connection, in this process or another, commits: it cannot tell which
//!   tables changed, so on SQLite every commit moves both counters within the poll, a narrower
//!   write's included. Both poll every
//!   [`POLL`]. While the watch is not running (not yet started, or the `LISTEN` connection lost
//!   and not yet back) [`Changes::current`] answers `None` and nothing is cached or served from a
//!   cache.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// The `NOTIFY` channel of committed writes (PostgreSQL).
pub const CHANNEL: &str = "jiebang_changes";

/// How often the watch looks for other instances' writes.
pub const POLL: Duration = Duration::from_millis(20);

/// How often the PostgreSQL watch checks that its connection still answers.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Which cached reads a committed write may make stale (变更范围).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touches(u8);

impl Touches {
    /// Nothing any cache reads (the audit chain's links, sign-in attempts, browser sessions).
    pub const NONE: Touches = Touches(0);
    /// The anonymous public reads: challenges, organisations, bids' counts, questions, awards
    /// and agreements (the headline figures).
    pub const PUBLIC: Touches = Touches(1);
    /// The signed-in callers' session checks: users, organisations and refresh tokens
    /// (`users::signed_in`).
    pub const SESSIONS: Touches = Touches(2);
    /// Any of them (what a write is taken to touch unless it says otherwise).
    pub const ALL: Touches = Touches(3);

    pub fn contains(self, other: Touches) -> bool {
        self.0 & other.0 == other.0
    }

    fn bits(self) -> u8 {
        self.0
    }

    /// What `bits` names; bits this release does not know (a later release's cache) are taken
    /// to touch everything.
    fn from_bits(bits: u8) -> Touches {
        if bits & !Touches::ALL.0 == 0 {
            Touches(bits)
        } else {
            Touches::ALL
        }
    }
}

/// The kinds of cached read, each following its own counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    Public,
    Sessions,
}

impl Cache {
    const BOTH: [Cache; 2] = [Cache::Public, Cache::Sessions];

    fn touches(self) -> Touches {
        match self {
            Cache::Public => Touches::PUBLIC,
            Cache::Sessions => Touches::SESSIONS,
        }
    }

    fn index(self) -> usize {
        match self {
            Cache::Public => 0,
            Cache::Sessions => 1,
        }
    }
}

/// The caches a write to `table` may make stale. Kept beside what the cached reads read:
/// the session check reads `users`, `organizations` and `refresh_tokens`
/// (`users::signed_in`); the public reads read the programme's data and none of the tables
/// listed under [`Touches::NONE`] here, with one exception: the public view of a challenge lists
/// its amendments and extensions from `audit_log`, and those entries are written only in the
/// transaction that changes the challenge itself (a change to `challenges`, which feeds them).
/// A write that recorded such an entry without changing the challenge would have to declare
/// [`Touches::PUBLIC`] itself: the check of [`Declared`] cannot tell one entry from another.
/// A table not named is taken to feed both.
pub fn stales(table: &str) -> Touches {
    match table {
        "refresh_tokens" => Touches::SESSIONS,
        "users" | "organizations" => Touches::ALL,
        "audit_log"
        | "audit_checkpoints"
        | "signing_keys"
        | "login_attempts"
        | "login_keys"
        | "idempotency_keys"
        | "notifications"
        | "email_outbox"
        | "notification_preferences"
        | "subscriptions"
        | "reminders_sent"
        | "web_sessions" => Touches::NONE,
        "challenges"
        | "challenge_invitations"
        | "questions"
        | "bids"
        | "bid_members"
        | "rubrics"
        | "challenge_experts"
        | "scores"
        | "expert_recusals"
        | "score_drafts"
        | "award_selections"
        | "agreements"
        | "signatures"
        | "milestones"
        | "payments"
        | "consortia"
        | "consortium_members"
        | "registration_counters"
        | "profiles" => Touches::PUBLIC,
        _ => Touches::ALL,
    }
}

#[derive(Debug)]
pub struct Changes {
    /// One counter per [`Cache`].
    generations: [AtomicU64; 2],
    watching: AtomicBool,
    /// This instance's tag in its own notifications, which the watch then skips (its writes moved
    /// the counter already).
    instance: String,
    /// What the writes committed here and not yet announced to other instances touched
    /// (PostgreSQL, [`Touches`] bits), and the announcer's wake-up; `announcing` once the
    /// announcer runs.
    unannounced: Mutex<u8>,
    wake: Condvar,
    announcing: AtomicBool,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            generations: [AtomicU64::new(1), AtomicU64::new(1)],
            watching: AtomicBool::new(false),
            instance: crate::new_id(),
            unannounced: Mutex::new(0),
            wake: Condvar::new(),
            announcing: AtomicBool::new(false),
        }
    }
}

impl Changes {
    /// The counter of `cache`, if other instances' writes are being heard; `None` means: do not
    /// cache.
    pub fn current(&self, cache: Cache) -> Option<u64> {
        self.watching
            .load(Ordering::Acquire)
            .then(|| self.generations[cache.index()].load(Ordering::Acquire))
    }

    /// A write was committed that may make any cached read stale.
    pub fn bump(&self) {
        self.bump_for(Touches::ALL);
    }

    /// A write was committed that may make stale what `touches` names.
    pub fn bump_for(&self, touches: Touches) {
        for cache in Cache::BOTH {
            if touches.contains(cache.touches()) {
                self.generations[cache.index()].fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// A write of this instance was committed: the counters of what it touched move at once,
    /// and the other instances are told by the announcer ([`announce`]).
    pub fn committed(&self, touches: Touches) {
        if touches == Touches::NONE {
            return;
        }
        self.bump_for(touches);
        if self.announcing.load(Ordering::Acquire) {
            *self.unannounced.lock().unwrap_or_else(|e| e.into_inner()) |= touches.bits();
            self.wake.notify_one();
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn set_watching(&self, on: bool) {
        // whatever was cached before a gap in the watch may have missed a change
        self.bump();
        self.watching.store(on, Ordering::Release);
        self.bump();
    }
}

/// Starts the thread that hears other instances' writes (see the module note). It ends when the
/// last handle of the database is dropped.
pub(crate) fn watch(url: String, backend: crate::Backend, changes: &Arc<Changes>) {
    let changes = Arc::downgrade(changes);
    std::thread::Builder::new()
        .name("db-changes".into())
        .spawn(move || loop {
            let r = match backend {
                crate::Backend::Postgres => listen(&url, &changes),
                crate::Backend::Sqlite => poll_sqlite(&url, &changes),
            };
            let Some(c) = changes.upgrade() else { return };
            c.set_watching(false);
            drop(c);
            if let Err(e) = r {
                tracing::warn!(
                    "change watch interrupted, public caching off until it is back: {e}"
                );
                std::thread::sleep(Duration::from_secs(1));
            }
        })
        .expect("spawn the change watch");
}

/// `Ok` when the database is gone (the last handle dropped); `Err` when the connection failed.
fn listen(url: &str, changes: &Weak<Changes>) -> Result<(), String> {
    let mut conn = diesel::pg::PgConnection::establish(url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    match changes.upgrade() {
        Some(c) => c.set_watching(true),
        None => return Ok(()),
    }
    let mut checked = Instant::now();
    loop {
        let Some(changes) = changes.upgrade() else {
            return Ok(());
        };
        for n in conn.notifications_iter() {
            let n = n.map_err(|e| e.to_string())?;
            let (from, touches) = heard(&n.payload);
            if from != changes.instance {
                changes.bump_for(touches);
            }
        }
        drop(changes);
        if checked.elapsed() >= HEARTBEAT {
            conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
            checked = Instant::now();
        }
        std::thread::sleep(POLL);
    }
}

/// The payload of a notification: `"{instance} {touches}"` ([`send`]); one without what it
/// touched (an older instance's) is taken to touch everything.
fn heard(payload: &str) -> (&str, Touches) {
    match payload.split_once(' ') {
        Some((from, bits)) => (from, bits.parse().map_or(Touches::ALL, Touches::from_bits)),
        None => (payload, Touches::ALL),
    }
}

fn poll_sqlite(url: &str, changes: &Weak<Changes>) -> Result<(), String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        data_version: i64,
    }
    let mut conn = diesel::sqlite::SqliteConnection::establish(crate::connection::sqlite_path(url))
        .map_err(|e| e.to_string())?;
    let mut read = move || -> Result<i64, String> {
        Ok(diesel::sql_query("PRAGMA data_version")
            .get_result::<Version>(&mut conn)
            .map_err(|e| e.to_string())?
            .data_version)
    };
    let mut seen = read()?;
    match changes.upgrade() {
        Some(c) => c.set_watching(true),
        None => return Ok(()),
    }
    loop {
        std::thread::sleep(POLL);
        let now = read()?;
        let Some(changes) = changes.upgrade() else {
            return Ok(());
        };
        if now != seen {
            seen = now;
            changes.bump();
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    wrote: bool,
}

/// SQLite's count of rows changed by this connection so far (0 on PostgreSQL, which asks
/// differently in [`wrote`]).
pub(crate) fn sqlite_total_changes(
    conn: &mut crate::DbConnection,
) -> Result<i64, diesel::result::Error> {
    use diesel::RunQueryDsl;
    match conn {
        crate::DbConnection::Sqlite(_) => Ok(diesel::sql_query("SELECT total_changes() AS n")
            .get_result::<Count>(conn)?
            .n),
        crate::DbConnection::Postgresql(_) => Ok(0),
    }
}

/// Whether the open transaction changed any row: on PostgreSQL, whether it was given a
/// transaction id (`txid_current_if_assigned()`); on SQLite, whether the connection's change
/// count moved since `before`.
pub(crate) fn wrote(
    conn: &mut crate::DbConnection,
    before: i64,
) -> Result<bool, diesel::result::Error> {
    use diesel::RunQueryDsl;
    match conn {
        crate::DbConnection::Sqlite(_) => Ok(sqlite_total_changes(conn)? != before),
        crate::DbConnection::Postgresql(_) => Ok(diesel::sql_query(
            "SELECT txid_current_if_assigned() IS NOT NULL AS wrote",
        )
        .get_result::<Flag>(conn)?
        .wrote),
    }
}

/// Starts the thread that tells other instances of this instance's committed writes
/// (PostgreSQL): `NOTIFY jiebang_changes` with this instance's tag, sent after the commits on a
/// connection of its own. Writes committed while one notification is on its way are all covered
/// by the next, so under load there are far fewer notifications than writes, and no writer waits
/// for one.
///
/// Why not `NOTIFY` inside each writing transaction (delivered at its commit): PostgreSQL then
/// holds its notification queue lock from before the transaction's commit until after its WAL
/// flush, so every writing transaction of every instance commits one at a time. Measured with
/// pgbench on this machine (32 clients, one-row update): 10 300 transactions/s without `NOTIFY`,
/// 3 450 with it inside the transaction, 7 900 with one sent after each commit
/// (`docs/performance.md`).
///
/// A notification that cannot be sent is tried again (on a new connection) until it is; the
/// thread ends when the last handle of the database is dropped.
pub(crate) fn announce(url: String, changes: &Arc<Changes>) {
    changes.announcing.store(true, Ordering::Release);
    let changes = Arc::downgrade(changes);
    std::thread::Builder::new()
        .name("db-announce".into())
        .spawn(move || {
            let mut conn: Option<diesel::pg::PgConnection> = None;
            let mut touched;
            loop {
                let Some(c) = changes.upgrade() else { return };
                {
                    let pending = c.unannounced.lock().unwrap_or_else(|e| e.into_inner());
                    let (mut pending, _) = c
                        .wake
                        .wait_timeout_while(pending, HEARTBEAT, |p| *p == 0)
                        .unwrap_or_else(|e| e.into_inner());
                    if *pending == 0 {
                        continue;
                    }
                    touched = Touches::from_bits(std::mem::take(&mut *pending));
                }
                // the connection is kept only while it works
                let sent = match conn.take() {
                    Some(pg) => Ok(pg),
                    None => diesel::pg::PgConnection::establish(&url).map_err(|e| e.to_string()),
                }
                .and_then(|mut pg| send(&mut pg, &c.instance, touched).map(|()| conn = Some(pg)));
                if let Err(e) = sent {
                    tracing::warn!(
                        "could not announce committed writes to other instances, retrying: {e}"
                    );
                    *c.unannounced.lock().unwrap_or_else(|e| e.into_inner()) |= touched.bits();
                    drop(c);
                    std::thread::sleep(POLL * 5);
                }
            }
        })
        .expect("spawn the change announcer");
}

fn send(
    conn: &mut diesel::pg::PgConnection,
    instance: &str,
    touched: Touches,
) -> Result<(), String> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<diesel::sql_types::Text, _>(CHANNEL)
        .bind::<diesel::sql_types::Text, _>(format!("{instance} {}", touched.bits()))
        .execute(conn)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[derive(diesel::QueryableByName)]
struct Changed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    relname: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The rows changed per table that this PostgreSQL backend has counted and not yet reported
/// (`pg_stat_xact_user_tables`). Not the open transaction's alone: a backend reports its counts
/// when it goes idle, at most once a second, so earlier transactions of the same pooled
/// connection may still be in them. Within a transaction they only grow, so the open
/// transaction's changes are the difference between two readings.
fn changed_rows(
    conn: &mut crate::DbConnection,
) -> Result<std::collections::HashMap<String, i64>, diesel::result::Error> {
    use diesel::RunQueryDsl;
    let rows: Vec<Changed> = diesel::sql_query(
        "SELECT relname::text AS relname, n_tup_ins + n_tup_upd + n_tup_del AS n \
         FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.relname, r.n)).collect())
}

/// In debug builds on PostgreSQL, a write declared narrower than [`Touches::ALL`] is checked
/// against the tables it changed: [`Declared::start`] after `BEGIN`, [`Declared::check`] before
/// `COMMIT`, which refuses (rolls back) the transaction if it changed a table whose cached reads
/// the declaration does not name ([`stales`]). So a write declared too narrow fails the test
/// suite instead of leaving a stale entry behind. Nothing is asked in release builds, on
/// SQLite (which keeps no count of the rows changed per table), or for [`Touches::ALL`].
pub(crate) struct Declared {
    touches: Touches,
    before: Option<std::collections::HashMap<String, i64>>,
}

impl Declared {
    pub(crate) fn start(
        conn: &mut crate::DbConnection,
        touches: Touches,
    ) -> Result<Declared, diesel::result::Error> {
        let checked = cfg!(debug_assertions)
            && touches != Touches::ALL
            && matches!(conn, crate::DbConnection::Postgresql(_));
        Ok(Declared {
            touches,
            before: if checked {
                Some(changed_rows(conn)?)
            } else {
                None
            },
        })
    }

    pub(crate) fn check(self, conn: &mut crate::DbConnection) -> Result<(), diesel::result::Error> {
        let Some(before) = self.before else {
            return Ok(());
        };
        let after = changed_rows(conn)?;
        let mut changed = after
            .iter()
            .filter(|(table, n)| before.get(*table).is_none_or(|b| b < n))
            .map(|(table, _)| table);
        match changed.find(|t| !self.touches.contains(stales(t))) {
            None => Ok(()),
            Some(t) => Err(diesel::result::Error::QueryBuilderError(
                format!(
                    "a write declared to touch {:?} changed `{t}`, which feeds {:?}",
                    self.touches,
                    stales(t)
                )
                .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watching() -> Changes {
        let c = Changes::default();
        c.set_watching(true);
        c
    }

    #[test]
    fn a_write_moves_the_counters_of_what_it_touches_only() {
        let c = watching();
        let (public, sessions) = (c.current(Cache::Public), c.current(Cache::Sessions));
        c.committed(Touches::SESSIONS);
        assert_eq!(c.current(Cache::Public), public);
        assert_ne!(c.current(Cache::Sessions), sessions);
        let sessions = c.current(Cache::Sessions);
        c.committed(Touches::PUBLIC);
        assert_ne!(c.current(Cache::Public), public);
        assert_eq!(c.current(Cache::Sessions), sessions);
        let (public, sessions) = (c.current(Cache::Public), c.current(Cache::Sessions));
        c.committed(Touches::NONE);
        assert_eq!(
            (c.current(Cache::Public), c.current(Cache::Sessions)),
            (public, sessions)
        );
        c.committed(Touches::ALL);
        assert_ne!(c.current(Cache::Public), public);
        assert_ne!(c.current(Cache::Sessions), sessions);
        // a gap in the watch: nothing is served, and both move
        let (public, sessions) = (c.current(Cache::Public), c.current(Cache::Sessions));
        c.set_watching(false);
        assert_eq!(c.current(Cache::Public), None);
        c.set_watching(true);
        assert_ne!(c.current(Cache::Public), public);
        assert_ne!(c.current(Cache::Sessions), sessions);
    }

    #[test]
    fn a_notification_says_who_wrote_and_what_it_touched() {
        assert_eq!(heard("abc 2"), ("abc", Touches::SESSIONS));
        assert_eq!(heard("abc 1"), ("abc", Touches::PUBLIC));
        assert_eq!(heard("abc 0"), ("abc", Touches::NONE));
        // an older instance's notification, or one not understood: everything
        assert_eq!(heard("abc"), ("abc", Touches::ALL));
        assert_eq!(heard("abc x"), ("abc", Touches::ALL));
        // a later release's cache this one does not know: everything
        assert_eq!(heard("abc 4"), ("abc", Touches::ALL));
    }

    #[test]
    fn the_session_check_tables_feed_the_sessions_counter() {
        for t in ["users", "organizations", "refresh_tokens"] {
            assert!(stales(t).contains(Touches::SESSIONS), "{t}");
        }
        for t in [
            "challenges",
            "bids",
            "users",
            "organizations",
            "a_table_added_later",
        ] {
            assert!(stales(t).contains(Touches::PUBLIC), "{t}");
        }
        assert_eq!(stales("audit_log"), Touches::NONE);
    }
}

//! The database's change counter (变更计数): a number that moves whenever a write has been
//! committed, so that caches of public reads (`api/src/public_cache.rs`) can tell whether an entry
//! may still be served.
//!
//! - A write made through this instance ([`Database::write`](crate::Database::write)) moves it
//!   after its commit and before the caller hears of it, so no response acknowledged by this
//!   instance is followed by a stale read here.
//! - Writes made by other instances move it through [`watch`]: on PostgreSQL each instance's
//!   committed writes are followed by `NOTIFY jiebang_changes` from that instance ([`announce`]:
//!   one notification may cover several writes), and a dedicated `LISTEN` connection hears it;
//!   on SQLite a dedicated connection polls `PRAGMA data_version`, which moves
//!   when any other connection, in this process or another, commits. Both poll every
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

#[derive(Debug)]
pub struct Changes {
    generation: AtomicU64,
    watching: AtomicBool,
    /// This instance's tag in its own notifications, which the watch then skips (its writes moved
    /// the counter already).
    instance: String,
    /// Writes committed here and not yet announced to other instances (PostgreSQL), and the
    /// announcer's wake-up; `announcing` once the announcer runs.
    unannounced: Mutex<bool>,
    wake: Condvar,
    announcing: AtomicBool,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            generation: AtomicU64::new(1),
            watching: AtomicBool::new(false),
            instance: crate::new_id(),
            unannounced: Mutex::new(false),
            wake: Condvar::new(),
            announcing: AtomicBool::new(false),
        }
    }
}

impl Changes {
    /// The counter, if other instances' writes are being heard; `None` means: do not cache.
    pub fn current(&self) -> Option<u64> {
        self.watching
            .load(Ordering::Acquire)
            .then(|| self.generation.load(Ordering::Acquire))
    }

    /// A write was committed.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A write of this instance was committed: the counter moves at once, and the other
    /// instances are told by the announcer ([`announce`]).
    pub fn committed(&self) {
        self.bump();
        if self.announcing.load(Ordering::Acquire) {
            *self.unannounced.lock().unwrap_or_else(|e| e.into_inner()) = true;
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
            if n.payload != changes.instance {
                changes.bump();
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
            loop {
                let Some(c) = changes.upgrade() else { return };
                {
                    let pending = c.unannounced.lock().unwrap_or_else(|e| e.into_inner());
                    let (mut pending, _) = c
                        .wake
                        .wait_timeout_while(pending, HEARTBEAT, |p| !*p)
                        .unwrap_or_else(|e| e.into_inner());
                    if !*pending {
                        continue;
                    }
                    *pending = false;
                }
                // the connection is kept only while it works
                let sent = match conn.take() {
                    Some(pg) => Ok(pg),
                    None => diesel::pg::PgConnection::establish(&url).map_err(|e| e.to_string()),
                }
                .and_then(|mut pg| send(&mut pg, &c.instance).map(|()| conn = Some(pg)));
                if let Err(e) = sent {
                    tracing::warn!(
                        "could not announce committed writes to other instances, retrying: {e}"
                    );
                    *c.unannounced.lock().unwrap_or_else(|e| e.into_inner()) = true;
                    drop(c);
                    std::thread::sleep(POLL * 5);
                }
            }
        })
        .expect("spawn the change announcer");
}

fn send(conn: &mut diesel::pg::PgConnection, instance: &str) -> Result<(), String> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<diesel::sql_types::Text, _>(CHANNEL)
        .bind::<diesel::sql_types::Text, _>(instance)
        .execute(conn)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

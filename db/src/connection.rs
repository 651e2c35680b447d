//! One diesel code path over SQLite and PostgreSQL: a `MultiConnection`, a pool, embedded
//! migrations per backend, and the write transaction that serialises writers on both.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::Path;
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to either backend. Queries are written once against this type.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledDb = PooledConnection<ConnectionManager<DbConnection>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend named by a database URL: `postgres://` or `postgresql://` is PostgreSQL,
    /// anything else (`sqlite://path`, a plain path) is SQLite.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot create the SQLite directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("cannot open the database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// Per-connection set-up for SQLite as a server database (WAL, set once in `connect`, lets
/// readers run beside the writer): a busy timeout so writers queue instead of failing, foreign
/// keys enforced, and the WAL checkpoint left to the checkpointer thread (`start_checkpointer`):
/// a writer checkpoints only if the WAL reaches 10 000 pages (40 MB), a safety net should that
/// thread fall behind.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA wal_autocheckpoint = 10000;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The database: a pool and the backend it talks to.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    backend: Backend,
    /// Threads waiting for a connection right now (`/metrics`).
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Moves with every committed write (see `changes.rs`).
    changes: std::sync::Arc<crate::changes::Changes>,
    url: std::sync::Arc<str>,
    /// SQLite has one writer. This instance's writers take turns on this lock before
    /// `BEGIN IMMEDIATE`, so that they wait in a queue and are woken as it frees, not in SQLite's
    /// busy handler, which sleeps 1, 2, 5 … 100 ms between tries (under 32 concurrent writers it
    /// slept through most of the writer's time). Other processes on the same file (the CLI)
    /// still meet the busy timeout. Unused on PostgreSQL.
    writer: std::sync::Arc<parking_lot::Mutex<()>>,
}

/// The pool's occupancy at one moment.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub size: u32,
    pub in_use: u32,
    pub idle: u32,
    pub waiting: usize,
}

/// Strips the `sqlite://` scheme diesel does not understand.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

impl Database {
    /// Opens a pool on `url`. For SQLite the file's directory is created if needed.
    pub fn connect(url: &str, max_size: u32) -> Result<Database, ConnectError> {
        let backend = Backend::from_url(url);
        let conn_url = match backend {
            Backend::Postgres => url.to_owned(),
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(dir) = Path::new(path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| ConnectError::Directory(dir.display().to_string(), e))?;
                }
                path.to_owned()
            }
        };
        if backend == Backend::Sqlite {
            // WAL is a property of the database file: set it once, before the pool opens its
            // connections (switching modes needs the database to itself)
            let mut c = SqliteConnection::establish(&conn_url)
                .map_err(|e| ConnectError::Open(e.to_string()))?;
            c.batch_execute("PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL;")?;
        }
        let manager = ConnectionManager::<DbConnection>::new(conn_url);
        let pool = Pool::builder()
            .max_size(max_size)
            .connection_timeout(POOL_WAIT)
            // no `SELECT 1` round trip on every checkout: a broken connection is noticed by
            // diesel and dropped by the pool
            .test_on_check_out(false)
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)?;
        let writer: std::sync::Arc<parking_lot::Mutex<()>> = Default::default();
        if backend == Backend::Sqlite {
            start_checkpointer(
                sqlite_path(url).to_owned(),
                std::sync::Arc::downgrade(&writer),
            );
        }
        Ok(Database {
            pool,
            backend,
            waiting: Default::default(),
            changes: Default::default(),
            url: url.into(),
            writer,
        })
    }

    /// The change counter that public caches read (see `changes.rs`).
    pub fn changes(&self) -> &std::sync::Arc<crate::changes::Changes> {
        &self.changes
    }

    /// Starts hearing other instances' (and processes') writes: until this runs,
    /// `changes().current()` is `None` and nothing is cached. The watch ends with the last
    /// handle of this database.
    pub fn watch_changes(&self) {
        crate::changes::watch(self.url.to_string(), self.backend, &self.changes);
        if self.backend == Backend::Postgres {
            crate::changes::announce(self.url.to_string(), &self.changes);
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections open, in use and idle, and threads waiting for one.
    pub fn pool_state(&self) -> PoolState {
        let s = self.pool.state();
        PoolState {
            size: self.pool.max_size(),
            in_use: s.connections - s.idle_connections,
            idle: s.idle_connections,
            waiting: self.waiting.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// A pooled connection. Blocking: call from a blocking thread, never from the async executor.
    /// When no connection frees up within the pool's timeout the error is a pool timeout
    /// ([`is_pool_timeout`]).
    pub fn conn(&self) -> Result<PooledDb, diesel::result::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        self.waiting.fetch_add(1, Relaxed);
        let got = self.pool.get();
        self.waiting.fetch_sub(1, Relaxed);
        got.map_err(|e| {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UnableToSendCommand,
                Box::new(format!("{POOL_TIMEOUT}{e}")),
            )
        })
    }

    /// On SQLite, this instance's turn to write (see `writer`), waited for at most as long as
    /// for a connection; `None` on PostgreSQL, whose writers do not queue on one lock.
    fn writer_turn(
        &self,
    ) -> Result<Option<parking_lot::MutexGuard<'_, ()>>, diesel::result::Error> {
        if self.backend == Backend::Postgres {
            return Ok(None);
        }
        self.writer
            .try_lock_for(POOL_WAIT)
            .map(Some)
            .ok_or_else(|| {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UnableToSendCommand,
                    Box::new(format!("{POOL_TIMEOUT}no turn to write")),
                )
            })
    }

    /// Applies the pending migrations of this backend. On PostgreSQL an advisory lock makes
    /// several instances starting at once apply them one after the other.
    pub fn migrate(&self) -> Result<usize, ConnectError> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Postgresql(c) => {
                c.batch_execute("SELECT pg_advisory_lock(726354001)")?;
                let result = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.len());
                c.batch_execute("SELECT pg_advisory_unlock(726354001)")?;
                result
            }
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| ConnectError::Migration(e.to_string()))
    }

    /// Copies a live SQLite database to `dest` (`jiebang backup`): `VACUUM INTO` reads one
    /// consistent snapshot while writers go on, and writes a compact, complete database file.
    /// `dest` must not exist. PostgreSQL is backed up with its own tools (`pg_dump`): this
    /// refuses.
    pub fn backup_to(&self, dest: &Path) -> Result<(), String> {
        if self.backend == Backend::Postgres {
            return Err(
                "a PostgreSQL database is backed up with pg_dump (docs/operations.md)".into(),
            );
        }
        if dest.exists() {
            return Err(format!("{} exists already", dest.display()));
        }
        let path = dest
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", dest.display()))?;
        use diesel::RunQueryDsl;
        let mut conn = self.conn().map_err(|e| e.to_string())?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<diesel::sql_types::Text, _>(path)
            .execute(&mut *conn)
            .map(|_| ())
            .map_err(|e| format!("backup to {path}: {e}"))
    }

    /// Whether the database answers (`/readyz`).
    pub fn ping(&self) -> bool {
        self.conn()
            .and_then(|mut c| c.batch_execute("SELECT 1"))
            .is_ok()
    }

    /// Runs `f` in a read-only way on one connection (no transaction).
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    /// Runs `f` in a write transaction: committed if `f` returns `Ok`, rolled back otherwise.
    /// On SQLite the transaction is `BEGIN IMMEDIATE`, so writers queue on the database lock
    /// (busy timeout) instead of failing when a read turns into a write; on PostgreSQL it is an
    /// ordinary transaction in which callers lock the rows they decide on.
    ///
    /// A committed transaction moves the change counter (`changes.rs`): on SQLite when it changed
    /// a row (the connection's change count, read in process), on PostgreSQL whenever `f`
    /// returned `Ok` (asking would cost a round trip on every write). Passes that run often and
    /// usually change nothing use [`Database::write_checked`].
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.write_inner(f, crate::changes::Touches::ALL, false)
    }

    /// [`Database::write`], asking PostgreSQL too whether a row changed (one more statement), so
    /// that a pass with nothing to do (a scheduler tick) moves nothing and caches stay warm.
    pub fn write_checked<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.write_inner(f, crate::changes::Touches::ALL, true)
    }

    /// A write transaction that moves no change counter: only for writes to what no cache
    /// serves (the audit chain's links and checkpoints), so that the sequencer's pass every
    /// second leaves the caches warm. (On SQLite the watch still sees any commit made by another
    /// connection.)
    pub fn write_quiet<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.write_touching(crate::changes::Touches::NONE, f)
    }

    /// [`Database::write`] for a write that may make stale only the cached reads `touches`
    /// names (`changes::Touches`): a sign-in touches no public read, a bid no session check.
    /// Only those counters move; in debug builds on PostgreSQL the transaction is refused if it
    /// changed a table that feeds another (`changes::Declared`).
    pub fn write_touching<T, E>(
        &self,
        touches: crate::changes::Touches,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.write_inner(f, touches, false)
    }

    fn write_inner<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
        touches: crate::changes::Touches,
        ask_postgres: bool,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use crate::changes::Touches;
        // the turn before the connection: writers waiting for their turn hold no connection
        let _turn = self.writer_turn()?;
        let mut conn = self.conn()?;
        let mut wrote = false;
        let r = write_transaction(&mut conn, |c| {
            let before = match touches {
                Touches::NONE => 0,
                _ => crate::changes::sqlite_total_changes(c)?,
            };
            let declared = crate::changes::Declared::start(c, touches)?;
            let v = f(c)?;
            declared.check(c)?;
            wrote = match (touches, &c) {
                (Touches::NONE, _) => false,
                (_, DbConnection::Postgresql(_)) if !ask_postgres => true,
                _ => crate::changes::wrote(c, before)?,
            };
            Ok(v)
        });
        if r.is_ok() && wrote {
            // before the caller can acknowledge anything: a read that starts after this sees
            // the change, and an entry cached from a read that started before is not served;
            // the other instances are told after the commit (`changes::announce`)
            self.changes.committed(touches);
        }
        r
    }
}

/// See [`Database::write`].
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if matches!(conn, DbConnection::Postgresql(_)) {
        return conn.transaction(f);
    }
    {
        let DbConnection::Sqlite(inner) = &mut *conn else {
            unreachable!()
        };
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    }
    // Nested `transaction` calls inside `f` see the open transaction through the multi
    // connection's transaction manager and become savepoints.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
    let DbConnection::Sqlite(inner) = &mut *conn else {
        unreachable!()
    };
    match result {
        Ok(Ok(value)) => {
            <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(
                inner,
            )?;
            Ok(value)
        }
        Ok(Err(e)) => {
            let _ = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(inner);
            Err(e)
        }
        Err(panic) => {
            let _ = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(inner);
            std::panic::resume_unwind(panic)
        }
    }
}

/// How often the checkpointer copies the WAL's committed pages into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// SQLite: a thread that copies committed pages from the WAL into the database file every
/// [`CHECKPOINT_EVERY`] (`PRAGMA wal_checkpoint(PASSIVE)`: it waits for no one and no one waits
/// for it). Left to the writers, the checkpoint (which syncs the database file) ran inside
/// whichever write transaction's commit crossed SQLite's 1 000-page mark — every few dozen
/// commits under load, each time inside the instance's writer turn. Ends with the last handle
/// of the database (`alive`).
fn start_checkpointer(path: String, alive: std::sync::Weak<parking_lot::Mutex<()>>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn: Option<SqliteConnection> = None;
            while alive.strong_count() > 0 {
                std::thread::sleep(CHECKPOINT_EVERY);
                if conn.is_none() {
                    conn = SqliteConnection::establish(&path).ok();
                }
                if let Some(c) = conn.as_mut() {
                    if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                        tracing::warn!("SQLite checkpoint failed, trying again: {e}");
                        conn = None;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no SQLite checkpointer (the writers checkpoint at 10 000 pages): {e}");
    }
}

const POOL_TIMEOUT: &str = "connection pool timeout: ";

/// How long a caller waits for a pooled connection before the answer is "busy".
pub const POOL_WAIT: Duration = Duration::from_secs(10);

/// Whether `e` means that no pooled connection became free in time.
pub fn is_pool_timeout(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UnableToSendCommand, info)
        if info.message().starts_with(POOL_TIMEOUT))
}

/// Whether `e` means that the database connection was lost or the server cannot be reached
/// (PostgreSQL restarting or down): the request may be retried once it is back.
pub fn is_connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::DatabaseErrorKind as K;
    match e {
        diesel::result::Error::DatabaseError(K::ClosedConnection, _) => true,
        diesel::result::Error::DatabaseError(K::UnableToSendCommand, info) => {
            !info.message().starts_with(POOL_TIMEOUT)
        }
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            [
                "terminating connection",
                "server closed the connection",
                "no connection to the server",
                "connection has been closed",
                "could not connect to server",
                "Connection refused",
                "the database system is shutting down",
                "the database system is starting up",
                "the database system is in recovery mode",
            ]
            .iter()
            .any(|p| m.contains(p))
        }
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind as K, Error};

    fn db_error(kind: K, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    /// `.cargo/config.toml` builds SQLite with its query planner stability guarantee: without
    /// it every query with a bound `LIMIT` is parsed and planned again at each execution.
    #[test]
    fn sqlite_is_built_with_the_planner_stability_guarantee() {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options")
            .load(&mut c)
            .unwrap();
        assert!(
            options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG (LIBSQLITE3_FLAGS in .cargo/config.toml)"
        );
    }

    /// SQLite's `EXPLAIN QUERY PLAN` of `sql`: one line per step.
    pub(crate) fn query_plan(conn: &mut DbConnection, sql: &str) -> Vec<String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Step {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let steps: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(conn)
            .unwrap();
        steps.into_iter().map(|s| s.detail).collect()
    }

    /// A test's own SQLite database, in a file unique per process and call, removed (with its
    /// WAL and shared-memory files) when dropped.
    pub(crate) struct TempSqlite {
        pub path: std::path::PathBuf,
        db: Option<Database>,
    }

    impl TempSqlite {
        /// An empty database with a pool of `pool` connections.
        pub(crate) fn new(name: &str, pool: u32) -> TempSqlite {
            let path = std::env::temp_dir().join(format!(
                "jiebang-{name}-{}-{}.db",
                std::process::id(),
                uuid::Uuid::now_v7()
            ));
            let db = Database::connect(path.to_str().unwrap(), pool).unwrap();
            TempSqlite { path, db: Some(db) }
        }

        /// A database with every migration applied, one connection.
        pub(crate) fn migrated(name: &str) -> TempSqlite {
            let t = TempSqlite::new(name, 1);
            t.db().migrate().unwrap();
            t
        }

        pub(crate) fn db(&self) -> &Database {
            self.db.as_ref().expect("open until dropped")
        }
    }

    impl Drop for TempSqlite {
        fn drop(&mut self) {
            // the pool (and the checkpointer's handle) first, then the files
            self.db.take();
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
            }
        }
    }

    /// Committed pages reach the database file by the checkpointer thread: the pool's
    /// connections checkpoint only at 10 000 pages, far above what is written here, so without
    /// the thread they would stay in the WAL.
    #[test]
    fn the_checkpointer_copies_committed_pages_into_the_database_file() {
        let temp = TempSqlite::new("checkpoint", 2);
        let db = temp.db();
        let size = || std::fs::metadata(&temp.path).map(|m| m.len()).unwrap_or(0);
        let written = 400 * 4096;
        db.write(|c| {
            c.batch_execute("CREATE TABLE t (v BLOB NOT NULL)")?;
            c.batch_execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) \
                 INSERT INTO t (v) SELECT zeroblob(4000) FROM n",
            )
        })
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() < written && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            size() >= written,
            "the database file holds {} bytes, not the {written} committed",
            size()
        );
    }

    #[test]
    fn a_lost_connection_is_told_from_other_failures() {
        assert!(is_connection_lost(&db_error(K::ClosedConnection, "closed")));
        assert!(is_connection_lost(&db_error(
            K::Unknown,
            "terminating connection due to administrator command"
        )));
        assert!(is_connection_lost(&db_error(
            K::UnableToSendCommand,
            "no connection to the server"
        )));
        // a pool timeout is "busy", not "lost"; a constraint is neither
        assert!(!is_connection_lost(&db_error(
            K::UnableToSendCommand,
            &format!("{POOL_TIMEOUT}timed out")
        )));
        assert!(!is_connection_lost(&db_error(
            K::UniqueViolation,
            "duplicate key"
        )));
        assert!(!is_connection_lost(&Error::NotFound));
    }
}

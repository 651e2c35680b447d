//! What every handler shares: the database, the clock, keys, the hashing pool, the throttle.

use crate::auth::throttle::LoginThrottle;
use crate::auth::{Hasher, JwtKeys};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use jiebang_db::{Database, DbConnection};
use jiebang_domain::Clock;
use std::sync::Arc;

pub struct AppState {
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub jwt: JwtKeys,
    pub hasher: Hasher,
    pub throttle: LoginThrottle,
    pub config: Config,
    pub rules: jiebang_domain::challenge::Rules,
    pub mailer: jiebang_notifications::delivery::Mailer,
    pub delivery: jiebang_notifications::delivery::DeliveryConfig,
    pub search: std::sync::Arc<crate::search::SearchIndex>,
    /// This instance's figures for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// The use cases' context: the clock and the programme's settings.
    pub ctx: jiebang_application::Ctx,
    /// Anonymous public reads built once and reused until the data under them changes.
    pub public: crate::public_cache::PublicCache,
    /// Signed-in callers as their session check found them, reused until the data under them
    /// changes (`auth::extractor`).
    pub sessions: crate::public_cache::PublicCache,
    /// Requests' database work, admitted as many at a time as the pool has connections and in
    /// the order it arrived. The pool's own wait is not first-come first-served: under load a
    /// request could be passed over again and again (uncached reads had a p99 of hundreds of
    /// milliseconds with a p50 under 10 ms; docs/performance.md).
    pub db_turns: tokio::sync::Semaphore,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Brings a change made through this instance into its search index at once.
    pub async fn search_changed(&self, change: crate::search::Change) {
        crate::search::changed(&self.db, &self.search, change).await
    }

    /// Waits for this request's turn at the database (`db_turns`); 503 `server_busy` after the
    /// pool's own timeout, as a pool timeout would answer.
    async fn db_turn(&self) -> ApiResult<tokio::sync::SemaphorePermit<'_>> {
        match tokio::time::timeout(jiebang_db::POOL_TIMEOUT, self.db_turns.acquire()).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => Err(ApiError::busy()),
        }
    }

    /// Runs database reads on the blocking pool, off the async executor.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let _turn = self.db_turn().await?;
        let db = self.db.clone();
        actix_web::web::block(move || db.read(f))
            .await
            .map_err(ApiError::from)?
    }

    /// Runs `f` in one write transaction on the blocking pool: all of it commits, or none.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        self.write_touching(jiebang_db::changes::Touches::ALL, f)
            .await
    }

    /// [`AppState::write`] for a write that may make stale only the cached reads `touches` names
    /// (`jiebang_db::Database::write_touching`): the other caches stay warm.
    pub async fn write_touching<T, F>(
        &self,
        touches: jiebang_db::changes::Touches,
        f: F,
    ) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let _turn = self.db_turn().await?;
        let db = self.db.clone();
        actix_web::web::block(move || db.write_touching(touches, f))
            .await
            .map_err(ApiError::from)?
    }
}

//! Public reads built once and reused (公开读取缓存): the anonymous `GET /api/v1/challenges`
//! (list and keyword search) and `GET /api/v1/challenges/{id}`, kept as the bytes that were sent,
//! with a content ETag; the public headline figures (`GET /api/v1/stats/overview`, the hall's
//! counters) and the anonymous hall's page of cards, kept as values that each request renders
//! (the web page carries the visitor's own form token and a countdown from the clock) — all until
//! the database's change counter moves (`jiebang_db::changes`).
//!
//! Why it is never stale where it matters:
//! - an entry is tagged with the counter read *before* its data was read, and served only while
//!   the counter still has that value; every committed write moves the counter before its caller
//!   hears of it (and the search index moves it again once it has the change), so after a change
//!   is acknowledged on this instance no entry read before it is served here;
//! - other instances' writes move the counter when the change watch hears them (PostgreSQL
//!   `LISTEN`, SQLite `PRAGMA data_version`, polled every 20 ms); while the watch is down nothing
//!   is cached or served from the cache;
//! - only anonymous reads are cached as they are sent: what a signed-in caller sees (directed
//!   challenges, full views, `actions`) is never these bytes. A signed-in caller shown the same
//!   challenges as the public gets the kept anonymous page or view with its own `actions`,
//!   decided afresh on the kept rows (`handlers::challenges::signed_in_public_page`,
//!   `signed_in_public_view`); a member of an organisation that sees directed challenges gets
//!   that organisation's own kept page of the list the same way (`organization_page`).
//!
//! A second instance of the same cache, `AppState::sessions`, keeps the signed-in callers' session
//! checks on the same terms, each under its own user and session ids (`auth::extractor`). Each
//! follows its own counter (`jiebang_db::changes::Cache`): an API sign-in moves only the
//! sessions' (the public reads stay warm), a bid only the public reads' (the session checks stay
//! warm), the sign-in throttle, browser sessions and a user's notices neither; every other write
//! moves both (docs/architecture.md lists the declared writes).
//!
//! Every public read, cached or not, carries a strong ETag (a hash of the body) and answers
//! `If-None-Match` with 304; `Cache-Control: no-cache` makes clients ask each time.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use jiebang_db::changes::Changes;
use sha2::{Digest, Sha256};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// At most this many responses are kept; when full the cache starts again empty.
const CAPACITY: usize = 4_096;

/// A response body and its ETag.
pub struct Cached {
    pub body: Bytes,
    pub etag: String,
}

impl Cached {
    pub fn new(body: Vec<u8>) -> Cached {
        let digest = Sha256::digest(&body);
        Cached {
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
            body: Bytes::from(body),
        }
    }

    /// 304 when the client holds this very body, otherwise 200 with it.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let fresh = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .map(|t| t.trim().trim_start_matches("W/"))
                    .any(|t| t == self.etag || t == "*")
            });
        let mut r = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        r.insert_header((header::ETAG, self.etag.clone()))
            .insert_header((header::CACHE_CONTROL, "no-cache"));
        if fresh {
            r.finish()
        } else {
            r.content_type("application/json").body(self.body.clone())
        }
    }
}

struct Inner {
    generation: u64,
    entries: HashMap<String, Arc<dyn Any + Send + Sync>>,
}

pub struct PublicCache {
    changes: Arc<Changes>,
    /// Which of the change counters this cache follows.
    cache: jiebang_db::changes::Cache,
    inner: RwLock<Inner>,
    /// Reads answered from the cache, and reads that had to compute (`/metrics`).
    hits: prometheus::IntCounter,
    misses: prometheus::IntCounter,
    /// Held while an expensive value (the headline figures, which read every challenge) is
    /// computed, so that the readers who missed at the same moment wait for it instead of each
    /// computing it again.
    fill: tokio::sync::Mutex<()>,
}

impl PublicCache {
    /// `hits` and `misses` are counted into the instance's metrics.
    pub fn new(
        changes: Arc<Changes>,
        cache: jiebang_db::changes::Cache,
        hits: prometheus::IntCounter,
        misses: prometheus::IntCounter,
    ) -> PublicCache {
        PublicCache {
            changes,
            cache,
            hits,
            misses,
            inner: RwLock::new(Inner {
                generation: 0,
                entries: HashMap::new(),
            }),
            fill: tokio::sync::Mutex::new(()),
        }
    }

    /// The JSON answer kept under `key`, or the one `compute` gives (kept unless a write was
    /// committed meanwhile), as 200 or 304 for `req`. A refusal is answered, never kept.
    pub async fn json<T, F, Fut>(
        &self,
        req: &HttpRequest,
        key: String,
        compute: F,
    ) -> crate::error::ApiResult<HttpResponse>
    where
        T: serde::Serialize,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::error::ApiResult<T>>,
    {
        if let Some(hit) = self.get(&key) {
            return Ok(hit.respond(req));
        }
        self.misses.inc();
        let ticket = self.ticket();
        let body = serde_json::to_vec(&compute().await?)
            .map_err(|e| crate::error::ApiError::internal(e.to_string()))?;
        Ok(self.put(ticket, key, body).respond(req))
    }

    /// The value kept under `key`, or the one `compute` gives (kept unless a write was committed
    /// meanwhile). Callers that miss at once each compute it: for cheap values.
    pub async fn value<T, F, Fut, E>(&self, key: String, compute: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(hit) = self.get_value::<T>(&key) {
            return Ok(hit);
        }
        self.misses.inc();
        let ticket = self.ticket();
        let value = compute().await?;
        Ok(self.put_value(ticket, key, value))
    }

    /// The value kept under `key`, or the one `compute` gives, computed by one caller at a time
    /// (the others wait and then find it kept): for expensive values.
    pub async fn get_or_fill<T, F, Fut, E>(&self, key: &str, compute: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(hit) = self.get_value::<T>(key) {
            return Ok(hit);
        }
        let _one_at_a_time = self.fill.lock().await;
        // whoever held the lock before may have kept it: `value` looks again first
        self.value(key.to_owned(), compute).await
    }

    /// The response kept under `key`, if it was read at the current generation.
    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.get_value(key)
    }

    /// The value kept under `key`, if it was read at the current generation.
    pub fn get_value<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<T>> {
        let now = self.changes.current(self.cache)?;
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.generation != now {
            return None;
        }
        let hit = inner.entries.get(key).cloned()?.downcast().ok();
        if hit.is_some() {
            self.hits.inc();
        }
        hit
    }

    /// How many entries may still be served (those read at the current generation).
    pub fn entries(&self) -> usize {
        let Some(now) = self.changes.current(self.cache) else {
            return 0;
        };
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.generation == now {
            inner.entries.len()
        } else {
            0
        }
    }

    /// The generation to tag a response with: read it *before* reading the data. `None`: do not
    /// cache (the change watch is not running).
    pub fn ticket(&self) -> Option<u64> {
        self.changes.current(self.cache)
    }

    /// Keeps `body` under `key` when no write was committed since `ticket` was taken.
    pub fn put(&self, ticket: Option<u64>, key: String, body: Vec<u8>) -> Arc<Cached> {
        self.put_value(ticket, key, Cached::new(body))
    }

    /// Keeps `value` under `key` when no write was committed since `ticket` was taken.
    pub fn put_value<T: Send + Sync + 'static>(
        &self,
        ticket: Option<u64>,
        key: String,
        value: T,
    ) -> Arc<T> {
        let value = Arc::new(value);
        let Some(generation) = ticket else {
            return value;
        };
        if self.changes.current(self.cache) != Some(generation) {
            return value;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.generation != generation {
            if inner.generation > generation {
                return value;
            }
            inner.generation = generation;
            inner.entries.clear();
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(key, value.clone());
        value
    }
}

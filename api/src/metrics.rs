//! `GET /metrics`: the instance's figures in the Prometheus text format — request latency by
//! route and status, the outbox's depth and oldest message, how far the scheduler lags behind
//! the deadlines, the database pool, login refusals, the public cache's hits, misses and
//! entries. Counted in memory per instance (each instance is scraped on its own); read from the
//! database at scrape time where the figure is shared (outbox, deadlines).
//!
//! Open to loopback callers, or to anyone presenting the configured token
//! (`JIEBANG_METRICS_TOKEN`, as `Authorization: Bearer …`). Behind a reverse proxy
//! (`JIEBANG_TRUST_PROXY`) every request arrives from the proxy, so only the token opens it.

use crate::error::{ApiError, ApiResult};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntGauge, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    login_refusals: IntCounter,
    outbox_pending: IntGauge,
    outbox_oldest: Gauge,
    scheduler_lag: Gauge,
    scheduler_last_tick: Gauge,
    pool_size: IntGauge,
    pool_in_use: IntGauge,
    pool_idle: IntGauge,
    pool_waiting: IntGauge,
    /// Counted by the public cache (`crate::public_cache`).
    pub cache_hits: IntCounter,
    pub cache_misses: IntCounter,
    cache_entries: IntGauge,
    /// Counted by the session cache (`AppState::sessions`, read by the `Auth` extractor).
    pub session_hits: IntCounter,
    pub session_misses: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("jiebang".into()), None).expect("a valid prefix");
        let requests = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from a request's arrival to its response, by route pattern, method and status",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let gauge =
            |name: &str, help: &str| Gauge::with_opts(Opts::new(name, help)).expect("valid metric");
        let int_gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help)).expect("valid metric")
        };
        let m = Metrics {
            requests,
            login_refusals: IntCounter::new(
                "login_refusals_total",
                "Logins refused by the throttle (429) on this instance",
            )
            .expect("valid metric"),
            outbox_pending: int_gauge("outbox_pending", "E-mails waiting in the outbox (all instances)"),
            outbox_oldest: gauge(
                "outbox_oldest_pending_age_seconds",
                "Age of the oldest e-mail waiting in the outbox (0 when none)",
            ),
            scheduler_lag: gauge(
                "scheduler_lag_seconds",
                "How long ago the deadline of the longest-overdue challenge still open for bids passed (0 when none)",
            ),
            scheduler_last_tick: gauge(
                "scheduler_last_tick_timestamp_seconds",
                "When this instance's scheduler last finished a pass (Unix time)",
            ),
            pool_size: int_gauge("db_pool_max_connections", "The database pool's size"),
            pool_in_use: int_gauge("db_pool_in_use", "Database connections in use"),
            pool_idle: int_gauge("db_pool_idle", "Database connections open and idle"),
            pool_waiting: int_gauge(
                "db_pool_waiting",
                "Threads waiting for (or taking) a database connection",
            ),
            cache_hits: IntCounter::new(
                "public_cache_hits_total",
                "Public reads answered from this instance's cache (anonymous, and the kept pages signed-in reads are drawn from)",
            )
            .expect("valid metric"),
            cache_misses: IntCounter::new(
                "public_cache_misses_total",
                "Public reads this instance had to compute (first read, or after a write)",
            )
            .expect("valid metric"),
            cache_entries: int_gauge(
                "public_cache_entries",
                "Entries in this instance's public cache that may still be served",
            ),
            session_hits: IntCounter::new(
                "session_cache_hits_total",
                "Signed-in requests whose session check was answered from this instance's cache",
            )
            .expect("valid metric"),
            session_misses: IntCounter::new(
                "session_cache_misses_total",
                "Signed-in requests whose session was read from the database",
            )
            .expect("valid metric"),
            registry,
        };
        let r = &m.registry;
        r.register(Box::new(m.requests.clone()))
            .expect("registered once");
        for c in [
            &m.login_refusals,
            &m.cache_hits,
            &m.cache_misses,
            &m.session_hits,
            &m.session_misses,
        ] {
            r.register(Box::new(c.clone())).expect("registered once");
        }
        for g in [&m.outbox_oldest, &m.scheduler_lag, &m.scheduler_last_tick] {
            r.register(Box::new(g.clone())).expect("registered once");
        }
        for g in [
            &m.outbox_pending,
            &m.pool_size,
            &m.pool_in_use,
            &m.pool_idle,
            &m.pool_waiting,
            &m.cache_entries,
        ] {
            r.register(Box::new(g.clone())).expect("registered once");
        }
        m
    }

    /// One answered request. `route` is the matched pattern (`/api/v1/challenges/{id}`), never
    /// the raw path, so that ids do not multiply the series.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "OTHER",
        };
        self.requests
            .with_label_values(&[route, method, status_to_str(status)])
            .observe(seconds);
    }

    pub fn login_refused(&self) {
        self.login_refusals.inc();
    }

    pub fn scheduler_ticked(&self, at: chrono::DateTime<chrono::Utc>) {
        self.scheduler_last_tick
            .set(at.timestamp_millis() as f64 / 1000.0);
    }

    /// The text exposition, with the shared figures read from `db` now. Blocking.
    pub fn render(
        &self,
        db: &jiebang_db::Database,
        cache: &crate::public_cache::PublicCache,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ApiResult<String> {
        let naive = now.naive_utc();
        let ((pending, oldest), lag) = db.read(|c| {
            Ok::<_, ApiError>((
                jiebang_db::notifications::outbox_depth(c)?,
                jiebang_db::challenges::oldest_unclosed_deadline(c, naive)?,
            ))
        })?;
        let age = |t: Option<chrono::NaiveDateTime>| {
            t.map_or(0.0, |t| {
                (naive - t).num_milliseconds().max(0) as f64 / 1000.0
            })
        };
        self.outbox_pending.set(pending);
        self.outbox_oldest.set(age(oldest));
        self.scheduler_lag.set(age(lag));
        let pool = db.pool_state();
        self.pool_size.set(pool.size.into());
        self.pool_in_use.set(pool.in_use.into());
        self.pool_idle.set(pool.idle.into());
        self.pool_waiting.set(pool.waiting as i64);
        self.cache_entries.set(cache.entries() as i64);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(ApiError::internal)?;
        String::from_utf8(out).map_err(ApiError::internal)
    }
}

fn status_to_str(status: u16) -> &'static str {
    // the statuses this service answers; anything else is grouped
    match status {
        200 => "200",
        201 => "201",
        204 => "204",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        412 => "412",
        413 => "413",
        415 => "415",
        422 => "422",
        428 => "428",
        429 => "429",
        431 => "431",
        500 => "500",
        503 => "503",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}

/// The content type of the text exposition format.
pub const TEXT_FORMAT: &str = prometheus::TEXT_FORMAT;

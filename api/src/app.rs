//! Building and running the HTTP server. Tests build it on port 0 and speak HTTP to it.

use crate::auth::throttle::LoginThrottle;
use crate::auth::{secret, Hasher, JwtKeys};
use crate::config::Config;
use crate::error::{render_problem, ApiError};
use crate::state::AppState;
use crate::{handlers, openapi, request_id};
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use jiebang_db::Database;
use jiebang_domain::codes::Code;
use jiebang_domain::Clock;
use std::net::TcpListener;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] jiebang_db::connection::ConnectError),
    #[error("secret: {0}")]
    Secret(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// Opens the database named by the configuration and applies pending migrations.
pub fn open_database(config: &Config) -> Result<Database, StartError> {
    let db = Database::connect(&config.database_url(), config.db_pool_size)?;
    let applied = db.migrate()?;
    if applied > 0 {
        tracing::info!(
            applied,
            backend = db.backend().as_str(),
            "applied migrations"
        );
    }
    Ok(db)
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Opens and migrates the database, loads the keys, binds the listener. Call inside an
    /// actix system (the `jiebang` binary and the test harness do).
    pub fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Application, StartError> {
        let db = open_database(&config)?;
        let (mailer, delivery) = crate::outbox::mailer(&config).map_err(StartError::Config)?;
        let secret = secret::load_or_create(config.jwt_secret.as_deref(), &config.data_dir)
            .map_err(StartError::Secret)?;
        let rules = config.challenge_rules().map_err(StartError::Config)?;
        let keys = std::sync::Arc::new(config.keyring().map_err(StartError::Secret)?);
        // the platform's signing key: made (and sealed under the master key) on the first start
        db.write(|conn| {
            jiebang_application::signing::ensure_platform_key(conn, &keys, clock.now()).map(|_| ())
        })
        .map_err(|e| StartError::Secret(format!("platform signing key: {}", e.detail)))?;
        let ctx = jiebang_application::Ctx {
            keys,
            clock: clock.clone(),
            settings: std::sync::Arc::new(jiebang_application::Settings {
                public_url: config.public_url.clone(),
                home_region: config.home_region.clone(),
                max_live_bids: config.max_live_bids,
                rules: rules.clone(),
            }),
        };
        let throttle = LoginThrottle::new(db.clone(), chrono::Duration::minutes(15), 5, 50);
        // other instances' (and processes') writes reach the public cache through this watch
        db.watch_changes();
        let metrics = crate::metrics::Metrics::new();
        let public = crate::public_cache::PublicCache::new(
            db.changes().clone(),
            jiebang_db::changes::Cache::Public,
            metrics.cache_hits.clone(),
            metrics.cache_misses.clone(),
        );
        // the signed-in callers' session checks, kept on the same terms (see `auth::extractor`)
        let sessions = crate::public_cache::PublicCache::new(
            db.changes().clone(),
            jiebang_db::changes::Cache::Sessions,
            metrics.session_hits.clone(),
            metrics.session_misses.clone(),
        );
        let state = web::Data::new(AppState {
            public,
            sessions,
            db,
            clock: clock.clone(),
            ctx,
            jwt: JwtKeys::new(&secret),
            hasher: Hasher::new(config.hash_concurrency(), config.password_hash_cost),
            throttle,
            rules,
            mailer,
            delivery,
            search: std::sync::Arc::new(crate::search::SearchIndex::empty(clock.clone())),
            config: config.clone(),
            metrics,
            db_turns: tokio::sync::Semaphore::new(config.db_pool_size as usize),
        });
        state
            .db
            .read(|conn| state.search.rebuild(conn))
            .map_err(|e| StartError::Config(format!("search index: {e}")))?;
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| StartError::Bind(config.bind.clone(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartError::Bind(config.bind.clone(), e))?
            .port();
        let doc = web::Data::new(openapi::document());
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(doc.clone())
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::not_found("资源 / resource").into()),
                )
                .wrap(ErrorHandlers::new().default_handler(render_problem))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "no-referrer")),
                )
                .wrap(from_fn(request_id::middleware))
                .service(web::resource("/healthz").route(web::get().to(handlers::ops::healthz)))
                .service(
                    web::resource("/.well-known/jiebang-keys.json")
                        .route(web::get().to(handlers::keys::well_known)),
                )
                .service(web::resource("/readyz").route(web::get().to(handlers::ops::readyz)))
                .service(web::resource("/metrics").route(web::get().to(handlers::ops::metrics)))
                .service(
                    web::resource("/openapi.json").route(web::get().to(handlers::ops::openapi)),
                )
                .configure(handlers::api_v1)
                // the web interface takes every other path (and answers unknown ones in HTML);
                // an unknown path under /api/v1 falls through to the JSON 404 below
                .configure(crate::web::routes)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(ApiError::with(
                        Code::NotFound,
                        "请求的地址不存在 / no such resource",
                    ))
                }))
        })
        .workers(config.workers())
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(|e| StartError::Bind(config.bind.clone(), e))?
        .run();
        crate::scheduler::spawn(state.clone());
        crate::outbox::spawn(state.clone());
        crate::search::spawn(
            state.db.clone(),
            state.search.clone(),
            state.config.index_refresh_ms,
        );
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM / Ctrl-C (graceful: in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

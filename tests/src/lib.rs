//! The end-to-end harness: each test starts the real server on a free port, over its own
//! database (a copy of a SQLite file migrated once per test process, or a fresh PostgreSQL
//! schema), and speaks HTTP to it.
//!
//! PostgreSQL tests run when `JIEBANG_TEST_DATABASE_URL` is a `postgres://` URL; without it they
//! print that they were skipped — unless `CI` is set, where a missing URL fails them.

use jiebang_api::{Application, Config};
use jiebang_db::diesel::{self, Connection, RunQueryDsl};
use jiebang_domain::{Clock, ManualClock};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

pub use serde_json;

pub mod browser;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL for tests, if the suite is switched on.
pub fn postgres_url() -> Option<String> {
    match std::env::var("JIEBANG_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but JIEBANG_TEST_DATABASE_URL is not a postgres:// URL");
            }
            None
        }
    }
}

/// Runs a test body on SQLite and on PostgreSQL, as two tests `<name>::sqlite` and
/// `<name>::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($(fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($app: $crate::TestApp) $body
            #[test]
            fn sqlite() {
                run($crate::TestApp::spawn($crate::Db::Sqlite));
            }
            #[test]
            fn postgres() {
                if let Some(app) = $crate::TestApp::on_postgres() {
                    run(app);
                }
            }
        }
    )*};
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts a problem+json error with `status` and `code`.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Resp {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.body
        );
        assert_eq!(self.json["code"], code, "body: {}", self.body);
        assert_eq!(self.json["status"], status);
        assert!(self.json["type"]
            .as_str()
            .is_some_and(|t| t.ends_with(code)));
        assert!(self.json["title"].is_string() && self.json["detail"].is_string());
        self
    }

    /// The field errors as `(field, code)` pairs.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.json["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn has_field_error(self, field: &str, code: &str) -> Resp {
        let errors = self.field_errors();
        assert!(
            errors.iter().any(|(f, c)| f == field && c == code),
            "expected {field}/{code} in {errors:?}"
        );
        self
    }
}

pub struct TestApp {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub db: Db,
    pub data_dir: PathBuf,
    pub state: actix_web::web::Data<jiebang_api::state::AppState>,
    agent: ureq::Agent,
    server: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    pg_schema: Option<(String, String)>,
    owns_data_dir: bool,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A new schema in the test PostgreSQL database, and the URL that makes it the search path.
/// (Measured: a schema migrated per test is faster here than `CREATE DATABASE … TEMPLATE`,
/// which copies the whole system catalogue, about 8 MB, for every test.)
fn create_pg_schema(base_url: &str) -> (String, String) {
    let schema = format!(
        "t_{}_{}",
        unique(),
        uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
    );
    let mut conn = diesel::pg::PgConnection::establish(base_url)
        .unwrap_or_else(|e| panic!("PostgreSQL at JIEBANG_TEST_DATABASE_URL is unreachable: {e}"));
    diesel::sql_query(format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .expect("create schema");
    let sep = if base_url.contains('?') { '&' } else { '?' };
    (
        format!("{base_url}{sep}options=-csearch_path%3D{schema}"),
        schema,
    )
}

/// The migrated SQLite template file of this test process, copied into each test's data dir.
fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("jiebang-template-{}", unique()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("template dir");
        let file = dir.join("jiebang.db");
        {
            let db = jiebang_db::Database::connect(&format!("sqlite://{}", file.display()), 1)
                .expect("open template");
            db.migrate().expect("migrate template");
            // fold the write-ahead log into the file, so that the file alone is the database
            db.read(|c| {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(c)
                    .map(|_| ())
            })
            .expect("checkpoint template");
        }
        file
    })
}

impl TestApp {
    /// A server on the PostgreSQL suite's database, or `None` (saying the test is skipped) when
    /// `JIEBANG_TEST_DATABASE_URL` is not set.
    pub fn on_postgres() -> Option<TestApp> {
        let app = Self::try_spawn(Db::Postgres);
        if app.is_none() {
            eprintln!(
                "skipped: set JIEBANG_TEST_DATABASE_URL=postgres://… to run the PostgreSQL suite"
            );
        }
        app
    }

    /// Starts a server on `db`; panics if it cannot.
    pub fn spawn(db: Db) -> TestApp {
        Self::try_spawn(db).expect("PostgreSQL suite is off (JIEBANG_TEST_DATABASE_URL unset)")
    }

    /// Starts a server; `None` for PostgreSQL when the suite is off.
    pub fn try_spawn(db: Db) -> Option<TestApp> {
        Self::try_spawn_with(db, |_| {})
    }

    /// Starts a server after `tune` adjusted its configuration.
    pub fn try_spawn_with(db: Db, tune: impl FnOnce(&mut Config)) -> Option<TestApp> {
        if std::env::var_os("JIEBANG_TEST_LOG").is_some() {
            jiebang_api::cli::init_tracing("text", "info");
        }
        let data_dir = std::env::temp_dir().join(format!("jiebang-test-{}", unique()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let mut config = Config::defaults();
        config.bind = "127.0.0.1:0".into();
        config.data_dir = data_dir.clone();
        config.workers = Some(2);
        config.db_pool_size = 4;
        config.jwt_secret = None;
        config.smtp_url = None;
        config.scheduler_interval_ms = 50;
        config.index_refresh_ms = 100;
        // hundreds of users are created and signed in: hash at argon2's smallest cost
        config.password_hash_cost = jiebang_api::auth::hashing::HashCost::Minimal;
        let pg_schema = match db {
            Db::Sqlite => {
                std::fs::create_dir_all(&data_dir).expect("data dir");
                let file = data_dir.join("jiebang.db");
                std::fs::copy(sqlite_template(), &file).expect("copy the template database");
                config.database_url = Some(format!("sqlite://{}", file.display()));
                None
            }
            Db::Postgres => {
                let base = postgres_url()?;
                let (url, schema) = create_pg_schema(&base);
                config.database_url = Some(url);
                Some((base, schema))
            }
        };
        tune(&mut config);
        Some(Self::start(config, db, data_dir, pg_schema))
    }

    /// A second instance on the same database, with the same clock and JWT secret: what several
    /// API instances sharing one PostgreSQL look like.
    pub fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(|_| {})
    }

    /// A peer whose configuration `tune` adjusted.
    pub fn spawn_peer_with(&self, tune: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.state.config.clone();
        config.bind = "127.0.0.1:0".into();
        tune(&mut config);
        Self::start_with_clock(
            config,
            self.db,
            self.data_dir.clone(),
            None,
            self.clock.clone(),
            false,
        )
    }

    fn start(
        config: Config,
        db: Db,
        data_dir: PathBuf,
        pg_schema: Option<(String, String)>,
    ) -> TestApp {
        Self::start_with_clock(
            config,
            db,
            data_dir,
            pg_schema,
            Arc::new(ManualClock::new()),
            true,
        )
    }

    fn start_with_clock(
        config: Config,
        db: Db,
        data_dir: PathBuf,
        pg_schema: Option<(String, String)>,
        clock: Arc<ManualClock>,
        owns_data_dir: bool,
    ) -> TestApp {
        let server_clock: Arc<dyn Clock> = clock.clone();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                match Application::build(config, server_clock) {
                    Ok(app) => {
                        tx.send(Ok((app.port(), app.state(), app.handle())))
                            .unwrap();
                        app.run_until_stopped().await.expect("server");
                    }
                    Err(e) => tx.send(Err(e.to_string())).unwrap(),
                }
            });
        });
        let (port, state, server) = rx
            .recv()
            .expect("server thread")
            .unwrap_or_else(|e| panic!("server start: {e}"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            clock,
            db,
            data_dir,
            state,
            agent,
            server,
            thread: Some(thread),
            pg_schema,
            owns_data_dir,
        }
    }

    /// Sends a request with an optional bearer token and raw body.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let mut resp = self.agent.run(req.body(body).unwrap()).expect("http");
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&body).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            json,
        }
    }

    /// Sends a JSON body with extra headers.
    pub fn raw_with_headers(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Resp {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req = req.header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = self
            .agent
            .run(req.body(serde_json::to_vec(body).unwrap()).unwrap())
            .expect("http");
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&body).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            json,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.raw("GET", path, token, None, Vec::new())
    }

    pub fn send(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.raw(
            method,
            path,
            token,
            Some("application/json"),
            serde_json::to_vec(body).unwrap(),
        )
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send("POST", path, token, body)
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send("PATCH", path, token, body)
    }

    pub fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send("PUT", path, token, body)
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Registers a user with a new organisation; returns the response body.
    pub fn register(&self, email: &str, org_name: &str, kind: &str, region: &str) -> Value {
        self.post(
            "/api/v1/auth/register",
            None,
            &json!({
                "email": email, "password": PASSWORD, "name": "测试用户",
                "organization": {"name": org_name, "kind": kind, "credit_code": credit_code(region), "region_code": region}
            }),
        )
        .expect(201)
        .json
    }

    /// Logs in; returns the token response.
    pub fn login(&self, email: &str, password: &str) -> Value {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .expect(200)
        .json
    }

    /// Logs in with the standard test password; returns the access token.
    pub fn token(&self, email: &str) -> String {
        self.login(email, PASSWORD)["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in with a given password; returns the access token.
    pub fn token_with(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password);
        r["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("login {email}: {r}"))
            .to_owned()
    }

    /// Creates a platform user the way `jiebang user create` does; returns their access token.
    pub fn platform_user(&self, role: &str, email: &str, organization: Option<&str>) -> String {
        jiebang_api::cli::create_platform_user(
            &self.state.db,
            role,
            email,
            PASSWORD,
            "平台用户",
            organization.map(str::to_owned),
            self.state.config.password_hash_cost,
        )
        .unwrap_or_else(|e| panic!("create {role}: {e}"));
        self.token(email)
    }

    /// Registers an organisation and verifies it; returns (org id, org admin token).
    pub fn verified_org(
        &self,
        email: &str,
        org_name: &str,
        kind: &str,
        region: &str,
    ) -> (String, String) {
        let body = self.register(email, org_name, kind, region);
        let id = body["organization"]["id"].as_str().unwrap().to_owned();
        let admin_email = format!("verifier-{}@kjt.nmg.gov.cn", unique().replace('_', "-"));
        let admin = self.platform_user("admin", &admin_email, None);
        self.post(
            &format!("/api/v1/organizations/{id}/verify"),
            Some(&admin),
            &json!({}),
        )
        .expect(200);
        (id, self.token(email))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // stop the server (not gracefully: tests are done with it) and wait for its thread
        actix_web::rt::System::new().block_on(self.server.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some((base, schema)) = self.pg_schema.take() {
            if let Ok(mut conn) = diesel::pg::PgConnection::establish(&base) {
                let _ =
                    diesel::sql_query(format!("DROP SCHEMA {schema} CASCADE")).execute(&mut conn);
            }
        }
        if self.owns_data_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

impl TestApp {
    /// The handle that stops the server (graceful or not).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.clone()
    }

    /// The server's current time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Waits (up to 10 s) until `cond` holds.
    #[track_caller]
    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = std::time::Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "timed out waiting for {what}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// A complete, valid challenge body whose deadlines are `days` days from the server's now.
    pub fn challenge_body(&self, title: &str, industry: &str, problem: &str, days: i64) -> Value {
        let now = self.now();
        json!({
            "title": title, "kind": "tech_breakthrough", "mode": "open", "industry": industry,
            "industry_chain": "示范产业链", "problem": problem,
            "kpis": [{"name": "关键性能指标", "target": "≥90", "unit": "%"}],
            "expected_outcomes": "样机与示范应用各一项", "duration_months": 24,
            "enterprise_funds": 6_000_000, "fiscal_support": 3_000_000, "max_winners": 1,
            "eligibility": {"consortium_required": false, "max_members": 5, "min_in_region_percent": 0, "chief_scientist_required": false},
            "ip_ownership": "shared",
            "bidding_deadline": (now + chrono::Duration::days(days)).to_rfc3339(),
            "questions_deadline": (now + chrono::Duration::days(days - 1)).to_rfc3339(),
            "contact": {"name": "王工", "phone": "0472-5551234", "email": "contact@example.cn"}
        })
    }

    /// Creates, submits and approves a challenge; returns its id.
    pub fn publish(&self, publisher: &str, official: &str, body: &Value) -> String {
        let id = self
            .post("/api/v1/challenges", Some(publisher), body)
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.post(
            &format!("/api/v1/challenges/{id}/submit"),
            Some(publisher),
            &json!({}),
        )
        .expect(200);
        self.post(
            &format!("/api/v1/challenges/{id}/review"),
            Some(official),
            &json!({"decision": "approve"}),
        )
        .expect(200);
        id
    }
}

/// The password every test user has.
pub const PASSWORD: &str = "草原上的风-2026-Baotou";

/// A valid unified social credit code registered in `region`, unique within the process.
pub fn credit_code(region: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1000;
    let body = format!("91{region}{:08}", n % 100_000_000);
    let first17 = format!("{body}X");
    let check = jiebang_domain::credit_code::check_character(first17.as_bytes()).unwrap();
    format!("{first17}{check}")
}

/// The usual cast of a test: an admin, an official, a verified enterprise that publishes and a
/// verified university that bids (tokens and organisation ids).
pub struct Cast {
    pub admin: String,
    pub official: String,
    pub publisher: String,
    pub publisher_org: String,
    pub bidder: String,
    pub bidder_org: String,
}

impl Cast {
    /// Logs everyone in again: after the clock moved past the access tokens' lifetime.
    pub fn relogin(&mut self, app: &TestApp) {
        self.admin = app.token("admin@jiebang.cn");
        self.official = app.token("official@kjt.nmg.gov.cn");
        self.publisher = app.token("publisher@bfhi.com.cn");
        self.bidder = app.token("bidder@imu.edu.cn");
    }
}

impl TestApp {
    pub fn cast(&self) -> Cast {
        let admin = self.platform_user("admin", "admin@jiebang.cn", None);
        let (publisher_org, publisher) = self.verified_org(
            "publisher@bfhi.com.cn",
            "内蒙古北方重工业集团有限公司",
            "enterprise",
            "150200",
        );
        let (bidder_org, bidder) =
            self.verified_org("bidder@imu.edu.cn", "内蒙古大学", "university", "150102");
        // the official joins after the two organisations registered, so that the tests'
        // mail counts start with the programme, not with the registrations' notices
        let official = self.platform_user("official", "official@kjt.nmg.gov.cn", None);
        Cast {
            admin,
            official,
            publisher,
            publisher_org,
            bidder,
            bidder_org,
        }
    }
}

/// A real SMTP server (Debian's aiosmtpd, `tests/smtp_sink.py`) on a free port, keeping what it
/// receives as JSON files. Stopped on drop.
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<std::process::Child>,
}

impl SmtpSink {
    /// A free port for a sink that is started later (to simulate an SMTP outage).
    pub fn reserve_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    pub fn start() -> SmtpSink {
        Self::start_on(Self::reserve_port())
    }

    pub fn start_on(port: u16) -> SmtpSink {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("jiebang-smtp-{}", unique()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/smtp_sink.py");
        let mut child = std::process::Command::new("/usr/bin/python3")
            .args([script, &port.to_string(), dir.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the SMTP sink (needs Debian's python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "SMTP sink did not start");
        SmtpSink {
            port,
            dir,
            child: Some(child),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "json") {
                    out.push(serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap());
                }
            }
        }
        out
    }

    /// Waits (up to 15 s) until at least `n` messages arrived; returns them.
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let start = std::time::Instant::now();
        loop {
            let m = self.messages();
            if m.len() >= n || start.elapsed() > std::time::Duration::from_secs(15) {
                return m;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Waits (up to 15 s) for a message that `pred` accepts; panics with what arrived if none.
    pub fn wait_for_match(&self, pred: impl Fn(&Value) -> bool) -> Value {
        let start = std::time::Instant::now();
        loop {
            let m = self.messages();
            if let Some(found) = m.iter().find(|m| pred(m)) {
                return found.clone();
            }
            if start.elapsed() > std::time::Duration::from_secs(15) {
                panic!("no matching e-mail among {m:#?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Validates an OCDS release package against `domain/data/ocds-1.1.5/` (or `OCDS_SCHEMA_DIR`)
/// with `scripts/validate_ocds.py` (Debian's python3-jsonschema). Panics when the validator
/// cannot run.
pub fn validate_ocds(package: &Value) -> Result<(), String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let schemas = std::env::var_os("OCDS_SCHEMA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../domain/data/ocds-1.1.5"
            ))
        });
    let file = std::env::temp_dir().join(format!("jiebang-ocds-e2e-{}.json", unique()));
    std::fs::write(&file, serde_json::to_vec_pretty(package).unwrap()).unwrap();
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(manifest.join("../scripts/validate_ocds.py"))
        .arg(&schemas)
        .arg(&file)
        .output()
        .expect("run /usr/bin/python3");
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(stdout),
        _ => panic!(
            "the OCDS validator did not run: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

const AWARD_PROBLEM: &str = "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。";

/// A 赛马 challenge (two winners at most) closed with two eligible bids, each scored by the one
/// assigned expert; returns (challenge, [bid ids], second bidder token).
pub fn scored(app: &TestApp, cast: &mut Cast) -> (String, Vec<String>, String) {
    let (challenge, bids, other, expert) = assigned(app, cast);
    for b in &bids {
        app.put(&format!("/api/v1/bids/{b}/scores"), Some(&expert), &json!({"scores": [
            {"criterion": "c1", "score": 80, "comment": "可行"}, {"criterion": "c2", "score": 80, "comment": "可靠"}]})).expect(200);
    }
    (challenge, bids, other)
}

/// A 赛马 challenge (two winners at most) closed with two eligible bids, a rubric of two
/// criteria (技术方案 60 %, 团队实力 40 %) and one expert (`expert@experts.cn`) assigned, nothing
/// scored yet; returns (challenge, [bid ids], second bidder token, expert token).
pub fn assigned(app: &TestApp, cast: &mut Cast) -> (String, Vec<String>, String, String) {
    let (challenge, bids, other) = closed(app, cast);
    let expert = app.platform_user("expert", "expert@experts.cn", None);
    let expert_id = app.get("/api/v1/me", Some(&expert)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expert = app.token("expert@experts.cn");
    app.post(
        &format!("/api/v1/challenges/{challenge}/experts"),
        Some(&cast.official),
        &json!({"expert_ids": [expert_id]}),
    )
    .expect(200);
    (challenge, bids, other, expert)
}

/// A 赛马 challenge (two winners at most) closed with two eligible bids (the cast's bidder's and
/// a second institute's) and a rubric of two criteria (技术方案 60 %, 团队实力 40 %), no expert
/// assigned yet; returns (challenge, [bid ids], second bidder token).
pub fn closed(app: &TestApp, cast: &mut Cast) -> (String, Vec<String>, String) {
    let mut body = app.challenge_body(
        "赛马制：千标方级电解水制氢关键装备",
        "新能源",
        AWARD_PROBLEM,
        10,
    );
    body["max_winners"] = json!(2);
    let challenge = app.publish(&cast.publisher, &cast.official, &body);
    let (_, other) = app.verified_org(
        "lead@iee.ac.cn",
        "中国科学院电工研究所",
        "institute",
        "110108",
    );
    let bid_body = json!({
        "approach": "采用宽功率碱性电解槽与多槽协同调度，结合风光功率预测实现快速响应与稳定运行。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机与示范运行"}],
        "requested_fiscal": 1_500_000, "own_funds": 500_000
    });
    let mut bids = Vec::new();
    for token in [&cast.bidder, &other] {
        let id = app
            .post(
                &format!("/api/v1/challenges/{challenge}/bids"),
                Some(token),
                &bid_body,
            )
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(
            &format!("/api/v1/bids/{id}/submit"),
            Some(token),
            &json!({}),
        )
        .expect(200);
        bids.push(id);
    }
    app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.publisher),
        &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
    app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
    cast.relogin(app);
    let other = app.token("lead@iee.ac.cn");
    app.wait_until("close", || {
        app.get(
            &format!("/api/v1/challenges/{challenge}"),
            Some(&cast.official),
        )
        .json["status"]
            == "evaluating"
    });
    (challenge, bids, other)
}

/// A 赛马 challenge awarded to two bids; returns (challenge, [agreement ids], second bidder token).
pub fn awarded(app: &TestApp, cast: &mut Cast) -> (String, Vec<String>, String) {
    let (challenge, bids, other) = scored(app, cast);
    app.post(
        &format!("/api/v1/challenges/{challenge}/awards"),
        Some(&cast.publisher),
        &json!({"bid_ids": bids}),
    )
    .expect(200);
    let award = app
        .post(
            &format!("/api/v1/challenges/{challenge}/awards/confirm"),
            Some(&cast.official),
            &json!({}),
        )
        .expect(200)
        .json;
    let ids = award["agreement_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    (challenge, ids, other)
}

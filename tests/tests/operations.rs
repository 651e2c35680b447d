//! Operations: `/metrics` scraped and parsed as Prometheus text, who may scrape it, a graceful
//! stop that lets a request in flight finish, and a backup taken under load that restores to a
//! database on which the demo flow continues.

use jiebang_tests::{Db, TestApp};
use serde_json::json;
use std::io::{Read, Write};

const DEMO_PASSWORD: &str = "Jiebang-Demo-2026";

fn scrape(app: &TestApp, token: Option<&str>) -> jiebang_tests::Resp {
    app.get("/metrics", token)
}

fn parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("not Prometheus text: {e}\n{text}"))
}

fn value(scrape: &prometheus_parse::Scrape, name: &str) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name)
        .unwrap_or_else(|| panic!("no {name}"));
    match sample.value {
        prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Untyped(v) => v,
        ref other => panic!("{name}: {other:?}"),
    }
}

jiebang_tests::on_both_databases! {
    fn metrics_are_prometheus_text_with_every_figure(app) {
        let cast = app.cast();
        app.publish(&cast.publisher, &cast.official, &app.challenge_body(
            "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用", "新能源",
            "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。", 10));
        app.get("/api/v1/challenges?limit=5", None).expect(200);
        app.get("/api/v1/challenges/00000000-0000-0000-0000-000000000000", None).expect(404);
        for i in 0..6 {
            app.post("/api/v1/auth/login", None, &json!({"email": "nobody@ordos.cn", "password": format!("guess-{i}")}));
        }
        let r = scrape(&app, None).expect(200);
        if std::env::var_os("SHOW_METRICS").is_some() {
            eprintln!("{}", r.body);
        }
        assert!(r.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
        let m = parse(&r.body);
        // latency by route pattern (never the raw path, whose ids would multiply the series)
        let counts: Vec<&str> = r.body.lines().filter(|l| l.starts_with("jiebang_http_request_duration_seconds_count{")).collect();
        assert!(counts.iter().any(|l| l.contains(r#"route="/api/v1/challenges",status="200""#)), "{counts:?}");
        assert!(counts.iter().any(|l| l.contains(r#"route="/api/v1/challenges/{id}",status="404""#)), "{counts:?}");
        assert!(!r.body.contains("00000000-0000"));
        let buckets = r.body.lines().filter(|l| l.starts_with("jiebang_http_request_duration_seconds_bucket{") && l.contains(r#"route="/api/v1/challenges/{id}""#)).count();
        assert_eq!(buckets, 14, "13 bounds and +Inf");
        assert!(m.samples.iter().any(|s| s.metric == "jiebang_http_request_duration_seconds" && matches!(s.value, prometheus_parse::Value::Histogram(_))));
        assert_eq!(value(&m, "jiebang_login_refusals_total"), 1.0);
        // the publication's e-mails wait in the outbox (delivered every few seconds in tests)
        assert!(value(&m, "jiebang_outbox_pending") >= 0.0);
        assert!(value(&m, "jiebang_outbox_oldest_pending_age_seconds") >= 0.0);
        assert_eq!(value(&m, "jiebang_scheduler_lag_seconds"), 0.0);
        assert_eq!(value(&m, "jiebang_db_pool_max_connections"), 4.0);
        assert!(value(&m, "jiebang_db_pool_in_use") >= 0.0);
        assert!(value(&m, "jiebang_db_pool_waiting") >= 0.0);
        app.wait_until("a scheduler pass", || {
            value(&parse(&scrape(&app, None).body), "jiebang_scheduler_last_tick_timestamp_seconds") > 0.0
        });
    }
}

#[test]
fn the_outbox_and_scheduler_figures_move() {
    // a slow outbox, so that messages wait in it
    let app = TestApp::try_spawn_with(Db::Sqlite, |c| c.outbox_interval_ms = 3_600_000).unwrap();
    let cast = app.cast();
    let id = app.publish(&cast.publisher, &cast.official, &app.challenge_body(
        "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用", "新能源",
        "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。", 10));
    app.advance(chrono::Duration::minutes(5));
    let m = parse(&scrape(&app, None).expect(200).body);
    assert!(value(&m, "jiebang_outbox_pending") >= 1.0);
    assert!(value(&m, "jiebang_outbox_oldest_pending_age_seconds") >= 300.0);
    // a deadline the scheduler has not closed yet shows as lag: the scheduler is stopped by
    // moving the deadline under it in the database, past what it has seen
    app.state
        .db
        .write(|c| {
            use jiebang_db::diesel::prelude::*;
            use jiebang_db::schema::challenges::dsl as ch;
            jiebang_db::diesel::update(ch::challenges.find(&id))
                .set(
                    ch::bidding_deadline
                        .eq((app.now() - chrono::Duration::seconds(30)).naive_utc()),
                )
                .execute(c)
        })
        .unwrap();
    let lag = value(
        &parse(&scrape(&app, None).body),
        "jiebang_scheduler_lag_seconds",
    );
    // either the scrape came first (30 s of lag) or the scheduler already closed it (0)
    assert!(lag == 0.0 || (30.0..31.0).contains(&lag), "{lag}");
    app.wait_until("the close", || {
        value(
            &parse(&scrape(&app, None).body),
            "jiebang_scheduler_lag_seconds",
        ) == 0.0
    });
}

#[test]
fn metrics_are_closed_behind_a_proxy_except_with_the_token() {
    let app = TestApp::try_spawn_with(Db::Sqlite, |c| {
        c.trust_proxy = true;
        c.metrics_token = Some("metrics-token-7f3a9c".into());
    })
    .unwrap();
    // behind a proxy every request comes from loopback: that is no longer enough
    scrape(&app, None).problem(403, "forbidden");
    scrape(&app, Some("wrong-token")).problem(403, "forbidden");
    parse(&scrape(&app, Some("metrics-token-7f3a9c")).expect(200).body);
}

#[test]
fn a_graceful_stop_lets_a_request_in_flight_finish() {
    let app = TestApp::spawn(Db::Sqlite);
    let addr = app.base.trim_start_matches("http://").to_owned();
    let body = br#"{"email": "nobody@ordos.cn", "password": "not-the-password-1"}"#;
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(&body[..10]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // the stop begins while the request is half sent
    let handle = app.server_handle();
    let stopping =
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(true)));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // no new connection is taken any more
    let refused = std::net::TcpStream::connect(&addr).map(|mut c| {
        c.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
        let mut buf = [0u8; 64];
        c.read(&mut buf).unwrap_or(0)
    });
    assert!(
        matches!(refused, Err(_) | Ok(0)),
        "a new connection was served: {refused:?}"
    );
    // the request in flight is answered in full
    conn.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(response.contains("invalid_credentials"), "{response}");
    stopping.join().unwrap();
}

/// A backup taken while the demo data is being written to restores to a database with every
/// write acknowledged before the backup began, on which the demo flow continues.
#[test]
fn a_backup_under_load_restores_and_the_demo_flow_continues() {
    let app = TestApp::spawn(Db::Sqlite);
    jiebang_api::demo::run(&app.state.db, &app.state.rules, &app.state.ctx.keys).unwrap();
    let uni = app.token_with("university@demo.jiebang.cn", DEMO_PASSWORD);
    // the demo data was written beside the server: its search index catches up within moments
    let search = || {
        app.get(
            "/api/v1/challenges?q=%E7%94%B5%E8%A7%A3%E6%B0%B4%E5%88%B6%E6%B0%A2",
            None,
        )
        .json["items"][0]["id"]
            .as_str()
            .map(str::to_owned)
    };
    app.wait_until("the index", || search().is_some());
    let h2 = search().unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let backup = app.data_dir.join("backup.db");
    let (before, acknowledged) = std::thread::scope(|s| {
        let writers: Vec<_> = (0..3)
            .map(|w| {
                let (app, uni, h2, stop) = (&app, &uni, &h2, &stop);
                s.spawn(move || {
                    let mut ids = Vec::new();
                    let mut i = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let r = app.post(&format!("/api/v1/challenges/{h2}/questions"), Some(uni),
                            &json!({"question": format!("第 {w}-{i} 个问题：示范项目是否提供氢源与场地？")}));
                        assert_eq!(r.status, 201, "{}", r.body);
                        ids.push(r.json["id"].as_str().unwrap().to_owned());
                        i += 1;
                    }
                    ids
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let count = || {
            app.state
                .db
                .read(|c| {
                    use jiebang_db::diesel::prelude::*;
                    jiebang_db::schema::questions::table
                        .count()
                        .get_result::<i64>(c)
                })
                .unwrap()
        };
        let before = count();
        let mut config = app.state.config.clone();
        config.database_url = Some(format!(
            "sqlite://{}",
            app.data_dir.join("jiebang.db").display()
        ));
        jiebang_api::cli::backup(&config, &backup).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let acknowledged: Vec<String> = writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        (before, acknowledged)
    });
    assert!(
        acknowledged.len() as i64 > before,
        "writes went on during the backup"
    );
    // the target must not exist: a second backup to the same file is refused
    let mut config = app.state.config.clone();
    config.database_url = Some(format!(
        "sqlite://{}",
        app.data_dir.join("jiebang.db").display()
    ));
    assert!(jiebang_api::cli::backup(&config, &backup)
        .unwrap_err()
        .contains("exists"));

    // the restore drill: a new server on the backup file, given the master key that seals the
    // platform's signing keys (kept apart from the backup; docs/operations.md)
    let restored_file = backup.clone();
    let master = std::fs::read_to_string(app.data_dir.join("master-key")).unwrap();
    let restored = TestApp::try_spawn_with(Db::Sqlite, move |c| {
        c.database_url = Some(format!("sqlite://{}", restored_file.display()));
        c.master_key = Some(master);
    })
    .unwrap();
    let listed = restored
        .state
        .db
        .read(|c| {
            use jiebang_db::diesel::prelude::*;
            jiebang_db::schema::questions::table
                .select(jiebang_db::schema::questions::id)
                .load::<String>(c)
        })
        .unwrap();
    assert!(listed.len() as i64 >= before, "{} < {before}", listed.len());
    // every question in the copy is one that was acknowledged (nothing half-written)
    assert!(listed.iter().all(|q| acknowledged.contains(q)));
    // and the demo flow continues: an enterprise drafts and submits, the official approves, the
    // university asks and bids on the copy
    let ent = restored.token_with("hydrogen@demo.jiebang.cn", DEMO_PASSWORD);
    let off = restored.token_with("official@demo.jiebang.cn", DEMO_PASSWORD);
    let mut body = restored.challenge_body("兆瓦级固态储氢系统关键技术研发与示范", "新能源",
        "针对风光制氢项目储运成本高的问题，研发兆瓦级固态储氢材料与系统集成技术，在包头开展示范应用。", 30);
    body["contact"]["email"] = json!("hydrogen@demo.jiebang.cn");
    let id = restored
        .post("/api/v1/challenges", Some(&ent), &body)
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    restored
        .post(
            &format!("/api/v1/challenges/{id}/submit"),
            Some(&ent),
            &json!({}),
        )
        .expect(200);
    let published = restored
        .post(
            &format!("/api/v1/challenges/{id}/review"),
            Some(&off),
            &json!({"decision": "approve"}),
        )
        .expect(200)
        .json;
    assert_eq!(published["status"], "published");
    let uni = restored.token_with("university@demo.jiebang.cn", DEMO_PASSWORD);
    restored
        .post(
            &format!("/api/v1/challenges/{id}/questions"),
            Some(&uni),
            &json!({"question": "示范项目是否提供氢源与场地？"}),
        )
        .expect(201);
}

//! Notifications: the outbox delivered to a real SMTP server (aiosmtpd), retries through an
//! outage, several workers without duplicates, reminders once, .eml files without SMTP,
//! preferences, subscriptions, the in-app list, and nothing sent for a rolled-back change.

use jiebang_tests::{Db, SmtpSink, TestApp};
use serde_json::{json, Value};

const PROBLEM: &str = "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。";
const TITLE: &str = "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用";

fn spawn(db: Db, smtp: Option<String>, retry_seconds: i64) -> Option<TestApp> {
    TestApp::try_spawn_with(db, move |c| {
        c.smtp_url = smtp;
        c.outbox_interval_ms = 50;
        c.mail_retry_seconds = retry_seconds;
    })
}

fn simple_bid() -> Value {
    json!({
        "approach": "采用宽功率碱性电解槽与多槽协同调度，结合风光功率预测实现快速响应与稳定运行。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}],
        "requested_fiscal": 1_000_000, "own_funds": 500_000
    })
}

fn to(m: &Value) -> String {
    m["rcpt_tos"][0].as_str().unwrap().to_owned()
}

fn events_reach_a_real_smtp_server(db: Db) {
    let sink = SmtpSink::start();
    let Some(app) = spawn(db, Some(sink.url()), 30) else {
        return;
    };
    let cast = app.cast();
    // a subscriber to 制氢
    app.put(
        "/api/v1/me/subscriptions",
        Some(&cast.bidder),
        &json!({"industries": [], "keywords": ["制氢"]}),
    )
    .expect(200);
    let challenge = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(TITLE, "新能源", PROBLEM, 10),
    );
    let q = app
        .post(
            &format!("/api/v1/challenges/{challenge}/questions"),
            Some(&cast.bidder),
            &json!({"question": "是否提供示范场地？"}),
        )
        .expect(201)
        .json;
    app.post(
        &format!("/api/v1/questions/{}/answer", q["id"].as_str().unwrap()),
        Some(&cast.publisher),
        &json!({"answer": "提供，位于包头。"}),
    )
    .expect(200);
    let bid = app
        .post(
            &format!("/api/v1/challenges/{challenge}/bids"),
            Some(&cast.bidder),
            &simple_bid(),
        )
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/bids/{bid}/submit"),
        Some(&cast.bidder),
        &json!({}),
    )
    .expect(200);

    // another university bids with the bidder as its consortium member, withdraws, and leaves a
    // second bid as a draft: the member is told of the withdrawal, and both of the lapse (#12)
    let (_, lead) = app.verified_org("lead@imau.edu.cn", "内蒙古农业大学", "university", "150102");
    let mut consortium_bid = simple_bid();
    consortium_bid["members"] =
        json!([{"organization_id": cast.bidder_org, "role": "关键材料研发", "share_percent": 30}]);
    for withdraw in [true, false] {
        let id = app
            .post(
                &format!("/api/v1/challenges/{challenge}/bids"),
                Some(&lead),
                &consortium_bid,
            )
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        if withdraw {
            app.post(
                &format!("/api/v1/bids/{id}/withdraw"),
                Some(&lead),
                &json!({}),
            )
            .expect(200);
        }
    }

    // submitted (official) + published (publisher) + subscription (bidder) + answer (bidder) +
    // receipt (bidder) + withdrawal (the lead and its member)
    // (registering the second university also tells the official: each message is waited for
    // by what it is, not by a count)
    let find = |kind_subject: &str, rcpt: &str| {
        sink.wait_for_match(|m| {
            m["subject"].as_str().unwrap_or("").contains(kind_subject) && to(m) == rcpt
        })
    };
    let published = find("榜单已发布", "publisher@bfhi.com.cn");
    assert!(published["text"].as_str().unwrap().contains("北京时间"));
    assert!(published["html"].as_str().unwrap().contains(TITLE));
    find("待审核榜单", "official@kjt.nmg.gov.cn");
    find("新榜单", "bidder@imu.edu.cn");
    let answer = find("答疑已发布", "bidder@imu.edu.cn");
    assert!(answer["text"]
        .as_str()
        .unwrap()
        .contains("提供，位于包头。"));
    find("申报已提交", "bidder@imu.edu.cn");
    let withdrawn = find("申报已撤回", "bidder@imu.edu.cn");
    assert!(withdrawn["text"].as_str().unwrap().contains("牵头单位撤回"));
    find("申报已撤回", "lead@imau.edu.cn");
    // the Message-ID is the outbox's, and the outbox knows them sent
    let outbox = app
        .state
        .db
        .read(|c| jiebang_db::notifications::emails_of_kind(c, "challenge_published"))
        .unwrap();
    assert_eq!(published["message_id"], outbox[0].message_id.as_str());
    app.wait_until("marked sent", || {
        app.state
            .db
            .read(|c| jiebang_db::notifications::emails_of_kind(c, "challenge_published"))
            .unwrap()[0]
            .status
            == "sent"
    });
    // the in-app list has them too, with an unread count
    let inbox = app
        .get("/api/v1/me/notifications", Some(&cast.bidder))
        .expect(200)
        .json;
    assert_eq!(inbox["unread_count"], 4);
    let first = inbox["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/me/notifications/{first}/read"),
            Some(&cast.bidder),
            &json!({})
        )
        .expect(200)
        .json["unread_count"],
        3
    );
    app.post(
        &format!("/api/v1/me/notifications/{first}/read"),
        Some(&cast.publisher),
        &json!({}),
    )
    .problem(404, "not_found");
    assert_eq!(
        app.post(
            "/api/v1/me/notifications/read-all",
            Some(&cast.bidder),
            &json!({})
        )
        .expect(200)
        .json["unread_count"],
        0
    );

    // the award reaches the bidder (in English, its user's choice) and the publisher
    app.patch("/api/v1/me", Some(&cast.bidder), &json!({"locale": "en"}))
        .expect(200);
    app.patch("/api/v1/me", Some(&cast.bidder), &json!({"locale": "fr"}))
        .problem(422, "validation_failed")
        .has_field_error("locale", "invalid_value");
    app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.publisher),
        &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
    let expert = app.platform_user("expert", "expert@experts.cn", None);
    let expert_id = app.get("/api/v1/me", Some(&expert)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
    let mut cast = cast;
    cast.relogin(&app);
    let expert = app.token("expert@experts.cn");
    app.wait_until("close", || {
        app.get(
            &format!("/api/v1/challenges/{challenge}"),
            Some(&cast.official),
        )
        .json["status"]
            == "evaluating"
    });
    // the draft left at the close lapsed: its lead is told in Chinese, its member (now English)
    // in English, with the deadline in Beijing time
    let lapsed = |rcpt: &str| {
        sink.wait_for_match(|m| {
            to(m) == rcpt && {
                let s = m["subject"].as_str().unwrap_or("");
                s.contains("申报草稿已失效") || s.contains("Draft bid lapsed")
            }
        })
    };
    assert!(lapsed("lead@imau.edu.cn")["text"]
        .as_str()
        .unwrap()
        .contains("北京时间"));
    let member = lapsed("bidder@imu.edu.cn");
    assert!(member["subject"]
        .as_str()
        .unwrap()
        .starts_with("[Jiebang] Draft bid lapsed"));
    assert!(member["text"].as_str().unwrap().contains("Beijing time"));
    app.post(
        &format!("/api/v1/challenges/{challenge}/experts"),
        Some(&cast.official),
        &json!({"expert_ids": [expert_id]}),
    )
    .expect(200);
    app.put(&format!("/api/v1/bids/{bid}/scores"), Some(&expert), &json!({"scores": [
        {"criterion": "c1", "score": 85, "comment": "方案可行"}, {"criterion": "c2", "score": 80, "comment": "团队可靠"}]})).expect(200);
    app.post(
        &format!("/api/v1/challenges/{challenge}/awards"),
        Some(&cast.publisher),
        &json!({"bid_ids": [bid]}),
    )
    .expect(200);
    app.post(
        &format!("/api/v1/challenges/{challenge}/awards/confirm"),
        Some(&cast.official),
        &json!({}),
    )
    .expect(200);
    let start = std::time::Instant::now();
    let awards = loop {
        let a: Vec<Value> = sink
            .messages()
            .into_iter()
            .filter(|m| {
                let s = m["subject"].as_str().unwrap_or("");
                s.contains("立项结果公示") || s.contains("Award confirmed")
            })
            .collect();
        if a.len() >= 2 || start.elapsed() > std::time::Duration::from_secs(15) {
            break a;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let english = awards
        .iter()
        .find(|m| to(m) == "bidder@imu.edu.cn")
        .expect("award to the bidder");
    assert!(english["subject"]
        .as_str()
        .unwrap()
        .starts_with("[Jiebang] Award confirmed"));
    assert!(english["text"].as_str().unwrap().contains("was confirmed"));
    assert!(awards.iter().any(|m| to(m) == "publisher@bfhi.com.cn"
        && m["subject"].as_str().unwrap().contains("立项结果公示")));
}

#[test]
fn events_reach_a_real_smtp_server_sqlite() {
    events_reach_a_real_smtp_server(Db::Sqlite);
}

#[test]
fn events_reach_a_real_smtp_server_postgres() {
    events_reach_a_real_smtp_server(Db::Postgres);
}

fn an_smtp_outage_delays_but_loses_nothing(db: Db) {
    let port = SmtpSink::reserve_port();
    let Some(app) = spawn(db, Some(format!("smtp://127.0.0.1:{port}")), 60) else {
        return;
    };
    let mut cast = app.cast();
    for i in 0..3 {
        app.publish(
            &cast.publisher,
            &cast.official,
            &app.challenge_body(
                &format!("第{i}号榜单：电解水制氢装备"),
                "新能源",
                PROBLEM,
                10,
            ),
        );
    }
    // the server is down: attempts fail and are rescheduled, nothing is lost
    app.wait_until("failed attempts", || {
        let rows = app
            .state
            .db
            .read(|c| jiebang_db::notifications::emails_with_status(c, "pending", 100))
            .unwrap();
        rows.len() == 6
            && rows
                .iter()
                .all(|r| r.attempts >= 1 && r.last_error.is_some())
    });
    // it comes back a minute later; the retries go out, each message once
    let sink = SmtpSink::start_on(port);
    app.advance(chrono::Duration::minutes(5));
    cast.relogin(&app);
    let mails = sink.wait_for(6);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mails = if mails.len() < sink.messages().len() {
        sink.messages()
    } else {
        mails
    };
    let mut ids: Vec<&str> = mails
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6);
    assert_eq!(mails.len(), 6, "no duplicates");
}

#[test]
fn an_smtp_outage_delays_but_loses_nothing_sqlite() {
    an_smtp_outage_delays_but_loses_nothing(Db::Sqlite);
}

#[test]
fn an_smtp_outage_delays_but_loses_nothing_postgres() {
    an_smtp_outage_delays_but_loses_nothing(Db::Postgres);
}

#[test]
fn two_workers_deliver_a_thousand_messages_once() {
    let sink = SmtpSink::start();
    let Some(app) = spawn(Db::Postgres, Some(sink.url()), 30) else {
        return;
    };
    let peer = app.spawn_peer();
    let user = app.platform_user("official", "reader@kjt.nmg.gov.cn", None);
    let user_id = app.get("/api/v1/me", Some(&user)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = app.now();
    app.state
        .db
        .write(|conn| -> Result<(), jiebang_db::DbError> {
            for i in 0..1000 {
                let event = jiebang_notifications::Event::BiddingClosed {
                    challenge_id: format!("c{i}"),
                    title: format!("第{i}号榜单"),
                };
                let r = jiebang_notifications::render(
                    &event,
                    jiebang_notifications::Locale::Zh,
                    "http://127.0.0.1",
                );
                let id = jiebang_db::new_id();
                jiebang_db::notifications::insert_email(
                    conn,
                    &jiebang_db::notifications::OutboxEmail {
                        message_id: jiebang_notifications::message_id(&id, "jiebang.local"),
                        id,
                        user_id: Some(user_id.clone()),
                        kind: "bidding_closed".into(),
                        to_address: "reader@kjt.nmg.gov.cn".into(),
                        subject: r.subject,
                        body_text: r.text,
                        body_html: r.html,
                        status: "pending".into(),
                        attempts: 0,
                        next_attempt_at: now.naive_utc(),
                        claimed_until: None,
                        last_error: None,
                        created_at: now.naive_utc(),
                        sent_at: None,
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let start = std::time::Instant::now();
    while sink.messages().len() < 1000 && start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mails = sink.messages();
    let mut ids: Vec<String> = mails
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1000);
    assert_eq!(mails.len(), 1000, "no message was sent twice");
    drop(peer);
}

#[test]
fn reminders_fire_once_each_also_across_a_restart() {
    let Some(app) = spawn(Db::Sqlite, None, 30) else {
        return;
    };
    let mut cast = app.cast();
    let challenge = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(TITLE, "新能源", PROBLEM, 10),
    );
    app.post(
        &format!("/api/v1/challenges/{challenge}/bids"),
        Some(&cast.bidder),
        &simple_bid(),
    )
    .expect(201);
    let count = |app: &TestApp| {
        app.state
            .db
            .read(|c| jiebang_db::notifications::emails_of_kind(c, "deadline_reminder"))
            .unwrap()
            .len()
    };
    app.advance(chrono::Duration::days(7) + chrono::Duration::hours(1));
    app.wait_until("3-day reminder", || count(&app) == 1);
    // another instance (a restart, or a second server) does not send it again
    let peer = app.spawn_peer();
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(count(&app), 1);
    app.advance(chrono::Duration::days(2));
    app.wait_until("1-day reminder", || count(&app) == 2);
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(count(&peer), 2);
    cast.relogin(&app);
    let mails = app
        .state
        .db
        .read(|c| jiebang_db::notifications::emails_of_kind(c, "deadline_reminder"))
        .unwrap();
    assert!(mails.iter().all(|m| m.to_address == "bidder@imu.edu.cn"));
    assert!(
        mails.iter().any(|m| m.subject.contains("1 天"))
            && mails.iter().any(|m| m.subject.contains("3 天"))
    );
}

#[test]
fn without_smtp_mail_is_written_as_eml_files() {
    let app = spawn(Db::Sqlite, None, 30).unwrap();
    let cast = app.cast();
    app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(TITLE, "新能源", PROBLEM, 10),
    );
    let dir = app.data_dir.join("outbox");
    // the finished messages only: each is written to a hidden temporary file first and renamed
    // into place, and the worker delivers them in its own time (counting any two entries of the
    // directory once let the check run before the publisher's message was there)
    let eml = || -> Vec<String> {
        std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let for_publisher =
        |m: &String| m.contains("publisher@bfhi.com.cn") && m.contains("Message-ID: <");
    app.wait_until(".eml files", || {
        let eml = eml();
        eml.len() >= 2 && eml.iter().any(for_publisher)
    });
    let eml = eml();
    assert!(eml.len() >= 2);
    assert!(eml.iter().any(for_publisher));
}

#[test]
fn preferences_turn_email_off_but_not_the_inbox() {
    let app = spawn(Db::Sqlite, None, 30).unwrap();
    let cast = app.cast();
    let prefs = app
        .put(
            "/api/v1/me/notification-preferences",
            Some(&cast.publisher),
            &json!({"email": {"challenge_published": false}}),
        )
        .expect(200)
        .json;
    assert_eq!(prefs["email"]["challenge_published"], false);
    assert_eq!(prefs["email"]["challenge_returned"], true);
    app.put(
        "/api/v1/me/notification-preferences",
        Some(&cast.publisher),
        &json!({"email": {"nonsense": false}}),
    )
    .problem(422, "validation_failed")
    .has_field_error("email.nonsense", "unknown_kind");
    app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(TITLE, "新能源", PROBLEM, 10),
    );
    let mails = app
        .state
        .db
        .read(|c| jiebang_db::notifications::emails_of_kind(c, "challenge_published"))
        .unwrap();
    assert!(mails.is_empty());
    let inbox = app
        .get("/api/v1/me/notifications", Some(&cast.publisher))
        .expect(200)
        .json;
    assert_eq!(inbox["items"][0]["kind"], "challenge_published");
}

#[test]
fn a_rolled_back_change_sends_nothing() {
    let app = spawn(Db::Sqlite, None, 30).unwrap();
    let cast = app.cast();
    let user = app.get("/api/v1/me", Some(&cast.publisher)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = app.now();
    let result = app
        .state
        .db
        .write(|conn| -> jiebang_api::error::ApiResult<()> {
            let event = jiebang_notifications::Event::BiddingClosed {
                challenge_id: "c".into(),
                title: "回滚测试".into(),
            };
            jiebang_api::notify::notify(
                conn,
                "http://127.0.0.1",
                std::slice::from_ref(&user),
                &event,
                now,
            )?;
            // a refusal after the notice was enqueued rolls the whole change back
            Err(jiebang_api::error::ApiError::with(
                jiebang_domain::Code::VersionConflict,
                "the change fails after enqueuing",
            ))
        });
    assert!(result.is_err());
    let mails = app
        .state
        .db
        .read(|c| jiebang_db::notifications::emails_of_kind(c, "bidding_closed"))
        .unwrap();
    assert!(mails.is_empty());
    assert_eq!(
        app.get("/api/v1/me/notifications", Some(&cast.publisher))
            .json["unread_count"],
        0
    );
}

#[test]
fn admins_see_failed_mail_and_retry_it() {
    let port = SmtpSink::reserve_port();
    let app = TestApp::try_spawn_with(Db::Sqlite, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.outbox_interval_ms = 50;
        c.mail_max_attempts = 1;
    })
    .unwrap();
    let cast = app.cast();
    app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(TITLE, "新能源", PROBLEM, 10),
    );
    app.wait_until("failed", || {
        app.get("/api/v1/admin/outbox", Some(&cast.admin))
            .json
            .as_array()
            .is_some_and(|a| a.len() == 2)
    });
    let failed = app
        .get("/api/v1/admin/outbox", Some(&cast.admin))
        .expect(200)
        .json;
    assert!(failed[0]["last_error"].is_string());
    assert!(
        failed[0]["to"].as_str().unwrap().contains("***@"),
        "addresses are masked"
    );
    app.get("/api/v1/admin/outbox", Some(&cast.official))
        .problem(403, "forbidden");
    let sink = SmtpSink::start_on(port);
    for m in failed.as_array().unwrap() {
        app.post(
            &format!("/api/v1/admin/outbox/{}/retry", m["id"].as_str().unwrap()),
            Some(&cast.admin),
            &json!({}),
        )
        .expect(200);
    }
    assert_eq!(sink.wait_for(2).len(), 2);
    let id = failed[0]["id"].as_str().unwrap();
    app.wait_until("sent", || {
        app.get("/api/v1/admin/outbox?status=sent", Some(&cast.admin))
            .json
            .as_array()
            .is_some_and(|a| a.len() == 2)
    });
    app.post(
        &format!("/api/v1/admin/outbox/{id}/retry"),
        Some(&cast.admin),
        &json!({}),
    )
    .problem(409, "not_failed");
}

jiebang_tests::on_both_databases! {
    // Two instances racing for the same reminder: the second's record is refused by the primary
    // key, quietly, and its transaction goes on (on PostgreSQL a failed statement would abort it)
    fn a_reminder_recorded_twice_is_taken_not_an_error(app) {
        let now = chrono::Utc::now().naive_utc();
        let outcome = app.state.db.write(|c| -> Result<_, jiebang_db::DbError> {
            let first = jiebang_db::settings::record_reminder(c, "deadline-1d:race", now)?;
            let second = jiebang_db::settings::record_reminder(c, "deadline-1d:race", now)?;
            let after = jiebang_db::settings::record_reminder(c, "deadline-3d:race", now)?;
            Ok((first, second, after))
        });
        assert_eq!(outcome.unwrap(), (true, false, true));
        let again = app.state.db.write(|c| jiebang_db::settings::record_reminder(c, "deadline-3d:race", now));
        assert!(!again.unwrap());
    }
}

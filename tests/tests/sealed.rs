//! Sealed means sealed (issue #11): what an outside test found, each case a request that must
//! not show a sealed bid or confirm a secret.

use jiebang_tests::on_both_databases;
use serde_json::json;

const PROBLEM: &str =
    "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。";

/// A complete bid asking for `fiscal` yuan and `own` of its own.
fn bid_body(fiscal: i64, own: i64) -> serde_json::Value {
    json!({
        "approach": "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制与风场示范应用。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}],
        "requested_fiscal": fiscal, "own_funds": own
    })
}

on_both_databases! {
    fn the_ocds_export_never_shows_a_bid_of_a_challenge_cancelled_before_its_deadline(app) {
        let cast = app.cast();
        let body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
        let challenge = app.publish(&cast.publisher, &cast.official, &body);
        // a marker amount that appears nowhere else
        let bid = app
            .post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &bid_body(1_234_567, 7_654))
            .expect(201)
            .json;
        app.post(&format!("/api/v1/bids/{}/submit", bid["id"].as_str().unwrap()), Some(&cast.bidder), &json!({})).expect(200);
        app.post(&format!("/api/v1/challenges/{challenge}/cancel"), Some(&cast.publisher), &json!({"reason": "项目调整"})).expect(200);
        let package = app.get("/api/v1/exports/ocds", Some(&cast.official)).expect(200);
        assert!(!package.body.contains(&cast.bidder_org), "the bidder is named: {}", package.body);
        assert!(!package.body.contains("1242221"), "the bid's amount shows");
        assert!(!package.body.contains(bid["id"].as_str().unwrap()), "the bid shows");
        // the challenge itself is in the export, cancelled
        assert!(package.body.contains(&challenge));
    }
}

on_both_databases! {
    fn an_assigned_expert_cannot_tell_a_withdrawn_bid_from_an_unknown_one(app) {
        let mut cast = app.cast();
        let body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
        let challenge = app.publish(&cast.publisher, &cast.official, &body);
        let bid = |token: &str| {
            app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(token), &bid_body(1_000_000, 100_000))
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned()
        };
        let withdrawn = bid(&cast.bidder);
        app.post(&format!("/api/v1/bids/{withdrawn}/withdraw"), Some(&cast.bidder), &json!({})).expect(200);
        let (_, other) = app.verified_org("lead@iee.ac.cn", "中国科学院电工研究所", "institute", "110108");
        let handed_in = bid(&other);
        app.post(&format!("/api/v1/bids/{handed_in}/submit"), Some(&other), &json!({})).expect(200);
        let expert = app.platform_user("expert", "expert@experts.cn", None);
        let expert_id = app.get("/api/v1/me", Some(&expert)).json["user"]["id"].as_str().unwrap().to_owned();
        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        let expert = app.token("expert@experts.cn");
        app.wait_until("the close", || app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.official)).json["status"] == "evaluating");
        app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official), &json!({"expert_ids": [expert_id]})).expect(200);
        app.get(&format!("/api/v1/bids/{handed_in}/scores"), Some(&expert)).expect(200);
        let refused = app.get(&format!("/api/v1/bids/{withdrawn}/scores"), Some(&expert)).problem(404, "not_found");
        let unknown = app.get("/api/v1/bids/00000000-0000-0000-0000-000000000000/scores", Some(&expert)).problem(404, "not_found");
        assert_eq!(refused.json, unknown.json);
    }
}

on_both_databases! {
    fn the_admins_outbox_does_not_say_who_is_bidding(app) {
        let cast = app.cast();
        let body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
        let challenge = app.publish(&cast.publisher, &cast.official, &body);
        let id = app
            .post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &bid_body(1_000_000, 100_000))
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(&format!("/api/v1/bids/{id}/submit"), Some(&cast.bidder), &json!({})).expect(200);
        // the receipt is written (as an .eml file here) and listed as sent
        let mut receipts = Vec::new();
        app.wait_until("the receipt", || {
            let all = app.get("/api/v1/admin/outbox?status=sent", Some(&cast.admin)).expect(200).json;
            receipts = all.as_array().unwrap().iter().filter(|m| m["kind"] == "bid_submitted").cloned().collect();
            !receipts.is_empty()
        });
        for m in &receipts {
            let text = m.to_string();
            assert!(!text.contains("imu.edu.cn"), "the bidder's domain shows: {text}");
            assert!(!text.contains("稀土永磁电机研发"), "the challenge shows: {text}");
        }
    }
}

on_both_databases! {
    fn concurrent_guesses_cannot_pass_the_login_limit(app) {
        app.register("target@ordos.cn", "鄂尔多斯目标科技有限公司", "enterprise", "150602");
        // 40 wrong passwords at once: the attempts are counted before hashing, so only the
        // account's limit (5) is checked against the hash; the rest are refused at once
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|i| {
                    let app = &app;
                    s.spawn(move || {
                        app.post("/api/v1/auth/login", None, &json!({"email": "target@ordos.cn", "password": format!("wrong-guess-{i}")}))
                            .status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, refused), (5, 35), "{statuses:?}");
    }
}

on_both_databases! {
    // two instances on one database share the count: guesses spread over both still meet the
    // account's limit of 5, and a success through either forgets the account's failures
    fn instances_share_the_login_limit(app) {
        app.register("target@ordos.cn", "鄂尔多斯目标科技有限公司", "enterprise", "150602");
        let peer = app.spawn_peer();
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|i| {
                    let server = if i % 2 == 0 { &app } else { &peer };
                    s.spawn(move || {
                        server.post("/api/v1/auth/login", None, &json!({"email": "target@ordos.cn", "password": format!("wrong-guess-{i}")}))
                            .status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, refused), (5, 35), "{statuses:?}");
        let r = peer.post("/api/v1/auth/login", None, &json!({"email": "target@ordos.cn", "password": jiebang_tests::PASSWORD}));
        assert_eq!(r.status, 429);
        assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 800);
        // a quarter of an hour later the window has passed; logging in clears the account
        app.advance(chrono::Duration::minutes(15));
        peer.post("/api/v1/auth/login", None, &json!({"email": "target@ordos.cn", "password": jiebang_tests::PASSWORD})).expect(200);
        for i in 0..4 {
            app.post("/api/v1/auth/login", None, &json!({"email": "target@ordos.cn", "password": format!("again-{i}")})).expect(401);
        }
        peer.post("/api/v1/auth/login", None, &json!({"email": "target@ordos.cn", "password": jiebang_tests::PASSWORD})).expect(200);
    }
}

on_both_databases! {
    fn the_public_summary_leaves_directed_challenges_out(app) {
        let cast = app.cast();
        let mut body = app.challenge_body("定向委托：稀土永磁电机研发", "稀土", PROBLEM, 10);
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!([cast.bidder_org]);
        let directed = app.publish(&cast.publisher, &cast.official, &body);
        let id = app
            .post(&format!("/api/v1/challenges/{directed}/bids"), Some(&cast.bidder), &bid_body(1_000_000, 100_000))
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(&format!("/api/v1/bids/{id}/submit"), Some(&cast.bidder), &json!({})).expect(200);
        let overview = app.get("/api/v1/stats/overview", None).expect(200).json;
        assert_eq!((overview["challenges_published"].as_i64(), overview["challenges_open"].as_i64(), overview["bids"].as_i64()), (Some(0), Some(0), Some(0)), "{overview}");
        app.publish(&cast.publisher, &cast.official, &app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10));
        let overview = app.get("/api/v1/stats/overview", None).expect(200).json;
        assert_eq!((overview["challenges_published"].as_i64(), overview["challenges_open"].as_i64()), (Some(1), Some(1)), "{overview}");
    }
}

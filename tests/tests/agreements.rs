//! Agreements: signing against the terms hash, changes clearing signatures, registration,
//! milestones, payments within the agreed amounts, and the challenge following its agreements.

use jiebang_domain::agreement::canonical_json;
use jiebang_tests::{awarded, on_both_databases, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn hash_of(terms: &Value) -> String {
    Sha256::digest(canonical_json(terms).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

on_both_databases! {
    fn signing_registration_milestones_and_payments(app) {
        let mut cast = app.cast();
        let (challenge, ids, other) = awarded(&app, &mut cast);
        let a = app.get(&format!("/api/v1/agreements/{}", ids[0]), Some(&cast.publisher)).expect(200).json;
        // the hash can be recomputed from the JSON the API returns
        assert_eq!(a["terms_hash"], hash_of(&a["terms"]).as_str());
        assert_eq!(a["status"], "drafted");
        let a_is_ours = a["terms"]["parties"][1]["organization_id"] == cast.bidder_org.as_str();
        let bidder_of_a = if a_is_ours { cast.bidder.clone() } else { other.clone() };
        // strangers do not see it; the list shows each party its own
        let (_, stranger) = app.verified_org("x@y.edu.cn", "某大学", "university", "150100");
        app.get(&format!("/api/v1/agreements/{}", ids[0]), Some(&stranger)).problem(404, "not_found");
        assert_eq!(app.get("/api/v1/agreements", Some(&cast.publisher)).expect(200).json["items"].as_array().unwrap().len(), 2);
        assert_eq!(app.get("/api/v1/agreements", Some(&bidder_of_a)).expect(200).json["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get("/api/v1/agreements?status=drafted", Some(&cast.official)).expect(200).json["items"].as_array().unwrap().len(), 2);

        // one party signs → partially_signed
        let hash = a["terms_hash"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/agreements/{}/sign", ids[0]), Some(&cast.publisher), &json!({"terms_hash": "0".repeat(64)})).problem(409, "terms_hash_mismatch");
        let signed1 = app.post(&format!("/api/v1/agreements/{}/sign", ids[0]), Some(&cast.publisher), &json!({"terms_hash": hash})).expect(200).json;
        assert_eq!(signed1["status"], "partially_signed");
        assert_eq!(signed1["signatures"][0]["terms_hash"], hash.as_str());
        app.post(&format!("/api/v1/agreements/{}/sign", ids[0]), Some(&cast.publisher), &json!({"terms_hash": hash})).problem(409, "already_signed");
        // a change of terms clears the signature and changes the hash
        let changed = app.patch(&format!("/api/v1/agreements/{}", ids[0]), Some(&bidder_of_a),
            &json!({"version": signed1["version"], "fiscal_amount": 1_200_000})).expect(200).json;
        assert_eq!(changed["status"], "drafted");
        assert_eq!(changed["signatures"], json!([]));
        let new_hash = changed["terms_hash"].as_str().unwrap().to_owned();
        assert_ne!(new_hash, hash);
        assert_eq!(new_hash, hash_of(&changed["terms"]));
        // the old hash is stale now
        app.post(&format!("/api/v1/agreements/{}/sign", ids[0]), Some(&bidder_of_a), &json!({"terms_hash": hash})).problem(409, "terms_hash_mismatch");
        app.post(&format!("/api/v1/agreements/{}/register", ids[0]), Some(&cast.official), &json!({})).problem(409, "agreement_not_signed");
        app.post(&format!("/api/v1/agreements/{}/sign", ids[0]), Some(&bidder_of_a), &json!({"terms_hash": new_hash})).expect(200);
        let signed = app.post(&format!("/api/v1/agreements/{}/sign", ids[0]), Some(&cast.publisher), &json!({"terms_hash": new_hash})).expect(200).json;
        assert_eq!(signed["status"], "signed");
        assert!(signed["signed_at"].is_string());
        app.patch(&format!("/api/v1/agreements/{}", ids[0]), Some(&cast.publisher), &json!({"version": signed["version"], "fiscal_amount": 1})).problem(409, "agreement_not_unsigned");
        app.post(&format!("/api/v1/agreements/{}/register", ids[0]), Some(&cast.publisher), &json!({})).problem(403, "forbidden");
        let registered = app.post(&format!("/api/v1/agreements/{}/register", ids[0]), Some(&cast.official), &json!({})).expect(200).json;
        assert_eq!(registered["status"], "registered");
        assert_eq!(registered["milestones"].as_array().unwrap().len(), 2);
        // one agreement registered, the other not: the challenge is still awarded
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}"), None).json["status"], "awarded");

        // milestones: reported by the bidder, confirmed by the publisher, paid within the agreed amounts
        let m1 = registered["milestones"][0]["id"].as_str().unwrap().to_owned();
        let m2 = registered["milestones"][1]["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/agreements/{}/milestones/{m1}/report", ids[0]), Some(&cast.publisher), &json!({"evidence": "方案已完成"})).problem(403, "not_bidder");
        app.post(&format!("/api/v1/agreements/{}/milestones/{m1}/confirm", ids[0]), Some(&cast.publisher), &json!({"met": true})).problem(409, "milestone_not_reported");
        app.post(&format!("/api/v1/agreements/{}/milestones/{m1}/report", ids[0]), Some(&bidder_of_a), &json!({"evidence": "总体方案已通过专家论证，附论证意见"})).expect(200);
        app.post(&format!("/api/v1/agreements/{}/milestones/{m1}/confirm", ids[0]), Some(&cast.publisher), &json!({"met": true})).expect(200);
        app.post(&format!("/api/v1/agreements/{}/payments", ids[0]), Some(&cast.official), &json!({"milestone_id": m1, "source": "fiscal", "amount": 700_000})).expect(200);
        app.post(&format!("/api/v1/agreements/{}/payments", ids[0]), Some(&cast.publisher), &json!({"milestone_id": m1, "source": "fiscal", "amount": 1})).problem(403, "forbidden");
        app.post(&format!("/api/v1/agreements/{}/payments", ids[0]), Some(&cast.official), &json!({"milestone_id": m2, "source": "fiscal", "amount": 500_001}))
            .problem(409, "overpayment");
        // an amount no agreement could hold (one that would wrap a 64-bit total round, or just past
        // the platform's bound) is refused as out of range, from either source, and nothing is paid
        for (who, source) in [(&cast.official, "fiscal"), (&cast.publisher, "enterprise")] {
            for amount in [i64::MAX, jiebang_domain::challenge::MAX_YUAN + 1] {
                app.post(&format!("/api/v1/agreements/{}/payments", ids[0]), Some(who), &json!({"milestone_id": m2, "source": source, "amount": amount}))
                    .problem(422, "validation_failed").has_field_error("amount", "out_of_range");
            }
        }
        assert_eq!(app.get(&format!("/api/v1/agreements/{}", ids[0]), Some(&cast.official)).json["paid_fiscal"], 700_000);
        // a payment can be dated: not in the future, not before the registration (issue #12)
        let pay_at = |at: chrono::DateTime<chrono::Utc>| app.post(&format!("/api/v1/agreements/{}/payments", ids[0]), Some(&cast.official),
            &json!({"milestone_id": m2, "source": "fiscal", "amount": 500_000, "paid_at": at.to_rfc3339()}));
        pay_at(app.now() + chrono::Duration::hours(1)).problem(422, "validation_failed").has_field_error("paid_at", "out_of_range");
        pay_at(app.now() - chrono::Duration::days(400)).problem(422, "validation_failed").has_field_error("paid_at", "out_of_range");
        let registered_at = chrono::DateTime::parse_from_rfc3339(registered["registered_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
        let at_registration = registered_at;
        let paid = pay_at(at_registration).expect(200).json;
        assert_eq!(paid["paid_fiscal"], 1_200_000);
        let recorded = paid["payments"].as_array().unwrap().iter().find(|p| p["amount"] == 500_000).unwrap();
        assert_eq!(chrono::DateTime::parse_from_rfc3339(recorded["paid_at"].as_str().unwrap()).unwrap().timestamp(), at_registration.timestamp());
        // milestones fall due in calendar months after registration, not 30-day months
        for m in registered["milestones"].as_array().unwrap() {
            let month = m["month"].as_u64().unwrap() as u32;
            let due = chrono::DateTime::parse_from_rfc3339(m["due_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
            assert_eq!(due.timestamp(), jiebang_domain::agreement::milestone_due(registered_at, month).timestamp());
        }
        app.post(&format!("/api/v1/agreements/{}/payments", ids[0]), Some(&cast.publisher), &json!({"milestone_id": m2, "source": "enterprise", "amount": 3_000_000})).expect(200);
        // completion needs every milestone met
        app.post(&format!("/api/v1/agreements/{}/complete", ids[0]), Some(&cast.official), &json!({})).problem(409, "agreement_not_all_milestones_met");
        app.advance(chrono::Duration::days(600));
        cast.relogin(&app);
        let bidder_of_a = app.token(if a_is_ours { "bidder@imu.edu.cn" } else { "lead@iee.ac.cn" });
        let overdue = app.get(&format!("/api/v1/agreements/{}", ids[0]), Some(&cast.official)).json;
        assert_eq!(overdue["milestones"][1]["overdue"], true);
        // the list filters on it, so that a tracking page can put the overdue ones first
        let listed = |q: &str| -> Vec<String> {
            app.get(&format!("/api/v1/agreements?{q}"), Some(&cast.official)).expect(200).json["items"]
                .as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
        };
        let (late, on_time) = (listed("overdue=true"), listed("overdue=false"));
        assert!(late.contains(&ids[0]) && !on_time.contains(&ids[0]), "{late:?} {on_time:?}");
        assert_eq!(late.len() + on_time.len(), listed("").len());
        app.get("/api/v1/agreements?overdue=maybe", Some(&cast.official))
            .problem(422, "validation_failed").has_field_error("overdue", "invalid_value");
        // both parties are told once that it is overdue
        let overdue_mails = || app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "milestone_overdue")).unwrap().len();
        app.wait_until("overdue notices", || overdue_mails() == 2);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(overdue_mails(), 2);
        app.post(&format!("/api/v1/agreements/{}/milestones/{m2}/report", ids[0]), Some(&bidder_of_a), &json!({"evidence": "样机通过第三方检测"})).expect(200);
        app.post(&format!("/api/v1/agreements/{}/milestones/{m2}/confirm", ids[0]), Some(&cast.publisher), &json!({"met": true})).expect(200);
        app.post(&format!("/api/v1/agreements/{}/complete", ids[0]), Some(&cast.official), &json!({})).expect(200);
        // the other team is eliminated (赛马淘汰): every agreement is final, the challenge completes
        app.post(&format!("/api/v1/agreements/{}/terminate", ids[1]), Some(&cast.official), &json!({"reason": "赛马淘汰"})).expect(200);
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}"), None).json["status"], "completed");
        let history = app.get(&format!("/api/v1/agreements/{}/history", ids[0]), Some(&cast.publisher)).expect(200).json;
        let actions: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.starts_with(&["create", "sign", "change_terms", "sign", "sign", "register"]), "{actions:?}");
    }

    fn registering_every_agreement_contracts_the_challenge(app) {
        let mut cast = app.cast();
        let (challenge, ids, other) = awarded(&app, &mut cast);
        for id in &ids {
            let a = app.get(&format!("/api/v1/agreements/{id}"), Some(&cast.publisher)).json;
            let hash = a["terms_hash"].as_str().unwrap();
            let bidder = if a["terms"]["parties"][1]["organization_id"] == cast.bidder_org.as_str() { &cast.bidder } else { &other };
            app.post(&format!("/api/v1/agreements/{id}/sign"), Some(&cast.publisher), &json!({"terms_hash": hash})).expect(200);
            app.post(&format!("/api/v1/agreements/{id}/sign"), Some(bidder), &json!({"terms_hash": hash})).expect(200);
            app.post(&format!("/api/v1/agreements/{id}/register"), Some(&cast.official), &json!({})).expect(200);
        }
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}"), None).json["status"], "contracted");
        let signed_mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "agreement_signed")).unwrap();
        assert_eq!(signed_mails.len(), 4, "both parties of both agreements");
        // the statistics and the CSV count the two signed agreements
        let funnel = app.get("/api/v1/stats/funnel", Some(&cast.official)).expect(200).json;
        assert_eq!(funnel["funnel"]["contracted"], 1);
        assert_eq!(funnel["agreements_signed"], 2);
        assert_eq!(funnel["fiscal_signed"], 3_000_000);
        assert_eq!(funnel["enterprise_signed"], 6_000_000);
        assert_eq!(funnel["leverage"], 2.0);
        // and so do the public headline figures, counted by the database
        let overview = app.get("/api/v1/stats/overview", None).expect(200).json;
        assert_eq!(
            (&overview["challenges_awarded"], &overview["agreements_signed"], &overview["fiscal_signed"], &overview["enterprise_signed"]),
            (&json!(1), &json!(2), &json!(3_000_000), &json!(6_000_000)),
            "{overview}"
        );
        let verified = app.state.db.read(jiebang_db::stats::organizations).unwrap().into_iter().filter(|o| o.2 == "verified").count();
        assert_eq!(overview["organizations_verified"], verified as i64, "{overview}");
        let csv = app.raw("GET", "/api/v1/exports/agreements.csv", Some(&cast.official), None, vec![]);
        assert_eq!(csv.body.lines().count(), 3);
        assert!(csv.body.contains("赛马制：千标方级电解水制氢关键装备"));
        assert!(csv.body.contains("registered"));
        // the OCDS export validates against the 1.1.5 release package schema
        let package = app.get("/api/v1/exports/ocds", Some(&cast.official)).expect(200).json;
        assert_eq!(package["releases"].as_array().unwrap().len(), 1);
        assert_eq!(package["releases"][0]["contracts"].as_array().unwrap().len(), 2);
        if let Err(errors) = jiebang_tests::validate_ocds(&package) {
            panic!("invalid OCDS export:\n{errors}");
        }
        app.get("/api/v1/exports/ocds", Some(&cast.publisher)).problem(403, "forbidden");
    }
}

on_both_databases! {
    // the officials' main list pages through any number of agreements, each seen once, newest
    // first, with the filters applied to every page (issue #12)
    fn twelve_hundred_agreements_page_through_once(app) {
        let mut cast = app.cast();
        let (_, ids, _) = awarded(&app, &mut cast);
        // 1 198 more rows like the two real ones (each on a bid of its own), written directly
        app.state.db.write(|c| -> Result<(), jiebang_db::DbError> {
            let a = jiebang_db::agreements::find(c, &ids[0])?.unwrap();
            let b = jiebang_db::bids::find(c, &a.bid_id)?.unwrap();
            for i in 0..1198 {
                let mut bid = b.clone();
                bid.id = jiebang_db::new_id();
                let mut row = a.clone();
                row.id = jiebang_db::new_id();
                row.bid_id = bid.id.clone();
                row.created_at = a.created_at + chrono::Duration::milliseconds(i);
                if i % 2 == 0 {
                    row.status = "terminated".into();
                }
                jiebang_db::bids::insert(c, &bid, &[])?;
                jiebang_db::evaluation::insert_agreement(c, &row)?;
            }
            Ok(())
        }).unwrap();
        let page_through = |filter: &str, limit: usize| -> Vec<String> {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let url = match &cursor {
                    Some(c) => format!("/api/v1/agreements?limit={limit}{filter}&cursor={c}"),
                    None => format!("/api/v1/agreements?limit={limit}{filter}"),
                };
                let page = app.get(&url, Some(&cast.official)).expect(200).json;
                let items = page["items"].as_array().unwrap();
                assert!(items.len() <= limit);
                seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            seen
        };
        let all = page_through("", 100);
        let unique: std::collections::BTreeSet<&String> = all.iter().collect();
        assert_eq!((all.len(), unique.len()), (1200, 1200));
        let terminated = page_through("&status=terminated", 37);
        assert_eq!(terminated.len(), 599);
        // the CSV export streams every one of them, once, in pages of 500 (issue #12)
        let csv = app.raw("GET", "/api/v1/exports/agreements.csv", Some(&cast.official), None, vec![]);
        assert_eq!(csv.status, 200);
        let rows: Vec<&str> = csv.body.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        let in_csv: std::collections::BTreeSet<&str> = rows.iter().copied().collect();
        assert_eq!((rows.len(), in_csv.len()), (1200, 1200));
        assert!(unique.iter().all(|id| in_csv.contains(id.as_str())));
        // the default page is 20; bad paging parameters name the field
        assert_eq!(app.get("/api/v1/agreements", Some(&cast.official)).json["items"].as_array().unwrap().len(), 20);
        app.get("/api/v1/agreements?limit=101", Some(&cast.official)).problem(422, "validation_failed").has_field_error("limit", "out_of_range");
        app.get("/api/v1/agreements?cursor=x", Some(&cast.official)).problem(422, "validation_failed").has_field_error("cursor", "invalid_cursor");
    }
}

/// Registration, a milestone confirmed, a payment, completion and termination each tell both
/// parties, by e-mail through a real SMTP server (issue #12).
fn agreement_notices_reach_a_real_smtp_server(db: jiebang_tests::Db) {
    let sink = jiebang_tests::SmtpSink::start();
    let url = sink.url();
    let Some(app) = TestApp::try_spawn_with(db, move |c| {
        c.smtp_url = Some(url);
        c.outbox_interval_ms = 50;
    }) else {
        return;
    };
    let mut cast = app.cast();
    let (_, ids, other) = awarded(&app, &mut cast);
    let ours = app
        .get(
            &format!("/api/v1/agreements/{}", ids[0]),
            Some(&cast.bidder),
        )
        .status
        == 200;
    let bidder = if ours {
        cast.bidder.clone()
    } else {
        other.clone()
    };
    let path = format!("/api/v1/agreements/{}", ids[0]);
    for token in [&cast.publisher, &bidder] {
        let hash = app.get(&path, Some(token)).json["terms_hash"].clone();
        app.post(
            &format!("{path}/sign"),
            Some(token),
            &json!({"terms_hash": hash}),
        )
        .expect(200);
    }
    let registered = app
        .post(
            &format!("{path}/register"),
            Some(&cast.official),
            &json!({}),
        )
        .expect(200)
        .json;
    for m in registered["milestones"].as_array().unwrap() {
        let mid = m["id"].as_str().unwrap();
        app.post(
            &format!("{path}/milestones/{mid}/report"),
            Some(&bidder),
            &json!({"evidence": "已完成并通过验收"}),
        )
        .expect(200);
        app.post(
            &format!("{path}/milestones/{mid}/confirm"),
            Some(&cast.publisher),
            &json!({"met": true}),
        )
        .expect(200);
    }
    let mid = registered["milestones"][0]["id"].as_str().unwrap();
    app.post(
        &format!("{path}/payments"),
        Some(&cast.official),
        &json!({"milestone_id": mid, "source": "fiscal", "amount": 700_000}),
    )
    .expect(200);
    app.post(
        &format!("{path}/complete"),
        Some(&cast.official),
        &json!({}),
    )
    .expect(200);
    app.post(
        &format!("/api/v1/agreements/{}/terminate", ids[1]),
        Some(&cast.official),
        &json!({"reason": "赛马淘汰"}),
    )
    .expect(200);
    let subjects = |n: usize| -> Vec<(String, String)> {
        sink.wait_for(n)
            .iter()
            .map(|m| {
                (
                    m["subject"].as_str().unwrap().to_owned(),
                    m["rcpt_tos"][0].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expected = [
        "协议已备案",
        "里程碑已确认达成",
        "到账记录",
        "协议已完成",
        "协议已终止",
    ];
    let mut got = Vec::new();
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(15) {
        got = subjects(0);
        if expected
            .iter()
            .all(|e| got.iter().filter(|(s, _)| s.contains(e)).count() >= 2)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for e in expected {
        let to: Vec<&str> = got
            .iter()
            .filter(|(s, _)| s.contains(e))
            .map(|(_, r)| r.as_str())
            .collect();
        // both parties: the publisher and the bidder's lead
        assert!(
            to.contains(&"publisher@bfhi.com.cn") && to.len() >= 2,
            "{e}: {to:?} in {got:#?}"
        );
    }
    let terminated = got.iter().find(|(s, _)| s.contains("协议已终止")).unwrap();
    assert!(terminated.0.contains("赛马制"), "{terminated:?}");
}

#[test]
fn agreement_notices_reach_a_real_smtp_server_sqlite() {
    agreement_notices_reach_a_real_smtp_server(jiebang_tests::Db::Sqlite);
}

#[test]
fn agreement_notices_reach_a_real_smtp_server_postgres() {
    agreement_notices_reach_a_real_smtp_server(jiebang_tests::Db::Postgres);
}

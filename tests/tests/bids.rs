//! Bids: sealed until the deadline, refused with their own codes, decided to the second, checked
//! formally at the close, reopened by material amendments.

use jiebang_tests::{on_both_databases, Db, TestApp};
use serde_json::{json, Value};

const TITLE: &str = "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用";
const PROBLEM: &str = "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。";

/// A consortium challenge: members ≤ 4, 60 % in Inner Mongolia, a chief scientist, two KPIs.
fn consortium_challenge(app: &TestApp, days: i64) -> Value {
    let mut body = app.challenge_body(TITLE, "新能源", PROBLEM, days);
    body["kpis"] = json!([{"name": "单槽产氢量", "target": "≥1000", "unit": "Nm³/h"}, {"name": "直流电耗", "target": "≤4.3", "unit": "kWh/Nm³"}]);
    body["eligibility"] = json!({"consortium_required": true, "max_members": 4, "min_in_region_percent": 60, "chief_scientist_required": true});
    body["max_winners"] = json!(2);
    body
}

fn bid_body(members: &[&str]) -> Value {
    json!({
        "members": members.iter().enumerate().map(|(i, m)| json!({"organization_id": m, "role": format!("分工{i}"), "share_percent": 20})).collect::<Vec<_>>(),
        "chief_scientist": {"name": "乌云", "title": "教授", "organization": "内蒙古大学"},
        "approach": "采用宽功率碱性电解槽与多槽协同调度，结合风光功率预测实现快速响应与稳定运行。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "1200 Nm³/h"}, {"kpi_id": "kpi-2", "value": "4.2 kWh/Nm³"}],
        "milestones": [{"month": 6, "deliverable": "总体方案与样机设计"}, {"month": 18, "deliverable": "样机与示范运行"}],
        "requested_fiscal": 3_000_000, "own_funds": 1_000_000
    })
}

/// A bid for the plain test challenge (one KPI, no eligibility rules).
fn simple_bid() -> Value {
    let mut body = bid_body(&[]);
    body["kpi_answers"] = json!([{"kpi_id": "kpi-1", "value": "95%"}]);
    body
}

/// A verified organisation to name as a consortium member (every member is verified at the
/// formal check).
fn org(app: &TestApp, email: &str, name: &str, kind: &str, region: &str) -> String {
    app.verified_org(email, name, kind, region).0
}

fn create(app: &TestApp, challenge: &str, token: &str, body: &Value) -> String {
    app.post(
        &format!("/api/v1/challenges/{challenge}/bids"),
        Some(token),
        body,
    )
    .expect(201)
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn submit(app: &TestApp, bid: &str, token: &str) {
    let r = app
        .post(
            &format!("/api/v1/bids/{bid}/submit"),
            Some(token),
            &json!({}),
        )
        .expect(200);
    assert_eq!(r.json["status"], "submitted");
}

on_both_databases! {
    fn sealed_until_the_deadline_then_checked(app) {
        let mut cast = app.cast();
        let baotou = org(&app, "m1@baotou-research.cn", "包头稀土研究院", "institute", "150204");
        let ordos = org(&app, "m2@ordos-energy.cn", "鄂尔多斯能源集团有限公司", "enterprise", "150602");
        let beijing = org(&app, "m3@bj-tech.cn", "北京某新能源科技有限公司", "enterprise", "110108");
        let shanghai = org(&app, "m4@sh-tech.cn", "上海某氢能研究所", "institute", "310115");
        let (_, other) = app.verified_org("lead@iee.ac.cn", "中国科学院电工研究所", "institute", "110108");
        let (_, third) = app.verified_org("lead@nmgu.edu.cn", "内蒙古工业大学", "university", "150102");
        let challenge = app.publish(&cast.publisher, &cast.official, &consortium_challenge(&app, 10));

        // the university leads an eligible consortium (3 of 3 in region)
        let good = create(&app, &challenge, &cast.bidder, &bid_body(&[&baotou, &ordos]));
        submit(&app, &good, &cast.bidder);
        // the institute in Beijing leads a consortium mostly outside the region: 1 of 3
        let outside = create(&app, &challenge, &other, &bid_body(&[&beijing, &ordos]));
        submit(&app, &outside, &other);
        // withdrawn and replaced
        let first = create(&app, &challenge, &third, &bid_body(&[&baotou]));
        submit(&app, &first, &third);
        app.post(&format!("/api/v1/bids/{first}/withdraw"), Some(&third), &json!({})).expect(200);
        let replacement = create(&app, &challenge, &third, &bid_body(&[&baotou, &shanghai]));
        submit(&app, &replacement, &third);
        // a draft that is never submitted
        let (_, fourth) = app.verified_org("lead@imau.edu.cn", "内蒙古农业大学", "university", "150105");
        let draft = create(&app, &challenge, &fourth, &bid_body(&[&baotou]));

        // sealed: only the bidding organisation reads its bid; everyone else gets 404
        app.get(&format!("/api/v1/bids/{good}"), Some(&cast.bidder)).expect(200);
        for token in [Some(cast.publisher.as_str()), Some(cast.official.as_str()), Some(cast.admin.as_str()), Some(other.as_str()), None] {
            app.get(&format!("/api/v1/bids/{good}"), token).problem(404, "not_found");
        }
        // lists show a count only
        let public = app.get(&format!("/api/v1/challenges/{challenge}"), None).expect(200).json;
        assert_eq!(public["bid_count"], 3);
        let listed = app.get("/api/v1/challenges", None).expect(200).json;
        assert_eq!(listed["items"][0]["bid_count"], 3);
        assert!(!listed.to_string().contains("宽功率碱性电解槽与多槽协同调度"), "no bid content in any list");
        let for_publisher = app.get(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.publisher)).expect(200).json;
        assert_eq!(for_publisher, json!([]));
        let for_official = app.get(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.official)).expect(200).json;
        assert_eq!(for_official, json!([]));
        let own = app.get(&format!("/api/v1/challenges/{challenge}/bids"), Some(&third)).expect(200).json;
        assert_eq!(own.as_array().unwrap().len(), 2, "a bidder sees its own bids, the withdrawn one too");

        // the deadline passes: bidding closes, the formal check runs
        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        let other = app.token("lead@iee.ac.cn");
        let third = app.token("lead@nmgu.edu.cn");
        app.wait_until("close", || app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.official)).json["status"] == "evaluating");
        let outside_bid = app.get(&format!("/api/v1/bids/{outside}"), Some(&cast.publisher)).expect(200).json;
        assert_eq!(outside_bid["status"], "ineligible");
        let codes: Vec<&str> = outside_bid["ineligible_reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["in_region_share_too_low"]);
        assert_eq!(app.get(&format!("/api/v1/bids/{good}"), Some(&cast.official)).expect(200).json["status"], "submitted");
        // 2 of 3 in region is 66 %: eligible
        assert_eq!(app.get(&format!("/api/v1/bids/{replacement}"), Some(&cast.publisher)).expect(200).json["status"], "submitted");
        // after the deadline: the publisher and officials read every handed-in bid; not drafts or withdrawn ones
        let all = app.get(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.publisher)).expect(200).json;
        let mut ids: Vec<&str> = all.as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
        ids.sort();
        let mut expected = vec![good.as_str(), outside.as_str(), replacement.as_str()];
        expected.sort();
        assert_eq!(ids, expected);
        app.get(&format!("/api/v1/bids/{draft}"), Some(&cast.publisher)).problem(404, "not_found");
        app.get(&format!("/api/v1/bids/{first}"), Some(&cast.official)).problem(404, "not_found");
        // other bidders never read each other's bids
        app.get(&format!("/api/v1/bids/{good}"), Some(&other)).problem(404, "not_found");
        app.get(&format!("/api/v1/bids/{good}"), Some(&third)).problem(404, "not_found");
        app.get(&format!("/api/v1/bids/{good}"), None).problem(404, "not_found");
        // nothing is accepted any more: the draft left at the close lapsed
        let fourth = app.token("lead@imau.edu.cn");
        assert_eq!(app.get(&format!("/api/v1/bids/{draft}"), Some(&fourth)).json["status"], "lapsed");
        // after the deadline a submission is late, whatever the close did to the draft (issue #12)
        app.post(&format!("/api/v1/bids/{draft}/submit"), Some(&fourth), &json!({})).problem(409, "bidding_closed");
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&fourth), &simple_bid()).problem(409, "bidding_closed");
        // the ineligible bidder was told why, and so were its consortium members (issue #12)
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "bid_ineligible")).unwrap();
        let mut to: Vec<&str> = mails.iter().map(|m| m.to_address.as_str()).collect();
        to.sort();
        assert_eq!(to, ["lead@iee.ac.cn", "m2@ordos-energy.cn", "m3@bj-tech.cn"]);
        assert!(mails.iter().all(|m| m.body_text.contains("区内成员占比")));
    }

    fn every_refusal_has_its_code(app) {
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body(TITLE, "新能源", PROBLEM, 10));
        let body = simple_bid();
        // the publisher bids on its own challenge
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.publisher), &body).problem(403, "own_challenge");
        // an unverified organisation
        app.register("new@lab.cn", "新成立的实验室", "institute", "150100");
        let unverified = app.token("new@lab.cn");
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&unverified), &body).problem(403, "organization_unverified");
        // a government organisation, or an official, does not bid
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.official), &body).problem(403, "not_a_bidder");
        // one live bid per lead per challenge
        let first = create(&app, &challenge, &cast.bidder, &body);
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &body).problem(409, "live_bid_exists");
        // 限项: at most three live bids led at once
        let c2 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("第二个榜单：储氢材料关键技术", "新能源", PROBLEM, 10));
        let c3 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("第三个榜单：燃料电池关键技术", "新能源", PROBLEM, 10));
        let c4 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("第四个榜单：输氢管道关键技术", "新能源", PROBLEM, 10));
        create(&app, &c2, &cast.bidder, &body);
        create(&app, &c3, &cast.bidder, &body);
        app.post(&format!("/api/v1/challenges/{c4}/bids"), Some(&cast.bidder), &body).problem(409, "bid_limit_reached");
        // withdrawing frees a place
        app.post(&format!("/api/v1/bids/{first}/withdraw"), Some(&cast.bidder), &json!({})).expect(200);
        create(&app, &c4, &cast.bidder, &body);
        // a directed challenge takes bids from the invited only
        let (invited_org, invited) = app.verified_org("lead@ims.ac.cn", "中国科学院过程工程研究所", "institute", "110108");
        let mut directed = app.challenge_body("定向委托：稀土永磁电机研发", "稀土", PROBLEM, 10);
        directed["mode"] = json!("directed");
        directed["invited_organizations"] = json!([invited_org]);
        let directed = app.publish(&cast.publisher, &cast.official, &directed);
        let (_, outsider) = app.verified_org("lead@other.edu.cn", "某大学", "university", "150100");
        // to an organisation it did not invite, a directed challenge does not exist: the answer is
        // the one for an unknown id, word for word
        let refused = app.post(&format!("/api/v1/challenges/{directed}/bids"), Some(&outsider), &body).problem(404, "not_found");
        let unknown = app.post("/api/v1/challenges/00000000-0000-0000-0000-000000000000/bids", Some(&outsider), &body).problem(404, "not_found");
        assert_eq!(refused.json, unknown.json);
        create(&app, &directed, &invited, &body);
        // a challenge that is not published
        app.post(&format!("/api/v1/challenges/{c2}/cancel"), Some(&cast.publisher), &json!({"reason": "需求变化"})).expect(200);
        app.post(&format!("/api/v1/challenges/{c2}/bids"), Some(&outsider), &body).problem(409, "challenge_not_published");
        // shape errors name the field
        let mut bad = simple_bid();
        bad["members"] = json!([{"organization_id": "no-such-org", "role": "x", "share_percent": 10}]);
        bad["kpi_answers"] = json!([{"kpi_id": "kpi-7", "value": "x"}]);
        let r = app.post(&format!("/api/v1/challenges/{c3}/bids"), Some(&outsider), &bad).problem(422, "validation_failed");
        r.has_field_error("kpi_answers[0].kpi_id", "unknown_kpi");
        let r = app.post(&format!("/api/v1/challenges/{c3}/bids"), Some(&outsider), &bad).problem(422, "validation_failed");
        r.has_field_error("members[0].organization_id", "unknown_organization");
        let mut bad = simple_bid();
        bad["members"] = json!([{"organization_id": cast.publisher_org, "role": "x", "share_percent": 10}]);
        bad["requested_fiscal"] = json!(999_999_999);
        let r = app.post(&format!("/api/v1/challenges/{c3}/bids"), Some(&outsider), &bad).problem(422, "validation_failed");
        r.has_field_error("requested_fiscal", "out_of_range");
        // an incomplete draft cannot be submitted
        let mut thin = simple_bid();
        thin["kpi_answers"] = json!([]);
        let incomplete = create(&app, &c3, &outsider, &thin);
        app.post(&format!("/api/v1/bids/{incomplete}/submit"), Some(&outsider), &json!({}))
            .problem(422, "validation_failed").has_field_error("kpi_answers", "kpi_unanswered");
        // others cannot touch a bid
        app.post(&format!("/api/v1/bids/{incomplete}/submit"), Some(&cast.bidder), &json!({})).problem(404, "not_found");
        app.post(&format!("/api/v1/bids/{incomplete}/withdraw"), Some(&cast.publisher), &json!({})).problem(404, "not_found");
    }

    fn material_amendments_reopen_submitted_bids(app) {
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body(TITLE, "新能源", PROBLEM, 10));
        let bid = create(&app, &challenge, &cast.bidder, &simple_bid());
        submit(&app, &bid, &cast.bidder);
        let v = app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.publisher)).json["version"].as_i64().unwrap();
        // a change of contact is not material
        let r = app.patch(&format!("/api/v1/challenges/{challenge}"), Some(&cast.publisher),
            &json!({"version": v, "reason": "更换联系人", "contact": {"name": "李工", "phone": "0472-5550000", "email": "li@bfhi.com.cn"}})).expect(200);
        assert_eq!(app.get(&format!("/api/v1/bids/{bid}"), Some(&cast.bidder)).json["status"], "submitted");
        // a change of KPIs is: the bid goes back to draft, the bidder is told
        let v = r.json["version"].as_i64().unwrap();
        app.patch(&format!("/api/v1/challenges/{challenge}"), Some(&cast.publisher),
            &json!({"version": v, "reason": "提高考核指标", "kpis": [{"name": "关键性能指标", "target": "≥95", "unit": "%"}]})).expect(200);
        let reopened = app.get(&format!("/api/v1/bids/{bid}"), Some(&cast.bidder)).expect(200).json;
        assert_eq!(reopened["status"], "draft");
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}"), None).json["bid_count"], 0);
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "challenge_amended")).unwrap();
        assert_eq!(mails.len(), 2);
        assert!(mails[1].body_text.contains("已退回草稿"));
        // re-confirmed and resubmitted
        submit(&app, &bid, &cast.bidder);
    }
}

#[test]
fn late_bids_are_refused_without_the_scheduler() {
    // the scheduler is (as good as) off: the clock alone refuses a submission after the deadline
    let app = TestApp::try_spawn_with(Db::Sqlite, |c| c.scheduler_interval_ms = 3_600_000).unwrap();
    let mut cast = app.cast();
    let challenge = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(TITLE, "新能源", PROBLEM, 10),
    );
    let body = simple_bid();
    let bid = create(&app, &challenge, &cast.bidder, &body);
    app.advance(chrono::Duration::days(10));
    cast.relogin(&app);
    assert_eq!(
        app.get(
            &format!("/api/v1/challenges/{challenge}"),
            Some(&cast.official)
        )
        .json["status"],
        "published"
    );
    app.post(
        &format!("/api/v1/bids/{bid}/submit"),
        Some(&cast.bidder),
        &json!({}),
    )
    .problem(409, "bidding_closed");
    app.post(
        &format!("/api/v1/challenges/{challenge}/bids"),
        Some(
            &app.verified_org("x@y.edu.cn", "某学院", "university", "150100")
                .1,
        ),
        &body,
    )
    .problem(409, "bidding_closed");
    app.post(
        &format!("/api/v1/bids/{bid}/withdraw"),
        Some(&cast.bidder),
        &json!({}),
    )
    .problem(409, "bidding_closed");
}

on_both_databases! {
    fn bids_that_can_go_nowhere_free_their_places(app) {
        let mut cast = app.cast();
        let c1 = app.publish(&cast.publisher, &cast.official, &app.challenge_body(TITLE, "新能源", PROBLEM, 5));
        let c2 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("第二个榜单：储氢材料关键技术", "新能源", PROBLEM, 20));
        let c3 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("第三个榜单：燃料电池关键技术", "新能源", PROBLEM, 20));
        let c4 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("第四个榜单：输氢管道关键技术", "新能源", PROBLEM, 20));
        let left_as_draft = create(&app, &c1, &cast.bidder, &simple_bid());
        let on_cancelled = create(&app, &c2, &cast.bidder, &simple_bid());
        submit(&app, &on_cancelled, &cast.bidder);
        create(&app, &c3, &cast.bidder, &simple_bid());
        app.post(&format!("/api/v1/challenges/{c4}/bids"), Some(&cast.bidder), &simple_bid()).problem(409, "bid_limit_reached");
        // the publisher cancels c2: its submitted bid is not awarded
        app.post(&format!("/api/v1/challenges/{c2}/cancel"), Some(&cast.publisher), &json!({"reason": "需求变化"})).expect(200);
        assert_eq!(app.get(&format!("/api/v1/bids/{on_cancelled}"), Some(&cast.bidder)).json["status"], "not_awarded");
        create(&app, &c4, &cast.bidder, &simple_bid());
        // c1 closes with the draft never submitted: it lapses
        app.advance(chrono::Duration::days(5) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        app.wait_until("close", || app.get(&format!("/api/v1/challenges/{c1}"), Some(&cast.official)).json["status"] == "unsuccessful");
        assert_eq!(app.get(&format!("/api/v1/bids/{left_as_draft}"), Some(&cast.bidder)).json["status"], "lapsed");
        // its lead was told it lapsed, not that it was withdrawn (issue #12)
        let kinds: Vec<String> = app.get("/api/v1/me/notifications?limit=100", Some(&cast.bidder)).json["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect();
        assert!(kinds.contains(&"bid_lapsed".to_owned()) && !kinds.contains(&"bid_withdrawn".to_owned()), "{kinds:?}");
    }
}

on_both_databases! {
    fn a_submission_writes_its_entry_notices_and_mail_with_the_change(app) {
        // On PostgreSQL the submission's audit entry, notices and e-mails go in with the bid's
        // change in one statement (jiebang_db::appends), its `after` predicted before the change:
        // what is written must be what a read shows, for every party to the bid.
        let cast = app.cast();
        let (baotou, _) = app.verified_org("m1@baotou-research.cn", "包头稀土研究院", "institute", "150204");
        let (ordos, ordos_user) = app.verified_org("m2@ordos-energy.cn", "鄂尔多斯能源集团有限公司", "enterprise", "150602");
        // the second member's user takes this kind in the inbox only
        app.put("/api/v1/me/notification-preferences", Some(&ordos_user), &json!({"email": {"bid_submitted": false}})).expect(200);
        let challenge = app.publish(&cast.publisher, &cast.official, &consortium_challenge(&app, 10));
        let bid = create(&app, &challenge, &cast.bidder, &bid_body(&[&baotou, &ordos]));
        submit(&app, &bid, &cast.bidder);

        let mut read = app.get(&format!("/api/v1/bids/{bid}"), Some(&cast.bidder)).expect(200).json;
        read.as_object_mut().unwrap().remove("actions");
        let history = app.get(&format!("/api/v1/bids/{bid}/history"), Some(&cast.bidder)).expect(200).json;
        let entries = history.as_array().unwrap();
        let last = entries.last().unwrap();
        assert_eq!(last["action"], "submit");
        assert_eq!(last["before"]["status"], "draft");
        assert_eq!(last["after"], read, "the entry's after is the bid as it is");
        assert_eq!(read["status"], "submitted");
        assert_eq!(last["at"], read["submitted_at"]);

        // a notice each for the lead's user and both members' users; e-mail to those who take it
        for token in [&cast.bidder, &app.token("m1@baotou-research.cn"), &ordos_user] {
            let inbox = app.get("/api/v1/me/notifications?limit=100", Some(token)).expect(200).json;
            let kinds: Vec<&str> = inbox["items"].as_array().unwrap().iter().filter_map(|n| n["kind"].as_str()).collect();
            assert_eq!(kinds.iter().filter(|k| **k == "bid_submitted").count(), 1, "{kinds:?}");
        }
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "bid_submitted")).unwrap();
        let mut to: Vec<&str> = mails.iter().map(|m| m.to_address.as_str()).collect();
        to.sort();
        assert_eq!(to, ["bidder@imu.edu.cn", "m1@baotou-research.cn"]);
        for m in &mails {
            assert_eq!((m.status.as_str(), m.attempts, m.claimed_until, m.sent_at), ("pending", 0, None, None));
            assert!(m.user_id.is_some() && m.message_id.contains(&m.id) && m.subject.contains("申报已提交") && m.body_html.contains("提交成功"), "{m:?}");
        }

        // the appended rows are written only if the change happened, every column as given
        // (whole microseconds, as PostgreSQL keeps them)
        let at = chrono::DateTime::from_timestamp_micros(app.now().timestamp_micros()).unwrap().naive_utc();
        let bidder_user = app.get("/api/v1/me", Some(&cast.bidder)).json["user"]["id"].as_str().unwrap().to_owned();
        let probe = |n: usize| {
            let audit = jiebang_db::models::NewAuditEntry {
                at,
                object_type: "bid".into(),
                object_id: bid.clone(),
                action: "append_probe".into(),
                comment: Some("探针 probe".into()),
                ..Default::default()
            };
            let notification = |i: usize| jiebang_db::notifications::Notification {
                id: jiebang_db::new_id(),
                user_id: bidder_user.clone(),
                kind: "append_probe".into(),
                title: format!("探针 {i}"),
                body: "正文".into(),
                link: "/".into(),
                read_at: if i == 0 { Some(at) } else { None },
                created_at: at,
            };
            let email = jiebang_db::notifications::OutboxEmail {
                id: jiebang_db::new_id(),
                user_id: None,
                kind: "append_probe".into(),
                to_address: "probe@example.cn".into(),
                subject: "探针".into(),
                body_text: "正文".into(),
                body_html: "<p>正文</p>".into(),
                message_id: "probe@jiebang.local".into(),
                status: "failed".into(),
                attempts: 7,
                next_attempt_at: at,
                claimed_until: None,
                last_error: Some("550 无此用户".into()),
                created_at: at,
                sent_at: None,
            };
            jiebang_db::appends::Appends { audit: vec![audit], notifications: (0..n).map(notification).collect(), emails: vec![email] }
        };
        let unchanged = jiebang_db::bids::BidStatusChange::default();
        let version = read["version"].as_i64().unwrap();
        // not in state draft: nothing changed, nothing appended
        let none = app.state.db.write(|c| jiebang_db::bids::change_status_appending(c, &bid, "draft", &unchanged, at, probe(2))).unwrap();
        assert!(none.is_none());
        assert!(app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "append_probe")).unwrap().is_empty());
        let entries_now = app.state.db.read(|c| jiebang_db::audit::history(c, "bid", &bid)).unwrap();
        assert_eq!(entries_now.len(), entries.len());
        // in state submitted: changed (its version moves), and every row appended
        let row = app.state.db.write(|c| jiebang_db::bids::change_status_appending(c, &bid, "submitted", &unchanged, at, probe(2))).unwrap().unwrap();
        assert_eq!(row.version, version + 1);
        let entries_now = app.state.db.read(|c| jiebang_db::audit::history(c, "bid", &bid)).unwrap();
        let probe_entry = entries_now.last().unwrap();
        assert_eq!((probe_entry.action.as_str(), probe_entry.at, probe_entry.actor_user_id.as_deref(), probe_entry.comment.as_deref(), probe_entry.before_json.as_deref()), ("append_probe", at, None, Some("探针 probe"), None));
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "append_probe")).unwrap();
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert_eq!((m.user_id.as_deref(), m.status.as_str(), m.attempts, m.claimed_until, m.last_error.as_deref(), m.next_attempt_at), (None, "failed", 7, None, Some("550 无此用户"), at));
        let inbox = app.get("/api/v1/me/notifications?limit=100", Some(&cast.bidder)).expect(200).json;
        let mut probes: Vec<(String, bool)> = inbox["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "append_probe").map(|n| (n["title"].as_str().unwrap().to_owned(), n["read"].as_bool().unwrap())).collect();
        probes.sort();
        assert_eq!(probes, [("探针 0".to_owned(), true), ("探针 1".to_owned(), false)]);
    }
}

//! Challenges: the lifecycle, who may do and see what, validation, amendments, idempotency,
//! search and pagination, directed challenges, Q&A, and the deadline scheduler.

use jiebang_tests::{on_both_databases, Db, TestApp};
use serde_json::{json, Value};

fn status_of(app: &TestApp, id: &str, token: &str) -> String {
    app.get(&format!("/api/v1/challenges/{id}"), Some(token))
        .expect(200)
        .json["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn list_ids(app: &TestApp, query: &str, token: Option<&str>) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/challenges?{query}"), token)
        .expect(200);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

const H2: &str = "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用";
const H2_PROBLEM: &str = "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。";

on_both_databases! {
    fn the_whole_lifecycle(app) {
        let mut cast = app.cast();
        let body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        let created = app.post("/api/v1/challenges", Some(&cast.publisher), &body).expect(201).json;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["status"], "draft");
        assert_eq!(created["kpis"][0]["id"], "kpi-1");
        assert_eq!(created["publisher"]["id"], cast.publisher_org.as_str());

        // the public and other organisations never see a draft or a pending challenge
        app.get(&format!("/api/v1/challenges/{id}"), None).problem(404, "not_found");
        app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.bidder)).problem(404, "not_found");
        assert!(list_ids(&app, "", None).is_empty());
        assert_eq!(list_ids(&app, "mine=true", Some(&cast.publisher)), vec![id.clone()]);

        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&cast.publisher), &json!({})).expect(200);
        assert_eq!(status_of(&app, &id, &cast.publisher), "pending_review");
        app.get(&format!("/api/v1/challenges/{id}"), None).problem(404, "not_found");
        assert!(list_ids(&app, "", None).is_empty());
        app.get("/api/v1/challenges?status=pending_review", None).problem(403, "status_not_public");
        assert_eq!(list_ids(&app, "status=pending_review", Some(&cast.official)), vec![id.clone()]);

        // only officials review; a publisher cannot review its own challenge
        app.post(&format!("/api/v1/challenges/{id}/review"), Some(&cast.publisher), &json!({"decision": "approve"}))
            .problem(403, "cannot_review_own");
        app.post(&format!("/api/v1/challenges/{id}/review"), Some(&cast.admin), &json!({"decision": "approve"}))
            .problem(403, "forbidden");
        app.post(&format!("/api/v1/challenges/{id}/review"), Some(&cast.official), &json!({"decision": "return"}))
            .problem(422, "validation_failed").has_field_error("comment", "required");
        let returned = app.post(&format!("/api/v1/challenges/{id}/review"), Some(&cast.official),
            &json!({"decision": "return", "comment": "请补充考核指标的测试方法"})).expect(200).json;
        assert_eq!(returned["status"], "draft");
        assert_eq!(returned["review_comment"], "请补充考核指标的测试方法");
        let mine = app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher)).expect(200).json;
        assert_eq!(mine["review_comment"], "请补充考核指标的测试方法");

        // edit the draft, resubmit, approve
        let version = mine["version"].as_i64().unwrap();
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher),
            &json!({"version": version, "kpis": [{"name": "单槽产氢量", "target": "≥1000", "unit": "Nm³/h"}, {"name": "功率调节范围", "target": "20%–110%", "unit": ""}]}))
            .expect(200);
        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&cast.publisher), &json!({})).expect(200);
        let published = app.post(&format!("/api/v1/challenges/{id}/review"), Some(&cast.official), &json!({"decision": "approve"})).expect(200).json;
        assert_eq!(published["status"], "published");
        assert!(published["published_at"].is_string());
        let public = app.get(&format!("/api/v1/challenges/{id}"), None).expect(200).json;
        assert_eq!(public["kpis"].as_array().unwrap().len(), 2);
        assert!(public.get("review_comment").is_none() && public.get("version").is_none());
        assert!(public["bidding_deadline_local"].as_str().unwrap().contains("北京时间"));
        assert_eq!(list_ids(&app, "", None), vec![id.clone()]);
        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&cast.publisher), &json!({})).problem(409, "challenge_not_draft");

        // the deadline passes: the scheduler closes bidding without any request
        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        app.wait_until("the scheduler to close bidding (and, with no bid, end the challenge)", || status_of(&app, &id, &cast.official) == "unsuccessful");
        let history = app.get(&format!("/api/v1/challenges/{id}/history"), Some(&cast.publisher)).expect(200).json;
        let actions: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        // nobody bid: the close is followed by the end of the challenge, unsuccessful
        assert_eq!(actions, ["create", "submit", "return", "update", "submit", "approve", "close", "no_eligible_bid"]);
        assert_eq!(history[6]["actor_user_id"], Value::Null);
        assert_eq!(history[6]["after"]["status"], "evaluating");
        // a bidder may read the challenge, so it is told the history is not for it (issue #12)
        app.get(&format!("/api/v1/challenges/{id}/history"), Some(&cast.bidder)).problem(403, "forbidden");
        // the publisher was told about the return, the publication and the close; officials about submissions
        let kinds = |app: &TestApp, kind: &str| app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, kind)).unwrap();
        assert_eq!(kinds(&app, "challenge_submitted").len(), 2);
        assert_eq!(kinds(&app, "challenge_returned").len(), 1);
        assert_eq!(kinds(&app, "challenge_published").len(), 1);
        assert_eq!(kinds(&app, "bidding_closed").len(), 1);
        assert_eq!(kinds(&app, "challenge_unsuccessful").len(), 1);
        assert_eq!(kinds(&app, "challenge_published")[0].to_address, "publisher@bfhi.com.cn");
    }

    fn who_may_create_and_submit(app) {
        let cast = app.cast();
        let body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        // a government organisation does not publish; officials and experts neither
        app.register("gov@baotou.gov.cn", "包头市科学技术局", "government", "150200");
        let gov = app.token("gov@baotou.gov.cn");
        app.post("/api/v1/challenges", Some(&gov), &body).problem(403, "not_a_publisher");
        app.post("/api/v1/challenges", Some(&cast.official), &body).problem(403, "not_a_publisher");
        app.post("/api/v1/challenges", None, &body).problem(401, "unauthenticated");
        // an unverified enterprise drafts but cannot submit
        app.register("new@startup.cn", "呼和浩特氢能科技有限公司", "enterprise", "150100");
        let unverified = app.token("new@startup.cn");
        let id = app.post("/api/v1/challenges", Some(&unverified), &body).expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&unverified), &json!({})).problem(403, "organization_unverified");
        // another organisation cannot touch it (it does not exist for them)
        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&cast.publisher), &json!({})).problem(404, "not_found");
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher), &json!({"version": 1, "title": "改个标题试试看"})).problem(404, "not_found");
        // officials see it, but do not edit it
        app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.official)).expect(200);
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.official), &json!({"version": 1, "title": "改个标题试试看"})).problem(403, "not_publisher");
    }

    fn validation_gives_field_errors(app) {
        let cast = app.cast();
        let mut body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        body["title"] = json!("");
        body["kpis"] = json!([]);
        body["enterprise_funds"] = json!(1_000_000);
        body["max_winners"] = json!(0);
        body["industry"] = json!("房地产");
        body["questions_deadline"] = json!((app.now() + chrono::Duration::days(11)).to_rfc3339());
        let r = app.post("/api/v1/challenges", Some(&cast.publisher), &body).problem(422, "validation_failed");
        let r = r.has_field_error("title", "required").has_field_error("kpis", "required");
        let r = r.has_field_error("enterprise_funds", "funding_ratio_too_low").has_field_error("max_winners", "out_of_range");
        r.has_field_error("industry", "unknown_industry").has_field_error("questions_deadline", "after_bidding_deadline");
        let mut body = app.challenge_body(H2, "新能源", H2_PROBLEM, 2);
        body["questions_deadline"] = json!((app.now() + chrono::Duration::days(1)).to_rfc3339());
        app.post("/api/v1/challenges", Some(&cast.publisher), &body).has_field_error("bidding_deadline", "deadline_too_soon");
        let mut body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        body["bidding_deadline"] = json!("next tuesday");
        app.post("/api/v1/challenges", Some(&cast.publisher), &body).has_field_error("bidding_deadline", "invalid_type");
        let mut body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        body["kpis"] = json!([{"name": "x", "target": "y", "weight": 3}]);
        app.post("/api/v1/challenges", Some(&cast.publisher), &body).has_field_error("kpis[0].weight", "unknown_field");
        let mut body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        body["mode"] = json!("directed");
        app.post("/api/v1/challenges", Some(&cast.publisher), &body).has_field_error("invited_organizations", "required");
        body["invited_organizations"] = json!(["no-such-org"]);
        app.post("/api/v1/challenges", Some(&cast.publisher), &body).has_field_error("invited_organizations[0]", "unknown_organization");
        // nothing was written by the refused requests
        assert!(list_ids(&app, "mine=true", Some(&cast.publisher)).is_empty());
    }

    fn cancel_and_extend_only_where_allowed(app) {
        let mut cast = app.cast();
        let body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        let draft = app.post("/api/v1/challenges", Some(&cast.publisher), &body).expect(201).json["id"].as_str().unwrap().to_owned();
        let later = (app.now() + chrono::Duration::days(20)).to_rfc3339();
        app.post(&format!("/api/v1/challenges/{draft}/extend"), Some(&cast.publisher), &json!({"bidding_deadline": later}))
            .problem(409, "challenge_not_published");
        app.post(&format!("/api/v1/challenges/{draft}/cancel"), Some(&cast.publisher), &json!({"reason": "需求变化"})).expect(200);
        app.post(&format!("/api/v1/challenges/{draft}/cancel"), Some(&cast.publisher), &json!({"reason": "需求变化"}))
            .problem(409, "challenge_not_cancellable");
        // a draft that was cancelled was never public
        app.get(&format!("/api/v1/challenges/{draft}"), None).problem(404, "not_found");

        let id = app.publish(&cast.publisher, &cast.official, &body);
        let earlier = (app.now() + chrono::Duration::days(5)).to_rfc3339();
        app.post(&format!("/api/v1/challenges/{id}/extend"), Some(&cast.publisher), &json!({"bidding_deadline": earlier}))
            .problem(422, "validation_failed").has_field_error("bidding_deadline", "not_later");
        app.post(&format!("/api/v1/challenges/{id}/extend"), Some(&cast.bidder), &json!({"bidding_deadline": later}))
            .problem(403, "forbidden");
        let extended = app.post(&format!("/api/v1/challenges/{id}/extend"), Some(&cast.official), &json!({"bidding_deadline": later, "reason": "应企业申请延期"})).expect(200).json;
        // deadlines are kept to the second
        assert_eq!(chrono::DateTime::parse_from_rfc3339(extended["bidding_deadline"].as_str().unwrap()).unwrap().timestamp(),
                   chrono::DateTime::parse_from_rfc3339(&later).unwrap().timestamp());
        assert!(extended["bidding_deadline"].as_str().unwrap().ends_with(":00Z") || !extended["bidding_deadline"].as_str().unwrap().contains('.'));
        app.post(&format!("/api/v1/challenges/{id}/cancel"), Some(&cast.bidder), &json!({"reason": "不想要了"})).problem(403, "forbidden");
        app.post(&format!("/api/v1/challenges/{id}/cancel"), Some(&cast.official), &json!({"reason": ""}))
            .problem(422, "validation_failed").has_field_error("reason", "required");
        let cancelled = app.post(&format!("/api/v1/challenges/{id}/cancel"), Some(&cast.official), &json!({"reason": "企业战略调整"})).expect(200).json;
        assert_eq!(cancelled["status"], "cancelled");
        // a published challenge that was cancelled stays public, with its reason
        let public = app.get(&format!("/api/v1/challenges/{id}"), None).expect(200).json;
        assert_eq!(public["cancel_reason"], "企业战略调整");
        app.post(&format!("/api/v1/challenges/{id}/extend"), Some(&cast.publisher), &json!({"bidding_deadline": later}))
            .problem(409, "challenge_not_published");
        // the scheduler leaves a cancelled challenge alone
        app.advance(chrono::Duration::days(30));
        cast.relogin(&app);
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(status_of(&app, &id, &cast.official), "cancelled");
    }

    fn amendments_and_versions(app) {
        let cast = app.cast();
        let id = app.publish(&cast.publisher, &cast.official, &app.challenge_body(H2, "新能源", H2_PROBLEM, 10));
        let current = app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher)).expect(200);
        let version = current.json["version"].as_i64().unwrap();
        assert_eq!(current.header("etag"), Some(format!("\"{version}\"").as_str()));
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher), &json!({"version": version, "fiscal_support": 2_000_000}))
            .problem(422, "validation_failed").has_field_error("reason", "required");
        let later = (app.now() + chrono::Duration::days(20)).to_rfc3339();
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher), &json!({"version": version, "reason": "调整", "bidding_deadline": later}))
            .problem(422, "validation_failed").has_field_error("bidding_deadline", "use_extend");
        let amended = app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher),
            &json!({"version": version, "reason": "财政资金调整", "fiscal_support": 2_000_000})).expect(200).json;
        assert_eq!(amended["fiscal_support"], 2_000_000);
        assert_eq!(amended["status"], "published");
        // the stale version is refused, in the body or as If-Match
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher), &json!({"version": version, "reason": "再改", "title": "电解水制氢关键装备（修订）"}))
            .problem(409, "version_conflict");
        let v2 = amended["version"].as_i64().unwrap();
        let r = app.raw("PATCH", &format!("/api/v1/challenges/{id}"), Some(&cast.publisher), Some("application/json"),
            serde_json::to_vec(&json!({"version": v2, "reason": "再改", "title": "电解水制氢关键装备（修订）"})).unwrap());
        assert_eq!(r.status, 200, "{}", r.body);
        let history = app.get(&format!("/api/v1/challenges/{id}/history"), Some(&cast.official)).expect(200).json;
        let last = &history.as_array().unwrap()[history.as_array().unwrap().len() - 2];
        assert_eq!(last["action"], "amend");
        assert_eq!(last["comment"], "财政资金调整");
        assert_eq!(last["before"]["fiscal_support"], 3_000_000);
        assert_eq!(last["after"]["fiscal_support"], 2_000_000);
    }

    fn idempotent_creation(app) {
        let cast = app.cast();
        let body = app.challenge_body(H2, "新能源", H2_PROBLEM, 10);
        let first = app.raw_with_headers("POST", "/api/v1/challenges", Some(&cast.publisher), &[("idempotency-key", "create-h2-001")], &body);
        assert_eq!(first.status, 201, "{}", first.body);
        let again = app.raw_with_headers("POST", "/api/v1/challenges", Some(&cast.publisher), &[("idempotency-key", "create-h2-001")], &body);
        assert_eq!(again.status, 200);
        assert_eq!(again.header("idempotency-replayed"), Some("true"));
        assert_eq!(again.json["id"], first.json["id"]);
        assert_eq!(list_ids(&app, "mine=true", Some(&cast.publisher)).len(), 1);
        let mut other = body.clone();
        other["title"] = json!("内蒙古地区肉牛核心种质构建与新品种培育");
        app.raw_with_headers("POST", "/api/v1/challenges", Some(&cast.publisher), &[("idempotency-key", "create-h2-001")], &other)
            .problem(422, "idempotency_key_reused");
        // keys are per user: another user may use the same key
        let staff = app.post(&format!("/api/v1/organizations/{}/members", cast.publisher_org), Some(&cast.publisher),
            &json!({"email": "staff@bfhi.com.cn", "password": jiebang_tests::PASSWORD, "name": "李工"})).expect(201);
        assert_eq!(staff.json["role"], "org_member");
        let staff = app.token("staff@bfhi.com.cn");
        let r = app.raw_with_headers("POST", "/api/v1/challenges", Some(&staff), &[("idempotency-key", "create-h2-001")], &body);
        assert_eq!(r.status, 201);
        assert_eq!(list_ids(&app, "mine=true", Some(&cast.publisher)).len(), 2);
    }

    fn keyword_search_and_filters(app) {
        let cast = app.cast();
        let (_, other) = app.verified_org("boss@alfalfa.cn", "鄂尔多斯草业科技有限公司", "enterprise", "150600");
        let h2 = app.publish(&cast.publisher, &cast.official, &app.challenge_body(H2, "新能源", H2_PROBLEM, 10));
        let cattle = app.publish(&cast.publisher, &cast.official, &app.challenge_body(
            "内蒙古地区肉牛核心种质构建与新品种培育", "种业", "围绕肉牛产业，开展核心种质资源挖掘、基因组选择与新品种培育，提高繁殖效率与产肉性能。", 10));
        let alfalfa = app.publish(&other, &cast.official, &app.challenge_body(
            "高产优质苜蓿新品种选育与草产品加工关键技术", "种业", "针对我区苜蓿产量低、品质不稳定的问题，选育耐寒耐旱高产苜蓿新品种并突破草产品加工技术。", 10));
        assert_eq!(list_ids(&app, "q=%E5%88%B6%E6%B0%A2", None), vec![h2.clone()]); // 制氢
        assert_eq!(list_ids(&app, "q=%E8%8B%9C%E8%93%BF", None), vec![alfalfa.clone()]); // 苜蓿
        assert_eq!(list_ids(&app, "q=%E8%82%89%E7%89%9B", None), vec![cattle.clone()]); // 肉牛
        assert!(list_ids(&app, "q=%E7%A8%80%E5%9C%9F", None).is_empty()); // 稀土
        // two words: both must occur
        assert_eq!(list_ids(&app, "q=%E5%93%81%E7%A7%8D+%E5%8A%A0%E5%B7%A5", None), vec![alfalfa.clone()]); // 品种 加工
        // a LIKE wildcard in the query is taken literally
        assert!(list_ids(&app, "q=%25", None).is_empty());
        let mut seeds = list_ids(&app, "industry=%E7%A7%8D%E4%B8%9A", None);
        seeds.sort();
        let mut expected = vec![cattle.clone(), alfalfa.clone()];
        expected.sort();
        assert_eq!(seeds, expected);
        assert_eq!(list_ids(&app, "region=150600", None), vec![alfalfa.clone()]);
        assert_eq!(list_ids(&app, "region=150000", None).len(), 3);
        app.get("/api/v1/challenges?region=159999", None).problem(422, "validation_failed").has_field_error("region", "unknown_region");
        app.get("/api/v1/challenges?limit=0", None).has_field_error("limit", "out_of_range");
        app.get("/api/v1/challenges?sort=title", None).has_field_error("sort", "unknown_field");
        app.get("/api/v1/challenges?cursor=garbage", None).has_field_error("cursor", "invalid_cursor");
        let to = (app.now() + chrono::Duration::days(5)).to_rfc3339();
        assert!(list_ids(&app, &format!("deadline_to={}", to.replace('+', "%2B")), None).is_empty());
    }

    fn pagination_returns_every_item_once(app) {
        let cast = app.cast();
        let mut all = Vec::new();
        for i in 0..23 {
            let body = app.challenge_body(&format!("第{i}号榜单：煤基新材料关键技术攻关"), "现代煤化工", H2_PROBLEM, 10);
            all.push(app.publish(&cast.publisher, &cast.official, &body));
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let q = match &cursor { Some(c) => format!("limit=10&cursor={c}"), None => "limit=10".into() };
            let page = app.get(&format!("/api/v1/challenges?{q}"), None).expect(200).json;
            seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()));
            pages += 1;
            if pages == 1 {
                // a challenge published while a reader pages does not disturb the pages after
                let body = app.challenge_body("分页期间新发布的榜单：稀土永磁材料", "稀土", H2_PROBLEM, 10);
                app.publish(&cast.publisher, &cast.official, &body);
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        all.reverse();
        assert_eq!(seen, all, "newest first, each once");
    }

    fn keyword_search_pages_return_every_match_once_newest_first(app) {
        let cast = app.cast();
        let mut matching = Vec::new();
        for i in 0..23 {
            let body = app.challenge_body(&format!("第{i}号榜单：煤基新材料关键技术攻关"), "现代煤化工", H2_PROBLEM, 10);
            matching.push(app.publish(&cast.publisher, &cast.official, &body));
            if i % 5 == 0 {
                // interleaved challenges that do not match
                let other = app.challenge_body(&format!("第{i}号：高产优质苜蓿新品种选育"), "种业", "选育耐寒耐旱高产苜蓿新品种，突破草产品加工与储运关键技术。", 10);
                app.publish(&cast.publisher, &cast.official, &other);
            }
        }
        let q = "q=%E6%96%B0%E6%9D%90%E6%96%99"; // 新材料
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor { Some(c) => format!("{q}&limit=10&cursor={c}"), None => format!("{q}&limit=10") };
            let page = app.get(&format!("/api/v1/challenges?{query}"), None).expect(200).json;
            seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()));
            pages += 1;
            if pages == 1 {
                // a match published while a reader pages does not disturb the pages after
                let body = app.challenge_body("分页期间新发布的榜单：稀土新材料", "稀土", H2_PROBLEM, 10);
                app.publish(&cast.publisher, &cast.official, &body);
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        matching.reverse();
        assert_eq!(seen, matching, "newest first, each once, only the matches");
    }

    fn directed_challenges_are_for_the_invited(app) {
        let cast = app.cast();
        let (_, outsider) = app.verified_org("other@ims.ac.cn", "中国科学院过程工程研究所", "institute", "110108");
        // subscribers to 稀土: the invited organisation's user, and an expert linked to the
        // invited organisation (not one of its users: the challenge is not for them)
        let expert = app.platform_user("expert", "linked-expert@imu.edu.cn", Some(&cast.bidder_org));
        for who in [&cast.bidder, &expert, &outsider] {
            app.put("/api/v1/me/subscriptions", Some(who), &json!({"industries": [], "keywords": ["稀土"]})).expect(200);
        }
        let mut body = app.challenge_body("稀土永磁电机定向研发", "稀土", "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。", 10);
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!([cast.bidder_org]);
        let id = app.publish(&cast.publisher, &cast.official, &body);
        app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.bidder)).expect(200);
        app.get(&format!("/api/v1/challenges/{id}"), Some(&outsider)).problem(404, "not_found");
        app.get(&format!("/api/v1/challenges/{id}"), None).problem(404, "not_found");
        assert_eq!(list_ids(&app, "", Some(&cast.bidder)), vec![id.clone()]);
        assert!(list_ids(&app, "", Some(&outsider)).is_empty());
        assert!(list_ids(&app, "", None).is_empty());
        assert_eq!(list_ids(&app, "", Some(&cast.official)), vec![id.clone()]);
        let full = app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher)).json;
        assert_eq!(full["invited_organizations"], json!([cast.bidder_org]));
        app.get(&format!("/api/v1/challenges/{id}"), Some(&expert)).problem(404, "not_found");
        let told = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "challenge_matches_subscription")).unwrap();
        let to: Vec<&str> = told.iter().map(|m| m.to_address.as_str()).collect();
        assert_eq!(to, ["bidder@imu.edu.cn"], "only the invited organisation's user is told");
    }

    fn questions_and_answers(app) {
        let cast = app.cast();
        let (_, other) = app.verified_org("q@iee.ac.cn", "中国科学院电工研究所", "institute", "110108");
        let id = app.publish(&cast.publisher, &cast.official, &app.challenge_body(H2, "新能源", H2_PROBLEM, 10));
        let q = app.post(&format!("/api/v1/challenges/{id}/questions"), Some(&cast.bidder), &json!({"question": "示范工程的电源是否为离网风光？"})).expect(201).json;
        app.post(&format!("/api/v1/challenges/{id}/questions"), Some(&other), &json!({"question": "是否接受碱性与PEM混合方案？"})).expect(201);
        app.post(&format!("/api/v1/challenges/{id}/questions"), Some(&cast.publisher), &json!({"question": "自问自答可以吗？"})).problem(403, "own_challenge");
        // before an answer: the public sees nothing, the asker sees their own, officials see who asked
        assert_eq!(app.get(&format!("/api/v1/challenges/{id}/questions"), None).expect(200).json.as_array().unwrap().len(), 0);
        assert_eq!(app.get(&format!("/api/v1/challenges/{id}/questions"), Some(&cast.bidder)).json.as_array().unwrap().len(), 1);
        let publisher_view = app.get(&format!("/api/v1/challenges/{id}/questions"), Some(&cast.publisher)).json;
        assert_eq!(publisher_view.as_array().unwrap().len(), 2);
        assert!(publisher_view[0].get("asked_by_organization").is_none(), "the publisher does not learn who asked");
        let staff_view = app.get(&format!("/api/v1/challenges/{id}/questions"), Some(&cast.official)).json;
        assert_eq!(staff_view[0]["asked_by_organization"], cast.bidder_org.as_str());
        // answers: only the publisher
        let qid = q["id"].as_str().unwrap();
        // another organisation cannot see an unanswered question: for it the question does not
        // exist (as an unknown id); the asker, who sees it, is told only the publisher answers
        app.post(&format!("/api/v1/questions/{qid}/answer"), Some(&other), &json!({"answer": "是"})).problem(404, "not_found");
        app.post(&format!("/api/v1/questions/{qid}/answer"), Some(&cast.bidder), &json!({"answer": "是"})).problem(403, "not_publisher");
        app.post(&format!("/api/v1/questions/{qid}/answer"), Some(&cast.publisher), &json!({"answer": "是，示范工程为离网风光制氢。"})).expect(200);
        let public = app.get(&format!("/api/v1/challenges/{id}/questions"), None).expect(200).json;
        assert_eq!(public.as_array().unwrap().len(), 1);
        assert_eq!(public[0]["answer"], "是，示范工程为离网风光制氢。");
        assert!(public[0].get("asked_by_user").is_none());
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "question_answered")).unwrap();
        // everyone who asked is told (the bids issue adds the bidders)
        let mut to: Vec<&str> = mails.iter().map(|m| m.to_address.as_str()).collect();
        to.sort();
        assert_eq!(to, ["bidder@imu.edu.cn", "q@iee.ac.cn"]);
        assert!(mails[0].body_text.contains("离网风光"));
        // after the questions deadline nobody asks
        app.advance(chrono::Duration::days(9) + chrono::Duration::minutes(1));
        let other = app.token("q@iee.ac.cn");
        app.post(&format!("/api/v1/challenges/{id}/questions"), Some(&other), &json!({"question": "还能再问一个问题吗？"})).problem(409, "questions_closed");
    }

    fn several_instances_close_each_deadline_once(app) {
        let mut cast = app.cast();
        let peer = app.spawn_peer();
        let third = app.spawn_peer();
        let mut ids = Vec::new();
        for i in 0..6 {
            let body = app.challenge_body(&format!("第{i}号榜单：乳制品加工关键技术"), "乳业", H2_PROBLEM, 4 + i);
            ids.push(app.publish(&cast.publisher, &cast.official, &body));
        }
        app.advance(chrono::Duration::days(20));
        cast.relogin(&app);
        for id in &ids {
            app.wait_until("closing", || status_of(&peer, id, &cast.official) == "unsuccessful");
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        for id in &ids {
            let history = third.get(&format!("/api/v1/challenges/{id}/history"), Some(&cast.official)).expect(200).json;
            let closes = history.as_array().unwrap().iter().filter(|e| e["action"] == "close").count();
            assert_eq!(closes, 1, "challenge {id} was closed {closes} times");
        }
        let closed_mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "bidding_closed")).unwrap();
        assert_eq!(closed_mails.len(), ids.len());
    }
}

#[test]
fn the_scheduler_catches_up_after_a_restart() {
    // an instance whose scheduler is (as good as) stopped: the deadline passes unnoticed
    let app = TestApp::try_spawn_with(Db::Sqlite, |c| c.scheduler_interval_ms = 3_600_000).unwrap();
    let mut cast = app.cast();
    let id = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(H2, "新能源", H2_PROBLEM, 10),
    );
    app.advance(chrono::Duration::days(11));
    cast.relogin(&app);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(status_of(&app, &id, &cast.official), "published");
    // the instance that starts next catches up on its first tick
    let restarted = app.spawn_peer_with(|c| c.scheduler_interval_ms = 50);
    restarted.wait_until("catch-up close", || {
        status_of(&restarted, &id, &cast.official) == "unsuccessful"
    });
}

on_both_databases! {
    fn the_list_and_search_show_what_the_rule_lets_each_caller_see(app) {
        // the list's SQL and the keyword search's page filter are fast forms of the visibility
        // rule that `GET /challenges/{id}` applies: for every caller, both list exactly the
        // challenges in a public state that the caller may read
        let cast = app.cast();
        let (c_org, c_user) = app.verified_org("c@iee.ac.cn", "中国科学院电工研究所", "institute", "110108");
        let (_, outsider) = app.verified_org("d@ipe.ac.cn", "中国科学院过程工程研究所", "institute", "110108");
        let expert = app.platform_user("expert", "linked@imu.edu.cn", Some(&cast.bidder_org));
        let body = |mode: &str, invited: &[&str]| {
            let mut b = app.challenge_body("稀土永磁电机研发", "稀土", "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。", 10);
            b["mode"] = json!(mode);
            if mode == "directed" {
                b["invited_organizations"] = json!(invited);
            }
            b
        };
        let create = |b: &Value| app.post("/api/v1/challenges", Some(&cast.publisher), b).expect(201).json["id"].as_str().unwrap().to_owned();
        let draft = create(&body("open", &[]));
        let pending = create(&body("directed", &[&cast.bidder_org]));
        app.post(&format!("/api/v1/challenges/{pending}/submit"), Some(&cast.publisher), &json!({})).expect(200);
        let cancelled_unpublished = create(&body("open", &[]));
        app.post(&format!("/api/v1/challenges/{cancelled_unpublished}/cancel"), Some(&cast.publisher), &json!({"reason": "调整"})).expect(200);
        let open = app.publish(&cast.publisher, &cast.official, &body("open", &[]));
        let for_b = app.publish(&cast.publisher, &cast.official, &body("directed", &[&cast.bidder_org]));
        let for_c = app.publish(&cast.publisher, &cast.official, &body("directed", &[&c_org]));
        let cancelled = app.publish(&cast.publisher, &cast.official, &body("directed", &[&cast.bidder_org]));
        app.post(&format!("/api/v1/challenges/{cancelled}/cancel"), Some(&cast.publisher), &json!({"reason": "调整"})).expect(200);
        let all = [&draft, &pending, &cancelled_unpublished, &open, &for_b, &for_c, &cancelled];
        let callers: [(&str, Option<&str>); 8] = [
            ("anonymous", None),
            ("publisher", Some(&cast.publisher)),
            ("invited", Some(&cast.bidder)),
            ("other invited", Some(&c_user)),
            ("outsider", Some(&outsider)),
            ("linked expert", Some(&expert)),
            ("official", Some(&cast.official)),
            ("admin", Some(&cast.admin)),
        ];
        let public = ["published", "evaluating", "awarded", "contracted", "completed", "unsuccessful", "cancelled"];
        for (who, token) in callers {
            let mut readable: Vec<String> = all
                .iter()
                .filter(|id| {
                    let r = app.get(&format!("/api/v1/challenges/{id}"), token);
                    r.status == 200
                        && public.contains(&r.json["status"].as_str().unwrap())
                        && !r.json["published_at"].is_null()
                })
                .map(|id| id.to_string())
                .collect();
            readable.sort();
            let mut listed = list_ids(&app, "limit=100", token);
            listed.sort();
            assert_eq!(listed, readable, "the list for {who}");
            let mut searched = list_ids(&app, "limit=100&q=%E7%A8%80%E5%9C%9F", token);
            searched.sort();
            assert_eq!(searched, readable, "the keyword search for {who}");
        }
    }
}

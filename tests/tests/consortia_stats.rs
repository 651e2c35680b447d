//! Consortia (filing numbers under concurrency, bids referencing a consortium), the officials'
//! statistics and the CSV export.

use jiebang_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

fn org(app: &TestApp, email: &str, name: &str, kind: &str, region: &str) -> String {
    app.register(email, name, kind, region)["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_databases! {
    fn fifty_concurrent_filings_get_consecutive_numbers(app) {
        let cast = app.cast();
        let member = org(&app, "m@imu-lab.cn", "草原生态研究所", "institute", "150102");
        let ids: Vec<String> = (0..50)
            .map(|i| {
                app.post("/api/v1/consortia", Some(&cast.publisher), &json!({
                    "name": format!("第{i}个创新联合体"), "industry_direction": "装备制造", "members": [member],
                    "national_platforms": 1, "provincial_platforms": 2, "regional_platforms": 3, "mechanisms": "联合立项、联合研制、联合验证"
                })).expect(201).json["id"].as_str().unwrap().to_owned()
            })
            .collect();
        let numbers: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = ids.iter().map(|id| {
                let (app, token) = (&app, &cast.publisher);
                s.spawn(move || app.post(&format!("/api/v1/consortia/{id}/file"), Some(token), &json!({})).expect(200).json["registration_no"].as_str().unwrap().to_owned())
            }).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut seq: Vec<u32> = numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
        seq.sort();
        assert_eq!(seq, (1..=50).collect::<Vec<u32>>(), "{numbers:?}");
        assert!(numbers.iter().all(|n| n.starts_with("NMCX-20")));
        // filing twice is refused; the public sees filed consortia; an official revokes one
        app.post(&format!("/api/v1/consortia/{}/file", ids[0]), Some(&cast.publisher), &json!({})).problem(409, "consortium_not_draft");
        assert_eq!(app.get("/api/v1/consortia", None).expect(200).json.as_array().unwrap().len(), 50);
        app.post(&format!("/api/v1/consortia/{}/revoke", ids[0]), Some(&cast.publisher), &json!({"reason": "材料不实"})).problem(403, "forbidden");
        app.post(&format!("/api/v1/consortia/{}/revoke", ids[0]), Some(&cast.official), &json!({"reason": "材料不实"})).expect(200);
        assert_eq!(app.get("/api/v1/consortia", None).expect(200).json.as_array().unwrap().len(), 49);
        assert_eq!(app.get("/api/v1/stats/overview", None).expect(200).json["consortia_filed"], 49);
        app.get(&format!("/api/v1/consortia/{}", ids[0]), None).problem(404, "not_found");
        // only an enterprise leads one
        app.post("/api/v1/consortia", Some(&cast.bidder), &json!({"name": "高校牵头", "industry_direction": "x", "members": [member]}))
            .problem(403, "not_an_enterprise");
    }

    fn a_bid_may_reference_a_filed_consortium(app) {
        let cast = app.cast();
        let (lead_org, lead) = app.verified_org("lead@nmg-energy.cn", "内蒙古能源集团有限公司", "enterprise", "150102");
        let m1 = org(&app, "m1@lab.cn", "包头稀土研究院", "institute", "150204");
        let m2 = org(&app, "m2@lab.cn", "内蒙古工业大学", "university", "150102");
        let consortium = app.post("/api/v1/consortia", Some(&lead), &json!({"name": "氢能装备创新联合体", "industry_direction": "新能源", "members": [m1, m2]}))
            .expect(201).json["id"].as_str().unwrap().to_owned();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("电解水制氢装备研制", "新能源",
            "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。", 10));
        let body = json!({"consortium_id": consortium, "approach": "依托创新联合体开展联合攻关，分工明确。", "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
            "milestones": [{"month": 6, "deliverable": "方案"}], "requested_fiscal": 1_000_000, "own_funds": 500_000});
        // a draft consortium cannot be referenced
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&lead), &body).problem(422, "validation_failed").has_field_error("consortium_id", "unknown_consortium");
        app.post(&format!("/api/v1/consortia/{consortium}/file"), Some(&lead), &json!({})).expect(200);
        let bid = app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&lead), &body).expect(201).json;
        let mut members: Vec<&str> = bid["members"].as_array().unwrap().iter().map(|m| m["organization_id"].as_str().unwrap()).collect();
        members.sort();
        let mut expected = vec![m1.as_str(), m2.as_str()];
        expected.sort();
        assert_eq!(members, expected);
        assert_eq!(bid["members"][0]["share_percent"], 33);
        assert_eq!(bid["lead_organization_id"], lead_org.as_str());
        // another organisation cannot use it
        let mut other_body = body.clone();
        other_body["consortium_id"] = json!(consortium);
        app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &other_body).has_field_error("consortium_id", "unknown_consortium");
    }

    fn statistics_and_the_csv_export(app) {
        let cast = app.cast();
        let (_, other_publisher) = app.verified_org("boss@ordos-coal.cn", "鄂尔多斯煤化工有限公司", "enterprise", "150602");
        let problem = "针对煤化工固废堆存量大、利用率低的问题，研发固废高值化利用与建材化关键技术并建设示范生产线。";
        let h2 = app.publish(&cast.publisher, &cast.official, &app.challenge_body("电解水制氢装备研制", "新能源", problem, 10));
        app.publish(&other_publisher, &cast.official, &app.challenge_body("煤基固废高值化利用", "现代煤化工", problem, 10));
        let draft = app.post("/api/v1/challenges", Some(&cast.publisher), &app.challenge_body("尚未提交的榜单草稿", "新能源", problem, 10)).expect(201);
        assert_eq!(draft.json["status"], "draft");
        let bid = app.post(&format!("/api/v1/challenges/{h2}/bids"), Some(&cast.bidder), &json!({"approach": "采用宽功率碱性电解槽与多槽协同调度实现快速响应。",
            "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}], "milestones": [{"month": 6, "deliverable": "方案"}], "requested_fiscal": 1_000_000, "own_funds": 0}))
            .expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/bids/{bid}/submit"), Some(&cast.bidder), &json!({})).expect(200);
        let overview = app.get("/api/v1/stats/overview", None).expect(200).json;
        assert_eq!(overview["challenges_published"], 2);
        assert_eq!(overview["challenges_open"], 2);
        assert_eq!(overview["bids"], 1);
        app.get("/api/v1/stats/funnel", Some(&cast.bidder)).problem(403, "forbidden");
        let funnel = app.get("/api/v1/stats/funnel", Some(&cast.official)).expect(200).json;
        assert_eq!(funnel["funnel"], json!({"submitted": 2, "published": 2, "with_bids": 1, "awarded": 0, "contracted": 0, "completed": 0}));
        let regions: Vec<(&str, i64)> = funnel["by_region"].as_array().unwrap().iter().map(|r| (r["name"].as_str().unwrap(), r["published"].as_i64().unwrap())).collect();
        assert_eq!(regions, [("包头市", 1), ("鄂尔多斯市", 1)]);
        // while bidding is open the bid is sealed: who bids (kind, region) shows nowhere
        assert!(funnel["by_organization_kind"].as_array().unwrap().iter().all(|k| k["bids"] == 0), "{funnel}");
        assert!(funnel["by_region"].as_array().unwrap().iter().all(|k| k["bids"] == 0), "{funnel}");
        // once it has closed, the bidder's kind is counted
        let mut cast = cast;
        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        app.wait_until("the close", || app.get(&format!("/api/v1/challenges/{h2}"), Some(&cast.official)).json["status"] == "evaluating");
        let funnel = app.get("/api/v1/stats/funnel", Some(&cast.official)).expect(200).json;
        let kinds: Vec<&Value> = funnel["by_organization_kind"].as_array().unwrap().iter().collect();
        assert_eq!(kinds[0]["key"], "university");
        // named in Chinese like the other breakdowns, with the code as the key (issue #12)
        assert_eq!(kinds[0]["name"], "高校");
        assert_eq!(kinds[0]["bids"], 1);
        // the CSV starts with a BOM and keeps Chinese intact
        let csv = app.raw("GET", "/api/v1/exports/agreements.csv", Some(&cast.official), None, vec![]);
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        assert!(csv.body.starts_with('\u{feff}'));
        assert!(csv.body.contains("发榜单位 publisher"));
        app.raw("GET", "/api/v1/exports/agreements.csv", Some(&cast.publisher), None, vec![]).problem(403, "forbidden");
    }

    fn the_funnel_narrows_to_a_year_and_an_industry(app) {
        use chrono::Datelike;
        let mut cast = app.cast();
        let problem = "针对煤化工固废堆存量大、利用率低的问题，研发固废高值化利用与建材化关键技术并建设示范生产线。";
        let beijing_year = |app: &TestApp| (app.now() + chrono::Duration::hours(8)).year();
        let first = beijing_year(&app);
        app.publish(&cast.publisher, &cast.official, &app.challenge_body("电解水制氢装备研制", "新能源", problem, 10));
        app.publish(&cast.publisher, &cast.official, &app.challenge_body("煤基固废高值化利用", "现代煤化工", problem, 10));
        let member = org(&app, "m@imu-lab.cn", "草原生态研究所", "institute", "150102");
        for direction in ["新能源", "装备制造"] {
            let id = app.post("/api/v1/consortia", Some(&cast.publisher), &json!({"name": format!("{direction}创新联合体"), "industry_direction": direction, "members": [member]}))
                .expect(201).json["id"].as_str().unwrap().to_owned();
            app.post(&format!("/api/v1/consortia/{id}/file"), Some(&cast.publisher), &json!({})).expect(200);
        }
        // a year later, another 新能源 challenge
        app.advance(chrono::Duration::days(366));
        cast.relogin(&app);
        let second = beijing_year(&app);
        assert_eq!(second, first + 1);
        app.publish(&cast.publisher, &cast.official, &app.challenge_body("氢能重卡加氢站示范", "新能源", problem, 10));

        let funnel = |query: &str| app.get(&format!("/api/v1/stats/funnel{query}"), Some(&cast.official)).expect(200).json;
        let submitted = |query: &str| funnel(query)["funnel"]["submitted"].as_i64().unwrap();
        assert_eq!(submitted(""), 3);
        assert_eq!(submitted(&format!("?year={first}")), 2);
        assert_eq!(submitted(&format!("?year={second}")), 1);
        let energy = funnel("?industry=%E6%96%B0%E8%83%BD%E6%BA%90");
        assert_eq!(energy["funnel"]["submitted"], 2);
        let industries: Vec<&str> = energy["by_industry"].as_array().unwrap().iter().map(|b| b["key"].as_str().unwrap()).collect();
        assert_eq!(industries, ["新能源"]);
        assert_eq!(energy["consortia"]["filed"], 1, "the consortium whose direction is 新能源");
        let both = funnel(&format!("?year={first}&industry=%E7%8E%B0%E4%BB%A3%E7%85%A4%E5%8C%96%E5%B7%A5"));
        assert_eq!(both["funnel"]["published"], 1);
        assert_eq!(both["consortia"]["filed"], 0);
        assert_eq!(funnel(&format!("?year={first}"))["consortia"]["filed"], 2);
        assert_eq!(funnel(&format!("?year={second}"))["consortia"]["filed"], 0);
        app.get("/api/v1/stats/funnel?year=twenty", Some(&cast.official))
            .problem(422, "validation_failed").has_field_error("year", "invalid_value");
        app.get("/api/v1/stats/funnel?year=1999", Some(&cast.official))
            .problem(422, "validation_failed").has_field_error("year", "invalid_value");
    }
}

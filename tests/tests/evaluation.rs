//! Evaluation and award: rubric, experts and conflicts of interest, scores (sealed between
//! experts), the trimmed-mean ranking at five experts, a 赛马 award with two winners, 公示.

use jiebang_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const PROBLEM: &str = "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性与快速启停难题。";

fn simple_bid() -> Value {
    json!({
        "approach": "采用宽功率碱性电解槽与多槽协同调度，结合风光功率预测实现快速响应与稳定运行。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机与示范运行"}],
        "requested_fiscal": 1_500_000, "own_funds": 500_000
    })
}

fn bid(app: &TestApp, challenge: &str, token: &str, body: &Value) -> String {
    let id = app
        .post(
            &format!("/api/v1/challenges/{challenge}/bids"),
            Some(token),
            body,
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
    id
}

fn score(app: &TestApp, bid: &str, expert: &str, values: [i64; 2]) -> Value {
    app.put(
        &format!("/api/v1/bids/{bid}/scores"),
        Some(expert),
        &json!({"scores": [
            {"criterion": "c1", "score": values[0], "comment": "技术路线清晰"},
            {"criterion": "c2", "score": values[1], "comment": "团队经验丰富"}
        ]}),
    )
    .expect(200)
    .json
}

on_both_databases! {
    fn a_horse_race_from_bids_to_agreements(app) {
        let mut cast = app.cast();
        let mut body = app.challenge_body("赛马制：千标方级电解水制氢关键装备", "新能源", PROBLEM, 10);
        body["max_winners"] = json!(2);
        let challenge = app.publish(&cast.publisher, &cast.official, &body);
        let (b2_org, b2) = app.verified_org("lead@iee.ac.cn", "中国科学院电工研究所", "institute", "110108");
        let (_, b3) = app.verified_org("lead@nmgu.edu.cn", "内蒙古工业大学", "university", "150102");
        // a verified member: every member is verified at the formal check
        let (member, _) = app.verified_org("m@ordos-energy.cn", "鄂尔多斯能源集团有限公司", "enterprise", "150602");
        let mut with_member = simple_bid();
        with_member["members"] = json!([{"organization_id": member, "role": "示范场地", "share_percent": 20}]);
        let bid1 = bid(&app, &challenge, &cast.bidder, &with_member);
        let bid2 = bid(&app, &challenge, &b2, &simple_bid());
        let bid3 = bid(&app, &challenge, &b3, &simple_bid());

        // the rubric may be set while bids are sealed; experts only after the close
        app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.publisher),
            &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 50}]}))
            .problem(422, "validation_failed").has_field_error("criteria", "weights_not_100");
        app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.bidder),
            &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).problem(403, "forbidden");
        app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.publisher),
            &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
        let mut experts = Vec::new();
        let mut expert_ids = Vec::new();
        for i in 0..5 {
            let email = format!("expert{i}@experts.cn");
            let token = app.platform_user("expert", &email, None);
            expert_ids.push(app.get("/api/v1/me", Some(&token)).json["user"]["id"].as_str().unwrap().to_owned());
            experts.push(email);
        }
        // conflicts of interest: employed by a bid's member, by a lead, or by the publisher
        let conflicted: Vec<String> = [("coi-member@experts.cn", member.clone()), ("coi-lead@experts.cn", b2_org.clone()), ("coi-publisher@experts.cn", cast.publisher_org.clone())]
            .iter()
            .map(|(email, org)| {
                let t = app.platform_user("expert", email, Some(org));
                app.get("/api/v1/me", Some(&t)).json["user"]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official), &json!({"expert_ids": [expert_ids[0]]}))
            .problem(409, "challenge_not_evaluating");

        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        let (b2, b3) = (app.token("lead@iee.ac.cn"), app.token("lead@nmgu.edu.cn"));
        let experts: Vec<String> = experts.iter().map(|e| app.token(e)).collect();
        app.wait_until("close", || app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.official)).json["status"] == "evaluating");

        for id in &conflicted {
            app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official), &json!({"expert_ids": [id]}))
                .problem(409, "conflict_of_interest");
        }
        app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.publisher), &json!({"expert_ids": [expert_ids[0]]}))
            .problem(403, "forbidden");
        let assigned = app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official), &json!({"expert_ids": expert_ids})).expect(200).json;
        assert_eq!(assigned.as_array().unwrap().len(), 5);
        let invites = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "expert_assigned")).unwrap();
        assert_eq!(invites.len(), 5);
        // assigned experts read the bids they score; an unassigned one does not
        app.get(&format!("/api/v1/bids/{bid1}"), Some(&experts[0])).expect(200);
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}/bids"), Some(&experts[0])).expect(200).json.as_array().unwrap().len(), 3);
        let outsider = app.platform_user("expert", "unassigned@experts.cn", None);
        app.get(&format!("/api/v1/bids/{bid1}"), Some(&outsider)).problem(404, "not_found");

        // an assigned expert reads the bids' scores; before scoring only their own (none)
        score(&app, &bid1, &experts[0], [90, 80]);
        let seen = app.get(&format!("/api/v1/bids/{bid2}/scores"), Some(&experts[1])).expect(200).json;
        assert_eq!(seen, json!([]), "no other expert's scores before one's own");
        score(&app, &bid2, &experts[0], [70, 70]);
        let before_own = app.get(&format!("/api/v1/bids/{bid2}/scores"), Some(&experts[1])).expect(200).json;
        assert_eq!(before_own.as_array().unwrap().len(), 0);
        // the rubric is fixed once scoring started
        app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.official),
            &json!({"criteria": [{"name": "技术方案", "weight": 50}, {"name": "团队实力", "weight": 50}]})).problem(409, "rubric_locked");
        // scores are validated
        app.put(&format!("/api/v1/bids/{bid3}/scores"), Some(&experts[1]), &json!({"scores": [{"criterion": "c1", "score": 120, "comment": "x"}]}))
            .problem(422, "validation_failed").has_field_error("scores[0].score", "out_of_range");
        // bid1: c1 from five experts 90, 10, 85, 88, 100 → trimmed 85, 88, 90 → 87.67; c2 all 80
        for (i, v) in [(1, 10), (2, 85), (3, 88), (4, 100)] {
            score(&app, &bid1, &experts[i], [v, 80]);
        }
        let after_own = app.get(&format!("/api/v1/bids/{bid1}/scores"), Some(&experts[1])).expect(200).json;
        assert_eq!(after_own.as_array().unwrap().len(), 5, "after scoring, an expert sees every score");
        for e in &experts[1..] {
            score(&app, &bid2, e, [70, 70]);
        }
        for e in &experts {
            score(&app, &bid3, e, [60, 90]);
        }
        // bidders do not see the ranking before the award
        // (they may read the challenge, so they are told why: issue #12)
        app.get(&format!("/api/v1/challenges/{challenge}/ranking"), Some(&cast.bidder)).problem(409, "ranking_not_available");
        let ranking = app.get(&format!("/api/v1/challenges/{challenge}/ranking"), Some(&cast.publisher)).expect(200).json;
        let order: Vec<&str> = ranking.as_array().unwrap().iter().map(|r| r["bid_id"].as_str().unwrap()).collect();
        assert_eq!(order, [bid1.as_str(), bid3.as_str(), bid2.as_str()]);
        let top = &ranking[0];
        assert_eq!(top["criteria"][0][1], 87.67);
        assert_eq!(top["score"], 84.6); // 87.666… × 0.6 + 80 × 0.4 = 84.6
        assert_eq!(ranking[1]["score"], 72.0);
        assert!(top["fully_scored"].as_bool().unwrap());

        // the publisher selects two winners (赛马); an official confirms
        app.post(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.publisher), &json!({"bid_ids": [bid1, bid2, bid3]}))
            .problem(422, "validation_failed").has_field_error("bid_ids", "count_out_of_range");
        app.post(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.official), &json!({"bid_ids": [bid1]})).problem(403, "not_publisher");
        app.post(&format!("/api/v1/challenges/{challenge}/awards/confirm"), Some(&cast.official), &json!({})).problem(409, "no_selection");
        app.post(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.publisher), &json!({"bid_ids": [bid1, bid3]})).expect(200);
        // the official reads the selection before confirming it: the selected bids with their
        // scores and every expert's review; the ranking marks them
        let mut expected = vec![bid1.clone(), bid3.clone()];
        expected.sort();
        let selection = app.get(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.official)).expect(200).json;
        assert_eq!(selection["bid_ids"], json!(expected));
        assert_eq!(selection["confirmed"], false);
        assert_eq!(selection["entries"].as_array().unwrap().len(), 2);
        assert!(selection["entries"].as_array().unwrap().iter().all(|e| e["selected"] == true && e["reviews"].as_array().is_some_and(|r| !r.is_empty())));
        let marked: Vec<bool> = app.get(&format!("/api/v1/challenges/{challenge}/ranking"), Some(&cast.official)).json.as_array().unwrap()
            .iter().map(|e| e["selected"].as_bool().unwrap()).collect();
        assert_eq!(marked.iter().filter(|s| **s).count(), 2);
        // the publisher reads its own selection without the experts' names; bidders may not
        let own = app.get(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.publisher)).expect(200).json;
        assert!(own["entries"][0].get("reviews").is_none());
        app.get(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.bidder)).problem(403, "forbidden");
        app.post(&format!("/api/v1/challenges/{challenge}/awards/confirm"), Some(&cast.publisher), &json!({})).problem(403, "forbidden");
        let award = app.post(&format!("/api/v1/challenges/{challenge}/awards/confirm"), Some(&cast.official), &json!({})).expect(200).json;
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.official)).json["confirmed"], true);
        assert_eq!(award["status"], "awarded");
        assert_eq!(award["agreement_ids"].as_array().unwrap().len(), 2);
        app.post(&format!("/api/v1/challenges/{challenge}/awards/confirm"), Some(&cast.official), &json!({})).problem(409, "challenge_not_evaluating");
        assert_eq!(app.get(&format!("/api/v1/bids/{bid1}"), Some(&cast.bidder)).json["status"], "awarded");
        assert_eq!(app.get(&format!("/api/v1/bids/{bid3}"), Some(&b3)).json["status"], "awarded");
        assert_eq!(app.get(&format!("/api/v1/bids/{bid2}"), Some(&b2)).json["status"], "not_awarded");
        // the public view of the challenge shows the winners
        let public = app.get(&format!("/api/v1/challenges/{challenge}"), None).expect(200).json;
        let mut won: Vec<&str> = public["winners"].as_array().unwrap().iter().map(|w| w["bid_id"].as_str().unwrap()).collect();
        won.sort();
        let mut expected = vec![bid1.as_str(), bid3.as_str()];
        expected.sort();
        assert_eq!(won, expected);
        let agreements = app.state.db.read(|c| jiebang_db::evaluation::agreements_of_challenge(c, &challenge)).unwrap();
        assert_eq!(agreements.len(), 2);
        assert!(agreements.iter().all(|a| a.status == "drafted" && a.terms_hash.len() == 64));
        let terms: Value = serde_json::from_str(&agreements[0].terms_json).unwrap();
        assert_eq!(terms["parties"][0]["role"], "publisher");
        assert_eq!(terms["kpis"][0]["committed"], "95%");
        // 赛马: the enterprise funds are split between the two winners
        assert_eq!(terms["enterprise_amount"], 3_000_000);
        assert_eq!(terms["fiscal_amount"], 1_500_000);

        // 公示: bidders now read the ranking with every expert's scores and name, and their own scores
        let public = app.get(&format!("/api/v1/challenges/{challenge}/ranking"), Some(&b2)).expect(200).json;
        assert_eq!(public[0]["reviews"].as_array().unwrap().len(), 5);
        assert!(public[0]["reviews"][0]["expert_name"].is_string());
        assert_eq!(app.get(&format!("/api/v1/bids/{bid2}/scores"), Some(&b2)).expect(200).json.as_array().unwrap().len(), 5);
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}/experts"), Some(&b2)).expect(200).json.as_array().unwrap().len(), 5);
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "award")).unwrap();
        let mut to: Vec<&str> = mails.iter().map(|m| m.to_address.as_str()).collect();
        to.sort();
        assert_eq!(to, ["bidder@imu.edu.cn", "lead@iee.ac.cn", "lead@nmgu.edu.cn", "m@ordos-energy.cn", "publisher@bfhi.com.cn"],
            "three bidders, the consortium member of the first (issue #12) and the publisher are told");
        // the member is a party to the agreement of its bid (issue #12): named in the terms, it
        // finds and reads it, acts on nothing (its lead signs for the consortium), and the other
        // winner's agreement does not exist for it
        let member_token = app.token("m@ordos-energy.cn");
        let listed = app.get("/api/v1/agreements", Some(&member_token)).expect(200).json;
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{listed}");
        assert_eq!(items[0]["bid_id"], bid1.as_str());
        let aid = items[0]["id"].as_str().unwrap();
        let seen = app.get(&format!("/api/v1/agreements/{aid}"), Some(&member_token)).expect(200).json;
        let parties: Vec<(&str, &str)> = seen["terms"]["parties"].as_array().unwrap().iter()
            .map(|p| (p["role"].as_str().unwrap(), p["organization_id"].as_str().unwrap())).collect();
        assert_eq!(parties, [("publisher", cast.publisher_org.as_str()), ("bidder", cast.bidder_org.as_str()), ("member", member.as_str())]);
        assert_eq!(seen["actions"], json!([]));
        app.post(&format!("/api/v1/agreements/{aid}/sign"), Some(&member_token), &json!({"terms_hash": seen["terms_hash"]})).problem(403, "not_a_party");
        app.patch(&format!("/api/v1/agreements/{aid}"), Some(&member_token), &json!({"version": seen["version"], "term_months": 30})).problem(403, "forbidden");
        let other = agreements.iter().find(|a| a.id != aid).unwrap();
        app.get(&format!("/api/v1/agreements/{}", other.id), Some(&member_token)).problem(404, "not_found");
        // the lead and the publisher sign, and the agreement is signed: members do not count
        for token in [&cast.publisher, &cast.bidder] {
            app.post(&format!("/api/v1/agreements/{aid}/sign"), Some(token), &json!({"terms_hash": seen["terms_hash"]})).expect(200);
        }
        assert_eq!(app.get(&format!("/api/v1/agreements/{aid}"), Some(&member_token)).json["status"], "signed");
        // the CSV and the OCDS export name the member
        let csv = app.raw("GET", "/api/v1/exports/agreements.csv", Some(&cast.official), None, vec![]);
        assert!(csv.body.contains("鄂尔多斯能源集团有限公司（"), "{}", csv.body);
        let package = app.get("/api/v1/exports/ocds", Some(&cast.official)).expect(200).json;
        let award = package["releases"][0]["awards"].as_array().unwrap().iter().find(|a| a["id"] == bid1.as_str()).unwrap();
        let suppliers: Vec<&str> = award["suppliers"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(suppliers, ["内蒙古大学", "鄂尔多斯能源集团有限公司"]);
        if let Err(errors) = jiebang_tests::validate_ocds(&package) {
            panic!("invalid OCDS export:\n{errors}");
        }
    }
}

//! Work lists: a bidder finds its bids through `/me/bids` (as lead or as consortium member), an
//! expert finds its work through `/me/assignments` with "已评 x / y".

use jiebang_tests::on_both_databases;
use serde_json::{json, Value};

const PROBLEM: &str =
    "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。";

fn bid_body(members: &[&str]) -> Value {
    json!({
        "approach": "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制与风场示范应用。",
        "members": members.iter().map(|m| json!({"organization_id": m, "role": "样机试验", "share_percent": 20})).collect::<Vec<_>>(),
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}],
        "requested_fiscal": 300_000, "own_funds": 100_000
    })
}

on_both_databases! {
    fn bidders_and_members_find_their_bids(app) {
        let cast = app.cast();
        let (member_org, member) = app.verified_org("lab@imau.edu.cn", "内蒙古农业大学", "university", "150102");
        let first = app.publish(&cast.publisher, &cast.official, &app.challenge_body("稀土永磁同步电机及控制系统研发", "稀土", PROBLEM, 10));
        let second = app.publish(&cast.publisher, &cast.official, &app.challenge_body("风电装备用永磁材料批量制备技术", "稀土", PROBLEM, 12));
        let with_member = app.post(&format!("/api/v1/challenges/{first}/bids"), Some(&cast.bidder), &bid_body(&[&member_org])).expect(201).json["id"].as_str().unwrap().to_owned();
        let alone = app.post(&format!("/api/v1/challenges/{second}/bids"), Some(&cast.bidder), &bid_body(&[])).expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/bids/{with_member}/submit"), Some(&cast.bidder), &json!({})).expect(200);

        let mine = app.get("/api/v1/me/bids", Some(&cast.bidder)).expect(200).json;
        let rows = mine.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        // newest first, each with its challenge and what the lead may do now
        assert_eq!(rows[0]["bid_id"], alone.as_str());
        assert_eq!(rows[0]["status"], "draft");
        assert_eq!(rows[0]["role"], "lead");
        assert_eq!(rows[0]["challenge_title"], "风电装备用永磁材料批量制备技术");
        assert_eq!(rows[0]["challenge_status"], "published");
        assert!(rows[0]["bidding_deadline_local"].as_str().unwrap().ends_with("北京时间 (Asia/Shanghai, UTC+8)"));
        assert_eq!(rows[0]["actions"], json!(["edit", "submit", "withdraw"]));
        assert_eq!(rows[1]["bid_id"], with_member.as_str());
        assert_eq!(rows[1]["status"], "submitted");
        assert_eq!(rows[1]["actions"], json!(["withdraw"]));
        // the bid's history: its lead's users read it; before the deadline nobody else does
        let history = app.get(&format!("/api/v1/bids/{with_member}/history"), Some(&cast.bidder)).expect(200).json;
        let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "submit"]);
        for token in [&cast.publisher, &cast.official, &member] {
            app.get(&format!("/api/v1/bids/{with_member}/history"), Some(token)).problem(404, "not_found");
        }
        // the member sees the bid that names it, and may do nothing with it
        let theirs = app.get("/api/v1/me/bids", Some(&member)).expect(200).json;
        assert_eq!(theirs.as_array().unwrap().len(), 1);
        assert_eq!(theirs[0]["bid_id"], with_member.as_str());
        assert_eq!(theirs[0]["role"], "member");
        assert_eq!(theirs[0]["actions"], json!([]));
        // the publisher has none; callers without an organisation are told so
        assert_eq!(app.get("/api/v1/me/bids", Some(&cast.publisher)).expect(200).json, json!([]));
        app.get("/api/v1/me/bids", Some(&cast.official)).problem(403, "no_organization");
        app.get("/api/v1/me/bids", None).problem(401, "unauthenticated");
    }

    fn experts_find_their_assignments_and_progress(app) {
        let mut cast = app.cast();
        let (_, third) = app.verified_org("third@ims.ac.cn", "中国科学院过程工程研究所", "institute", "110108");
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("稀土永磁同步电机及控制系统研发", "稀土", PROBLEM, 10));
        let mut bids = Vec::new();
        for token in [&cast.bidder, &third] {
            let id = app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(token), &bid_body(&[])).expect(201).json["id"].as_str().unwrap().to_owned();
            app.post(&format!("/api/v1/bids/{id}/submit"), Some(token), &json!({})).expect(200);
            bids.push(id);
        }
        app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.publisher),
            &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
        let expert = app.platform_user("expert", "scorer@experts.cn", None);
        let expert_id = app.get("/api/v1/me", Some(&expert)).json["user"]["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/v1/me/assignments", Some(&expert)).expect(200).json, json!([]));
        // an expert's own challenges are its assignments: none yet
        assert_eq!(app.get("/api/v1/challenges?mine=true", Some(&expert)).expect(200).json["items"], json!([]));
        app.post(&format!("/api/v1/challenges/{challenge}/questions"), Some(&third), &json!({"question": "是否提供电机测试台架？"})).expect(201);
        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        let expert = app.token("scorer@experts.cn");
        app.wait_until("close", || app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.official)).json["status"] == "evaluating");
        app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official), &json!({"expert_ids": [expert_id]})).expect(200);
        let work = app.get("/api/v1/me/assignments", Some(&expert)).expect(200).json;
        assert_eq!(work[0]["challenge_id"], challenge.as_str());
        let mine = app.get("/api/v1/challenges?mine=true", Some(&expert)).expect(200).json;
        let listed: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [challenge.as_str()]);
        // the publisher's own list carries what it watches (issue #12): the bids handed in, the
        // questions and how many await an answer, the experts, the agreements
        let own = app.get("/api/v1/challenges?mine=true", Some(&cast.publisher)).expect(200).json;
        let c = own["items"].as_array().unwrap().iter().find(|c| c["id"] == challenge.as_str()).unwrap();
        assert_eq!(c["bid_count"], 2);
        assert_eq!(c["counts"], json!({"questions": 1, "questions_unanswered": 1, "experts_assigned": 1, "agreements": 0}));
        // the public list has no such counts
        assert!(app.get("/api/v1/challenges", None).json["items"][0].get("counts").is_none());
        assert_eq!(work[0]["title"], "稀土永磁同步电机及控制系统研发");
        assert_eq!(work[0]["status"], "evaluating");
        assert_eq!((work[0]["bids_to_score"].as_i64(), work[0]["scored"].as_i64(), work[0]["done"].as_bool()), (Some(2), Some(0), Some(false)));
        for (i, b) in bids.iter().enumerate() {
            app.put(&format!("/api/v1/bids/{b}/scores"), Some(&expert), &json!({"scores": [
                {"criterion": "c1", "score": 80, "comment": "可行"}, {"criterion": "c2", "score": 75, "comment": "可靠"}]})).expect(200);
            let work = app.get("/api/v1/me/assignments", Some(&expert)).expect(200).json;
            assert_eq!(work[0]["scored"].as_i64(), Some(i as i64 + 1));
        }
        assert_eq!(app.get("/api/v1/me/assignments", Some(&expert)).json[0]["done"], true);
        // only experts have assignments
        app.get("/api/v1/me/assignments", Some(&cast.official)).problem(403, "forbidden");
        app.get("/api/v1/me/assignments", Some(&cast.bidder)).problem(403, "forbidden");
    }
}

on_both_databases! {
    // a consortium member reads the bid that names it once bidding has closed, as the lead may
    // before (issue #12); before the close it is the lead's draft to change, sealed from it too
    fn members_read_their_bid_once_bidding_closes(app) {
        let mut cast = app.cast();
        let (member_org, _) = app.verified_org("lab@imau.edu.cn", "内蒙古农业大学", "university", "150102");
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("稀土永磁同步电机及控制系统研发", "稀土", PROBLEM, 10));
        let bid = app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &bid_body(&[&member_org])).expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/bids/{bid}/submit"), Some(&cast.bidder), &json!({})).expect(200);
        let member = app.token("lab@imau.edu.cn");
        app.get(&format!("/api/v1/bids/{bid}"), Some(&member)).problem(404, "not_found");
        // the member is told the bid naming it was handed in
        let kinds = app.get("/api/v1/me/notifications", Some(&member)).json["items"].as_array().unwrap()
            .iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert!(kinds.contains(&"bid_submitted".to_owned()), "{kinds:?}");
        app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
        cast.relogin(&app);
        let member = app.token("lab@imau.edu.cn");
        app.wait_until("close", || app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.official)).json["status"] == "evaluating");
        let read = app.get(&format!("/api/v1/bids/{bid}"), Some(&member)).expect(200).json;
        assert_eq!(read["members"][0]["organization_id"], member_org.as_str());
        assert_eq!(read["actions"], json!([]));
        app.get(&format!("/api/v1/bids/{bid}/history"), Some(&member)).expect(200);
        // an organisation the bid does not name still cannot
        let (_, outsider) = app.verified_org("x@ordos.cn", "鄂尔多斯其他科技有限公司", "enterprise", "150602");
        app.get(&format!("/api/v1/bids/{bid}"), Some(&outsider)).problem(404, "not_found");
    }
}

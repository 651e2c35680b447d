//! The directory of organisations (`GET /organizations`): an official finds the organisations
//! awaiting verification with no id known beforehand; bidders and publishers find partners and
//! invitees; filters, paging, and who sees what.

use jiebang_tests::on_both_databases;
use serde_json::{json, Value};

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    fn an_official_works_through_the_verification_queue(app) {
        let cast = app.cast();
        app.register("waiting1@ordos.cn", "鄂尔多斯氢能装备有限公司", "enterprise", "150602");
        app.register("waiting2@baotou.cn", "包头稀土新材料研究院", "institute", "150203");
        // the public and organisation users see verified organisations only
        let public = app.get("/api/v1/organizations", None).expect(200).json;
        assert_eq!(names(&public), ["内蒙古北方重工业集团有限公司", "内蒙古大学"]);
        assert!(public["next_cursor"].is_null());
        for token in [None, Some(cast.bidder.as_str())] {
            app.get("/api/v1/organizations?status=unverified", token).problem(403, "forbidden");
        }
        // the official finds the queue, oldest first, and verifies from it
        let queue = app.get("/api/v1/organizations?status=unverified", Some(&cast.official)).expect(200).json;
        assert_eq!(names(&queue), ["鄂尔多斯氢能装备有限公司", "包头稀土新材料研究院"]);
        assert_eq!(queue["items"][0]["status"], "unverified");
        assert_eq!(queue["items"][0]["actions"], json!(["verify", "return"]));
        let first = &ids(&queue)[0];
        app.post(&format!("/api/v1/organizations/{first}/verify"), Some(&cast.official), &json!({})).expect(200);
        let queue = app.get("/api/v1/organizations?status=unverified", Some(&cast.official)).expect(200).json;
        assert_eq!(names(&queue), ["包头稀土新材料研究院"]);
        assert_eq!(app.get("/api/v1/organizations", None).json["items"].as_array().unwrap().len(), 3);
        // officials see everyone without a filter
        assert_eq!(app.get("/api/v1/organizations", Some(&cast.official)).json["items"].as_array().unwrap().len(), 4);
    }

    fn registration_tells_the_officials_and_they_verify_or_return(app) {
        let cast = app.cast();
        let kinds = |token: &str| -> Vec<String> {
            let list = app.get("/api/v1/me/notifications", Some(token)).expect(200).json;
            list["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
        };
        let reg = app.register("waiting@ordos.cn", "鄂尔多斯氢能装备有限公司", "enterprise", "150602");
        let org = reg["organization"]["id"].as_str().unwrap().to_owned();
        assert!(kinds(&cast.official).contains(&"organization_registered".to_owned()));
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "organization_registered")).unwrap();
        assert!(mails.iter().any(|m| m.to_address == "official@kjt.nmg.gov.cn" && m.subject.contains("鄂尔多斯氢能装备有限公司")));
        // returned with a reason: the organisation is told why, and sees it on itself
        let waiting = app.token("waiting@ordos.cn");
        app.post(&format!("/api/v1/organizations/{org}/return"), Some(&cast.bidder), &json!({"reason": "信用代码与营业执照不符"})).problem(403, "forbidden");
        app.post(&format!("/api/v1/organizations/{org}/return"), Some(&cast.official), &json!({"reason": ""})).problem(422, "validation_failed").has_field_error("reason", "required");
        let returned = app.post(&format!("/api/v1/organizations/{org}/return"), Some(&cast.official), &json!({"reason": "信用代码与营业执照不符"})).expect(200).json;
        assert_eq!(returned["status"], "unverified");
        assert_eq!(returned["return_reason"], "信用代码与营业执照不符");
        assert!(kinds(&waiting).contains(&"organization_returned".to_owned()));
        let own = app.get(&format!("/api/v1/organizations/{org}"), Some(&waiting)).expect(200).json;
        assert_eq!(own["return_reason"], "信用代码与营业执照不符");
        // its admin corrects the details: the return is cleared
        let edited = app.patch(&format!("/api/v1/organizations/{org}"), Some(&waiting), &json!({"version": own["version"], "description": "已补充营业执照信息"})).expect(200).json;
        assert!(edited["return_reason"].is_null() && edited["returned_at"].is_null());
        // verified, it cannot be returned any more
        app.post(&format!("/api/v1/organizations/{org}/verify"), Some(&cast.official), &json!({})).expect(200);
        app.post(&format!("/api/v1/organizations/{org}/return"), Some(&cast.official), &json!({"reason": "再次退回"})).problem(409, "already_verified");
        let history = app.get(&format!("/api/v1/organizations/{org}/history"), Some(&cast.official)).expect(200).json;
        let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"return") && actions.contains(&"verify"), "{actions:?}");
    }

    fn partners_and_invitees_are_found_by_name_region_kind_and_credit_code(app) {
        let cast = app.cast();
        let (member, _) = app.verified_org("lab@imau.edu.cn", "内蒙古农业大学 草业学院", "university", "150102");
        app.verified_org("ore@baotou.cn", "包头稀土研究院", "institute", "150203");
        app.verified_org("mine@chifeng.cn", "赤峰矿业集团", "enterprise", "150402");
        let search = |query: &str| names(&app.get(&format!("/api/v1/organizations?{query}"), Some(&cast.bidder)).expect(200).json);
        // words of the name, all of them
        assert_eq!(search("q=%E8%8D%89%E4%B8%9A"), ["内蒙古农业大学 草业学院"]);
        assert_eq!(search("q=%E5%86%85%E8%92%99%E5%8F%A4+%E5%AD%A6%E9%99%A2"), ["内蒙古农业大学 草业学院"]);
        // an exact credit code
        let code = app.get(&format!("/api/v1/organizations/{member}"), None).json["credit_code"].as_str().unwrap().to_owned();
        assert_eq!(search(&format!("q={code}")), ["内蒙古农业大学 草业学院"]);
        // a prefecture's code finds what lies inside it; the province's finds all of them
        assert_eq!(search("region=150200"), ["内蒙古北方重工业集团有限公司", "包头稀土研究院"]);
        assert_eq!(search("region=150000").len(), 5);
        assert_eq!(search("region=150203"), ["包头稀土研究院"]);
        assert_eq!(search("kind=enterprise&region=150000"), ["内蒙古北方重工业集团有限公司", "赤峰矿业集团"]);
        // what the directory lists is what a bid names as a member
        let entry = &app.get("/api/v1/organizations?q=%E8%8D%89%E4%B8%9A", Some(&cast.bidder)).json["items"][0];
        assert_eq!(entry["id"], member.as_str());
        assert_eq!(entry["region_name"], "内蒙古自治区 呼和浩特市 新城区");
        assert!(entry["industries"].as_array().unwrap().is_empty());
        // and a publisher invites organisations it found there to a directed challenge
        let found = ids(&app.get("/api/v1/organizations?kind=institute", Some(&cast.publisher)).json);
        let mut body = app.challenge_body("定向委托：稀土永磁材料回收技术研究与示范", "稀土",
            "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。", 10);
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!(found);
        app.post("/api/v1/challenges", Some(&cast.publisher), &body).expect(201);
        // bad filters name the field
        app.get("/api/v1/organizations?kind=company", None).problem(422, "validation_failed").has_field_error("kind", "invalid_value");
        app.get("/api/v1/organizations?region=999999", None).problem(422, "validation_failed");
        app.get("/api/v1/organizations?limit=0", None).problem(422, "validation_failed").has_field_error("limit", "out_of_range");
        app.get("/api/v1/organizations?cursor=nonsense", None).problem(422, "validation_failed").has_field_error("cursor", "invalid_cursor");
        app.get("/api/v1/organizations?status=closed", Some(&cast.official)).problem(422, "validation_failed").has_field_error("status", "invalid_value");
    }

    fn the_directory_pages_through_everyone_once(app) {
        let cast = app.cast();
        for i in 0..23 {
            app.register(&format!("org{i}@ordos.cn"), &format!("鄂尔多斯第{i}科技有限公司"), "enterprise", "150602");
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("/api/v1/organizations?status=unverified&limit=5&cursor={c}"),
                None => "/api/v1/organizations?status=unverified&limit=5".to_owned(),
            };
            let page = app.get(&url, Some(&cast.official)).expect(200).json;
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!((seen.len(), unique.len()), (23, 23));
    }
}

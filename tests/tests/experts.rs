//! Experts' own work beyond scoring: their fields (专业领域) and the officials' search by field,
//! unfinished scores (暂存) that nobody else sees and nothing counts, and the declaration of a
//! conflict of interest (回避) that removes the assignment and its scores and tells the official;
//! and a user's history (created, signed in, deactivated), read by admins and, for experts and
//! officials, by officials.

use jiebang_tests::{assigned, on_both_databases, TestApp};
use serde_json::json;

fn user_id(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", Some(token)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_databases! {
    fn experts_are_created_with_fields_and_found_by_them(app) {
        let cast = app.cast();
        let created = app.post("/api/v1/admin/users", Some(&cast.admin), &json!({
            "role": "expert", "email": "rare-earth@experts.cn", "password": "Grass-Steppe-2026!",
            "name": "赵研究员", "fields": [" 稀土永磁 ", "新材料"]
        })).expect(201).json;
        assert_eq!(created["fields"], json!(["稀土永磁", "新材料"]));
        app.post("/api/v1/admin/users", Some(&cast.admin), &json!({
            "role": "expert", "email": "hydrogen@experts.cn", "password": "Grass-Steppe-2026!",
            "name": "钱教授", "fields": ["氢能"]
        })).expect(201);
        // only experts have fields; each is bounded
        app.post("/api/v1/admin/users", Some(&cast.admin), &json!({
            "role": "official", "email": "o2@kjt.nmg.gov.cn", "password": "Grass-Steppe-2026!",
            "name": "孙处长", "fields": ["氢能"]
        })).problem(422, "validation_failed").has_field_error("fields", "not_allowed");
        app.post("/api/v1/admin/users", Some(&cast.admin), &json!({
            "role": "expert", "email": "long@experts.cn", "password": "Grass-Steppe-2026!",
            "name": "李专家", "fields": ["长".repeat(31)]
        })).problem(422, "validation_failed").has_field_error("fields[0]", "too_long");

        let by_field = app.get("/api/v1/admin/users?role=expert&field=%E7%A8%80%E5%9C%9F", Some(&cast.official)).expect(200).json;
        let names: Vec<&str> = by_field.as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["赵研究员"], "稀土 finds the rare-earth expert only");
        let by_name = app.get("/api/v1/admin/users?role=expert&q=%E9%92%B1", Some(&cast.official)).expect(200).json;
        assert_eq!(by_name.as_array().unwrap().len(), 1);
        assert_eq!(by_name[0]["name"], "钱教授");
        let all = app.get("/api/v1/admin/users?role=expert", Some(&cast.official)).expect(200).json;
        assert_eq!(all.as_array().unwrap().len(), 2);
    }

    fn a_users_history_records_creation_sign_in_and_deactivation(app) {
        let cast = app.cast();
        let expert = app.post("/api/v1/admin/users", Some(&cast.admin), &json!({
            "role": "expert", "email": "history@experts.cn", "password": "Grass-Steppe-2026!",
            "name": "吴研究员", "fields": ["氢能"]
        })).expect(201).json;
        let id = expert["id"].as_str().unwrap();
        let path = format!("/api/v1/admin/users/{id}/history");
        app.token_with("history@experts.cn", "Grass-Steppe-2026!");
        app.patch(&format!("/api/v1/admin/users/{id}"), Some(&cast.admin), &json!({"active": false})).expect(200);
        let actions = |token: &str| -> Vec<String> {
            app.get(&path, Some(token)).expect(200).json.as_array().unwrap().iter()
                .map(|e| e["action"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(actions(&cast.admin), ["create", "login", "deactivate"]);
        // officials read the experts' and officials' histories, not the admins'
        assert_eq!(actions(&cast.official), ["create", "login", "deactivate"]);
        let admin_id = user_id(&app, &cast.admin);
        app.get(&format!("/api/v1/admin/users/{admin_id}/history"), Some(&cast.admin)).expect(200);
        app.get(&format!("/api/v1/admin/users/{admin_id}/history"), Some(&cast.official)).problem(404, "not_found");
        app.get(&path, Some(&cast.publisher)).problem(403, "forbidden");
        app.get("/api/v1/admin/users/no-such-user/history", Some(&cast.admin)).problem(404, "not_found");
    }

    fn a_draft_is_the_experts_alone_until_the_scores_are_submitted(app) {
        let mut cast = app.cast();
        let (challenge, bids, _, expert) = assigned(&app, &mut cast);
        let second = app.platform_user("expert", "second@experts.cn", None);
        app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official),
            &json!({"expert_ids": [user_id(&app, &second)]})).expect(200);
        let draft_path = format!("/api/v1/bids/{}/scores/draft", bids[0]);

        app.get(&draft_path, Some(&expert)).problem(404, "not_found");
        // half done: one score without its comment, nothing for the other criterion
        let saved = app.put(&draft_path, Some(&expert), &json!({"scores": [
            {"criterion": "c1", "score": 82}
        ]})).expect(200).json;
        assert_eq!(saved["scores"], json!([{"criterion": "c1", "score": 82, "comment": ""}]));
        app.put(&draft_path, Some(&expert), &json!({"scores": [{"criterion": "c1", "score": 101}]}))
            .problem(422, "validation_failed").has_field_error("scores[0].score", "out_of_range");
        app.put(&draft_path, Some(&expert), &json!({"scores": [{"criterion": "c7", "score": null}]}))
            .problem(422, "validation_failed").has_field_error("scores[0].criterion", "unknown_criterion");
        // the expert reads it back; nobody else does, and it is no score
        assert_eq!(app.get(&draft_path, Some(&expert)).expect(200).json["scores"][0]["score"], 82);
        app.get(&draft_path, Some(&second)).problem(404, "not_found");
        app.get(&draft_path, Some(&cast.publisher)).problem(404, "not_found");
        app.put(&draft_path, Some(&cast.official), &json!({"scores": []})).problem(404, "not_found");
        assert_eq!(app.get(&format!("/api/v1/bids/{}/scores", bids[0]), Some(&cast.official)).expect(200).json, json!([]));
        let ranking = app.get(&format!("/api/v1/challenges/{challenge}/ranking"), Some(&cast.official)).expect(200).json;
        assert!(ranking.as_array().unwrap().iter().all(|e| e["experts_scored"] == 0), "{ranking}");
        // a draft does not fix the rubric
        app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.official),
            &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);

        // submitting complete scores removes the draft
        app.put(&format!("/api/v1/bids/{}/scores", bids[0]), Some(&expert), &json!({"scores": [
            {"criterion": "c1", "score": 82, "comment": "方案可行"}, {"criterion": "c2", "score": 75, "comment": "团队较强"}
        ]})).expect(200);
        app.get(&draft_path, Some(&expert)).problem(404, "not_found");
        assert_eq!(app.get(&format!("/api/v1/bids/{}/scores", bids[0]), Some(&cast.official)).expect(200).json.as_array().unwrap().len(), 1);
    }

    fn an_expert_declares_a_conflict_of_interest_and_leaves_the_evaluation(app) {
        let mut cast = app.cast();
        let (challenge, bids, _, expert) = assigned(&app, &mut cast);
        let expert_id = user_id(&app, &expert);
        let path = format!("/api/v1/challenges/{challenge}/recusals");
        // scores already given, and a draft
        app.put(&format!("/api/v1/bids/{}/scores", bids[0]), Some(&expert), &json!({"scores": [
            {"criterion": "c1", "score": 90, "comment": "方案可行"}, {"criterion": "c2", "score": 90, "comment": "团队较强"}
        ]})).expect(200);
        app.put(&format!("/api/v1/bids/{}/scores/draft", bids[1]), Some(&expert), &json!({"scores": [{"criterion": "c1", "score": 60}]})).expect(200);

        // a reason is required; only an assigned expert declares
        app.post(&path, Some(&expert), &json!({"reason": " "}))
            .problem(422, "validation_failed").has_field_error("reason", "required");
        let outsider = app.platform_user("expert", "outsider@experts.cn", None);
        app.post(&path, Some(&outsider), &json!({"reason": "与揭榜团队有合作"})).problem(404, "not_found");
        app.post(&path, Some(&cast.official), &json!({"reason": "与揭榜团队有合作"})).problem(403, "forbidden");

        let before = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "expert_recused")).unwrap().len();
        let declared = app.post(&path, Some(&expert), &json!({"reason": "近三年与内蒙古大学团队有合作项目"})).expect(201).json;
        assert_eq!(declared["expert_id"], expert_id.as_str());

        // the assignment, the scores and the draft are gone
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official)).expect(200).json, json!([]));
        assert_eq!(app.get(&format!("/api/v1/bids/{}/scores", bids[0]), Some(&cast.official)).expect(200).json, json!([]));
        app.get(&format!("/api/v1/bids/{}", bids[0]), Some(&expert)).problem(404, "not_found");
        let draft = app.state.db.read(|c| jiebang_db::evaluation::draft(c, &bids[1], &expert_id)).unwrap();
        assert!(draft.is_none(), "the draft goes with the assignment");
        // the official who assigned the expert is told, with the reason
        let mails = app.state.db.read(|c| jiebang_db::notifications::emails_of_kind(c, "expert_recused")).unwrap();
        assert_eq!(mails.len(), before + 1);
        let mail = mails.last().unwrap();
        assert_eq!(mail.to_address, "official@kjt.nmg.gov.cn");
        assert!(mail.body_text.contains("近三年与内蒙古大学团队有合作项目"), "{}", mail.body_text);
        // officials see the declaration; the publisher does not
        let list = app.get(&path, Some(&cast.official)).expect(200).json;
        assert_eq!(list[0]["reason"], "近三年与内蒙古大学团队有合作项目");
        app.get(&path, Some(&cast.publisher)).problem(403, "forbidden");
        // the expert cannot be assigned to this challenge again, nor declare twice
        app.post(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official), &json!({"expert_ids": [expert_id]}))
            .problem(409, "conflict_of_interest");
        app.post(&path, Some(&expert), &json!({"reason": "再次声明"})).problem(404, "not_found");
        // the audit log keeps the declaration
        let history = app.get(&format!("/api/v1/challenges/{challenge}/history"), Some(&cast.official)).expect(200).json;
        assert!(history.as_array().unwrap().iter().any(|e| e["action"] == "recuse"), "{history}");
    }
}

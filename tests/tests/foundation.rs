//! Foundation: operations endpoints, accounts and sessions, errors as problem+json.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiebang_tests::{credit_code, on_both_databases, TestApp, PASSWORD};
use serde_json::json;

fn registration(email: &str, credit: &str, region: &str) -> serde_json::Value {
    json!({
        "email": email, "password": PASSWORD, "name": "王工",
        "organization": {"name": "内蒙古北方重工业集团有限公司", "kind": "enterprise", "credit_code": credit, "region_code": region}
    })
}

on_both_databases! {
    fn operations_endpoints_answer(app) {
        let r = app.get("/healthz", None).expect(200);
        assert_eq!(r.json["status"], "ok");
        assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 16));
        let r = app.get("/readyz", None).expect(200);
        assert_eq!(r.json["database"], if app.db == jiebang_tests::Db::Sqlite { "sqlite" } else { "postgres" });
        let doc = app.get("/openapi.json", None).expect(200).json;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
                     "/api/v1/me", "/api/v1/organizations/{id}", "/api/v1/organizations/{id}/verify",
                     "/api/v1/organizations/{id}/members", "/api/v1/admin/users", "/healthz", "/readyz", "/openapi.json"] {
            assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
        }
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        // an incoming, well-formed request id is kept
        let r = app.raw("GET", "/healthz", None, None, vec![]);
        assert_ne!(r.header("x-request-id"), None);
    }

    fn register_login_me_refresh_logout(app) {
        let reg = app.post("/api/v1/auth/register", None, &registration("Wang.Gong@BFHI.com.cn", &credit_code("150200"), "150200")).expect(201);
        assert_eq!(reg.json["user"]["email"], "wang.gong@bfhi.com.cn");
        assert_eq!(reg.json["user"]["role"], "org_admin");
        assert_eq!(reg.json["organization"]["status"], "unverified");
        assert_eq!(reg.json["organization"]["region_name"], "内蒙古自治区 包头市");
        assert!(reg.json["user"].get("password_hash").is_none() && !reg.body.contains("argon2"));

        let tokens = app.login("wang.gong@bfhi.com.cn", PASSWORD);
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        let access = tokens["access_token"].as_str().unwrap();
        let refresh = tokens["refresh_token"].as_str().unwrap();

        let me = app.get("/api/v1/me", Some(access)).expect(200).json;
        assert_eq!(me["role"], "org_admin");
        assert_eq!(me["user"]["name"], "王工");
        assert_eq!(me["organization"]["id"], reg.json["organization"]["id"]);

        // refresh rotates: a new pair, and the old refresh token is spent
        let rotated = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh})).expect(200).json;
        let refresh2 = rotated["refresh_token"].as_str().unwrap();
        assert_ne!(refresh2, refresh);
        let access2 = rotated["access_token"].as_str().unwrap();
        app.get("/api/v1/me", Some(access2)).expect(200);

        // logout ends the session: its refresh and access tokens stop working
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": refresh2})).expect(204);
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh2})).problem(401, "invalid_refresh_token");
        app.get("/api/v1/me", Some(access2)).problem(401, "invalid_token");
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": "nonsense"})).problem(401, "invalid_refresh_token");
    }

    fn reusing_a_refresh_token_revokes_the_family(app) {
        app.register("li@imu.edu.cn", "内蒙古大学", "university", "150102");
        let t = app.login("li@imu.edu.cn", PASSWORD);
        let old = t["refresh_token"].as_str().unwrap().to_owned();
        let newer = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": old})).expect(200).json;
        // the stolen old token is presented again: refused, and the thief's and owner's session ends
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": old})).problem(401, "refresh_token_reused");
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": newer["refresh_token"]})).problem(401, "invalid_refresh_token");
        app.get("/api/v1/me", newer["access_token"].as_str()).problem(401, "invalid_token");
        // another session of the same user is unaffected
        let other = app.token("li@imu.edu.cn");
        app.get("/api/v1/me", Some(&other)).expect(200);
    }

    fn registration_is_validated(app) {
        let good = credit_code("150100");
        // bad credit code check character
        let mut bad_code = good.clone();
        bad_code.replace_range(17.., if good.ends_with('0') { "1" } else { "0" });
        app.post("/api/v1/auth/register", None, &registration("a@x.cn", &bad_code, "150100"))
            .problem(422, "validation_failed").has_field_error("organization.credit_code", "invalid_checksum");
        // a real published code passes (华为技术有限公司)
        app.post("/api/v1/auth/register", None, &registration("hw@huawei.com", "914403001922038216", "440300")).expect(201);
        // unknown and malformed region codes
        app.post("/api/v1/auth/register", None, &registration("a@x.cn", &good, "159999"))
            .problem(422, "validation_failed").has_field_error("organization.region_code", "unknown_region");
        app.post("/api/v1/auth/register", None, &registration("a@x.cn", &good, "15A100"))
            .problem(422, "validation_failed").has_field_error("organization.region_code", "invalid_format");
        // short, common and personal passwords; bad e-mail; bad kind; every error at once
        let mut body = registration("not-an-email", &good, "150100");
        body["password"] = json!("short");
        body["organization"]["kind"] = json!("company");
        let r = app.post("/api/v1/auth/register", None, &body).problem(422, "validation_failed");
        let r = r.has_field_error("password", "password_too_short").has_field_error("email", "invalid_email");
        r.has_field_error("organization.kind", "invalid_value");
        let mut body = registration("a@x.cn", &good, "150100");
        body["password"] = json!("Password2024!");
        app.post("/api/v1/auth/register", None, &body).has_field_error("password", "password_too_common");
        let mut body = registration("wangfang@x.cn", &good, "150100");
        body["password"] = json!("wangfang-is-my-name");
        app.post("/api/v1/auth/register", None, &body).has_field_error("password", "password_contains_personal_data");
        // missing and unknown fields
        app.post("/api/v1/auth/register", None, &json!({"email": "a@x.cn", "password": PASSWORD, "name": "x"}))
            .problem(422, "validation_failed").has_field_error("organization", "required");
        let mut body = registration("a@x.cn", &good, "150100");
        body["organization"]["is_verified"] = json!(true);
        app.post("/api/v1/auth/register", None, &body)
            .problem(422, "validation_failed").has_field_error("organization.is_verified", "unknown_field");
        let mut body = registration("a@x.cn", &good, "150100");
        body["organization"]["name"] = json!(42);
        app.post("/api/v1/auth/register", None, &body)
            .problem(422, "validation_failed").has_field_error("organization.name", "invalid_type");
        // nothing of the failed attempts was written
        app.post("/api/v1/auth/login", None, &json!({"email": "a@x.cn", "password": PASSWORD})).problem(401, "invalid_credentials");
    }

    fn duplicates_are_conflicts(app) {
        let code = credit_code("150600");
        app.post("/api/v1/auth/register", None, &registration("first@ordos.cn", &code, "150600")).expect(201);
        app.post("/api/v1/auth/register", None, &registration("FIRST@ordos.cn", &credit_code("150600"), "150600"))
            .problem(409, "email_taken");
        app.post("/api/v1/auth/register", None, &registration("second@ordos.cn", &code, "150600"))
            .problem(409, "credit_code_taken");
        // the refused second registration left no user behind
        app.post("/api/v1/auth/login", None, &json!({"email": "second@ordos.cn", "password": PASSWORD})).problem(401, "invalid_credentials");
    }

    fn malformed_requests_are_problems(app) {
        app.raw("POST", "/api/v1/auth/login", None, Some("application/json"), b"{\"email\": ".to_vec())
            .problem(400, "malformed_json");
        app.raw("POST", "/api/v1/auth/login", None, Some("application/json"), br#"{"email": "a@b.cn", "password": "x"} []"#.to_vec())
            .problem(400, "malformed_json");
        app.raw("POST", "/api/v1/auth/login", None, Some("text/plain"), b"{}".to_vec())
            .problem(415, "unsupported_media_type");
        // a body must be an object, not the struct's fields in an array
        app.register("array-body@ordos.cn", "鄂尔多斯数组测试有限公司", "enterprise", "150602");
        let me = app.token("array-body@ordos.cn");
        app.raw("PATCH", "/api/v1/me", Some(&me), Some("application/json"), b" [null, null]".to_vec())
            .problem(422, "validation_failed").has_field_error("body", "invalid_type");
        let big = format!("{{\"email\": \"{}\", \"password\": \"x\"}}", "a".repeat(300 * 1024));
        app.raw("POST", "/api/v1/auth/login", None, Some("application/json"), big.into_bytes())
            .problem(413, "payload_too_large");
        app.get("/api/v1/nowhere", None).problem(404, "not_found");
        // outside /api the web interface answers: an unknown page is a 404 page in Chinese (#13)
        let page = app.get("/nowhere", None);
        assert_eq!(page.status, 404);
        assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
        assert!(page.body.contains("未找到"));
        let r = app.raw("DELETE", "/api/v1/me", None, None, vec![]).problem(405, "method_not_allowed");
        assert_eq!(r.header("allow"), Some("GET, PATCH"));
        app.get("/api/v1/me", None).problem(401, "unauthenticated");
    }

    fn forged_tokens_are_refused(app) {
        app.register("zhao@nmgu.cn", "内蒙古农业大学", "university", "150100");
        let token = app.token("zhao@nmgu.cn");
        let parts: Vec<&str> = token.split('.').collect();
        // tampered payload, original signature
        let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["sub"] = json!("someone-else");
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        app.get("/api/v1/me", Some(&format!("{}.{payload}.{}", parts[0], parts[2]))).problem(401, "invalid_token");
        // alg: none, no signature
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        app.get("/api/v1/me", Some(&format!("{none}.{}.", parts[1]))).problem(401, "invalid_token");
        // garbage, and a token that expired
        app.get("/api/v1/me", Some("not.a.token")).problem(401, "invalid_token");
        app.get("/api/v1/me", Some(&token)).expect(200);
        app.advance(chrono::Duration::minutes(16));
        app.get("/api/v1/me", Some(&token)).problem(401, "invalid_token");
    }

    fn login_failures_look_alike_and_are_throttled(app) {
        app.register("qian@ims.ac.cn", "内蒙古自治区农牧业科学院", "institute", "150100");
        let unknown = app.post("/api/v1/auth/login", None, &json!({"email": "nobody@ims.ac.cn", "password": PASSWORD}))
            .problem(401, "invalid_credentials");
        let wrong = app.post("/api/v1/auth/login", None, &json!({"email": "qian@ims.ac.cn", "password": "wrong password!"}))
            .problem(401, "invalid_credentials");
        assert_eq!(unknown.json["detail"], wrong.json["detail"]);
        for _ in 0..4 {
            app.post("/api/v1/auth/login", None, &json!({"email": "qian@ims.ac.cn", "password": "wrong password!"}))
                .problem(401, "invalid_credentials");
        }
        // the sixth attempt is throttled, even with the right password
        let r = app.post("/api/v1/auth/login", None, &json!({"email": "qian@ims.ac.cn", "password": PASSWORD}))
            .problem(429, "too_many_requests");
        let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900);
        app.advance(chrono::Duration::minutes(16));
        app.login("qian@ims.ac.cn", PASSWORD);
    }

    fn platform_users_and_verification(app) {
        let admin = app.platform_user("admin", "ops@jiebang.cn", None);
        // admins create officials; officials create experts but not officials or admins
        let created = app.post("/api/v1/admin/users", Some(&admin),
            &json!({"role": "official", "email": "chi@kjt.nmg.gov.cn", "password": PASSWORD, "name": "池处长"})).expect(201);
        assert_eq!(created.json["role"], "official");
        let official = app.token("chi@kjt.nmg.gov.cn");
        let reg = app.register("boss@yili.com", "内蒙古伊利实业集团股份有限公司", "enterprise", "150100");
        let org = reg["organization"]["id"].as_str().unwrap();
        let expert = app.post("/api/v1/admin/users", Some(&official),
            &json!({"role": "expert", "email": "expert@imau.edu.cn", "password": PASSWORD, "name": "孙教授", "organization_id": org})).expect(201);
        assert_eq!(expert.json["organization_id"], org);
        app.post("/api/v1/admin/users", Some(&official),
            &json!({"role": "official", "email": "x@kjt.nmg.gov.cn", "password": PASSWORD, "name": "某人"})).problem(403, "forbidden");
        app.post("/api/v1/admin/users", Some(&official),
            &json!({"role": "expert", "email": "y@kjt.nmg.gov.cn", "password": PASSWORD, "name": "某人", "organization_id": "nope"}))
            .problem(422, "validation_failed").has_field_error("organization_id", "unknown_organization");
        app.post("/api/v1/admin/users", Some(&admin),
            &json!({"role": "org_admin", "email": "z@kjt.nmg.gov.cn", "password": PASSWORD, "name": "某人"}))
            .problem(422, "validation_failed").has_field_error("role", "invalid_value");
        let enterprise = app.token("boss@yili.com");
        app.post("/api/v1/admin/users", Some(&enterprise),
            &json!({"role": "expert", "email": "w@kjt.nmg.gov.cn", "password": PASSWORD, "name": "某人"})).problem(403, "forbidden");

        // the public does not see an unverified organisation; its own users do
        app.get(&format!("/api/v1/organizations/{org}"), None).problem(404, "not_found");
        app.get(&format!("/api/v1/organizations/{org}"), Some(&enterprise)).expect(200);
        // only admins and officials verify, once
        app.post(&format!("/api/v1/organizations/{org}/verify"), Some(&enterprise), &json!({})).problem(403, "forbidden");
        let v = app.post(&format!("/api/v1/organizations/{org}/verify"), Some(&official), &json!({})).expect(200);
        assert_eq!(v.json["status"], "verified");
        app.post(&format!("/api/v1/organizations/{org}/verify"), Some(&admin), &json!({})).problem(409, "already_verified");
        app.get(&format!("/api/v1/organizations/{org}"), None).expect(200);
        // the audit log has the registration and the verification, with the actor
        let history = app.get(&format!("/api/v1/organizations/{org}/history"), Some(&official)).expect(200).json;
        let actions: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["register", "verify"]);
        assert_eq!(history[1]["before"]["status"], "unverified");
        assert_eq!(history[1]["after"]["status"], "verified");
        app.get(&format!("/api/v1/organizations/{org}/history"), None).problem(401, "unauthenticated");
    }

    fn organisation_admins_manage_members_and_profile(app) {
        let (org, boss) = app.verified_org("boss@mengniu.cn", "内蒙古蒙牛乳业（集团）股份有限公司", "enterprise", "150100");
        let (_, other) = app.verified_org("boss@ordos-coal.cn", "鄂尔多斯煤炭研究院", "institute", "150600");
        let r = app.post(&format!("/api/v1/organizations/{org}/members"), Some(&boss),
            &json!({"email": "staff@mengniu.cn", "password": PASSWORD, "name": "刘工"})).expect(201);
        assert_eq!(r.json["role"], "org_member");
        let staff = app.token("staff@mengniu.cn");
        assert_eq!(app.get("/api/v1/me", Some(&staff)).json["organization"]["id"], org);
        app.post(&format!("/api/v1/organizations/{org}/members"), Some(&staff),
            &json!({"email": "s2@mengniu.cn", "password": PASSWORD, "name": "周工"})).problem(403, "forbidden");
        app.post(&format!("/api/v1/organizations/{org}/members"), Some(&other),
            &json!({"email": "s3@mengniu.cn", "password": PASSWORD, "name": "吴工"})).problem(404, "not_found");
        let members = app.get(&format!("/api/v1/organizations/{org}/members"), Some(&boss)).expect(200).json;
        assert_eq!(members.as_array().unwrap().len(), 2);
        app.get(&format!("/api/v1/organizations/{org}/members"), Some(&other)).problem(404, "not_found");

        // optimistic concurrency on updates
        let current = app.get(&format!("/api/v1/organizations/{org}"), Some(&boss)).json;
        let version = current["version"].as_i64().unwrap();
        let updated = app.patch(&format!("/api/v1/organizations/{org}"), Some(&boss),
            &json!({"version": version, "description": "乳业龙头企业", "website": "https://www.mengniu.com.cn"})).expect(200);
        assert_eq!(updated.json["description"], "乳业龙头企业");
        app.patch(&format!("/api/v1/organizations/{org}"), Some(&boss), &json!({"version": version, "description": "旧版本"}))
            .problem(409, "version_conflict");
        app.patch(&format!("/api/v1/organizations/{org}"), Some(&boss), &json!({"version": version + 1, "website": "ftp://x"}))
            .problem(422, "validation_failed").has_field_error("website", "invalid_url");
        app.patch(&format!("/api/v1/organizations/{org}"), Some(&boss), &json!({"version": version + 1, "name": "改名"}))
            .problem(403, "verified_fields_locked");
        app.patch(&format!("/api/v1/organizations/{org}"), Some(&staff), &json!({"version": version + 1, "description": "x"}))
            .problem(403, "forbidden");
    }

    fn deactivated_users_are_locked_out(app) {
        let admin = app.platform_user("admin", "root@jiebang.cn", None);
        app.register("zhou@baotou-steel.cn", "包头钢铁（集团）有限责任公司", "enterprise", "150200");
        let token = app.token("zhou@baotou-steel.cn");
        let me = app.get("/api/v1/me", Some(&token)).expect(200).json;
        let id = me["user"]["id"].as_str().unwrap();
        app.patch(&format!("/api/v1/admin/users/{id}"), Some(&admin), &json!({"active": false})).expect(200);
        app.get("/api/v1/me", Some(&token)).problem(401, "invalid_token");
        app.post("/api/v1/auth/login", None, &json!({"email": "zhou@baotou-steel.cn", "password": PASSWORD}))
            .problem(403, "account_disabled");
        let admin_id = app.get("/api/v1/me", Some(&admin)).json["user"]["id"].as_str().unwrap().to_owned();
        app.patch(&format!("/api/v1/admin/users/{admin_id}"), Some(&admin), &json!({"active": false}))
            .problem(409, "cannot_deactivate_self");
        app.patch(&format!("/api/v1/admin/users/{id}"), Some(&admin), &json!({"active": true})).expect(200);
        app.token("zhou@baotou-steel.cn");
    }
}

#[test]
fn the_audit_log_is_append_only() {
    use jiebang_db::diesel::RunQueryDsl;
    let app = TestApp::spawn(jiebang_tests::Db::Sqlite);
    app.register("audit@x.cn", "审计测试单位", "enterprise", "150100");
    let mut conn = app.state.db.conn().unwrap();
    let upd =
        jiebang_db::diesel::sql_query("UPDATE audit_log SET action = 'forged'").execute(&mut *conn);
    assert!(upd.is_err(), "UPDATE on audit_log must fail");
    let del = jiebang_db::diesel::sql_query("DELETE FROM audit_log").execute(&mut *conn);
    assert!(del.is_err(), "DELETE on audit_log must fail");
}

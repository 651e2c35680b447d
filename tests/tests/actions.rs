//! `actions` on every challenge view is what the server then accepts: for each state a challenge
//! can be in and each kind of caller, every listed action succeeds and every action not listed is
//! refused (403, 404 or 409, never a validation error: the requests are well formed).

use jiebang_tests::{on_both_databases, Resp, TestApp};
use serde_json::{json, Value};

const ACTIONS: [&str; 13] = [
    "edit",
    "submit",
    "approve",
    "return",
    "cancel",
    "extend",
    "ask",
    "bid",
    "set_rubric",
    "assign_experts",
    "recuse",
    "select",
    "confirm_award",
];
const PROBLEM: &str =
    "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。";

/// The callers: who they are, their e-mail and token (`None`: anonymous).
struct Callers {
    all: Vec<(&'static str, Option<String>)>,
    emails: Vec<Option<&'static str>>,
    publisher: String,
    official: String,
    /// A third verified organisation, which hands in the bids that keep a challenge evaluating.
    third: String,
    bidder_org: String,
    /// The expert's user id (the expert is employed by the bidder's organisation).
    expert_id: String,
}

fn callers(app: &TestApp) -> Callers {
    let cast = app.cast();
    let expert = app.platform_user("expert", "expert@nmg.edu.cn", Some(&cast.bidder_org));
    let expert_id = app.get("/api/v1/me", Some(&expert)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.register(
        "unverified@ordos.cn",
        "鄂尔多斯未认证科技有限公司",
        "enterprise",
        "150602",
    );
    let unverified = app.token("unverified@ordos.cn");
    let (_, third) = app.verified_org(
        "third@ims.ac.cn",
        "中国科学院过程工程研究所",
        "institute",
        "110108",
    );
    Callers {
        all: vec![
            ("anonymous", None),
            ("publisher", Some(cast.publisher.clone())),
            ("bidder", Some(cast.bidder.clone())),
            ("unverified", Some(unverified)),
            ("expert", Some(expert)),
            ("official", Some(cast.official.clone())),
            ("admin", Some(cast.admin.clone())),
        ],
        emails: vec![
            None,
            Some("publisher@bfhi.com.cn"),
            Some("bidder@imu.edu.cn"),
            Some("unverified@ordos.cn"),
            Some("expert@nmg.edu.cn"),
            Some("official@kjt.nmg.gov.cn"),
            Some("admin@jiebang.cn"),
        ],
        publisher: cast.publisher,
        official: cast.official,
        third,
        bidder_org: cast.bidder_org,
        expert_id,
    }
}

impl Callers {
    /// The token of the caller named `who`.
    fn token(&self, who: &str) -> String {
        self.all
            .iter()
            .find(|(w, _)| *w == who)
            .and_then(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no caller {who}"))
    }

    /// Signs everyone in again: after the clock moved past the access tokens' lifetime.
    fn relogin(&mut self, app: &TestApp) {
        for ((_, token), email) in self.all.iter_mut().zip(&self.emails) {
            *token = email.map(|e| app.token(e));
        }
        self.official = app.token("official@kjt.nmg.gov.cn");
        self.publisher = app.token("publisher@bfhi.com.cn");
    }
}

fn bid_body() -> Value {
    json!({
        "approach": "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制与风场示范应用。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}],
        "requested_fiscal": 1_000_000, "own_funds": 500_000
    })
}

/// The actions a view lists at `pointer` (a JSON pointer), or none when the caller may not read
/// the object (404; 401 anonymously).
fn listed(read: &Resp, pointer: &str, what: &str) -> Vec<String> {
    if read.status == 200 {
        serde_json::from_value(read.json.pointer(pointer).cloned().unwrap_or_default())
            .expect("actions on the view")
    } else {
        assert!(
            matches!(read.status, 401 | 404),
            "{what}: {} {}",
            read.status,
            read.body
        );
        Vec::new()
    }
}

/// Checks one attempt of `action` against what the view listed; whether it was accepted.
#[track_caller]
fn judge(listed: &[String], action: &str, r: &Resp, what: &str) -> bool {
    assert!(
        r.status < 300 || matches!(r.status, 401 | 403 | 404 | 409),
        "{what}: {action} answered {} {}",
        r.status,
        r.body
    );
    let accepted = r.status < 300;
    assert_eq!(
        accepted,
        listed.iter().any(|a| a == action),
        "{what}: {action} answered {} {}, listed {listed:?}",
        r.status,
        r.body
    );
    accepted
}

/// A pool of challenges in one state, made before the clock moves: an accepted action uses one up.
fn pool(app: &TestApp, c: &mut Callers, state: &str, n: usize) -> Vec<String> {
    let mut body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
    if state == "directed" {
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!([c.bidder_org]);
    }
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = match state {
            "draft" => app
                .post("/api/v1/challenges", Some(&c.publisher), &body)
                .expect(201)
                .json["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "pending_review" => {
                let id = app
                    .post("/api/v1/challenges", Some(&c.publisher), &body)
                    .expect(201)
                    .json["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                app.post(
                    &format!("/api/v1/challenges/{id}/submit"),
                    Some(&c.publisher),
                    &json!({}),
                )
                .expect(200);
                id
            }
            _ => app.publish(&c.publisher, &c.official, &body),
        };
        match state {
            "evaluating" | "scored" | "selected" => {
                if state != "evaluating" {
                    app.put(
                        &format!("/api/v1/challenges/{id}/rubric"),
                        Some(&c.publisher),
                        &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]}),
                    )
                    .expect(200);
                }
                // 限项: an organisation leads three live bids at most, so a larger pool
                // brings more bidders
                let extra;
                let bidder = if ids.len() < 3 {
                    &c.third
                } else {
                    let n = ids.len();
                    extra = app
                        .verified_org(
                            &format!("pool{n}@lab{n}.ac.cn"),
                            &format!("第{n}技术研究所"),
                            "institute",
                            "110108",
                        )
                        .1;
                    &extra
                };
                let b = app
                    .post(
                        &format!("/api/v1/challenges/{id}/bids"),
                        Some(bidder),
                        &bid_body(),
                    )
                    .expect(201)
                    .json;
                app.post(
                    &format!("/api/v1/bids/{}/submit", b["id"].as_str().unwrap()),
                    Some(bidder),
                    &json!({}),
                )
                .expect(200);
            }
            "cancelled" => {
                app.post(
                    &format!("/api/v1/challenges/{id}/cancel"),
                    Some(&c.publisher),
                    &json!({"reason": "项目调整"}),
                )
                .expect(200);
            }
            _ => {}
        }
        ids.push(id);
    }
    if matches!(state, "evaluating" | "scored" | "selected" | "unsuccessful") {
        app.advance(chrono::Duration::days(11));
        c.relogin(app);
        let want = if state == "unsuccessful" {
            "unsuccessful"
        } else {
            "evaluating"
        };
        for id in &ids {
            app.wait_until("the close", || {
                app.get(&format!("/api/v1/challenges/{id}"), Some(&c.official))
                    .json["status"]
                    == want
            });
        }
    }
    // scored: the expert assigned and every bid scored; selected: the publisher's choice made
    if matches!(state, "scored" | "selected") {
        let expert = c.token("expert");
        for id in &ids {
            app.post(
                &format!("/api/v1/challenges/{id}/experts"),
                Some(&c.official),
                &json!({"expert_ids": [c.expert_id]}),
            )
            .expect(200);
            let bids = app
                .get(&format!("/api/v1/challenges/{id}/bids"), Some(&c.official))
                .json;
            let bid = bids[0]["id"].as_str().unwrap();
            app.put(
                &format!("/api/v1/bids/{bid}/scores"),
                Some(&expert),
                &json!({"scores": [
                    {"criterion": "c1", "score": 80, "comment": "方案可行"},
                    {"criterion": "c2", "score": 80, "comment": "团队较强"}
                ]}),
            )
            .expect(200);
            if state == "selected" {
                app.post(
                    &format!("/api/v1/challenges/{id}/awards"),
                    Some(&c.publisher),
                    &json!({"bid_ids": [bid]}),
                )
                .expect(200);
            }
        }
    }
    ids
}

/// Takes `action` on challenge `id` as `token`; the status answered.
fn attempt(app: &TestApp, c: &Callers, id: &str, action: &str, token: Option<&str>) -> Resp {
    let path = format!("/api/v1/challenges/{id}");
    let current = app.get(&path, Some(&c.official)).json;
    match action {
        "edit" => app.patch(&path, token, &json!({"version": current["version"], "title": "稀土永磁电机研发与示范", "reason": "补充说明"})),
        "submit" => app.post(&format!("{path}/submit"), token, &json!({})),
        "approve" => app.post(&format!("{path}/review"), token, &json!({"decision": "approve"})),
        "return" => app.post(&format!("{path}/review"), token, &json!({"decision": "return", "comment": "请补充考核指标"})),
        "cancel" => app.post(&format!("{path}/cancel"), token, &json!({"reason": "项目调整"})),
        "extend" => {
            let later = chrono::DateTime::parse_from_rfc3339(current["bidding_deadline"].as_str().unwrap()).unwrap()
                + chrono::Duration::days(3);
            app.post(&format!("{path}/extend"), token, &json!({"bidding_deadline": later.to_rfc3339()}))
        }
        "ask" => app.post(&format!("{path}/questions"), token, &json!({"question": "示范风场是否已经确定？"})),
        "bid" => app.post(&format!("{path}/bids"), token, &bid_body()),
        "set_rubric" => app.put(&format!("{path}/rubric"), token,
            &json!({"criteria": [{"name": "技术方案", "weight": 50}, {"name": "团队实力", "weight": 50}]})),
        "assign_experts" => app.post(&format!("{path}/experts"), token, &json!({"expert_ids": [c.expert_id]})),
        "recuse" => app.post(&format!("{path}/recusals"), token, &json!({"reason": "曾与揭榜团队合作"})),
        "select" => {
            // the bids every expert scored, as the ranking shows them to the official
            let ranking = app.get(&format!("{path}/ranking"), Some(&c.official)).json;
            let scored: Vec<Value> = ranking.as_array().map(|a| a.iter()
                .filter(|e| e["fully_scored"] == true).map(|e| e["bid_id"].clone()).take(1).collect()).unwrap_or_default();
            app.post(&format!("{path}/awards"), token, &json!({"bid_ids": scored}))
        }
        "confirm_award" => app.post(&format!("{path}/awards/confirm"), token, &json!({})),
        _ => unreachable!(),
    }
}

/// Where the caller's list shows the challenge, it lists the same actions as the single read
/// (a signed-in caller's page of the public list is the kept anonymous page, or its
/// organisation's own kept page, with the caller's own actions: `api/src/handlers/challenges.rs`,
/// `signed_in_public_page`).
fn in_the_list_too(app: &TestApp, id: &str, token: Option<&str>, listed: &[String], what: &str) {
    let page = app
        .get("/api/v1/challenges?limit=100", token)
        .expect(200)
        .json;
    let item = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id);
    if let Some(item) = item {
        let in_list: Vec<String> = item["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(in_list, listed, "{what}: the list's actions");
    }
}

fn walk(app: &TestApp, state: &str, pool_size: usize) {
    let mut c = callers(app);
    let ids = pool(app, &mut c, state, pool_size);
    let mut next = 0;
    for (who, token) in &c.all {
        for action in ACTIONS {
            let id = ids
                .get(next)
                .unwrap_or_else(|| panic!("the pool of {state} objects is used up"));
            let what = format!("{state} challenge as {who}");
            let read = app.get(&format!("/api/v1/challenges/{id}"), token.as_deref());
            let listed = listed(&read, "/actions", &what);
            for a in &listed {
                assert!(ACTIONS.contains(&a.as_str()), "unknown action {a}");
            }
            in_the_list_too(app, id, token.as_deref(), &listed, &what);
            let r = attempt(app, &c, id, action, token.as_deref());
            if judge(&listed, action, &r, &what) {
                next += 1;
            }
        }
    }
}

const BID_ACTIONS: [&str; 3] = ["edit", "submit", "withdraw"];

/// The same walk for bids: draft, submitted, withdrawn, and after the close, × the lead's users,
/// the publisher, another organisation, an official, an expert and the public.
fn walk_bids(app: &TestApp, state: &str, pool_size: usize) {
    let mut c = callers(app);
    let body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
    // the lead is the third organisation, which has no other part here
    let lead_email = "third@ims.ac.cn";
    let mut ids = Vec::new();
    for _ in 0..pool_size {
        let challenge = app.publish(&c.publisher, &c.official, &body);
        let b = app
            .post(
                &format!("/api/v1/challenges/{challenge}/bids"),
                Some(&c.third),
                &bid_body(),
            )
            .expect(201)
            .json;
        let id = b["id"].as_str().unwrap().to_owned();
        match state {
            "submitted" | "closed" => {
                app.post(
                    &format!("/api/v1/bids/{id}/submit"),
                    Some(&c.third),
                    &json!({}),
                )
                .expect(200);
            }
            "withdrawn" => {
                app.post(
                    &format!("/api/v1/bids/{id}/withdraw"),
                    Some(&c.third),
                    &json!({}),
                )
                .expect(200);
            }
            _ => {}
        }
        ids.push(id);
    }
    if state == "closed" {
        app.advance(chrono::Duration::days(11));
        c.relogin(app);
    }
    let lead = app.token(lead_email);
    let mut all = c.all.clone();
    all.push(("lead", Some(lead.clone())));
    let mut next = 0;
    for (who, token) in &all {
        for action in BID_ACTIONS {
            let id = ids
                .get(next)
                .unwrap_or_else(|| panic!("the pool of {state} objects is used up"));
            let what = format!("{state} bid as {who}");
            let read = app.get(&format!("/api/v1/bids/{id}"), token.as_deref());
            let listed = listed(&read, "/actions", &what);
            let version =
                app.get(&format!("/api/v1/bids/{id}"), Some(&lead)).json["version"].clone();
            let r = match action {
                "edit" => app.patch(&format!("/api/v1/bids/{id}"), token.as_deref(), &json!({"version": version, "approach": "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制、型式试验与风场示范。"})),
                "submit" => app.post(&format!("/api/v1/bids/{id}/submit"), token.as_deref(), &json!({})),
                _ => app.post(&format!("/api/v1/bids/{id}/withdraw"), token.as_deref(), &json!({})),
            };
            let accepted = judge(&listed, action, &r, &what);
            if accepted {
                next += 1;
            }
        }
    }
}

/// The same walk for consortia: draft, filed, revoked × every kind of caller; the lead is the
/// publisher's enterprise.
fn walk_consortia(app: &TestApp, state: &str, pool_size: usize) {
    let c = callers(app);
    let mut ids = Vec::new();
    for i in 0..pool_size {
        let id = app
            .post("/api/v1/consortia", Some(&c.publisher), &json!({
                "name": format!("稀土永磁创新联合体{i}"), "industry_direction": "稀土", "members": [c.bidder_org],
                "national_platforms": 1, "provincial_platforms": 2, "regional_platforms": 3, "mechanisms": "联合立项、联合研制"
            }))
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        if state != "draft" {
            app.post(
                &format!("/api/v1/consortia/{id}/file"),
                Some(&c.publisher),
                &json!({}),
            )
            .expect(200);
        }
        if state == "revoked" {
            app.post(
                &format!("/api/v1/consortia/{id}/revoke"),
                Some(&c.official),
                &json!({"reason": "材料不实"}),
            )
            .expect(200);
        }
        ids.push(id);
    }
    let mut next = 0;
    for (who, token) in &c.all {
        for action in ["file", "revoke"] {
            let id = ids
                .get(next)
                .unwrap_or_else(|| panic!("the pool of {state} consortia is used up"));
            let what = format!("{state} consortium as {who}");
            let read = app.get(&format!("/api/v1/consortia/{id}"), token.as_deref());
            let listed = listed(&read, "/actions", &what);
            let r = match action {
                "file" => app.post(
                    &format!("/api/v1/consortia/{id}/file"),
                    token.as_deref(),
                    &json!({}),
                ),
                _ => app.post(
                    &format!("/api/v1/consortia/{id}/revoke"),
                    token.as_deref(),
                    &json!({"reason": "材料不实"}),
                ),
            };
            let accepted = judge(&listed, action, &r, &what);
            if accepted {
                next += 1;
            }
        }
    }
}

/// The same walk for organisations: unverified and verified × anonymous, the organisation's own
/// admin and member, and every other kind of caller.
fn walk_organizations(app: &TestApp, verified: bool) {
    let c = callers(app);
    let admin = app.platform_user("admin", "second-admin@jiebang.cn", None);
    let mut n = 0;
    let mut fresh = || {
        n += 1;
        let email = format!("org{n}@baotou.cn");
        let body = app.register(
            &email,
            &format!("包头第{n}稀土科技有限公司"),
            "enterprise",
            "150200",
        );
        let id = body["organization"]["id"].as_str().unwrap().to_owned();
        let own_admin = app.token(&email);
        let member_email = format!("member{n}@baotou.cn");
        app.post(
            &format!("/api/v1/organizations/{id}/members"),
            Some(&own_admin),
            &json!({"email": member_email, "password": jiebang_tests::PASSWORD, "name": "成员"}),
        )
        .expect(201);
        let own_member = app.token(&member_email);
        if verified {
            app.post(
                &format!("/api/v1/organizations/{id}/verify"),
                Some(&admin),
                &json!({}),
            )
            .expect(200);
        }
        (id, own_admin, own_member)
    };
    let (mut id, mut own_admin, mut own_member) = fresh();
    let mut all: Vec<(&str, Option<String>)> = c.all.clone();
    all.push(("own admin", None));
    all.push(("own member", None));
    for (who, token) in &all {
        for action in ["edit", "verify", "add_member"] {
            let token = match *who {
                "own admin" => Some(own_admin.clone()),
                "own member" => Some(own_member.clone()),
                _ => token.clone(),
            };
            let path = format!("/api/v1/organizations/{id}");
            let what = format!(
                "{} organisation as {who}",
                if verified { "verified" } else { "unverified" }
            );
            let read = app.get(&path, token.as_deref());
            let listed = listed(&read, "/actions", &what);
            let version = app.get(&path, Some(&admin)).json["version"].clone();
            let r = match action {
                "edit" => app.patch(&path, token.as_deref(), &json!({"version": version, "description": "稀土永磁材料研发与生产"})),
                "verify" => app.post(&format!("{path}/verify"), token.as_deref(), &json!({})),
                _ => app.post(&format!("{path}/members"), token.as_deref(), &json!({"email": format!("new-{}@baotou.cn", uuid_like(who, action)), "password": jiebang_tests::PASSWORD, "name": "新成员"})),
            };
            let accepted = judge(&listed, action, &r, &what);
            if accepted && action == "verify" {
                (id, own_admin, own_member) = fresh();
            }
        }
    }
}

/// A distinct e-mail part for each caller and action.
fn uuid_like(who: &str, action: &str) -> String {
    format!("{}-{action}", who.replace(' ', "-"))
}

/// The same walk for a question: on a published challenge, and after its challenge ended.
fn walk_questions(app: &TestApp, ended: bool) {
    let c = callers(app);
    let body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
    let challenge = app.publish(&c.publisher, &c.official, &body);
    let bidder = c.token("bidder");
    let q = app
        .post(
            &format!("/api/v1/challenges/{challenge}/questions"),
            Some(&bidder),
            &json!({"question": "示范风场是否已经确定？"}),
        )
        .expect(201)
        .json;
    assert_eq!(q["actions"], json!([]), "the asker does not answer");
    let qid = q["id"].as_str().unwrap().to_owned();
    if ended {
        app.post(
            &format!("/api/v1/challenges/{challenge}/cancel"),
            Some(&c.publisher),
            &json!({"reason": "项目调整"}),
        )
        .expect(200);
    }
    for (who, token) in &c.all {
        let list = app
            .get(
                &format!("/api/v1/challenges/{challenge}/questions"),
                token.as_deref(),
            )
            .expect(200)
            .json;
        let listed: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == qid.as_str())
            .map(|x| serde_json::from_value(x["actions"].clone()).expect("actions on the view"))
            .unwrap_or_default();
        let r = app.post(
            &format!("/api/v1/questions/{qid}/answer"),
            token.as_deref(),
            &json!({"answer": "已确定，位于包头达茂旗。"}),
        );
        assert!(
            r.status < 300 || matches!(r.status, 401 | 403 | 404 | 409),
            "answer: {} {}",
            r.status,
            r.body
        );
        assert_eq!(
            r.status < 300,
            listed.iter().any(|a| a == "answer"),
            "question as {who}: answer answered {}, listed {listed:?}",
            r.status
        );
    }
    // an expert linked to the asking organisation is not one of its users: before the answer it
    // does not see the organisation's open question
    if !ended {
        let fresh = app.publish(&c.publisher, &c.official, &body);
        app.post(
            &format!("/api/v1/challenges/{fresh}/questions"),
            Some(&bidder),
            &json!({"question": "是否接受联合体揭榜？"}),
        )
        .expect(201);
        let expert = c.token("expert");
        let seen = app
            .get(
                &format!("/api/v1/challenges/{fresh}/questions"),
                Some(&expert),
            )
            .expect(200)
            .json;
        assert_eq!(seen, json!([]));
        let mine = app
            .get(
                &format!("/api/v1/challenges/{fresh}/questions"),
                Some(&bidder),
            )
            .expect(200)
            .json;
        assert_eq!(mine.as_array().unwrap().len(), 1);
    }
}

/// A 赛马 challenge awarded to `n` bids of `n` fresh organisations; the agreements' ids, each with
/// the token of its bidder's admin.
fn agreements(app: &TestApp, c: &mut Callers, n: usize) -> (String, Vec<(String, String)>) {
    let mut body = app.challenge_body("赛马制：稀土永磁电机研发", "稀土", PROBLEM, 10);
    body["max_winners"] = json!(n);
    let challenge = app.publish(&c.publisher, &c.official, &body);
    let mut bids = Vec::new();
    for i in 0..n {
        let email = format!("winner{i}@imust.edu.cn");
        app.verified_org(&email, &format!("第{i}揭榜大学"), "university", "150200");
        let bid_body = json!({
            "approach": "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制与风场示范应用。",
            "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
            "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机"}],
            "requested_fiscal": 300_000, "own_funds": 100_000
        });
        let token = app.token(&email);
        let id = app
            .post(
                &format!("/api/v1/challenges/{challenge}/bids"),
                Some(&token),
                &bid_body,
            )
            .expect(201)
            .json["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(
            &format!("/api/v1/bids/{id}/submit"),
            Some(&token),
            &json!({}),
        )
        .expect(200);
        bids.push((id, email));
    }
    app.put(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&c.publisher),
        &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
    let scorer = app.platform_user("expert", "scorer@experts.cn", None);
    let scorer_id = app.get("/api/v1/me", Some(&scorer)).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
    c.relogin(app);
    let scorer = app.token("scorer@experts.cn");
    app.wait_until("close", || {
        app.get(
            &format!("/api/v1/challenges/{challenge}"),
            Some(&c.official),
        )
        .json["status"]
            == "evaluating"
    });
    app.post(
        &format!("/api/v1/challenges/{challenge}/experts"),
        Some(&c.official),
        &json!({"expert_ids": [scorer_id]}),
    )
    .expect(200);
    for (b, _) in &bids {
        app.put(&format!("/api/v1/bids/{b}/scores"), Some(&scorer), &json!({"scores": [
            {"criterion": "c1", "score": 80, "comment": "可行"}, {"criterion": "c2", "score": 80, "comment": "可靠"}]})).expect(200);
    }
    let ids: Vec<&String> = bids.iter().map(|(b, _)| b).collect();
    app.post(
        &format!("/api/v1/challenges/{challenge}/awards"),
        Some(&c.publisher),
        &json!({"bid_ids": ids}),
    )
    .expect(200);
    app.post(
        &format!("/api/v1/challenges/{challenge}/awards/confirm"),
        Some(&c.official),
        &json!({}),
    )
    .expect(200);
    let agreements = bids
        .iter()
        .map(|(b, email)| {
            let token = app.token(email);
            let list = app.get("/api/v1/agreements", Some(&token)).expect(200).json;
            let a = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["bid_id"] == b.as_str())
                .expect("the winner's agreement");
            (a["id"].as_str().unwrap().to_owned(), token)
        })
        .collect();
    (challenge, agreements)
}

/// Brings agreement `id` (bidder's admin `bidder`) to `state`.
fn bring(app: &TestApp, c: &Callers, id: &str, bidder: &str, state: &str) {
    let path = format!("/api/v1/agreements/{id}");
    let sign = |token: &str| {
        let hash = app.get(&path, Some(token)).json["terms_hash"].clone();
        app.post(
            &format!("{path}/sign"),
            Some(token),
            &json!({"terms_hash": hash}),
        )
        .expect(200);
    };
    if state == "drafted" {
        return;
    }
    if state == "terminated" {
        app.post(
            &format!("{path}/terminate"),
            Some(&c.official),
            &json!({"reason": "赛马淘汰"}),
        )
        .expect(200);
        return;
    }
    sign(&c.publisher);
    if state == "partially_signed" {
        return;
    }
    sign(bidder);
    if state == "signed" {
        return;
    }
    let registered = app
        .post(&format!("{path}/register"), Some(&c.official), &json!({}))
        .expect(200)
        .json;
    if state == "completed" {
        for m in registered["milestones"].as_array().unwrap() {
            let mid = m["id"].as_str().unwrap();
            app.post(
                &format!("{path}/milestones/{mid}/report"),
                Some(bidder),
                &json!({"evidence": "已完成并通过验收"}),
            )
            .expect(200);
            app.post(
                &format!("{path}/milestones/{mid}/confirm"),
                Some(&c.publisher),
                &json!({"met": true}),
            )
            .expect(200);
        }
        app.post(&format!("{path}/complete"), Some(&c.official), &json!({}))
            .expect(200);
    }
}

/// After the award no caller may take any challenge action: each is listed for nobody and
/// refused to everybody, in `awarded`, `contracted` and `completed`.
fn no_challenge_action_for_anyone(app: &TestApp, c: &Callers, challenge: &str, state: &str) {
    assert_eq!(
        app.get(
            &format!("/api/v1/challenges/{challenge}"),
            Some(&c.official)
        )
        .json["status"],
        state
    );
    for (who, token) in &c.all {
        let read = app.get(&format!("/api/v1/challenges/{challenge}"), token.as_deref());
        if read.status == 200 {
            assert_eq!(
                read.json["actions"],
                json!([]),
                "{state} challenge as {who}"
            );
        }
        for action in ACTIONS {
            let status = attempt(app, c, challenge, action, token.as_deref()).status;
            assert!(
                status >= 400,
                "{state} challenge as {who}: {action} answered {status}"
            );
        }
    }
}

on_both_databases! {
    fn challenge_actions_after_the_award(app) {
        let mut c = callers(&app);
        let (challenge, pool) = agreements(&app, &mut c, 1);
        no_challenge_action_for_anyone(&app, &c, &challenge, "awarded");
        let (id, bidder) = &pool[0];
        bring(&app, &c, id, bidder, "registered");
        no_challenge_action_for_anyone(&app, &c, &challenge, "contracted");
        let path = format!("/api/v1/agreements/{id}");
        let view = app.get(&path, Some(&c.official)).json;
        for m in view["milestones"].as_array().unwrap() {
            let mid = m["id"].as_str().unwrap();
            app.post(&format!("{path}/milestones/{mid}/report"), Some(bidder), &json!({"evidence": "已完成并通过验收"})).expect(200);
            app.post(&format!("{path}/milestones/{mid}/confirm"), Some(&c.publisher), &json!({"met": true})).expect(200);
        }
        app.post(&format!("{path}/complete"), Some(&c.official), &json!({})).expect(200);
        no_challenge_action_for_anyone(&app, &c, &challenge, "completed");
    }
}

const AGREEMENT_ACTIONS: [&str; 7] = [
    "edit_terms",
    "sign",
    "register",
    "pay_fiscal",
    "pay_enterprise",
    "terminate",
    "complete",
];

/// The same walk for agreements and their milestones, in one state × every kind of caller, the
/// agreement's bidder and another winner among them.
fn walk_agreements(app: &TestApp, state: &str, pool_size: usize) {
    let mut c = callers(app);
    let (_, pool) = agreements(app, &mut c, pool_size + 1);
    // the last winner is only "another party's" organisation here
    let other = pool[pool_size].1.clone();
    for (id, bidder) in &pool[..pool_size] {
        bring(app, &c, id, bidder, state);
    }
    let mut next = 0;
    let mut all = c.all.clone();
    all.push(("another winner", Some(other)));
    // its bidder before the publisher, so that a milestone it reports is then confirmed
    all.insert(1, ("its bidder", None));
    for (who, token) in &all {
        for action in AGREEMENT_ACTIONS.iter().chain(["report", "confirm"].iter()) {
            let (id, bidder) = pool
                .get(next)
                .filter(|_| next < pool_size)
                .unwrap_or_else(|| panic!("the pool of {state} agreements is used up"));
            let token = if *who == "its bidder" {
                Some(bidder.clone())
            } else {
                token.clone()
            };
            let path = format!("/api/v1/agreements/{id}");
            let read = app.get(&path, token.as_deref());
            let staff_view = app.get(&path, Some(&c.official)).json;
            let mid = staff_view["milestones"]
                .get(0)
                .map(|m| m["id"].as_str().unwrap().to_owned());
            let listed: Vec<String> = if read.status == 200 {
                let field = if matches!(*action, "report" | "confirm") {
                    &read.json["milestones"][0]["actions"]
                } else {
                    &read.json["actions"]
                };
                serde_json::from_value(field.clone()).unwrap_or_default()
            } else {
                assert!(
                    matches!(read.status, 401 | 404),
                    "{state} agreement as {who}: {}",
                    read.body
                );
                Vec::new()
            };
            let milestone_path = |verb: &str| {
                format!(
                    "{path}/milestones/{}/{verb}",
                    mid.clone().unwrap_or_else(|| "none".into())
                )
            };
            let r = match *action {
                "edit_terms" => app.patch(&path, token.as_deref(), &json!({"version": staff_view["version"], "term_months": 24})),
                "sign" => app.post(&format!("{path}/sign"), token.as_deref(), &json!({"terms_hash": staff_view["terms_hash"]})),
                "register" => app.post(&format!("{path}/register"), token.as_deref(), &json!({})),
                "pay_fiscal" | "pay_enterprise" => app.post(&format!("{path}/payments"), token.as_deref(), &json!({
                    "milestone_id": mid.clone().unwrap_or_default(), "source": action.trim_start_matches("pay_"), "amount": 1})),
                "terminate" => app.post(&format!("{path}/terminate"), token.as_deref(), &json!({"reason": "赛马淘汰"})),
                "complete" => app.post(&format!("{path}/complete"), token.as_deref(), &json!({})),
                "report" => app.post(&milestone_path("report"), token.as_deref(), &json!({"evidence": "已完成并通过验收"})),
                _ => app.post(&milestone_path("confirm"), token.as_deref(), &json!({"met": true})),
            };
            assert!(
                r.status < 300 || matches!(r.status, 401 | 403 | 404 | 409 | 422),
                "{action}: {} {}",
                r.status,
                r.body
            );
            if r.status == 422 {
                // only the payment against an agreement without milestones may say so (no milestone yet)
                assert!(
                    action.starts_with("pay_") && mid.is_none(),
                    "{action}: {}",
                    r.body
                );
            }
            let accepted = r.status < 300;
            assert_eq!(
                accepted,
                listed.iter().any(|a| a == action),
                "{state} agreement as {who}: {action} answered {} {}, listed {listed:?}",
                r.status,
                r.body
            );
            // an accepted action that moved the agreement on uses it up
            if accepted && app.get(&path, Some(&c.official)).json["status"] != staff_view["status"]
            {
                next += 1;
            }
        }
    }
}

on_both_databases! {
    fn agreement_actions_when_drafted(app) { walk_agreements(&app, "drafted", 5) }
    fn agreement_actions_when_partially_signed(app) { walk_agreements(&app, "partially_signed", 8) }
    fn agreement_actions_when_signed(app) { walk_agreements(&app, "signed", 4) }
    fn agreement_actions_when_registered(app) { walk_agreements(&app, "registered", 3) }
    fn agreement_actions_when_completed(app) { walk_agreements(&app, "completed", 1) }
    fn agreement_actions_when_terminated(app) { walk_agreements(&app, "terminated", 1) }
}

on_both_databases! {
    fn question_actions_when_open(app) { walk_questions(&app, false) }
    fn question_actions_when_ended(app) { walk_questions(&app, true) }
}

on_both_databases! {
    fn organization_actions_when_unverified(app) { walk_organizations(&app, false) }
    fn organization_actions_when_verified(app) { walk_organizations(&app, true) }
}

on_both_databases! {
    fn consortium_actions_in_draft(app) { walk_consortia(&app, "draft", 2) }
    fn consortium_actions_when_filed(app) { walk_consortia(&app, "filed", 2) }
    fn consortium_actions_when_revoked(app) { walk_consortia(&app, "revoked", 1) }
}

on_both_databases! {
    fn bid_actions_in_draft(app) { walk_bids(&app, "draft", 3) }
    fn bid_actions_when_submitted(app) { walk_bids(&app, "submitted", 1) }
    fn bid_actions_when_withdrawn(app) { walk_bids(&app, "withdrawn", 1) }
    fn bid_actions_after_the_close(app) { walk_bids(&app, "closed", 1) }
}

on_both_databases! {
    fn actions_in_draft(app) { walk(&app, "draft", 6) }
    fn actions_pending_review(app) { walk(&app, "pending_review", 6) }
    fn actions_when_published(app) { walk(&app, "published", 11) }
    fn actions_when_published_directed(app) { walk(&app, "directed", 11) }
    fn actions_when_evaluating(app) { walk(&app, "evaluating", 8) }
    fn actions_when_scored(app) { walk(&app, "scored", 6) }
    fn actions_when_selected(app) { walk(&app, "selected", 8) }
    fn actions_when_unsuccessful(app) { walk(&app, "unsuccessful", 1) }
    fn actions_when_cancelled(app) { walk(&app, "cancelled", 1) }
}

//! The authorisation matrix: every operation of `/openapi.json` × every kind of caller × the
//! object it names (the caller's own or another's, and an unknown id). Marker strings are
//! planted in sealed and private content and searched for in every response; where an object
//! must stay secret, "forbidden" and "unknown" are indistinguishable. An operation without a
//! row here fails the test, as does a row for an operation that no longer exists.
//!
//! A row says which callers may perform the operation on the named object. Reads by them must
//! succeed; writes by them are not sent (their success is what the rest of the suite tests, and
//! sending them would change the world under the other rows). Everyone else must be refused
//! (401, 403, 404, or 409 for a public object in a state that allows nothing) — never a 2xx,
//! never a 5xx.

use jiebang_tests::{on_both_databases, Resp, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const ROLES: [&str; 9] = [
    "public",
    "publisher",
    "bidder",
    "member",
    "other",
    "expert",
    "assigned",
    "official",
    "admin",
];
const ORGS: &[&str] = &["publisher", "bidder", "member", "other"];
const ANYONE: &[&str] = &ROLES;
const SIGNED_IN: &[&str] = &[
    "publisher",
    "bidder",
    "member",
    "other",
    "expert",
    "assigned",
    "official",
    "admin",
];
const STAFF: &[&str] = &["official", "admin"];

/// Planted in sealed or private content, with the callers that may ever see it.
const MARKERS: [(&str, &[&str]); 5] = [
    // an organisation awaiting verification: its own users (none of the callers) and the staff
    ("MKUNVERIFIEDORG", &["official", "admin"]),
    // the approach of a sealed bid: its author only, until the deadline
    ("MKSEALEDAPPROACH", &["bidder"]),
    // a directed challenge: its publisher, the invited organisation, the officials and admins
    (
        "MKDIRECTEDTITLE",
        &["publisher", "bidder", "official", "admin"],
    ),
    // a draft challenge: its publisher (and the platform's staff)
    ("MKDRAFTTITLE", &["publisher", "official", "admin"]),
    // an unanswered question: the asker, the publisher who must answer it, the staff
    (
        "MKQUESTIONTEXT",
        &["bidder", "publisher", "official", "admin"],
    ),
];

const PROBLEM: &str =
    "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。";

struct Row {
    op: &'static str,
    /// The object the path names (see `World::ids`); `-` for none.
    target: &'static str,
    may: &'static [&'static str],
    /// Refused callers cannot tell the object from an unknown one.
    secret: bool,
}

const fn row(
    op: &'static str,
    target: &'static str,
    may: &'static [&'static str],
    secret: bool,
) -> Row {
    Row {
        op,
        target,
        may,
        secret,
    }
}

/// Every operation, with who may perform it on which object.
const ROWS: &[Row] = &[
    row("GET /api/v1/admin/outbox", "-", &["admin"], false),
    row(
        "POST /api/v1/admin/outbox/{id}/retry",
        "outbox",
        &["admin"],
        false,
    ),
    row(
        "GET /api/v1/admin/users",
        "-",
        &["admin", "official"],
        false,
    ),
    row(
        "POST /api/v1/admin/users",
        "-",
        &["admin", "official"],
        false,
    ),
    row("PATCH /api/v1/admin/users/{id}", "user", &["admin"], false),
    row(
        "GET /api/v1/admin/users/{id}/history",
        "user",
        &["admin", "official"],
        false,
    ),
    row(
        "GET /api/v1/agreements",
        "-",
        &[
            "publisher",
            "bidder",
            "member",
            "other",
            "official",
            "admin",
        ],
        false,
    ),
    row(
        "GET /api/v1/agreements/{id}",
        "agreement",
        &["publisher", "bidder", "member", "official", "admin"],
        true,
    ),
    row(
        "PATCH /api/v1/agreements/{id}",
        "agreement",
        &["publisher", "bidder"],
        true,
    ),
    row(
        "POST /api/v1/agreements/{id}/complete",
        "agreement",
        &["official"],
        true,
    ),
    row(
        "GET /api/v1/agreements/{id}/history",
        "agreement",
        &["publisher", "bidder", "member", "official", "admin"],
        true,
    ),
    row(
        "GET /api/v1/agreements/{id}/evidence",
        "agreement",
        &["publisher", "bidder", "member", "official", "admin"],
        true,
    ),
    row("GET /api/v1/keys/{key_id}", "key", ANYONE, false),
    row("GET /api/v1/organizations/{id}/keys", "org", ANYONE, false),
    row(
        "POST /api/v1/organizations/{id}/keys",
        "org",
        &["publisher"],
        false,
    ),
    row("GET /.well-known/jiebang-keys.json", "-", ANYONE, false),
    row(
        "POST /api/v1/agreements/{id}/milestones/{mid}/confirm",
        "agreement/milestone",
        &["publisher"],
        true,
    ),
    row(
        "POST /api/v1/agreements/{id}/milestones/{mid}/report",
        "agreement/milestone",
        &["bidder"],
        true,
    ),
    row(
        "POST /api/v1/agreements/{id}/payments",
        "agreement",
        &["official"],
        true,
    ),
    row(
        "POST /api/v1/agreements/{id}/register",
        "agreement",
        &["official"],
        true,
    ),
    row(
        "POST /api/v1/agreements/{id}/sign",
        "agreement",
        &["publisher", "bidder"],
        true,
    ),
    row(
        "POST /api/v1/agreements/{id}/terminate",
        "agreement",
        &["publisher", "official"],
        true,
    ),
    row("POST /api/v1/auth/login", "-", ANYONE, false),
    row("POST /api/v1/auth/logout", "-", ANYONE, false),
    row("POST /api/v1/auth/refresh", "-", ANYONE, false),
    row("POST /api/v1/auth/register", "-", ANYONE, false),
    row("GET /api/v1/bids/{id}", "bid", &["bidder"], true),
    row("PATCH /api/v1/bids/{id}", "bid", &["bidder"], true),
    row("GET /api/v1/bids/{id}/scores", "bid", &[], true),
    row("GET /api/v1/bids/{id}/history", "bid", &["bidder"], true),
    row(
        "GET /api/v1/bids/{id}/scores",
        "won_bid",
        &["assigned", "publisher", "bidder", "official", "admin"],
        true,
    ),
    row("PUT /api/v1/bids/{id}/scores", "bid", &[], true),
    row(
        "PUT /api/v1/bids/{id}/scores",
        "won_bid",
        &["assigned"],
        true,
    ),
    // a draft is its expert's alone, and there is none in this world: nobody reads one
    row("GET /api/v1/bids/{id}/scores/draft", "bid", &[], true),
    row("GET /api/v1/bids/{id}/scores/draft", "won_bid", &[], true),
    row("PUT /api/v1/bids/{id}/scores/draft", "bid", &[], true),
    row(
        "PUT /api/v1/bids/{id}/scores/draft",
        "won_bid",
        &["assigned"],
        true,
    ),
    row("POST /api/v1/bids/{id}/submit", "bid", &["bidder"], true),
    row("POST /api/v1/bids/{id}/withdraw", "bid", &["bidder"], true),
    row("GET /api/v1/challenges", "-", ANYONE, false),
    row("POST /api/v1/challenges", "-", ORGS, false),
    row("GET /api/v1/challenges/{id}", "challenge", ANYONE, false),
    row(
        "GET /api/v1/challenges/{id}",
        "directed",
        &["publisher", "bidder", "official", "admin"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}",
        "draft",
        &["publisher", "official", "admin"],
        true,
    ),
    row(
        "PATCH /api/v1/challenges/{id}",
        "challenge",
        &["publisher"],
        false,
    ),
    row(
        "PATCH /api/v1/challenges/{id}",
        "directed",
        &["publisher"],
        true,
    ),
    row(
        "PATCH /api/v1/challenges/{id}",
        "draft",
        &["publisher"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/awards",
        "awarded",
        &["publisher", "official", "admin"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/awards",
        "awarded",
        &["publisher"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/awards/confirm",
        "awarded",
        &["official"],
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/bids",
        "challenge",
        SIGNED_IN,
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/bids",
        "directed",
        &["bidder", "publisher", "official", "admin"],
        true,
    ),
    row(
        "POST /api/v1/challenges/{id}/bids",
        "challenge",
        &["bidder", "member", "other"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/bids",
        "directed",
        &["bidder"],
        true,
    ),
    row("POST /api/v1/challenges/{id}/bids", "draft", &[], true),
    row(
        "POST /api/v1/challenges/{id}/cancel",
        "challenge",
        &["publisher", "official"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/cancel",
        "directed",
        &["publisher", "official"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/experts",
        "awarded",
        SIGNED_IN,
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/experts",
        "awarded",
        &["official"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/extend",
        "challenge",
        &["publisher", "official"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/extend",
        "directed",
        &["publisher", "official"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/history",
        "challenge",
        &["publisher", "official", "admin"],
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/history",
        "directed",
        &["publisher", "official", "admin"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/history",
        "draft",
        &["publisher", "official", "admin"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/questions",
        "challenge",
        ANYONE,
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/questions",
        "directed",
        &["publisher", "bidder", "official", "admin"],
        true,
    ),
    row(
        "POST /api/v1/challenges/{id}/questions",
        "challenge",
        &["bidder", "member", "other"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/questions",
        "directed",
        &["bidder"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/ranking",
        "awarded",
        &["publisher", "bidder", "official", "admin"],
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/recommended-organizations",
        "challenge",
        &["publisher", "official", "admin"],
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/recommended-organizations",
        "draft",
        &["publisher", "official", "admin"],
        true,
    ),
    row(
        "POST /api/v1/challenges/{id}/review",
        "draft",
        &["official"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/rubric",
        "awarded",
        SIGNED_IN,
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/rubric",
        "directed",
        &["publisher", "bidder", "official", "admin"],
        true,
    ),
    row(
        "GET /api/v1/challenges/{id}/recusals",
        "awarded",
        STAFF,
        false,
    ),
    row(
        "GET /api/v1/challenges/{id}/recusals",
        "directed",
        STAFF,
        true,
    ),
    row(
        "POST /api/v1/challenges/{id}/recusals",
        "awarded",
        &["assigned"],
        false,
    ),
    row(
        "POST /api/v1/challenges/{id}/recusals",
        "directed",
        &[],
        true,
    ),
    row(
        "PUT /api/v1/challenges/{id}/rubric",
        "challenge",
        &["publisher", "official"],
        false,
    ),
    row(
        "PUT /api/v1/challenges/{id}/rubric",
        "directed",
        &["publisher", "official"],
        true,
    ),
    row(
        "POST /api/v1/challenges/{id}/submit",
        "draft",
        &["publisher"],
        true,
    ),
    row("GET /api/v1/consortia", "-", ANYONE, false),
    row("POST /api/v1/consortia", "-", ORGS, false),
    row(
        "GET /api/v1/consortia/{id}",
        "consortium",
        &["other", "official", "admin"],
        true,
    ),
    row(
        "GET /api/v1/consortia/{id}/history",
        "consortium",
        &["other", "official", "admin"],
        true,
    ),
    row(
        "POST /api/v1/consortia/{id}/file",
        "consortium",
        &["other"],
        true,
    ),
    row(
        "POST /api/v1/consortia/{id}/revoke",
        "consortium",
        &["official"],
        true,
    ),
    row("GET /api/v1/exports/agreements.csv", "-", STAFF, false),
    row("GET /api/v1/exports/ocds", "-", STAFF, false),
    row("GET /api/v1/me", "-", SIGNED_IN, false),
    row("PATCH /api/v1/me", "-", SIGNED_IN, false),
    row(
        "GET /api/v1/me/assignments",
        "-",
        &["expert", "assigned"],
        false,
    ),
    row("GET /api/v1/me/bids", "-", ORGS, false),
    row(
        "GET /api/v1/me/notification-preferences",
        "-",
        SIGNED_IN,
        false,
    ),
    row(
        "PUT /api/v1/me/notification-preferences",
        "-",
        SIGNED_IN,
        false,
    ),
    row("GET /api/v1/me/notifications", "-", SIGNED_IN, false),
    row(
        "POST /api/v1/me/notifications/read-all",
        "-",
        SIGNED_IN,
        false,
    ),
    row(
        "POST /api/v1/me/notifications/{id}/read",
        "notification",
        &["bidder"],
        true,
    ),
    row("GET /api/v1/me/recommendations", "-", ORGS, false),
    row("GET /api/v1/me/subscriptions", "-", SIGNED_IN, false),
    row("PUT /api/v1/me/subscriptions", "-", SIGNED_IN, false),
    row("GET /api/v1/organizations", "-", ANYONE, false),
    row("GET /api/v1/organizations/{id}", "org", ANYONE, false),
    row(
        "PATCH /api/v1/organizations/{id}",
        "org",
        &["publisher"],
        false,
    ),
    row(
        "GET /api/v1/organizations/{id}/history",
        "org",
        &["publisher", "official", "admin"],
        false,
    ),
    row(
        "GET /api/v1/organizations/{id}/members",
        "org",
        &["publisher", "official", "admin"],
        false,
    ),
    row(
        "POST /api/v1/organizations/{id}/members",
        "org",
        &["publisher"],
        false,
    ),
    row(
        "GET /api/v1/organizations/{id}/profile",
        "org",
        ANYONE,
        false,
    ),
    row(
        "PUT /api/v1/organizations/{id}/profile",
        "org",
        &["publisher"],
        false,
    ),
    row(
        "POST /api/v1/organizations/{id}/return",
        "org",
        &["official", "admin"],
        false,
    ),
    row(
        "POST /api/v1/organizations/{id}/verify",
        "org",
        &["official"],
        false,
    ),
    row(
        "POST /api/v1/questions/{qid}/answer",
        "question",
        &["publisher"],
        true,
    ),
    row("GET /api/v1/stats/funnel", "-", STAFF, false),
    row("GET /api/v1/stats/overview", "-", ANYONE, false),
    row("GET /healthz", "-", ANYONE, false),
    row("GET /metrics", "-", ANYONE, false),
    row("GET /openapi.json", "-", ANYONE, false),
    row("GET /readyz", "-", ANYONE, false),
];

/// Operations open to anyone whose outcome depends on the body, not on who calls (sign-in and
/// registration): sent, checked for markers and 5xx, not for refusals.
const OPEN: &[&str] = &[
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/register",
];

/// Who can see that a secret object exists: for them a refusal may say why (403, 409); for
/// everyone else it must read exactly like an unknown id.
fn readers(target: &str) -> &'static [&'static str] {
    match target {
        "bid" => &["bidder"],
        "won_bid" => &["bidder", "publisher", "assigned", "official", "admin"],
        "agreement" | "agreement/milestone" => {
            &["publisher", "bidder", "member", "official", "admin"]
        }
        "directed" => &["publisher", "bidder", "official", "admin"],
        "draft" => &["publisher", "official", "admin"],
        "question" => &["bidder", "publisher", "official", "admin"],
        "consortium" => &["other", "official", "admin"],
        "notification" => &["bidder"],
        _ => &[],
    }
}

struct World {
    tokens: HashMap<&'static str, Option<String>>,
    ids: HashMap<&'static str, String>,
    terms_hash: Value,
}

fn bid_body(approach: &str, members: &[&str]) -> Value {
    json!({
        "approach": approach,
        "members": members.iter().map(|m| json!({"organization_id": m, "role": "样机试验", "share_percent": 20})).collect::<Vec<_>>(),
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机"}],
        "requested_fiscal": 300_000, "own_funds": 100_000
    })
}

/// Creates a bid with one consortium member and submits it; its id.
fn submitted_bid(
    app: &TestApp,
    challenge: &str,
    token: &str,
    approach: &str,
    member: &str,
) -> String {
    let id = id_of(
        app.post(
            &format!("/api/v1/challenges/{challenge}/bids"),
            Some(token),
            &bid_body(approach, &[member]),
        )
        .expect(201),
    );
    app.post(
        &format!("/api/v1/bids/{id}/submit"),
        Some(token),
        &json!({}),
    )
    .expect(200);
    id
}

fn id_of(r: Resp) -> String {
    r.json["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {}", r.body))
        .to_owned()
}

fn world(app: &TestApp) -> World {
    let mut cast = app.cast();
    let (member_org, _) = app.verified_org(
        "member@imau.edu.cn",
        "内蒙古农业大学",
        "university",
        "150102",
    );
    let (_, _) = app.verified_org(
        "other@ordos.cn",
        "鄂尔多斯其他科技有限公司",
        "enterprise",
        "150602",
    );
    app.platform_user("expert", "expert@experts.cn", None);
    app.platform_user("expert", "assigned@experts.cn", None);
    let tokens = |cast: &jiebang_tests::Cast| -> HashMap<&'static str, Option<String>> {
        HashMap::from([
            ("public", None),
            ("publisher", Some(cast.publisher.clone())),
            ("bidder", Some(cast.bidder.clone())),
            ("member", Some(app.token("member@imau.edu.cn"))),
            ("other", Some(app.token("other@ordos.cn"))),
            ("expert", Some(app.token("expert@experts.cn"))),
            ("assigned", Some(app.token("assigned@experts.cn"))),
            ("official", Some(cast.official.clone())),
            ("admin", Some(cast.admin.clone())),
        ])
    };
    let mut ids = HashMap::new();
    let t = tokens(&cast);
    let tok = |who: &str| t[who].clone().unwrap();
    let expert_id = app.get("/api/v1/me", Some(&tok("expert"))).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assigned_id = app.get("/api/v1/me", Some(&tok("assigned"))).json["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // a challenge carried to its award and a registered agreement, scored by the assigned expert
    let awarded = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body("稀土永磁同步电机及控制系统研发", "稀土", PROBLEM, 10),
    );
    let won_bid = submitted_bid(
        app,
        &awarded,
        &cast.bidder,
        "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制与风场示范应用。",
        &member_org,
    );
    app.put(&format!("/api/v1/challenges/{awarded}/rubric"), Some(&cast.publisher),
        &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
    app.advance(chrono::Duration::days(10) + chrono::Duration::seconds(1));
    cast.relogin(app);
    let t = tokens(&cast);
    let tok = |who: &str| t[who].clone().unwrap();
    app.wait_until("close", || {
        app.get(
            &format!("/api/v1/challenges/{awarded}"),
            Some(&cast.official),
        )
        .json["status"]
            == "evaluating"
    });
    app.post(
        &format!("/api/v1/challenges/{awarded}/experts"),
        Some(&cast.official),
        &json!({"expert_ids": [assigned_id]}),
    )
    .expect(200);
    app.put(&format!("/api/v1/bids/{won_bid}/scores"), Some(&tok("assigned")), &json!({"scores": [
        {"criterion": "c1", "score": 80, "comment": "可行"}, {"criterion": "c2", "score": 80, "comment": "可靠"}]})).expect(200);
    app.post(
        &format!("/api/v1/challenges/{awarded}/awards"),
        Some(&cast.publisher),
        &json!({"bid_ids": [won_bid]}),
    )
    .expect(200);
    app.post(
        &format!("/api/v1/challenges/{awarded}/awards/confirm"),
        Some(&cast.official),
        &json!({}),
    )
    .expect(200);
    let agreement = app
        .get("/api/v1/agreements", Some(&cast.bidder))
        .expect(200)
        .json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/agreements/{agreement}");
    for who in [&cast.publisher, &cast.bidder] {
        let hash = app.get(&path, Some(who)).json["terms_hash"].clone();
        app.post(
            &format!("{path}/sign"),
            Some(who),
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
    let terms_hash = registered["terms_hash"].clone();
    ids.insert(
        "milestone",
        registered["milestones"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    // open for bids: a sealed bid with a consortium member, an unanswered question
    let challenge = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(
            "适应宽范围功率波动的电解水制氢装备研制",
            "新能源",
            PROBLEM,
            10,
        ),
    );
    let bid = submitted_bid(
        app,
        &challenge,
        &cast.bidder,
        "MKSEALEDAPPROACH 采用宽功率碱性电解槽与多槽协同调度，实现快速响应。",
        &member_org,
    );
    let question = id_of(
        app.post(
            &format!("/api/v1/challenges/{challenge}/questions"),
            Some(&cast.bidder),
            &json!({"question": "MKQUESTIONTEXT 示范项目是否提供氢源与场地？"}),
        )
        .expect(201),
    );
    // a directed challenge inviting the bidder's organisation, and a draft
    let mut body = app.challenge_body(
        "MKDIRECTEDTITLE 定向委托：稀土永磁材料回收技术",
        "稀土",
        PROBLEM,
        10,
    );
    body["mode"] = json!("directed");
    body["invited_organizations"] = json!([cast.bidder_org]);
    let directed = app.publish(&cast.publisher, &cast.official, &body);
    app.put(&format!("/api/v1/challenges/{directed}/rubric"), Some(&cast.publisher),
        &json!({"criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队实力", "weight": 40}]})).expect(200);
    let draft = id_of(
        app.post(
            "/api/v1/challenges",
            Some(&cast.publisher),
            &app.challenge_body(
                "MKDRAFTTITLE 草稿：草原牧区智能放牧系统研发",
                "农牧业",
                PROBLEM,
                10,
            ),
        )
        .expect(201),
    );
    app.register(
        "waiting@ordos.cn",
        "MKUNVERIFIEDORG 鄂尔多斯待认证科技有限公司",
        "enterprise",
        "150602",
    );
    // every organisation describes itself (recommendations and the public profile need it)
    for who in ["publisher", "bidder", "member", "other"] {
        let me = app.get("/api/v1/me", Some(&tok(who))).json;
        let org = me["organization"]["id"].as_str().unwrap().to_owned();
        app.put(&format!("/api/v1/organizations/{org}/profile"), Some(&tok(who)),
            &json!({"industries": ["新能源"], "keywords": ["氢能", "电解槽"], "statement": "长期从事碱性电解水制氢与氢能装备研究。"})).expect(200);
    }
    // a consortium (led by an enterprise: the other organisation), in draft
    let consortium = id_of(app.post("/api/v1/consortia", Some(&tok("other")),
        &json!({"name": "氢能装备创新联合体", "industry_direction": "新能源", "members": [member_org]})).expect(201));
    let notification = app
        .get("/api/v1/me/notifications", Some(&cast.bidder))
        .expect(200)
        .json;
    let notification = notification
        .as_array()
        .or_else(|| notification["items"].as_array())
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outbox = app
        .state
        .db
        .read(|c| jiebang_db::notifications::emails_of_kind(c, "bid_submitted"))
        .unwrap()[0]
        .id
        .clone();

    ids.extend([
        ("challenge", challenge),
        ("directed", directed),
        ("draft", draft),
        ("awarded", awarded),
        ("bid", bid),
        ("won_bid", won_bid),
        ("agreement", agreement),
        ("question", question),
        ("consortium", consortium),
        ("notification", notification),
        ("outbox", outbox),
        ("user", expert_id),
        ("org", cast.publisher_org.clone()),
    ]);
    ids.insert("member_org", member_org);
    let keys = app
        .get("/.well-known/jiebang-keys.json", None)
        .expect(200)
        .json;
    ids.insert(
        "key",
        keys["platform"][0]["key_id"].as_str().unwrap().to_owned(),
    );
    World {
        tokens: t,
        ids,
        terms_hash,
    }
}

/// A well-formed body for the operation, so that a refusal is about who calls, not what.
fn body(op: &str, w: &World, app: &TestApp) -> Value {
    let deadline = (app.now() + chrono::Duration::days(20)).to_rfc3339();
    match op {
        "POST /api/v1/admin/users" => {
            json!({"role": "expert", "email": "matrix-expert@experts.cn", "password": PASSWORD, "name": "矩阵专家"})
        }
        "PATCH /api/v1/admin/users/{id}" => json!({"active": false}),
        "PATCH /api/v1/agreements/{id}" => json!({"version": 1, "term_months": 30}),
        "POST /api/v1/agreements/{id}/milestones/{mid}/confirm" => json!({"met": true}),
        "POST /api/v1/agreements/{id}/milestones/{mid}/report" => {
            json!({"evidence": "总体方案已通过专家论证"})
        }
        "POST /api/v1/agreements/{id}/payments" => {
            json!({"milestone_id": w.ids["milestone"], "source": "fiscal", "amount": 1})
        }
        "POST /api/v1/agreements/{id}/sign" => json!({"terms_hash": w.terms_hash}),
        "POST /api/v1/agreements/{id}/terminate" | "POST /api/v1/consortia/{id}/revoke" => {
            json!({"reason": "赛马淘汰"})
        }
        "POST /api/v1/auth/login" => {
            json!({"email": "bidder@imu.edu.cn", "password": "not-the-password-1"})
        }
        "POST /api/v1/auth/logout" | "POST /api/v1/auth/refresh" => {
            json!({"refresh_token": "not-a-refresh-token"})
        }
        "POST /api/v1/auth/register" => {
            json!({"email": "bidder@imu.edu.cn", "password": PASSWORD, "name": "重复注册",
            "organization": {"name": "内蒙古大学", "kind": "university", "credit_code": "12150000460021396C", "region_code": "150102"}})
        }
        "PATCH /api/v1/bids/{id}" => {
            json!({"version": 1, "approach": "改写的技术路线：采用宽功率碱性电解槽与多槽协同调度。"})
        }
        "PUT /api/v1/bids/{id}/scores/draft" => {
            json!({"scores": [{"criterion": "c1", "score": 90}]})
        }
        "POST /api/v1/challenges/{id}/recusals" => json!({"reason": "曾与揭榜团队合作"}),
        "PUT /api/v1/bids/{id}/scores" => {
            json!({"scores": [{"criterion": "c1", "score": 90, "comment": "好"}, {"criterion": "c2", "score": 90, "comment": "好"}]})
        }
        "POST /api/v1/challenges" => {
            app.challenge_body("矩阵测试：新榜单草稿稀土永磁", "稀土", PROBLEM, 10)
        }
        "PATCH /api/v1/challenges/{id}" => {
            json!({"version": 1, "expected_outcomes": "改写的预期成果"})
        }
        "POST /api/v1/challenges/{id}/awards" => json!({"bid_ids": [w.ids["won_bid"]]}),
        "POST /api/v1/challenges/{id}/bids" => {
            bid_body("另一份揭榜方案：采用宽功率碱性电解槽与多槽协同调度。", &[])
        }
        "POST /api/v1/challenges/{id}/cancel" => json!({"reason": "需求变更"}),
        "POST /api/v1/challenges/{id}/experts" => json!({"expert_ids": [w.ids["user"]]}),
        "POST /api/v1/challenges/{id}/extend" => {
            json!({"bidding_deadline": deadline, "reason": "延期"})
        }
        "POST /api/v1/challenges/{id}/questions" => {
            json!({"question": "矩阵测试的问题：是否提供场地？"})
        }
        "POST /api/v1/challenges/{id}/review" => json!({"decision": "approve"}),
        "PUT /api/v1/challenges/{id}/rubric" => {
            json!({"criteria": [{"name": "技术方案", "weight": 50}, {"name": "团队实力", "weight": 50}]})
        }
        "POST /api/v1/consortia" => {
            json!({"name": "矩阵测试联合体", "industry_direction": "新能源", "members": [w.ids["member_org"]]})
        }
        "PATCH /api/v1/me" => json!({"locale": "zh"}),
        "PUT /api/v1/me/notification-preferences" => json!({"email": {}}),
        "PUT /api/v1/me/subscriptions" => json!({"keywords": ["制氢"]}),
        "PATCH /api/v1/organizations/{id}" => {
            json!({"version": 1, "website": "https://example.cn"})
        }
        "POST /api/v1/organizations/{id}/members" => {
            json!({"email": "matrix-member@bfhi.com.cn", "name": "矩阵成员", "password": PASSWORD})
        }
        "PUT /api/v1/organizations/{id}/profile" => {
            json!({"statement": "矩阵测试的能力陈述：长期从事电机研究。"})
        }
        "POST /api/v1/questions/{qid}/answer" => json!({"answer": "提供。"}),
        "POST /api/v1/organizations/{id}/return" => json!({"reason": "信用代码与营业执照不符"}),
        _ => json!({}),
    }
}

/// The path with its parameters filled: the target's ids, or unknown ones.
fn fill(path: &str, target: &str, w: &World, unknown: bool) -> String {
    let mut ids = target.split('/').map(|t| {
        if unknown {
            "0190aaaa-0000-7000-8000-000000000000".to_owned()
        } else {
            w.ids[t].clone()
        }
    });
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                ids.next().expect("a target for every parameter")
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn operations(app: &TestApp) -> BTreeSet<String> {
    let doc = app.get("/openapi.json", None).expect(200).json;
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    ops
}

fn check(app: &TestApp) {
    // every operation has a row, and every row an operation
    let ops = operations(app);
    let rows: BTreeSet<String> = ROWS.iter().map(|r| r.op.to_owned()).collect();
    let missing: Vec<_> = ops.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&ops).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "operations without a row: {missing:?}; rows without an operation: {stale:?}"
    );

    let w = world(app);
    let mut failures = Vec::new();
    let mut sent = 0;
    for r in ROWS {
        let (method, path) = r.op.split_once(' ').unwrap();
        let read = method == "GET";
        let open = OPEN.contains(&r.op);
        let body = body(r.op, &w, app);
        for role in ROLES {
            let token = w.tokens[role].as_deref();
            let entitled = r.may.contains(&role);
            if entitled && !read && !open {
                continue;
            }
            let send = |unknown: bool| -> Resp {
                let url = fill(path, r.target, &w, unknown);
                if read {
                    app.get(&url, token)
                } else {
                    app.send(method, &url, token, &body)
                }
            };
            let known = send(false);
            sent += 1;
            let cell = format!("{} [{}] as {role}", r.op, r.target);
            if known.status >= 500 {
                failures.push(format!("{cell}: {} {}", known.status, known.body));
            }
            for (marker, seen_by) in MARKERS {
                if !seen_by.contains(&role) && known.body.contains(marker) {
                    failures.push(format!("{cell}: shows {marker}"));
                }
            }
            if open {
                continue;
            }
            if entitled {
                if !(200..300).contains(&known.status) {
                    failures.push(format!(
                        "{cell}: may read but got {} {}",
                        known.status, known.body
                    ));
                }
                continue;
            }
            if (200..300).contains(&known.status) {
                failures.push(format!(
                    "{cell}: not refused: {} {}",
                    known.status, known.body
                ));
                continue;
            }
            let allowed: &[u16] = if r.secret && !readers(r.target).contains(&role) {
                &[401, 403, 404]
            } else {
                &[401, 403, 404, 409]
            };
            if !allowed.contains(&known.status) {
                failures.push(format!(
                    "{cell}: refused with {} {}",
                    known.status, known.body
                ));
            }
            if r.target != "-" {
                let unknown = send(true);
                sent += 1;
                let hidden = r.secret && !readers(r.target).contains(&role);
                if hidden
                    && (unknown.status, &unknown.json["code"])
                        != (known.status, &known.json["code"])
                {
                    failures.push(format!(
                        "{cell}: tells the object from an unknown one: {} {} vs {} {}",
                        known.status, known.json["code"], unknown.status, unknown.json["code"]
                    ));
                }
                if unknown.status >= 500 {
                    failures.push(format!(
                        "{cell} (unknown id): {} {}",
                        unknown.status, unknown.body
                    ));
                }
            }
        }
    }
    assert!(sent > 700, "only {sent} requests");
    assert!(
        failures.is_empty(),
        "{} of {sent} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

on_both_databases! {
    fn every_operation_refuses_whoever_may_not_and_leaks_nothing(app) {
        check(&app);
    }
}

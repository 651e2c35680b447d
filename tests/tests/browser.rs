//! The web interface in a real browser (Debian's chromium through chromedriver), on both
//! databases: the journeys of issue #13 that the pages built so far carry, each page checked by
//! axe-core (WCAG 2 A and AA) and at 375 px wide, and one journey with JavaScript off.

use jiebang_tests::browser::with_browser;
use jiebang_tests::{on_both_databases, serde_json::json, TestApp};

const PROBLEM: &str = "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，突破宽功率适应与快速启停技术。";

/// Three published challenges in two industries, one titled with a script tag.
fn programme(app: &TestApp) -> (String, String) {
    let cast = app.cast();
    let hydrogen = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body("千标方级电解水制氢关键装备研制", "新能源", PROBLEM, 20),
    );
    app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(
            "肉牛核心种质构建与新品种培育",
            "种业",
            "面向肉牛产业的种质资源构建与新品种培育，形成核心育种群并开展示范推广应用。",
            15,
        ),
    );
    let script = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body(
            "<script>alert(1)</script>稀土永磁电机",
            "稀土",
            "研制高效稀土永磁同步电机及其控制系统，<b>满足</b>矿用重载工况下的可靠运行要求。",
            25,
        ),
    );
    (hydrogen, script)
}

on_both_databases! {
    // Journey 1: a visitor filters the hall and opens a challenge — by mouse with live filtering,
    // and by keyboard alone.
    fn a_visitor_filters_the_hall_and_opens_a_challenge(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let (hydrogen, script) = programme(&app);
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            b.open("/").await;
            assert_eq!(b.text("h1").await.split_whitespace().next(), Some("榜单大厅"));
            assert_eq!(b.find_all(".cards > li").await.len(), 3);
            // counters: three published, three open now
            let counters = b.text(".counters").await;
            assert!(counters.contains("已发布榜单\n3") || counters.contains("已发布榜单 3"), "{counters}");
            b.check_page("hall").await;
            // the script tag typed into a title is text, not a script
            assert!(b.text(&format!("a[href='/challenges/{script}']")).await.contains("<script>alert(1)</script>"));
            assert!(!b.alert_open().await);
            // live filtering: choosing an industry swaps the results without a page load
            b.choose("#f-industry", "新能源").await;
            let start = std::time::Instant::now();
            while b.find_all(".cards > li").await.len() != 1 {
                assert!(start.elapsed() < std::time::Duration::from_secs(10), "the filter did not apply");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(b.path().await.contains("industry="), "the filtered list has its own address");
            assert!(b.text(".cards").await.contains("千标方级电解水制氢关键装备研制"));
            b.click(&format!("a[href='/challenges/{hydrogen}']")).await;
            b.wait_for_path(|p| p == format!("/challenges/{hydrogen}")).await;
            assert_eq!(b.text("h1").await, "千标方级电解水制氢关键装备研制");
            let facts = b.text(".key-facts").await;
            assert!(facts.contains("北京时间") && facts.contains("600 万元") && facts.contains("2.0 : 1"), "{facts}");
            assert!(b.text("table").await.contains("关键性能指标"));
            b.check_page("challenge").await;
            // the page with the script-tag title shows it as text too
            b.open(&format!("/challenges/{script}")).await;
            assert!(b.text("h1").await.starts_with("<script>alert(1)</script>"));
            assert!(b.text("#problem-title + p").await.contains("<b>满足</b>"));
            assert!(!b.alert_open().await);

            // the keyboard alone: from the top of the hall to the keyword field, a search, and
            // into the first result
            b.open("/").await;
            b.tab_to("#f-q", 30).await;
            b.client.active_element().await.unwrap().send_keys("种质").await.unwrap();
            b.enter().await;
            let start = std::time::Instant::now();
            while b.find_all(".cards > li").await.len() != 1 {
                assert!(start.elapsed() < std::time::Duration::from_secs(10), "the search did not apply");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            b.tab_to(".cards a", 40).await;
            b.enter().await;
            b.wait_for_path(|p| p.starts_with("/challenges/")).await;
            assert_eq!(b.text("h1").await, "肉牛核心种质构建与新品种培育");
            // an unknown page says so in Chinese, inside the site's frame
            b.open("/challenges/no-such-id").await;
            assert!(b.text("h1").await.starts_with("未找到"));
        });
    }

    // The same journey with JavaScript off: the filter form is an ordinary GET form.
    fn the_hall_works_without_javascript(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let (hydrogen, _) = programme(&app);
        let app = &app;
        with_browser(&app.base, false, |b| async move {
            b.open("/").await;
            assert_eq!(b.find_all(".cards > li").await.len(), 3);
            b.choose("#f-industry", "新能源").await;
            b.click(".filters button[type=submit]").await;
            b.wait_for_path(|p| p.contains("industry=")).await;
            assert_eq!(b.find_all(".cards > li").await.len(), 1);
            b.click(&format!("a[href='/challenges/{hydrogen}']")).await;
            b.wait_for_path(|p| p.starts_with("/challenges/")).await;
            assert_eq!(b.text("h1").await, "千标方级电解水制氢关键装备研制");
            // the directory and its filter, too
            b.open("/organizations").await;
            assert!(b.text("#results").await.contains("内蒙古大学"));
            b.fill("#f-q", "北方重工").await;
            b.click(".filters button[type=submit]").await;
            b.wait_for_path(|p| p.contains("q=")).await;
            let listed = b.text("#results").await;
            assert!(listed.contains("内蒙古北方重工业集团有限公司") && !listed.contains("内蒙古大学"), "{listed}");
        });
    }

    // Journey 5 and the start of journey 2: a registration with errors keeps every value (but the
    // password) and says what is wrong beside each field; corrected, it registers, and the new
    // admin signs in and out.
    fn a_failed_registration_keeps_every_value(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            b.open("/register").await;
            b.check_page("register").await;
            b.fill("#f-organization-name", "<script>alert(1)</script>草原氢能装备有限公司").await;
            b.choose("#f-organization-kind", "enterprise").await;
            b.fill("#f-organization-credit_code", "9115010MA0N0000").await;
            b.choose("#f-organization-region_code", "150200").await;
            b.fill("#f-name", "张工").await;
            b.fill("#f-email", "zhang@caoyuan-h2.cn").await;
            b.fill("#f-password", "short").await;
            b.click("form[action='/register'] button[type=submit]").await;
            b.find(".error-summary").await;
            // every typed value is still there, the script tag as text
            assert_eq!(b.value("#f-organization-name").await, "<script>alert(1)</script>草原氢能装备有限公司");
            assert_eq!(b.value("#f-organization-kind").await, "enterprise");
            assert_eq!(b.value("#f-organization-credit_code").await, "9115010MA0N0000");
            assert_eq!(b.value("#f-organization-region_code").await, "150200");
            assert_eq!(b.value("#f-name").await, "张工");
            assert_eq!(b.value("#f-email").await, "zhang@caoyuan-h2.cn");
            assert!(!b.alert_open().await);
            // each message beside its field, and linked from the summary
            assert!(!b.text("#f-organization-credit_code-msg").await.is_empty());
            assert!(!b.text("#f-password-msg").await.is_empty());
            assert!(b.find_all(".error-summary a[href='#f-organization-credit_code']").await.len() == 1);
            assert_eq!(b.find("#f-password").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
            b.check_page("register-errors").await;
            // corrected: a valid credit code and a password
            let code = jiebang_tests::credit_code("150200");
            b.fill("#f-organization-credit_code", &code).await;
            b.fill("#f-password", "草原氢能-装备-2026").await;
            b.click("form[action='/register'] button[type=submit]").await;
            b.wait_for_path(|p| p.starts_with("/login")).await;
            assert!(b.text(".success").await.contains("注册成功"));
            b.fill("#f-email", "zhang@caoyuan-h2.cn").await;
            b.fill("#f-password", "wrong-password-2026").await;
            b.click("form[action='/login'] button[type=submit]").await;
            assert!(b.text(".error-summary").await.contains("邮箱或密码错误"));
            assert_eq!(b.value("#f-email").await, "zhang@caoyuan-h2.cn");
            b.fill("#f-password", "草原氢能-装备-2026").await;
            b.click("form[action='/login'] button[type=submit]").await;
            b.wait_for_path(|p| p == "/").await;
            assert!(b.text(".who").await.contains("张工"));
            b.click("form[action='/logout'] button").await;
            b.wait_gone(".who").await;
            assert_eq!(b.path().await, "/");
            // the session is gone: the old cookie signs in no one
            b.open("/login").await;
            assert!(b.find_all(".who").await.is_empty());
        });
        // the registration went through the API's own rules: an unverified organisation
        let token = app
            .post("/api/v1/auth/login", None, &json!({"email": "zhang@caoyuan-h2.cn", "password": "草原氢能-装备-2026"}))
            .expect(200)
            .json["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let me = app.get("/api/v1/me", Some(&token)).expect(200).json;
        assert_eq!(me["organization"]["status"], "unverified");
        assert_eq!(me["organization"]["region_code"], "150200");
        assert_eq!(me["organization"]["name"], json!("<script>alert(1)</script>草原氢能装备有限公司"));
    }
}

fn bid_body(approach: &str) -> jiebang_tests::serde_json::Value {
    json!({
        "members": [],
        "approach": approach,
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "≥95%"}],
        "milestones": [{"month": 6, "deliverable": "样机一台"}, {"month": 18, "deliverable": "示范应用"}],
        "requested_fiscal": 2_000_000, "own_funds": 1_000_000
    })
}

on_both_databases! {
    // A bidder opens the link of a bid notice signed out, signs in and comes back to it; the page
    // offers what the bid's `actions` allow; a refusal is shown on the page; the workspace and the
    // notices list it; opening a notice marks it read.
    fn a_bidder_follows_a_link_signs_in_and_hands_in_its_bid(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("千标方级电解水制氢关键装备研制", "新能源", PROBLEM, 20));
        let create = |approach: &str| {
            app.post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &bid_body(approach))
                .expect(201)
                .json["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        // a draft whose approach is still too short to hand in
        let bid = create("待补充");
        let bid_id = bid.clone();
        let app = &app;
        let token = cast.bidder.clone();
        with_browser(&app.base, true, |b| async move {
            b.open(&format!("/bids/{bid}")).await;
            b.wait_for_path(|p| p.starts_with("/login?next=")).await;
            b.fill("#f-email", "bidder@imu.edu.cn").await;
            b.fill("#f-password", jiebang_tests::PASSWORD).await;
            b.click("form[action='/login'] button[type=submit]").await;
            b.wait_for_path(|p| p == format!("/bids/{bid}")).await;
            assert!(b.text(".facts").await.contains("草稿"));
            assert!(b.text(".sealed-note").await.contains("密封"));
            b.check_page("bid-draft").await;
            // the server refuses the submission and the page says why
            b.click(&format!("form[action='/bids/{bid}/submit'] button")).await;
            let refusal = b.text(".error-summary").await;
            assert!(refusal.contains("实施方案"), "{refusal}");
            // completed through the API meanwhile (the form comes with the bid editor), it goes in
            let version = app.get(&format!("/api/v1/bids/{bid}"), Some(&token)).json["version"].clone();
            app.patch(&format!("/api/v1/bids/{bid}"), Some(&token), &json!({"version": version,
                "approach": "采用宽功率碱性电解槽与多槽协同控制，结合风光功率预测实现快速启停与柔性运行。"})).expect(200);
            b.open(&format!("/bids/{bid}")).await;
            b.click(&format!("form[action='/bids/{bid}/submit'] button")).await;
            assert!(b.text(".success").await.contains("申报已提交"));
            assert!(b.text(".facts").await.contains("已提交"));
            // submitted: it may be withdrawn, not submitted again
            assert!(b.find_all(&format!("form[action='/bids/{bid}/submit']")).await.is_empty());
            assert_eq!(b.find_all(&format!("form[action='/bids/{bid}/withdraw']")).await.len(), 1);
            // the workspace lists it with its state
            b.open("/workspace").await;
            let mine = b.text("#my-bids + *").await;
            assert!(mine.contains("千标方级电解水制氢关键装备研制") && mine.contains("已提交"), "{mine}");
            b.check_page("workspace-bidder").await;
            // the receipt is a notice: the badge counts it; opening it marks it read and leads to the bid
            assert_eq!(b.text("a[href='/notices'] .count-badge").await.split_whitespace().next(), Some("1"));
            b.open("/notices").await;
            b.check_page("notices").await;
            b.click("form[action$='/open'] button").await;
            b.wait_for_path(|p| p == format!("/bids/{bid}")).await;
            assert!(b.find_all("a[href='/notices'] .count-badge").await.is_empty());
        });
        // the page's submission is the API's: the bid is handed in, and sealed from the publisher
        assert_eq!(app.get(&format!("/api/v1/bids/{bid_id}"), Some(&cast.bidder)).json["status"], "submitted");
        app.get(&format!("/api/v1/bids/{bid_id}"), Some(&cast.publisher)).problem(404, "not_found");
    }
}

on_both_databases! {
    // Journey 3, the bid: a bidder opens a published challenge, writes a bid in the browser,
    // saves it as a draft, adds a consortium member found in the directory, and hands it in; a
    // second bidder and the publisher see only the count.
    fn a_bidder_writes_a_consortium_bid_in_the_browser(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("千标方级电解水制氢关键装备研制", "新能源", PROBLEM, 20));
        app.verified_org("lab@imau.edu.cn", "内蒙古农业大学", "university", "150102");
        let (_, second) = app.verified_org("lead@iee.ac.cn", "中国科学院电工研究所", "institute", "110108");
        // the bidder's capability profile, from which the platform recommends challenges
        app.put(&format!("/api/v1/organizations/{}/profile", cast.bidder_org), Some(&cast.bidder), &json!({
            "industries": ["新能源"], "keywords": ["氢能", "电解槽", "电解水制氢"],
            "statement": "学校在氢能领域长期开展碱性电解槽与电解水制氢技术研究，拥有自治区氢能重点实验室。",
            "past_projects": ["电解水制氢装备示范项目"]
        })).expect(200);
        app.wait_until("recommended", || {
            app.get("/api/v1/me/recommendations", Some(&cast.bidder)).json.as_array().is_some_and(|r| !r.is_empty())
        });
        let app = &app;
        let challenge = challenge.as_str();
        with_browser(&app.base, true, |b| async move {
            b.open("/login").await;
            b.fill("#f-email", "bidder@imu.edu.cn").await;
            b.fill("#f-password", jiebang_tests::PASSWORD).await;
            b.click("form[action='/login'] button[type=submit]").await;
            b.wait_for_path(|p| p == "/").await;
            // the workspace recommends the challenge, and says why
            b.open("/workspace").await;
            let recommended = b.text(".recommendations").await;
            assert!(recommended.contains("千标方级电解水制氢关键装备研制") && recommended.contains("推荐理由"), "{recommended}");
            // the reason names the bidder's own project that speaks to the challenge
            assert!(recommended.contains("相关项目与平台：电解水制氢装备示范项目（电解水制氢"), "{recommended}");
            b.click(&format!(".recommendations a[href='/challenges/{challenge}']")).await;
            b.wait_for_path(|p| p == format!("/challenges/{challenge}")).await;
            b.click(&format!("a[href='/challenges/{challenge}/bid']")).await;
            b.wait_for_path(|p| p.ends_with("/bid")).await;
            b.check_page("bid-form").await;
            // a first go: an amount that is no number, and a month out of range
            b.fill("#f-approach", "采用宽功率碱性电解槽与多槽协同控制，结合风光功率预测实现快速启停与柔性运行。").await;
            b.fill("#f-kpi_answers-0--value", "≥95%").await;
            b.fill("#f-milestones-0--month", "99").await;
            b.fill("#f-milestones-0--deliverable", "样机一台").await;
            b.fill("#f-requested_fiscal", "一百").await;
            b.click("button[value=save]").await;
            assert!(b.text("#f-requested_fiscal-msg").await.contains("万元"));
            assert_eq!(b.value("#f-approach").await, "采用宽功率碱性电解槽与多槽协同控制，结合风光功率预测实现快速启停与柔性运行。");
            assert_eq!(b.value("#f-milestones-0--month").await, "99");
            b.fill("#f-requested_fiscal", "200").await;
            b.click("button[value=save]").await;
            // the month is the API's refusal, beside the field, the rest kept
            assert!(b.text("#f-milestones-0--month-msg").await.contains("1 到 24"));
            assert_eq!(b.value("#f-requested_fiscal").await, "200");
            b.check_page("bid-form-errors").await;
            b.fill("#f-milestones-0--month", "6").await;
            b.click("button[value=save]").await;
            b.wait_for_path(|p| p.starts_with("/bids/")).await;
            assert!(b.text(".success").await.contains("草稿已保存"));
            let bid_path = b.path().await;
            let bid_id = bid_path.trim_start_matches("/bids/").split('?').next().unwrap().to_owned();
            // edit: find a member in the directory and add it
            b.click(&format!("a[href='/bids/{bid_id}/edit']")).await;
            b.wait_for_path(|p| p.ends_with("/edit")).await;
            assert_eq!(b.value("#f-requested_fiscal").await, "200");
            b.fill("#f-member_q", "农业大学").await;
            b.click("button[value=find_member]").await;
            let found = b.text(".candidates").await;
            assert!(found.contains("内蒙古农业大学") && !found.contains("内蒙古大学 "), "{found}");
            b.click(".candidates button").await;
            assert!(b.text(".member-row").await.contains("内蒙古农业大学"));
            b.fill("#f-members-0--role", "样机试验").await;
            b.fill("#f-members-0--share_percent", "30").await;
            b.click("button[value=submit]").await;
            b.wait_for_path(|p| p.contains("done=submit")).await;
            assert!(b.text(".facts").await.contains("已提交"));
            assert!(b.text("table").await.contains("内蒙古农业大学"));
        });
        // the second bidder and the publisher see only the count
        app.get(&format!("/api/v1/challenges/{challenge}"), Some(&second)).expect(200);
        assert_eq!(app.get(&format!("/api/v1/challenges/{challenge}"), Some(&cast.publisher)).json["bid_count"], 1);
        let bids = app.get(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.publisher)).expect(200).json;
        assert_eq!(bids, json!([]));
        let mine = app.get("/api/v1/me/bids", Some(&cast.bidder)).expect(200).json;
        let id = mine[0]["bid_id"].as_str().unwrap().to_owned();
        let id = id.as_str();
        app.get(&format!("/api/v1/bids/{id}"), Some(&second)).problem(404, "not_found");
        app.get(&format!("/api/v1/bids/{id}"), Some(&cast.publisher)).problem(404, "not_found");
        let read = app.get(&format!("/api/v1/bids/{id}"), Some(&cast.bidder)).expect(200).json;
        assert_eq!(read["status"], "submitted");
        assert_eq!(read["members"][0]["share_percent"], 30);
        assert_eq!(read["requested_fiscal"], 2_000_000);
        with_browser(&app.base, true, |b| async move {
            b.open("/login").await;
            b.fill("#f-email", "lead@iee.ac.cn").await;
            b.fill("#f-password", jiebang_tests::PASSWORD).await;
            b.click("form[action='/login'] button[type=submit]").await;
            b.wait_for_path(|p| p == "/").await;
            b.open(&format!("/challenges/{challenge}")).await;
            assert!(b.text(".key-facts").await.contains("1 份"));
            b.open(&format!("/bids/{id}")).await;
            assert!(b.text("h1").await.starts_with("未找到"));
        });
    }
}

on_both_databases! {
    // Journey 2: an enterprise registers in the browser, an official verifies it (through the API
    // until the officials' pages exist), and the enterprise drafts a challenge with two KPIs,
    // fixes the funding-ratio error the form reported (as typed, and again by the server), and
    // submits it for review.
    fn an_enterprise_registers_and_submits_a_challenge(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let code = jiebang_tests::credit_code("150200");
        let app = &app;
        let official = cast.official.clone();
        with_browser(&app.base, true, |b| async move {
            b.open("/register").await;
            b.fill("#f-organization-name", "包头稀土永磁科技有限公司").await;
            b.choose("#f-organization-kind", "enterprise").await;
            b.fill("#f-organization-credit_code", &code).await;
            b.choose("#f-organization-region_code", "150200").await;
            b.fill("#f-name", "李经理").await;
            b.fill("#f-email", "li@btmagnet.cn").await;
            b.fill("#f-password", "稀土永磁-包头-2026").await;
            b.click("form[action='/register'] button[type=submit]").await;
            b.wait_for_path(|p| p.starts_with("/login")).await;
            // the official verifies the new organisation, found in the queue
            let queue = app.get("/api/v1/organizations?status=unverified", Some(&official)).expect(200).json;
            let org = queue["items"].as_array().unwrap().iter()
                .find(|o| o["name"] == "包头稀土永磁科技有限公司").unwrap()["id"]
                .as_str().unwrap().to_owned();
            app.post(&format!("/api/v1/organizations/{org}/verify"), Some(&official), &json!({})).expect(200);
            b.fill("#f-email", "li@btmagnet.cn").await;
            b.fill("#f-password", "稀土永磁-包头-2026").await;
            b.click("form[action='/login'] button[type=submit]").await;
            b.wait_for_path(|p| p == "/").await;
            b.open("/workspace").await;
            b.click("a[href='/challenges/new']").await;
            b.wait_for_path(|p| p == "/challenges/new").await;
            b.check_page("challenge-form").await;
            b.fill("#f-title", "高矫顽力低重稀土烧结钕铁硼磁材制备技术").await;
            b.choose("#f-industry", "稀土").await;
            b.fill("#f-problem", "面向新能源汽车驱动电机，研制低重稀土、高矫顽力烧结钕铁硼磁材，突破晶界扩散与微结构调控关键技术。").await;
            b.fill("#f-kpis-0--name", "内禀矫顽力").await;
            b.fill("#f-kpis-0--target", "≥25").await;
            b.fill("#f-kpis-0--unit", "kOe").await;
            b.fill("#f-kpis-1--name", "重稀土用量").await;
            b.fill("#f-kpis-1--target", "≤0.5").await;
            b.fill("#f-kpis-1--unit", "wt%").await;
            b.fill("#f-duration_months", "24").await;
            b.fill("#f-fiscal_support", "300").await;
            b.fill("#f-enterprise_funds", "300").await;
            // the ratio is checked as it is typed
            let hint = b.text("#ratio-hint").await;
            assert!(hint.contains("低于 2:1"), "{hint}");
            b.fill("#f-contact-name", "李经理").await;
            b.fill("#f-contact-phone", "0472-5551234").await;
            b.fill("#f-contact-email", "li@btmagnet.cn").await;
            b.click("button[value=submit]").await;
            // and again by the server: the message beside the field, every value kept
            let msg = b.text("#f-enterprise_funds-msg").await;
            assert!(msg.contains("2:1"), "{msg}");
            assert_eq!(b.value("#f-kpis-1--name").await, "重稀土用量");
            assert_eq!(b.value("#f-title").await, "高矫顽力低重稀土烧结钕铁硼磁材制备技术");
            assert_eq!(b.value("#f-fiscal_support").await, "300");
            b.check_page("challenge-form-errors").await;
            b.fill("#f-enterprise_funds", "600").await;
            assert!(b.text("#ratio-hint").await.contains("符合要求"));
            b.click("button[value=submit]").await;
            b.wait_for_path(|p| p.contains("done=submit")).await;
            assert!(b.text(".success").await.contains("已提交科技厅审核"));
            assert!(b.text("h1").await.contains("高矫顽力"));
            assert!(b.text("table").await.contains("重稀土用量"));
        });
        // submitted for review, as the API has it
        let queue = app.get("/api/v1/challenges?status=pending_review", Some(&cast.official)).expect(200).json;
        let c = &queue["items"][0];
        assert_eq!(c["title"], "高矫顽力低重稀土烧结钕铁硼磁材制备技术");
        assert_eq!(c["kpis"].as_array().unwrap().len(), 2);
        assert_eq!(c["enterprise_funds"], 6_000_000);
        assert_eq!(c["fiscal_support"], 3_000_000);
    }
}

/// Signs in through the login form as `email` (the tests' password).
async fn sign_in(b: &jiebang_tests::browser::Browser, email: &str) {
    sign_in_with(b, email, jiebang_tests::PASSWORD).await;
}

async fn sign_out(b: &jiebang_tests::browser::Browser) {
    b.click("form[action='/logout'] button").await;
    b.wait_gone(".who").await;
}

async fn sign_in_with(b: &jiebang_tests::browser::Browser, email: &str, password: &str) {
    b.open("/login").await;
    b.fill("#f-email", email).await;
    b.fill("#f-password", password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_path(|p| p == "/").await;
}

on_both_databases! {
    // Journey 4, from the award on: the notice of the drafted agreement leads each side to it;
    // both sign in the browser against the hash shown; after 备案 the bidder reports a milestone
    // and the publisher confirms it.
    fn both_sides_sign_and_the_bidder_reports_a_milestone(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        let (_, ids, _) = jiebang_tests::awarded(&app, &mut cast);
        let ours = ids
            .iter()
            .find(|id| app.get(&format!("/api/v1/agreements/{id}"), Some(&cast.bidder)).status == 200)
            .unwrap()
            .clone();
        // the bidder signs with its own SM2 key (issue #17): it registers the public key, and
        // pastes its signature of the canonical terms into the sign form
        let (private, public) = jiebang_domain::signing::generate();
        app.post(&format!("/api/v1/organizations/{}/keys", cast.bidder_org), Some(&cast.bidder), &json!({"public_key_pem": public})).expect(201);
        let canonical = app.get(&format!("/api/v1/agreements/{ours}/evidence"), Some(&cast.bidder)).expect(200).json["terms_canonical"]
            .as_str().unwrap().to_owned();
        let own_signature = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(jiebang_domain::signing::sign(&private, canonical.as_bytes()).unwrap())
        };
        let app = &app;
        let agreement = ours.clone();
        with_browser(&app.base, true, |b| async move {
            for who in ["publisher@bfhi.com.cn", "bidder@imu.edu.cn"] {
                sign_in(&b, who).await;
                // the signature request is a notice that opens the agreement
                b.open("/notices").await;
                let n = b.find_all("form[action$='/open'] button").await.len();
                assert!(n >= 1);
                b.open(&format!("/agreements/{agreement}")).await;
                assert!(b.text(".facts").await.contains("待签署") || b.text(".facts").await.contains("部分签署"));
                b.check_page(if who.starts_with("publisher") { "agreement-publisher" } else { "agreement-bidder" }).await;
                if who.starts_with("bidder") {
                    // without its signature, then with a wrong one: refused beside the field, the
                    // typed value kept, nothing signed
                    b.click(&format!("form[action='/agreements/{agreement}/sign'] button")).await;
                    assert!(!b.text("#f-signature-msg").await.is_empty());
                    b.fill("#f-signature", "MEUCIQDwrongsignature").await;
                    b.click(&format!("form[action='/agreements/{agreement}/sign'] button")).await;
                    assert!(b.text("#f-signature-msg").await.contains("验证"));
                    assert_eq!(b.value("#f-signature").await, "MEUCIQDwrongsignature");
                    b.fill("#f-signature", &own_signature).await;
                }
                b.click(&format!("form[action='/agreements/{agreement}/sign'] button")).await;
                assert!(b.text(".success").await.contains("已签署"));
                assert!(b.find_all(&format!("form[action='/agreements/{agreement}/sign']")).await.is_empty());
                // once signed, the page offers the evidence document for download
                assert_eq!(b.find_all(&format!("a[href='/agreements/{agreement}/evidence.json']")).await.len(), 1);
                b.click("form[action='/logout'] button").await;
                b.wait_gone(".who").await;
            }
        });
        let official = cast.official.clone();
        app.post(&format!("/api/v1/agreements/{ours}/register"), Some(&official), &json!({})).expect(200);
        let agreement = ours.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "bidder@imu.edu.cn").await;
            b.open(&format!("/agreements/{agreement}")).await;
            assert!(b.text(".facts").await.contains("已备案"));
            // an empty report is refused beside its field
            b.click("form[action$='/report'] button").await;
            assert!(!b.text(".milestones .field-error").await.is_empty());
            b.fill("form[action$='/report'] textarea", "总体方案已完成并通过专家评审，见评审意见书。").await;
            b.click("form[action$='/report'] button").await;
            assert!(b.text(".success").await.contains("里程碑已报告"));
            b.click("form[action='/logout'] button").await;
            b.wait_gone(".who").await;
            sign_in(&b, "publisher@bfhi.com.cn").await;
            b.open(&format!("/agreements/{agreement}")).await;
            b.click("form[action$='/confirm'] input[value=true] ~ button").await;
            assert!(b.text(".success").await.contains("里程碑已确认"));
            assert!(b.text(".milestones").await.contains("已达成"));
            // the history panel tells what happened, in order, newest first
            b.click("details.history summary").await;
            let history = b.text("details.history").await;
            for step in ["确认里程碑达成", "报告里程碑", "备案", "签署", "创建"] {
                assert!(history.contains(step), "{step} in {history}");
            }
            assert!(history.find("确认里程碑达成") < history.find("创建"));
            // the publisher records its own money (企业出资) against the milestone: more than
            // the agreement holds is refused beside the amount, as typed; then a real tranche
            b.fill("#f-amount", "99999").await;
            b.click("form[action$='/pay'] button[type=submit]").await;
            assert!(b.text(".error-summary").await.contains("累计拨付将超过协议金额"));
            assert_eq!(b.value("#f-amount").await, "99999");
            b.check_page("agreement-payment-refused").await;
            b.fill("#f-amount", "12.5").await;
            b.click("form[action$='/pay'] button[type=submit]").await;
            assert!(b.text(".success").await.contains("企业出资已记录"));
            let paid = b.text("#pay-title + .table-wrap").await;
            assert!(paid.contains("企业出资") && paid.contains("12.5"), "{paid}");
        });
        let a = app.get(&format!("/api/v1/agreements/{ours}"), Some(&cast.official)).expect(200).json;
        assert_eq!(a["status"], "registered");
        assert_eq!(a["signatures"].as_array().unwrap().len(), 2);
        assert_eq!(a["milestones"][0]["status"], "met");
        assert_eq!(a["paid_enterprise"], 125_000);
        assert_eq!(a["payments"].as_array().unwrap().len(), 1);
    }
}

on_both_databases! {
    // The publisher's lifecycle actions, each offered from the challenge's `actions`: an
    // amendment (更正) needs a reason and is published as a notice; the deadline is extended;
    // the challenge is cancelled with a reason. Each refused form keeps what was typed.
    fn the_publisher_amends_extends_and_cancels_a_challenge(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("千标方级电解水制氢关键装备研制", "新能源", PROBLEM, 20));
        let before = app.get(&format!("/api/v1/challenges/{challenge}"), None).expect(200).json;
        let app = &app;
        let id = challenge.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "publisher@bfhi.com.cn").await;
            b.open(&format!("/challenges/{id}")).await;
            b.click(&format!("a[href='/challenges/{id}/edit']")).await;
            b.wait_for_path(|p| p.ends_with("/edit")).await;
            assert!(b.text("h1").await.contains("更正"));
            b.fill("#f-title", "千标方级碱性电解水制氢关键装备研制").await;
            b.click("button[value=save]").await;
            // an amendment without a reason is refused beside the reason, the new title kept
            assert!(b.text("#f-reason-msg").await.contains("须说明原因"));
            assert_eq!(b.value("#f-title").await, "千标方级碱性电解水制氢关键装备研制");
            b.check_page("challenge-amend-refused").await;
            b.fill("#f-reason", "明确为碱性电解槽路线").await;
            b.click("button[value=save]").await;
            b.wait_for_path(|p| p.contains("done=amend")).await;
            assert!(b.text("h1").await.contains("碱性"));
            let notices = b.text("#amend-title + ol").await;
            assert!(notices.contains("更正") && notices.contains("明确为碱性电解槽路线"), "{notices}");
            // 延期: a reason over 500 characters is refused, the date kept; then accepted
            b.click(&format!("a[href='/challenges/{id}/extend']")).await;
            b.wait_for_path(|p| p.ends_with("/extend")).await;
            b.check_page("challenge-extend").await;
            let proposed = b.value("#f-bidding_deadline").await;
            b.fill("#f-reason", &"延".repeat(501)).await;
            b.click("form[action$='/extend'] button[type=submit]").await;
            assert!(!b.text("#f-reason-msg").await.is_empty());
            assert_eq!(b.value("#f-bidding_deadline").await, proposed);
            b.fill("#f-reason", "应多家单位请求").await;
            b.click("form[action$='/extend'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=extend")).await;
            assert!(b.text("#amend-title + ol").await.contains("延期"));
            // 撤销: a reason is required
            b.click(&format!("a[href='/challenges/{id}/cancel']")).await;
            b.wait_for_path(|p| p.ends_with("/cancel")).await;
            b.click("form[action$='/cancel'] button[type=submit]").await;
            assert!(!b.text("#f-reason-msg").await.is_empty());
            b.check_page("challenge-cancel-refused").await;
            b.fill("#f-reason", "企业技术路线调整").await;
            b.click("form[action$='/cancel'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=cancel")).await;
            assert!(b.text("#cancel-title + p").await.contains("企业技术路线调整"));
            // nothing is offered on a cancelled challenge
            assert!(b.find_all(".actions-bar a").await.is_empty());
        });
        let after = app.get(&format!("/api/v1/challenges/{challenge}"), None).expect(200).json;
        assert_eq!(after["status"], "cancelled");
        assert_eq!(after["title"], "千标方级碱性电解水制氢关键装备研制");
        assert!(after["bidding_deadline"].as_str() > before["bidding_deadline"].as_str());
        let notices = after["amendments"].as_array().unwrap();
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0]["kind"], "amend");
        assert_eq!(notices[1]["kind"], "extend");
        assert_eq!(notices[1]["bidding_deadline"], after["bidding_deadline"]);
    }
}

on_both_databases! {
    // An enterprise files an innovation consortium in a browser without JavaScript: a member found
    // in the directory, a refused form (no name) that keeps the member and every count, then
    // 保存并备案 gives it a registration number; the history panel shows both steps.
    fn an_enterprise_files_a_consortium_without_javascript(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        app.cast();
        let app = &app;
        with_browser(&app.base, false, |b| async move {
            sign_in(&b, "publisher@bfhi.com.cn").await;
            b.open("/workspace").await;
            b.click("a[href='/consortia/new']").await;
            b.wait_for_path(|p| p == "/consortia/new").await;
            b.screenshot("consortium-form").await;
            b.fill("#f-member_q", "内蒙古大学").await;
            b.click("button[value=find_member]").await;
            b.click(".candidates button").await;
            assert!(b.text(".member-list").await.contains("内蒙古大学"));
            b.fill("#f-industry_direction", "稀土新材料").await;
            b.fill("#f-national_platforms", "2").await;
            b.fill("#f-mechanisms", "<script>alert(1)</script> 理事会决策，成果共享").await;
            b.click("button[value=file]").await;
            assert!(!b.text("#f-name-msg").await.is_empty());
            assert!(b.text(".member-list").await.contains("内蒙古大学"));
            assert_eq!(b.value("#f-national_platforms").await, "2");
            assert_eq!(b.value("#f-industry_direction").await, "稀土新材料");
            b.screenshot("consortium-form-refused").await;
            b.fill("#f-name", "稀土新材料创新联合体").await;
            b.click("button[value=file]").await;
            b.wait_for_path(|p| p.contains("done=file")).await;
            let head = b.text("main").await;
            assert!(head.contains("已备案") && head.contains("NMCX-"), "{head}");
            assert!(head.contains("<script>alert(1)</script>"));
            b.click("details.history summary").await;
            let history = b.text("details.history").await;
            assert!(history.contains("备案") && history.contains("创建"), "{history}");
            b.open("/workspace").await;
            assert!(b.text("section[aria-labelledby=my-consortia]").await.contains("稀土新材料创新联合体"));
        });
        // the same pages pass axe (which needs JavaScript to run), and fit 375 px
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "publisher@bfhi.com.cn").await;
            b.open("/consortia/new").await;
            b.check_page("consortium-form").await;
            b.click("button[value=save]").await;
            b.check_page("consortium-form-refused").await;
            b.open("/workspace").await;
            b.click("section[aria-labelledby=my-consortia] li a").await;
            b.wait_for_path(|p| p.starts_with("/consortia/")).await;
            assert!(!b.alert_open().await);
            b.check_page("consortium").await;
        });
        let filed = app.get("/api/v1/consortia", None).expect(200).json;
        let c = &filed.as_array().unwrap()[0];
        assert_eq!(c["name"], "稀土新材料创新联合体");
        assert_eq!(c["status"], "filed");
        assert_eq!(c["members"][0]["name"], "内蒙古大学");
        assert_eq!(c["national_platforms"], 2);
    }
}

on_both_databases! {
    // 答疑: a bidder asks on the challenge page (a too-short question is refused and kept), the
    // publisher answers it there, and the answer is public without the asker's name.
    fn a_question_is_asked_and_answered_on_the_challenge_page(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("千标方级电解水制氢关键装备研制", "新能源", PROBLEM, 20));
        let app = &app;
        let challenge = challenge.as_str();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "bidder@imu.edu.cn").await;
            b.open(&format!("/challenges/{challenge}")).await;
            b.fill("#f-question", "场地？").await;
            b.click(".ask-form button").await;
            assert!(!b.text("#f-question-msg").await.is_empty());
            assert_eq!(b.value("#f-question").await, "场地？");
            b.fill("#f-question", "是否提供示范场地和电网接入条件？").await;
            b.click(".ask-form button").await;
            assert!(b.text(".success").await.contains("问题已提交"));
            assert!(b.text(".open-questions").await.contains("等待发榜单位答复"));
            b.click("form[action='/logout'] button").await;
            b.wait_gone(".who").await;
            sign_in(&b, "publisher@bfhi.com.cn").await;
            b.open(&format!("/challenges/{challenge}")).await;
            b.check_page("challenge-publisher").await;
            b.fill(".open-questions textarea", "提供，位于鄂尔多斯风光制氢一体化示范基地，具备 110kV 接入条件。").await;
            b.click(".open-questions button").await;
            assert!(b.text(".success").await.contains("答复已公开"));
            b.click("form[action='/logout'] button").await;
            b.wait_gone(".who").await;
            b.open(&format!("/challenges/{challenge}")).await;
            let qa = b.text(".qa").await;
            assert!(qa.contains("是否提供示范场地") && qa.contains("110kV") && !qa.contains("内蒙古大学"), "{qa}");
        });
    }
}

on_both_databases! {
    // Journey 4, the selection: after the close the publisher reads the ranking and selects the
    // winner in the browser; an official confirms (立项) and the agreement is drafted.
    fn the_publisher_selects_the_winner_from_the_ranking(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        let (challenge, bids, _) = jiebang_tests::scored(&app, &mut cast);
        let app = &app;
        let (c, first) = (challenge.clone(), bids[0].clone());
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "publisher@bfhi.com.cn").await;
            b.open(&format!("/challenges/{c}")).await;
            b.click(&format!("a[href='/challenges/{c}/ranking']")).await;
            b.wait_for_path(|p| p.ends_with("/ranking")).await;
            assert_eq!(b.find_all("input[name=bid_ids]").await.len(), 2);
            b.check_page("ranking-publisher").await;
            // nothing chosen is refused, and says so
            b.click(&format!("form[action='/challenges/{c}/ranking'] button")).await;
            assert!(b.text(".error-summary").await.contains("1 到 2"));
            b.click(&format!("#pick-{first}")).await;
            b.click(&format!("form[action='/challenges/{c}/ranking'] button")).await;
            assert!(b.text(".success").await.contains("已选定"));
            assert!(b.text("table").await.contains("已选定，待科技厅确认"));
        });
        let selection = app.get(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.official)).expect(200).json;
        assert_eq!(selection["bid_ids"], json!([bids[0]]));
        let award = app.post(&format!("/api/v1/challenges/{challenge}/awards/confirm"), Some(&cast.official), &json!({})).expect(200).json;
        assert_eq!(award["agreement_ids"].as_array().unwrap().len(), 1);
    }
}

on_both_databases! {
    // Every link in the notices (and so in the e-mails, which carry the same link) opens a page
    // for its recipient: through a whole programme — registration, review, publication, bids,
    // the award, signing — each recipient signs in and opens every link it was sent.
    fn every_notice_link_opens_a_page(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        jiebang_tests::awarded(&app, &mut cast);
        app.register("new@caoyuan-h2.cn", "草原氢能装备有限公司", "enterprise", "150200");
        let mut links: Vec<(String, String)> = Vec::new();
        for email in ["publisher@bfhi.com.cn", "bidder@imu.edu.cn", "official@kjt.nmg.gov.cn"] {
            let token = app.token(email);
            let page = app.get("/api/v1/me/notifications?limit=100", Some(&token)).expect(200).json;
            for n in page["items"].as_array().unwrap() {
                let link = n["link"].as_str().unwrap();
                let path = link.split_once("://").map(|(_, rest)| &rest[rest.find('/').unwrap()..]).unwrap().to_owned();
                links.push((email.to_owned(), path));
            }
        }
        let kinds: std::collections::BTreeSet<&str> = links.iter().map(|(_, p)| p.split('/').nth(1).unwrap()).collect();
        assert!(kinds.len() >= 4, "{kinds:?}");
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            let mut current = String::new();
            for (email, path) in &links {
                if *email != current {
                    if !current.is_empty() {
                        b.click("form[action='/logout'] button").await;
                        b.wait_gone(".who").await;
                    }
                    sign_in(&b, email).await;
                    current = email.clone();
                }
                b.open(path).await;
                let h1 = b.text("h1").await;
                assert!(!h1.starts_with("未找到") && !h1.starts_with("无权"), "{email} {path}: {h1}");
            }
        });
    }
}

on_both_databases! {
    // 账户设置: the language, e-mail per kind and the subscription, each its own form; a refusal
    // writes nothing and keeps what was typed.
    fn account_settings_change_language_mail_and_subscription(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "bidder@imu.edu.cn").await;
            b.click("a[href='/account']").await;
            b.wait_for_path(|p| p == "/account").await;
            b.check_page("account").await;
            // an empty name is refused beside the field; nothing changes
            b.fill("#f-name", "").await;
            b.click("#me-title ~ form button").await;
            assert!(!b.text("#f-name-msg").await.is_empty());
            b.fill("#f-name", "王教授").await;
            b.click("input[name=locale][value=en]").await;
            b.click("#me-title ~ form button").await;
            assert!(b.text(".success").await.contains("已保存"));
            assert!(b.text(".who").await.contains("王教授"));
            // no e-mail for answers to questions
            b.click("input[name=email][value=question_answered]").await;
            b.click("#mail-title ~ form button").await;
            assert!(b.text(".success").await.contains("已保存"));
            // subscribe to 新能源 and two keywords
            b.click("input[name=industries][value='新能源']").await;
            b.fill("#f-keywords", "制氢，电解槽").await;
            b.click("#sub-title ~ form button").await;
            assert!(b.text(".success").await.contains("已保存"));
            assert_eq!(b.value("#f-keywords").await, "制氢 电解槽");
        });
        let me = app.get("/api/v1/me", Some(&cast.bidder)).expect(200).json;
        assert_eq!((me["user"]["name"].as_str(), me["user"]["locale"].as_str()), (Some("王教授"), Some("en")));
        let prefs = app.get("/api/v1/me/notification-preferences", Some(&cast.bidder)).expect(200).json;
        assert_eq!(prefs["email"]["question_answered"], false);
        assert_eq!(prefs["email"]["award"], true);
        let sub = app.get("/api/v1/me/subscriptions", Some(&cast.bidder)).expect(200).json;
        assert_eq!(sub, json!({"industries": ["新能源"], "keywords": ["制氢", "电解槽"]}));
    }
}

on_both_databases! {
    // 能力画像: a bidder without a profile is pointed to it from the workspace, fills it in (an
    // over-long keyword is refused and kept), and the workspace then recommends a matching
    // challenge.
    fn a_capability_profile_brings_recommendations(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let challenge = app.publish(&cast.publisher, &cast.official, &app.challenge_body("千标方级电解水制氢关键装备研制", "新能源", PROBLEM, 20));
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "bidder@imu.edu.cn").await;
            b.open("/workspace").await;
            b.click("#for-you ~ p.empty a[href='/profile']").await;
            b.wait_for_path(|p| p == "/profile").await;
            b.check_page("profile").await;
            b.click("input[name=industries][value='新能源']").await;
            b.fill("#f-keywords", &format!("电解水制氢 {}", "很长".repeat(20))).await;
            b.fill("#f-statement", "学校长期开展碱性电解槽与电解水制氢技术研究，拥有自治区氢能重点实验室。").await;
            b.click("form[action='/profile'] button").await;
            assert!(b.find_all(".error-summary").await.len() == 1);
            assert!(b.value("#f-statement").await.starts_with("学校长期开展"));
            b.fill("#f-keywords", "电解水制氢 碱性电解槽 氢能").await;
            b.click("form[action='/profile'] button").await;
            assert!(b.text(".success").await.contains("已保存"));
            let start = std::time::Instant::now();
            loop {
                b.open("/workspace").await;
                if b.text("#for-you").await.is_empty() || !b.find_all(".recommendations li").await.is_empty() {
                    break;
                }
                assert!(start.elapsed() < std::time::Duration::from_secs(10), "no recommendation");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            assert!(b.text(".recommendations").await.contains("千标方级电解水制氢关键装备研制"));
        });
        let recs = app.get("/api/v1/me/recommendations", Some(&cast.bidder)).expect(200).json;
        assert_eq!(recs[0]["challenge_id"], challenge.as_str());
    }
}

on_both_databases! {
    // An official's main tasks from the workspace: a pending challenge is returned with a comment
    // (refused without one), the publisher resubmits, the official approves it in the browser;
    // an organisation awaiting verification is opened from the queue and verified.
    fn an_official_reviews_a_challenge_and_verifies_an_organisation(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let body = app.challenge_body("稀土永磁电机控制器国产化", "稀土", PROBLEM, 20);
        let id = app.post("/api/v1/challenges", Some(&cast.publisher), &body).expect(201).json["id"]
            .as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&cast.publisher), &json!({})).expect(200);
        app.register("new@ordos.cn", "鄂尔多斯氢能装备有限公司", "enterprise", "150602");
        let new_org = app.get("/api/v1/me", Some(&app.token("new@ordos.cn"))).expect(200).json["organization"]["id"]
            .as_str().unwrap().to_owned();
        let app = &app;
        let challenge = id.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open("/workspace").await;
            b.click(&format!("a[href='/challenges/{challenge}']")).await;
            b.wait_for_path(|p| p.starts_with("/challenges/")).await;
            b.check_page("review-challenge").await;
            b.click(&format!("a[href='/challenges/{challenge}/return']")).await;
            b.wait_for_path(|p| p.ends_with("/return")).await;
            b.click("form[action$='/return'] button[type=submit]").await;
            assert!(!b.text("#f-comment-msg").await.is_empty());
            b.check_page("review-return-refused").await;
            b.fill("#f-comment", "请补充控制器的功率等级与效率指标").await;
            b.click("form[action$='/return'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=return")).await;
            assert!(b.text(".sealed-note").await.contains("请补充控制器的功率等级"));
            // the organisation in the verification queue
            b.open("/workspace").await;
            b.click("section:has(#orgs) a").await;
            b.wait_for_path(|p| p.starts_with("/organizations/")).await;
            b.check_page("verify-organization").await;
            // first returned with a reason (refused without one), then verified
            b.click("a[href$='/return']").await;
            b.wait_for_path(|p| p.ends_with("/return")).await;
            b.click("form[action$='/return'] button[type=submit]").await;
            assert!(!b.text("#f-reason-msg").await.is_empty());
            b.fill("#f-reason", "营业执照照片不清晰，请重新上传").await;
            b.click("form[action$='/return'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=return")).await;
            assert!(b.text(".sealed-note").await.contains("营业执照照片不清晰"));
            b.click("form[action$='/verify'] button").await;
            b.wait_for_path(|p| p.contains("done=verify")).await;
            assert!(b.text("main").await.contains("已认证"));
        });
        // the publisher resubmits; the official approves in the browser
        app.post(&format!("/api/v1/challenges/{id}/submit"), Some(&cast.publisher), &json!({})).expect(200);
        let challenge = id.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open(&format!("/challenges/{challenge}")).await;
            b.click("form[action$='/approve'] button").await;
            b.wait_for_path(|p| p.contains("done=approve")).await;
            assert!(b.text(".badge").await.contains("揭榜中"));
            assert!(b.find_all("form[action$='/approve']").await.is_empty());
        });
        let c = app.get(&format!("/api/v1/challenges/{id}"), None).expect(200).json;
        assert_eq!(c["status"], "published");
        let queue = app.get("/api/v1/organizations?status=unverified", Some(&cast.official)).expect(200).json;
        assert!(queue["items"].as_array().unwrap().iter().all(|o| o["organization"]["name"] != "鄂尔多斯氢能装备有限公司"));
        let org = app.get(&format!("/api/v1/organizations/{new_org}"), None).expect(200).json;
        assert_eq!(org["status"], "verified");
    }
}

on_both_databases! {
    // An expert's main task: from the workspace's "已评 0 / 2" to the first bid beside the rubric;
    // a score out of range is refused beside it with every value kept; the expert saves one bid,
    // leaves, comes back and finishes the second; only then do the expert's scores show as all in.
    fn an_expert_scores_the_bids_in_the_browser(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        let (challenge, bids, _, expert) = jiebang_tests::assigned(&app, &mut cast);
        let app = &app;
        let id = challenge.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "expert@experts.cn").await;
            b.open("/workspace").await;
            b.click(&format!("a[href='/challenges/{id}/scoring']")).await;
            b.wait_for_path(|p| p.ends_with("/scoring")).await;
            assert!(b.text("main").await.contains("已评 0 / 2"));
            b.check_page("scoring").await;
            b.click("table a[href$='/score']").await;
            b.wait_for_path(|p| p.ends_with("/score")).await;
            assert!(b.text(".score-bid").await.contains("宽功率碱性电解槽"));
            b.fill("#f-scores-0--score", "120").await;
            b.fill("#f-scores-0--comment", "方案完整").await;
            b.fill("#f-scores-1--score", "75").await;
            b.fill("#f-scores-1--comment", "团队有示范经验").await;
            b.click("form[action$='/score'] button[type=submit]").await;
            assert!(!b.text("#f-scores-0--score-msg").await.is_empty());
            assert_eq!(b.value("#f-scores-0--score").await, "120");
            assert_eq!(b.value("#f-scores-1--comment").await, "团队有示范经验");
            b.check_page("score-refused").await;
            b.fill("#f-scores-0--score", "85").await;
            b.click("form[action$='/score'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=score")).await;
            assert!(b.text("main").await.contains("已评 1 / 2"));
            // halfway through the second bid: one criterion scored, saved as a draft (暂存)
            b.click("table tr:has(.status-evaluating) a[href$='/score']").await;
            b.wait_for_path(|p| p.ends_with("/score")).await;
            b.fill("#f-scores-0--score", "70").await;
            b.fill("#f-scores-0--comment", "路线可行").await;
            b.click("form[action$='/score'] button[value=draft]").await;
            b.wait_for_path(|p| p.contains("done=draft")).await;
            assert!(b.text("main").await.contains("已评 1 / 2"));
            assert_eq!(b.find_all("tr:has(.draft-badge)").await.len(), 1);
            // leaves, and comes back later to finish where it stopped
            b.click("form[action='/logout'] button").await;
            b.wait_gone(".who").await;
            sign_in(&b, "expert@experts.cn").await;
            b.open(&format!("/challenges/{id}/scoring")).await;
            assert!(b.text("main").await.contains("已评 1 / 2"));
            b.click("table tr:has(.draft-badge) a[href$='/score']").await;
            b.wait_for_path(|p| p.ends_with("/score")).await;
            assert_eq!(b.value("#f-scores-0--score").await, "70");
            assert_eq!(b.value("#f-scores-0--comment").await, "路线可行");
            assert!(b.text(".score-rubric").await.contains("暂存于"));
            b.fill("#f-scores-1--score", "80").await;
            b.fill("#f-scores-1--comment", "团队完整").await;
            b.click("form[action$='/score'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=score")).await;
            assert!(b.text("main").await.contains("已评 2 / 2"));
            // the saved scores come back in the form, with the experts' scores beside them
            b.click("table a[href$='/score']").await;
            b.wait_for_path(|p| p.ends_with("/score")).await;
            assert!(!b.value("#f-scores-0--score").await.is_empty());
            assert!(b.text("#others-title").await.contains("各专家评分"));
        });
        let mut got = Vec::new();
        for bid in &bids {
            let s = app.get(&format!("/api/v1/bids/{bid}/scores"), Some(&expert)).expect(200).json;
            got.push(s[0]["scores"][0]["score"].as_i64().unwrap());
        }
        got.sort();
        assert_eq!(got, vec![70, 85]);
    }
}

on_both_databases! {
    // Acceptance 1 on the demo programme: each demo account's main task is within two clicks of
    // its workspace — the bidder's bid form from a recommendation, the expert's score form, the
    // official's review, the publisher's ranking, the agreement the dairy enterprise pays on.
    fn each_demo_account_reaches_its_main_task_in_two_clicks(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let rules = app.state.config.challenge_rules().unwrap();
        jiebang_api::demo::run(&app.state.db, &rules, &app.state.ctx.keys).unwrap();
        app.state.search.refresh(&app.state.db).unwrap();
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            let demo = |who: &str| format!("{who}@demo.jiebang.cn");
            // 揭榜方: a recommendation, then 我要揭榜
            sign_in_with(&b, &demo("institute"), jiebang_api::demo::PASSWORD).await;
            b.open("/workspace").await;
            b.check_page("demo-workspace-bidder").await;
            b.click(".recommendations li a").await;
            b.click("a[href$='/bid']").await;
            b.wait_for_path(|p| p.ends_with("/bid")).await;
            assert!(b.text("h1").await.contains("揭榜"));
            sign_out(&b).await;
            // 评审专家: 已评 0 / 2, then 评分
            sign_in_with(&b, &demo("expert.hydrogen"), jiebang_api::demo::PASSWORD).await;
            b.open("/workspace").await;
            b.check_page("demo-workspace-expert").await;
            b.click("a[href$='/scoring']").await;
            b.click("table a[href$='/score']").await;
            b.wait_for_path(|p| p.ends_with("/score")).await;
            assert!(!b.find_all("#f-scores-0--score").await.is_empty());
            b.check_page("demo-score").await;
            sign_out(&b).await;
            // 科技厅: the pending challenge, where 审核通过 and 退回 are offered
            sign_in_with(&b, &demo("official"), jiebang_api::demo::PASSWORD).await;
            b.open("/workspace").await;
            b.check_page("demo-workspace-official").await;
            b.click("section:has(#queue) a").await;
            assert!(!b.find_all("form[action$='/approve']").await.is_empty());
            sign_out(&b).await;
            // 发榜方 after the close: its challenge, then the ranking
            sign_in_with(&b, &demo("rare-earth"), jiebang_api::demo::PASSWORD).await;
            b.open("/workspace").await;
            b.check_page("demo-workspace-publisher").await;
            b.click("section:has(#my-challenges) tbody a").await;
            b.click("a[href$='/ranking']").await;
            b.wait_for_path(|p| p.ends_with("/ranking")).await;
            sign_out(&b).await;
            // 发榜方 of the contracted project: the agreement with its payment form, one click
            sign_in_with(&b, &demo("dairy"), jiebang_api::demo::PASSWORD).await;
            b.open("/workspace").await;
            b.click("section:has(#my-agreements) a").await;
            b.wait_for_path(|p| p.starts_with("/agreements/")).await;
            assert!(!b.find_all("form[action$='/pay']").await.is_empty());
        });
    }
}

/// Scores every bid of `challenge` in the browser as the signed-in expert (the same two marks).
async fn score_all(b: &jiebang_tests::browser::Browser, challenge: &str, marks: (&str, &str)) {
    b.open(&format!("/challenges/{challenge}/scoring")).await;
    while !b
        .find_all("table tr:has(.status-evaluating) a[href$='/score']")
        .await
        .is_empty()
    {
        b.click("table tr:has(.status-evaluating) a[href$='/score']")
            .await;
        b.wait_for_path(|p| p.ends_with("/score")).await;
        b.fill("#f-scores-0--score", marks.0).await;
        b.fill("#f-scores-0--comment", "技术路线清晰").await;
        b.fill("#f-scores-1--score", marks.1).await;
        b.fill("#f-scores-1--comment", "团队具备示范经验").await;
        b.click("form[action$='/score'] button[type=submit]").await;
        b.wait_for_path(|p| p.contains("done=score")).await;
    }
}

on_both_databases! {
    // #14 journeys 2 and 3: after the close the official assigns three experts from the
    // evaluation page — one, employed by a bidder, is refused for a conflict of interest with the
    // ticks kept — then two; each scores in the browser; the publisher selects; the official sees
    // the selection beside the ranking and the experts' scores, and confirms 立项.
    fn an_official_assigns_experts_and_confirms_the_award(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        let (challenge, bids, _) = jiebang_tests::closed(&app, &mut cast);
        let mut ids = Vec::new();
        for (email, org) in [("wang@experts.cn", None), ("zhao@experts.cn", None), ("li@imu.edu.cn", Some(cast.bidder_org.as_str()))] {
            let token = app.platform_user("expert", email, org);
            ids.push(app.get("/api/v1/me", Some(&token)).json["user"]["id"].as_str().unwrap().to_owned());
        }
        let app = &app;
        let (id, experts) = (challenge.clone(), ids.clone());
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open("/workspace").await;
            b.click(&format!("a[href='/challenges/{id}/evaluation']")).await;
            b.wait_for_path(|p| p.ends_with("/evaluation")).await;
            b.check_page("evaluation").await;
            for e in &experts {
                b.click(&format!("input[value='{e}']")).await;
            }
            b.click("form[action$='/evaluation'][method=post] button[type=submit]").await;
            assert!(b.text(".error-summary").await.contains("须回避"));
            for e in &experts {
                assert!(b.find(&format!("input[value='{e}']")).await.is_selected().await.unwrap());
            }
            b.check_page("evaluation-conflict").await;
            b.click(&format!("input[value='{}']", experts[2])).await;
            b.click("form[action$='/evaluation'][method=post] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=assign")).await;
            assert!(b.text("#progress-title + p").await.contains("已指派专家 2 名"));
        });
        for (email, marks) in [("wang@experts.cn", ("85", "75")), ("zhao@experts.cn", ("80", "70"))] {
            let id = challenge.clone();
            with_browser(&app.base, true, |b| async move {
                sign_in(&b, email).await;
                score_all(&b, &id, marks).await;
                assert!(b.text("main").await.contains("已评 2 / 2"));
            });
        }
        app.post(&format!("/api/v1/challenges/{challenge}/awards"), Some(&cast.publisher), &json!({"bid_ids": [bids[0]]})).expect(200);
        let id = challenge.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open(&format!("/challenges/{id}")).await;
            b.click(&format!("a[href='/challenges/{id}/evaluation']")).await;
            b.wait_for_path(|p| p.ends_with("/evaluation")).await;
            let row = b.text("tr.selected-row").await;
            assert!(row.contains("拟立项") && row.contains("2 / 2") && row.contains("技术方案"), "{row}");
            b.check_page("award-confirmation").await;
            b.click("form[action$='/award'] button").await;
            b.wait_for_path(|p| p.contains("done=award")).await;
            assert!(b.text("#award-title + p").await.contains("已确认立项"));
        });
        let c = app.get(&format!("/api/v1/challenges/{challenge}"), None).expect(200).json;
        assert_eq!(c["status"], "awarded");
        let experts = app.get(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official)).expect(200).json;
        assert_eq!(experts.as_array().unwrap().len(), 2);
        assert!(experts.as_array().unwrap().iter().all(|e| e["id"] != ids[2].as_str()));
    }
}

on_both_databases! {
    // An assigned expert declares a conflict of interest from the scoring page (refused without
    // a reason, the page kept); the official sees the declaration on 评审组织, finds another
    // expert by field, and changes the rubric in its form (a sum other than 100 is refused
    // beside the rows, each row kept), since nobody has scored.
    fn an_expert_recuses_and_the_official_finds_another_and_sets_the_rubric(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        let (challenge, _, _, _) = jiebang_tests::assigned(&app, &mut cast);
        for (email, name, fields) in [("h2@experts.cn", "钱教授", ["氢能", "电解水制氢"]), ("cow@experts.cn", "孙研究员", ["奶牛育种", "生物技术"])] {
            app.post("/api/v1/admin/users", Some(&cast.admin), &json!({
                "role": "expert", "email": email, "password": jiebang_tests::PASSWORD, "name": name, "fields": fields
            })).expect(201);
        }
        let app = &app;
        let id = challenge.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "expert@experts.cn").await;
            b.open(&format!("/challenges/{id}/scoring")).await;
            b.click(&format!("a[href='/challenges/{id}/recusal']")).await;
            b.wait_for_path(|p| p.ends_with("/recusal")).await;
            b.click("form[action$='/recusal'] button[type=submit]").await;
            assert!(!b.text("#f-reason-msg").await.is_empty());
            b.check_page("recusal-refused").await;
            b.fill("#f-reason", "近三年与内蒙古大学团队有合作项目").await;
            b.click("form[action$='/recusal'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=recusal")).await;
            assert!(b.text("main").await.contains("已声明回避"));
            assert!(b.find_all(&format!("a[href='/challenges/{id}/scoring']")).await.is_empty());
        });
        let id = challenge.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open(&format!("/challenges/{id}/evaluation")).await;
            assert!(b.text("section[aria-labelledby=recusal-title]").await.contains("近三年与内蒙古大学团队有合作项目"));
            assert!(b.text("#progress-title + p").await.contains("已指派专家 0 名"));
            // the expert who declared is no longer offered; a search by field finds the right one
            b.fill("#f-field", "制氢").await;
            b.click("form[role=search] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("field=")).await;
            let offered = b.text("#f-expert_ids").await;
            assert!(offered.contains("钱教授") && offered.contains("电解水制氢"), "{offered}");
            assert!(!offered.contains("孙研究员") && !offered.contains("平台用户"), "{offered}");
            b.check_page("evaluation-search").await;
            b.click("#f-expert_ids input[type=checkbox]").await;
            b.click("form[action$='/evaluation'][method=post] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=assign")).await;
            assert!(b.text("#progress-title + p").await.contains("钱教授"));
            // the rubric, while nobody has scored
            b.click(&format!("a[href='/challenges/{id}/rubric']")).await;
            b.wait_for_path(|p| p.ends_with("/rubric")).await;
            assert_eq!(b.value("#f-criteria-0--name").await, "技术方案");
            b.fill("#f-criteria-2--name", "经费合理性").await;
            b.fill("#f-criteria-2--weight", "20").await;
            b.click("form[action$='/rubric'] button[type=submit]").await;
            assert!(b.text("#f-criteria-msg").await.contains("100"));
            assert_eq!(b.value("#f-criteria-2--name").await, "经费合理性");
            b.check_page("rubric-refused").await;
            b.fill("#f-criteria-0--weight", "50").await;
            b.fill("#f-criteria-1--weight", "30").await;
            b.click("form[action$='/rubric'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=rubric")).await;
            assert!(b.text("section[aria-labelledby=rubric-title]").await.contains("经费合理性"));
        });
        let rubric = app.get(&format!("/api/v1/challenges/{challenge}/rubric"), Some(&cast.official)).expect(200).json;
        let weights: Vec<i64> = rubric["criteria"].as_array().unwrap().iter().map(|c| c["weight"].as_i64().unwrap()).collect();
        assert_eq!(weights, [50, 30, 20]);
        let experts = app.get(&format!("/api/v1/challenges/{challenge}/experts"), Some(&cast.official)).expect(200).json;
        assert_eq!(experts.as_array().unwrap().len(), 1);
        assert_eq!(experts[0]["name"], "钱教授");
    }
}

on_both_databases! {
    // The official's tracking: a signed agreement, found in the workspace's 待备案 list, is
    // registered (备案) in the browser, a fiscal payment is recorded against its first milestone,
    // the other agreement is terminated with a reason (refused without one), and a filed
    // consortium's registration is revoked with a reason.
    fn an_official_registers_pays_terminates_and_revokes(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let mut cast = app.cast();
        let (_, ids, other) = jiebang_tests::awarded(&app, &mut cast);
        for id in &ids {
            let hash = app.get(&format!("/api/v1/agreements/{id}"), Some(&cast.official)).expect(200).json["terms_hash"].clone();
            app.post(&format!("/api/v1/agreements/{id}/sign"), Some(&cast.publisher), &json!({"terms_hash": hash})).expect(200);
            let lead = if app.get(&format!("/api/v1/agreements/{id}"), Some(&cast.bidder)).status == 200 { &cast.bidder } else { &other };
            app.post(&format!("/api/v1/agreements/{id}/sign"), Some(lead), &json!({"terms_hash": hash})).expect(200);
        }
        let member = app.get("/api/v1/me", Some(&cast.bidder)).json["organization"]["id"].as_str().unwrap().to_owned();
        let consortium = app.post("/api/v1/consortia", Some(&cast.publisher), &json!({
            "name": "风光氢储创新联合体", "industry_direction": "新能源", "members": [member]
        })).expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/consortia/{consortium}/file"), Some(&cast.publisher), &json!({})).expect(200);
        // the older agreement is registered (and later overdue), the newer one terminated: the
        // API lists the newer first, 协议跟踪 the overdue one
        let newest_first: Vec<String> = app.get("/api/v1/agreements", Some(&cast.official)).expect(200).json["items"]
            .as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
        let ids = [newest_first[1].clone(), newest_first[0].clone()];
        let app = &app;
        let official = cast.official.clone();
        let (first, second, cons) = (ids[0].clone(), ids[1].clone(), consortium.clone());
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open("/workspace").await;
            b.click(&format!("section:has(#to-register) a[href='/agreements/{first}']")).await;
            b.wait_for_path(|p| p.starts_with("/agreements/")).await;
            b.click("form[action$='/register'] button").await;
            b.wait_for_path(|p| p.contains("done=register")).await;
            assert!(b.text(".facts").await.contains("已备案"));
            // the official's payment form offers fiscal money only
            assert_eq!(b.find_all("#f-source option").await.len(), 1);
            b.fill("#f-amount", "50").await;
            b.click("form[action$='/pay'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=pay_fiscal")).await;
            assert!(b.text("#pay-title + .table-wrap").await.contains("财政资金"));
            b.check_page("agreement-official").await;
            // #14 journey 4: the signed, registered and paid agreement on the dashboard, whose
            // funnel and leverage are those of GET /api/v1/stats/funnel
            let api = app.get("/api/v1/stats/funnel", Some(&official)).expect(200).json;
            assert_eq!(api["agreements_signed"], 2, "{api}");
            assert_eq!(api["fiscal_paid"], 500_000, "the payment just recorded: {api}");
            assert!(api["leverage"].as_f64().is_some(), "{api}");
            b.click("a[href='/dashboard']").await;
            b.wait_for_path(|p| p == "/dashboard").await;
            dashboard_matches(&b, &api).await;
            // 终止 the other agreement: a reason is required
            b.open(&format!("/agreements/{second}")).await;
            b.click(&format!("a[href='/agreements/{second}/terminate']")).await;
            b.wait_for_path(|p| p.ends_with("/terminate")).await;
            b.click("form[action$='/terminate'] button[type=submit]").await;
            assert!(!b.text("#f-reason-msg").await.is_empty());
            b.check_page("agreement-terminate-refused").await;
            b.fill("#f-reason", "赛马淘汰：中期评估未达标").await;
            b.click("form[action$='/terminate'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=terminate")).await;
            assert!(b.text(".facts").await.contains("赛马淘汰"));
            // 撤销备案 of a consortium
            b.open(&format!("/consortia/{cons}")).await;
            b.click(&format!("a[href='/consortia/{cons}/revoke']")).await;
            b.wait_for_path(|p| p.ends_with("/revoke")).await;
            b.fill("#f-reason", "成员单位退出，不再满足组建条件").await;
            b.click("form[action$='/revoke'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=revoke")).await;
            assert!(b.text("main").await.contains("成员单位退出"));
            // 协议跟踪: both agreements, then the terminated one alone by its status
            b.click("a[href='/agreements']").await;
            b.wait_for_path(|p| p == "/agreements").await;
            assert_eq!(b.find_all("tbody tr").await.len(), 2);
            b.check_page("agreements").await;
            b.choose("#f-status", "terminated").await;
            b.click("form[action='/agreements'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("status=terminated")).await;
            assert_eq!(b.find_all("tbody tr").await.len(), 1);
            assert!(b.text("tbody").await.contains("已终止"));
        });
        let a = app.get(&format!("/api/v1/agreements/{}", ids[0]), Some(&cast.official)).expect(200).json;
        assert_eq!(a["status"], "registered");
        assert_eq!(a["paid_fiscal"], 500_000);
        let t = app.get(&format!("/api/v1/agreements/{}", ids[1]), Some(&cast.official)).expect(200).json;
        assert_eq!(t["status"], "terminated");
        let c = app.get(&format!("/api/v1/consortia/{consortium}"), Some(&cast.official)).expect(200).json;
        assert_eq!(c["status"], "revoked");
        // two years on, the registered agreement's milestones are overdue: first on 协议跟踪
        app.advance(chrono::Duration::days(730));
        let first = ids[0].clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "official@kjt.nmg.gov.cn").await;
            b.open("/agreements").await;
            let rows = b.find_all("tbody tr").await;
            assert_eq!(rows.len(), 2);
            let top = b.text("tbody tr:first-child").await;
            assert!(top.contains("逾期"), "{top}");
            let href = b.find("tbody tr:first-child a").await.attr("href").await.unwrap().unwrap();
            assert_eq!(href, format!("/agreements/{first}"));
            assert!(!b.text("tbody tr:nth-child(2)").await.contains("逾期"));
        });
    }
}

on_both_databases! {
    // #14 journey 5: an admin creates an expert linked to the organisation that employs them
    // (a too-short password is refused beside it, the other values kept and the password not),
    // the expert signs in; the admin deactivates an official, whose session ends, and is not
    // offered to deactivate themself; the failed e-mails page answers.
    fn an_admin_creates_an_expert_who_signs_in(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let cast = app.cast();
        let app = &app;
        let org = cast.bidder_org.clone();
        with_browser(&app.base, true, |b| async move {
            sign_in(&b, "admin@jiebang.cn").await;
            b.click("a[href='/admin/users']").await;
            b.wait_for_path(|p| p == "/admin/users").await;
            b.check_page("admin-users").await;
            b.choose("#f-role", "expert").await;
            b.choose("#f-organization_id", &org).await;
            b.fill("#f-name", "周研究员").await;
            b.fill("#f-email", "zhou@experts.cn").await;
            b.fill("#f-fields", "氢能、电解水制氢").await;
            b.fill("#f-password", "short").await;
            b.click("form[action='/admin/users'] button[type=submit]").await;
            assert!(!b.text("#f-password-msg").await.is_empty());
            assert_eq!(b.value("#f-email").await, "zhou@experts.cn");
            assert_eq!(b.value("#f-organization_id").await, org);
            assert_eq!(b.value("#f-fields").await, "氢能、电解水制氢");
            assert_eq!(b.value("#f-password").await, "");
            b.check_page("admin-users-refused").await;
            b.fill("#f-password", "草原评审-Expert-2026").await;
            b.click("form[action='/admin/users'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("done=create")).await;
            let list = b.text("section[aria-labelledby=list]").await;
            assert!(list.contains("zhou@experts.cn") && list.contains("评审专家") && list.contains("内蒙古大学") && list.contains("氢能、电解水制氢"), "{list}");
            // the official is deactivated; the admin's own row offers nothing
            b.click("tr:has(td:nth-child(2)) form:has(input[value=false]) button").await;
            b.wait_for_path(|p| p.contains("done=deactivate")).await;
            assert!(b.text("section[aria-labelledby=list]").await.contains("已停用"));
            assert!(b.find_all("tr:has(td:nth-child(2)) form").await.len() < 5);
            // the deactivated official's page shows it in their history
            b.click("tbody tr:has(td strong) a[href^='/admin/users/']").await;
            b.wait_for_path(|p| p.starts_with("/admin/users/")).await;
            b.check_page("admin-user").await;
            b.click("details.history summary").await;
            let history = b.text("details.history").await;
            assert!(history.contains("停用账号"), "{history}");
            b.click("a[href='/admin/outbox']").await;
            b.wait_for_path(|p| p == "/admin/outbox").await;
            b.check_page("admin-outbox").await;
            sign_out(&b).await;
            sign_in_with(&b, "zhou@experts.cn", "草原评审-Expert-2026").await;
            b.open("/workspace").await;
            assert!(b.text("h2#my-tasks").await.contains("评审任务"));
        });
        let users = app.get("/api/v1/admin/users?role=official", Some(&app.token("admin@jiebang.cn"))).expect(200).json;
        assert_eq!(users[0]["active"], false);
        app.post("/api/v1/auth/login", None, &json!({"email": "official@kjt.nmg.gov.cn", "password": jiebang_tests::PASSWORD}))
            .problem(403, "account_disabled");
    }
}

on_both_databases! {
    // #14 统计仪表盘 on the demo programme: every chart's table equals GET /api/v1/stats/funnel,
    // the charts are drawn as SVG with their labels as text, and a table downloads as CSV with
    // the same numbers.
    fn the_dashboard_shows_what_the_api_counts(app) {
        if !jiebang_tests::browser::available() {
            return;
        }
        let rules = app.state.config.challenge_rules().unwrap();
        jiebang_api::demo::run(&app.state.db, &rules, &app.state.ctx.keys).unwrap();
        app.state.search.refresh(&app.state.db).unwrap();
        let official = app.login("official@demo.jiebang.cn", jiebang_api::demo::PASSWORD)["access_token"].as_str().unwrap().to_owned();
        let api = app.get("/api/v1/stats/funnel", Some(&official)).expect(200).json;
        let app = &app;
        with_browser(&app.base, true, |b| async move {
            sign_in_with(&b, "official@demo.jiebang.cn", jiebang_api::demo::PASSWORD).await;
            b.click("a[href='/dashboard']").await;
            b.wait_for_path(|p| p == "/dashboard").await;
            let f = &api["funnel"];
            dashboard_matches(&b, &api).await;
            // drawn: SVG in every chart, with the categories as text
            let svgs = b.find_all(".chart svg").await.len();
            assert_eq!(svgs, 5, "charts drawn");
            assert!(b.text("#chart-funnel-canvas").await.contains("提交审核"));
            b.check_page("dashboard").await;
            // the bytes: a UTF-8 byte-order mark first (fetch's text() would drop it)
            let got = b.client.execute_async(
                "var done = arguments[arguments.length - 1]; fetch('/dashboard.csv?table=funnel').then(function (r) { return r.arrayBuffer(); }).then(function (buf) { done([Array.from(new Uint8Array(buf).slice(0, 3)), new TextDecoder().decode(buf)]); });",
                vec![],
            ).await.unwrap();
            assert_eq!(got[0], json!([0xEF, 0xBB, 0xBF]));
            let csv = got[1].as_str().unwrap().to_owned();
            assert!(csv.contains(&format!("发布,{}", f["published"])), "{csv}");
            // the exports, through the session: the demo's registered agreement, the OCDS package
            let exports = b.client.execute_async(
                "var done = arguments[arguments.length - 1]; Promise.all([fetch('/exports/agreements.csv').then(function (r) { return r.text(); }), fetch('/exports/ocds.json').then(function (r) { return r.json(); })]).then(done);",
                vec![],
            ).await.unwrap();
            assert!(exports[0].as_str().unwrap().contains("乳制品加工副产物乳清高值化利用关键技术"));
            assert!(!exports[1]["releases"].as_array().unwrap().is_empty());
            // narrowed to a year and an industry: the page, its tables and its CSV follow
            let industry = api["by_industry"][0]["key"].as_str().unwrap().to_owned();
            let year = b.value("#f-year option:nth-child(2)").await;
            b.choose("#f-year", &year).await;
            b.choose("#f-industry", &industry).await;
            b.click("form[action='/dashboard'] button[type=submit]").await;
            b.wait_for_path(|p| p.contains("industry=")).await;
            assert!(b.text("#filtered").await.contains(&industry));
            let encoded: String = industry.bytes().map(|c| format!("%{c:02X}")).collect();
            let narrowed = app.get(&format!("/api/v1/stats/funnel?year={year}&industry={encoded}"), Some(&official)).expect(200).json;
            assert!(narrowed["funnel"]["submitted"].as_i64().unwrap() < f["submitted"].as_i64().unwrap(), "{narrowed}");
            dashboard_matches(&b, &narrowed).await;
            let href = b.find("a[href^='/dashboard.csv?table=funnel']").await.attr("href").await.unwrap().unwrap();
            assert!(href.contains(&format!("year={year}")) && href.contains("industry="), "{href}");
        });
    }
}

/// The dashboard's tables say what the API's report says: the funnel, the leverage, the money
/// and every row of the three breakdowns.
async fn dashboard_matches(
    b: &jiebang_tests::browser::Browser,
    api: &jiebang_tests::serde_json::Value,
) {
    let f = &api["funnel"];
    let funnel = b.text("#table-funnel").await;
    for (step, key) in [
        ("提交审核", "submitted"),
        ("发布", "published"),
        ("有申报", "with_bids"),
        ("立项", "awarded"),
        ("签约", "contracted"),
        ("完成", "completed"),
    ] {
        assert!(
            funnel.contains(&format!("{step} {}", f[key])),
            "{step} {} in {funnel}",
            f[key]
        );
    }
    let leverage = api["leverage"]
        .as_f64()
        .map(|l| format!("{l:.2}"))
        .unwrap_or_else(|| "—".into());
    assert_eq!(b.text("#leverage").await, leverage);
    let money = b.text("#table-money").await;
    let wan = jiebang_api::web::format::wan;
    for (source, signed, paid) in [
        ("财政资金", "fiscal_signed", "fiscal_paid"),
        ("企业出资", "enterprise_signed", "enterprise_paid"),
    ] {
        let row = format!(
            "{source} {} {}",
            wan(api[signed].as_i64().unwrap()),
            wan(api[paid].as_i64().unwrap())
        );
        assert!(money.contains(&row), "{row} in {money}");
    }
    for (table, key) in [
        ("#table-industry", "by_industry"),
        ("#table-region", "by_region"),
        ("#table-kind", "by_organization_kind"),
    ] {
        let text = b.text(table).await;
        for row in api[key].as_array().unwrap() {
            let name = if row["name"].as_str().unwrap().is_empty() {
                row["key"].as_str().unwrap()
            } else {
                row["name"].as_str().unwrap()
            };
            assert!(
                text.contains(&format!(
                    "{name} {} {} {}",
                    row["published"], row["bids"], row["awarded"]
                )),
                "{name} in {text}"
            );
        }
    }
}

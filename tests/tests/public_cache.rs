//! The public reads that are built once and reused (`api/src/public_cache.rs`): the anonymous
//! list, keyword search and single challenge never show a state older than a change this instance
//! acknowledged — for every kind of change that alters them —, another instance on the same
//! database follows within the change watch's delay, a signed-in caller never gets the anonymous
//! view (a signed-in page of the public list drawn from the kept anonymous page, or from its
//! organisation's own kept page, carries the caller's own actions, and follows the caller's own
//! bids and invitations), and every public
//! read answers `If-None-Match` with 304 until its body changes.

use jiebang_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const PROBLEM: &str =
    "面向风光制氢场景，研发宽功率波动适应的碱性电解槽及其控制系统，实现示范运行。";

/// The anonymous list (or search) twice — the second read comes from the cache — and its ids.
/// (Only where nothing else writes meanwhile: not while a peer catches up.)
fn public_ids(app: &TestApp, query: &str) -> Vec<String> {
    let path = format!("/api/v1/challenges?{query}");
    let first = app.get(&path, None).expect(200);
    let second = app.get(&path, None).expect(200);
    assert_eq!(first.body, second.body, "the same bytes until a change");
    ids_of(&first.json)
}

/// A complete draft bid on a challenge from `app.challenge_body` (one KPI).
fn bid_body() -> Value {
    json!({
        "approach": "采用宽功率碱性电解槽与多槽协同调度，结合风光功率预测实现快速响应与稳定运行。",
        "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
        "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机与示范运行"}],
        "requested_fiscal": 1_500_000, "own_funds": 500_000
    })
}

fn ids_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The anonymous single read, twice.
fn public_view(app: &TestApp, id: &str) -> Value {
    let path = format!("/api/v1/challenges/{id}");
    let first = app.get(&path, None).expect(200);
    assert_eq!(app.get(&path, None).expect(200).body, first.body);
    first.json
}

fn item<'a>(page: &'a Value, id: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {page}"))
}

on_both_databases! {
    fn each_kind_of_change_shows_at_once_in_the_cached_public_reads(app) {
        let cast = app.cast();
        let first = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        // 制氢 and the list, warm
        assert_eq!(public_ids(&app, "q=%E5%88%B6%E6%B0%A2"), [first.as_str()]);
        assert_eq!(public_ids(&app, "limit=20"), [first.as_str()]);
        assert_eq!(public_view(&app, &first)["bid_count"], 0);

        // published: a new challenge is in the list and the search at once
        let second = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("电解水制氢系统集成", "新能源", PROBLEM, 30));
        assert_eq!(public_ids(&app, "limit=20"), [second.clone(), first.clone()]);
        assert_eq!(public_ids(&app, "q=%E5%88%B6%E6%B0%A2").len(), 2);

        // amended: the new title everywhere, the search finds it by its new words
        let v = app.get(&format!("/api/v1/challenges/{first}"), Some(&cast.publisher)).json["version"].as_i64().unwrap();
        app.patch(&format!("/api/v1/challenges/{first}"), Some(&cast.publisher),
            &json!({"version": v, "reason": "明确研究对象", "title": "苜蓿种质资源创新与制氢无关"})).expect(200);
        assert_eq!(public_view(&app, &first)["title"], "苜蓿种质资源创新与制氢无关");
        let page = app.get("/api/v1/challenges?limit=20", None).expect(200).json;
        assert_eq!(item(&page, &first)["title"], "苜蓿种质资源创新与制氢无关");
        assert_eq!(public_ids(&app, "q=%E8%8B%9C%E8%93%BF"), [first.as_str()]); // 苜蓿

        // a bid handed in: the count moves
        let bid = app.post(&format!("/api/v1/challenges/{second}/bids"), Some(&cast.bidder), &bid_body()).expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/bids/{bid}/submit"), Some(&cast.bidder), &json!({})).expect(200);
        assert_eq!(public_view(&app, &second)["bid_count"], 1);
        let page = app.get("/api/v1/challenges?limit=20", None).expect(200).json;
        assert_eq!(item(&page, &second)["bid_count"], 1);

        // extended: the new deadline
        let later = (app.now() + chrono::Duration::days(40)).to_rfc3339();
        app.post(&format!("/api/v1/challenges/{second}/extend"), Some(&cast.official),
            &json!({"bidding_deadline": later, "reason": "应企业申请延期"})).expect(200);
        let shown = public_view(&app, &second)["bidding_deadline"].as_str().unwrap().to_owned();
        // (deadlines are kept to the second)
        assert_eq!(chrono::DateTime::parse_from_rfc3339(&shown).unwrap().timestamp(),
            chrono::DateTime::parse_from_rfc3339(&later).unwrap().timestamp());

        // the publisher renamed (by an admin): its name on every challenge
        let org = app.get(&format!("/api/v1/organizations/{}", cast.publisher_org), Some(&cast.admin)).json;
        app.patch(&format!("/api/v1/organizations/{}", cast.publisher_org), Some(&cast.admin),
            &json!({"version": org["version"], "name": "包头北方氢能装备有限公司"})).expect(200);
        assert_eq!(public_view(&app, &first)["publisher"]["name"], "包头北方氢能装备有限公司");

        // cancelled: the state, and the cancelled one leaves the `status=published` list
        assert_eq!(public_ids(&app, "status=published").len(), 2);
        app.post(&format!("/api/v1/challenges/{first}/cancel"), Some(&cast.publisher),
            &json!({"reason": "需求变化"})).expect(200);
        assert_eq!(public_view(&app, &first)["status"], "cancelled");
        assert_eq!(public_ids(&app, "status=published"), [second.as_str()]);

        // closed by the scheduler when the deadline passes
        app.advance(chrono::Duration::days(41));
        app.wait_until("the close", || {
            app.get(&format!("/api/v1/challenges/{second}"), None).json["status"] == "evaluating"
        });
        assert_eq!(public_ids(&app, "status=evaluating"), [second.as_str()]);
    }

    fn a_signed_in_caller_never_gets_the_anonymous_view(app) {
        let cast = app.cast();
        let open = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        let mut body = app.challenge_body("定向委托：制氢电解槽控制系统", "新能源", PROBLEM, 20);
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!([cast.bidder_org]);
        let directed = app.publish(&cast.publisher, &cast.official, &body);
        // anonymous: the open one only, without actions, and not the directed one at all
        assert_eq!(public_ids(&app, "limit=20"), [open.as_str()]);
        assert_eq!(public_ids(&app, "q=%E5%88%B6%E6%B0%A2"), [open.as_str()]);
        assert_eq!(public_view(&app, &open)["actions"], json!([]));
        app.get(&format!("/api/v1/challenges/{directed}"), None).problem(404, "not_found");
        // the invited organisation sees both, with what it may do; the anonymous reads are unchanged
        let page = app.get("/api/v1/challenges?limit=20", Some(&cast.bidder)).expect(200).json;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert!(item(&page, &directed)["actions"].as_array().unwrap().contains(&json!("bid")));
        let searched = app.get("/api/v1/challenges?q=%E5%88%B6%E6%B0%A2", Some(&cast.bidder)).expect(200).json;
        assert_eq!(searched["items"].as_array().unwrap().len(), 2);
        let v = app.get(&format!("/api/v1/challenges/{open}"), Some(&cast.bidder)).expect(200).json;
        assert!(v["actions"].as_array().unwrap().contains(&json!("bid")));
        // the publisher gets its full view (with the version), not the cached public one
        let full = app.get(&format!("/api/v1/challenges/{open}"), Some(&cast.publisher)).expect(200).json;
        assert!(full["version"].is_i64(), "{full}");
        assert_eq!(public_ids(&app, "limit=20"), [open.as_str()]);
        assert!(public_view(&app, &open).get("version").is_none());
    }

    // a signed-in caller's page of the public list, and its view of a public challenge, are the
    // kept anonymous ones with the caller's own actions (api/src/handlers/challenges.rs,
    // signed_in_public_page, signed_in_public_view): what the caller's own bids and invitations
    // change shows at once here and within the watch delay on a peer
    fn a_signed_in_page_of_the_public_list_follows_the_readers_own_changes(app) {
        let cast = app.cast();
        let id = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        let actions = |app: &TestApp, token: Option<&str>, path: &str| -> Vec<String> {
            let read = app.get(path, token).expect(200).json;
            let v = if read.get("items").is_some() { item(&read, &id).clone() } else { read };
            v["actions"].as_array().unwrap().iter()
                .map(|a| a.as_str().unwrap().to_owned()).collect()
        };
        let has = |list: Vec<String>, a: &str| list.iter().any(|x| x == a);
        let peer = app.spawn_peer();
        let single = format!("/api/v1/challenges/{id}");
        let paths = ["/api/v1/challenges?limit=20", "/api/v1/challenges?q=%E5%88%B6%E6%B0%A2", single.as_str()];
        for p in paths {
            assert!(has(actions(&app, Some(&cast.bidder), p), "bid"), "{p}");
            assert!(has(actions(&peer, Some(&cast.bidder), p), "bid"), "{p}");
            let own = actions(&app, Some(&cast.publisher), p);
            assert!(has(own.clone(), "cancel") && has(own.clone(), "extend") && !has(own, "bid"), "{p}");
            assert_eq!(actions(&app, None, p), Vec::<String>::new());
        }
        // served from what the anonymous reads keep (the reader's facts and the page or view:
        // two hits), in a round in which no background write empties the cache
        let hits = "jiebang_public_cache_hits_total";
        for p in ["/api/v1/challenges?limit=20", single.as_str()] {
            app.wait_until("a signed-in read drawn from the kept one", || {
                app.get(p, Some(&cast.bidder)).expect(200);
                let before = counted(&app, hits);
                app.get(p, Some(&cast.bidder)).expect(200);
                counted(&app, hits) >= before + 2.0
            });
        }

        // a bid started: no more `bid` for its organisation, at once here, soon on the peer
        let bid = app.post(&format!("/api/v1/challenges/{id}/bids"), Some(&cast.bidder), &bid_body()).expect(201).json["id"].as_str().unwrap().to_owned();
        for p in paths {
            assert!(!has(actions(&app, Some(&cast.bidder), p), "bid"), "{p}");
            peer.wait_until("the peer's signed-in read after the bid", || {
                !has(actions(&peer, Some(&cast.bidder), p), "bid")
            });
        }
        // withdrawn: `bid` again
        app.post(&format!("/api/v1/bids/{bid}/withdraw"), Some(&cast.bidder), &json!({})).expect(200);
        for p in paths {
            assert!(has(actions(&app, Some(&cast.bidder), p), "bid"), "{p}");
            peer.wait_until("the peer's signed-in read after the withdrawal", || {
                has(actions(&peer, Some(&cast.bidder), p), "bid")
            });
        }

        // invited to a directed challenge: it joins that organisation's list and search at once,
        // and only theirs
        let mut body = app.challenge_body("定向委托：制氢电解槽控制系统", "新能源", PROBLEM, 20);
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!([cast.bidder_org]);
        let directed = app.publish(&cast.publisher, &cast.official, &body);
        for q in ["limit=20", "q=%E5%88%B6%E6%B0%A2"] {
            let page = app.get(&format!("/api/v1/challenges?{q}"), Some(&cast.bidder)).expect(200).json;
            assert_eq!(ids_of(&page), [directed.clone(), id.clone()], "{q}");
            assert!(item(&page, &directed)["actions"].as_array().unwrap().contains(&json!("bid")));
            assert_eq!(public_ids(&app, q), [id.as_str()], "{q}");
        }
        peer.wait_until("the peer's signed-in list after the invitation", || {
            ids_of(&peer.get("/api/v1/challenges?limit=20", Some(&cast.bidder)).json).contains(&directed)
        });
        // the invited organisation's page is kept too (its own page, shared by its members), and
        // the publisher's, which holds its directed challenge, with the publisher's actions
        for (who, token) in [("invited", &cast.bidder), ("publisher", &cast.publisher)] {
            for p in ["/api/v1/challenges?limit=20", "/api/v1/challenges?q=%E5%88%B6%E6%B0%A2"] {
                app.wait_until(&format!("the {who} organisation's {p} drawn from the kept page"), || {
                    app.get(p, Some(token)).expect(200);
                    let before = counted(&app, hits);
                    app.get(p, Some(token)).expect(200);
                    counted(&app, hits) >= before + 2.0
                });
            }
        }
        let own = app.get("/api/v1/challenges?limit=20", Some(&cast.publisher)).expect(200).json;
        assert_eq!(ids_of(&own), [directed.clone(), id.clone()]);
        let own: Vec<&str> = item(&own, &directed)["actions"].as_array().unwrap().iter()
            .map(|a| a.as_str().unwrap()).collect();
        assert!(own.contains(&"cancel") && !own.contains(&"bid"), "{own:?}");
        // its bid on the directed challenge: no more `bid` there, at once here, soon on the peer
        app.post(&format!("/api/v1/challenges/{directed}/bids"), Some(&cast.bidder), &bid_body()).expect(201);
        for q in ["limit=20", "q=%E5%88%B6%E6%B0%A2"] {
            let page = app.get(&format!("/api/v1/challenges?{q}"), Some(&cast.bidder)).expect(200).json;
            assert!(!item(&page, &directed)["actions"].as_array().unwrap().contains(&json!("bid")), "{q}");
            // (the peer's search may not hold the directed challenge yet: its index follows
            // within the sync's interval)
            peer.wait_until("the peer's invited page after the bid", || {
                let page = peer.get(&format!("/api/v1/challenges?{q}"), Some(&cast.bidder)).expect(200).json;
                page["items"].as_array().unwrap().iter().find(|c| c["id"] == directed.as_str())
                    .is_some_and(|c| !c["actions"].as_array().unwrap().contains(&json!("bid")))
            });
        }
        // an organisation not invited never sees it, signed in or not
        let (other_org, other) = app.verified_org("other@ustb.edu.cn", "北京科技大学", "university", "150200");
        for q in ["limit=20", "q=%E5%88%B6%E6%B0%A2"] {
            let page = app.get(&format!("/api/v1/challenges?{q}"), Some(&other)).expect(200).json;
            assert_eq!(ids_of(&page), [id.as_str()], "{q}");
        }
        // the invitation moved to that organisation by an amendment: the challenge leaves the
        // first organisation's kept pages at once here and within the watch delay on the peer,
        // and joins the other's
        let version = app.get(&format!("/api/v1/challenges/{directed}"), Some(&cast.publisher)).expect(200).json["version"].clone();
        app.patch(&format!("/api/v1/challenges/{directed}"), Some(&cast.publisher),
            &json!({"version": version, "reason": "调整定向邀请单位", "invited_organizations": [other_org]})).expect(200);
        for q in ["limit=20", "q=%E5%88%B6%E6%B0%A2"] {
            let path = format!("/api/v1/challenges?{q}");
            assert_eq!(ids_of(&app.get(&path, Some(&cast.bidder)).expect(200).json), [id.as_str()], "{q}");
            let page = app.get(&path, Some(&other)).expect(200).json;
            assert_eq!(ids_of(&page), [directed.clone(), id.clone()], "{q}");
            assert!(item(&page, &directed)["actions"].as_array().unwrap().contains(&json!("bid")), "{q}");
            peer.wait_until("the peer's page after the invitation moved", || {
                ids_of(&peer.get(&path, Some(&cast.bidder)).expect(200).json) == [id.as_str()]
            });
        }
    }

    fn public_reads_answer_if_none_match_with_304_until_they_change(app) {
        let cast = app.cast();
        let id = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        for path in [format!("/api/v1/challenges/{id}"), "/api/v1/challenges?limit=20".to_owned(),
                     "/api/v1/challenges?q=%E5%88%B6%E6%B0%A2".to_owned()] {
            let r = app.get(&path, None).expect(200);
            let etag = r.header("etag").expect("an ETag").to_owned();
            assert_eq!(r.header("cache-control"), Some("no-cache"));
            let again = app.raw_with_headers("GET", &path, None, &[("if-none-match", &etag)], &Value::Null);
            assert_eq!(again.status, 304, "{path}");
            assert!(again.body.is_empty());
            assert_eq!(again.header("etag"), Some(etag.as_str()));
            app.raw_with_headers("GET", &path, None, &[("if-none-match", "\"other\"")], &Value::Null).expect(200);
        }
        let etag = app.get(&format!("/api/v1/challenges/{id}"), None).header("etag").unwrap().to_owned();
        app.post(&format!("/api/v1/challenges/{id}/extend"), Some(&cast.official),
            &json!({"bidding_deadline": (app.now() + chrono::Duration::days(30)).to_rfc3339(), "reason": "延期"})).expect(200);
        let changed = app.raw_with_headers("GET", &format!("/api/v1/challenges/{id}"), None,
            &[("if-none-match", &etag)], &Value::Null).expect(200);
        assert_ne!(changed.header("etag"), Some(etag.as_str()));
    }

    fn another_instance_follows_a_change_within_the_watch_delay(app) {
        let cast = app.cast();
        let id = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        let peer = app.spawn_peer();
        // the peer caches the public view, the list and the search
        assert_eq!(public_view(&peer, &id)["status"], "published");
        assert_eq!(public_ids(&peer, "limit=20"), [id.as_str()]);
        assert_eq!(public_ids(&peer, "q=%E5%88%B6%E6%B0%A2"), [id.as_str()]);
        // a change through the first instance: acknowledged there at once…
        app.post(&format!("/api/v1/challenges/{id}/cancel"), Some(&cast.publisher),
            &json!({"reason": "需求变化"})).expect(200);
        assert_eq!(public_view(&app, &id)["status"], "cancelled");
        // …and on the peer once its watch hears of it (and its index has it)
        let since = std::time::Instant::now();
        peer.wait_until("the peer's single read", || {
            peer.get(&format!("/api/v1/challenges/{id}"), None).json["status"] == "cancelled"
        });
        peer.wait_until("the peer's list", || {
            item(&peer.get("/api/v1/challenges?limit=20", None).json, &id)["status"] == "cancelled"
        });
        let second = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("电解水制氢系统集成", "新能源", PROBLEM, 30));
        peer.wait_until("the peer's search", || {
            ids_of(&peer.get("/api/v1/challenges?q=%E5%88%B6%E6%B0%A2", None).json).contains(&second)
        });
        eprintln!("the peer followed in {:?}", since.elapsed());
    }

    // signed-in callers' session checks are kept on the same terms (api/src/auth/extractor.rs);
    // on this instance a sign-out or a deactivation ends the session at once (foundation.rs)
    fn another_instance_ends_a_signed_out_session_within_the_watch_delay(app) {
        let _cast = app.cast();
        let peer = app.spawn_peer();
        let tokens = app.login("bidder@imu.edu.cn", jiebang_tests::PASSWORD);
        let access = tokens["access_token"].as_str().unwrap();
        // the peer checks the session, and keeps the answer
        assert_eq!(peer.get("/api/v1/me", Some(access)).expect(200).json["role"], "org_admin");
        peer.get("/api/v1/me", Some(access)).expect(200);
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": tokens["refresh_token"]}))
            .expect(204);
        app.get("/api/v1/me", Some(access)).problem(401, "invalid_token");
        peer.wait_until("the peer refuses the ended session", || {
            peer.get("/api/v1/me", Some(access)).status == 401
        });
    }

    fn the_hall_and_the_headline_figures_follow_each_change(app) {
        let cast = app.cast();
        let figures = |app: &TestApp| app.get("/api/v1/stats/overview", None).expect(200).json;
        let hall = |app: &TestApp| {
            let first = app.get("/", None).expect(200).body;
            assert!(first.contains("榜单大厅"));
            first
        };
        assert_eq!(figures(&app)["challenges_published"], 0);
        assert!(!hall(&app).contains("风光耦合制氢电解槽"));
        let id = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        assert_eq!(figures(&app)["challenges_published"], 1);
        assert_eq!(figures(&app)["challenges_open"], 1);
        let page = hall(&app);
        assert!(page.contains("风光耦合制氢电解槽"), "the new challenge in the hall");
        assert!(hall(&app).contains("风光耦合制氢电解槽"), "and again, from the cache");
        let v = app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher)).json["version"].as_i64().unwrap();
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher),
            &json!({"version": v, "reason": "明确研究对象", "title": "兆瓦级碱性电解槽"})).expect(200);
        let page = hall(&app);
        assert!(page.contains("兆瓦级碱性电解槽") && !page.contains("风光耦合制氢电解槽"));
        app.post(&format!("/api/v1/challenges/{id}/cancel"), Some(&cast.publisher),
            &json!({"reason": "需求变化"})).expect(200);
        assert_eq!(figures(&app)["challenges_open"], 0);
        // the card stays (every public state is listed) and shows the new state
        let page = hall(&app);
        assert!(page.contains("兆瓦级碱性电解槽") && page.contains("status-cancelled"), "{page}");
        // the peer's counters follow too
        let peer = app.spawn_peer();
        assert_eq!(figures(&peer)["challenges_published"], 1);
        app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("电解水制氢系统集成", "新能源", PROBLEM, 30));
        peer.wait_until("the peer's figures", || figures(&peer)["challenges_published"] == 2);
    }

    fn the_web_challenge_page_follows_each_change_and_the_cache_is_counted(app) {
        let cast = app.cast();
        let id = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        let path = format!("/challenges/{id}");
        let page = |app: &TestApp| {
            // twice: the second is drawn from what the first kept (each page carries its own
            // form token, so the bytes differ)
            let first = app.get(&path, None).expect(200).body;
            let second = app.get(&path, None).expect(200).body;
            assert_eq!(first.contains("兆瓦级"), second.contains("兆瓦级"));
            second
        };
        let (hits, misses) = (counted(&app, "jiebang_public_cache_hits_total"), counted(&app, "jiebang_public_cache_misses_total"));
        assert!(page(&app).contains("风光耦合制氢电解槽"));
        assert!(counted(&app, "jiebang_public_cache_misses_total") > misses, "the first read computed");
        // a background write (the outbox delivering the publication's notices) moves the counter
        // and empties the cache; in a round with none, the second read is a hit and the entry stays
        let mut hits = hits;
        app.wait_until("a read served from the cache and the entry kept", || {
            let kept = page(&app).contains("风光耦合制氢电解槽")
                && counted(&app, "jiebang_public_cache_hits_total") > hits
                && counted(&app, "jiebang_public_cache_entries") >= 1.0;
            hits = counted(&app, "jiebang_public_cache_hits_total");
            kept
        });
        // amended: the new title at once
        let v = app.get(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher)).json["version"].as_i64().unwrap();
        app.patch(&format!("/api/v1/challenges/{id}"), Some(&cast.publisher),
            &json!({"version": v, "reason": "明确研究对象", "title": "兆瓦级碱性电解槽"})).expect(200);
        let now = page(&app);
        assert!(now.contains("兆瓦级碱性电解槽") && !now.contains("风光耦合制氢电解槽"));
        // a question answered: the answer is public at once, the asking organisation is not
        let q = app.post(&format!("/api/v1/challenges/{id}/questions"), Some(&cast.bidder),
            &json!({"question": "示范工程的电源是否为离网风光？"})).expect(201).json["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/questions/{q}/answer"), Some(&cast.publisher),
            &json!({"answer": "是，离网风光，位于包头达茂旗。"})).expect(200);
        assert!(page(&app).contains("是，离网风光，位于包头达茂旗。"));
        // cancelled: the state at once, and the entries were dropped by the write
        app.post(&format!("/api/v1/challenges/{id}/cancel"), Some(&cast.publisher),
            &json!({"reason": "需求变化"})).expect(200);
        assert!(page(&app).contains("已撤销"));
        // a directed challenge stays hidden from the anonymous page
        let mut body = app.challenge_body("定向委托：制氢电解槽控制系统", "新能源", PROBLEM, 20);
        body["mode"] = json!("directed");
        body["invited_organizations"] = json!([cast.bidder_org]);
        let directed = app.publish(&cast.publisher, &cast.official, &body);
        app.get(&format!("/challenges/{directed}"), None).expect(404);
        app.get(&format!("/challenges/{directed}"), None).expect(404);
    }

    fn keyword_search_lists_the_newest_match_first_among_more_than_five_thousand(app) {
        let cast = app.cast();
        let newest = app.publish(&cast.publisher, &cast.official,
            &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20));
        // 5 000 copies published at the same moment, with ids that sort before the original's:
        // the original is the newest by (published_at, id), and the last by id among equal scores
        let columns = "organization_id, created_by, status, title, kind, mode, industry, industry_chain, \
            problem, expected_outcomes, duration_months, enterprise_funds, fiscal_support, max_winners, \
            ip_ownership, bidding_deadline, questions_deadline, kpis_json, eligibility_json, contact_json, \
            region_code, search_text, review_comment, cancel_reason, submitted_at, published_at, closed_at, \
            version, created_at, updated_at";
        app.state.db.write(|c| {
            use jiebang_db::diesel::RunQueryDsl;
            jiebang_db::diesel::sql_query(format!(
                "INSERT INTO challenges (id, {columns}) \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
                 SELECT '00000000-0000-7000-8000-' || (100000000000 + i), {columns} \
                 FROM challenges, n WHERE challenges.id = '{newest}'"
            ))
            .execute(c)
        }).unwrap();
        // a fresh instance indexes all 5 001 at start
        let peer = app.spawn_peer();
        let page = peer.get("/api/v1/challenges?q=%E5%88%B6%E6%B0%A2&limit=20", None).expect(200).json;
        assert_eq!(ids_of(&page)[0], newest, "the newest match leads the first page");
        assert_eq!(ids_of(&page).len(), 20);
    }
}

/// A count from `/metrics`.
fn counted(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics", None).expect(200).body;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// The two caches follow their own change counters (`jiebang_db::changes::Cache`): a sign-in
/// leaves the public reads warm and a bid the session checks, here and on another instance. On
/// PostgreSQL only: on SQLite the change watch polls `PRAGMA data_version`, which cannot tell what
/// a commit touched, so every commit empties both caches there within the watch's delay.
/// (That a bid still shows at once in the public reads, and a sign-out ends the session checks,
/// is held above and in foundation.rs, on both databases.)
#[test]
fn a_write_leaves_warm_the_cache_it_does_not_touch() {
    let Some(app) = TestApp::on_postgres() else {
        return;
    };
    let cast = app.cast();
    let id = app.publish(
        &cast.publisher,
        &cast.official,
        &app.challenge_body("风光耦合制氢电解槽", "新能源", PROBLEM, 20),
    );
    let peer = app.spawn_peer();
    let heard = || std::thread::sleep(jiebang_db::changes::POLL * 5);
    // (a round may meet a background write, the scheduler's or the outbox's, which empties
    // both caches: the property is that some round passes, which none would if the write
    // itself emptied the cache)
    let list = "/api/v1/challenges?limit=20";
    let hits = "jiebang_public_cache_hits_total";
    app.wait_until(
        "a sign-in between two public reads, the second from the cache",
        || {
            app.get(list, None).expect(200);
            peer.get(list, None).expect(200);
            app.login("bidder@imu.edu.cn", jiebang_tests::PASSWORD);
            heard();
            let (here, there) = (counted(&app, hits), counted(&peer, hits));
            app.get(list, None).expect(200);
            peer.get(list, None).expect(200);
            counted(&app, hits) > here && counted(&peer, hits) > there
        },
    );

    let bid = app
        .post(
            &format!("/api/v1/challenges/{id}/bids"),
            Some(&cast.bidder),
            &bid_body(),
        )
        .expect(201)
        .json;
    let (bid, mut version) = (
        bid["id"].as_str().unwrap().to_owned(),
        bid["version"].clone(),
    );
    let me = "/api/v1/me";
    let hits = "jiebang_session_cache_hits_total";
    let mut funds = 500_000;
    app.wait_until(
        "a bid saved between two session checks, the second from the cache",
        || {
            app.get(me, Some(&cast.bidder)).expect(200);
            peer.get(me, Some(&cast.bidder)).expect(200);
            funds += 1;
            version = app
                .patch(
                    &format!("/api/v1/bids/{bid}"),
                    Some(&cast.bidder),
                    &json!({"version": version, "own_funds": funds}),
                )
                .expect(200)
                .json["version"]
                .clone();
            heard();
            let (here, there) = (counted(&app, hits), counted(&peer, hits));
            app.get(me, Some(&cast.bidder)).expect(200);
            peer.get(me, Some(&cast.bidder)).expect(200);
            counted(&app, hits) > here && counted(&peer, hits) > there
        },
    );
}

/// A write that declares it touches less than it changed is refused, in every debug build on
/// PostgreSQL (`jiebang_db::changes::Declared`), and nothing of it is kept.
#[test]
fn a_write_declared_too_narrow_is_refused_and_rolled_back() {
    use jiebang_db::changes::Touches;
    use jiebang_db::diesel::RunQueryDsl;
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the check runs in debug builds only");
        return;
    }
    let Some(app) = TestApp::on_postgres() else {
        return;
    };
    let cast = app.cast();
    let rename = |c: &mut jiebang_db::DbConnection| {
        jiebang_db::diesel::sql_query(format!(
            "UPDATE organizations SET description = '改' WHERE id = '{}'",
            cast.bidder_org
        ))
        .execute(c)
    };
    // an organisation feeds both caches: declared as a session write only, refused
    let refused = app.state.db.write_touching(Touches::SESSIONS, rename);
    let e = refused.expect_err("refused");
    assert!(e.to_string().contains("`organizations`"), "{e}");
    let description = app
        .get(
            &format!("/api/v1/organizations/{}", cast.bidder_org),
            Some(&cast.admin),
        )
        .expect(200)
        .json["description"]
        .clone();
    assert_ne!(description, "改", "rolled back");
    // declared as touching both caches (everything): kept
    app.state.db.write_touching(Touches::ALL, rename).unwrap();
    // a session write that changes a session table only passes
    app.state
        .db
        .write_touching(Touches::SESSIONS, |c| {
            jiebang_db::diesel::sql_query("UPDATE refresh_tokens SET used_at = used_at").execute(c)
        })
        .unwrap();
}

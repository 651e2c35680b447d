//! Matching over HTTP on the demo programme: Chinese-aware search, recommendations both ways with
//! their reasons, and nothing private leaking through them.

use jiebang_tests::{on_both_databases, TestApp};
use serde_json::json;

const H2: &str = "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用";

fn demo(app: &TestApp) {
    let rules = app.state.config.challenge_rules().unwrap();
    jiebang_api::demo::run(&app.state.db, &rules, &app.state.ctx.keys).unwrap();
    app.state.search.refresh(&app.state.db).unwrap();
}

fn login(app: &TestApp, who: &str) -> String {
    app.login(
        &format!("{who}@demo.jiebang.cn"),
        jiebang_api::demo::PASSWORD,
    )["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn titles(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    fn search_and_recommendations_on_the_demo_programme(app) {
        demo(&app);
        // word-level search: 制氢 inside 电解水制氢; 苜蓿 finds the alfalfa challenge, not the cattle one
        let found = app.get("/api/v1/challenges?q=%E5%88%B6%E6%B0%A2", None).expect(200).json;
        assert!(titles(&found["items"], "title").contains(&H2.to_owned()));
        let alfalfa = app.get("/api/v1/challenges?q=%E8%8B%9C%E8%93%BF", None).expect(200).json;
        let t = titles(&alfalfa["items"], "title");
        assert!(t.iter().any(|x| x.contains("苜蓿")), "{t:?}");
        assert!(!t.iter().any(|x| x.contains("肉牛")), "{t:?}");

        // a bidder about 氢能 and 电解槽: the hydrogen challenge first, with the matched terms
        let uni = login(&app, "university");
        let me = app.get("/api/v1/me", Some(&uni)).json;
        let org = me["organization"]["id"].as_str().unwrap().to_owned();
        // an organisation without a capability profile is told to write one
        let hydrogen = login(&app, "hydrogen");
        app.get("/api/v1/me/recommendations", Some(&hydrogen)).problem(409, "no_profile");
        app.put(&format!("/api/v1/organizations/{org}/profile"), Some(&uni), &json!({
            "industries": ["新能源"], "keywords": ["氢能", "电解槽", "可再生能源制氢"],
            "statement": "学校在氢能领域长期开展碱性电解槽与质子交换膜电解技术研究，拥有自治区氢能重点实验室。",
            "platforms": ["内蒙古自治区氢能重点实验室"], "past_projects": ["风光互补制氢示范项目"]
        })).expect(200);
        app.put(&format!("/api/v1/organizations/{org}/profile"), Some(&uni), &json!({"industries": ["房地产"]}))
            .problem(422, "validation_failed").has_field_error("industries[0]", "unknown_industry");
        let recs = app.get("/api/v1/me/recommendations", Some(&uni)).expect(200).json;
        assert_eq!(recs[0]["title"], H2, "{recs:#}");
        assert!(!recs[0]["reasons"]["matched_terms"].as_array().unwrap().is_empty());
        assert_eq!(recs[0]["reasons"]["matched_industry"], "新能源");
        // reasons a reader can check: the KPI the profile speaks to, the project that speaks to
        // the challenge, each with the words they share
        let kpis = &recs[0]["reasons"]["answered_kpis"];
        assert!(kpis.as_array().unwrap().iter().any(|k| k["text"] == "单槽产氢量 ≥1000Nm³/h" && k["terms"] == json!(["氢"])), "{kpis:#}");
        assert_eq!(recs[0]["reasons"]["supporting_projects"][0], json!({"text": "风光互补制氢示范项目", "terms": ["风光", "制氢"]}));
        // nothing private: no draft, no pending, no closed challenge, no directed one it is not invited to
        let rec_titles = titles(&recs, "title");
        for private in ["煤基固废", "蒙药材", "露天煤矿", "钕铁硼", "退役光伏"] {
            assert!(!rec_titles.iter().any(|t| t.contains(private)), "{private} leaked: {rec_titles:?}");
        }

        // the publisher sees organisations ranked for its challenge, never itself
        let hydrogen = login(&app, "hydrogen");
        let h2_id = found["items"].as_array().unwrap().iter().find(|c| c["title"] == H2).unwrap()["id"].as_str().unwrap().to_owned();
        let orgs = app.get(&format!("/api/v1/challenges/{h2_id}/recommended-organizations"), Some(&hydrogen)).expect(200).json;
        // the two hydrogen profiles (the demo's energy institute, and the university's as written
        // above) lead, each with the words they share with the challenge
        let top: Vec<&str> = orgs.as_array().unwrap().iter().take(2).map(|o| o["organization_id"].as_str().unwrap()).collect();
        assert!(top.contains(&org.as_str()), "{orgs:#}");
        assert!(!orgs[0]["reasons"]["matched_terms"].as_array().unwrap().is_empty());
        assert!(!orgs[1]["reasons"]["matched_terms"].as_array().unwrap().is_empty());
        // the same evidence from the publisher's side: the university's project, and the KPIs each
        // organisation's profile speaks to
        let of = |id: &str| orgs.as_array().unwrap().iter().find(|o| o["organization_id"] == id).unwrap()["reasons"].clone();
        assert_eq!(of(&org)["supporting_projects"][0]["text"], "风光互补制氢示范项目");
        let other = if top[0] == org { top[1] } else { top[0] };
        assert!(of(other)["answered_kpis"].as_array().unwrap().iter().any(|k| k["text"] == "功率调节范围 20%–110%额定功率" && k["terms"] == json!(["功率"])), "{:#}", of(other));
        let publisher_org = app.get("/api/v1/me", Some(&hydrogen)).json["organization"]["id"].clone();
        assert!(orgs.as_array().unwrap().iter().all(|o| o["organization_id"] != publisher_org));
        app.get(&format!("/api/v1/challenges/{h2_id}/recommended-organizations"), Some(&uni)).problem(403, "forbidden");

        // another instance on the same database sees a challenge published through this one
        let peer = app.spawn_peer();
        let official = login(&app, "official");
        let body = app.challenge_body("大规模储氢罐复合材料关键技术研究", "新能源",
            "针对高压储氢罐复合材料成本高、寿命短的问题，研发碳纤维缠绕与内胆成型关键技术。", 30);
        app.publish(&hydrogen, &official, &body);
        peer.wait_until("the peer's index", || {
            let r = peer.get("/api/v1/challenges?q=%E5%82%A8%E6%B0%A2%E7%BD%90", None).json; // 储氢罐
            r["items"].as_array().is_some_and(|a| a.iter().any(|c| c["title"] == "大规模储氢罐复合材料关键技术研究"))
        });
    }

    // the index's sync (every few seconds, on every instance) reads what changed since its last
    // pass less a margin: once the margin has passed after a burst of writes, a pass reads
    // nothing (it used to count the margin back from the newest change seen, so it read the
    // burst's last seconds again on every pass until the next write, and re-upserted the last
    // profile written, emptying the public cache each time)
    fn an_idle_sync_reads_nothing_once_the_margin_has_passed(app) {
        let cast = app.cast();
        let body = app.challenge_body("大规模储氢罐复合材料关键技术研究", "新能源",
            "针对高压储氢罐复合材料成本高、寿命短的问题，研发碳纤维缠绕与内胆成型关键技术。", 30);
        app.publish(&cast.publisher, &cast.official, &body);
        app.advance(chrono::Duration::seconds(30));
        app.state.search.refresh(&app.state.db).unwrap();
        assert_eq!(app.state.search.refresh(&app.state.db).unwrap(), 0, "rows read by an idle pass");
        // and a change made after it is still found by the next pass, as through another instance
        let peer = app.spawn_peer();
        let mut body = body.clone();
        body["title"] = json!("高压储氢罐内胆成型工艺研究");
        peer.publish(&cast.publisher, &cast.official, &body);
        app.wait_until("this instance's index after a change through the peer", || {
            let r = app.get("/api/v1/challenges?q=%E5%86%85%E8%83%86", None).json; // 内胆
            r["items"].as_array().is_some_and(|a| a.iter().any(|c| c["title"] == "高压储氢罐内胆成型工艺研究"))
        });
    }
}

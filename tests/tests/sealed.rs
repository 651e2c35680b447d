//! Sealed means sealed (issue #11): what an outside test found, each case a request that must
//! not show a sealed bid or confirm a secret.

use jiebang_tests::on_both_databases;
use serde_json::json;

const PROBLEM: &str =
    "面向风电装备需求，研发高性能稀土永磁同步电机及其控制系统，形成批量供货能力。";

on_both_databases! {
    fn the_ocds_export_never_shows_a_bid_of_a_challenge_cancelled_before_its_deadline(app) {
        let cast = app.cast();
        let body = app.challenge_body("稀土永磁电机研发", "稀土", PROBLEM, 10);
        let challenge = app.publish(&cast.publisher, &cast.official, &body);
        // a marker amount that appears nowhere else
        let bid = app
            .post(&format!("/api/v1/challenges/{challenge}/bids"), Some(&cast.bidder), &json!({
                "approach": "采用高性能永磁材料与矢量控制相结合的方案，完成样机研制与风场示范应用。",
                "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
                "milestones": [{"month": 6, "deliverable": "总体方案"}],
                "requested_fiscal": 1_234_567, "own_funds": 7_654
            }))
            .expect(201)
            .json;
        app.post(&format!("/api/v1/bids/{}/submit", bid["id"].as_str().unwrap()), Some(&cast.bidder), &json!({})).expect(200);
        app.post(&format!("/api/v1/challenges/{challenge}/cancel"), Some(&cast.publisher), &json!({"reason": "项目调整"})).expect(200);
        let package = app.get("/api/v1/exports/ocds", Some(&cast.official)).expect(200);
        assert!(!package.body.contains(&cast.bidder_org), "the bidder is named: {}", package.body);
        assert!(!package.body.contains("1242221"), "the bid's amount shows");
        assert!(!package.body.contains(bid["id"].as_str().unwrap()), "the bid shows");
        // the challenge itself is in the export, cancelled
        assert!(package.body.contains(&challenge));
    }
}

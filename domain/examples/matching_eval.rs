//! Measures the matching engine on `domain/data/matching-eval/` and prints MRR and recall@5 in both
//! directions, for the production settings and for the comparisons in `docs/matching.md`:
//!
//! ```sh
//! cargo run -p jiebang-domain --release --example matching_eval            # table
//! cargo run -p jiebang-domain --release --example matching_eval -- --detail # plus every query
//! ```

use jiebang_domain::matching::eval::{evaluate, EvalSet, Report, FULL_PROFILE_CHALLENGES};
use jiebang_domain::matching::{Analyzer, Hit, Matcher, Params};
use std::sync::Arc;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/matching-eval");
    let read = |name: &str| {
        std::fs::read_to_string(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let set = EvalSet::parse(&read("challenges.json"), &read("organizations.json"))
        .expect("evaluation set");
    let detail = std::env::args().any(|a| a == "--detail");

    let words = Arc::new(Analyzer::new());
    let plain = Arc::new(Analyzer::without_domain_dictionary());
    let chars = Arc::new(Analyzer::single_characters());
    let no_subwords = Params {
        scoring: jiebang_domain::matching::Scoring {
            sub_word_weight: 0.0,
            ..Params::default().scoring
        },
        ..Params::default()
    };
    let runs: Vec<(&str, Arc<Analyzer>, Params)> = vec![
        (
            "production (words + dictionary, BM25F, signals)",
            words.clone(),
            Params::default(),
        ),
        ("without the domain dictionary", plain, Params::default()),
        (
            "single characters instead of words",
            chars,
            Params::default(),
        ),
        ("no sub-words in queries", words.clone(), no_subwords),
        (
            "no field weights",
            words.clone(),
            Params::default().without_field_weights(),
        ),
        (
            "no industry/region signals",
            words.clone(),
            Params::default().without_signals(),
        ),
    ];

    println!(
        "{} challenges, {} organisations; subset = the {} challenges whose winners have full profiles\n",
        set.challenges.len(),
        set.organizations.len(),
        FULL_PROFILE_CHALLENGES.len()
    );
    println!(
        "| variant | c→o MRR | c→o R@5 | c→o MRR (subset) | c→o R@5 (subset) | o→c MRR | o→c R@5 | o→c MRR (subset) | o→c R@5 (subset) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut production = None;
    let mut reports: Vec<(&str, Report)> = Vec::new();
    for (name, analyzer, params) in runs {
        let matcher = Matcher::build(analyzer, params, &set.challenge_docs(), &set.profile_docs());
        let report = evaluate(&set, &matcher);
        let all = |_: &str| true;
        let subset = |c: &str| FULL_PROFILE_CHALLENGES.contains(&c);
        let (a, b) = (
            report.challenge_to_organizations(all),
            report.challenge_to_organizations(subset),
        );
        let (c, d) = (
            report.organization_to_challenges(all),
            report.organization_to_challenges(subset),
        );
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            a.mrr, a.recall_at_5, b.mrr, b.recall_at_5, c.mrr, c.recall_at_5, d.mrr, d.recall_at_5
        );
        if production.is_none() {
            println!(
                "|   (queries) | {} | | {} | | {} | | {} | |",
                a.queries, b.queries, c.queries, d.queries
            );
            production = Some(report.clone());
        }
        reports.push((name, report));
    }
    if detail {
        print_ranks(&reports);
        print_detail(&set, &production.expect("production run"));
    }
}

/// Each query's rank of the expected answer under every variant (`-`: not ranked).
fn print_ranks(reports: &[(&str, Report)]) {
    let show = |r: Option<usize>| r.map_or("-".to_string(), |r| r.to_string());
    println!("\nrank of the best winner per challenge, then of the challenge won per winner:");
    println!(
        "variants: {}",
        (1..=reports.len())
            .map(|i| format!("v{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (i, c) in reports[0].1.challenges.iter().enumerate() {
        let ranks: Vec<String> = reports
            .iter()
            .map(|(_, r)| {
                show(
                    r.challenges[i]
                        .winner_ranks
                        .iter()
                        .filter_map(|w| w.1)
                        .min(),
                )
            })
            .collect();
        println!("{} {}", c.challenge, ranks.join(" "));
    }
    for (i, o) in reports[0].1.organizations.iter().enumerate() {
        let ranks: Vec<String> = reports
            .iter()
            .map(|(_, r)| show(r.organizations[i].rank))
            .collect();
        println!("{}→{} {}", o.organization, o.challenge, ranks.join(" "));
    }
}

fn top(hits: &[Hit]) -> String {
    hits.iter()
        .map(|h| {
            format!(
                "{} {:.1} [{}]",
                h.id,
                h.score,
                h.reasons.matched_terms.join(" ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_detail(set: &EvalSet, report: &Report) {
    let title = |id: &str| {
        set.challenges
            .iter()
            .find(|c| c.id == id)
            .map_or("", |c| c.title.as_str())
            .to_owned()
    };
    let name = |id: &str| {
        set.organizations
            .iter()
            .find(|o| o.id == id)
            .map_or("", |o| o.name.as_str())
            .to_owned()
    };
    println!("\nchallenge → organisations (production)");
    for c in &report.challenges {
        let ranks: Vec<String> = c
            .winner_ranks
            .iter()
            .map(|(w, r)| {
                format!(
                    "{w} {} @{}",
                    name(w),
                    r.map_or("-".into(), |r| r.to_string())
                )
            })
            .collect();
        println!(
            "{} {}\n    winners: {}\n    top: {}",
            c.challenge,
            title(&c.challenge),
            ranks.join(", "),
            top(&c.top)
        );
    }
    println!("\norganisation → challenges (production)");
    for o in &report.organizations {
        println!(
            "{} {} → {} @{}\n    top: {}",
            o.organization,
            name(&o.organization),
            o.challenge,
            o.rank.map_or("-".into(), |r| r.to_string()),
            top(&o.top)
        );
    }
}

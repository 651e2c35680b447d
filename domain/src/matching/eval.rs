//! Evaluation of the ranking (匹配效果评测) on `data/matching-eval/`: real 揭榜挂帅 challenges, their
//! winning units (揭榜单位) and other plausible bidders. Both directions are measured:
//!
//! - **challenge → organisations**: all organisations are ranked for each challenge; the
//!   reciprocal rank is that of the best-ranked winner, recall@5 the share of its winners in the
//!   top 5.
//! - **organisation → challenges**: for each (winner, challenge won) pair, all challenges are
//!   ranked for the winner; the reciprocal rank and recall@5 are those of the challenge won.
//!
//! A document that shares no term with the query is not ranked at all (reciprocal rank 0).
//! The caller reads the files (the domain does no I/O): `cargo run -p jiebang-domain --release
//! --example matching_eval` prints the table, `tests/matching_eval.rs` guards the floors.

use super::{ChallengeDoc, Hit, Matcher, ProfileDoc};
use serde::Deserialize;

/// A challenge of the set.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalChallenge {
    pub id: String,
    pub title: String,
    pub industry: String,
    pub region_code: String,
    pub problem: String,
    pub kpis: Vec<String>,
    pub winners: Vec<String>,
    /// The published list (榜单批次) it comes from: the unit of leave-one-programme-out.
    #[serde(default)]
    pub programme: String,
    /// `original` (the first 24, which the domain dictionary was written beside) or `added` (never
    /// looked at while tuning anything: the held-out challenges).
    #[serde(default)]
    pub set: String,
}

impl EvalChallenge {
    /// Whether the challenge is held out: nothing in the analysis or the scoring was tuned on it.
    pub fn held_out(&self) -> bool {
        self.set == "added"
    }
}

/// An organisation of the set.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalOrganization {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub industries: Vec<String>,
    pub keywords: Vec<String>,
    pub capability_statement: String,
    pub platforms: Vec<String>,
    pub past_projects: Vec<String>,
    /// Whether the profile was written from a page that reports one of the organisation's wins, so
    /// that it may repeat the challenge's words.
    #[serde(default)]
    pub leaks_answer: bool,
}

/// The evaluation set.
#[derive(Debug, Clone)]
pub struct EvalSet {
    pub challenges: Vec<EvalChallenge>,
    pub organizations: Vec<EvalOrganization>,
}

impl EvalSet {
    /// Parses `challenges.json` and `organizations.json`.
    pub fn parse(challenges: &str, organizations: &str) -> Result<Self, serde_json::Error> {
        Ok(EvalSet {
            challenges: serde_json::from_str(challenges)?,
            organizations: serde_json::from_str(organizations)?,
        })
    }

    /// The challenges as the matcher sees them. The set has no industry chain.
    pub fn challenge_docs(&self) -> Vec<ChallengeDoc> {
        self.challenges
            .iter()
            .map(|c| ChallengeDoc {
                id: c.id.clone(),
                title: c.title.clone(),
                industry: c.industry.clone(),
                industry_chain: String::new(),
                kpis_text: c.kpis.join("；"),
                body_text: c.problem.clone(),
                region_code: c.region_code.clone(),
            })
            .collect()
    }

    /// The organisations' profiles as the matcher sees them.
    pub fn profile_docs(&self) -> Vec<ProfileDoc> {
        self.organizations
            .iter()
            .map(|o| ProfileDoc {
                id: o.id.clone(),
                name: o.name.clone(),
                industries: o.industries.clone(),
                keywords: o.keywords.clone(),
                statement: o.capability_statement.clone(),
                platforms: o.platforms.clone(),
                past_projects: o.past_projects.clone(),
                region_code: o.region_code.clone(),
            })
            .collect()
    }
}

/// Mean reciprocal rank and recall@5 over some queries.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub queries: usize,
    pub mrr: f64,
    pub recall_at_5: f64,
}

impl Metrics {
    fn of(items: impl Iterator<Item = (f64, f64)>) -> Metrics {
        let (mut n, mut rr, mut recall) = (0, 0.0, 0.0);
        for (r, c) in items {
            n += 1;
            rr += r;
            recall += c;
        }
        let n_f = n.max(1) as f64;
        Metrics {
            queries: n,
            mrr: rr / n_f,
            recall_at_5: recall / n_f,
        }
    }
}

/// The outcome of one challenge → organisations query.
#[derive(Debug, Clone)]
pub struct ChallengeOutcome {
    pub challenge: String,
    /// Rank (1-based) of each winner, `None` when not ranked at all.
    pub winner_ranks: Vec<(String, Option<usize>)>,
    /// The top 3 with their matched terms.
    pub top: Vec<Hit>,
}

/// The outcome of one organisation → challenges query.
#[derive(Debug, Clone)]
pub struct OrganizationOutcome {
    pub organization: String,
    pub challenge: String,
    pub rank: Option<usize>,
    pub top: Vec<Hit>,
}

/// Every outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    pub challenges: Vec<ChallengeOutcome>,
    pub organizations: Vec<OrganizationOutcome>,
}

fn rr(rank: Option<usize>) -> f64 {
    rank.map_or(0.0, |r| 1.0 / r as f64)
}

fn in_top5(rank: Option<usize>) -> f64 {
    if rank.is_some_and(|r| r <= 5) {
        1.0
    } else {
        0.0
    }
}

impl Report {
    /// challenge → organisations, over the challenges `keep` accepts.
    pub fn challenge_to_organizations(&self, keep: impl Fn(&str) -> bool) -> Metrics {
        Metrics::of(self.challenge_values(keep).into_iter())
    }

    /// organisation → challenges, over the pairs whose challenge `keep` accepts.
    pub fn organization_to_challenges(&self, keep: impl Fn(&str) -> bool) -> Metrics {
        Metrics::of(self.organization_values(|_, c| keep(c)).into_iter())
    }

    /// Each challenge → organisations query's (reciprocal rank, recall@5), for the challenges
    /// `keep` accepts, in the set's order.
    pub fn challenge_values(&self, keep: impl Fn(&str) -> bool) -> Vec<(f64, f64)> {
        self.challenges
            .iter()
            .filter(|c| keep(&c.challenge))
            .map(|c| {
                let best = c.winner_ranks.iter().filter_map(|(_, r)| *r).min();
                let found: f64 = c.winner_ranks.iter().map(|(_, r)| in_top5(*r)).sum();
                (rr(best), found / c.winner_ranks.len().max(1) as f64)
            })
            .collect()
    }

    /// Each organisation → challenges pair's (reciprocal rank, recall@5), for the pairs
    /// (organisation, challenge) that `keep` accepts.
    pub fn organization_values(&self, keep: impl Fn(&str, &str) -> bool) -> Vec<(f64, f64)> {
        self.organizations
            .iter()
            .filter(|o| keep(&o.organization, &o.challenge))
            .map(|o| (rr(o.rank), in_top5(o.rank)))
            .collect()
    }
}

/// A figure with its 95 % bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// MRR and recall@5 over some queries, each with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimates {
    pub queries: usize,
    pub mrr: Estimate,
    pub recall_at_5: Estimate,
}

/// Percentile bootstrap over the queries: `resamples` samples of as many queries drawn with
/// replacement, the 2.5th and 97.5th percentiles of their means. The draw is seeded, so a run
/// prints the same intervals every time. The sets are small (tens of queries), so the intervals
/// are wide; they say how far a figure could move on another sample of challenges like these.
pub fn bootstrap(values: &[(f64, f64)], resamples: usize, seed: u64) -> Estimates {
    let n = values.len();
    let m = Metrics::of(values.iter().copied());
    if n == 0 {
        let zero = Estimate {
            value: 0.0,
            low: 0.0,
            high: 0.0,
        };
        return Estimates {
            queries: 0,
            mrr: zero,
            recall_at_5: zero,
        };
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut mrrs, mut recalls) = (Vec::with_capacity(resamples), Vec::with_capacity(resamples));
    for _ in 0..resamples {
        let (mut a, mut b) = (0.0, 0.0);
        for _ in 0..n {
            let (r, c) = values[rng.usize(..n)];
            a += r;
            b += c;
        }
        mrrs.push(a / n as f64);
        recalls.push(b / n as f64);
    }
    let interval = |mut v: Vec<f64>, value: f64| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        Estimate {
            value,
            low: at(0.025),
            high: at(0.975),
        }
    };
    Estimates {
        queries: n,
        mrr: interval(mrrs, m.mrr),
        recall_at_5: interval(recalls, m.recall_at_5),
    }
}

/// Runs both directions with a matcher built on the whole set.
pub fn evaluate(set: &EvalSet, matcher: &Matcher) -> Report {
    let challenges = set.challenge_docs();
    let profiles = set.profile_docs();
    let all_orgs = profiles.len();
    let all_challenges = challenges.len();
    let rank_of = |hits: &[Hit], id: &str| hits.iter().position(|h| h.id == id).map(|p| p + 1);

    let challenge_outcomes = challenges
        .iter()
        .zip(&set.challenges)
        .map(|(doc, c)| {
            let hits = matcher.recommend_organizations(doc, all_orgs);
            ChallengeOutcome {
                challenge: c.id.clone(),
                winner_ranks: c
                    .winners
                    .iter()
                    .map(|w| (w.clone(), rank_of(&hits, w)))
                    .collect(),
                top: hits.into_iter().take(3).collect(),
            }
        })
        .collect();

    let mut organization_outcomes = Vec::new();
    for c in &set.challenges {
        for w in &c.winners {
            let Some(profile) = profiles.iter().find(|p| &p.id == w) else {
                continue;
            };
            let hits = matcher.recommend_challenges(profile, all_challenges);
            organization_outcomes.push(OrganizationOutcome {
                organization: w.clone(),
                challenge: c.id.clone(),
                rank: rank_of(&hits, &c.id),
                top: hits.into_iter().take(3).collect(),
            });
        }
    }
    Report {
        challenges: challenge_outcomes,
        organizations: organization_outcomes,
    }
}

//! Expert evaluation (专家评审): the rubric, scores, the aggregate and the ranking.
//!
//! The aggregate of a bid is the weighted mean over the rubric's criteria of each criterion's
//! mean score; when five or more experts scored the bid, each criterion's highest and lowest
//! score are left out first (去掉一个最高分和一个最低分). Ties are broken, in order, by the higher
//! score on the heaviest criterion (then the next heaviest, …), then the earlier submission,
//! then the bid id — so the ranking never depends on the order rows are read.

use crate::codes::FieldCode;
use crate::validation::{bounded_text, Violations};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One criterion of a rubric (评审指标).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Stable key (`c1`, `c2`, …), referenced by scores.
    pub key: String,
    pub name: String,
    /// Weight in percent; the weights of a rubric sum to 100.
    pub weight: u32,
}

pub const MIN_CRITERIA: usize = 2;
pub const MAX_CRITERIA: usize = 10;
/// Experts at which the highest and lowest score of each criterion are trimmed.
pub const TRIM_FROM: usize = 5;

/// Validates a rubric from (name, weight) pairs; assigns keys `c1`, `c2`, ….
pub fn rubric(criteria: &[(String, i64)]) -> Result<Vec<Criterion>, Violations> {
    let mut v = Violations::new();
    if criteria.len() < MIN_CRITERIA || criteria.len() > MAX_CRITERIA {
        v.push("criteria", FieldCode::CountOutOfRange, format!("评审指标应为 {MIN_CRITERIA}–{MAX_CRITERIA} 项 / a rubric has {MIN_CRITERIA}–{MAX_CRITERIA} criteria"));
    }
    let mut out: Vec<Criterion> = Vec::new();
    for (i, (name, weight)) in criteria.iter().enumerate() {
        let name = v.take(&format!("criteria[{i}].name"), bounded_text(name, 1, 100));
        if *weight < 1 || *weight > 100 {
            v.push(
                format!("criteria[{i}].weight"),
                FieldCode::OutOfRange,
                "权重应在 1 到 100 之间 / weight must be 1–100",
            );
        }
        if let Some(n) = name {
            if out.iter().any(|c| c.name == n) {
                v.push(
                    format!("criteria[{i}].name"),
                    FieldCode::Duplicate,
                    "评审指标名称重复 / duplicate criterion",
                );
            }
            out.push(Criterion {
                key: format!("c{}", i + 1),
                name: n,
                weight: (*weight).clamp(0, 100) as u32,
            });
        }
    }
    let total: i64 = criteria.iter().map(|(_, w)| *w).sum();
    if total != 100 {
        v.push(
            "criteria",
            FieldCode::WeightsNot100,
            format!("权重合计应为 100，当前为 {total} / weights must sum to 100, not {total}"),
        );
    }
    v.into_result()?;
    Ok(out)
}

/// One expert's score on one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub criterion: String,
    /// 0–100
    pub score: u32,
    pub comment: String,
}

/// The checks of one score, complete or draft: the criterion is the rubric's and not given
/// before (`earlier`), a score given is 0–100.
fn check_score(
    v: &mut Violations,
    rubric: &[Criterion],
    earlier: &[&str],
    i: usize,
    criterion: &str,
    score: Option<i64>,
) {
    if !rubric.iter().any(|c| c.key == criterion) {
        v.push(
            format!("scores[{i}].criterion"),
            FieldCode::UnknownCriterion,
            "没有该评审指标 / no such criterion",
        );
    } else if earlier.contains(&criterion) {
        v.push(
            format!("scores[{i}].criterion"),
            FieldCode::Duplicate,
            "同一指标重复打分 / this criterion is scored twice",
        );
    }
    if score.is_some_and(|s| !(0..=100).contains(&s)) {
        v.push(
            format!("scores[{i}].score"),
            FieldCode::OutOfRange,
            "分数应在 0 到 100 之间 / a score is 0–100",
        );
    }
}

/// Whether a bid is scored by every assigned expert (never without experts): what a selection
/// and the award require.
pub fn fully_scored(assigned: &[String], scored_by: &[&str]) -> bool {
    !assigned.is_empty() && assigned.iter().all(|e| scored_by.contains(&e.as_str()))
}

/// Validates an expert's scores on a bid: every criterion exactly once, 0–100, with a comment.
pub fn scores(
    rubric: &[Criterion],
    input: &[(String, i64, String)],
) -> Result<Vec<Score>, Violations> {
    let mut v = Violations::new();
    let mut out: Vec<Score> = Vec::new();
    for (i, (criterion, score, comment)) in input.iter().enumerate() {
        let earlier: Vec<&str> = out.iter().map(|s| s.criterion.as_str()).collect();
        check_score(&mut v, rubric, &earlier, i, criterion, Some(*score));
        let comment = v.take(
            &format!("scores[{i}].comment"),
            bounded_text(comment, 1, 2000),
        );
        out.push(Score {
            criterion: criterion.clone(),
            score: (*score).clamp(0, 100) as u32,
            comment: comment.unwrap_or_default(),
        });
    }
    for c in rubric {
        if !input.iter().any(|(k, _, _)| *k == c.key) {
            v.push(
                "scores",
                FieldCode::CriterionUnscored,
                format!("未对「{}」打分 / criterion {} has no score", c.name, c.key),
            );
        }
    }
    v.into_result()?;
    Ok(out)
}

/// One criterion of an expert's unfinished scores (暂存): the score or the comment may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftScore {
    pub criterion: String,
    /// 0–100, or none yet
    pub score: Option<u32>,
    /// Possibly empty.
    pub comment: String,
}

/// Validates an expert's unfinished scores on a bid: each criterion known and at most once, a
/// score given is 0–100, a comment at most 2000 characters; nothing is required.
pub fn draft_scores(
    rubric: &[Criterion],
    input: &[(String, Option<i64>, String)],
) -> Result<Vec<DraftScore>, Violations> {
    let mut v = Violations::new();
    let mut out: Vec<DraftScore> = Vec::new();
    for (i, (criterion, score, comment)) in input.iter().enumerate() {
        let earlier: Vec<&str> = out.iter().map(|s| s.criterion.as_str()).collect();
        check_score(&mut v, rubric, &earlier, i, criterion, *score);
        if comment.chars().count() > 2000 {
            v.push(
                format!("scores[{i}].comment"),
                FieldCode::TooLong,
                "评语最多 2000 字 / a comment is at most 2000 characters",
            );
        }
        out.push(DraftScore {
            criterion: criterion.clone(),
            score: score.map(|s| s.clamp(0, 100) as u32),
            comment: comment.trim().to_owned(),
        });
    }
    v.into_result()?;
    Ok(out)
}

/// The aggregate per criterion: the mean, trimmed of the highest and lowest at five experts or
/// more. `None` when nobody scored.
pub fn criterion_mean(mut values: Vec<u32>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let kept = if values.len() >= TRIM_FROM {
        &values[1..values.len() - 1]
    } else {
        &values[..]
    };
    Some(kept.iter().map(|&x| f64::from(x)).sum::<f64>() / kept.len() as f64)
}

/// A bid's aggregate: per-criterion means and their weighted sum (0–100).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregate {
    /// (criterion key, mean) in rubric order.
    pub criteria: Vec<(String, f64)>,
    pub total: f64,
    pub experts: usize,
}

/// Aggregates the experts' scores of one bid (each inner Vec is one expert's scores).
pub fn aggregate(rubric: &[Criterion], by_expert: &[Vec<Score>]) -> Aggregate {
    let mut criteria = Vec::with_capacity(rubric.len());
    let mut total = 0.0;
    for c in rubric {
        let values: Vec<u32> = by_expert
            .iter()
            .filter_map(|s| s.iter().find(|x| x.criterion == c.key).map(|x| x.score))
            .collect();
        let mean = criterion_mean(values).unwrap_or(0.0);
        total += mean * f64::from(c.weight) / 100.0;
        criteria.push((c.key.clone(), mean));
    }
    // two decimals, so that ties are ties and not floating-point noise
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Aggregate {
        criteria: criteria.into_iter().map(|(k, m)| (k, round(m))).collect(),
        total: round(total),
        experts: by_expert.len(),
    }
}

/// What the ranking needs of a bid.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub bid_id: String,
    pub aggregate: Aggregate,
    /// Submission time as a sortable key (e.g. RFC 3339 UTC).
    pub submitted_at: String,
}

/// Orders bids best first with the documented tie-breaks.
pub fn rank(rubric: &[Criterion], mut bids: Vec<Ranked>) -> Vec<Ranked> {
    let mut by_weight: Vec<&Criterion> = rubric.iter().collect();
    by_weight.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.key.cmp(&b.key)));
    let mean = |r: &Ranked, key: &str| {
        r.aggregate
            .criteria
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, m)| *m)
            .unwrap_or(0.0)
    };
    bids.sort_by(|a, b| {
        let mut ord = b
            .aggregate
            .total
            .partial_cmp(&a.aggregate.total)
            .unwrap_or(Ordering::Equal);
        for c in &by_weight {
            ord = ord.then_with(|| {
                mean(b, &c.key)
                    .partial_cmp(&mean(a, &c.key))
                    .unwrap_or(Ordering::Equal)
            });
        }
        ord.then_with(|| a.submitted_at.cmp(&b.submitted_at))
            .then_with(|| a.bid_id.cmp(&b.bid_id))
    });
    bids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Vec<Criterion> {
        rubric(&[
            ("技术方案".into(), 50),
            ("团队实力".into(), 30),
            ("经费合理性".into(), 20),
        ])
        .unwrap()
    }

    fn s(values: [u32; 3]) -> Vec<Score> {
        ["c1", "c2", "c3"]
            .iter()
            .zip(values)
            .map(|(k, v)| Score {
                criterion: (*k).into(),
                score: v,
                comment: "好".into(),
            })
            .collect()
    }

    #[test]
    fn a_draft_may_leave_out_scores_and_comments_but_not_break_the_rules() {
        let d = draft_scores(&r(), &[("c1".into(), Some(80), String::new())]).unwrap();
        assert_eq!(d[0].score, Some(80));
        let d = draft_scores(&r(), &[("c2".into(), None, " 尚待补充 ".into())]).unwrap();
        assert_eq!((d[0].score, d[0].comment.as_str()), (None, "尚待补充"));
        let e = draft_scores(
            &r(),
            &[
                ("c1".into(), Some(101), String::new()),
                ("c1".into(), None, String::new()),
                ("c9".into(), None, "长".repeat(2001)),
            ],
        )
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "scores[0].score",
                "scores[1].criterion",
                "scores[2].criterion",
                "scores[2].comment"
            ]
        );
    }

    #[test]
    fn rubric_rules() {
        assert_eq!(r()[0].key, "c1");
        let e = rubric(&[("只有一项".into(), 100)]).unwrap_err();
        assert_eq!(e.0[0].code, "count_out_of_range");
        let e = rubric(&[("a".into(), 50), ("b".into(), 40)]).unwrap_err();
        assert_eq!(e.0[0].code, "weights_not_100");
        let e = rubric(&[("a".into(), 50), ("a".into(), 50)]).unwrap_err();
        assert_eq!(e.0[0].code, "duplicate");
        let eleven: Vec<(String, i64)> = (0..11)
            .map(|i| (format!("指标{i}"), if i == 0 { 0 } else { 10 }))
            .collect();
        assert!(rubric(&eleven).is_err());
    }

    #[test]
    fn score_rules() {
        let input = vec![
            ("c1".to_string(), 90, "方案可行".to_string()),
            ("c2".into(), 101, "x".into()),
            ("c9".into(), 5, "".into()),
        ];
        let e = scores(&r(), &input).unwrap_err();
        let codes: Vec<(&str, &str)> =
            e.0.iter()
                .map(|x| (x.field.as_str(), x.code.as_str()))
                .collect();
        assert!(
            codes.contains(&("scores[1].score", "out_of_range")),
            "{codes:?}"
        );
        assert!(codes.contains(&("scores[2].criterion", "unknown_criterion")));
        assert!(codes.contains(&("scores[2].comment", "required")));
        assert!(codes.contains(&("scores", "criterion_unscored")));
    }

    #[test]
    fn plain_mean_below_five_experts() {
        let a = aggregate(&r(), &[s([80, 70, 60]), s([90, 80, 70]), s([100, 90, 80])]);
        assert_eq!(a.criteria[0], ("c1".into(), 90.0));
        assert_eq!(a.total, 90.0 * 0.5 + 80.0 * 0.3 + 70.0 * 0.2);
    }

    #[test]
    fn trimmed_mean_from_five_experts() {
        // c1: 10, 80, 82, 84, 100 → trimmed to 80, 82, 84 → 82
        let experts = [
            s([10, 50, 50]),
            s([80, 50, 50]),
            s([82, 50, 50]),
            s([84, 50, 50]),
            s([100, 50, 50]),
        ];
        let a = aggregate(&r(), &experts);
        assert_eq!(a.criteria[0].1, 82.0);
        assert_eq!(a.total, 82.0 * 0.5 + 50.0 * 0.3 + 50.0 * 0.2);
        // with four experts nothing is trimmed
        let a4 = aggregate(&r(), &experts[..4]);
        assert_eq!(a4.criteria[0].1, (10.0 + 80.0 + 82.0 + 84.0) / 4.0);
    }

    #[test]
    fn ties_are_broken_deterministically() {
        let rub = r();
        let mk = |id: &str, scores: [u32; 3], at: &str| Ranked {
            bid_id: id.into(),
            aggregate: aggregate(&rub, &[s(scores)]),
            submitted_at: at.into(),
        };
        // b and c total the same (85): c is better on the heaviest criterion
        let a = mk("a", [90, 90, 90], "2026-01-03");
        let b = mk("b", [80, 90, 90], "2026-01-01");
        let c = mk("c", [90, 80, 80], "2026-01-02");
        let d = mk("d", [90, 80, 80], "2026-01-01");
        assert_eq!(b.aggregate.total, c.aggregate.total);
        let order: Vec<String> = rank(&rub, vec![b, a, c, d])
            .into_iter()
            .map(|r| r.bid_id)
            .collect();
        // c and d are equal in every score: the earlier submission (d) first
        assert_eq!(order, ["a", "d", "c", "b"]);
    }
}

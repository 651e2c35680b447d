//! Evaluation (专家评审) and award (立项): rubrics, expert assignments, scores, selections,
//! and the agreements an award creates.

use crate::schema::agreements::dsl as ag;
use crate::schema::award_selections::dsl as sel;
use crate::schema::challenge_experts::dsl as ce;
use crate::schema::rubrics::dsl as r;
use crate::schema::scores::dsl as s;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use jiebang_domain::evaluation::{Criterion, Score};

pub fn rubric(conn: &mut DbConnection, challenge: &str) -> Result<Option<Vec<Criterion>>, DbError> {
    let json: Option<String> = r::rubrics
        .find(challenge)
        .select(r::criteria_json)
        .first(conn)
        .optional()?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

pub fn set_rubric(
    conn: &mut DbConnection,
    challenge: &str,
    criteria: &[Criterion],
    by: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let json = serde_json::to_string(criteria).expect("criteria serialise");
    diesel::delete(r::rubrics.find(challenge)).execute(conn)?;
    diesel::insert_into(r::rubrics)
        .values((
            r::challenge_id.eq(challenge),
            r::criteria_json.eq(json),
            r::set_by.eq(by),
            r::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn experts(conn: &mut DbConnection, challenge: &str) -> Result<Vec<String>, DbError> {
    ce::challenge_experts
        .filter(ce::challenge_id.eq(challenge))
        .select(ce::expert_id)
        .order(ce::assigned_at.asc())
        .load(conn)
}

pub fn is_assigned(
    conn: &mut DbConnection,
    challenge: &str,
    expert: &str,
) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(
        ce::challenge_experts
            .filter(ce::challenge_id.eq(challenge))
            .filter(ce::expert_id.eq(expert)),
    ))
    .get_result(conn)
}

pub fn assign(
    conn: &mut DbConnection,
    challenge: &str,
    expert: &str,
    by: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(ce::challenge_experts)
        .values((
            ce::challenge_id.eq(challenge),
            ce::expert_id.eq(expert),
            ce::assigned_by.eq(by),
            ce::assigned_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::scores)]
pub struct ScoreRow {
    pub bid_id: String,
    pub expert_id: String,
    pub challenge_id: String,
    pub scores_json: String,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ScoreRow {
    pub fn scores(&self) -> Vec<Score> {
        serde_json::from_str(&self.scores_json).unwrap_or_default()
    }
}

/// Stores (or replaces) an expert's scores of a bid.
pub fn put_scores(
    conn: &mut DbConnection,
    bid: &str,
    expert: &str,
    challenge: &str,
    scores: &[Score],
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let json = serde_json::to_string(scores).expect("scores serialise");
    let updated = diesel::update(s::scores.find((bid, expert)))
        .set((s::scores_json.eq(&json), s::updated_at.eq(at)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(s::scores)
            .values((
                s::bid_id.eq(bid),
                s::expert_id.eq(expert),
                s::challenge_id.eq(challenge),
                s::scores_json.eq(&json),
                s::submitted_at.eq(at),
                s::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn scores_of_bid(conn: &mut DbConnection, bid: &str) -> Result<Vec<ScoreRow>, DbError> {
    s::scores
        .filter(s::bid_id.eq(bid))
        .order(s::submitted_at.asc())
        .select(ScoreRow::as_select())
        .load(conn)
}

pub fn scores_of_challenge(
    conn: &mut DbConnection,
    challenge: &str,
) -> Result<Vec<ScoreRow>, DbError> {
    s::scores
        .filter(s::challenge_id.eq(challenge))
        .order(s::submitted_at.asc())
        .select(ScoreRow::as_select())
        .load(conn)
}

pub fn has_scored(conn: &mut DbConnection, bid: &str, expert: &str) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(s::scores.find((bid, expert)))).get_result(conn)
}

pub fn selection(conn: &mut DbConnection, challenge: &str) -> Result<Vec<String>, DbError> {
    sel::award_selections
        .filter(sel::challenge_id.eq(challenge))
        .select(sel::bid_id)
        .order(sel::bid_id.asc())
        .load(conn)
}

pub fn set_selection(
    conn: &mut DbConnection,
    challenge: &str,
    bids: &[String],
    by: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::delete(sel::award_selections.filter(sel::challenge_id.eq(challenge))).execute(conn)?;
    for b in bids {
        diesel::insert_into(sel::award_selections)
            .values((
                sel::challenge_id.eq(challenge),
                sel::bid_id.eq(b),
                sel::selected_by.eq(by),
                sel::selected_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::agreements)]
pub struct Agreement {
    pub id: String,
    pub challenge_id: String,
    pub bid_id: String,
    pub status: String,
    pub terms_json: String,
    pub terms_hash: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub signed_at: Option<NaiveDateTime>,
    pub registered_at: Option<NaiveDateTime>,
    pub registered_by: Option<String>,
    pub end_reason: Option<String>,
    pub ended_at: Option<NaiveDateTime>,
    /// The registering official's countersignature (备案): statement, key, signature.
    pub registration_statement: Option<String>,
    pub registration_key_id: Option<String>,
    pub registration_signature: Option<String>,
    /// The platform's countersignature of the official's: statement, key, signature.
    pub registration_countersign_statement: Option<String>,
    pub registration_countersign_key_id: Option<String>,
    pub registration_countersignature: Option<String>,
}

pub fn insert_agreement(conn: &mut DbConnection, a: &Agreement) -> Result<(), DbError> {
    diesel::insert_into(ag::agreements)
        .values(a)
        .execute(conn)
        .map(|_| ())
}

pub fn agreements_of_challenge(
    conn: &mut DbConnection,
    challenge: &str,
) -> Result<Vec<Agreement>, DbError> {
    ag::agreements
        .filter(ag::challenge_id.eq(challenge))
        .order(ag::created_at.asc())
        .select(Agreement::as_select())
        .load(conn)
}

/// An expert's assignments, newest first: (challenge id, assigned at).
pub fn assignments_of(
    conn: &mut DbConnection,
    expert: &str,
) -> Result<Vec<(String, NaiveDateTime)>, DbError> {
    ce::challenge_experts
        .filter(ce::expert_id.eq(expert))
        .select((ce::challenge_id, ce::assigned_at))
        .order(ce::assigned_at.desc())
        .load(conn)
}

/// How many of the challenge's scorable bids (eligible ones: submitted, or awarded or not after
/// the award) there are, and how many of them `expert` has scored.
pub fn scoring_progress(
    conn: &mut DbConnection,
    challenge: &str,
    expert: &str,
) -> Result<(i64, i64), DbError> {
    use crate::schema::bids::dsl as b;
    const SCORABLE: [&str; 3] = ["submitted", "awarded", "not_awarded"];
    let total = b::bids
        .filter(b::challenge_id.eq(challenge))
        .filter(b::status.eq_any(SCORABLE))
        .count()
        .get_result(conn)?;
    let scorable = b::bids
        .filter(b::challenge_id.eq(challenge))
        .filter(b::status.eq_any(SCORABLE))
        .select(b::id);
    let scored = s::scores
        .filter(s::expert_id.eq(expert))
        .filter(s::bid_id.eq_any(scorable))
        .count()
        .get_result(conn)?;
    Ok((total, scored))
}

/// Whether `expert` declared a conflict of interest on `challenge` (回避).
pub fn has_recused(
    conn: &mut DbConnection,
    challenge: &str,
    expert: &str,
) -> Result<bool, DbError> {
    use crate::schema::expert_recusals::dsl as er;
    diesel::select(diesel::dsl::exists(
        er::expert_recusals.find((challenge, expert)),
    ))
    .get_result(conn)
}

/// Records an expert's declaration of a conflict of interest: the assignment goes, with the
/// expert's scores and drafts on the challenge's bids. Answers who had made the assignment.
pub fn recuse(
    conn: &mut DbConnection,
    challenge: &str,
    expert: &str,
    reason: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>, DbError> {
    use crate::schema::bids::dsl as b;
    use crate::schema::expert_recusals::dsl as er;
    use crate::schema::score_drafts::dsl as d;
    let assigned_by: Vec<String> = ce::challenge_experts
        .find((challenge, expert))
        .select(ce::assigned_by)
        .load(conn)?;
    diesel::insert_into(er::expert_recusals)
        .values((
            er::challenge_id.eq(challenge),
            er::expert_id.eq(expert),
            er::reason.eq(reason),
            er::declared_at.eq(at),
        ))
        .execute(conn)?;
    diesel::delete(ce::challenge_experts.find((challenge, expert))).execute(conn)?;
    diesel::delete(
        s::scores
            .filter(s::challenge_id.eq(challenge))
            .filter(s::expert_id.eq(expert)),
    )
    .execute(conn)?;
    let bids = b::bids.filter(b::challenge_id.eq(challenge)).select(b::id);
    diesel::delete(
        d::score_drafts
            .filter(d::expert_id.eq(expert))
            .filter(d::bid_id.eq_any(bids)),
    )
    .execute(conn)?;
    Ok(assigned_by)
}

/// The declarations of a challenge, oldest first: (expert id, reason, declared at).
pub fn recusals(
    conn: &mut DbConnection,
    challenge: &str,
) -> Result<Vec<(String, String, NaiveDateTime)>, DbError> {
    use crate::schema::expert_recusals::dsl as er;
    er::expert_recusals
        .filter(er::challenge_id.eq(challenge))
        .select((er::expert_id, er::reason, er::declared_at))
        .order(er::declared_at.asc())
        .load(conn)
}

/// Saves (or replaces) an expert's unfinished scores of a bid (暂存): (criterion, score, comment)
/// as the expert typed them, any of them missing.
pub fn save_draft(
    conn: &mut DbConnection,
    bid: &str,
    expert: &str,
    json: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    use crate::schema::score_drafts::dsl as d;
    diesel::delete(d::score_drafts.find((bid, expert))).execute(conn)?;
    diesel::insert_into(d::score_drafts)
        .values((
            d::bid_id.eq(bid),
            d::expert_id.eq(expert),
            d::scores_json.eq(json),
            d::saved_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// An expert's draft of a bid's scores: (JSON, saved at).
pub fn draft(
    conn: &mut DbConnection,
    bid: &str,
    expert: &str,
) -> Result<Option<(String, NaiveDateTime)>, DbError> {
    use crate::schema::score_drafts::dsl as d;
    d::score_drafts
        .find((bid, expert))
        .select((d::scores_json, d::saved_at))
        .first(conn)
        .optional()
}

pub fn delete_draft(conn: &mut DbConnection, bid: &str, expert: &str) -> Result<(), DbError> {
    use crate::schema::score_drafts::dsl as d;
    diesel::delete(d::score_drafts.find((bid, expert)))
        .execute(conn)
        .map(|_| ())
}

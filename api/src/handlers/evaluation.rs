//! Evaluation (专家评审) and award (立项): the rubric, expert assignment with conflict-of-interest
//! checks, scores, the ranking, the publisher's selection and the official's confirmation, which
//! creates one agreement per winner. After the confirmation, scores and reviewer names are
//! readable by the bidders (公示).

use crate::audit::{self, Actor};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::handlers::access::{access, Access};
use crate::notify;
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use jiebang_application::bids::is_assigned_expert;
use jiebang_application::challenge_actions::{check, ChallengeAction, Facts};
use jiebang_db::bids::Bid;
use jiebang_db::challenges::{Challenge, StatusChange};
use jiebang_db::evaluation::Agreement;
use jiebang_db::DbConnection;
use jiebang_domain::agreement::{self, AgreedKpi, AgreedMilestone, Party};
use jiebang_domain::bid::{self as bid_domain, BidAction, BidStatus};
use jiebang_domain::challenge::{self, Action, ChallengeStatus};
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::evaluation::{self, Criterion, Ranked, Score};
use jiebang_domain::validation::bounded_text;
use jiebang_domain::Role;
use jiebang_notifications::Event;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn not_found() -> ApiError {
    ApiError::not_found("榜单 / challenge")
}

/// Loads a challenge (locked) that the caller may know.
fn load(conn: &mut DbConnection, id: &str, auth: &Auth) -> ApiResult<(Challenge, Access)> {
    let c = jiebang_db::challenges::find_for_update(conn, id)?.ok_or_else(not_found)?;
    let acc = access(conn, &c, Some(auth))?;
    let expert = is_assigned_expert(conn, auth, &c)?;
    if acc == Access::Hidden && !expert {
        return Err(not_found());
    }
    Ok((c, acc))
}

fn wrong_state(e: challenge::WrongState) -> ApiError {
    ApiError::with(
        e.code(),
        format!(
            "榜单当前状态为 {}，不能执行此操作 / the challenge is {}",
            e.current.as_str(),
            e.current.as_str()
        ),
    )
}

// ---------------------------------------------------------------- rubric

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    pub name: String,
    /// Percent; the weights sum to 100.
    pub weight: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricRequest {
    /// 2–10 criteria.
    pub criteria: Vec<CriterionInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RubricView {
    pub challenge_id: String,
    #[schema(value_type = Vec<Object>)]
    pub criteria: Vec<Criterion>,
}

/// Set the rubric (评审指标) of a challenge: its publisher or an official, until scoring starts.
#[utoipa::path(put, path = "/api/v1/challenges/{id}/rubric", tag = "evaluation", request_body = RubricRequest, security(("bearer" = [])),
    responses((status = 200, body = RubricView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_rubric(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<RubricRequest>,
) -> ApiResult<HttpResponse> {
    let input = body
        .0
        .criteria
        .into_iter()
        .map(|c| (c.name, c.weight))
        .collect();
    let v = set_rubric_of(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Sets a rubric from (name, weight) pairs as `PUT /challenges/{id}/rubric` does (the web
/// interface's 评审细则 form calls the same).
pub async fn set_rubric_of(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    input: Vec<(String, i64)>,
) -> ApiResult<RubricView> {
    let criteria = evaluation::rubric(&input)?;
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(
                &Facts::load(conn, &st.ctx, &c, Some(&auth))?,
                ChallengeAction::SetRubric,
            )?;
            let now = st.now();
            let before = jiebang_db::evaluation::rubric(conn, &c.id)?;
            jiebang_db::evaluation::set_rubric(
                conn,
                &c.id,
                &criteria,
                &auth.user.id,
                now.naive_utc(),
            )?;
            audit::record(
                conn,
                &actor,
                now,
                "challenge",
                &c.id,
                "rubric",
                before.as_ref(),
                Some(&criteria),
                None,
            )?;
            Ok(RubricView {
                challenge_id: c.id,
                criteria,
            })
        })
        .await
}

/// The rubric of a challenge (anyone who may read the challenge, and its experts).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/rubric", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = RubricView), (status = 404, body = crate::error::Problem)))]
pub async fn get_rubric(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(rubric_of(&state, auth, id.into_inner()).await?))
}

/// The rubric of challenge `id` as `GET /challenges/{id}/rubric` answers it.
pub async fn rubric_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<RubricView> {
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let expert = is_assigned_expert(conn, &auth, &c)?;
            if access(conn, &c, Some(&auth))? == Access::Hidden && !expert {
                return Err(not_found());
            }
            let criteria = jiebang_db::evaluation::rubric(conn, &c.id)?
                .ok_or_else(|| ApiError::not_found("评审指标 / rubric"))?;
            Ok(RubricView {
                challenge_id: c.id,
                criteria,
            })
        })
        .await
}

// ---------------------------------------------------------------- experts

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignExpertsRequest {
    /// User ids of experts.
    pub expert_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpertView {
    pub id: String,
    pub name: String,
    pub organization_id: Option<String>,
}

/// The organisations taking part in a challenge's bids (leads and members of every bid handed
/// in), with the publisher: an expert employed by any of them has a conflict of interest.
fn interested_organizations(conn: &mut DbConnection, c: &Challenge) -> ApiResult<Vec<String>> {
    let mut orgs = vec![c.organization_id.clone()];
    for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
        orgs.push(b.lead_organization_id.clone());
        orgs.extend(
            jiebang_db::bids::members(conn, &b.id)?
                .into_iter()
                .map(|m| m.organization_id),
        );
    }
    Ok(orgs)
}

/// Assign experts to a challenge (officials), once bidding has closed. An expert whose
/// organisation is the publisher, or the lead or a member of any bid, is refused.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/experts", tag = "evaluation", request_body = AssignExpertsRequest, security(("bearer" = [])),
    responses((status = 200, body = Vec<ExpertView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn assign_experts(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<AssignExpertsRequest>,
) -> ApiResult<HttpResponse> {
    let v = assign_experts_to(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0.expert_ids,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Assigns experts as `POST /challenges/{id}/experts` does (the web interface calls the same).
pub async fn assign_experts_to(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    ids: Vec<String>,
) -> ApiResult<Vec<ExpertView>> {
    auth.require(&[Role::Official])?;
    if ids.is_empty() || ids.len() > 30 {
        return Err(ApiError::field(
            "expert_ids",
            FieldCode::CountOutOfRange,
            "每次指派 1–30 名专家 / assign 1–30 experts at a time",
        ));
    }
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(&Facts::load(conn, &st.ctx, &c, Some(&auth))?, ChallengeAction::AssignExperts)?;
            let interested = interested_organizations(conn, &c)?;
            let now = st.now();
            for (i, expert_id) in ids.iter().enumerate() {
                let field = format!("expert_ids[{i}]");
                let expert = jiebang_db::users::find(conn, expert_id)?
                    .filter(|u| u.role() == Some(Role::Expert) && u.active)
                    .ok_or_else(|| ApiError::field(&field, FieldCode::UnknownExpert, "不是有效的评审专家 / not an active expert"))?;
                if jiebang_db::evaluation::has_recused(conn, &c.id, &expert.id)? {
                    return Err(ApiError::with(Code::ConflictOfInterest,
                        format!("专家 {} 已声明回避本榜单 / the expert declared a conflict of interest on this challenge", expert.name)));
                }
                if expert.organization_id.as_ref().is_some_and(|o| interested.contains(o)) {
                    return Err(ApiError::with(Code::ConflictOfInterest,
                        format!("专家 {} 所在单位参与了本榜单（发榜或揭榜），须回避 / the expert's organisation takes part in this challenge", expert.name)));
                }
                if !jiebang_db::evaluation::is_assigned(conn, &c.id, &expert.id)? {
                    jiebang_db::evaluation::assign(conn, &c.id, &expert.id, &auth.user.id, now.naive_utc())?;
                    audit::record(conn, &actor, now, "challenge", &c.id, "assign_expert", None::<&()>, Some(&expert.id), None)?;
                    let event = Event::ExpertAssigned { challenge_id: c.id.clone(), title: c.title.clone() };
                    notify::notify(conn, &st.config.public_url, std::slice::from_ref(&expert.id), &event, now)?;
                }
            }
            expert_views(conn, &c.id)
        })
        .await
}

fn expert_views(conn: &mut DbConnection, challenge: &str) -> ApiResult<Vec<ExpertView>> {
    let mut out = Vec::new();
    for id in jiebang_db::evaluation::experts(conn, challenge)? {
        if let Some(u) = jiebang_db::users::find(conn, &id)? {
            out.push(ExpertView {
                id: u.id,
                name: u.name,
                organization_id: u.organization_id,
            });
        }
    }
    Ok(out)
}

/// The experts of a challenge: for its publisher and officials; for everyone who may read the
/// challenge once the award is confirmed (公示).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/experts", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = Vec<ExpertView>), (status = 404, body = crate::error::Problem)))]
pub async fn list_experts(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(experts_of(&state, auth, id.into_inner()).await?))
}

/// The experts of challenge `id`, as `GET /challenges/{id}/experts` answers.
pub async fn experts_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<ExpertView>> {
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let acc = access(conn, &c, Some(&auth))?;
            let disclosed = awarded(&c);
            if !(acc == Access::Owner
                || acc == Access::Staff
                || (acc == Access::Public && disclosed))
            {
                return Err(not_found());
            }
            expert_views(conn, &c.id)
        })
        .await
}

/// Whether bidding has closed and the challenge went on to evaluation (there is a ranking).
fn past_the_close(c: &Challenge) -> bool {
    matches!(
        c.status(),
        ChallengeStatus::Evaluating
            | ChallengeStatus::Awarded
            | ChallengeStatus::Contracted
            | ChallengeStatus::Completed
    )
}

/// Whether the award was confirmed (the 公示 of scores and reviewers).
fn awarded(c: &Challenge) -> bool {
    matches!(
        c.status(),
        ChallengeStatus::Awarded | ChallengeStatus::Contracted | ChallengeStatus::Completed
    )
}

// ---------------------------------------------------------------- recusals

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecusalRequest {
    /// Why the expert must not review this challenge (e.g. 曾与揭榜团队合作), 2–500 characters.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecusalView {
    pub expert_id: String,
    pub expert_name: String,
    pub reason: String,
    pub declared_at: DateTime<Utc>,
}

/// Declare a conflict of interest (回避声明, an assigned expert, while the challenge is being
/// evaluated): the assignment is removed with the expert's scores and drafts on the challenge,
/// the official who assigned the expert is told, and the expert cannot be assigned again.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/recusals", tag = "evaluation", request_body = RecusalRequest, security(("bearer" = [])),
    responses((status = 201, body = RecusalView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn recuse(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<RecusalRequest>,
) -> ApiResult<HttpResponse> {
    let v = declare_recusal(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0.reason,
    )
    .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Records an expert's conflict of interest as `POST /challenges/{id}/recusals` does (the web
/// interface's 声明回避 calls the same).
pub async fn declare_recusal(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    reason: String,
) -> ApiResult<RecusalView> {
    auth.require(&[Role::Expert])?;
    let reason =
        bounded_text(&reason, 2, 500).map_err(|e| ApiError::field("reason", e.code, e.message))?;
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(
                &Facts::load(conn, &st.ctx, &c, Some(&auth))?,
                ChallengeAction::Recuse,
            )?;
            let now = st.now();
            let assigned_by = jiebang_db::evaluation::recuse(
                conn,
                &c.id,
                &auth.user.id,
                &reason,
                now.naive_utc(),
            )?;
            audit::record(
                conn,
                &actor,
                now,
                "challenge",
                &c.id,
                "recuse",
                None::<&()>,
                Some(&serde_json::json!({ "expert_id": auth.user.id, "reason": reason })),
                None,
            )?;
            let event = Event::ExpertRecused {
                challenge_id: c.id.clone(),
                title: c.title.clone(),
                expert: auth.user.name.clone(),
                reason: reason.clone(),
            };
            notify::notify(conn, &st.config.public_url, &assigned_by, &event, now)?;
            Ok(RecusalView {
                expert_id: auth.user.id.clone(),
                expert_name: auth.user.name.clone(),
                reason,
                declared_at: now,
            })
        })
        .await
}

/// The experts who declared a conflict of interest on a challenge (officials and admins).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/recusals", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = Vec<RecusalView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list_recusals(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(recusals_of(&state, auth, id.into_inner()).await?))
}

/// The declarations of challenge `id`, as `GET /challenges/{id}/recusals` answers.
pub async fn recusals_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<RecusalView>> {
    auth.require(&[Role::Official, Role::Admin])?;
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let mut out = Vec::new();
            for (expert, reason, at) in jiebang_db::evaluation::recusals(conn, &c.id)? {
                let name = jiebang_db::users::find(conn, &expert)?
                    .map(|u| u.name)
                    .unwrap_or_default();
                out.push(RecusalView {
                    expert_id: expert,
                    expert_name: name,
                    reason,
                    declared_at: utc(at),
                });
            }
            Ok(out)
        })
        .await
}

// ---------------------------------------------------------------- scores

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// The rubric criterion's key (`c1`, …).
    pub criterion: String,
    /// 0–100
    pub score: i64,
    pub comment: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresRequest {
    /// One score per criterion of the rubric.
    pub scores: Vec<ScoreInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertScoresView {
    pub expert_id: String,
    pub expert_name: String,
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<Score>,
    pub submitted_at: DateTime<Utc>,
}

/// Score a bid (an assigned expert): every criterion 0–100 with a comment. May be revised until
/// the award is confirmed.
#[utoipa::path(put, path = "/api/v1/bids/{id}/scores", tag = "evaluation", request_body = ScoresRequest, security(("bearer" = [])),
    responses((status = 200, body = Vec<ExpertScoresView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_scores(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ScoresRequest>,
) -> ApiResult<HttpResponse> {
    let input: Vec<(String, i64, String)> = body
        .0
        .scores
        .iter()
        .map(|s| (s.criterion.clone(), s.score, s.comment.clone()))
        .collect();
    let v = score_bid(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// An expert's scores on bid `id` — (criterion, score, comment) per criterion — stored as
/// `PUT /bids/{id}/scores` stores them (the web interface's scoring page calls the same).
pub async fn score_bid(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    input: Vec<(String, i64, String)>,
) -> ApiResult<Vec<ExpertScoresView>> {
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (b, c, rubric) = scorable(conn, &auth, &id)?;
            let scores = evaluation::scores(&rubric, &input)?;
            let now = st.now();
            jiebang_db::evaluation::put_scores(
                conn,
                &b.id,
                &auth.user.id,
                &c.id,
                &scores,
                now.naive_utc(),
            )?;
            jiebang_db::evaluation::delete_draft(conn, &b.id, &auth.user.id)?;
            audit::record(
                conn,
                &actor,
                now,
                "bid",
                &b.id,
                "score",
                None::<&()>,
                Some(&scores),
                None,
            )?;
            scores_view(conn, &b, Some(&auth.user.id))
        })
        .await
}

/// Scores visible to the caller. `only` restricts them to one expert's.
fn scores_view(
    conn: &mut DbConnection,
    b: &Bid,
    only: Option<&str>,
) -> ApiResult<Vec<ExpertScoresView>> {
    let mut out = Vec::new();
    for row in jiebang_db::evaluation::scores_of_bid(conn, &b.id)? {
        if only.is_some_and(|e| e != row.expert_id) {
            continue;
        }
        let name = jiebang_db::users::find(conn, &row.expert_id)?
            .map(|u| u.name)
            .unwrap_or_default();
        out.push(ExpertScoresView {
            scores: row.scores(),
            expert_id: row.expert_id,
            expert_name: name,
            submitted_at: utc(row.submitted_at),
        });
    }
    Ok(out)
}

/// The scores of a bid. An assigned expert sees their own, and everyone's once their own are in;
/// the publisher and officials see all; after the award the bid's own organisation sees all
/// with the reviewers' names (公示).
#[utoipa::path(get, path = "/api/v1/bids/{id}/scores", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = Vec<ExpertScoresView>), (status = 404, body = crate::error::Problem)))]
pub async fn get_scores(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(scores_of(&state, auth, id.into_inner()).await?))
}

/// The scores of bid `id` the caller may see, as `GET /bids/{id}/scores` answers.
pub async fn scores_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<ExpertScoresView>> {
    let st = state.clone();
    state
        .read(move |conn| {
            let b = jiebang_db::bids::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("申报 / bid"))?;
            let c = jiebang_db::challenges::find(conn, &b.challenge_id)?.ok_or_else(not_found)?;
            if is_assigned_expert(conn, &auth, &c)? {
                // an expert reads the scores of the bids it may read (handed in, bidding
                // closed); a withdrawn or lapsed bid does not exist for it
                if !jiebang_application::bids::may_read(&auth, &b, &c, st.now(), true) {
                    return Err(ApiError::not_found("申报 / bid"));
                }
                let own_in = jiebang_db::evaluation::has_scored(conn, &b.id, &auth.user.id)?;
                return scores_view(conn, &b, (!own_in).then_some(auth.user.id.as_str()));
            }
            let party = auth.belongs_to(&c.organization_id) || auth.is_staff();
            let readable = (party
                && jiebang_application::bids::may_read(&auth, &b, &c, st.now(), false))
                || (auth.belongs_to(&b.lead_organization_id) && awarded(&c));
            if !readable {
                return Err(ApiError::not_found("申报 / bid"));
            }
            scores_view(conn, &b, None)
        })
        .await
}

// ---------------------------------------------------------------- drafts

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    /// The rubric criterion's key (`c1`, …).
    pub criterion: String,
    /// 0–100, or null while undecided
    pub score: Option<i64>,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// Any of the rubric's criteria, each at most once.
    pub scores: Vec<DraftInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftView {
    /// `[{criterion, score (null if none yet), comment}]`
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<evaluation::DraftScore>,
    pub saved_at: DateTime<Utc>,
}

/// The bid an expert may score now, with its challenge and rubric; the refusals of
/// `PUT /bids/{id}/scores` and of its draft.
fn scorable(
    conn: &mut DbConnection,
    auth: &Auth,
    id: &str,
) -> ApiResult<(Bid, Challenge, Vec<Criterion>)> {
    let b = jiebang_db::bids::find(conn, id)?.ok_or_else(|| ApiError::not_found("申报 / bid"))?;
    let c =
        jiebang_db::challenges::find_for_update(conn, &b.challenge_id)?.ok_or_else(not_found)?;
    if !is_assigned_expert(conn, auth, &c)? {
        return Err(ApiError::not_found("申报 / bid"));
    }
    if c.status() != ChallengeStatus::Evaluating {
        return Err(ApiError::with(
            Code::ChallengeNotEvaluating,
            "评审已结束 / evaluation is over",
        ));
    }
    if b.status() != BidStatus::Submitted {
        return Err(ApiError::with(
            Code::BidNotEligible,
            "该申报未通过形式审查，无需评分 / only eligible bids are scored",
        ));
    }
    let rubric = jiebang_db::evaluation::rubric(conn, &c.id)?.ok_or_else(|| {
        ApiError::with(
            Code::NoRubric,
            "尚未设置评审指标 / the rubric is not set yet",
        )
    })?;
    Ok((b, c, rubric))
}

/// Save unfinished scores of a bid (暂存, an assigned expert): any criteria, a score or a comment
/// may be missing. A draft is the expert's alone: it is neither counted nor shown to anyone
/// else, and submitting the scores (`PUT /bids/{id}/scores`) removes it.
#[utoipa::path(put, path = "/api/v1/bids/{id}/scores/draft", tag = "evaluation", request_body = DraftRequest, security(("bearer" = [])),
    responses((status = 200, body = DraftView), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_draft(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Json<DraftRequest>,
) -> ApiResult<HttpResponse> {
    let input = body
        .0
        .scores
        .into_iter()
        .map(|s| (s.criterion, s.score, s.comment))
        .collect();
    Ok(HttpResponse::Ok().json(save_draft(&state, auth, id.into_inner(), input).await?))
}

/// Saves an expert's draft as `PUT /bids/{id}/scores/draft` does (the scoring page's 暂存).
pub async fn save_draft(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
    input: Vec<(String, Option<i64>, String)>,
) -> ApiResult<DraftView> {
    let st = state.clone();
    state
        .write(move |conn| {
            let (b, _, rubric) = scorable(conn, &auth, &id)?;
            let scores = evaluation::draft_scores(&rubric, &input)?;
            let now = st.now();
            let json = serde_json::to_string(&scores).map_err(ApiError::internal)?;
            jiebang_db::evaluation::save_draft(conn, &b.id, &auth.user.id, &json, now.naive_utc())?;
            Ok(DraftView {
                scores,
                saved_at: now,
            })
        })
        .await
}

/// The caller's draft of a bid's scores; 404 when there is none.
#[utoipa::path(get, path = "/api/v1/bids/{id}/scores/draft", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = DraftView), (status = 404, body = crate::error::Problem)))]
pub async fn get_draft(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    match draft_of(&state, auth, id.into_inner()).await? {
        Some(d) => Ok(HttpResponse::Ok().json(d)),
        None => Err(ApiError::not_found("暂存的评分 / draft")),
    }
}

/// The caller's draft of bid `id`, if any (an assigned expert of the bid's challenge).
pub async fn draft_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Option<DraftView>> {
    state
        .read(move |conn| {
            let b = jiebang_db::bids::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("申报 / bid"))?;
            let c = jiebang_db::challenges::find(conn, &b.challenge_id)?.ok_or_else(not_found)?;
            if !is_assigned_expert(conn, &auth, &c)? {
                return Err(ApiError::not_found("申报 / bid"));
            }
            Ok(
                jiebang_db::evaluation::draft(conn, &b.id, &auth.user.id)?.map(|(json, at)| {
                    DraftView {
                        scores: serde_json::from_str(&json).unwrap_or_default(),
                        saved_at: utc(at),
                    }
                }),
            )
        })
        .await
}

// ---------------------------------------------------------------- ranking

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingEntry {
    pub rank: usize,
    pub bid_id: String,
    pub lead_organization_id: String,
    pub lead_organization_name: String,
    /// Weighted score, 0–100, two decimals.
    pub score: f64,
    /// Per criterion, a pair `[key, the (trimmed) mean]`, e.g. `["c1", 82.5]`.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub criteria: Vec<(String, f64)>,
    /// How many experts scored the bid, and whether every assigned expert did.
    pub experts_scored: usize,
    pub fully_scored: bool,
    /// `submitted` (eligible), `awarded` or `not_awarded`.
    pub status: String,
    /// Selected by the publisher (awaiting the officials' confirmation), or awarded.
    pub selected: bool,
    /// After the award (公示): each expert's scores with their name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<ExpertScoresView>>,
}

struct Computed {
    entries: Vec<RankingEntry>,
}

fn compute_ranking(conn: &mut DbConnection, c: &Challenge, disclose: bool) -> ApiResult<Computed> {
    let rubric = jiebang_db::evaluation::rubric(conn, &c.id)?.ok_or_else(|| {
        ApiError::with(
            Code::NoRubric,
            "尚未设置评审指标 / the rubric is not set yet",
        )
    })?;
    let assigned = jiebang_db::evaluation::experts(conn, &c.id)?;
    let selection = jiebang_db::evaluation::selection(conn, &c.id)?;
    let all_scores = jiebang_db::evaluation::scores_of_challenge(conn, &c.id)?;
    let bids: Vec<Bid> = jiebang_db::bids::for_challenge(conn, &c.id, None)?
        .into_iter()
        .filter(|b| {
            matches!(
                b.status(),
                BidStatus::Submitted | BidStatus::Awarded | BidStatus::NotAwarded
            )
        })
        .collect();
    let mut ranked = Vec::new();
    for b in &bids {
        let by_expert: Vec<Vec<Score>> = all_scores
            .iter()
            .filter(|s| s.bid_id == b.id)
            .map(|s| s.scores())
            .collect();
        ranked.push(Ranked {
            bid_id: b.id.clone(),
            aggregate: evaluation::aggregate(&rubric, &by_expert),
            submitted_at: b
                .submitted_at
                .map(|t| utc(t).to_rfc3339())
                .unwrap_or_default(),
        });
    }
    let mut entries = Vec::new();
    for (i, r) in evaluation::rank(&rubric, ranked).into_iter().enumerate() {
        let b = bids.iter().find(|b| b.id == r.bid_id).expect("ranked bid");
        let scored: Vec<&str> = all_scores
            .iter()
            .filter(|s| s.bid_id == b.id)
            .map(|s| s.expert_id.as_str())
            .collect();
        let name = jiebang_db::organizations::find(conn, &b.lead_organization_id)?
            .map(|o| o.name)
            .unwrap_or_default();
        let reviews = if disclose {
            Some(scores_view(conn, b, None)?)
        } else {
            None
        };
        entries.push(RankingEntry {
            rank: i + 1,
            bid_id: b.id.clone(),
            lead_organization_id: b.lead_organization_id.clone(),
            lead_organization_name: name,
            score: r.aggregate.total,
            criteria: r.aggregate.criteria,
            experts_scored: scored.len(),
            fully_scored: evaluation::fully_scored(&assigned, &scored),
            status: b.status.clone(),
            selected: selection.contains(&b.id) || b.status() == BidStatus::Awarded,
            reviews,
        });
    }
    Ok(Computed { entries })
}

/// The ranking of the eligible bids (publisher, officials); after the award also the bidders of
/// the challenge, with every expert's scores and name (公示). Ties: see docs/api.md.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/ranking", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = Vec<RankingEntry>), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn ranking(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ranking_entries(&state, auth, id.into_inner()).await?))
}

/// The ranking as `GET /challenges/{id}/ranking` answers it, for whoever may read it.
pub async fn ranking_entries(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<RankingEntry>> {
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let acc = access(conn, &c, Some(&auth))?;
            let bidder = auth.role.is_organization_user()
                && auth.organization_id().is_some_and(|o| {
                    jiebang_db::bids::for_challenge(conn, &c.id, Some(o))
                        .map(|b| b.iter().any(|b| b.status().was_submitted()))
                        .unwrap_or(false)
                });
            if acc == Access::Hidden {
                return Err(not_found());
            }
            // to a caller who may read the challenge, a refusal says why
            if !past_the_close(&c) {
                return Err(ApiError::with(Code::RankingNotAvailable, "揭榜截止并进入评审后才有排名 / there is a ranking once bidding has closed"));
            }
            let staff_or_owner = acc == Access::Owner || acc == Access::Staff;
            if !staff_or_owner && bidder && !awarded(&c) {
                return Err(ApiError::with(Code::RankingNotAvailable, "排名在立项确认后公示 / the ranking is published once the award is confirmed"));
            }
            if !staff_or_owner && !bidder {
                return Err(ApiError::with(Code::Forbidden, "排名仅供发榜单位、科技厅和本榜单的揭榜单位查看 / the ranking is for the publisher, officials and this challenge's bidders"));
            }
            Ok(compute_ranking(conn, &c, awarded(&c))?.entries)
        })
        .await
}

// ---------------------------------------------------------------- award

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectRequest {
    /// 1 … max_winners eligible, fully scored bids.
    pub bid_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SelectionView {
    pub challenge_id: String,
    pub bid_ids: Vec<String>,
}

/// Select the winning bid(s) (the publisher): 1 … max_winners eligible bids that every assigned
/// expert has scored. Replaces an earlier selection until an official confirms.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/awards", tag = "evaluation", request_body = SelectRequest, security(("bearer" = [])),
    responses((status = 200, body = SelectionView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn select(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<SelectRequest>,
) -> ApiResult<HttpResponse> {
    let v = select_winners(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0.bid_ids,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The publisher's selection, as `POST /challenges/{id}/awards` does (the web interface's 选定
/// calls the same).
pub async fn select_winners(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    requested: Vec<String>,
) -> ApiResult<SelectionView> {
    let mut chosen = requested.clone();
    chosen.sort();
    chosen.dedup();
    if chosen.len() != requested.len() {
        return Err(ApiError::field(
            "bid_ids",
            FieldCode::Duplicate,
            "同一申报重复选定 / a bid is selected twice",
        ));
    }
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(&Facts::load(conn, &st.ctx, &c, Some(&auth))?, ChallengeAction::Select)?;
            if chosen.is_empty() || chosen.len() as i64 > c.max_winners {
                return Err(ApiError::field("bid_ids", FieldCode::CountOutOfRange, format!("应选定 1 到 {} 个申报 / select 1 to {} bids", c.max_winners, c.max_winners)));
            }
            let ranking = compute_ranking(conn, &c, false)?;
            for (i, bid) in requested.iter().enumerate() {
                let field = format!("bid_ids[{i}]");
                let entry = ranking.entries.iter().find(|e| e.bid_id == *bid).ok_or_else(|| {
                    ApiError::field(&field, FieldCode::NotEligible, "该申报不是本榜单的有效申报 / not an eligible bid of this challenge")
                })?;
                if !entry.fully_scored {
                    return Err(ApiError::field(&field, FieldCode::NotFullyScored, "该申报尚未完成全部专家评分 / not every assigned expert has scored this bid"));
                }
            }
            let now = st.now();
            jiebang_db::evaluation::set_selection(conn, &c.id, &chosen, &auth.user.id, now.naive_utc())?;
            audit::record(conn, &actor, now, "challenge", &c.id, "select_winners", None::<&()>, Some(&chosen), None)?;
            Ok(SelectionView { challenge_id: c.id, bid_ids: chosen })
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardSelectionView {
    pub challenge_id: String,
    /// The challenge's status: `evaluating` while the selection awaits confirmation, `awarded`
    /// (or later) once confirmed.
    pub challenge_status: String,
    /// The selected bids (empty before the publisher selects).
    pub bid_ids: Vec<String>,
    /// Whether an official has confirmed the award (立项).
    pub confirmed: bool,
    /// The ranking entries of the selected bids, with their scores and each expert's review:
    /// what the official weighs before confirming.
    pub entries: Vec<RankingEntry>,
}

/// The publisher's selection (拟立项), for the publisher and officials (and admins): the
/// selected bids with their ranking, scores and reviews, read before the award is confirmed.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/awards", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = AwardSelectionView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn selection(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(selection_of(&state, auth, id.into_inner()).await?))
}

/// The selection of challenge `id`, as `GET /challenges/{id}/awards` answers it.
pub async fn selection_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<AwardSelectionView> {
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let acc = access(conn, &c, Some(&auth))?;
            match acc {
                Access::Hidden => return Err(not_found()),
                Access::Public => {
                    return Err(ApiError::with(Code::Forbidden, "拟立项名单仅供发榜单位和科技厅查看 / the selection is for the publisher and officials"))
                }
                Access::Owner | Access::Staff => {}
            }
            if !past_the_close(&c) {
                return Err(ApiError::with(Code::RankingNotAvailable, "揭榜截止并进入评审后才有拟立项名单 / there is a selection once bidding has closed"));
            }
            let confirmed = awarded(&c);
            let bid_ids = if confirmed {
                jiebang_db::bids::for_challenge(conn, &c.id, None)?
                    .into_iter()
                    .filter(|b| b.status() == BidStatus::Awarded)
                    .map(|b| b.id)
                    .collect()
            } else {
                jiebang_db::evaluation::selection(conn, &c.id)?
            };
            let entries = if bid_ids.is_empty() {
                Vec::new()
            } else {
                // the experts' names: for officials always, for the publisher after the award
                compute_ranking(conn, &c, confirmed || acc == Access::Staff)?
                    .entries
                    .into_iter()
                    .filter(|e| bid_ids.contains(&e.bid_id))
                    .collect()
            };
            Ok(AwardSelectionView {
                challenge_id: c.id.clone(),
                challenge_status: c.status.clone(),
                bid_ids,
                confirmed,
                entries,
            })
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardView {
    pub challenge_id: String,
    /// `awarded`
    pub status: String,
    pub winners: Vec<String>,
    /// One agreement per winner, `drafted`.
    pub agreement_ids: Vec<String>,
}

/// Confirm the award (立项, officials): the challenge becomes `awarded`, the selected bids
/// `awarded`, the other eligible bids `not_awarded`, and one agreement per winner is drafted.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/awards/confirm", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = AwardView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn confirm(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = confirm_award(&state, auth, audit::request_id(&req), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Confirms the award as `POST /challenges/{id}/awards/confirm` does (the web interface calls
/// the same).
pub async fn confirm_award(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
) -> ApiResult<AwardView> {
    auth.require(&[Role::Official])?;
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            // a selection exists, and every assigned expert (one assigned after it too) has
            // scored each selected bid
            check(
                &Facts::load(conn, &st.ctx, &c, Some(&auth))?,
                ChallengeAction::ConfirmAward,
            )?;
            let to = challenge::transition(c.status(), Action::Award).map_err(wrong_state)?;
            let winners = jiebang_db::evaluation::selection(conn, &c.id)?;
            let now = st.now();
            let change = StatusChange {
                status: Some(to.as_str().into()),
                ..Default::default()
            };
            if !jiebang_db::challenges::change_status(
                conn,
                &c.id,
                &c.status,
                &change,
                now.naive_utc(),
            )? {
                return Err(crate::handlers::organizations::version_conflict());
            }
            let publisher = jiebang_db::organizations::find(conn, &c.organization_id)?
                .ok_or_else(|| ApiError::internal("no publisher"))?;
            let shares = agreement::split_enterprise_funds(c.enterprise_funds, winners.len());
            let mut agreement_ids = Vec::new();
            let mut recipients = notify::organization_users(conn, &c.organization_id)?;
            for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
                if b.status().was_submitted() {
                    // every bidder hears the result, the ineligible ones too
                    recipients.extend(notify::bid_users(conn, &b)?);
                }
                if b.status() != BidStatus::Submitted {
                    continue;
                }
                let won = winners.contains(&b.id);
                let action = if won {
                    BidAction::Award
                } else {
                    BidAction::NotAward
                };
                let to = bid_domain::transition(b.status(), action)
                    .map_err(|e| ApiError::with(e.code(), "申报状态已变 / the bid changed"))?;
                let change = jiebang_db::bids::BidStatusChange {
                    status: Some(to.as_str().into()),
                    ..Default::default()
                };
                if !jiebang_db::bids::change_status(
                    conn,
                    &b.id,
                    "submitted",
                    &change,
                    now.naive_utc(),
                )? {
                    return Err(crate::handlers::organizations::version_conflict());
                }
                if won {
                    let lead = jiebang_db::organizations::find(conn, &b.lead_organization_id)?
                        .ok_or_else(|| ApiError::internal("no lead"))?;
                    let share = shares[winners.iter().position(|w| *w == b.id).unwrap_or(0)];
                    let mut members = Vec::new();
                    for m in jiebang_db::bids::members(conn, &b.id)? {
                        members.push(
                            jiebang_db::organizations::find(conn, &m.organization_id)?
                                .ok_or_else(|| ApiError::internal("no member"))?,
                        );
                    }
                    let terms = agreement_terms(&c, &b, &publisher, &lead, &members, share);
                    let a = Agreement {
                        id: jiebang_db::new_id(),
                        challenge_id: c.id.clone(),
                        bid_id: b.id.clone(),
                        status: "drafted".into(),
                        terms_json: serde_json::to_string(&terms).map_err(ApiError::internal)?,
                        terms_hash: agreement::terms_hash(&terms),
                        version: 1,
                        created_at: now.naive_utc(),
                        updated_at: now.naive_utc(),
                        signed_at: None,
                        registered_at: None,
                        registered_by: None,
                        end_reason: None,
                        ended_at: None,
                        registration_statement: None,
                        registration_key_id: None,
                        registration_signature: None,
                        registration_countersign_statement: None,
                        registration_countersign_key_id: None,
                        registration_countersignature: None,
                    };
                    jiebang_db::evaluation::insert_agreement(conn, &a)?;
                    let users = notify::party_users(conn, &terms)?;
                    let event = Event::SignatureRequested {
                        agreement_id: a.id.clone(),
                        title: c.title.clone(),
                        terms_hash: a.terms_hash.clone(),
                    };
                    notify::notify(conn, &st.config.public_url, &users, &event, now)?;

                    audit::record(
                        conn,
                        &actor,
                        now,
                        "agreement",
                        &a.id,
                        "create",
                        None::<&()>,
                        Some(&terms),
                        None,
                    )?;
                    agreement_ids.push(a.id);
                }
            }
            audit::record(
                conn,
                &actor,
                now,
                "challenge",
                &c.id,
                "confirm_award",
                None::<&()>,
                Some(&winners),
                None,
            )?;
            let event = Event::Awarded {
                challenge_id: c.id.clone(),
                title: c.title.clone(),
            };
            // once each, though an organisation may lead one bid and be a member of another
            recipients.sort();
            recipients.dedup();
            notify::notify(conn, &st.config.public_url, &recipients, &event, now)?;
            Ok(AwardView {
                challenge_id: c.id,
                status: to.as_str().into(),
                winners,
                agreement_ids,
            })
        })
        .await
}

/// The terms of the agreement between the publisher and a winning bid: the parties are the
/// publisher, the lead and the bid's consortium members. With several winners (赛马) the
/// enterprise funds are split evenly between them (`enterprise_share`).
fn agreement_terms(
    c: &Challenge,
    b: &Bid,
    publisher: &jiebang_db::models::Organization,
    lead: &jiebang_db::models::Organization,
    members: &[jiebang_db::models::Organization],
    enterprise_share: i64,
) -> agreement::Terms {
    use jiebang_domain::agreement::PartyRole;
    let answers = b.kpi_answers();
    let party = |role, o: &jiebang_db::models::Organization| Party {
        role,
        organization_id: o.id.clone(),
        name: o.name.clone(),
        credit_code: o.credit_code.clone(),
    };
    agreement::Terms {
        challenge_id: c.id.clone(),
        bid_id: b.id.clone(),
        title: c.title.clone(),
        parties: [
            party(PartyRole::Publisher, publisher),
            party(PartyRole::Bidder, lead),
        ]
        .into_iter()
        .chain(members.iter().map(|m| party(PartyRole::Member, m)))
        .collect(),
        fiscal_amount: b.requested_fiscal,
        enterprise_amount: enterprise_share,
        term_months: c.duration_months as u32,
        ip_ownership: c.ip_ownership.clone(),
        kpis: c
            .kpis()
            .into_iter()
            .map(|k| AgreedKpi {
                committed: answers
                    .iter()
                    .find(|a| a.kpi_id == k.id)
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
                name: k.name,
                target: k.target,
                unit: k.unit,
            })
            .collect(),
        milestones: b
            .milestones()
            .into_iter()
            .map(|m| AgreedMilestone {
                month: m.month,
                deliverable: m.deliverable,
            })
            .collect(),
    }
}

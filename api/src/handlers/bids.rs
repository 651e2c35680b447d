//! Bids (揭榜申报): create, edit, submit and withdraw, sealed until the bidding deadline.
//!
//! Sealing: until the deadline a bid exists only for its lead organisation; to everyone else —
//! the publisher, other bidders, officials, the public — it is 404 and shows only as a count on
//! the challenge. After the deadline the publisher, officials and admins read every bid that was
//! handed in (drafts and withdrawn bids stay private).
//!
//! The deadline, to the second: every submission and withdrawal locks the challenge row (the
//! same row the scheduler locks to close bidding) and compares with the clock read after the
//! lock, so a bid is either in before the close or refused.

use crate::audit::{self, Actor};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::handlers::access::{access, Access};
use crate::handlers::organizations::version_conflict;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use jiebang_application::bid_actions::{actions, BidActionName, BidFacts};
use jiebang_application::bids;
pub use jiebang_application::bids::{
    bidder_users, bidding_closed, check_bid, formal_check_all, is_assigned_expert, load_own,
    may_read, not_found, open_for_bids, release_live_bids, reopen_submitted, view, with_actions,
    wrong_state, BidView, MemberView, ReasonView,
};
use jiebang_application::challenge_actions::{self, ChallengeAction, Facts};
use jiebang_db::bids::{Bid, ContentRow};
use jiebang_db::challenges::Challenge;
use jiebang_db::changes::Touches;
use jiebang_db::DbConnection;
use jiebang_domain::bid::{
    self, BidContent, BidStatus, ChiefScientist, KpiAnswer, Member, Milestone,
};
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::organization::ConsortiumStatus;
use jiebang_domain::{FieldError, Violations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub organization_id: String,
    /// 分工
    pub role: String,
    /// Share of the work, percent (1–99); the lead carries the rest.
    pub share_percent: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChiefScientistInput {
    pub name: String,
    /// 职称
    pub title: String,
    pub organization: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiAnswerInput {
    /// The challenge KPI's id (`kpi-1`, …).
    pub kpi_id: String,
    /// The committed value.
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    /// Months after the start (1 … the challenge's duration).
    pub month: u32,
    pub deliverable: String,
}

/// A bid's content. A draft may be incomplete; submission needs an approach, every KPI answered
/// and a milestone.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidRequest {
    /// Consortium members other than the lead (the caller's organisation).
    #[serde(default)]
    pub members: Vec<MemberInput>,
    /// Or a filed consortium (创新联合体) led by the caller's organisation: its members are copied
    /// in, sharing the work equally with the lead.
    pub consortium_id: Option<String>,
    pub chief_scientist: Option<ChiefScientistInput>,
    /// 实施方案
    #[serde(default)]
    pub approach: String,
    #[serde(default)]
    pub kpi_answers: Vec<KpiAnswerInput>,
    #[serde(default)]
    pub milestones: Vec<MilestoneInput>,
    /// 申请财政资金, yuan (at most the challenge's fiscal support)
    #[serde(default)]
    pub requested_fiscal: i64,
    /// 自筹资金, yuan
    #[serde(default)]
    pub own_funds: i64,
}

/// Changes to a draft bid: any field, plus the `version` last read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBidRequest {
    pub version: i64,
    pub members: Option<Vec<MemberInput>>,
    pub chief_scientist: Option<ChiefScientistInput>,
    pub approach: Option<String>,
    pub kpi_answers: Option<Vec<KpiAnswerInput>>,
    pub milestones: Option<Vec<MilestoneInput>>,
    pub requested_fiscal: Option<i64>,
    pub own_funds: Option<i64>,
}

fn to_content(r: &BidRequest) -> BidContent {
    BidContent {
        members: r
            .members
            .iter()
            .map(|m| Member {
                organization_id: m.organization_id.clone(),
                role: m.role.clone(),
                share_percent: m.share_percent,
            })
            .collect(),
        chief_scientist: r.chief_scientist.as_ref().map(|c| ChiefScientist {
            name: c.name.clone(),
            title: c.title.clone(),
            organization: c.organization.clone(),
        }),
        approach: r.approach.clone(),
        kpi_answers: r
            .kpi_answers
            .iter()
            .map(|a| KpiAnswer {
                kpi_id: a.kpi_id.clone(),
                value: a.value.clone(),
            })
            .collect(),
        milestones: r
            .milestones
            .iter()
            .map(|m| Milestone {
                month: m.month,
                deliverable: m.deliverable.clone(),
            })
            .collect(),
        requested_fiscal: r.requested_fiscal,
        own_funds: r.own_funds,
    }
}

/// Validates content against the challenge; members must be registered organisations other than
/// the publisher.
fn checked_content(
    conn: &mut DbConnection,
    content: &BidContent,
    lead: &str,
    c: &Challenge,
) -> ApiResult<BidContent> {
    // every problem at once: the members' existence and the shape of the content
    let mut v = Violations::new();
    for (i, m) in content.members.iter().enumerate() {
        let id = m.organization_id.trim();
        if id == c.organization_id {
            v.0.push(FieldError::new(format!("members[{i}].organization_id"), FieldCode::IsPublisher, "发榜单位不能参与揭榜 / the publisher cannot take part in a bid on its own challenge"));
        } else if jiebang_db::organizations::find(conn, id)?.is_none() {
            v.0.push(FieldError::new(
                format!("members[{i}].organization_id"),
                FieldCode::UnknownOrganization,
                "单位不存在 / no such organisation",
            ));
        }
    }
    match bid::validate(
        content,
        lead,
        &c.kpis(),
        c.duration_months as u32,
        c.fiscal_support,
    ) {
        Ok(content) => v.into_result().map(|_| content).map_err(ApiError::from),
        Err(mut shape) => {
            shape.0.extend(v.0);
            Err(shape.into())
        }
    }
}

/// The members of a filed consortium led by `lead`, each with an equal share of the work.
fn consortium_members(
    conn: &mut DbConnection,
    consortium: &str,
    lead: &str,
) -> ApiResult<Vec<Member>> {
    let c = jiebang_db::consortia::find(conn, consortium)?
        .filter(|c| c.status() == ConsortiumStatus::Filed && c.lead_organization_id == lead)
        .ok_or_else(|| {
            ApiError::field(
                "consortium_id",
                FieldCode::UnknownConsortium,
                "须为本单位牵头且已备案的创新联合体 / a filed consortium led by your organisation",
            )
        })?;
    let ids: Vec<String> = jiebang_db::consortia::members(conn, &c.id)?
        .into_iter()
        .filter(|m| m != lead)
        .collect();
    let share = (100 / (ids.len() as u32 + 1)).max(1);
    Ok(ids
        .into_iter()
        .map(|organization_id| Member {
            organization_id,
            role: "联合体成员".into(),
            share_percent: share,
        })
        .collect())
}

/// Create a draft bid on a challenge, led by the caller's organisation.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/bids", tag = "bids", request_body = BidRequest, security(("bearer" = [])),
    responses((status = 201, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<BidRequest>,
) -> ApiResult<HttpResponse> {
    let v = create_bid(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Creates a draft bid as `POST /challenges/{id}/bids` does (the web interface's bid form calls
/// the same).
pub async fn create_bid(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    body: BidRequest,
) -> ApiResult<BidView> {
    let mut content = to_content(&body);
    let consortium_id = body.consortium_id.clone();
    if consortium_id.is_some() && !content.members.is_empty() {
        return Err(ApiError::field("members", FieldCode::MembersWithConsortium, "引用创新联合体时不再单独填写成员 / members come from the consortium; do not list them too"));
    }
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write_touching(Touches::PUBLIC, move |conn| {
            let c = jiebang_db::challenges::find_for_update(conn, &id)?.ok_or_else(|| ApiError::not_found("榜单 / challenge"))?;
            // one lead's bids are decided one at a time (限项 across challenges): the
            // organisation's row lock (after the challenge's) is taken before the facts are read
            if let Some(org) = auth.organization_id().filter(|_| auth.role.is_organization_user()) {
                jiebang_db::organizations::lock(conn, org)?;
            }
            let facts = Facts::load(conn, &st.ctx, &c, Some(&auth))?;
            challenge_actions::check(&facts, ChallengeAction::Bid)?;
            let now = facts.now;
            let org = auth.organization.clone().ok_or_else(|| ApiError::internal("bidder without organisation"))?;
            if let Some(cid) = &consortium_id {
                content.members = consortium_members(conn, cid, &org.id)?;
            }
            let content = checked_content(conn, &content, &org.id, &c)?;
            let row = ContentRow::from_content(&content);
            let b = Bid {
                id: jiebang_db::new_id(),
                challenge_id: c.id.clone(),
                lead_organization_id: org.id.clone(),
                created_by: auth.user.id.clone(),
                status: BidStatus::Draft.as_str().into(),
                chief_scientist_json: row.chief_scientist_json,
                approach: row.approach,
                kpi_answers_json: row.kpi_answers_json,
                milestones_json: row.milestones_json,
                requested_fiscal: row.requested_fiscal,
                own_funds: row.own_funds,
                ineligible_reasons_json: None,
                submitted_at: None,
                withdrawn_at: None,
                version: 1,
                created_at: now.naive_utc(),
                updated_at: now.naive_utc(),
            };
            jiebang_db::bids::insert(conn, &b, &content.members).map_err(|e| {
                if jiebang_db::is_unique_violation(&e, "bids_one_live", "bids.challenge_id") {
                    ApiError::with(Code::LiveBidExists, "本单位在该榜单已有有效申报 / your organisation already has a live bid on this challenge")
                } else {
                    e.into()
                }
            })?;
            let v = view(conn, &b)?;
            audit::record(conn, &actor, now, "bid", &b.id, "create", None::<&()>, Some(&v), None)?;
            Ok(with_actions(conn, &st.ctx, v, &auth)?)
        })
        .await
}

/// A bid: to its lead organisation always; after the deadline to the publisher and officials.
#[utoipa::path(get, path = "/api/v1/bids/{id}", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = BidView), (status = 404, body = crate::error::Problem)))]
pub async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(read_view(&state, auth.0, id.into_inner()).await?))
}

/// A bid as `GET /bids/{id}` answers it, with its `actions`, for whoever may read it.
pub async fn read_view(
    state: &web::Data<AppState>,
    auth: Option<Auth>,
    id: String,
) -> ApiResult<BidView> {
    let st = state.clone();
    state
        .read(move |conn| {
            // to the public a bid does not exist (404, not 401)
            let auth = auth.ok_or_else(not_found)?;
            let b = jiebang_db::bids::find(conn, &id)?.ok_or_else(not_found)?;

            let c = jiebang_db::challenges::find(conn, &b.challenge_id)?.ok_or_else(not_found)?;
            let expert = is_assigned_expert(conn, &auth, &c)?;
            let now = st.now();
            if !may_read(&auth, &b, &c, now, expert)
                && !bids::may_read_as_member(conn, &auth, &b, &c, now)?
            {
                return Err(not_found().into());
            }
            let mut v = view(conn, &b)?;
            v.actions = Some(actions(&BidFacts {
                bid: &b,
                challenge: &c,
                caller: &auth,
                now,
            }));
            Ok(v)
        })
        .await
}

/// The bids of a challenge the caller may read: a bidder's own; after the deadline, for the
/// publisher, officials and the assigned experts, every bid that was handed in.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/bids", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = Vec<BidView>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(list_of(&state, auth, id.into_inner()).await?))
}

/// The bids of challenge `id` the caller may read, as `GET /challenges/{id}/bids` answers.
pub async fn list_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<BidView>> {
    let st = state.clone();
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("榜单 / challenge"))?;
            let acc = access(conn, &c, Some(&auth))?;
            let own_org = auth
                .organization_id()
                .filter(|_| auth.role.is_organization_user())
                .map(str::to_owned);
            let own_bid = match &own_org {
                Some(o) => !jiebang_db::bids::for_challenge(conn, &c.id, Some(o))?.is_empty(),
                None => false,
            };
            let expert = is_assigned_expert(conn, &auth, &c)?;
            if acc == Access::Hidden && !own_bid && !expert {
                return Err(ApiError::not_found("榜单 / challenge"));
            }
            let now = st.now();
            let reader = acc == Access::Owner || acc == Access::Staff || expert;
            let rows = if reader && bidding_closed(&c, now) {
                jiebang_db::bids::for_challenge(conn, &c.id, None)?
            } else if let Some(o) = &own_org {
                jiebang_db::bids::for_challenge(conn, &c.id, Some(o))?
            } else {
                Vec::new()
            };
            rows.iter()
                .filter(|b| may_read(&auth, b, &c, now, expert))
                .map(|b| {
                    let mut v = view(conn, b)?;
                    v.actions = Some(actions(&BidFacts {
                        bid: b,
                        challenge: &c,
                        caller: &auth,
                        now,
                    }));
                    Ok(v)
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await
}

/// Edit a draft bid (its lead organisation), before the deadline.
#[utoipa::path(patch, path = "/api/v1/bids/{id}", tag = "bids", request_body = UpdateBidRequest, security(("bearer" = [])),
    responses((status = 200, body = BidView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateBidRequest>,
) -> ApiResult<HttpResponse> {
    let v = update_bid(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Changes a draft bid as `PATCH /bids/{id}` does (the web interface's bid form calls the same).
pub async fn update_bid(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    body: UpdateBidRequest,
) -> ApiResult<BidView> {
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write_touching(Touches::PUBLIC, move |conn| {
            let (b, c) = load_own(conn, &id, &auth)?;
            let now = st.now();
            check_bid(&b, &c, &auth, now, BidActionName::Edit)?;
            if b.version != body.version {
                return Err(version_conflict());
            }
            let old = b.content(jiebang_db::bids::members(conn, &b.id)?);
            let before = view(conn, &b)?;
            let merged = BidContent {
                members: match &body.members {
                    Some(m) => {
                        to_content(&BidRequest {
                            members: m.clone(),
                            ..Default::default()
                        })
                        .members
                    }
                    None => old.members.clone(),
                },
                chief_scientist: match &body.chief_scientist {
                    Some(cs) => Some(ChiefScientist {
                        name: cs.name.clone(),
                        title: cs.title.clone(),
                        organization: cs.organization.clone(),
                    }),
                    None => old.chief_scientist.clone(),
                },
                approach: body
                    .approach
                    .clone()
                    .unwrap_or_else(|| old.approach.clone()),
                kpi_answers: match &body.kpi_answers {
                    Some(a) => a
                        .iter()
                        .map(|a| KpiAnswer {
                            kpi_id: a.kpi_id.clone(),
                            value: a.value.clone(),
                        })
                        .collect(),
                    None => old.kpi_answers.clone(),
                },
                milestones: match &body.milestones {
                    Some(m) => m
                        .iter()
                        .map(|m| Milestone {
                            month: m.month,
                            deliverable: m.deliverable.clone(),
                        })
                        .collect(),
                    None => old.milestones.clone(),
                },
                requested_fiscal: body.requested_fiscal.unwrap_or(old.requested_fiscal),
                own_funds: body.own_funds.unwrap_or(old.own_funds),
            };
            let content = checked_content(conn, &merged, &b.lead_organization_id, &c)?;
            if !jiebang_db::bids::update_content(
                conn,
                &b.id,
                body.version,
                &ContentRow::from_content(&content),
                now.naive_utc(),
            )? {
                return Err(version_conflict());
            }
            if content.members != old.members {
                jiebang_db::bids::set_members(conn, &b.id, &content.members)?;
            }
            let after_row = jiebang_db::bids::find(conn, &b.id)?.ok_or_else(not_found)?;
            let after = view(conn, &after_row)?;
            audit::record(
                conn,
                &actor,
                now,
                "bid",
                &b.id,
                "update",
                Some(&before),
                Some(&after),
                None,
            )?;
            Ok(with_actions(conn, &st.ctx, after, &auth)?)
        })
        .await
}

/// Submit a draft bid: accepted only if the server's clock at acceptance is before the deadline.
#[utoipa::path(post, path = "/api/v1/bids/{id}/submit", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let actor = Actor::user(&auth, audit::request_id(&req));
    let ctx = state.ctx.clone();
    let v = state
        .write_touching(Touches::PUBLIC, move |conn| {
            Ok(bids::submit(conn, &ctx, &auth, &actor, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Withdraw a bid before the deadline. A withdrawn bid may be replaced by a new one.
#[utoipa::path(post, path = "/api/v1/bids/{id}/withdraw", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = BidView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let actor = Actor::user(&auth, audit::request_id(&req));
    let ctx = state.ctx.clone();
    let v = state
        .write_touching(Touches::PUBLIC, move |conn| {
            Ok(bids::withdraw(conn, &ctx, &auth, &actor, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A bid's history (its audit entries), for whoever may read the bid: its lead's users, and once
/// bidding has closed the publisher and officials. To anyone else the bid does not exist.
#[utoipa::path(get, path = "/api/v1/bids/{id}/history", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::views::HistoryEntry>), (status = 404, body = crate::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history_of(&state, auth, id.into_inner()).await?))
}

/// A bid's history as `GET /bids/{id}/history` answers it, for whoever may read the bid.
pub async fn history_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<crate::views::HistoryEntry>> {
    let st = state.clone();
    let entries = state
        .read(move |conn| {
            let b = jiebang_db::bids::find(conn, &id)?.ok_or_else(not_found)?;
            let c = jiebang_db::challenges::find(conn, &b.challenge_id)?.ok_or_else(not_found)?;
            let now = st.now();
            if !may_read(&auth, &b, &c, now, false)
                && !bids::may_read_as_member(conn, &auth, &b, &c, now)?
            {
                return Err(not_found().into());
            }
            Ok(jiebang_db::audit::history(conn, "bid", &b.id)?)
        })
        .await?;
    Ok(entries
        .iter()
        .map(crate::views::HistoryEntry::from)
        .collect())
}

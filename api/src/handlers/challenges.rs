//! Challenges (榜单): create, list and search, read, edit and amend, the lifecycle actions
//! (submit, review, cancel, extend) and history.

use crate::audit::{self, Actor};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::handlers::access::{access, Access};
use crate::handlers::organizations::version_conflict;
use crate::notify;
use crate::state::AppState;
use crate::views::{utc, HistoryEntry};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use jiebang_application::bids::{bidder_users, release_live_bids, reopen_submitted};
use jiebang_application::challenge_actions::{
    self, check, for_challenge, ChallengeAction, Facts, ListReader, LiveBids,
};
use jiebang_application::challenges::{
    full_view, not_found, publisher_name, transitioned, view, winners, wrong_state,
};
pub use jiebang_application::challenges::{ChallengeView, PublisherView, WinnerView};
use jiebang_db::challenges::{Challenge, ListFilter, NewChallenge, StatusChange, TermsRow};
use jiebang_db::DbConnection;
use jiebang_domain::challenge::{
    self, Action, ChallengeKind, ChallengeStatus, Mode, Terms, TermsInput,
};
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_notifications::Event;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

// ---------------------------------------------------------------- request bodies

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiInput {
    /// 指标名称
    pub name: String,
    /// 目标值, e.g. "≥1000"
    pub target: String,
    /// 单位, e.g. "Nm³/h"
    #[serde(default)]
    pub unit: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibilityInput {
    pub consortium_required: Option<bool>,
    /// Default 5 (lead + 4).
    pub max_members: Option<i64>,
    /// Percent, 0–100.
    pub min_in_region_percent: Option<i64>,
    pub chief_scientist_required: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// A new challenge. Amounts are integer yuan; deadlines RFC 3339 (any offset; stored in UTC).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChallengeRequest {
    pub title: String,
    /// `tech_breakthrough` (技术攻关类) | `transformation` (成果转化类)
    pub kind: String,
    /// `open` (揭榜挂帅) | `directed` (定向委托)
    pub mode: String,
    /// 产业领域, from the configured list
    pub industry: String,
    /// 产业链
    #[serde(default)]
    pub industry_chain: String,
    /// 主要技术问题 / 研究内容
    pub problem: String,
    /// 考核指标: at least one
    pub kpis: Vec<KpiInput>,
    /// 预期成果
    #[serde(default)]
    pub expected_outcomes: String,
    /// 实施期限, months
    pub duration_months: i64,
    /// 企业出资, yuan
    pub enterprise_funds: i64,
    /// 财政资金, yuan
    pub fiscal_support: i64,
    /// Default 1; more than 1 is 赛马制.
    pub max_winners: Option<i64>,
    #[serde(default)]
    pub eligibility: EligibilityInput,
    /// `publisher` | `bidder` | `shared` | `negotiable`
    pub ip_ownership: String,
    /// 揭榜截止时间
    pub bidding_deadline: DateTime<Utc>,
    /// 答疑截止时间, not after the bidding deadline
    pub questions_deadline: DateTime<Utc>,
    pub contact: ContactInput,
    /// For `directed`: ids of the invited organisations.
    #[serde(default)]
    pub invited_organizations: Vec<String>,
}

/// Changes to a challenge: any field of the create body, plus the `version` last read. While the
/// challenge is `published`, this is an amendment and needs a `reason`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChallengeRequest {
    pub version: i64,
    /// Required for an amendment of a published challenge (修改说明).
    pub reason: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub mode: Option<String>,
    pub industry: Option<String>,
    pub industry_chain: Option<String>,
    pub problem: Option<String>,
    pub kpis: Option<Vec<KpiInput>>,
    pub expected_outcomes: Option<String>,
    pub duration_months: Option<i64>,
    pub enterprise_funds: Option<i64>,
    pub fiscal_support: Option<i64>,
    pub max_winners: Option<i64>,
    pub eligibility: Option<EligibilityInput>,
    pub ip_ownership: Option<String>,
    pub bidding_deadline: Option<DateTime<Utc>>,
    pub questions_deadline: Option<DateTime<Utc>>,
    pub contact: Option<ContactInput>,
    pub invited_organizations: Option<Vec<String>>,
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengePage {
    pub items: Vec<ChallengeView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------- access

/// Loads a challenge (locked for the transaction) and the caller's access; 404 when the caller
/// may not know it.
fn load(conn: &mut DbConnection, id: &str, auth: &Auth) -> ApiResult<(Challenge, Access)> {
    let c = jiebang_db::challenges::find_for_update(conn, id)?.ok_or_else(not_found)?;
    let access = access(conn, &c, Some(auth))?;
    if access == Access::Hidden {
        return Err(not_found().into());
    }
    Ok((c, access))
}

// ---------------------------------------------------------------- create

fn terms_input(b: &CreateChallengeRequest) -> TermsInput {
    TermsInput {
        title: b.title.clone(),
        kind: b.kind.clone(),
        mode: b.mode.clone(),
        industry: b.industry.clone(),
        industry_chain: b.industry_chain.clone(),
        problem: b.problem.clone(),
        kpis: b
            .kpis
            .iter()
            .map(|k| (k.name.clone(), k.target.clone(), k.unit.clone()))
            .collect(),
        expected_outcomes: b.expected_outcomes.clone(),
        duration_months: b.duration_months,
        enterprise_funds: b.enterprise_funds,
        fiscal_support: b.fiscal_support,
        max_winners: b.max_winners.unwrap_or(1),
        consortium_required: b.eligibility.consortium_required.unwrap_or(false),
        max_members: b.eligibility.max_members.unwrap_or(5),
        min_in_region_percent: b.eligibility.min_in_region_percent.unwrap_or(0),
        chief_scientist_required: b.eligibility.chief_scientist_required.unwrap_or(false),
        ip_ownership: b.ip_ownership.clone(),
        bidding_deadline: b.bidding_deadline,
        questions_deadline: b.questions_deadline,
        contact_name: b.contact.name.clone(),
        contact_phone: b.contact.phone.clone(),
        contact_email: b.contact.email.clone(),
        invited_organizations: b.invited_organizations.clone(),
    }
}

/// Checks that invited organisations exist and are not the publisher.
fn check_invited(conn: &mut DbConnection, terms: &Terms, publisher: &str) -> ApiResult<()> {
    for (i, org) in terms.invited_organizations.iter().enumerate() {
        if org == publisher {
            return Err(ApiError::field(
                &format!("invited_organizations[{i}]"),
                FieldCode::IsPublisher,
                "不能邀请本单位 / the publisher cannot invite itself",
            ));
        }
        if jiebang_db::organizations::find(conn, org)?.is_none() {
            return Err(ApiError::field(
                &format!("invited_organizations[{i}]"),
                FieldCode::UnknownOrganization,
                "单位不存在 / no such organisation",
            ));
        }
    }
    Ok(())
}

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim();
            if k.is_empty() || k.len() > 100 {
                Err(ApiError::field(
                    "Idempotency-Key",
                    FieldCode::InvalidValue,
                    "Idempotency-Key 应为 1–100 个字符 / must be 1–100 characters",
                ))
            } else {
                Ok(Some(k.to_owned()))
            }
        }
    }
}

/// Create a draft challenge for the caller's organisation. With an `Idempotency-Key` header a
/// retried request returns the first response instead of creating a duplicate.
#[utoipa::path(post, path = "/api/v1/challenges", tag = "challenges", request_body = CreateChallengeRequest,
    security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe creation")),
    responses((status = 201, body = ChallengeView), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: Json<CreateChallengeRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    create_challenge(&state, auth, audit::request_id(&req), key, body.0).await
}

/// Creates a draft challenge as `POST /challenges` does, idempotently under `key` (the web
/// interface's challenge form sends a key of its own, so a double click creates one draft): the
/// response the API gives, stored under the key when there is one.
pub async fn create_challenge(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    key: Option<String>,
    body: CreateChallengeRequest,
) -> ApiResult<HttpResponse> {
    let org = match (&auth.organization, auth.role.is_organization_user()) {
        (Some(o), true) if jiebang_domain::OrganizationKind::parse(&o.kind).is_some_and(|k| k.may_publish()) => o.clone(),
        _ => {
            return Err(ApiError::with(Code::NotAPublisher,
                "只有企业或其他非政府单位的用户可以发榜 / only users of an enterprise or other non-government organisation publish challenges"))
        }
    };
    let request_hash = hex::encode(Sha256::digest(
        serde_json::to_vec(&body).unwrap_or_default(),
    ));
    let user_id = auth.user.id.clone();
    // a retry is answered from the stored response before anything else is checked again
    if let Some(k) = key.clone() {
        let user = user_id.clone();
        let stored = state
            .read(move |conn| Ok(jiebang_db::idempotency::find(conn, &user, &k)?))
            .await?;
        if let Some(stored) = stored {
            return replay(stored, &request_hash);
        }
    }
    let now = state.now();
    let terms = challenge::validate(&terms_input(&body), &state.rules, now, None)?;
    let actor = Actor::user(&auth, request_id);
    let retry_key = key.clone();
    let (st, caller) = (state.clone(), auth.clone());
    let retry_hash = request_hash.clone();
    let result = state
        .write(move |conn| {
            if let Some(k) = &key {
                if jiebang_db::idempotency::find(conn, &user_id, k)?.is_some() {
                    return Err(idempotency_race());
                }
            }
            check_invited(conn, &terms, &org.id)?;
            let id = jiebang_db::new_id();
            let new = NewChallenge {
                id: id.clone(),
                organization_id: org.id.clone(),
                created_by: user_id.clone(),
                status: ChallengeStatus::Draft.as_str().to_owned(),
                region_code: org.region_code.clone(),
                terms: TermsRow::from_terms(&terms),
                version: 1,
                created_at: now.naive_utc(),
                updated_at: now.naive_utc(),
            };
            jiebang_db::challenges::insert(conn, &new, &terms.invited_organizations)?;
            let c = jiebang_db::challenges::find(conn, &id)?
                .ok_or_else(|| ApiError::internal("lost challenge"))?;
            let mut v = full_view(conn, &c)?;
            audit::record(
                conn,
                &actor,
                now,
                "challenge",
                &id,
                "create",
                None::<&()>,
                Some(&v),
                None,
            )?;
            v.actions = Some(for_challenge(conn, &st.ctx, &c, Some(&caller))?);
            let body = serde_json::to_string(&v).map_err(ApiError::internal)?;
            if let Some(k) = key {
                let stored = jiebang_db::idempotency::StoredResponse {
                    user_id: user_id.clone(),
                    key: k,
                    request_hash,
                    status_code: 201,
                    response_body: body.clone(),
                    created_at: now.naive_utc(),
                };
                jiebang_db::idempotency::insert(conn, &stored).map_err(|e| {
                    if jiebang_db::is_unique_violation(
                        &e,
                        "idempotency_keys_pkey",
                        "idempotency_keys.",
                    ) {
                        idempotency_race()
                    } else {
                        e.into()
                    }
                })?;
            }
            Ok(body)
        })
        .await;
    match result {
        Ok(body) => Ok(HttpResponse::Created()
            .content_type("application/json")
            .insert_header(("Idempotency-Replayed", "false"))
            .body(body)),
        // the same key was used by a request that committed first: answer as a retry would be
        Err(e) if e.code == Code::IdempotencyRace => {
            let (user, k) = (auth.user.id.clone(), retry_key.unwrap_or_default());
            let stored = state
                .read(move |conn| Ok(jiebang_db::idempotency::find(conn, &user, &k)?))
                .await?;
            match stored {
                Some(stored) => replay(stored, &retry_hash),
                None => Err(ApiError::internal("idempotency key vanished")),
            }
        }
        Err(e) => Err(e),
    }
}

/// The view with the caller's `actions`, read after the change committed.
async fn with_actions(
    state: &web::Data<AppState>,
    mut v: ChallengeView,
    auth: &Auth,
) -> ApiResult<ChallengeView> {
    let (st, id, caller) = (state.clone(), v.id.clone(), auth.0.clone());
    let actions = state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            Ok(for_challenge(conn, &st.ctx, &c, Some(&caller))?)
        })
        .await?;
    v.actions = Some(actions);
    Ok(v)
}

fn idempotency_race() -> ApiError {
    ApiError::with(
        Code::IdempotencyRace,
        "同一 Idempotency-Key 的请求正在处理 / a request with this key is being processed",
    )
}

fn replay(
    stored: jiebang_db::idempotency::StoredResponse,
    request_hash: &str,
) -> ApiResult<HttpResponse> {
    if stored.request_hash != request_hash {
        return Err(ApiError::with(Code::IdempotencyKeyReused,
            "该 Idempotency-Key 已用于另一请求 / this Idempotency-Key was used for a different request"));
    }
    // 200 marks a replay; the body is the first response's
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Idempotency-Replayed", "true"))
        .body(stored.response_body))
}

// ---------------------------------------------------------------- read and list

/// A challenge: the full view for its publisher and officials, the public view for others who
/// may see it, 404 otherwise.
#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "challenges",
    responses((status = 200, body = ChallengeView), (status = 404, body = crate::error::Problem)))]
pub async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if auth.0.is_none() {
        // the public view: built once, reused until a write (crate::public_cache)
        let id = id.into_inner();
        return state
            .public
            .json(&req, format!("c/{id}"), || read_view(&state, None, id))
            .await;
    }
    let v = read_view(&state, auth.0, id.into_inner()).await?;
    let etag = v.version.map(|ver| format!("\"{ver}\""));
    let mut resp = HttpResponse::Ok();
    if let Some(e) = etag {
        resp.insert_header((actix_web::http::header::ETAG, e));
    }
    Ok(resp.json(v))
}

/// A challenge as `GET /challenges/{id}` answers it, for whoever may see it (404 otherwise). The
/// anonymous view is kept in the public cache with the row it was drawn from; a signed-in caller
/// who is shown that same view gets it with its own `actions` (`signed_in_public_view`), every
/// other caller's view is read afresh.
pub async fn read_view(
    state: &web::Data<AppState>,
    auth: Option<Auth>,
    id: String,
) -> ApiResult<ChallengeView> {
    match &auth {
        None => return Ok(public_view(state, id).await?.view.clone()),
        Some(a) => {
            if let Some(v) = signed_in_public_view(state, &a.0, &id).await? {
                return Ok(v);
            }
        }
    }
    Ok(read_fresh(state, auth, id).await?.view)
}

/// A challenge's view with the row it was drawn from.
pub struct ViewOfRow {
    pub view: ChallengeView,
    row: Challenge,
}

/// The anonymous view of challenge `id`, kept in the public cache until a write that touches
/// public data (`crate::public_cache`); a 404 is not kept.
async fn public_view(state: &web::Data<AppState>, id: String) -> ApiResult<Arc<ViewOfRow>> {
    state
        .public
        .value(format!("single/{id}"), || read_fresh(state, None, id))
        .await
}

/// A signed-in caller's view of challenge `id` when it is the public one: the kept anonymous view
/// with the caller's own `actions`, decided by the same checks on the kept row (`Facts::in_memory`)
/// with the caller's live bids (`ListReader`, kept too). That is so for a caller who is not staff,
/// on a challenge the public may see, of which the caller's organisation is not the publisher,
/// and which is not directed; `None` (the view is read afresh) otherwise, or where the checks
/// would need more from the database (an evaluation the caller takes part in).
async fn signed_in_public_view(
    state: &web::Data<AppState>,
    caller: &jiebang_application::caller::Caller,
    id: &str,
) -> ApiResult<Option<ChallengeView>> {
    if caller.is_staff() {
        return Ok(None);
    }
    // not public (or gone): it may still be the caller's own or one it is invited to
    let Ok(kept) = public_view(state, id.to_owned()).await else {
        return Ok(None);
    };
    let c = &kept.row;
    let reader = list_reader(state, caller).await?;
    let Some(facts) = Facts::in_memory(&state.ctx, c, Some(caller), &reader) else {
        return Ok(None);
    };
    // the caller's own challenge (or, should the rule ever say so, one it may not see) is read
    // afresh: its view is not the public one
    if facts.access != Access::Public {
        return Ok(None);
    }
    let mut v = kept.view.clone();
    v.actions = Some(challenge_actions::actions(&facts));
    Ok(Some(v))
}

/// What the public reads need of a signed-in caller (`ListReader`), kept in the public cache per
/// organisation it acts for.
async fn list_reader(
    state: &web::Data<AppState>,
    caller: &jiebang_application::caller::Caller,
) -> ApiResult<Arc<ListReader>> {
    let org = caller.viewer().acting_organization().map(str::to_owned);
    let key = format!("reader/{}", org.as_deref().unwrap_or("-"));
    let st = state.clone();
    state
        .public
        .value(key, || async move {
            st.read(move |conn| Ok(ListReader::load(conn, org.as_deref())?))
                .await
        })
        .await
}

/// Challenge `id` for `auth`, read from the database.
async fn read_fresh(
    state: &web::Data<AppState>,
    auth: Option<Auth>,
    id: String,
) -> ApiResult<ViewOfRow> {
    let st = state.clone();
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let mut v = match access(conn, &c, auth.as_ref())? {
                Access::Hidden => return Err(not_found().into()),
                Access::Owner | Access::Staff => full_view(conn, &c)?,
                Access::Public => {
                    let name = publisher_name(conn, &c.organization_id)?;
                    let count = jiebang_db::bids::submitted_count(conn, &c.id)?;
                    let mut v = view(&c, &name, count, false, None);
                    v.winners = winners(conn, &c)?;
                    v
                }
            };
            v.amendments = Some(jiebang_application::challenges::amendments(conn, &c.id)?);
            v.actions = Some(for_challenge(
                conn,
                &st.ctx,
                &c,
                auth.as_ref().map(|a| &a.0),
            )?);
            Ok(ViewOfRow { view: v, row: c })
        })
        .await
}

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `true`: the caller's organisation's own challenges, drafts included.
    pub mine: Option<String>,
    /// A status; `pending_review` is the officials' review queue.
    pub status: Option<String>,
    pub industry: Option<String>,
    pub kind: Option<String>,
    pub mode: Option<String>,
    /// Publisher region: a province (`150000`), prefecture (`150200`) or county code.
    pub region: Option<String>,
    /// Bidding deadline at or after (RFC 3339).
    pub deadline_from: Option<String>,
    /// Bidding deadline at or before (RFC 3339).
    pub deadline_to: Option<String>,
    /// Keywords (Chinese or not): every word must occur in the title, problem, KPIs or outcomes.
    pub q: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The page of a keyword search over the public list, chosen in memory from the index's
/// matches (status, visibility and the list's filters, newest publication first, after the
/// cursor): the database then reads only those few rows.
async fn page_of_matches(
    state: &web::Data<AppState>,
    f: &ListFilter,
    words: &str,
    limit: i64,
) -> ApiResult<Option<Vec<String>>> {
    let invited: std::collections::HashSet<String> = match (&f.viewer_organization, f.all_directed)
    {
        (Some(org), false) => {
            let org = org.clone();
            state
                .read(move |conn| Ok(jiebang_db::challenges::invitations_of(conn, &org)?))
                .await?
                .into_iter()
                .collect()
        }
        _ => Default::default(),
    };
    // the visibility rule itself (the metadata holds published challenges only); staff
    // (`all_directed`) see every one
    let visible = |m: &crate::search::ChallengeMeta, id: &str| {
        let facts = jiebang_domain::visibility::ChallengeFacts {
            publisher: &m.organization_id,
            status: m.status,
            mode: m.mode,
            ever_published: true,
        };
        let viewer =
            f.viewer_organization
                .as_deref()
                .map(|org| jiebang_domain::visibility::Viewer {
                    role: jiebang_domain::Role::OrgMember,
                    organization_id: Some(org),
                });
        jiebang_domain::visibility::visibility::<std::convert::Infallible>(
            &facts,
            viewer.as_ref(),
            |_| Ok(invited.contains(id)),
        )
        .is_ok_and(|v| v != jiebang_domain::visibility::Visibility::Hidden)
    };
    // the matches are borrowed from the index, never scored, newest first and after the
    // cursor: the page is the first of them that pass the filters, and no more are looked at
    let matcher = state
        .search
        .matcher
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let before = f
        .after
        .as_ref()
        .map(|(t, id)| (crate::search::order_key(*t), id.as_str()));
    let Some(found) = matcher.keyword_matches(words, before) else {
        return Ok(None);
    };
    let metas = state
        .search
        .challenges
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let page: Vec<String> = found
        .into_iter()
        .filter(|&id| {
            let Some(m) = metas.get(id) else {
                return false;
            };
            (f.statuses.is_empty() || f.statuses.contains(&m.status))
                && (f.all_directed || visible(m, id))
                && f.industry.as_ref().is_none_or(|v| *v == m.industry)
                && f.kind.is_none_or(|v| v == m.kind)
                && f.mode.is_none_or(|v| v == m.mode)
                && f.region_prefix
                    .as_ref()
                    .is_none_or(|p| m.region_code.starts_with(p.as_str()))
                && f.deadline_from.is_none_or(|t| m.bidding_deadline >= t)
                && f.deadline_to.is_none_or(|t| m.bidding_deadline <= t)
                && f.after
                    .as_ref()
                    .is_none_or(|(t, cid)| (m.published_at, id) < (*t, cid.as_str()))
        })
        // one more than the page tells whether there is a next one
        .take(limit as usize + 1)
        .map(str::to_owned)
        .collect();
    Ok(Some(page))
}

/// The words of `q` to look for as text (lower-cased, split at white space).
fn substrings(words: &str) -> Vec<String> {
    words
        .to_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// A query parameter that names one of an enum's values; 422 `invalid_value` otherwise.
fn parse_choice<T>(
    field: &str,
    v: &Option<String>,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> ApiResult<Option<T>> {
    v.as_deref()
        .map(|s| {
            parse(s).ok_or_else(|| {
                ApiError::field(
                    field,
                    FieldCode::InvalidValue,
                    format!("取值应为 {} 之一 / must be one of them", names()),
                )
            })
        })
        .transpose()
}

fn parse_time(field: &str, v: &Option<String>) -> ApiResult<Option<chrono::NaiveDateTime>> {
    match v {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc).naive_utc()))
            .map_err(|_| {
                ApiError::field(
                    field,
                    FieldCode::InvalidDatetime,
                    "时间格式应为 RFC 3339 / expected an RFC 3339 date-time",
                )
            }),
    }
}

/// Challenges, newest first, with filters, keyword search and cursor pagination. Public by
/// default (published and later states); `mine=true` lists the caller's organisation's own, with
/// the `counts` a publisher watches (an expert's: the challenges it is assigned to); officials may
/// list any status, e.g. `status=pending_review`.
#[utoipa::path(get, path = "/api/v1/challenges", tag = "challenges", params(ListQuery),
    responses((status = 200, body = ChallengePage), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    req: HttpRequest,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    if auth.0.is_none() {
        // the public list and search: built once per query string, reused until a write
        // (crate::public_cache); a refused query is not kept
        let key = format!("l?{}", req.query_string());
        return state
            .public
            .json(&req, key, || list_page(&state, None, query.0))
            .await;
    }
    Ok(HttpResponse::Ok().json(list_page(&state, auth.0, query.0).await?))
}

/// One page of challenges as `GET /challenges` answers it (the web interface's 榜单大厅 and
/// workspaces read the same). The anonymous page is kept in the public cache with the rows it
/// was drawn from; a signed-in caller whose page is that same page gets it with its own
/// `actions`, and a member of an organisation that sees directed challenges its organisation's
/// kept page with its own `actions` (`signed_in_public_page`); staff's, `mine` lists and pages
/// with an evaluation the caller takes part in are read afresh.
pub async fn list_page(
    state: &web::Data<AppState>,
    auth: Option<Auth>,
    q: ListQuery,
) -> ApiResult<ChallengePage> {
    match &auth {
        None => return Ok(public_page(state, q).await?.page.clone()),
        Some(a) => {
            if let Some(page) = signed_in_public_page(state, &a.0, &q).await? {
                return Ok(page);
            }
        }
    }
    Ok(read_page(state, PageReader::Caller(Box::new(auth)), q)
        .await?
        .page)
}

/// A page of challenges with the rows it was drawn from.
pub struct PageOfRows {
    pub page: ChallengePage,
    rows: Vec<Challenge>,
}

/// The anonymous page of `q`, kept in the public cache until a write that touches public data
/// (`crate::public_cache`); a refused query is not kept.
async fn public_page(state: &web::Data<AppState>, q: ListQuery) -> ApiResult<Arc<PageOfRows>> {
    let key = format!("list/{q:?}");
    state
        .public
        .value(key, || {
            read_page(state, PageReader::Caller(Box::new(None)), q)
        })
        .await
}

/// A signed-in caller's page of the public list, drawn from a kept page with the `actions` of
/// this caller. That is so for a caller who is not staff and asks for the public list (not
/// `mine`). The kept page is the anonymous one when the caller acts for no organisation or for one
/// that may see no directed challenge; otherwise it is its organisation's (`organization_page`),
/// which every member of it shares. Both, and the reader's facts (`ListReader`), follow the public
/// change counter, which every write of challenges, bids or invitations moves. The actions come
/// from the same checks on the same rows (`Facts::in_memory`); `None` (the page is read afresh)
/// where they would need more from the database: an evaluation the caller takes part in.
async fn signed_in_public_page(
    state: &web::Data<AppState>,
    caller: &jiebang_application::caller::Caller,
    q: &ListQuery,
) -> ApiResult<Option<ChallengePage>> {
    if caller.is_staff() || !matches!(q.mine.as_deref(), None | Some("false")) {
        return Ok(None);
    }
    let reader = list_reader(state, caller).await?;
    let kept = match caller.viewer().acting_organization() {
        Some(org) if reader.sees_directed => {
            organization_page(state, org.to_owned(), q.clone()).await?
        }
        _ => public_page(state, q.clone()).await?,
    };
    let mut items = Vec::with_capacity(kept.rows.len());
    for (c, v) in kept.rows.iter().zip(&kept.page.items) {
        let Some(facts) = Facts::in_memory(&state.ctx, c, Some(caller), &reader) else {
            return Ok(None);
        };
        // (every challenge on the kept page the caller may see, since the page was read for what
        // its organisation may see; should the rule ever say otherwise, the page is read afresh
        // rather than shown)
        if facts.access == Access::Hidden {
            return Ok(None);
        }
        let mut v = v.clone();
        v.actions = Some(challenge_actions::actions(&facts));
        items.push(v);
    }
    Ok(Some(ChallengePage {
        items,
        next_cursor: kept.page.next_cursor.clone(),
    }))
}

/// The page of the public list `q` as the members of organisation `org` may see it (with the
/// directed challenges it is invited to or publishes), without `actions`: kept in the public cache
/// like the anonymous page, for an organisation that sees a directed challenge.
async fn organization_page(
    state: &web::Data<AppState>,
    org: String,
    q: ListQuery,
) -> ApiResult<Arc<PageOfRows>> {
    let key = format!("org-list/{org}/{q:?}");
    state
        .public
        .value(key, || read_page(state, PageReader::Members(org), q))
        .await
}

/// Whose page [`read_page`] reads.
enum PageReader {
    /// A caller (`None`: anonymous), with the caller's own `actions`.
    Caller(Box<Option<Auth>>),
    /// Any member of an organisation: the public list as the organisation may see it, without
    /// `actions` (each member's are decided on the rows).
    Members(String),
}

/// One page of challenges for `reader`, read from the database.
async fn read_page(
    state: &web::Data<AppState>,
    reader: PageReader,
    q: ListQuery,
) -> ApiResult<PageOfRows> {
    let (auth, members) = match reader {
        PageReader::Caller(auth) => (*auth, None),
        PageReader::Members(org) => (None, Some(org)),
    };
    let with_actions = members.is_none();
    let st = state.clone();
    let limit = match &q.limit {
        None => 20,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::field(
                    "limit",
                    FieldCode::OutOfRange,
                    "limit 应在 1 到 100 之间 / limit must be between 1 and 100",
                ))
            }
        },
    };
    let mine = match q.mine.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        _ => {
            return Err(ApiError::field(
                "mine",
                FieldCode::InvalidValue,
                "mine 应为 true 或 false / mine must be true or false",
            ))
        }
    };
    let status = match &q.status {
        None => None,
        Some(s) => Some(ChallengeStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                "status",
                FieldCode::InvalidValue,
                format!(
                    "状态应为 {} 之一 / status must be one of them",
                    ChallengeStatus::names()
                ),
            )
        })?),
    };
    let is_staff = auth.as_ref().is_some_and(|a| a.is_staff());
    let mut f = ListFilter {
        limit: limit + 1,
        ..Default::default()
    };
    if mine {
        let a = auth.as_ref().ok_or_else(|| {
            ApiError::with(Code::Unauthenticated, "请先登录 / authentication required")
        })?;
        if a.role == jiebang_domain::Role::Expert {
            // an expert's own challenges are the ones it is assigned to evaluate
            f.assigned_expert = Some(a.user.id.clone());
            f.all_directed = true;
        } else {
            let org = a
                .organization_id()
                .filter(|_| a.role.is_organization_user())
                .ok_or_else(|| {
                    ApiError::with(
                        Code::NoOrganization,
                        "您不属于任何单位 / you belong to no organisation",
                    )
                })?;
            f.organization_id = Some(org.to_owned());
        }
        f.by_creation = true;
        f.statuses = status.map(|s| vec![s]).unwrap_or_default();
    } else if is_staff {
        f.all_directed = true;
        // without a status: everything ever published (a challenge is published once, and
        // `published_at` is never cleared), which lets the (published_at, id) index serve the page
        f.statuses = status.map(|s| vec![s]).unwrap_or_default();
        f.public_only = status.is_none();
        f.by_creation = !f.public_only;
    } else {
        match status {
            Some(s) if !ChallengeStatus::PUBLIC.contains(&s) => {
                return Err(ApiError::with(
                    Code::StatusNotPublic,
                    "该状态的榜单不公开 / challenges in this state are not public",
                ))
            }
            Some(s) => f.statuses = vec![s],
            // every public state is a state after publication: `public_only` alone selects them
            None => {}
        }
        f.public_only = true;
        f.viewer_organization = members.or_else(|| {
            auth.as_ref()
                .filter(|a| a.role.is_organization_user())
                .and_then(|a| a.organization_id().map(str::to_owned))
        });
    }
    f.industry = q.industry.clone();
    f.kind = parse_choice("kind", &q.kind, ChallengeKind::parse, ChallengeKind::names)?;
    f.mode = parse_choice("mode", &q.mode, Mode::parse, Mode::names)?;
    if let Some(r) = &q.region {
        let code = jiebang_domain::RegionCode::parse(r)
            .map_err(|e| ApiError::field("region", e.code, e.message))?;
        f.region_prefix = Some(code.as_str().trim_end_matches("00").to_owned());
    }
    f.deadline_from = parse_time("deadline_from", &q.deadline_from)?;
    f.deadline_to = parse_time("deadline_to", &q.deadline_to)?;
    let mut search_words = None;
    if let Some(words) = &q.q {
        let words =
            bounded_text(words, 0, 100).map_err(|e| ApiError::field("q", e.code, e.message))?;
        // the public list searches with the matching index (word segmentation: 制氢 finds
        // 电解水制氢, 苜蓿 does not find 肉牛); other lists, and queries without a searchable word,
        // look for the text itself
        if f.public_only && f.organization_id.is_none() {
            search_words = Some(words);
        } else {
            f.keywords = substrings(&words);
        }
    }
    if let Some(c) = &q.cursor {
        f.after = Some(crate::cursor::decode(c).ok_or_else(|| {
            ApiError::field(
                "cursor",
                FieldCode::InvalidCursor,
                "分页游标无效 / invalid cursor",
            )
        })?);
    }
    if let Some(words) = search_words {
        // every match is considered: the page is chosen from all of them by publication time
        // (a cap by score here once dropped newer matches beyond the cap)
        match page_of_matches(state, &f, &words, limit).await? {
            Some(ids) => f.ids = Some(ids),
            None => f.keywords = substrings(&words),
        }
    }
    let by_creation = f.by_creation;
    let own_organization = f.organization_id.is_some();
    let page = state
        .read(move |conn| {
            let mut rows = jiebang_db::challenges::list(conn, &f)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next = if more {
                rows.last().map(|c| {
                    crate::cursor::encode(
                        if by_creation {
                            c.created_at
                        } else {
                            c.published_at.unwrap_or(c.created_at)
                        },
                        &c.id,
                    )
                })
            } else {
                None
            };
            let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
            let counts = jiebang_db::bids::submitted_counts(conn, &ids)?;
            let mut watched = if own_organization {
                jiebang_db::challenges::watch_counts(conn, &ids)?
            } else {
                Default::default()
            };
            // the publishers' names, one query for the page
            let mut publishers: Vec<&str> =
                rows.iter().map(|c| c.organization_id.as_str()).collect();
            publishers.sort_unstable();
            publishers.dedup();
            let names = jiebang_db::organizations::names(conn, &publishers)?;
            // the caller's live bids are read once for the page, not per challenge
            let caller = auth.as_ref().map(|a| &a.0);
            let live = LiveBids::load(conn, caller)?;
            let mut items = Vec::with_capacity(rows.len());

            for c in &rows {
                let full = mine || is_staff;
                let count = counts.get(&c.id).copied().unwrap_or(0);
                let name = names.get(&c.organization_id).map_or("", String::as_str);
                let mut v = view(c, name, count, full, None);
                v.counts = watched.remove(&c.id).map(Into::into);
                if with_actions {
                    let facts = Facts::with(conn, &st.ctx, c, caller, &live)?;
                    v.actions = Some(challenge_actions::actions(&facts));
                }
                items.push(v);
            }
            Ok(PageOfRows {
                page: ChallengePage {
                    items,
                    next_cursor: next,
                },
                rows,
            })
        })
        .await?;
    Ok(page)
}

// ---------------------------------------------------------------- update / amend

fn expected_version(req: &HttpRequest, body_version: i64) -> ApiResult<i64> {
    if let Some(v) = req.headers().get(actix_web::http::header::IF_MATCH) {
        let tag = v
            .to_str()
            .unwrap_or("")
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"');
        let ver: i64 = tag.parse().map_err(|_| {
            ApiError::field(
                "If-Match",
                FieldCode::InvalidValue,
                "If-Match 应为版本号 ETag / If-Match must be a version ETag",
            )
        })?;
        if ver != body_version {
            return Err(version_conflict());
        }
    }
    Ok(body_version)
}

fn merged_input(c: &Terms, b: &UpdateChallengeRequest) -> TermsInput {
    let mut i = TermsInput::from(c);
    let set = |field: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            field.clone_from(v);
        }
    };
    set(&mut i.title, &b.title);
    set(&mut i.kind, &b.kind);
    set(&mut i.mode, &b.mode);
    set(&mut i.industry, &b.industry);
    set(&mut i.industry_chain, &b.industry_chain);
    set(&mut i.problem, &b.problem);
    set(&mut i.expected_outcomes, &b.expected_outcomes);
    set(&mut i.ip_ownership, &b.ip_ownership);
    if let Some(k) = &b.kpis {
        i.kpis = k
            .iter()
            .map(|k| (k.name.clone(), k.target.clone(), k.unit.clone()))
            .collect();
    }
    i.duration_months = b.duration_months.unwrap_or(i.duration_months);
    i.enterprise_funds = b.enterprise_funds.unwrap_or(i.enterprise_funds);
    i.fiscal_support = b.fiscal_support.unwrap_or(i.fiscal_support);
    i.max_winners = b.max_winners.unwrap_or(i.max_winners);
    if let Some(e) = &b.eligibility {
        i.consortium_required = e.consortium_required.unwrap_or(i.consortium_required);
        i.max_members = e.max_members.unwrap_or(i.max_members);
        i.min_in_region_percent = e.min_in_region_percent.unwrap_or(i.min_in_region_percent);
        i.chief_scientist_required = e
            .chief_scientist_required
            .unwrap_or(i.chief_scientist_required);
    }
    i.bidding_deadline = b.bidding_deadline.unwrap_or(i.bidding_deadline);
    i.questions_deadline = b.questions_deadline.unwrap_or(i.questions_deadline);
    if let Some(ct) = &b.contact {
        i.contact_name.clone_from(&ct.name);
        i.contact_phone.clone_from(&ct.phone);
        i.contact_email.clone_from(&ct.email);
    }
    if let Some(inv) = &b.invited_organizations {
        i.invited_organizations.clone_from(inv);
    }
    i
}

/// Edit a draft, or amend a published challenge (with a `reason`). An amendment of KPIs,
/// eligibility, funding, duration or dates sends submitted bids back to draft and tells their
/// authors. The bidding deadline of a published challenge moves only through `/extend`.
#[utoipa::path(patch, path = "/api/v1/challenges/{id}", tag = "challenges", request_body = UpdateChallengeRequest,
    security(("bearer" = [])),
    responses((status = 200, body = ChallengeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateChallengeRequest>,
) -> ApiResult<HttpResponse> {
    let version = expected_version(&req, body.0.version)?;
    let v = update_challenge(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        version,
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Changes (or, while published, amends) a challenge as `PATCH /challenges/{id}` does, at
/// `version` (the web interface's challenge form calls the same).
pub async fn update_challenge(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    version: i64,
    body: UpdateChallengeRequest,
) -> ApiResult<ChallengeView> {
    let caller = auth.clone();
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    let v = state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(&Facts::load(conn, &st.ctx, &c, Some(&auth))?, ChallengeAction::Edit)?;
            let status = c.status();
            let amending = status == ChallengeStatus::Published;
            if c.version != version {
                return Err(version_conflict());
            }
            let reason = match (&body.reason, amending) {
                (Some(r), true) => Some(bounded_text(r, 2, 500).map_err(|e| ApiError::field("reason", e.code, e.message))?),
                (None, true) => return Err(ApiError::field("reason", FieldCode::Required, "修改已发布的榜单须说明原因 / amending a published challenge needs a reason")),
                (_, false) => None,
            };
            let old = c.terms(jiebang_db::challenges::invitations(conn, &c.id)?);
            if amending {
                if body.bidding_deadline.is_some_and(|d| d != old.bidding_deadline) {
                    return Err(ApiError::field("bidding_deadline", FieldCode::UseExtend, "已发布榜单的截止时间请通过延期操作修改 / use /extend to move the deadline of a published challenge"));
                }
                if body.mode.as_deref().is_some_and(|m| m != old.mode.as_str()) {
                    return Err(ApiError::field("mode", FieldCode::Locked, "已发布榜单不能更改揭榜方式 / the mode of a published challenge cannot change"));
                }
            }
            let new = challenge::validate(&merged_input(&old, &body), &st.rules, now, Some(&old))?;
            check_invited(conn, &new, &c.organization_id)?;
            if !jiebang_db::challenges::update_terms(conn, &c.id, version, &TermsRow::from_terms(&new), now.naive_utc())? {
                return Err(version_conflict());
            }
            if new.invited_organizations != old.invited_organizations {
                jiebang_db::challenges::set_invitations(conn, &c.id, &new.invited_organizations)?;
            }
            let after = jiebang_db::challenges::find(conn, &c.id)?.ok_or_else(|| ApiError::internal("lost challenge"))?;
            let before_view = full_view(conn, &c)?;
            let after_view = full_view(conn, &after)?;
            let material = amending && challenge::is_material_change(&old, &new);
            audit::record(conn, &actor, now, "challenge", &c.id, if amending { "amend" } else { "update" },
                Some(&before_view), Some(&after_view), reason.as_deref())?;
            if amending {
                // the authors of live bids are told; on a material change their submitted bids
                // go back to draft for re-confirmation
                let bidders = bidder_users(conn, &c.id)?;
                if material {
                    reopen_submitted(conn, &after, now, &actor)?;
                }
                let event = Event::ChallengeAmended { challenge_id: c.id.clone(), title: new.title.clone(), reason: reason.unwrap_or_default(), material };
                notify::notify(conn, &st.config.public_url, &bidders, &event, now)?;
            }
            Ok(after_view)
        })
        .await?;
    state
        .search_changed(crate::search::Change::Challenge(v.id.clone()))
        .await;
    with_actions(state, v, &caller).await
}

// ---------------------------------------------------------------- lifecycle actions

/// Submit a draft for review (待审核). The publishing organisation must be verified.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/submit", tag = "challenges", security(("bearer" = [])),
    responses((status = 200, body = ChallengeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = submit_challenge(&state, auth, audit::request_id(&req), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Submits a draft for review as `POST /challenges/{id}/submit` does.
pub async fn submit_challenge(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
) -> ApiResult<ChallengeView> {
    let caller = auth.clone();
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    let v = state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(
                &Facts::load(conn, &st.ctx, &c, Some(&auth))?,
                ChallengeAction::Submit,
            )?;
            let to = challenge::transition(c.status(), Action::Submit).map_err(wrong_state)?;
            // the deadlines must still leave the bidding window
            let terms = c.terms(jiebang_db::challenges::invitations(conn, &c.id)?);
            challenge::validate(&TermsInput::from(&terms), &st.rules, now, None)?;
            let change = StatusChange {
                status: Some(to.as_str().into()),
                submitted_at: Some(now.naive_utc()),
                ..Default::default()
            };
            if !jiebang_db::challenges::change_status(
                conn,
                &c.id,
                &c.status,
                &change,
                now.naive_utc(),
            )? {
                return Err(version_conflict());
            }
            Ok(transitioned(
                conn,
                &st.ctx,
                &actor,
                &c,
                "submit",
                None,
                now,
                |c, publisher| {
                    vec![(
                        None,
                        Event::ChallengeSubmitted {
                            challenge_id: c.id.clone(),
                            title: c.title.clone(),
                            publisher: publisher.to_owned(),
                        },
                    )]
                },
            )?)
        })
        .await?;
    with_actions(state, v, &caller).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `approve` (→ published) or `return` (→ draft, with a comment)
    pub decision: String,
    /// Required when returning; shown to the publisher.
    pub comment: Option<String>,
}

/// Review a pending challenge (officials only): approve publishes it, return sends it back to
/// draft with the comment.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/review", tag = "challenges", request_body = ReviewRequest,
    security(("bearer" = [])),
    responses((status = 200, body = ChallengeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn review(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    let v = review_challenge(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Reviews a pending challenge as `POST /challenges/{id}/review` does (the web interface calls
/// the same).
pub async fn review_challenge(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    body: ReviewRequest,
) -> ApiResult<ChallengeView> {
    let caller = auth.clone();
    let approve = match body.decision.as_str() {
        "approve" => true,
        "return" => false,
        _ => {
            return Err(ApiError::field(
                "decision",
                FieldCode::InvalidValue,
                "decision 应为 approve 或 return / decision must be approve or return",
            ))
        }
    };
    let comment = match &body.comment {
        Some(c) => Some(
            bounded_text(c, 0, 2000).map_err(|e| ApiError::field("comment", e.code, e.message))?,
        )
        .filter(|c| !c.is_empty()),
        None => None,
    };
    if !approve && comment.is_none() {
        return Err(ApiError::field(
            "comment",
            FieldCode::Required,
            "退回时须填写审核意见 / a returned challenge needs a comment",
        ));
    }
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    let v = state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            let action = if approve {
                ChallengeAction::Approve
            } else {
                ChallengeAction::Return
            };
            check(&Facts::load(conn, &st.ctx, &c, Some(&auth))?, action)?;
            let to = challenge::transition(
                c.status(),
                if approve {
                    Action::Approve
                } else {
                    Action::Return
                },
            )
            .map_err(wrong_state)?;
            let mut change = StatusChange {
                status: Some(to.as_str().into()),
                review_comment: Some(comment.clone()),
                ..Default::default()
            };
            if approve {
                change.published_at = Some(now.naive_utc());
            }
            if !jiebang_db::challenges::change_status(
                conn,
                &c.id,
                &c.status,
                &change,
                now.naive_utc(),
            )? {
                return Err(version_conflict());
            }
            let org = c.organization_id.clone();
            let v = transitioned(
                conn,
                &st.ctx,
                &actor,
                &c,
                if approve { "approve" } else { "return" },
                comment.as_deref(),
                now,
                |c, _| {
                    let e = if approve {
                        Event::ChallengePublished {
                            challenge_id: c.id.clone(),
                            title: c.title.clone(),
                            deadline: utc(c.bidding_deadline),
                        }
                    } else {
                        Event::ChallengeReturned {
                            challenge_id: c.id.clone(),
                            title: c.title.clone(),
                            comment: comment.clone().unwrap_or_default(),
                        }
                    };
                    vec![(Some(org), e)]
                },
            )?;
            if approve {
                let published = jiebang_db::challenges::find(conn, &c.id)?.ok_or_else(not_found)?;
                notify::notify_subscribers(conn, &st.config.public_url, &published, now)?;
            }
            Ok(v)
        })
        .await?;
    state
        .search_changed(crate::search::Change::Challenge(v.id.clone()))
        .await;
    with_actions(state, v, &caller).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// 撤销原因
    pub reason: String,
}

/// Cancel a challenge, with a reason: its publisher or an official, in any state before `awarded`.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/cancel", tag = "challenges", request_body = CancelRequest,
    security(("bearer" = [])),
    responses((status = 200, body = ChallengeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<CancelRequest>,
) -> ApiResult<HttpResponse> {
    let v = cancel_challenge(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Cancels a challenge as `POST /challenges/{id}/cancel` does (the web interface calls the same).
pub async fn cancel_challenge(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    body: CancelRequest,
) -> ApiResult<ChallengeView> {
    let caller = auth.clone();
    let reason = bounded_text(&body.reason, 2, 500)
        .map_err(|e| ApiError::field("reason", e.code, e.message))?;
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    let v = state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            check(
                &Facts::load(conn, &st.ctx, &c, Some(&auth))?,
                ChallengeAction::Cancel,
            )?;
            let to = challenge::transition(c.status(), Action::Cancel).map_err(wrong_state)?;
            let change = StatusChange {
                status: Some(to.as_str().into()),
                cancel_reason: Some(reason.clone()),
                ..Default::default()
            };
            if !jiebang_db::challenges::change_status(
                conn,
                &c.id,
                &c.status,
                &change,
                now.naive_utc(),
            )? {
                return Err(version_conflict());
            }
            let bidders = bidder_users(conn, &c.id)?;
            release_live_bids(conn, &st.ctx, &c, now, &actor, true)?;
            let org = c.organization_id.clone();
            let v = transitioned(
                conn,
                &st.ctx,
                &actor,
                &c,
                "cancel",
                Some(&reason),
                now,
                |c, _| {
                    vec![(
                        Some(org),
                        Event::ChallengeCancelled {
                            challenge_id: c.id.clone(),
                            title: c.title.clone(),
                            reason: reason.clone(),
                        },
                    )]
                },
            )?;
            let event = Event::ChallengeCancelled {
                challenge_id: v.id.clone(),
                title: v.title.clone(),
                reason: reason.clone(),
            };
            notify::notify(conn, &st.config.public_url, &bidders, &event, now)?;
            Ok(v)
        })
        .await?;
    state
        .search_changed(crate::search::Change::Challenge(v.id.clone()))
        .await;
    with_actions(state, v, &caller).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// The new bidding deadline: later than the current one.
    pub bidding_deadline: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Move the bidding deadline of a published challenge later (never earlier): its publisher or an official.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/extend", tag = "challenges", request_body = ExtendRequest,
    security(("bearer" = [])),
    responses((status = 200, body = ChallengeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn extend(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ExtendRequest>,
) -> ApiResult<HttpResponse> {
    let v = extend_challenge(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Moves the bidding deadline later as `POST /challenges/{id}/extend` does (the web interface
/// calls the same).
pub async fn extend_challenge(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    mut body: ExtendRequest,
) -> ApiResult<ChallengeView> {
    let caller = auth.clone();
    body.bidding_deadline = challenge::to_second(body.bidding_deadline);
    let reason = match &body.reason {
        Some(r) => Some(
            bounded_text(r, 0, 500).map_err(|e| ApiError::field("reason", e.code, e.message))?,
        ),
        None => None,
    };
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    let v = state
        .write(move |conn| {
            let (c, _) = load(conn, &id, &auth)?;
            // the clock is read under the row lock, as the scheduler reads it
            let facts = Facts::load(conn, &st.ctx, &c, Some(&auth))?;
            check(&facts, ChallengeAction::Extend)?;
            let now = facts.now;
            if body.bidding_deadline <= utc(c.bidding_deadline) {
                return Err(ApiError::field("bidding_deadline", FieldCode::NotLater, "新的截止时间须晚于原截止时间 / the new deadline must be later than the current one"));
            }
            let change = StatusChange { bidding_deadline: Some(body.bidding_deadline.naive_utc()), ..Default::default() };
            if !jiebang_db::challenges::change_status(conn, &c.id, &c.status, &change, now.naive_utc())? {
                return Err(version_conflict());
            }
            let bidders = bidder_users(conn, &c.id)?;
            let v = transitioned(conn, &st.ctx, &actor, &c, "extend", reason.as_deref(), now, |_, _| vec![])?;
            let event = Event::DeadlineExtended { challenge_id: v.id.clone(), title: v.title.clone(), deadline: body.bidding_deadline };
            notify::notify(conn, &st.config.public_url, &bidders, &event, now)?;
            Ok(v)
        })
        .await?;
    state
        .search_changed(crate::search::Change::Challenge(v.id.clone()))
        .await;
    with_actions(state, v, &caller).await
}

/// The audit log of a challenge (its publisher and officials).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/history", tag = "challenges", security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = crate::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history_of(&state, auth, id.into_inner()).await?))
}

/// A challenge's history as `GET /challenges/{id}/history` answers it (its publisher, staff).
pub async fn history_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<HistoryEntry>> {
    let entries = state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            match access(conn, &c, Some(&auth))? {
                Access::Owner | Access::Staff => {
                    Ok(jiebang_db::audit::history(conn, "challenge", &id)?)
                }
                // a caller who may read the challenge is told why, not that it does not exist
                Access::Public => Err(ApiError::with(
                    Code::Forbidden,
                    "榜单的变更记录仅供发榜单位和科技厅查看 / a challenge's history is for its publisher and officials",
                )),
                Access::Hidden => Err(not_found().into()),
            }
        })
        .await?;
    Ok(entries.iter().map(HistoryEntry::from).collect())
}

// ---------------------------------------------------------------- the scheduler's part

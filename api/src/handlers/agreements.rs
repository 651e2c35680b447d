//! Agreements (协议/任务书): reading, changing terms (which clears signatures), signing against the
//! terms hash, registration (备案), milestones, payments, termination and completion — and the
//! challenge's `contracted` / `completed` that follow from them.

use crate::audit::{self, Actor};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::handlers::organizations::version_conflict;
use crate::notify;
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use jiebang_application::agreement_actions::{
    actions, check, check_milestone, milestone_actions, side, wrong_state, AgreementActionName,
    AgreementFacts, MilestoneActionName, Side,
};
use jiebang_db::agreements::{AgreementChange, MilestoneRow, Payment, Signature};
use jiebang_db::evaluation::Agreement;
use jiebang_db::DbConnection;
use jiebang_domain::agreement::{self, AgreedMilestone, AgreementStatus, Terms};
use jiebang_domain::agreement::{MilestoneStatus, PaymentSource};
use jiebang_domain::challenge::{self as challenge_domain};
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{Role, Violations};
use jiebang_notifications::Event;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn not_found() -> ApiError {
    ApiError::not_found("协议 / agreement")
}

fn terms_of(a: &Agreement) -> ApiResult<Terms> {
    serde_json::from_str(&a.terms_json).map_err(ApiError::internal)
}

fn status_of(a: &Agreement) -> AgreementStatus {
    AgreementStatus::parse(&a.status).expect("valid agreement status")
}

/// Loads an agreement (locked) the caller may see.
fn load(conn: &mut DbConnection, id: &str, auth: &Auth) -> ApiResult<(Agreement, Terms, Side)> {
    let a = jiebang_db::agreements::find_for_update(conn, id)?.ok_or_else(not_found)?;
    let terms = terms_of(&a)?;
    let s = side(auth, &terms);
    if s == Side::None {
        return Err(not_found());
    }
    Ok((a, terms, s))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    pub organization_id: String,
    pub user_id: String,
    /// The terms hash the signer saw.
    pub terms_hash: String,
    pub signed_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    pub id: String,
    pub seq: i64,
    pub month: i64,
    pub deliverable: String,
    pub due_at: DateTime<Utc>,
    /// `scheduled` | `reported` | `met` | `not_met`
    pub status: String,
    /// Not met and past its due date.
    pub overdue: bool,
    pub evidence: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// What the caller may do with the milestone now (`report`, `confirm`).
    pub actions: Vec<MilestoneActionName>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub milestone_id: String,
    /// `fiscal` | `enterprise`
    pub source: String,
    pub amount: i64,
    pub paid_at: DateTime<Utc>,
}

/// An agreement. `terms_hash` = SHA-256 (hex) of the canonical JSON of `terms` (docs/api.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub id: String,
    pub challenge_id: String,
    pub bid_id: String,
    /// `drafted` | `partially_signed` | `signed` | `registered` | `completed` | `terminated`
    pub status: String,
    #[schema(value_type = Object)]
    pub terms: serde_json::Value,
    pub terms_hash: String,
    pub signatures: Vec<SignatureView>,
    pub milestones: Vec<MilestoneView>,
    pub payments: Vec<PaymentView>,
    pub paid_fiscal: i64,
    pub paid_enterprise: i64,
    pub signed_at: Option<DateTime<Utc>>,
    pub registered_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// What the caller may do with the agreement now (`edit_terms`, `sign`, `register`,
    /// `pay_fiscal`, `pay_enterprise`, `terminate`, `complete`), from the checks the actions run.
    pub actions: Vec<AgreementActionName>,
}

fn view(
    conn: &mut DbConnection,
    a: &Agreement,
    now: DateTime<Utc>,
    auth: &Auth,
) -> ApiResult<AgreementView> {
    let terms = terms_of(a)?;
    let signatures = jiebang_db::agreements::signatures(conn, &a.id)?;
    let milestones = jiebang_db::agreements::milestones(conn, &a.id)?;
    let facts = AgreementFacts::of(a, &terms, auth, &signatures, &milestones)?;
    let signatures = signatures
        .into_iter()
        .map(|s| SignatureView {
            organization_id: s.organization_id,
            user_id: s.user_id,
            terms_hash: s.terms_hash,
            signed_at: utc(s.signed_at),
        })
        .collect();
    let milestones = milestones
        .into_iter()
        .map(|m| MilestoneView {
            actions: milestone_actions(&facts, m.status()),
            overdue: m.status() != MilestoneStatus::Met && utc(m.due_at) < now,
            id: m.id,
            seq: m.seq,
            month: m.month,
            deliverable: m.deliverable,
            due_at: utc(m.due_at),
            status: m.status,
            evidence: m.evidence,
            reported_at: m.reported_at.map(utc),
            confirmed_at: m.confirmed_at.map(utc),
        })
        .collect();
    let payments: Vec<Payment> = jiebang_db::agreements::payments(conn, &a.id)?;
    let paid = |src: &str| {
        payments
            .iter()
            .filter(|p| p.source == src)
            .map(|p| p.amount)
            .sum()
    };
    Ok(AgreementView {
        id: a.id.clone(),
        challenge_id: a.challenge_id.clone(),
        bid_id: a.bid_id.clone(),
        status: a.status.clone(),
        terms: serde_json::from_str(&a.terms_json).map_err(ApiError::internal)?,
        terms_hash: a.terms_hash.clone(),
        signatures,
        milestones,
        paid_fiscal: paid("fiscal"),
        paid_enterprise: paid("enterprise"),
        payments: payments
            .iter()
            .map(|p| PaymentView {
                id: p.id.clone(),
                milestone_id: p.milestone_id.clone(),
                source: p.source.clone(),
                amount: p.amount,
                paid_at: utc(p.paid_at),
            })
            .collect(),
        signed_at: a.signed_at.map(utc),
        registered_at: a.registered_at.map(utc),
        end_reason: a.end_reason.clone(),
        version: a.version,
        created_at: utc(a.created_at),
        actions: actions(&facts),
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    pub industry: Option<String>,
    /// Publisher region (province or prefecture code).
    pub region: Option<String>,
    /// Signed on or after (RFC 3339).
    pub signed_from: Option<String>,
    pub signed_to: Option<String>,
    /// `true`: only agreements with an overdue milestone (due and not met); `false`: only those
    /// without one. A list shows the overdue ones first by asking for both.
    pub overdue: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementPage {
    pub items: Vec<AgreementView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Agreements, newest first, a page at a time: the parties see theirs, officials and admins
/// all, with filters.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = AgreementPage), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(list_page(&state, auth, query.0).await?))
}

/// A page of agreements as `GET /agreements` answers it (the workspace calls the same).
pub async fn list_page(
    state: &web::Data<AppState>,
    auth: Auth,
    q: ListQuery,
) -> ApiResult<AgreementPage> {
    let time = |field: &str, v: &Option<String>| -> ApiResult<Option<chrono::NaiveDateTime>> {
        v.as_deref()
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc).naive_utc())
                    .map_err(|_| {
                        ApiError::field(
                            field,
                            FieldCode::InvalidDatetime,
                            "时间格式应为 RFC 3339 / expected an RFC 3339 date-time",
                        )
                    })
            })
            .transpose()
    };
    let limit = match q.limit.as_deref() {
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
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(crate::cursor::decode(c).ok_or_else(|| {
            ApiError::field(
                "cursor",
                FieldCode::InvalidCursor,
                "分页游标无效 / invalid cursor",
            )
        })?),
    };
    let now = state.now();
    let overdue = match q.overdue.as_deref() {
        None => None,
        Some("true") => Some((now.naive_utc(), true)),
        Some("false") => Some((now.naive_utc(), false)),
        Some(_) => {
            return Err(ApiError::field(
                "overdue",
                FieldCode::InvalidValue,
                "overdue 应为 true 或 false / overdue is true or false",
            ))
        }
    };
    let mut f = jiebang_db::agreements::Filter {
        overdue,
        status: q.status.clone(),
        industry: q.industry.clone(),
        signed_from: time("signed_from", &q.signed_from)?,
        signed_to: time("signed_to", &q.signed_to)?,
        after,
        limit: limit + 1,
        ..Default::default()
    };
    if let Some(r) = &q.region {
        let code = jiebang_domain::RegionCode::parse(r)
            .map_err(|e| ApiError::field("region", e.code, e.message))?;
        f.region_prefix = Some(code.as_str().trim_end_matches("00").to_owned());
    }
    if !auth.is_staff() {
        let org = auth
            .organization_id()
            .filter(|_| auth.role.is_organization_user())
            .ok_or_else(|| {
                ApiError::with(Code::Forbidden, "无权查看协议 / you see no agreements")
            })?;
        f.party = Some(org.to_owned());
    }
    state
        .read(move |conn| {
            let mut rows = jiebang_db::agreements::list(conn, &f)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = more
                .then(|| {
                    rows.last()
                        .map(|a| crate::cursor::encode(a.created_at, &a.id))
                })
                .flatten();
            let items = rows
                .iter()
                .map(|a| view(conn, a, now, &auth))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(AgreementPage { items, next_cursor })
        })
        .await
}

/// An agreement (its parties, officials, admins).
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, body = AgreementView), (status = 404, body = crate::error::Problem)))]
pub async fn read(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(read_view(&state, auth, id.into_inner()).await?))
}

/// An agreement as `GET /agreements/{id}` answers it, for its parties and staff (404 otherwise).
pub async fn read_view(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<AgreementView> {
    let now = state.now();
    state
        .read(move |conn| {
            let a = jiebang_db::agreements::find(conn, &id)?.ok_or_else(not_found)?;
            if side(&auth, &terms_of(&a)?) == Side::None {
                return Err(not_found());
            }
            view(conn, &a, now, &auth)
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub month: u32,
    pub deliverable: String,
}

/// Changes to the terms while the agreement is not fully signed; every signature is cleared.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTermsRequest {
    pub version: i64,
    pub fiscal_amount: Option<i64>,
    pub enterprise_amount: Option<i64>,
    pub term_months: Option<u32>,
    /// `publisher` | `bidder` | `shared` | `negotiable`
    pub ip_ownership: Option<String>,
    pub milestones: Option<Vec<MilestoneInput>>,
}

/// Change the terms (either party or an official) before both parties signed: the hash changes
/// and every signature is cleared.
#[utoipa::path(patch, path = "/api/v1/agreements/{id}", tag = "agreements", request_body = UpdateTermsRequest, security(("bearer" = [])),
    responses((status = 200, body = AgreementView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateTermsRequest>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let b = body.0;
    let actor = Actor::user(&auth, audit::request_id(&req));
    let st = state.clone();
    let v = state
        .write(move |conn| {
            let (a, mut terms, _) = load(conn, &id, &auth)?;
            check(
                &AgreementFacts::load(conn, &a, &terms, &auth)?,
                AgreementActionName::EditTerms,
            )?;
            let to = agreement::after_terms_change(status_of(&a)).map_err(wrong_state)?;
            if a.version != b.version {
                return Err(version_conflict());
            }
            let mut v = Violations::new();
            let before = terms.clone();
            if let Some(x) = b.fiscal_amount {
                if !(0..=jiebang_domain::challenge::MAX_YUAN).contains(&x) {
                    v.push(
                        "fiscal_amount",
                        FieldCode::OutOfRange,
                        "金额超出范围 / amount out of range",
                    );
                }
                terms.fiscal_amount = x;
            }
            if let Some(x) = b.enterprise_amount {
                if !(0..=jiebang_domain::challenge::MAX_YUAN).contains(&x) {
                    v.push(
                        "enterprise_amount",
                        FieldCode::OutOfRange,
                        "金额超出范围 / amount out of range",
                    );
                }
                terms.enterprise_amount = x;
            }
            if let Some(x) = b.term_months {
                if !(1..=120).contains(&x) {
                    v.push(
                        "term_months",
                        FieldCode::OutOfRange,
                        "期限应为 1–120 个月 / the term is 1–120 months",
                    );
                }
                terms.term_months = x;
            }
            if let Some(x) = &b.ip_ownership {
                if jiebang_domain::challenge::IpOwnership::parse(x).is_none() {
                    v.push(
                        "ip_ownership",
                        FieldCode::InvalidValue,
                        "取值无效 / invalid value",
                    );
                }
                terms.ip_ownership = x.clone();
            }
            if b.milestones.is_none()
                && terms.milestones.iter().any(|m| m.month > terms.term_months)
            {
                v.push(
                    "term_months",
                    FieldCode::MilestonesOutsideTerm,
                    "已有里程碑超出新的期限 / existing milestones fall outside the new term",
                );
            }
            if let Some(ms) = &b.milestones {
                if ms.is_empty() {
                    v.push(
                        "milestones",
                        FieldCode::Required,
                        "至少需要一个里程碑 / at least one milestone",
                    );
                }
                terms.milestones = Vec::new();
                for (i, m) in ms.iter().enumerate() {
                    if m.month == 0 || m.month > terms.term_months {
                        v.push(
                            format!("milestones[{i}].month"),
                            FieldCode::OutOfRange,
                            "里程碑月份超出期限 / the month is outside the term",
                        );
                    }
                    let d = v.take(
                        &format!("milestones[{i}].deliverable"),
                        bounded_text(&m.deliverable, 1, 500),
                    );
                    terms.milestones.push(AgreedMilestone {
                        month: m.month,
                        deliverable: d.unwrap_or_default(),
                    });
                }
                terms.milestones.sort_by_key(|m| m.month);
            }
            v.into_result()?;
            let now = st.now();
            let hash = agreement::terms_hash(&terms);
            let change = AgreementChange {
                status: Some(to.as_str().into()),
                terms_json: Some(serde_json::to_string(&terms).map_err(ApiError::internal)?),
                terms_hash: Some(hash.clone()),
                ..Default::default()
            };
            if !jiebang_db::agreements::change(conn, &a.id, &a.status, &change, now.naive_utc())? {
                return Err(version_conflict());
            }
            let cleared = jiebang_db::agreements::clear_signatures(conn, &a.id)?;
            audit::record(
                conn,
                &actor,
                now,
                "agreement",
                &a.id,
                "change_terms",
                Some(&before),
                Some(&terms),
                Some(&format!("signatures cleared: {cleared}")),
            )?;
            let users = notify::party_users(conn, &terms)?;
            let event = Event::SignatureRequested {
                agreement_id: a.id.clone(),
                title: terms.title.clone(),
                terms_hash: hash,
            };
            notify::notify(conn, &st.config.public_url, &users, &event, now)?;
            let after = jiebang_db::agreements::find(conn, &a.id)?.ok_or_else(not_found)?;
            view(conn, &after, now, &auth)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The `terms_hash` the signer read; a stale one is refused.
    pub terms_hash: String,
    /// For an organisation that registered its own public key (`POST
    /// /organizations/{id}/keys`): its SM2 signature (DER, base64) over the bytes of the canonical
    /// terms (`terms_canonical` of `GET /agreements/{id}/evidence`), made with the distinguishing
    /// ID `1234567812345678`. Left out when the platform keeps the organisation's key: it signs
    /// with it on this confirmation. One that does not verify is 422 `signature_invalid`.
    #[serde(default)]
    pub signature: Option<String>,
}

/// Sign for one's organisation (an `org_admin` of a party), against the terms hash one read.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/sign", tag = "agreements", request_body = SignRequest, security(("bearer" = [])),
    responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn sign(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<SignRequest>,
) -> ApiResult<HttpResponse> {
    let v = sign_agreement(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        &body.0.terms_hash,
        body.0.signature.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Signs for the caller's organisation against the terms hash it read, as
/// `POST /agreements/{id}/sign` does (the web interface's 签署 calls the same).
pub async fn sign_agreement(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    terms_hash: &str,
    signature: Option<&str>,
) -> ApiResult<AgreementView> {
    let seen = terms_hash.trim().to_lowercase();
    let submitted = signature.map(str::to_owned);
    let actor = Actor::user(&auth, request_id);
    // On SQLite the SM2 work comes first, outside the write transaction, which would otherwise
    // hold the single writer through it: the same checks as below, then the signature checked or
    // made, and countersigned. On PostgreSQL, where writers do not wait for each other, it is
    // done inside the transaction: reading everything twice would cost more than it saves.
    let outside = state.db.backend() == jiebang_db::connection::Backend::Sqlite;
    let mut prepared = if outside {
        Some(prepare_signature(state, &auth, &id, &seen, submitted.as_deref()).await?)
    } else {
        None
    };
    if prepared.as_ref().is_some_and(|p| p.0.made_key()) {
        // the organisation's first signature: its kept key is written on its own first, so that
        // concurrent first signatures of one organisation all find the same key
        let (st, org) = (
            state.clone(),
            auth.organization_id().unwrap_or_default().to_owned(),
        );
        state
            .write(move |conn| {
                let owner = jiebang_application::signing::Owner::Organization(&org);
                Ok(jiebang_application::signing::ensure_key(
                    conn,
                    &st.ctx.keys,
                    owner,
                    st.now(),
                )?)
            })
            .await?;
        prepared = Some(prepare_signature(state, &auth, &id, &seen, submitted.as_deref()).await?);
    }
    let st = state.clone();
    state
        .write(move |conn| {
            let (a, terms, _) = load(conn, &id, &auth)?;
            let to = may_sign(conn, &a, &terms, &auth, &seen)?;
            let org = auth.organization_id().unwrap_or_default().to_owned();
            let (prepared, now) = match prepared {
                // made outside: the keys it used must still be the active ones
                Some((p, now)) => {
                    jiebang_application::signing::settle_signature(conn, &p)?;
                    (p, now)
                }
                None => {
                    let now = jiebang_application::signing::micros(st.now());
                    let p = jiebang_application::signing::prepare_signature(
                        conn,
                        &st.ctx.keys,
                        &a.id,
                        &org,
                        &auth.user.id,
                        &terms,
                        submitted.as_deref(),
                        now,
                        true,
                    )?;
                    (p, now)
                }
            };
            let signed = prepared.signed;
            jiebang_db::agreements::add_signature(
                conn,
                &Signature {
                    agreement_id: a.id.clone(),
                    organization_id: org,
                    user_id: auth.user.id.clone(),
                    terms_hash: seen,
                    signed_at: now.naive_utc(),
                    terms_sm3: Some(signed.terms_sm3),
                    key_id: Some(signed.key_id),
                    signature: Some(signed.signature),
                    countersign_statement: Some(signed.countersign_statement),
                    countersign_key_id: Some(signed.countersign_key_id),
                    countersignature: Some(signed.countersignature),
                },
            )?;
            let change = AgreementChange {
                status: Some(to.as_str().into()),
                signed_at: (to == AgreementStatus::Signed).then_some(Some(now.naive_utc())),
                ..Default::default()
            };
            if !jiebang_db::agreements::change(conn, &a.id, &a.status, &change, now.naive_utc())? {
                return Err(version_conflict());
            }
            audit::record(
                conn,
                &actor,
                now,
                "agreement",
                &a.id,
                "sign",
                None::<&()>,
                Some(&to.as_str()),
                None,
            )?;
            if to == AgreementStatus::Signed {
                let users = notify::party_users(conn, &terms)?;
                let event = Event::AgreementSigned {
                    agreement_id: a.id.clone(),
                    title: terms.title.clone(),
                };
                notify::notify(conn, &st.config.public_url, &users, &event, now)?;
            }
            let after = jiebang_db::agreements::find(conn, &a.id)?.ok_or_else(not_found)?;
            view(conn, &after, now, &auth)
        })
        .await
}

/// The checks of signing, run by both passes: the caller may sign now (`check`), the signature
/// moves the agreement on (`after_signature`: the state it goes to), and the terms are the ones
/// the signer read.
fn may_sign(
    conn: &mut DbConnection,
    a: &Agreement,
    terms: &Terms,
    auth: &Auth,
    seen: &str,
) -> ApiResult<AgreementStatus> {
    let facts = AgreementFacts::load(conn, a, terms, auth)?;
    check(&facts, AgreementActionName::Sign)?;
    let to = agreement::after_signature(status_of(a), facts.signatures + 1, terms.signatories())
        .map_err(wrong_state)?;
    if seen != a.terms_hash {
        return Err(ApiError::with(
            Code::TermsHashMismatch,
            "协议条款已变化，请重新核对后签署 / the terms changed since you read them; review them again",
        ));
    }
    Ok(to)
}

/// The read-only half of signing: the sign action's checks, then the SM2 signature checked or
/// made and countersigned (`application::signing::prepare_signature`), with the signature's time.
async fn prepare_signature(
    state: &web::Data<AppState>,
    auth: &Auth,
    id: &str,
    seen: &str,
    submitted: Option<&str>,
) -> ApiResult<(
    jiebang_application::signing::PreparedSignature,
    DateTime<Utc>,
)> {
    let (auth, id, seen, submitted) = (
        auth.clone(),
        id.to_owned(),
        seen.to_owned(),
        submitted.map(str::to_owned),
    );
    let st = state.clone();
    state
        .read(move |conn| {
            let a = jiebang_db::agreements::find(conn, &id)?.ok_or_else(not_found)?;
            let terms = terms_of(&a)?;
            if side(&auth, &terms) == Side::None {
                return Err(not_found());
            }
            may_sign(conn, &a, &terms, &auth, &seen)?;
            let org = auth.organization_id().unwrap_or_default().to_owned();
            let now = jiebang_application::signing::micros(st.now());
            let p = jiebang_application::signing::prepare_signature(
                conn,
                &st.ctx.keys,
                &a.id,
                &org,
                &auth.user.id,
                &terms,
                submitted.as_deref(),
                now,
                false,
            )?;
            Ok((p, now))
        })
        .await
}

/// After an agreement changed: the challenge becomes `contracted` when every agreement that was
/// not terminated is registered, and `completed` when all are completed or terminated.
fn settle_challenge(
    conn: &mut DbConnection,
    challenge_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(c) = jiebang_db::challenges::find_for_update(conn, challenge_id)? else {
        return Ok(());
    };
    let all = jiebang_db::evaluation::agreements_of_challenge(conn, challenge_id)?;
    let statuses: Vec<AgreementStatus> = all.iter().map(status_of).collect();
    let Some(action) = agreement::challenge_follows(c.status(), &statuses) else {
        return Ok(());
    };
    let Ok(to) = challenge_domain::transition(c.status(), action) else {
        return Ok(());
    };
    let change = jiebang_db::challenges::StatusChange {
        status: Some(to.as_str().into()),
        ..Default::default()
    };
    if jiebang_db::challenges::change_status(conn, &c.id, &c.status, &change, now.naive_utc())? {
        audit::record(
            conn,
            actor,
            now,
            "challenge",
            &c.id,
            to.as_str(),
            Some(&c.status),
            Some(&to.as_str()),
            None,
        )?;
    }
    Ok(())
}

/// Register (备案) a signed agreement (officials): its milestones are scheduled from today.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/register", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = register_agreement(&state, auth, audit::request_id(&req), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Registers (备案) an agreement as `POST /agreements/{id}/register` does (the web interface
/// calls the same).
pub async fn register_agreement(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
) -> ApiResult<AgreementView> {
    auth.require(&[Role::Official])?;
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (a, terms, _) = load(conn, &id, &auth)?;
            check(
                &AgreementFacts::load(conn, &a, &terms, &auth)?,
                AgreementActionName::Register,
            )?;
            let to = agreement::register(status_of(&a)).map_err(wrong_state)?;
            let now = jiebang_application::signing::micros(st.now());
            // the official's countersignature of the terms and both parties' signatures
            let r = jiebang_application::signing::countersign_registration(
                conn,
                &st.ctx.keys,
                &a,
                &terms,
                &auth.user.id,
                now,
            )?;
            let change = AgreementChange {
                status: Some(to.as_str().into()),
                registered_at: Some(now.naive_utc()),
                registered_by: Some(auth.user.id.clone()),
                ..r.change()
            };
            if !jiebang_db::agreements::change(conn, &a.id, &a.status, &change, now.naive_utc())? {
                return Err(version_conflict());
            }
            for (i, m) in terms.milestones.iter().enumerate() {
                jiebang_db::agreements::insert_milestone(
                    conn,
                    &MilestoneRow {
                        id: jiebang_db::new_id(),
                        agreement_id: a.id.clone(),
                        seq: i as i64 + 1,
                        month: i64::from(m.month),
                        deliverable: m.deliverable.clone(),
                        due_at: jiebang_domain::agreement::milestone_due(now, m.month).naive_utc(),
                        status: "scheduled".into(),
                        evidence: None,
                        reported_at: None,
                        reported_by: None,
                        confirmed_at: None,
                        confirmed_by: None,
                    },
                )?;
            }
            audit::record(
                conn,
                &actor,
                now,
                "agreement",
                &a.id,
                "register",
                None::<&()>,
                Some(&to.as_str()),
                None,
            )?;
            settle_challenge(conn, &a.challenge_id, &actor, now)?;
            let users = crate::notify::party_users(conn, &terms)?;
            crate::notify::notify(
                conn,
                &st.config.public_url,
                &users,
                &Event::AgreementRegistered {
                    agreement_id: a.id.clone(),
                    title: terms.title.clone(),
                },
                now,
            )?;
            let after = jiebang_db::agreements::find(conn, &a.id)?.ok_or_else(not_found)?;
            view(conn, &after, now, &auth)
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// 证明材料说明
    pub evidence: String,
}

/// The bidder reports a milestone done, with evidence.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/milestones/{mid}/report", tag = "agreements", request_body = ReportRequest,
    security(("bearer" = [])), responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn report(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<ReportRequest>,
) -> ApiResult<HttpResponse> {
    let (id, mid) = path.into_inner();
    let v = report_milestone(
        &state,
        auth,
        audit::request_id(&req),
        id,
        mid,
        &body.0.evidence,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The bidder's report of a milestone, as `POST …/milestones/{mid}/report` does.
pub async fn report_milestone(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    mid: String,
    evidence: &str,
) -> ApiResult<AgreementView> {
    let evidence = bounded_text(evidence, 2, 5000)
        .map_err(|e| ApiError::field("evidence", e.code, e.message))?;
    act(state, auth, request_id, id, move |cx| {
        let facts = AgreementFacts::load(cx.conn, cx.agreement, cx.terms, cx.auth)?;
        let m = jiebang_db::agreements::find_milestone(cx.conn, &cx.agreement.id, &mid)?;
        // who and when first, then which milestone
        check_milestone(
            &facts,
            m.as_ref()
                .map_or(MilestoneStatus::Scheduled, |m| m.status()),
            MilestoneActionName::Report,
        )?;
        let m = m.ok_or_else(|| ApiError::not_found("里程碑 / milestone"))?;
        if !jiebang_db::agreements::report_milestone(
            cx.conn,
            &m.id,
            &evidence,
            &cx.auth.user.id,
            cx.now.naive_utc(),
        )? {
            return Err(ApiError::with(
                Code::MilestoneNotOpen,
                "该里程碑已报告或已确认 / the milestone is already reported or confirmed",
            ));
        }
        cx.audit("milestone_report", Some(&m.id), Some(&evidence))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// `true`: met; `false`: not met (the bidder may report again).
    pub met: bool,
}

/// The publisher confirms a reported milestone met or not met.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/milestones/{mid}/confirm", tag = "agreements", request_body = ConfirmRequest,
    security(("bearer" = [])), responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn confirm(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<ConfirmRequest>,
) -> ApiResult<HttpResponse> {
    let (id, mid) = path.into_inner();
    let v = confirm_milestone(&state, auth, audit::request_id(&req), id, mid, body.0.met).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The publisher's confirmation of a reported milestone, as `POST …/milestones/{mid}/confirm`
/// does.
pub async fn confirm_milestone(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    mid: String,
    met: bool,
) -> ApiResult<AgreementView> {
    act(state, auth, request_id, id, move |cx| {
        let facts = AgreementFacts::load(cx.conn, cx.agreement, cx.terms, cx.auth)?;
        let m = jiebang_db::agreements::find_milestone(cx.conn, &cx.agreement.id, &mid)?;
        check_milestone(
            &facts,
            m.as_ref().map_or(MilestoneStatus::Reported, |m| m.status()),
            MilestoneActionName::Confirm,
        )?;
        let m = m.ok_or_else(|| ApiError::not_found("里程碑 / milestone"))?;
        if !jiebang_db::agreements::confirm_milestone(
            cx.conn,
            &m.id,
            met,
            &cx.auth.user.id,
            cx.now.naive_utc(),
        )? {
            return Err(ApiError::with(
                Code::MilestoneNotReported,
                "该里程碑尚未报告 / the milestone is not reported",
            ));
        }
        cx.audit(
            if met {
                "milestone_met"
            } else {
                "milestone_not_met"
            },
            Some(&m.id),
            None,
        )?;
        let title = cx.terms.title.clone();
        cx.notify(Event::MilestoneConfirmed {
            agreement_id: cx.agreement.id.clone(),
            title,
            deliverable: m.deliverable.clone(),
            met,
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    pub milestone_id: String,
    /// `fiscal` (recorded by an official) or `enterprise` (recorded by the publisher)
    pub source: String,
    /// Yuan, > 0 and at most 100 000 000 000.
    pub amount: i64,
    /// When the money was paid (RFC 3339): not in the future, not before the registration.
    /// Default: now.
    pub paid_at: Option<String>,
}

/// Record a payment tranche against a milestone. The total paid from a source never exceeds the
/// agreed amount.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/payments", tag = "agreements", request_body = PaymentRequest,
    security(("bearer" = [])), responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn pay(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<PaymentRequest>,
) -> ApiResult<HttpResponse> {
    let v = pay_agreement(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Records a payment as `POST /agreements/{id}/payments` does (the web interface calls the same).
pub async fn pay_agreement(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    b: PaymentRequest,
) -> ApiResult<AgreementView> {
    if b.amount <= 0 {
        return Err(ApiError::field(
            "amount",
            FieldCode::OutOfRange,
            "金额须大于 0 / the amount must be positive",
        ));
    }
    // one bound for every amount the platform stores: far above any real agreement, far below
    // where a sum of amounts could overflow
    if b.amount > jiebang_domain::challenge::MAX_YUAN {
        return Err(ApiError::field(
            "amount",
            FieldCode::OutOfRange,
            "金额超出范围 / amount out of range",
        ));
    }
    let paid_at = match &b.paid_at {
        None => None,
        Some(t) => Some(
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::field(
                        "paid_at",
                        FieldCode::InvalidDatetime,
                        "时间格式应为 RFC 3339 / expected an RFC 3339 date-time",
                    )
                })?,
        ),
    };
    act(state, auth, request_id, id, move |cx| {
        let Some(source) = PaymentSource::parse(&b.source) else {
            return Err(ApiError::field("source", FieldCode::InvalidValue, "source 应为 fiscal 或 enterprise / source must be fiscal or enterprise"));
        };
        let action = match source {
            PaymentSource::Fiscal => AgreementActionName::PayFiscal,
            PaymentSource::Enterprise => AgreementActionName::PayEnterprise,
        };
        check(&AgreementFacts::load(cx.conn, cx.agreement, cx.terms, cx.auth)?, action)?;
        let paid_at = paid_at.unwrap_or(cx.now);
        let registered = cx.agreement.registered_at.map(utc);
        if paid_at > cx.now || registered.is_some_and(|r| paid_at < r) {
            return Err(ApiError::field(
                "paid_at",
                FieldCode::OutOfRange,
                "付款时间应在协议备案之后、不晚于现在 / paid_at must lie between the registration and now",
            ));
        }
        jiebang_db::agreements::find_milestone(cx.conn, &cx.agreement.id, &b.milestone_id)?
            .ok_or_else(|| ApiError::field("milestone_id", FieldCode::UnknownMilestone, "没有该里程碑 / no such milestone"))?;
        let agreed = match source {
            PaymentSource::Fiscal => cx.terms.fiscal_amount,
            PaymentSource::Enterprise => cx.terms.enterprise_amount,
        };
        let paid = jiebang_db::agreements::paid(cx.conn, &cx.agreement.id, &b.source)?;
        // checked: an amount near i64::MAX must not wrap round to a small total
        if paid.checked_add(b.amount).is_none_or(|total| total > agreed) {
            return Err(ApiError::with(Code::Overpayment, format!("累计拨付将超过协议金额 {agreed} 元（已拨付 {paid} 元）/ the total paid would exceed the agreed {agreed} yuan")));
        }
        let p = Payment {
            id: jiebang_db::new_id(),
            agreement_id: cx.agreement.id.clone(),
            milestone_id: b.milestone_id.clone(),
            source: b.source.clone(),
            amount: b.amount,
            paid_at: paid_at.naive_utc(),
            recorded_by: cx.auth.user.id.clone(),
            created_at: cx.now.naive_utc(),
        };
        jiebang_db::agreements::insert_payment(cx.conn, &p)?;
        cx.audit("payment", Some(&p), None)?;
        let title = cx.terms.title.clone();
        cx.notify(Event::PaymentRecorded {
            agreement_id: cx.agreement.id.clone(),
            title,
            fiscal: source == PaymentSource::Fiscal,
            amount: p.amount,
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateRequest {
    /// e.g. 赛马淘汰
    pub reason: String,
}

/// Terminate an agreement with a reason (an official, or the publisher).
#[utoipa::path(post, path = "/api/v1/agreements/{id}/terminate", tag = "agreements", request_body = TerminateRequest,
    security(("bearer" = [])), responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn terminate(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<TerminateRequest>,
) -> ApiResult<HttpResponse> {
    let v = end_agreement(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        Some(body.0.reason),
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Complete an agreement once every milestone is met (an official, or the publisher).
#[utoipa::path(post, path = "/api/v1/agreements/{id}/complete", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, body = AgreementView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn complete(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = end_agreement(&state, auth, audit::request_id(&req), id.into_inner(), None).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Terminates an agreement (with a reason) or completes it (without one), as
/// `POST /agreements/{id}/terminate` and `…/complete` do.
pub async fn end_agreement(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    reason: Option<String>,
) -> ApiResult<AgreementView> {
    let reason = reason
        .map(|r| bounded_text(&r, 2, 500).map_err(|e| ApiError::field("reason", e.code, e.message)))
        .transpose()?;
    act(state, auth, request_id, id, move |cx| {
        let facts = AgreementFacts::load(cx.conn, cx.agreement, cx.terms, cx.auth)?;
        let action = if reason.is_some() {
            AgreementActionName::Terminate
        } else {
            AgreementActionName::Complete
        };
        check(&facts, action)?;
        let to = match &reason {
            Some(_) => agreement::terminate(status_of(cx.agreement)),
            None => agreement::complete(status_of(cx.agreement), facts.all_met),
        }
        .map_err(wrong_state)?;
        let change = AgreementChange {
            status: Some(to.as_str().into()),
            end_reason: reason.clone(),
            ended_at: Some(cx.now.naive_utc()),
            ..Default::default()
        };
        if !jiebang_db::agreements::change(
            cx.conn,
            &cx.agreement.id,
            &cx.agreement.status,
            &change,
            cx.now.naive_utc(),
        )? {
            return Err(version_conflict());
        }
        cx.audit(to.as_str(), Some(&to.as_str()), reason.as_deref())?;
        settle_challenge(cx.conn, &cx.agreement.challenge_id, cx.actor, cx.now)?;
        let (agreement_id, title) = (cx.agreement.id.clone(), cx.terms.title.clone());
        cx.notify(match reason {
            Some(reason) => Event::AgreementTerminated {
                agreement_id,
                title,
                reason,
            },
            None => Event::AgreementCompleted {
                agreement_id,
                title,
            },
        })
    })
    .await
}

/// What an agreement action works with, inside its transaction.
struct Cx<'a> {
    conn: &'a mut DbConnection,
    auth: &'a Auth,
    actor: &'a Actor,
    agreement: &'a Agreement,
    terms: &'a Terms,
    now: DateTime<Utc>,
    public_url: &'a str,
}

impl Cx<'_> {
    /// Tells both parties' users, in the action's transaction.
    fn notify(&mut self, event: Event) -> ApiResult<()> {
        let users = crate::notify::party_users(self.conn, self.terms)?;
        Ok(crate::notify::notify(
            self.conn,
            self.public_url,
            &users,
            &event,
            self.now,
        )?)
    }

    fn audit<T: Serialize>(
        &mut self,
        action: &str,
        after: Option<&T>,
        comment: Option<&str>,
    ) -> ApiResult<()> {
        Ok(audit::record(
            self.conn,
            self.actor,
            self.now,
            "agreement",
            &self.agreement.id,
            action,
            None::<&()>,
            after,
            comment,
        )?)
    }
}

/// Runs an action on agreement `id` in one write transaction: loads it (locked) for a caller who
/// may see it, runs `f`, and answers with the agreement as it is afterwards.
async fn act<F>(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    f: F,
) -> ApiResult<AgreementView>
where
    F: FnOnce(&mut Cx<'_>) -> ApiResult<()> + Send + 'static,
{
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let (a, terms, _) = load(conn, &id, &auth)?;
            let now = st.now();
            f(&mut Cx {
                conn,
                auth: &auth,
                actor: &actor,
                agreement: &a,
                terms: &terms,
                now,
                public_url: &st.config.public_url,
            })?;
            let after = jiebang_db::agreements::find(conn, &a.id)?.ok_or_else(not_found)?;
            view(conn, &after, now, &auth)
        })
        .await
}

/// The audit log of an agreement (its parties, officials, admins).
#[utoipa::path(get, path = "/api/v1/agreements/{id}/history", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::views::HistoryEntry>), (status = 404, body = crate::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history_of(&state, auth, id.into_inner()).await?))
}

/// An agreement's history as `GET /agreements/{id}/history` answers it (its parties, staff).
pub async fn history_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<crate::views::HistoryEntry>> {
    let entries = state
        .read(move |conn| {
            let a = jiebang_db::agreements::find(conn, &id)?.ok_or_else(not_found)?;
            if side(&auth, &terms_of(&a)?) == Side::None {
                return Err(not_found());
            }
            Ok(jiebang_db::audit::history(conn, "agreement", &id)?)
        })
        .await?;
    Ok(entries
        .iter()
        .map(crate::views::HistoryEntry::from)
        .collect())
}

/// The agreement's evidence (协议存证): the canonical terms, their SHA-256 and SM3, every party's
/// SM2 signature with its public key and the platform's countersignature, and the official's
/// countersignature once registered — a self-contained document that `jiebang verify` or the
/// stock `openssl` checks without this service (docs/security.md). For its parties and staff.
#[utoipa::path(get, path = "/api/v1/agreements/{id}/evidence", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, description = "the evidence document (format jiebang.agreement-evidence.v1)", body = Object), (status = 404, body = crate::error::Problem)))]
pub async fn evidence(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let doc = evidence_doc(&state, auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!(
                "inline; filename=\"agreement-{}-evidence.json\"",
                doc.agreement_id
            ),
        ))
        .json(doc))
}

/// The evidence document as `GET /agreements/{id}/evidence` answers it (the web page's download
/// calls the same): its parties and staff, 404 for anyone else.
pub async fn evidence_doc(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<jiebang_domain::evidence::Evidence> {
    state
        .read(move |conn| {
            let a = jiebang_db::agreements::find(conn, &id)?.ok_or_else(not_found)?;
            if side(&auth, &terms_of(&a)?) == Side::None {
                return Err(not_found());
            }
            Ok(jiebang_application::signing::evidence_of(conn, &a)?)
        })
        .await
}

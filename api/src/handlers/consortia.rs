//! Innovation consortia (创新联合体): a lead enterprise drafts one with its members; filing (备案) is
//! accepted at once with a registration number, unique and gap-free per year; an official may
//! revoke it with a reason. Bids may reference a filed consortium.

use crate::audit::{self, Actor};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::notify;
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Utc};
use jiebang_application::consortium_actions::{
    actions, check, may_lead, visible, ConsortiumActionName,
};
use jiebang_db::consortia::{Consortium, ConsortiumChange};
use jiebang_db::DbConnection;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{FieldError, Role, Violations};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn not_found() -> ApiError {
    ApiError::not_found("创新联合体 / consortium")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsortiumRequest {
    pub name: String,
    /// 产业方向
    pub industry_direction: String,
    /// Member organisations other than the lead (registered on the platform).
    pub members: Vec<String>,
    /// Innovation platforms of the consortium: national, provincial, regional (counts).
    #[serde(default)]
    pub national_platforms: i64,
    #[serde(default)]
    pub provincial_platforms: i64,
    #[serde(default)]
    pub regional_platforms: i64,
    /// 合作机制 (free text)
    #[serde(default)]
    pub mechanisms: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub organization_id: String,
    pub name: String,
    /// The organisation's kind.
    pub kind: String,
    pub region_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsortiumView {
    pub id: String,
    /// `draft` | `filed` | `revoked`
    pub status: String,
    pub name: String,
    pub lead_organization_id: String,
    pub lead_organization_name: String,
    pub industry_direction: String,
    pub members: Vec<MemberView>,
    pub national_platforms: i64,
    pub provincial_platforms: i64,
    pub regional_platforms: i64,
    pub mechanisms: String,
    /// 备案编号, e.g. `NMCX-2026-0001`
    pub registration_no: Option<String>,
    pub filed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What the caller may do with the consortium now (`file`, `revoke`). On every view the API
    /// returns; absent only from audit entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<ConsortiumActionName>>,
}

fn view(conn: &mut DbConnection, c: &Consortium) -> ApiResult<ConsortiumView> {
    let mut members = Vec::new();
    for id in jiebang_db::consortia::members(conn, &c.id)? {
        if let Some(o) = jiebang_db::organizations::find(conn, &id)? {
            members.push(MemberView {
                organization_id: o.id,
                name: o.name,
                kind: o.kind,
                region_code: o.region_code,
            });
        }
    }
    let lead = jiebang_db::organizations::find(conn, &c.lead_organization_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(ConsortiumView {
        id: c.id.clone(),
        status: c.status.clone(),
        name: c.name.clone(),
        lead_organization_id: c.lead_organization_id.clone(),
        lead_organization_name: lead,
        industry_direction: c.industry_direction.clone(),
        members,
        national_platforms: c.national_platforms,
        provincial_platforms: c.provincial_platforms,
        regional_platforms: c.regional_platforms,
        mechanisms: c.mechanisms.clone(),
        registration_no: c.registration_no.clone(),
        filed_at: c.filed_at.map(utc),
        revoked_at: c.revoked_at.map(utc),
        revoke_reason: c.revoke_reason.clone(),
        created_at: utc(c.created_at),
        actions: None,
    })
}

/// Draft a consortium led by the caller's (enterprise) organisation.
#[utoipa::path(post, path = "/api/v1/consortia", tag = "consortia", request_body = ConsortiumRequest, security(("bearer" = [])),
    responses((status = 201, body = ConsortiumView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: Json<ConsortiumRequest>,
) -> ApiResult<HttpResponse> {
    let v = create_consortium(&state, auth, audit::request_id(&req), body.0).await?;
    Ok(HttpResponse::Created().json(v))
}

/// Drafts a consortium as `POST /consortia` does (the web interface's form calls the same).
pub async fn create_consortium(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    b: ConsortiumRequest,
) -> ApiResult<ConsortiumView> {
    let org = may_lead(&auth)?.clone();
    let mut v = Violations::new();
    let name = v.take("name", bounded_text(&b.name, 2, 100));
    let direction = v.take(
        "industry_direction",
        bounded_text(&b.industry_direction, 1, 100),
    );
    let mechanisms = v.take("mechanisms", bounded_text(&b.mechanisms, 0, 5000));
    for (field, n) in [
        ("national_platforms", b.national_platforms),
        ("provincial_platforms", b.provincial_platforms),
        ("regional_platforms", b.regional_platforms),
    ] {
        if !(0..=10_000).contains(&n) {
            v.push(
                field,
                FieldCode::OutOfRange,
                "平台数量应在 0 到 10000 之间 / a count is 0–10000",
            );
        }
    }
    let mut members: Vec<String> = b.members.iter().map(|m| m.trim().to_owned()).collect();
    if members.is_empty() {
        v.push("members", FieldCode::Required, "创新联合体至少需要一个成员单位 / a consortium has at least one member besides its lead");
    }
    if members.len() > 300 {
        v.push("members", FieldCode::TooMany, "成员过多 / too many members");
    }
    let actor = Actor::user(&auth, request_id);
    let now = state.now();
    let user = auth.user.id.clone();
    state
        .write(move |conn| {
            for (i, m) in members.iter().enumerate() {
                if *m == org.id {
                    v.0.push(FieldError::new(
                        format!("members[{i}]"),
                        FieldCode::IsLead,
                        "牵头单位不必列为成员 / the lead is not listed as a member",
                    ));
                } else if jiebang_db::organizations::find(conn, m)?.is_none() {
                    v.0.push(FieldError::new(
                        format!("members[{i}]"),
                        FieldCode::UnknownOrganization,
                        "单位不存在 / no such organisation",
                    ));
                }
            }
            v.into_result()?;
            members.sort();
            members.dedup();
            let row = Consortium {
                id: jiebang_db::new_id(),
                lead_organization_id: org.id.clone(),
                created_by: user,
                name: name.unwrap_or_default(),
                industry_direction: direction.unwrap_or_default(),
                national_platforms: b.national_platforms,
                provincial_platforms: b.provincial_platforms,
                regional_platforms: b.regional_platforms,
                mechanisms: mechanisms.unwrap_or_default(),
                status: "draft".into(),
                registration_no: None,
                filed_at: None,
                revoked_at: None,
                revoke_reason: None,
                version: 1,
                created_at: now.naive_utc(),
                updated_at: now.naive_utc(),
            };
            jiebang_db::consortia::insert(conn, &row, &members)?;
            let v = view(conn, &row)?;
            audit::record(
                conn,
                &actor,
                now,
                "consortium",
                &row.id,
                "create",
                None::<&()>,
                Some(&v),
                None,
            )?;
            let mut v = v;
            v.actions = Some(actions(&row, Some(&auth)));
            Ok(v)
        })
        .await
}

/// A consortium: filed ones are public; drafts and revoked ones for the lead and staff.
#[utoipa::path(get, path = "/api/v1/consortia/{id}", tag = "consortia",
    responses((status = 200, body = ConsortiumView), (status = 404, body = crate::error::Problem)))]
pub async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = read_view(&state, auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A consortium as `GET /consortia/{id}` answers it, for whoever may see it.
pub async fn read_view(
    state: &web::Data<AppState>,
    auth: MaybeAuth,
    id: String,
) -> ApiResult<ConsortiumView> {
    state
        .read(move |conn| {
            let c = jiebang_db::consortia::find(conn, &id)?.ok_or_else(not_found)?;
            if !visible(&c, auth.0.as_ref().map(|a| &a.0)) {
                return Err(not_found());
            }
            let mut v = view(conn, &c)?;
            v.actions = Some(actions(&c, auth.0.as_ref().map(|a| &a.0)));
            Ok(v)
        })
        .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `true`: the caller's organisation's consortia in any state.
    pub mine: Option<String>,
}

/// Filed consortia (public), or with `mine=true` the caller's own.
#[utoipa::path(get, path = "/api/v1/consortia", tag = "consortia", params(ListQuery),
    responses((status = 200, body = Vec<ConsortiumView>)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let lead = match query.0.mine.as_deref() {
        Some("true") => Some(
            auth.0
                .as_ref()
                .and_then(|a| {
                    a.organization_id()
                        .filter(|_| a.role.is_organization_user())
                        .map(str::to_owned)
                })
                .ok_or_else(|| match &auth.0 {
                    Some(_) => ApiError::with(
                        Code::NoOrganization,
                        "您不属于任何单位 / you belong to no organisation",
                    ),
                    None => {
                        ApiError::with(Code::Unauthenticated, "请先登录 / authentication required")
                    }
                })?,
        ),
        None | Some("false") => None,
        _ => {
            return Err(ApiError::field(
                "mine",
                FieldCode::InvalidValue,
                "mine 应为 true 或 false / mine must be true or false",
            ))
        }
    };
    Ok(HttpResponse::Ok().json(list_of(&state, auth, lead).await?))
}

/// Filed consortia, or those led by organisation `lead` in any state (the caller's own), as
/// `GET /consortia` answers.
pub async fn list_of(
    state: &web::Data<AppState>,
    auth: MaybeAuth,
    lead: Option<String>,
) -> ApiResult<Vec<ConsortiumView>> {
    state
        .read(move |conn| {
            let rows = jiebang_db::consortia::list(conn, lead.as_deref())?;
            rows.iter()
                .map(|c| {
                    let mut v = view(conn, c)?;
                    v.actions = Some(actions(c, auth.0.as_ref().map(|a| &a.0)));
                    Ok(v)
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await
}

/// File (备案) a drafted consortium (its lead organisation): accepted at once with the next
/// registration number of the year.
#[utoipa::path(post, path = "/api/v1/consortia/{id}/file", tag = "consortia", security(("bearer" = [])),
    responses((status = 200, body = ConsortiumView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn file(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = file_consortium(&state, auth, audit::request_id(&req), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Files a drafted consortium as `POST /consortia/{id}/file` does.
pub async fn file_consortium(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
) -> ApiResult<ConsortiumView> {
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let c = jiebang_db::consortia::find(conn, &id)?.ok_or_else(not_found)?;
            check(&c, &auth, ConsortiumActionName::File)?;
            let now = st.now();
            let year = i64::from(
                now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .year(),
            );
            let n = jiebang_db::consortia::next_number(conn, year)?;
            let number = format!("NMCX-{year}-{n:04}");
            let change = ConsortiumChange {
                status: Some("filed".into()),
                registration_no: Some(number.clone()),
                filed_at: Some(now.naive_utc()),
                ..Default::default()
            };
            if !jiebang_db::consortia::change(conn, &c.id, "draft", &change, now.naive_utc())? {
                return Err(crate::handlers::organizations::version_conflict());
            }
            audit::record(
                conn,
                &actor,
                now,
                "consortium",
                &c.id,
                "file",
                None::<&()>,
                Some(&number),
                None,
            )?;
            let users = notify::organization_users(conn, &c.lead_organization_id)?;
            let event = jiebang_notifications::Event::ConsortiumFiled {
                consortium_id: c.id.clone(),
                name: c.name.clone(),
                registration_no: number,
            };
            notify::notify(conn, &st.config.public_url, &users, &event, now)?;
            let after = jiebang_db::consortia::find(conn, &c.id)?.ok_or_else(not_found)?;
            let mut v = view(conn, &after)?;
            v.actions = Some(actions(&after, Some(&auth)));
            Ok(v)
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub reason: String,
}

/// Revoke a filed consortium (officials), with a reason.
#[utoipa::path(post, path = "/api/v1/consortia/{id}/revoke", tag = "consortia", request_body = RevokeRequest, security(("bearer" = [])),
    responses((status = 200, body = ConsortiumView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn revoke(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<RevokeRequest>,
) -> ApiResult<HttpResponse> {
    let v = revoke_consortium(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Revokes a filed consortium as `POST /consortia/{id}/revoke` does (the web interface calls the
/// same).
pub async fn revoke_consortium(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    body: RevokeRequest,
) -> ApiResult<ConsortiumView> {
    auth.require(&[Role::Official])?;
    let reason = bounded_text(&body.reason, 2, 500)
        .map_err(|e| ApiError::field("reason", e.code, e.message))?;
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let c = jiebang_db::consortia::find(conn, &id)?.ok_or_else(not_found)?;
            check(&c, &auth, ConsortiumActionName::Revoke)?;
            let now = st.now();
            let change = ConsortiumChange {
                status: Some("revoked".into()),
                revoked_at: Some(now.naive_utc()),
                revoke_reason: Some(reason.clone()),
                ..Default::default()
            };
            if !jiebang_db::consortia::change(conn, &c.id, "filed", &change, now.naive_utc())? {
                return Err(ApiError::with(
                    Code::ConsortiumNotFiled,
                    "只有已备案的联合体可以撤销 / only a filed consortium is revoked",
                ));
            }
            audit::record(
                conn,
                &actor,
                now,
                "consortium",
                &c.id,
                "revoke",
                None::<&()>,
                None::<&()>,
                Some(&reason),
            )?;
            let after = jiebang_db::consortia::find(conn, &c.id)?.ok_or_else(not_found)?;
            let mut v = view(conn, &after)?;
            v.actions = Some(actions(&after, Some(&auth)));
            Ok(v)
        })
        .await
}

/// A consortium's history (its audit entries), for whoever may read it (a draft: its lead's
/// users and the staff; a filed or revoked one: anyone signed in).
#[utoipa::path(get, path = "/api/v1/consortia/{id}/history", tag = "consortia", security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::views::HistoryEntry>), (status = 404, body = crate::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history_of(&state, auth, id.into_inner()).await?))
}

/// A consortium's history as `GET /consortia/{id}/history` answers it.
pub async fn history_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<crate::views::HistoryEntry>> {
    let entries = state
        .read(move |conn| {
            let c = jiebang_db::consortia::find(conn, &id)?.ok_or_else(not_found)?;
            if !visible(&c, Some(&auth.0)) {
                return Err(not_found());
            }
            Ok(jiebang_db::audit::history(conn, "consortium", &c.id)?)
        })
        .await?;
    Ok(entries
        .iter()
        .map(crate::views::HistoryEntry::from)
        .collect())
}

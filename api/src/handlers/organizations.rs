//! `/organizations`: the directory; `/organizations/{id}`: read and update, verify (admins,
//! officials), members, history.

use crate::accounts::{self, NewAccount};
use crate::audit::{self, Actor};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::state::AppState;
use crate::views::{HistoryEntry, OrganizationView, UserView};
use actix_web::{web, HttpRequest, HttpResponse};
use jiebang_application::organization_actions::{
    check, is_insider, view as org_view, visible, OrganizationActionName,
};
use jiebang_db::organizations::OrganizationChanges;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{Role, Violations};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DirectoryQuery {
    /// `verified` | `unverified` (officials and admins only; others see verified organisations).
    pub status: Option<String>,
    /// `enterprise` | `university` | `institute` | `government` | `other`
    pub kind: Option<String>,
    /// A region code (GB/T 2260): a province's or a prefecture's code matches every region inside
    /// it (`150000` is all of Inner Mongolia, `150200` all of 包头市).
    pub region: Option<String>,
    /// Words that must all occur in the name, or an exact 统一社会信用代码.
    pub q: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// One organisation in the directory: its public fields and what it says it can do.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryEntry {
    #[serde(flatten)]
    pub organization: OrganizationView,
    /// From its capability profile (能力画像); empty when it has none.
    pub industries: Vec<String>,
    pub keywords: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryPage {
    pub items: Vec<DirectoryEntry>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The directory of organisations (单位名录), in registration order — oldest first, the order an
/// official works through the verification queue. Anyone sees verified organisations; officials
/// and admins see every one and may filter by `status`.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(DirectoryQuery),
    responses((status = 200, body = DirectoryPage), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    query: Query<DirectoryQuery>,
) -> ApiResult<HttpResponse> {
    let page = directory_page(&state, auth.0.map(|a| a.0), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One page of the directory as `GET /organizations` answers it (the web interface's 机构名录
/// reads the same).
pub async fn directory_page(
    state: &web::Data<AppState>,
    caller: Option<jiebang_application::Caller>,
    q: DirectoryQuery,
) -> ApiResult<DirectoryPage> {
    let staff = caller.as_ref().is_some_and(|c| c.is_staff());
    let mut v = Violations::new();
    let limit = match q.limit.as_deref() {
        None => 20,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                v.push(
                    "limit",
                    FieldCode::OutOfRange,
                    "limit 应在 1 到 100 之间 / limit must be between 1 and 100",
                );
                0
            }
        },
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => {
            match jiebang_domain::OrganizationStatus::parse(s) {
                Some(st) => Some(st),
                None => {
                    v.push("status", FieldCode::InvalidValue, "status 应为 verified 或 unverified / status must be verified or unverified");
                    None
                }
            }
        }
    };
    let kind = q.kind.as_deref().and_then(|k| {
        let parsed = jiebang_domain::OrganizationKind::parse(k);
        if parsed.is_none() {
            v.push("kind", FieldCode::InvalidValue, "kind 应为 enterprise、university、institute、government 或 other / unknown organisation kind");
        }
        parsed
    });
    let region_prefix = q
        .region
        .as_deref()
        .and_then(|r| v.take("region", jiebang_domain::RegionCode::parse(r)))
        .map(|r| r.as_str().trim_end_matches("00").to_owned());
    let after = q.cursor.as_deref().and_then(|c| {
        let decoded = crate::cursor::decode(c);
        if decoded.is_none() {
            v.push(
                "cursor",
                FieldCode::InvalidCursor,
                "分页游标无效 / invalid cursor",
            );
        }
        decoded
    });
    v.into_result()?;
    let status = match (staff, status) {
        (true, s) => s.map(|s| s.as_str().to_owned()),
        (false, None | Some(jiebang_domain::OrganizationStatus::Verified)) => Some("verified".to_owned()),
        (false, Some(_)) => {
            return Err(ApiError::with(
                Code::Forbidden,
                "只有科技厅和管理员可以查看未认证单位 / only officials and admins list unverified organisations",
            ))
        }
    };
    let filter = jiebang_db::organizations::OrgFilter {
        status,
        kind: kind.map(|k| k.as_str().to_owned()),
        region_prefix,
        q: q.q.filter(|t| !t.trim().is_empty()),
        after,
        limit: limit + 1,
    };
    state
        .read(move |conn| {
            let mut rows = jiebang_db::organizations::list(conn, &filter)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = more
                .then(|| {
                    rows.last()
                        .map(|o| crate::cursor::encode(o.created_at, &o.id))
                })
                .flatten();
            let mut items = Vec::with_capacity(rows.len());
            for o in &rows {
                let profile = jiebang_db::profiles::find(conn, &o.id)?;
                items.push(DirectoryEntry {
                    organization: org_view(o, caller.as_ref()),
                    industries: profile.as_ref().map(|p| p.industries()).unwrap_or_default(),
                    keywords: profile.as_ref().map(|p| p.keywords()).unwrap_or_default(),
                });
            }
            Ok(DirectoryPage { items, next_cursor })
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// Why (e.g. 统一社会信用代码与营业执照不符): the organisation is told.
    pub reason: String,
}

/// Return an organisation's registration with a reason (退回; officials and admins): it stays
/// unverified, its users are told why, and its admin's next edit puts it back in the queue.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/return", tag = "organizations", request_body = ReturnRequest,
    security(("bearer" = [])),
    responses((status = 200, body = OrganizationView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn return_registration(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ReturnRequest>,
) -> ApiResult<HttpResponse> {
    let v = return_organization(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Returns a registration as `POST /organizations/{id}/return` does (the web interface calls the
/// same).
pub async fn return_organization(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    body: ReturnRequest,
) -> ApiResult<OrganizationView> {
    auth.require(&[Role::Admin, Role::Official])?;
    let reason = bounded_text(&body.reason, 2, 500)
        .map_err(|e| ApiError::field("reason", e.code, e.message))?;
    let caller = auth.0.clone();
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let public_url = state.config.public_url.clone();
    let org = state
        .write(move |conn| {
            let before = jiebang_db::organizations::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("单位 / organization"))?;
            check(Some(&before), &id, &auth, OrganizationActionName::Return)?;
            if !jiebang_db::organizations::return_registration(conn, &id, &reason, now.naive_utc())?
            {
                return Err(ApiError::with(
                    Code::AlreadyVerified,
                    "该单位已认证 / the organisation is already verified",
                ));
            }
            let after = jiebang_db::organizations::find(conn, &id)?
                .ok_or_else(|| ApiError::internal("lost org"))?;
            audit::record(
                conn,
                &actor,
                now,
                "organization",
                &id,
                "return",
                Some(&OrganizationView::from(&before)),
                Some(&OrganizationView::from(&after)),
                Some(&reason),
            )?;
            let users = crate::notify::organization_users(conn, &id)?;
            crate::notify::notify(
                conn,
                &public_url,
                &users,
                &jiebang_notifications::Event::OrganizationReturned {
                    organization_id: id.clone(),
                    name: after.name.clone(),
                    reason: reason.clone(),
                },
                now,
            )?;
            Ok(after)
        })
        .await?;
    Ok(org_view(&org, Some(&caller)))
}

/// An organisation. Verified organisations are public; an unverified one is visible to its own
/// users, officials and admins only.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    responses((status = 200, body = OrganizationView), (status = 404, body = crate::error::Problem)))]
pub async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = read_view(&state, auth.0.map(|a| a.0), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// An organisation as `GET /organizations/{id}` answers it, for whoever may see it.
pub async fn read_view(
    state: &web::Data<AppState>,
    caller: Option<jiebang_application::Caller>,
    id: String,
) -> ApiResult<OrganizationView> {
    let org = state
        .read(move |conn| Ok(jiebang_db::organizations::find(conn, &id)?))
        .await?;
    match org {
        Some(o) if visible(&o, caller.as_ref()) => Ok(org_view(&o, caller.as_ref())),
        _ => Err(ApiError::not_found("单位 / organization")),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    /// The `version` last read; a stale one is 409 `version_conflict`.
    pub version: i64,
    pub description: Option<String>,
    pub website: Option<String>,
    /// Changing the name or region of a verified organisation is reserved to admins.
    pub name: Option<String>,
    pub region_code: Option<String>,
}

/// Update an organisation (its admin; platform admins).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", request_body = UpdateOrganizationRequest,
    security(("bearer" = [])),
    responses((status = 200, body = OrganizationView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let body = body.0;
    // who may edit is decided before the body is checked
    check(None, &id, &auth, OrganizationActionName::Edit)?;
    let caller = auth.0.clone();
    let mut v = Violations::new();
    let description = body
        .description
        .as_deref()
        .and_then(|d| v.take("description", bounded_text(d, 0, 2000)));
    let website = body
        .website
        .as_deref()
        .and_then(|w| v.take("website", parse_website(w)));
    let name = body
        .name
        .as_deref()
        .and_then(|n| v.take("name", bounded_text(n, 2, 100)));
    let region = body
        .region_code
        .as_deref()
        .and_then(|r| v.take("region_code", jiebang_domain::RegionCode::parse(r)))
        .map(|r| r.as_str().to_owned());
    v.into_result()?;
    let now = state.now();
    let actor = Actor::user(&auth, audit::request_id(&req));
    let is_admin = auth.role == Role::Admin;
    let org = state
        .write(move |conn| {
            let before = jiebang_db::organizations::find(conn, &id)?.ok_or_else(|| ApiError::not_found("单位 / organization"))?;
            if (name.is_some() || region.is_some()) && before.is_verified() && !is_admin {
                return Err(ApiError::with(Code::VerifiedFieldsLocked,
                    "单位已认证，名称和行政区划须由管理员修改 / a verified organisation's name and region are changed by an admin"));
            }
            let changes = OrganizationChanges { name, region_code: region, description, website, updated_at: now.naive_utc() };
            if !jiebang_db::organizations::update(conn, &id, body.version, &changes)? {
                return Err(version_conflict());
            }
            let after = jiebang_db::organizations::find(conn, &id)?.ok_or_else(|| ApiError::internal("lost org"))?;
            audit::record(conn, &actor, now, "organization", &id, "update",
                Some(&OrganizationView::from(&before)), Some(&OrganizationView::from(&after)), None)?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(org_view(&org, Some(&caller))))
}

pub fn version_conflict() -> ApiError {
    jiebang_application::Error::version_conflict().into()
}

fn parse_website(w: &str) -> Result<String, jiebang_domain::FieldError> {
    let w = bounded_text(w, 0, 200)?;
    if w.is_empty() || w.starts_with("https://") || w.starts_with("http://") {
        Ok(w)
    } else {
        Err(jiebang_domain::FieldError::new(
            "",
            FieldCode::InvalidUrl,
            "网址应以 http:// 或 https:// 开头 / the website must start with http:// or https://",
        ))
    }
}

/// Verify an organisation (admins and officials): it may then publish and bid.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/verify", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = OrganizationView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn verify(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = verify_organization(&state, auth, audit::request_id(&req), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Verifies an organisation as `POST /organizations/{id}/verify` does (the web interface calls
/// the same).
pub async fn verify_organization(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
) -> ApiResult<OrganizationView> {
    auth.require(&[Role::Admin, Role::Official])?;
    let caller = auth.0.clone();
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let org = state
        .write(move |conn| {
            let before = jiebang_db::organizations::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("单位 / organization"))?;
            check(Some(&before), &id, &auth, OrganizationActionName::Verify)?;
            if !jiebang_db::organizations::verify(
                conn,
                &id,
                actor.user_id.as_deref().unwrap_or(""),
                now.naive_utc(),
            )? {
                return Err(ApiError::with(
                    Code::AlreadyVerified,
                    "该单位已认证 / the organisation is already verified",
                ));
            }
            let after = jiebang_db::organizations::find(conn, &id)?
                .ok_or_else(|| ApiError::internal("lost org"))?;
            audit::record(
                conn,
                &actor,
                now,
                "organization",
                &id,
                "verify",
                Some(&OrganizationView::from(&before)),
                Some(&OrganizationView::from(&after)),
                None,
            )?;
            Ok(after)
        })
        .await?;
    state
        .search_changed(crate::search::Change::Organization(org.id.clone()))
        .await;
    Ok(org_view(&org, Some(&caller)))
}

/// The users of an organisation (its users, officials, admins).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/members", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserView>), (status = 404, body = crate::error::Problem)))]
pub async fn members(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    if !is_insider(&auth, &id) {
        return Err(ApiError::not_found("单位 / organization"));
    }
    let users = state
        .read(move |conn| {
            jiebang_db::organizations::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("单位 / organization"))?;
            Ok(jiebang_db::users::list_by_organization(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(users.iter().map(UserView::from).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub email: String,
    pub password: String,
    pub name: String,
    /// `org_member` (default) or `org_admin`.
    pub role: Option<String>,
}

/// Add a user to an organisation (the organisation's admin).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/members", tag = "organizations", request_body = AddMemberRequest,
    security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn add_member(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<AddMemberRequest>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    check(None, &id, &auth, OrganizationActionName::AddMember)?;
    let body = body.0;
    let mut v = Violations::new();
    let role = match body.role.as_deref().unwrap_or("org_member") {
        "org_member" => Some(Role::OrgMember),
        "org_admin" => Some(Role::OrgAdmin),
        _ => {
            v.push(
                "role",
                FieldCode::InvalidValue,
                "角色应为 org_member 或 org_admin / role must be org_member or org_admin",
            );
            None
        }
    };
    let account = accounts::parse_account(&mut v, &body.email, &body.password, &body.name);
    v.into_result()?;
    let (role, account) = (role.unwrap(), account.unwrap());
    let password_hash = state
        .hasher
        .hash(account.password.expose().to_owned())
        .await?;
    let now = state.now();
    let actor = Actor::user(&auth, audit::request_id(&req));
    let user = state
        .write(move |conn| {
            Ok(accounts::create_user(
                conn,
                &actor,
                NewAccount {
                    role,
                    organization_id: Some(id.clone()),
                    password_hash,
                    ..account.into()
                },
                now,
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}

/// The audit log of an organisation (its users, officials, admins).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/history", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = crate::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history_of(&state, auth, id.into_inner()).await?))
}

/// An organisation's history as `GET /organizations/{id}/history` answers it (its own users,
/// staff; 404 for anyone else).
pub async fn history_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<HistoryEntry>> {
    if !is_insider(&auth, &id) {
        return Err(ApiError::not_found("单位 / organization"));
    }
    let entries = state
        .read(move |conn| Ok(jiebang_db::audit::history(conn, "organization", &id)?))
        .await?;
    Ok(entries.iter().map(HistoryEntry::from).collect())
}

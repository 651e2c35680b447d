//! `/admin/users`: platform users (officials, experts, admins).

use crate::accounts;
use crate::audit::{self, Actor};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::state::AppState;
use crate::views::{HistoryEntry, UserView};
use actix_web::{web, HttpRequest, HttpResponse};
use jiebang_application::accounts::create_platform_user;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::{Role, Violations};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// `official` | `expert` | `admin`. Admins create all three; officials create experts.
    pub role: String,
    pub email: String,
    pub password: String,
    pub name: String,
    /// For experts: the organisation that employs them (conflict-of-interest checks use it).
    pub organization_id: Option<String>,
    /// For experts: their fields (专业领域), e.g. 新材料, 稀土永磁; at most 10, each 1–30
    /// characters. Officials search experts by them when assigning.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// Create an official, expert or admin.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = CreateUserRequest, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: Json<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    let v = create_account(&state, auth, audit::request_id(&req), body.0).await?;
    Ok(HttpResponse::Created().json(v))
}

/// Creates an official, expert or admin as `POST /admin/users` does (the web interface's user
/// form calls the same).
pub async fn create_account(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    body: CreateUserRequest,
) -> ApiResult<UserView> {
    auth.require(&[Role::Admin, Role::Official])?;
    let mut v = Violations::new();
    let role = match Role::parse(body.role.trim()) {
        Some(r @ (Role::Official | Role::Expert | Role::Admin)) => Some(r),
        _ => {
            v.push(
                "role",
                FieldCode::InvalidValue,
                "角色应为 official、expert 或 admin / role must be official, expert or admin",
            );
            None
        }
    };
    if let Some(r) = role {
        if !auth.role.may_create(r) {
            return Err(ApiError::with(
                Code::Forbidden,
                "无权创建该角色的用户 / you may not create users of this role",
            ));
        }
        if body.organization_id.is_some() && r != Role::Expert {
            v.push(
                "organization_id",
                FieldCode::NotAllowed,
                "只有专家可以关联单位 / only experts are linked to an organisation",
            );
        }
    }
    // fields of a non-expert are refused by create_platform_user, for every front door
    let fields = crate::handlers::matching::items(&mut v, "fields", &body.fields, 10, 30);
    let account = accounts::parse_account(&mut v, &body.email, &body.password, &body.name);
    v.into_result()?;
    let (role, account) = (role.unwrap(), account.unwrap());
    let password_hash = state
        .hasher
        .hash(account.password.expose().to_owned())
        .await?;
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let organization_id = body.organization_id;
    let user = state
        .write(move |conn| {
            Ok(create_platform_user(
                conn,
                &actor,
                role,
                jiebang_application::accounts::NewAccount {
                    fields,
                    ..account.into()
                },
                password_hash,
                organization_id,
                now,
            )?)
        })
        .await?;
    Ok(UserView::from(&user))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListUsersQuery {
    /// `official` | `expert` | `admin`
    pub role: Option<String>,
    /// Part of the name or e-mail address.
    pub q: Option<String>,
    /// Part of one of an expert's fields (专业领域), e.g. 稀土.
    pub field: Option<String>,
}

/// Platform users of a role (admins; officials see experts and officials).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(ListUsersQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = crate::error::Problem)))]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<ListUsersQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(users_of(&state, auth, query.0).await?))
}

/// Platform users as `GET /admin/users` answers (the web interface's expert list calls the same).
pub async fn users_of(
    state: &web::Data<AppState>,
    auth: Auth,
    query: ListUsersQuery,
) -> ApiResult<Vec<UserView>> {
    auth.require(&[Role::Admin, Role::Official])?;
    let role =
        match query.role.as_deref() {
            None => None,
            Some(r) => match Role::parse(r) {
                Some(r @ (Role::Official | Role::Expert | Role::Admin)) => Some(r),
                _ => return Err(ApiError::field(
                    "role",
                    FieldCode::InvalidValue,
                    "角色应为 official、expert 或 admin / role must be official, expert or admin",
                )),
            },
        };
    if role.is_some_and(|r| !auth.role.may_read_user(r)) {
        return Err(ApiError::with(
            Code::Forbidden,
            "无权查看管理员列表 / officials do not list admins",
        ));
    }
    let roles: Vec<Role> = match role {
        Some(r) => vec![r],
        None => [Role::Official, Role::Expert, Role::Admin]
            .into_iter()
            .filter(|r| auth.role.may_read_user(*r))
            .collect(),
    };
    let users = state
        .read(move |conn| {
            let mut all = Vec::new();
            for r in roles {
                all.extend(jiebang_db::users::list_by_role(conn, r.as_str(), true)?);
            }
            Ok(all)
        })
        .await?;
    let q = query.q.unwrap_or_default().trim().to_lowercase();
    let field = query.field.unwrap_or_default().trim().to_lowercase();
    Ok(users
        .iter()
        .filter(|u| {
            q.is_empty()
                || u.name.to_lowercase().contains(&q)
                || u.email.to_lowercase().contains(&q)
        })
        .filter(|u| {
            field.is_empty() || u.fields().iter().any(|f| f.to_lowercase().contains(&field))
        })
        .map(UserView::from)
        .collect())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// `false` deactivates the user: their tokens stop working at once and they cannot log in.
    pub active: bool,
}

/// Activate or deactivate any user (admins).
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", request_body = UpdateUserRequest, security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let v = set_active(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        body.0.active,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Activates or deactivates a user as `PATCH /admin/users/{id}` does.
pub async fn set_active(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    active: bool,
) -> ApiResult<UserView> {
    auth.require(&[Role::Admin])?;
    if id == auth.user.id && !active {
        return Err(ApiError::with(
            Code::CannotDeactivateSelf,
            "不能停用自己的账号 / you cannot deactivate yourself",
        ));
    }
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let user = state
        .write(move |conn| {
            let before = jiebang_db::users::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("用户 / user"))?;
            jiebang_db::users::set_active(conn, &id, active, now.naive_utc())?;
            if !active {
                jiebang_db::tokens::revoke_user(conn, &id, now.naive_utc())?;
                jiebang_db::web_sessions::delete_for_user(conn, &id)?;
            }
            let after = jiebang_db::users::find(conn, &id)?
                .ok_or_else(|| ApiError::internal("lost user"))?;
            audit::record(
                conn,
                &actor,
                now,
                "user",
                &id,
                if active { "activate" } else { "deactivate" },
                Some(&UserView::from(&before)),
                Some(&UserView::from(&after)),
                None,
            )?;
            Ok(after)
        })
        .await?;
    Ok(UserView::from(&user))
}

/// A platform user with their history, as the admins' user page shows them.
pub struct UserRecord {
    pub user: UserView,
    pub history: Vec<HistoryEntry>,
}

/// The audit log of a user (account created, signed in, deactivated, restored, sessions
/// revoked): admins read any user's, officials those of experts and officials (the users they
/// may list); 404 for anyone else, so an id says nothing.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}/history", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn user_history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let r = user_record(&state, auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(r.history))
}

/// A user and their history as `GET /admin/users/{id}/history` allows them to be read.
pub async fn user_record(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<UserRecord> {
    auth.require(&[Role::Admin, Role::Official])?;
    let (user, entries) = state
        .read(move |conn| {
            let user = jiebang_db::users::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("用户 / user"))?;
            let entries = jiebang_db::audit::history(conn, "user", &id)?;
            Ok((user, entries))
        })
        .await?;
    if !Role::parse(&user.role).is_some_and(|r| auth.role.may_read_user(r)) {
        return Err(ApiError::not_found("用户 / user"));
    }
    Ok(UserRecord {
        user: UserView::from(&user),
        history: entries.iter().map(HistoryEntry::from).collect(),
    })
}

//! `/auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`.

use crate::accounts::{self, NewAccount};
use crate::audit::{self, Actor};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::views::{OrganizationView, UserView};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jiebang_db::changes::Touches;
use jiebang_db::models::{NewOrganization, RefreshToken};
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{CreditCode, OrganizationKind, RegionCode, Role, Violations};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    /// 10–128 characters, not a common password.
    pub password: String,
    /// The user's name.
    pub name: String,
    pub organization: NewOrganizationRequest,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationRequest {
    pub name: String,
    /// `enterprise` | `university` | `institute` | `government` | `other`
    pub kind: String,
    /// 统一社会信用代码, 18 characters, GB 32100-2015 check character.
    pub credit_code: String,
    /// 行政区划代码, 6 digits, GB/T 2260.
    pub region_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: UserView,
    pub organization: OrganizationView,
}

/// Register a user together with a new (unverified) organisation, of which they are the admin.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let (user, org) = register_account(&state, audit::request_id(&req), body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/organizations/{}", org.id),
        ))
        .json(RegisterResponse {
            user: UserView::from(&user),
            // what the new organisation admin may do with it
            organization: jiebang_application::organization_actions::view(
                &org,
                Some(&jiebang_application::Caller {
                    role: jiebang_domain::Role::OrgAdmin,
                    organization: Some(org.clone()),
                    user: user.clone(),
                    session_id: String::new(),
                }),
            ),
        }))
}

/// Registers a user with a new, unverified organisation of which it is the admin (the API's
/// `/auth/register` and the web interface's 注册): the fields checked with their paths, the
/// credit code unique, the officials told. The new user and organisation.
pub async fn register_account(
    state: &web::Data<AppState>,
    request_id: Option<String>,
    body: RegisterRequest,
) -> ApiResult<(jiebang_db::models::User, jiebang_db::models::Organization)> {
    let mut v = Violations::new();
    let org_name = v.take(
        "organization.name",
        bounded_text(&body.organization.name, 2, 100),
    );
    let kind = OrganizationKind::parse(body.organization.kind.trim());
    if kind.is_none() {
        v.push(
            "organization.kind",
            FieldCode::InvalidValue,
            "单位类型应为 enterprise、university、institute、government 或 other / kind must be one of enterprise, university, institute, government, other",
        );
    }
    let credit_code = v.take(
        "organization.credit_code",
        CreditCode::parse(&body.organization.credit_code),
    );
    let region = v.take(
        "organization.region_code",
        RegionCode::parse(&body.organization.region_code),
    );
    let account = accounts::parse_account(&mut v, &body.email, &body.password, &body.name);
    v.into_result()?;
    let (org_name, kind, credit_code, region, account) = (
        org_name.unwrap(),
        kind.unwrap(),
        credit_code.unwrap(),
        region.unwrap(),
        account.unwrap(),
    );

    let password_hash = state
        .hasher
        .hash(account.password.expose().to_owned())
        .await?;
    let now = state.now();
    let public_url = state.config.public_url.clone();
    state
        .write(move |conn| {
            if jiebang_db::organizations::credit_code_taken(conn, credit_code.as_str())? {
                return Err(credit_code_taken());
            }
            let org = NewOrganization {
                id: jiebang_db::new_id(),
                name: org_name,
                kind: kind.as_str().to_owned(),
                credit_code: credit_code.as_str().to_owned(),
                region_code: region.as_str().to_owned(),
                status: "unverified".to_owned(),
                description: String::new(),
                website: String::new(),
                created_at: now.naive_utc(),
                updated_at: now.naive_utc(),
            };
            jiebang_db::organizations::insert(conn, &org).map_err(|e| {
                if jiebang_db::is_unique_violation(
                    &e,
                    "organizations_credit_code_key",
                    "organizations.credit_code",
                ) {
                    credit_code_taken()
                } else {
                    e.into()
                }
            })?;
            let user = accounts::insert_user(
                conn,
                NewAccount {
                    role: Role::OrgAdmin,
                    organization_id: Some(org.id.clone()),
                    password_hash,
                    ..account.into()
                },
                now,
            )?;
            let org = jiebang_db::organizations::find(conn, &org.id)?
                .ok_or_else(|| ApiError::internal("lost org"))?;
            // the officials are told that an organisation awaits verification
            let officials = jiebang_application::notify::officials(conn)?;
            jiebang_application::notify::notify(
                conn,
                &public_url,
                &officials,
                &jiebang_notifications::Event::OrganizationRegistered {
                    organization_id: org.id.clone(),
                    name: org.name.clone(),
                },
                now,
            )?;
            let actor = Actor {
                user_id: Some(user.id.clone()),
                organization_id: Some(org.id.clone()),
                request_id,
            };
            audit::record(
                conn,
                &actor,
                now,
                "organization",
                &org.id,
                "register",
                None::<&()>,
                Some(&OrganizationView::from(&org)),
                None,
            )?;
            audit::record(
                conn,
                &actor,
                now,
                "user",
                &user.id,
                "register",
                None::<&()>,
                Some(&UserView::from(&user)),
                None,
            )?;
            Ok((user, org))
        })
        .await
}

fn credit_code_taken() -> ApiError {
    ApiError::with(Code::CreditCodeTaken,
        "该统一社会信用代码已注册，请联系本单位管理员添加账号 / an organisation with this credit code is already registered")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always "Bearer".
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// Rotating refresh token: each use returns a new one; reusing an old one ends the session.
    pub refresh_token: String,
}

fn invalid_credentials() -> ApiError {
    ApiError::with(
        Code::InvalidCredentials,
        "邮箱或密码错误 / wrong e-mail or password",
    )
}

pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(addr) = req.connection_info().realip_remote_addr() {
            return addr.to_owned();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues an access token and a refresh token in session `family`.
fn issue_tokens(
    state: &AppState,
    conn: &mut jiebang_db::DbConnection,
    user_id: &str,
    family: &str,
    now: DateTime<Utc>,
) -> ApiResult<TokenResponse> {
    let refresh = new_refresh_token();
    jiebang_db::tokens::insert(
        conn,
        &RefreshToken {
            id: jiebang_db::new_id(),
            user_id: user_id.to_owned(),
            family_id: family.to_owned(),
            token_hash: hash_token(&refresh),
            issued_at: now.naive_utc(),
            expires_at: (now + Duration::days(state.config.refresh_token_days)).naive_utc(),
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(TokenResponse {
        access_token: state
            .jwt
            .issue(user_id, family, now, state.config.access_token_ttl),
        token_type: "Bearer",
        expires_in: state.config.access_token_ttl,
        refresh_token: refresh,
    })
}

/// Checks an e-mail and password as every sign-in does (the API's `/auth/login` and the web
/// interface's 登录): throttled per account and per address, hashed on the hashing threads, the
/// same answer for an unknown e-mail and a wrong password, and a deactivated account refused.
/// The active user on success.
pub async fn check_password(
    state: &web::Data<AppState>,
    address: &str,
    email: &str,
    password: String,
) -> ApiResult<jiebang_db::models::User> {
    let email = email.trim().to_lowercase();
    let now = state.now();
    // the attempt is counted before the password is hashed, so that concurrent guesses cannot
    // all pass the limit; a success or an attempt that checked nothing gives it back
    // a hashing slot first: when every slot stays busy the answer is 503 before any work
    let slot = state.hasher.slot().await?;
    let reservation = state
        .throttle
        .reserve(&email, address, now)
        .await
        .inspect_err(|e| {
            if e.0.code == Code::TooManyRequests {
                state.metrics.login_refused();
            }
        })?;
    let lookup = email.clone();
    let checked = async {
        let user = state
            .read(move |conn| Ok(jiebang_db::users::find_by_email(conn, &lookup)?))
            .await?;
        let ok = state
            .hasher
            .verify_in(
                slot,
                password,
                user.as_ref().map(|u| u.password_hash.clone()),
            )
            .await?;
        Ok::<_, ApiError>((user, ok))
    }
    .await;
    let (user, ok) = match checked {
        Ok(v) => v,
        Err(e) => {
            // the attempt checked nothing; giving it back is best effort, the error is the answer
            let _ = state.throttle.release(reservation).await;
            return Err(e);
        }
    };
    let user = match user {
        Some(u) if ok => u,
        _ => {
            tracing::info!(account = %jiebang_domain::email::mask(&email), "login failed");
            return Err(invalid_credentials());
        }
    };
    if !user.active {
        state.throttle.release(reservation).await?;
        return Err(ApiError::with(
            Code::AccountDisabled,
            "该账号已停用 / this account has been deactivated",
        ));
    }
    state.throttle.succeeded(&email, reservation).await?;
    Ok(user)
}

/// Log in with e-mail and password. Unknown e-mail and wrong password get the same 401 in the
/// same time; repeated failures are throttled (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 429, body = crate::error::Problem),
              (status = 503, body = crate::error::Problem)))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.0;
    let address = client_address(&req, state.config.trust_proxy);
    let now = state.now();
    let user = check_password(&state, &address, &email, password).await?;
    let request_id = audit::request_id(&req);
    let st = state.clone();
    // a new session: no cached read can have seen it
    let tokens = state
        .write_touching(Touches::SESSIONS, move |conn| {
            let family = jiebang_db::new_id();
            let tokens = issue_tokens(&st, conn, &user.id, &family, now)?;
            let actor = Actor {
                user_id: Some(user.id.clone()),
                organization_id: user.organization_id.clone(),
                request_id,
            };
            audit::record(
                conn,
                &actor,
                now,
                "user",
                &user.id,
                "login",
                None::<&()>,
                None::<&()>,
                Some(&format!("address {address}")),
            )?;
            Ok(tokens)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(tokens))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn invalid_refresh() -> ApiError {
    ApiError::with(
        Code::InvalidRefreshToken,
        "刷新凭证无效或已过期，请重新登录 / the refresh token is invalid or expired",
    )
}

/// Exchange a refresh token for new tokens. The old refresh token stops working; presenting it
/// again revokes the whole session (token theft detection).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem)))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let hash = hash_token(body.0.refresh_token.trim());
    let now = state.now();
    let st = state.clone();
    // A detected reuse must revoke the family even though the request fails, so the outcome is
    // decided inside the transaction and turned into an error after it commits.
    enum Outcome {
        Issued(TokenResponse),
        Refused(ApiError),
    }
    // a reused token revokes its session: the cached session checks must end
    let outcome = state
        .write_touching(Touches::SESSIONS, move |conn| {
            let Some(token) = jiebang_db::tokens::find_by_hash(conn, &hash)? else {
                return Ok(Outcome::Refused(invalid_refresh()));
            };
            if token.revoked_at.is_some() || token.expires_at <= now.naive_utc() {
                return Ok(Outcome::Refused(invalid_refresh()));
            }
            if token.used_at.is_some() || !jiebang_db::tokens::mark_used(conn, &token.id, now.naive_utc())? {
                jiebang_db::tokens::revoke_family(conn, &token.family_id, now.naive_utc())?;
                tracing::warn!(user_id = %token.user_id, "refresh token reused: session revoked");
                audit::record(conn, &Actor::system(), now, "user", &token.user_id, "session_revoked", None::<&()>, None::<&()>, Some("refresh token reuse"))?;
                return Ok(Outcome::Refused(ApiError::with(Code::RefreshTokenReused,
                    "刷新凭证已被使用，为安全起见该会话已注销，请重新登录 / this refresh token was already used; the session has been revoked")));
            }
            match jiebang_db::users::find(conn, &token.user_id)? {
                Some(u) if u.active => {}
                _ => return Ok(Outcome::Refused(invalid_refresh())),
            }
            Ok(Outcome::Issued(issue_tokens(&st, conn, &token.user_id, &token.family_id, now)?))
        })
        .await?;
    match outcome {
        Outcome::Issued(tokens) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(tokens)),
        Outcome::Refused(e) => Err(e),
    }
}

/// End the session of a refresh token: it and every access token of the session stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let hash = hash_token(body.0.refresh_token.trim());
    let now = state.now();
    state
        .write_touching(Touches::SESSIONS, move |conn| {
            let token =
                jiebang_db::tokens::find_by_hash(conn, &hash)?.ok_or_else(invalid_refresh)?;
            jiebang_db::tokens::revoke_family(conn, &token.family_id, now.naive_utc())?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}

//! The `Auth` extractor: a valid Bearer token of an active user whose session is not revoked.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use jiebang_application::Caller;
use jiebang_domain::codes::Code;
use jiebang_domain::Role;

/// The authenticated caller: the application layer's [`Caller`] from a bearer token.
#[derive(Debug, Clone)]
pub struct Auth(pub Caller);

impl std::ops::Deref for Auth {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn invalid_token() -> ApiError {
    ApiError::with(
        Code::InvalidToken,
        "登录凭证无效或已过期，请重新登录 / the access token is invalid or expired",
    )
}

async fn authenticate(
    state: web::Data<AppState>,
    token: Option<String>,
) -> ApiResult<Option<Auth>> {
    let Some(token) = token else { return Ok(None) };
    let claims = state
        .jwt
        .verify(&token, state.now())
        .ok_or_else(invalid_token)?;
    // The session check's answer is kept, like the public reads, until the database's change
    // counter moves (`crate::public_cache`): any committed write here (a sign-out, a revoked
    // session, a deactivated user, an organisation's new status) moves it before it is
    // acknowledged, and another instance's within the change watch's bound. Only a session
    // found open and active is kept, under its own user and session ids.
    let key = format!("{}/{}", claims.sub, claims.sid);
    if let Some(caller) = state.sessions.get_value::<Caller>(&key) {
        return Ok(Some(Auth(Caller::clone(&caller))));
    }
    state.metrics.session_misses.inc();
    let ticket = state.sessions.ticket();
    let auth = state
        .read(move |conn| {
            // the user, their organisation and whether the session is open: one query
            let Some((user, organization)) =
                jiebang_db::users::signed_in(conn, &claims.sub, &claims.sid)?
            else {
                return Ok(None);
            };
            if !user.active {
                return Ok(None);
            }
            let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
            Ok(Some(Auth(Caller {
                user,
                role,
                organization,
                session_id: claims.sid,
            })))
        })
        .await?;
    let auth = auth.ok_or_else(invalid_token)?;
    state.sessions.put_value(ticket, key, auth.0.clone());
    Ok(Some(auth))
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no state"))?;
            authenticate(state, token).await?.ok_or_else(|| {
                ApiError::with(Code::Unauthenticated, "请先登录 / authentication required")
            })
        })
    }
}

/// The caller if a token was sent (a bad token is still refused), or nobody: for public
/// endpoints that show more to some callers.
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no state"))?;
            authenticate(state, token).await.map(MaybeAuth)
        })
    }
}

//! The `Auth` extractor: a valid Bearer token of an active user whose session is not revoked.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use jiebang_db::models::{Organization, User};
use jiebang_domain::codes::Code;
use jiebang_domain::Role;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub role: Role,
    pub organization: Option<Organization>,
    pub session_id: String,
}

impl Auth {
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if self.is(roles) {
            Ok(())
        } else {
            Err(ApiError::with(
                Code::Forbidden,
                "无权执行此操作 / you are not allowed to do this",
            ))
        }
    }

    pub fn organization_id(&self) -> Option<&str> {
        self.organization.as_ref().map(|o| o.id.as_str())
    }

    /// Whether the caller is a user (of any role) of organisation `org`.
    pub fn belongs_to(&self, org: &str) -> bool {
        self.role.is_organization_user() && self.organization_id() == Some(org)
    }

    /// The caller as the domain's visibility rule sees them.
    pub fn viewer(&self) -> jiebang_domain::visibility::Viewer<'_> {
        jiebang_domain::visibility::Viewer {
            role: self.role,
            organization_id: self.organization_id(),
        }
    }

    /// An official or admin: the platform's staff.
    pub fn is_staff(&self) -> bool {
        self.is(&[Role::Official, Role::Admin])
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
    let auth = state
        .read(move |conn| {
            let Some(user) = jiebang_db::users::find(conn, &claims.sub)? else {
                return Ok(None);
            };
            if !user.active || !jiebang_db::tokens::session_active(conn, &claims.sid, &user.id)? {
                return Ok(None);
            }
            let organization = match &user.organization_id {
                Some(id) => jiebang_db::organizations::find(conn, id)?,
                None => None,
            };
            let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
            Ok(Some(Auth {
                user,
                role,
                organization,
                session_id: claims.sid,
            }))
        })
        .await?;
    auth.map(Some).ok_or_else(invalid_token)
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

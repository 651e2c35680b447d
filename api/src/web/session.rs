//! Who is looking at a page (`Visitor`): the signed-in user of the session cookie, and the
//! token that protects forms against cross-site posts.
//!
//! - **Session.** Signing in stores a random 32-byte token's SHA-256 in `web_sessions` and gives
//!   the browser the token in the `jb_session` cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`,
//!   `Secure` when the public URL is https. A session ends at sign-out, after [`IDLE`] without a
//!   request, or [`LIFETIME`] after sign-in; a deactivated user's sessions are deleted.
//! - **Forms.** Every page carries the `jb_csrf` cookie (`HttpOnly`, `SameSite=Strict`) and every
//!   form the same value in a hidden `_csrf` field; a state-changing request is accepted only
//!   when the two match and, when the browser says where the request comes from (`Origin`, else
//!   `Sec-Fetch-Site`), it comes from this site. Another site can neither read the cookie nor
//!   make the browser send it with a form of its own.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use futures_util::future::LocalBoxFuture;
use jiebang_application::Caller;
use jiebang_domain::Role;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "jb_session";
pub const CSRF_COOKIE: &str = "jb_csrf";
/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::hours(2);
/// A session ends this long after sign-in, whatever happens.
pub const LIFETIME: Duration = Duration::hours(12);
/// How stale `last_seen_at` may get before a request writes it again.
const TOUCH_AFTER: Duration = Duration::minutes(5);

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The person behind a page request.
#[derive(Clone)]
pub struct Visitor {
    pub caller: Option<Caller>,
    /// The signed-in user's unread notices (the badge beside 通知).
    pub unread: i64,
    /// The form token of this browser.
    pub csrf: String,
    /// The token is new: the response must set the cookie.
    new_csrf: bool,
    /// Where the request went (path and query), to come back to after signing in.
    pub here: String,
    secure: bool,
}

impl Visitor {
    pub fn role(&self) -> Option<Role> {
        self.caller.as_ref().map(|c| c.role)
    }

    /// The signed-in caller as the API's `Auth`, or the refusal that sends the visitor to sign
    /// in and back (`web::error_page` turns it into the redirect).
    pub fn auth(&self) -> ApiResult<crate::auth::Auth> {
        self.caller.clone().map(crate::auth::Auth).ok_or_else(|| {
            ApiError::with(
                jiebang_domain::codes::Code::Unauthenticated,
                "请先登录 / please sign in",
            )
        })
    }

    /// The cookies this response must carry (the form token when it is new).
    pub fn cookies(&self) -> Vec<Cookie<'static>> {
        if self.new_csrf {
            vec![Cookie::build(CSRF_COOKIE, self.csrf.clone())
                .path("/")
                .http_only(true)
                .secure(self.secure)
                .same_site(SameSite::Strict)
                .finish()]
        } else {
            Vec::new()
        }
    }

    /// The session cookie for a new session's token.
    pub fn session_cookie(&self, token: String) -> Cookie<'static> {
        Cookie::build(SESSION_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(
                LIFETIME.num_seconds(),
            ))
            .finish()
    }

    /// A cookie that removes the session cookie.
    pub fn ended_session_cookie(&self) -> Cookie<'static> {
        let mut c = Cookie::build(SESSION_COOKIE, "")
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish();
        c.make_removal();
        c
    }
}

/// Whether a state-changing request may go ahead: the form's `_csrf` equals the cookie's, and the
/// browser does not say the request comes from another site.
pub fn check_form(req: &HttpRequest, visitor: &Visitor, form_token: &str) -> ApiResult<()> {
    let same_token = !visitor.new_csrf
        && form_token.len() == visitor.csrf.len()
        && form_token
            .bytes()
            .zip(visitor.csrf.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|s| s.to_str().ok());
    let from_here = match req.headers().get("origin").and_then(|o| o.to_str().ok()) {
        // an opaque origin (a privacy setting, a sandboxed frame): only the fetch metadata says
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
        }
        None => !matches!(fetch_site, Some("cross-site" | "same-site")),
    };
    if same_token && from_here {
        Ok(())
    } else {
        Err(ApiError::with(
            jiebang_domain::codes::Code::Forbidden,
            "表单已过期或来源不明，请刷新页面后重试 / the form expired or came from elsewhere; reload the page and try again",
        ))
    }
}

/// Starts a session for `user_id`: its token (for the cookie).
pub fn start(
    conn: &mut jiebang_db::DbConnection,
    user_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<String> {
    let token = random_token();
    jiebang_db::web_sessions::insert(
        conn,
        &jiebang_db::web_sessions::WebSession {
            token_hash: hash(&token),
            user_id: user_id.to_owned(),
            created_at: now.naive_utc(),
            last_seen_at: now.naive_utc(),
            expires_at: (now + LIFETIME).naive_utc(),
        },
    )?;
    Ok(token)
}

/// The stored hash of this request's session cookie, if it has one.
pub fn cookie_hash(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE).map(|c| hash(c.value()))
}

/// Ends the session whose token has this hash.
pub fn end(conn: &mut jiebang_db::DbConnection, token_hash: &str) -> ApiResult<()> {
    jiebang_db::web_sessions::delete(conn, token_hash)?;
    Ok(())
}

async fn load(
    state: web::Data<AppState>,
    token: Option<String>,
) -> ApiResult<Option<(Caller, i64)>> {
    let Some(token) = token.filter(|t| well_formed(t)) else {
        return Ok(None);
    };
    let token_hash = hash(&token);
    let now = state.now();
    let found = state
        .read(move |conn| {
            let Some(s) = jiebang_db::web_sessions::find_live(
                conn,
                &token_hash,
                now.naive_utc(),
                (now - IDLE).naive_utc(),
            )?
            else {
                return Ok(None);
            };
            let Some(user) = jiebang_db::users::find(conn, &s.user_id)? else {
                return Ok(None);
            };
            if !user.active {
                return Ok(None);
            }
            let organization = match &user.organization_id {
                Some(id) => jiebang_db::organizations::find(conn, id)?,
                None => None,
            };
            let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
            let stale = s.last_seen_at < (now - TOUCH_AFTER).naive_utc();
            let unread = jiebang_db::notifications::unread_count(conn, &user.id)?;
            Ok(Some((
                unread,
                Caller {
                    user,
                    role,
                    organization,
                    session_id: format!("web:{}", &s.token_hash[..16]),
                },
                stale.then_some(s.token_hash),
            )))
        })
        .await?;
    let Some((unread, caller, stale)) = found else {
        return Ok(None);
    };
    if let Some(token_hash) = stale {
        state
            .write_touching(jiebang_db::changes::Touches::NONE, move |conn| {
                Ok(jiebang_db::web_sessions::touch(
                    conn,
                    &token_hash,
                    now.naive_utc(),
                )?)
            })
            .await?;
    }
    Ok(Some((caller, unread)))
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let csrf = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| well_formed(t));
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no state"))?;
            let secure = state.config.public_url.starts_with("https://");
            let (caller, unread) = match load(state, token).await? {
                Some((c, n)) => (Some(c), n),
                None => (None, 0),
            };
            let (csrf, new_csrf) = match csrf {
                Some(t) => (t, false),
                None => (random_token(), true),
            };
            Ok(Visitor {
                caller,
                unread,
                csrf,
                new_csrf,
                here,
                secure,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let (a, b) = (random_token(), random_token());
        assert!(well_formed(&a) && well_formed(&b) && a != b);
        assert!(!well_formed("short") && !well_formed(&format!("{}!", &a[..42])));
        assert_eq!(hash(&a).len(), 64);
    }
}

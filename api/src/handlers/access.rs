//! Challenge visibility for the handlers: the application layer's rule
//! (`jiebang_application::visibility`) called with the HTTP caller.

use crate::auth::Auth;
use crate::error::ApiResult;
use jiebang_db::challenges::Challenge;
use jiebang_db::DbConnection;

/// How the caller relates to a challenge: the domain's rule (`jiebang_domain::visibility`).
pub use jiebang_domain::visibility::Visibility as Access;

/// Who may see a challenge (`jiebang_application::visibility::of_challenge`).
pub fn access(conn: &mut DbConnection, c: &Challenge, auth: Option<&Auth>) -> ApiResult<Access> {
    Ok(jiebang_application::visibility::of_challenge(
        conn,
        c,
        auth.map(|a| &a.0),
    )?)
}

//! The domain's visibility rule (`jiebang_domain::visibility`) over stored challenges: the facts
//! of a row, and the invitation looked up only when the rule asks for it.

use crate::caller::Caller;
use crate::error::{Error, Result};
use jiebang_db::challenges::Challenge;
use jiebang_db::DbConnection;
use jiebang_domain::challenge::Mode;
use jiebang_domain::visibility::{self, ChallengeFacts, Visibility};
use std::collections::HashSet;

/// The facts of a stored challenge that visibility is decided on.
pub fn facts(c: &Challenge) -> ChallengeFacts<'_> {
    ChallengeFacts {
        publisher: &c.organization_id,
        status: c.status(),
        mode: Mode::parse(&c.mode).unwrap_or(Mode::Open),
        ever_published: c.published_at.is_some(),
    }
}

/// How `caller` (`None`: anonymous) may see challenge `c`.
pub fn of_challenge(
    conn: &mut DbConnection,
    c: &Challenge,
    caller: Option<&Caller>,
) -> Result<Visibility> {
    let viewer = caller.map(Caller::viewer);
    visibility::visibility(&facts(c), viewer.as_ref(), |org| {
        jiebang_db::challenges::is_invited(conn, &c.id, org).map_err(Error::from)
    })
}

/// How `caller` may see challenge `c` without the database: the invitation the rule asks for
/// (only for a directed challenge and an organisation user who is neither owner nor staff) is
/// looked up in `invited`, the directed challenges the caller's organisation is invited to.
pub fn of_challenge_in_memory(
    c: &Challenge,
    caller: Option<&Caller>,
    invited: &HashSet<String>,
) -> Visibility {
    let viewer = caller.map(Caller::viewer);
    visibility::visibility::<std::convert::Infallible>(&facts(c), viewer.as_ref(), |_| {
        Ok(invited.contains(&c.id))
    })
    .unwrap_or_else(|never| match never {})
}

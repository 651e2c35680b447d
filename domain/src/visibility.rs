//! Who may see a challenge (榜单可见性): the one rule behind the challenge reads, the list, the
//! keyword search, recommendations in both directions and subscription notices. The list's SQL
//! (`jiebang_db::challenges::list` with its `ListFilter`) is the fast form of the same rule.
//!
//! - A user of the publishing organisation (`org_admin`/`org_member`) is the **owner**.
//! - Officials and admins are **staff**. Experts are neither: an assigned expert reaches a
//!   challenge's bids through the evaluation rules, not through this one.
//! - Others see a challenge only in a public state (`published`, `evaluating`, `awarded`,
//!   `contracted`, `completed`, `unsuccessful`, `cancelled`) and only if it was once published.
//! - A directed challenge (定向委托) is seen only by the organisation users of an invited
//!   organisation (besides owner and staff). An expert linked to an invited organisation is not
//!   one of them.
//! - Everyone else must not learn that it exists (404).

use crate::challenge::{ChallengeStatus, Mode};
use crate::user::Role;

/// How the viewer relates to a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// A user of the publishing organisation: the full view.
    Owner,
    /// An official or admin: the full view.
    Staff,
    /// The public view.
    Public,
    /// Must not know it exists.
    Hidden,
}

/// The facts of a challenge the rule needs.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeFacts<'a> {
    pub publisher: &'a str,
    pub status: ChallengeStatus,
    pub mode: Mode,
    /// `published_at` is set: it was published once.
    pub ever_published: bool,
}

/// Who looks: `None` is anonymous.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub role: Role,
    pub organization_id: Option<&'a str>,
}

impl<'a> Viewer<'a> {
    /// The viewer's organisation when the viewer acts for it (an organisation user).
    pub fn acting_organization(&self) -> Option<&'a str> {
        self.organization_id
            .filter(|_| self.role.is_organization_user())
    }
}

/// Whether the challenge is in a state the public may see.
pub fn publicly_listed(c: &ChallengeFacts) -> bool {
    ChallengeStatus::PUBLIC.contains(&c.status) && c.ever_published
}

/// The rule. `invited(org)` answers whether `org` is invited to the challenge; it is asked only
/// for a directed challenge and an organisation user who is neither owner nor staff.
pub fn visibility<E>(
    c: &ChallengeFacts,
    viewer: Option<&Viewer>,
    invited: impl FnOnce(&str) -> Result<bool, E>,
) -> Result<Visibility, E> {
    if let Some(v) = viewer {
        if v.acting_organization() == Some(c.publisher) {
            return Ok(Visibility::Owner);
        }
        if matches!(v.role, Role::Official | Role::Admin) {
            return Ok(Visibility::Staff);
        }
    }
    if !publicly_listed(c) {
        return Ok(Visibility::Hidden);
    }
    if c.mode == Mode::Directed {
        let org = viewer.and_then(|v| v.acting_organization());
        return Ok(match org {
            Some(org) if invited(org)? => Visibility::Public,
            _ => Visibility::Hidden,
        });
    }
    Ok(Visibility::Public)
}

/// Whether a challenge is offered to organisation `org` as a possible bidder (recommendations
/// both ways): never to its publisher, and a directed challenge only to an invited organisation.
pub fn offered_to(publisher: &str, mode: Mode, org: &str, invited: impl FnOnce() -> bool) -> bool {
    org != publisher && (mode == Mode::Open || invited())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn facts(status: ChallengeStatus, mode: Mode, ever_published: bool) -> ChallengeFacts<'static> {
        ChallengeFacts {
            publisher: "pub",
            status,
            mode,
            ever_published,
        }
    }

    fn see(c: &ChallengeFacts, role: Option<Role>, org: Option<&str>) -> Visibility {
        let viewer = role.map(|role| Viewer {
            role,
            organization_id: org,
        });
        visibility::<Infallible>(c, viewer.as_ref(), |o| Ok(o == "invited")).unwrap()
    }

    #[test]
    fn every_state_mode_and_viewer() {
        use Role::*;
        use Visibility::*;
        for &status in ChallengeStatus::ALL {
            for mode in [Mode::Open, Mode::Directed] {
                for ever in [false, true] {
                    let c = facts(status, mode, ever);
                    let public = ChallengeStatus::PUBLIC.contains(&status) && ever;
                    // owner and staff always
                    assert_eq!(see(&c, Some(OrgMember), Some("pub")), Owner);
                    assert_eq!(see(&c, Some(OrgAdmin), Some("pub")), Owner);
                    assert_eq!(see(&c, Some(Official), None), Staff);
                    assert_eq!(see(&c, Some(Admin), None), Staff);
                    // an expert linked to the publisher is not its owner
                    let outsider = if public && mode == Mode::Open {
                        Public
                    } else {
                        Hidden
                    };
                    assert_eq!(see(&c, Some(Expert), Some("pub")), outsider);
                    assert_eq!(see(&c, None, None), outsider);
                    assert_eq!(see(&c, Some(OrgMember), Some("other")), outsider);
                    // invited organisations' users see a directed challenge; a linked expert does not
                    let invited = if public { Public } else { Hidden };
                    assert_eq!(see(&c, Some(OrgAdmin), Some("invited")), invited);
                    assert_eq!(see(&c, Some(Expert), Some("invited")), outsider);
                }
            }
        }
    }

    #[test]
    fn offered_to_bidders() {
        assert!(!offered_to("pub", Mode::Open, "pub", || true));
        assert!(offered_to("pub", Mode::Open, "a", || false));
        assert!(!offered_to("pub", Mode::Directed, "a", || false));
        assert!(offered_to("pub", Mode::Directed, "a", || true));
    }
}

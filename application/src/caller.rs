//! Who calls a use case: an authenticated user, with their role and organisation as loaded at the
//! start of the request. The HTTP edge builds it from a bearer token (`jiebang_api::auth::Auth`),
//! the web interface from its session; the background loops act as the system and have none.

use crate::error::{Error, Result};
use jiebang_db::models::{Organization, User};
use jiebang_domain::codes::Code;
use jiebang_domain::visibility::Viewer;
use jiebang_domain::Role;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub role: Role,
    pub organization: Option<Organization>,
    /// The session (refresh-token family) the caller signed in with.
    pub session_id: String,
}

impl Caller {
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<()> {
        if self.is(roles) {
            Ok(())
        } else {
            Err(Error::with(
                Code::Forbidden,
                "无权执行此操作 / you are not allowed to do this",
            ))
        }
    }

    pub fn organization_id(&self) -> Option<&str> {
        self.organization.as_ref().map(|o| o.id.as_str())
    }

    /// Whether the caller is a user (of any organisation role) of organisation `org`.
    pub fn belongs_to(&self, org: &str) -> bool {
        self.role.is_organization_user() && self.organization_id() == Some(org)
    }

    /// The caller as the domain's visibility rule sees them.
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            role: self.role,
            organization_id: self.organization_id(),
        }
    }

    /// An official or admin: the platform's staff.
    pub fn is_staff(&self) -> bool {
        self.is(&[Role::Official, Role::Admin])
    }
}

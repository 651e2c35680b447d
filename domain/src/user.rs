//! Users and their roles. Publisher and bidder are not roles: they are what an organisation's
//! users do (an organisation may both publish and bid).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A user of an organisation who manages it (the first user; adds members, edits the profile).
    OrgAdmin,
    /// A user of an organisation.
    OrgMember,
    /// 科技厅 official.
    Official,
    /// 评审专家, possibly employed by an organisation (conflict of interest).
    Expert,
    /// Platform operator.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::OrgAdmin,
        Self::OrgMember,
        Self::Official,
        Self::Expert,
        Self::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrgAdmin => "org_admin",
            Self::OrgMember => "org_member",
            Self::Official => "official",
            Self::Expert => "expert",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that act on behalf of an organisation (publish, bid).
    pub fn is_organization_user(self) -> bool {
        matches!(self, Self::OrgAdmin | Self::OrgMember)
    }

    /// Whether `self` may create a platform user of role `target` (`/admin/users`):
    /// admins create officials, experts and admins; officials create experts.
    pub fn may_create(self, target: Role) -> bool {
        match self {
            Self::Admin => matches!(target, Self::Official | Self::Expert | Self::Admin),
            Self::Official => target == Self::Expert,
            _ => false,
        }
    }

    /// Whether `self` may list and read platform users of role `target` (`/admin/users`, a
    /// user's history): admins read officials, experts and admins; officials read experts and
    /// officials.
    pub fn may_read_user(self, target: Role) -> bool {
        match self {
            Self::Admin => matches!(target, Self::Official | Self::Expert | Self::Admin),
            Self::Official => matches!(target, Self::Official | Self::Expert),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_creates_whom() {
        assert!(Role::Admin.may_create(Role::Official));
        assert!(Role::Admin.may_create(Role::Admin));
        assert!(Role::Official.may_create(Role::Expert));
        assert!(!Role::Official.may_create(Role::Official));
        assert!(!Role::Official.may_create(Role::Admin));
        assert!(!Role::Expert.may_create(Role::Expert));
        assert!(!Role::OrgAdmin.may_create(Role::Expert));
        assert!(!Role::Admin.may_create(Role::OrgMember));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn who_reads_whom() {
        assert!(Role::Admin.may_read_user(Role::Admin));
        assert!(Role::Official.may_read_user(Role::Official));
        assert!(Role::Official.may_read_user(Role::Expert));
        assert!(!Role::Official.may_read_user(Role::Admin));
        assert!(!Role::Expert.may_read_user(Role::Expert));
        assert!(!Role::OrgAdmin.may_read_user(Role::Official));
    }
}

//! Who sees an organisation (单位) and what the caller may do with it now (`actions` on every
//! organisation view), from the checks the actions run.

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::views::OrganizationView;
use jiebang_db::models::Organization;
use jiebang_domain::codes::Code;
use jiebang_domain::Role;
use serde::Serialize;

/// An action on an organisation, as named in `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrganizationActionName {
    /// `PATCH /organizations/{id}` (its admin; platform admins)
    Edit,
    /// `POST /organizations/{id}/verify` (officials and admins)
    Verify,
    /// `POST /organizations/{id}/members` (its admin)
    AddMember,
    /// `POST /organizations/{id}/return` (officials and admins): the registration goes back to
    /// the organisation with a reason
    Return,
}

impl OrganizationActionName {
    pub const ALL: [OrganizationActionName; 4] =
        [Self::Edit, Self::Verify, Self::AddMember, Self::Return];
}

/// Whether the caller may see an organisation's private parts (members, history, unverified).
pub fn is_insider(caller: &Caller, org_id: &str) -> bool {
    caller.belongs_to(org_id) || caller.is_staff()
}

/// A verified organisation is public; an unverified one is seen by its users and staff.
pub fn visible(o: &Organization, caller: Option<&Caller>) -> bool {
    o.is_verified() || caller.is_some_and(|a| is_insider(a, &o.id))
}

fn not_found() -> Error {
    Error::not_found("单位 / organization")
}

/// Whether the caller may take `action` on organisation `org_id` now; the refusal is the one the
/// action answers. `o` is the stored organisation where the check needs it (`verify`); `None` is
/// answered 404 there.
pub fn check(
    o: Option<&Organization>,
    org_id: &str,
    caller: &Caller,
    action: OrganizationActionName,
) -> Result<()> {
    match action {
        OrganizationActionName::Edit => {
            let is_org_admin = caller.role == Role::OrgAdmin && caller.belongs_to(org_id);
            if !is_org_admin && caller.role != Role::Admin {
                return Err(if is_insider(caller, org_id) {
                    Error::with(
                        Code::Forbidden,
                        "只有本单位管理员可以修改单位信息 / only the organisation's admin may edit it",
                    )
                } else {
                    not_found()
                });
            }
        }
        OrganizationActionName::Verify | OrganizationActionName::Return => {
            caller.require(&[Role::Admin, Role::Official])?;
            if o.ok_or_else(not_found)?.is_verified() {
                return Err(Error::with(
                    Code::AlreadyVerified,
                    "该单位已认证 / the organisation is already verified",
                ));
            }
        }
        OrganizationActionName::AddMember => {
            if !is_insider(caller, org_id) {
                return Err(not_found());
            }
            if !(caller.role == Role::OrgAdmin && caller.belongs_to(org_id)) {
                return Err(Error::with(
                    Code::Forbidden,
                    "只有本单位管理员可以添加成员 / only the organisation's admin may add members",
                ));
            }
        }
    }
    Ok(())
}

/// The actions [`check`] allows now (none for an anonymous caller).
pub fn actions(o: &Organization, caller: Option<&Caller>) -> Vec<OrganizationActionName> {
    let Some(caller) = caller else {
        return Vec::new();
    };
    OrganizationActionName::ALL
        .into_iter()
        .filter(|a| check(Some(o), &o.id, caller, *a).is_ok())
        .collect()
}

/// The view of `o` with the caller's actions.
pub fn view(o: &Organization, caller: Option<&Caller>) -> OrganizationView {
    let mut v = OrganizationView::from(o);
    v.actions = Some(actions(o, caller));
    v
}

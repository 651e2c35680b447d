//! Who sees an innovation consortium (创新联合体) and what the caller may do with it now
//! (`actions` on every consortium view), from the checks the actions run.

use crate::caller::Caller;
use crate::error::{Error, Result};
use jiebang_db::consortia::Consortium;
use jiebang_domain::codes::Code;
use jiebang_domain::organization::ConsortiumStatus;
use jiebang_domain::Role;
use serde::Serialize;

/// An action on a consortium, as named in `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsortiumActionName {
    /// `POST /consortia/{id}/file` (备案), by the lead organisation
    File,
    /// `POST /consortia/{id}/revoke`, by an official
    Revoke,
}

impl ConsortiumActionName {
    pub const ALL: [ConsortiumActionName; 2] = [Self::File, Self::Revoke];
}

/// Filed consortia are public; drafts and revoked ones are seen by the lead's users and staff.
pub fn visible(c: &Consortium, caller: Option<&Caller>) -> bool {
    c.status() == ConsortiumStatus::Filed
        || caller.is_some_and(|a| a.belongs_to(&c.lead_organization_id) || a.is_staff())
}

/// Whether the caller may draft a consortium (`POST /consortia`): a user of an enterprise, which
/// leads it. The organisation the caller acts for is returned.
pub fn may_lead(caller: &Caller) -> Result<&jiebang_db::models::Organization> {
    match (&caller.organization, caller.role.is_organization_user()) {
        (Some(o), true)
            if jiebang_domain::OrganizationKind::parse(&o.kind)
                == Some(jiebang_domain::OrganizationKind::Enterprise) =>
        {
            Ok(o)
        }
        _ => Err(Error::with(
            Code::NotAnEnterprise,
            "创新联合体由企业牵头组建 / a consortium is led by an enterprise",
        )),
    }
}

/// Whether the caller may take `action` on the consortium now; the refusal is the one the
/// action answers.
pub fn check(c: &Consortium, caller: &Caller, action: ConsortiumActionName) -> Result<()> {
    match action {
        ConsortiumActionName::File => {
            if !visible(c, Some(caller)) {
                return Err(Error::not_found("创新联合体 / consortium"));
            }
            if !caller.belongs_to(&c.lead_organization_id) {
                return Err(Error::with(
                    Code::NotLead,
                    "由牵头单位备案 / the lead organisation files it",
                ));
            }
            if c.status() != ConsortiumStatus::Draft {
                return Err(Error::with(
                    Code::ConsortiumNotDraft,
                    "该联合体已备案或已撤销 / the consortium is already filed or revoked",
                ));
            }
        }
        ConsortiumActionName::Revoke => {
            caller.require(&[Role::Official])?;
            if c.status() != ConsortiumStatus::Filed {
                return Err(Error::with(
                    Code::ConsortiumNotFiled,
                    "只有已备案的联合体可以撤销 / only a filed consortium is revoked",
                ));
            }
        }
    }
    Ok(())
}

/// The actions [`check`] allows now (none for an anonymous caller).
pub fn actions(c: &Consortium, caller: Option<&Caller>) -> Vec<ConsortiumActionName> {
    let Some(caller) = caller else {
        return Vec::new();
    };
    ConsortiumActionName::ALL
        .into_iter()
        .filter(|a| check(c, caller, *a).is_ok())
        .collect()
}

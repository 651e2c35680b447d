//! What a caller may do with an agreement (协议/任务书) and its milestones now (`actions` on the
//! agreement view and on each of its milestones), from the checks the actions run.

use crate::caller::Caller;
use crate::error::{Error, Result};
use jiebang_db::agreements::{MilestoneRow, Signature};
use jiebang_db::evaluation::Agreement;
use jiebang_db::DbConnection;
use jiebang_domain::agreement::{self, AgreementStatus, MilestoneStatus, PartyRole, Terms};
use jiebang_domain::codes::Code;
use jiebang_domain::Role;
use serde::Serialize;

/// The caller's side of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Publisher,
    Bidder,
    /// A consortium member of the winning bid: reads the agreement, acts on nothing.
    Member,
    Staff,
    None,
}

/// Which side `caller` is on: a user of a party's organisation, staff, or none (404).
pub fn side(caller: &Caller, terms: &Terms) -> Side {
    let org_of = |role| terms.party(role).map(|p| p.organization_id.clone());
    if org_of(PartyRole::Publisher).is_some_and(|o| caller.belongs_to(&o)) {
        Side::Publisher
    } else if org_of(PartyRole::Bidder).is_some_and(|o| caller.belongs_to(&o)) {
        Side::Bidder
    } else if terms
        .members()
        .any(|p| caller.belongs_to(&p.organization_id))
    {
        Side::Member
    } else if caller.is_staff() {
        Side::Staff
    } else {
        Side::None
    }
}

/// An action on an agreement, as named in `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgreementActionName {
    /// `PATCH /agreements/{id}`: change the terms (clears every signature)
    EditTerms,
    /// `POST …/sign` (an `org_admin` of a party)
    Sign,
    /// `POST …/register` (备案, officials)
    Register,
    /// `POST …/payments` with `source: fiscal` (officials)
    PayFiscal,
    /// `POST …/payments` with `source: enterprise` (the publisher)
    PayEnterprise,
    /// `POST …/terminate` (officials, the publisher)
    Terminate,
    /// `POST …/complete` (officials, the publisher)
    Complete,
}

impl AgreementActionName {
    pub const ALL: [AgreementActionName; 7] = [
        Self::EditTerms,
        Self::Sign,
        Self::Register,
        Self::PayFiscal,
        Self::PayEnterprise,
        Self::Terminate,
        Self::Complete,
    ];
}

/// An action on a milestone of an agreement, as named in the milestone's `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MilestoneActionName {
    /// `POST …/milestones/{mid}/report` (the bidder's users)
    Report,
    /// `POST …/milestones/{mid}/confirm` (the publisher's users)
    Confirm,
}

/// The facts the checks decide on.
pub struct AgreementFacts<'a> {
    pub caller: &'a Caller,
    pub side: Side,
    pub status: AgreementStatus,
    /// The caller's organisation has signed.
    pub signed_by_caller: bool,
    pub signatures: usize,
    pub parties: usize,
    /// Every milestone is met (and there is at least one).
    pub all_met: bool,
}

impl<'a> AgreementFacts<'a> {
    pub fn load(
        conn: &mut DbConnection,
        a: &Agreement,
        terms: &Terms,
        caller: &'a Caller,
    ) -> Result<AgreementFacts<'a>> {
        let signatures = jiebang_db::agreements::signatures(conn, &a.id)?;
        let milestones = jiebang_db::agreements::milestones(conn, &a.id)?;
        AgreementFacts::of(a, terms, caller, &signatures, &milestones)
    }

    /// The facts from the agreement's signatures and milestones read already (a view that
    /// shows them too reads them once).
    pub fn of(
        a: &Agreement,
        terms: &Terms,
        caller: &'a Caller,
        signatures: &[Signature],
        milestones: &[MilestoneRow],
    ) -> Result<AgreementFacts<'a>> {
        let org = caller.organization_id();
        Ok(AgreementFacts {
            caller,
            side: side(caller, terms),
            status: AgreementStatus::parse(&a.status)
                .ok_or_else(|| Error::internal("unknown agreement status"))?,
            signed_by_caller: signatures
                .iter()
                .any(|s| Some(s.organization_id.as_str()) == org),
            signatures: signatures.len(),
            parties: terms.signatories(),
            all_met: !milestones.is_empty()
                && milestones
                    .iter()
                    .all(|m| m.status() == MilestoneStatus::Met),
        })
    }
}

/// The refusal of an action the agreement's state does not allow.
pub fn wrong_state(e: agreement::WrongAgreementState) -> Error {
    Error::with(
        e.code(),
        format!(
            "协议当前状态为 {}，不能执行此操作 / the agreement is {}",
            e.current.as_str(),
            e.current.as_str()
        ),
    )
}

fn not_registered(detail: &str) -> Error {
    Error::with(Code::AgreementNotRegistered, detail.to_owned())
}

/// Whether the caller may take `action` on the agreement now; the refusal is the one the action
/// answers. Checks on the request body (the terms hash seen, amounts) are the action's own.
pub fn check(f: &AgreementFacts, action: AgreementActionName) -> Result<()> {
    use AgreementActionName as A;
    if f.side == Side::None {
        return Err(Error::not_found("协议 / agreement"));
    }
    let role = f.caller.role;
    match action {
        A::EditTerms => {
            if f.side == Side::Member || (f.side == Side::Staff && role != Role::Official) {
                return Err(Error::with(Code::Forbidden, "只有协议双方或科技厅可以修改条款 / only the parties or an official change the terms"));
            }
            agreement::after_terms_change(f.status).map_err(wrong_state)?;
        }
        A::Sign => {
            if !matches!(f.side, Side::Publisher | Side::Bidder) {
                return Err(Error::with(
                    Code::NotAParty,
                    "只有协议双方可以签署 / only the parties sign",
                ));
            }
            if role != Role::OrgAdmin {
                return Err(Error::with(
                    Code::NotAuthorisedSignatory,
                    "须由本单位管理员签署 / an organisation admin signs for it",
                ));
            }
            if f.signed_by_caller {
                return Err(Error::with(
                    Code::AlreadySigned,
                    "本单位已签署 / your organisation has already signed",
                ));
            }
            agreement::after_signature(f.status, f.signatures + 1, f.parties)
                .map_err(wrong_state)?;
        }
        A::Register => {
            f.caller.require(&[Role::Official])?;
            agreement::register(f.status).map_err(wrong_state)?;
        }
        A::PayFiscal | A::PayEnterprise => {
            let allowed = match action {
                A::PayFiscal => role == Role::Official,
                _ => f.side == Side::Publisher,
            };
            if !allowed {
                return Err(Error::with(Code::Forbidden, "财政资金由科技厅登记，企业资金由发榜方登记 / officials record fiscal money, the publisher enterprise money"));
            }
            if !matches!(
                f.status,
                AgreementStatus::Registered | AgreementStatus::Completed
            ) {
                return Err(not_registered("协议备案后方可登记拨付 / payments are recorded once the agreement is registered"));
            }
        }
        A::Terminate | A::Complete => {
            if !(f.side == Side::Publisher || role == Role::Official) {
                return Err(Error::with(Code::Forbidden, "只有科技厅或发榜方可以执行此操作 / only an official or the publisher may do this"));
            }
            if action == A::Terminate {
                agreement::terminate(f.status).map_err(wrong_state)?;
            } else {
                agreement::complete(f.status, f.all_met).map_err(wrong_state)?;
            }
        }
    }
    Ok(())
}

/// Whether the caller may take `action` on a milestone in state `m` now.
pub fn check_milestone(
    f: &AgreementFacts,
    m: MilestoneStatus,
    action: MilestoneActionName,
) -> Result<()> {
    if f.side == Side::None {
        return Err(Error::not_found("协议 / agreement"));
    }
    match action {
        MilestoneActionName::Report => {
            if f.side != Side::Bidder {
                return Err(Error::with(
                    Code::NotBidder,
                    "里程碑由揭榜方报告 / the bidder reports milestones",
                ));
            }
            if f.status != AgreementStatus::Registered {
                return Err(not_registered("协议备案后方可报告里程碑 / milestones are reported once the agreement is registered"));
            }
            if !matches!(m, MilestoneStatus::Scheduled | MilestoneStatus::NotMet) {
                return Err(Error::with(
                    Code::MilestoneNotOpen,
                    "该里程碑已报告或已确认 / the milestone is already reported or confirmed",
                ));
            }
        }
        MilestoneActionName::Confirm => {
            if f.side != Side::Publisher {
                return Err(Error::with(
                    Code::NotPublisher,
                    "里程碑由发榜方确认 / the publisher confirms milestones",
                ));
            }
            if f.status != AgreementStatus::Registered {
                return Err(not_registered("只有已备案的协议可以确认里程碑 / milestones are confirmed on registered agreements"));
            }
            if m != MilestoneStatus::Reported {
                return Err(Error::with(
                    Code::MilestoneNotReported,
                    "该里程碑尚未报告 / the milestone is not reported",
                ));
            }
        }
    }
    Ok(())
}

/// The agreement actions [`check`] allows now.
pub fn actions(f: &AgreementFacts) -> Vec<AgreementActionName> {
    AgreementActionName::ALL
        .into_iter()
        .filter(|a| check(f, *a).is_ok())
        .collect()
}

/// The milestone actions [`check_milestone`] allows now.
pub fn milestone_actions(f: &AgreementFacts, m: MilestoneStatus) -> Vec<MilestoneActionName> {
    [MilestoneActionName::Report, MilestoneActionName::Confirm]
        .into_iter()
        .filter(|a| check_milestone(f, m, *a).is_ok())
        .collect()
}

//! What a caller may do with a bid now (`actions` on every bid view), from the same checks the
//! actions run ([`check`]); the view lists the actions for which they pass ([`actions`]). Whether
//! the stored content is complete enough to submit is the submission's own check (422 with the
//! fields at fault), not part of the listing.

use crate::bids::{open_for_bids, wrong_state};
use crate::caller::Caller;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use jiebang_db::bids::Bid;
use jiebang_db::challenges::Challenge;
use jiebang_domain::bid::{self, BidAction};
use jiebang_domain::codes::Code;
use serde::Serialize;

/// An action on a bid, as named in `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BidActionName {
    /// `PATCH /bids/{id}`: change a draft
    Edit,
    /// `POST /bids/{id}/submit`
    Submit,
    /// `POST /bids/{id}/withdraw`
    Withdraw,
}

impl BidActionName {
    pub const ALL: [BidActionName; 3] = [Self::Edit, Self::Submit, Self::Withdraw];
}

/// The facts the checks decide on; `now` is read under the challenge's row lock when the action
/// follows.
pub struct BidFacts<'a> {
    pub bid: &'a Bid,
    pub challenge: &'a Challenge,
    pub caller: &'a Caller,
    pub now: DateTime<Utc>,
}

/// Whether the caller may take `action` on the bid now; the refusal is the one the action answers.
pub fn check(f: &BidFacts, action: BidActionName) -> Result<()> {
    // only the lead organisation's users act on a bid; to anyone else it does not exist
    if !f.caller.belongs_to(&f.bid.lead_organization_id) {
        return Err(Error::not_found("申报 / bid"));
    }
    let domain_action = match action {
        BidActionName::Edit => BidAction::Edit,
        BidActionName::Submit => BidAction::Submit,
        BidActionName::Withdraw => BidAction::Withdraw,
    };
    // after the deadline every bid action is refused as late, whatever state the bid is in
    open_for_bids(f.challenge, f.now)?;
    bid::transition(f.bid.status(), domain_action).map_err(wrong_state)?;
    if action == BidActionName::Submit
        && !f
            .caller
            .organization
            .as_ref()
            .is_some_and(|o| o.is_verified())
    {
        return Err(Error::with(
            Code::OrganizationUnverified,
            "本单位尚未通过认证 / your organisation is not verified",
        ));
    }
    Ok(())
}

/// The actions [`check`] allows now.
pub fn actions(f: &BidFacts) -> Vec<BidActionName> {
    BidActionName::ALL
        .into_iter()
        .filter(|a| check(f, *a).is_ok())
        .collect()
}

//! Bids (揭榜申报) in the application layer: sealing (who reads a bid, and when), the checks of
//! an open bidding window, and what happens to bids when their challenge moves (the close, the
//! formal check, a material amendment, a cancellation).

use crate::audit::{self, Actor};
use crate::caller::Caller;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::notify;
use crate::utc;
use chrono::{DateTime, Utc};
use jiebang_db::bids::{Bid, BidStatusChange};
use jiebang_db::challenges::Challenge;
use jiebang_db::DbConnection;
use jiebang_domain::bid::{self, BidAction, BidStatus, Reason};
use jiebang_domain::challenge::ChallengeStatus;
use jiebang_domain::codes::Code;
use jiebang_notifications::Event;

pub fn not_found() -> Error {
    Error::not_found("申报 / bid")
}

/// Whether bidding on `c` has closed: the scheduler closed it, or its deadline has passed.
pub fn bidding_closed(c: &Challenge, now: DateTime<Utc>) -> bool {
    c.closed_at.is_some()
        || (c.status() == ChallengeStatus::Published && utc(c.bidding_deadline) <= now)
}

/// May the caller read bid `b` of challenge `c`? Its lead organisation always; after the
/// deadline the publisher's users, officials and admins read bids that were handed in.
/// `assigned_expert`: the caller is an expert assigned to the challenge.
pub fn may_read(
    auth: &Caller,
    b: &Bid,
    c: &Challenge,
    now: DateTime<Utc>,
    assigned_expert: bool,
) -> bool {
    if auth.belongs_to(&b.lead_organization_id) {
        return true;
    }
    let party = auth.belongs_to(&c.organization_id) || auth.is_staff() || assigned_expert;
    party && bidding_closed(c, now) && b.status().was_submitted()
}

/// Whether the caller is an expert assigned to challenge `c`.
pub fn is_assigned_expert(conn: &mut DbConnection, auth: &Caller, c: &Challenge) -> Result<bool> {
    Ok(auth.role == jiebang_domain::Role::Expert
        && jiebang_db::evaluation::is_assigned(conn, &c.id, &auth.user.id)?)
}

pub fn wrong_state(e: bid::WrongBidState) -> Error {
    Error::with(
        e.code(),
        format!(
            "申报当前状态为 {}，不能执行此操作 / the bid is {}",
            e.current.as_str(),
            e.current.as_str()
        ),
    )
}

/// The checks every change of a bid's fate before the deadline makes, with the challenge row
/// locked: still published, and the clock — read now, under the lock — before the deadline.
pub fn open_for_bids(c: &Challenge, now: DateTime<Utc>) -> Result<()> {
    if c.status() != ChallengeStatus::Published {
        return Err(Error::with(
            Code::ChallengeNotPublished,
            format!(
                "榜单当前状态为 {}，不接受申报 / the challenge is {} and takes no bids",
                c.status, c.status
            ),
        ));
    }
    if utc(c.bidding_deadline) <= now {
        return Err(Error::with(
            Code::BiddingClosed,
            "揭榜已截止 / bidding has closed",
        ));
    }
    Ok(())
}

/// At the close of bidding (in the scheduler's transaction): the formal check (形式审查) of every
/// submitted bid. Failing bids become `ineligible` with their reasons. Returns how many bids
/// remain eligible.
pub fn formal_check_all(
    conn: &mut DbConnection,
    ctx: &Ctx,
    c: &Challenge,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut eligible = 0;
    for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
        if b.status() != BidStatus::Submitted {
            continue;
        }
        let members = jiebang_db::bids::members(conn, &b.id)?;
        let party = |conn: &mut DbConnection, org: &str| -> Result<bid::Party> {
            let o = jiebang_db::organizations::find(conn, org)?;
            Ok(bid::Party {
                region_code: o
                    .as_ref()
                    .map(|o| o.region_code.clone())
                    .unwrap_or_default(),
                verified: o.is_some_and(|o| o.is_verified()),
            })
        };
        let lead = party(conn, &b.lead_organization_id)?;
        let mut parties = Vec::with_capacity(members.len());
        for m in &members {
            parties.push(party(conn, &m.organization_id)?);
        }
        let reasons: Vec<Reason> = bid::formal_check(
            &b.content(members),
            &lead,
            &parties,
            &c.eligibility(),
            &c.kpis(),
            &ctx.settings.home_region,
        );
        if reasons.is_empty() {
            eligible += 1;
            continue;
        }
        let change = BidStatusChange {
            status: Some(BidStatus::Ineligible.as_str().into()),
            ineligible_reasons_json: Some(Some(
                serde_json::to_string(&reasons).map_err(Error::internal)?,
            )),
            ..Default::default()
        };
        jiebang_db::bids::change_status(conn, &b.id, "submitted", &change, now.naive_utc())?;
        audit::record(
            conn,
            &Actor::system(),
            now,
            "bid",
            &b.id,
            "formal_check_failed",
            None::<&()>,
            Some(&reasons),
            None,
        )?;
        let users = notify::organization_users(conn, &b.lead_organization_id)?;
        let event = Event::BidIneligible {
            challenge_id: c.id.clone(),
            title: c.title.clone(),
            reasons: reasons.iter().map(|r| r.message.clone()).collect(),
        };
        notify::notify(conn, &ctx.settings.public_url, &users, &event, now)?;
    }
    Ok(eligible)
}

/// A material amendment of the challenge: submitted bids go back to draft for re-confirmation
/// (their authors are told by the amendment notice). Returns how many were reopened.
pub fn reopen_submitted(
    conn: &mut DbConnection,
    c: &Challenge,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<usize> {
    let mut n = 0;
    for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
        if bid::transition(b.status(), BidAction::Reopen).is_err() {
            continue;
        }
        let change = BidStatusChange {
            status: Some(BidStatus::Draft.as_str().into()),
            submitted_at: Some(None),
            ..Default::default()
        };
        if jiebang_db::bids::change_status(conn, &b.id, "submitted", &change, now.naive_utc())? {
            audit::record(
                conn,
                actor,
                now,
                "bid",
                &b.id,
                "reopened_by_amendment",
                None::<&()>,
                None::<&()>,
                None,
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// Users of the organisations leading live bids on a challenge.
pub fn bidder_users(conn: &mut DbConnection, challenge: &str) -> Result<Vec<String>> {
    let leads = jiebang_db::bids::live_leads(conn, challenge)?;
    notify::users_of(conn, &leads)
}

/// Frees the 限项 places of bids that can no longer go anywhere: drafts left when bidding
/// closes become `withdrawn`; when a challenge is cancelled, its drafts become `withdrawn` and its
/// submitted bids `not_awarded`.
pub fn release_live_bids(
    conn: &mut DbConnection,
    c: &Challenge,
    now: DateTime<Utc>,
    actor: &Actor,
    cancelled: bool,
) -> Result<()> {
    for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
        let (action, audit_action) = match b.status() {
            BidStatus::Draft => (
                BidAction::Withdraw,
                if cancelled {
                    "lapsed_challenge_cancelled"
                } else {
                    "lapsed_at_close"
                },
            ),
            BidStatus::Submitted if cancelled => (BidAction::NotAward, "challenge_cancelled"),
            _ => continue,
        };
        let to = bid::transition(b.status(), action).map_err(wrong_state)?;
        let change = BidStatusChange {
            status: Some(to.as_str().into()),
            withdrawn_at: (to == BidStatus::Withdrawn).then(|| now.naive_utc()),
            ..Default::default()
        };
        if jiebang_db::bids::change_status(conn, &b.id, &b.status, &change, now.naive_utc())? {
            audit::record(
                conn,
                actor,
                now,
                "bid",
                &b.id,
                audit_action,
                None::<&()>,
                Some(&to.as_str()),
                None,
            )?;
        }
    }
    Ok(())
}

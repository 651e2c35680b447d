//! Bids (揭榜申报) in the application layer: sealing (who reads a bid, and when), the checks of
//! an open bidding window, and what happens to bids when their challenge moves (the close, the
//! formal check, a material amendment, a cancellation).

use crate::audit::{self, Actor};
use crate::bid_actions::{actions, check, BidActionName, BidFacts};
use crate::caller::Caller;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::notify;
use crate::utc;
use chrono::{DateTime, SubsecRound, Utc};
use jiebang_db::appends::Appends;
use jiebang_db::bids::{Bid, BidStatusChange};
use jiebang_db::challenges::Challenge;
use jiebang_db::DbConnection;
use jiebang_domain::bid::{self, BidAction, BidStatus, Member, Reason};
use jiebang_domain::bid::{ChiefScientist, KpiAnswer, Milestone};
use jiebang_domain::challenge::ChallengeStatus;
use jiebang_domain::codes::Code;
use jiebang_notifications::Event;
use serde::Serialize;

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

/// May the caller read bid `b` as a user of one of its consortium members? Once bidding has
/// closed, a handed-in bid is the members' as much as the lead's (before, it is the lead's
/// draft to change). See [`may_read`] for everyone else.
pub fn may_read_as_member(
    conn: &mut DbConnection,
    auth: &Caller,
    b: &Bid,
    c: &Challenge,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(org) = auth
        .organization_id()
        .filter(|_| auth.role.is_organization_user())
    else {
        return Ok(false);
    };
    if !(bidding_closed(c, now) && b.status().was_submitted()) {
        return Ok(false);
    }
    Ok(jiebang_db::bids::members(conn, &b.id)?
        .iter()
        .any(|m| m.organization_id == org))
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
/// locked: the clock — read now, under the lock — before the deadline, and the challenge still
/// published. The deadline is asked first, so that anything arriving after it is told
/// `bidding_closed`, whether or not the close has run yet (and whatever it did to the bid).
pub fn open_for_bids(c: &Challenge, now: DateTime<Utc>) -> Result<()> {
    if c.published_at.is_some() && utc(c.bidding_deadline) <= now {
        return Err(Error::with(
            Code::BiddingClosed,
            "揭榜已截止 / bidding has closed",
        ));
    }
    if c.status() != ChallengeStatus::Published {
        return Err(Error::with(
            Code::ChallengeNotPublished,
            format!(
                "榜单当前状态为 {}，不接受申报 / the challenge is {} and takes no bids",
                c.status, c.status
            ),
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
        let users = notify::bid_users(conn, &b)?;
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
/// closes become `lapsed` (失效), and everyone the bid speaks for is told (`bid_lapsed`); when a
/// challenge is cancelled, its drafts become `lapsed` and its submitted bids `not_awarded` (the
/// cancellation notice tells their organisations).
pub fn release_live_bids(
    conn: &mut DbConnection,
    ctx: &Ctx,
    c: &Challenge,
    now: DateTime<Utc>,
    actor: &Actor,
    cancelled: bool,
) -> Result<()> {
    for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
        let (action, audit_action) = match b.status() {
            BidStatus::Draft => (
                BidAction::Lapse,
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
            if to == BidStatus::Lapsed && !cancelled {
                let users = notify::bid_users(conn, &b)?;
                let event = Event::BidLapsed {
                    challenge_id: c.id.clone(),
                    title: c.title.clone(),
                    bid_id: b.id.clone(),
                    deadline: utc(c.bidding_deadline),
                };
                notify::notify(conn, &ctx.settings.public_url, &users, &event, now)?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub organization_id: String,
    pub name: String,
    pub region_code: String,
    pub role: String,
    pub share_percent: u32,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonView {
    pub code: String,
    pub message: String,
}

/// A bid, as its lead organisation (and, after the deadline, the publisher and officials) see it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BidView {
    pub id: String,
    pub challenge_id: String,
    /// `draft` | `submitted` | `withdrawn` | `lapsed` | `ineligible` | `awarded` | `not_awarded`
    pub status: String,
    pub lead_organization_id: String,
    pub lead_organization_name: String,
    pub members: Vec<MemberView>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub chief_scientist: Option<ChiefScientist>,
    pub approach: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub kpi_answers: Vec<KpiAnswer>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub milestones: Vec<Milestone>,
    pub requested_fiscal: i64,
    pub own_funds: i64,
    /// Why the formal check (形式审查) found the bid ineligible.
    pub ineligible_reasons: Vec<ReasonView>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// What the caller may do with the bid now (`edit`, `submit`, `withdraw`): the lead
    /// organisation's users while the bidding window is open. On every view the API returns;
    /// absent only from audit entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<BidActionName>>,
}

pub fn org_name(conn: &mut DbConnection, id: &str) -> Result<(String, String)> {
    Ok(jiebang_db::organizations::find(conn, id)?
        .map(|o| (o.name, o.region_code))
        .unwrap_or_default())
}

pub fn view(conn: &mut DbConnection, b: &Bid) -> Result<BidView> {
    let members = jiebang_db::bids::members(conn, &b.id)?;
    view_with(conn, b, members, None)
}

/// The view of `b`, whose consortium members are `members`; `known` an organisation already read
/// (the caller's), whose name is not read again.
fn view_with(
    conn: &mut DbConnection,
    b: &Bid,
    members: Vec<Member>,
    known: Option<&jiebang_db::models::Organization>,
) -> Result<BidView> {
    let mut member_views = Vec::with_capacity(members.len());
    for m in members {
        let (name, region_code) = org_name(conn, &m.organization_id)?;
        member_views.push(MemberView {
            organization_id: m.organization_id,
            name,
            region_code,
            role: m.role,
            share_percent: m.share_percent,
        });
    }
    let lead = match known.filter(|o| o.id == b.lead_organization_id) {
        Some(o) => o.name.clone(),
        None => org_name(conn, &b.lead_organization_id)?.0,
    };
    Ok(assemble(b, lead, member_views))
}

/// `v`, a view of this bid read earlier in the transaction, as the row `b` now says (a change of
/// state leaves the members and the organisations' names as they were).
fn restated(v: &BidView, b: &Bid) -> BidView {
    assemble(b, v.lead_organization_name.clone(), v.members.clone())
}

fn assemble(b: &Bid, lead_organization_name: String, members: Vec<MemberView>) -> BidView {
    BidView {
        id: b.id.clone(),
        challenge_id: b.challenge_id.clone(),
        status: b.status.clone(),
        lead_organization_id: b.lead_organization_id.clone(),
        lead_organization_name,
        members,
        chief_scientist: b.chief_scientist(),
        approach: b.approach.clone(),
        kpi_answers: b.kpi_answers(),
        milestones: b.milestones(),
        requested_fiscal: b.requested_fiscal,
        own_funds: b.own_funds,
        ineligible_reasons: b
            .ineligible_reasons()
            .into_iter()
            .map(|r| ReasonView {
                code: r.code,
                message: r.message,
            })
            .collect(),
        submitted_at: b.submitted_at.map(utc),
        withdrawn_at: b.withdrawn_at.map(utc),
        created_at: utc(b.created_at),
        updated_at: utc(b.updated_at),
        version: b.version,
        actions: None,
    }
}

/// The lead's check of `action` on bid `b` of challenge `c` at `now` (read under the row lock).
pub fn check_bid(
    b: &Bid,
    c: &Challenge,
    auth: &Caller,
    now: DateTime<Utc>,
    action: BidActionName,
) -> Result<()> {
    check(
        &BidFacts {
            bid: b,
            challenge: c,
            caller: auth,
            now,
        },
        action,
    )
}

/// The view of bid `id` with the caller's `actions`, read after the change (the challenge row is
/// still locked by the transaction).
pub fn with_actions(
    conn: &mut DbConnection,
    ctx: &Ctx,
    mut v: BidView,
    auth: &Caller,
) -> Result<BidView> {
    let b = jiebang_db::bids::find(conn, &v.id)?.ok_or_else(not_found)?;
    let c = jiebang_db::challenges::find(conn, &b.challenge_id)?.ok_or_else(not_found)?;
    v.actions = Some(actions(&BidFacts {
        bid: &b,
        challenge: &c,
        caller: auth,
        now: ctx.now(),
    }));
    Ok(v)
}

/// `v` with the caller's `actions`, from the bid row `b` and its challenge `c` as they are now.
fn with_actions_of(ctx: &Ctx, mut v: BidView, b: &Bid, c: &Challenge, auth: &Caller) -> BidView {
    v.actions = Some(actions(&BidFacts {
        bid: b,
        challenge: c,
        caller: auth,
        now: ctx.now(),
    }));
    v
}

/// Loads a bid with its challenge (locked) for the lead organisation's users; 404 for others.
pub fn load_own(conn: &mut DbConnection, id: &str, auth: &Caller) -> Result<(Bid, Challenge)> {
    // the challenge is locked before the bid is read, so the bid is read as it is under the lock
    // (nothing is written here: for anyone else the transaction rolls back with the 404)
    let c = jiebang_db::challenges::find_for_update_by_bid(conn, id)?.ok_or_else(not_found)?;
    let b = jiebang_db::bids::find(conn, id)?.ok_or_else(not_found)?;
    Ok((own(b, auth)?, c))
}

/// [`load_own`], with the bid's members read in the same query as the bid.
fn load_own_with_members(
    conn: &mut DbConnection,
    id: &str,
    auth: &Caller,
) -> Result<(Bid, Vec<Member>, Challenge)> {
    let c = jiebang_db::challenges::find_for_update_by_bid(conn, id)?.ok_or_else(not_found)?;
    let (b, members) = jiebang_db::bids::find_with_members(conn, id)?.ok_or_else(not_found)?;
    Ok((own(b, auth)?, members, c))
}

/// The bid, for its lead organisation's users; 404 for others.
fn own(b: Bid, auth: &Caller) -> Result<Bid> {
    if auth.belongs_to(&b.lead_organization_id) {
        Ok(b)
    } else {
        Err(not_found())
    }
}

// ---------------------------------------------------------------- use cases

/// The start of every lead's action on a bid: the bid and its challenge (locked), the clock read
/// under the lock, the check of `action`, and the state it leads to.
fn begin(
    conn: &mut DbConnection,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    action: BidActionName,
    to: BidAction,
) -> Result<(Bid, Challenge, BidStatus, DateTime<Utc>)> {
    let (b, c) = load_own(conn, id, caller)?;
    decide(ctx, caller, b, c, action, to)
}

/// The clock, read under the challenge's lock, the check of `action` and the state it leads to.
fn decide(
    ctx: &Ctx,
    caller: &Caller,
    b: Bid,
    c: Challenge,
    action: BidActionName,
    to: BidAction,
) -> Result<(Bid, Challenge, BidStatus, DateTime<Utc>)> {
    let now = ctx.now();
    check_bid(&b, &c, caller, now, action)?;
    let to = bid::transition(b.status(), to).map_err(wrong_state)?;
    Ok((b, c, to, now))
}

/// Writes `change` if the bid is still in the state it was read in (409 otherwise); the view of
/// the bid as it is now.
fn apply(
    conn: &mut DbConnection,
    b: &Bid,
    change: &BidStatusChange,
    now: DateTime<Utc>,
) -> Result<Bid> {
    jiebang_db::bids::change_status_returning(conn, &b.id, &b.status, change, now.naive_utc())?
        .ok_or_else(Error::version_conflict)
}

/// Submits a draft bid (提交申报) for its lead: accepted only if the clock, read under the
/// challenge's row lock, is before the deadline; the lead's users get a receipt (回执).
pub fn submit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    caller: &Caller,
    actor: &Actor,
    id: &str,
) -> Result<BidView> {
    let (b, members, c) = load_own_with_members(conn, id, caller)?;
    let (b, c, to, now) = decide(ctx, caller, b, c, BidActionName::Submit, BidAction::Submit)?;
    // whole microseconds, as PostgreSQL keeps them: the row the change returns is then exactly
    // the row predicted below
    let now = now.trunc_subsecs(6);
    let orgs = notify::bid_organizations(&b, &members);
    let content = b.content(members.clone());
    bid::check_complete(&content, &c.kpis())?;
    let change = BidStatusChange {
        status: Some(to.as_str().into()),
        submitted_at: Some(Some(now.naive_utc())),
        ..Default::default()
    };
    let before = view_with(conn, &b, members, caller.organization.as_ref())?;
    // The audit entry, the notices and the e-mails go in with the change, in one statement on
    // PostgreSQL (`jiebang_db::appends`), so the entry's `after` is the bid as the change will
    // leave it; it is checked against the row the change returns below.
    let predicted = Bid {
        status: to.as_str().into(),
        submitted_at: Some(now.naive_utc()),
        version: b.version + 1,
        updated_at: now.naive_utc(),
        ..b.clone()
    };
    let after = restated(&before, &predicted);
    let entry = audit::entry(
        actor,
        now,
        "bid",
        &b.id,
        "submit",
        Some(&before),
        Some(&after),
        None,
    );
    let event = Event::BidSubmitted {
        challenge_id: c.id.clone(),
        title: c.title.clone(),
        bid_id: b.id.clone(),
        at: now,
    };
    let (notifications, emails) =
        notify::for_organizations(conn, &ctx.settings.public_url, &orgs, &event, now)?;
    let appends = Appends {
        audit: vec![entry],
        notifications,
        emails,
    };
    let row = jiebang_db::bids::change_status_appending(
        conn,
        &b.id,
        &b.status,
        &change,
        now.naive_utc(),
        appends,
    )?
    .ok_or_else(Error::version_conflict)?;
    // Under the challenge's lock nothing else changes the bid, so the row is the one predicted;
    // were it not, the audit entry would not say what happened: refused, and all rolled back.
    if row != predicted {
        return Err(Error::version_conflict());
    }
    Ok(with_actions_of(ctx, after, &row, &c, caller))
}

/// Withdraws a live bid (撤回) for its lead, before the deadline; the place it held (限项) is free
/// again.
pub fn withdraw(
    conn: &mut DbConnection,
    ctx: &Ctx,
    caller: &Caller,
    actor: &Actor,
    id: &str,
) -> Result<BidView> {
    let (b, c, to, now) = begin(
        conn,
        ctx,
        caller,
        id,
        BidActionName::Withdraw,
        BidAction::Withdraw,
    )?;
    let change = BidStatusChange {
        status: Some(to.as_str().into()),
        withdrawn_at: Some(now.naive_utc()),
        ..Default::default()
    };
    let row = apply(conn, &b, &change, now)?;
    let after = view(conn, &row)?;
    audit::record(
        conn,
        actor,
        now,
        "bid",
        &b.id,
        "withdraw",
        None::<&()>,
        Some(&after),
        None,
    )?;
    let users = notify::bid_users(conn, &b)?;
    let event = Event::BidWithdrawn {
        challenge_id: c.id.clone(),
        title: c.title.clone(),
        bid_id: b.id.clone(),
    };
    notify::notify(conn, &ctx.settings.public_url, &users, &event, now)?;
    Ok(with_actions_of(ctx, after, &row, &c, caller))
}

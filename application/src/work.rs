//! Work lists (工作台): what a caller has to do, across challenges — an organisation's bids,
//! an expert's assignments. Reads only; each entry carries the actions its object allows now.

use crate::bid_actions::{actions as bid_actions, BidActionName, BidFacts};
use crate::caller::Caller;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::utc;
use chrono::{DateTime, Utc};
use jiebang_db::DbConnection;
use jiebang_domain::codes::Code;
use jiebang_domain::Role;
use serde::Serialize;

/// One of the organisation's bids, with the challenge it answers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyBid {
    pub bid_id: String,
    /// `draft` | `submitted` | `withdrawn` | `lapsed` | `ineligible` | `awarded` | `not_awarded`
    pub status: String,
    /// `lead` (牵头单位) or `member` (联合申报单位)
    pub role: String,
    pub lead_organization_id: String,
    pub challenge_id: String,
    pub challenge_title: String,
    /// The challenge's status (`published`, `evaluating`, `awarded`, …).
    pub challenge_status: String,
    pub bidding_deadline: DateTime<Utc>,
    /// The deadline in 北京时间, e.g. "2027-03-01 17:00:00 北京时间 (Asia/Shanghai, UTC+8)".
    pub bidding_deadline_local: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// What the caller may do with the bid now (`edit`, `submit`, `withdraw`): a lead's users
    /// only; a member's list is empty.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub actions: Vec<BidActionName>,
}

/// The bids of the caller's organisation — those it leads and those that name it as a member —
/// newest first (at most 1 000). Organisation users only.
pub fn my_bids(conn: &mut DbConnection, ctx: &Ctx, caller: &Caller) -> Result<Vec<MyBid>> {
    let org = caller
        .role
        .is_organization_user()
        .then(|| caller.organization_id())
        .flatten()
        .ok_or_else(|| {
            Error::with(
                Code::NoOrganization,
                "您不属于任何单位 / you belong to no organisation",
            )
        })?
        .to_owned();
    let now = ctx.now();
    let mut out = Vec::new();
    let mut challenges = std::collections::HashMap::new();
    for (b, leads) in jiebang_db::bids::of_organization(conn, &org)? {
        if !challenges.contains_key(&b.challenge_id) {
            let c = jiebang_db::challenges::find(conn, &b.challenge_id)?
                .ok_or_else(|| Error::internal("bid without challenge"))?;
            challenges.insert(b.challenge_id.clone(), c);
        }
        let c = &challenges[&b.challenge_id];
        let actions = if leads {
            bid_actions(&BidFacts {
                bid: &b,
                challenge: c,
                caller,
                now,
            })
        } else {
            Vec::new()
        };
        out.push(MyBid {
            bid_id: b.id.clone(),
            status: b.status.clone(),
            role: if leads { "lead" } else { "member" }.to_owned(),
            lead_organization_id: b.lead_organization_id.clone(),
            challenge_id: c.id.clone(),
            challenge_title: c.title.clone(),
            challenge_status: c.status.clone(),
            bidding_deadline: utc(c.bidding_deadline),
            bidding_deadline_local: jiebang_domain::challenge::shanghai(utc(c.bidding_deadline)),
            submitted_at: b.submitted_at.map(utc),
            updated_at: utc(b.updated_at),
            actions,
        });
    }
    Ok(out)
}

/// A challenge an expert is assigned to, and how far their scoring has come (已评 x / y).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub challenge_id: String,
    pub title: String,
    /// `evaluating` while scoring is open; later states once the award is made.
    pub status: String,
    pub assigned_at: DateTime<Utc>,
    /// The bids to score: eligible ones (submitted, or awarded or not after the award).
    pub bids_to_score: i64,
    /// How many of them this expert has scored.
    pub scored: i64,
    /// Every bid scored.
    pub done: bool,
}

/// The caller's assignments, newest first. Experts only.
pub fn my_assignments(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<Assignment>> {
    if caller.role != Role::Expert {
        return Err(Error::with(
            Code::Forbidden,
            "只有评审专家有评审任务 / only experts have assignments",
        ));
    }
    let mut out = Vec::new();
    for (challenge_id, assigned_at) in
        jiebang_db::evaluation::assignments_of(conn, &caller.user.id)?
    {
        let Some(c) = jiebang_db::challenges::find(conn, &challenge_id)? else {
            continue;
        };
        let (total, scored) =
            jiebang_db::evaluation::scoring_progress(conn, &c.id, &caller.user.id)?;
        out.push(Assignment {
            challenge_id: c.id.clone(),
            title: c.title.clone(),
            status: c.status.clone(),
            assigned_at: utc(assigned_at),
            bids_to_score: total,
            scored,
            done: scored >= total,
        });
    }
    Ok(out)
}

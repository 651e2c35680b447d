//! Challenges (榜单) in the application layer: their views, the audit-and-notify step that follows
//! every transition, and the close of bidding at the deadline (the scheduler's use case).

use crate::audit::{self, Actor};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::notify;
use crate::utc;
use chrono::{DateTime, Utc};
use jiebang_db::challenges::{Challenge, StatusChange};
use jiebang_db::DbConnection;
use jiebang_domain::bid::BidStatus;
use jiebang_domain::challenge::{self, Action, ChallengeStatus, Contact, Eligibility, Kpi};
use jiebang_notifications::Event;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublisherView {
    pub id: String,
    pub name: String,
    pub region_code: String,
}

/// A challenge. The public sees the published terms; the publisher's users and officials also
/// see the review comment, invitations and bookkeeping fields.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeView {
    pub id: String,
    /// `draft` | `pending_review` | `published` | `evaluating` | `awarded` | `contracted` |
    /// `completed` | `cancelled` | `unsuccessful`
    pub status: String,
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub industry: String,
    pub industry_chain: String,
    pub problem: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub kpis: Vec<Kpi>,
    pub expected_outcomes: String,
    pub duration_months: i64,
    pub enterprise_funds: i64,
    pub fiscal_support: i64,
    pub max_winners: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub eligibility: Eligibility,
    pub ip_ownership: String,
    pub bidding_deadline: DateTime<Utc>,
    /// The bidding deadline in Beijing time, for people.
    pub bidding_deadline_local: String,
    pub questions_deadline: DateTime<Utc>,
    pub questions_deadline_local: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub contact: Contact,
    pub publisher: PublisherView,
    /// How many bids were handed in: a count only, while bids are sealed.
    pub bid_count: i64,
    /// After the award (公示): the winning bids' lead organisations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winners: Option<Vec<WinnerView>>,
    pub published_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    /// Publisher and officials only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_organizations: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Send it back with an update (or as `If-Match`); publisher and officials only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// In the publisher's own list (`mine=true`): what it watches on each challenge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<PublisherCounts>,
    /// 更正公告: the amendments and extensions of the challenge since it was published, oldest
    /// first. On a single challenge's view (`GET /challenges/{id}`), for everyone who may read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amendments: Option<Vec<AmendmentView>>,
    /// What the caller may do with the challenge now (`edit`, `submit`, `approve`, `return`,
    /// `cancel`, `extend`, `ask`, `bid`), from the checks the actions run. On every view the API
    /// returns; absent only from audit entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<crate::challenge_actions::ChallengeAction>>,
}

/// A public notice of a change to a published challenge (更正公告).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AmendmentView {
    /// `amend` (the terms changed) | `extend` (the bidding deadline moved later)
    pub kind: String,
    pub at: DateTime<Utc>,
    /// The publisher's or official's explanation (修改说明 / 延期说明), when given.
    pub reason: Option<String>,
    /// For `extend`: the new bidding deadline.
    pub bidding_deadline: Option<DateTime<Utc>>,
}

/// The amendments and extensions of challenge `id`, oldest first, from its audit entries.
pub fn amendments(conn: &mut DbConnection, id: &str) -> Result<Vec<AmendmentView>> {
    let entries = jiebang_db::audit::entries_of(conn, "challenge", id, &["amend", "extend"])?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let extended = e.action == "extend";
            let deadline = extended
                .then(|| {
                    let after: serde_json::Value =
                        serde_json::from_str(e.after_json.as_deref()?).ok()?;
                    let t = after.get("bidding_deadline")?.as_str()?;
                    DateTime::parse_from_rfc3339(t)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                })
                .flatten();
            AmendmentView {
                kind: e.action,
                at: utc(e.at),
                reason: e.comment.filter(|c| !c.is_empty()),
                bidding_deadline: deadline,
            }
        })
        .collect())
}

/// What a publisher watches on its own challenge, beside `bid_count`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublisherCounts {
    /// Questions asked (答疑), and how many await an answer.
    pub questions: i64,
    pub questions_unanswered: i64,
    /// Experts assigned to evaluate it.
    pub experts_assigned: i64,
    /// Agreements drafted from its award.
    pub agreements: i64,
}

impl From<jiebang_db::challenges::WatchCounts> for PublisherCounts {
    fn from(w: jiebang_db::challenges::WatchCounts) -> Self {
        PublisherCounts {
            questions: w.questions,
            questions_unanswered: w.questions_unanswered,
            experts_assigned: w.experts_assigned,
            agreements: w.agreements,
        }
    }
}

pub fn view(
    c: &Challenge,
    publisher_name: &str,
    bid_count: i64,
    full: bool,
    invited: Option<Vec<String>>,
) -> ChallengeView {
    let bd = utc(c.bidding_deadline);
    let qd = utc(c.questions_deadline);
    ChallengeView {
        id: c.id.clone(),
        status: c.status.clone(),
        title: c.title.clone(),
        kind: c.kind.clone(),
        mode: c.mode.clone(),
        industry: c.industry.clone(),
        industry_chain: c.industry_chain.clone(),
        problem: c.problem.clone(),
        kpis: c.kpis(),
        expected_outcomes: c.expected_outcomes.clone(),
        duration_months: c.duration_months,
        enterprise_funds: c.enterprise_funds,
        fiscal_support: c.fiscal_support,
        max_winners: c.max_winners,
        eligibility: c.eligibility(),
        ip_ownership: c.ip_ownership.clone(),
        bidding_deadline: bd,
        bidding_deadline_local: challenge::shanghai(bd),
        questions_deadline: qd,
        questions_deadline_local: challenge::shanghai(qd),
        contact: c.contact(),
        publisher: PublisherView {
            id: c.organization_id.clone(),
            name: publisher_name.to_owned(),
            region_code: c.region_code.clone(),
        },
        bid_count,
        winners: None,
        amendments: None,
        published_at: c.published_at.map(utc),
        closed_at: c.closed_at.map(utc),
        cancel_reason: c.cancel_reason.clone(),
        review_comment: if full { c.review_comment.clone() } else { None },
        invited_organizations: if full { invited } else { None },
        submitted_at: if full { c.submitted_at.map(utc) } else { None },
        created_at: full.then(|| utc(c.created_at)),
        updated_at: full.then(|| utc(c.updated_at)),
        version: full.then_some(c.version),
        counts: None,
        actions: None,
    }
}

pub fn not_found() -> Error {
    Error::not_found("榜单 / challenge")
}

pub fn wrong_state(e: challenge::WrongState) -> Error {
    Error::with(
        e.code(),
        format!(
            "榜单当前状态为 {}，不能执行此操作 / the challenge is {}; this action needs it to be {}",
            e.current.as_str(),
            e.current.as_str(),
            e.required
        ),
    )
}

pub fn publisher_name(conn: &mut DbConnection, org: &str) -> Result<String> {
    Ok(jiebang_db::organizations::find(conn, org)?
        .map(|o| o.name)
        .unwrap_or_default())
}

pub fn full_view(conn: &mut DbConnection, c: &Challenge) -> Result<ChallengeView> {
    let name = publisher_name(conn, &c.organization_id)?;
    let invited = jiebang_db::challenges::invitations(conn, &c.id)?;
    let count = jiebang_db::bids::submitted_count(conn, &c.id)?;
    let mut v = view(c, &name, count, true, Some(invited));
    v.winners = winners(conn, c)?;
    Ok(v)
}

/// A winning bid, shown publicly once the award is confirmed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WinnerView {
    pub bid_id: String,
    pub organization_id: String,
    pub organization_name: String,
}

/// The winners of an awarded (contracted, completed) challenge; `None` before the award.
pub fn winners(conn: &mut DbConnection, c: &Challenge) -> Result<Option<Vec<WinnerView>>> {
    if !matches!(
        c.status(),
        ChallengeStatus::Awarded | ChallengeStatus::Contracted | ChallengeStatus::Completed
    ) {
        return Ok(None);
    }
    let mut out = Vec::new();
    for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
        if b.status() == BidStatus::Awarded {
            let organization_name = publisher_name(conn, &b.lead_organization_id)?;
            out.push(WinnerView {
                bid_id: b.id,
                organization_id: b.lead_organization_id,
                organization_name,
            });
        }
    }
    Ok(Some(out))
}

/// After a state change: audit it and notify. `events` gives, per event, its recipients
/// (`None`: the officials; `Some(org)`: that organisation's users).
#[allow(clippy::too_many_arguments)]
pub fn transitioned(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    before: &Challenge,
    action: &str,
    comment: Option<&str>,
    now: DateTime<Utc>,
    events: impl FnOnce(&Challenge, &str) -> Vec<(Option<String>, Event)>,
) -> Result<ChallengeView> {
    let after = jiebang_db::challenges::find(conn, &before.id)?
        .ok_or_else(|| Error::internal("lost challenge"))?;
    let before_view = full_view(conn, before)?;
    let after_view = full_view(conn, &after)?;
    audit::record(
        conn,
        actor,
        now,
        "challenge",
        &after.id,
        action,
        Some(&before_view),
        Some(&after_view),
        comment,
    )?;
    for (to, event) in events(&after, &after_view.publisher.name) {
        let users = match to {
            None => notify::officials(conn)?,
            Some(org) => notify::organization_users(conn, &org)?,
        };
        notify::notify(conn, &ctx.settings.public_url, &users, &event, now)?;
    }
    Ok(after_view)
}

/// Closes one challenge whose deadline passed: `published` → `evaluating`, exactly once (the
/// conditional state change succeeds for one caller only, whatever the number of instances).
/// Returns whether this call closed it.
pub fn close_if_due(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(c) = jiebang_db::challenges::find_for_update(conn, id)? else {
        return Ok(false);
    };
    // the clock is read under the row lock, as a submission reads it
    let now = now.max(ctx.now());
    if c.status() != ChallengeStatus::Published || utc(c.bidding_deadline) > now {
        return Ok(false);
    }
    let to = challenge::transition(c.status(), Action::Close).map_err(wrong_state)?;
    let change = StatusChange {
        status: Some(to.as_str().into()),
        closed_at: Some(now.naive_utc()),
        ..Default::default()
    };
    if !jiebang_db::challenges::change_status(conn, &c.id, "published", &change, now.naive_utc())? {
        return Ok(false);
    }
    let org = c.organization_id.clone();
    transitioned(
        conn,
        ctx,
        &Actor::system(),
        &c,
        "close",
        None,
        now,
        |c, _| {
            vec![(
                Some(org),
                Event::BiddingClosed {
                    challenge_id: c.id.clone(),
                    title: c.title.clone(),
                },
            )]
        },
    )?;
    // drafts left at the close lapse; the formal check (形式审查) of the rest; with no eligible
    // bid the challenge ends unsuccessful
    let closed = jiebang_db::challenges::find(conn, &c.id)?
        .ok_or_else(|| Error::internal("lost challenge"))?;
    crate::bids::release_live_bids(conn, ctx, &closed, now, &Actor::system(), false)?;
    if crate::bids::formal_check_all(conn, ctx, &closed, now)? == 0 {
        let to =
            challenge::transition(closed.status(), Action::NoEligibleBid).map_err(wrong_state)?;
        let change = StatusChange {
            status: Some(to.as_str().into()),
            ..Default::default()
        };
        if jiebang_db::challenges::change_status(
            conn,
            &closed.id,
            &closed.status,
            &change,
            now.naive_utc(),
        )? {
            let org = closed.organization_id.clone();
            transitioned(
                conn,
                ctx,
                &Actor::system(),
                &closed,
                "no_eligible_bid",
                None,
                now,
                |c, _| {
                    vec![(
                        Some(org),
                        Event::ChallengeUnsuccessful {
                            challenge_id: c.id.clone(),
                            title: c.title.clone(),
                        },
                    )]
                },
            )?;
        }
    }
    Ok(true)
}

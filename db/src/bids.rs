//! Bids (揭榜申报) and their consortium members.

use crate::schema::bid_members::dsl as m;
use crate::schema::bids::dsl as b;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use jiebang_domain::bid::{
    BidContent, BidStatus, ChiefScientist, KpiAnswer, Member, Milestone, Reason,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = crate::schema::bids)]
pub struct Bid {
    pub id: String,
    pub challenge_id: String,
    pub lead_organization_id: String,
    pub created_by: String,
    pub status: String,
    pub chief_scientist_json: Option<String>,
    pub approach: String,
    pub kpi_answers_json: String,
    pub milestones_json: String,
    pub requested_fiscal: i64,
    pub own_funds: i64,
    pub ineligible_reasons_json: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::bid_members)]
pub struct BidMember {
    pub bid_id: String,
    pub organization_id: String,
    pub role: String,
    pub share_percent: i64,
}

/// The content columns of a bid (insert and update alike).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = crate::schema::bids, treat_none_as_null = true)]
pub struct ContentRow {
    pub chief_scientist_json: Option<String>,
    pub approach: String,
    pub kpi_answers_json: String,
    pub milestones_json: String,
    pub requested_fiscal: i64,
    pub own_funds: i64,
}

impl ContentRow {
    pub fn from_content(c: &BidContent) -> ContentRow {
        ContentRow {
            chief_scientist_json: c
                .chief_scientist
                .as_ref()
                .map(|s| serde_json::to_string(s).expect("serialises")),
            approach: c.approach.clone(),
            kpi_answers_json: serde_json::to_string(&c.kpi_answers).expect("serialises"),
            milestones_json: serde_json::to_string(&c.milestones).expect("serialises"),
            requested_fiscal: c.requested_fiscal,
            own_funds: c.own_funds,
        }
    }
}

impl Bid {
    pub fn status(&self) -> BidStatus {
        BidStatus::parse(&self.status).expect("valid bid status in the database")
    }

    pub fn chief_scientist(&self) -> Option<ChiefScientist> {
        self.chief_scientist_json
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }

    pub fn kpi_answers(&self) -> Vec<KpiAnswer> {
        serde_json::from_str(&self.kpi_answers_json).unwrap_or_default()
    }

    pub fn milestones(&self) -> Vec<Milestone> {
        serde_json::from_str(&self.milestones_json).unwrap_or_default()
    }

    pub fn ineligible_reasons(&self) -> Vec<Reason> {
        self.ineligible_reasons_json
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    pub fn content(&self, members: Vec<Member>) -> BidContent {
        BidContent {
            members,
            chief_scientist: self.chief_scientist(),
            approach: self.approach.clone(),
            kpi_answers: self.kpi_answers(),
            milestones: self.milestones(),
            requested_fiscal: self.requested_fiscal,
            own_funds: self.own_funds,
        }
    }
}

pub fn insert(conn: &mut DbConnection, bid: &Bid, members: &[Member]) -> Result<(), DbError> {
    diesel::insert_into(b::bids).values(bid).execute(conn)?;
    set_members(conn, &bid.id, members)
}

pub fn set_members(conn: &mut DbConnection, bid: &str, members: &[Member]) -> Result<(), DbError> {
    diesel::delete(m::bid_members.filter(m::bid_id.eq(bid))).execute(conn)?;
    for x in members {
        diesel::insert_into(m::bid_members)
            .values(&BidMember {
                bid_id: bid.to_owned(),
                organization_id: x.organization_id.clone(),
                role: x.role.clone(),
                share_percent: i64::from(x.share_percent),
            })
            .execute(conn)?;
    }
    Ok(())
}

pub fn members(conn: &mut DbConnection, bid: &str) -> Result<Vec<Member>, DbError> {
    let rows: Vec<BidMember> = m::bid_members
        .filter(m::bid_id.eq(bid))
        .order(m::organization_id.asc())
        .select(BidMember::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(member).collect())
}

fn member(r: BidMember) -> Member {
    Member {
        organization_id: r.organization_id,
        role: r.role,
        share_percent: r.share_percent as u32,
    }
}

/// A bid with its members (as [`members`] orders them), in one query.
pub fn find_with_members(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(Bid, Vec<Member>)>, DbError> {
    let rows: Vec<(Bid, Option<BidMember>)> = b::bids
        .left_join(m::bid_members)
        .filter(b::id.eq(id))
        .order(m::organization_id.asc())
        .select((Bid::as_select(), Option::<BidMember>::as_select()))
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((bid, first)) = rows.next() else {
        return Ok(None);
    };
    let members = first
        .into_iter()
        .chain(rows.filter_map(|(_, m)| m))
        .map(member)
        .collect();
    Ok(Some((bid, members)))
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Bid>, DbError> {
    b::bids
        .find(id)
        .select(Bid::as_select())
        .first(conn)
        .optional()
}

/// Bids of a challenge, oldest first, optionally only those of one lead organisation.
pub fn for_challenge(
    conn: &mut DbConnection,
    challenge: &str,
    lead: Option<&str>,
) -> Result<Vec<Bid>, DbError> {
    let mut q = b::bids
        .filter(b::challenge_id.eq(challenge))
        .select(Bid::as_select())
        .into_boxed();
    if let Some(l) = lead {
        q = q.filter(b::lead_organization_id.eq(l.to_owned()));
    }
    q.order((b::created_at.asc(), b::id.asc())).load(conn)
}

/// How many bids of a challenge were handed in (submitted, and after the check ineligible,
/// awarded or not awarded): the count shown while bids are sealed.
pub fn submitted_count(conn: &mut DbConnection, challenge: &str) -> Result<i64, DbError> {
    b::bids
        .filter(b::challenge_id.eq(challenge))
        .filter(b::status.eq_any(["submitted", "ineligible", "awarded", "not_awarded"]))
        .count()
        .get_result(conn)
}

/// The challenges on which `lead` leads a live bid (at most the 限项 limit): whether it has one
/// on a challenge and how many it leads, in one query.
pub fn live_challenges(conn: &mut DbConnection, lead: &str) -> Result<Vec<String>, DbError> {
    b::bids
        .filter(b::lead_organization_id.eq(lead))
        .filter(b::status.eq_any(["draft", "submitted"]))
        .select(b::challenge_id)
        .load(conn)
}

/// The lead organisations of a challenge's live bids (to tell them of amendments and answers).
pub fn live_leads(conn: &mut DbConnection, challenge: &str) -> Result<Vec<String>, DbError> {
    b::bids
        .filter(b::challenge_id.eq(challenge))
        .filter(b::status.eq_any(["draft", "submitted"]))
        .select(b::lead_organization_id)
        .distinct()
        .load(conn)
}

/// Replaces a draft's content if the version matches. False when stale.
pub fn update_content(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    row: &ContentRow,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(
        b::bids
            .find(id)
            .filter(b::version.eq(expected_version))
            .filter(b::status.eq("draft")),
    )
    .set((row, b::version.eq(b::version + 1), b::updated_at.eq(at)))
    .execute(conn)
    .map(|n| n == 1)
}

/// A change of state and the columns that go with it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = crate::schema::bids)]
pub struct BidStatusChange {
    pub status: Option<String>,
    pub submitted_at: Option<Option<NaiveDateTime>>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub ineligible_reasons_json: Option<Option<String>>,
}

/// Applies `change` only if the bid is still in state `from`. False when it is not.
pub fn change_status(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    change: &BidStatusChange,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    change_status_returning(conn, id, from, change, at).map(|b| b.is_some())
}

/// [`change_status`], answering the bid as it is after the change (`None`: not in state `from`).
pub fn change_status_returning(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    change: &BidStatusChange,
    at: NaiveDateTime,
) -> Result<Option<Bid>, DbError> {
    let q = diesel::update(b::bids.find(id).filter(b::status.eq(from))).set((
        change,
        b::version.eq(b::version + 1),
        b::updated_at.eq(at),
    ));
    crate::on_backend!(conn, |c| q
        .returning(Bid::as_returning())
        .get_result(c)
        .optional())
}

/// [`change_status_returning`], writing `appends` (the change's audit entry, notifications and
/// e-mails) if the bid was changed: one statement on PostgreSQL (`appends.rs`).
pub fn change_status_appending(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    change: &BidStatusChange,
    at: NaiveDateTime,
    appends: crate::appends::Appends,
) -> Result<Option<Bid>, DbError> {
    let q = diesel::update(b::bids.find(id).filter(b::status.eq(from))).set((
        change,
        b::version.eq(b::version + 1),
        b::updated_at.eq(at),
    ));
    crate::change_then_append!(conn, q.returning(Bid::as_returning()), appends)
}

/// [`submitted_count`] for several challenges in one query.
pub fn submitted_counts(
    conn: &mut DbConnection,
    challenges: &[String],
) -> Result<std::collections::HashMap<String, i64>, DbError> {
    let rows: Vec<(String, i64)> = b::bids
        .filter(b::challenge_id.eq_any(challenges))
        .filter(b::status.eq_any(["submitted", "ineligible", "awarded", "not_awarded"]))
        .group_by(b::challenge_id)
        .select((b::challenge_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The bids an organisation takes part in — as lead, or named as a consortium member — newest
/// first, each with whether the organisation leads it (`GET /me/bids`).
pub fn of_organization(conn: &mut DbConnection, org: &str) -> Result<Vec<(Bid, bool)>, DbError> {
    let as_member = m::bid_members
        .filter(m::organization_id.eq(org.to_owned()))
        .select(m::bid_id);
    let rows: Vec<Bid> = b::bids
        .filter(b::lead_organization_id.eq(org).or(b::id.eq_any(as_member)))
        .select(Bid::as_select())
        .order((b::created_at.desc(), b::id.desc()))
        .limit(1000)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|bid| {
            let leads = bid.lead_organization_id == org;
            (bid, leads)
        })
        .collect())
}

//! Challenges (榜单), their invitations and keyword/keyset listing.

use crate::schema::challenge_invitations::dsl as inv;
use crate::schema::challenges::dsl as c;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use jiebang_domain::challenge::{
    ChallengeKind, Contact, Eligibility, IpOwnership, Kpi, Mode, Terms,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = crate::schema::challenges)]
pub struct Challenge {
    pub id: String,
    pub organization_id: String,
    pub created_by: String,
    pub status: String,
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub industry: String,
    pub industry_chain: String,
    pub problem: String,
    pub expected_outcomes: String,
    pub duration_months: i64,
    pub enterprise_funds: i64,
    pub fiscal_support: i64,
    pub max_winners: i64,
    pub ip_ownership: String,
    pub bidding_deadline: NaiveDateTime,
    pub questions_deadline: NaiveDateTime,
    pub kpis_json: String,
    pub eligibility_json: String,
    pub contact_json: String,
    pub region_code: String,
    pub search_text: String,
    pub review_comment: Option<String>,
    pub cancel_reason: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns that hold a challenge's terms (insert and update alike).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = crate::schema::challenges)]
pub struct TermsRow {
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub industry: String,
    pub industry_chain: String,
    pub problem: String,
    pub expected_outcomes: String,
    pub duration_months: i64,
    pub enterprise_funds: i64,
    pub fiscal_support: i64,
    pub max_winners: i64,
    pub ip_ownership: String,
    pub bidding_deadline: NaiveDateTime,
    pub questions_deadline: NaiveDateTime,
    pub kpis_json: String,
    pub eligibility_json: String,
    pub contact_json: String,
    pub search_text: String,
}

impl TermsRow {
    pub fn from_terms(t: &Terms) -> TermsRow {
        TermsRow {
            title: t.title.clone(),
            kind: t.kind.as_str().to_owned(),
            mode: t.mode.as_str().to_owned(),
            industry: t.industry.clone(),
            industry_chain: t.industry_chain.clone(),
            problem: t.problem.clone(),
            expected_outcomes: t.expected_outcomes.clone(),
            duration_months: i64::from(t.duration_months),
            enterprise_funds: t.enterprise_funds,
            fiscal_support: t.fiscal_support,
            max_winners: i64::from(t.max_winners),
            ip_ownership: t.ip_ownership.as_str().to_owned(),
            bidding_deadline: t.bidding_deadline.naive_utc(),
            questions_deadline: t.questions_deadline.naive_utc(),
            kpis_json: serde_json::to_string(&t.kpis).expect("kpis serialise"),
            eligibility_json: serde_json::to_string(&t.eligibility)
                .expect("eligibility serialises"),
            contact_json: serde_json::to_string(&t.contact).expect("contact serialises"),
            search_text: jiebang_domain::challenge::search_text(t),
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::schema::challenges)]
pub struct NewChallenge {
    pub id: String,
    pub organization_id: String,
    pub created_by: String,
    pub status: String,
    pub region_code: String,
    #[diesel(embed)]
    pub terms: TermsRow,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn utc(t: NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

impl Challenge {
    pub fn kpis(&self) -> Vec<Kpi> {
        serde_json::from_str(&self.kpis_json).unwrap_or_default()
    }

    pub fn eligibility(&self) -> Eligibility {
        serde_json::from_str(&self.eligibility_json).unwrap_or_default()
    }

    pub fn contact(&self) -> Contact {
        serde_json::from_str(&self.contact_json).unwrap_or(Contact {
            name: String::new(),
            phone: String::new(),
            email: String::new(),
        })
    }

    pub fn status(&self) -> jiebang_domain::challenge::ChallengeStatus {
        jiebang_domain::challenge::ChallengeStatus::parse(&self.status)
            .expect("valid status in the database")
    }

    pub fn mode(&self) -> jiebang_domain::challenge::Mode {
        jiebang_domain::challenge::Mode::parse(&self.mode).expect("valid mode in the database")
    }

    /// The stored terms, with the invited organisations passed in.
    pub fn terms(&self, invited: Vec<String>) -> Terms {
        Terms {
            title: self.title.clone(),
            kind: ChallengeKind::parse(&self.kind).expect("valid kind"),
            mode: Mode::parse(&self.mode).expect("valid mode"),
            industry: self.industry.clone(),
            industry_chain: self.industry_chain.clone(),
            problem: self.problem.clone(),
            kpis: self.kpis(),
            expected_outcomes: self.expected_outcomes.clone(),
            duration_months: self.duration_months as u32,
            enterprise_funds: self.enterprise_funds,
            fiscal_support: self.fiscal_support,
            max_winners: self.max_winners as u32,
            eligibility: self.eligibility(),
            ip_ownership: IpOwnership::parse(&self.ip_ownership).expect("valid ip ownership"),
            bidding_deadline: utc(self.bidding_deadline),
            questions_deadline: utc(self.questions_deadline),
            contact: self.contact(),
            invited_organizations: invited,
        }
    }
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewChallenge,
    invited: &[String],
) -> Result<(), DbError> {
    diesel::insert_into(c::challenges)
        .values(new)
        .execute(conn)?;
    set_invitations(conn, &new.id, invited)
}

pub fn set_invitations(
    conn: &mut DbConnection,
    challenge: &str,
    invited: &[String],
) -> Result<(), DbError> {
    diesel::delete(inv::challenge_invitations.filter(inv::challenge_id.eq(challenge)))
        .execute(conn)?;
    for org in invited {
        diesel::insert_into(inv::challenge_invitations)
            .values((
                inv::challenge_id.eq(challenge),
                inv::organization_id.eq(org),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn invitations(conn: &mut DbConnection, challenge: &str) -> Result<Vec<String>, DbError> {
    inv::challenge_invitations
        .filter(inv::challenge_id.eq(challenge))
        .select(inv::organization_id)
        .order(inv::organization_id.asc())
        .load(conn)
}

pub fn is_invited(conn: &mut DbConnection, challenge: &str, org: &str) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(
        inv::challenge_invitations
            .filter(inv::challenge_id.eq(challenge))
            .filter(inv::organization_id.eq(org)),
    ))
    .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Challenge>, DbError> {
    c::challenges
        .find(id)
        .select(Challenge::as_select())
        .first(conn)
        .optional()
}

/// The challenges `ids` (those that exist), in no particular order.
pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<Challenge>, DbError> {
    c::challenges
        .filter(c::id.eq_any(ids))
        .select(Challenge::as_select())
        .load(conn)
}

/// Reads a challenge for a decision that must not interleave with another on the same row
/// (closing at the deadline vs. accepting a bid, two reviews): on PostgreSQL the row is locked
/// until the transaction ends (`SELECT … FOR NO KEY UPDATE`: the lock an UPDATE takes, without
/// writing a new version of the row); on SQLite the write transaction (`BEGIN IMMEDIATE`) already holds the database
/// lock, so a plain read is the same.
pub fn find_for_update(conn: &mut DbConnection, id: &str) -> Result<Option<Challenge>, DbError> {
    match conn {
        DbConnection::Postgresql(pg) => c::challenges
            .find(id)
            .select(Challenge::as_select())
            .for_no_key_update()
            .first(pg)
            .optional(),
        DbConnection::Sqlite(_) => find(conn, id),
    }
}

/// [`find_for_update`] for the challenge of bid `bid`, found and locked in one statement.
pub fn find_for_update_by_bid(
    conn: &mut DbConnection,
    bid: &str,
) -> Result<Option<Challenge>, DbError> {
    use crate::schema::bids::dsl as b;
    let of_bid = b::bids
        .filter(b::id.eq(bid))
        .select(b::challenge_id)
        .single_value();
    let q = c::challenges.filter(c::id.nullable().eq(of_bid));
    match conn {
        DbConnection::Postgresql(pg) => q
            .select(Challenge::as_select())
            .for_no_key_update()
            .first(pg)
            .optional(),
        DbConnection::Sqlite(lite) => q.select(Challenge::as_select()).first(lite).optional(),
    }
}

/// Replaces the terms if the version matches; bumps the version. False when stale.
pub fn update_terms(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    terms: &TermsRow,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(
        c::challenges
            .find(id)
            .filter(c::version.eq(expected_version)),
    )
    .set((terms, c::version.eq(c::version + 1), c::updated_at.eq(at)))
    .execute(conn)
    .map(|n| n == 1)
}

/// A change of state and of the columns that go with it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = crate::schema::challenges)]
pub struct StatusChange {
    pub status: Option<String>,
    pub review_comment: Option<Option<String>>,
    pub cancel_reason: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub bidding_deadline: Option<NaiveDateTime>,
}

/// Applies `change` only if the challenge is still in state `from`; bumps the version.
/// False when another request changed the state first.
pub fn change_status(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    change: &StatusChange,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(c::challenges.find(id).filter(c::status.eq(from)))
        .set((change, c::version.eq(c::version + 1), c::updated_at.eq(at)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Published challenges whose bidding deadline has passed.
pub fn due_for_closing(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    c::challenges
        .filter(c::status.eq("published"))
        .filter(c::bidding_deadline.le(now))
        .order(c::bidding_deadline.asc())
        .select(c::id)
        .limit(limit)
        .load(conn)
}

/// The deadline of the longest-overdue challenge still open for bids: how far the scheduler
/// lags behind the deadlines it must close (`/metrics`).
pub fn oldest_unclosed_deadline(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, DbError> {
    c::challenges
        .filter(c::status.eq("published"))
        .filter(c::bidding_deadline.le(now))
        .select(diesel::dsl::min(c::bidding_deadline))
        .first(conn)
}

/// Which challenges a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these states.
    pub statuses: Vec<jiebang_domain::challenge::ChallengeStatus>,
    /// Only this organisation's own challenges (`?mine=true`).
    pub organization_id: Option<String>,
    /// Only the challenges this expert is assigned to (`?mine=true` as an expert).
    pub assigned_expert: Option<String>,
    /// The fast SQL form of the visibility rule (`jiebang_domain::visibility`) for the list:
    /// a directed challenge is shown to the users of an invited organisation and of its
    /// publisher (`Some(org)`), or to nobody but staff (`None` unless `all_directed`).
    pub viewer_organization: Option<String>,
    pub all_directed: bool,
    /// A cancelled challenge is public only if it had been published.
    pub public_only: bool,
    pub industry: Option<String>,
    pub kind: Option<ChallengeKind>,
    pub mode: Option<Mode>,
    /// Region prefix of the publisher (`15`, `1502`, `150203`).
    pub region_prefix: Option<String>,
    pub deadline_from: Option<NaiveDateTime>,
    pub deadline_to: Option<NaiveDateTime>,
    /// Lower-cased keywords, all of which must occur.
    pub keywords: Vec<String>,
    /// Only these ids (the matching index's keyword search).
    pub ids: Option<Vec<String>>,
    /// Keyset cursor: the (sort key, id) of the last item of the previous page.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
    /// Order by creation (`?mine`, review queue) rather than publication.
    pub by_creation: bool,
}

pub(crate) fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of challenges, newest first, ordered by (published_at or created_at, id) so that the
/// cursor stays valid while others insert.
pub fn list(conn: &mut DbConnection, f: &ListFilter) -> Result<Vec<Challenge>, DbError> {
    list_query(f).load(conn)
}

type ListQuery = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<
        c::challenges,
        diesel::dsl::AsSelect<Challenge, crate::connection::MultiBackend>,
    >,
    crate::connection::MultiBackend,
>;

/// The query of [`list`] (its plans are tested below).
fn list_query(f: &ListFilter) -> ListQuery {
    let mut q = c::challenges.select(Challenge::as_select()).into_boxed();
    if !f.statuses.is_empty() {
        q = q.filter(c::status.eq_any(f.statuses.iter().map(|s| s.as_str())));
    }
    if f.public_only {
        q = q.filter(c::published_at.is_not_null());
    }
    if let Some(expert) = &f.assigned_expert {
        use crate::schema::challenge_experts::dsl as ce;
        let assigned = ce::challenge_experts
            .filter(ce::expert_id.eq(expert.clone()))
            .select(ce::challenge_id);
        q = q.filter(c::id.eq_any(assigned));
    }
    if let Some(org) = &f.organization_id {
        q = q.filter(c::organization_id.eq(org.clone()));
    } else if !f.all_directed {
        q = match &f.viewer_organization {
            Some(org) => {
                let invited = inv::challenge_invitations
                    .filter(inv::organization_id.eq(org.clone()))
                    .select(inv::challenge_id);
                q.filter(
                    c::mode
                        .eq("open")
                        .or(c::organization_id.eq(org.clone()))
                        .or(c::id.eq_any(invited)),
                )
            }
            // a plain filter keeps the (published_at, id) index usable for the public list
            None => q.filter(c::mode.eq("open")),
        };
    }

    if let Some(v) = &f.industry {
        q = q.filter(c::industry.eq(v.clone()));
    }
    if let Some(v) = f.kind {
        q = q.filter(c::kind.eq(v.as_str()));
    }
    if let Some(v) = f.mode {
        q = q.filter(c::mode.eq(v.as_str()));
    }
    if let Some(p) = &f.region_prefix {
        q = q.filter(c::region_code.like(format!("{p}%")));
    }
    if let Some(t) = f.deadline_from {
        q = q.filter(c::bidding_deadline.ge(t));
    }
    if let Some(t) = f.deadline_to {
        q = q.filter(c::bidding_deadline.le(t));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(c::id.eq_any(ids.clone()));
    }
    for k in &f.keywords {
        q = q.filter(c::search_text.like(like_pattern(k)).escape('\\'));
    }
    if f.by_creation {
        if let Some((t, id)) = &f.after {
            // `<=` first: a range the index can seek to (the `OR` alone made both engines walk
            // the index from the top, one row per challenge before the cursor)
            q = q
                .filter(c::created_at.le(*t))
                .filter(c::created_at.lt(*t).or(c::id.lt(id.clone())));
        }
        q = q.order((c::created_at.desc(), c::id.desc()));
    } else {
        if let Some((t, id)) = &f.after {
            // as above: the seekable `<=`, then the tie on the id
            q = q
                .filter(c::published_at.le(*t))
                .filter(c::published_at.lt(*t).or(c::id.lt(id.clone())));
        }
        q = q
            .filter(c::published_at.is_not_null())
            .order((c::published_at.desc(), c::id.desc()));
    }
    q.limit(f.limit)
}

/// Published challenges whose bidding deadline lies in `(from, to]` (deadline reminders).
pub fn closing_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<Challenge>, DbError> {
    c::challenges
        .filter(c::status.eq("published"))
        .filter(c::bidding_deadline.gt(from))
        .filter(c::bidding_deadline.le(to))
        .select(Challenge::as_select())
        .load(conn)
}

/// Whether `org` publishes a directed challenge (定向委托), in any state.
pub fn publishes_directed(conn: &mut DbConnection, org: &str) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(
        c::challenges
            .filter(c::organization_id.eq(org))
            .filter(c::mode.eq("directed")),
    ))
    .get_result(conn)
}

/// The challenges an organisation is invited to (directed challenges).
pub fn invitations_of(conn: &mut DbConnection, org: &str) -> Result<Vec<String>, DbError> {
    inv::challenge_invitations
        .filter(inv::organization_id.eq(org))
        .select(inv::challenge_id)
        .load(conn)
}

/// What a publisher watches on each of its challenges (`?mine=true`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchCounts {
    pub questions: i64,
    pub questions_unanswered: i64,
    pub experts_assigned: i64,
    pub agreements: i64,
}

/// [`WatchCounts`] of several challenges, in four grouped queries.
pub fn watch_counts(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, WatchCounts>, DbError> {
    use crate::schema::agreements::dsl as a;
    use crate::schema::challenge_experts::dsl as ce;
    use crate::schema::questions::dsl as qu;
    let mut out: std::collections::HashMap<String, WatchCounts> = ids
        .iter()
        .map(|id| (id.clone(), WatchCounts::default()))
        .collect();
    let questions: Vec<(String, i64)> = qu::questions
        .filter(qu::challenge_id.eq_any(ids))
        .group_by(qu::challenge_id)
        .select((qu::challenge_id, diesel::dsl::count_star()))
        .load(conn)?;
    let unanswered: Vec<(String, i64)> = qu::questions
        .filter(qu::challenge_id.eq_any(ids))
        .filter(qu::answer.is_null())
        .group_by(qu::challenge_id)
        .select((qu::challenge_id, diesel::dsl::count_star()))
        .load(conn)?;
    let experts: Vec<(String, i64)> = ce::challenge_experts
        .filter(ce::challenge_id.eq_any(ids))
        .group_by(ce::challenge_id)
        .select((ce::challenge_id, diesel::dsl::count_star()))
        .load(conn)?;
    let agreements: Vec<(String, i64)> = a::agreements
        .filter(a::challenge_id.eq_any(ids))
        .group_by(a::challenge_id)
        .select((a::challenge_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (rows, set) in [
        (
            questions,
            (|w: &mut WatchCounts, n| w.questions = n) as fn(&mut WatchCounts, i64),
        ),
        (unanswered, |w, n| w.questions_unanswered = n),
        (experts, |w, n| w.experts_assigned = n),
        (agreements, |w, n| w.agreements = n),
    ] {
        for (id, n) in rows {
            if let Some(w) = out.get_mut(&id) {
                set(w, n);
            }
        }
    }
    Ok(out)
}

/// The list's query plans on SQLite. SQLite keeps no statistics here (nothing runs `ANALYZE`),
/// so its plans do not depend on the data: an empty database shows the plan every size gets.
/// A page must be read in index order and stop after `limit` rows; a sort of every matching
/// challenge (`USE TEMP B-TREE FOR ORDER BY`) made an uncached page cost 38 ms at 10 000
/// (migration 000016). PostgreSQL plans from its statistics and is measured by `scripts/bench`.
#[cfg(test)]
mod plans {
    use super::*;
    use crate::connection::MultiBackend;
    use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
    use diesel::sql_types::{Integer, Text};
    use jiebang_domain::challenge::ChallengeStatus;

    /// `EXPLAIN QUERY PLAN` before a query.
    #[derive(QueryId)]
    struct Explain<Q>(Q);

    impl<Q: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for Explain<Q> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
            out.push_sql("EXPLAIN QUERY PLAN ");
            self.0.walk_ast(out.reborrow())
        }
    }

    impl<Q> Query for Explain<Q> {
        type SqlType = (Integer, Integer, Integer, Text);
    }

    impl<Q> RunQueryDsl<DbConnection> for Explain<Q> {}

    fn plan(conn: &mut DbConnection, f: &ListFilter) -> String {
        let rows: Vec<(i32, i32, i32, String)> = Explain(list_query(f)).load(conn).unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn list_pages_are_read_in_index_order() {
        let temp = crate::connection::tests::TempSqlite::migrated("plans");
        let mut conn = temp.db().conn().unwrap();
        let t = chrono::Utc::now().naive_utc();
        let page = |f: ListFilter| ListFilter {
            limit: 21,
            public_only: true,
            ..f
        };
        let cases = [
            ("the public list", page(ListFilter::default())),
            (
                "a later public page",
                page(ListFilter {
                    after: Some((t, "x".into())),
                    ..Default::default()
                }),
            ),
            (
                "the list signed in to an organisation",
                page(ListFilter {
                    viewer_organization: Some("org".into()),
                    ..Default::default()
                }),
            ),
            (
                "the public list of one status",
                page(ListFilter {
                    statuses: vec![ChallengeStatus::Published],
                    ..Default::default()
                }),
            ),
            (
                "staff's list of every published challenge",
                page(ListFilter {
                    all_directed: true,
                    ..Default::default()
                }),
            ),
        ];
        for (what, f) in cases {
            let p = plan(&mut conn, &f);
            assert!(!p.contains("TEMP B-TREE"), "{what} sorts every row: {p}");
            assert!(p.contains("INDEX"), "{what} scans the table: {p}");
        }
    }
}

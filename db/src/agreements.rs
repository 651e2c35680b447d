//! Agreements (协议/任务书) after their creation: signatures, registration, milestones, payments.

use crate::evaluation::Agreement;
use crate::schema::agreements::dsl as a;
use crate::schema::milestones::dsl as m;
use crate::schema::payments::dsl as p;
use crate::schema::signatures::dsl as s;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Agreement>, DbError> {
    a::agreements
        .find(id)
        .select(Agreement::as_select())
        .first(conn)
        .optional()
}

/// Locks the agreement's row for the transaction (see `challenges::find_for_update`).
pub fn find_for_update(conn: &mut DbConnection, id: &str) -> Result<Option<Agreement>, DbError> {
    let n = diesel::update(a::agreements.find(id))
        .set(a::version.eq(a::version))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Filters of the agreements list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only agreements whose challenge was published by, or whose bid is led by or names as a
    /// consortium member, this organisation.
    pub party: Option<String>,
    pub status: Option<String>,
    pub industry: Option<String>,
    /// Publisher region prefix.
    pub region_prefix: Option<String>,
    pub signed_from: Option<NaiveDateTime>,
    pub signed_to: Option<NaiveDateTime>,
    /// `(now, true)`: only agreements with a milestone due before `now` and not met (逾期);
    /// `(now, false)`: only those without one.
    pub overdue: Option<(NaiveDateTime, bool)>,
    /// After this `(created_at, id)` (the cursor), newest first.
    pub after: Option<(NaiveDateTime, String)>,
    /// Rows to read (the page plus one, to know whether another follows).
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, f: &Filter) -> Result<Vec<Agreement>, DbError> {
    use crate::schema::bids::dsl as b;
    use crate::schema::challenges::dsl as c;
    let mut q = a::agreements
        .inner_join(c::challenges.on(c::id.eq(a::challenge_id)))
        .inner_join(b::bids.on(b::id.eq(a::bid_id)))
        .select(Agreement::as_select())
        .into_boxed();
    if let Some(org) = &f.party {
        use crate::schema::bid_members::dsl as m;
        let member_of = m::bid_members
            .filter(m::organization_id.eq(org.clone()))
            .select(m::bid_id);
        q = q.filter(
            c::organization_id
                .eq(org.clone())
                .or(b::lead_organization_id.eq(org.clone()))
                .or(a::bid_id.eq_any(member_of)),
        );
    }
    if let Some(st) = &f.status {
        q = q.filter(a::status.eq(st.clone()));
    }
    if let Some(i) = &f.industry {
        q = q.filter(c::industry.eq(i.clone()));
    }
    if let Some(r) = &f.region_prefix {
        q = q.filter(c::region_code.like(format!("{r}%")));
    }
    if let Some(t) = f.signed_from {
        q = q.filter(a::signed_at.ge(t));
    }
    if let Some(t) = f.signed_to {
        q = q.filter(a::signed_at.le(t));
    }
    if let Some((now, want)) = f.overdue {
        use crate::schema::milestones::dsl as ms;
        let late = ms::milestones
            .filter(ms::due_at.lt(now))
            .filter(ms::status.ne("met"))
            .select(ms::agreement_id);
        q = if want {
            q.filter(a::id.eq_any(late))
        } else {
            q.filter(diesel::dsl::not(a::id.eq_any(late)))
        };
    }
    if let Some((t, id)) = &f.after {
        q = q.filter(
            a::created_at
                .lt(*t)
                .or(a::created_at.eq(*t).and(a::id.lt(id.clone()))),
        );
    }
    q.order((a::created_at.desc(), a::id.desc()))
        .limit(f.limit)
        .load(conn)
}

#[derive(Debug, Clone, AsChangeset, Default)]
#[diesel(table_name = crate::schema::agreements)]
pub struct AgreementChange {
    pub status: Option<String>,
    pub terms_json: Option<String>,
    pub terms_hash: Option<String>,
    pub signed_at: Option<Option<NaiveDateTime>>,
    pub registered_at: Option<NaiveDateTime>,
    pub registered_by: Option<String>,
    pub end_reason: Option<String>,
    pub ended_at: Option<NaiveDateTime>,
    pub registration_statement: Option<String>,
    pub registration_key_id: Option<String>,
    pub registration_signature: Option<String>,
    pub registration_countersign_statement: Option<String>,
    pub registration_countersign_key_id: Option<String>,
    pub registration_countersignature: Option<String>,
}

/// Applies `change` if the agreement is still in state `from`; bumps the version.
pub fn change(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    ch: &AgreementChange,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(a::agreements.find(id).filter(a::status.eq(from)))
        .set((ch, a::version.eq(a::version + 1), a::updated_at.eq(at)))
        .execute(conn)
        .map(|n| n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = crate::schema::signatures)]
pub struct Signature {
    pub agreement_id: String,
    pub organization_id: String,
    pub user_id: String,
    pub terms_hash: String,
    pub signed_at: NaiveDateTime,
    /// SM3 of the canonical terms (NULL on signatures made before SM2 signing).
    pub terms_sm3: Option<String>,
    /// The signing key (`signing_keys.id`) and the SM2 signature over the canonical terms
    /// (DER, base64).
    pub key_id: Option<String>,
    pub signature: Option<String>,
    /// The platform's countersignature: the statement signed, the platform key, the signature.
    pub countersign_statement: Option<String>,
    pub countersign_key_id: Option<String>,
    pub countersignature: Option<String>,
}

pub fn signatures(conn: &mut DbConnection, agreement: &str) -> Result<Vec<Signature>, DbError> {
    s::signatures
        .filter(s::agreement_id.eq(agreement))
        .order(s::signed_at.asc())
        .select(Signature::as_select())
        .load(conn)
}

pub fn add_signature(conn: &mut DbConnection, sig: &Signature) -> Result<(), DbError> {
    diesel::insert_into(s::signatures)
        .values(sig)
        .execute(conn)
        .map(|_| ())
}

pub fn clear_signatures(conn: &mut DbConnection, agreement: &str) -> Result<usize, DbError> {
    diesel::delete(s::signatures.filter(s::agreement_id.eq(agreement))).execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = crate::schema::milestones)]
pub struct MilestoneRow {
    pub id: String,
    pub agreement_id: String,
    pub seq: i64,
    pub month: i64,
    pub deliverable: String,
    pub due_at: NaiveDateTime,
    pub status: String,
    pub evidence: Option<String>,
    pub reported_at: Option<NaiveDateTime>,
    pub reported_by: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub confirmed_by: Option<String>,
}

impl MilestoneRow {
    pub fn status(&self) -> jiebang_domain::agreement::MilestoneStatus {
        jiebang_domain::agreement::MilestoneStatus::parse(&self.status)
            .expect("valid milestone status in the database")
    }
}

pub fn insert_milestone(conn: &mut DbConnection, row: &MilestoneRow) -> Result<(), DbError> {
    diesel::insert_into(m::milestones)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn milestones(conn: &mut DbConnection, agreement: &str) -> Result<Vec<MilestoneRow>, DbError> {
    m::milestones
        .filter(m::agreement_id.eq(agreement))
        .order(m::seq.asc())
        .select(MilestoneRow::as_select())
        .load(conn)
}

pub fn find_milestone(
    conn: &mut DbConnection,
    agreement: &str,
    id: &str,
) -> Result<Option<MilestoneRow>, DbError> {
    m::milestones
        .find(id)
        .filter(m::agreement_id.eq(agreement))
        .select(MilestoneRow::as_select())
        .first(conn)
        .optional()
}

pub fn report_milestone(
    conn: &mut DbConnection,
    id: &str,
    evidence: &str,
    by: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(
        m::milestones
            .find(id)
            .filter(m::status.eq_any(["scheduled", "not_met"])),
    )
    .set((
        m::status.eq("reported"),
        m::evidence.eq(Some(evidence)),
        m::reported_by.eq(Some(by)),
        m::reported_at.eq(Some(at)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn confirm_milestone(
    conn: &mut DbConnection,
    id: &str,
    met: bool,
    by: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(m::milestones.find(id).filter(m::status.eq("reported")))
        .set((
            m::status.eq(if met { "met" } else { "not_met" }),
            m::confirmed_by.eq(Some(by)),
            m::confirmed_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = crate::schema::payments)]
pub struct Payment {
    pub id: String,
    pub agreement_id: String,
    pub milestone_id: String,
    pub source: String,
    pub amount: i64,
    pub paid_at: NaiveDateTime,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

impl Payment {
    pub fn source(&self) -> jiebang_domain::agreement::PaymentSource {
        jiebang_domain::agreement::PaymentSource::parse(&self.source)
            .expect("valid payment source in the database")
    }
}

pub fn payments(conn: &mut DbConnection, agreement: &str) -> Result<Vec<Payment>, DbError> {
    p::payments
        .filter(p::agreement_id.eq(agreement))
        .order(p::created_at.asc())
        .select(Payment::as_select())
        .load(conn)
}

pub fn insert_payment(conn: &mut DbConnection, row: &Payment) -> Result<(), DbError> {
    diesel::insert_into(p::payments)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Total paid from a source (`fiscal` or `enterprise`).
pub fn paid(conn: &mut DbConnection, agreement: &str, source: &str) -> Result<i64, DbError> {
    let amounts: Vec<i64> = p::payments
        .filter(p::agreement_id.eq(agreement))
        .filter(p::source.eq(source))
        .select(p::amount)
        .load(conn)?;
    Ok(amounts.iter().sum())
}

/// Milestones of registered agreements that are not met and fall due before `until`.
pub fn open_milestones_due_before(
    conn: &mut DbConnection,
    until: NaiveDateTime,
) -> Result<Vec<MilestoneRow>, DbError> {
    m::milestones
        .inner_join(a::agreements.on(a::id.eq(m::agreement_id)))
        .filter(a::status.eq("registered"))
        .filter(m::status.ne("met"))
        .filter(m::due_at.le(until))
        .select(MilestoneRow::as_select())
        .load(conn)
}

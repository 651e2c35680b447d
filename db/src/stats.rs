//! The rows statistics are computed from (few enough to aggregate in memory at a provincial
//! programme's scale: thousands of challenges).

use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// (id, status, industry, region_code, submitted_at, published_at, enterprise_funds,
/// fiscal_support, closed_at, mode)
pub type ChallengeRow = (
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    i64,
    i64,
    Option<NaiveDateTime>,
    String,
);

pub fn challenges(conn: &mut DbConnection) -> Result<Vec<ChallengeRow>, DbError> {
    use crate::schema::challenges::dsl as c;
    c::challenges
        .select((
            c::id,
            c::status,
            c::industry,
            c::region_code,
            c::submitted_at,
            c::published_at,
            c::enterprise_funds,
            c::fiscal_support,
            c::closed_at,
            c::mode,
        ))
        .load(conn)
}

/// (challenge_id, lead_organization_id, status)
pub fn bids(conn: &mut DbConnection) -> Result<Vec<(String, String, String)>, DbError> {
    use crate::schema::bids::dsl as b;
    b::bids
        .select((b::challenge_id, b::lead_organization_id, b::status))
        .load(conn)
}

/// (organisation id, kind, status)
pub fn organizations(conn: &mut DbConnection) -> Result<Vec<(String, String, String)>, DbError> {
    use crate::schema::organizations::dsl as o;
    o::organizations
        .select((o::id, o::kind, o::status))
        .load(conn)
}

pub fn agreements(conn: &mut DbConnection) -> Result<Vec<crate::evaluation::Agreement>, DbError> {
    use crate::schema::agreements::dsl as a;
    a::agreements
        .select(crate::evaluation::Agreement::as_select())
        .order(a::created_at.asc())
        .load(conn)
}

/// Members of every filed consortium: (consortium id, organisation id).
pub fn filed_consortium_members(conn: &mut DbConnection) -> Result<Vec<(String, String)>, DbError> {
    use crate::schema::consortia::dsl as c;
    use crate::schema::consortium_members::dsl as m;
    m::consortium_members
        .inner_join(c::consortia.on(c::id.eq(m::consortium_id)))
        .filter(c::status.eq("filed"))
        .select((m::consortium_id, m::organization_id))
        .load(conn)
}

/// Every payment recorded: (agreement id, source, amount in yuan).
pub fn payments(conn: &mut DbConnection) -> Result<Vec<(String, String, i64)>, DbError> {
    use crate::schema::payments::dsl as p;
    p::payments
        .select((p::agreement_id, p::source, p::amount))
        .load(conn)
}

//! Innovation consortia (创新联合体) and the yearly, gap-free filing numbers.

use crate::schema::consortia::dsl as c;
use crate::schema::consortium_members::dsl as m;
use crate::schema::registration_counters::dsl as r;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::consortia)]
pub struct Consortium {
    pub id: String,
    pub lead_organization_id: String,
    pub created_by: String,
    pub name: String,
    pub industry_direction: String,
    pub national_platforms: i64,
    pub provincial_platforms: i64,
    pub regional_platforms: i64,
    pub mechanisms: String,
    pub status: String,
    pub registration_no: Option<String>,
    pub filed_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Consortium {
    pub fn status(&self) -> jiebang_domain::organization::ConsortiumStatus {
        jiebang_domain::organization::ConsortiumStatus::parse(&self.status)
            .expect("valid consortium status in the database")
    }
}

pub fn insert(
    conn: &mut DbConnection,
    row: &Consortium,
    members: &[String],
) -> Result<(), DbError> {
    diesel::insert_into(c::consortia)
        .values(row)
        .execute(conn)?;
    for org in members {
        diesel::insert_into(m::consortium_members)
            .values((m::consortium_id.eq(&row.id), m::organization_id.eq(org)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Consortium>, DbError> {
    c::consortia
        .find(id)
        .select(Consortium::as_select())
        .first(conn)
        .optional()
}

pub fn members(conn: &mut DbConnection, id: &str) -> Result<Vec<String>, DbError> {
    m::consortium_members
        .filter(m::consortium_id.eq(id))
        .select(m::organization_id)
        .order(m::organization_id.asc())
        .load(conn)
}

/// Filed consortia, or one lead organisation's own (any state).
pub fn list(conn: &mut DbConnection, lead: Option<&str>) -> Result<Vec<Consortium>, DbError> {
    let mut q = c::consortia.select(Consortium::as_select()).into_boxed();
    match lead {
        Some(l) => q = q.filter(c::lead_organization_id.eq(l.to_owned())),
        None => q = q.filter(c::status.eq("filed")),
    }
    q.order((c::created_at.desc(), c::id.desc())).load(conn)
}

/// Every consortium in a state (statistics).
pub fn count_with_status(conn: &mut DbConnection, status: &str) -> Result<i64, DbError> {
    c::consortia
        .filter(c::status.eq(status))
        .count()
        .get_result(conn)
}

pub fn with_status(conn: &mut DbConnection, status: &str) -> Result<Vec<Consortium>, DbError> {
    c::consortia
        .filter(c::status.eq(status))
        .select(Consortium::as_select())
        .load(conn)
}

/// The next filing number of `year`: 1, 2, 3, … with no gap and no repeat, also when many are
/// filed at once. The counter row is incremented in the caller's transaction (its row lock
/// serialises concurrent filings on PostgreSQL; SQLite's write transaction holds the database),
/// so a filing that rolls back gives its number back.
pub fn next_number(conn: &mut DbConnection, year: i64) -> Result<i64, DbError> {
    for _ in 0..2 {
        let updated = diesel::update(r::registration_counters.find(year))
            .set(r::last_value.eq(r::last_value + 1))
            .execute(conn)?;
        if updated == 1 {
            return r::registration_counters
                .find(year)
                .select(r::last_value)
                .first(conn);
        }
        // the first filing of the year creates the counter; if another transaction created it
        // meanwhile, the savepoint absorbs the conflict and the update is tried again
        let created = conn.transaction(|c2| {
            diesel::insert_into(r::registration_counters)
                .values((r::year.eq(year), r::last_value.eq(1_i64)))
                .execute(c2)
        });
        if created.is_ok() {
            return Ok(1);
        }
    }
    Err(DbError::RollbackTransaction)
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = crate::schema::consortia)]
pub struct ConsortiumChange {
    pub status: Option<String>,
    pub registration_no: Option<String>,
    pub filed_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
}

pub fn change(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    ch: &ConsortiumChange,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(c::consortia.find(id).filter(c::status.eq(from)))
        .set((ch, c::version.eq(c::version + 1), c::updated_at.eq(at)))
        .execute(conn)
        .map(|n| n == 1)
}

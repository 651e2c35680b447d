//! Queries on organisations.

use crate::models::{NewOrganization, Organization};
use crate::schema::organizations::dsl as o;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConnection, new: &NewOrganization) -> Result<(), DbError> {
    diesel::insert_into(o::organizations)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Organization>, DbError> {
    o::organizations
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

/// The names of these organisations, by id (unknown ids are left out).
pub fn names(
    conn: &mut DbConnection,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    let rows: Vec<(String, String)> = o::organizations
        .filter(o::id.eq_any(ids))
        .select((o::id, o::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn credit_code_taken(conn: &mut DbConnection, code: &str) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(
        o::organizations.filter(o::credit_code.eq(code)),
    ))
    .get_result(conn)
}

/// Marks an organisation verified. Returns false when it was already verified.
pub fn verify(
    conn: &mut DbConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(o::organizations.find(id).filter(o::status.eq("unverified")))
        .set((
            o::status.eq("verified"),
            o::verified_at.eq(Some(at)),
            o::verified_by.eq(Some(by)),
            o::updated_at.eq(at),
            o::version.eq(o::version + 1),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Returns an unverified organisation's registration with a reason (退回). False when it is
/// verified (or gone).
pub fn return_registration(
    conn: &mut DbConnection,
    id: &str,
    reason: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(o::organizations.find(id).filter(o::status.eq("unverified")))
        .set((
            o::returned_at.eq(Some(at)),
            o::return_reason.eq(Some(reason)),
            o::updated_at.eq(at),
            o::version.eq(o::version + 1),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The editable fields of an organisation.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = crate::schema::organizations)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub region_code: Option<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// Applies `changes` if the stored version is `expected_version`; returns false on a stale version.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    changes: &OrganizationChanges,
) -> Result<bool, DbError> {
    diesel::update(
        o::organizations
            .find(id)
            .filter(o::version.eq(expected_version)),
    )
    .set((
        changes,
        o::version.eq(o::version + 1),
        // an edit answers a return: the organisation is back in the verification queue
        o::returned_at.eq(None::<NaiveDateTime>),
        o::return_reason.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Locks an organisation's row until the transaction ends (PostgreSQL; SQLite's write
/// transaction already holds the database): decisions about one organisation's bids are taken
/// one at a time. A row lock (`FOR NO KEY UPDATE`, what an update of the row would take), not
/// an update that changes nothing: that wrote a new version of the row on every bid, and counted
/// as a change to the organisations, which every cache reads (`changes::stales`).
pub fn lock(conn: &mut DbConnection, id: &str) -> Result<(), DbError> {
    match conn {
        DbConnection::Postgresql(pg) => o::organizations
            .find(id)
            .select(o::id)
            .for_no_key_update()
            .load::<String>(pg)
            .map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Which organisations the directory shows (`GET /organizations`).
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Only this status (`verified`, `unverified`).
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Region codes starting with this (a province's or prefecture's code without its zeros).
    pub region_prefix: Option<String>,
    /// Words in the name (each must occur), or, when it is one, an exact credit code.
    pub q: Option<String>,
    /// After this `(created_at, id)`: the cursor.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// The directory: organisations in registration order (oldest first — the verification queue's
/// order), filtered.
pub fn list(conn: &mut DbConnection, f: &OrgFilter) -> Result<Vec<Organization>, DbError> {
    let mut q = o::organizations
        .select(Organization::as_select())
        .into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(o::status.eq(s.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(o::kind.eq(k.clone()));
    }
    if let Some(p) = &f.region_prefix {
        q = q.filter(o::region_code.like(format!("{p}%")));
    }
    if let Some(text) = &f.q {
        let words: Vec<&str> = text.split_whitespace().collect();
        if let [one] = words.as_slice() {
            let pattern = crate::challenges::like_pattern(one);
            q = q.filter(
                o::name
                    .like(pattern)
                    .escape('\\')
                    .or(o::credit_code.eq(one.to_uppercase())),
            );
        } else {
            for w in words {
                q = q.filter(
                    o::name
                        .like(crate::challenges::like_pattern(w))
                        .escape('\\'),
                );
            }
        }
    }
    if let Some((t, id)) = &f.after {
        q = q.filter(
            o::created_at
                .gt(*t)
                .or(o::created_at.eq(*t).and(o::id.gt(id.clone()))),
        );
    }
    q.order((o::created_at.asc(), o::id.asc()))
        .limit(f.limit)
        .load(conn)
}

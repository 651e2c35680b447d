//! Capability profiles (能力画像) and what the matching index is built from.

use crate::schema::profiles::dsl as p;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::profiles)]
pub struct Profile {
    pub organization_id: String,
    pub industries_json: String,
    pub keywords_json: String,
    pub statement: String,
    pub platforms_json: String,
    pub past_projects_json: String,
    pub updated_at: NaiveDateTime,
}

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Profile {
    pub fn industries(&self) -> Vec<String> {
        list(&self.industries_json)
    }
    pub fn keywords(&self) -> Vec<String> {
        list(&self.keywords_json)
    }
    pub fn platforms(&self) -> Vec<String> {
        list(&self.platforms_json)
    }
    pub fn past_projects(&self) -> Vec<String> {
        list(&self.past_projects_json)
    }
}

pub fn find(conn: &mut DbConnection, org: &str) -> Result<Option<Profile>, DbError> {
    p::profiles
        .find(org)
        .select(Profile::as_select())
        .first(conn)
        .optional()
}

/// The profiles of the organisations `orgs` (those that have one), in no particular order.
pub fn find_many(conn: &mut DbConnection, orgs: &[String]) -> Result<Vec<Profile>, DbError> {
    p::profiles
        .filter(p::organization_id.eq_any(orgs))
        .select(Profile::as_select())
        .load(conn)
}

pub fn put(conn: &mut DbConnection, row: &Profile) -> Result<(), DbError> {
    diesel::delete(p::profiles.find(&row.organization_id)).execute(conn)?;
    diesel::insert_into(p::profiles)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Profiles of verified organisations, with the organisation's name and region.
pub fn verified(conn: &mut DbConnection) -> Result<Vec<(Profile, String, String)>, DbError> {
    use crate::schema::organizations::dsl as o;
    p::profiles
        .inner_join(o::organizations.on(o::id.eq(p::organization_id)))
        .filter(o::status.eq("verified"))
        .select((Profile::as_select(), o::name, o::region_code))
        .load(conn)
}

/// Every challenge that was ever published (the index of the public list and recommendations).
pub fn published_challenges(
    conn: &mut DbConnection,
) -> Result<Vec<crate::challenges::Challenge>, DbError> {
    use crate::schema::challenges::dsl as c;
    c::challenges
        .filter(c::published_at.is_not_null())
        .select(crate::challenges::Challenge::as_select())
        .load(conn)
}

/// Published challenges changed at or after `since` (the matching index's incremental sync).
pub fn challenges_changed_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<Vec<crate::challenges::Challenge>, DbError> {
    changed_since(since)
        .select(crate::challenges::Challenge::as_select())
        .load(conn)
}

/// The published challenges changed at or after `since`: every instance asks every few seconds,
/// so it must be read from the `updated_at` index (migration 000018), not by a scan.
#[diesel::dsl::auto_type(no_type_alias)]
fn changed_since(since: NaiveDateTime) -> _ {
    crate::schema::challenges::table
        .filter(crate::schema::challenges::published_at.is_not_null())
        .filter(crate::schema::challenges::updated_at.ge(since))
}

/// A profile with its organisation's name, region and status.
pub type ChangedProfile = (Profile, String, String, String);

/// Profiles, with their organisation's name, region and status, whose profile or organisation
/// changed at or after `since`.
pub fn profiles_changed_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<Vec<ChangedProfile>, DbError> {
    use crate::schema::organizations::dsl as o;
    p::profiles
        .inner_join(o::organizations.on(o::id.eq(p::organization_id)))
        .filter(p::updated_at.ge(since).or(o::updated_at.ge(since)))
        .select((Profile::as_select(), o::name, o::region_code, o::status))
        .load(conn)
}

#[cfg(test)]
mod plans {
    use super::*;

    /// The search index's sync reads the changed challenges from the `updated_at` index: before
    /// migration 000018 it scanned every challenge, on every instance, every five seconds.
    #[test]
    fn the_sync_reads_changed_challenges_from_an_index() {
        let temp = crate::connection::tests::TempSqlite::migrated("sync-plan");
        let mut conn = temp.db().conn().unwrap();
        let q = changed_since(chrono::Utc::now().naive_utc()).select(crate::schema::challenges::id);
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&q).to_string();
        let sql = sql.split(" -- binds").next().unwrap();
        let plan = crate::connection::tests::query_plan(&mut conn, sql);
        assert!(
            plan.iter().any(|s| s.contains("challenges_updated_idx")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|s| s.starts_with("SCAN")), "{plan:?}");
    }
}

//! Queries on users.

use crate::models::{NewUser, Organization, User};
use crate::schema::users::dsl as u;
use crate::{DbConnection, DbError};
use diesel::prelude::*;

pub fn insert(conn: &mut DbConnection, new: &NewUser) -> Result<(), DbError> {
    diesel::insert_into(u::users)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

/// The user `id` with their organisation, if the session (refresh-token family) `family` of that
/// user is still open — what every signed-in request needs, in one query. A session is open while
/// some token of its family is not revoked: logging out or a detected reuse revokes the family
/// and so ends the session.
pub fn signed_in(
    conn: &mut DbConnection,
    id: &str,
    family: &str,
) -> Result<Option<(User, Option<Organization>)>, DbError> {
    use crate::schema::organizations;
    use crate::schema::refresh_tokens::dsl as t;
    u::users
        .left_join(organizations::table)
        .filter(u::id.eq(id))
        .filter(diesel::dsl::exists(
            t::refresh_tokens
                .filter(t::family_id.eq(family))
                .filter(t::user_id.eq(u::id))
                .filter(t::revoked_at.is_null()),
        ))
        .select((User::as_select(), Option::<Organization>::as_select()))
        .first(conn)
        .optional()
}

/// The users among `ids` (any order).
pub fn find_many(conn: &mut DbConnection, ids: &[&str]) -> Result<Vec<User>, DbError> {
    u::users
        .filter(u::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)
}

/// The active users of the organisations `orgs`, oldest first.
pub fn active_in_organizations(
    conn: &mut DbConnection,
    orgs: &[&str],
) -> Result<Vec<User>, DbError> {
    u::users
        .filter(u::organization_id.eq_any(orgs))
        .filter(u::role.eq_any(["org_admin", "org_member"]))
        .filter(u::active.eq(true))
        .order((u::created_at.asc(), u::id.asc()))
        .select(User::as_select())
        .load(conn)
}

/// [`active_in_organizations`], each with whether they take e-mail of `kind` (they do unless
/// they turned it off), in one query.
pub fn active_in_organizations_with_email(
    conn: &mut DbConnection,
    orgs: &[&str],
    kind: &str,
) -> Result<Vec<(User, bool)>, DbError> {
    use crate::schema::notification_preferences::dsl as p;
    let rows: Vec<(User, Option<bool>)> = u::users
        .left_join(p::notification_preferences.on(p::user_id.eq(u::id).and(p::kind.eq(kind))))
        .filter(u::organization_id.eq_any(orgs))
        .filter(u::role.eq_any(["org_admin", "org_member"]))
        .filter(u::active.eq(true))
        .order((u::created_at.asc(), u::id.asc()))
        .select((User::as_select(), p::email_enabled.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, email)| (user, email.unwrap_or(true)))
        .collect())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<User>, DbError> {
    u::users
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, DbError> {
    u::users
        .filter(u::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn email_taken(conn: &mut DbConnection, email: &str) -> Result<bool, DbError> {
    diesel::select(diesel::dsl::exists(u::users.filter(u::email.eq(email)))).get_result(conn)
}

/// The organisation's own users (`org_admin`, `org_member`); experts employed there are not
/// among them.
pub fn list_by_organization(conn: &mut DbConnection, org: &str) -> Result<Vec<User>, DbError> {
    u::users
        .filter(u::organization_id.eq(org))
        .filter(u::role.eq_any(["org_admin", "org_member"]))
        .order(u::created_at.asc())
        .select(User::as_select())
        .load(conn)
}

/// Users of a role, oldest first: only active ones (to notify them), or with `include_inactive`
/// deactivated ones too (the admins' list).
pub fn list_by_role(
    conn: &mut DbConnection,
    role: &str,
    include_inactive: bool,
) -> Result<Vec<User>, DbError> {
    let mut q = u::users
        .filter(u::role.eq(role))
        .select(User::as_select())
        .into_boxed();
    if !include_inactive {
        q = q.filter(u::active.eq(true));
    }
    q.order(u::created_at.asc()).load(conn)
}

pub fn set_active(
    conn: &mut DbConnection,
    id: &str,
    active: bool,
    at: chrono::NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(u::users.find(id))
        .set((u::active.eq(active), u::updated_at.eq(at)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Changes a user's name and/or notification language.
pub fn update_profile(
    conn: &mut DbConnection,
    id: &str,
    name: Option<&str>,
    locale: Option<&str>,
    at: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    if let Some(n) = name {
        diesel::update(u::users.find(id))
            .set((u::name.eq(n), u::updated_at.eq(at)))
            .execute(conn)?;
    }
    if let Some(l) = locale {
        diesel::update(u::users.find(id))
            .set((u::locale.eq(l), u::updated_at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}

//! Row types (reads) and `New…` types (inserts). Timestamps are naive UTC.

use crate::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub credit_code: String,
    pub region_code: String,
    pub status: String,
    pub description: String,
    pub website: String,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When an official last returned its registration (退回), until its admin edits it.
    pub returned_at: Option<NaiveDateTime>,
    pub return_reason: Option<String>,
}

impl Organization {
    pub fn status(&self) -> jiebang_domain::OrganizationStatus {
        jiebang_domain::OrganizationStatus::parse(&self.status)
            .unwrap_or(jiebang_domain::OrganizationStatus::Unverified)
    }

    pub fn is_verified(&self) -> bool {
        self.status() == jiebang_domain::OrganizationStatus::Verified
    }

    pub fn kind(&self) -> Option<jiebang_domain::OrganizationKind> {
        jiebang_domain::OrganizationKind::parse(&self.kind)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub credit_code: String,
    pub region_code: String,
    pub status: String,
    pub description: String,
    pub website: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub role: String,
    pub organization_id: Option<String>,
    pub locale: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// An expert's fields (专业领域), a JSON array of strings (`[]` for everyone else).
    pub expert_fields: String,
}

impl User {
    /// The role (`CHECK`ed in the schema, so never unknown in a consistent database).
    pub fn role(&self) -> Option<jiebang_domain::Role> {
        jiebang_domain::Role::parse(&self.role)
    }

    /// An expert's fields (专业领域); empty for other users.
    pub fn fields(&self) -> Vec<String> {
        serde_json::from_str(&self.expert_fields).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub role: String,
    pub organization_id: Option<String>,
    pub locale: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expert_fields: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor_organization_id: Option<String>,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub comment: Option<String>,
    pub request_id: Option<String>,
}

/// `None` goes in as `NULL` rather than `DEFAULT` (the same for these columns), which keeps the
/// statement's text fixed, so diesel keeps it prepared on PostgreSQL.
#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct NewAuditEntry {
    pub at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor_organization_id: Option<String>,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub comment: Option<String>,
    pub request_id: Option<String>,
}

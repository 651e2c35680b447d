//! The views of organisations, users and audit entries, as the API serves them. Timestamps are served as RFC 3339 UTC.

use chrono::{DateTime, Utc};
use jiebang_db::models::{AuditEntry, Organization, User};
use serde::Serialize;

pub use crate::utc;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    /// `enterprise` | `university` | `institute` | `government` | `other`
    pub kind: String,
    /// 统一社会信用代码
    pub credit_code: String,
    /// 行政区划代码 (GB/T 2260)
    pub region_code: String,
    /// The region's full name, e.g. "内蒙古自治区 包头市".
    pub region_name: String,
    /// `unverified` | `verified`
    pub status: String,
    pub description: String,
    pub website: String,
    pub verified_at: Option<DateTime<Utc>>,
    /// When an official returned the registration (退回) and why; cleared when its admin edits
    /// the organisation, which puts it back in the verification queue.
    pub returned_at: Option<DateTime<Utc>>,
    pub return_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with an update.
    pub version: i64,
    /// What the caller may do with the organisation now (`edit`, `verify`, `add_member`). On
    /// every view the API returns; absent only from audit entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<crate::organization_actions::OrganizationActionName>>,
}

impl From<&Organization> for OrganizationView {
    fn from(o: &Organization) -> Self {
        let region_name = jiebang_domain::RegionCode::parse(&o.region_code)
            .map(|r| r.full_name())
            .unwrap_or_default();
        OrganizationView {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: o.kind.clone(),
            credit_code: o.credit_code.clone(),
            region_code: o.region_code.clone(),
            region_name,
            status: o.status.clone(),
            description: o.description.clone(),
            website: o.website.clone(),
            verified_at: o.verified_at.map(utc),
            returned_at: o.returned_at.map(utc),
            return_reason: o.return_reason.clone(),
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
            version: o.version,
            actions: None,
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    /// `org_admin` | `org_member` | `official` | `expert` | `admin`
    pub role: String,
    pub organization_id: Option<String>,
    /// `zh` | `en`: language of e-mails
    pub locale: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// An expert's fields (专业领域); empty for other users.
    pub fields: Vec<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.clone(),
            organization_id: u.organization_id.clone(),
            locale: u.locale.clone(),
            active: u.active,
            created_at: utc(u.created_at),
            fields: u.fields(),
        }
    }
}

/// One entry of an object's audit log.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<String>,
    pub actor_organization_id: Option<String>,
    pub action: String,
    /// The object before the change: any JSON value (an object, a state name) or null.
    pub before: Option<serde_json::Value>,
    /// The object after the change: any JSON value (an object, a state name) or null.
    pub after: Option<serde_json::Value>,
    pub comment: Option<String>,
}

impl From<&AuditEntry> for HistoryEntry {
    fn from(e: &AuditEntry) -> Self {
        let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str(s).ok());
        HistoryEntry {
            id: e.id,
            at: utc(e.at),
            actor_user_id: e.actor_user_id.clone(),
            actor_organization_id: e.actor_organization_id.clone(),
            action: e.action.clone(),
            before: parse(&e.before_json),
            after: parse(&e.after_json),
            comment: e.comment.clone(),
        }
    }
}

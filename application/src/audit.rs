//! Writing the audit log: who (user, organisation), when, which object, what
//! action, the state before and after, and the request id. Always inside the transaction of the
//! change it records.

use crate::caller::Caller;
use crate::error::Result;
use chrono::{DateTime, Utc};
use jiebang_db::models::NewAuditEntry;
use jiebang_db::DbConnection;
use serde::Serialize;

/// Who acted: a user, or the system (scheduler, CLI) when `user_id` is `None`.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    pub organization_id: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn user(auth: &Caller, request_id: Option<String>) -> Actor {
        Actor {
            user_id: Some(auth.user.id.clone()),
            organization_id: auth.organization_id().map(str::to_owned),
            request_id,
        }
    }

    pub fn system() -> Actor {
        Actor::default()
    }
}

fn json<T: Serialize>(v: Option<&T>) -> Option<String> {
    v.and_then(|v| serde_json::to_string(v).ok())
}

#[allow(clippy::too_many_arguments)]
pub fn record<B: Serialize, A: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    at: DateTime<Utc>,
    object_type: &str,
    object_id: &str,
    action: &str,
    before: Option<&B>,
    after: Option<&A>,
    comment: Option<&str>,
) -> Result<()> {
    jiebang_db::audit::append(
        conn,
        &entry(
            actor,
            at,
            object_type,
            object_id,
            action,
            before,
            after,
            comment,
        ),
    )?;
    Ok(())
}

/// The entry [`record`] writes, for a change that writes it itself (with its other appended rows,
/// `jiebang_db::appends`).
#[allow(clippy::too_many_arguments)]
pub fn entry<B: Serialize, A: Serialize>(
    actor: &Actor,
    at: DateTime<Utc>,
    object_type: &str,
    object_id: &str,
    action: &str,
    before: Option<&B>,
    after: Option<&A>,
    comment: Option<&str>,
) -> NewAuditEntry {
    NewAuditEntry {
        at: at.naive_utc(),
        actor_user_id: actor.user_id.clone(),
        actor_organization_id: actor.organization_id.clone(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_owned(),
        action: action.to_owned(),
        before_json: json(before),
        after_json: json(after),
        comment: comment.map(str::to_owned),
        request_id: actor.request_id.clone(),
    }
}

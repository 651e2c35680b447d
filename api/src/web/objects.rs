//! The pages behind the remaining notice links: an organisation (`/organizations/{id}`, the link
//! of 注册待认证 and 退回 notices) and an innovation consortium (`/consortia/{id}`, the link of
//! 备案 notices), read through the API's own `read_view`s, each with its history panel for whoever
//! the API lets read it.

use super::format;
use super::session::Visitor;
use super::{render, respond, Layout};
use crate::auth::{Auth, MaybeAuth};
use crate::handlers::{consortia, organizations};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use jiebang_application::consortium_actions::ConsortiumActionName;
use jiebang_application::organization_actions::OrganizationActionName;
use jiebang_domain::organization::ConsortiumStatus;
use jiebang_domain::OrganizationStatus;

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationPage {
    layout: Layout,
    name: String,
    kind: &'static str,
    region: String,
    verified: bool,
    credit_code: String,
    description: String,
    website: String,
    return_reason: Option<String>,
    registered: String,
    history: Vec<super::HistoryRow>,
    id: String,
    /// 认证 and 退回, offered where the organisation's `actions` list them (officials).
    can_verify: bool,
    can_return: bool,
    done: Option<&'static str>,
}

/// `GET /organizations/{id}`: its public fields for everyone who may see it; the return reason
/// for its own users and staff.
pub async fn organization(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let done = match q.done.as_deref() {
        Some("verify") => Some("已认证，单位用户会收到通知。/ Verified."),
        Some("return") => Some("已退回，单位用户会收到原因。/ Returned."),
        _ => None,
    };
    let r = async {
        let o = organizations::read_view(&state, visitor.caller.clone(), id.clone()).await?;
        let history = match &visitor.caller {
            Some(c) => super::history_if_readable(
                "organization",
                organizations::history_of(&state, Auth(c.clone()), id).await,
            )?,
            None => Vec::new(),
        };
        let page = OrganizationPage {
            layout: Layout::new(&visitor, o.name.clone(), ""),
            kind: format::organization_kind(&o.kind),
            region: format::region(&o.region_code),
            verified: OrganizationStatus::parse(&o.status) == Some(OrganizationStatus::Verified),
            credit_code: o.credit_code,
            description: o.description,
            website: o.website,
            return_reason: o.return_reason,
            registered: format::beijing_date(o.created_at),
            can_verify: o
                .actions
                .as_ref()
                .is_some_and(|a| a.contains(&OrganizationActionName::Verify)),
            can_return: o
                .actions
                .as_ref()
                .is_some_and(|a| a.contains(&OrganizationActionName::Return)),
            id: o.id,
            name: o.name,
            history,
            done,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

#[derive(Template)]
#[template(path = "consortium.html")]
struct ConsortiumPage {
    layout: Layout,
    c: consortia::ConsortiumView,
    status: &'static str,
    members: Vec<(String, &'static str, String)>,
    filed: Option<String>,
    can_file: bool,
    can_revoke: bool,
    done: Option<&'static str>,
    history: Vec<super::HistoryRow>,
}

/// `GET /consortia/{id}`: a filed consortium for everyone; a draft or revoked one for its lead's
/// users and staff. 备案 is offered where its `actions` list `file`.
pub async fn consortium(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let done = match q.done.as_deref() {
        Some("save") => {
            Some("草稿已保存，只有本单位和科技厅可见。备案后公开。/ The draft was saved.")
        }
        Some("file") => Some("已备案，备案编号见下。/ Filed."),
        Some("revoke") => Some("已撤销备案，牵头单位会收到原因。/ Revoked."),
        _ => None,
    };
    let r = async {
        let auth = MaybeAuth(visitor.caller.clone().map(Auth));
        let c = consortia::read_view(&state, auth, id.clone()).await?;
        let history = match &visitor.caller {
            Some(v) => super::history_if_readable(
                "consortium",
                consortia::history_of(&state, Auth(v.clone()), id).await,
            )?,
            None => Vec::new(),
        };
        let page = ConsortiumPage {
            layout: Layout::new(&visitor, c.name.clone(), ""),
            status: match ConsortiumStatus::parse(&c.status) {
                Some(ConsortiumStatus::Filed) => "已备案",
                Some(ConsortiumStatus::Revoked) => "已撤销",
                _ => "草稿",
            },
            members: c
                .members
                .iter()
                .map(|m| {
                    (
                        m.name.clone(),
                        format::organization_kind(&m.kind),
                        format::region(&m.region_code),
                    )
                })
                .collect(),
            filed: c.filed_at.map(format::beijing_date),
            can_file: c
                .actions
                .as_ref()
                .is_some_and(|a| a.contains(&ConsortiumActionName::File)),
            can_revoke: c
                .actions
                .as_ref()
                .is_some_and(|a| a.contains(&ConsortiumActionName::Revoke)),
            done,
            history,
            c,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

//! The pages behind the remaining notice links: an organisation (`/organizations/{id}`, the link
//! of 注册待认证 and 退回 notices) and an innovation consortium (`/consortia/{id}`, the link of
//! 备案 notices), read through the API's own `read_view`s.

use super::format;
use super::session::Visitor;
use super::{error_page, render, Layout};
use crate::auth::{Auth, MaybeAuth};
use crate::handlers::{consortia, organizations};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
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
}

/// `GET /organizations/{id}`: its public fields for everyone who may see it; the return reason
/// for its own users and staff.
pub async fn organization(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    match organizations::read_view(&state, visitor.caller.clone(), id.into_inner()).await {
        Ok(o) => {
            let page = OrganizationPage {
                layout: Layout::new(&visitor, o.name.clone(), ""),
                kind: format::organization_kind(&o.kind),
                region: format::region(&o.region_code),
                verified: OrganizationStatus::parse(&o.status)
                    == Some(OrganizationStatus::Verified),
                credit_code: o.credit_code,
                description: o.description,
                website: o.website,
                return_reason: o.return_reason,
                registered: format::beijing_date(o.created_at),
                name: o.name,
            };
            render(&visitor, StatusCode::OK, &page)
        }
        Err(e) => error_page(&visitor, e),
    }
}

#[derive(Template)]
#[template(path = "consortium.html")]
struct ConsortiumPage {
    layout: Layout,
    c: consortia::ConsortiumView,
    status: &'static str,
    members: Vec<(String, &'static str, String)>,
    filed: Option<String>,
}

/// `GET /consortia/{id}`: a filed consortium for everyone; a draft or revoked one for its lead's
/// users and staff.
pub async fn consortium(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let auth = MaybeAuth(visitor.caller.clone().map(Auth));
    match consortia::read_view(&state, auth, id.into_inner()).await {
        Ok(c) => {
            let page = ConsortiumPage {
                layout: Layout::new(&visitor, c.name.clone(), ""),
                status: match jiebang_domain::organization::ConsortiumStatus::parse(&c.status) {
                    Some(jiebang_domain::organization::ConsortiumStatus::Filed) => "已备案",
                    Some(jiebang_domain::organization::ConsortiumStatus::Revoked) => "已撤销",
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
                c,
            };
            render(&visitor, StatusCode::OK, &page)
        }
        Err(e) => error_page(&visitor, e),
    }
}

//! 协议跟踪 (`/agreements`): the agreements the visitor may see (every one for staff, a party's
//! own otherwise), filtered by status, 产业, 盟市 and the signing dates. Those with an overdue
//! milestone come first, all of them on the first page (up to 100; the API's `overdue=true`),
//! then the others a page at a time (`overdue=false`). The list is the API's own `list_page`
//! (`GET /api/v1/agreements`), so its filters and their refusals are the API's.

use super::public::{region_choices, Choice};
use super::session::Visitor;
use super::{format, render, respond, FormErrors, Layout};
use crate::error::ApiResult;
use crate::handlers::agreements::{list_page, ListQuery};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use jiebang_domain::agreement::{AgreementStatus, Terms};
use serde::Deserialize;

pub struct Row {
    pub id: String,
    pub title: String,
    pub parties: String,
    pub status: &'static str,
    pub signed: String,
    pub overdue: usize,
    pub paid: String,
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct AgreementsPage {
    layout: Layout,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    industries: Vec<Choice>,
    regions: Vec<Choice>,
    signed_from: String,
    signed_to: String,
    errors: FormErrors,
    next_href: Option<String>,
    /// More agreements are overdue than the first page lists.
    overdue_truncated: bool,
}

/// The most overdue agreements the first page lists.
const OVERDUE_MAX: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    pub status: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    /// Dates in Beijing (`2026-12-01`).
    pub signed_from: Option<String>,
    pub signed_to: Option<String>,
    pub cursor: Option<String>,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

/// `GET /agreements`.
pub async fn agreements(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<Filter>,
) -> HttpResponse {
    let f = q.into_inner();
    let r: ApiResult<HttpResponse> = async {
        let auth = visitor.auth()?;
        // a date is the whole day in Beijing: from its first second, to its last
        let day = |v: &Option<String>, end: bool| {
            blank(v).map(|d| {
                format::beijing_day(&d)
                    .map(|(first, last)| if end { last } else { first }.to_rfc3339())
                    // not a date: handed on as typed, for the API to refuse beside the field
                    .unwrap_or(d)
            })
        };
        let query = |overdue: bool, limit: usize, cursor: Option<String>| ListQuery {
            status: blank(&f.status),
            industry: blank(&f.industry),
            region: blank(&f.region),
            signed_from: day(&f.signed_from, false),
            signed_to: day(&f.signed_to, true),
            overdue: Some(overdue.to_string()),
            limit: Some(limit.to_string()),
            cursor,
        };
        let first_page = blank(&f.cursor).is_none();
        let overdue = if first_page {
            Some(list_page(&state, auth.clone(), query(true, OVERDUE_MAX, None)).await)
        } else {
            None
        };
        let rest = list_page(&state, auth, query(false, 20, blank(&f.cursor))).await;
        let mut overdue_truncated = false;
        let pages = match (overdue, rest) {
            (Some(Err(e)), _) | (_, Err(e)) => Err(e),
            (Some(Ok(o)), Ok(r)) => {
                overdue_truncated = o.next_cursor.is_some();
                let mut items = o.items;
                items.extend(r.items);
                Ok((items, r.next_cursor))
            }
            (None, Ok(r)) => Ok((r.items, r.next_cursor)),
        };
        let (rows, next, errors, status) = match pages {
            Ok((items, next_cursor)) => {
                let rows: Vec<Row> = items
                    .into_iter()
                    .map(|a| {
                        let terms: Option<Terms> = serde_json::from_value(a.terms.clone()).ok();
                        Row {
                            title: super::agreement::terms_title(&a),
                            parties: terms
                                .as_ref()
                                .map(|t| {
                                    t.parties
                                        .iter()
                                        .filter(|p| p.role.signs())
                                        .map(|p| p.name.clone())
                                        .collect::<Vec<_>>()
                                        .join(" · ")
                                })
                                .unwrap_or_default(),
                            status: super::agreement::agreement_status(&a.status),
                            signed: a.signed_at.map(format::beijing_date).unwrap_or_default(),
                            overdue: a.milestones.iter().filter(|m| m.overdue).count(),
                            paid: format!(
                                "{} / {}",
                                format::wan(a.paid_fiscal),
                                format::wan(a.paid_enterprise)
                            ),
                            id: a.id,
                        }
                    })
                    .collect();
                (rows, next_cursor, FormErrors::default(), StatusCode::OK)
            }
            Err(e) if e.0.code.status() == 422 => (
                Vec::new(),
                None,
                FormErrors::from_api(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(e) => return Err(e),
        };
        let statuses = std::iter::once(Choice {
            value: String::new(),
            label: "全部状态".into(),
            selected: blank(&f.status).is_none(),
        })
        .chain(AgreementStatus::ALL.into_iter().map(|s| Choice {
            value: s.as_str().into(),
            label: super::agreement::agreement_status(s.as_str()).into(),
            selected: f.status.as_deref() == Some(s.as_str()),
        }))
        .collect();
        let industries = std::iter::once(Choice {
            value: String::new(),
            label: "全部产业".into(),
            selected: blank(&f.industry).is_none(),
        })
        .chain(state.rules.industries.iter().map(|i| Choice {
            value: i.clone(),
            label: i.clone(),
            selected: f.industry.as_deref() == Some(i.as_str()),
        }))
        .collect();
        let regions = std::iter::once(Choice {
            value: String::new(),
            label: "全部地区".into(),
            selected: blank(&f.region).is_none(),
        })
        .chain(region_choices(&f.region))
        .collect();
        let next_href = next.map(|c| {
            let mut q = url_pairs(&f);
            q.push(("cursor", c));
            format!(
                "/agreements?{}",
                q.iter()
                    .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            )
        });
        let page = AgreementsPage {
            layout: Layout::new(&visitor, "协议跟踪", "/agreements"),
            rows,
            statuses,
            industries,
            regions,
            signed_from: f.signed_from.clone().unwrap_or_default(),
            signed_to: f.signed_to.clone().unwrap_or_default(),
            errors,
            next_href,
            overdue_truncated,
        };
        Ok(render(&visitor, status, &page))
    }
    .await;
    respond(&visitor, r)
}

/// The filters of the page, for its next-page link.
fn url_pairs(f: &Filter) -> Vec<(&'static str, String)> {
    [
        ("status", &f.status),
        ("industry", &f.industry),
        ("region", &f.region),
        ("signed_from", &f.signed_from),
        ("signed_to", &f.signed_to),
    ]
    .into_iter()
    .filter_map(|(k, v)| blank(v).map(|v| (k, v)))
    .collect()
}

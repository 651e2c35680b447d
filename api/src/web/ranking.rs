//! 评审排名与选定 (`/challenges/{id}/ranking`): the ranking of the eligible bids for whoever the
//! API shows it to, and for the publisher while the challenge is being evaluated a choice of the
//! winners (选定), sent through the API's own `select_winners`; an official then confirms (立项).

use super::format;
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::ApiResult;
use crate::handlers::challenges::read_view;
use crate::handlers::evaluation::{ranking_entries, select_winners};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_domain::bid::BidStatus;

pub struct Entry {
    pub rank: usize,
    pub bid_id: String,
    pub organization: String,
    pub score: String,
    pub criteria: String,
    pub experts: usize,
    pub fully_scored: bool,
    pub selected: bool,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage {
    layout: Layout,
    challenge_id: String,
    title: String,
    status: &'static str,
    max_winners: i64,
    entries: Vec<Entry>,
    /// The publisher may choose the winners now.
    selecting: bool,
    /// The challenge is being evaluated but no bid is scored by every expert yet.
    waiting: bool,
    errors: FormErrors,
    done: bool,
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    errors: FormErrors,
    done: bool,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let c = read_view(state, Some(auth.clone()), id.clone()).await?;
    let entries = ranking_entries(state, auth.clone(), id).await?;
    // the choice is offered when the challenge's `actions` list `select` for the visitor
    let selecting = c
        .actions
        .as_ref()
        .is_some_and(|a| a.contains(&ChallengeAction::Select));
    let page = RankingPage {
        layout: Layout::new(visitor, format!("评审排名：{}", c.title), ""),
        challenge_id: c.id.clone(),
        title: c.title.clone(),
        status: format::challenge_status(&c.status),
        max_winners: c.max_winners,
        selecting,
        waiting: !selecting
            && c.status == jiebang_domain::challenge::ChallengeStatus::Evaluating.as_str()
            && !entries.iter().any(|e| e.fully_scored),
        entries: entries
            .into_iter()
            .map(|e| Entry {
                rank: e.rank,
                organization: e.lead_organization_name,
                score: format!("{:.2}", e.score),
                criteria: e
                    .criteria
                    .iter()
                    .map(|(name, v)| format!("{name} {v:.1}"))
                    .collect::<Vec<_>>()
                    .join("；"),
                experts: e.experts_scored,
                fully_scored: e.fully_scored,
                selected: e.selected,
                status: match BidStatus::parse(&e.status) {
                    Some(BidStatus::Awarded) => "已立项",
                    Some(BidStatus::NotAwarded) => "未立项",
                    _ if e.selected => "已选定，待科技厅确认",
                    _ => "有效申报",
                },
                bid_id: e.bid_id,
            })
            .collect(),
        errors,
        done,
    };
    let status = if page.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

#[derive(Debug, serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /challenges/{id}/ranking`.
pub async fn ranking(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    respond(
        &visitor,
        page(
            &state,
            &visitor,
            id.into_inner(),
            FormErrors::default(),
            q.done.is_some(),
        )
        .await,
    )
}

/// `POST /challenges/{id}/ranking`: the publisher's choice of winners.
pub async fn select(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = id.into_inner();
    let pairs = form.into_inner();
    let csrf = super::field(&pairs, "_csrf");
    let chosen = super::fields(&pairs, "bid_ids");
    let r = async {
        session::check_form(&req, &visitor, &csrf)?;
        let auth = visitor.auth()?;
        select_winners(&state, auth, audit::request_id(&req), id.clone(), chosen).await
    }
    .await;
    match r {
        Ok(_) => see_other(&visitor, &format!("/challenges/{id}/ranking?done=select")),
        Err(e) if matches!(e.0.code.status(), 409 | 422) => respond(
            &visitor,
            page(&state, &visitor, id, FormErrors::from_api(e), false).await,
        ),
        Err(e) => error_page(&visitor, e),
    }
}

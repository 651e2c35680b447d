//! 评审: an assigned expert's pages. `/challenges/{id}/scoring` lists the bids of a challenge
//! with "已评 x / y" and the rubric; `/bids/{id}/score` shows a bid beside the rubric, a 0–100
//! score and a comment per criterion. 暂存 keeps unfinished scores through the API's own
//! `save_draft` (the expert's alone, counted nowhere), 提交评分 submits complete ones through
//! `score_bid`; an expert may stop at any point and come back. Other experts' scores appear only
//! once the expert's own are in, as the API answers them. The expert may declare a conflict of
//! interest from the list (`/challenges/{id}/recusal`).

use super::session::{self, Visitor};
use super::workspace::kpi_rows;
use super::{format, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::handlers::evaluation::{draft_of, rubric_of, save_draft, score_bid, scores_of};
use crate::handlers::{bids, challenges};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::bids::BidView;
use jiebang_domain::evaluation::Criterion;

pub struct BidToScore {
    pub id: String,
    /// 申报 1, 申报 2, …: experts score the content, and the lead's name is on the bid's page.
    pub label: String,
    pub lead: String,
    pub scored: bool,
    /// Unfinished scores are saved (暂存).
    pub drafted: bool,
}

#[derive(Template)]
#[template(path = "scoring.html")]
struct ScoringPage {
    layout: Layout,
    challenge_id: String,
    title: String,
    criteria: Vec<Criterion>,
    bids: Vec<BidToScore>,
    scored: usize,
    /// The expert may declare a conflict of interest now (`recuse` in `actions`).
    can_recuse: bool,
    done: Option<&'static str>,
}

/// `GET /challenges/{id}/scoring`: the bids an expert scores, with progress.
pub async fn scoring(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("score") => Some("评分已提交。/ Your scores were submitted."),
        Some("draft") => {
            Some("已暂存，尚未提交；可随时回来继续。/ Saved as a draft, not submitted yet.")
        }
        _ => None,
    };
    let r = async {
        let auth = visitor.auth()?;
        let id = id.into_inner();
        let c = challenges::read_view(&state, Some(auth.clone()), id.clone()).await?;
        let rubric = rubric_of(&state, auth.clone(), id.clone()).await?;
        let list = bids::list_of(&state, auth.clone(), id.clone()).await?;
        let mut rows = Vec::new();
        for (i, b) in list.into_iter().enumerate() {
            let own = mine(&auth, scores_of(&state, auth.clone(), b.id.clone()).await?);
            let draft = draft_of(&state, auth.clone(), b.id.clone()).await?;
            rows.push(BidToScore {
                label: format!("申报 {}", i + 1),
                lead: b.lead_organization_name,
                scored: own.is_some(),
                drafted: draft.is_some(),
                id: b.id,
            });
        }
        let page = ScoringPage {
            can_recuse: c.actions.as_ref().is_some_and(|a| {
                a.contains(&jiebang_application::challenge_actions::ChallengeAction::Recuse)
            }),
            layout: Layout::new(&visitor, format!("评审：{}", c.title), ""),
            scored: rows.iter().filter(|r| r.scored).count(),
            challenge_id: c.id,
            title: c.title,
            criteria: rubric.criteria,
            bids: rows,
            done,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

/// The expert's own scores among those the API shows.
fn mine(
    auth: &Auth,
    all: Vec<crate::handlers::evaluation::ExpertScoresView>,
) -> Option<crate::handlers::evaluation::ExpertScoresView> {
    all.into_iter().find(|s| s.expert_id == auth.user.id)
}

pub struct CriterionRow {
    pub key: String,
    pub name: String,
    pub weight: u32,
    pub score: super::bid_form::Input,
    pub comment: super::bid_form::Input,
}

#[derive(Template)]
#[template(path = "score.html")]
struct ScorePage {
    layout: Layout,
    b: BidView,
    challenge_title: String,
    kpis: Vec<(String, String)>,
    requested_wan: String,
    own_wan: String,
    criteria: Vec<CriterionRow>,
    /// Every expert's scores, once the visitor's own are in.
    others: Vec<(String, Vec<ScoreLine>)>,
    /// When unfinished scores were last saved (北京时间), if they were.
    draft_saved: Option<String>,
    submitted: bool,
    errors: FormErrors,
}

/// A criterion's name, its score and the comment, as another expert gave them.
type ScoreLine = (String, u32, String);

/// What was typed: per criterion key, (score, comment).
type Typed = Vec<(String, (String, String))>;

async fn score_page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    typed: Option<Typed>,
    errors: FormErrors,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let b = bids::read_view(state, Some(auth.clone()), id.clone()).await?;
    let c = challenges::read_view(state, Some(auth.clone()), b.challenge_id.clone()).await?;
    let rubric = rubric_of(state, auth.clone(), c.id.clone()).await?;
    let all = scores_of(state, auth.clone(), id.clone()).await?;
    let own = mine(&auth, all.clone());
    let draft = draft_of(state, auth.clone(), id).await?;
    let e = &errors;
    let criteria = rubric
        .criteria
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let (score, comment) = match &typed {
                Some(t) => t
                    .iter()
                    .find(|(key, _)| *key == k.key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                // a draft is newer than what was submitted (submitting removes it)
                None => match &draft {
                    Some(d) => d
                        .scores
                        .iter()
                        .find(|s| s.criterion == k.key)
                        .map(|s| {
                            let score = s.score.map(|n| n.to_string()).unwrap_or_default();
                            (score, s.comment.clone())
                        })
                        .unwrap_or_default(),
                    None => own
                        .as_ref()
                        .and_then(|o| o.scores.iter().find(|s| s.criterion == k.key))
                        .map(|s| (s.score.to_string(), s.comment.clone()))
                        .unwrap_or_default(),
                },
            };
            CriterionRow {
                key: k.key.clone(),
                name: k.name.clone(),
                weight: k.weight,
                score: super::bid_form::input(e, format!("scores[{i}].score"), score),
                comment: super::bid_form::input(e, format!("scores[{i}].comment"), comment),
            }
        })
        .collect();
    let name_of = |key: &str| {
        rubric
            .criteria
            .iter()
            .find(|k| k.key == key)
            .map(|k| k.name.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    // the API shows others' scores only once the visitor's own are in
    let others = if own.is_some() {
        all.iter()
            .map(|x| {
                (
                    x.expert_name.clone(),
                    x.scores
                        .iter()
                        .map(|s| (name_of(&s.criterion), s.score, s.comment.clone()))
                        .collect(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = ScorePage {
        layout: Layout::new(visitor, format!("评分：{}", c.title), ""),
        kpis: kpi_rows(&b, &c),
        challenge_title: c.title.clone(),
        requested_wan: format::wan(b.requested_fiscal),
        own_wan: format::wan(b.own_funds),
        criteria,
        others,
        draft_saved: draft.map(|d| format::beijing(d.saved_at)),
        submitted: own.is_some(),
        errors,
        b,
    };
    let status = if page.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

/// `GET /bids/{id}/score`.
pub async fn score_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    respond(
        &visitor,
        score_page(
            &state,
            &visitor,
            id.into_inner(),
            None,
            FormErrors::default(),
        )
        .await,
    )
}

/// `POST /bids/{id}/score`: the expert's scores of one bid; a refusal comes back beside each
/// field with what was typed.
pub async fn score(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = id.into_inner();
    let pairs = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &super::field(&pairs, "_csrf"))?;
        let auth = visitor.auth()?;
        let b = bids::read_view(&state, Some(auth.clone()), id.clone()).await?;
        let rubric = rubric_of(&state, auth.clone(), b.challenge_id.clone()).await?;
        let typed: Typed = rubric
            .criteria
            .iter()
            .map(|k| {
                (
                    k.key.clone(),
                    (
                        super::field(&pairs, &format!("score.{}", k.key)),
                        super::field(&pairs, &format!("comment.{}", k.key)),
                    ),
                )
            })
            .collect();
        let mut errors = FormErrors::default();
        if super::field(&pairs, "intent") == "draft" {
            let mut input = Vec::new();
            for (i, (key, (score, comment))) in typed.iter().enumerate() {
                let score = score.trim();
                match (score.is_empty(), score.parse::<i64>()) {
                    (true, _) => input.push((key.clone(), None, comment.clone())),
                    (false, Ok(n)) => input.push((key.clone(), Some(n), comment.clone())),
                    (false, Err(_)) => errors.push(
                        &format!("scores[{i}].score"),
                        "请填写 0 到 100 的整数，或留空 / a whole number from 0 to 100, or nothing",
                    ),
                }
            }
            if errors.any() {
                return score_page(&state, &visitor, id.clone(), Some(typed), errors).await;
            }
            return match save_draft(&state, auth, id.clone(), input).await {
                Ok(_) => Ok(see_other(
                    &visitor,
                    &format!("/challenges/{}/scoring?done=draft", b.challenge_id),
                )),
                Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                    let errors = FormErrors::from_api(e);
                    score_page(&state, &visitor, id.clone(), Some(typed), errors).await
                }
                Err(e) => Err(e),
            };
        }
        let mut input = Vec::new();
        for (i, (key, (score, comment))) in typed.iter().enumerate() {
            match score.trim().parse::<i64>() {
                Ok(n) => input.push((key.clone(), n, comment.clone())),
                Err(_) => errors.push(
                    &format!("scores[{i}].score"),
                    "请填写 0 到 100 的整数 / enter a whole number from 0 to 100",
                ),
            }
        }
        if errors.any() {
            return score_page(&state, &visitor, id.clone(), Some(typed), errors).await;
        }
        match score_bid(&state, auth, audit::request_id(&req), id.clone(), input).await {
            Ok(_) => Ok(see_other(
                &visitor,
                &format!("/challenges/{}/scoring?done=score", b.challenge_id),
            )),
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                score_page(
                    &state,
                    &visitor,
                    id.clone(),
                    Some(typed),
                    FormErrors::from_api(e),
                )
                .await
            }
            Err(e) => Err(e),
        }
    };
    respond(&visitor, r.await)
}

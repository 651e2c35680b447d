//! 评审组织 (`/challenges/{id}/evaluation`): an official's page for a closed challenge — the
//! rubric, the assigned experts and the scoring progress of each bid, the experts to assign
//! (searched by name and by field, each with the organisation that employs them and their fields;
//! a conflict of interest is refused by the API and shown), the experts who declared a conflict
//! of interest themselves (回避), and 立项确认: the publisher's selection beside the whole ranking
//! with the experts' scores, confirmed through the API's own `confirm_award`.

use super::session::{self, Visitor};
use super::{format, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::ApiResult;
use crate::handlers::admin::{users_of, ListUsersQuery};
use crate::handlers::challenges::read_view;
use crate::handlers::evaluation::{
    assign_experts_to, confirm_award, experts_of, ranking_entries, recusals_of, rubric_of,
    selection_of,
};
use crate::handlers::organizations;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_domain::evaluation::Criterion;
use jiebang_domain::Role;
use serde::Deserialize;

pub struct ExpertRow {
    pub id: String,
    pub name: String,
    pub organization: String,
    /// The expert's fields, joined with 、.
    pub fields: String,
    pub checked: bool,
}

/// The expert search: part of a name, part of a field.
#[derive(Debug, Default, Clone)]
pub struct Search {
    pub q: String,
    pub field: String,
}

pub struct ProgressRow {
    pub rank: usize,
    pub organization: String,
    pub score: String,
    pub experts_scored: usize,
    pub fully_scored: bool,
    pub selected: bool,
    /// Each expert's scores in a line (`王专家：技术方案 85，团队实力 75`), for the selected bids.
    pub reviews: Vec<String>,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct EvaluationPage {
    layout: Layout,
    challenge_id: String,
    title: String,
    status: &'static str,
    criteria: Option<Vec<Criterion>>,
    assigned: Vec<ExpertRow>,
    candidates: Vec<ExpertRow>,
    search: Search,
    /// (expert, reason, declared at) of the experts who declared a conflict of interest.
    recusals: Vec<(String, String, String)>,
    /// The rubric may still change (`set_rubric` in `actions`: nobody has scored yet).
    rubric_open: bool,
    progress: Vec<ProgressRow>,
    selected: usize,
    confirmed: bool,
    /// The official may confirm now (`confirm_award` in `actions`).
    can_confirm: bool,
    /// The official may assign experts now (`assign_experts` in `actions`).
    can_assign: bool,
    errors: FormErrors,
    done: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Query {
    pub q: Option<String>,
    pub field: Option<String>,
    pub done: Option<String>,
}

async fn organization_name(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: &Option<String>,
) -> String {
    match id {
        Some(id) => organizations::read_view(state, visitor.caller.clone(), id.clone())
            .await
            .map(|o| o.name)
            .unwrap_or_default(),
        None => "（未关联单位）".into(),
    }
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    search: Search,
    checked: Vec<String>,
    errors: FormErrors,
    done: Option<&'static str>,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let c = read_view(state, Some(auth.clone()), id.clone()).await?;
    let criteria = rubric_of(state, auth.clone(), id.clone())
        .await
        .ok()
        .map(|r| r.criteria);
    let experts = experts_of(state, auth.clone(), id.clone()).await?;
    let mut assigned = Vec::new();
    for e in &experts {
        assigned.push(ExpertRow {
            organization: organization_name(state, visitor, &e.organization_id).await,
            id: e.id.clone(),
            name: e.name.clone(),
            fields: String::new(),
            checked: false,
        });
    }
    let recused = recusals_of(state, auth.clone(), id.clone()).await?;
    let all = users_of(
        state,
        auth.clone(),
        ListUsersQuery {
            role: Some(Role::Expert.as_str().into()),
            q: Some(search.q.clone()),
            field: Some(search.field.clone()),
        },
    )
    .await?;
    let mut candidates = Vec::new();
    for u in all.into_iter().filter(|u| {
        u.active
            && !experts.iter().any(|e| e.id == u.id)
            && !recused.iter().any(|r| r.expert_id == u.id)
    }) {
        candidates.push(ExpertRow {
            organization: organization_name(state, visitor, &u.organization_id).await,
            fields: u.fields.join("、"),
            checked: checked.contains(&u.id),
            id: u.id,
            name: u.name,
        });
    }
    let recusals = recused
        .into_iter()
        .map(|r| (r.expert_name, r.reason, format::beijing(r.declared_at)))
        .collect();
    let entries = ranking_entries(state, auth.clone(), id.clone()).await?;
    // the experts' own scores: in the selection's entries (for officials, before the award too)
    let sel = selection_of(state, auth.clone(), id.clone()).await?;
    let names = |key: &str| {
        criteria
            .as_ref()
            .and_then(|cs| cs.iter().find(|k| k.key == key))
            .map(|k| k.name.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    let progress: Vec<ProgressRow> = entries
        .into_iter()
        .map(|e| ProgressRow {
            rank: e.rank,
            organization: e.lead_organization_name,
            score: format!("{:.2}", e.score),
            experts_scored: e.experts_scored,
            fully_scored: e.fully_scored,
            selected: e.selected,
            reviews: sel
                .entries
                .iter()
                .find(|x| x.bid_id == e.bid_id)
                .and_then(|x| x.reviews.clone())
                .or(e.reviews)
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    format!(
                        "{}：{}",
                        r.expert_name,
                        r.scores
                            .iter()
                            .map(|s| format!("{} {}", names(&s.criterion), s.score))
                            .collect::<Vec<_>>()
                            .join("，")
                    )
                })
                .collect(),
        })
        .collect();
    // what the page offers is what the challenge's `actions` list for the visitor
    let offers = |a: ChallengeAction| c.actions.as_ref().is_some_and(|x| x.contains(&a));
    let page = EvaluationPage {
        layout: Layout::new(visitor, format!("评审组织：{}", c.title), ""),
        challenge_id: c.id.clone(),
        title: c.title.clone(),
        status: format::challenge_status(&c.status),
        criteria,
        assigned,
        candidates,
        search,
        recusals,
        rubric_open: offers(ChallengeAction::SetRubric),
        can_assign: offers(ChallengeAction::AssignExperts),
        progress,
        selected: sel.bid_ids.len(),
        confirmed: sel.confirmed,
        can_confirm: offers(ChallengeAction::ConfirmAward),
        errors,
        done,
    };
    let status = if page.errors.any() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

/// `GET /challenges/{id}/evaluation`.
pub async fn evaluation(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<Query>,
) -> HttpResponse {
    let query = query.into_inner();
    let done = match query.done.as_deref() {
        Some("assign") => Some("专家已指派，专家会收到评审任务通知。/ The experts are assigned."),
        Some("award") => Some("已确认立项，协议已生成并通知各方签署。/ The award is confirmed."),
        Some("rubric") => Some("评审细则已保存。/ The rubric was saved."),
        _ => None,
    };
    respond(
        &visitor,
        page(
            &state,
            &visitor,
            id.into_inner(),
            Search {
                q: query.q.unwrap_or_default(),
                field: query.field.unwrap_or_default(),
            },
            Vec::new(),
            FormErrors::default(),
            done,
        )
        .await,
    )
}

/// `POST /challenges/{id}/evaluation`: the experts ticked are assigned; a refusal (a conflict of
/// interest) comes back with the ticks kept.
pub async fn assign(
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
        let ticked = super::fields(&pairs, "expert_id");
        let search = Search {
            q: super::field(&pairs, "q"),
            field: super::field(&pairs, "field"),
        };
        match assign_experts_to(
            &state,
            auth,
            audit::request_id(&req),
            id.clone(),
            ticked.clone(),
        )
        .await
        {
            Ok(_) => Ok(see_other(
                &visitor,
                &format!("/challenges/{id}/evaluation?done=assign"),
            )),
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                page(
                    &state,
                    &visitor,
                    id.clone(),
                    search,
                    ticked,
                    FormErrors::from_api(e),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        }
    };
    respond(&visitor, r.await)
}

/// `POST /challenges/{id}/award`: 立项确认.
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<super::workspace::CsrfForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        match confirm_award(&state, auth, audit::request_id(&req), id.clone()).await {
            Ok(_) => Ok(see_other(
                &visitor,
                &format!("/challenges/{id}/evaluation?done=award"),
            )),
            Err(e) if matches!(e.0.code.status(), 409 | 422) => {
                page(
                    &state,
                    &visitor,
                    id.clone(),
                    Search::default(),
                    Vec::new(),
                    FormErrors::from_api(e),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        }
    };
    respond(&visitor, r.await)
}

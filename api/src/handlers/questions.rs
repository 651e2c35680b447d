//! Q&A on a challenge (答疑): users of other verified organisations ask until the questions
//! deadline; the publisher answers; answered questions are public; who asked is shown to
//! officials only.

use crate::audit::{self, Actor};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::handlers::access::{access, Access};
use crate::notify;
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use jiebang_application::bids::bidder_users;
use jiebang_application::challenge_actions::{check, ChallengeAction, Facts};
use jiebang_application::question_actions::{self, QuestionActionName};
use jiebang_db::questions::Question;
use jiebang_domain::validation::bounded_text;
use jiebang_notifications::Event;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    pub question: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub answer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub challenge_id: String,
    pub question: String,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Officials only: the asking organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked_by_organization: Option<String>,
    /// Officials only: the asking user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked_by_user: Option<String>,
    /// What the caller may do with the question now (`answer`). On every view the API returns;
    /// absent only from audit entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<QuestionActionName>>,
}

fn view(q: &Question, show_asker: bool) -> QuestionView {
    QuestionView {
        id: q.id.clone(),
        challenge_id: q.challenge_id.clone(),
        question: q.question.clone(),
        answer: q.answer.clone(),
        answered_at: q.answered_at.map(utc),
        created_at: utc(q.created_at),
        asked_by_organization: show_asker.then(|| q.organization_id.clone()),
        asked_by_user: show_asker.then(|| q.user_id.clone()),
        actions: None,
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("榜单 / challenge")
}

/// Ask a question on a published challenge, before its questions deadline.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/questions", tag = "questions", request_body = AskRequest,
    security(("bearer" = [])),
    responses((status = 201, body = QuestionView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn ask(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<AskRequest>,
) -> ApiResult<HttpResponse> {
    let q = ask_question(
        &state,
        auth,
        audit::request_id(&req),
        id.into_inner(),
        &body.0.question,
    )
    .await?;
    Ok(HttpResponse::Created().json(q))
}

/// Asks a question as `POST /challenges/{id}/questions` does (the web challenge page's 提问).
pub async fn ask_question(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    id: String,
    question: &str,
) -> ApiResult<QuestionView> {
    let text = bounded_text(question, 5, 1000)
        .map_err(|e| ApiError::field("question", e.code, e.message))?;
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let facts = Facts::load(conn, &st.ctx, &c, Some(&auth))?;
            check(&facts, ChallengeAction::Ask)?;
            let org = auth
                .organization
                .clone()
                .ok_or_else(|| ApiError::internal("asker without organisation"))?;
            let now = facts.now;
            let q = Question {
                id: jiebang_db::new_id(),
                challenge_id: c.id.clone(),
                organization_id: org.id.clone(),
                user_id: auth.user.id.clone(),
                question: text,
                answer: None,
                answered_by: None,
                answered_at: None,
                created_at: now.naive_utc(),
            };
            jiebang_db::questions::insert(conn, &q)?;
            // logged on the question, not the challenge: the challenge's history (read by the publisher)
            // must not reveal who asked
            audit::record(
                conn,
                &actor,
                now,
                "question",
                &q.id,
                "ask",
                None::<&()>,
                Some(&view(&q, true)),
                None,
            )?;
            let mut v = view(&q, false);
            v.actions = Some(question_actions::actions(facts.access, &c));
            Ok(v)
        })
        .await
}

/// Questions on a challenge: answered ones for everyone who may read it; the publisher also sees
/// open ones; an asker sees their organisation's own; officials see all, with who asked.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/questions", tag = "questions",
    responses((status = 200, body = Vec<QuestionView>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(questions_of(&state, auth.0, id.into_inner()).await?))
}

/// The questions of a challenge the caller may read, as `GET /challenges/{id}/questions`
/// answers them (the web challenge page shows the same).
pub async fn questions_of(
    state: &web::Data<AppState>,
    auth: Option<Auth>,
    id: String,
) -> ApiResult<Vec<QuestionView>> {
    state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(not_found)?;
            let acc = access(conn, &c, auth.as_ref())?;
            if acc == Access::Hidden {
                return Err(not_found());
            }
            let my_org = auth.as_ref().and_then(|a| asking_organization(a));
            let can = question_actions::actions(acc, &c);
            let all = jiebang_db::questions::list(conn, &c.id)?;
            Ok(all
                .iter()
                .filter(|q| {
                    question_actions::may_read(
                        acc,
                        q.answer.is_some(),
                        &q.organization_id,
                        my_org.as_deref(),
                    )
                })
                .map(|q| {
                    let mut v = view(q, acc == Access::Staff);
                    v.actions = Some(can.clone());
                    v
                })
                .collect::<Vec<_>>())
        })
        .await
}

/// The organisation a caller asks for: an organisation's own user, not an expert linked to it.
fn asking_organization(auth: &jiebang_application::Caller) -> Option<String> {
    auth.role
        .is_organization_user()
        .then(|| auth.organization_id().map(str::to_owned))
        .flatten()
}

/// Answer a question (the publisher). The answer is public; askers and bidders are told.
#[utoipa::path(post, path = "/api/v1/questions/{qid}/answer", tag = "questions", request_body = AnswerRequest,
    security(("bearer" = [])),
    responses((status = 200, body = QuestionView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn answer(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    qid: web::Path<String>,
    body: Json<AnswerRequest>,
) -> ApiResult<HttpResponse> {
    let q = answer_question(
        &state,
        auth,
        audit::request_id(&req),
        qid.into_inner(),
        &body.0.answer,
    )
    .await?;
    Ok(HttpResponse::Ok().json(q))
}

/// Answers a question as `POST /questions/{qid}/answer` does (the web challenge page's 答复).
pub async fn answer_question(
    state: &web::Data<AppState>,
    auth: Auth,
    request_id: Option<String>,
    qid: String,
    answer: &str,
) -> ApiResult<QuestionView> {
    let text =
        bounded_text(answer, 1, 3000).map_err(|e| ApiError::field("answer", e.code, e.message))?;
    let now = state.now();
    let actor = Actor::user(&auth, request_id);
    let st = state.clone();
    state
        .write(move |conn| {
            let q = jiebang_db::questions::find(conn, &qid)?
                .ok_or_else(|| ApiError::not_found("问题 / question"))?;
            let c = jiebang_db::challenges::find(conn, &q.challenge_id)?.ok_or_else(not_found)?;
            let acc = access(conn, &c, Some(&auth))?;
            // a question the caller may not see does not exist for them
            let my_org = asking_organization(&auth);
            if !question_actions::may_read(
                acc,
                q.answer.is_some(),
                &q.organization_id,
                my_org.as_deref(),
            ) {
                return Err(ApiError::not_found("问题 / question"));
            }
            question_actions::check(acc, &c, QuestionActionName::Answer)?;
            let before = view(&q, true);
            jiebang_db::questions::answer(conn, &q.id, &text, &auth.user.id, now.naive_utc())?;
            let q = jiebang_db::questions::find(conn, &q.id)?
                .ok_or_else(|| ApiError::internal("lost question"))?;
            audit::record(
                conn,
                &actor,
                now,
                "question",
                &q.id,
                "answer",
                Some(&before),
                Some(&view(&q, true)),
                None,
            )?;
            let mut recipients = jiebang_db::questions::askers(conn, &c.id)?;
            recipients.extend(bidder_users(conn, &c.id)?);
            let event = Event::QuestionAnswered {
                challenge_id: c.id.clone(),
                title: c.title.clone(),
                question: q.question.clone(),
                answer: text.clone(),
            };
            notify::notify(conn, &st.config.public_url, &recipients, &event, now)?;
            let mut v = view(&q, false);
            v.actions = Some(question_actions::actions(acc, &c));
            Ok(v)
        })
        .await
}

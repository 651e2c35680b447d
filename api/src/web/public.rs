//! The public pages: 榜单大厅 (`/`), 榜单详情 (`/challenges/{id}`) and 机构名录
//! (`/organizations`). They read through the API's own list and read functions.

use super::format;
use super::session::Visitor;
use super::{error_page, render, respond, FormErrors, Layout};
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::handlers::questions::QuestionView;
use crate::handlers::{challenges, evaluation, organizations, questions, stats};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_application::challenges::ChallengeView;
use jiebang_domain::bid::BidStatus;
use jiebang_domain::challenge::{ChallengeStatus, Mode};
use serde::Deserialize;
use std::sync::Arc;

/// The hall's filters, as the query string carries them (the API's names).
#[derive(Debug, Default, Deserialize)]
pub struct HallQuery {
    pub industry: Option<String>,
    pub kind: Option<String>,
    pub mode: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
}

fn blank_to_none(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// One card of the hall.
pub struct Card {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub industry: String,
    pub kind: &'static str,
    pub mode: &'static str,
    pub status: &'static str,
    pub status_code: String,
    pub deadline: String,
    pub deadline_iso: String,
    pub countdown: Option<String>,
    /// 定向委托: only invited organisations bid.
    pub directed: bool,
    pub bid_count: i64,
    pub enterprise_wan: String,
    pub fiscal_wan: String,
}

fn card(c: &ChallengeView, now: DateTime<Utc>) -> Card {
    let open = ChallengeStatus::parse(&c.status) == Some(ChallengeStatus::Published);
    Card {
        id: c.id.clone(),
        title: c.title.clone(),
        publisher: c.publisher.name.clone(),
        industry: c.industry.clone(),
        kind: format::challenge_kind(&c.kind),
        mode: format::mode(&c.mode),
        status: format::challenge_status(&c.status),
        status_code: c.status.clone(),
        deadline: format::beijing(c.bidding_deadline),
        deadline_iso: c.bidding_deadline.to_rfc3339(),
        countdown: open.then(|| format::countdown(c.bidding_deadline, now)),
        directed: Mode::parse(&c.mode) == Some(Mode::Directed),
        bid_count: c.bid_count,
        enterprise_wan: format::wan(c.enterprise_funds),
        fiscal_wan: format::wan(c.fiscal_support),
    }
}

/// A choice of a filter's `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(pairs: &[(&str, &str)], current: &Option<String>) -> Vec<Choice> {
    pairs
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).to_owned(),
            label: (*l).to_owned(),
            selected: current.as_deref() == Some(*v),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "hall.html")]
struct Hall {
    layout: Layout,
    overview: stats::Overview,
    fiscal_wan: String,
    enterprise_wan: String,
    cards: Vec<Card>,
    q: String,
    industries: Vec<Choice>,
    kinds: Vec<Choice>,
    modes: Vec<Choice>,
    statuses: Vec<Choice>,
    filter_error: Option<String>,
    next: Option<String>,
    paged: bool,
}

impl Hall {
    fn query_without_cursor(&self) -> String {
        let mut parts = Vec::new();
        for (name, list) in [
            ("industry", &self.industries),
            ("kind", &self.kinds),
            ("mode", &self.modes),
            ("status", &self.statuses),
        ] {
            if let Some(c) = list.iter().find(|c| c.selected) {
                parts.push(format!("{name}={}", super::urlencode(&c.value)));
            }
        }
        if !self.q.is_empty() {
            parts.push(format!("q={}", super::urlencode(&self.q)));
        }
        parts.join("&")
    }

    /// The link to the next page: the same filters and the cursor.
    fn next_href(&self) -> Option<String> {
        self.next.as_ref().map(|c| {
            let q = self.query_without_cursor();
            if q.is_empty() {
                format!("/?cursor={}", super::urlencode(c))
            } else {
                format!("/?{q}&cursor={}", super::urlencode(c))
            }
        })
    }

    fn first_href(&self) -> String {
        let q = self.query_without_cursor();
        if q.is_empty() {
            "/".into()
        } else {
            format!("/?{q}")
        }
    }
}

/// 榜单大厅: live counters, filters, keyword search and the cards, newest first.
pub async fn hall(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<HallQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    let overview = match stats::overview_figures(&state).await {
        Ok(o) => o,
        Err(e) => return error_page(&visitor, e),
    };
    let list = challenges::ListQuery {
        industry: blank_to_none(&q.industry),
        kind: blank_to_none(&q.kind),
        mode: blank_to_none(&q.mode),
        status: blank_to_none(&q.status),
        q: blank_to_none(&q.q),
        cursor: blank_to_none(&q.cursor),
        limit: Some("12".into()),
        ..Default::default()
    };
    let auth = visitor.caller.clone().map(Auth);
    let now = state.now();
    let page = match auth {
        // an anonymous visitor's page of cards is everyone's: read once and reused until a write
        // (crate::public_cache); the cards are drawn per request (the countdown reads the clock)
        None => {
            let key = format!("hall/{list:?}");
            state
                .public
                .value(key, || challenges::list_page(&state, None, list))
                .await
        }
        Some(auth) => challenges::list_page(&state, Some(auth), list)
            .await
            .map(Arc::new),
    };
    let (cards, next, filter_error, status) = match page {
        Ok(page) => (
            page.items.iter().map(|c| card(c, now)).collect(),
            page.next_cursor.clone(),
            None,
            StatusCode::OK,
        ),
        Err(e) if e.0.code.status() < 500 => {
            let msg = FormErrors::from_api(e).first().unwrap_or_default();
            (
                Vec::new(),
                None,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => return error_page(&visitor, e),
    };
    let industries: Vec<(&str, &str)> = state
        .rules
        .industries
        .iter()
        .map(|i| (i.as_str(), i.as_str()))
        .collect();
    let page = Hall {
        layout: Layout::new(&visitor, "榜单大厅", "/"),
        fiscal_wan: format::wan(overview.fiscal_signed),
        enterprise_wan: format::wan(overview.enterprise_signed),
        overview: (*overview).clone(),
        cards,
        q: q.q.clone().unwrap_or_default(),
        industries: choices(&industries, &q.industry),
        kinds: choices(
            &[
                ("tech_breakthrough", "技术攻关类"),
                ("transformation", "成果转化类"),
            ],
            &q.kind,
        ),
        modes: choices(&[("open", "公开揭榜"), ("directed", "定向委托")], &q.mode),
        statuses: choices(
            &[
                ("published", "揭榜中"),
                ("evaluating", "评审中"),
                ("awarded", "已立项"),
                ("contracted", "已签约"),
                ("completed", "已完成"),
                ("unsuccessful", "未成功揭榜"),
                ("cancelled", "已撤销"),
            ],
            &q.status,
        ),
        filter_error,
        next,
        paged: q.cursor.is_some(),
    };
    render(&visitor, status, &page)
}

/// A row of the KPI table.
pub struct KpiRow {
    pub name: String,
    pub target: String,
    pub unit: String,
}

/// An answered question.
pub struct QuestionRow {
    pub question: String,
    pub answer: String,
    pub answered: String,
}

/// A question awaiting its answer, as the publisher (who may answer) or its asker sees it.
pub struct OpenQuestion {
    pub id: String,
    pub question: String,
    pub asked: String,
    pub can_answer: bool,
    /// What was typed into its answer field, kept after a refusal.
    pub typed: String,
    pub error: Option<String>,
}

/// A line of the 结果公示 ranking.
pub struct RankRow {
    pub rank: usize,
    pub organization: String,
    pub score: String,
    pub status: String,
    pub reviewers: String,
}

#[derive(Template)]
#[template(path = "challenge.html")]
struct ChallengePage {
    layout: Layout,
    c: Arc<ChallengeView>,
    kind: &'static str,
    mode: &'static str,
    status: &'static str,
    ip: &'static str,
    deadline: String,
    deadline_iso: String,
    questions_deadline: String,
    countdown: Option<String>,
    /// Bidding is open now.
    open: bool,
    enterprise_wan: String,
    fiscal_wan: String,
    /// 企业:财政, e.g. `2 : 1`
    ratio: String,
    kpis: Vec<KpiRow>,
    eligibility: Vec<String>,
    timeline: Vec<(String, String)>,
    questions: Vec<QuestionRow>,
    winners: Vec<String>,
    ranking: Vec<RankRow>,
    signed_in: bool,
    /// The caller's organisation may bid now (the challenge's `actions` say `bid`).
    can_bid: bool,
    can_edit: bool,
    /// The edit is an amendment (更正) of a published challenge.
    amending: bool,
    can_submit: bool,
    can_extend: bool,
    can_cancel: bool,
    /// An official may publish it, or return it with a comment (审核).
    can_approve: bool,
    can_return: bool,
    /// 推荐机构 with their reasons: for whoever the API shows them to (the publisher, staff).
    recommended: Vec<(String, String, String)>,
    /// 更正公告: (when, what, the reason, the new deadline of an extension).
    amendments: Vec<(String, &'static str, String, Option<String>)>,
    done: Option<&'static str>,
    open_questions: Vec<OpenQuestion>,
    /// 变更记录, for the publisher and staff.
    history: Vec<super::HistoryRow>,
    /// The ranking exists (bidding closed) and the caller is the publisher or staff.
    show_ranking: bool,
    /// 评审组织 (experts, progress, 立项确认): for staff once bidding has closed.
    show_evaluation: bool,
    /// The publisher may select the winners now (`select` in `actions`).
    can_select: bool,
    /// 评审细则 may be set now (`set_rubric` in `actions`).
    can_set_rubric: bool,
    can_ask: bool,
    question_typed: String,
    question_error: Option<String>,
}

/// Whether the challenge's `actions` offer `a` to the caller.
fn offers(c: &ChallengeView, a: ChallengeAction) -> bool {
    c.actions.as_ref().is_some_and(|x| x.contains(&a))
}

fn eligibility_lines(c: &ChallengeView) -> Vec<String> {
    let e = &c.eligibility;
    let mut out = Vec::new();
    if e.consortium_required {
        out.push("须以创新联合体（联合体）形式揭榜".to_owned());
    }
    out.push(format!(
        "联合体成员不超过 {} 家（含牵头单位）",
        e.max_members
    ));
    if e.min_in_region_percent > 0 {
        out.push(format!("区内单位占比不低于 {}%", e.min_in_region_percent));
    }
    if e.chief_scientist_required {
        out.push("须明确首席科学家（项目负责人）".to_owned());
    }
    out
}

fn ratio(enterprise: i64, fiscal: i64) -> String {
    if fiscal <= 0 {
        return "企业全额出资".into();
    }
    let r = enterprise as f64 / fiscal as f64;
    format!("{:.1} : 1", (r * 10.0).round() / 10.0)
}

/// 榜单详情: the problem, KPIs, conditions, funding, timeline, answered questions and, after the
/// award, the result (winners for everyone; scores and reviewers for those the API shows them to).
pub async fn challenge(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("save") => Some("草稿已保存，只有本单位可见。/ The draft was saved."),
        Some("submit") => Some("已提交科技厅审核，审核结果会通知您。/ Submitted for review."),
        Some("ask") => Some("问题已提交。发榜单位答复后，问答对所有人公开（不显示提问单位）。/ Your question was sent."),
        Some("answer") => Some("答复已公开，提问单位和揭榜单位会收到通知。/ The answer is published."),
        Some("amend") => Some("修改已保存并以更正公告公开；已在申报的单位会收到通知。/ The amendment is published."),
        Some("extend") => Some("截止时间已延长，已在申报的单位会收到通知。/ The deadline is extended."),
        Some("cancel") => Some("榜单已撤销，申报单位会收到通知。/ The challenge is cancelled."),
        Some("approve") => Some("审核通过，榜单已发布。/ Approved and published."),
        Some("return") => Some("已退回发榜单位修改。/ Returned to the publisher."),
        Some("rubric") => Some("评审细则已保存。/ The rubric was saved."),
        _ => None,
    };
    respond(
        &visitor,
        challenge_page(&state, &visitor, id.into_inner(), done, Typed::default()).await,
    )
}

/// What a refused question or answer form held, shown again with the reason.
#[derive(Default)]
pub struct Typed {
    pub errors: FormErrors,
    pub question: String,
    /// (question id, answer typed)
    pub answer: Option<(String, String)>,
}

/// The challenge and its questions as `visitor` may read them. An anonymous visitor's are
/// everyone's: read once and reused until a write (crate::public_cache); the page around them is
/// drawn per request (form token, countdown).
async fn challenge_and_questions(
    state: &web::Data<AppState>,
    auth: Option<Auth>,
    id: String,
) -> ApiResult<(Arc<ChallengeView>, Arc<Vec<QuestionView>>)> {
    let read = |auth: Option<Auth>, id: String| async move {
        let c = challenges::read_view(state, auth.clone(), id.clone()).await?;
        let qs = questions::questions_of(state, auth, id).await?;
        Ok::<_, crate::error::ApiError>((Arc::new(c), Arc::new(qs)))
    };
    match auth {
        None => {
            let kept = state
                .public
                .value(format!("page/{id}"), || read(None, id.clone()))
                .await?;
            Ok((kept.0.clone(), kept.1.clone()))
        }
        Some(a) => read(Some(a), id).await,
    }
}

async fn challenge_page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    done: Option<&'static str>,
    typed: Typed,
) -> ApiResult<HttpResponse> {
    let auth = visitor.caller.clone().map(Auth);
    let (c, qs) = challenge_and_questions(state, auth.clone(), id.clone()).await?;
    let status = ChallengeStatus::parse(&c.status);
    let open = status == Some(ChallengeStatus::Published);
    let past_close = matches!(
        status,
        Some(
            ChallengeStatus::Evaluating
                | ChallengeStatus::Awarded
                | ChallengeStatus::Contracted
                | ChallengeStatus::Completed
        )
    );
    let after_award = matches!(
        status,
        Some(ChallengeStatus::Awarded | ChallengeStatus::Contracted | ChallengeStatus::Completed)
    );
    let ranking = match (&auth, after_award) {
        // the ranking is shown to whoever the API shows it to; to anyone else it is not there
        (Some(a), true) => evaluation::ranking_entries(state, a.clone(), id.clone())
            .await
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    // the history is the publisher's and the staff's; for anyone else the API refuses it
    let history = match &auth {
        Some(a) if a.is_staff() || a.organization_id() == Some(c.publisher.id.as_str()) => {
            super::history_rows(
                "challenge",
                challenges::history_of(state, a.clone(), id.clone()).await?,
            )
        }
        _ => Vec::new(),
    };
    // recommendations are the publisher's and the staff's while the challenge still looks for
    // bidders or is being decided; for anyone else the API refuses them
    let recommended = match (&auth, status) {
        (
            Some(a),
            Some(
                ChallengeStatus::Draft
                | ChallengeStatus::PendingReview
                | ChallengeStatus::Published
                | ChallengeStatus::Evaluating,
            ),
        ) => crate::handlers::matching::organizations_for(state, a.clone(), id.clone())
            .await
            .map(|rs| {
                rs.into_iter()
                    .take(8)
                    .map(|r| {
                        (
                            r.organization_id,
                            r.name,
                            super::workspace::reasons_text(&r.reasons),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let now = state.now();
    let mut timeline = Vec::new();
    if let Some(t) = c.published_at {
        timeline.push(("发布".to_owned(), format::beijing(t)));
    }
    timeline.push(("答疑截止".to_owned(), format::beijing(c.questions_deadline)));
    timeline.push(("揭榜截止".to_owned(), format::beijing(c.bidding_deadline)));
    if let Some(t) = c.closed_at {
        timeline.push(("进入评审".to_owned(), format::beijing(t)));
    }
    let page = ChallengePage {
        layout: Layout::new(visitor, c.title.clone(), ""),
        kind: format::challenge_kind(&c.kind),
        mode: format::mode(&c.mode),
        status: format::challenge_status(&c.status),
        ip: format::ip_ownership(&c.ip_ownership),
        deadline: format::beijing(c.bidding_deadline),
        deadline_iso: c.bidding_deadline.to_rfc3339(),
        questions_deadline: format::beijing(c.questions_deadline),
        countdown: open.then(|| format::countdown(c.bidding_deadline, now)),
        open,
        enterprise_wan: format::wan(c.enterprise_funds),
        fiscal_wan: format::wan(c.fiscal_support),
        ratio: ratio(c.enterprise_funds, c.fiscal_support),
        kpis: c
            .kpis
            .iter()
            .map(|k| KpiRow {
                name: k.name.clone(),
                target: k.target.clone(),
                unit: k.unit.clone(),
            })
            .collect(),
        eligibility: eligibility_lines(&c),
        timeline,
        open_questions: qs
            .iter()
            .filter(|q| q.answer.is_none())
            .map(|q| {
                let mine = typed.answer.as_ref().filter(|(qid, _)| *qid == q.id);
                OpenQuestion {
                    id: q.id.clone(),
                    question: q.question.clone(),
                    asked: format::beijing(q.created_at),
                    can_answer: q.actions.as_ref().is_some_and(|a| {
                        a.contains(
                            &jiebang_application::question_actions::QuestionActionName::Answer,
                        )
                    }),
                    typed: mine.map(|(_, t)| t.clone()).unwrap_or_default(),
                    error: mine.and_then(|_| typed.errors.of("answer").map(str::to_owned)),
                }
            })
            .collect(),
        questions: qs
            .iter()
            .filter_map(|q| {
                Some(QuestionRow {
                    question: q.question.clone(),
                    answer: q.answer.clone()?,
                    answered: q.answered_at.map(format::beijing).unwrap_or_default(),
                })
            })
            .collect(),
        can_ask: offers(&c, ChallengeAction::Ask),
        history,
        show_ranking: past_close
            && visitor.caller.as_ref().is_some_and(|v| {
                v.is_staff() || v.organization_id() == Some(c.publisher.id.as_str())
            }),
        show_evaluation: past_close && visitor.caller.as_ref().is_some_and(|v| v.is_staff()),
        can_select: offers(&c, ChallengeAction::Select),
        can_set_rubric: offers(&c, ChallengeAction::SetRubric),
        question_typed: typed.question.clone(),
        question_error: typed.errors.of("question").map(str::to_owned),
        winners: c
            .winners
            .as_ref()
            .map(|w| w.iter().map(|w| w.organization_name.clone()).collect())
            .unwrap_or_default(),
        ranking: ranking
            .into_iter()
            .map(|r| RankRow {
                rank: r.rank,
                organization: r.lead_organization_name,
                score: format!("{:.2}", r.score),
                status: match BidStatus::parse(&r.status) {
                    Some(BidStatus::Awarded) => "立项",
                    Some(BidStatus::NotAwarded) => "未立项",
                    _ => "—",
                }
                .to_owned(),
                reviewers: r
                    .reviews
                    .map(|rs| {
                        rs.iter()
                            .map(|x| x.expert_name.clone())
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        signed_in: visitor.caller.is_some(),
        can_bid: offers(&c, ChallengeAction::Bid),
        can_edit: offers(&c, ChallengeAction::Edit),
        amending: open,
        can_submit: offers(&c, ChallengeAction::Submit),
        can_extend: offers(&c, ChallengeAction::Extend),
        recommended,
        can_cancel: offers(&c, ChallengeAction::Cancel),
        can_approve: offers(&c, ChallengeAction::Approve),
        can_return: offers(&c, ChallengeAction::Return),
        amendments: c
            .amendments
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|a| {
                (
                    format::beijing(a.at),
                    if a.bidding_deadline.is_some() {
                        "延期"
                    } else {
                        "更正"
                    },
                    a.reason.clone().unwrap_or_default(),
                    a.bidding_deadline.map(format::beijing),
                )
            })
            .collect(),
        done,
        c,
    };
    Ok(render(visitor, StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub struct DirectoryFilter {
    pub kind: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
}

/// A row of the directory.
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub region: String,
    pub industries: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct Directory {
    layout: Layout,
    rows: Vec<OrgRow>,
    kinds: Vec<Choice>,
    regions: Vec<Choice>,
    q: String,
    filter_error: Option<String>,
    next_href: Option<String>,
}

/// The prefectures of the home province and the other provinces, for a region filter or field.
pub fn region_choices(current: &Option<String>) -> Vec<Choice> {
    jiebang_domain::region::provinces_and_prefectures()
        .into_iter()
        .map(|r| Choice {
            value: r.code.to_owned(),
            label: if r.parent_code.is_some() {
                format!("　{}", format::region(r.code))
            } else {
                r.name.to_owned()
            },
            selected: current.as_deref() == Some(r.code),
        })
        .collect()
}

/// 机构名录: verified organisations (every one for staff), with filters.
pub async fn directory(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DirectoryFilter>,
) -> HttpResponse {
    let f = query.into_inner();
    let q = organizations::DirectoryQuery {
        kind: blank_to_none(&f.kind),
        region: blank_to_none(&f.region),
        q: blank_to_none(&f.q),
        cursor: blank_to_none(&f.cursor),
        limit: Some("20".into()),
        ..Default::default()
    };
    let (rows, next, filter_error, status) =
        match organizations::directory_page(&state, visitor.caller.clone(), q).await {
            Ok(page) => (
                page.items
                    .into_iter()
                    .map(|e| OrgRow {
                        id: e.organization.id.clone(),
                        name: e.organization.name.clone(),
                        kind: format::organization_kind(&e.organization.kind),
                        region: format::region(&e.organization.region_code),
                        industries: e.industries.join("、"),
                        summary: e.organization.description.clone(),
                    })
                    .collect(),
                page.next_cursor,
                None,
                StatusCode::OK,
            ),
            Err(e) if e.0.code.status() < 500 => {
                let msg = FormErrors::from_api(e).first().unwrap_or_default();
                (
                    Vec::new(),
                    None,
                    Some(msg),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Err(e) => return error_page(&visitor, e),
        };
    let next_href = next.map(|c| {
        let mut parts = Vec::new();
        for (k, v) in [("kind", &f.kind), ("region", &f.region), ("q", &f.q)] {
            if let Some(v) = blank_to_none(v) {
                parts.push(format!("{k}={}", super::urlencode(&v)));
            }
        }
        parts.push(format!("cursor={}", super::urlencode(&c)));
        format!("/organizations?{}", parts.join("&"))
    });
    let page = Directory {
        layout: Layout::new(&visitor, "机构名录", "/organizations"),
        rows,
        kinds: choices(
            &[
                ("enterprise", "企业"),
                ("university", "高校"),
                ("institute", "科研院所"),
                ("government", "政府部门"),
                ("other", "其他单位"),
            ],
            &f.kind,
        ),
        regions: region_choices(&f.region),
        q: f.q.clone().unwrap_or_default(),
        filter_error,
        next_href,
    };
    render(&visitor, status, &page)
}

#[derive(Debug, Deserialize)]
pub struct QuestionForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub question: String,
}

/// `POST /challenges/{id}/questions`: 提问, through the API's `ask_question`.
pub async fn ask(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<QuestionForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        super::session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        questions::ask_question(
            &state,
            auth,
            crate::audit::request_id(&req),
            id.clone(),
            &form.question,
        )
        .await
    }
    .await;
    match r {
        Ok(_) => super::see_other(&visitor, &format!("/challenges/{id}?done=ask#qa-title")),
        Err(e) if matches!(e.0.code.status(), 409 | 422) => {
            let typed = Typed {
                errors: FormErrors::from_api(e),
                question: form.question.clone(),
                answer: None,
            };
            respond(
                &visitor,
                challenge_page(&state, &visitor, id, None, typed).await,
            )
        }
        Err(e) => error_page(&visitor, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub challenge_id: String,
}

/// `POST /questions/{qid}/answer`: 答复, through the API's `answer_question`.
pub async fn answer(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    visitor: Visitor,
    qid: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> HttpResponse {
    let qid = qid.into_inner();
    let r = async {
        super::session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        questions::answer_question(
            &state,
            auth,
            crate::audit::request_id(&req),
            qid.clone(),
            &form.answer,
        )
        .await
    }
    .await;
    match r {
        Ok(q) => super::see_other(
            &visitor,
            &format!("/challenges/{}?done=answer#qa-title", q.challenge_id),
        ),
        Err(e) if matches!(e.0.code.status(), 409 | 422) && !form.challenge_id.is_empty() => {
            let typed = Typed {
                errors: FormErrors::from_api(e),
                question: String::new(),
                answer: Some((qid, form.answer.clone())),
            };
            respond(
                &visitor,
                challenge_page(&state, &visitor, form.challenge_id.clone(), None, typed).await,
            )
        }
        Err(e) => error_page(&visitor, e),
    }
}

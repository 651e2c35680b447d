//! The signed-in pages so far: 工作台 (`/workspace`, what the visitor's role has to do), 通知
//! (`/notices`) and a bid (`/bids/{id}`, the address of every bid notice) with the actions its
//! `actions` offer.

use super::format;
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::audit::{self, Actor};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::handlers::{bids, challenges, inbox, organizations};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::bid_actions::BidActionName;
use jiebang_application::bids::BidView;
use jiebang_application::challenges::ChallengeView;
use jiebang_domain::agreement::AgreementStatus;
use jiebang_domain::bid::BidStatus;
use jiebang_domain::codes::Code;
use jiebang_domain::organization::ConsortiumStatus;
use jiebang_domain::Role;
use serde::Deserialize;

pub fn bid_status(s: &str) -> &'static str {
    match BidStatus::parse(s) {
        Some(BidStatus::Draft) => "草稿",
        Some(BidStatus::Submitted) => "已提交",
        Some(BidStatus::Withdrawn) => "已撤回",
        Some(BidStatus::Lapsed) => "已失效",
        Some(BidStatus::Ineligible) => "形式审查未通过",
        Some(BidStatus::Awarded) => "已立项",
        Some(BidStatus::NotAwarded) => "未立项",
        None => "未知状态",
    }
}

/// A notice's link as a path on this site (notices store absolute links under the public URL).
fn local_link(state: &AppState, link: &str) -> String {
    let base = state.config.public_url.trim_end_matches('/');
    let path = link.strip_prefix(base).unwrap_or(link);
    super::local_path(Some(path))
}

pub struct ChallengeRow {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub status_code: String,
    pub deadline: String,
    pub bid_count: i64,
    pub questions_unanswered: i64,
}

pub struct BidRow {
    pub bid_id: String,
    pub challenge_id: String,
    pub title: String,
    pub lead: bool,
    pub status: &'static str,
    pub deadline: String,
    pub countdown: Option<String>,
}

pub struct RecommendationRow {
    pub challenge_id: String,
    pub title: String,
    pub industry: String,
    pub deadline: String,
    /// Why, in Chinese: the shared words, the industry, the region.
    pub reasons: String,
}

pub struct AssignmentRow {
    pub challenge_id: String,
    pub title: String,
    pub status: &'static str,
    pub scored: i64,
    pub to_score: i64,
    pub done: bool,
}

pub struct AgreementRow {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    /// What the visitor has to do on it now, in words (签署, 记录拨付, …); empty: nothing.
    pub todo: String,
}

pub struct ConsortiumRow {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub registration_no: Option<String>,
}

pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub region: String,
    pub registered: String,
}

pub struct NoticeRow {
    pub id: String,
    pub title: String,
    pub body: String,
    pub at: String,
    pub read: bool,
    pub link: String,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct Workspace {
    layout: Layout,
    role: Role,
    organization: Option<(String, bool, Option<String>)>,
    challenges: Vec<ChallengeRow>,
    bids: Vec<BidRow>,
    recommendations: Vec<RecommendationRow>,
    /// Why there are no recommendations (no capability profile yet).
    recommendations_note: Option<String>,
    assignments: Vec<AssignmentRow>,
    agreements: Vec<AgreementRow>,
    consortia: Vec<ConsortiumRow>,
    /// The visitor's organisation may lead a consortium (an enterprise).
    may_lead_consortium: bool,
    pending: Vec<ChallengeRow>,
    /// Closed challenges being evaluated (staff): experts to assign, awards to confirm.
    evaluating: Vec<ChallengeRow>,
    unverified: Vec<OrgRow>,
    notices: Vec<NoticeRow>,
    done: Option<&'static str>,
}

impl Workspace {
    fn is_org_user(&self) -> bool {
        self.role.is_organization_user()
    }
    fn is_expert(&self) -> bool {
        self.role == Role::Expert
    }
    fn is_staff(&self) -> bool {
        matches!(self.role, Role::Official | Role::Admin)
    }
}

fn challenge_rows(page: challenges::ChallengePage) -> Vec<ChallengeRow> {
    page.items
        .into_iter()
        .map(|c| ChallengeRow {
            status: format::challenge_status(&c.status),
            deadline: format::beijing(c.bidding_deadline),
            questions_unanswered: c
                .counts
                .as_ref()
                .map(|n| n.questions_unanswered)
                .unwrap_or(0),
            bid_count: c.bid_count,
            status_code: c.status,
            title: c.title,
            id: c.id,
        })
        .collect()
}

/// 工作台: what the visitor's role has to do, with links to each object.
pub async fn workspace(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("recusal") => Some("已声明回避：您对该榜单的指派和评分已撤销，科技厅已收到通知。/ You withdrew from the evaluation."),
        _ => None,
    };
    respond(&visitor, workspace_page(&state, &visitor, done).await)
}

async fn workspace_page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    done: Option<&'static str>,
) -> ApiResult<HttpResponse> {
    let caller = visitor.auth()?.0;
    let auth = Auth(caller.clone());
    let now = state.now();
    let mut page = Workspace {
        layout: Layout::new(visitor, "工作台", "/workspace"),
        role: caller.role,
        organization: caller.organization.as_ref().map(|o| {
            (
                o.name.clone(),
                jiebang_domain::OrganizationStatus::parse(&o.status)
                    == Some(jiebang_domain::OrganizationStatus::Verified),
                o.return_reason.clone(),
            )
        }),
        challenges: Vec::new(),
        bids: Vec::new(),
        recommendations: Vec::new(),
        recommendations_note: None,
        assignments: Vec::new(),
        agreements: Vec::new(),
        consortia: Vec::new(),
        may_lead_consortium: false,
        pending: Vec::new(),
        evaluating: Vec::new(),
        unverified: Vec::new(),
        notices: Vec::new(),
        done,
    };
    match caller.role {
        Role::OrgAdmin | Role::OrgMember => {
            let mine = challenges::ListQuery {
                mine: Some("true".into()),
                limit: Some("50".into()),
                ..Default::default()
            };
            page.challenges =
                challenge_rows(challenges::list_page(state, Some(auth.clone()), mine).await?);
            let c = caller.clone();
            let st = state.clone();
            let my_org = caller.organization_id().map(str::to_owned);
            let my_bids = state
                .read(move |conn| Ok(jiebang_application::work::my_bids(conn, &st.ctx, &c)?))
                .await?;
            page.bids = my_bids
                .into_iter()
                .map(|b| BidRow {
                    lead: my_org.as_deref() == Some(b.lead_organization_id.as_str()),
                    status: bid_status(&b.status),
                    countdown: (b.bidding_deadline > now)
                        .then(|| format::countdown(b.bidding_deadline, now)),
                    deadline: format::beijing(b.bidding_deadline),
                    title: b.challenge_title,
                    challenge_id: b.challenge_id,
                    bid_id: b.bid_id,
                })
                .collect();
            match crate::handlers::matching::recommendations_for(state, auth.clone()).await {
                Ok(list) => {
                    page.recommendations = list
                        .into_iter()
                        .take(5)
                        .map(|r| RecommendationRow {
                            reasons: reasons_text(&r.reasons),
                            deadline: format::beijing(r.bidding_deadline),
                            industry: r.industry,
                            title: r.title,
                            challenge_id: r.challenge_id,
                        })
                        .collect();
                }
                Err(e) if e.0.code == Code::NoProfile => {
                    page.recommendations_note = Some(
                        "本单位尚未填写能力画像（研究方向、产业领域、关键词）；填写后，这里会推荐与之匹配的榜单。".into(),
                    );
                }
                Err(e) => return Err(e),
            }
            page.agreements = agreement_rows(state, &auth, None).await?;
            page.may_lead_consortium =
                jiebang_application::consortium_actions::may_lead(&caller).is_ok();
            if let Some(org) = caller.organization_id() {
                let own = crate::handlers::consortia::list_of(
                    state,
                    crate::auth::MaybeAuth(Some(auth.clone())),
                    Some(org.to_owned()),
                )
                .await?;
                page.consortia = own
                    .into_iter()
                    .map(|c| ConsortiumRow {
                        status: match ConsortiumStatus::parse(&c.status) {
                            Some(ConsortiumStatus::Filed) => "已备案",
                            Some(ConsortiumStatus::Revoked) => "已撤销",
                            _ => "草稿",
                        },
                        registration_no: c.registration_no,
                        name: c.name,
                        id: c.id,
                    })
                    .collect();
            }
        }
        Role::Expert => {
            let c = caller.clone();
            let list = state
                .read(move |conn| Ok(jiebang_application::work::my_assignments(conn, &c)?))
                .await?;
            page.assignments = list
                .into_iter()
                .map(|a| AssignmentRow {
                    status: format::challenge_status(&a.status),
                    scored: a.scored,
                    to_score: a.bids_to_score,
                    done: a.done,
                    title: a.title,
                    challenge_id: a.challenge_id,
                })
                .collect();
        }
        Role::Official | Role::Admin => {
            let queue = challenges::ListQuery {
                status: Some("pending_review".into()),
                limit: Some("50".into()),
                ..Default::default()
            };
            page.pending =
                challenge_rows(challenges::list_page(state, Some(auth.clone()), queue).await?);
            let closed = challenges::ListQuery {
                status: Some("evaluating".into()),
                limit: Some("50".into()),
                ..Default::default()
            };
            page.evaluating =
                challenge_rows(challenges::list_page(state, Some(auth.clone()), closed).await?);
            page.agreements = agreement_rows(
                state,
                &auth,
                Some(AgreementStatus::Signed.as_str().to_owned()),
            )
            .await?;
            let orgs = organizations::directory_page(
                state,
                Some(caller.clone()),
                organizations::DirectoryQuery {
                    status: Some("unverified".into()),
                    limit: Some("50".into()),
                    ..Default::default()
                },
            )
            .await?;
            page.unverified = orgs
                .items
                .into_iter()
                .map(|e| OrgRow {
                    kind: format::organization_kind(&e.organization.kind),
                    region: format::region(&e.organization.region_code),
                    registered: format::beijing(e.organization.created_at),
                    id: e.organization.id,
                    name: e.organization.name,
                })
                .collect();
        }
    }
    let notices = inbox::notification_page(
        state,
        auth,
        inbox::PageQuery {
            limit: Some("5".into()),
            cursor: None,
        },
    )
    .await?;
    page.notices = notice_rows(state, notices.items);
    Ok(render(visitor, StatusCode::OK, &page))
}

/// The visitor's agreements (a party's; every one for staff), newest first, with what each
/// awaits from the visitor, read from its `actions`.
async fn agreement_rows(
    state: &web::Data<AppState>,
    auth: &Auth,
    status: Option<String>,
) -> ApiResult<Vec<AgreementRow>> {
    use jiebang_application::agreement_actions::{AgreementActionName as A, MilestoneActionName};
    let page = crate::handlers::agreements::list_page(
        state,
        auth.clone(),
        crate::handlers::agreements::ListQuery {
            status,
            limit: Some("20".into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(page
        .items
        .into_iter()
        .map(|a| {
            let mut todo = Vec::new();
            if a.actions.contains(&A::Sign) {
                todo.push("待签署");
            }
            if a.actions.contains(&A::Register) {
                todo.push("待备案");
            }
            let milestone =
                |m: MilestoneActionName| a.milestones.iter().any(|x| x.actions.contains(&m));
            if milestone(MilestoneActionName::Report) {
                todo.push("可报告里程碑");
            }
            if milestone(MilestoneActionName::Confirm) {
                todo.push("待确认里程碑");
            }
            let title = super::agreement::terms_title(&a);
            AgreementRow {
                status: super::agreement::agreement_status(&a.status),
                todo: todo.join("、"),
                title,
                id: a.id,
            }
        })
        .collect())
}

/// A recommendation's reasons in Chinese: `共同关键词：制氢、电解槽 · 回应考核指标：单槽产氢量
/// ≥1000Nm³/h（产氢量） · 相关项目：风光制氢示范（制氢） · 产业领域：新能源 · 同一盟市`.
pub fn reasons_text(r: &crate::handlers::matching::ReasonsView) -> String {
    let answers = |items: &[crate::handlers::matching::AnswerView]| {
        items
            .iter()
            .take(3)
            .map(|a| format!("{}（{}）", a.text, a.terms.join("、")))
            .collect::<Vec<_>>()
            .join("；")
    };
    let mut parts = Vec::new();
    if !r.matched_terms.is_empty() {
        parts.push(format!(
            "共同关键词：{}",
            r.matched_terms
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    if !r.answered_kpis.is_empty() {
        parts.push(format!("回应考核指标：{}", answers(&r.answered_kpis)));
    }
    if !r.supporting_projects.is_empty() {
        parts.push(format!(
            "相关项目与平台：{}",
            answers(&r.supporting_projects)
        ));
    }
    if let Some(i) = &r.matched_industry {
        parts.push(format!("产业领域：{i}"));
    }
    match r.region.as_str() {
        "same_prefecture" => parts.push("同一盟市".into()),
        "same_province" => parts.push("同一省区".into()),
        _ => {}
    }
    parts.join(" · ")
}

fn notice_rows(state: &AppState, items: Vec<inbox::NotificationView>) -> Vec<NoticeRow> {
    items
        .into_iter()
        .map(|n| NoticeRow {
            at: format::beijing(n.created_at),
            link: local_link(state, &n.link),
            id: n.id,
            title: n.title,
            body: n.body,
            read: n.read,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "notices.html")]
struct Notices {
    layout: Layout,
    notices: Vec<NoticeRow>,
    unread: i64,
    next_href: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}

/// 通知: the visitor's notices, newest first, unread ones marked.
pub async fn notices(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<CursorQuery>,
) -> HttpResponse {
    let page = async {
        let caller = visitor.auth()?.0;
        inbox::notification_page(
            &state,
            Auth(caller),
            inbox::PageQuery {
                limit: Some("20".into()),
                cursor: q.cursor.clone(),
            },
        )
        .await
    }
    .await;
    match page {
        Ok(p) => {
            let page = Notices {
                layout: Layout::new(&visitor, "通知", "/notices"),
                unread: p.unread_count,
                next_href: p
                    .next_cursor
                    .map(|c| format!("/notices?cursor={}", super::urlencode(&c))),
                notices: notice_rows(&state, p.items),
            };
            render(&visitor, StatusCode::OK, &page)
        }
        Err(e) => error_page(&visitor, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
}

/// Opens a notice: marks it read and goes to its object.
pub async fn notice_open(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let caller = visitor.auth()?.0;
        let id = id.into_inner();
        let user = caller.user.id.clone();
        let lookup = id.clone();
        let link = state
            .read(move |conn| {
                Ok(jiebang_db::notifications::find_for_user(conn, &user, &lookup)?.map(|n| n.link))
            })
            .await?
            .ok_or_else(|| ApiError::not_found("通知 / notification"))?;
        inbox::mark_notices(&state, Auth(caller), Some(id)).await?;
        Ok::<_, ApiError>(local_link(&state, &link))
    }
    .await;
    match r {
        Ok(to) => see_other(&visitor, &to),
        Err(e) => error_page(&visitor, e),
    }
}

/// Marks every notice read.
pub async fn notices_read_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let caller = visitor.auth()?.0;
        inbox::mark_notices(&state, Auth(caller), None).await
    }
    .await;
    match r {
        Ok(_) => see_other(&visitor, "/notices"),
        Err(e) => error_page(&visitor, e),
    }
}

#[derive(Template)]
#[template(path = "bid.html")]
struct BidPage {
    layout: Layout,
    b: BidView,
    status: &'static str,
    challenge_title: String,
    deadline: String,
    countdown: Option<String>,
    submitted: Option<String>,
    sealed: bool,
    own: bool,
    can_edit: bool,
    can_submit: bool,
    can_withdraw: bool,
    requested_wan: String,
    own_wan: String,
    kpis: Vec<(String, String)>,
    errors: FormErrors,
    done: Option<&'static str>,
    history: Vec<super::HistoryRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// A bid (the address of every bid notice): its content and status, and the actions its
/// `actions` offer as buttons.
pub async fn bid(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("submit") => Some("申报已提交。截止前您仍可撤回后重新申报。/ The bid was handed in."),
        Some("withdraw") => Some("申报已撤回。/ The bid was withdrawn."),
        Some("save") => {
            Some("草稿已保存。截止前请提交。/ The draft was saved; submit it before the deadline.")
        }
        _ => None,
    };
    respond(
        &visitor,
        bid_page(
            &state,
            &visitor,
            id.into_inner(),
            FormErrors::default(),
            done,
        )
        .await,
    )
}

/// A bid's committed value beside each KPI of its challenge: (the KPI and its target, the value).
pub fn kpi_rows(b: &BidView, c: &ChallengeView) -> Vec<(String, String)> {
    c.kpis
        .iter()
        .map(|k| {
            let answer = b
                .kpi_answers
                .iter()
                .find(|a| a.kpi_id == k.id)
                .map(|a| a.value.clone())
                .unwrap_or_else(|| "（未填写）".into());
            (
                format!("{}（目标 {} {}）", k.name, k.target, k.unit),
                answer,
            )
        })
        .collect()
}

async fn bid_page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    errors: FormErrors,
    done: Option<&'static str>,
) -> ApiResult<HttpResponse> {
    let caller = visitor.auth()?.0;
    let auth = Auth(caller.clone());
    let b = bids::read_view(state, Some(auth.clone()), id).await?;
    let c = challenges::read_view(state, Some(auth.clone()), b.challenge_id.clone()).await?;
    let history = super::history_rows("bid", bids::history_of(state, auth, b.id.clone()).await?);
    let now = state.now();
    let actions = b.actions.clone().unwrap_or_default();
    let kpis = kpi_rows(&b, &c);
    let page = BidPage {
        layout: Layout::new(visitor, format!("申报：{}", c.title), ""),
        status: bid_status(&b.status),
        challenge_title: c.title.clone(),
        deadline: format::beijing(c.bidding_deadline),
        countdown: (c.bidding_deadline > now).then(|| format::countdown(c.bidding_deadline, now)),
        submitted: b.submitted_at.map(format::beijing),
        sealed: c.bidding_deadline > now,
        own: caller.organization_id() == Some(b.lead_organization_id.as_str()),
        can_edit: actions.contains(&BidActionName::Edit),
        can_submit: actions.contains(&BidActionName::Submit),
        can_withdraw: actions.contains(&BidActionName::Withdraw),
        requested_wan: format::wan(b.requested_fiscal),
        own_wan: format::wan(b.own_funds),
        kpis,
        errors,
        done,
        history,
        b,
    };
    let status = if page.errors.any() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

/// `POST /bids/{id}/submit` and `/withdraw`: the application layer's own use cases; a refusal
/// (the deadline passed meanwhile, a KPI unanswered) is shown on the bid's page.
pub async fn bid_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let caller = visitor.auth()?.0;
        let actor = Actor::user(&caller, audit::request_id(&req));
        let ctx = state.ctx.clone();
        let bid_id = id.clone();
        let submit = match action.as_str() {
            "submit" => true,
            "withdraw" => false,
            _ => return Err(ApiError::not_found("页面 / page")),
        };
        state
            .write(move |conn| {
                Ok(if submit {
                    jiebang_application::bids::submit(conn, &ctx, &caller, &actor, &bid_id)?
                } else {
                    jiebang_application::bids::withdraw(conn, &ctx, &caller, &actor, &bid_id)?
                })
            })
            .await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => see_other(&visitor, &format!("/bids/{id}?done={action}")),
        Err(e) if matches!(e.0.code.status(), 409 | 422) => respond(
            &visitor,
            bid_page(&state, &visitor, id, FormErrors::from_api(e), None).await,
        ),
        Err(e) => error_page(&visitor, e),
    }
}

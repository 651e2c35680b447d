//! The forms of the lifecycle actions that take a date or a reason: a challenge's 延期 and 撤销
//! (`/challenges/{id}/extend`, `/challenges/{id}/cancel`), an official's 审核 of a challenge
//! (`/challenges/{id}/approve`, `/challenges/{id}/return`) and 认证 of an organisation
//! (`/organizations/{id}/verify`, `/organizations/{id}/return`), and the payment form of an
//! agreement (`/agreements/{id}/pay`) with its 备案, 完成 and 终止 (`/agreements/{id}/register`,
//! `…/complete`, `…/terminate`), and an official's 撤销备案 of a consortium
//! (`/consortia/{id}/revoke`), and an expert's 声明回避 (`/challenges/{id}/recusal`). Each is offered only where the object's `actions` list it, acts
//! through the API's own function, and shows a refusal beside its field with what was typed kept.

use super::bid_form::{input, Input};
use super::format;
use super::session::{self, Visitor};
use super::{render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::handlers::agreements::{
    end_agreement, pay_agreement, register_agreement, PaymentRequest,
};
use crate::handlers::challenges::{
    cancel_challenge, extend_challenge, read_view, review_challenge, CancelRequest, ExtendRequest,
    ReviewRequest,
};
use crate::handlers::evaluation::declare_recusal;
use crate::handlers::organizations::{return_organization, verify_organization, ReturnRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::agreement_actions::AgreementActionName;
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_application::challenges::ChallengeView;
use jiebang_domain::agreement::PaymentSource;
use jiebang_domain::codes::Code;
use serde::Deserialize;

/// A form of one action: an optional date, a reason, one button.
#[derive(Template)]
#[template(path = "reason_form.html")]
struct ReasonForm {
    layout: Layout,
    heading: &'static str,
    /// What the action does and to whom, in a sentence or two.
    intro: String,
    back_href: String,
    back_label: String,
    action: String,
    date: Option<Input>,
    date_label: &'static str,
    date_kind: &'static str,
    reason: Input,
    reason_label: &'static str,
    button: &'static str,
    danger: bool,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReasonFields {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub bidding_deadline: String,
    /// The review comment of a returned challenge (the API's `comment`).
    #[serde(default)]
    pub comment: String,
}

/// An action's result as a form post answers it: `None` when it was done; the messages of a
/// refusal (403, 409, 422), which the form shows again beside its fields; any other error as is.
fn refusal<T>(r: ApiResult<T>) -> ApiResult<Option<FormErrors>> {
    match r {
        Ok(_) => Ok(None),
        Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => Ok(Some(FormErrors::from_api(e))),
        Err(e) => Err(e),
    }
}

/// The form again with a refusal's messages, answered 422.
fn again(visitor: &Visitor, page: ReasonForm) -> HttpResponse {
    render(visitor, StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The challenge, if `action` is among what the visitor may do with it now.
async fn offered(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    action: ChallengeAction,
    what: &str,
) -> ApiResult<ChallengeView> {
    let c = read_view(state, Some(visitor.auth()?), id).await?;
    if !c.actions.as_ref().is_some_and(|a| a.contains(&action)) {
        return Err(ApiError::with(
            Code::Forbidden,
            format!("该榜单现在不能{what} / this cannot be done to the challenge now"),
        ));
    }
    Ok(c)
}

fn extend_page(
    visitor: &Visitor,
    c: &ChallengeView,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "延长揭榜截止时间", ""),
        heading: "延长揭榜截止时间",
        intro: format!(
            "现截止时间：{}。截止时间只能推后；延期以更正公告公开，已在申报的单位会收到通知。/ The deadline can only move later; bidders are told.",
            format::beijing(c.bidding_deadline)
        ),
        back_href: format!("/challenges/{}", c.id),
        back_label: c.title.clone(),
        action: format!("/challenges/{}/extend", c.id),
        date: Some(input(&errors, "bidding_deadline", typed.bidding_deadline.clone())),
        date_label: "新的揭榜截止时间（北京时间）",
        date_kind: "datetime-local",
        reason: input(&errors, "reason", typed.reason.clone()),
        reason_label: "延期说明（公开，可选）",
        button: "确认延期 / Extend",
        danger: false,
        errors,
    }
}

/// `GET /challenges/{id}/extend`.
pub async fn extend_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let c = offered(
            &state,
            &visitor,
            id.into_inner(),
            ChallengeAction::Extend,
            "延期",
        )
        .await?;
        let typed = ReasonFields {
            bidding_deadline: format::to_beijing_input(
                c.bidding_deadline + chrono::Duration::days(7),
            ),
            ..Default::default()
        };
        let page = extend_page(&visitor, &c, &typed, FormErrors::default());
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

/// `POST /challenges/{id}/extend`.
pub async fn extend(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let refused = |c: &ChallengeView, errors: FormErrors| {
            render(
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &extend_page(&visitor, c, &typed, errors),
            )
        };
        let Some(deadline) = format::beijing_input(&typed.bidding_deadline) else {
            let c = read_view(&state, Some(auth), id.clone()).await?;
            let mut errors = FormErrors::default();
            errors.push(
                "bidding_deadline",
                "请选择日期和时间（北京时间）/ choose a date and time (Beijing)",
            );
            return Ok(refused(&c, errors));
        };
        let body = ExtendRequest {
            bidding_deadline: deadline,
            reason: Some(typed.reason.trim().to_owned()).filter(|r| !r.is_empty()),
        };
        let r = extend_challenge(
            &state,
            auth.clone(),
            audit::request_id(&req),
            id.clone(),
            body,
        );
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(
                &visitor,
                &format!("/challenges/{id}?done=extend"),
            ));
        };
        let c = read_view(&state, Some(auth), id.clone()).await?;
        Ok(refused(&c, errors))
    };
    respond(&visitor, r.await)
}

fn cancel_page(
    visitor: &Visitor,
    c: &ChallengeView,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "撤销榜单", ""),
        heading: "撤销榜单",
        intro: format!(
            "撤销「{}」后不能恢复：未截止的申报全部失效，申报单位会收到通知，撤销原因对所有人公开。/ Cancelling cannot be undone; bidders are told and the reason is public.",
            c.title
        ),
        back_href: format!("/challenges/{}", c.id),
        back_label: c.title.clone(),
        action: format!("/challenges/{}/cancel", c.id),
        date: None,
        date_label: "",
        date_kind: "",
        reason: input(&errors, "reason", typed.reason.clone()),
        reason_label: "撤销原因（公开，必填）",
        button: "确认撤销 / Cancel the challenge",
        danger: true,
        errors,
    }
}

/// The empty reason form `page` of a challenge that offers `action` now (GET).
async fn empty_form(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    action: ChallengeAction,
    what: &str,
    page: fn(&Visitor, &ChallengeView, &ReasonFields, FormErrors) -> ReasonForm,
) -> HttpResponse {
    let r = async {
        let c = offered(state, visitor, id, action, what).await?;
        let form = page(visitor, &c, &ReasonFields::default(), FormErrors::default());
        Ok(render(visitor, StatusCode::OK, &form))
    };
    respond(visitor, r.await)
}

/// `GET /challenges/{id}/cancel`.
pub async fn cancel_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    empty_form(
        &state,
        &visitor,
        id,
        ChallengeAction::Cancel,
        "撤销",
        cancel_page,
    )
    .await
}

/// `POST /challenges/{id}/cancel`.
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let body = CancelRequest {
            reason: typed.reason.clone(),
        };
        let r = cancel_challenge(
            &state,
            auth.clone(),
            audit::request_id(&req),
            id.clone(),
            body,
        );
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(
                &visitor,
                &format!("/challenges/{id}?done=cancel"),
            ));
        };
        let c = read_view(&state, Some(auth), id.clone()).await?;
        Ok(again(&visitor, cancel_page(&visitor, &c, &typed, errors)))
    };
    respond(&visitor, r.await)
}

#[derive(Debug, Default, Deserialize)]
pub struct PaymentFields {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub milestone_id: String,
    /// 万元
    #[serde(default)]
    pub amount: String,
    /// A date in Beijing.
    #[serde(default)]
    pub paid_at: String,
}

/// `POST /agreements/{id}/pay`: a payment from the agreement page's form; a refusal comes back
/// on the agreement page beside the field.
pub async fn pay(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<PaymentFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r: ApiResult<Result<&'static str, FormErrors>> = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let mut errors = FormErrors::default();
        let amount = super::bid_form::yuan(&typed.amount).filter(|a| *a > 0);
        if amount.is_none() {
            errors.push(
                "amount",
                "请填写大于 0 的金额（万元，最多四位小数）/ enter an amount in 万元",
            );
        }
        let paid_at = if typed.paid_at.trim().is_empty() {
            None
        } else {
            let t = format::beijing_day(&typed.paid_at).map(|(_, last)| last);
            if t.is_none() {
                errors.push("paid_at", "请选择日期 / choose a date");
            }
            t
        };
        if errors.any() {
            return Ok(Err(errors));
        }
        let body = PaymentRequest {
            milestone_id: typed.milestone_id.clone(),
            source: typed.source.clone(),
            amount: amount.unwrap_or_default(),
            // a date is read as the last second of that day in Beijing, and today's as now (the
            // API refuses a time later than now, or before the registration: read as noon, a
            // payment dated the day of an afternoon registration was refused)
            paid_at: paid_at.map(|t| t.min(state.now()).to_rfc3339()),
        };
        pay_agreement(&state, auth, audit::request_id(&req), id.clone(), body).await?;
        Ok(Ok(match PaymentSource::parse(&typed.source) {
            Some(PaymentSource::Fiscal) => "pay_fiscal",
            _ => "pay_enterprise",
        }))
    }
    .await;
    super::agreement::finish_payment(&state, &visitor, id, r, typed).await
}

/// Which payment sources the agreement's `actions` let the visitor record.
pub fn payment_sources(actions: &[AgreementActionName]) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if actions.contains(&AgreementActionName::PayEnterprise) {
        out.push(("enterprise", "企业出资 / enterprise funds"));
    }
    if actions.contains(&AgreementActionName::PayFiscal) {
        out.push(("fiscal", "财政资金 / fiscal funds"));
    }
    out
}

/// `POST /challenges/{id}/approve`: an official publishes a pending challenge from its page.
pub async fn approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<super::workspace::CsrfForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let body = ReviewRequest {
            decision: "approve".into(),
            comment: None,
        };
        review_challenge(
            &state,
            visitor.auth()?,
            audit::request_id(&req),
            id.clone(),
            body,
        )
        .await?;
        Ok(see_other(
            &visitor,
            &format!("/challenges/{id}?done=approve"),
        ))
    };
    respond(&visitor, r.await)
}

fn return_page(
    visitor: &Visitor,
    c: &ChallengeView,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "退回修改", ""),
        heading: "退回修改",
        intro: format!(
            "「{}」将退回发榜单位修改，审核意见显示在榜单和发榜单位的通知中；修改后可重新提交审核。/ The challenge goes back to its publisher with your comment.",
            c.title
        ),
        back_href: format!("/challenges/{}", c.id),
        back_label: c.title.clone(),
        action: format!("/challenges/{}/return", c.id),
        date: None,
        date_label: "",
        date_kind: "",
        reason: input(&errors, "comment", typed.comment.clone()),
        reason_label: "审核意见（必填）",
        button: "退回 / Return",
        danger: false,
        errors,
    }
}

/// `GET /challenges/{id}/return`.
pub async fn return_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    empty_form(
        &state,
        &visitor,
        id,
        ChallengeAction::Return,
        "退回",
        return_page,
    )
    .await
}

/// `POST /challenges/{id}/return`.
pub async fn return_challenge(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let body = ReviewRequest {
            decision: "return".into(),
            comment: Some(typed.comment.clone()),
        };
        let r = review_challenge(
            &state,
            auth.clone(),
            audit::request_id(&req),
            id.clone(),
            body,
        );
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(
                &visitor,
                &format!("/challenges/{id}?done=return"),
            ));
        };
        let c = read_view(&state, Some(auth), id.clone()).await?;
        Ok(again(&visitor, return_page(&visitor, &c, &typed, errors)))
    };
    respond(&visitor, r.await)
}

/// `POST /organizations/{id}/verify`: an official verifies an organisation from its page.
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<super::workspace::CsrfForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        verify_organization(&state, visitor.auth()?, audit::request_id(&req), id.clone()).await?;
        Ok(see_other(
            &visitor,
            &format!("/organizations/{id}?done=verify"),
        ))
    };
    respond(&visitor, r.await)
}

fn org_return_page(
    visitor: &Visitor,
    o: &jiebang_application::views::OrganizationView,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "退回注册信息", ""),
        heading: "退回注册信息",
        intro: format!(
            "「{}」的注册信息将退回，单位用户会收到原因；单位管理员修改后重新进入认证队列。/ The organisation is told why; its admin's next edit puts it back in the queue.",
            o.name
        ),
        back_href: format!("/organizations/{}", o.id),
        back_label: o.name.clone(),
        action: format!("/organizations/{}/return", o.id),
        date: None,
        date_label: "",
        date_kind: "",
        reason: input(&errors, "reason", typed.reason.clone()),
        reason_label: "退回原因（必填）",
        button: "退回 / Return",
        danger: false,
        errors,
    }
}

/// `GET /organizations/{id}/return`.
pub async fn org_return_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let o = crate::handlers::organizations::read_view(
            &state,
            Some(visitor.auth()?.0),
            id.into_inner(),
        )
        .await?;
        if !o.actions.as_ref().is_some_and(|a| {
            a.contains(&jiebang_application::organization_actions::OrganizationActionName::Return)
        }) {
            return Err(ApiError::with(
                Code::Forbidden,
                "该单位现在不能退回 / the registration cannot be returned now",
            ));
        }
        let page = org_return_page(
            &visitor,
            &o,
            &ReasonFields::default(),
            FormErrors::default(),
        );
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

/// `POST /organizations/{id}/return`.
pub async fn org_return(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let body = ReturnRequest {
            reason: typed.reason.clone(),
        };
        let r = return_organization(
            &state,
            auth.clone(),
            audit::request_id(&req),
            id.clone(),
            body,
        );
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(
                &visitor,
                &format!("/organizations/{id}?done=return"),
            ));
        };
        let o = crate::handlers::organizations::read_view(&state, Some(auth.0), id.clone()).await?;
        Ok(again(
            &visitor,
            org_return_page(&visitor, &o, &typed, errors),
        ))
    };
    respond(&visitor, r.await)
}

/// `POST /agreements/{id}/register` and `…/complete`: an official's 备案, or the completion of
/// an agreement whose milestones are all met.
pub async fn agreement_step(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: web::Form<super::workspace::CsrfForm>,
) -> HttpResponse {
    let (id, step) = path.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        let request_id = audit::request_id(&req);
        let done = match step.as_str() {
            "register" => {
                register_agreement(&state, auth, request_id, id.clone()).await?;
                "register"
            }
            "complete" => {
                end_agreement(&state, auth, request_id, id.clone(), None).await?;
                "complete"
            }
            _ => return Err(ApiError::not_found("页面 / page")),
        };
        Ok(see_other(
            &visitor,
            &format!("/agreements/{id}?done={done}"),
        ))
    };
    respond(&visitor, r.await)
}

fn terminate_page(
    visitor: &Visitor,
    id: &str,
    title: &str,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "终止协议", ""),
        heading: "终止协议",
        intro: format!(
            "终止「{title}」的协议后不能恢复，未完成的里程碑不再拨付；协议各方会收到终止原因（例如赛马淘汰）。/ Terminating cannot be undone; the parties are told why."
        ),
        back_href: format!("/agreements/{id}"),
        back_label: title.to_owned(),
        action: format!("/agreements/{id}/terminate"),
        date: None,
        date_label: "",
        date_kind: "",
        reason: input(&errors, "reason", typed.reason.clone()),
        reason_label: "终止原因（必填）",
        button: "确认终止 / Terminate",
        danger: true,
        errors,
    }
}

/// The title of agreement `id`, if the visitor may terminate it now.
async fn terminable(state: &web::Data<AppState>, visitor: &Visitor, id: &str) -> ApiResult<String> {
    let a = crate::handlers::agreements::read_view(state, visitor.auth()?, id.to_owned()).await?;
    if !a.actions.contains(&AgreementActionName::Terminate) {
        return Err(ApiError::with(
            Code::Forbidden,
            "该协议现在不能终止 / the agreement cannot be terminated now",
        ));
    }
    Ok(super::agreement::terms_title(&a))
}

/// `GET /agreements/{id}/terminate`.
pub async fn terminate_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        let title = terminable(&state, &visitor, &id).await?;
        let page = terminate_page(
            &visitor,
            &id,
            &title,
            &ReasonFields::default(),
            FormErrors::default(),
        );
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

/// `POST /agreements/{id}/terminate`.
pub async fn terminate(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let reason = Some(typed.reason.clone());
        let r = end_agreement(&state, auth, audit::request_id(&req), id.clone(), reason);
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(
                &visitor,
                &format!("/agreements/{id}?done=terminate"),
            ));
        };
        let title = terminable(&state, &visitor, &id).await.unwrap_or_default();
        Ok(again(
            &visitor,
            terminate_page(&visitor, &id, &title, &typed, errors),
        ))
    };
    respond(&visitor, r.await)
}

fn revoke_page(
    visitor: &Visitor,
    c: &crate::handlers::consortia::ConsortiumView,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "撤销联合体备案", ""),
        heading: "撤销联合体备案",
        intro: format!(
            "撤销「{}」（{}）的备案后，联合体不再公开，撤销原因告知牵头单位。/ The consortium is no longer public; its lead is told why.",
            c.name,
            c.registration_no.clone().unwrap_or_default()
        ),
        back_href: format!("/consortia/{}", c.id),
        back_label: c.name.clone(),
        action: format!("/consortia/{}/revoke", c.id),
        date: None,
        date_label: "",
        date_kind: "",
        reason: input(&errors, "reason", typed.reason.clone()),
        reason_label: "撤销原因（必填）",
        button: "确认撤销 / Revoke",
        danger: true,
        errors,
    }
}

async fn revocable(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: &str,
) -> ApiResult<crate::handlers::consortia::ConsortiumView> {
    let auth = crate::auth::MaybeAuth(Some(visitor.auth()?));
    let c = crate::handlers::consortia::read_view(state, auth, id.to_owned()).await?;
    if !c.actions.as_ref().is_some_and(|a| {
        a.contains(&jiebang_application::consortium_actions::ConsortiumActionName::Revoke)
    }) {
        return Err(ApiError::with(
            Code::Forbidden,
            "该联合体现在不能撤销 / the consortium cannot be revoked now",
        ));
    }
    Ok(c)
}

/// `GET /consortia/{id}/revoke`.
pub async fn revoke_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let c = revocable(&state, &visitor, &id).await?;
        let page = revoke_page(
            &visitor,
            &c,
            &ReasonFields::default(),
            FormErrors::default(),
        );
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

/// `POST /consortia/{id}/revoke`.
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let body = crate::handlers::consortia::RevokeRequest {
            reason: typed.reason.clone(),
        };
        let r = crate::handlers::consortia::revoke_consortium(
            &state,
            auth,
            audit::request_id(&req),
            id.clone(),
            body,
        );
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(&visitor, &format!("/consortia/{id}?done=revoke")));
        };
        let c = revocable(&state, &visitor, &id).await?;
        Ok(again(&visitor, revoke_page(&visitor, &c, &typed, errors)))
    };
    respond(&visitor, r.await)
}

fn recusal_page(
    visitor: &Visitor,
    c: &ChallengeView,
    typed: &ReasonFields,
    errors: FormErrors,
) -> ReasonForm {
    ReasonForm {
        layout: Layout::new(visitor, "声明回避", ""),
        heading: "声明回避",
        intro: format!(
            "如与「{}」的发榜单位或揭榜团队存在利益关系（任职、合作、亲属等），请声明回避。声明后您对本榜单的指派和已给出的评分一并撤销，指派您的科技厅工作人员会收到通知，您不能再被指派评审本榜单。/ Your assignment and scores on this challenge are removed and the official is told.",
            c.title
        ),
        back_href: format!("/challenges/{}/scoring", c.id),
        back_label: "评审".into(),
        action: format!("/challenges/{}/recusal", c.id),
        date: None,
        date_label: "",
        date_kind: "",
        reason: input(&errors, "reason", typed.reason.clone()),
        reason_label: "回避理由",
        button: "声明回避 / Declare a conflict of interest",
        danger: true,
        errors,
    }
}

/// `GET /challenges/{id}/recusal`: an assigned expert's 回避声明 (the API refuses anyone else).
pub async fn recusal_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    empty_form(
        &state,
        &visitor,
        id.into_inner(),
        ChallengeAction::Recuse,
        "声明回避",
        recusal_page,
    )
    .await
}

/// `POST /challenges/{id}/recusal`, through the API's own `declare_recusal`.
pub async fn recuse(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReasonFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        // the page is read first: after the declaration the expert may no longer read it
        let c = read_view(&state, Some(auth.clone()), id.clone()).await?;
        let r = declare_recusal(
            &state,
            auth,
            audit::request_id(&req),
            id.clone(),
            typed.reason.clone(),
        );
        let Some(errors) = refusal(r.await)? else {
            return Ok(see_other(&visitor, "/workspace?done=recusal"));
        };
        Ok(again(&visitor, recusal_page(&visitor, &c, &typed, errors)))
    };
    respond(&visitor, r.await)
}

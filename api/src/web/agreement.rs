//! 协议 (`/agreements/{id}`, the address of every agreement notice): the parties, the terms with
//! their hash, the signatures, milestones and payments, and the actions its `actions` offer —
//! 签署 against the hash shown, the bidder's report of a milestone, the publisher's confirmation,
//! and the record of a payment (the publisher's own funds; fiscal money for officials). Each goes
//! through the API's own function (`sign_agreement`, `report_milestone`, `confirm_milestone`,
//! `pay_agreement`).

use super::bid_form::{input, Input};
use super::format;
use super::lifecycle::{payment_sources, PaymentFields};
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::handlers::agreements::{
    confirm_milestone, read_view, report_milestone, sign_agreement, AgreementView,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::agreement_actions::{AgreementActionName, MilestoneActionName};
use jiebang_domain::agreement::{
    AgreementStatus, MilestoneStatus, PartyRole, PaymentSource, Terms,
};
use serde::Deserialize;

/// An agreement's title, from its terms.
pub fn terms_title(a: &AgreementView) -> String {
    a.terms
        .get("title")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_owned()
}

pub fn agreement_status(s: &str) -> &'static str {
    match AgreementStatus::parse(s) {
        Some(AgreementStatus::Drafted) => "待签署",
        Some(AgreementStatus::PartiallySigned) => "部分签署",
        Some(AgreementStatus::Signed) => "已签署，待备案",
        Some(AgreementStatus::Registered) => "已备案，执行中",
        Some(AgreementStatus::Completed) => "已完成",
        Some(AgreementStatus::Terminated) => "已终止",
        None => "未知状态",
    }
}

fn milestone_status(s: &str) -> &'static str {
    match MilestoneStatus::parse(s) {
        Some(MilestoneStatus::Scheduled) => "未到期",
        Some(MilestoneStatus::Reported) => "已报告，待确认",
        Some(MilestoneStatus::Met) => "已达成",
        Some(MilestoneStatus::NotMet) => "未达成",
        None => "未知状态",
    }
}

pub struct PartyRow {
    pub role: &'static str,
    pub name: String,
    pub credit_code: String,
    pub signed: Option<String>,
}

pub struct MilestoneRow {
    pub id: String,
    pub deliverable: String,
    pub due: String,
    pub status: &'static str,
    pub overdue: bool,
    pub evidence: Option<String>,
    pub can_report: bool,
    pub can_confirm: bool,
    pub evidence_error: Option<String>,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct AgreementPage {
    layout: Layout,
    a: AgreementView,
    title: String,
    status: &'static str,
    parties: Vec<PartyRow>,
    fiscal_wan: String,
    enterprise_wan: String,
    paid_fiscal_wan: String,
    paid_enterprise_wan: String,
    term_months: u32,
    ip: &'static str,
    kpis: Vec<(String, String, String)>,
    milestones: Vec<MilestoneRow>,
    payments: Vec<(String, &'static str, String)>,
    can_sign: bool,
    /// The SM2 signature an organisation with its own key pastes (kept as typed on a refusal).
    sign_signature: Input,
    /// SM3 of the canonical terms (what SM2 signatures sign).
    terms_sm3: String,
    /// 备案, 终止 and 完成, from `actions`.
    can_register: bool,
    can_terminate: bool,
    can_complete: bool,
    /// The payment sources the visitor may record (from `actions`); empty: no payment form.
    pay_sources: Vec<(&'static str, &'static str, bool)>,
    /// The milestones a payment is recorded against: (id, deliverable, chosen).
    pay_milestones: Vec<(String, String, bool)>,
    pay_amount: Input,
    pay_date: Input,
    pay_milestone_error: Option<String>,
    errors: FormErrors,
    done: Option<&'static str>,
    history: Vec<super::HistoryRow>,
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    errors: FormErrors,
    done: Option<&'static str>,
    pay: PaymentFields,
    signature: String,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let a = read_view(state, auth.clone(), id.clone()).await?;
    let history = super::history_rows(
        "agreement",
        crate::handlers::agreements::history_of(state, auth, id).await?,
    );
    let terms: Terms = serde_json::from_value(a.terms.clone()).map_err(ApiError::internal)?;
    let parties = terms
        .parties
        .iter()
        .map(|p| PartyRow {
            role: match p.role {
                PartyRole::Publisher => "发榜方（甲方）",
                PartyRole::Bidder => "揭榜方（乙方，牵头单位）",
                PartyRole::Member => "联合体成员",
            },
            name: p.name.clone(),
            credit_code: p.credit_code.clone(),
            signed: a
                .signatures
                .iter()
                .find(|s| s.organization_id == p.organization_id)
                .map(|s| format::beijing(s.signed_at)),
        })
        .collect();
    let milestones = a
        .milestones
        .iter()
        .map(|m| MilestoneRow {
            id: m.id.clone(),
            deliverable: m.deliverable.clone(),
            due: format::beijing_date(m.due_at),
            status: milestone_status(&m.status),
            overdue: m.overdue,
            evidence: m.evidence.clone(),
            can_report: m.actions.contains(&MilestoneActionName::Report),
            can_confirm: m.actions.contains(&MilestoneActionName::Confirm),
            evidence_error: errors
                .of(&format!("milestones.{}.evidence", m.id))
                .map(str::to_owned),
        })
        .collect();
    let payments = a
        .payments
        .iter()
        .map(|p| {
            (
                format::beijing_date(p.paid_at),
                match PaymentSource::parse(&p.source) {
                    Some(PaymentSource::Fiscal) => "财政资金",
                    _ => "企业出资",
                },
                format::wan(p.amount),
            )
        })
        .collect();
    let page = AgreementPage {
        layout: Layout::new(visitor, format!("协议：{}", terms.title), ""),
        title: terms.title.clone(),
        status: agreement_status(&a.status),
        parties,
        fiscal_wan: format::wan(terms.fiscal_amount),
        enterprise_wan: format::wan(terms.enterprise_amount),
        paid_fiscal_wan: format::wan(a.paid_fiscal),
        paid_enterprise_wan: format::wan(a.paid_enterprise),
        term_months: terms.term_months,
        ip: format::ip_ownership(&terms.ip_ownership),
        kpis: terms
            .kpis
            .iter()
            .map(|k| {
                (
                    k.name.clone(),
                    format!("{} {}", k.target, k.unit),
                    k.committed.clone(),
                )
            })
            .collect(),
        milestones,
        payments,
        can_sign: a.actions.contains(&AgreementActionName::Sign),
        can_register: a.actions.contains(&AgreementActionName::Register),
        can_terminate: a.actions.contains(&AgreementActionName::Terminate),
        can_complete: a.actions.contains(&AgreementActionName::Complete),
        pay_sources: payment_sources(&a.actions)
            .into_iter()
            .map(|(v, l)| (v, l, pay.source == v))
            .collect(),
        pay_milestones: a
            .milestones
            .iter()
            .map(|m| {
                (
                    m.id.clone(),
                    format!(
                        "{}（到期 {}）",
                        m.deliverable,
                        format::beijing_date(m.due_at)
                    ),
                    pay.milestone_id == m.id,
                )
            })
            .collect(),
        pay_amount: input(&errors, "amount", pay.amount.clone()),
        pay_date: input(
            &errors,
            "paid_at",
            if pay.paid_at.is_empty() {
                format::beijing_date(state.now())
            } else {
                pay.paid_at.clone()
            },
        ),
        pay_milestone_error: errors.of("milestone_id").map(str::to_owned),
        sign_signature: input(&errors, "signature", signature),
        terms_sm3: jiebang_domain::signing::sm3_hex(
            jiebang_domain::agreement::canonical_json(
                &serde_json::to_value(&a.terms).unwrap_or_default(),
            )
            .as_bytes(),
        ),
        done,
        errors,
        history,
        a,
    };
    let status = if page.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

/// `GET /agreements/{id}/evidence.json`: the agreement's evidence document (协议存证), the same
/// as `GET /api/v1/agreements/{id}/evidence`, downloaded from the agreement page.
pub async fn evidence(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        let auth = visitor.auth()?;
        crate::handlers::agreements::evidence_doc(&state, auth, id.clone()).await
    }
    .await;
    match r {
        Ok(doc) => HttpResponse::Ok()
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"agreement-{id}-evidence.json\""),
            ))
            .json(doc),
        Err(e) => error_page(&visitor, e),
    }
}

/// `GET /agreements/{id}`.
pub async fn agreement(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("sign") => Some("已签署。/ Signed."),
        Some("report") => Some("里程碑已报告，等待发榜方确认。/ Reported."),
        Some("confirm") => Some("里程碑已确认。/ Confirmed."),
        Some("pay_enterprise") => {
            Some("企业出资已记录，协议各方会收到通知。/ The payment is recorded.")
        }
        Some("pay_fiscal") => {
            Some("财政拨付已记录，协议各方会收到通知。/ The payment is recorded.")
        }
        Some("register") => Some("协议已备案，里程碑已排定，协议各方会收到通知。/ Registered."),
        Some("terminate") => Some("协议已终止，协议各方会收到原因。/ Terminated."),
        Some("complete") => Some("协议已完成。/ Completed."),
        _ => None,
    };
    respond(
        &visitor,
        page(
            &state,
            &visitor,
            id.into_inner(),
            FormErrors::default(),
            done,
            PaymentFields::default(),
            String::new(),
        )
        .await,
    )
}

#[derive(Debug, Deserialize)]
pub struct SignForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub terms_hash: String,
    /// Only for an organisation that signs with its own registered key.
    #[serde(default)]
    pub signature: String,
}

/// `POST /agreements/{id}/sign`: signs against the hash the page showed.
pub async fn sign(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<SignForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        sign_agreement(
            &state,
            auth,
            audit::request_id(&req),
            id.clone(),
            &form.terms_hash,
            Some(form.signature.as_str()).filter(|s| !s.trim().is_empty()),
        )
        .await
    }
    .await;
    finish(
        &state,
        &visitor,
        id,
        r.map(|_| "sign"),
        None,
        form.0.signature,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MilestoneForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub evidence: String,
    pub met: Option<String>,
}

/// `POST /agreements/{id}/milestones/{mid}/{report|confirm}`.
pub async fn milestone(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    form: web::Form<MilestoneForm>,
) -> HttpResponse {
    let (id, mid, action) = path.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let auth = visitor.auth()?;
        let request_id = audit::request_id(&req);
        match action.as_str() {
            "report" => report_milestone(
                &state,
                auth,
                request_id,
                id.clone(),
                mid.clone(),
                &form.evidence,
            )
            .await
            .map(|_| "report"),
            "confirm" => {
                let met = form.met.as_deref() == Some("true");
                confirm_milestone(&state, auth, request_id, id.clone(), mid.clone(), met)
                    .await
                    .map(|_| "confirm")
            }
            _ => Err(ApiError::not_found("页面 / page")),
        }
    }
    .await;
    finish(&state, &visitor, id, r, Some(mid), String::new()).await
}

/// After an action: back to the agreement with what happened, or the page with the refusal
/// (an evidence message beside its milestone's field).
async fn finish(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    r: ApiResult<&'static str>,
    milestone: Option<String>,
    signature: String,
) -> HttpResponse {
    match r {
        Ok(done) => see_other(visitor, &format!("/agreements/{id}?done={done}")),
        Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
            let mut errors = FormErrors::from_api(e);
            if let Some(mid) = milestone {
                for f in &mut errors.fields {
                    if f.field == "evidence" {
                        f.field = format!("milestones.{mid}.evidence");
                        f.id = FormErrors::id(&f.field);
                    }
                }
            }
            respond(
                visitor,
                page(
                    state,
                    visitor,
                    id,
                    errors,
                    None,
                    PaymentFields::default(),
                    signature,
                )
                .await,
            )
        }
        Err(e) => error_page(visitor, e),
    }
}

/// After a payment form: back to the agreement with what happened, or the agreement page with
/// the refusal beside its field and the payment as typed.
pub async fn finish_payment(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    id: String,
    r: ApiResult<Result<&'static str, FormErrors>>,
    typed: PaymentFields,
) -> HttpResponse {
    let errors = match r {
        Ok(Ok(done)) => return see_other(visitor, &format!("/agreements/{id}?done={done}")),
        Ok(Err(errors)) => errors,
        Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => FormErrors::from_api(e),
        Err(e) => return error_page(visitor, e),
    };
    respond(
        visitor,
        page(state, visitor, id, errors, None, typed, String::new()).await,
    )
}

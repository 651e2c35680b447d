//! 发布/编辑榜单: the challenge form of a publisher (`/challenges/new`, `/challenges/{id}/edit`).
//! It saves through the API's own `create_challenge` (idempotent under a key the form carries, so
//! a double click makes one draft) and `update_challenge`, and submits for review through
//! `submit_challenge`; every refusal comes back beside its field with everything typed kept.
//! "增加指标" and "删除" change the KPI rows without JavaScript; with it, `app.js` checks the
//! funding ratio as the amounts are typed (the server checks it again).

use super::bid_form::{input, Input};
use super::format;
use super::public::Choice;
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::handlers::challenges::{
    create_challenge, read_view, submit_challenge, update_challenge, ContactInput,
    CreateChallengeRequest, EligibilityInput, KpiInput, UpdateChallengeRequest,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_application::challenges::ChallengeView;
use jiebang_domain::challenge::ChallengeStatus;
use jiebang_domain::codes::Code;

#[derive(Default, Clone)]
struct Typed {
    version: Option<i64>,
    key: String,
    title: String,
    kind: String,
    mode: String,
    industry: String,
    industry_chain: String,
    problem: String,
    /// (name, target, unit)
    kpis: Vec<(String, String, String)>,
    expected_outcomes: String,
    duration_months: String,
    enterprise_wan: String,
    fiscal_wan: String,
    max_winners: String,
    consortium_required: bool,
    max_members: String,
    min_in_region_percent: String,
    chief_scientist_required: bool,
    ip_ownership: String,
    bidding_deadline: String,
    questions_deadline: String,
    contact: [String; 3],
    intent: String,
    csrf: String,
    /// The challenge is published: saving is an amendment (更正), which needs a reason and
    /// leaves the deadlines (moved by 延期) and the mode alone.
    amending: bool,
    /// 修改说明, for an amendment.
    reason: String,
}

fn parse(pairs: Vec<(String, String)>) -> Typed {
    let mut t = Typed::default();
    let mut kpis: std::collections::BTreeMap<usize, (String, String, String)> = Default::default();
    for (k, v) in pairs {
        match k.as_str() {
            "_csrf" => t.csrf = v,
            "intent" => t.intent = v,
            "reason" => t.reason = v,
            "version" => t.version = v.parse().ok(),
            "key" => t.key = v,
            "title" => t.title = v,
            "kind" => t.kind = v,
            "mode" => t.mode = v,
            "industry" => t.industry = v,
            "industry_chain" => t.industry_chain = v,
            "problem" => t.problem = v,
            "expected_outcomes" => t.expected_outcomes = v,
            "duration_months" => t.duration_months = v,
            "enterprise_funds" => t.enterprise_wan = v,
            "fiscal_support" => t.fiscal_wan = v,
            "max_winners" => t.max_winners = v,
            "eligibility.consortium_required" => t.consortium_required = true,
            "eligibility.max_members" => t.max_members = v,
            "eligibility.min_in_region_percent" => t.min_in_region_percent = v,
            "eligibility.chief_scientist_required" => t.chief_scientist_required = true,
            "ip_ownership" => t.ip_ownership = v,
            "bidding_deadline" => t.bidding_deadline = v,
            "questions_deadline" => t.questions_deadline = v,
            "contact.name" => t.contact[0] = v,
            "contact.phone" => t.contact[1] = v,
            "contact.email" => t.contact[2] = v,
            _ => {
                let Some(rest) = k.strip_prefix("kpis[") else {
                    continue;
                };
                let Some((i, field)) = rest.split_once("].") else {
                    continue;
                };
                let Ok(i) = i.parse::<usize>() else { continue };
                let e = kpis.entry(i).or_default();
                match field {
                    "name" => e.0 = v,
                    "target" => e.1 = v,
                    "unit" => e.2 = v,
                    _ => {}
                }
            }
        }
    }
    t.kpis = kpis.into_values().collect();
    t
}

/// The API's request from what was typed; the form's own parsing errors (a number or a date that
/// is not one) by field.
fn to_request(t: &Typed) -> Result<CreateChallengeRequest, FormErrors> {
    let mut errors = FormErrors::default();
    let mut int = |field: &str, v: &str, default: i64| -> i64 {
        if v.trim().is_empty() {
            return default;
        }
        v.trim().parse().unwrap_or_else(|_| {
            errors.push(field, "请填写整数 / enter a whole number");
            default
        })
    };
    let duration_months = int("duration_months", &t.duration_months, 0);
    let max_winners = int("max_winners", &t.max_winners, 1);
    let max_members = int("eligibility.max_members", &t.max_members, 5);
    let min_in_region = int(
        "eligibility.min_in_region_percent",
        &t.min_in_region_percent,
        0,
    );
    let mut money = |field: &str, v: &str| -> i64 {
        super::bid_form::yuan(v).unwrap_or_else(|| {
            errors.push(
                field,
                "请填写金额（万元，最多四位小数）/ enter an amount in 万元",
            );
            0
        })
    };
    let enterprise_funds = money("enterprise_funds", &t.enterprise_wan);
    let fiscal_support = money("fiscal_support", &t.fiscal_wan);
    let mut when = |field: &str, v: &str| -> DateTime<Utc> {
        format::beijing_input(v).unwrap_or_else(|| {
            errors.push(
                field,
                "请选择日期和时间（北京时间）/ choose a date and time (Beijing)",
            );
            DateTime::<Utc>::MIN_UTC
        })
    };
    let bidding_deadline = when("bidding_deadline", &t.bidding_deadline);
    let questions_deadline = when("questions_deadline", &t.questions_deadline);
    if errors.any() {
        return Err(errors);
    }
    Ok(CreateChallengeRequest {
        title: t.title.clone(),
        kind: t.kind.clone(),
        mode: t.mode.clone(),
        industry: t.industry.clone(),
        industry_chain: t.industry_chain.clone(),
        problem: t.problem.clone(),
        kpis: t
            .kpis
            .iter()
            .filter(|(n, g, u)| {
                !(n.trim().is_empty() && g.trim().is_empty() && u.trim().is_empty())
            })
            .map(|(name, target, unit)| KpiInput {
                name: name.clone(),
                target: target.clone(),
                unit: unit.clone(),
            })
            .collect(),
        expected_outcomes: t.expected_outcomes.clone(),
        duration_months,
        enterprise_funds,
        fiscal_support,
        max_winners: Some(max_winners),
        eligibility: EligibilityInput {
            consortium_required: Some(t.consortium_required),
            max_members: Some(max_members),
            min_in_region_percent: Some(min_in_region),
            chief_scientist_required: Some(t.chief_scientist_required),
        },
        ip_ownership: t.ip_ownership.clone(),
        bidding_deadline,
        questions_deadline,
        contact: ContactInput {
            name: t.contact[0].clone(),
            phone: t.contact[1].clone(),
            email: t.contact[2].clone(),
        },
        invited_organizations: Vec::new(),
    })
}

pub struct KpiRow {
    pub index: usize,
    pub name: Input,
    pub target: Input,
    pub unit: Input,
}

#[derive(Template)]
#[template(path = "challenge_form.html")]
struct ChallengeForm {
    layout: Layout,
    action: String,
    heading: &'static str,
    version: Option<i64>,
    key: String,
    review_comment: Option<String>,
    title: Input,
    kinds: Vec<Choice>,
    kind_error: Option<String>,
    industries: Vec<Choice>,
    industry_error: Option<String>,
    industry_chain: Input,
    problem: Input,
    kpis: Vec<KpiRow>,
    kpis_error: Option<String>,
    expected_outcomes: Input,
    duration_months: Input,
    enterprise: Input,
    fiscal: Input,
    ratio_hint: String,
    ratio_e: String,
    ratio_f: String,
    max_winners: Input,
    consortium_required: bool,
    max_members: Input,
    min_in_region: Input,
    chief_scientist_required: bool,
    ips: Vec<Choice>,
    ip_error: Option<String>,
    bidding_deadline: Input,
    questions_deadline: Input,
    contact: [Input; 3],
    amending: bool,
    reason: Input,
    /// The deadlines in words, for an amendment (which does not change them).
    deadlines_text: (String, String),
    errors: FormErrors,
}

fn choices(pairs: &[(&str, &str)], current: &str) -> Vec<Choice> {
    pairs
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).to_owned(),
            label: (*l).to_owned(),
            selected: current == *v,
        })
        .collect()
}

fn form_page(
    state: &AppState,
    visitor: &Visitor,
    action: String,
    heading: &'static str,
    review_comment: Option<String>,
    t: &Typed,
    errors: FormErrors,
) -> ChallengeForm {
    let e = &errors;
    let mut kpis: Vec<KpiRow> = t
        .kpis
        .iter()
        .enumerate()
        .map(|(i, (n, g, u))| KpiRow {
            index: i,
            name: input(e, format!("kpis[{i}].name"), n.clone()),
            target: input(e, format!("kpis[{i}].target"), g.clone()),
            unit: input(e, format!("kpis[{i}].unit"), u.clone()),
        })
        .collect();
    if kpis.is_empty() {
        kpis.push(KpiRow {
            index: 0,
            name: input(e, "kpis[0].name", ""),
            target: input(e, "kpis[0].target", ""),
            unit: input(e, "kpis[0].unit", ""),
        });
    }
    let (re, rf) = state.rules.min_ratio;
    let industries: Vec<(&str, &str)> = state
        .rules
        .industries
        .iter()
        .map(|i| (i.as_str(), i.as_str()))
        .collect();
    ChallengeForm {
        layout: Layout::new(visitor, heading, ""),
        action,
        heading,
        version: t.version,
        key: t.key.clone(),
        review_comment,
        title: input(e, "title", t.title.clone()),
        kinds: choices(
            &[
                ("tech_breakthrough", "技术攻关类"),
                ("transformation", "成果转化类"),
            ],
            &t.kind,
        ),
        kind_error: e.of("kind").map(str::to_owned),
        industries: choices(&industries, &t.industry),
        industry_error: e.of("industry").map(str::to_owned),
        industry_chain: input(e, "industry_chain", t.industry_chain.clone()),
        problem: input(e, "problem", t.problem.clone()),
        kpis,
        kpis_error: e.of("kpis").map(str::to_owned),
        expected_outcomes: input(e, "expected_outcomes", t.expected_outcomes.clone()),
        duration_months: input(e, "duration_months", t.duration_months.clone()),
        enterprise: input(e, "enterprise_funds", t.enterprise_wan.clone()),
        fiscal: input(e, "fiscal_support", t.fiscal_wan.clone()),
        ratio_hint: format!("企业出资与财政资金之比不得低于 {re}:{rf}"),
        ratio_e: re.to_string(),
        ratio_f: rf.to_string(),
        max_winners: input(e, "max_winners", t.max_winners.clone()),
        consortium_required: t.consortium_required,
        max_members: input(e, "eligibility.max_members", t.max_members.clone()),
        min_in_region: input(
            e,
            "eligibility.min_in_region_percent",
            t.min_in_region_percent.clone(),
        ),
        chief_scientist_required: t.chief_scientist_required,
        ips: choices(
            &[
                ("shared", "双方共有"),
                ("publisher", "归发榜方所有"),
                ("bidder", "归揭榜方所有"),
                ("negotiable", "双方协商约定"),
            ],
            &t.ip_ownership,
        ),
        ip_error: e.of("ip_ownership").map(str::to_owned),
        bidding_deadline: input(e, "bidding_deadline", t.bidding_deadline.clone()),
        questions_deadline: input(e, "questions_deadline", t.questions_deadline.clone()),
        contact: [
            input(e, "contact.name", t.contact[0].clone()),
            input(e, "contact.phone", t.contact[1].clone()),
            input(e, "contact.email", t.contact[2].clone()),
        ],
        amending: t.amending,
        reason: input(e, "reason", t.reason.clone()),
        deadlines_text: (
            format::beijing_input(&t.bidding_deadline)
                .map(format::beijing)
                .unwrap_or_default(),
            format::beijing_input(&t.questions_deadline)
                .map(format::beijing)
                .unwrap_or_default(),
        ),
        errors,
    }
}

fn typed_from_view(c: &ChallengeView) -> Typed {
    Typed {
        version: c.version,
        title: c.title.clone(),
        kind: c.kind.clone(),
        mode: c.mode.clone(),
        industry: c.industry.clone(),
        industry_chain: c.industry_chain.clone(),
        problem: c.problem.clone(),
        kpis: c
            .kpis
            .iter()
            .map(|k| (k.name.clone(), k.target.clone(), k.unit.clone()))
            .collect(),
        expected_outcomes: c.expected_outcomes.clone(),
        duration_months: c.duration_months.to_string(),
        enterprise_wan: format::wan(c.enterprise_funds).replace(',', ""),
        fiscal_wan: format::wan(c.fiscal_support).replace(',', ""),
        max_winners: c.max_winners.to_string(),
        consortium_required: c.eligibility.consortium_required,
        max_members: c.eligibility.max_members.to_string(),
        min_in_region_percent: c.eligibility.min_in_region_percent.to_string(),
        chief_scientist_required: c.eligibility.chief_scientist_required,
        ip_ownership: c.ip_ownership.clone(),
        bidding_deadline: format::to_beijing_input(c.bidding_deadline),
        questions_deadline: format::to_beijing_input(c.questions_deadline),
        contact: [
            c.contact.name.clone(),
            c.contact.phone.clone(),
            c.contact.email.clone(),
        ],
        amending: ChallengeStatus::parse(&c.status) == Some(ChallengeStatus::Published),
        ..Default::default()
    }
}

fn heading(amending: bool) -> &'static str {
    if amending {
        "修改已发布的榜单（更正）"
    } else {
        "修改榜单"
    }
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("web-{}", hex::encode(bytes))
}

/// The empty form for a new challenge (the API refuses a caller who may not publish).
pub async fn new_form(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    if let Err(e) = visitor.auth() {
        return error_page(&visitor, e);
    }
    let now = state.now();
    let t = Typed {
        key: new_key(),
        kind: "tech_breakthrough".into(),
        mode: "open".into(),
        max_winners: "1".into(),
        max_members: "5".into(),
        min_in_region_percent: "0".into(),
        ip_ownership: "shared".into(),
        kpis: vec![Default::default(), Default::default()],
        bidding_deadline: format::to_beijing_input(now + chrono::Duration::days(30)),
        questions_deadline: format::to_beijing_input(now + chrono::Duration::days(23)),
        ..Default::default()
    };
    let page = form_page(
        &state,
        &visitor,
        "/challenges/new".into(),
        "发布榜单",
        None,
        &t,
        FormErrors::default(),
    );
    render(&visitor, StatusCode::OK, &page)
}

/// The form of a challenge its publisher may edit (its `actions` include `edit`), with the
/// official's return comment when there is one.
pub async fn edit_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let auth = visitor.auth()?;
        let c = read_view(&state, Some(auth), id.into_inner()).await?;
        if !c
            .actions
            .as_ref()
            .is_some_and(|a| a.contains(&ChallengeAction::Edit))
        {
            return Err(ApiError::with(
                Code::Forbidden,
                "该榜单现在不能修改 / the challenge cannot be changed now",
            ));
        }
        let t = typed_from_view(&c);
        Ok(form_page(
            &state,
            &visitor,
            format!("/challenges/{}/edit", c.id),
            heading(t.amending),
            c.review_comment.clone(),
            &t,
            FormErrors::default(),
        ))
    };
    match r.await {
        Ok(page) => render(&visitor, StatusCode::OK, &page),
        Err(e) => error_page(&visitor, e),
    }
}

/// A step that does not save (a KPI row added or removed); `false` for the saving intents.
fn edit_step(t: &mut Typed) -> bool {
    if t.intent == "add_kpi" {
        t.kpis.push(Default::default());
        return true;
    }
    if let Some(i) = t
        .intent
        .strip_prefix("remove_kpi:")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if i < t.kpis.len() {
            t.kpis.remove(i);
        }
        return true;
    }
    false
}

async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    existing: Option<String>,
    pairs: Vec<(String, String)>,
) -> HttpResponse {
    let r: ApiResult<HttpResponse> = async {
        let auth = visitor.auth()?;
        let mut t = parse(pairs);
        session::check_form(&req, &visitor, &t.csrf)?;
        let (action, heading, comment) = match &existing {
            Some(id) => {
                let c = read_view(&state, Some(auth.clone()), id.clone()).await?;
                // whether this is an amendment is the challenge's state, not the form's say
                t.amending = ChallengeStatus::parse(&c.status) == Some(ChallengeStatus::Published);
                (
                    format!("/challenges/{id}/edit"),
                    heading(t.amending),
                    c.review_comment,
                )
            }
            None => ("/challenges/new".to_owned(), "发布榜单", None),
        };
        if edit_step(&mut t) {
            let page = form_page(
                &state,
                &visitor,
                action,
                heading,
                comment,
                &t,
                FormErrors::default(),
            );
            return Ok(render(&visitor, StatusCode::OK, &page));
        }
        let refused = |t: &Typed, errors: FormErrors| {
            let page = form_page(
                &state,
                &visitor,
                action.clone(),
                heading,
                comment.clone(),
                t,
                errors,
            );
            render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page)
        };
        let body = match to_request(&t) {
            Ok(b) => b,
            Err(errors) => return Ok(refused(&t, errors)),
        };
        let request_id = audit::request_id(&req);
        let saved: ApiResult<String> = match &existing {
            None => {
                let key = if t.key.starts_with("web-") {
                    t.key.clone()
                } else {
                    new_key()
                };
                match create_challenge(
                    &state,
                    auth.clone(),
                    request_id.clone(),
                    Some(key.clone()),
                    body,
                )
                .await
                {
                    Ok(_) => {
                        let user = auth.user.id.clone();
                        let stored = state
                            .read(move |conn| Ok(jiebang_db::idempotency::find(conn, &user, &key)?))
                            .await?
                            .ok_or_else(|| {
                                ApiError::internal("the created challenge was not stored")
                            })?;
                        let v: serde_json::Value = serde_json::from_str(&stored.response_body)
                            .map_err(ApiError::internal)?;
                        Ok(v["id"].as_str().unwrap_or_default().to_owned())
                    }
                    Err(e) => Err(e),
                }
            }
            Some(id) => {
                let update = UpdateChallengeRequest {
                    version: t.version.unwrap_or_default(),
                    // a blank reason is sent as none, which the API answers with what is
                    // missing ("修改已发布的榜单须说明原因") rather than "不能为空"
                    reason: Some(t.reason.trim().to_owned())
                        .filter(|r| t.amending && !r.is_empty()),
                    title: Some(body.title),
                    kind: Some(body.kind),
                    mode: (!t.amending).then_some(body.mode),
                    industry: Some(body.industry),
                    industry_chain: Some(body.industry_chain),
                    problem: Some(body.problem),
                    kpis: Some(body.kpis),
                    expected_outcomes: Some(body.expected_outcomes),
                    duration_months: Some(body.duration_months),
                    enterprise_funds: Some(body.enterprise_funds),
                    fiscal_support: Some(body.fiscal_support),
                    max_winners: body.max_winners,
                    eligibility: Some(body.eligibility),
                    ip_ownership: Some(body.ip_ownership),
                    // an amendment leaves the deadlines (moved by 延期) as stored, to the
                    // second; the form's minutes would move them
                    bidding_deadline: (!t.amending).then_some(body.bidding_deadline),
                    questions_deadline: (!t.amending).then_some(body.questions_deadline),
                    contact: Some(body.contact),
                    invited_organizations: None,
                };
                let version = t.version.unwrap_or_default();
                update_challenge(
                    &state,
                    auth.clone(),
                    request_id.clone(),
                    id.clone(),
                    version,
                    update,
                )
                .await
                .map(|v| v.id)
            }
        };
        let id = match saved {
            Ok(id) => id,
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                return Ok(refused(&t, FormErrors::from_api(e)))
            }
            Err(e) => return Err(e),
        };
        if t.amending {
            return Ok(see_other(&visitor, &format!("/challenges/{id}?done=amend")));
        }
        if t.intent != "submit" {
            return Ok(see_other(&visitor, &format!("/challenges/{id}?done=save")));
        }
        match submit_challenge(&state, auth.clone(), request_id, id.clone()).await {
            Ok(_) => Ok(see_other(
                &visitor,
                &format!("/challenges/{id}?done=submit"),
            )),
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                // saved as a draft, not submitted: the form on the draft, with the reasons
                let c = read_view(&state, Some(auth), id.clone()).await?;
                let mut t2 = typed_from_view(&c);
                t2.intent.clear();
                let page = form_page(
                    &state,
                    &visitor,
                    format!("/challenges/{id}/edit"),
                    "修改榜单",
                    c.review_comment,
                    &t2,
                    FormErrors::from_api(e),
                );
                Ok(render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Err(e),
        }
    }
    .await;
    respond(&visitor, r)
}

/// `POST /challenges/new`: a new draft (or a step of its form).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    post(state, req, visitor, None, form.into_inner()).await
}

/// `POST /challenges/{id}/edit`: the draft changed (or a step of its form).
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    post(
        state,
        req,
        visitor,
        Some(id.into_inner()),
        form.into_inner(),
    )
    .await
}

/// `POST /challenges/{id}/submit`: a draft handed in for review from its page.
pub async fn submit(
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
        submit_challenge(&state, auth, audit::request_id(&req), id.clone()).await
    }
    .await;
    match r {
        Ok(_) => see_other(&visitor, &format!("/challenges/{id}?done=submit")),
        Err(e) => error_page(&visitor, e),
    }
}

//! 揭榜申报 form: a new bid on a challenge (`/challenges/{id}/bid`) and the edit of a draft
//! (`/bids/{id}/edit`). It saves through the API's own `create_bid` / `update_bid` and submits
//! through the application layer's `bids::submit`; every refusal comes back beside its field,
//! with everything typed kept.
//!
//! Without JavaScript every step is a form post: "增加里程碑" adds a row, "查找单位" searches the
//! directory for consortium members, "加入" adds one, "移除" removes one; only "保存草稿" and
//! "保存并提交" write anything.

use super::format;
use super::session::{self, Visitor};
use super::{error_page, render, respond, see_other, FormErrors, Layout};
use crate::audit::{self, Actor};
use crate::error::{ApiError, ApiResult};
use crate::handlers::bids::{
    create_bid, update_bid, BidRequest, ChiefScientistInput, KpiAnswerInput, MemberInput,
    MilestoneInput, UpdateBidRequest,
};
use crate::handlers::{bids, challenges, organizations};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_application::bid_actions::BidActionName;
use jiebang_application::challenge_actions::ChallengeAction;
use jiebang_application::challenges::ChallengeView;
use jiebang_domain::codes::Code;

/// One input of the form: its name (the API's field path), id, value and message.
pub struct Input {
    pub name: String,
    pub id: String,
    pub value: String,
    pub error: Option<String>,
}

pub fn input(errors: &FormErrors, name: impl Into<String>, value: impl Into<String>) -> Input {
    let name = name.into();
    Input {
        id: FormErrors::id(&name),
        error: errors.of(&name).map(str::to_owned),
        value: value.into(),
        name,
    }
}

/// What the form holds, as typed.
#[derive(Default, Clone)]
struct Typed {
    version: Option<i64>,
    chief: [String; 3],
    approach: String,
    /// (kpi id, value), in the challenge's order
    kpis: Vec<(String, String)>,
    /// (month, deliverable)
    milestones: Vec<(String, String)>,
    /// (organisation id, name, role, share)
    members: Vec<(String, String, String, String)>,
    requested_wan: String,
    own_wan: String,
    member_q: String,
    intent: String,
    csrf: String,
}

fn parse(pairs: Vec<(String, String)>, c: &ChallengeView) -> Typed {
    let mut t = Typed {
        kpis: c
            .kpis
            .iter()
            .map(|k| (k.id.clone(), String::new()))
            .collect(),
        ..Default::default()
    };
    let mut milestones: std::collections::BTreeMap<usize, (String, String)> = Default::default();
    let mut members: std::collections::BTreeMap<usize, (String, String, String, String)> =
        Default::default();
    for (k, v) in pairs {
        let indexed = |prefix: &str| -> Option<(usize, String)> {
            let rest = k.strip_prefix(prefix)?.strip_prefix('[')?;
            let (i, field) = rest.split_once("].")?;
            Some((i.parse().ok()?, field.to_owned()))
        };
        match k.as_str() {
            "_csrf" => t.csrf = v,
            "intent" => t.intent = v,
            "version" => t.version = v.parse().ok(),
            "chief_scientist.name" => t.chief[0] = v,
            "chief_scientist.title" => t.chief[1] = v,
            "chief_scientist.organization" => t.chief[2] = v,
            "approach" => t.approach = v,
            "requested_fiscal" => t.requested_wan = v,
            "own_funds" => t.own_wan = v,
            "member_q" => t.member_q = v,
            _ => {
                if let Some((i, f)) = indexed("kpi_answers") {
                    if let (Some(slot), "value") = (t.kpis.get_mut(i), f.as_str()) {
                        slot.1 = v;
                    }
                } else if let Some((i, f)) = indexed("milestones") {
                    let e = milestones.entry(i).or_default();
                    match f.as_str() {
                        "month" => e.0 = v,
                        "deliverable" => e.1 = v,
                        _ => {}
                    }
                } else if let Some((i, f)) = indexed("members") {
                    let e = members.entry(i).or_default();
                    match f.as_str() {
                        "organization_id" => e.0 = v,
                        "name" => e.1 = v,
                        "role" => e.2 = v,
                        "share_percent" => e.3 = v,
                        _ => {}
                    }
                }
            }
        }
    }
    t.milestones = milestones.into_values().collect();
    t.members = members.into_values().collect();
    t
}

/// 万元 as typed (`150`, `12.5`) → yuan; `None` when it is not such a number.
pub fn yuan(wan: &str) -> Option<i64> {
    let w = wan.trim();
    if w.is_empty() {
        return Some(0);
    }
    let (whole, frac) = w.split_once('.').unwrap_or((w, ""));
    if whole.is_empty()
        || frac.len() > 4
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<4}").parse().ok()?;
    whole.checked_mul(10_000)?.checked_add(frac)
}

/// The request the API takes, from what was typed; the form's own parsing errors (a month or an
/// amount that is not a number) by field.
fn to_request(t: &Typed) -> Result<BidRequest, FormErrors> {
    let mut errors = FormErrors::default();
    let mut milestones = Vec::new();
    for (i, (month, deliverable)) in t.milestones.iter().enumerate() {
        if month.trim().is_empty() && deliverable.trim().is_empty() {
            continue;
        }
        match month.trim().parse::<u32>() {
            Ok(m) => milestones.push(MilestoneInput {
                month: m,
                deliverable: deliverable.clone(),
            }),
            Err(_) => errors.push(
                &format!("milestones[{i}].month"),
                "请填写第几个月（数字）/ enter the month as a number",
            ),
        }
    }
    let mut members = Vec::new();
    for (i, (id, _, role, share)) in t.members.iter().enumerate() {
        match share.trim().parse::<u32>() {
            Ok(s) => members.push(MemberInput {
                organization_id: id.clone(),
                role: role.clone(),
                share_percent: s,
            }),
            Err(_) => errors.push(
                &format!("members[{i}].share_percent"),
                "请填写工作量占比（1–99 的整数）/ enter the share as a whole percent",
            ),
        }
    }
    let money = |field: &str, v: &str, errors: &mut FormErrors| {
        yuan(v).unwrap_or_else(|| {
            errors.push(
                field,
                "请填写金额（万元，最多四位小数）/ enter an amount in 万元",
            );
            0
        })
    };
    let requested_fiscal = money("requested_fiscal", &t.requested_wan, &mut errors);
    let own_funds = money("own_funds", &t.own_wan, &mut errors);
    if errors.any() {
        return Err(errors);
    }
    let chief = (!t.chief.iter().all(|s| s.trim().is_empty())).then(|| ChiefScientistInput {
        name: t.chief[0].clone(),
        title: t.chief[1].clone(),
        organization: t.chief[2].clone(),
    });
    Ok(BidRequest {
        members,
        consortium_id: None,
        chief_scientist: chief,
        approach: t.approach.clone(),
        // a draft may leave a KPI unanswered: the submission asks for every one
        kpi_answers: t
            .kpis
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(id, v)| KpiAnswerInput {
                kpi_id: id.clone(),
                value: v.clone(),
            })
            .collect(),
        milestones,
        requested_fiscal,
        own_funds,
    })
}

pub struct KpiField {
    pub label: String,
    pub kpi_id: String,
    pub input: Input,
}

pub struct MilestoneRow {
    pub month: Input,
    pub deliverable: Input,
}

pub struct MemberRow {
    pub index: usize,
    pub organization_id: Input,
    pub name: Input,
    pub role: Input,
    pub share: Input,
}

pub struct Candidate {
    pub id: String,
    pub name: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "bid_form.html")]
struct BidForm {
    layout: Layout,
    action: String,
    challenge_id: String,
    challenge_title: String,
    deadline: String,
    fiscal_hint: String,
    version: Option<i64>,
    chief: [Input; 3],
    approach: Input,
    kpis: Vec<KpiField>,
    milestones: Vec<MilestoneRow>,
    members: Vec<MemberRow>,
    members_error: Option<String>,
    requested: Input,
    own: Input,
    member_q: String,
    candidates: Vec<Candidate>,
    searched: bool,
    errors: FormErrors,
}

fn form_page(
    visitor: &Visitor,
    c: &ChallengeView,
    action: String,
    t: &Typed,
    errors: FormErrors,
    candidates: Vec<Candidate>,
    searched: bool,
) -> BidForm {
    let e = &errors;
    let mut milestones: Vec<MilestoneRow> = t
        .milestones
        .iter()
        .enumerate()
        .map(|(i, (m, d))| MilestoneRow {
            month: input(e, format!("milestones[{i}].month"), m.clone()),
            deliverable: input(e, format!("milestones[{i}].deliverable"), d.clone()),
        })
        .collect();
    // room for two more without a round trip
    while milestones.len() < t.milestones.len().max(1) + 1 || milestones.len() < 3 {
        let i = milestones.len();
        milestones.push(MilestoneRow {
            month: input(e, format!("milestones[{i}].month"), ""),
            deliverable: input(e, format!("milestones[{i}].deliverable"), ""),
        });
    }
    BidForm {
        layout: Layout::new(visitor, format!("揭榜申报：{}", c.title), ""),
        action,
        challenge_id: c.id.clone(),
        challenge_title: c.title.clone(),
        deadline: format::beijing(c.bidding_deadline),
        fiscal_hint: format!("不超过 {} 万元", format::wan(c.fiscal_support)),
        version: t.version,
        chief: [
            input(e, "chief_scientist.name", t.chief[0].clone()),
            input(e, "chief_scientist.title", t.chief[1].clone()),
            input(e, "chief_scientist.organization", t.chief[2].clone()),
        ],
        approach: input(e, "approach", t.approach.clone()),
        kpis: c
            .kpis
            .iter()
            .enumerate()
            .map(|(i, k)| KpiField {
                label: format!("{}（目标 {} {}）", k.name, k.target, k.unit),
                kpi_id: k.id.clone(),
                input: input(
                    e,
                    format!("kpi_answers[{i}].value"),
                    t.kpis.get(i).map(|x| x.1.clone()).unwrap_or_default(),
                ),
            })
            .collect(),
        milestones,
        members: t
            .members
            .iter()
            .enumerate()
            .map(|(i, (id, name, role, share))| MemberRow {
                index: i,
                organization_id: input(e, format!("members[{i}].organization_id"), id.clone()),
                name: input(e, format!("members[{i}].name"), name.clone()),
                role: input(e, format!("members[{i}].role"), role.clone()),
                share: input(e, format!("members[{i}].share_percent"), share.clone()),
            })
            .collect(),
        members_error: e.of("members").map(str::to_owned),
        requested: input(e, "requested_fiscal", t.requested_wan.clone()),
        own: input(e, "own_funds", t.own_wan.clone()),
        member_q: t.member_q.clone(),
        candidates,
        searched,
        errors,
    }
}

/// The form's answer to a step that does not save: a row added, a search, a member added or
/// removed. `None` for the intents that save.
async fn edit_step(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    t: &mut Typed,
) -> ApiResult<Option<(Vec<Candidate>, bool)>> {
    let intent = t.intent.clone();
    if intent == "add_milestone" {
        t.milestones.push(Default::default());
        return Ok(Some((Vec::new(), false)));
    }
    if let Some(i) = intent.strip_prefix("remove_member:") {
        if let Ok(i) = i.parse::<usize>() {
            if i < t.members.len() {
                t.members.remove(i);
            }
        }
        return Ok(Some((Vec::new(), false)));
    }
    if let Some(id) = intent.strip_prefix("add_member:") {
        if let Some((id, name)) = directory_pick(state, visitor, &t.member_q, id).await? {
            if !t.members.iter().any(|m| m.0 == id) {
                t.members.push((id, name, String::new(), String::new()));
            }
        }
        return Ok(Some((Vec::new(), false)));
    }
    if intent == "find_member" {
        let candidates = directory_candidates(state, visitor, &t.member_q).await?;
        return Ok(Some((candidates, true)));
    }
    Ok(None)
}

fn directory_query(q: &str) -> organizations::DirectoryQuery {
    organizations::DirectoryQuery {
        q: Some(q.to_owned()).filter(|q| !q.trim().is_empty()),
        limit: Some("10".into()),
        ..Default::default()
    }
}

/// The organisations of the directory that `q` finds (never the visitor's own): the candidates a
/// member search offers, in the bid form and the consortium form.
pub async fn directory_candidates(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    q: &str,
) -> ApiResult<Vec<Candidate>> {
    let page =
        organizations::directory_page(state, visitor.caller.clone(), directory_query(q)).await?;
    let own = visitor
        .caller
        .as_ref()
        .and_then(|c| c.organization_id().map(str::to_owned));
    Ok(page
        .items
        .into_iter()
        .filter(|o| Some(&o.organization.id) != own.as_ref())
        .map(|o| Candidate {
            detail: format!(
                "{} · {}",
                format::organization_kind(&o.organization.kind),
                format::region(&o.organization.region_code)
            ),
            id: o.organization.id,
            name: o.organization.name,
        })
        .collect())
}

/// The organisation `id` (id, name), if the same search `q` finds it: a member is added only
/// from what the directory shows the visitor.
pub async fn directory_pick(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    q: &str,
    id: &str,
) -> ApiResult<Option<(String, String)>> {
    let page =
        organizations::directory_page(state, visitor.caller.clone(), directory_query(q)).await?;
    Ok(page
        .items
        .into_iter()
        .find(|o| o.organization.id == id)
        .map(|o| (o.organization.id, o.organization.name)))
}

fn typed_from_view(b: &jiebang_application::bids::BidView, c: &ChallengeView) -> Typed {
    Typed {
        version: Some(b.version),
        chief: b
            .chief_scientist
            .as_ref()
            .map(|cs| [cs.name.clone(), cs.title.clone(), cs.organization.clone()])
            .unwrap_or_default(),
        approach: b.approach.clone(),
        kpis: c
            .kpis
            .iter()
            .map(|k| {
                (
                    k.id.clone(),
                    b.kpi_answers
                        .iter()
                        .find(|a| a.kpi_id == k.id)
                        .map(|a| a.value.clone())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        milestones: b
            .milestones
            .iter()
            .map(|m| (m.month.to_string(), m.deliverable.clone()))
            .collect(),
        members: b
            .members
            .iter()
            .map(|m| {
                (
                    m.organization_id.clone(),
                    m.name.clone(),
                    m.role.clone(),
                    m.share_percent.to_string(),
                )
            })
            .collect(),
        requested_wan: format::wan(b.requested_fiscal).replace(',', ""),
        own_wan: format::wan(b.own_funds).replace(',', ""),
        ..Default::default()
    }
}

/// The empty form for a new bid, offered when the challenge's `actions` include `bid`.
pub async fn new_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let auth = visitor.auth()?;
        let c = challenges::read_view(&state, Some(auth), id.into_inner()).await?;
        if !c
            .actions
            .as_ref()
            .is_some_and(|a| a.contains(&ChallengeAction::Bid))
        {
            return Err(ApiError::with(
                Code::Forbidden,
                "您的单位现在不能对该榜单揭榜（可能已截止、已有申报、未认证或为本单位榜单）/ your organisation cannot bid on this challenge now",
            ));
        }
        let t = Typed {
            kpis: c
                .kpis
                .iter()
                .map(|k| (k.id.clone(), String::new()))
                .collect(),
            ..Default::default()
        };
        let action = format!("/challenges/{}/bid", c.id);
        Ok(form_page(
            &visitor,
            &c,
            action,
            &t,
            FormErrors::default(),
            Vec::new(),
            false,
        ))
    };
    match r.await {
        Ok(page) => render(&visitor, StatusCode::OK, &page),
        Err(e) => error_page(&visitor, e),
    }
}

/// The form of a draft, offered when the bid's `actions` include `edit`.
pub async fn edit_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let auth = visitor.auth()?;
        let b = bids::read_view(&state, Some(auth.clone()), id.into_inner()).await?;
        if !b
            .actions
            .as_ref()
            .is_some_and(|a| a.contains(&BidActionName::Edit))
        {
            return Err(ApiError::with(
                Code::BidNotDraft,
                "只有截止前的草稿可以修改 / only a draft may be changed, before the deadline",
            ));
        }
        let c = challenges::read_view(&state, Some(auth), b.challenge_id.clone()).await?;
        let t = typed_from_view(&b, &c);
        Ok(form_page(
            &visitor,
            &c,
            format!("/bids/{}/edit", b.id),
            &t,
            FormErrors::default(),
            Vec::new(),
            false,
        ))
    };
    match r.await {
        Ok(page) => render(&visitor, StatusCode::OK, &page),
        Err(e) => error_page(&visitor, e),
    }
}

enum Target {
    New(String),
    Existing(String),
}

async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    target: Target,
    pairs: Vec<(String, String)>,
) -> HttpResponse {
    let r: ApiResult<HttpResponse> = async {
        let auth = visitor.auth()?;
        let (challenge_id, action) = match &target {
            Target::New(cid) => (cid.clone(), format!("/challenges/{cid}/bid")),
            Target::Existing(bid) => {
                let b = bids::read_view(&state, Some(auth.clone()), bid.clone()).await?;
                (b.challenge_id, format!("/bids/{bid}/edit"))
            }
        };
        let c = challenges::read_view(&state, Some(auth.clone()), challenge_id).await?;
        let mut t = parse(pairs, &c);
        session::check_form(&req, &visitor, &t.csrf)?;
        if let Some((candidates, searched)) = edit_step(&state, &visitor, &mut t).await? {
            let page = form_page(
                &visitor,
                &c,
                action,
                &t,
                FormErrors::default(),
                candidates,
                searched,
            );
            return Ok(render(&visitor, StatusCode::OK, &page));
        }
        let request_id = audit::request_id(&req);
        let refused = |t: &Typed, errors: FormErrors| {
            let page = form_page(&visitor, &c, action.clone(), t, errors, Vec::new(), false);
            Ok(render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page))
        };
        let body = match to_request(&t) {
            Ok(b) => b,
            Err(errors) => return refused(&t, errors),
        };
        let saved = match &target {
            Target::New(cid) => {
                create_bid(&state, auth.clone(), request_id.clone(), cid.clone(), body).await
            }
            Target::Existing(bid) => {
                let update = UpdateBidRequest {
                    version: t.version.unwrap_or_default(),
                    members: Some(body.members),
                    chief_scientist: body.chief_scientist,
                    approach: Some(body.approach),
                    kpi_answers: Some(body.kpi_answers),
                    milestones: Some(body.milestones),
                    requested_fiscal: Some(body.requested_fiscal),
                    own_funds: Some(body.own_funds),
                };
                update_bid(
                    &state,
                    auth.clone(),
                    request_id.clone(),
                    bid.clone(),
                    update,
                )
                .await
            }
        };
        let saved = match saved {
            Ok(v) => v,
            Err(e) if matches!(e.0.code.status(), 409 | 422) => {
                return refused(&t, FormErrors::from_api(e))
            }
            Err(e) => return Err(e),
        };
        if t.intent != "submit" {
            return Ok(see_other(
                &visitor,
                &format!("/bids/{}?done=save", saved.id),
            ));
        }
        let actor = Actor::user(&auth, request_id);
        let ctx = state.ctx.clone();
        let caller = auth.0.clone();
        let id = saved.id.clone();
        let submitted = state
            .write_touching(jiebang_db::changes::Touches::PUBLIC, move |conn| {
                Ok(jiebang_application::bids::submit(
                    conn, &ctx, &caller, &actor, &id,
                )?)
            })
            .await;
        match submitted {
            Ok(_) => Ok(see_other(
                &visitor,
                &format!("/bids/{}?done=submit", saved.id),
            )),
            Err(e) if matches!(e.0.code.status(), 409 | 422) => {
                // saved as a draft, not handed in: the form again, on the draft, with the reasons
                let mut t = t.clone();
                t.version = Some(saved.version);
                let page = form_page(
                    &visitor,
                    &c,
                    format!("/bids/{}/edit", saved.id),
                    &t,
                    FormErrors::from_api(e),
                    Vec::new(),
                    false,
                );
                Ok(render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Err(e),
        }
    }
    .await;
    respond(&visitor, r)
}

/// `POST /challenges/{id}/bid`: a new bid (or a step of its form).
pub async fn create(
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
        Target::New(id.into_inner()),
        form.into_inner(),
    )
    .await
}

/// `POST /bids/{id}/edit`: the draft changed (or a step of its form).
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
        Target::Existing(id.into_inner()),
        form.into_inner(),
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn wan_to_yuan() {
        assert_eq!(super::yuan("150"), Some(1_500_000));
        assert_eq!(super::yuan("12.5"), Some(125_000));
        assert_eq!(super::yuan("0.0001"), Some(1));
        assert_eq!(super::yuan(""), Some(0));
        for bad in ["-1", "1.23456", "abc", "1,000", ".5"] {
            assert_eq!(super::yuan(bad), None, "{bad}");
        }
    }
}

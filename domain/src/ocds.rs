//! The OCDS export (开放合同数据标准): Jiebang's challenges as an Open Contracting Data Standard
//! 1.1.5 release package, for officials (`GET /api/v1/exports/ocds`).
//!
//! One release per challenge, a snapshot of everything known about it:
//! the challenge (榜单) is the `tender`, each decided bid (揭榜申报) an `award`, each agreement
//! (协议/任务书) a `contract` whose `implementation` carries its milestones and payments.
//! Jiebang's states are mapped onto the OCDS codelists by the `*_status` functions below.
//! The output is checked against the schema in `domain/data/ocds-1.1.5/` by this module's tests.
//!
//! Identifiers:
//! - `ocid` is `{ocid_prefix}-{challenge id}`. OCDS ocids start with a prefix registered with the
//!   Open Contracting Partnership (`ocds-` plus six characters); until Jiebang has one,
//!   [`DEFAULT_OCID_PREFIX`] stands in and must be replaced by the registered prefix.
//! - a release `id` is `{challenge id}-{release date, compact UTC}`: it changes whenever the
//!   challenge's information does, and stays the same between two exports of unchanged data.
//! - organisations are identified by their unified social credit code (统一社会信用代码) under the
//!   `CN-USCC` scheme; `address.region` holds the GB/T 2260 division code (行政区划代码).
//!
//! Amounts are yuan, as numbers, in `CNY`; dates are RFC 3339 in UTC. Text stays as entered.
//! The schema requires at least one release: a package built from no records is not valid OCDS.

use chrono::{DateTime, Months, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

/// The stand-in ocid prefix; replace it with the prefix registered for the programme.
pub const DEFAULT_OCID_PREFIX: &str = "ocds-jiebang";
/// The schema version declared by the package (`major.minor` of 1.1.5).
pub const OCDS_VERSION: &str = "1.1";
pub const CURRENCY: &str = "CNY";
pub const LANGUAGE: &str = "zh";
/// Organisation identifier scheme: China's unified social credit code.
pub const IDENTIFIER_SCHEME: &str = "CN-USCC";
/// Item classification scheme of the programme's industries (产业领域), e.g. 种业, 新能源.
pub const INDUSTRY_SCHEME: &str = "CN-JIEBANG-INDUSTRY";
/// The science department (科技厅), which provides the fiscal money: party id and name.
pub const FUNDER_ID: &str = "kjt";
pub const FUNDER_NAME: &str = "内蒙古自治区科学技术厅";
/// Payment source of fiscal money (财政资金); the other is `enterprise` (企业出资).
pub const SOURCE_FISCAL: &str = "fiscal";

/// An organisation taking part: publisher (发榜方), bidder (揭榜方) or payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub name: String,
    /// 统一社会信用代码; empty when unknown (then no `identifier` is written).
    pub credit_code: String,
    /// GB/T 2260 code; empty when unknown (then no `address` is written).
    pub region_code: String,
    /// `enterprise` | `university` | `institute` | `government` | `other` (not exported: OCDS
    /// core has no field for it).
    pub kind: String,
}

/// The publisher of a challenge is a [`Party`].
pub type Publisher = Party;

/// A challenge (榜单) with what the export needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    pub id: String,
    pub title: String,
    pub problem: String,
    /// Jiebang status: `draft` | `pending_review` | `published` | `evaluating` | `awarded` |
    /// `contracted` | `completed` | `cancelled` | `unsuccessful`.
    pub status: String,
    /// `open` (揭榜挂帅) | `directed` (定向委托).
    pub mode: String,
    /// 产业领域
    pub industry: String,
    /// 企业出资, yuan
    pub enterprise_funds: i64,
    /// 财政支持, yuan
    pub fiscal_support: i64,
    pub max_winners: i64,
    pub bidding_deadline: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// When bidding closed (the challenge went to evaluation).
    pub closed_at: Option<DateTime<Utc>>,
    pub publisher: Publisher,
    /// Bids handed in (the public count).
    pub bid_count: i64,
    /// KPIs as (name, target, unit).
    pub kpis: Vec<(String, String, String)>,
}

/// A decided bid: an award, made (`awarded`) or not (`not_awarded`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardRecord {
    pub bid_id: String,
    /// The lead bidder (牵头单位).
    pub supplier: Party,
    /// The bid's consortium members (联合体成员): suppliers beside the lead.
    pub members: Vec<Party>,
    /// Jiebang bid status; only `awarded`, `not_awarded` and `ineligible` bids are exported,
    /// see [`award_status`].
    pub bid_status: String,
    /// Requested fiscal support plus the bidder's own funds, yuan.
    pub value: i64,
    /// When the award was decided (立项).
    pub date: Option<DateTime<Utc>>,
}

/// An agreement (协议/任务书).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRecord {
    pub agreement_id: String,
    /// The winning bid, i.e. the award's id.
    pub bid_id: String,
    /// Jiebang agreement status: `drafted` | `partially_signed` | `signed` | `registered` |
    /// `completed` | `terminated`.
    pub status: String,
    pub fiscal_amount: i64,
    pub enterprise_amount: i64,
    /// When the last party signed.
    pub signed_at: Option<DateTime<Utc>>,
    /// When an official registered it (备案).
    pub registered_at: Option<DateTime<Utc>>,
    pub term_months: u32,
    pub milestones: Vec<MilestoneRecord>,
    pub payments: Vec<PaymentRecord>,
}

/// A milestone of an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRecord {
    pub id: String,
    pub seq: i64,
    pub deliverable: String,
    pub due_at: DateTime<Utc>,
    /// `scheduled` | `reported` | `met` | `not_met`
    pub status: String,
    /// When the publisher judged it met or not met.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A payment (a tranche of fiscal or enterprise money) recorded against a milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: String,
    pub milestone_id: String,
    /// `fiscal` (财政资金) | `enterprise` (企业出资)
    pub source: String,
    pub amount: i64,
    pub paid_at: DateTime<Utc>,
    pub payer: Party,
}

/// `tender.status` (tenderStatus codelist) of a challenge status: not yet published →
/// `planning`; open for bids or under evaluation → `active`; awarded and after → `complete`;
/// `cancelled` and `unsuccessful` as they are. `None` for an unknown status.
pub fn tender_status(challenge_status: &str) -> Option<&'static str> {
    Some(match challenge_status {
        "draft" | "pending_review" => "planning",
        "published" | "evaluating" => "active",
        "awarded" | "contracted" | "completed" => "complete",
        "cancelled" => "cancelled",
        "unsuccessful" => "unsuccessful",
        _ => return None,
    })
}

/// `tender.procurementMethod` (method codelist): `open` challenges are open to any eligible
/// bidder; `directed` (定向委托) ones are limited to the organisations the publisher invited.
pub fn procurement_method(mode: &str) -> Option<&'static str> {
    match mode {
        "open" => Some("open"),
        "directed" => Some("limited"),
        _ => None,
    }
}

/// `award.status` (awardStatus codelist) of a bid status: `awarded` → `active` (the award is
/// confirmed, 立项, and in force); `not_awarded` and `ineligible` → `unsuccessful` (an
/// unsuccessful award naming that supplier). Other bids (draft, submitted, withdrawn) are not
/// awards and are left out of the export: `None`.
pub fn award_status(bid_status: &str) -> Option<&'static str> {
    match bid_status {
        "awarded" => Some("active"),
        "not_awarded" | "ineligible" => Some("unsuccessful"),
        _ => None,
    }
}

/// `contract.status` (contractStatus codelist) of an agreement status, following the codelist's
/// descriptions: not signed by every party yet → `pending`; signed by all (`signed`, and
/// `registered` after 备案) → `active`, "signed by all the parties and legally in force";
/// `completed` → `terminated`, "signed and in force, and has now come to a close"; `terminated`
/// → `terminated` if it had been signed, else `cancelled`, "cancelled prior to being signed".
pub fn contract_status(agreement_status: &str, was_signed: bool) -> Option<&'static str> {
    Some(match agreement_status {
        "drafted" | "partially_signed" => "pending",
        "signed" | "registered" => "active",
        "completed" => "terminated",
        "terminated" if was_signed => "terminated",
        "terminated" => "cancelled",
        _ => return None,
    })
}

/// `milestone.status` (milestoneStatus codelist): a `reported` milestone has not been judged
/// yet, so it is still `scheduled`; `not_met` → `notMet`.
pub fn milestone_status(status: &str) -> Option<&'static str> {
    match status {
        "scheduled" | "reported" => Some("scheduled"),
        "met" => Some("met"),
        "not_met" => Some("notMet"),
        _ => None,
    }
}

/// The ocid of a challenge.
pub fn ocid(ocid_prefix: &str, challenge_id: &str) -> String {
    format!("{ocid_prefix}-{challenge_id}")
}

/// Builds the release package: one release per record, in the order given. Challenge ids must
/// be unique. `published` is the package's `publishedDate`, and the release date of a record
/// that has no dated event yet (a draft).
pub fn release_package(
    publisher_name: &str,
    uri: &str,
    published: DateTime<Utc>,
    ocid_prefix: &str,
    records: &[(ChallengeRecord, Vec<AwardRecord>, Vec<ContractRecord>)],
) -> Value {
    let releases: Vec<Value> = records
        .iter()
        .map(|(challenge, awards, contracts)| {
            release(ocid_prefix, published, challenge, awards, contracts)
        })
        .collect();
    json!({
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": date(published),
        "publisher": { "name": publisher_name },
        "releases": releases,
    })
}

fn date(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn money(amount: i64) -> Value {
    json!({ "amount": amount, "currency": CURRENCY })
}

fn org_ref(p: &Party) -> Value {
    json!({ "id": p.id, "name": p.name })
}

/// The parties of a release, one entry per organisation id, roles merged in order.
#[derive(Default)]
struct Parties(Vec<(String, Value, Vec<&'static str>)>);

impl Parties {
    fn add(&mut self, p: &Party, roles: &[&'static str]) {
        let mut org = Map::new();
        org.insert("id".into(), p.id.clone().into());
        org.insert("name".into(), p.name.clone().into());
        if !p.credit_code.is_empty() {
            org.insert(
                "identifier".into(),
                json!({ "scheme": IDENTIFIER_SCHEME, "id": p.credit_code, "legalName": p.name }),
            );
        }
        if !p.region_code.is_empty() {
            org.insert(
                "address".into(),
                json!({ "region": p.region_code, "countryName": "中国" }),
            );
        }
        self.add_org(&p.id, Value::Object(org), roles);
    }

    /// Adds an organisation, or merges roles and any fields it lacked into the known one.
    fn add_org(&mut self, id: &str, org: Value, roles: &[&'static str]) {
        let i = match self.0.iter().position(|(known, _, _)| known == id) {
            Some(i) => {
                if let (Value::Object(known), Value::Object(new)) = (&mut self.0[i].1, org) {
                    for (k, v) in new {
                        known.entry(k).or_insert(v);
                    }
                }
                i
            }
            None => {
                self.0.push((id.to_owned(), org, Vec::new()));
                self.0.len() - 1
            }
        };
        let have = &mut self.0[i].2;
        for role in roles {
            if !have.contains(role) {
                have.push(role);
            }
        }
    }

    fn has_role(&self, role: &str) -> bool {
        self.0.iter().any(|(_, _, roles)| roles.contains(&role))
    }

    fn add_funder(&mut self) {
        let org = json!({ "id": FUNDER_ID, "name": FUNDER_NAME });
        self.add_org(FUNDER_ID, org, &["funder"]);
    }

    fn into_json(self) -> Value {
        Value::Array(
            self.0
                .into_iter()
                .map(|(_, mut org, roles)| {
                    org["roles"] = json!(roles);
                    org
                })
                .collect(),
        )
    }
}

fn release(
    ocid_prefix: &str,
    published: DateTime<Utc>,
    c: &ChallengeRecord,
    awards: &[AwardRecord],
    contracts: &[ContractRecord],
) -> Value {
    let mut parties = Parties::default();
    parties.add(&c.publisher, &["buyer", "procuringEntity"]);

    // The latest dated event is the release date.
    let mut events: Vec<DateTime<Utc>> = c.published_at.into_iter().chain(c.closed_at).collect();

    let tender_status = tender_status(&c.status);
    let mut tender = Map::new();
    tender.insert("id".into(), c.id.clone().into());
    tender.insert("title".into(), c.title.clone().into());
    tender.insert("description".into(), c.problem.clone().into());
    if let Some(s) = tender_status {
        tender.insert("status".into(), s.into());
    }
    tender.insert("procuringEntity".into(), org_ref(&c.publisher));
    tender.insert("items".into(), items(c));
    tender.insert("value".into(), money(c.enterprise_funds + c.fiscal_support));
    if let Some(m) = procurement_method(&c.mode) {
        tender.insert("procurementMethod".into(), m.into());
    }
    tender.insert(
        "procurementMethodDetails".into(),
        match c.mode.as_str() {
            "directed" => "揭榜挂帅（定向委托）",
            _ => "揭榜挂帅",
        }
        .into(),
    );
    tender.insert("mainProcurementCategory".into(), "services".into());
    tender.insert("awardCriteria".into(), "ratedCriteria".into());
    tender.insert(
        "awardCriteriaDetails".into(),
        format!(
            "专家按评分细则评审排名，发榜方择优选定、科技厅确认立项，揭榜方不超过 {} 家",
            c.max_winners
        )
        .into(),
    );
    tender.insert("submissionMethod".into(), json!(["electronicSubmission"]));
    let mut tender_period = Map::new();
    if let Some(p) = c.published_at {
        tender_period.insert("startDate".into(), date(p).into());
    }
    tender_period.insert("endDate".into(), date(c.bidding_deadline).into());
    tender.insert("tenderPeriod".into(), Value::Object(tender_period));
    if tender_status.is_some_and(|s| s != "planning") {
        tender.insert("numberOfTenderers".into(), c.bid_count.into());
    }

    let mut award_list = Vec::new();
    let mut last_award: Option<DateTime<Utc>> = None;
    for a in awards {
        let Some(status) = award_status(&a.bid_status) else {
            continue;
        };
        let supplier_roles: &[&'static str] = if status == "active" {
            &["tenderer", "supplier"]
        } else {
            &["tenderer"]
        };
        parties.add(&a.supplier, supplier_roles);
        for m in &a.members {
            parties.add(m, supplier_roles);
        }
        let mut award = Map::new();
        award.insert("id".into(), a.bid_id.clone().into());
        award.insert(
            "title".into(),
            format!("{}：{}", c.title, a.supplier.name).into(),
        );
        award.insert("status".into(), status.into());
        if let Some(d) = a.date {
            award.insert("date".into(), date(d).into());
            events.push(d);
            last_award = last_award.max(Some(d));
        }
        award.insert("value".into(), money(a.value));
        award.insert(
            "suppliers".into(),
            std::iter::once(&a.supplier)
                .chain(&a.members)
                .map(org_ref)
                .collect::<Vec<_>>()
                .into(),
        );
        award_list.push(Value::Object(award));
    }
    if c.closed_at.is_some() || last_award.is_some() {
        let mut period = Map::new();
        if let Some(d) = c.closed_at {
            period.insert("startDate".into(), date(d).into());
        }
        if let Some(d) = last_award {
            period.insert("endDate".into(), date(d).into());
        }
        tender.insert("awardPeriod".into(), Value::Object(period));
    }

    let mut contract_list = Vec::new();
    let mut implemented = false;
    let mut terminated = false;
    for k in contracts {
        let status = contract_status(&k.status, k.signed_at.is_some());
        let supplier = awards
            .iter()
            .find(|a| a.bid_id == k.bid_id)
            .map(|a| &a.supplier);
        let mut contract = Map::new();
        contract.insert("id".into(), k.agreement_id.clone().into());
        contract.insert("awardID".into(), k.bid_id.clone().into());
        contract.insert("title".into(), format!("{} 任务书", c.title).into());
        if let Some(s) = status {
            contract.insert("status".into(), s.into());
        }
        if let Some(signed) = k.signed_at {
            let mut period = Map::new();
            period.insert("startDate".into(), date(signed).into());
            if let Some(end) = signed.checked_add_months(Months::new(k.term_months)) {
                period.insert("endDate".into(), date(end).into());
            }
            contract.insert("period".into(), Value::Object(period));
        }
        contract.insert("value".into(), money(k.fiscal_amount + k.enterprise_amount));
        if let Some(signed) = k.signed_at {
            contract.insert("dateSigned".into(), date(signed).into());
        }
        events.extend(k.signed_at);
        events.extend(k.registered_at);

        let mut milestones: Vec<&MilestoneRecord> = k.milestones.iter().collect();
        milestones.sort_by_key(|m| m.seq);
        let milestones: Vec<Value> = milestones
            .into_iter()
            .map(|m| {
                let status = milestone_status(&m.status);
                let mut ms = Map::new();
                ms.insert("id".into(), m.id.clone().into());
                ms.insert("title".into(), m.deliverable.clone().into());
                ms.insert("type".into(), "delivery".into());
                if let Some(s) = status {
                    ms.insert("status".into(), s.into());
                }
                ms.insert("dueDate".into(), date(m.due_at).into());
                if let Some(d) = m.confirmed_at {
                    if status == Some("met") {
                        ms.insert("dateMet".into(), date(d).into());
                    }
                    ms.insert("dateModified".into(), date(d).into());
                    events.push(d);
                }
                Value::Object(ms)
            })
            .collect();

        let transactions: Vec<Value> = k
            .payments
            .iter()
            .map(|p| {
                let roles: &[&'static str] = if p.source == SOURCE_FISCAL {
                    &["payer", "funder"]
                } else {
                    &["payer"]
                };
                parties.add(&p.payer, roles);
                events.push(p.paid_at);
                let mut t = Map::new();
                t.insert("id".into(), p.id.clone().into());
                t.insert("date".into(), date(p.paid_at).into());
                t.insert("value".into(), money(p.amount));
                t.insert("payer".into(), org_ref(&p.payer));
                if let Some(s) = supplier {
                    t.insert("payee".into(), org_ref(s));
                }
                Value::Object(t)
            })
            .collect();
        if let (Some(s), false) = (supplier, transactions.is_empty()) {
            parties.add(s, &["payee"]);
        }

        let in_force_or_closed = matches!(status, Some("active" | "terminated"));
        implemented |= in_force_or_closed && (!milestones.is_empty() || !transactions.is_empty());
        terminated |= status == Some("terminated");
        contract.insert(
            "implementation".into(),
            json!({ "milestones": milestones, "transactions": transactions }),
        );
        contract_list.push(Value::Object(contract));
    }

    let mut tag = vec![if tender_status == Some("planning") {
        "planning"
    } else {
        "tender"
    }];
    if !award_list.is_empty() {
        tag.push("award");
    }
    if !contract_list.is_empty() {
        tag.push("contract");
    }
    if implemented {
        tag.push("implementation");
    }
    if terminated {
        tag.push("contractTermination");
    }

    // Fiscal money comes from the science department: named as the funder even before it pays
    // (when it has paid, the payer of the fiscal payments is the funder already).
    if c.fiscal_support > 0 && !parties.has_role("funder") {
        parties.add_funder();
    }

    let release_date = events.into_iter().max().unwrap_or(published);
    let mut r = Map::new();
    r.insert("ocid".into(), ocid(ocid_prefix, &c.id).into());
    r.insert(
        "id".into(),
        format!("{}-{}", c.id, release_date.format("%Y%m%dT%H%M%SZ")).into(),
    );
    r.insert("date".into(), date(release_date).into());
    r.insert("tag".into(), json!(tag));
    r.insert("initiationType".into(), "tender".into());
    r.insert("language".into(), LANGUAGE.into());
    r.insert("parties".into(), parties.into_json());
    r.insert("buyer".into(), org_ref(&c.publisher));
    r.insert("tender".into(), Value::Object(tender));
    if !award_list.is_empty() {
        r.insert("awards".into(), Value::Array(award_list));
    }
    if !contract_list.is_empty() {
        r.insert("contracts".into(), Value::Array(contract_list));
    }
    Value::Object(r)
}

/// The tender's items: one per KPI (the deliverables sought), classified by the industry; a
/// challenge without KPIs has one item, the challenge itself.
fn items(c: &ChallengeRecord) -> Value {
    let classification = json!({
        "scheme": INDUSTRY_SCHEME,
        "id": c.industry,
        "description": c.industry,
    });
    if c.kpis.is_empty() {
        return json!([{ "id": "1", "description": c.title, "classification": classification }]);
    }
    Value::Array(
        c.kpis
            .iter()
            .enumerate()
            .map(|(i, (name, target, unit))| {
                let mut item = Map::new();
                item.insert("id".into(), (i + 1).to_string().into());
                item.insert(
                    "description".into(),
                    format!("{name}：{target}{unit}").into(),
                );
                item.insert("classification".into(), classification.clone());
                if let Ok(q) = target.trim().parse::<f64>() {
                    if q.is_finite() {
                        item.insert("quantity".into(), q.into());
                    }
                }
                if !unit.is_empty() {
                    item.insert("unit".into(), json!({ "name": unit }));
                }
                Value::Object(item)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::PathBuf;
    use std::process::Command;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("test timestamp")
    }

    fn party(id: &str, name: &str, credit_code: &str, region_code: &str, kind: &str) -> Party {
        Party {
            id: id.into(),
            name: name.into(),
            credit_code: credit_code.into(),
            region_code: region_code.into(),
            kind: kind.into(),
        }
    }

    fn publisher() -> Party {
        party(
            "org-pub",
            "内蒙古草原乳业集团有限公司",
            "91150100MA0N2XK41A",
            "150100",
            "enterprise",
        )
    }

    fn university() -> Party {
        party(
            "org-imu",
            "内蒙古大学",
            "12150000460020445X",
            "150100",
            "university",
        )
    }

    fn institute() -> Party {
        party(
            "org-ins",
            "包头稀土研究院",
            "12150200460081234B",
            "150200",
            "institute",
        )
    }

    fn firm() -> Party {
        party(
            "org-firm",
            "鄂尔多斯新能源科技有限公司",
            "91150600MA0Q8R7T3C",
            "150600",
            "enterprise",
        )
    }

    fn science_department() -> Party {
        party(
            FUNDER_ID,
            FUNDER_NAME,
            "11150000011584262W",
            "150000",
            "government",
        )
    }

    fn challenge(id: &str, status: &str) -> ChallengeRecord {
        ChallengeRecord {
            id: id.into(),
            title: "高产抗逆饲草品种选育".into(),
            problem: "选育适合干旱半干旱草原的高产抗逆饲草新品种，并建立示范基地。".into(),
            status: status.into(),
            mode: "open".into(),
            industry: "种业".into(),
            enterprise_funds: 2_000_000,
            fiscal_support: 3_000_000,
            max_winners: 2,
            bidding_deadline: t("2026-03-31T09:00:00Z"),
            published_at: Some(t("2026-02-01T02:00:00Z")),
            closed_at: Some(t("2026-03-31T09:00:00Z")),
            publisher: publisher(),
            bid_count: 3,
            kpis: vec![
                ("亩产干草".into(), "800".into(), "公斤".into()),
                ("抗旱等级".into(), "一级".into(), String::new()),
            ],
        }
    }

    fn award(bid_id: &str, supplier: Party, bid_status: &str) -> AwardRecord {
        AwardRecord {
            bid_id: bid_id.into(),
            supplier,
            members: vec![],
            bid_status: bid_status.into(),
            value: 4_500_000,
            date: Some(t("2026-04-20T06:30:00Z")),
        }
    }

    fn milestone(id: &str, seq: i64, status: &str, confirmed: Option<&str>) -> MilestoneRecord {
        MilestoneRecord {
            id: id.into(),
            seq,
            deliverable: format!("第{seq}阶段：完成田间试验并提交报告"),
            due_at: t("2026-10-31T16:00:00Z") + chrono::Duration::days(180 * (seq - 1)),
            status: status.into(),
            confirmed_at: confirmed.map(t),
        }
    }

    fn payment(
        id: &str,
        milestone_id: &str,
        source: &str,
        payer: Party,
        at: &str,
    ) -> PaymentRecord {
        PaymentRecord {
            id: id.into(),
            milestone_id: milestone_id.into(),
            source: source.into(),
            amount: 1_000_000,
            paid_at: t(at),
            payer,
        }
    }

    fn contract(id: &str, bid_id: &str, status: &str, signed: bool) -> ContractRecord {
        ContractRecord {
            agreement_id: id.into(),
            bid_id: bid_id.into(),
            status: status.into(),
            fiscal_amount: 1_500_000,
            enterprise_amount: 1_000_000,
            signed_at: signed.then(|| t("2026-05-10T03:00:00Z")),
            registered_at: None,
            term_months: 24,
            milestones: vec![],
            payments: vec![],
        }
    }

    type Record = (ChallengeRecord, Vec<AwardRecord>, Vec<ContractRecord>);

    /// Every state the export maps: challenges in each lifecycle stage, awards made and not,
    /// agreements pending, in force, completed, terminated after and before signing, milestones
    /// met, reported, scheduled and not met, fiscal and enterprise payments.
    fn fixture() -> Vec<Record> {
        // contracted: two awards (one active, one unsuccessful), a registered agreement
        let mut registered = contract("ag-a1", "bid-a1", "registered", true);
        registered.registered_at = Some(t("2026-05-15T01:00:00Z"));
        registered.milestones = vec![
            milestone("ms-a3", 3, "scheduled", None),
            milestone("ms-a1", 1, "met", Some("2026-11-05T02:00:00Z")),
            milestone("ms-a2", 2, "reported", None),
        ];
        registered.payments = vec![
            payment(
                "pay-a1",
                "ms-a1",
                "fiscal",
                science_department(),
                "2026-11-20T02:00:00Z",
            ),
            payment(
                "pay-a2",
                "ms-a1",
                "enterprise",
                publisher(),
                "2026-11-21T02:00:00Z",
            ),
        ];
        let contracted = (
            challenge("c-contracted", "contracted"),
            vec![
                award("bid-a1", university(), "awarded"),
                award("bid-a2", firm(), "not_awarded"),
            ],
            vec![registered],
        );

        // completed (directed): one agreement completed, one terminated after signing (赛马淘汰)
        let mut done = challenge("c-completed", "completed");
        done.mode = "directed".into();
        done.industry = "新能源".into();
        let mut completed = contract("ag-b1", "bid-b1", "completed", true);
        completed.registered_at = Some(t("2026-05-15T01:00:00Z"));
        completed.milestones = vec![
            milestone("ms-b1", 1, "met", Some("2026-11-01T02:00:00Z")),
            milestone("ms-b2", 2, "met", Some("2027-05-01T02:00:00Z")),
        ];
        completed.payments = vec![payment(
            "pay-b1",
            "ms-b2",
            "fiscal",
            science_department(),
            "2027-05-10T02:00:00Z",
        )];
        let mut raced_out = contract("ag-b2", "bid-b2", "terminated", true);
        raced_out.milestones = vec![milestone(
            "ms-b3",
            1,
            "not_met",
            Some("2026-11-02T02:00:00Z"),
        )];
        let completed_challenge = (
            done,
            vec![
                award("bid-b1", institute(), "awarded"),
                award("bid-b2", university(), "awarded"),
                award("bid-b3", firm(), "ineligible"),
            ],
            vec![completed, raced_out],
        );

        // awarded: one agreement being signed, one terminated before anyone signed
        let awarded = (
            challenge("c-awarded", "awarded"),
            vec![
                award("bid-h1", institute(), "awarded"),
                award("bid-h2", firm(), "awarded"),
            ],
            vec![
                contract("ag-h1", "bid-h1", "partially_signed", false),
                contract("ag-h2", "bid-h2", "terminated", false),
            ],
        );

        let mut cancelled = challenge("c-cancelled", "cancelled");
        cancelled.closed_at = None;
        cancelled.bid_count = 1;

        let mut unsuccessful = challenge("c-unsuccessful", "unsuccessful");
        unsuccessful.bid_count = 2;
        let unsuccessful_awards = vec![
            award("bid-u1", firm(), "not_awarded"),
            award("bid-u2", university(), "ineligible"),
            // withdrawn and draft bids are no awards
            award("bid-u3", institute(), "withdrawn"),
        ];

        let mut evaluating = challenge("c-evaluating", "evaluating");
        evaluating.mode = "directed".into();

        let mut published = challenge("c-published", "published");
        published.closed_at = None;
        published.bid_count = 0;
        published.fiscal_support = 0;

        let mut draft = challenge("c-draft", "draft");
        draft.published_at = None;
        draft.closed_at = None;
        draft.bid_count = 0;
        draft.kpis = vec![];

        let mut in_review = challenge("c-review", "pending_review");
        in_review.published_at = None;
        in_review.closed_at = None;
        in_review.bid_count = 0;

        vec![
            contracted,
            completed_challenge,
            awarded,
            (cancelled, vec![], vec![]),
            (unsuccessful, unsuccessful_awards, vec![]),
            (evaluating, vec![], vec![]),
            (published, vec![], vec![]),
            (draft, vec![], vec![]),
            (in_review, vec![], vec![]),
        ]
    }

    const PUBLISHED: &str = "2027-06-01T00:00:00Z";

    fn package() -> Value {
        release_package(
            "内蒙古自治区科学技术厅",
            "https://jiebang.example.cn/api/v1/exports/ocds",
            t(PUBLISHED),
            DEFAULT_OCID_PREFIX,
            &fixture(),
        )
    }

    fn release_of<'a>(package: &'a Value, challenge_id: &str) -> &'a Value {
        let ocid = ocid(DEFAULT_OCID_PREFIX, challenge_id);
        package["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ocid"] == ocid.as_str())
            .unwrap_or_else(|| panic!("no release for {challenge_id}"))
    }

    fn strs(v: &Value) -> Vec<&str> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect()
    }

    // ---- mappings ----

    #[test]
    fn challenge_states_map_to_tender_statuses() {
        let cases = [
            ("draft", "planning"),
            ("pending_review", "planning"),
            ("published", "active"),
            ("evaluating", "active"),
            ("awarded", "complete"),
            ("contracted", "complete"),
            ("completed", "complete"),
            ("cancelled", "cancelled"),
            ("unsuccessful", "unsuccessful"),
        ];
        for (jiebang, ocds) in cases {
            assert_eq!(tender_status(jiebang), Some(ocds), "{jiebang}");
        }
        assert_eq!(tender_status("closed"), None);
    }

    #[test]
    fn agreement_states_map_to_contract_statuses() {
        let cases = [
            ("drafted", false, "pending"),
            ("partially_signed", false, "pending"),
            ("signed", true, "active"),
            ("registered", true, "active"),
            ("completed", true, "terminated"),
            ("terminated", true, "terminated"),
            ("terminated", false, "cancelled"),
        ];
        for (jiebang, signed, ocds) in cases {
            assert_eq!(contract_status(jiebang, signed), Some(ocds), "{jiebang}");
        }
        assert_eq!(contract_status("void", true), None);
    }

    #[test]
    fn bid_milestone_and_mode_states_map_to_codelists() {
        assert_eq!(award_status("awarded"), Some("active"));
        assert_eq!(award_status("not_awarded"), Some("unsuccessful"));
        assert_eq!(award_status("ineligible"), Some("unsuccessful"));
        for not_an_award in ["draft", "submitted", "withdrawn", "lapsed", ""] {
            assert_eq!(award_status(not_an_award), None, "{not_an_award}");
        }
        assert_eq!(milestone_status("scheduled"), Some("scheduled"));
        assert_eq!(milestone_status("reported"), Some("scheduled"));
        assert_eq!(milestone_status("met"), Some("met"));
        assert_eq!(milestone_status("not_met"), Some("notMet"));
        assert_eq!(milestone_status("late"), None);
        assert_eq!(procurement_method("open"), Some("open"));
        assert_eq!(procurement_method("directed"), Some("limited"));
        assert_eq!(procurement_method("secret"), None);
    }

    // ---- package shape ----

    #[test]
    fn one_release_per_challenge_in_order_with_ocids() {
        let records = fixture();
        let p = package();
        let releases = p["releases"].as_array().unwrap();
        assert_eq!(releases.len(), records.len());
        for (r, (c, _, _)) in releases.iter().zip(&records) {
            assert_eq!(r["ocid"], format!("ocds-jiebang-{}", c.id));
            assert_eq!(r["tender"]["id"], c.id.as_str());
            assert_eq!(r["initiationType"], "tender");
            assert_eq!(r["language"], "zh");
            assert_eq!(r["buyer"]["id"], "org-pub");
        }
        assert_eq!(ocid("ocds-213czf", "abc"), "ocds-213czf-abc");
        let ids: HashSet<&str> = releases.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), releases.len(), "release ids are unique");
        assert!(ids.iter().all(|id| !id.contains('#')));
    }

    #[test]
    fn package_header_and_release_ids() {
        let p = package();
        assert_eq!(p["version"], "1.1");
        assert_eq!(p["publishedDate"], PUBLISHED);
        assert_eq!(p["publisher"]["name"], "内蒙古自治区科学技术厅");
        assert_eq!(p["uri"], "https://jiebang.example.cn/api/v1/exports/ocds");
        // the release date is the latest event; the id is stable for unchanged data
        let r = release_of(&p, "c-contracted");
        assert_eq!(r["date"], "2026-11-21T02:00:00Z");
        assert_eq!(r["id"], "c-contracted-20261121T020000Z");
        assert_eq!(package(), p);
        // a draft has no dated event: the package's date stands in
        assert_eq!(release_of(&p, "c-draft")["date"], PUBLISHED);
    }

    #[test]
    fn tags_follow_the_state() {
        let p = package();
        let tags = |id| strs(&release_of(&p, id)["tag"]);
        assert_eq!(tags("c-draft"), ["planning"]);
        assert_eq!(tags("c-review"), ["planning"]);
        assert_eq!(tags("c-published"), ["tender"]);
        assert_eq!(tags("c-evaluating"), ["tender"]);
        assert_eq!(tags("c-cancelled"), ["tender"]);
        assert_eq!(tags("c-unsuccessful"), ["tender", "award"]);
        assert_eq!(tags("c-awarded"), ["tender", "award", "contract"]);
        assert_eq!(
            tags("c-contracted"),
            ["tender", "award", "contract", "implementation"]
        );
        assert_eq!(
            tags("c-completed"),
            [
                "tender",
                "award",
                "contract",
                "implementation",
                "contractTermination"
            ]
        );
    }

    #[test]
    fn tender_awards_and_contracts_carry_the_mapped_values() {
        let p = package();
        let r = release_of(&p, "c-contracted");
        let tender = &r["tender"];
        assert_eq!(tender["status"], "complete");
        assert_eq!(
            tender["value"],
            json!({ "amount": 5_000_000, "currency": "CNY" })
        );
        assert_eq!(tender["procurementMethod"], "open");
        assert_eq!(tender["mainProcurementCategory"], "services");
        assert_eq!(tender["awardCriteria"], "ratedCriteria");
        assert_eq!(tender["numberOfTenderers"], 3);
        assert_eq!(tender["tenderPeriod"]["startDate"], "2026-02-01T02:00:00Z");
        assert_eq!(tender["tenderPeriod"]["endDate"], "2026-03-31T09:00:00Z");
        assert_eq!(tender["items"][0]["quantity"], 800.0);
        assert_eq!(tender["items"][0]["unit"]["name"], "公斤");
        assert_eq!(tender["items"][1]["description"], "抗旱等级：一级");
        assert_eq!(tender["items"][0]["classification"]["id"], "种业");

        let awards = r["awards"].as_array().unwrap();
        assert_eq!(
            strs(&json!(awards
                .iter()
                .map(|a| &a["status"])
                .collect::<Vec<_>>())),
            ["active", "unsuccessful"]
        );
        assert_eq!(awards[0]["suppliers"][0]["id"], "org-imu");

        let k = &r["contracts"][0];
        assert_eq!(k["awardID"], "bid-a1");
        assert_eq!(k["status"], "active");
        assert_eq!(k["value"]["amount"], 2_500_000);
        assert_eq!(k["dateSigned"], "2026-05-10T03:00:00Z");
        assert_eq!(k["period"]["endDate"], "2028-05-10T03:00:00Z");
        let ms = k["implementation"]["milestones"].as_array().unwrap();
        let ids: Vec<&str> = ms.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["ms-a1", "ms-a2", "ms-a3"], "in sequence order");
        assert_eq!(ms[0]["status"], "met");
        assert_eq!(ms[0]["dateMet"], "2026-11-05T02:00:00Z");
        assert_eq!(ms[1]["status"], "scheduled");
        assert!(ms[1].get("dateMet").is_none());
        let tx = k["implementation"]["transactions"].as_array().unwrap();
        assert_eq!(tx[0]["payer"]["id"], "kjt");
        assert_eq!(tx[1]["payer"]["id"], "org-pub");
        assert!(tx.iter().all(|t| t["payee"]["id"] == "org-imu"));

        let b = release_of(&p, "c-completed");
        assert_eq!(b["tender"]["procurementMethod"], "limited");
        let statuses: Vec<&Value> = b["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| &k["status"])
            .collect();
        assert_eq!(statuses, ["terminated", "terminated"]);
        assert_eq!(
            b["contracts"][1]["implementation"]["milestones"][0]["status"],
            "notMet"
        );
        let h = release_of(&p, "c-awarded");
        let statuses: Vec<&Value> = h["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| &k["status"])
            .collect();
        assert_eq!(statuses, ["pending", "cancelled"]);
        assert!(h["contracts"][0].get("dateSigned").is_none());

        let u = release_of(&p, "c-unsuccessful");
        assert_eq!(
            u["awards"].as_array().unwrap().len(),
            2,
            "the withdrawn bid is no award"
        );
        assert!(release_of(&p, "c-draft")["tender"]
            .get("numberOfTenderers")
            .is_none());
    }

    #[test]
    fn parties_are_unique_with_merged_roles() {
        let p = package();
        for r in p["releases"].as_array().unwrap() {
            let parties = r["parties"].as_array().unwrap();
            let ids: HashSet<&str> = parties.iter().map(|o| o["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), parties.len(), "{}", r["ocid"]);
        }
        let r = release_of(&p, "c-contracted");
        let roles = |id: &str| {
            let parties = r["parties"].as_array().unwrap();
            strs(&parties.iter().find(|o| o["id"] == id).unwrap()["roles"])
        };
        assert_eq!(roles("org-pub"), ["buyer", "procuringEntity", "payer"]);
        assert_eq!(roles("kjt"), ["payer", "funder"]);
        let kjt = r["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == "kjt")
            .unwrap();
        assert_eq!(
            kjt["identifier"]["id"], "11150000011584262W",
            "the payer's own record"
        );
        // fiscal money not paid yet: the science department is named as funder all the same
        let awarded = release_of(&p, "c-awarded");
        let funder: Vec<&Value> = awarded["parties"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["roles"] == json!(["funder"]))
            .collect();
        assert_eq!(
            funder,
            [&json!({ "id": "kjt", "name": FUNDER_NAME, "roles": ["funder"] })]
        );
        assert_eq!(roles("org-imu"), ["tenderer", "supplier", "payee"]);
        assert_eq!(roles("org-firm"), ["tenderer"]);
        let imu = r["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == "org-imu")
            .unwrap();
        assert_eq!(
            imu["identifier"],
            json!({ "scheme": "CN-USCC", "id": "12150000460020445X", "legalName": "内蒙古大学" })
        );
        assert_eq!(imu["address"]["region"], "150100");
        // no fiscal money, no funder
        let pubd = release_of(&p, "c-published");
        assert!(pubd["parties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["id"] != "kjt"));
    }

    // ---- the schema and its codelists ----

    /// The schema directory: `OCDS_SCHEMA_DIR` if set, else the crate's `data/ocds-1.1.5/`.
    fn schema_dir() -> PathBuf {
        std::env::var_os("OCDS_SCHEMA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/ocds-1.1.5"))
            })
    }

    /// The codes of a codelist CSV (its `Code` column).
    fn codelist(name: &str) -> HashSet<String> {
        let path = schema_dir().join("codelists").join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = header
            .iter()
            .position(|h| *h == "Code")
            .expect("Code column");
        lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').nth(column).unwrap().to_owned())
            .collect()
    }

    #[test]
    fn every_emitted_code_is_in_its_codelist() {
        let p = package();
        let mut emitted: Vec<(&str, &Value)> = Vec::new();
        for r in p["releases"].as_array().unwrap() {
            emitted.push(("initiationType.csv", &r["initiationType"]));
            emitted.extend(
                r["tag"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| ("releaseTag.csv", v)),
            );
            for o in r["parties"].as_array().unwrap() {
                emitted.extend(
                    o["roles"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| ("partyRole.csv", v)),
                );
            }
            let tender = &r["tender"];
            emitted.push(("tenderStatus.csv", &tender["status"]));
            emitted.push(("method.csv", &tender["procurementMethod"]));
            emitted.push(("awardCriteria.csv", &tender["awardCriteria"]));
            for a in r["awards"].as_array().into_iter().flatten() {
                emitted.push(("awardStatus.csv", &a["status"]));
            }
            for k in r["contracts"].as_array().into_iter().flatten() {
                emitted.push(("contractStatus.csv", &k["status"]));
                for m in k["implementation"]["milestones"].as_array().unwrap() {
                    emitted.push(("milestoneStatus.csv", &m["status"]));
                    emitted.push(("milestoneType.csv", &m["type"]));
                }
            }
        }
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for (list, v) in emitted {
            let code = v
                .as_str()
                .unwrap_or_else(|| panic!("{list}: {v} is not a code"));
            assert!(codelist(list).contains(code), "{code} is not in {list}");
            seen.insert((list, code));
        }
        // the fixture reaches every code the mappings can produce
        let mapped = ["draft", "published", "awarded", "cancelled", "unsuccessful"]
            .map(|s| ("tenderStatus.csv", tender_status(s).unwrap()));
        for code in mapped {
            assert!(seen.contains(&code), "{code:?} never emitted");
        }
        for code in ["pending", "active", "terminated", "cancelled"] {
            assert!(seen.contains(&("contractStatus.csv", code)), "{code}");
        }
        for code in ["active", "unsuccessful"] {
            assert!(seen.contains(&("awardStatus.csv", code)), "{code}");
        }
        for code in ["scheduled", "met", "notMet"] {
            assert!(seen.contains(&("milestoneStatus.csv", code)), "{code}");
        }
        for code in ["open", "limited"] {
            assert!(seen.contains(&("method.csv", code)), "{code}");
        }
    }

    /// The validator (`scripts/validate_ocds.py`, shared with the end-to-end tests).
    const VALIDATE_PY: &str = include_str!("../../scripts/validate_ocds.py");
    /// `Ok` when the package is valid, else the validator's errors. Panics when the validator
    /// cannot run: a missing validator must fail the test, not pass it.
    fn validate(package: &Value, name: &str) -> Result<(), String> {
        let schemas = schema_dir();
        let file =
            std::env::temp_dir().join(format!("jiebang-ocds-{name}-{}.json", std::process::id()));
        std::fs::write(&file, serde_json::to_vec_pretty(package).unwrap()).unwrap();
        let out = Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(VALIDATE_PY)
            .arg(schemas)
            .arg(&file)
            .output()
            .expect("run /usr/bin/python3");
        let _ = std::fs::remove_file(&file);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        match out.status.code() {
            Some(0) => Ok(()),
            Some(1) if !stdout.trim().is_empty() => Err(stdout),
            _ => panic!(
                "the validator did not run ({}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    #[test]
    fn package_is_valid_against_the_ocds_1_1_5_schema() {
        if let Err(errors) = validate(&package(), "valid") {
            panic!("the OCDS release package is invalid:\n{errors}");
        }
    }

    #[test]
    fn the_validator_rejects_an_invalid_package() {
        // each breakage alone must be caught, inside a release (through the $ref) and outside
        type Breakage = (&'static str, fn(&mut Value));
        let breakages: [Breakage; 5] = [
            ("tender-status", |p| {
                p["releases"][0]["tender"]["status"] = json!("open")
            }),
            ("amount", |p| {
                p["releases"][0]["awards"][0]["value"]["amount"] = json!("4500000")
            }),
            ("date", |p| {
                p["releases"][1]["date"] = json!("2026-11-21 02:00")
            }),
            ("tag", |p| p["releases"][2]["tag"] = json!(["signed"])),
            ("version", |p| p["version"] = json!("1.1.5")),
        ];
        for (name, break_it) in breakages {
            let mut p = package();
            break_it(&mut p);
            let errors = validate(&p, name).expect_err(name);
            assert_eq!(errors.lines().count(), 1, "{name}: {errors}");
        }
    }
}

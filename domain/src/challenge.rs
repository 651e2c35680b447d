//! Challenges (榜单): their terms, validation and state machine.

use crate::codes::FieldCode;
use crate::validation::{bounded_text, FieldError, Violations};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }

            /// The allowed values, for error messages.
            pub fn names() -> String {
                [$($s),+].join(", ")
            }
        }
    };
}

string_enum!(
    /// 榜单类型
    ChallengeKind {
        /// 技术攻关类
        TechBreakthrough = "tech_breakthrough",
        /// 成果转化类
        Transformation = "transformation",
    }
);

string_enum!(
    /// How bidders are admitted.
    Mode {
        /// 揭榜挂帅: anyone eligible may bid
        Open = "open",
        /// 定向委托: only the invited organisations
        Directed = "directed",
    }
);

string_enum!(
    /// Who owns the resulting intellectual property (知识产权归属).
    IpOwnership {
        Publisher = "publisher",
        Bidder = "bidder",
        Shared = "shared",
        Negotiable = "negotiable",
    }
);

string_enum!(
    /// The states of a challenge.
    ChallengeStatus {
        Draft = "draft",
        PendingReview = "pending_review",
        Published = "published",
        Evaluating = "evaluating",
        Awarded = "awarded",
        Contracted = "contracted",
        Completed = "completed",
        Cancelled = "cancelled",
        Unsuccessful = "unsuccessful",
    }
);

impl ChallengeStatus {
    /// States the public may see (a cancelled challenge only if it had been published).
    pub const PUBLIC: &'static [ChallengeStatus] = &[
        Self::Published,
        Self::Evaluating,
        Self::Awarded,
        Self::Contracted,
        Self::Completed,
        Self::Unsuccessful,
        Self::Cancelled,
    ];

    /// Whether the challenge may still be cancelled (any state before `awarded`).
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::PendingReview | Self::Published | Self::Evaluating
        )
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Unsuccessful)
    }
}

/// An action on a challenge, by its publisher, an official or the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Edit,
    Submit,
    Approve,
    Return,
    Amend,
    Extend,
    Cancel,
    /// The bidding deadline passed (scheduler).
    Close,
    /// No bid passed the formal check (or none was submitted).
    NoEligibleBid,
    /// An official confirmed the award (立项).
    Award,
    /// Every agreement is registered (备案).
    Contract,
    /// Every agreement is completed or terminated.
    Complete,
}

/// Why an action is refused in the current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongState {
    pub current: ChallengeStatus,
    /// The state(s) the action needs, for the error code: `challenge_not_<required>`.
    pub required: &'static str,
}

impl WrongState {
    /// The catalogue code `challenge_not_<required>`.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::parse(&format!("challenge_not_{}", self.required))
            .expect("every required state has a catalogue code (test: every_refusal_has_a_code)")
    }
}

/// The state machine: the state after `action` from `from`, or why not.
pub fn transition(from: ChallengeStatus, action: Action) -> Result<ChallengeStatus, WrongState> {
    use ChallengeStatus as S;
    let refuse = |required| {
        Err(WrongState {
            current: from,
            required,
        })
    };
    match action {
        Action::Edit => {
            if from == S::Draft {
                Ok(S::Draft)
            } else {
                refuse("draft")
            }
        }
        Action::Submit => {
            if from == S::Draft {
                Ok(S::PendingReview)
            } else {
                refuse("draft")
            }
        }
        Action::Approve => {
            if from == S::PendingReview {
                Ok(S::Published)
            } else {
                refuse("pending_review")
            }
        }
        Action::Return => {
            if from == S::PendingReview {
                Ok(S::Draft)
            } else {
                refuse("pending_review")
            }
        }
        Action::Amend | Action::Extend => {
            if from == S::Published {
                Ok(S::Published)
            } else {
                refuse("published")
            }
        }
        Action::Close => {
            if from == S::Published {
                Ok(S::Evaluating)
            } else {
                refuse("published")
            }
        }
        Action::Award => {
            if from == S::Evaluating {
                Ok(S::Awarded)
            } else {
                refuse("evaluating")
            }
        }
        Action::Contract => {
            if from == S::Awarded {
                Ok(S::Contracted)
            } else {
                refuse("awarded")
            }
        }
        Action::Complete => {
            if matches!(from, S::Awarded | S::Contracted) {
                Ok(S::Completed)
            } else {
                refuse("contracted")
            }
        }
        Action::NoEligibleBid => {
            if from == S::Evaluating {
                Ok(S::Unsuccessful)
            } else {
                refuse("evaluating")
            }
        }
        Action::Cancel => {
            if from.cancellable() {
                Ok(S::Cancelled)
            } else {
                refuse("cancellable")
            }
        }
    }
}

/// A key performance indicator (考核指标) a bid must answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpi {
    /// Stable id within the challenge (`kpi-1`, …), referenced by bids.
    pub id: String,
    pub name: String,
    pub target: String,
    pub unit: String,
}

/// Who may bid (揭榜条件).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// A consortium (创新联合体) of two or more organisations is required.
    pub consortium_required: bool,
    /// Largest consortium, lead included (default 5: lead + 4).
    pub max_members: u32,
    /// Minimum share of in-region members, in percent (0–100).
    pub min_in_region_percent: u32,
    /// A chief scientist (首席科学家) must be named.
    pub chief_scientist_required: bool,
}

impl Default for Eligibility {
    fn default() -> Self {
        Eligibility {
            consortium_required: false,
            max_members: 5,
            min_in_region_percent: 0,
            chief_scientist_required: false,
        }
    }
}

/// The contact person (联系人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// The platform's rules for challenges (configurable).
#[derive(Debug, Clone)]
pub struct Rules {
    /// Minimum enterprise : fiscal ratio, as (enterprise, fiscal): default 2:1.
    pub min_ratio: (i64, i64),
    /// Minimum time between publication and the bidding deadline.
    pub min_bidding_hours: i64,
    /// The industries (产业领域) a challenge may name.
    pub industries: Vec<String>,
}

/// The industries seeded from the programme: the seed article's 种业, 农牧业, 装备制造, 新能源,
/// 中医药(蒙医药), and the other fields of Inner Mongolia's 8 industrial clusters.
pub const DEFAULT_INDUSTRIES: &[&str] = &[
    "种业",
    "农牧业",
    "装备制造",
    "新能源",
    "中医药(蒙医药)",
    "新材料",
    "稀土",
    "现代煤化工",
    "冶金",
    "生物医药",
    "电子信息",
    "节能环保",
    "生态保护",
    "乳业",
    "数字经济",
    "其他",
];

impl Default for Rules {
    fn default() -> Self {
        Rules {
            min_ratio: (2, 1),
            min_bidding_hours: 72,
            industries: DEFAULT_INDUSTRIES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The terms of a challenge as the publisher wrote them (every field, validated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub title: String,
    pub kind: ChallengeKind,
    pub mode: Mode,
    pub industry: String,
    pub industry_chain: String,
    pub problem: String,
    pub kpis: Vec<Kpi>,
    pub expected_outcomes: String,
    pub duration_months: u32,
    pub enterprise_funds: i64,
    pub fiscal_support: i64,
    pub max_winners: u32,
    pub eligibility: Eligibility,
    pub ip_ownership: IpOwnership,
    pub bidding_deadline: DateTime<Utc>,
    pub questions_deadline: DateTime<Utc>,
    pub contact: Contact,
    /// For `directed` challenges: the invited organisations' ids.
    pub invited_organizations: Vec<String>,
}

/// Raw input of the terms, as strings and numbers from a request.
#[derive(Debug, Clone, Default)]
pub struct TermsInput {
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub industry: String,
    pub industry_chain: String,
    pub problem: String,
    pub kpis: Vec<(String, String, String)>,
    pub expected_outcomes: String,
    pub duration_months: i64,
    pub enterprise_funds: i64,
    pub fiscal_support: i64,
    pub max_winners: i64,
    pub consortium_required: bool,
    pub max_members: i64,
    pub min_in_region_percent: i64,
    pub chief_scientist_required: bool,
    pub ip_ownership: String,
    pub bidding_deadline: DateTime<Utc>,
    pub questions_deadline: DateTime<Utc>,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub invited_organizations: Vec<String>,
}

impl From<&Terms> for TermsInput {
    /// The input that validates back into `t`: the starting point of an edit, and what a
    /// submission re-checks against the clock.
    fn from(t: &Terms) -> TermsInput {
        TermsInput {
            title: t.title.clone(),
            kind: t.kind.as_str().to_owned(),
            mode: t.mode.as_str().to_owned(),
            industry: t.industry.clone(),
            industry_chain: t.industry_chain.clone(),
            problem: t.problem.clone(),
            kpis: t
                .kpis
                .iter()
                .map(|k| (k.name.clone(), k.target.clone(), k.unit.clone()))
                .collect(),
            expected_outcomes: t.expected_outcomes.clone(),
            duration_months: i64::from(t.duration_months),
            enterprise_funds: t.enterprise_funds,
            fiscal_support: t.fiscal_support,
            max_winners: i64::from(t.max_winners),
            consortium_required: t.eligibility.consortium_required,
            max_members: i64::from(t.eligibility.max_members),
            min_in_region_percent: i64::from(t.eligibility.min_in_region_percent),
            chief_scientist_required: t.eligibility.chief_scientist_required,
            ip_ownership: t.ip_ownership.as_str().to_owned(),
            bidding_deadline: t.bidding_deadline,
            questions_deadline: t.questions_deadline,
            contact_name: t.contact.name.clone(),
            contact_phone: t.contact.phone.clone(),
            contact_email: t.contact.email.clone(),
            invited_organizations: t.invited_organizations.clone(),
        }
    }
}

pub const MAX_KPIS: usize = 30;
/// Upper bound of one amount, in yuan (100 billion): far above any real challenge.
pub const MAX_YUAN: i64 = 100_000_000_000;

fn enum_field<T>(
    v: &mut Violations,
    field: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    names: String,
) -> Option<T> {
    let parsed = parse(value.trim());
    if parsed.is_none() {
        v.push(
            field,
            FieldCode::InvalidValue,
            format!("取值应为 {names} 之一 / must be one of {names}"),
        );
    }
    parsed
}

fn range(v: &mut Violations, field: &str, value: i64, min: i64, max: i64) -> Option<i64> {
    if value < min || value > max {
        v.push(
            field,
            FieldCode::OutOfRange,
            format!("应在 {min} 到 {max} 之间 / must be between {min} and {max}"),
        );
        None
    } else {
        Some(value)
    }
}

fn phone(value: &str) -> Result<String, FieldError> {
    let p = bounded_text(value, 5, 30)?;
    if p.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c)) {
        Ok(p)
    } else {
        Err(FieldError::new(
            "",
            FieldCode::InvalidPhone,
            "电话号码格式不正确 / not a valid phone number",
        ))
    }
}

/// Validates every field and the rules between them. `now` is the time of the edit: a deadline
/// that is set or changed must leave at least the minimum bidding window from now. When
/// `previous` terms are given (an edit), unchanged deadlines are not checked against the clock
/// again (the approval checks the window at publication).
pub fn validate(
    input: &TermsInput,
    rules: &Rules,
    now: DateTime<Utc>,
    previous: Option<&Terms>,
) -> Result<Terms, Violations> {
    let mut v = Violations::new();
    let title = v.take("title", bounded_text(&input.title, 5, 200));
    let kind = enum_field(
        &mut v,
        "kind",
        &input.kind,
        ChallengeKind::parse,
        ChallengeKind::names(),
    );
    let mode = enum_field(&mut v, "mode", &input.mode, Mode::parse, Mode::names());
    let industry = input.industry.trim().to_owned();
    if !rules.industries.contains(&industry) {
        v.push(
            "industry",
            FieldCode::UnknownIndustry,
            format!(
                "产业领域应为 {} 之一 / industry must be one of the configured list",
                rules.industries.join("、")
            ),
        );
    }
    let industry_chain = v.take(
        "industry_chain",
        bounded_text(&input.industry_chain, 0, 100),
    );
    let problem = v.take("problem", bounded_text(&input.problem, 20, 5000));
    let expected_outcomes = v.take(
        "expected_outcomes",
        bounded_text(&input.expected_outcomes, 0, 3000),
    );
    if input.kpis.is_empty() {
        v.push(
            "kpis",
            FieldCode::Required,
            "至少需要一项考核指标 / at least one KPI is required",
        );
    } else if input.kpis.len() > MAX_KPIS {
        v.push(
            "kpis",
            FieldCode::TooMany,
            format!("考核指标最多 {MAX_KPIS} 项 / at most {MAX_KPIS} KPIs"),
        );
    }
    let mut kpis = Vec::new();
    for (i, (name, target, unit)) in input.kpis.iter().enumerate() {
        let n = v.take(&format!("kpis[{i}].name"), bounded_text(name, 1, 100));
        let t = v.take(&format!("kpis[{i}].target"), bounded_text(target, 1, 200));
        let u = v.take(&format!("kpis[{i}].unit"), bounded_text(unit, 0, 30));
        if let (Some(name), Some(target), Some(unit)) = (n, t, u) {
            if kpis.iter().any(|k: &Kpi| k.name == name) {
                v.push(
                    format!("kpis[{i}].name"),
                    FieldCode::Duplicate,
                    "考核指标名称重复 / duplicate KPI name",
                );
            }
            kpis.push(Kpi {
                id: format!("kpi-{}", i + 1),
                name,
                target,
                unit,
            });
        }
    }
    let duration = range(&mut v, "duration_months", input.duration_months, 1, 120);
    let enterprise = range(
        &mut v,
        "enterprise_funds",
        input.enterprise_funds,
        0,
        MAX_YUAN,
    );
    let fiscal = range(&mut v, "fiscal_support", input.fiscal_support, 0, MAX_YUAN);
    if let (Some(e), Some(f)) = (enterprise, fiscal) {
        let (re, rf) = rules.min_ratio;
        if e * rf < f * re {
            v.push(
                "enterprise_funds",
                FieldCode::FundingRatioTooLow,
                format!("企业出资与财政资金之比不得低于 {re}:{rf} / enterprise funds must be at least {re}:{rf} of the fiscal support"),
            );
        }
        if e + f == 0 {
            v.push(
                "enterprise_funds",
                FieldCode::Required,
                "须填写出资金额 / the funding must not be zero",
            );
        }
    }
    let max_winners = range(&mut v, "max_winners", input.max_winners, 1, 10);
    let max_members = range(&mut v, "eligibility.max_members", input.max_members, 1, 50);
    let min_in_region = range(
        &mut v,
        "eligibility.min_in_region_percent",
        input.min_in_region_percent,
        0,
        100,
    );
    if input.consortium_required && max_members.is_some_and(|m| m < 2) {
        v.push(
            "eligibility.max_members",
            FieldCode::OutOfRange,
            "要求联合体时成员上限至少为 2 / a consortium needs room for two members",
        );
    }
    let ip = enum_field(
        &mut v,
        "ip_ownership",
        &input.ip_ownership,
        IpOwnership::parse,
        IpOwnership::names(),
    );
    let window = Duration::hours(rules.min_bidding_hours);
    let bidding_changed =
        previous.is_none_or(|p| p.bidding_deadline != to_second(input.bidding_deadline));
    let questions_changed =
        previous.is_none_or(|p| p.questions_deadline != to_second(input.questions_deadline));
    if bidding_changed && (input.bidding_deadline <= now || input.bidding_deadline < now + window) {
        v.push(
            "bidding_deadline",
            FieldCode::DeadlineTooSoon,
            format!("揭榜截止时间须晚于当前时间至少 {} 小时 / the bidding deadline must be at least {} hours from now", rules.min_bidding_hours, rules.min_bidding_hours),
        );
    }
    if questions_changed && input.questions_deadline <= now {
        v.push(
            "questions_deadline",
            FieldCode::InThePast,
            "答疑截止时间须在将来 / the questions deadline must be in the future",
        );
    }
    if input.questions_deadline > input.bidding_deadline {
        v.push("questions_deadline", FieldCode::AfterBiddingDeadline, "答疑截止时间不得晚于揭榜截止时间 / the questions deadline must not be after the bidding deadline");
    }
    let contact_name = v.take("contact.name", bounded_text(&input.contact_name, 1, 50));
    let contact_phone = v.take("contact.phone", phone(&input.contact_phone));
    let contact_email = v
        .take("contact.email", crate::Email::parse(&input.contact_email))
        .map(|e| e.as_str().to_owned());
    let mut invited: Vec<String> = input
        .invited_organizations
        .iter()
        .map(|s| s.trim().to_owned())
        .collect();
    invited.sort();
    invited.dedup();
    match mode {
        Some(Mode::Directed) if invited.is_empty() => {
            v.push(
                "invited_organizations",
                FieldCode::Required,
                "定向委托须指定受邀单位 / a directed challenge names the invited organisations",
            );
        }
        Some(Mode::Open) if !invited.is_empty() => {
            v.push(
                "invited_organizations",
                FieldCode::NotAllowed,
                "揭榜挂帅类榜单不指定受邀单位 / an open challenge invites no one",
            );
        }
        _ => {}
    }
    if invited.len() > 50 {
        v.push(
            "invited_organizations",
            FieldCode::TooMany,
            "受邀单位最多 50 家 / at most 50 invited organisations",
        );
    }
    if !v.is_empty() {
        return Err(v);
    }
    Ok(Terms {
        // deadlines are kept to the second, the same on every database
        bidding_deadline: to_second(input.bidding_deadline),
        questions_deadline: to_second(input.questions_deadline),
        title: title.unwrap(),
        kind: kind.unwrap(),
        mode: mode.unwrap(),
        industry,
        industry_chain: industry_chain.unwrap(),
        problem: problem.unwrap(),
        kpis,
        expected_outcomes: expected_outcomes.unwrap(),
        duration_months: duration.unwrap() as u32,
        enterprise_funds: enterprise.unwrap(),
        fiscal_support: fiscal.unwrap(),
        max_winners: max_winners.unwrap() as u32,
        eligibility: Eligibility {
            consortium_required: input.consortium_required,
            max_members: max_members.unwrap() as u32,
            min_in_region_percent: min_in_region.unwrap() as u32,
            chief_scientist_required: input.chief_scientist_required,
        },
        ip_ownership: ip.unwrap(),
        contact: Contact {
            name: contact_name.unwrap(),
            phone: contact_phone.unwrap(),
            email: contact_email.unwrap(),
        },
        invited_organizations: invited,
    })
}

/// A time without its fraction of a second.
pub fn to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).expect("in range")
}

/// Whether an amendment between `old` and `new` touches a material field — KPIs, eligibility,
/// funding, duration or dates — which sends submitted bids back to draft for re-confirmation.
pub fn is_material_change(old: &Terms, new: &Terms) -> bool {
    old.kpis != new.kpis
        || old.eligibility != new.eligibility
        || old.enterprise_funds != new.enterprise_funds
        || old.fiscal_support != new.fiscal_support
        || old.duration_months != new.duration_months
        || old.bidding_deadline != new.bidding_deadline
        || old.questions_deadline != new.questions_deadline
}

/// Text a keyword search looks in: title, problem, KPIs, outcomes, industry; lower-cased.
pub fn search_text(t: &Terms) -> String {
    let mut s = format!(
        "{} {} {} {} {}",
        t.title, t.industry, t.industry_chain, t.problem, t.expected_outcomes
    );
    for k in &t.kpis {
        s.push(' ');
        s.push_str(&k.name);
        s.push(' ');
        s.push_str(&k.target);
    }
    s.to_lowercase()
}

/// The year of `t` in Beijing (the statistics' years).
pub fn beijing_year(t: DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    (t + chrono::Duration::hours(8)).year()
}

/// China has one time zone without daylight saving: Asia/Shanghai is UTC+8 all year.
pub fn shanghai(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // written field by field: chrono's `format` parses its pattern again on every call, which
    // was a tenth of an uncached list page (two of these per challenge)
    let l = (t + Duration::hours(8)).naive_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} 北京时间 (Asia/Shanghai, UTC+8)",
        l.year(),
        l.month(),
        l.day(),
        l.hour(),
        l.minute(),
        l.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_code() {
        use Action as A;
        for &from in ChallengeStatus::ALL {
            for a in [
                A::Edit,
                A::Submit,
                A::Approve,
                A::Return,
                A::Amend,
                A::Extend,
                A::Cancel,
                A::Close,
                A::NoEligibleBid,
                A::Award,
                A::Contract,
                A::Complete,
            ] {
                if let Err(e) = transition(from, a) {
                    assert_eq!(e.code().status(), 409, "{from:?} {a:?}");
                }
            }
        }
    }

    pub fn input(now: DateTime<Utc>) -> TermsInput {
        TermsInput {
            title: "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用".into(),
            kind: "tech_breakthrough".into(),
            mode: "open".into(),
            industry: "新能源".into(),
            industry_chain: "氢能".into(),
            problem: "针对风光发电功率大范围波动的特点，研制千标方级碱性电解水制氢装备，解决宽功率适应性难题。".into(),
            kpis: vec![("单槽产氢量".into(), "≥1000".into(), "Nm³/h".into())],
            expected_outcomes: "样机一台，示范工程一项".into(),
            duration_months: 36,
            enterprise_funds: 20_000_000,
            fiscal_support: 10_000_000,
            max_winners: 1,
            consortium_required: true,
            max_members: 5,
            min_in_region_percent: 60,
            chief_scientist_required: true,
            ip_ownership: "shared".into(),
            bidding_deadline: now + Duration::days(30),
            questions_deadline: now + Duration::days(20),
            contact_name: "王工".into(),
            contact_phone: "0472-1234567".into(),
            contact_email: "wang@bfhi.com.cn".into(),
            invited_organizations: vec![],
        }
    }

    fn codes(r: Result<Terms, Violations>) -> Vec<(String, String)> {
        r.err()
            .map(|v| {
                v.0.into_iter()
                    .map(|e| (e.field, e.code.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn a_complete_challenge_is_valid() {
        let now = Utc::now();
        let t = validate(&input(now), &Rules::default(), now, None).unwrap();
        assert_eq!(t.kpis[0].id, "kpi-1");
        assert_eq!(t.eligibility.max_members, 5);
    }

    #[test]
    fn each_rule_is_enforced() {
        let now = Utc::now();
        let rules = Rules::default();
        let check = |f: &dyn Fn(&mut TermsInput), field: &str, code: &str| {
            let mut i = input(now);
            f(&mut i);
            let c = codes(validate(&i, &rules, now, None));
            assert!(
                c.iter().any(|(fl, cd)| fl == field && cd == code),
                "{field}/{code} not in {c:?}"
            );
        };
        check(&|i| i.title = "  ".into(), "title", "required");
        check(&|i| i.title = "字".repeat(201), "title", "too_long");
        check(&|i| i.problem = String::new(), "problem", "required");
        check(&|i| i.problem = "太短".into(), "problem", "too_short");
        check(&|i| i.kpis.clear(), "kpis", "required");
        check(
            &|i| i.kpis.push(("单槽产氢量".into(), "x".into(), "".into())),
            "kpis[1].name",
            "duplicate",
        );
        check(&|i| i.kpis[0].1 = "".into(), "kpis[0].target", "required");
        check(
            &|i| i.enterprise_funds = 19_999_999,
            "enterprise_funds",
            "funding_ratio_too_low",
        );
        check(&|i| i.fiscal_support = -1, "fiscal_support", "out_of_range");
        check(&|i| i.max_winners = 0, "max_winners", "out_of_range");
        check(
            &|i| i.duration_months = 0,
            "duration_months",
            "out_of_range",
        );
        check(
            &|i| i.industry = "房地产".into(),
            "industry",
            "unknown_industry",
        );
        check(&|i| i.kind = "other".into(), "kind", "invalid_value");
        check(&|i| i.mode = "closed".into(), "mode", "invalid_value");
        check(
            &|i| i.ip_ownership = "nobody".into(),
            "ip_ownership",
            "invalid_value",
        );
        check(
            &|i| i.bidding_deadline = now - Duration::hours(1),
            "bidding_deadline",
            "deadline_too_soon",
        );
        check(
            &|i| i.bidding_deadline = now + Duration::hours(71),
            "bidding_deadline",
            "deadline_too_soon",
        );
        check(
            &|i| i.questions_deadline = now - Duration::hours(1),
            "questions_deadline",
            "in_the_past",
        );
        check(
            &|i| i.questions_deadline = now + Duration::days(31),
            "questions_deadline",
            "after_bidding_deadline",
        );
        check(
            &|i| i.mode = "directed".into(),
            "invited_organizations",
            "required",
        );
        check(
            &|i| i.invited_organizations = vec!["x".into()],
            "invited_organizations",
            "not_allowed",
        );
        check(
            &|i| i.min_in_region_percent = 101,
            "eligibility.min_in_region_percent",
            "out_of_range",
        );
        check(
            &|i| i.max_members = 1,
            "eligibility.max_members",
            "out_of_range",
        );
        check(
            &|i| i.contact_email = "nope".into(),
            "contact.email",
            "invalid_email",
        );
        check(
            &|i| i.contact_phone = "call me".into(),
            "contact.phone",
            "invalid_phone",
        );
    }

    #[test]
    fn the_ratio_and_window_are_configurable() {
        let now = Utc::now();
        let mut i = input(now);
        i.enterprise_funds = 10_000_000;
        i.bidding_deadline = now + Duration::minutes(5);
        i.questions_deadline = now + Duration::minutes(1);
        let rules = Rules {
            min_ratio: (1, 1),
            min_bidding_hours: 0,
            ..Rules::default()
        };
        assert!(validate(&i, &rules, now, None).is_ok());
        assert!(validate(&i, &Rules::default(), now, None).is_err());
        // an edit that leaves the deadlines alone does not re-check them against the clock
        let previous = validate(&i, &rules, now, None).unwrap();
        let later = now + Duration::days(1);
        assert!(validate(&i, &rules, later, Some(&previous)).is_ok());
        assert!(validate(&i, &rules, later, None).is_err());
    }

    #[test]
    fn transitions() {
        use ChallengeStatus as S;
        assert_eq!(transition(S::Draft, Action::Submit), Ok(S::PendingReview));
        assert_eq!(
            transition(S::PendingReview, Action::Approve),
            Ok(S::Published)
        );
        assert_eq!(transition(S::PendingReview, Action::Return), Ok(S::Draft));
        assert_eq!(transition(S::Published, Action::Close), Ok(S::Evaluating));
        assert_eq!(transition(S::Published, Action::Extend), Ok(S::Published));
        assert_eq!(transition(S::Evaluating, Action::Cancel), Ok(S::Cancelled));
        assert_eq!(
            transition(S::Evaluating, Action::NoEligibleBid),
            Ok(S::Unsuccessful)
        );
        assert!(transition(S::Published, Action::NoEligibleBid).is_err());
        assert_eq!(transition(S::Evaluating, Action::Award), Ok(S::Awarded));
        assert_eq!(
            transition(S::Awarded, Action::Award).unwrap_err().code(),
            "challenge_not_evaluating"
        );

        let e = transition(S::Published, Action::Submit).unwrap_err();
        assert_eq!(e.code(), "challenge_not_draft");
        assert_eq!(
            transition(S::Evaluating, Action::Extend)
                .unwrap_err()
                .code(),
            "challenge_not_published"
        );
        assert_eq!(
            transition(S::Awarded, Action::Cancel).unwrap_err().code(),
            "challenge_not_cancellable"
        );
        assert!(transition(S::Draft, Action::Approve).is_err());
        assert!(transition(S::Evaluating, Action::Close).is_err());
        for s in ChallengeStatus::ALL {
            assert_eq!(ChallengeStatus::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn terms_round_trip_through_their_input() {
        let now = Utc::now();
        let t = validate(&input(now), &Rules::default(), now, None).unwrap();
        assert_eq!(
            validate(&TermsInput::from(&t), &Rules::default(), now, Some(&t)).unwrap(),
            t
        );
    }

    #[test]
    fn material_changes() {
        let now = Utc::now();
        let a = validate(&input(now), &Rules::default(), now, None).unwrap();
        let mut b = a.clone();
        b.contact.name = "李工".into();
        b.title = "新标题：电解水制氢装备".into();
        assert!(!is_material_change(&a, &b));
        b.kpis[0].target = "≥2000".into();
        assert!(is_material_change(&a, &b));
        let mut c = a.clone();
        c.eligibility.min_in_region_percent = 50;
        assert!(is_material_change(&a, &c));
    }

    #[test]
    fn times_for_people_are_in_beijing_time() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            shanghai(t),
            "2026-12-01 17:00:00 北京时间 (Asia/Shanghai, UTC+8)"
        );
    }
}

//! Bids (揭榜申报): their content, state machine and the formal check (形式审查).

use crate::challenge::{Eligibility, Kpi};
use crate::codes::FieldCode;
use crate::validation::{bounded_text, Violations};
use serde::{Deserialize, Serialize};

/// The states of a bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidStatus {
    Draft,
    Submitted,
    Withdrawn,
    /// A draft still a draft when bidding closed (or when its challenge was cancelled): its
    /// author never withdrew it, it simply can go nowhere now.
    Lapsed,
    Ineligible,
    Awarded,
    NotAwarded,
}

impl BidStatus {
    pub const ALL: [BidStatus; 7] = [
        Self::Draft,
        Self::Submitted,
        Self::Withdrawn,
        Self::Lapsed,
        Self::Ineligible,
        Self::Awarded,
        Self::NotAwarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Withdrawn => "withdrawn",
            Self::Lapsed => "lapsed",
            Self::Ineligible => "ineligible",
            Self::Awarded => "awarded",
            Self::NotAwarded => "not_awarded",
        }
    }

    pub fn parse(s: &str) -> Option<BidStatus> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// A live bid counts against "one per lead per challenge" and the 限项 limit.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Draft | Self::Submitted)
    }

    /// A bid that was handed in (counted on the challenge, readable after the deadline).
    pub fn was_submitted(self) -> bool {
        matches!(
            self,
            Self::Submitted | Self::Ineligible | Self::Awarded | Self::NotAwarded
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidAction {
    Edit,
    Submit,
    Withdraw,
    /// Bidding closed (or the challenge was cancelled) with the bid still a draft.
    Lapse,
    /// A material amendment of the challenge sends a submitted bid back for re-confirmation.
    Reopen,
    /// The formal check found it wanting.
    MarkIneligible,
    Award,
    NotAward,
}

/// Why a bid action is refused in the bid's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongBidState {
    pub current: BidStatus,
    pub required: &'static str,
}

impl WrongBidState {
    /// The catalogue code `bid_not_<required>`.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::parse(&format!("bid_not_{}", self.required))
            .expect("every required state has a catalogue code (test: every_refusal_has_a_code)")
    }
}

pub fn transition(from: BidStatus, action: BidAction) -> Result<BidStatus, WrongBidState> {
    use BidStatus as S;
    let refuse = |required| {
        Err(WrongBidState {
            current: from,
            required,
        })
    };
    match action {
        BidAction::Edit => {
            if from == S::Draft {
                Ok(S::Draft)
            } else {
                refuse("draft")
            }
        }
        BidAction::Submit => {
            if from == S::Draft {
                Ok(S::Submitted)
            } else {
                refuse("draft")
            }
        }
        BidAction::Withdraw => {
            if from.is_live() {
                Ok(S::Withdrawn)
            } else {
                refuse("live")
            }
        }
        BidAction::Lapse => {
            if from == S::Draft {
                Ok(S::Lapsed)
            } else {
                refuse("draft")
            }
        }
        BidAction::Reopen => {
            if from == S::Submitted {
                Ok(S::Draft)
            } else {
                refuse("submitted")
            }
        }
        BidAction::MarkIneligible => {
            if from == S::Submitted {
                Ok(S::Ineligible)
            } else {
                refuse("submitted")
            }
        }
        BidAction::Award => {
            if from == S::Submitted {
                Ok(S::Awarded)
            } else {
                refuse("submitted")
            }
        }
        BidAction::NotAward => {
            if from == S::Submitted {
                Ok(S::NotAwarded)
            } else {
                refuse("submitted")
            }
        }
    }
}

/// The chief scientist (首席科学家).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChiefScientist {
    pub name: String,
    /// 职称, e.g. 教授 / 研究员
    pub title: String,
    pub organization: String,
}

/// A committed value for one KPI of the challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiAnswer {
    pub kpi_id: String,
    pub value: String,
}

/// A milestone (里程碑): a deliverable due some months after the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub month: u32,
    pub deliverable: String,
}

/// A consortium member other than the lead (联合体成员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub organization_id: String,
    /// 分工, e.g. "关键材料研发"
    pub role: String,
    /// Share of the work, percent.
    pub share_percent: u32,
}

/// The content of a bid, validated in shape (completeness is checked at submission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidContent {
    pub members: Vec<Member>,
    pub chief_scientist: Option<ChiefScientist>,
    pub approach: String,
    pub kpi_answers: Vec<KpiAnswer>,
    pub milestones: Vec<Milestone>,
    pub requested_fiscal: i64,
    pub own_funds: i64,
}

fn text(v: &mut Violations, field: &str, value: &str, min: usize, max: usize) -> Option<String> {
    v.take(field, bounded_text(value, min, max))
}

/// Validates the shape of a bid against its challenge: known KPIs, members not repeated and not
/// the lead, shares that add up, milestones within the duration, amounts in range.
pub fn validate(
    content: &BidContent,
    lead: &str,
    kpis: &[Kpi],
    duration_months: u32,
    fiscal_support: i64,
) -> Result<BidContent, Violations> {
    let mut v = Violations::new();
    let approach = text(&mut v, "approach", &content.approach, 0, 20_000).unwrap_or_default();
    let mut members = Vec::new();
    for (i, m) in content.members.iter().enumerate() {
        let f = format!("members[{i}]");
        if m.organization_id == lead {
            v.push(
                format!("{f}.organization_id"),
                FieldCode::IsLead,
                "牵头单位不必列为成员 / the lead is not listed as a member",
            );
        }
        if members
            .iter()
            .any(|x: &Member| x.organization_id == m.organization_id)
        {
            v.push(
                format!("{f}.organization_id"),
                FieldCode::Duplicate,
                "成员单位重复 / duplicate member",
            );
        }
        let role = text(&mut v, &format!("{f}.role"), &m.role, 1, 100);
        if m.share_percent == 0 || m.share_percent > 100 {
            v.push(
                format!("{f}.share_percent"),
                FieldCode::OutOfRange,
                "分工占比应在 1 到 100 之间 / share must be 1–100",
            );
        }
        members.push(Member {
            organization_id: m.organization_id.trim().to_owned(),
            role: role.unwrap_or_default(),
            share_percent: m.share_percent,
        });
    }
    if members.iter().map(|m| m.share_percent).sum::<u32>() >= 100 && !members.is_empty() {
        v.push("members", FieldCode::SharesTooHigh, "成员分工合计须小于 100%（牵头单位承担其余）/ members' shares must leave a share to the lead");
    }
    let chief = content.chief_scientist.as_ref().map(|c| ChiefScientist {
        name: text(&mut v, "chief_scientist.name", &c.name, 1, 50).unwrap_or_default(),
        title: text(&mut v, "chief_scientist.title", &c.title, 1, 50).unwrap_or_default(),
        organization: text(
            &mut v,
            "chief_scientist.organization",
            &c.organization,
            1,
            100,
        )
        .unwrap_or_default(),
    });
    let mut answers = Vec::new();
    for (i, a) in content.kpi_answers.iter().enumerate() {
        if !kpis.iter().any(|k| k.id == a.kpi_id) {
            v.push(
                format!("kpi_answers[{i}].kpi_id"),
                FieldCode::UnknownKpi,
                "榜单没有该考核指标 / the challenge has no such KPI",
            );
        }
        if answers.iter().any(|x: &KpiAnswer| x.kpi_id == a.kpi_id) {
            v.push(
                format!("kpi_answers[{i}].kpi_id"),
                FieldCode::Duplicate,
                "重复回答同一指标 / this KPI is answered twice",
            );
        }
        let value = text(&mut v, &format!("kpi_answers[{i}].value"), &a.value, 1, 200);
        answers.push(KpiAnswer {
            kpi_id: a.kpi_id.clone(),
            value: value.unwrap_or_default(),
        });
    }
    let mut milestones = Vec::new();
    for (i, m) in content.milestones.iter().enumerate() {
        if m.month == 0 || m.month > duration_months {
            v.push(format!("milestones[{i}].month"), FieldCode::OutOfRange, format!("里程碑月份应在 1 到 {duration_months} 之间 / month must be within the duration"));
        }
        let d = text(
            &mut v,
            &format!("milestones[{i}].deliverable"),
            &m.deliverable,
            1,
            500,
        );
        milestones.push(Milestone {
            month: m.month,
            deliverable: d.unwrap_or_default(),
        });
    }
    milestones.sort_by_key(|m| m.month);
    if content.milestones.len() > 50 {
        v.push(
            "milestones",
            FieldCode::TooMany,
            "里程碑最多 50 个 / at most 50 milestones",
        );
    }
    if content.requested_fiscal < 0 || content.requested_fiscal > fiscal_support {
        v.push("requested_fiscal", FieldCode::OutOfRange, format!("申请财政资金应在 0 到 {fiscal_support} 元之间 / the requested fiscal support must be within the challenge's"));
    }
    if content.own_funds < 0 || content.own_funds > crate::challenge::MAX_YUAN {
        v.push(
            "own_funds",
            FieldCode::OutOfRange,
            "自筹资金超出范围 / own funds out of range",
        );
    }
    if content.members.len() > 49 {
        v.push("members", FieldCode::TooMany, "成员过多 / too many members");
    }
    v.into_result()?;
    Ok(BidContent {
        members,
        chief_scientist: chief,
        approach,
        kpi_answers: answers,
        milestones,
        requested_fiscal: content.requested_fiscal,
        own_funds: content.own_funds,
    })
}

/// What a submission needs beyond shape: an approach, every KPI answered, at least one milestone.
pub fn check_complete(content: &BidContent, kpis: &[Kpi]) -> Result<(), Violations> {
    let mut v = Violations::new();
    if content.approach.trim().chars().count() < 20 {
        v.push("approach", FieldCode::Required, "请填写实施方案（至少 20 字）/ describe the technical approach (20 characters at least)");
    }
    for k in kpis {
        if !content.kpi_answers.iter().any(|a| a.kpi_id == k.id) {
            v.push(
                "kpi_answers",
                FieldCode::KpiUnanswered,
                format!("未回答考核指标「{}」/ KPI {} is not answered", k.name, k.id),
            );
        }
    }
    if content.milestones.is_empty() {
        v.push(
            "milestones",
            FieldCode::Required,
            "至少需要一个里程碑 / at least one milestone",
        );
    }
    v.into_result()
}

/// One reason a bid fails the formal check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
}

/// What the formal check knows of an organisation of the bid.
#[derive(Debug, Clone)]
pub struct Party {
    pub region_code: String,
    pub verified: bool,
}

/// The formal check (形式审查) of a submitted bid against the challenge's eligibility.
/// `lead` and `members` describe the organisations; `home_region` is the programme's region
/// (`150000`: a member counts as in-region when its region code lies inside it).
pub fn formal_check(
    content: &BidContent,
    lead: &Party,
    members: &[Party],
    eligibility: &Eligibility,
    kpis: &[Kpi],
    home_region: &str,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let mut reason = |code: &str, message: String| {
        reasons.push(Reason {
            code: code.into(),
            message,
        })
    };
    if !lead.verified {
        reason(
            "lead_unverified",
            "牵头单位未通过认证 / the lead organisation is not verified".into(),
        );
    }
    // every member stands behind the bid as much as the lead does
    for (i, m) in members.iter().enumerate() {
        if !m.verified {
            reason(
                "member_unverified",
                format!(
                    "联合申报单位（第 {} 家）未通过认证 / consortium member {} is not verified",
                    i + 1,
                    i + 1
                ),
            );
        }
    }
    let total = 1 + members.len();
    if eligibility.consortium_required && members.is_empty() {
        reason(
            "consortium_required",
            "本榜单要求以创新联合体形式揭榜 / this challenge requires a consortium".into(),
        );
    }
    if total > eligibility.max_members as usize {
        reason(
            "too_many_members",
            format!(
                "联合体成员 {total} 家，超过上限 {} 家 / {total} members exceed the maximum of {}",
                eligibility.max_members, eligibility.max_members
            ),
        );
    }
    if eligibility.min_in_region_percent > 0 {
        let prefix = home_region.trim_end_matches("00");
        let inside = std::iter::once(lead)
            .chain(members)
            .filter(|p| p.region_code.starts_with(prefix))
            .count();
        // integer arithmetic: inside / total >= min%  ⇔  100·inside >= min·total
        if inside * 100 < eligibility.min_in_region_percent as usize * total {
            reason(
                "in_region_share_too_low",
                format!(
                    "区内成员占比 {}%，低于要求的 {}% / in-region share {}% is below the required {}%",
                    inside * 100 / total, eligibility.min_in_region_percent, inside * 100 / total, eligibility.min_in_region_percent
                ),
            );
        }
    }
    if eligibility.chief_scientist_required && content.chief_scientist.is_none() {
        reason(
            "chief_scientist_missing",
            "未填写首席科学家 / no chief scientist is named".into(),
        );
    }
    for k in kpis {
        if !content
            .kpi_answers
            .iter()
            .any(|a| a.kpi_id == k.id && !a.value.trim().is_empty())
        {
            reason(
                "kpi_unanswered",
                format!("未回答考核指标「{}」/ KPI {} is not answered", k.name, k.id),
            );
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_code() {
        use BidAction as A;
        for from in BidStatus::ALL {
            for a in [
                A::Edit,
                A::Submit,
                A::Withdraw,
                A::Reopen,
                A::MarkIneligible,
                A::Award,
                A::NotAward,
            ] {
                if let Err(e) = transition(from, a) {
                    assert_eq!(e.code().status(), 409, "{from:?} {a:?}");
                }
            }
        }
    }

    fn kpis() -> Vec<Kpi> {
        vec![
            Kpi {
                id: "kpi-1".into(),
                name: "产氢量".into(),
                target: "≥1000".into(),
                unit: "Nm³/h".into(),
            },
            Kpi {
                id: "kpi-2".into(),
                name: "电耗".into(),
                target: "≤4.3".into(),
                unit: "kWh".into(),
            },
        ]
    }

    fn content() -> BidContent {
        BidContent {
            members: vec![
                Member {
                    organization_id: "m1".into(),
                    role: "电解槽研制".into(),
                    share_percent: 30,
                },
                Member {
                    organization_id: "m2".into(),
                    role: "系统集成".into(),
                    share_percent: 20,
                },
            ],
            chief_scientist: Some(ChiefScientist {
                name: "张教授".into(),
                title: "教授".into(),
                organization: "内蒙古大学".into(),
            }),
            approach: "采用碱性电解槽宽功率运行控制策略，结合多槽协同调度实现快速响应。".into(),
            kpi_answers: vec![
                KpiAnswer {
                    kpi_id: "kpi-1".into(),
                    value: "1200 Nm³/h".into(),
                },
                KpiAnswer {
                    kpi_id: "kpi-2".into(),
                    value: "4.2 kWh/Nm³".into(),
                },
            ],
            milestones: vec![
                Milestone {
                    month: 12,
                    deliverable: "样机".into(),
                },
                Milestone {
                    month: 6,
                    deliverable: "方案".into(),
                },
            ],
            requested_fiscal: 5_000_000,
            own_funds: 2_000_000,
        }
    }

    fn eligibility() -> Eligibility {
        Eligibility {
            consortium_required: true,
            max_members: 3,
            min_in_region_percent: 60,
            chief_scientist_required: true,
        }
    }

    fn party(region: &str) -> Party {
        Party {
            region_code: region.into(),
            verified: true,
        }
    }

    #[test]
    fn validates_shape() {
        let c = validate(&content(), "lead", &kpis(), 24, 10_000_000).unwrap();
        assert_eq!(c.milestones[0].month, 6, "milestones are ordered");
        let mut bad = content();
        bad.members[1].organization_id = "lead".into();
        bad.kpi_answers.push(KpiAnswer {
            kpi_id: "kpi-9".into(),
            value: "x".into(),
        });
        bad.milestones.push(Milestone {
            month: 30,
            deliverable: "x".into(),
        });
        bad.requested_fiscal = 20_000_000;
        let v = validate(&bad, "lead", &kpis(), 24, 10_000_000).unwrap_err();
        let codes: Vec<(&str, &str)> =
            v.0.iter()
                .map(|e| (e.field.as_str(), e.code.as_str()))
                .collect();
        assert!(
            codes.contains(&("members[1].organization_id", "is_lead")),
            "{codes:?}"
        );
        assert!(codes.contains(&("kpi_answers[2].kpi_id", "unknown_kpi")));
        assert!(codes.contains(&("milestones[2].month", "out_of_range")));
        assert!(codes.contains(&("requested_fiscal", "out_of_range")));
    }

    #[test]
    fn completeness_before_submission() {
        assert!(check_complete(&content(), &kpis()).is_ok());
        let mut c = content();
        c.kpi_answers.pop();
        c.milestones.clear();
        let v = check_complete(&c, &kpis()).unwrap_err();
        assert_eq!(v.0.len(), 2);
    }

    #[test]
    fn formal_check_passes_a_good_bid() {
        let r = formal_check(
            &content(),
            &party("150102"),
            &[party("150203"), party("110108")],
            &eligibility(),
            &kpis(),
            "150000",
        );
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn every_member_must_be_verified() {
        let unverified = Party {
            region_code: "150203".into(),
            verified: false,
        };
        let members = [party("150102"), unverified];
        let reasons = formal_check(
            &content(),
            &party("150102"),
            &members,
            &eligibility(),
            &kpis(),
            "150000",
        );
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["member_unverified"]);
        assert!(
            reasons[0].message.contains("第 2 家"),
            "{}",
            reasons[0].message
        );
    }

    #[test]
    fn formal_check_lists_every_failure() {
        let mut c = content();
        c.chief_scientist = None;
        c.kpi_answers.pop();
        let lead = Party {
            region_code: "110108".into(),
            verified: false,
        };
        let members = [party("310000"), party("150203"), party("440300")];
        let codes: Vec<String> =
            formal_check(&c, &lead, &members, &eligibility(), &kpis(), "150000")
                .into_iter()
                .map(|r| r.code)
                .collect();
        assert_eq!(
            codes,
            [
                "lead_unverified",
                "too_many_members",
                "in_region_share_too_low",
                "chief_scientist_missing",
                "kpi_unanswered"
            ]
        );
        let alone = formal_check(
            &content(),
            &party("150102"),
            &[],
            &eligibility(),
            &kpis(),
            "150000",
        );
        assert_eq!(alone[0].code, "consortium_required");
    }

    #[test]
    fn in_region_share_boundary() {
        // 3 of 5 in region is exactly 60 %: eligible; 2 of 4 (50 %) is not
        let e = Eligibility {
            consortium_required: false,
            max_members: 5,
            min_in_region_percent: 60,
            chief_scientist_required: false,
        };
        let five = [
            party("150203"),
            party("152502"),
            party("110108"),
            party("440300"),
        ];
        assert!(
            formal_check(&content(), &party("150102"), &five, &e, &kpis(), "150000").is_empty()
        );
        let four = [party("150203"), party("110108"), party("440300")];
        assert_eq!(
            formal_check(&content(), &party("150102"), &four, &e, &kpis(), "150000")[0].code,
            "in_region_share_too_low"
        );
    }

    #[test]
    fn transitions() {
        use BidAction as A;
        use BidStatus as S;
        assert_eq!(transition(S::Draft, A::Submit), Ok(S::Submitted));
        assert_eq!(transition(S::Submitted, A::Withdraw), Ok(S::Withdrawn));
        assert_eq!(transition(S::Draft, A::Withdraw), Ok(S::Withdrawn));
        assert_eq!(transition(S::Submitted, A::Reopen), Ok(S::Draft));
        assert_eq!(
            transition(S::Submitted, A::MarkIneligible),
            Ok(S::Ineligible)
        );
        assert_eq!(
            transition(S::Withdrawn, A::Submit).unwrap_err().code(),
            "bid_not_draft"
        );
        assert_eq!(
            transition(S::Awarded, A::Withdraw).unwrap_err().code(),
            "bid_not_live"
        );
        assert!(S::Draft.is_live() && !S::Withdrawn.is_live());
        // a draft left at the close lapses; nothing else does, and a lapsed bid is dead
        assert_eq!(transition(S::Draft, A::Lapse), Ok(S::Lapsed));
        for from in [S::Submitted, S::Withdrawn, S::Lapsed, S::Awarded] {
            assert_eq!(transition(from, A::Lapse).unwrap_err().required, "draft");
        }
        assert!(!S::Lapsed.is_live() && !S::Lapsed.was_submitted());
        assert_eq!(
            transition(S::Lapsed, A::Submit).unwrap_err().code(),
            "bid_not_draft"
        );
        assert_eq!(
            transition(S::Lapsed, A::Withdraw).unwrap_err().code(),
            "bid_not_live"
        );
        assert!(S::Ineligible.was_submitted() && !S::Draft.was_submitted());
    }
}

//! Agreements (协议/任务书): their terms and the content hash the parties sign.
//!
//! The hash is SHA-256 over the canonical serialisation of the terms: JSON with every object's
//! keys sorted by their UTF-8 bytes, no insignificant whitespace, strings escaped as serde_json
//! escapes them (non-ASCII characters written as themselves), integers in decimal. Anyone can
//! recompute it from the `terms` object the API returns: `sha256(canonical_json(terms))`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A party to an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// `publisher` (发榜方) or `bidder` (揭榜方)
    pub role: PartyRole,
    pub organization_id: String,
    pub name: String,
    pub credit_code: String,
}

/// A party's side of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// 发榜方
    Publisher,
    /// 揭榜方 (the lead organisation of the winning bid)
    Bidder,
    /// 联合体成员: a consortium member of the winning bid. Named in the terms and told of what
    /// happens to the agreement; the lead signs for the consortium (牵头单位代表联合体签署).
    Member,
}

impl PartyRole {
    /// Whether the party signs the agreement: the publisher and the lead do, members do not.
    pub fn signs(self) -> bool {
        matches!(self, Self::Publisher | Self::Bidder)
    }
}

/// A milestone's state: `scheduled` → `reported` (bidder) → `met` | `not_met` (publisher); a
/// `not_met` milestone may be reported again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStatus {
    Scheduled,
    Reported,
    Met,
    NotMet,
}

impl MilestoneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Reported => "reported",
            Self::Met => "met",
            Self::NotMet => "not_met",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Scheduled, Self::Reported, Self::Met, Self::NotMet]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Where a payment's money comes from: 财政资金 (recorded by officials) or 企业资金 (by the publisher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSource {
    Fiscal,
    Enterprise,
}

impl PaymentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fiscal => "fiscal",
            Self::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fiscal" => Some(Self::Fiscal),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }
}

/// A committed KPI of the agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreedKpi {
    pub name: String,
    pub target: String,
    pub unit: String,
    pub committed: String,
}

/// A milestone of the agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreedMilestone {
    pub month: u32,
    pub deliverable: String,
}

/// The terms both parties sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub challenge_id: String,
    pub bid_id: String,
    pub title: String,
    pub parties: Vec<Party>,
    /// 财政资金, yuan
    pub fiscal_amount: i64,
    /// 企业出资, yuan
    pub enterprise_amount: i64,
    pub term_months: u32,
    pub ip_ownership: String,
    pub kpis: Vec<AgreedKpi>,
    pub milestones: Vec<AgreedMilestone>,
}

impl Terms {
    /// The party on `role`'s side.
    pub fn party(&self, role: PartyRole) -> Option<&Party> {
        self.parties.iter().find(|p| p.role == role)
    }

    /// The consortium members of the winning bid, in the bid's order.
    pub fn members(&self) -> impl Iterator<Item = &Party> {
        self.parties.iter().filter(|p| p.role == PartyRole::Member)
    }

    /// How many parties sign (the publisher and the lead): the agreement is `signed` once all
    /// of them have.
    pub fn signatories(&self) -> usize {
        self.parties.iter().filter(|p| p.role.signs()).count()
    }
}

/// Writes `value` canonically (see the module documentation).
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("a string serialises"));
                out.push(':');
                write(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).expect("a scalar serialises")),
    }
}

/// The content hash of `terms`, lower-case hex.
pub fn terms_hash(terms: &Terms) -> String {
    let value = serde_json::to_value(terms).expect("terms serialise");
    hex_sha256(canonical_json(&value).as_bytes())
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        Terms {
            challenge_id: "c1".into(),
            bid_id: "b1".into(),
            title: "电解水制氢装备".into(),
            parties: vec![Party {
                role: PartyRole::Publisher,
                organization_id: "o1".into(),
                name: "草原氢能".into(),
                credit_code: "X".into(),
            }],
            fiscal_amount: 3_000_000,
            enterprise_amount: 6_000_000,
            term_months: 24,
            ip_ownership: "shared".into(),
            kpis: vec![],
            milestones: vec![AgreedMilestone {
                month: 6,
                deliverable: "样机".into(),
            }],
        }
    }

    #[test]
    fn members_are_parties_that_do_not_sign() {
        let mut t = terms();
        assert_eq!(t.signatories(), 1);
        for (role, id) in [
            (PartyRole::Bidder, "o2"),
            (PartyRole::Member, "o3"),
            (PartyRole::Member, "o4"),
        ] {
            t.parties.push(Party {
                role,
                organization_id: id.into(),
                name: id.into(),
                credit_code: id.into(),
            });
        }
        assert_eq!(t.signatories(), 2);
        let members: Vec<&str> = t.members().map(|p| p.organization_id.as_str()).collect();
        assert_eq!(members, ["o3", "o4"]);
        assert_eq!(serde_json::to_value(PartyRole::Member).unwrap(), "member");
    }

    #[test]
    fn canonical_form_sorts_keys_and_keeps_chinese() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"b": 1, "a": {"d": [2, {"z": "制氢", "y": null}], "c": true}}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"d":[2,{"y":null,"z":"制氢"}]},"b":1}"#
        );
    }

    #[test]
    fn the_hash_changes_with_any_term() {
        let h = terms_hash(&terms());
        assert_eq!(h.len(), 64);
        assert_eq!(h, terms_hash(&terms()));
        let mut t = terms();
        t.fiscal_amount += 1;
        assert_ne!(h, terms_hash(&t));
        // and it can be recomputed from the JSON alone
        let json = serde_json::to_string_pretty(&terms()).unwrap();
        let reparsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(hex_sha256(canonical_json(&reparsed).as_bytes()), h);
    }
}

/// The states of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    Drafted,
    PartiallySigned,
    Signed,
    Registered,
    Completed,
    Terminated,
}

impl AgreementStatus {
    pub const ALL: [AgreementStatus; 6] = [
        Self::Drafted,
        Self::PartiallySigned,
        Self::Signed,
        Self::Registered,
        Self::Completed,
        Self::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drafted => "drafted",
            Self::PartiallySigned => "partially_signed",
            Self::Signed => "signed",
            Self::Registered => "registered",
            Self::Completed => "completed",
            Self::Terminated => "terminated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Terminated)
    }
}

/// Why an agreement action is refused in its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongAgreementState {
    pub current: AgreementStatus,
    pub required: &'static str,
}

impl WrongAgreementState {
    /// The catalogue code `agreement_not_<required>`.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::parse(&format!("agreement_not_{}", self.required))
            .expect("every required state has a catalogue code (test: every_refusal_has_a_code)")
    }
}

/// After a party signs: `signed` once every party has, `partially_signed` before.
pub fn after_signature(
    from: AgreementStatus,
    signed_parties: usize,
    parties: usize,
) -> Result<AgreementStatus, WrongAgreementState> {
    match from {
        AgreementStatus::Drafted | AgreementStatus::PartiallySigned => {
            Ok(if signed_parties >= parties {
                AgreementStatus::Signed
            } else {
                AgreementStatus::PartiallySigned
            })
        }
        current => Err(WrongAgreementState {
            current,
            required: "unsigned",
        }),
    }
}

/// Terms may change until both parties signed; a change clears every signature.
pub fn after_terms_change(from: AgreementStatus) -> Result<AgreementStatus, WrongAgreementState> {
    match from {
        AgreementStatus::Drafted | AgreementStatus::PartiallySigned => Ok(AgreementStatus::Drafted),
        current => Err(WrongAgreementState {
            current,
            required: "unsigned",
        }),
    }
}

/// Registration (备案) by an official, once signed.
pub fn register(from: AgreementStatus) -> Result<AgreementStatus, WrongAgreementState> {
    match from {
        AgreementStatus::Signed => Ok(AgreementStatus::Registered),
        current => Err(WrongAgreementState {
            current,
            required: "signed",
        }),
    }
}

/// Termination (with a reason, e.g. 赛马淘汰) from any state that is not final.
pub fn terminate(from: AgreementStatus) -> Result<AgreementStatus, WrongAgreementState> {
    if from.is_final() {
        Err(WrongAgreementState {
            current: from,
            required: "open",
        })
    } else {
        Ok(AgreementStatus::Terminated)
    }
}

/// Completion, once registered and every milestone is met.
pub fn complete(
    from: AgreementStatus,
    all_milestones_met: bool,
) -> Result<AgreementStatus, WrongAgreementState> {
    match from {
        AgreementStatus::Registered if all_milestones_met => Ok(AgreementStatus::Completed),
        AgreementStatus::Registered => Err(WrongAgreementState {
            current: from,
            required: "all_milestones_met",
        }),
        current => Err(WrongAgreementState {
            current,
            required: "registered",
        }),
    }
}

/// 赛马: the enterprise funds are split evenly between the winners, to the yuan, the remainder
/// going to the first ones (in the order the publisher selected them).
pub fn split_enterprise_funds(total: i64, winners: usize) -> Vec<i64> {
    let n = winners.max(1) as i64;
    (0..n)
        .map(|i| total / n + i64::from(i < total % n))
        .collect()
}

/// What the challenge does after one of its agreements changed: it is `completed` once every
/// agreement is completed or terminated, and `contracted` (from `awarded`) once every agreement
/// that was not terminated is registered (备案). `None`: it stays as it is.
pub fn challenge_follows(
    challenge: crate::challenge::ChallengeStatus,
    agreements: &[AgreementStatus],
) -> Option<crate::challenge::Action> {
    use crate::challenge::{Action, ChallengeStatus};
    if agreements.iter().all(|s| s.is_final()) {
        Some(Action::Complete)
    } else if challenge == ChallengeStatus::Awarded
        && agreements.iter().all(|s| {
            matches!(
                s,
                AgreementStatus::Registered
                    | AgreementStatus::Completed
                    | AgreementStatus::Terminated
            )
        })
    {
        Some(Action::Contract)
    } else {
        None
    }
}

/// When milestone `month` of a registered agreement falls due: that many calendar months after
/// registration, counted on the Beijing calendar (the day of the month kept, or the month's
/// last day when it is shorter: registered on 31 January, month 1 is due on 28 or 29 February).
pub fn milestone_due(
    registered: chrono::DateTime<chrono::Utc>,
    month: u32,
) -> chrono::DateTime<chrono::Utc> {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    registered
        .with_timezone(&beijing)
        .checked_add_months(chrono::Months::new(month))
        .map(|t| t.with_timezone(&chrono::Utc))
        // beyond chrono's range (year 262 143): keep the registration's time, unreachable with
        // terms of at most 120 months
        .unwrap_or(registered)
}

#[cfg(test)]
mod due_tests {
    use super::milestone_due;
    use chrono::{TimeZone, Utc};

    #[test]
    fn milestones_fall_due_in_calendar_months_on_the_beijing_calendar() {
        // 31 January, 10:00 北京时间
        let registered = Utc.with_ymd_and_hms(2026, 1, 31, 2, 0, 0).unwrap();
        assert_eq!(
            milestone_due(registered, 1),
            Utc.with_ymd_and_hms(2026, 2, 28, 2, 0, 0).unwrap()
        );
        assert_eq!(
            milestone_due(registered, 12),
            Utc.with_ymd_and_hms(2027, 1, 31, 2, 0, 0).unwrap()
        );
        assert_eq!(
            milestone_due(registered, 13),
            Utc.with_ymd_and_hms(2027, 2, 28, 2, 0, 0).unwrap()
        );
        // 1 March 02:00 北京时间 is still 28 February in UTC: the Beijing date counts
        let registered = Utc.with_ymd_and_hms(2026, 2, 28, 18, 0, 0).unwrap();
        assert_eq!(
            milestone_due(registered, 1),
            Utc.with_ymd_and_hms(2026, 3, 31, 18, 0, 0).unwrap()
        );
        // six months are not 180 days
        let registered = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            milestone_due(registered, 6),
            Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap()
        );
    }
}

#[cfg(test)]
mod state_tests {
    use super::AgreementStatus as S;
    use super::*;

    #[test]
    fn enterprise_funds_are_split_to_the_yuan() {
        assert_eq!(
            split_enterprise_funds(6_000_000, 2),
            vec![3_000_000, 3_000_000]
        );
        assert_eq!(split_enterprise_funds(10, 3), vec![4, 3, 3]);
    }

    #[test]
    fn the_challenge_follows_its_agreements() {
        use crate::challenge::{Action, ChallengeStatus as C};
        use AgreementStatus as A;
        assert_eq!(
            challenge_follows(C::Awarded, &[A::Registered, A::Signed]),
            None
        );
        assert_eq!(
            challenge_follows(C::Awarded, &[A::Registered, A::Terminated]),
            Some(Action::Contract)
        );
        assert_eq!(
            challenge_follows(C::Contracted, &[A::Registered, A::Completed]),
            None
        );
        assert_eq!(
            challenge_follows(C::Contracted, &[A::Completed, A::Terminated]),
            Some(Action::Complete)
        );
        assert_eq!(
            challenge_follows(C::Awarded, &[A::Terminated, A::Terminated]),
            Some(Action::Complete)
        );
    }

    #[test]
    fn every_refusal_has_a_code() {
        for from in AgreementStatus::ALL {
            let results = [
                after_signature(from, 1, 2),
                after_terms_change(from),
                register(from),
                terminate(from),
                complete(from, false),
                complete(from, true),
            ];
            for r in results {
                if let Err(e) = r {
                    assert_eq!(e.code().status(), 409, "{from:?}");
                }
            }
        }
    }

    #[test]
    fn signing_state() {
        assert_eq!(after_signature(S::Drafted, 1, 2), Ok(S::PartiallySigned));
        assert_eq!(after_signature(S::PartiallySigned, 2, 2), Ok(S::Signed));
        assert_eq!(
            after_signature(S::Signed, 2, 2).unwrap_err().code(),
            "agreement_not_unsigned"
        );
        assert_eq!(after_terms_change(S::PartiallySigned), Ok(S::Drafted));
        assert!(after_terms_change(S::Signed).is_err());
        assert_eq!(register(S::Signed), Ok(S::Registered));
        assert_eq!(
            register(S::PartiallySigned).unwrap_err().code(),
            "agreement_not_signed"
        );
        assert_eq!(terminate(S::Registered), Ok(S::Terminated));
        assert!(terminate(S::Completed).is_err());
        assert_eq!(complete(S::Registered, true), Ok(S::Completed));
        assert_eq!(
            complete(S::Registered, false).unwrap_err().code(),
            "agreement_not_all_milestones_met"
        );
    }
}

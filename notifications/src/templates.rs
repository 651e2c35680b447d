//! Templates per event, in Chinese and English, as plain text and HTML. Times are shown in
//! Beijing time (Asia/Shanghai) with the zone named.

use chrono::{DateTime, Utc};
use jiebang_domain::challenge::shanghai;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Zh,
    En,
}

impl Locale {
    pub fn parse(s: &str) -> Locale {
        if s == "en" {
            Locale::En
        } else {
            Locale::Zh
        }
    }
}

/// Something that happened and that someone must be told.
#[derive(Debug, Clone)]
pub enum Event {
    /// A challenge awaits review (to officials).
    ChallengeSubmitted {
        challenge_id: String,
        title: String,
        publisher: String,
    },
    /// An official returned a challenge with a comment (to the publisher).
    ChallengeReturned {
        challenge_id: String,
        title: String,
        comment: String,
    },
    /// A challenge was approved and published (to the publisher).
    ChallengePublished {
        challenge_id: String,
        title: String,
        deadline: DateTime<Utc>,
    },
    /// A question was answered (to askers and bidders).
    QuestionAnswered {
        challenge_id: String,
        title: String,
        question: String,
        answer: String,
    },
    /// A published challenge was amended (to bidders).
    ChallengeAmended {
        challenge_id: String,
        title: String,
        reason: String,
        material: bool,
    },
    /// The bidding deadline was extended (to bidders).
    DeadlineExtended {
        challenge_id: String,
        title: String,
        deadline: DateTime<Utc>,
    },
    /// Bidding closed (to the publisher).
    BiddingClosed { challenge_id: String, title: String },
    /// The challenge was cancelled (to the publisher and bidders).
    ChallengeCancelled {
        challenge_id: String,
        title: String,
        reason: String,
    },
    /// A bid was received (a receipt to the bidding organisation).
    BidSubmitted {
        challenge_id: String,
        title: String,
        bid_id: String,
        at: DateTime<Utc>,
    },
    /// The lead withdrew a bid (to the lead's and the consortium members' users).
    BidWithdrawn {
        challenge_id: String,
        title: String,
        bid_id: String,
    },
    /// Bidding closed with the bid still a draft: it lapsed (to the lead's and the members' users).
    BidLapsed {
        challenge_id: String,
        title: String,
        bid_id: String,
        deadline: DateTime<Utc>,
    },
    /// The formal check found a bid ineligible (to the bidding organisation).
    BidIneligible {
        challenge_id: String,
        title: String,
        reasons: Vec<String>,
    },
    /// No eligible bid: the challenge ended unsuccessful (to the publisher).
    ChallengeUnsuccessful { challenge_id: String, title: String },
    /// A new challenge matches a subscription (to the subscriber).
    ChallengeMatchesSubscription {
        challenge_id: String,
        title: String,
        industry: String,
        deadline: DateTime<Utc>,
    },
    /// The bidding deadline is near and a draft bid is not submitted (to its author).
    DeadlineReminder {
        challenge_id: String,
        title: String,
        deadline: DateTime<Utc>,
        days: i64,
    },
    /// Terms were drafted or changed: the parties are asked to sign (to both parties).
    SignatureRequested {
        agreement_id: String,
        title: String,
        terms_hash: String,
    },
    /// Both parties signed (to both parties).
    AgreementSigned { agreement_id: String, title: String },
    /// A milestone falls due within a week (to both parties).
    MilestoneDue {
        agreement_id: String,
        title: String,
        deliverable: String,
        due: DateTime<Utc>,
    },
    /// A milestone is past due and not met (to both parties).
    MilestoneOverdue {
        agreement_id: String,
        title: String,
        deliverable: String,
        due: DateTime<Utc>,
    },
    /// A consortium was filed (to its lead organisation).
    ConsortiumFiled {
        consortium_id: String,
        name: String,
        registration_no: String,
    },
    /// An expert was assigned to evaluate a challenge (to the expert).
    ExpertAssigned { challenge_id: String, title: String },
    /// An expert declared a conflict of interest and left the evaluation (to the official who
    /// had assigned the expert).
    ExpertRecused {
        challenge_id: String,
        title: String,
        expert: String,
        reason: String,
    },
    /// The award was confirmed (to every bidder and the publisher).
    Awarded { challenge_id: String, title: String },
    /// An official registered the agreement (备案) (to both parties).
    AgreementRegistered { agreement_id: String, title: String },
    /// The publisher confirmed a milestone met or not met (to both parties).
    MilestoneConfirmed {
        agreement_id: String,
        title: String,
        deliverable: String,
        met: bool,
    },
    /// A payment was recorded (to both parties).
    PaymentRecorded {
        agreement_id: String,
        title: String,
        /// Fiscal money (财政资金) or the enterprise's (企业出资).
        fiscal: bool,
        amount: i64,
    },
    /// The agreement was completed (to both parties).
    AgreementCompleted { agreement_id: String, title: String },
    /// The agreement was terminated, with the reason (to both parties).
    AgreementTerminated {
        agreement_id: String,
        title: String,
        reason: String,
    },
    /// An organisation registered and awaits verification (to officials).
    OrganizationRegistered {
        organization_id: String,
        name: String,
    },
    /// An official returned the registration with a reason (to the organisation's users).
    OrganizationReturned {
        organization_id: String,
        name: String,
        reason: String,
    },
}

impl Event {
    /// The event kind, used for preferences and in the outbox.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ChallengeSubmitted { .. } => "challenge_submitted",
            Event::ChallengeReturned { .. } => "challenge_returned",
            Event::ChallengePublished { .. } => "challenge_published",
            Event::QuestionAnswered { .. } => "question_answered",
            Event::ChallengeAmended { .. } => "challenge_amended",
            Event::DeadlineExtended { .. } => "deadline_extended",
            Event::BiddingClosed { .. } => "bidding_closed",
            Event::ChallengeCancelled { .. } => "challenge_cancelled",
            Event::BidSubmitted { .. } => "bid_submitted",
            Event::BidIneligible { .. } => "bid_ineligible",
            Event::BidWithdrawn { .. } => "bid_withdrawn",
            Event::BidLapsed { .. } => "bid_lapsed",
            Event::ChallengeUnsuccessful { .. } => "challenge_unsuccessful",
            Event::ExpertAssigned { .. } => "expert_assigned",
            Event::ExpertRecused { .. } => "expert_recused",
            Event::ConsortiumFiled { .. } => "consortium_filed",
            Event::MilestoneDue { .. } => "milestone_due",
            Event::MilestoneOverdue { .. } => "milestone_overdue",

            Event::SignatureRequested { .. } => "signature_requested",
            Event::AgreementSigned { .. } => "agreement_signed",
            Event::ChallengeMatchesSubscription { .. } => "challenge_matches_subscription",
            Event::DeadlineReminder { .. } => "deadline_reminder",
            Event::Awarded { .. } => "award",
            Event::AgreementRegistered { .. } => "agreement_registered",
            Event::MilestoneConfirmed { .. } => "milestone_confirmed",
            Event::PaymentRecorded { .. } => "payment_recorded",
            Event::AgreementCompleted { .. } => "agreement_completed",
            Event::AgreementTerminated { .. } => "agreement_terminated",
            Event::OrganizationRegistered { .. } => "organization_registered",
            Event::OrganizationReturned { .. } => "organization_returned",
        }
    }

    fn path(&self) -> String {
        match self {
            Event::ChallengeSubmitted { challenge_id, .. }
            | Event::ChallengeReturned { challenge_id, .. }
            | Event::ChallengePublished { challenge_id, .. }
            | Event::QuestionAnswered { challenge_id, .. }
            | Event::ChallengeAmended { challenge_id, .. }
            | Event::DeadlineExtended { challenge_id, .. }
            | Event::BiddingClosed { challenge_id, .. }
            | Event::ChallengeCancelled { challenge_id, .. }
            | Event::BidIneligible { challenge_id, .. }
            | Event::ChallengeUnsuccessful { challenge_id, .. }
            | Event::ExpertAssigned { challenge_id, .. }
            | Event::ExpertRecused { challenge_id, .. }
            | Event::ChallengeMatchesSubscription { challenge_id, .. }
            | Event::DeadlineReminder { challenge_id, .. }
            | Event::Awarded { challenge_id, .. } => {
                format!("/challenges/{challenge_id}")
            }
            Event::BidSubmitted { bid_id, .. }
            | Event::BidWithdrawn { bid_id, .. }
            | Event::BidLapsed { bid_id, .. } => format!("/bids/{bid_id}"),
            Event::OrganizationRegistered {
                organization_id, ..
            }
            | Event::OrganizationReturned {
                organization_id, ..
            } => format!("/organizations/{organization_id}"),
            Event::ConsortiumFiled { consortium_id, .. } => format!("/consortia/{consortium_id}"),
            Event::SignatureRequested { agreement_id, .. }
            | Event::AgreementSigned { agreement_id, .. }
            | Event::MilestoneDue { agreement_id, .. }
            | Event::MilestoneOverdue { agreement_id, .. }
            | Event::AgreementRegistered { agreement_id, .. }
            | Event::MilestoneConfirmed { agreement_id, .. }
            | Event::PaymentRecorded { agreement_id, .. }
            | Event::AgreementCompleted { agreement_id, .. }
            | Event::AgreementTerminated { agreement_id, .. } => {
                format!("/agreements/{agreement_id}")
            }
        }
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Link to the object, absolute.
    pub link: String,
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn english_time(t: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    format!(
        "{} Beijing time (Asia/Shanghai, UTC+8)",
        t.with_timezone(&offset).format("%Y-%m-%d %H:%M")
    )
}

/// Renders `event` for a recipient of `locale`; `base_url` is the platform's public URL.
pub fn render(event: &Event, locale: Locale, base_url: &str) -> Rendered {
    let link = format!("{}{}", base_url.trim_end_matches('/'), event.path());
    let (subject, lines): (String, Vec<String>) = match (event, locale) {
        (Event::AgreementRegistered { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】协议已备案：{title}"),
            vec![format!("「{title}」的协议已由科技厅备案，里程碑计划自今日起计。")],
        ),
        (Event::AgreementRegistered { title, .. }, Locale::En) => (
            format!("[Jiebang] Agreement registered: {title}"),
            vec![format!(
                "The agreement for \"{title}\" has been registered by the science department; its milestones count from today."
            )],
        ),
        (Event::MilestoneConfirmed { title, deliverable, met, .. }, Locale::Zh) => (
            format!(
                "【揭榜挂帅】里程碑{}：{title}",
                if *met { "已确认达成" } else { "确认未达成" }
            ),
            vec![format!(
                "「{title}」的里程碑「{deliverable}」经发榜单位确认{}。",
                if *met { "已达成" } else { "未达成" }
            )],
        ),
        (Event::MilestoneConfirmed { title, deliverable, met, .. }, Locale::En) => (
            format!(
                "[Jiebang] Milestone {}: {title}",
                if *met { "met" } else { "not met" }
            ),
            vec![format!(
                "The publisher confirmed the milestone \"{deliverable}\" of \"{title}\" as {}.",
                if *met { "met" } else { "not met" }
            )],
        ),
        (Event::PaymentRecorded { title, fiscal, amount, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】到账记录：{title}"),
            vec![format!(
                "「{title}」记录了一笔{}：{amount} 元。",
                if *fiscal { "财政资金拨付" } else { "企业出资" }
            )],
        ),
        (Event::PaymentRecorded { title, fiscal, amount, .. }, Locale::En) => (
            format!("[Jiebang] Payment recorded: {title}"),
            vec![format!(
                "A {} payment of {amount} yuan was recorded for \"{title}\".",
                if *fiscal { "fiscal" } else { "enterprise" }
            )],
        ),
        (Event::AgreementCompleted { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】协议已完成：{title}"),
            vec![format!("「{title}」的全部里程碑已达成，协议完成。")],
        ),
        (Event::AgreementCompleted { title, .. }, Locale::En) => (
            format!("[Jiebang] Agreement completed: {title}"),
            vec![format!(
                "Every milestone of \"{title}\" is met: the agreement is complete."
            )],
        ),
        (Event::AgreementTerminated { title, reason, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】协议已终止：{title}"),
            vec![format!("「{title}」的协议已终止，原因：{reason}")],
        ),
        (Event::AgreementTerminated { title, reason, .. }, Locale::En) => (
            format!("[Jiebang] Agreement terminated: {title}"),
            vec![format!(
                "The agreement for \"{title}\" was terminated. Reason: {reason}"
            )],
        ),
        (Event::OrganizationRegistered { name, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】待认证单位：{name}"),
            vec![format!("{name} 已注册，请核实其统一社会信用代码等信息后认证或退回。")],
        ),
        (Event::OrganizationRegistered { name, .. }, Locale::En) => (
            format!("[Jiebang] Organisation awaiting verification: {name}"),
            vec![format!(
                "{name} has registered. Check its credit code and details, then verify it or return it."
            )],
        ),
        (Event::OrganizationReturned { name, reason, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】单位认证被退回：{name}"),
            vec![
                format!("{name} 的认证申请被退回，原因：{reason}"),
                "请修改单位信息后保存，申请将重新进入认证队列。".to_owned(),
            ],
        ),
        (Event::OrganizationReturned { name, reason, .. }, Locale::En) => (
            format!("[Jiebang] Verification returned: {name}"),
            vec![
                format!("The verification of {name} was returned. Reason: {reason}"),
                "Correct the organisation's details and save them: it goes back into the verification queue.".to_owned(),
            ],
        ),
        (
            Event::ChallengeSubmitted {
                title, publisher, ..
            },
            Locale::Zh,
        ) => (
            format!("【揭榜挂帅】待审核榜单：{title}"),
            vec![format!("{publisher} 提交了榜单「{title}」，请审核。")],
        ),
        (
            Event::ChallengeSubmitted {
                title, publisher, ..
            },
            Locale::En,
        ) => (
            format!("[Jiebang] Challenge awaiting review: {title}"),
            vec![format!(
                "{publisher} submitted the challenge \"{title}\" for review."
            )],
        ),
        (Event::ChallengeReturned { title, comment, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】榜单被退回修改：{title}"),
            vec![
                format!("您的榜单「{title}」被科技厅退回修改。"),
                format!("审核意见：{comment}"),
            ],
        ),
        (Event::ChallengeReturned { title, comment, .. }, Locale::En) => (
            format!("[Jiebang] Challenge returned for changes: {title}"),
            vec![
                format!("Your challenge \"{title}\" was returned by the department."),
                format!("Comment: {comment}"),
            ],
        ),
        (
            Event::ChallengePublished {
                title, deadline, ..
            },
            Locale::Zh,
        ) => (
            format!("【揭榜挂帅】榜单已发布：{title}"),
            vec![
                format!("您的榜单「{title}」已审核通过并发布。"),
                format!("揭榜截止时间：{}", shanghai(*deadline)),
            ],
        ),
        (
            Event::ChallengePublished {
                title, deadline, ..
            },
            Locale::En,
        ) => (
            format!("[Jiebang] Challenge published: {title}"),
            vec![
                format!("Your challenge \"{title}\" was approved and published."),
                format!("Bidding closes {}", english_time(*deadline)),
            ],
        ),
        (
            Event::QuestionAnswered {
                title,
                question,
                answer,
                ..
            },
            Locale::Zh,
        ) => (
            format!("【揭榜挂帅】答疑已发布：{title}"),
            vec![
                format!("榜单「{title}」有新的答疑。"),
                format!("问：{question}"),
                format!("答：{answer}"),
            ],
        ),
        (
            Event::QuestionAnswered {
                title,
                question,
                answer,
                ..
            },
            Locale::En,
        ) => (
            format!("[Jiebang] Question answered: {title}"),
            vec![
                format!("A question on \"{title}\" was answered."),
                format!("Q: {question}"),
                format!("A: {answer}"),
            ],
        ),
        (
            Event::ChallengeAmended {
                title,
                reason,
                material,
                ..
            },
            Locale::Zh,
        ) => (format!("【揭榜挂帅】榜单已修改：{title}"), {
            let mut l = vec![
                format!("榜单「{title}」已修改。"),
                format!("修改说明：{reason}"),
            ];
            if *material {
                l.push("修改涉及考核指标、揭榜条件、资金或时间，已提交的申报已退回草稿，请确认后重新提交。".into());
            }
            l
        }),
        (
            Event::ChallengeAmended {
                title,
                reason,
                material,
                ..
            },
            Locale::En,
        ) => (format!("[Jiebang] Challenge amended: {title}"), {
            let mut l = vec![
                format!("The challenge \"{title}\" was amended."),
                format!("Reason: {reason}"),
            ];
            if *material {
                l.push("The change touches KPIs, eligibility, funding or dates: submitted bids were returned to draft; please confirm and resubmit.".into());
            }
            l
        }),
        (
            Event::DeadlineExtended {
                title, deadline, ..
            },
            Locale::Zh,
        ) => (
            format!("【揭榜挂帅】揭榜截止时间延长：{title}"),
            vec![format!(
                "榜单「{title}」的揭榜截止时间已延长至 {}。",
                shanghai(*deadline)
            )],
        ),
        (
            Event::DeadlineExtended {
                title, deadline, ..
            },
            Locale::En,
        ) => (
            format!("[Jiebang] Deadline extended: {title}"),
            vec![format!(
                "Bidding on \"{title}\" now closes {}.",
                english_time(*deadline)
            )],
        ),
        (Event::BiddingClosed { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】揭榜已截止：{title}"),
            vec![format!(
                "榜单「{title}」揭榜已截止，现可查看申报材料并组织评审。"
            )],
        ),
        (Event::BiddingClosed { title, .. }, Locale::En) => (
            format!("[Jiebang] Bidding closed: {title}"),
            vec![format!(
                "Bidding on \"{title}\" has closed; the bids can now be read and evaluated."
            )],
        ),
        (Event::ChallengeCancelled { title, reason, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】榜单已撤销：{title}"),
            vec![
                format!("榜单「{title}」已撤销。"),
                format!("原因：{reason}"),
            ],
        ),
        (Event::ChallengeCancelled { title, reason, .. }, Locale::En) => (
            format!("[Jiebang] Challenge cancelled: {title}"),
            vec![
                format!("The challenge \"{title}\" was cancelled."),
                format!("Reason: {reason}"),
            ],
        ),
        (Event::BidSubmitted { title, at, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】申报已提交：{title}"),
            vec![format!("贵单位对榜单「{title}」的揭榜申报已于 {} 提交成功。", shanghai(*at)), "截止前可撤回后重新申报；截止后申报材料对发榜方和科技厅开放。".into()],
        ),
        (Event::BidSubmitted { title, at, .. }, Locale::En) => (
            format!("[Jiebang] Bid received: {title}"),
            vec![format!("Your bid on \"{title}\" was received {}.", english_time(*at)), "Until the deadline you may withdraw it and bid again; after it the publisher and the department read it.".into()],
        ),
        (Event::BidWithdrawn { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】申报已撤回：{title}"),
            vec![format!("对榜单「{title}」的揭榜申报已由牵头单位撤回。"), "截止前牵头单位可重新申报。".into()],
        ),
        (Event::BidWithdrawn { title, .. }, Locale::En) => (
            format!("[Jiebang] Bid withdrawn: {title}"),
            vec![format!("The bid on \"{title}\" was withdrawn by its lead organisation."), "Until the deadline the lead may bid again.".into()],
        ),
        (Event::BidLapsed { title, deadline, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】申报草稿已失效：{title}"),
            vec![format!("对榜单「{title}」的申报在揭榜截止（{}）时仍为草稿，未提交，现已失效。", shanghai(*deadline)), "该申报不参加形式审查和评审。".into()],
        ),
        (Event::BidLapsed { title, deadline, .. }, Locale::En) => (
            format!("[Jiebang] Draft bid lapsed: {title}"),
            vec![format!("The bid on \"{title}\" was still a draft when bidding closed ({}); it was never submitted and has lapsed.", english_time(*deadline)), "It takes no part in the formal check or the evaluation.".into()],
        ),
        (Event::BidIneligible { title, reasons, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】形式审查未通过：{title}"),
            std::iter::once(format!("贵单位对榜单「{title}」的申报未通过形式审查，原因如下：")).chain(reasons.iter().map(|r| format!("· {r}"))).collect(),
        ),
        (Event::BidIneligible { title, reasons, .. }, Locale::En) => (
            format!("[Jiebang] Bid ineligible: {title}"),
            std::iter::once(format!("Your bid on \"{title}\" failed the formal check:")).chain(reasons.iter().map(|r| format!("- {r}"))).collect(),
        ),
        (Event::ChallengeUnsuccessful { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】榜单无有效申报：{title}"),
            vec![format!("榜单「{title}」揭榜截止后无通过形式审查的申报，榜单已结束（未成功揭榜）。")],
        ),
        (Event::ChallengeMatchesSubscription { title, industry, deadline, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】新榜单：{title}"),
            vec![format!("有符合您订阅条件的新榜单发布：「{title}」（{industry}）。"), format!("揭榜截止时间：{}", shanghai(*deadline))],
        ),
        (Event::ChallengeMatchesSubscription { title, industry, deadline, .. }, Locale::En) => (
            format!("[Jiebang] New challenge: {title}"),
            vec![format!("A new challenge matching your subscription was published: \"{title}\" ({industry})."), format!("Bidding closes {}", english_time(*deadline))],
        ),
        (Event::DeadlineReminder { title, deadline, days, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】揭榜截止提醒（{days} 天）：{title}"),
            vec![format!("您对榜单「{title}」的申报仍为草稿，揭榜将于 {} 截止，请及时提交。", shanghai(*deadline))],
        ),
        (Event::DeadlineReminder { title, deadline, days, .. }, Locale::En) => (
            format!("[Jiebang] Deadline in {days} day(s): {title}"),
            vec![format!("Your bid on \"{title}\" is still a draft; bidding closes {}. Please submit it in time.", english_time(*deadline))],
        ),
        (Event::SignatureRequested { title, terms_hash, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】请签署协议：{title}"),
            vec![format!("榜单「{title}」的协议（任务书）条款已拟定或修改，请核对后签署。"), format!("条款摘要（SHA-256）：{terms_hash}")],
        ),
        (Event::SignatureRequested { title, terms_hash, .. }, Locale::En) => (
            format!("[Jiebang] Please sign the agreement: {title}"),
            vec![format!("The terms of the agreement for \"{title}\" were drafted or changed; please review and sign."), format!("Terms hash (SHA-256): {terms_hash}")],
        ),
        (Event::AgreementSigned { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】协议已签署：{title}"),
            vec![format!("榜单「{title}」的协议已由双方签署，待科技厅备案。")],
        ),
        (Event::AgreementSigned { title, .. }, Locale::En) => (
            format!("[Jiebang] Agreement signed: {title}"),
            vec![format!("Both parties signed the agreement for \"{title}\"; it awaits registration by the department.")],
        ),
        (Event::MilestoneDue { title, deliverable, due, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】里程碑即将到期：{title}"),
            vec![format!("协议「{title}」的里程碑「{deliverable}」将于 {} 到期，请按时报告。", shanghai(*due))],
        ),
        (Event::MilestoneDue { title, deliverable, due, .. }, Locale::En) => (
            format!("[Jiebang] Milestone due soon: {title}"),
            vec![format!("The milestone \"{deliverable}\" of \"{title}\" falls due {}.", english_time(*due))],
        ),
        (Event::MilestoneOverdue { title, deliverable, due, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】里程碑已逾期：{title}"),
            vec![format!("协议「{title}」的里程碑「{deliverable}」已于 {} 到期，尚未确认达成。", shanghai(*due))],
        ),
        (Event::MilestoneOverdue { title, deliverable, due, .. }, Locale::En) => (
            format!("[Jiebang] Milestone overdue: {title}"),
            vec![format!("The milestone \"{deliverable}\" of \"{title}\" was due {} and is not met.", english_time(*due))],
        ),
        (Event::ConsortiumFiled { name, registration_no, .. }, Locale::Zh) => (
            format!("【创新联合体】备案成功：{name}"),
            vec![format!("创新联合体「{name}」已备案，备案编号：{registration_no}。")],
        ),
        (Event::ConsortiumFiled { name, registration_no, .. }, Locale::En) => (
            format!("[Jiebang] Consortium filed: {name}"),
            vec![format!("The consortium \"{name}\" was filed under number {registration_no}.")],
        ),
        (Event::ExpertAssigned { title, .. }, Locale::Zh) => (



            format!("【揭榜挂帅】评审邀请：{title}"),
            vec![format!("您已被指派为榜单「{title}」的评审专家，请登录平台对有效申报逐项打分并填写评语。")],
        ),
        (Event::ExpertAssigned { title, .. }, Locale::En) => (
            format!("[Jiebang] You are invited to evaluate: {title}"),
            vec![format!("You were assigned as an expert for \"{title}\"; please score every eligible bid on each criterion, with comments.")],
        ),
        (Event::ExpertRecused { title, expert, reason, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】专家声明回避：{title}"),
            vec![
                format!("评审专家{expert}已声明回避榜单「{title}」的评审，其指派和评分已撤销，不能再次指派。"),
                format!("回避理由：{reason}"),
                "如需补足评审专家，请登录平台在“评审组织”中另行指派。".to_owned(),
            ],
        ),
        (Event::ExpertRecused { title, expert, reason, .. }, Locale::En) => (
            format!("[Jiebang] An expert declared a conflict of interest: {title}"),
            vec![
                format!("The expert {expert} withdrew from evaluating \"{title}\"; the assignment and their scores are removed, and they cannot be assigned again."),
                format!("Reason: {reason}"),
                "Assign another expert on the evaluation page if needed.".to_owned(),
            ],
        ),
        (Event::Awarded { title, .. }, Locale::Zh) => (
            format!("【揭榜挂帅】立项结果公示：{title}"),
            vec![format!("榜单「{title}」已确认立项，揭榜结果、专家评分及评审专家名单已公示，请登录平台查看。")],
        ),
        (Event::Awarded { title, .. }, Locale::En) => (
            format!("[Jiebang] Award confirmed: {title}"),
            vec![format!("The award of \"{title}\" was confirmed; the result, the experts' scores and names are now published.")],
        ),
        (Event::ChallengeUnsuccessful { title, .. }, Locale::En) => (

            format!("[Jiebang] No eligible bid: {title}"),
            vec![format!("No bid on \"{title}\" passed the formal check; the challenge ended unsuccessful.")],
        ),
    };

    let (open, sign) = match locale {
        Locale::Zh => ("详情", "内蒙古自治区科学技术厅 揭榜挂帅平台（系统邮件，请勿直接回复）"),
        Locale::En => ("Details", "Jiebang platform of the science and technology department (automatic e-mail, do not reply)"),
    };
    let text = format!("{}\n\n{open}: {link}\n\n--\n{sign}\n", lines.join("\n"));
    let html = format!(
        "<!DOCTYPE html><html><body>{}<p><a href=\"{}\">{open}</a></p><hr><p style=\"color:#666\">{}</p></body></html>",
        lines.iter().map(|l| format!("<p>{}</p>", escape_html(l))).collect::<String>(),
        escape_html(&link),
        escape_html(sign)
    );
    Rendered {
        subject: crate::header_safe(&subject),
        text,
        html,
        link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_chinese_and_english_with_beijing_time() {
        let deadline = DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = Event::ChallengePublished {
            challenge_id: "c1".into(),
            title: "电解水制氢<装备>".into(),
            deadline,
        };
        let zh = render(&e, Locale::Zh, "https://jiebang.example/");
        assert_eq!(zh.subject, "【揭榜挂帅】榜单已发布：电解水制氢<装备>");
        assert!(zh.text.contains("2026-12-01 17:00:00 北京时间"));
        assert!(zh.text.contains("https://jiebang.example/challenges/c1"));
        assert!(
            zh.html.contains("电解水制氢&lt;装备&gt;"),
            "HTML is escaped"
        );
        let en = render(&e, Locale::En, "https://jiebang.example");
        assert!(en.text.contains("2026-12-01 17:00 Beijing time"));
    }

    #[test]
    fn subjects_cannot_carry_headers() {
        let e = Event::BiddingClosed {
            challenge_id: "c1".into(),
            title: "x\r\nBcc: evil@x.cn".into(),
        };
        let r = render(&e, Locale::Zh, "http://h");
        assert!(!r.subject.contains('\r') && !r.subject.contains('\n'));
    }
}

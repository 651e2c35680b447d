//! What a caller may do with a challenge now (`actions` on every challenge view), from the same
//! checks the actions run before they change anything: each action's handler calls [`check`],
//! and a view lists the actions for which [`check`] passes ([`actions`]). The two cannot drift.

use crate::caller::Caller;
use crate::challenges::wrong_state;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::utc;
use chrono::{DateTime, Utc};
use jiebang_db::challenges::Challenge;
use jiebang_db::DbConnection;
use jiebang_domain::challenge::{self, Action, ChallengeStatus};
use jiebang_domain::codes::Code;
use jiebang_domain::visibility::Visibility;
use jiebang_domain::Role;
use serde::Serialize;
use std::collections::HashSet;

/// An action on a challenge, as named in `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChallengeAction {
    /// `PATCH /challenges/{id}`: edit a draft, or amend a published challenge (publisher)
    Edit,
    /// `POST …/submit` for review (publisher)
    Submit,
    /// `POST …/review` with `approve` (official)
    Approve,
    /// `POST …/review` with `return` (official)
    Return,
    /// `POST …/cancel` (publisher or official)
    Cancel,
    /// `POST …/extend` the bidding deadline (publisher or official)
    Extend,
    /// `POST …/questions` (another verified organisation)
    Ask,
    /// `POST …/bids`: start a bid (a verified university, institute or enterprise)
    Bid,
    /// `PUT …/rubric` (publisher or official, until an expert scores)
    SetRubric,
    /// `POST …/experts` (official, once bidding has closed)
    AssignExperts,
    /// `POST …/recusals`: declare a conflict of interest (an assigned expert)
    Recuse,
    /// `POST …/awards`: select the winners (publisher, once a bid is scored by every expert)
    Select,
    /// `POST …/awards/confirm`: 立项 (official, once the selection is fully scored)
    ConfirmAward,
}

impl ChallengeAction {
    pub const ALL: [ChallengeAction; 13] = [
        Self::Edit,
        Self::Submit,
        Self::Approve,
        Self::Return,
        Self::Cancel,
        Self::Extend,
        Self::Ask,
        Self::Bid,
        Self::SetRubric,
        Self::AssignExperts,
        Self::Recuse,
        Self::Select,
        Self::ConfirmAward,
    ];
}

/// Where the evaluation of a challenge stands (read while it is `evaluating`, for the callers
/// who take part in it: the publisher, officials, admins and experts).
#[derive(Debug, Default)]
pub struct Evaluation {
    /// The assigned experts.
    pub experts: Vec<String>,
    /// Some expert has scored some bid (the rubric is then fixed).
    pub scoring_started: bool,
    /// The eligible bids every assigned expert has scored (none without experts).
    pub fully_scored: Vec<String>,
    /// The publisher's selection (拟立项).
    pub selection: Vec<String>,
}

impl Evaluation {
    pub fn load(conn: &mut DbConnection, c: &Challenge) -> Result<Evaluation> {
        let experts = jiebang_db::evaluation::experts(conn, &c.id)?;
        let scores = jiebang_db::evaluation::scores_of_challenge(conn, &c.id)?;
        let eligible: Vec<String> = jiebang_db::bids::for_challenge(conn, &c.id, None)?
            .into_iter()
            .filter(|b| b.status() == jiebang_domain::bid::BidStatus::Submitted)
            .map(|b| b.id)
            .collect();
        let fully_scored = eligible
            .into_iter()
            .filter(|b| {
                let scored_by: Vec<&str> = scores
                    .iter()
                    .filter(|s| s.bid_id == *b)
                    .map(|s| s.expert_id.as_str())
                    .collect();
                jiebang_domain::evaluation::fully_scored(&experts, &scored_by)
            })
            .collect();
        Ok(Evaluation {
            scoring_started: !scores.is_empty(),
            fully_scored,
            selection: jiebang_db::evaluation::selection(conn, &c.id)?,
            experts,
        })
    }
}

/// The evaluation is read only where an evaluation action could be listed: a challenge being
/// evaluated, for its publisher, officials and experts.
fn takes_part_in_evaluation(c: &Challenge, caller: Option<&Caller>, access: Visibility) -> bool {
    let takes_part = access == Visibility::Owner
        || caller.is_some_and(|a| matches!(a.role, Role::Official | Role::Expert));
    c.status() == ChallengeStatus::Evaluating && takes_part
}

/// The facts the checks decide on.
pub struct Facts<'a> {
    pub challenge: &'a Challenge,
    pub caller: Option<&'a Caller>,
    pub access: Visibility,
    /// The clock, read under the challenge's row lock when the action follows.
    pub now: DateTime<Utc>,
    /// The minimum time between approval and the bidding deadline.
    pub min_bidding_window: chrono::Duration,
    /// The caller's organisation leads a live bid on this challenge.
    pub live_bid_here: bool,
    /// The caller's organisation leads as many live bids as allowed (限项).
    pub at_bid_limit: bool,
    /// 限项: how many live bids one organisation may lead.
    pub bid_limit: i64,
    /// The evaluation, for a challenge being evaluated and a caller who takes part in it.
    pub evaluation: Option<Evaluation>,
}

/// The challenges on which the caller's organisation leads a live bid (`None` for callers who do
/// not act for an organisation): read once, for one challenge or a whole page of them.
pub struct LiveBids(Option<Vec<String>>);

impl LiveBids {
    pub fn load(conn: &mut DbConnection, caller: Option<&Caller>) -> Result<LiveBids> {
        let viewer = caller.map(Caller::viewer);
        LiveBids::of_organization(conn, viewer.and_then(|v| v.acting_organization()))
    }

    /// The live bids led by `org` (`None`: a caller who does not act for an organisation).
    pub fn of_organization(conn: &mut DbConnection, org: Option<&str>) -> Result<LiveBids> {
        Ok(LiveBids(match org {
            Some(org) => Some(jiebang_db::bids::live_challenges(conn, org)?),
            None => None,
        }))
    }
}

/// What a page of the public list needs of a signed-in reader besides the page itself: the live
/// bids of the organisation it acts for (for `actions`), the directed challenges it is invited to,
/// and whether it may see a directed challenge at all (invited to one, or publishing one), in
/// which case its list is not the public one
/// (`jiebang_db::challenges::ListFilter::viewer_organization`).
pub struct ListReader {
    /// The organisation it was read for (`None`: a caller who acts for none).
    pub organization: Option<String>,
    pub live: LiveBids,
    /// The directed challenges (定向委托) the organisation is invited to.
    pub invited: HashSet<String>,
    pub sees_directed: bool,
}

impl ListReader {
    pub fn load(conn: &mut DbConnection, org: Option<&str>) -> Result<ListReader> {
        let Some(org) = org else {
            return Ok(ListReader {
                organization: None,
                live: LiveBids(None),
                invited: HashSet::new(),
                sees_directed: false,
            });
        };
        let invited: HashSet<String> = jiebang_db::challenges::invitations_of(conn, org)?
            .into_iter()
            .collect();
        let sees_directed =
            !invited.is_empty() || jiebang_db::challenges::publishes_directed(conn, org)?;
        Ok(ListReader {
            organization: Some(org.to_owned()),
            live: LiveBids::of_organization(conn, Some(org))?,
            invited,
            sees_directed,
        })
    }
}

impl<'a> Facts<'a> {
    /// Reads the facts of `c` for `caller`.
    pub fn load(
        conn: &mut DbConnection,
        ctx: &Ctx,
        c: &'a Challenge,
        caller: Option<&'a Caller>,
    ) -> Result<Facts<'a>> {
        let live = LiveBids::load(conn, caller)?;
        Facts::with(conn, ctx, c, caller, &live)
    }

    /// The facts of `c` for `caller`, whose live bids were read already.
    pub fn with(
        conn: &mut DbConnection,
        ctx: &Ctx,
        c: &'a Challenge,
        caller: Option<&'a Caller>,
        live: &LiveBids,
    ) -> Result<Facts<'a>> {
        let access = crate::visibility::of_challenge(conn, c, caller)?;
        let evaluation = if takes_part_in_evaluation(c, caller, access) {
            Some(Evaluation::load(conn, c)?)
        } else {
            None
        };
        Ok(Facts::of(ctx, c, caller, access, live, evaluation))
    }

    /// The facts of `c` for `caller` when they need nothing more from the database: `None` when
    /// they do (an evaluation the caller takes part in), or when `reader` was not read for the
    /// organisation the caller acts for. The same facts [`Facts::with`] reads; the invitation to a
    /// directed challenge is looked up in `reader.invited`.
    pub fn in_memory(
        ctx: &Ctx,
        c: &'a Challenge,
        caller: Option<&'a Caller>,
        reader: &ListReader,
    ) -> Option<Facts<'a>> {
        let acting = caller.and_then(|a| a.viewer().acting_organization());
        if acting != reader.organization.as_deref() {
            return None;
        }
        let access = crate::visibility::of_challenge_in_memory(c, caller, &reader.invited);
        if takes_part_in_evaluation(c, caller, access) {
            return None;
        }
        Some(Facts::of(ctx, c, caller, access, &reader.live, None))
    }

    fn of(
        ctx: &Ctx,
        c: &'a Challenge,
        caller: Option<&'a Caller>,
        access: Visibility,
        live: &LiveBids,
        evaluation: Option<Evaluation>,
    ) -> Facts<'a> {
        let (live_bid_here, at_bid_limit) = match &live.0 {
            Some(ids) if access == Visibility::Public => (
                ids.contains(&c.id),
                ids.len() as i64 >= ctx.settings.max_live_bids,
            ),
            _ => (false, false),
        };
        Facts {
            challenge: c,
            caller,
            access,
            now: ctx.now(),
            min_bidding_window: chrono::Duration::hours(ctx.settings.rules.min_bidding_hours),
            live_bid_here,
            at_bid_limit,
            bid_limit: ctx.settings.max_live_bids,
            evaluation,
        }
    }

    fn owner_or_official(&self, what: &str) -> Result<()> {
        if self.access == Visibility::Owner || self.role() == Some(Role::Official) {
            Ok(())
        } else {
            Err(Error::with(
                Code::Forbidden,
                format!("只有发榜单位或科技厅可以{what}"),
            ))
        }
    }

    fn role(&self) -> Option<Role> {
        self.caller.map(|a| a.role)
    }

    fn transition(&self, action: Action) -> Result<ChallengeStatus> {
        challenge::transition(self.challenge.status(), action).map_err(wrong_state)
    }

    /// The evaluation, or the refusal of an evaluation action outside it.
    fn evaluating(&self) -> Result<&Evaluation> {
        match (&self.evaluation, self.challenge.status()) {
            (Some(e), ChallengeStatus::Evaluating) => Ok(e),
            (None, ChallengeStatus::Evaluating) => Err(Error::with(
                Code::Forbidden,
                "只有参与评审的用户可以执行此操作 / only those taking part in the evaluation may do this",
            )),
            _ => Err(Error::with(
                Code::ChallengeNotEvaluating,
                "榜单不在评审阶段 / the challenge is not being evaluated",
            )),
        }
    }
}

fn not_found() -> Error {
    Error::not_found("榜单 / challenge")
}

/// Whether the caller may take `action` on the challenge now; the refusal is the one the action
/// answers. Checks that depend on the request body (a reason, a later deadline, valid content)
/// are the action's own.
pub fn check(f: &Facts, action: ChallengeAction) -> Result<()> {
    use ChallengeAction as A;
    let c = f.challenge;
    // a challenge the caller may not see does not exist for them, whatever they try (an
    // outsider bidding on a directed challenge learns no more than with an unknown id)
    if f.access == Visibility::Hidden {
        return Err(not_found());
    }
    match action {
        A::Edit => {
            only_owner(f)?;
            let amending = c.status() == ChallengeStatus::Published;
            f.transition(if amending {
                Action::Amend
            } else {
                Action::Edit
            })?;
        }
        A::Submit => {
            only_owner(f)?;
            f.transition(Action::Submit)?;
            if !f
                .caller
                .and_then(|a| a.organization.as_ref())
                .is_some_and(|o| o.is_verified())
            {
                return Err(Error::with(Code::OrganizationUnverified, "本单位尚未通过认证，认证后方可提交榜单 / your organisation must be verified before it submits challenges"));
            }
        }
        A::Approve | A::Return => {
            if f.role() != Some(Role::Official) {
                return Err(if f.access == Visibility::Owner {
                    Error::with(
                        Code::CannotReviewOwn,
                        "发榜单位不能审核自己的榜单 / a publisher cannot review its own challenge",
                    )
                } else {
                    Error::with(
                        Code::Forbidden,
                        "只有科技厅工作人员可以审核榜单 / only officials review challenges",
                    )
                });
            }
            f.transition(if action == A::Approve {
                Action::Approve
            } else {
                Action::Return
            })?;
            if action == A::Approve
                && (utc(c.bidding_deadline) < f.now + f.min_bidding_window
                    || utc(c.questions_deadline) <= f.now)
            {
                let hours = f.min_bidding_window.num_hours();
                return Err(Error::with(Code::DeadlineTooSoon,
                    format!("揭榜截止时间距发布不足 {hours} 小时，请退回修改 / the bidding deadline leaves less than {hours} hours after publication; return it")));
            }
        }
        A::Cancel => {
            f.owner_or_official("撤销榜单 / only the publisher or an official may cancel")?;
            f.transition(Action::Cancel)?;
        }
        A::Extend => {
            f.owner_or_official("延期 / only the publisher or an official may extend")?;
            f.transition(Action::Extend)?;
            // the deadline may already have passed though the scheduler has not closed it yet
            if utc(c.bidding_deadline) <= f.now {
                return Err(Error::with(
                    Code::ChallengeNotPublished,
                    "揭榜已截止 / bidding has already closed",
                ));
            }
        }
        A::Ask => {
            let org_user = f.caller.is_some_and(|a| a.role.is_organization_user());
            if f.access != Visibility::Public && !org_user {
                return Err(Error::with(
                    Code::Forbidden,
                    "只有单位用户可以提问 / only organisation users ask questions",
                ));
            }
            if f.access == Visibility::Owner {
                return Err(Error::with(Code::OwnChallenge, "发榜单位不能对自己的榜单提问 / a publisher does not ask about its own challenge"));
            }
            let org = f
                .caller
                .filter(|a| a.role.is_organization_user())
                .and_then(|a| a.organization.as_ref())
                .ok_or_else(|| {
                    Error::with(
                        Code::Forbidden,
                        "只有单位用户可以提问 / only organisation users ask questions",
                    )
                })?;
            if !org.is_verified() {
                return Err(Error::with(
                    Code::OrganizationUnverified,
                    "本单位尚未通过认证 / your organisation is not verified",
                ));
            }
            if c.status() != ChallengeStatus::Published || utc(c.questions_deadline) <= f.now {
                return Err(Error::with(
                    Code::QuestionsClosed,
                    "答疑已截止 / questions are closed for this challenge",
                ));
            }
        }
        A::Bid => {
            let org = f
                .caller
                .filter(|a| a.role.is_organization_user())
                .and_then(|a| a.organization.as_ref())
                .filter(|o| o.kind().is_some_and(|k| k.may_bid()))
                .ok_or_else(|| Error::with(Code::NotABidder, "只有高校、科研院所和企业的用户可以揭榜 / only users of universities, institutes and enterprises bid"))?;
            if c.organization_id == org.id {
                return Err(Error::with(
                    Code::OwnChallenge,
                    "不能对本单位发布的榜单揭榜 / an organisation never bids on its own challenge",
                ));
            }
            if !org.is_verified() {
                return Err(Error::with(Code::OrganizationUnverified, "本单位尚未通过认证，认证后方可揭榜 / your organisation must be verified before it bids"));
            }
            crate::bids::open_for_bids(c, f.now)?;
            if f.live_bid_here {
                return Err(Error::with(Code::LiveBidExists, "本单位在该榜单已有有效申报，请编辑或撤回后再新建 / your organisation already has a live bid on this challenge"));
            }
            if f.at_bid_limit {
                let limit = f.bid_limit;
                return Err(Error::with(Code::BidLimitReached, format!("本单位牵头的有效申报已达上限 {limit} 项（限项）/ your organisation already leads {limit} live bids")));
            }
        }
        A::SetRubric => {
            f.owner_or_official(
                "设置评审指标 / only the publisher or an official sets the rubric",
            )?;
            match c.status() {
                ChallengeStatus::Published => {}
                ChallengeStatus::Evaluating => {
                    if f.evaluating()?.scoring_started {
                        return Err(Error::with(Code::RubricLocked, "专家已开始评分，评审指标不可再改 / scoring has started; the rubric is fixed"));
                    }
                }
                _ => return Err(Error::with(Code::ChallengeNotEvaluating, "榜单已结束，不能设置评审指标 / the rubric is set while the challenge is published or evaluating")),
            }
        }
        A::AssignExperts => {
            if f.role() != Some(Role::Official) {
                return Err(Error::with(
                    Code::Forbidden,
                    "只有科技厅工作人员可以指派专家 / only officials assign experts",
                ));
            }
            if c.status() != ChallengeStatus::Evaluating {
                return Err(Error::with(
                    Code::ChallengeNotEvaluating,
                    "揭榜截止后方可指派专家 / experts are assigned once bidding has closed",
                ));
            }
        }
        A::Recuse => {
            let expert = f.caller.filter(|a| a.role == Role::Expert).ok_or_else(|| {
                Error::with(
                    Code::Forbidden,
                    "只有评审专家可以声明回避 / only experts declare a conflict of interest",
                )
            })?;
            if c.status() != ChallengeStatus::Evaluating {
                return Err(Error::with(
                    Code::ChallengeNotEvaluating,
                    "评审已结束，不能再声明回避 / evaluation is over",
                ));
            }
            if !f.evaluating()?.experts.contains(&expert.user.id) {
                return Err(not_found());
            }
        }
        A::Select => {
            only_owner_to(
                f,
                Code::NotPublisher,
                "只有发榜单位可以选定揭榜单位 / only the publisher selects the winners",
            )?;
            if f.evaluating()?.fully_scored.is_empty() {
                return Err(Error::with(
                    Code::NotFullyScored,
                    "还没有完成全部专家评分的申报 / no bid is scored by every assigned expert yet",
                ));
            }
        }
        A::ConfirmAward => {
            if f.role() != Some(Role::Official) {
                return Err(Error::with(
                    Code::Forbidden,
                    "只有科技厅工作人员可以确认立项 / only officials confirm the award",
                ));
            }
            f.transition(Action::Award)?;
            let e = f.evaluating()?;
            if e.selection.is_empty() {
                return Err(Error::with(
                    Code::NoSelection,
                    "发榜单位尚未选定揭榜单位 / the publisher has not selected the winners",
                ));
            }
            if e.selection.iter().any(|b| !e.fully_scored.contains(b)) {
                return Err(Error::with(Code::NotFullyScored, "选定的申报尚未完成全部专家评分 / a selected bid is not scored by every assigned expert"));
            }
        }
    }
    Ok(())
}

fn only_owner_to(f: &Facts, code: Code, message: &str) -> Result<()> {
    if f.access == Visibility::Owner {
        Ok(())
    } else {
        Err(Error::with(code, message))
    }
}

fn only_owner(f: &Facts) -> Result<()> {
    if f.access == Visibility::Owner {
        Ok(())
    } else {
        Err(Error::with(
            Code::NotPublisher,
            "只有发榜单位可以执行此操作 / only the publishing organisation may do this",
        ))
    }
}

/// The actions [`check`] allows now.
pub fn actions(f: &Facts) -> Vec<ChallengeAction> {
    ChallengeAction::ALL
        .into_iter()
        .filter(|a| check(f, *a).is_ok())
        .collect()
}

/// The actions `caller` may take on challenge `c` now.
pub fn for_challenge(
    conn: &mut DbConnection,
    ctx: &Ctx,
    c: &Challenge,
    caller: Option<&Caller>,
) -> Result<Vec<ChallengeAction>> {
    Ok(actions(&Facts::load(conn, ctx, c, caller)?))
}

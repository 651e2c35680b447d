//! What a caller may do with a question (答疑) now (`actions` on every question view), from the
//! checks the answer runs: only the publisher answers, until its challenge has ended.

use crate::error::{Error, Result};
use jiebang_db::challenges::Challenge;
use jiebang_domain::codes::Code;
use jiebang_domain::visibility::Visibility;
use serde::Serialize;

/// An action on a question, as named in `actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionActionName {
    /// `POST /questions/{qid}/answer` (the publisher; a new answer replaces the old one)
    Answer,
}

/// Whether a caller who relates to the question's challenge as `access` may answer it now; the
/// refusal is the one the answer gets.
pub fn check(access: Visibility, c: &Challenge, action: QuestionActionName) -> Result<()> {
    match action {
        QuestionActionName::Answer => {
            match access {
                Visibility::Owner => {}
                Visibility::Hidden => return Err(Error::not_found("问题 / question")),
                _ => {
                    return Err(Error::with(
                        Code::NotPublisher,
                        "只有发榜单位可以答复 / only the publisher answers",
                    ))
                }
            }
            if c.status().is_final() {
                return Err(Error::with(
                    Code::ChallengeClosed,
                    "榜单已结束 / the challenge is closed",
                ));
            }
        }
    }
    Ok(())
}

/// Whether a question can be seen by a caller who relates to its challenge as `access`: an
/// answered one by whoever may read the challenge; an unanswered one only by the publisher, the
/// platform's staff and the users of the organisation that asked (`caller_org`: the caller's
/// organisation when they act for it — not an expert linked to it). For anyone else an
/// unanswered question does not exist.
pub fn may_read(
    access: Visibility,
    answered: bool,
    asked_by: &str,
    caller_org: Option<&str>,
) -> bool {
    match access {
        Visibility::Hidden => false,
        Visibility::Owner | Visibility::Staff => true,
        Visibility::Public => answered || caller_org == Some(asked_by),
    }
}

/// The actions [`check`] allows now.
pub fn actions(access: Visibility, c: &Challenge) -> Vec<QuestionActionName> {
    [QuestionActionName::Answer]
        .into_iter()
        .filter(|a| check(access, c, *a).is_ok())
        .collect()
}

//! The error catalogue (错误码): every problem code the service answers, each written once with
//! the HTTP status it is answered with and its Chinese and English text. The HTTP edge builds its
//! problem documents from here; `docs/api.md`'s code table is checked against [`Code::ALL`] by
//! a test (`api/tests/error_catalogue.rs`). Field-error codes (`errors[].code`) are in
//! [`FieldCode`].
//!
//! A call site may give a more specific detail than the catalogue's text (naming a limit or a
//! state), but never another status: the status belongs to the code.

use std::fmt;

macro_rules! catalogue {
    ($( $variant:ident = $code:literal, $status:literal, $zh:literal, $en:literal; )*) => {
        /// A top-level problem code (`code` of a problem document).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in the catalogue's order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable snake_case code.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The HTTP status the code is answered with.
            pub const fn status(self) -> u16 {
                match self { $( Code::$variant => $status, )* }
            }

            /// The default text, Chinese.
            pub const fn zh(self) -> &'static str {
                match self { $( Code::$variant => $zh, )* }
            }

            /// The default text, English.
            pub const fn en(self) -> &'static str {
                match self { $( Code::$variant => $en, )* }
            }

            /// The code of a snake_case name.
            pub fn parse(s: &str) -> Option<Code> {
                match s { $( $code => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

catalogue! {
    // 400
    MalformedJson = "malformed_json", 400, "请求体不是合法的 JSON", "the body is not valid JSON";
    MalformedBody = "malformed_body", 400, "请求体无法读取", "the body could not be read";
    BadRequest = "bad_request", 400, "请求无法处理", "the request cannot be processed";
    // 401
    Unauthenticated = "unauthenticated", 401, "请先登录", "authentication required";
    InvalidToken = "invalid_token", 401, "登录凭证无效或已过期，请重新登录", "the access token is invalid or expired";
    InvalidCredentials = "invalid_credentials", 401, "邮箱或密码错误", "wrong e-mail or password";
    InvalidRefreshToken = "invalid_refresh_token", 401, "刷新凭证无效或已过期，请重新登录", "the refresh token is invalid or expired";
    RefreshTokenReused = "refresh_token_reused", 401, "刷新凭证已被使用，为安全起见该会话已注销，请重新登录", "this refresh token was already used; the session has been revoked";
    // 403
    Forbidden = "forbidden", 403, "无权执行此操作", "you are not allowed to do this";
    AccountDisabled = "account_disabled", 403, "该账号已停用", "this account has been deactivated";
    NotAPublisher = "not_a_publisher", 403, "只有企业或其他非政府单位的用户可以发榜", "only users of an enterprise or other non-government organisation publish challenges";
    NotPublisher = "not_publisher", 403, "只有发榜单位可以执行此操作", "only the publishing organisation may do this";
    NotABidder = "not_a_bidder", 403, "只有高校、科研院所和企业的用户可以揭榜", "only users of universities, institutes and enterprises bid";
    OrganizationUnverified = "organization_unverified", 403, "本单位尚未通过认证", "your organisation is not verified";
    CannotReviewOwn = "cannot_review_own", 403, "发榜单位不能审核自己的榜单", "a publisher cannot review its own challenge";
    OwnChallenge = "own_challenge", 403, "不能对本单位发布的榜单执行此操作", "not on your own organisation's challenge";
    StatusNotPublic = "status_not_public", 403, "该状态的榜单不公开", "challenges in this state are not public";
    NoOrganization = "no_organization", 403, "您不属于任何单位", "you belong to no organisation";
    NotAnEnterprise = "not_an_enterprise", 403, "创新联合体由企业牵头组建", "a consortium is led by an enterprise";
    NotLead = "not_lead", 403, "由牵头单位备案", "the lead organisation files it";
    NotAParty = "not_a_party", 403, "只有协议双方可以签署", "only the parties sign";
    NotAuthorisedSignatory = "not_authorised_signatory", 403, "须由本单位管理员签署", "an organisation admin signs for it";
    NotBidder = "not_bidder", 403, "里程碑由揭榜方报告", "the bidder reports milestones";
    VerifiedFieldsLocked = "verified_fields_locked", 403, "单位已认证，名称和行政区划须由管理员修改", "a verified organisation's name and region are changed by an admin";
    // 404, 405
    NotFound = "not_found", 404, "请求的对象不存在", "no such resource";
    MethodNotAllowed = "method_not_allowed", 405, "该地址不支持此请求方法", "method not allowed on this resource";
    // 408
    RequestTimeout = "request_timeout", 408, "请求超时", "the request timed out";
    // 409
    ChallengeNotDraft = "challenge_not_draft", 409, "榜单不是草稿", "the challenge is not a draft";
    ChallengeNotPendingReview = "challenge_not_pending_review", 409, "榜单不在待审核状态", "the challenge is not pending review";
    ChallengeNotPublished = "challenge_not_published", 409, "榜单不在发布状态", "the challenge is not published";
    ChallengeNotEvaluating = "challenge_not_evaluating", 409, "榜单不在评审阶段", "the challenge is not being evaluated";
    ChallengeNotAwarded = "challenge_not_awarded", 409, "榜单尚未立项", "the challenge is not awarded";
    ChallengeNotContracted = "challenge_not_contracted", 409, "榜单尚未签约", "the challenge is not contracted";
    ChallengeNotCancellable = "challenge_not_cancellable", 409, "榜单已立项或已结束，不能撤销", "the challenge can no longer be cancelled";
    VersionConflict = "version_conflict", 409, "该对象已被他人修改，请刷新后重试", "the object was changed by someone else; reload and retry";
    IdempotencyRace = "idempotency_race", 409, "同一 Idempotency-Key 的请求正在处理", "a request with this key is being processed";
    BiddingClosed = "bidding_closed", 409, "揭榜已截止", "bidding has closed";
    LiveBidExists = "live_bid_exists", 409, "本单位在该榜单已有有效申报", "your organisation already has a live bid on this challenge";
    BidLimitReached = "bid_limit_reached", 409, "本单位牵头的有效申报已达上限（限项）", "your organisation leads as many live bids as allowed";
    BidNotDraft = "bid_not_draft", 409, "申报不是草稿", "the bid is not a draft";
    BidNotLive = "bid_not_live", 409, "申报已不在有效状态", "the bid is no longer live";
    BidNotSubmitted = "bid_not_submitted", 409, "申报尚未提交", "the bid is not submitted";
    BidNotEligible = "bid_not_eligible", 409, "该申报未通过形式审查，无需评分", "only eligible bids are scored";
    ConflictOfInterest = "conflict_of_interest", 409, "专家所在单位参与了本榜单，须回避", "the expert's organisation takes part in this challenge";
    RubricLocked = "rubric_locked", 409, "专家已开始评分，评审指标不可再改", "scoring has started; the rubric is fixed";
    NoRubric = "no_rubric", 409, "尚未设置评审指标", "the rubric is not set yet";
    RankingNotAvailable = "ranking_not_available", 409, "排名尚未公布", "the ranking is not available yet";
    NoSelection = "no_selection", 409, "发榜单位尚未选定揭榜单位", "the publisher has not selected the winners";
    NotFullyScored = "not_fully_scored", 409, "选定的申报尚未完成全部专家评分", "a selected bid is not scored by every assigned expert";
    AgreementNotUnsigned = "agreement_not_unsigned", 409, "协议已签署，不能再修改或签署", "the agreement is already signed";
    AgreementNotSigned = "agreement_not_signed", 409, "协议尚未由各方签署", "not every party has signed the agreement";
    AgreementNotRegistered = "agreement_not_registered", 409, "协议尚未备案", "the agreement is not registered";
    AgreementNotOpen = "agreement_not_open", 409, "协议已完成或已终止", "the agreement is completed or terminated";
    AgreementNotAllMilestonesMet = "agreement_not_all_milestones_met", 409, "尚有里程碑未达成", "not every milestone is met";
    AlreadySigned = "already_signed", 409, "本单位已签署", "your organisation has already signed";
    TermsHashMismatch = "terms_hash_mismatch", 409, "协议条款已变化，请重新核对后签署", "the terms changed since you read them; review them again";
    MilestoneNotOpen = "milestone_not_open", 409, "该里程碑已报告或已确认", "the milestone is already reported or confirmed";
    MilestoneNotReported = "milestone_not_reported", 409, "该里程碑尚未报告", "the milestone is not reported";
    Overpayment = "overpayment", 409, "累计拨付将超过协议金额", "the total paid would exceed the agreed amount";
    ConsortiumNotDraft = "consortium_not_draft", 409, "该联合体已备案或已撤销", "the consortium is already filed or revoked";
    ConsortiumNotFiled = "consortium_not_filed", 409, "只有已备案的联合体可以撤销", "only a filed consortium is revoked";
    NoProfile = "no_profile", 409, "请先填写本单位能力画像", "fill in your organisation's capability profile first";
    NotFailed = "not_failed", 409, "只有发送失败的邮件可以重发", "only failed e-mails are retried";
    NothingToExport = "nothing_to_export", 409, "尚无已发布的榜单可导出", "no challenge has been published yet";
    DeadlineTooSoon = "deadline_too_soon", 409, "揭榜截止时间过近，请退回修改", "the bidding deadline is too close; return it";
    QuestionsClosed = "questions_closed", 409, "答疑已截止", "questions are closed for this challenge";
    ChallengeClosed = "challenge_closed", 409, "榜单已结束", "the challenge is closed";
    EmailTaken = "email_taken", 409, "该邮箱已注册", "this e-mail is already registered";
    CreditCodeTaken = "credit_code_taken", 409, "该统一社会信用代码已注册，请联系本单位管理员添加账号", "an organisation with this credit code is already registered";
    AlreadyVerified = "already_verified", 409, "该单位已认证", "the organisation is already verified";
    NotEmpty = "not_empty", 409, "数据库已有数据；演示数据只写入空数据库", "the database is not empty; demo data fills only an empty database";
    CannotDeactivateSelf = "cannot_deactivate_self", 409, "不能停用自己的账号", "you cannot deactivate yourself";
    // 413, 414, 415, 422, 429, 431
    PayloadTooLarge = "payload_too_large", 413, "请求内容过大", "the request body is too large";
    UriTooLong = "uri_too_long", 414, "请求地址过长", "the request URI is too long";
    UnsupportedMediaType = "unsupported_media_type", 415, "请使用 application/json", "use application/json";
    ValidationFailed = "validation_failed", 422, "请求内容有误，请检查标出的字段", "the request has invalid fields";
    IdempotencyKeyReused = "idempotency_key_reused", 422, "该 Idempotency-Key 已用于另一请求", "this Idempotency-Key was used for a different request";
    TooManyRequests = "too_many_requests", 429, "尝试次数过多，请稍后再试", "too many attempts, retry later";
    HeadersTooLarge = "headers_too_large", 431, "请求头过大", "the request headers are too large";
    // 5xx
    InternalError = "internal_error", 500, "服务器内部错误，请稍后再试", "internal server error";
    ServerBusy = "server_busy", 503, "服务器繁忙，请稍后再试", "the server is busy, please retry shortly";
    DatabaseUnavailable = "database_unavailable", 503, "数据库暂不可用", "the database is not reachable";
}

impl Code {
    /// "中文 / English", the form of every `detail`.
    pub fn text(self) -> String {
        format!("{} / {}", self.zh(), self.en())
    }

    /// The code for an HTTP status without a more specific one (actix's own 404, 405, …).
    pub fn for_status(status: u16) -> Code {
        match status {
            400 => Code::BadRequest,
            401 => Code::Unauthenticated,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            405 => Code::MethodNotAllowed,
            408 => Code::RequestTimeout,
            413 => Code::PayloadTooLarge,
            414 => Code::UriTooLong,
            415 => Code::UnsupportedMediaType,
            431 => Code::HeadersTooLarge,
            503 => Code::ServerBusy,
            s if s < 500 => Code::BadRequest,
            _ => Code::InternalError,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

macro_rules! field_catalogue {
    ($( $variant:ident = $code:literal; )*) => {
        /// A field-error code (`errors[].code`, always under 422 `validation_failed`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(into = "&'static str")]
        pub enum FieldCode { $( $variant, )* }

        impl FieldCode {
            /// Every field code, in the catalogue's order.
            pub const ALL: &'static [FieldCode] = &[ $( FieldCode::$variant, )* ];

            /// The stable snake_case code.
            pub const fn as_str(self) -> &'static str {
                match self { $( FieldCode::$variant => $code, )* }
            }
        }
    };
}

field_catalogue! {
    Required = "required";
    TooShort = "too_short";
    TooLong = "too_long";
    InvalidCharacters = "invalid_characters";
    UnknownField = "unknown_field";
    InvalidType = "invalid_type";
    InvalidValue = "invalid_value";
    InvalidQuery = "invalid_query";
    DuplicateParameter = "duplicate_parameter";
    OutOfRange = "out_of_range";
    CountOutOfRange = "count_out_of_range";
    WeightsNot100 = "weights_not_100";
    UnknownExpert = "unknown_expert";
    UnknownCriterion = "unknown_criterion";
    CriterionUnscored = "criterion_unscored";
    NotEligible = "not_eligible";
    NotFullyScored = "not_fully_scored";
    UnknownIndustry = "unknown_industry";
    TooMany = "too_many";
    Duplicate = "duplicate";
    FundingRatioTooLow = "funding_ratio_too_low";
    DeadlineTooSoon = "deadline_too_soon";
    InThePast = "in_the_past";
    AfterBiddingDeadline = "after_bidding_deadline";
    InvalidPhone = "invalid_phone";
    InvalidEmail = "invalid_email";
    NotAllowed = "not_allowed";
    IsPublisher = "is_publisher";
    UnknownOrganization = "unknown_organization";
    IsLead = "is_lead";
    MembersWithConsortium = "members_with_consortium";
    UnknownConsortium = "unknown_consortium";
    UnknownMilestone = "unknown_milestone";
    MilestonesOutsideTerm = "milestones_outside_term";
    UnknownKind = "unknown_kind";
    SharesTooHigh = "shares_too_high";
    UnknownKpi = "unknown_kpi";
    KpiUnanswered = "kpi_unanswered";
    UseExtend = "use_extend";
    Locked = "locked";
    NotLater = "not_later";
    InvalidDatetime = "invalid_datetime";
    InvalidCursor = "invalid_cursor";
    InvalidUrl = "invalid_url";
    InvalidLength = "invalid_length";
    InvalidCharacter = "invalid_character";
    InvalidRegionPart = "invalid_region_part";
    InvalidChecksum = "invalid_checksum";
    InvalidFormat = "invalid_format";
    UnknownRegion = "unknown_region";
    PasswordTooShort = "password_too_short";
    PasswordTooLong = "password_too_long";
    PasswordTooCommon = "password_too_common";
    PasswordContainsPersonalData = "password_contains_personal_data";
    SignatureInvalid = "signature_invalid";
    SignatureRequired = "signature_required";
    SignatureNotExpected = "signature_not_expected";
    InvalidPublicKey = "invalid_public_key";
    KeyAlreadyRegistered = "key_already_registered";
}

impl From<FieldCode> for &'static str {
    fn from(c: FieldCode) -> &'static str {
        c.as_str()
    }
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for FieldCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for FieldCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
            assert_eq!(Code::parse(c.as_str()), Some(c));
            assert!((400..600).contains(&c.status()));
            assert!(!c.zh().is_empty() && !c.en().is_empty());
        }
    }

    #[test]
    fn every_status_fallback_is_a_code_of_that_status() {
        for s in [400, 401, 403, 404, 405, 408, 413, 414, 415, 431, 503, 500] {
            assert_eq!(Code::for_status(s).status(), s);
        }
    }
}

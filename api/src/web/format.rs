//! How values read in the pages: money in 万元, times in 北京时间 with a countdown, and the
//! Chinese names of states and kinds.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Yuan as 万元 with at most two decimals: 3 000 000 → `300`, 1 234 500 → `123.45`.
pub fn wan(yuan: i64) -> String {
    let cents_of_wan = (yuan as i128 * 100 + if yuan >= 0 { 5_000 } else { -5_000 }) / 10_000;
    let whole = cents_of_wan / 100;
    let frac = (cents_of_wan % 100).abs();
    let mut s = group(whole);
    if frac != 0 {
        let f = format!("{frac:02}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

fn group(n: i128) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// `2026-12-01 17:00（北京时间）`.
pub fn beijing(t: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    format!(
        "{}（北京时间）",
        t.with_timezone(&offset).format("%Y-%m-%d %H:%M")
    )
}

/// The date alone, in Beijing: `2026-12-01`.
pub fn beijing_date(t: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    t.with_timezone(&offset).format("%Y-%m-%d").to_string()
}

/// A `datetime-local` value (`2026-12-01T17:00`) read as Beijing time.
pub fn beijing_input(v: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M").ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `t` as a `datetime-local` value in Beijing time.
pub fn to_beijing_input(t: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    t.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `date` value (`2026-12-01`) read as noon of that day in Beijing, so that a date alone
/// stays on the same day in UTC.
pub fn beijing_date_input(v: &str) -> Option<DateTime<Utc>> {
    beijing_input(&format!("{}T12:00", v.trim()))
}

/// The first and the last second of a `date` value's day in Beijing.
pub fn beijing_day(v: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    beijing_date_input(v).map(|noon| {
        (
            noon - chrono::Duration::hours(12),
            noon + chrono::Duration::hours(12) - chrono::Duration::seconds(1),
        )
    })
}

/// What is left until `deadline`: `剩余 5 天 3 小时`, `剩余 2 小时 10 分`, `剩余 8 分钟`, or
/// `已截止`.
pub fn countdown(deadline: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = deadline - now;
    if left <= chrono::Duration::zero() {
        return "已截止".into();
    }
    let (d, h, m) = (
        left.num_days(),
        left.num_hours() % 24,
        left.num_minutes() % 60,
    );
    if d > 0 {
        format!("剩余 {d} 天 {h} 小时")
    } else if h > 0 {
        format!("剩余 {h} 小时 {m} 分")
    } else {
        format!("剩余 {} 分钟", m.max(1))
    }
}

pub fn challenge_status(s: &str) -> &'static str {
    match s {
        "draft" => "草稿",
        "pending_review" => "待审核",
        "published" => "揭榜中",
        "evaluating" => "评审中",
        "awarded" => "已立项",
        "contracted" => "已签约",
        "completed" => "已完成",
        "cancelled" => "已撤销",
        "unsuccessful" => "未成功揭榜",
        _ => "未知状态",
    }
}

pub fn challenge_kind(s: &str) -> &'static str {
    match s {
        "tech_breakthrough" => "技术攻关类",
        "transformation" => "成果转化类",
        _ => "其他",
    }
}

pub fn mode(s: &str) -> &'static str {
    match s {
        "open" => "公开揭榜",
        "directed" => "定向委托",
        _ => "其他",
    }
}

pub fn organization_kind(s: &str) -> &'static str {
    match s {
        "enterprise" => "企业",
        "university" => "高校",
        "institute" => "科研院所",
        "government" => "政府部门",
        "other" => "其他单位",
        _ => "其他单位",
    }
}

pub fn ip_ownership(s: &str) -> &'static str {
    match s {
        "publisher" => "归发榜方所有",
        "bidder" => "归揭榜方所有",
        "shared" => "双方共有",
        "negotiable" => "双方协商约定",
        _ => "另行约定",
    }
}

/// The name of a region code (`150200` → 包头市), with its province for a prefecture or county.
pub fn region(code: &str) -> String {
    let Some(r) = jiebang_domain::region::lookup(code) else {
        return code.to_owned();
    };
    match r.parent_code.and_then(jiebang_domain::region::lookup) {
        Some(p) => format!("{}{}", p.name, r.name),
        None => r.name.to_owned(),
    }
}

/// The Chinese name of an audit action (变更记录) on an object of kind `object`, by the names
/// the audit log records.
pub fn audit_action(object: &str, a: &str) -> &'static str {
    match (object, a) {
        ("organization", "register") => return "注册",
        ("organization", "verify") => return "认证通过",
        ("organization", "return") => return "退回注册信息",
        ("consortium", "file") => return "备案",
        ("consortium", "revoke") => return "撤销备案",
        ("user", "register") => return "注册账号（随单位注册）",
        ("user", "create") => return "创建账号",
        ("user", "login") => return "登录",
        ("user", "activate") => return "恢复账号",
        ("user", "deactivate") => return "停用账号",
        ("user", "session_revoked") => return "会话吊销（刷新令牌被重复使用）",
        _ => {}
    }
    match a {
        "create" => "创建",
        "update" => "修改",
        "amend" => "修改（已发布）",
        "submit" => "提交",
        "approve" => "审核通过并发布",
        "return" => "退回修改",
        "cancel" => "撤销",
        "extend" => "延期",
        "rubric" => "设定评审细则",
        "assign_expert" => "指派评审专家",
        "select_winners" => "选定揭榜单位",
        "confirm_award" => "确认立项",
        "close" => "揭榜截止",
        "no_eligible_bid" => "无有效申报",
        "withdraw" => "撤回",
        "reopened_by_amendment" => "因榜单修改退回草稿",
        "formal_check_failed" => "形式审查未通过",
        "lapsed_at_close" => "截止时仍为草稿，已失效",
        "lapsed_challenge_cancelled" => "榜单撤销，草稿失效",
        "challenge_cancelled" => "榜单撤销",
        "score" => "专家评分",
        "change_terms" => "修改条款",
        "sign" => "签署",
        "register" => "备案",
        "milestone_report" => "报告里程碑",
        "milestone_met" => "确认里程碑达成",
        "milestone_not_met" => "确认里程碑未达成",
        "payment" => "登记拨付",
        "terminated" => "终止",
        "completed" => "完成",
        "contracted" => "全部签约备案",
        _ => "其他操作",
    }
}

/// The Chinese name of a notice kind, for the e-mail preferences.
pub fn notice_kind(k: &str) -> &'static str {
    match k {
        "challenge_submitted" => "有榜单待审核（科技厅）",
        "challenge_returned" => "榜单被退回修改",
        "challenge_published" => "榜单已发布",
        "challenge_matches_subscription" => "有符合订阅的新榜单",
        "question_answered" => "答疑已答复",
        "challenge_amended" => "榜单已修改",
        "deadline_extended" => "揭榜截止时间延期",
        "deadline_reminder" => "揭榜截止提醒",
        "bidding_closed" => "揭榜已截止",
        "challenge_cancelled" => "榜单已撤销",
        "bid_submitted" => "申报提交回执",
        "bid_ineligible" => "形式审查未通过",
        "bid_withdrawn" => "申报已撤回",
        "bid_lapsed" => "申报草稿已失效",
        "challenge_unsuccessful" => "榜单无有效申报",
        "expert_assigned" => "评审任务指派",
        "expert_recused" => "专家声明回避（科技厅）",
        "award" => "立项结果公示",
        "signature_requested" => "协议待签署",
        "agreement_signed" => "协议已签署",
        "consortium_filed" => "创新联合体已备案",
        "milestone_due" => "里程碑即将到期",
        "milestone_overdue" => "里程碑已逾期",
        "agreement_registered" => "协议已备案",
        "milestone_confirmed" => "里程碑已确认",
        "payment_recorded" => "拨付已登记",
        "agreement_completed" => "协议已完成",
        "agreement_terminated" => "协议已终止",
        "organization_registered" => "有单位待认证（科技厅）",
        "organization_returned" => "单位注册被退回",
        _ => "其他通知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_wan() {
        assert_eq!(wan(3_000_000), "300");
        assert_eq!(wan(1_234_500), "123.45");
        assert_eq!(wan(123_456_789_000), "12,345,678.9");
        assert_eq!(wan(0), "0");
        assert_eq!(wan(5_000), "0.5");
    }

    #[test]
    fn datetime_local_is_beijing_time() {
        let t = beijing_input("2026-12-01T17:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-01T09:00:00+00:00");
        assert_eq!(to_beijing_input(t), "2026-12-01T17:00");
        assert!(beijing_input("2026-12-01").is_none());
        let d = beijing_date_input("2026-12-01").unwrap();
        assert_eq!(beijing_date(d), "2026-12-01");
        assert_eq!(d.to_rfc3339(), "2026-12-01T04:00:00+00:00");
        assert!(beijing_date_input("12/01/2026").is_none());
        // a whole day: a payment dated the day of an afternoon registration lies after it
        let (start, end) = beijing_day("2026-12-01").unwrap();
        assert_eq!(start.to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-12-01T15:59:59+00:00");
    }

    #[test]
    fn beijing_time_and_countdown() {
        let t: DateTime<Utc> = "2026-12-01T09:00:00Z".parse().unwrap();
        assert_eq!(beijing(t), "2026-12-01 17:00（北京时间）");
        let now: DateTime<Utc> = "2026-11-26T06:00:00Z".parse().unwrap();
        assert_eq!(countdown(t, now), "剩余 5 天 3 小时");
        assert_eq!(
            countdown(t, t - chrono::Duration::minutes(130)),
            "剩余 2 小时 10 分"
        );
        assert_eq!(
            countdown(t, t - chrono::Duration::seconds(20)),
            "剩余 1 分钟"
        );
        assert_eq!(countdown(t, t), "已截止");
    }

    #[test]
    fn names_in_chinese() {
        assert_eq!(challenge_status("published"), "揭榜中");
        assert_eq!(region("150200"), "内蒙古自治区包头市");
        assert_eq!(region("150000"), "内蒙古自治区");
    }
}

//! The caller's notifications (in-app list), e-mail preferences and subscriptions; the admins'
//! view of the e-mail outbox. No cache reads any of these, so their writes move no change
//! counter (`Touches::NONE`, `jiebang_db::changes`).

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use jiebang_db::changes::Touches;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{Role, Violations};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Every event kind a user can be told about (e-mail preferences are per kind).
pub const KINDS: &[&str] = &[
    "challenge_submitted",
    "challenge_returned",
    "challenge_published",
    "challenge_matches_subscription",
    "question_answered",
    "challenge_amended",
    "deadline_extended",
    "deadline_reminder",
    "bidding_closed",
    "challenge_cancelled",
    "bid_submitted",
    "bid_ineligible",
    "bid_withdrawn",
    "bid_lapsed",
    "challenge_unsuccessful",
    "expert_assigned",
    "expert_recused",
    "award",
    "signature_requested",
    "agreement_signed",
    "consortium_filed",
    "milestone_due",
    "milestone_overdue",
    "agreement_registered",
    "milestone_confirmed",
    "payment_recorded",
    "agreement_completed",
    "agreement_terminated",
    "organization_registered",
    "organization_returned",
];

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub unread_count: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1–100, default 20.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = NotificationPage)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(notification_page(&state, auth, query.0).await?))
}

/// A page of the caller's notifications as `GET /me/notifications` answers it (the web
/// interface's 通知 shows the same).
pub async fn notification_page(
    state: &web::Data<AppState>,
    auth: Auth,
    query: PageQuery,
) -> ApiResult<NotificationPage> {
    let limit = match &query.limit {
        None => 20,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                ApiError::field(
                    "limit",
                    FieldCode::OutOfRange,
                    "limit 应在 1 到 100 之间 / limit must be between 1 and 100",
                )
            })?,
    };
    let cursor = query.cursor.clone();
    let user = auth.user.id.clone();
    state
        .read(move |conn| {
            let mut rows = jiebang_db::notifications::page_for_user(
                conn,
                &user,
                cursor.as_deref(),
                limit + 1,
            )?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            Ok(NotificationPage {
                next_cursor: if more {
                    rows.last().map(|n| n.id.clone())
                } else {
                    None
                },
                unread_count: jiebang_db::notifications::unread_count(conn, &user)?,
                items: rows
                    .into_iter()
                    .map(|n| NotificationView {
                        id: n.id,
                        kind: n.kind,
                        title: n.title,
                        body: n.body,
                        link: n.link,
                        read: n.read_at.is_some(),
                        created_at: utc(n.created_at),
                    })
                    .collect(),
            })
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: usize,
    pub unread_count: i64,
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead), (status = 404, body = crate::error::Problem)))]
pub async fn mark_read(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(mark_notices(&state, auth, Some(id.into_inner())).await?))
}

/// Mark every notification read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead)))]
pub async fn mark_all_read(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(mark_notices(&state, auth, None).await?))
}

/// Marks one of the caller's notifications read (another user's is 404), or with `None` all.
pub async fn mark_notices(
    state: &web::Data<AppState>,
    auth: Auth,
    id: Option<String>,
) -> ApiResult<MarkedRead> {
    let now = state.now();
    let user = auth.user.id.clone();
    state
        .write_touching(Touches::NONE, move |conn| {
            if let Some(id) = &id {
                if !jiebang_db::notifications::notification_exists(conn, &user, id)? {
                    return Err(ApiError::not_found("通知 / notification"));
                }
            }
            let marked =
                jiebang_db::notifications::mark_read(conn, &user, id.as_deref(), now.naive_utc())?;
            Ok(MarkedRead {
                marked,
                unread_count: jiebang_db::notifications::unread_count(conn, &user)?,
            })
        })
        .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Per event kind: whether it is also sent by e-mail (in-app is always on). Kinds not listed
    /// keep their current setting (e-mail on by default).
    pub email: std::collections::BTreeMap<String, bool>,
}

/// The caller's e-mail preferences, per event kind.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Preferences)))]
pub async fn get_preferences(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(preferences_of(&state, auth).await?))
}

/// The caller's e-mail preferences, every kind listed (the web interface's 账户设置 reads the same).
pub async fn preferences_of(state: &web::Data<AppState>, auth: Auth) -> ApiResult<Preferences> {
    let user = auth.user.id.clone();
    let off = state
        .read(move |conn| Ok(jiebang_db::settings::email_disabled_kinds(conn, &user)?))
        .await?;
    let email = KINDS
        .iter()
        .map(|k| ((*k).to_owned(), !off.iter().any(|o| o == k)))
        .collect();
    Ok(Preferences { email })
}

/// Turn e-mail on or off per event kind.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", request_body = Preferences,
    security(("bearer" = [])), responses((status = 200, body = Preferences), (status = 422, body = crate::error::Problem)))]
pub async fn put_preferences(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<Preferences>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(set_preferences(&state, auth, body.0).await?))
}

/// Sets e-mail on or off per kind, as `PUT /me/notification-preferences` does.
pub async fn set_preferences(
    state: &web::Data<AppState>,
    auth: Auth,
    body: Preferences,
) -> ApiResult<Preferences> {
    let mut v = Violations::new();
    for k in body.email.keys() {
        if !KINDS.contains(&k.as_str()) {
            v.push(
                format!("email.{k}"),
                FieldCode::UnknownKind,
                "没有这种通知 / no such notification kind",
            );
        }
    }
    v.into_result()?;
    let user = auth.user.id.clone();
    let prefs = body.email;
    state
        .write_touching(Touches::NONE, move |conn| {
            for (k, on) in &prefs {
                jiebang_db::settings::set_email_enabled(conn, &user, k, *on)?;
            }
            Ok(())
        })
        .await?;
    preferences_of(state, auth).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    /// Industries (产业领域) from the configured list.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Keywords looked for in new challenges (title, problem, KPIs).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// The caller's subscription to new challenges.
#[utoipa::path(get, path = "/api/v1/me/subscriptions", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = SubscriptionBody)))]
pub async fn get_subscriptions(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(subscription_of(&state, auth).await?))
}

/// The caller's subscription, as `GET /me/subscriptions` answers it.
pub async fn subscription_of(
    state: &web::Data<AppState>,
    auth: Auth,
) -> ApiResult<SubscriptionBody> {
    let user = auth.user.id.clone();
    let s = state
        .read(move |conn| Ok(jiebang_db::settings::subscription(conn, &user)?))
        .await?;
    Ok(match s {
        Some(s) => SubscriptionBody {
            industries: s.industries(),
            keywords: s.keywords(),
        },
        None => SubscriptionBody {
            industries: vec![],
            keywords: vec![],
        },
    })
}

/// Subscribe to new challenges by industry and keyword: when one that matches is published, the
/// caller is told.
#[utoipa::path(put, path = "/api/v1/me/subscriptions", tag = "notifications", request_body = SubscriptionBody,
    security(("bearer" = [])), responses((status = 200, body = SubscriptionBody), (status = 422, body = crate::error::Problem)))]
pub async fn put_subscriptions(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<SubscriptionBody>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(set_subscription(&state, auth, body.0).await?))
}

/// Sets the caller's subscription, as `PUT /me/subscriptions` does.
pub async fn set_subscription(
    state: &web::Data<AppState>,
    auth: Auth,
    body: SubscriptionBody,
) -> ApiResult<SubscriptionBody> {
    let mut v = Violations::new();
    for (i, ind) in body.industries.iter().enumerate() {
        if !state.rules.industries.contains(ind) {
            v.push(
                format!("industries[{i}]"),
                FieldCode::UnknownIndustry,
                "不在产业领域列表中 / not a configured industry",
            );
        }
    }
    let mut keywords = Vec::new();
    for (i, k) in body.keywords.iter().enumerate() {
        if let Some(k) = v.take(&format!("keywords[{i}]"), bounded_text(k, 1, 30)) {
            keywords.push(k.to_lowercase());
        }
    }
    if body.industries.len() > 20 {
        v.push(
            "industries",
            FieldCode::TooMany,
            "订阅的产业领域过多 / too many industries",
        );
    }
    if keywords.len() > 30 {
        v.push(
            "keywords",
            FieldCode::TooMany,
            "订阅关键词过多 / too many keywords",
        );
    }
    v.into_result()?;
    let now = state.now();
    let user = auth.user.id.clone();
    let industries = body.industries.clone();
    let (ind2, kw2) = (industries.clone(), keywords.clone());
    state
        .write_touching(Touches::NONE, move |conn| {
            Ok(jiebang_db::settings::set_subscription(
                conn,
                &user,
                &industries,
                &keywords,
                now.naive_utc(),
            )?)
        })
        .await?;
    Ok(SubscriptionBody {
        industries: ind2,
        keywords: kw2,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `failed` (default), `pending` or `sent`.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxView {
    pub id: String,
    pub kind: String,
    /// Masked: `z***@imu.edu.cn`. Not shown for messages about bids (`bid_submitted`,
    /// `deadline_reminder`): who bids is sealed, from admins too.
    pub to: String,
    /// Not shown for messages about bids, as `to`.
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Messages whose recipient or subject would tell who is bidding (a receipt, a reminder to a
/// draft's author): the admins' outbox shows neither.
const ABOUT_BIDS: &[&str] = &["bid_submitted", "deadline_reminder"];
const SEALED: &str = "（密封 / sealed）";

fn outbox_view(e: jiebang_db::notifications::OutboxEmail) -> OutboxView {
    let sealed = ABOUT_BIDS.contains(&e.kind.as_str());
    OutboxView {
        to: if sealed {
            SEALED.to_owned()
        } else {
            jiebang_domain::email::mask(&e.to_address)
        },
        id: e.id,
        kind: e.kind,
        subject: if sealed { SEALED.to_owned() } else { e.subject },
        status: e.status,
        attempts: e.attempts,
        last_error: e.last_error,
        message_id: e.message_id,
        created_at: utc(e.created_at),
        next_attempt_at: utc(e.next_attempt_at),
        sent_at: e.sent_at.map(utc),
    }
}

/// The e-mail outbox (admins): failed messages by default.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", params(OutboxQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<OutboxView>), (status = 403, body = crate::error::Problem)))]
pub async fn outbox(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<OutboxQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(outbox_of(&state, auth, query.0).await?))
}

/// The outbox's e-mails of a status as `GET /admin/outbox` answers (admins).
pub async fn outbox_of(
    state: &web::Data<AppState>,
    auth: Auth,
    query: OutboxQuery,
) -> ApiResult<Vec<OutboxView>> {
    auth.require(&[Role::Admin])?;
    let status = query.status.unwrap_or_else(|| "failed".into());
    if !["failed", "pending", "sent"].contains(&status.as_str()) {
        return Err(ApiError::field(
            "status",
            FieldCode::InvalidValue,
            "status 应为 failed、pending 或 sent / status must be failed, pending or sent",
        ));
    }
    let rows = state
        .read(move |conn| {
            Ok(jiebang_db::notifications::emails_with_status(
                conn, &status, 200,
            )?)
        })
        .await?;
    Ok(rows.into_iter().map(outbox_view).collect())
}

/// Put a failed e-mail back in the queue (admins).
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = OutboxView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn retry(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(retry_email(&state, auth, id.into_inner()).await?))
}

/// Puts a failed e-mail back in the queue as `POST /admin/outbox/{id}/retry` does.
pub async fn retry_email(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<OutboxView> {
    auth.require(&[Role::Admin])?;
    let now = state.now();
    let row = state
        .write_touching(Touches::NONE, move |conn| {
            jiebang_db::notifications::find_email(conn, &id)?
                .ok_or_else(|| ApiError::not_found("邮件 / e-mail"))?;
            if !jiebang_db::notifications::retry_email(conn, &id, now.naive_utc())? {
                return Err(ApiError::with(
                    Code::NotFailed,
                    "只有发送失败的邮件可以重发 / only failed e-mails are retried",
                ));
            }
            jiebang_db::notifications::find_email(conn, &id)?
                .ok_or_else(|| ApiError::internal("lost e-mail"))
        })
        .await?;
    Ok(outbox_view(row))
}

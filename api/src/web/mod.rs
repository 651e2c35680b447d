//! The web interface (网页界面): server-rendered pages in Chinese for the people the platform is
//! for, served by the same binary beside the JSON API.
//!
//! - Pages read and act through the same functions as the API's handlers (which call the
//!   application layer), never through a copy of a rule: what a page offers comes from the
//!   object's `actions`, and a refusal is the API's problem, shown beside the field at fault.
//! - Templates (`api/templates/`, askama) are checked when the binary is built; every value is
//!   escaped. Static files (`api/static/`) are compiled in and served under content-hashed URLs
//!   ([`assets`]). No page loads anything from another host, and no page needs JavaScript to
//!   act: htmx and `app.js` only enhance (live filtering, ticking countdowns).
//! - Sessions and form protection: [`session`].
//!
//! Every page is answered with a Content-Security-Policy that allows scripts, styles and images
//! from this site only, and no inline script.

pub mod assets;
pub mod format;
pub mod session;

mod account;
mod admin;
mod agreement;
mod agreements;
mod bid_form;
mod challenge_form;
mod consortium_form;
mod dashboard;
mod evaluation;
mod lifecycle;
mod objects;
mod profile;
mod public;
mod ranking;
mod rubric;
mod scoring;
mod settings;
mod workspace;

use crate::error::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{web, HttpResponse};
use askama::Template;
use jiebang_domain::codes::Code;
use jiebang_domain::Role;
use session::Visitor;

/// The Content-Security-Policy of every page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
    object-src 'none'";

/// Registers the pages and the static files. Call after the API's routes: the pages' scope takes
/// every other path, and answers unknown ones with an HTML 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/static")
            .wrap(Compress::default())
            .service(web::resource("/{file}").route(web::get().to(assets::serve))),
    )
    .service(
        web::scope("")
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CSP))
                    // the browser names this site as the origin of its own form posts (with
                    // `no-referrer` it would send `Origin: null`); other sites learn nothing
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::VARY, "Cookie")),
            )
            .service(web::resource("/").route(web::get().to(public::hall)))
            .service(
                web::resource("/challenges/new")
                    .route(web::get().to(challenge_form::new_form))
                    .route(web::post().to(challenge_form::create)),
            )
            .service(web::resource("/challenges/{id}").route(web::get().to(public::challenge)))
            .service(
                web::resource("/challenges/{id}/edit")
                    .route(web::get().to(challenge_form::edit_form))
                    .route(web::post().to(challenge_form::update)),
            )
            .service(
                web::resource("/challenges/{id}/submit")
                    .route(web::post().to(challenge_form::submit)),
            )
            .service(
                web::resource("/challenges/{id}/extend")
                    .route(web::get().to(lifecycle::extend_form))
                    .route(web::post().to(lifecycle::extend)),
            )
            .service(
                web::resource("/challenges/{id}/approve").route(web::post().to(lifecycle::approve)),
            )
            .service(
                web::resource("/challenges/{id}/return")
                    .route(web::get().to(lifecycle::return_form))
                    .route(web::post().to(lifecycle::return_challenge)),
            )
            .service(
                web::resource("/challenges/{id}/cancel")
                    .route(web::get().to(lifecycle::cancel_form))
                    .route(web::post().to(lifecycle::cancel)),
            )
            .service(web::resource("/challenges/{id}/questions").route(web::post().to(public::ask)))
            .service(
                web::resource("/challenges/{id}/ranking")
                    .route(web::get().to(ranking::ranking))
                    .route(web::post().to(ranking::select)),
            )
            .service(web::resource("/questions/{qid}/answer").route(web::post().to(public::answer)))
            .service(web::resource("/organizations").route(web::get().to(public::directory)))
            .service(
                web::resource("/organizations/{id}").route(web::get().to(objects::organization)),
            )
            .service(
                web::resource("/organizations/{id}/verify")
                    .route(web::post().to(lifecycle::verify)),
            )
            .service(
                web::resource("/organizations/{id}/return")
                    .route(web::get().to(lifecycle::org_return_form))
                    .route(web::post().to(lifecycle::org_return)),
            )
            .service(
                web::resource("/consortia/new")
                    .route(web::get().to(consortium_form::new_form))
                    .route(web::post().to(consortium_form::create)),
            )
            .service(web::resource("/consortia/{id}").route(web::get().to(objects::consortium)))
            .service(
                web::resource("/consortia/{id}/file").route(web::post().to(consortium_form::file)),
            )
            .service(
                web::resource("/consortia/{id}/revoke")
                    .route(web::get().to(lifecycle::revoke_form))
                    .route(web::post().to(lifecycle::revoke)),
            )
            .service(
                web::resource("/login")
                    .route(web::get().to(account::login_form))
                    .route(web::post().to(account::login)),
            )
            .service(web::resource("/logout").route(web::post().to(account::logout)))
            .service(
                web::resource("/admin/users")
                    .route(web::get().to(admin::users))
                    .route(web::post().to(admin::create)),
            )
            .service(web::resource("/admin/users/{id}").route(web::get().to(admin::user)))
            .service(web::resource("/admin/users/{id}/active").route(web::post().to(admin::active)))
            .service(web::resource("/admin/outbox").route(web::get().to(admin::outbox)))
            .service(web::resource("/dashboard").route(web::get().to(dashboard::dashboard)))
            .service(web::resource("/dashboard.csv").route(web::get().to(dashboard::csv)))
            .service(web::resource("/exports/{which}").route(web::get().to(dashboard::export)))
            .service(web::resource("/admin/outbox/{id}/retry").route(web::post().to(admin::retry)))
            .service(web::resource("/workspace").route(web::get().to(workspace::workspace)))
            .service(
                web::resource("/profile")
                    .route(web::get().to(profile::profile))
                    .route(web::post().to(profile::save)),
            )
            .service(
                web::resource("/account")
                    .route(web::get().to(settings::account))
                    .route(web::post().to(settings::save)),
            )
            .service(web::resource("/notices").route(web::get().to(workspace::notices)))
            .service(
                web::resource("/notices/read-all")
                    .route(web::post().to(workspace::notices_read_all)),
            )
            .service(
                web::resource("/notices/{id}/open").route(web::post().to(workspace::notice_open)),
            )
            .service(web::resource("/bids/{id}").route(web::get().to(workspace::bid)))
            .service(
                web::resource("/bids/{id}/score")
                    .route(web::get().to(scoring::score_form))
                    .route(web::post().to(scoring::score)),
            )
            .service(
                web::resource("/challenges/{id}/scoring").route(web::get().to(scoring::scoring)),
            )
            .service(
                web::resource("/challenges/{id}/evaluation")
                    .route(web::get().to(evaluation::evaluation))
                    .route(web::post().to(evaluation::assign)),
            )
            .service(
                web::resource("/challenges/{id}/award").route(web::post().to(evaluation::confirm)),
            )
            .service(
                web::resource("/challenges/{id}/rubric")
                    .route(web::get().to(rubric::form))
                    .route(web::post().to(rubric::save)),
            )
            .service(
                web::resource("/challenges/{id}/recusal")
                    .route(web::get().to(lifecycle::recusal_form))
                    .route(web::post().to(lifecycle::recuse)),
            )
            .service(web::resource("/agreements").route(web::get().to(agreements::agreements)))
            .service(web::resource("/agreements/{id}").route(web::get().to(agreement::agreement)))
            .service(web::resource("/agreements/{id}/sign").route(web::post().to(agreement::sign)))
            .service(
                web::resource("/agreements/{id}/evidence.json")
                    .route(web::get().to(agreement::evidence)),
            )
            .service(web::resource("/agreements/{id}/pay").route(web::post().to(lifecycle::pay)))
            .service(
                web::resource("/agreements/{id}/terminate")
                    .route(web::get().to(lifecycle::terminate_form))
                    .route(web::post().to(lifecycle::terminate)),
            )
            .service(
                web::resource("/agreements/{id}/{step}")
                    .route(web::post().to(lifecycle::agreement_step)),
            )
            .service(
                web::resource("/agreements/{id}/milestones/{mid}/{action}")
                    .route(web::post().to(agreement::milestone)),
            )
            .service(
                web::resource("/challenges/{id}/bid")
                    .route(web::get().to(bid_form::new_form))
                    .route(web::post().to(bid_form::create)),
            )
            .service(
                web::resource("/bids/{id}/edit")
                    .route(web::get().to(bid_form::edit_form))
                    .route(web::post().to(bid_form::update)),
            )
            .service(
                web::resource("/bids/{id}/{action}").route(web::post().to(workspace::bid_action)),
            )
            .service(
                web::resource("/register")
                    .route(web::get().to(account::register_form))
                    .route(web::post().to(account::register)),
            )
            .default_service(web::to(not_found)),
    );
}

/// A link of the navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
    /// A count beside the label (unread notices).
    pub badge: Option<i64>,
}

/// What every page's frame shows: the title, the navigation for the visitor's role, the form
/// token and the static files' URLs.
pub struct Layout {
    pub title: String,
    pub nav: Vec<NavLink>,
    /// The signed-in user's name and role, in Chinese.
    pub user: Option<(String, &'static str)>,
    pub csrf: String,
    /// The sign-in link, which comes back here.
    pub login_href: String,
    pub css: &'static str,
    pub pico: &'static str,
    pub js: &'static str,
    pub htmx: &'static str,
}

pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::OrgAdmin => "单位管理员",
        Role::OrgMember => "单位用户",
        Role::Expert => "评审专家",
        Role::Official => "科技厅",
        Role::Admin => "平台管理员",
    }
}

impl Layout {
    pub fn new(visitor: &Visitor, title: impl Into<String>, current: &str) -> Layout {
        let mut links: Vec<(&'static str, &'static str, Option<i64>)> = vec![
            ("/", "榜单大厅", None),
            ("/organizations", "机构名录", None),
        ];
        if let Some(c) = &visitor.caller {
            links.push(("/workspace", "工作台", None));
            links.push(("/notices", "通知", Some(visitor.unread).filter(|n| *n > 0)));
            // what the staff roles may manage: users (officials create experts), failed e-mails
            if [Role::Expert, Role::Official, Role::Admin]
                .into_iter()
                .any(|r| c.role.may_create(r))
            {
                links.push(("/admin/users", "用户管理", None));
            }
            if c.is_staff() {
                links.push(("/agreements", "协议", None));
                links.push(("/dashboard", "统计", None));
            }
            if c.role == Role::Admin {
                links.push(("/admin/outbox", "失败邮件", None));
            }
            links.push(("/account", "设置", None));
        }
        Layout {
            title: title.into(),
            nav: links
                .into_iter()
                .map(|(href, label, badge)| NavLink {
                    href,
                    label,
                    current: href == current,
                    badge,
                })
                .collect(),
            user: visitor
                .caller
                .as_ref()
                .map(|c| (c.user.name.clone(), role_name(c.role))),
            csrf: visitor.csrf.clone(),
            login_href: if visitor.here.starts_with("/login")
                || visitor.here.starts_with("/register")
            {
                "/login".to_owned()
            } else {
                format!("/login?next={}", urlencode(&visitor.here))
            },
            css: assets::url("app.css"),
            pico: assets::url("pico.css"),
            js: assets::url("app.js"),
            htmx: assets::url("htmx.js"),
        }
    }
}

/// An HTML response with the visitor's cookies; pages of a signed-in visitor are not cached.
pub fn html(visitor: &Visitor, status: StatusCode, body: String) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    r.content_type("text/html; charset=utf-8");
    if visitor.caller.is_some() {
        r.insert_header((header::CACHE_CONTROL, "private, no-store"));
    } else {
        r.insert_header((header::CACHE_CONTROL, "no-cache"));
    }
    // the form token's cookie comes with pages that carry forms, not with error pages: a
    // browser's parallel request for a missing file must not replace the token of the page it
    // is showing
    if status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY {
        for c in visitor.cookies() {
            r.cookie(c);
        }
    }
    r.body(body)
}

/// Renders `page`, or the error page if the template fails.
pub fn render(visitor: &Visitor, status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => html(visitor, status, body),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("页面生成失败 / the page could not be rendered")
        }
    }
}

/// The page, or the page for its refusal.
pub fn respond(visitor: &Visitor, r: crate::error::ApiResult<HttpResponse>) -> HttpResponse {
    r.unwrap_or_else(|e| error_page(visitor, e))
}

/// The value of the first form field named `name` ("" when there is none), from a form read as
/// name/value pairs (forms with repeated or indexed names).
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The values of every form field named `name` (checkboxes), in order.
pub fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// Words typed into one field, separated by spaces or Chinese or Latin commas.
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A redirect after a successful form post (303: the browser follows with a GET).
pub fn see_other(visitor: &Visitor, to: &str) -> HttpResponse {
    let mut r = HttpResponse::SeeOther();
    r.insert_header((header::LOCATION, to.to_owned()));
    for c in visitor.cookies() {
        r.cookie(c);
    }
    r.finish()
}

/// Only paths on this site, never `//host` or a scheme: where to go after signing in.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

/// The page for a refusal: a visitor who must sign in is sent to 登录 and then back; anything
/// else gets a page that says why, in Chinese first.
pub fn error_page(visitor: &Visitor, e: ApiError) -> HttpResponse {
    let p = e.0;
    if p.code == Code::Unauthenticated || p.code == Code::InvalidToken {
        return see_other(
            visitor,
            &format!("/login?next={}", urlencode(&visitor.here)),
        );
    }
    let status = StatusCode::from_u16(p.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let heading = match status.as_u16() {
        404 => "未找到 / Not found",
        403 => "无权访问 / Not allowed",
        409 => "操作未完成 / Not done",
        429 => "请稍后再试 / Too many attempts",
        503 => "服务繁忙 / Busy",
        s if s >= 500 => "出错了 / Something went wrong",
        _ => "请求有误 / Cannot do that",
    };
    let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        "服务器出错，请稍后再试。如果问题持续，请联系平台管理员。/ The server failed; please try again later.".to_owned()
    } else {
        p.detail.clone()
    };
    let layout = Layout::new(visitor, heading, "");
    render(
        visitor,
        status,
        &ErrorPage {
            layout,
            heading,
            message,
        },
    )
}

async fn not_found(visitor: Visitor) -> HttpResponse {
    error_page(
        visitor_ref(&visitor),
        ApiError::with(
            Code::NotFound,
            "没有这个页面，请从导航重新进入 / there is no such page",
        ),
    )
}

fn visitor_ref(v: &Visitor) -> &Visitor {
    v
}

/// Percent-encodes a path and query for a `next=` parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A line of an object's 变更记录 panel.
pub struct HistoryRow {
    pub at: String,
    pub action: &'static str,
    /// `系统` for the scheduler, otherwise `用户`.
    pub by: &'static str,
    pub comment: String,
}

/// The rows of a history panel when the API lets the visitor read the object's history; none
/// when it answers 403 or 404 (the history is not theirs to read).
pub fn history_if_readable(
    object: &str,
    r: crate::error::ApiResult<Vec<jiebang_application::views::HistoryEntry>>,
) -> crate::error::ApiResult<Vec<HistoryRow>> {
    match r {
        Ok(entries) => Ok(history_rows(object, entries)),
        Err(e) if matches!(e.0.code.status(), 403 | 404) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The rows of the history panel of an `object` (`challenge`, `bid`, `agreement`,
/// `organization`, `consortium`), newest first.
pub fn history_rows(
    object: &str,
    entries: Vec<jiebang_application::views::HistoryEntry>,
) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = entries
        .into_iter()
        .map(|e| HistoryRow {
            at: format::beijing(e.at),
            action: format::audit_action(object, &e.action),
            by: if e.actor_user_id.is_some() {
                "用户"
            } else {
                "系统"
            },
            comment: e.comment.unwrap_or_default(),
        })
        .collect();
    rows.reverse();
    rows
}

/// A message beside a form field.
pub struct FieldMessage {
    /// The field's name (the API's path, e.g. `organization.credit_code`).
    pub field: String,
    /// The id of its input (`f-organization-credit_code`).
    pub id: String,
    pub message: String,
}

/// A failed form's messages, for re-showing it with everything typed kept.
#[derive(Default)]
pub struct FormErrors {
    pub fields: Vec<FieldMessage>,
    /// A refusal not tied to a field.
    pub general: Option<String>,
}

impl FormErrors {
    pub fn from_api(e: ApiError) -> FormErrors {
        let p = e.0;
        let mut out = FormErrors::default();
        for f in &p.errors {
            out.push(&f.field, f.message.clone());
        }
        if out.fields.is_empty() {
            out.general = Some(p.detail.clone());
        }
        out
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push(FieldMessage {
            field: field.to_owned(),
            id: Self::id(field),
            message: message.into(),
        });
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || self.general.is_some()
    }

    /// Moves the messages of fields whose name starts with `prefix` to the single input `field`
    /// (a list typed in one box), keeping the first.
    pub fn merge_into(&mut self, prefix: &str, field: &str) {
        let mut seen = self.fields.iter().any(|f| f.field == field);
        self.fields.retain_mut(|f| {
            if !f.field.starts_with(prefix) {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            f.field = field.to_owned();
            f.id = Self::id(field);
            true
        });
    }

    /// The first message, field or general.
    pub fn first(&self) -> Option<String> {
        self.fields
            .first()
            .map(|f| f.message.clone())
            .or_else(|| self.general.clone())
    }

    /// The message for `field`, if it has one.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }

    /// The id of an input, from its name: `organization.credit_code` →
    /// `f-organization-credit_code`.
    pub fn id(field: &str) -> String {
        format!("f-{}", field.replace(['.', '[', ']'], "-"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_come_back() {
        assert_eq!(
            super::local_path(Some("/challenges/x?y=1")),
            "/challenges/x?y=1"
        );
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\\evil",
        ] {
            assert_eq!(super::local_path(Some(bad)), "/");
        }
        assert_eq!(super::urlencode("/a b?c=制"), "/a%20b%3Fc%3D%E5%88%B6");
    }
}

//! 用户管理 and 失败邮件: the platform users (`/admin/users`: officials, experts and admins, for
//! admins; experts and officials for officials), the form that creates one (the roles offered are
//! those `Role::may_create` allows the visitor; an expert is linked to the organisation that
//! employs them, which the conflict-of-interest rule reads), deactivation and reactivation, a
//! user's page with their history (`/admin/users/{id}`: created, signed in, deactivated), and
//! the e-mails that failed with a retry (`/admin/outbox`). Each acts through the API's own
//! function (`create_account`, `set_active`, `user_record`, `outbox_of`, `retry_email`).

use super::bid_form::{input, Input};
use super::public::Choice;
use super::session::{self, Visitor};
use super::{format, render, respond, see_other, FormErrors, Layout};
use crate::audit;
use crate::error::ApiResult;
use crate::handlers::admin::{
    create_account, set_active, user_record, users_of, CreateUserRequest, ListUsersQuery,
};
use crate::handlers::inbox::{outbox_of, retry_email, OutboxQuery};
use crate::handlers::organizations;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_domain::Role;
use serde::Deserialize;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub organization: String,
    /// An expert's fields, joined with 、.
    pub fields: String,
    pub active: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    /// Admins (de)activate users.
    may_deactivate: bool,
    me: String,
    roles: Vec<Choice>,
    organizations: Vec<Choice>,
    email: Input,
    name: Input,
    password: Input,
    fields: Input,
    role_error: Option<String>,
    organization_error: Option<String>,
    errors: FormErrors,
    done: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserFields {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub organization_id: String,
    /// An expert's fields, separated by 、, commas or semicolons.
    #[serde(default)]
    pub fields: String,
}

/// The fields typed in one box, split at 、, commas and semicolons (either width).
pub fn split_fields(typed: &str) -> Vec<String> {
    typed
        .split(['、', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn users_page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    typed: UserFields,
    errors: FormErrors,
    done: Option<&'static str>,
) -> ApiResult<HttpResponse> {
    let auth = visitor.auth()?;
    let list = users_of(state, auth.clone(), ListUsersQuery::default()).await?;
    let dir = organizations::directory_page(
        state,
        visitor.caller.clone(),
        organizations::DirectoryQuery {
            limit: Some("100".into()),
            ..Default::default()
        },
    )
    .await?;
    let org_names: std::collections::HashMap<String, String> = dir
        .items
        .iter()
        .map(|e| (e.organization.id.clone(), e.organization.name.clone()))
        .collect();
    let users = list
        .into_iter()
        .map(|u| UserRow {
            role: Role::parse(&u.role).map(super::role_name).unwrap_or("—"),
            organization: u
                .organization_id
                .as_ref()
                .and_then(|o| org_names.get(o).cloned())
                .unwrap_or_default(),
            created: format::beijing_date(u.created_at),
            fields: u.fields.join("、"),
            active: u.active,
            email: u.email,
            name: u.name,
            id: u.id,
        })
        .collect();
    let roles = [Role::Expert, Role::Official, Role::Admin]
        .into_iter()
        .filter(|r| auth.role.may_create(*r))
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: super::role_name(r).to_owned(),
            selected: typed.role == r.as_str(),
        })
        .collect();
    let mut organizations = vec![Choice {
        value: String::new(),
        label: "（不关联单位）".into(),
        selected: typed.organization_id.is_empty(),
    }];
    organizations.extend(dir.items.into_iter().map(|e| Choice {
        selected: typed.organization_id == e.organization.id,
        value: e.organization.id,
        label: e.organization.name,
    }));
    let page = UsersPage {
        layout: Layout::new(visitor, "用户管理", "/admin/users"),
        users,
        may_deactivate: auth.role == Role::Admin,
        me: auth.user.id.clone(),
        roles,
        organizations,
        email: input(&errors, "email", typed.email.clone()),
        name: input(&errors, "name", typed.name.clone()),
        // a password is never shown again
        password: input(&errors, "password", ""),
        fields: input(&errors, "fields", typed.fields.clone()),
        role_error: errors.of("role").map(str::to_owned),
        organization_error: errors.of("organization_id").map(str::to_owned),
        errors,
        done,
    };
    let status = if page.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(visitor, status, &page))
}

/// `GET /admin/users`.
pub async fn users(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("create") => Some("用户已创建，可用所设密码登录。/ The user was created."),
        Some("deactivate") => Some("用户已停用，其登录与会话立即失效。/ Deactivated."),
        Some("activate") => Some("用户已恢复。/ Reactivated."),
        _ => None,
    };
    respond(
        &visitor,
        users_page(
            &state,
            &visitor,
            UserFields::default(),
            FormErrors::default(),
            done,
        )
        .await,
    )
}

/// `POST /admin/users`: a new official, expert or admin; a refusal keeps what was typed but the
/// password.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<UserFields>,
) -> HttpResponse {
    let typed = form.into_inner();
    let r = async {
        session::check_form(&req, &visitor, &typed.csrf)?;
        let auth = visitor.auth()?;
        let body = CreateUserRequest {
            role: typed.role.clone(),
            email: typed.email.clone(),
            password: typed.password.clone(),
            name: typed.name.clone(),
            organization_id: Some(typed.organization_id.clone()).filter(|o| !o.is_empty()),
            fields: split_fields(&typed.fields),
        };
        match create_account(&state, auth, audit::request_id(&req), body).await {
            Ok(_) => Ok(see_other(&visitor, "/admin/users?done=create")),
            Err(e) if matches!(e.0.code.status(), 403 | 409 | 422) => {
                // the fields are typed in one box: a refusal of one of them shows beside it
                let mut errors = FormErrors::from_api(e);
                errors.merge_into("fields[", "fields");
                users_page(&state, &visitor, typed, errors, None).await
            }
            Err(e) => Err(e),
        }
    };
    respond(&visitor, r.await)
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    layout: Layout,
    user: UserRow,
    may_deactivate: bool,
    me: String,
    history: Vec<super::HistoryRow>,
    done: Option<&'static str>,
}

/// `GET /admin/users/{id}`: one platform or organisation user with their history, for whoever
/// `GET /api/v1/admin/users/{id}/history` lets read it.
pub async fn user(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("deactivate") => Some("用户已停用，其登录与会话立即失效。/ Deactivated."),
        Some("activate") => Some("用户已恢复。/ Reactivated."),
        _ => None,
    };
    let r = async {
        let auth = visitor.auth()?;
        let record = user_record(&state, auth.clone(), id.into_inner()).await?;
        let u = record.user;
        let organization = match &u.organization_id {
            Some(o) => organizations::read_view(&state, visitor.caller.clone(), o.clone())
                .await
                .map(|v| v.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let page = UserPage {
            layout: Layout::new(&visitor, "用户", "/admin/users"),
            user: UserRow {
                role: Role::parse(&u.role).map(super::role_name).unwrap_or("—"),
                organization,
                created: format::beijing(u.created_at),
                fields: u.fields.join("、"),
                active: u.active,
                email: u.email,
                name: u.name,
                id: u.id,
            },
            may_deactivate: auth.role == Role::Admin,
            me: auth.user.id.clone(),
            history: super::history_rows("user", record.history),
            done,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub active: String,
    /// `user` when the form is on the user's own page, which it then returns to.
    #[serde(default)]
    pub from: String,
}

/// `POST /admin/users/{id}/active`.
pub async fn active(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ActiveForm>,
) -> HttpResponse {
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        let on = form.active == "true";
        let id = id.into_inner();
        set_active(
            &state,
            visitor.auth()?,
            audit::request_id(&req),
            id.clone(),
            on,
        )
        .await?;
        let page = if form.from == "user" {
            format!("/admin/users/{id}")
        } else {
            "/admin/users".to_owned()
        };
        let done = if on { "activate" } else { "deactivate" };
        Ok(see_other(&visitor, &format!("{page}?done={done}")))
    };
    respond(&visitor, r.await)
}

pub struct MailRow {
    pub id: String,
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub attempts: i64,
    pub error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct OutboxPage {
    layout: Layout,
    mails: Vec<MailRow>,
    done: Option<&'static str>,
}

/// `GET /admin/outbox`: the e-mails that failed, each with 重发.
pub async fn outbox(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<super::workspace::DoneQuery>,
) -> HttpResponse {
    let done = match q.done.as_deref() {
        Some("retry") => Some("已重新排队发送。/ Queued again."),
        _ => None,
    };
    let r = async {
        let list = outbox_of(&state, visitor.auth()?, OutboxQuery { status: None }).await?;
        let page = OutboxPage {
            layout: Layout::new(&visitor, "失败邮件", "/admin/outbox"),
            mails: list
                .into_iter()
                .map(|m| MailRow {
                    kind: format::notice_kind(&m.kind),
                    to: m.to,
                    subject: m.subject,
                    attempts: m.attempts,
                    error: m.last_error.unwrap_or_default(),
                    created: format::beijing(m.created_at),
                    id: m.id,
                })
                .collect(),
            done,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

/// `POST /admin/outbox/{id}/retry`.
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<super::workspace::CsrfForm>,
) -> HttpResponse {
    let r = async {
        session::check_form(&req, &visitor, &form.csrf)?;
        retry_email(&state, visitor.auth()?, id.into_inner()).await?;
        Ok(see_other(&visitor, "/admin/outbox?done=retry"))
    };
    respond(&visitor, r.await)
}

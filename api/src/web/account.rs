//! 登录, 退出 and 注册: the same password check, throttle and registration as the API
//! (`handlers::auth::check_password`, `handlers::auth::register_account`).

use super::public::{region_choices, Choice};
use super::session::{self, Visitor};
use super::{error_page, local_path, render, see_other, FormErrors, Layout};
use crate::audit::{self, Actor};
use crate::handlers::auth::{
    check_password, client_address, register_account, NewOrganizationRequest, RegisterRequest,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use jiebang_db::changes::Touches;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    errors: FormErrors,
    registered: bool,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
    pub registered: Option<String>,
}

/// The sign-in form; `next` is where to go afterwards (a path on this site).
pub async fn login_form(visitor: Visitor, q: web::Query<NextQuery>) -> HttpResponse {
    if visitor.caller.is_some() {
        return see_other(&visitor, &local_path(q.next.as_deref()));
    }
    let page = LoginPage {
        layout: Layout::new(&visitor, "登录", "/login"),
        email: String::new(),
        next: local_path(q.next.as_deref()),
        errors: FormErrors::default(),
        registered: q.registered.is_some(),
    };
    render(&visitor, StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    pub next: Option<String>,
}

/// Signs in: a session cookie and back to `next`; a refusal re-shows the form with the e-mail
/// kept and the reason (the same message for an unknown e-mail and a wrong password).
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let f = form.into_inner();
    let next = local_path(f.next.as_deref());
    if let Err(e) = session::check_form(&req, &visitor, &f.csrf) {
        return error_page(&visitor, e);
    }
    let mut errors = FormErrors::default();
    if f.email.trim().is_empty() {
        errors.push("email", "请填写电子邮箱 / enter your e-mail");
    }
    if f.password.is_empty() {
        errors.push("password", "请填写密码 / enter your password");
    }
    if !errors.any() {
        let address = client_address(&req, state.config.trust_proxy);
        match check_password(&state, &address, &f.email, f.password).await {
            Ok(user) => {
                let now = state.now();
                let request_id = audit::request_id(&req);
                // a browser session: no cached read follows it
                let started = state
                    .write_touching(Touches::NONE, move |conn| {
                        let token = session::start(conn, &user.id, now)?;
                        let actor = Actor {
                            user_id: Some(user.id.clone()),
                            organization_id: user.organization_id.clone(),
                            request_id,
                        };
                        audit::record(
                            conn,
                            &actor,
                            now,
                            "user",
                            &user.id,
                            "login",
                            None::<&()>,
                            None::<&()>,
                            Some(&format!("web, address {address}")),
                        )?;
                        Ok(token)
                    })
                    .await;
                return match started {
                    Ok(token) => {
                        let mut r = see_other(&visitor, &next);
                        r.add_cookie(&visitor.session_cookie(token))
                            .expect("a valid cookie");
                        r
                    }
                    Err(e) => error_page(&visitor, e),
                };
            }
            Err(e) if e.0.code.status() >= 500 && e.0.code.status() != 503 => {
                return error_page(&visitor, e)
            }
            Err(e) => errors = FormErrors::from_api(e),
        }
    }
    let page = LoginPage {
        layout: Layout::new(&visitor, "登录", "/login"),
        email: f.email,
        next,
        errors,
        registered: false,
    };
    render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
}

/// Signs out: the session is deleted and its cookie removed.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    if let Err(e) = session::check_form(&req, &visitor, &form.csrf) {
        return error_page(&visitor, e);
    }
    if let Some(token_hash) = session::cookie_hash(&req) {
        if let Err(e) = state
            .write_touching(Touches::NONE, move |conn| session::end(conn, &token_hash))
            .await
        {
            return error_page(&visitor, e);
        }
    }
    let mut resp = see_other(&visitor, "/");
    resp.add_cookie(&visitor.ended_session_cookie())
        .expect("a valid cookie");
    resp
}

/// What the registration form holds, by the API's field paths.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "organization.name", default)]
    pub org_name: String,
    #[serde(rename = "organization.kind", default)]
    pub org_kind: String,
    #[serde(rename = "organization.credit_code", default)]
    pub credit_code: String,
    #[serde(rename = "organization.region_code", default)]
    pub region_code: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    f: RegisterForm,
    kinds: Vec<Choice>,
    regions: Vec<Choice>,
    errors: FormErrors,
}

fn kind_choices(current: &str) -> Vec<Choice> {
    [
        ("enterprise", "企业"),
        ("university", "高校"),
        ("institute", "科研院所"),
        ("government", "政府部门"),
        ("other", "其他单位"),
    ]
    .into_iter()
    .map(|(v, l)| Choice {
        value: v.into(),
        label: l.into(),
        selected: current == v,
    })
    .collect()
}

fn register_page(visitor: &Visitor, f: RegisterForm, errors: FormErrors) -> RegisterPage {
    RegisterPage {
        layout: Layout::new(visitor, "注册", "/register"),
        kinds: kind_choices(&f.org_kind),
        regions: region_choices(&Some(f.region_code.clone())),
        f,
        errors,
    }
}

/// The registration form: the user and a new organisation, whose region is picked by name.
pub async fn register_form(visitor: Visitor) -> HttpResponse {
    let page = register_page(&visitor, RegisterForm::default(), FormErrors::default());
    render(&visitor, StatusCode::OK, &page)
}

/// Registers through the API's own registration; a refusal re-shows the form with every value
/// but the password kept and each message beside its field.
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<RegisterForm>,
) -> HttpResponse {
    let mut f = form.into_inner();
    if let Err(e) = session::check_form(&req, &visitor, &f.csrf) {
        return error_page(&visitor, e);
    }
    let body = RegisterRequest {
        email: f.email.clone(),
        password: std::mem::take(&mut f.password),
        name: f.name.clone(),
        organization: NewOrganizationRequest {
            name: f.org_name.clone(),
            kind: f.org_kind.clone(),
            credit_code: f.credit_code.clone(),
            region_code: f.region_code.clone(),
        },
    };
    match register_account(&state, audit::request_id(&req), body).await {
        Ok(_) => see_other(&visitor, "/login?registered=1"),
        Err(e) if e.0.code.status() >= 500 && e.0.code.status() != 503 => error_page(&visitor, e),
        Err(e) => {
            let page = register_page(&visitor, f, FormErrors::from_api(e));
            render(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

//! Creating users, shared by registration, organisation members, `/admin/users` and the CLI.

use crate::audit::{self, Actor};
use crate::error::{Error, Result};
use crate::views::UserView;
use chrono::{DateTime, Utc};
use jiebang_db::models::{NewUser, User};
use jiebang_db::DbConnection;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{Email, Password, Role, Violations};

/// The parsed, valid parts of a new account.
pub struct ParsedAccount {
    pub email: Email,
    pub password: Password,
    pub name: String,
}

/// Validates e-mail, password (policy, not containing the e-mail or name) and name, recording
/// problems in `v` under the fields `email`, `password`, `name`.
pub fn parse_account(
    v: &mut Violations,
    email: &str,
    password: &str,
    name: &str,
) -> Option<ParsedAccount> {
    let email_p = v.take("email", Email::parse(email));
    let name_p = v.take("name", bounded_text(name, 1, 50));
    let password_p = v.take("password", Password::parse(password, &[email, name]));
    Some(ParsedAccount {
        email: email_p?,
        password: password_p?,
        name: name_p?,
    })
}

/// Everything needed to insert a user.
pub struct NewAccount {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub organization_id: Option<String>,
    pub password_hash: String,
    /// An expert's fields (专业领域); empty for everyone else.
    pub fields: Vec<String>,
}

impl From<ParsedAccount> for NewAccount {
    fn from(p: ParsedAccount) -> Self {
        NewAccount {
            email: p.email,
            name: p.name,
            role: Role::OrgMember,
            organization_id: None,
            password_hash: String::new(),
            fields: Vec::new(),
        }
    }
}

pub fn email_taken() -> Error {
    Error::with(
        Code::EmailTaken,
        "该邮箱已注册 / this e-mail address is already registered",
    )
}

/// Inserts a user; a taken e-mail is 409 `email_taken` (also when two requests race).
pub fn insert_user(
    conn: &mut DbConnection,
    account: NewAccount,
    now: DateTime<Utc>,
) -> Result<User> {
    if jiebang_db::users::email_taken(conn, account.email.as_str())? {
        return Err(email_taken());
    }
    let id = jiebang_db::new_id();
    jiebang_db::users::insert(
        conn,
        &NewUser {
            id: id.clone(),
            email: account.email.as_str().to_owned(),
            password_hash: account.password_hash,
            name: account.name,
            role: account.role.as_str().to_owned(),
            organization_id: account.organization_id,
            expert_fields: serde_json::to_string(&account.fields).map_err(Error::internal)?,
            locale: "zh".to_owned(),
            active: true,
            created_at: now.naive_utc(),
            updated_at: now.naive_utc(),
        },
    )
    .map_err(|e| {
        if jiebang_db::is_unique_violation(&e, "users_email_key", "users.email") {
            email_taken()
        } else {
            e.into()
        }
    })?;
    jiebang_db::users::find(conn, &id)?.ok_or_else(|| Error::internal("user vanished after insert"))
}

/// Inserts an official, expert or admin (also used by `jiebang user create`).
pub fn create_platform_user(
    conn: &mut jiebang_db::DbConnection,
    actor: &Actor,
    role: Role,
    account: NewAccount,
    password_hash: String,
    organization_id: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<jiebang_db::models::User> {
    if role != Role::Expert && !account.fields.is_empty() {
        return Err(Error::field(
            "fields",
            FieldCode::NotAllowed,
            "只有专家填写专业领域 / only experts have fields",
        ));
    }
    if let Some(org) = &organization_id {
        if jiebang_db::organizations::find(conn, org)?.is_none() {
            return Err(Error::field(
                "organization_id",
                FieldCode::UnknownOrganization,
                "单位不存在 / no such organisation",
            ));
        }
    }
    create_user(
        conn,
        actor,
        NewAccount {
            role,
            organization_id,
            password_hash,
            ..account
        },
        now,
    )
}

/// Inserts a user created by someone else (an admin, an official, an organisation's admin) and
/// records who created it.
pub fn create_user(
    conn: &mut jiebang_db::DbConnection,
    actor: &Actor,
    account: NewAccount,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<jiebang_db::models::User> {
    let user = insert_user(conn, account, now)?;
    audit::record(
        conn,
        actor,
        now,
        "user",
        &user.id,
        "create",
        None::<&()>,
        Some(&UserView::from(&user)),
        None,
    )?;
    Ok(user)
}

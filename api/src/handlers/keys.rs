//! Signing keys (签名密钥): the platform's public keys at a well-known URL, any key by id, an
//! organisation's keys, and registering or making an organisation's new key (its admins).

use crate::audit::{self, Actor};
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use jiebang_application::signing::{KeyView, NewKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The platform's keys, newest first: the active one signs countersignatures and audit
/// checkpoints; retired ones still verify what they signed.
#[derive(Debug, Serialize, ToSchema)]
pub struct WellKnownKeys {
    /// `1234567812345678`: the SM2 distinguishing identifier of every signature.
    pub distid: &'static str,
    pub platform: Vec<KeyView>,
}

/// The platform's public keys (no sign-in): what an auditor pins (`jiebang verify
/// --platform-key`, `jiebang audit verify --platform-key`).
#[utoipa::path(get, path = "/.well-known/jiebang-keys.json", tag = "keys",
    responses((status = 200, body = WellKnownKeys)))]
pub async fn well_known(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let keys = state
        .read(|conn| Ok(jiebang_db::keys::of_owner(conn, "platform", "")?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(WellKnownKeys {
            distid: jiebang_domain::signing::DISTID,
            platform: keys.iter().map(KeyView::from).collect(),
        }))
}

/// A public key by its id (no sign-in): any key that signed anything here.
#[utoipa::path(get, path = "/api/v1/keys/{key_id}", tag = "keys",
    responses((status = 200, body = KeyView), (status = 404, body = crate::error::Problem)))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let key = state
        .read(move |conn| Ok(jiebang_db::keys::find(conn, &id)?))
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found("密钥 / key"))?;
    Ok(HttpResponse::Ok().json(KeyView::from(&key)))
}

/// An organisation's keys, newest first (no sign-in: public keys are public).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/keys", tag = "keys",
    responses((status = 200, body = Vec<KeyView>)))]
pub async fn of_organization(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let keys = state
        .read(move |conn| Ok(jiebang_db::keys::of_owner(conn, "organization", &id)?))
        .await?;
    Ok(HttpResponse::Ok().json(keys.iter().map(KeyView::from).collect::<Vec<_>>()))
}

/// A new key: `public_key_pem` registers the organisation's own SM2 public key (it then signs
/// agreements on its side and sends the signature); without it the platform makes a key and
/// keeps it sealed under the master key, and signs with it on the admin's confirmation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyRequest {
    /// An SM2 public key, PEM (`openssl pkey -in private.pem -pubout`).
    #[serde(default)]
    pub public_key_pem: Option<String>,
}

/// Register or make the organisation's new signing key (its `org_admin`s); the active key is
/// retired and stays verifiable.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/keys", tag = "keys", request_body = NewKeyRequest, security(("bearer" = [])),
    responses((status = 201, body = KeyView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn add(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<NewKeyRequest>,
) -> ApiResult<HttpResponse> {
    let actor = Actor::user(&auth, audit::request_id(&req));
    let id = id.into_inner();
    let new = match body.0.public_key_pem {
        Some(pem) => NewKey::Own {
            public_key_pem: pem,
        },
        None => NewKey::Kept,
    };
    let st = state.clone();
    let key = state
        .write(move |conn| {
            Ok(jiebang_application::signing::rotate_organization_key(
                conn,
                &st.ctx.keys,
                &auth,
                &actor,
                &id,
                new,
                st.now(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(KeyView::from(&key)))
}

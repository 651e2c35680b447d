//! Signatures anyone can verify (可验证签名) and the tamper-evident audit chain (防篡改审计链):
//! the SM2 keys of the platform, organisations and officials; the parties' signatures of an
//! agreement's terms with the platform's countersignature; the official's countersignature at
//! registration (备案); the evidence document; and the audit log's sequencer and verifier.
//! docs/security.md describes what is signed, by whom, and how anyone checks it.

use crate::audit::{self, Actor};
use crate::caller::Caller;
use crate::error::{Error, Result};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use jiebang_db::audit::ChainedEntry;
use jiebang_db::evaluation::Agreement;
use jiebang_db::keys::{Checkpoint, KeyRow};
use jiebang_db::DbConnection;
use jiebang_domain::agreement::{canonical_json, Terms};
use jiebang_domain::audit_chain::{self, Content, Fault, Walk};
use jiebang_domain::codes::{Code, FieldCode};
use jiebang_domain::evidence::{self, Evidence, KeySignature, SignedStatement};
use jiebang_domain::sealing::{self, MasterKey};
use jiebang_domain::{signing, Role};
use std::collections::HashMap;

/// The master keys (the current one seals, every one opens what it sealed: rotation), and the
/// kept keys opened so far, by key id (a key id names one key pair for ever, so an opened key
/// never goes stale; opening one costs twice a signature).
pub struct Keyring {
    masters: Vec<MasterKey>,
    opened: std::sync::Mutex<HashMap<String, signing::Signer>>,
    /// The platform's active key as last read, and when: read again after [`PLATFORM_KEY_TTL`],
    /// so that a rotation made by another process reaches this one within that time.
    platform: std::sync::Mutex<Option<(KeyRow, std::time::Instant)>>,
}

/// How long an instance keeps using the platform key it read before it reads it again.
pub const PLATFORM_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring(master key {})", self.current_id())
    }
}

impl Keyring {
    /// `current` seals new keys; `previous` master keys still open what they sealed.
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Keyring {
        let mut masters = vec![current];
        masters.extend(previous);
        Keyring {
            masters,
            opened: std::sync::Mutex::new(HashMap::new()),
            platform: std::sync::Mutex::new(None),
        }
    }

    /// The platform's active key (made if there is none), read at most every
    /// [`PLATFORM_KEY_TTL`].
    pub fn platform_key(&self, conn: &mut DbConnection, now: DateTime<Utc>) -> Result<KeyRow> {
        if let Some((k, at)) = &*self.platform.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < PLATFORM_KEY_TTL {
                return Ok(k.clone());
            }
        }
        let key = ensure_key(conn, self, Owner::Platform, now)?;
        *self.platform.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((key.clone(), std::time::Instant::now()));
        Ok(key)
    }

    /// Forgets the platform key read (after this process rotated it).
    fn forget_platform_key(&self) {
        *self.platform.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The signer of a kept key: opened (and checked to be the key its id names) the first time.
    fn signer(&self, key: &KeyRow) -> Result<signing::Signer> {
        if let Some(s) = self
            .opened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key.id)
        {
            return Ok(s.clone());
        }
        let private = self.open(key)?;
        let public = signing::public_of(&private).map_err(Error::internal)?;
        if signing::key_id(&public).map_err(Error::internal)? != key.id {
            return Err(Error::internal(format!(
                "key {} opens to another key",
                key.id
            )));
        }
        let signer = signing::Signer::from_pem(&private).map_err(Error::internal)?;
        self.opened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.id.clone(), signer.clone());
        Ok(signer)
    }

    /// The id of the master key that seals (never the key).
    pub fn current_id(&self) -> &str {
        self.masters[0].id()
    }

    fn seal(&self, private_pem: &str) -> String {
        self.masters[0].seal(private_pem.as_bytes())
    }

    fn open(&self, key: &KeyRow) -> Result<String> {
        let sealed = key.private_sealed.as_deref().ok_or_else(|| {
            Error::internal(format!("key {} is not kept by the platform", key.id))
        })?;
        let plain = sealing::open(&self.masters, sealed)
            .map_err(|e| Error::internal(format!("key {}: {e}", key.id)))?;
        String::from_utf8(plain).map_err(|_| Error::internal(format!("key {}: not UTF-8", key.id)))
    }
}

/// Whose key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Platform,
    Organization(&'a str),
    /// An official (their countersignature at registration).
    User(&'a str),
}

impl Owner<'_> {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            Owner::Platform => ("platform", ""),
            Owner::Organization(id) => ("organization", id),
            Owner::User(id) => ("user", id),
        }
    }
}

/// Times are kept to the microsecond, as PostgreSQL stores them, so that a statement made with
/// a time reads the same from either database.
pub fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

fn kept_key(keyring: &Keyring, owner: Owner<'_>, by: Option<&str>, now: DateTime<Utc>) -> KeyRow {
    let (private, public) = signing::generate();
    let (owner_type, owner_id) = owner.parts();
    KeyRow {
        id: signing::key_id(&public).expect("a fresh key has an id"),
        owner_type: owner_type.into(),
        owner_id: owner_id.into(),
        custody: "platform".into(),
        public_pem: public,
        private_sealed: Some(keyring.seal(&private)),
        created_at: micros(now).naive_utc(),
        created_by: by.map(str::to_owned),
        retired_at: None,
    }
}

/// The owner's active key; one the platform keeps is made if it has none (each organisation
/// and official gets one at its first signature; the platform at its first start).
pub fn ensure_key(
    conn: &mut DbConnection,
    keyring: &Keyring,
    owner: Owner<'_>,
    now: DateTime<Utc>,
) -> Result<KeyRow> {
    let (owner_type, owner_id) = owner.parts();
    if let Some(k) = jiebang_db::keys::active(conn, owner_type, owner_id)? {
        return Ok(k);
    }
    let key = kept_key(keyring, owner, None, now);
    if !jiebang_db::keys::insert_first(conn, &key)? {
        // another instance made it first
        return jiebang_db::keys::active(conn, owner_type, owner_id)?
            .ok_or_else(|| Error::internal("an active key vanished"));
    }
    audit::record(
        conn,
        &Actor::system(),
        now,
        owner_type,
        if owner_id.is_empty() {
            "platform"
        } else {
            owner_id
        },
        "signing_key",
        None::<&()>,
        Some(&serde_json::json!({"key_id": key.id, "custody": key.custody})),
        None,
    )?;
    Ok(key)
}

/// Retires the platform key and makes a new one (`jiebang keys rotate-platform`).
pub fn rotate_platform_key(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
) -> Result<KeyRow> {
    let key = kept_key(keyring, Owner::Platform, None, now);
    jiebang_db::keys::rotate(conn, &key, micros(now).naive_utc())?;
    audit::record(
        conn,
        &Actor::system(),
        now,
        "platform",
        "signing_key",
        "rotate",
        None::<&()>,
        Some(&key.id),
        None,
    )?;
    keyring.forget_platform_key();
    Ok(key)
}

/// Seals every kept key again under the current master key (`jiebang keys reseal`, after a
/// master key rotation). Returns how many were sealed again.
pub fn reseal(conn: &mut DbConnection, keyring: &Keyring) -> Result<usize> {
    let mut n = 0;
    for key in jiebang_db::keys::kept(conn)? {
        let sealed = key.private_sealed.as_deref().unwrap_or_default();
        if sealing::sealed_by(sealed) == Some(keyring.current_id()) {
            continue;
        }
        let private = keyring.open(&key)?;
        jiebang_db::keys::reseal(conn, &key.id, &keyring.seal(&private))?;
        n += 1;
    }
    Ok(n)
}

/// The platform key, made on the first start, and proof that the configured master keys open
/// it: an instance with another master key refuses to start rather than fail at its first
/// signature.
pub fn ensure_platform_key(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
) -> Result<KeyRow> {
    let key = ensure_key(conn, keyring, Owner::Platform, now)?;
    let sealed = key.private_sealed.as_deref().unwrap_or_default();
    match sealing::open(&keyring.masters, sealed) {
        Ok(_) => Ok(key),
        Err(e) => Err(Error::with(
            Code::InternalError,
            format!("the platform key {} does not open with the configured master key ({e}): set the JIEBANG_MASTER_KEY the other instances use", key.id),
        )),
    }
}

/// Signs `message` with a key the platform keeps.
pub fn sign_with(keyring: &Keyring, key: &KeyRow, message: &[u8]) -> Result<KeySignature> {
    let der = keyring.signer(key)?.sign(message);
    Ok(evidence::key_signature(&key.id, &key.public_pem, &der))
}

/// A key's public side, as the API and the well-known document show it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    pub key_id: String,
    /// `platform` | `organization` | `user`
    pub owner_type: String,
    pub owner_id: String,
    /// `own`: registered by its owner, who signs on its side; `platform`: kept by the platform,
    /// sealed under the master key, used on the owner's confirmation.
    pub custody: String,
    pub public_key_pem: String,
    pub created_at: DateTime<Utc>,
    /// Set once a newer key replaced it; what it signed stays verifiable.
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<&KeyRow> for KeyView {
    fn from(k: &KeyRow) -> Self {
        KeyView {
            key_id: k.id.clone(),
            owner_type: k.owner_type.clone(),
            owner_id: k.owner_id.clone(),
            custody: k.custody.clone(),
            public_key_pem: k.public_pem.clone(),
            created_at: crate::utc(k.created_at),
            retired_at: k.retired_at.map(crate::utc),
        }
    }
}

/// A new key for an organisation: its own public key, or one the platform makes and keeps.
#[derive(Debug, Clone)]
pub enum NewKey {
    Own { public_key_pem: String },
    Kept,
}

/// Registers or makes an organisation's new key (an `org_admin` of it); the active key is
/// retired and stays listed, so what it signed stays verifiable.
pub fn rotate_organization_key(
    conn: &mut DbConnection,
    keyring: &Keyring,
    caller: &Caller,
    actor: &Actor,
    organization_id: &str,
    new: NewKey,
    now: DateTime<Utc>,
) -> Result<KeyRow> {
    if !(caller.belongs_to(organization_id) && caller.role == Role::OrgAdmin) {
        return Err(Error::with(
            Code::NotAuthorisedSignatory,
            "签名密钥由本单位管理员管理 / an admin of the organisation manages its signing keys",
        ));
    }
    let owner = Owner::Organization(organization_id);
    let key = match new {
        NewKey::Kept => kept_key(keyring, owner, Some(&caller.user.id), now),
        NewKey::Own { public_key_pem } => {
            let public = signing::normalize_public(&public_key_pem).map_err(|_| {
                Error::field(
                    "public_key_pem",
                    FieldCode::InvalidPublicKey,
                    "应为 SM2 公钥（PEM，-----BEGIN PUBLIC KEY-----） / an SM2 public key in PEM (-----BEGIN PUBLIC KEY-----)",
                )
            })?;
            let id = signing::key_id(&public).map_err(Error::internal)?;
            if jiebang_db::keys::find(conn, &id)?.is_some() {
                return Err(Error::field(
                    "public_key_pem",
                    FieldCode::KeyAlreadyRegistered,
                    "该公钥已登记过，请使用新生成的密钥 / this public key is already registered; use a new key",
                ));
            }
            let (owner_type, owner_id) = owner.parts();
            KeyRow {
                id,
                owner_type: owner_type.into(),
                owner_id: owner_id.into(),
                custody: "own".into(),
                public_pem: public,
                private_sealed: None,
                created_at: micros(now).naive_utc(),
                created_by: Some(caller.user.id.clone()),
                retired_at: None,
            }
        }
    };
    jiebang_db::keys::rotate(conn, &key, micros(now).naive_utc())?;
    audit::record(
        conn,
        actor,
        now,
        "organization",
        organization_id,
        "signing_key",
        None::<&()>,
        Some(&serde_json::json!({"key_id": key.id, "custody": key.custody})),
        None,
    )?;
    Ok(key)
}

/// What a party's signature stores: its SM2 signature over the canonical terms and the
/// platform's countersignature.
#[derive(Debug, Clone)]
pub struct PartySigned {
    pub terms_sm3: String,
    pub key_id: String,
    pub signature: String,
    pub countersign_statement: String,
    pub countersign_key_id: String,
    pub countersignature: String,
}

/// The canonical terms (what the parties sign, byte for byte).
pub fn canonical_terms(terms: &Terms) -> String {
    canonical_json(&serde_json::to_value(terms).expect("terms serialise"))
}

/// A party's signature made (or checked) and countersigned ahead of the write transaction, so
/// that the SM2 work does not hold the database's writer (SQLite has one) or the agreement's row
/// lock. [`settle_signature`] then checks, inside the transaction, that the keys it used are
/// still the active ones and creates the organisation's kept key if this made it.
#[derive(Debug, Clone)]
pub struct PreparedSignature {
    pub signed: PartySigned,
    /// A kept key made for an organisation that had none (sealed; written by `settle_signature`).
    new_key: Option<KeyRow>,
    organization_id: String,
    key_id: String,
}

impl PreparedSignature {
    /// Whether the organisation had no key and this made one (not written yet).
    pub fn made_key(&self) -> bool {
        self.new_key.is_some()
    }
}

/// Checks the signature `organization_id` submitted with its own key, or signs with the key the
/// platform keeps for it (made now, in memory, if it has none), then countersigns with the
/// platform key. Reads only. A signature that does not verify is 422 `signature_invalid` on the
/// field `signature`.
#[allow(clippy::too_many_arguments)]
pub fn prepare_signature(
    conn: &mut DbConnection,
    keyring: &Keyring,
    agreement_id: &str,
    organization_id: &str,
    user_id: &str,
    terms: &Terms,
    submitted: Option<&str>,
    signed_at: DateTime<Utc>,
    in_transaction: bool,
) -> Result<PreparedSignature> {
    let canonical = canonical_terms(terms);
    let mut new_key = None;
    let key = match jiebang_db::keys::active(conn, "organization", organization_id)? {
        Some(k) => k,
        None if submitted.is_some_and(|s| !s.trim().is_empty()) => {
            return Err(Error::field(
                "signature",
                FieldCode::SignatureNotExpected,
                "本单位未登记自有公钥，由平台代管密钥签署，请勿提交签名 / your organisation has registered no public key of its own: the platform signs with the key it keeps for you; send no signature",
            ))
        }
        // inside the write transaction, the kept key is written now (concurrent first signatures
        // wait for each other's insert and find the same key)
        None if in_transaction => {
            ensure_key(conn, keyring, Owner::Organization(organization_id), signed_at)?
        }
        None => {
            let k = kept_key(keyring, Owner::Organization(organization_id), None, signed_at);
            new_key = Some(k.clone());
            k
        }
    };
    let by = if key.custody == "own" {
        let Some(sig) = submitted.map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(Error::field(
                "signature",
                FieldCode::SignatureRequired,
                format!("本单位使用自有密钥（{}），请提交对规范化条款的 SM2 签名（DER，base64） / your organisation signs with its own key ({}): send the SM2 signature (DER, base64) of the canonical terms", key.id, key.id),
            ));
        };
        let by = KeySignature {
            key_id: key.id.clone(),
            public_key_pem: key.public_pem.clone(),
            signature: sig.to_owned(),
        };
        evidence::check(&by, canonical.as_bytes()).map_err(|why| {
            Error::field(
                "signature",
                FieldCode::SignatureInvalid,
                format!("签名未能用本单位公钥（{}）验证通过 / the signature does not verify with your organisation's key ({}): {why}", key.id, key.id),
            )
        })?;
        by
    } else {
        if submitted.is_some_and(|s| !s.trim().is_empty()) {
            return Err(Error::field(
                "signature",
                FieldCode::SignatureNotExpected,
                "本单位密钥由平台代管，由平台代为签署，请勿提交签名 / the platform keeps your organisation's key and signs with it; send no signature",
            ));
        }
        sign_with(keyring, &key, canonical.as_bytes())?
    };
    let terms_sm3 = signing::sm3_hex(canonical.as_bytes());
    let statement = evidence::countersignature_statement(&evidence::Countersigned {
        agreement_id,
        organization_id,
        user_id,
        custody: &key.custody,
        key_id: &by.key_id,
        signature: &by.signature,
        terms_sm3: &terms_sm3,
        signed_at: &evidence::time(signed_at),
    });
    let platform = keyring.platform_key(conn, signed_at)?;
    let counter = sign_with(keyring, &platform, statement.as_bytes())?;
    Ok(PreparedSignature {
        signed: PartySigned {
            terms_sm3,
            key_id: by.key_id,
            signature: by.signature,
            countersign_statement: statement,
            countersign_key_id: counter.key_id,
            countersignature: counter.signature,
        },
        new_key,
        organization_id: organization_id.to_owned(),
        key_id: key.id,
    })
}

/// Inside the write transaction, after a [`prepare_signature`] made outside it: the
/// organisation's kept key it made is written (409 `version_conflict` if another request gave it
/// one meanwhile), and the organisation's key it used must still be the active one (409
/// `version_conflict` after a rotation in between: sign again). (A platform key rotated in
/// between is harmless: the retired key's countersignature stays verifiable.)
pub fn settle_signature(conn: &mut DbConnection, p: &PreparedSignature) -> Result<()> {
    if let Some(k) = &p.new_key {
        if !jiebang_db::keys::insert_first(conn, k)? {
            return Err(Error::version_conflict());
        }
    }
    let org = jiebang_db::keys::active(conn, "organization", &p.organization_id)?;
    if org.map(|k| k.id) != Some(p.key_id.clone()) {
        return Err(Error::version_conflict());
    }
    Ok(())
}

/// [`prepare_signature`] and [`settle_signature`] in one go, inside a write transaction (the
/// demo data).
#[allow(clippy::too_many_arguments)]
pub fn sign_terms(
    conn: &mut DbConnection,
    keyring: &Keyring,
    agreement_id: &str,
    organization_id: &str,
    user_id: &str,
    terms: &Terms,
    submitted: Option<&str>,
    signed_at: DateTime<Utc>,
) -> Result<PartySigned> {
    let p = prepare_signature(
        conn,
        keyring,
        agreement_id,
        organization_id,
        user_id,
        terms,
        submitted,
        signed_at,
        true,
    )?;
    Ok(p.signed)
}

/// What registration stores: the official's countersignature and the platform's of it.
#[derive(Debug, Clone)]
pub struct RegistrationSigned {
    pub statement: String,
    pub key_id: String,
    pub signature: String,
    pub platform_statement: String,
    pub platform_key_id: String,
    pub platform_signature: String,
}

impl RegistrationSigned {
    /// The agreement's registration columns that hold these signatures (the rest of the change
    /// left as it is).
    pub fn change(self) -> jiebang_db::agreements::AgreementChange {
        jiebang_db::agreements::AgreementChange {
            registration_statement: Some(self.statement),
            registration_key_id: Some(self.key_id),
            registration_signature: Some(self.signature),
            registration_countersign_statement: Some(self.platform_statement),
            registration_countersign_key_id: Some(self.platform_key_id),
            registration_countersignature: Some(self.platform_signature),
            ..Default::default()
        }
    }
}

/// The official's countersignature at registration (备案): the statement naming the agreement,
/// its terms' SM3 and every party signature, signed with the key the platform keeps for the
/// official; and the platform's countersignature of it, which vouches that the key is the
/// official's.
pub fn countersign_registration(
    conn: &mut DbConnection,
    keyring: &Keyring,
    agreement: &Agreement,
    terms: &Terms,
    official_id: &str,
    registered_at: DateTime<Utc>,
) -> Result<RegistrationSigned> {
    let canonical = canonical_terms(terms);
    let sigs: Vec<(String, String)> = jiebang_db::agreements::signatures(conn, &agreement.id)?
        .into_iter()
        .filter_map(|s| Some((s.key_id?, s.signature?)))
        .collect();
    let statement = evidence::registration_statement(
        &agreement.id,
        &signing::sm3_hex(canonical.as_bytes()),
        &sigs,
        official_id,
        &evidence::time(registered_at),
    );
    let key = ensure_key(conn, keyring, Owner::User(official_id), registered_at)?;
    let by = sign_with(keyring, &key, statement.as_bytes())?;
    let vouch = evidence::registration_countersignature_statement(
        &agreement.id,
        official_id,
        &by,
        &evidence::time(registered_at),
    );
    let platform = keyring.platform_key(conn, registered_at)?;
    let counter = sign_with(keyring, &platform, vouch.as_bytes())?;
    Ok(RegistrationSigned {
        statement,
        key_id: by.key_id,
        signature: by.signature,
        platform_statement: vouch,
        platform_key_id: counter.key_id,
        platform_signature: counter.signature,
    })
}

fn key_signature(conn: &mut DbConnection, key_id: &str, signature: &str) -> Result<KeySignature> {
    let key = jiebang_db::keys::find(conn, key_id)?
        .ok_or_else(|| Error::internal(format!("signing key {key_id} missing")))?;
    Ok(KeySignature {
        key_id: key.id,
        public_key_pem: key.public_pem,
        signature: signature.to_owned(),
    })
}

/// The evidence document of an agreement (`GET /agreements/{id}/evidence`): self-contained, so
/// that `jiebang verify` or the stock `openssl` checks it without this service. Signatures made
/// before SM2 signing (none carry a key) are left out; the document then does not verify.
pub fn evidence_of(conn: &mut DbConnection, agreement: &Agreement) -> Result<Evidence> {
    let terms: Terms = serde_json::from_str(&agreement.terms_json).map_err(Error::internal)?;
    let value: serde_json::Value =
        serde_json::from_str(&agreement.terms_json).map_err(Error::internal)?;
    let canonical = canonical_json(&value);
    let names: HashMap<&str, &str> = terms
        .parties
        .iter()
        .map(|p| (p.organization_id.as_str(), p.name.as_str()))
        .collect();
    let mut signatures = Vec::new();
    for s in jiebang_db::agreements::signatures(conn, &agreement.id)? {
        let (Some(key_id), Some(sig), Some(statement), Some(ckey), Some(csig)) = (
            s.key_id.as_deref(),
            s.signature.as_deref(),
            s.countersign_statement,
            s.countersign_key_id.as_deref(),
            s.countersignature.as_deref(),
        ) else {
            continue;
        };
        let key = jiebang_db::keys::find(conn, key_id)?
            .ok_or_else(|| Error::internal(format!("signing key {key_id} missing")))?;
        signatures.push(evidence::PartySignature {
            organization_name: names
                .get(s.organization_id.as_str())
                .copied()
                .unwrap_or_default()
                .to_owned(),
            organization_id: s.organization_id,
            user_id: s.user_id,
            signed_at: evidence::time(crate::utc(s.signed_at)),
            custody: key.custody.clone(),
            by: KeySignature {
                key_id: key.id,
                public_key_pem: key.public_pem,
                signature: sig.to_owned(),
            },
            countersignature: SignedStatement {
                statement,
                by: key_signature(conn, ckey, csig)?,
            },
        });
    }
    let a = agreement;
    let registration = match (
        (
            &a.registration_statement,
            &a.registration_key_id,
            &a.registration_signature,
        ),
        (
            &a.registration_countersign_statement,
            &a.registration_countersign_key_id,
            &a.registration_countersignature,
        ),
        (&a.registered_by, a.registered_at),
    ) {
        (
            (Some(statement), Some(key), Some(sig)),
            (Some(pstatement), Some(pkey), Some(psig)),
            (Some(by), Some(at)),
        ) => Some(evidence::Registration {
            registered_by: by.clone(),
            registered_at: evidence::time(crate::utc(at)),
            countersignature: SignedStatement {
                statement: statement.clone(),
                by: key_signature(conn, key, sig)?,
            },
            platform_countersignature: SignedStatement {
                statement: pstatement.clone(),
                by: key_signature(conn, pkey, psig)?,
            },
        }),
        _ => None,
    };
    Ok(Evidence {
        format: evidence::FORMAT.into(),
        agreement_id: agreement.id.clone(),
        status: agreement.status.clone(),
        distid: signing::DISTID.into(),
        terms: value,
        terms_sha256: evidence::sha256_hex(canonical.as_bytes()),
        terms_sm3: signing::sm3_hex(canonical.as_bytes()),
        terms_canonical: canonical,
        signatures,
        registration,
    })
}

/// An audit entry's content, as its hash covers it.
pub fn content_of(chained: &ChainedEntry) -> Content<'_> {
    let e = &chained.entry;
    Content {
        id: e.id,
        at: e.at,
        actor_user_id: e.actor_user_id.as_deref(),
        actor_organization_id: e.actor_organization_id.as_deref(),
        object_type: &e.object_type,
        object_id: &e.object_id,
        action: &e.action,
        before_json: e.before_json.as_deref(),
        after_json: e.after_json.as_deref(),
        comment: e.comment.as_deref(),
        request_id: e.request_id.as_deref(),
    }
}

/// What one pass of the sequencer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Chained {
    pub entries: usize,
    /// The seq of the checkpoint signed, if one was.
    pub checkpoint: Option<i64>,
}

/// The sequencer: gives up to `batch` entries not chained yet their place in the chain, oldest
/// first, and signs a checkpoint of the head when the last one is `checkpoint_every` old (or
/// there is none). Appending an audit entry takes no lock; one pass at a time chains them,
/// across instances (an advisory lock on PostgreSQL, the write lock on SQLite). Run inside a
/// write transaction.
pub fn chain_pending(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
    checkpoint_every: TimeDelta,
    batch: i64,
) -> Result<Chained> {
    jiebang_db::audit::lock_chain(conn)?;
    let head = jiebang_db::audit::chain_head(conn)?;
    let (mut seq, mut prev) = match head {
        Some(h) => (
            h.seq.unwrap_or_default(),
            h.hash.unwrap_or_else(|| audit_chain::GENESIS.to_owned()),
        ),
        None => (0, audit_chain::GENESIS.to_owned()),
    };
    let pending = jiebang_db::audit::unchained(conn, batch)?;
    let mut links = Vec::with_capacity(pending.len());
    for e in &pending {
        seq += 1;
        let hash = audit_chain::entry_hash(seq, &prev, &content_of(e));
        links.push(jiebang_db::audit::Link {
            id: e.entry.id,
            seq,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    let set = jiebang_db::audit::set_chain(conn, &links)?;
    if set != links.len() {
        // only a second sequencer could have chained one of them, and the lock keeps it out
        return Err(Error::internal(format!(
            "the audit chain: {set} of {} entries set",
            links.len()
        )));
    }
    let mut done = Chained {
        entries: pending.len(),
        checkpoint: None,
    };
    if seq == 0 {
        return Ok(done);
    }
    let last = jiebang_db::keys::last_checkpoint(conn)?;
    let due = match &last {
        None => true,
        Some(c) => c.seq < seq && now.naive_utc() - c.at >= checkpoint_every,
    };
    if due {
        let at = micros(now);
        let statement = audit_chain::checkpoint_statement(seq, &prev, &evidence::time(at));
        let platform = keyring.platform_key(conn, now)?;
        let by = sign_with(keyring, &platform, statement.as_bytes())?;
        jiebang_db::keys::add_checkpoint(
            conn,
            &Checkpoint {
                seq,
                head_hash: prev,
                at: at.naive_utc(),
                statement,
                key_id: by.key_id,
                signature: by.signature,
            },
        )?;
        done.checkpoint = Some(seq);
    }
    Ok(done)
}

/// The outcome of walking the whole chain.
#[derive(Debug, Clone)]
pub struct ChainReport {
    /// Entries walked before the first fault (or all).
    pub entries: i64,
    pub checkpoints: usize,
    /// Entries appended but not chained yet (the sequencer chains them within seconds).
    pub unchained: i64,
    /// The chain's head as walked: `(seq, hash)`.
    pub head: (i64, String),
    pub fault: Option<Fault>,
}

/// Walks the chain in `seq` order, 1 000 entries at a time, then checks every checkpoint: its
/// signature, that it was made with a platform key (one of `trusted` when given), and that the
/// chain has the hash it signed at its seq. Names the first entry or checkpoint that does not fit.
pub fn verify_chain(conn: &mut DbConnection, trusted: Option<&[String]>) -> Result<ChainReport> {
    let checkpoints = jiebang_db::keys::checkpoints(conn)?;
    let wanted: HashMap<i64, &Checkpoint> = checkpoints.iter().map(|c| (c.seq, c)).collect();
    // the few keys every checkpoint is signed with, each read once
    let mut keys: HashMap<String, Option<KeyRow>> = HashMap::new();
    let mut walk = Walk::default();
    let mut fault = None;
    let mut seen: HashMap<i64, String> = HashMap::new();
    'pages: loop {
        let page = jiebang_db::audit::chained_after(conn, walk.head().0, 1000)?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let seq = e.seq.unwrap_or_default();
            if let Err(f) = walk.step(
                seq,
                e.prev_hash.as_deref(),
                e.hash.as_deref(),
                &content_of(e),
            ) {
                fault = Some(f);
                break 'pages;
            }
            if wanted.contains_key(&seq) {
                seen.insert(seq, e.hash.clone().unwrap_or_default());
            }
        }
    }
    if fault.is_none() {
        if let Some((id, seq)) = jiebang_db::audit::stray(conn)? {
            fault = Some(Fault::Stray { id, seq });
        }
    }
    let (head_seq, head_hash) = walk.head();
    let head = (head_seq, head_hash.to_owned());
    for c in &checkpoints {
        if c.seq > head_seq {
            if fault.is_none() {
                fault = Some(Fault::Truncated {
                    last: head_seq,
                    seq: c.seq,
                });
            }
            break;
        }
        if !keys.contains_key(&c.key_id) {
            keys.insert(c.key_id.clone(), jiebang_db::keys::find(conn, &c.key_id)?);
        }
        let why = checkpoint_fault(c, keys[&c.key_id].as_ref(), trusted, seen.get(&c.seq));
        if let Some(why) = why {
            // a checkpoint fault comes before any later entry fault
            let later = fault
                .as_ref()
                .and_then(|f| f.entry_id().map(|_| f))
                .is_some();
            if fault.is_none() || later {
                fault = Some(Fault::Checkpoint { seq: c.seq, why });
            }
            break;
        }
    }
    Ok(ChainReport {
        entries: head_seq,
        checkpoints: checkpoints.len(),
        unchained: jiebang_db::audit::unchained_count(conn)?,
        head,
        fault,
    })
}

/// Why a checkpoint does not fit, if it does not: its key (read once per key by the caller) must
/// be a platform key (one of `trusted` when given), its signature must verify over its
/// statement, the row must be what was signed, and the chain must have its hash at its seq.
fn checkpoint_fault(
    c: &Checkpoint,
    key: Option<&KeyRow>,
    trusted: Option<&[String]>,
    hash_at_seq: Option<&String>,
) -> Option<String> {
    let Some(key) = key else {
        return Some(format!(
            "signed by key {}, which is not in the database",
            c.key_id
        ));
    };
    if key.owner_type != "platform" {
        return Some(format!(
            "signed by key {}, which is not a platform key",
            c.key_id
        ));
    }
    if trusted.is_some_and(|t| !t.iter().any(|k| k == &c.key_id)) {
        return Some(format!(
            "signed by key {}, which is not one of the platform keys given",
            c.key_id
        ));
    }
    let by = KeySignature {
        key_id: key.id.clone(),
        public_key_pem: key.public_pem.clone(),
        signature: c.signature.clone(),
    };
    if let Err(why) = evidence::check(&by, c.statement.as_bytes()) {
        return Some(format!("signature: {why}"));
    }
    let at = evidence::time(crate::utc(c.at));
    if audit_chain::checkpoint_statement(c.seq, &c.head_hash, &at) != c.statement {
        return Some("the row differs from the statement signed".into());
    }
    if hash_at_seq != Some(&c.head_hash) {
        return Some(format!(
            "the chain's hash at seq {} is not the one signed: an entry at or before it was changed and the chain computed again",
            c.seq
        ));
    }
    None
}

//! Agreement evidence (协议存证): a self-contained JSON document anyone can check without
//! trusting this service — the canonical terms, their SHA-256 and SM3 hashes, each party's SM2
//! signature over the canonical terms with its public key, the platform's countersignature of
//! each, and the registering official's countersignature (备案). [`verify`] checks one offline
//! (the `jiebang verify FILE` command); every signature in it can also be checked with the stock
//! `openssl` command (docs/security.md).
//!
//! What is signed:
//! - a party signs the bytes of `terms_canonical` (the terms' canonical JSON, see
//!   [`crate::agreement::canonical_json`]);
//! - the platform countersigns a party's signature: the bytes of a canonical JSON statement
//!   ([`countersignature_statement`]) naming the agreement, the organisation, its key, the
//!   signature, the terms' SM3 and the time;
//! - the registering official signs a statement ([`registration_statement`]) naming the
//!   agreement, the terms' SM3, every party signature and the time, and the platform countersigns
//!   that signature ([`registration_countersignature_statement`]), vouching for the official's
//!   key.
//!
//! Every signature is SM2 with SM3 and the identifier [`crate::signing::DISTID`], DER-encoded
//! and written in base64.

use crate::agreement::{canonical_json, Terms};
use crate::signing::{self, sm3_hex, SigningError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The document format this module writes and reads.
pub const FORMAT: &str = "jiebang.agreement-evidence.v1";

/// A time as statements and evidence write it: RFC 3339, UTC, microseconds.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A signature made with a key, and the key to check it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySignature {
    /// The key's id: the first 16 bytes of SM3 over its DER `SubjectPublicKeyInfo`, hex.
    pub key_id: String,
    /// The SM2 public key, PEM.
    pub public_key_pem: String,
    /// The SM2 signature (DER), base64.
    pub signature: String,
}

/// A statement (canonical JSON, signed as its UTF-8 bytes) and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedStatement {
    pub statement: String,
    #[serde(flatten)]
    pub by: KeySignature,
}

/// One party's signature of the terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartySignature {
    pub organization_id: String,
    pub organization_name: String,
    /// The user who signed (an `org_admin` of the organisation).
    pub user_id: String,
    pub signed_at: String,
    /// `own`: the organisation signed on its side with its registered key; `platform`: the
    /// platform signed with the key it keeps for the organisation, on the user's confirmation.
    pub custody: String,
    /// Over the bytes of `terms_canonical`.
    #[serde(flatten)]
    pub by: KeySignature,
    /// The platform's countersignature of this signature.
    pub countersignature: SignedStatement,
}

/// The registration (备案) by an official.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub registered_by: String,
    pub registered_at: String,
    /// The official's countersignature of the terms and the parties' signatures.
    pub countersignature: SignedStatement,
    /// The platform's countersignature of the official's: it vouches that the key is the
    /// registering official's.
    pub platform_countersignature: SignedStatement,
}

/// The evidence document of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `jiebang.agreement-evidence.v1`
    pub format: String,
    pub agreement_id: String,
    /// The agreement's status when the document was made.
    pub status: String,
    /// The SM2 distinguishing identifier of every signature (`1234567812345678`).
    pub distid: String,
    /// The terms, as the API serves them.
    pub terms: serde_json::Value,
    /// The terms' canonical serialisation: what the parties signed, byte for byte.
    pub terms_canonical: String,
    pub terms_sha256: String,
    pub terms_sm3: String,
    pub signatures: Vec<PartySignature>,
    pub registration: Option<Registration>,
}

/// The statement the platform countersigns for a party's signature.
pub fn countersignature_statement(c: &Countersigned<'_>) -> String {
    canonical_json(&json!({
        "type": "jiebang.countersignature.v1",
        "agreement_id": c.agreement_id,
        "organization_id": c.organization_id,
        "user_id": c.user_id,
        "custody": c.custody,
        "key_id": c.key_id,
        "signature": c.signature,
        "terms_sm3": c.terms_sm3,
        "signed_at": c.signed_at,
    }))
}

/// What the platform's countersignature of a party's signature names.
#[derive(Debug, Clone, Copy)]
pub struct Countersigned<'a> {
    pub agreement_id: &'a str,
    pub organization_id: &'a str,
    /// The user who signed for the organisation.
    pub user_id: &'a str,
    /// `own` or `platform`: who holds the key.
    pub custody: &'a str,
    pub key_id: &'a str,
    /// The party's signature, base64.
    pub signature: &'a str,
    pub terms_sm3: &'a str,
    pub signed_at: &'a str,
}

/// The statement the platform countersigns for the registering official's signature, which binds
/// the official's key to the official: without it anyone could make a key and sign a
/// "registration".
pub fn registration_countersignature_statement(
    agreement_id: &str,
    registered_by: &str,
    official: &KeySignature,
    registered_at: &str,
) -> String {
    canonical_json(&json!({
        "type": "jiebang.registration-countersignature.v1",
        "agreement_id": agreement_id,
        "registered_by": registered_by,
        "key_id": official.key_id,
        "signature": official.signature,
        "registered_at": registered_at,
    }))
}

/// The statement the registering official signs: the agreement, its terms and every party
/// signature as `(key_id, signature)`, listed in key order.
pub fn registration_statement(
    agreement_id: &str,
    terms_sm3: &str,
    signatures: &[(String, String)],
    registered_by: &str,
    registered_at: &str,
) -> String {
    // in key order, so that the statement does not depend on the order rows are read in
    let mut sorted: Vec<&(String, String)> = signatures.iter().collect();
    sorted.sort();
    let sigs: Vec<_> = sorted
        .into_iter()
        .map(|(k, s)| json!({"key_id": k, "signature": s}))
        .collect();
    canonical_json(&json!({
        "type": "jiebang.registration.v1",
        "agreement_id": agreement_id,
        "terms_sm3": terms_sm3,
        "signatures": sigs,
        "registered_by": registered_by,
        "registered_at": registered_at,
    }))
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs `message` with the private key (PKCS#8 PEM), as a [`KeySignature`].
pub fn sign(private_pem: &str, message: &[u8]) -> Result<KeySignature, SigningError> {
    let public_key_pem = signing::public_of(private_pem)?;
    Ok(KeySignature {
        key_id: signing::key_id(&public_key_pem)?,
        signature: STANDARD.encode(signing::sign(private_pem, message)?),
        public_key_pem,
    })
}

/// A DER signature made with the key `key_id` (public key `public_pem`), as a [`KeySignature`].
pub fn key_signature(key_id: &str, public_pem: &str, der: &[u8]) -> KeySignature {
    KeySignature {
        key_id: key_id.to_owned(),
        public_key_pem: public_pem.to_owned(),
        signature: STANDARD.encode(der),
    }
}

/// Checks a [`KeySignature`] over `message`: the key id is the key's, the signature verifies.
pub fn check(sig: &KeySignature, message: &[u8]) -> Result<(), String> {
    let id = signing::key_id(&sig.public_key_pem).map_err(|e| e.to_string())?;
    if id != sig.key_id {
        return Err(format!("key_id {} is not the key's id ({id})", sig.key_id));
    }
    let der = STANDARD
        .decode(sig.signature.trim())
        .map_err(|_| "signature is not base64".to_owned())?;
    signing::verify(&sig.public_key_pem, message, &der).map_err(|e| e.to_string())
}

/// One check of [`verify`] and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub outcome: Result<(), String>,
}

/// The outcome of checking a whole document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.outcome.is_ok())
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome.is_err())
    }
}

fn expect_eq(what: &str, found: &serde_json::Value, wanted: &str) -> Result<(), String> {
    match found.as_str() {
        Some(f) if f == wanted => Ok(()),
        _ => Err(format!(
            "{what} in the statement is {found}, not {wanted:?}"
        )),
    }
}

/// Checks every hash and signature of `e`. With `platform_keys`, the platform's
/// countersignatures must be made by one of those key ids (the keys the platform publishes at
/// `/.well-known/jiebang-keys.json`); without, any key that verifies is accepted.
pub fn verify(e: &Evidence, platform_keys: Option<&[String]>) -> Report {
    let mut checks = Vec::new();
    let mut push = |what: String, outcome: Result<(), String>| checks.push(Check { what, outcome });
    push(
        "format".into(),
        (e.format == FORMAT && e.distid == signing::DISTID)
            .then_some(())
            .ok_or_else(|| format!("format {:?} / distid {:?} not known", e.format, e.distid)),
    );
    let canonical = canonical_json(&e.terms);
    push(
        "terms_canonical is the canonical form of terms / 条款规范化一致".into(),
        (canonical == e.terms_canonical)
            .then_some(())
            .ok_or_else(|| "terms and terms_canonical differ".to_owned()),
    );
    let bytes = e.terms_canonical.as_bytes();
    push(
        "terms_sha256".into(),
        (sha256_hex(bytes) == e.terms_sha256)
            .then_some(())
            .ok_or_else(|| format!("SHA-256 of terms_canonical is {}", sha256_hex(bytes))),
    );
    push(
        "terms_sm3".into(),
        (sm3_hex(bytes) == e.terms_sm3)
            .then_some(())
            .ok_or_else(|| format!("SM3 of terms_canonical is {}", sm3_hex(bytes))),
    );
    // every party that signs has signed, once the agreement says it is signed
    if matches!(e.status.as_str(), "signed" | "registered" | "completed") {
        let outcome = match serde_json::from_value::<Terms>(e.terms.clone()) {
            Ok(terms) => terms
                .parties
                .iter()
                .filter(|p| p.role.signs())
                .find(|p| {
                    !e.signatures
                        .iter()
                        .any(|s| s.organization_id == p.organization_id)
                })
                .map_or(Ok(()), |p| {
                    Err(format!("{} ({}) has not signed", p.name, p.organization_id))
                }),
            Err(err) => Err(format!("terms are not agreement terms: {err}")),
        };
        push("every party signed / 各方均已签署".into(), outcome);
    }
    let pinned = |by: &KeySignature| match platform_keys {
        Some(keys) if !keys.iter().any(|k| k == &by.key_id) => Err(format!(
            "key {} is not one of the platform keys given",
            by.key_id
        )),
        _ => Ok(()),
    };
    for s in &e.signatures {
        let who = format!("{} ({})", s.organization_name, s.organization_id);
        push(
            format!("signature of {who} over the terms / 签名"),
            check(&s.by, bytes),
        );
        let c = &s.countersignature;
        let outcome = check(&c.by, c.statement.as_bytes())
            .and_then(|()| pinned(&c.by))
            .and_then(|()| {
                let st: serde_json::Value = serde_json::from_str(&c.statement)
                    .map_err(|_| "statement is not JSON".to_owned())?;
                expect_eq("type", &st["type"], "jiebang.countersignature.v1")?;
                expect_eq("agreement_id", &st["agreement_id"], &e.agreement_id)?;
                expect_eq(
                    "organization_id",
                    &st["organization_id"],
                    &s.organization_id,
                )?;
                expect_eq("user_id", &st["user_id"], &s.user_id)?;
                expect_eq("custody", &st["custody"], &s.custody)?;
                expect_eq("key_id", &st["key_id"], &s.by.key_id)?;
                expect_eq("signature", &st["signature"], &s.by.signature)?;
                expect_eq("terms_sm3", &st["terms_sm3"], &e.terms_sm3)?;
                expect_eq("signed_at", &st["signed_at"], &s.signed_at)
            });
        push(
            format!("platform countersignature of {who} / 平台副署"),
            outcome,
        );
    }
    if let Some(r) = &e.registration {
        let c = &r.countersignature;
        let outcome = check(&c.by, c.statement.as_bytes()).and_then(|()| {
            let st: serde_json::Value = serde_json::from_str(&c.statement)
                .map_err(|_| "statement is not JSON".to_owned())?;
            expect_eq("type", &st["type"], "jiebang.registration.v1")?;
            expect_eq("agreement_id", &st["agreement_id"], &e.agreement_id)?;
            expect_eq("terms_sm3", &st["terms_sm3"], &e.terms_sm3)?;
            expect_eq("registered_by", &st["registered_by"], &r.registered_by)?;
            expect_eq("registered_at", &st["registered_at"], &r.registered_at)?;
            let listed: Vec<(String, String)> = e
                .signatures
                .iter()
                .map(|s| (s.by.key_id.clone(), s.by.signature.clone()))
                .collect();
            let wanted = registration_statement(
                &e.agreement_id,
                &e.terms_sm3,
                &listed,
                &r.registered_by,
                &r.registered_at,
            );
            (wanted == c.statement)
                .then_some(())
                .ok_or_else(|| "the statement lists other signatures than the document".to_owned())
        });
        push("registration countersignature / 备案副署".into(), outcome);
        let p = &r.platform_countersignature;
        let wanted = registration_countersignature_statement(
            &e.agreement_id,
            &r.registered_by,
            &c.by,
            &r.registered_at,
        );
        let outcome = check(&p.by, p.statement.as_bytes())
            .and_then(|()| pinned(&p.by))
            .and_then(|()| {
                (wanted == p.statement).then_some(()).ok_or_else(|| {
                    "the statement names another official, key or signature".to_owned()
                })
            });
        push(
            "platform countersignature of the registration / 平台确认备案签名".into(),
            outcome,
        );
    }
    Report { checks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::{AgreedMilestone, Party, PartyRole};

    fn terms() -> Terms {
        let party = |role, id: &str, name: &str| Party {
            role,
            organization_id: id.into(),
            name: name.into(),
            credit_code: "91150000MA0N000001".into(),
        };
        Terms {
            challenge_id: "c1".into(),
            bid_id: "b1".into(),
            title: "兆瓦级碱性电解槽 / MW alkaline electrolyser".into(),
            parties: vec![
                party(PartyRole::Publisher, "o1", "北方重工"),
                party(PartyRole::Bidder, "o2", "内蒙古大学"),
            ],
            fiscal_amount: 3_000_000,
            enterprise_amount: 6_000_000,
            term_months: 24,
            ip_ownership: "双方共有".into(),
            kpis: vec![],
            milestones: vec![AgreedMilestone {
                month: 12,
                deliverable: "样机".into(),
            }],
        }
    }

    /// A registered agreement's evidence, made as the service makes it.
    fn evidence() -> (Evidence, String) {
        let t = terms();
        let value = serde_json::to_value(&t).unwrap();
        let canonical = canonical_json(&value);
        let sm3 = sm3_hex(canonical.as_bytes());
        let (platform, platform_pub) = signing::generate();
        let mut signatures = Vec::new();
        for (org, name) in [("o1", "北方重工"), ("o2", "内蒙古大学")] {
            let (private, _) = signing::generate();
            let by = sign(&private, canonical.as_bytes()).unwrap();
            let at = "2026-12-01T10:00:00.000000Z";
            let statement = countersignature_statement(&Countersigned {
                agreement_id: "a1",
                organization_id: org,
                user_id: "u",
                custody: "platform",
                key_id: &by.key_id,
                signature: &by.signature,
                terms_sm3: &sm3,
                signed_at: at,
            });
            let counter = sign(&platform, statement.as_bytes()).unwrap();
            signatures.push(PartySignature {
                organization_id: org.into(),
                organization_name: name.into(),
                user_id: "u".into(),
                signed_at: at.into(),
                custody: "platform".into(),
                by,
                countersignature: SignedStatement {
                    statement,
                    by: counter,
                },
            });
        }
        let listed: Vec<_> = signatures
            .iter()
            .map(|s| (s.by.key_id.clone(), s.by.signature.clone()))
            .collect();
        let at = "2026-12-02T10:00:00.000000Z";
        let statement = registration_statement("a1", &sm3, &listed, "official", at);
        let (official, _) = signing::generate();
        let by = sign(&official, statement.as_bytes()).unwrap();
        let vouch = registration_countersignature_statement("a1", "official", &by, at);
        let platform_vouch = sign(&platform, vouch.as_bytes()).unwrap();
        let e = Evidence {
            format: FORMAT.into(),
            agreement_id: "a1".into(),
            status: "registered".into(),
            distid: signing::DISTID.into(),
            terms: value,
            terms_sha256: sha256_hex(canonical.as_bytes()),
            terms_sm3: sm3,
            terms_canonical: canonical,
            signatures,
            registration: Some(Registration {
                registered_by: "official".into(),
                registered_at: at.into(),
                countersignature: SignedStatement { statement, by },
                platform_countersignature: SignedStatement {
                    statement: vouch,
                    by: platform_vouch,
                },
            }),
        };
        (e, signing::key_id(&platform_pub).unwrap())
    }

    #[test]
    fn evidence_made_as_the_service_makes_it_verifies() {
        let (e, platform) = evidence();
        let report = verify(&e, Some(&[platform]));
        assert!(report.ok(), "{:?}", report.failures().collect::<Vec<_>>());
        assert_eq!(report.checks.len(), 4 + 1 + 2 * 2 + 2);
    }

    #[test]
    fn a_changed_byte_a_swapped_key_or_a_foreign_platform_key_is_found() {
        let (e, platform) = evidence();
        // one byte of the signed terms
        let mut changed = e.clone();
        changed.terms_canonical = changed.terms_canonical.replacen("24", "25", 1);
        let r = verify(&changed, None);
        assert!(!r.ok());
        assert!(r.failures().any(|c| c.what.starts_with("signature of")));
        // the terms object changed, the canonical string kept
        let mut changed = e.clone();
        changed.terms["fiscal_amount"] = json!(3_000_001);
        assert!(!verify(&changed, None).ok());
        // a signature presented with another key
        let mut swapped = e.clone();
        let other = swapped.signatures[1].by.clone();
        swapped.signatures[0].by.public_key_pem = other.public_key_pem;
        swapped.signatures[0].by.key_id = other.key_id;
        assert!(!verify(&swapped, None).ok());
        // a party's signature dropped from a registered agreement
        let mut dropped = e.clone();
        dropped.signatures.pop();
        let r = verify(&dropped, None);
        assert!(r.failures().any(|c| c.what.starts_with("every party")));
        assert!(r.failures().any(|c| c.what.starts_with("registration")));
        // countersigned by a key that is not the platform's
        let r = verify(&e, Some(&["0".repeat(32)]));
        assert_eq!(r.failures().count(), 3);
        // a registration forged with a key of one's own: the platform did not vouch for it
        let mut forged = e.clone();
        let (mine, _) = signing::generate();
        let reg = forged.registration.as_mut().unwrap();
        reg.countersignature.by = sign(&mine, reg.countersignature.statement.as_bytes()).unwrap();
        let r = verify(&forged, Some(std::slice::from_ref(&platform)));
        assert!(r.failures().any(|c| c
            .what
            .starts_with("platform countersignature of the registration")));
        // the signer's user or custody changed
        let mut changed = e.clone();
        changed.signatures[0].custody = "own".into();
        assert!(!verify(&changed, None).ok());
        let mut changed = e.clone();
        changed.signatures[0].user_id = "someone else".into();
        assert!(!verify(&changed, None).ok());
        // the registration lists the signatures in key order, whatever order they are read in
        let mut reordered = e.clone();
        reordered.signatures.reverse();
        assert!(verify(&reordered, Some(std::slice::from_ref(&platform))).ok());
        assert!(verify(&e, Some(&[platform])).ok());
    }
}

//! Secrets at rest (静态加密): the private keys the platform keeps for organisations, officials
//! and itself are sealed with SM4-GCM (GB/T 32907 in Galois/counter mode) under a master key
//! given in the configuration. A sealed value names the master key that sealed it, so that after
//! a rotation the previous master key still opens what it sealed until it is sealed again.
//!
//! Sealed form: `sm4gcm:<master key id>:<base64(nonce ‖ ciphertext ‖ tag)>`.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sm3::{Digest, Sm3};

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed under master key {0}, which is not configured")]
    UnknownMasterKey(String),
    #[error("sealed value does not open under its master key (altered, or a different key with the same id)")]
    Tampered,
}

/// A master key: 16 bytes for SM4, derived from the configured secret with SM3.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 16],
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the key itself
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    /// The key derived from a configured secret (at least 32 bytes, checked by the caller).
    pub fn from_secret(secret: &[u8]) -> MasterKey {
        let mut h = Sm3::new();
        h.update(b"jiebang master key v1\0");
        h.update(secret);
        let digest = h.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        let id = crate::signing::sm3_hex(&digest[16..])[..16].to_owned();
        MasterKey { key, id }
    }

    /// The key's public identifier (not secret: an SM3 of the derivation's other half).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `plain` sealed under this key, with a fresh random nonce.
    pub fn seal(&self, plain: &[u8]) -> String {
        let cipher = Sm4Gcm::new_from_slice(&self.key).expect("16-byte SM4 key");
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let n = aes_gcm::Nonce::<U12>::try_from(&nonce[..]).expect("12-byte nonce");
        let ct = cipher.encrypt(&n, plain).expect("SM4-GCM seals");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("sm4gcm:{}:{}", self.id, STANDARD.encode(out))
    }
}

/// The master key a sealed value names.
pub fn sealed_by(sealed: &str) -> Option<&str> {
    let mut parts = sealed.splitn(3, ':');
    (parts.next() == Some("sm4gcm"))
        .then(|| parts.next())
        .flatten()
}

/// Opens `sealed` with whichever of `keys` sealed it.
pub fn open(keys: &[MasterKey], sealed: &str) -> Result<Vec<u8>, SealError> {
    let mut parts = sealed.splitn(3, ':');
    let (Some("sm4gcm"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SealError::Malformed);
    };
    let key = keys
        .iter()
        .find(|k| k.id == id)
        .ok_or_else(|| SealError::UnknownMasterKey(id.to_owned()))?;
    let bytes = STANDARD.decode(body).map_err(|_| SealError::Malformed)?;
    if bytes.len() < 12 + 16 {
        return Err(SealError::Malformed);
    }
    let cipher = Sm4Gcm::new_from_slice(&key.key).expect("16-byte SM4 key");
    let n = aes_gcm::Nonce::<U12>::try_from(&bytes[..12]).expect("12-byte nonce");
    cipher
        .decrypt(&n, &bytes[12..])
        .map_err(|_| SealError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_master_key_only_and_shows_any_change() {
        let current = MasterKey::from_secret(b"a master secret of at least 32 bytes!!");
        let previous = MasterKey::from_secret(b"the previous master secret, 32 bytes or more");
        assert_ne!(current.id(), previous.id());
        assert!(!format!("{current:?}").contains("secret"));
        let sealed = previous.seal(b"-----BEGIN PRIVATE KEY-----");
        assert_eq!(sealed_by(&sealed), Some(previous.id()));
        assert_ne!(
            previous.seal(b"x"),
            previous.seal(b"x"),
            "fresh nonce each time"
        );
        assert!(!sealed.contains("PRIVATE"));
        // after a rotation the previous key still opens what it sealed
        assert_eq!(
            open(&[current.clone(), previous.clone()], &sealed).unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert_eq!(
            open(std::slice::from_ref(&current), &sealed),
            Err(SealError::UnknownMasterKey(previous.id().to_owned()))
        );
        // one changed byte of the ciphertext
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        bytes[14] ^= 1;
        let altered = format!("{head}:{}", STANDARD.encode(bytes));
        assert_eq!(
            open(std::slice::from_ref(&previous), &altered),
            Err(SealError::Tampered)
        );
        assert_eq!(open(&[previous], "plain text"), Err(SealError::Malformed));
    }
}

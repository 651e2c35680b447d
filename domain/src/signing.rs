//! Signatures anyone can check (可验证签名): SM2 digital signatures (GM/T 0003) over SM3 hashes
//! (GM/T 0004), in the formats the stock `openssl` command reads, so that a signature is checked
//! without trusting this service's code:
//!
//! - public keys as PEM `SubjectPublicKeyInfo` (`-----BEGIN PUBLIC KEY-----`, `id-ecPublicKey`
//!   on the SM2 curve, OID 1.2.156.10197.1.301);
//! - private keys as PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`), what `openssl genpkey
//!   -algorithm SM2` writes;
//! - signatures as DER `SEQUENCE { r INTEGER, s INTEGER }` over the message itself, with the
//!   signer's distinguishing identifier [`DISTID`] (GM/T 0009's default) in the SM2 `Z` value.
//!   OpenSSL 3 has no default identifier (it uses the empty one), so it must be named:
//!   `openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin
//!   -inkey key.pem -in message -sigfile signature.der`.
//!
//! Signing is deterministic (RFC 6979 over SM3): the same key and message give the same bytes.

use sm2::dsa::signature::Verifier as _;
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::elliptic_curve::ff::PrimeField as _;
use sm2::elliptic_curve::ops::Reduce;
use sm2::elliptic_curve::point::AffineCoordinates as _;
use sm2::elliptic_curve::Generate;
use sm2::elliptic_curve::{Curve as _, Group as _};
use sm2::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use sm2::{FieldBytes, ProjectivePoint, PublicKey, Scalar, SecretKey, Sm2, U256};
use sm3::{Digest, Sm3};

/// The distinguishing identifier every signature here is made and checked with (GM/T 0009's
/// default user ID).
pub const DISTID: &str = "1234567812345678";

/// Why a key or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("公钥无效，应为 SM2 公钥 PEM / the public key is not an SM2 public key in PEM")]
    PublicKey,
    #[error("私钥无效，应为 SM2 PKCS#8 PEM / the private key is not an SM2 PKCS#8 key in PEM")]
    PrivateKey,
    #[error("签名格式无效，应为 DER 编码 / the signature is not DER-encoded (r, s)")]
    Encoding,
    #[error("签名验证失败 / the signature does not verify")]
    Mismatch,
}

/// SM3 of `bytes`, lower-case hex (64 characters).
pub fn sm3_hex(bytes: &[u8]) -> String {
    hex(&Sm3::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A new key pair: (private key as PKCS#8 PEM, public key as PEM). The private PEM is secret.
pub fn generate() -> (String, String) {
    let secret = SecretKey::generate();
    let private = secret
        .to_pkcs8_pem(LineEnding::LF)
        .expect("a fresh SM2 key encodes")
        .to_string();
    let public = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("an SM2 public key encodes");
    (private, public)
}

/// The public key of a private key (PKCS#8 PEM), as PEM.
pub fn public_of(private_pem: &str) -> Result<String, SigningError> {
    let secret = SecretKey::from_pkcs8_pem(private_pem).map_err(|_| SigningError::PrivateKey)?;
    secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| SigningError::PrivateKey)
}

/// A key's identifier: the first 16 bytes of the SM3 of its DER `SubjectPublicKeyInfo`, hex. The
/// same key gives the same id however its PEM is wrapped.
pub fn key_id(public_pem: &str) -> Result<String, SigningError> {
    let key =
        PublicKey::from_public_key_pem(public_pem.trim()).map_err(|_| SigningError::PublicKey)?;
    let der = key
        .to_public_key_der()
        .map_err(|_| SigningError::PublicKey)?;
    Ok(hex(&Sm3::digest(der.as_bytes())[..16]))
}

/// The public key in a canonical PEM (LF line ends), or the refusal of one that is not SM2.
pub fn normalize_public(public_pem: &str) -> Result<String, SigningError> {
    let key =
        PublicKey::from_public_key_pem(public_pem.trim()).map_err(|_| SigningError::PublicKey)?;
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|_| SigningError::PublicKey)
}

/// The DER signature of `message` by the private key (PKCS#8 PEM), with [`DISTID`].
pub fn sign(private_pem: &str, message: &[u8]) -> Result<Vec<u8>, SigningError> {
    Ok(Signer::from_pem(private_pem)?.sign(message))
}

/// A private key opened once to sign many messages (parsing a PEM and deriving the signing key
/// costs two scalar multiplications, twice a signature's one).
///
/// It signs by GM/T 0003's steps A1–A7 with the `sm2` crate's own arithmetic and the same
/// RFC 6979 nonce as the crate's `SigningKey`, so its signatures are the crate's byte for byte
/// (a test holds them equal), with what depends on the key alone computed once here instead of
/// per signature: the signer's `Z` value and `(1 + d)⁻¹` (a scalar inversion, a quarter of a
/// signature's time).
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    /// `Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)`
    z: [u8; 32],
    /// `(1 + d)⁻¹ mod n`
    one_plus_d_inv: Scalar,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// The signer of a private key (PKCS#8 PEM), with [`DISTID`].
    pub fn from_pem(private_pem: &str) -> Result<Signer, SigningError> {
        let secret =
            SecretKey::from_pkcs8_pem(private_pem).map_err(|_| SigningError::PrivateKey)?;
        let key = SigningKey::new(DISTID, &secret).map_err(|_| SigningError::PrivateKey)?;
        let d: Scalar = *key.as_nonzero_scalar().as_ref();
        let one_plus_d_inv =
            Option::<Scalar>::from((d + Scalar::ONE).invert()).ok_or(SigningError::PrivateKey)?;
        Ok(Signer {
            z: z_value(key.verifying_key().as_affine()),
            key,
            one_plus_d_inv,
        })
    }

    /// The DER signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature = self.sign_scalars(message);
        signature.to_der().as_bytes().to_vec()
    }

    fn sign_scalars(&self, message: &[u8]) -> Signature {
        let d: Scalar = *self.key.as_nonzero_scalar().as_ref();
        // A1, A2: e = SM3(Z ‖ M), as a scalar
        let digest = Sm3::new_with_prefix(self.z)
            .chain_update(message)
            .finalize();
        let e = <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(&digest));
        // A3: k from RFC 6979's HMAC-DRBG over SM3, as the crate draws it
        let mut nonces =
            rfc6979::KGenerator::<Sm3, U256>::new(&d.to_repr(), &e.to_bytes(), &[], &Sm2::ORDER);
        loop {
            let mut k_bytes = FieldBytes::default();
            nonces.fill_next_k(&mut k_bytes);
            let Some(k) = Option::<Scalar>::from(Scalar::from_repr(k_bytes)) else {
                continue;
            };
            // A4, A5: (x1, y1) = [k]G, r = (e + x1) mod n; again if r = 0 or r + k = n
            let point = ProjectivePoint::mul_by_generator(&k).to_affine();
            let r = e + <Scalar as Reduce<FieldBytes>>::reduce(&point.x());
            if bool::from(r.is_zero() | (r + k).is_zero()) {
                continue;
            }
            // A6: s = ((1 + d)⁻¹ · (k − r·d)) mod n; again if s = 0
            let s = self.one_plus_d_inv * (k - r * d);
            if let Ok(signature) = Signature::from_scalars(r, s) {
                return signature; // A7
            }
        }
    }
}

/// The SM2 `Z` value of a public key with [`DISTID`] (GM/T 0003.2 § 5.5):
/// `SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)`, ENTL the identifier's length in bits.
fn z_value(public: &sm2::AffinePoint) -> [u8; 32] {
    use primeorder::PrimeCurveParams;
    use sm2::elliptic_curve::sec1::{Coordinates, ToSec1Point};
    let point = public.to_sec1_point(false);
    let Coordinates::Uncompressed { x, y } = point.coordinates() else {
        unreachable!("an uncompressed point has both coordinates")
    };
    let mut h = Sm3::new();
    h.update(((DISTID.len() * 8) as u16).to_be_bytes());
    h.update(DISTID);
    h.update(Sm2::EQUATION_A.to_bytes());
    h.update(Sm2::EQUATION_B.to_bytes());
    h.update(Sm2::GENERATOR.0.to_bytes());
    h.update(Sm2::GENERATOR.1.to_bytes());
    h.update(x);
    h.update(y);
    h.finalize().into()
}

/// Whether `signature` (DER) is the signature of `message` by the public key (PEM), with
/// [`DISTID`].
pub fn verify(public_pem: &str, message: &[u8], signature: &[u8]) -> Result<(), SigningError> {
    let key =
        PublicKey::from_public_key_pem(public_pem.trim()).map_err(|_| SigningError::PublicKey)?;
    let key = VerifyingKey::new(DISTID, key).map_err(|_| SigningError::PublicKey)?;
    let signature = Signature::from_der(signature).map_err(|_| SigningError::Encoding)?;
    key.verify(message, &signature)
        .map_err(|_| SigningError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm2::dsa::signature::Signer as _;

    #[test]
    fn sm3_matches_the_standards_examples() {
        // GM/T 0004-2012, appendix A: "abc" and "abcd" repeated 16 times
        assert_eq!(
            sm3_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            sm3_hex("abcd".repeat(16).as_bytes()),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn a_signature_verifies_with_its_key_only_and_over_its_message_only() {
        let (private, public) = generate();
        assert_eq!(public_of(&private).unwrap(), public);
        let message = "协议条款 / agreement terms".as_bytes();
        let signature = sign(&private, message).unwrap();
        assert_eq!(sign(&private, message).unwrap(), signature, "deterministic");
        verify(&public, message, &signature).unwrap();
        let mut changed = message.to_vec();
        changed[0] ^= 1;
        assert_eq!(
            verify(&public, &changed, &signature),
            Err(SigningError::Mismatch)
        );
        let (_, other) = generate();
        assert_eq!(
            verify(&other, message, &signature),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            verify(&public, message, &signature[1..]),
            Err(SigningError::Encoding)
        );
        assert_eq!(
            verify("not a key", message, &signature),
            Err(SigningError::PublicKey)
        );
        assert_eq!(sign("not a key", message), Err(SigningError::PrivateKey));
    }

    /// The signer's own steps (its `Z` and `(1 + d)⁻¹` computed once) give the `sm2` crate's
    /// signature byte for byte.
    #[test]
    fn the_signer_signs_as_the_sm2_crate_does() {
        for _ in 0..20 {
            let (private, _) = generate();
            let secret = SecretKey::from_pkcs8_pem(&private).unwrap();
            let theirs = SigningKey::new(DISTID, &secret).unwrap();
            let ours = Signer::from_pem(&private).unwrap();
            for message in ["", "协议条款 / agreement terms", &"x".repeat(1000)] {
                let expected: Signature = theirs.sign(message.as_bytes());
                assert_eq!(ours.sign(message.as_bytes()), expected.to_der().as_bytes());
            }
        }
    }

    #[test]
    fn a_key_id_does_not_depend_on_how_the_pem_is_written() {
        let (_, public) = generate();
        let crlf = public.replace('\n', "\r\n");
        assert_eq!(key_id(&crlf).unwrap(), key_id(&public).unwrap());
        assert_eq!(normalize_public(&crlf).unwrap(), public);
        assert_eq!(key_id(&public).unwrap().len(), 32);
        let (_, other) = generate();
        assert_ne!(key_id(&other).unwrap(), key_id(&public).unwrap());
    }

    /// The stock `openssl` command (OpenSSL 3) verifies what is signed here, refuses a changed
    /// message, and what it signs verifies here: the proof does not depend on this code.
    #[test]
    fn openssl_and_this_module_agree() {
        let dir = std::env::temp_dir().join(format!("jiebang-sm2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (private, public) = generate();
        let message = "甲方：内蒙古北方重工业集团有限公司；乙方：内蒙古大学".as_bytes();
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let key = file("public.pem", public.as_bytes());
        let msg = file("message", message);
        let sig = file("signature.der", &sign(&private, message).unwrap());
        let mut changed = message.to_vec();
        changed[3] ^= 1;
        let bad = file("changed", &changed);
        let distid = format!("distid:{DISTID}");
        let openssl_verifies = |input: &std::path::Path| {
            std::process::Command::new("openssl")
                .args(["pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt"])
                .arg(&distid)
                .args(["-pubin", "-inkey"])
                .arg(&key)
                .arg("-in")
                .arg(input)
                .arg("-sigfile")
                .arg(&sig)
                .output()
                .expect("openssl (apt-get install openssl)")
                .status
                .success()
        };
        assert!(openssl_verifies(&msg), "openssl accepts the signature");
        assert!(!openssl_verifies(&bad), "openssl refuses a changed message");

        let private_file = file("private.pem", private.as_bytes());
        let out = std::process::Command::new("openssl")
            .args(["pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-pkeyopt"])
            .arg(&distid)
            .arg("-inkey")
            .arg(&private_file)
            .arg("-in")
            .arg(&msg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        verify(&public, message, &out.stdout).expect("openssl's signature verifies here");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Access tokens: HS256 JWTs, algorithm pinned, `exp`, `iss` and `aud` checked. A token names
//! its user (`sub`) and its session (`sid`, the refresh-token family), so that logging out or
//! deactivating a user stops its access tokens at once.

use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "jiebang";
pub const AUDIENCE: &str = "jiebang-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        validation.validate_exp = false; // checked against the injected clock below
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        user_id: &str,
        session_id: &str,
        now: DateTime<Utc>,
        ttl_seconds: i64,
    ) -> String {
        let claims = Claims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 encoding")
    }

    /// The claims of a valid, unexpired token (as of `now`).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.exp > now.timestamp()).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn issues_and_verifies() {
        let now = Utc::now();
        let t = keys().issue("u1", "s1", now, 900);
        let c = keys().verify(&t, now).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("u1", "s1"));
        assert!(keys()
            .verify(&t, now + chrono::Duration::seconds(901))
            .is_none());
        assert!(JwtKeys::new(b"another secret of thirty-two bytes!")
            .verify(&t, now)
            .is_none());
    }

    #[test]
    fn refuses_alg_none_and_tampering() {
        let now = Utc::now();
        let t = keys().issue("u1", "s1", now, 900);
        let parts: Vec<&str> = t.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys()
            .verify(&format!("{none_header}.{}.", parts[1]), now)
            .is_none());
        let hs512 = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        assert!(keys()
            .verify(&format!("{hs512}.{}.{}", parts[1], parts[2]), now)
            .is_none());
        let payload = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"sub":"admin","sid":"s1","iss":"jiebang","aud":"jiebang-api","iat":0,"exp":{}}}"#,
            now.timestamp() + 900
        ));
        assert!(keys()
            .verify(&format!("{}.{payload}.{}", parts[0], parts[2]), now)
            .is_none());
    }
}

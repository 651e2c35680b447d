//! argon2id at OWASP parameters (m = 19 MiB, t = 2, p = 1) on a bounded blocking pool. A hash
//! costs ~15 ms of one core; when every slot is busy and stays busy for a moment, the request is
//! answered 503 instead of queueing without end.

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a request waits for a hashing slot before it is refused with 503.
const WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    /// A real hash of a random password: verified against when the e-mail is unknown, so that
    /// an unknown e-mail and a wrong password take the same time.
    dummy: Arc<String>,
    cost: HashCost,
}

/// The cost of new password hashes. Production always hashes at OWASP parameters; the end-to-end
/// tests, which create and sign in hundreds of users, set `Minimal` in code (it cannot be chosen
/// from the environment or the command line). A stored hash carries its own parameters, so
/// verification follows whatever the hash was made with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HashCost {
    /// argon2id, m = 19 MiB, t = 2, p = 1.
    #[default]
    Owasp,
    /// argon2id at its smallest parameters: for tests only.
    Minimal,
}

fn argon2(cost: HashCost) -> Argon2<'static> {
    let params = match cost {
        HashCost::Owasp => Params::new(19 * 1024, 2, 1, None),
        HashCost::Minimal => Params::new(8, 1, 1, None),
    };
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.expect("argon2 params"),
    )
}

/// Hashes synchronously at OWASP parameters (CLI, demo data).
pub fn hash_blocking(password: &str) -> String {
    hash_with(HashCost::Owasp, password)
}

/// Hashes synchronously at `cost`.
pub fn hash_with(cost: HashCost, password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2(cost)
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing")
        .to_string()
}

/// Verifies synchronously; a malformed stored hash never verifies.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        // the parameters are the stored hash's own
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

impl Hasher {
    pub fn new(concurrency: usize, cost: HashCost) -> Hasher {
        let random: [u8; 16] = rand::random();
        Hasher {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(hash_with(cost, &hex::encode(random))),
            cost,
        }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        let permit = tokio::time::timeout(WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::busy())?
            .map_err(ApiError::internal)?;
        let out = actix_web::web::block(move || {
            let out = f();
            drop(permit);
            out
        })
        .await?;
        Ok(out)
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let cost = self.cost;
        self.run(move || hash_with(cost, &password)).await
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is no user, so
    /// that both cases cost the same.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        let dummy = self.dummy.clone();
        self.run(move || match hash {
            Some(h) => verify_blocking(&password, &h),
            None => {
                verify_blocking(&password, &dummy);
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters() {
        let h = hash_blocking("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong horse battery", &h));
        assert!(!verify_blocking("x", "not a hash"));
    }
}

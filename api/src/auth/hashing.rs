//! argon2id at OWASP parameters (m = 19 MiB, t = 2, p = 1) on a pool of its own, at the lowest
//! CPU priority (nice 19). A hash costs ~15 ms of one core: a flood of logins would otherwise
//! take every core from the rest of the API; at the lowest priority the hashes run on what the
//! other requests leave, and logins slow down instead of everything else. When every slot is
//! busy and stays busy for a moment, the request is answered 503 instead of queueing without end.

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

type Job = Box<dyn FnOnce() + Send>;

/// A hashing slot, held until the hash it was taken for is done.
pub struct Slot(tokio::sync::OwnedSemaphorePermit);

#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    /// The pool's queue: `concurrency` threads at the lowest priority take jobs from it, and
    /// end when the last `Hasher` is dropped.
    jobs: std::sync::mpsc::SyncSender<Job>,
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

/// Lowers the calling thread to the lowest CPU priority (nice 19); best effort.
fn lowest_priority() {
    use thread_priority::unix::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
        ThreadSchedulePolicy,
    };
    if let Err(e) = set_thread_priority_and_policy(
        thread_native_id(),
        thread_priority::ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
    ) {
        tracing::debug!(error = ?e, "password hashing runs at normal priority");
    }
}

fn spawn_pool(threads: usize) -> std::sync::mpsc::SyncSender<Job> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(threads);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for i in 0..threads {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("jiebang-hash-{i}"))
            .spawn(move || {
                lowest_priority();
                loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .expect("spawn a hashing thread");
    }
    tx
}

impl Hasher {
    pub fn new(concurrency: usize, cost: HashCost) -> Hasher {
        let random: [u8; 16] = rand::random();
        let concurrency = concurrency.max(1);
        Hasher {
            jobs: spawn_pool(concurrency),
            slots: Arc::new(Semaphore::new(concurrency)),
            dummy: Arc::new(hash_with(cost, &hex::encode(random))),
            cost,
        }
    }

    /// Waits (briefly) for a hashing slot; 503 `server_busy` when none frees up. A login takes
    /// its slot before anything else, so that a request that would be refused for want of one
    /// costs nothing more.
    pub async fn slot(&self) -> ApiResult<Slot> {
        let permit = tokio::time::timeout(WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::busy())?
            .map_err(ApiError::internal)?;
        Ok(Slot(permit))
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        let slot = self.slot().await?;
        self.run_in(slot, f).await
    }

    async fn run_in<T: Send + 'static>(
        &self,
        slot: Slot,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = slot.0;
        let (tx, rx) = tokio::sync::oneshot::channel();
        // a slot is held, so a pool thread is free: the queue never blocks
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
                drop(permit);
            }))
            .map_err(ApiError::internal)?;
        rx.await.map_err(ApiError::internal)
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let cost = self.cost;
        self.run(move || hash_with(cost, &password)).await
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is no user, so
    /// that both cases cost the same.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        let slot = self.slot().await?;
        self.verify_in(slot, password, hash).await
    }

    /// [`Self::verify`] in a slot already taken.
    pub async fn verify_in(
        &self,
        slot: Slot,
        password: String,
        hash: Option<String>,
    ) -> ApiResult<bool> {
        let dummy = self.dummy.clone();
        self.run_in(slot, move || match hash {
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

    /// The nice value of the calling thread (Linux).
    fn nice() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        after.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn hashes_run_at_the_lowest_priority() {
        let hasher = Hasher::new(2, HashCost::Minimal);
        let inside =
            actix_web::rt::System::new().block_on(async { hasher.run(nice).await.unwrap() });
        assert_eq!(inside, 19, "the hashing threads are not at nice 19");
        let ok = actix_web::rt::System::new().block_on(async {
            let h = hasher.hash("correct horse battery".into()).await.unwrap();
            hasher
                .verify("correct horse battery".into(), Some(h))
                .await
                .unwrap()
        });
        assert!(ok);
    }

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters() {
        let h = hash_blocking("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong horse battery", &h));
        assert!(!verify_blocking("x", "not a hash"));
    }
}

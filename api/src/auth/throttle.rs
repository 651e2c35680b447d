//! Login throttling: failed logins are counted per account (e-mail) and per client address in a
//! sliding window; past the limit further attempts get 429 with `Retry-After` until the oldest
//! failure leaves the window. Counters live in the instance's memory (see docs/operations.md).

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub struct LoginThrottle {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl LoginThrottle {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        Self {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [(String, bool); 2] {
        [
            (format!("a:{account}"), true),
            (format!("i:{address}"), false),
        ]
    }

    /// `Some(seconds)` when the account or the address must wait before trying again.
    pub fn check(&self, account: &str, address: &str, now: DateTime<Utc>) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.wait(&mut map, account, address, now)
    }

    /// How long the account or the address must wait (`None`: it may try), with the map locked.
    fn wait(
        &self,
        map: &mut HashMap<String, VecDeque<DateTime<Utc>>>,
        account: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Option<u64> {
        let mut wait = None;
        for (key, is_account) in Self::keys(account, address) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(q) = map.get_mut(&key) {
                while q.front().is_some_and(|t| *t + self.window <= now) {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let until = q[q.len() - limit] + self.window;
                    let secs = (until - now).num_seconds().max(1) as u64;
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    /// Reserves an attempt before the password is checked: counted as a failure at once (under the
    /// same lock as the check), so that concurrent guesses cannot all pass the limit while the
    /// first ones are still being hashed. `Err(seconds)` when the limit is reached. A success (or
    /// an attempt that checked nothing) gives the reservation back with [`Self::release`].
    pub fn reserve(&self, account: &str, address: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wait) = self.wait(&mut map, account, address, now) {
            return Err(wait);
        }
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| *t + self.window > now));
        }
        for (key, _) in Self::keys(account, address) {
            map.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// Gives back a reservation made at `now` that turned out not to be a failed guess.
    pub fn release(&self, account: &str, address: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(account, address) {
            if let Some(q) = map.get_mut(&key) {
                if let Some(i) = q.iter().rposition(|t| *t == now) {
                    q.remove(i);
                }
            }
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_the_limit_and_releases_it() {
        let t = LoginThrottle::new(Duration::minutes(15), 3, 100);
        let now = Utc::now();
        for _ in 0..3 {
            assert_eq!(t.check("a@x.cn", "1.1.1.1", now), None);
            t.reserve("a@x.cn", "1.1.1.1", now).unwrap();
        }
        let wait = t.check("a@x.cn", "2.2.2.2", now).unwrap();
        assert!(wait > 800 && wait <= 900, "{wait}");
        assert_eq!(t.check("b@x.cn", "1.1.1.1", now), None);
        assert_eq!(
            t.check("a@x.cn", "1.1.1.1", now + Duration::minutes(15)),
            None
        );
    }

    #[test]
    fn locks_an_address_across_accounts() {
        let t = LoginThrottle::new(Duration::minutes(15), 100, 2);
        let now = Utc::now();
        t.reserve("a@x.cn", "9.9.9.9", now).unwrap();
        t.reserve("b@x.cn", "9.9.9.9", now).unwrap();
        assert!(t.check("c@x.cn", "9.9.9.9", now).is_some());
        assert!(t.check("c@x.cn", "8.8.8.8", now).is_none());
    }

    #[test]
    fn reservations_count_before_the_password_is_checked() {
        let t = LoginThrottle::new(Duration::minutes(15), 5, 100);
        let now = Utc::now();
        let granted = (0..40)
            .filter(|_| t.reserve("a@x.cn", "1.1.1.1", now).is_ok())
            .count();
        assert_eq!(granted, 5);
        t.release("a@x.cn", "1.1.1.1", now);
        assert!(t.reserve("a@x.cn", "1.1.1.1", now).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let t = LoginThrottle::new(Duration::minutes(15), 1, 100);
        let now = Utc::now();
        t.reserve("a@x.cn", "1.1.1.1", now).unwrap();
        assert!(t.check("a@x.cn", "1.1.1.1", now).is_some());
        t.record_success("a@x.cn");
        assert!(t.check("a@x.cn", "1.1.1.1", now).is_none());
    }
}

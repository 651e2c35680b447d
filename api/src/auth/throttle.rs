//! Login throttling: attempts are counted per account (e-mail) and per client address in a
//! sliding window; past the limit further attempts get 429 with `Retry-After` until the oldest
//! attempt leaves the window. An attempt is reserved before the password is checked (so that
//! concurrent guesses cannot all pass the limit while the first ones are still being hashed) and
//! given back when it turns out not to be a failed guess. The count lives in the database, so
//! every instance on one PostgreSQL shares it (`jiebang_db::throttle`).

use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Duration, Utc};
use jiebang_db::changes::Touches;
use jiebang_db::Database;

pub struct LoginThrottle {
    db: Database,
    window: Duration,
    per_account: i64,
    per_address: i64,
}

/// The attempts one login reserved, to give back if it was no failed guess.
#[derive(Debug)]
pub struct Reservation(Vec<String>);

impl LoginThrottle {
    pub fn new(db: Database, window: Duration, per_account: i64, per_address: i64) -> Self {
        Self {
            db,
            window,
            per_account,
            per_address,
        }
    }

    fn account_key(account: &str) -> String {
        format!("a:{account}")
    }

    /// Reserves an attempt for `account` from `address`: counted as a failure at once. 429 with
    /// `Retry-After` when either has reached its limit within the window.
    pub async fn reserve(
        &self,
        account: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<Reservation> {
        let limits = vec![
            (Self::account_key(account), self.per_account),
            (format!("i:{address}"), self.per_address),
        ];
        let (db, window) = (self.db.clone(), self.window);
        let reserved = actix_web::web::block(move || {
            // a caller already over a limit is refused from a plain read, without a write
            // transaction: a flood of refused guesses costs the database little
            if let Some(wait) =
                db.read(|c| jiebang_db::throttle::wait(c, &limits, now.naive_utc(), window))?
            {
                return Ok(Err(wait));
            }
            db.write_touching(Touches::NONE, |c| {
                jiebang_db::throttle::reserve(c, &limits, now.naive_utc(), window)
            })
        })
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)?;
        match reserved {
            Ok(ids) => Ok(Reservation(ids)),
            Err(wait) => Err(ApiError::too_many_requests(wait as u64)),
        }
    }

    /// Gives a reservation back: the attempt checked nothing (the service failed).
    pub async fn release(&self, reservation: Reservation) -> ApiResult<()> {
        let db = self.db.clone();
        actix_web::web::block(move || {
            db.write_touching(Touches::NONE, |c| {
                jiebang_db::throttle::release(c, &reservation.0)
            })
        })
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)
    }

    /// A successful login: its reservation is given back and the account's failures forgotten
    /// (the address keeps its count, so that one address cannot guess across accounts by
    /// logging into its own between guesses).
    pub async fn succeeded(&self, account: &str, reservation: Reservation) -> ApiResult<()> {
        let (db, key) = (self.db.clone(), Self::account_key(account));
        actix_web::web::block(move || {
            db.write_touching(Touches::NONE, |c| {
                jiebang_db::throttle::release(c, &reservation.0)?;
                jiebang_db::throttle::clear(c, &key)
            })
        })
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)
    }

    /// Forgets attempts that left the window (run now and then by the scheduler).
    pub fn prune(&self, now: DateTime<Utc>) -> Result<usize, jiebang_db::DbError> {
        self.db.write_touching(Touches::NONE, |c| {
            jiebang_db::throttle::prune(c, (now - self.window).naive_utc())
        })
    }
}

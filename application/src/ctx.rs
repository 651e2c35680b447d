//! What every use case may consult besides the database: the clock, the programme's settings
//! and the master keys.

use chrono::{DateTime, Utc};
use jiebang_domain::challenge::Rules;
use jiebang_domain::Clock;
use std::sync::Arc;

/// The programme's settings the rules depend on (from the configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public URL of the service: links in notices point under it.
    pub public_url: String,
    /// The home region (`JIEBANG_HOME_REGION`) of the in-region share at the formal check.
    pub home_region: String,
    /// 限项: how many live bids one organisation may lead at once.
    pub max_live_bids: i64,
    /// The challenge rules: funding ratio, minimum bidding window, industries.
    pub rules: Rules,
}

/// The context of a use case: the clock (read under the locks the use case takes) and the
/// settings. Cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// The master keys that seal the private keys the platform keeps.
    pub keys: Arc<crate::signing::Keyring>,
}

impl Ctx {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

//! The application layer (应用层) of Jiebang: the use cases, with no HTTP in them.
//!
//! Each use case is a function of a database connection inside a write transaction, the
//! [`Caller`] (or the system, for the background loops), the command and the time. It loads what
//! it decides on with the right lock, asks the domain (`jiebang_domain`) for the decision, writes
//! through `jiebang_db`, appends the audit entry ([`audit`]) and enqueues the notices
//! ([`notify`]), all in that one transaction. Refusals are [`Error`]s carrying a catalogue
//! [`Code`](jiebang_domain::Code). The JSON API (`jiebang-api`), the web interface and the
//! scheduler call these functions; none of them repeats a rule.

pub mod accounts;
pub mod agreement_actions;
pub mod audit;
pub mod bid_actions;
pub mod bids;
pub mod caller;
pub mod challenge_actions;
pub mod challenges;
pub mod consortium_actions;
pub mod ctx;
pub mod error;
pub mod notify;
pub mod organization_actions;
pub mod question_actions;
pub mod signing;
pub mod views;
pub mod visibility;
pub mod work;

pub use caller::Caller;
pub use ctx::{Ctx, Settings};
pub use error::{Error, Result};

/// A stored (naive, UTC) time as a UTC date-time, as it is served.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

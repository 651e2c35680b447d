//! Jiebang's domain: value types that can only hold valid values, the state machines of the
//! programme's objects and their rules. Pure logic: no I/O, no database, no HTTP.

pub mod agreement;
pub mod audit_chain;
pub mod bid;
pub mod challenge;
pub mod clock;
pub mod codes;
pub mod credit_code;
pub mod email;
pub mod evaluation;
pub mod evidence;
pub mod matching;
pub mod ocds;
pub mod organization;
pub mod password;
pub mod region;
pub mod sealing;
pub mod signing;
pub mod user;
pub mod validation;
pub mod visibility;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codes::{Code, FieldCode};
pub use credit_code::CreditCode;
pub use email::Email;
pub use organization::{OrganizationKind, OrganizationStatus};
pub use password::Password;
pub use region::RegionCode;
pub use user::Role;
pub use validation::{FieldError, Violations};

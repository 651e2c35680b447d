//! Authentication: argon2id password hashing on a bounded pool, JWT access tokens, rotating
//! refresh tokens, login throttling, and the `Auth` extractor.

pub mod extractor;
pub mod hashing;
pub mod jwt;
pub mod secret;
pub mod throttle;

pub use extractor::{Auth, MaybeAuth};
pub use hashing::Hasher;
pub use jwt::JwtKeys;

//! Accounts are created by the application layer (`jiebang_application::accounts`).

pub use jiebang_application::accounts::*;

//! Notices are enqueued by the application layer (`jiebang_application::notify`).

pub use jiebang_application::notify::*;

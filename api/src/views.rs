//! Response bodies shared by several handlers: they live in the application layer
//! (`jiebang_application::views`), so that every front door shows the same thing.

pub use jiebang_application::views::*;

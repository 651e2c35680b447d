//! Jiebang's notifications: the events that tell people something and their e-mail and in-app
//! texts in Chinese (default) and English. The api crate writes them to the outbox
//! (`jiebang_db::notifications`) in the transaction of the change that causes them.

//!
//! Texts are rendered when the event happens, inside the transaction of the change, so that
//! what is delivered is exactly what was true then.

pub mod delivery;
pub mod templates;

pub use templates::{render, Event, Locale, Rendered};

/// A stable Message-ID for an outbox message: a crash between the SMTP server's acceptance and
/// marking the message sent produces at most a duplicate with the same Message-ID.
pub fn message_id(outbox_id: &str, host: &str) -> String {
    format!("<{outbox_id}@{host}>")
}

/// Removes what could break out of a header (CR, LF and other control characters).
pub fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_cannot_inject() {
        assert_eq!(
            header_safe("标题\r\nBcc: evil@x.cn"),
            "标题  Bcc: evil@x.cn"
        );
        assert_eq!(message_id("abc", "jiebang.local"), "<abc@jiebang.local>");
    }
}

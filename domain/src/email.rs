//! E-mail addresses, parsed once at the edge.

use crate::codes::FieldCode;
use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

/// A syntactically valid address (a practical subset of RFC 5321: dot-atom local part, a domain
/// of LDH labels with a dot), stored lower-cased so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

fn invalid() -> FieldError {
    FieldError::new(
        "",
        FieldCode::InvalidEmail,
        "邮箱地址格式不正确 / not a valid e-mail address",
    )
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_lowercase();
        if s.len() > 254 {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
        if local_ok && domain_ok {
            Ok(Self(s))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address masked for logs: `z***@imu.edu.cn`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any address-like string for logs.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for a in [
            "zhang.san@imu.edu.cn",
            "li+bids@example.com",
            "kjt_ops@nmg.gov.cn",
            "A@B.CO",
        ] {
            assert!(Email::parse(a).is_ok(), "{a}");
        }
        assert_eq!(
            Email::parse(" Wang@Example.COM ").unwrap().as_str(),
            "wang@example.com"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for a in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.cn",
            "a b@c.cn",
            "a@b..cn",
            ".a@b.cn",
            "a.@b.cn",
            "a..b@c.cn",
            "a@-b.cn",
            "a@b-.cn",
            "a@1.2.3.4",
            "张三@example.com",
            "a@exa mple.com",
            "a\r\nBcc: x@y.cn@z.cn",
        ] {
            assert!(Email::parse(a).is_err(), "{a:?}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(
            Email::parse("zhang@imu.edu.cn").unwrap().masked(),
            "z***@imu.edu.cn"
        );
        assert_eq!(mask("nonsense"), "***");
    }
}

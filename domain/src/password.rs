//! The password policy: 10–128 characters, not a common password, not built from the user's own
//! e-mail or name. Passwords are never logged (no `Debug` of the content).

use crate::codes::FieldCode;
use crate::validation::FieldError;
use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// A password that satisfies the policy. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Password(String);

fn too_common() -> FieldError {
    FieldError::new(
        "",
        FieldCode::PasswordTooCommon,
        "密码过于常见或容易猜测 / the password is too common or easy to guess",
    )
}

/// Whether `pw` is a common password, possibly decorated with digits and symbols around it
/// (`password2024!`, `!!woaini1314`), or a run of one character or of consecutive keys/digits.
fn is_common(pw: &str) -> bool {
    let lower = pw.to_lowercase();
    let set = common();
    if set.contains(lower.as_str()) {
        return true;
    }
    let core =
        lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    if core.is_empty() || set.contains(core) {
        return true;
    }
    let chars: Vec<char> = lower.chars().collect();
    if chars.iter().all(|&c| c == chars[0]) {
        return true;
    }
    // 0123456789, abcdefghij, 9876543210: every step is +1 or every step is -1
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    steps.iter().all(|&d| d == 1) || steps.iter().all(|&d| d == -1)
}

impl Password {
    /// Checks the policy. `personal` are strings of the user's own (e-mail, name) that the password
    /// must not merely repeat.
    pub fn parse(input: &str, personal: &[&str]) -> Result<Self, FieldError> {
        let len = input.chars().count();
        if len < MIN_CHARS {
            return Err(FieldError::new(
                "",
                FieldCode::PasswordTooShort,
                format!("密码至少 {MIN_CHARS} 个字符 / the password must have at least {MIN_CHARS} characters"),
            ));
        }
        if len > MAX_CHARS {
            return Err(FieldError::new(
                "",
                FieldCode::PasswordTooLong,
                format!("密码最多 {MAX_CHARS} 个字符 / the password must have at most {MAX_CHARS} characters"),
            ));
        }
        if is_common(input) {
            return Err(too_common());
        }
        let lower = input.to_lowercase();
        for p in personal {
            let p = p.trim().to_lowercase();
            let local = p.split('@').next().unwrap_or("");
            if local.chars().count() >= 4 && lower.contains(local) {
                return Err(FieldError::new(
                    "",
                    FieldCode::PasswordContainsPersonalData,
                    "密码不能包含邮箱或姓名 / the password must not contain your e-mail or name",
                ));
            }
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_decent_password() {
        let p = Password::parse("草原上的风-2026-Baotou", &["zhang@imu.edu.cn", "张三"]).unwrap();
        assert_eq!(p.expose(), "草原上的风-2026-Baotou");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(
            Password::parse("short1!", &[]).unwrap_err().code,
            "password_too_short"
        );
        assert!(Password::parse("内蒙古科技兴蒙揭榜挂帅", &[]).is_ok()); // 11 characters, 33 bytes
        assert_eq!(
            Password::parse(&"x1".repeat(65), &[]).unwrap_err().code,
            "password_too_long"
        );
    }

    #[test]
    fn rejects_common_passwords_and_decorations() {
        for pw in [
            "1234567890",
            "qwertyuiop",
            "woaini1314",
            "Password123",
            "password2024!",
            "!!superman2026",
            "aaaaaaaaaaaa",
            "abcdefghijk",
            "9876543210",
            "1qaz2wsx3edc",
            "5201314520",
        ] {
            assert_eq!(
                Password::parse(pw, &[]).unwrap_err().code,
                "password_too_common",
                "{pw}"
            );
        }
    }

    #[test]
    fn rejects_personal_data() {
        let err = Password::parse("zhangsan-password-x", &["zhangsan@imu.edu.cn"]).unwrap_err();
        assert_eq!(err.code, "password_contains_personal_data");
    }
}

//! Field-level validation errors, collected so that a client learns every problem at once.

use crate::codes::FieldCode;
use serde::Serialize;

/// One problem with one input field. `field` is a JSON pointer-like path (`organization.credit_code`),
/// `code` a stable snake_case machine code, `message` Chinese first, then English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: FieldCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// A collection of field errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(pub Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, code: FieldCode, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Records the error of a parse, prefixing its field with `field`, and returns the value if any.
    pub fn take<T>(&mut self, field: &str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(mut e) => {
                e.field = if e.field.is_empty() {
                    field.to_owned()
                } else {
                    format!("{field}.{}", e.field)
                };
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<FieldError> for Violations {
    fn from(e: FieldError) -> Self {
        Violations(vec![e])
    }
}

/// Checks a required, trimmed text of at most `max` characters.
pub fn bounded_text(value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if min > 0 && trimmed.is_empty() {
        return Err(FieldError::new(
            "",
            FieldCode::Required,
            "不能为空 / must not be empty",
        ));
    }
    if len < min {
        return Err(FieldError::new(
            "",
            FieldCode::TooShort,
            format!("至少 {min} 个字符 / must be at least {min} characters"),
        ));
    }
    if len > max {
        return Err(FieldError::new(
            "",
            FieldCode::TooLong,
            format!("不能超过 {max} 个字符 / must be at most {max} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(FieldError::new(
            "",
            FieldCode::InvalidCharacters,
            "包含控制字符 / contains control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_trims_and_bounds() {
        assert_eq!(bounded_text("  包头  ", 1, 10).unwrap(), "包头");
        assert_eq!(bounded_text("   ", 1, 10).unwrap_err().code, "required");
        assert_eq!(
            bounded_text("一二三四五六", 1, 5).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            bounded_text("a\u{0}b", 1, 5).unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(bounded_text("", 0, 5).unwrap(), "");
    }

    #[test]
    fn take_prefixes_fields() {
        let mut v = Violations::new();
        let r: Option<i32> = v.take(
            "organization",
            Err(FieldError::new("credit_code", FieldCode::InvalidValue, "y")),
        );
        assert!(r.is_none());
        assert_eq!(v.0[0].field, "organization.credit_code");
        v.take::<()>(
            "email",
            Err(FieldError::new("", FieldCode::InvalidValue, "y")),
        );
        assert_eq!(v.0[1].field, "email");
    }
}

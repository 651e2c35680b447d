//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from the set `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z):
//! registration authority (1), organisation category (1), region code of the registering authority
//! (6 digits), the organisation's identifier (9, GB 11714), and a check character computed over
//! the first 17 with weights 3^i mod 31.

use crate::codes::FieldCode;
use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose structure and check character are valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

fn value_of(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a code.
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in first17.iter().enumerate() {
        sum += value_of(c)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(CHARSET[check as usize] as char)
}

impl CreditCode {
    /// Parses a code; surrounding spaces are ignored and lower-case letters accepted.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        if bytes.len() != 18 {
            return Err(FieldError::new(
                "",
                FieldCode::InvalidLength,
                "统一社会信用代码应为 18 位 / the unified social credit code must have 18 characters",
            ));
        }
        if let Some(bad) = bytes.iter().find(|&&b| value_of(b).is_none()) {
            return Err(FieldError::new(
                "",
                FieldCode::InvalidCharacter,
                format!(
                    "统一社会信用代码含有不允许的字符「{}」/ character '{}' is not allowed (I, O, S, V, Z are never used)",
                    *bad as char, *bad as char
                ),
            ));
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(
                "",
                FieldCode::InvalidRegionPart,
                "统一社会信用代码第 3–8 位应为行政区划代码 / characters 3–8 must be a region code",
            ));
        }
        let expected = check_character(&bytes[..17]).expect("17 valid characters");
        if bytes[17] as char != expected {
            return Err(FieldError::new(
                "",
                FieldCode::InvalidChecksum,
                "统一社会信用代码校验位错误 / the check character of the unified social credit code is wrong",
            ));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region code of the registering authority (characters 3–8).
    pub fn registration_region(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes printed on real business licences and published registers.
    const REAL: &[&str] = &[
        "914403001922038216", // 华为技术有限公司
        "91440300708461136T", // 深圳市腾讯计算机系统有限公司
        "91350200776049653A",
        "91350500798359476R",
        "913502000728319549",
        "123502001549897397", // an institution (事业单位), registered by 编办 (category 1)
        "91350213678251743X",
        "91440101MA5CJQ4N59",
    ];

    #[test]
    fn accepts_real_codes() {
        for code in REAL {
            let parsed = CreditCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
            assert_eq!(parsed.as_str(), *code);
        }
    }

    #[test]
    fn accepts_lower_case_and_spaces() {
        let c = CreditCode::parse(" 91440300708461136t ").unwrap();
        assert_eq!(c.as_str(), "91440300708461136T");
        assert_eq!(c.registration_region(), "440300");
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        for code in REAL {
            let mut bytes = code.as_bytes().to_vec();
            bytes[17] = if bytes[17] == b'0' { b'1' } else { b'0' };
            let bad = String::from_utf8(bytes).unwrap();
            assert_eq!(
                CreditCode::parse(&bad).unwrap_err().code,
                "invalid_checksum",
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_a_single_changed_character() {
        // the weights make every single substitution detectable
        let code = REAL[0].as_bytes();
        for i in 0..17 {
            for &c in CHARSET {
                if c == code[i] || (2..8).contains(&i) && !c.is_ascii_digit() {
                    continue;
                }
                let mut bytes = code.to_vec();
                bytes[i] = c;
                let s = String::from_utf8(bytes).unwrap();
                assert!(CreditCode::parse(&s).is_err(), "{s}");
            }
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(
            CreditCode::parse("9144030070846113").unwrap_err().code,
            "invalid_length"
        );
        assert_eq!(
            CreditCode::parse("91440300708461136TX").unwrap_err().code,
            "invalid_length"
        );
        assert_eq!(
            CreditCode::parse("9144030070846113IT").unwrap_err().code,
            "invalid_character"
        );
        assert_eq!(
            CreditCode::parse("91A40300708461136T").unwrap_err().code,
            "invalid_region_part"
        );
        assert_eq!(
            CreditCode::parse("统一社会信用代码").unwrap_err().code,
            "invalid_length"
        );
    }

    #[test]
    fn check_character_matches_the_standard_example() {
        assert_eq!(check_character(b"91440300708461136"), Some('T'));
        assert_eq!(check_character(b"short"), None);
    }
}

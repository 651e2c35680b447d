//! Administrative division codes (行政区划代码), GB/T 2260. The full list of provinces,
//! prefectures and counties ships with the binary (`data/gbt2260.csv`).

use crate::codes::FieldCode;
use crate::validation::FieldError;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/gbt2260.csv");

/// Inner Mongolia (内蒙古自治区), the programme's home region.
pub const INNER_MONGOLIA: &str = "150000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
}

/// One division of the list.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    pub level: RegionLevel,
    pub parent_code: Option<&'static str>,
}

fn table() -> &'static HashMap<&'static str, Region> {
    static TABLE: OnceLock<HashMap<&'static str, Region>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DATA.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let mut parts = line.split(',');
                let code = parts.next().expect("code");
                let name = parts.next().expect("name");
                let level = match parts.next().expect("level") {
                    "province" => RegionLevel::Province,
                    "prefecture" => RegionLevel::Prefecture,
                    _ => RegionLevel::County,
                };
                let parent_code = parts.next().filter(|p| !p.is_empty());
                (
                    code,
                    Region {
                        code,
                        name,
                        level,
                        parent_code,
                    },
                )
            })
            .collect()
    })
}

/// Every province and prefecture (not the counties), by code: what a person picks a region
/// from by name.
pub fn provinces_and_prefectures() -> Vec<&'static Region> {
    let mut all: Vec<&'static Region> = table()
        .values()
        .filter(|r| r.level != RegionLevel::County)
        .collect();
    all.sort_by_key(|r| r.code);
    all
}

/// Looks a division up by its code.
pub fn lookup(code: &str) -> Option<&'static Region> {
    table().get(code)
}

/// A GB/T 2260 code that exists in the shipped list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let code = input.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                "",
                FieldCode::InvalidFormat,
                "行政区划代码应为 6 位数字 / the region code must be 6 digits",
            ));
        }
        if lookup(code).is_none() {
            return Err(FieldError::new(
                "",
                FieldCode::UnknownRegion,
                format!("未知的行政区划代码 {code} / unknown GB/T 2260 region code {code}"),
            ));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region(&self) -> &'static Region {
        lookup(&self.0).expect("parsed codes exist")
    }

    /// The province code (`15` + `0000`).
    pub fn province(&self) -> String {
        format!("{}0000", &self.0[..2])
    }

    /// The prefecture-level key (盟市): the first four digits.
    pub fn prefecture_prefix(&self) -> &str {
        &self.0[..4]
    }

    /// Whether the code lies inside the region `home` (a province, prefecture or county code):
    /// `150203` is inside `150000` and `150200`.
    pub fn is_within(&self, home: &str) -> bool {
        // province and prefecture codes end in pairs of zeros; what is left is the prefix
        self.0.starts_with(home.trim_end_matches("00"))
    }

    /// A human-readable name: "内蒙古自治区 包头市 昆都仑区".
    pub fn full_name(&self) -> String {
        let mut names = Vec::new();
        let mut cur = Some(self.region());
        while let Some(r) = cur {
            names.push(r.name);
            cur = r.parent_code.and_then(lookup);
        }
        names.reverse();
        names.join(" ")
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_inner_mongolia_and_its_leagues_and_cities() {
        assert_eq!(lookup(INNER_MONGOLIA).unwrap().name, "内蒙古自治区");
        let prefectures: Vec<_> = table()
            .values()
            .filter(|r| r.parent_code == Some(INNER_MONGOLIA) && r.level == RegionLevel::Prefecture)
            .collect();
        // 9 cities (市) and 3 leagues (盟)
        assert_eq!(prefectures.len(), 12, "{prefectures:?}");
        assert_eq!(RegionCode::parse("150200").unwrap().region().name, "包头市");
        assert_eq!(
            RegionCode::parse("152900").unwrap().region().name,
            "阿拉善盟"
        );
    }

    #[test]
    fn rejects_unknown_and_malformed_codes() {
        assert_eq!(
            RegionCode::parse("159999").unwrap_err().code,
            "unknown_region"
        );
        assert_eq!(
            RegionCode::parse("000000").unwrap_err().code,
            "unknown_region"
        );
        assert_eq!(
            RegionCode::parse("15020").unwrap_err().code,
            "invalid_format"
        );
        assert_eq!(
            RegionCode::parse("15020a").unwrap_err().code,
            "invalid_format"
        );
        assert_eq!(
            RegionCode::parse("1502001").unwrap_err().code,
            "invalid_format"
        );
    }

    #[test]
    fn containment_and_names() {
        let kundulun = RegionCode::parse("150203").unwrap();
        assert!(kundulun.is_within("150000"));
        assert!(kundulun.is_within("150200"));
        assert!(kundulun.is_within("150203"));
        assert!(!kundulun.is_within("150100"));
        assert!(!kundulun.is_within("110000"));
        assert_eq!(kundulun.prefecture_prefix(), "1502");
        assert_eq!(kundulun.province(), "150000");
        assert_eq!(kundulun.full_name(), "内蒙古自治区 包头市 昆都仑区");
    }
}

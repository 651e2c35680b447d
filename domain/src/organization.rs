//! Organisations (单位): their kinds and verification status.

use serde::{Deserialize, Serialize};

/// What an organisation is. Publishers are enterprises or other non-government organisations;
/// bidders are universities, institutes and enterprises; officials belong to government.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// 企业
    Enterprise,
    /// 高校
    University,
    /// 科研院所
    Institute,
    /// 政府机关
    Government,
    /// 其他
    Other,
}

impl OrganizationKind {
    pub const ALL: [OrganizationKind; 5] = [
        Self::Enterprise,
        Self::University,
        Self::Institute,
        Self::Government,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::University => "university",
            Self::Institute => "institute",
            Self::Government => "government",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 发榜: a verified enterprise or other non-government organisation may publish challenges.
    pub fn may_publish(self) -> bool {
        !matches!(self, Self::Government)
    }

    /// 揭榜: universities, institutes and enterprises may bid.
    pub fn may_bid(self) -> bool {
        matches!(self, Self::Enterprise | Self::University | Self::Institute)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::University => "高校",
            Self::Institute => "科研院所",
            Self::Government => "政府机关",
            Self::Other => "其他",
        }
    }
}

/// Verification by an admin or official (单位认证). Only verified organisations publish and bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationStatus {
    Unverified,
    Verified,
}

impl OrganizationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified => "verified",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unverified" => Some(Self::Unverified),
            "verified" => Some(Self::Verified),
            _ => None,
        }
    }
}

/// An innovation consortium's filing state (创新联合体备案): `draft` → `filed` → `revoked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsortiumStatus {
    Draft,
    Filed,
    Revoked,
}

impl ConsortiumStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Filed => "filed",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Filed, Self::Revoked]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_rights() {
        for k in OrganizationKind::ALL {
            assert_eq!(OrganizationKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OrganizationKind::parse("company"), None);
        assert!(!OrganizationKind::Government.may_publish());
        assert!(!OrganizationKind::Government.may_bid());
        assert!(!OrganizationKind::Other.may_bid());
        assert!(OrganizationKind::University.may_bid());
    }
}

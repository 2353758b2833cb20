//! Service branches (GDR/QFE), payload folders and build-lab tags.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ParseError, SpLevel};

/// General distribution release or hotfix build (KB824994).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BranchKind {
    /// Security and widely released fixes only.
    Gdr,
    /// Hotfixes on top of the GDR fixes.
    Qfe,
}

/// A branch folder of a package: a cardinal point and GDR or QFE (`SP2QFE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Branch {
    /// The service-pack level the files are built for.
    pub sp: SpLevel,
    /// GDR or QFE.
    pub kind: BranchKind,
}

impl Branch {
    /// The folder name, as in packages and `/B:` (`SP2QFE`, `RTMGDR`).
    pub fn folder(self) -> String {
        let kind = match self.kind {
            BranchKind::Gdr => "GDR",
            BranchKind::Qfe => "QFE",
        };
        format!("{}{kind}", self.sp.cardinal())
    }
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.folder())
    }
}

impl FromStr for Branch {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim().to_ascii_uppercase();
        let (sp, kind) = if let Some(sp) = t.strip_suffix("GDR") {
            (sp, BranchKind::Gdr)
        } else if let Some(sp) = t.strip_suffix("QFE") {
            (sp, BranchKind::Qfe)
        } else {
            return Err(ParseError::new("branch", s));
        };
        let sp = sp.parse().map_err(|_| ParseError::new("branch", s))?;
        Ok(Self { sp, kind })
    }
}

/// The two payload sets of a 2003–04 dual-mode package (KB328848).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DualSide {
    /// `Sp1\`: files for XP without SP1 (RTM).
    Sp1,
    /// `Sp2\`: files for XP with SP1.
    Sp2,
}

impl DualSide {
    /// The folder name.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Sp1 => "SP1",
            Self::Sp2 => "SP2",
        }
    }
    /// The service-pack level this side installs on.
    pub fn target_sp(self) -> SpLevel {
        match self {
            Self::Sp1 => SpLevel(0),
            Self::Sp2 => SpLevel(1),
        }
    }
}

/// Where a package keeps one copy of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PayloadFolder {
    /// A branch folder (`SP2GDR\`).
    Branch(Branch),
    /// A dual-mode side (`SP1\`, `SP2\`).
    Dual(DualSide),
    /// Branch-neutral files at the package root (component updates such as
    /// Windows Media Player or .NET, whose bulletins list no branch).
    Neutral,
}

impl PayloadFolder {
    /// The folder name, or `None` for the package root.
    pub fn folder(self) -> Option<String> {
        match self {
            Self::Branch(b) => Some(b.folder()),
            Self::Dual(d) => Some(d.folder().to_owned()),
            Self::Neutral => None,
        }
    }
    /// Parses a top-level folder name; `None` for anything that is not a
    /// branch or dual-mode folder.
    pub fn from_folder(name: &str) -> Option<Self> {
        if let Ok(b) = name.parse() {
            return Some(Self::Branch(b));
        }
        match name.trim().to_ascii_uppercase().as_str() {
            "SP1" => Some(Self::Dual(DualSide::Sp1)),
            "SP2" => Some(Self::Dual(DualSide::Sp2)),
            _ => None,
        }
    }
}

/// How a build ranks when the installer compares branches (`AnalyzeForBranching`):
/// a hotfix (QFE) build outranks a GDR build, which outranks a release build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TagRank {
    /// No tag, or one we do not recognise.
    Unknown,
    /// An RTM or service-pack build (`xpsp_sp2_rtm`, `xpsp1`, `srv03_rtm`).
    Release,
    /// A GDR build (`xpsp_sp2_gdr`).
    Gdr,
    /// A hotfix build (`xpsp_sp2_qfe`).
    Qfe,
}

/// The build-lab tag in parentheses at the end of a FileVersion string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BuildTag {
    /// The lab and branch, lower case (`xpsp_sp2_gdr`).
    pub lab: String,
    /// The build stamp after the dot (`070416-1301`), if any.
    pub stamp: Option<String>,
}

impl BuildTag {
    /// Reads the tag of `5.1.2600.3119 (xpsp_sp2_gdr.070416-1301)`; `None`
    /// when the string has no parenthesised tag.
    pub fn parse(file_version: &str) -> Option<Self> {
        let open = file_version.find('(')?;
        let inner = file_version[open + 1..].split(')').next()?.trim();
        if inner.is_empty() {
            return None;
        }
        let (lab, stamp) = match inner.split_once('.') {
            Some((l, s)) => (l, Some(s.to_owned())),
            None => (inner, None),
        };
        Some(Self {
            lab: lab.to_ascii_lowercase(),
            stamp,
        })
    }

    /// Formats a tag (`xpsp_sp2_qfe.070416-1301`).
    pub fn render(&self) -> String {
        match &self.stamp {
            Some(s) => format!("{}.{s}", self.lab),
            None => self.lab.clone(),
        }
    }

    /// The branch rank this lab name says.
    pub fn rank(&self) -> TagRank {
        let parts: Vec<&str> = self.lab.split('_').collect();
        if parts.contains(&"qfe") || self.lab.ends_with("qfe") {
            TagRank::Qfe
        } else if parts.contains(&"gdr") || self.lab.ends_with("gdr") {
            TagRank::Gdr
        } else if parts.contains(&"rtm")
            || ["xpclient", "xpsp", "xpsp1", "xpsp2", "srv03"].contains(&self.lab.as_str())
        {
            TagRank::Release
        } else {
            TagRank::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_round_trip_and_rank() {
        let b: Branch = "sp2qfe".parse().unwrap();
        assert_eq!(b.folder(), "SP2QFE");
        assert_eq!("RTMGDR".parse::<Branch>().unwrap().sp, SpLevel(0));
        assert!("SP2".parse::<Branch>().is_err());
        assert_eq!(
            PayloadFolder::from_folder("Sp1"),
            Some(PayloadFolder::Dual(DualSide::Sp1))
        );
        let tag = |s| BuildTag::parse(s).unwrap().rank();
        assert_eq!(
            tag("5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)"),
            TagRank::Release
        );
        assert_eq!(
            tag("5.1.2600.5755 (xpsp_sp3_gdr.090206-1234)"),
            TagRank::Gdr
        );
        assert_eq!(
            tag("5.2.3790.4062 (srv03_sp2_gdr.070417-0203)"),
            TagRank::Gdr
        );
        assert_eq!(
            tag("5.1.2600.3119 (xpsp_sp2_qfe.070416-1301)"),
            TagRank::Qfe
        );
        assert_eq!(tag("5.1.2600.1106 (xpsp1.020828-1920)"), TagRank::Release);
        assert_eq!(BuildTag::parse("5.1.2600.2180"), None);
        assert!(TagRank::Qfe > TagRank::Gdr && TagRank::Gdr > TagRank::Release);
    }
}

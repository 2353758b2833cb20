//! Products and service-pack levels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// The two products the servicing stack covers (x86).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Product {
    /// Windows XP (NT 5.1, build 2600).
    WindowsXp,
    /// Windows Server 2003 (NT 5.2, build 3790).
    WindowsServer2003,
}

impl Product {
    /// Name used in the data set and in the `Updates` registry key.
    pub fn name(self) -> &'static str {
        match self {
            Self::WindowsXp => "Windows XP",
            Self::WindowsServer2003 => "Windows Server 2003",
        }
    }
    /// `ProductName` under `Windows NT\CurrentVersion`.
    pub fn product_name(self) -> &'static str {
        match self {
            Self::WindowsXp => "Microsoft Windows XP",
            Self::WindowsServer2003 => "Microsoft Windows Server 2003",
        }
    }
    /// `CurrentVersion` ("5.1" or "5.2").
    pub fn nt_version(self) -> (u8, u8) {
        match self {
            Self::WindowsXp => (5, 1),
            Self::WindowsServer2003 => (5, 2),
        }
    }
    /// `CurrentBuildNumber`.
    pub fn build(self) -> u16 {
        match self {
            Self::WindowsXp => 2600,
            Self::WindowsServer2003 => 3790,
        }
    }
    /// Highest service pack released (XP SP3, 2003 SP2).
    pub fn max_sp(self) -> SpLevel {
        match self {
            Self::WindowsXp => SpLevel(3),
            Self::WindowsServer2003 => SpLevel(2),
        }
    }
    /// Prefix of package file names (`WindowsXP-KB123456-x86-ENU.exe`).
    pub fn package_prefix(self) -> &'static str {
        match self {
            Self::WindowsXp => "WindowsXP",
            Self::WindowsServer2003 => "WindowsServer2003",
        }
    }
    /// `ParentDisplayName` of hotfix entries in Add/Remove Programs.
    pub fn updates_display_name(self) -> String {
        format!("{} - Software Updates", self.name())
    }
    /// The product whose `ProductName` or version this is.
    pub fn from_nt_version(major: u8, minor: u8) -> Option<Self> {
        match (major, minor) {
            (5, 1) => Some(Self::WindowsXp),
            (5, 2) => Some(Self::WindowsServer2003),
            _ => None,
        }
    }
    /// Build-lab prefix of this product at a service-pack level (`xpsp_sp2`).
    pub fn lab(self, sp: SpLevel) -> &'static str {
        match (self, sp.0) {
            (Self::WindowsXp, 0) => "xpclient",
            (Self::WindowsXp, 1) => "xpsp1",
            (Self::WindowsXp, 2) => "xpsp_sp2",
            (Self::WindowsXp, _) => "xpsp_sp3",
            (Self::WindowsServer2003, 0) => "srv03",
            (Self::WindowsServer2003, 1) => "srv03_sp1",
            (Self::WindowsServer2003, _) => "srv03_sp2",
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Product {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s.to_ascii_lowercase().replace(['_', '-', ' '], "").as_str() {
            "windowsxp" | "xp" => Ok(Self::WindowsXp),
            "windowsserver2003" | "2003" | "server2003" | "srv03" => Ok(Self::WindowsServer2003),
            _ => Err(ParseError::new("product", s)),
        }
    }
}

/// A service-pack level: 0 is RTM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpLevel(pub u8);

impl SpLevel {
    /// RTM.
    pub const RTM: Self = Self(0);
    /// `CSDVersion` ("Service Pack 2"), empty at RTM.
    pub fn csd_version(self) -> String {
        if self.0 == 0 {
            String::new()
        } else {
            format!("Service Pack {}", self.0)
        }
    }
    /// Cardinal-point name used in branch folders: `RTM`, `SP1`, ...
    pub fn cardinal(self) -> String {
        if self.0 == 0 {
            "RTM".into()
        } else {
            format!("SP{}", self.0)
        }
    }
    /// The `CSDVersion` value as a service-pack number (`0x200` style
    /// `CSDVersion` DWORDs are handled by the caller).
    pub fn from_csd_version(s: &str) -> Option<Self> {
        let t = s.trim();
        if t.is_empty() {
            return Some(Self::RTM);
        }
        let n = t
            .rsplit(' ')
            .next()?
            .trim_end_matches(|c: char| c.is_ascii_alphabetic());
        n.parse().ok().filter(|&n: &u8| n <= 9).map(Self)
    }
    /// The INF encoding: level × 256 (`MaxNtServicePackVersion=512` is SP2).
    pub fn inf_value(self) -> u32 {
        u32::from(self.0) * 256
    }
}

impl fmt::Display for SpLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cardinal())
    }
}

impl FromStr for SpLevel {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim().to_ascii_uppercase();
        if t == "RTM" || t == "0" || t == "SP0" {
            return Ok(Self::RTM);
        }
        t.strip_prefix("SP")
            .unwrap_or(&t)
            .parse()
            .ok()
            .filter(|&n: &u8| n <= 9)
            .map(Self)
            .ok_or_else(|| ParseError::new("service pack level", s))
    }
}

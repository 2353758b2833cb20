//! Four-part file versions (`5.1.2600.2180`), as VS_FIXEDFILEINFO stores them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// A file version: major.minor.build.revision, compared part by part, the
/// way Update.exe and QChain rank two builds of a file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct FileVersion {
    /// First part (5 for XP's system files).
    pub major: u16,
    /// Second part (1 for XP, 2 for Server 2003).
    pub minor: u16,
    /// Third part: the build number (2600, 3790).
    pub build: u16,
    /// Fourth part: the service-pack or hotfix revision (2180, 3959).
    pub revision: u16,
}

impl FileVersion {
    /// Builds a version from its four parts.
    pub const fn new(major: u16, minor: u16, build: u16, revision: u16) -> Self {
        Self {
            major,
            minor,
            build,
            revision,
        }
    }

    /// The two 32-bit halves VS_FIXEDFILEINFO stores (`dwFileVersionMS`,
    /// `dwFileVersionLS`).
    pub const fn to_ms_ls(self) -> (u32, u32) {
        (
            (self.major as u32) << 16 | self.minor as u32,
            (self.build as u32) << 16 | self.revision as u32,
        )
    }

    /// The inverse of [`FileVersion::to_ms_ls`].
    pub const fn from_ms_ls(ms: u32, ls: u32) -> Self {
        Self::new((ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16)
    }
}

impl fmt::Display for FileVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.revision
        )
    }
}

impl FromStr for FileVersion {
    type Err = ParseError;
    /// Parses `a.b.c.d`; also accepts the comma form of resource scripts
    /// (`5,1,2600,2180`) and text after the number (`5.1.2600.2180 (xpsp...)`).
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let head = s.split_whitespace().next().unwrap_or("");
        let parts: Vec<&str> = head.split(['.', ',']).map(str::trim).collect();
        if parts.len() != 4 {
            return Err(ParseError::new("file version", s));
        }
        let mut n = [0u16; 4];
        for (slot, part) in n.iter_mut().zip(&parts) {
            *slot = part
                .parse()
                .map_err(|_| ParseError::new("file version", s))?;
        }
        Ok(Self::new(n[0], n[1], n[2], n[3]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_orders_and_round_trips() {
        let a: FileVersion = "6.0.2900.2180".parse().unwrap();
        let b: FileVersion = "6.0.2900.3020 (xpsp_sp2_gdr.061219-0316)".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "6.0.2900.3020");
        let (ms, ls) = b.to_ms_ls();
        assert_eq!(FileVersion::from_ms_ls(ms, ls), b);
        assert_eq!(
            "5,1,2600,0".parse::<FileVersion>().unwrap(),
            FileVersion::new(5, 1, 2600, 0)
        );
        assert!("5.1.2600".parse::<FileVersion>().is_err());
        assert!("5.1.2600.70000".parse::<FileVersion>().is_err());
    }
}

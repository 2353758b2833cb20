//! Package and system languages.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// A language as packages name it (`ENU`, `JPN`) with its Windows LANGID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Language {
    langid: u16,
}

const TABLE: &[(&str, u16)] = &[
    ("ENU", 0x0409),
    ("JPN", 0x0411),
    ("DEU", 0x0407),
    ("FRA", 0x040c),
    ("ESN", 0x0c0a),
    ("ITA", 0x0410),
    ("KOR", 0x0412),
    ("CHS", 0x0804),
    ("CHT", 0x0404),
    ("PTB", 0x0416),
    ("NLD", 0x0413),
    ("SVE", 0x041d),
    ("RUS", 0x0419),
];

impl Language {
    /// English (United States).
    pub const ENU: Self = Self { langid: 0x0409 };
    /// Japanese.
    pub const JPN: Self = Self { langid: 0x0411 };

    /// The Windows LANGID (0x0409).
    pub fn langid(self) -> u16 {
        self.langid
    }
    /// The primary language id (low 10 bits: 0x09 English, 0x11 Japanese).
    pub fn primary(self) -> u16 {
        self.langid & 0x3ff
    }
    /// From a LANGID, if it is one we name.
    pub fn from_langid(langid: u16) -> Option<Self> {
        TABLE
            .iter()
            .find(|(_, id)| *id == langid)
            .map(|_| Self { langid })
    }
    /// The three-letter code of package names.
    pub fn code(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, id)| *id == self.langid)
            .map_or("ENU", |(c, _)| c)
    }
    /// `InstallLanguage` as the SYSTEM hive stores it (`0409`).
    pub fn hive_code(self) -> String {
        format!("{:04X}", self.langid)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let up = s.trim().to_ascii_uppercase();
        TABLE
            .iter()
            .find(|(c, _)| *c == up)
            .map(|(_, id)| Self { langid: *id })
            .or_else(|| {
                u16::from_str_radix(up.trim_start_matches("0X"), 16)
                    .ok()
                    .and_then(Self::from_langid)
            })
            .ok_or_else(|| ParseError::new("language", s))
    }
}

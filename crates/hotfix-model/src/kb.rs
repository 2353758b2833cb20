//! Knowledge Base article ids, the names of hotfixes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// `KB896358`, or a re-release such as `KB942288-v3`. Older Q-numbered fixes
/// (`Q323756`) are accepted and kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KbId {
    prefix: char,
    number: u32,
    suffix: String,
}

impl KbId {
    /// The article number.
    pub fn number(&self) -> u32 {
        self.number
    }
    /// `$NtUninstallKB896358$`.
    pub fn uninstall_dir(&self) -> String {
        format!("$NtUninstall{self}$")
    }
    /// `KB896358.log`.
    pub fn log_name(&self) -> String {
        format!("{self}.log")
    }
}

impl fmt::Display for KbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            'Q' => write!(f, "Q{}{}", self.number, self.suffix),
            _ => write!(f, "KB{}{}", self.number, self.suffix),
        }
    }
}

impl FromStr for KbId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let upper = t.to_ascii_uppercase();
        let (prefix, rest) = if let Some(r) = upper.strip_prefix("KB") {
            ('K', r)
        } else if let Some(r) = upper.strip_prefix('Q') {
            ('Q', r)
        } else {
            return Err(ParseError::new("KB id", s));
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let suffix = &rest[digits.len()..];
        let valid_suffix = suffix.is_empty()
            || (suffix.starts_with("-V")
                && suffix[2..].chars().all(|c| c.is_ascii_digit())
                && suffix.len() > 2);
        let number = digits
            .parse()
            .ok()
            .filter(|_| !digits.is_empty() && digits.len() <= 7 && valid_suffix);
        number
            .map(|number| Self {
                prefix,
                number,
                suffix: suffix.to_ascii_lowercase(),
            })
            .ok_or_else(|| ParseError::new("KB id", s))
    }
}

impl TryFrom<String> for KbId {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<KbId> for String {
    fn from(k: KbId) -> String {
        k.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::KbId;

    #[test]
    fn parses_and_prints() {
        assert_eq!("kb896358".parse::<KbId>().unwrap().to_string(), "KB896358");
        assert_eq!(
            "KB942288-v3".parse::<KbId>().unwrap().to_string(),
            "KB942288-v3"
        );
        assert_eq!("Q323756".parse::<KbId>().unwrap().to_string(), "Q323756");
        for bad in ["", "KB", "KBx1", "KB1/..", "KB12345678", "KB1-x"] {
            assert!(bad.parse::<KbId>().is_err(), "{bad}");
        }
    }
}

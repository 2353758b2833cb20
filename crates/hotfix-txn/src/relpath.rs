//! Image-relative paths that cannot leave the image.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::TxnError;

/// A path relative to the image root, `/`-separated, with no empty, `.` or
/// `..` components. Case is kept as given (the caller resolved it on disk).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RelPath(String);

impl RelPath {
    /// Validates `s`. Backslashes are accepted as separators.
    pub fn new(s: &str) -> Result<Self, TxnError> {
        let norm = s.replace('\\', "/");
        let ok = !norm.is_empty()
            && norm
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\0'));
        if ok {
            Ok(Self(norm))
        } else {
            Err(TxnError::BadPath(s.to_owned()))
        }
    }

    /// Appends one or more components.
    pub fn join(&self, rest: &str) -> Result<Self, TxnError> {
        Self::new(&format!("{}/{rest}", self.0))
    }

    /// Appends one of our own constant names, a single valid component
    /// (checked by `layout.rs`'s tests), so it cannot fail.
    pub(crate) fn child(&self, name: &'static str) -> Self {
        debug_assert!(Self::new(name).is_ok() && !name.contains(['/', '\\']));
        Self(format!("{}/{name}", self.0))
    }

    /// Appends a number as a component (digits are always valid).
    pub(crate) fn numbered(&self, n: u64) -> Self {
        Self(format!("{}/{n}", self.0))
    }

    /// The parent, or `None` at the top level.
    pub fn parent(&self) -> Option<Self> {
        self.0.rsplit_once('/').map(|(p, _)| Self(p.to_owned()))
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The host path under `root`.
    pub fn on(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(self.0.split('/'));
        p
    }

    /// The path as a `/`-separated string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RelPath {
    type Error = TxnError;
    fn try_from(s: String) -> Result<Self, TxnError> {
        Self::new(&s)
    }
}

impl From<RelPath> for String {
    fn from(p: RelPath) -> String {
        p.0
    }
}

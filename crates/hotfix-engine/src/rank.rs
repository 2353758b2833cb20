//! Ranking two builds of a file (rule R1), from the bytes themselves.

use hotfix_model::{FileVersion, TagRank};

use crate::record::sha256_hex;

/// `(file version, branch rank, SHA-256)`: the order in which copies of a
/// file win. A file without a readable version ranks below every versioned
/// one (rule R3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    /// VS_FIXEDFILEINFO file version.
    pub version: Option<FileVersion>,
    /// QFE > GDR > release > unknown.
    pub tag: TagRank,
    /// Breaks ties between different bytes of the same version and branch,
    /// so that the result does not depend on install order.
    pub sha256: String,
}

/// What the installer knows about one copy of a file.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Its rank.
    pub rank: Rank,
    /// Why the version could not be read, if it could not.
    pub version_error: Option<String>,
    /// The FileVersion string (with its build tag), if any.
    pub version_string: Option<String>,
}

/// The version and build-tag rank of `bytes`, for checks that compare
/// versions only and need no digest (verify, conditions, branching).
pub fn version_and_tag(bytes: &[u8]) -> (Option<FileVersion>, TagRank) {
    match hotfix_pe::read_version(bytes) {
        Ok(info) => (
            Some(info.file_version),
            info.build_tag().map_or(TagRank::Unknown, |t| t.rank()),
        ),
        Err(_) => (None, TagRank::Unknown),
    }
}

impl Facts {
    /// Reads the version resource of `bytes` and hashes them.
    pub fn of(bytes: &[u8]) -> Self {
        let sha256 = sha256_hex(bytes);
        match hotfix_pe::read_version(bytes) {
            Ok(info) => Self {
                rank: Rank {
                    version: Some(info.file_version),
                    tag: info.build_tag().map_or(TagRank::Unknown, |t| t.rank()),
                    sha256,
                },
                version_error: None,
                version_string: info.file_version_string().map(str::to_owned),
            },
            Err(e) => Self {
                rank: Rank {
                    version: None,
                    tag: TagRank::Unknown,
                    sha256,
                },
                version_error: Some(e.to_string()),
                version_string: None,
            },
        }
    }

    /// The version as text, or `(none)`.
    pub fn version_text(&self) -> String {
        self.rank
            .version
            .map_or_else(|| "(none)".to_owned(), |v| v.to_string())
    }
}

/// The tag rank as a small number for records.
pub fn tag_number(t: TagRank) -> u8 {
    match t {
        TagRank::Unknown => 0,
        TagRank::Release => 1,
        TagRank::Gdr => 2,
        TagRank::Qfe => 3,
    }
}

/// The inverse of [`tag_number`].
pub fn tag_from_number(n: u8) -> TagRank {
    match n {
        1 => TagRank::Release,
        2 => TagRank::Gdr,
        3 => TagRank::Qfe,
        _ => TagRank::Unknown,
    }
}

//! Errors of image operations.

use std::io;
use std::path::PathBuf;

use hotfix_model::Quoted;

/// Why an image operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The directory is not a Windows system drive.
    #[error(
        "{root} is not a Windows system drive image: {missing}; create one with `hotfix image new {root}`"
    )]
    NotAnImage {
        /// The directory that was opened.
        root: PathBuf,
        /// What was looked for and not found.
        missing: String,
    },
    /// A Windows path that could leave the image, alias a device or stream,
    /// or is ambiguous on a case-sensitive filesystem.
    #[error("refusing path {}: {reason}", Quoted(.path))]
    HostilePath {
        /// The path as given.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// A path that must exist does not.
    #[error("{path}: no such file in the image")]
    NotFound {
        /// The path as given.
        path: String,
    },
    /// A filesystem call failed.
    #[error("{what}: {source}")]
    Io {
        /// The operation and the host path, e.g. `read /img/WINDOWS/system32`.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A text file of ours (e.g. `inuse.lst`) is malformed.
    #[error("{file} line {line}: {reason}")]
    BadList {
        /// The file, as an image-relative path.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A hive file did not parse or could not be written.
    #[error("hive {file}: {source}")]
    Hive {
        /// The hive, as an image-relative path.
        file: String,
        /// What the hive parser or writer said.
        #[source]
        source: hotfix_hive::HiveError,
    },
    /// A registry key or value the operation needs is missing or malformed.
    #[error("hive {file}: {problem}")]
    Registry {
        /// The hive, as an image-relative path.
        file: String,
        /// The key and value, and what is wrong with them.
        problem: String,
    },
    /// A file of the generated image could not be built.
    #[error("generating {path}: {problem}")]
    Generate {
        /// The image-relative path of the file.
        path: String,
        /// What went wrong.
        problem: String,
    },
    /// `generate` was asked to write into a directory that is not empty.
    #[error("{0} is not empty; `image new` only creates images in an empty or absent directory")]
    NotEmpty(PathBuf),
}

impl ImageError {
    /// A failed filesystem call: `what` names the operation and host path.
    pub fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn hostile(path: &str, reason: impl Into<String>) -> Self {
        Self::HostilePath {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

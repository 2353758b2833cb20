//! The one error type of this crate.

use std::io;
use std::path::PathBuf;

use hotfix_model::Quoted;

/// Everything that can go wrong reading, writing or checking a package.
/// Each variant names the package (file name) or path and, for the
/// manifest, the line.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The bytes are neither a cabinet nor a PE stub followed by one.
    #[error("{file}: not an update package (neither a cabinet nor a self-extractor with one)")]
    NotAPackage {
        /// The package file name.
        file: String,
    },
    /// The self-extractor's stub and its cabinet do not line up.
    #[error("{file}: self-extractor stub: {reason}")]
    BadStub {
        /// The package file name.
        file: String,
        /// What was wrong.
        reason: String,
    },
    /// The cabinet is damaged, truncated or breaks a limit.
    #[error("{file}: cabinet: {source}")]
    Cab {
        /// The package file name.
        file: String,
        /// What the cabinet reader found.
        source: hotfix_cab::CabError,
    },
    /// The package file could not be read (an I/O error, or it shrank after
    /// it was opened).
    #[error("{file}: cannot read the package: {problem}")]
    Read {
        /// The package file name.
        file: String,
        /// What went wrong.
        problem: String,
    },
    /// A PE file could not be built or read.
    #[error("{file}: {source}")]
    Pe {
        /// The package file name, or the payload file being built.
        file: String,
        /// What the PE layer reported.
        source: hotfix_pe::PeError,
    },
    /// update.inf does not parse.
    #[error("{file}: update\\update.inf: {source}")]
    Inf {
        /// The package file name or source directory.
        file: String,
        /// What the INF parser reported.
        source: hotfix_inf::InfError,
    },
    /// The update.ver manifest does not parse.
    #[error("{file} line {line}: {reason}")]
    Manifest {
        /// `update.ver`, or `<package>: update\update.ver` once the package is known.
        file: String,
        /// 1-based line number (0 when the problem is the whole file).
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A required file (update.inf, update.ver) or a file the manifest lists
    /// is not in the package.
    #[error("{file}: {path} is listed in update.ver but missing from the package")]
    Missing {
        /// The package file name.
        file: String,
        /// The path inside the package.
        path: String,
    },
    /// A file in the package that the manifest does not list.
    #[error("{file}: {path} is in the package but not listed in update.ver")]
    Unlisted {
        /// The package file name.
        file: String,
        /// The path inside the package.
        path: String,
    },
    /// A payload file whose size differs from the manifest.
    #[error("{file}: {path} is {actual} bytes, update.ver says {expected}")]
    SizeMismatch {
        /// The package file name.
        file: String,
        /// The path inside the package.
        path: String,
        /// Size the manifest lists.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// A payload file whose digest differs from the manifest.
    #[error("{file}: {path} does not match its {kind} digest in update.ver (tampered or corrupt)")]
    DigestMismatch {
        /// The package file name.
        file: String,
        /// The path inside the package.
        path: String,
        /// The hash update.ver's digests were made with.
        kind: crate::DigestKind,
    },
    /// A payload file whose version resource says another version than
    /// update.ver lists for it.
    #[error(
        "{file}: update.ver lists {path} as version {listed}, but its version resource says {actual}"
    )]
    VersionMismatch {
        /// The package file name.
        file: String,
        /// The path inside the package.
        path: String,
        /// What update.ver says ("none" for no version).
        listed: String,
        /// What the file says ("none" for no readable version).
        actual: String,
    },
    /// A file name inside a package that could escape the extraction
    /// directory or collide with another on Windows.
    #[error("{file}: unsafe file name {}: {reason}", Quoted(.path))]
    BadName {
        /// The package file name or source directory.
        file: String,
        /// The offending name.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// `read` of a path the package does not hold.
    #[error("{file}: no file {path} in the package")]
    NotFound {
        /// The package file name.
        file: String,
        /// The path asked for.
        path: String,
    },
    /// update.inf does not say which update this is.
    #[error("{file}: update.inf: {reason}")]
    Identity {
        /// The package file name or source directory.
        file: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// A source tree for `pack_dir` holds something that is not a plain file
    /// or directory (a symbolic link, a device).
    #[error("{}: not a regular file or directory (symbolic links are refused)", path.display())]
    NotRegular {
        /// The offending host path.
        path: PathBuf,
    },
    /// `extract` into a directory that already has entries.
    #[error("{}: extraction directory is not empty", path.display())]
    DestNotEmpty {
        /// The destination.
        path: PathBuf,
    },
    /// A data-set row that cannot be turned into a payload file.
    #[error("{kb}: {path}: {reason}")]
    Synth {
        /// The update.
        kb: String,
        /// The payload path of the row.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A filesystem call failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The host path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl PackageError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A package problem met while streaming a file into a writer travels as
/// the writer's error type; [`PackageError::from_io`] takes it out again.
impl From<PackageError> for io::Error {
    fn from(e: PackageError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

impl PackageError {
    /// The package problem inside `e` (see the `From` above), or `e` back
    /// when it is an error of the writer itself.
    pub fn from_io(e: io::Error) -> Result<PackageError, io::Error> {
        e.downcast::<PackageError>()
    }
}

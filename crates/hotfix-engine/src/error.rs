//! Errors and the exit codes of Update.exe.

use std::fmt;

use hotfix_image::ImageError;
use hotfix_package::PackageError;
use hotfix_txn::TxnError;

/// The extended error codes Update.exe logged behind its masked 1603.
///
/// Codes marked *original* appear in Microsoft's KB articles and real logs
/// (`shared/reference/xp-servicing.md` §2.2); the others are ours, in the
/// same range, documented in `docs/design.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtCode {
    /// `0xf00d`, original: setup cancelled (seed 000's unreadable version
    /// under `--strict-versions`).
    Cancelled,
    /// `0xf0f1`, original: files from the package are incompatible with
    /// files on the system (the package is damaged or mismatched).
    Incompatible,
    /// `0xf0f4`, original: a prerequisite failed (wrong OS, service-pack
    /// level or language).
    Prerequisite,
    /// `0xf0f6`: not enough free disk space.
    DiskSpace,
    /// `0xf0f8`: another hotfix process holds the image.
    Busy,
    /// `0xf0fa`: an I/O step failed; every change was rolled back.
    Io,
    /// `0xf0fc`: the image itself is damaged (hive, journal) or not found.
    Image,
    /// `0xf0fe`: a bad command line or nothing to do.
    Usage,
}

impl ExtCode {
    /// The numeric code.
    pub fn code(self) -> u32 {
        match self {
            Self::Cancelled => 0xf00d,
            Self::Incompatible => 0xf0f1,
            Self::Prerequisite => 0xf0f4,
            Self::DiskSpace => 0xf0f6,
            Self::Busy => 0xf0f8,
            Self::Io => 0xf0fa,
            Self::Image => 0xf0fc,
            Self::Usage => 0xf0fe,
        }
    }
}

impl fmt::Display for ExtCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.code())
    }
}

/// What a finished command returns, as Update.exe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    /// 0: done.
    Success,
    /// 3010: done; restart (`hotfix restart`) to finish.
    RestartRequired,
}

impl Outcome {
    /// The Windows exit code (0 or 3010).
    pub fn code(self) -> u32 {
        match self {
            Self::Success => 0,
            Self::RestartRequired => 3010,
        }
    }
}

/// The code every failure is masked to (ERROR_INSTALL_FAILURE, 0x643).
pub const MASKED_FAILURE: u32 = 1603;

/// Why a command failed. Every variant maps to an [`ExtCode`].
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The image could not be opened or read.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A package was refused.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// A transaction failed (and was rolled back, or will be at the next run).
    #[error(transparent)]
    Txn(#[from] TxnError),
    /// A package does not apply to this image; nothing was changed.
    #[error("{package} does not apply to this system: {reason}")]
    NotApplicable {
        /// The package file name.
        package: String,
        /// Why (OS, service pack, language).
        reason: String,
    },
    /// A package's parts disagree (its update.inf names a file it lacks).
    #[error("{package} is damaged: {problem}; download it again")]
    Damaged {
        /// The package file name.
        package: String,
        /// What is inconsistent.
        problem: String,
    },
    /// A package (any format), a registry line or a queued rename asks to
    /// write what would make the image unopenable or touch hotfix's own
    /// state; refused while planning, so nothing was written.
    #[error("{by} would change {path}, which is {why}; refused, nothing was changed")]
    Protected {
        /// What asked (`KB123.exe: update.inf [ProductCatalogsToInstall]`).
        by: String,
        /// The Windows path or registry key.
        path: String,
        /// Why it is protected.
        why: String,
    },
    /// A package line the engine cannot carry out (an over-long registry
    /// key, a DelReg of a hive root, `..` in a destination): a fault of the
    /// package, not of the image.
    #[error("{by}: {problem}; the package is refused, nothing was changed")]
    BadPackageLine {
        /// The package and line.
        by: String,
        /// What is wrong.
        problem: String,
    },
    /// A file the package replaces is a directory in the image.
    #[error("{path} is a directory, not a file; move it out of the way and install again")]
    TargetIsDirectory {
        /// The Windows path.
        path: String,
    },
    /// A hive in the image is damaged.
    #[error("registry hive {path} is unreadable: {problem}")]
    Hive {
        /// The hive's image path.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// Our own state in the image is damaged.
    #[error(
        "hotfix state file {path} is unreadable: {problem}; restore it from a backup or remove it to forget that install"
    )]
    State {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A filesystem step outside any transaction failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// The step.
        what: &'static str,
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not enough space: nothing was written.
    #[error(
        "not enough free space on the image's filesystem: needs {needed} more bytes, {free} free; free {short} bytes and try again"
    )]
    DiskSpace {
        /// Bytes the command will write.
        needed: u64,
        /// Bytes free.
        free: u64,
        /// The difference.
        short: u64,
    },
    /// Another process holds the image.
    #[error(
        "another hotfix process is working on this image (lock {lock}); wait for it, or run again without --no-wait to queue behind it"
    )]
    Busy {
        /// The lock file.
        lock: String,
    },
    /// A file's version could not be read and `--strict-versions` asked for
    /// the original's behaviour.
    #[error(
        "Unable to get File Version of {path}: {problem}; setup cancelled as the original Update.exe did (run without --strict-versions to replace it, rule R3)"
    )]
    UnreadableVersion {
        /// The file.
        path: String,
        /// Why.
        problem: String,
    },
    /// The user cancelled (Ctrl-C) before the point of no return; nothing
    /// was written.
    #[error("{0} was cancelled by the user before the point of no return; nothing was changed")]
    Cancelled(String),
    /// The command asked for something impossible.
    #[error("{0}")]
    Usage(String),
}

impl EngineError {
    /// The extended code logged behind the masked 1603.
    pub fn ext_code(&self) -> ExtCode {
        match self {
            Self::Image(_)
            | Self::Hive { .. }
            | Self::State { .. }
            | Self::TargetIsDirectory { .. } => ExtCode::Image,
            Self::Package(_)
            | Self::Damaged { .. }
            | Self::Protected { .. }
            | Self::BadPackageLine { .. } => ExtCode::Incompatible,
            // A journal this host did not write is state in the image that
            // cannot be trusted, not a failed step.
            Self::Txn(TxnError::BadJournal { .. }) => ExtCode::Image,
            Self::Txn(e) if e.io_error().is_some_and(is_disk_full) => ExtCode::DiskSpace,
            Self::Txn(_) => ExtCode::Io,
            Self::Io { source, .. } if is_disk_full(source) => ExtCode::DiskSpace,
            Self::Io { .. } => ExtCode::Io,
            Self::NotApplicable { .. } => ExtCode::Prerequisite,
            Self::DiskSpace { .. } => ExtCode::DiskSpace,
            Self::Busy { .. } => ExtCode::Busy,
            Self::UnreadableVersion { .. } | Self::Cancelled(_) => ExtCode::Cancelled,
            Self::Usage(_) => ExtCode::Usage,
        }
    }

    pub(crate) fn io(what: &'static str, path: impl fmt::Display, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.to_string(),
            source,
        }
    }
}

/// ENOSPC, whether the error still carries the errno or only its kind (an
/// error re-wrapped to name its path keeps the kind, not the errno).
fn is_disk_full(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull
}

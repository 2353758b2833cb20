//! Transaction errors.

use std::io;

/// Why a transaction or a recovery failed.
#[derive(Debug, thiserror::Error)]
pub enum TxnError {
    /// A filesystem step failed; `what` says which step, on which path.
    #[error("{what}: {source}")]
    Io {
        /// The step and path, e.g. `rename WINDOWS/system32/x.dll`.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A path was empty, absolute, or had `.`/`..` components.
    #[error("invalid image-relative path {0:?}")]
    BadPath(String),
    /// The plan asked for something impossible (e.g. preserving to a path that exists).
    #[error("invalid transaction plan: {0}")]
    Plan(String),
    /// The journal on disk is not one this host wrote, or was damaged. It
    /// is left untouched.
    #[error(
        "journal {path} is refused ({why}); nothing was replayed and it was left in place. If hotfix on another host wrote it, finish there or copy that host's journal.key into $HOTFIX_STATE_DIR; if you do not trust it, move it and the txn directory beside it out of the image"
    )]
    BadJournal {
        /// Where the journal is.
        path: String,
        /// What was wrong with it.
        why: String,
    },
    /// Applying failed and the roll back succeeded: the image is as before.
    #[error("{source}; every change was rolled back, the image is as it was before")]
    RolledBack {
        /// The failure that caused the roll back.
        #[source]
        source: Box<TxnError>,
    },
    /// Applying failed and so did the roll back: the journal remains, and the
    /// next run recovers.
    #[error(
        "{apply}; rolling back also failed ({rollback}); the journal is kept: remove the cause (free space, a read-only or failing disk, permissions), then run any hotfix command on this image, such as `hotfix list --image DIR`, and it finishes the roll back before anything else"
    )]
    RollbackFailed {
        /// The original failure.
        apply: Box<TxnError>,
        /// Why the roll back stopped.
        rollback: Box<TxnError>,
    },
}

impl TxnError {
    /// Wraps an I/O error with the step and path it happened on.
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    /// The underlying I/O error, if the failure (or its cause) was one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::RolledBack { source } => source.io_error(),
            Self::RollbackFailed { apply, .. } => apply.io_error(),
            _ => None,
        }
    }
}

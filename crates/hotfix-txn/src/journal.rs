//! The journal: one JSON document behind a magic line and a checksum line.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{RelPath, TxnError};

const MAGIC: &str = "HOTFIX-JOURNAL 1";

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalState {
    /// Written before anything outside `txn/` changes: a crash rolls back.
    Prepared,
    /// Everything applied and durable: a crash rolls forward (cleanup).
    Committed,
}

/// A path that receives the bytes a `Put` replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preserve {
    /// Where the old bytes go.
    pub path: RelPath,
    /// True if this copy belongs to the new state (an uninstall backup, a
    /// moved-aside KnownDLL); false for a scratch copy removed at cleanup.
    pub keep: bool,
}

/// One operation. See `docs/design.md` §5 for apply, roll back and clean up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// A directory this transaction creates.
    MakeDir {
        /// The directory.
        path: RelPath,
    },
    /// Switch `staged` in at `target`.
    Put {
        /// The file that gets the new bytes.
        target: RelPath,
        /// Where the new bytes wait (under `txn/s/`, or a queued source in the image).
        staged: RelPath,
        /// Whether `target` existed when the plan was made.
        existed: bool,
        /// Where the old bytes are kept (at least one entry when `existed`).
        preserve: Vec<Preserve>,
    },
    /// A new name `to` for the bytes at `from` (a hard link, or a copy).
    Link {
        /// An existing file: in the image, or staged.
        from: RelPath,
        /// The new file; it belongs to the new state.
        to: RelPath,
    },
    /// Move `target` out of the way.
    Remove {
        /// The file that disappears.
        target: RelPath,
        /// Where it goes.
        to: RelPath,
        /// True if `to` belongs to the new state.
        keep: bool,
    },
}

/// The whole journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Random id of the transaction.
    pub txid: String,
    /// Seconds since the Unix epoch when it started.
    pub started: u64,
    /// The command line that started it.
    pub command: String,
    /// What it does, for people (`install KB896358, KB899587`).
    pub title: String,
    /// Prepared or committed.
    pub state: JournalState,
    /// Apply operation by operation, each with its own barriers, instead of
    /// in three batched passes. Needed when operations depend on each other
    /// (the boot-time rename queue may move a file twice).
    #[serde(default)]
    pub sequential: bool,
    /// The operations, in apply order.
    pub ops: Vec<Op>,
}

impl Journal {
    /// The bytes written to disk.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing plain structs of strings cannot fail.
        let body = serde_json::to_string_pretty(self).unwrap_or_default();
        let sum = hex::encode(Sha256::digest(body.as_bytes()));
        format!("{MAGIC}\nsha256 {sum}\n{body}").into_bytes()
    }

    /// Parses and verifies journal bytes; `path` only names the file in errors.
    pub fn decode(bytes: &[u8], path: &str) -> Result<Self, TxnError> {
        let bad = |why: &str| TxnError::BadJournal {
            path: path.to_owned(),
            why: why.to_owned(),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let (magic, rest) = text.split_once('\n').ok_or_else(|| bad("truncated"))?;
        if magic != MAGIC {
            return Err(bad("bad magic line"));
        }
        let (sum_line, body) = rest.split_once('\n').ok_or_else(|| bad("truncated"))?;
        let sum = sum_line
            .strip_prefix("sha256 ")
            .ok_or_else(|| bad("bad checksum line"))?;
        if hex::encode(Sha256::digest(body.as_bytes())) != sum {
            return Err(bad("checksum mismatch (torn or edited)"));
        }
        serde_json::from_str(body).map_err(|e| bad(&format!("bad JSON: {e}")))
    }
}

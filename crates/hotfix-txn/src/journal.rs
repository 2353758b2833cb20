//! The journal: one JSON document behind a magic line and a MAC line.

use serde::{Deserialize, Serialize};

use crate::{HostKey, RelPath, StateDir, TxnError};

const MAGIC: &str = "HOTFIX-JOURNAL 2";
/// The format before journals were bound to their host: never replayed.
const MAGIC_UNBOUND: &str = "HOTFIX-JOURNAL 1";

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
    /// The bytes written to disk, bound to this host by `key`'s MAC.
    pub fn encode(&self, key: &HostKey) -> Vec<u8> {
        // Serializing plain structs of strings cannot fail.
        let body = serde_json::to_string_pretty(self).unwrap_or_default();
        let mac = key.mac(body.as_bytes());
        format!("{MAGIC}\nblake3-mac {mac}\n{body}").into_bytes()
    }

    /// Parses journal bytes and proves this host wrote them: the MAC must
    /// verify under `key` (`None`: this host has no key, so it wrote no
    /// journal). `path` only names the file in errors.
    pub fn decode(bytes: &[u8], path: &str, key: Option<&HostKey>) -> Result<Self, TxnError> {
        let bad = |why: &str| TxnError::BadJournal {
            path: path.to_owned(),
            why: why.to_owned(),
        };
        let (magic, rest) = split_line(bytes).ok_or_else(|| bad("truncated"))?;
        if magic == MAGIC_UNBOUND.as_bytes() {
            return Err(bad(
                "it is in the unbound format HOTFIX-JOURNAL 1, which cannot prove who wrote it",
            ));
        }
        if magic != MAGIC.as_bytes() {
            return Err(bad("bad magic line"));
        }
        let (mac_line, body) = split_line(rest).ok_or_else(|| bad("truncated"))?;
        let mac = mac_line
            .strip_prefix(b"blake3-mac ")
            .ok_or_else(|| bad("bad MAC line"))?;
        let key = key.ok_or_else(|| {
            bad("this host has no journal key, so the journal was not written here")
        })?;
        // The MAC is checked before the body is even parsed: nothing of a
        // journal this host did not write is interpreted.
        if !constant_time_eq(key.mac(body).as_bytes(), mac) {
            return Err(bad(
                "its MAC does not verify under this host's journal key: it was not written by hotfix on this host, or was edited",
            ));
        }
        let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8"))?;
        serde_json::from_str(text).map_err(|e| bad(&format!("bad JSON: {e}")))
    }

    /// Refuses operations no transaction of ours plans, whoever signed the
    /// journal: a path on our runtime files (the journal, its temporary
    /// copy, the lock), and scratch paths (removed after commit) outside
    /// the staging area.
    pub fn check_paths(&self, sd: &StateDir, path: &str) -> Result<(), TxnError> {
        let runtime = [sd.journal(), sd.journal_tmp(), sd.lock()];
        let txn = sd.txn_dir();
        let under = |p: &RelPath, dir: &RelPath| {
            p.as_str()
                .to_lowercase()
                .starts_with(&format!("{}/", dir.as_str().to_lowercase()))
        };
        let bad = |p: &RelPath, why: &str| TxnError::BadJournal {
            path: path.to_owned(),
            why: format!("operation on {p}: {why}"),
        };
        for op in &self.ops {
            let (paths, scratch) = op.paths();
            for p in &paths {
                if runtime
                    .iter()
                    .any(|r| r.as_str().eq_ignore_ascii_case(p.as_str()))
                {
                    return Err(bad(p, "a transaction never touches hotfix's runtime files"));
                }
            }
            for p in scratch {
                if !under(p, &txn) {
                    return Err(bad(p, "a scratch copy must be in the staging area"));
                }
            }
        }
        Ok(())
    }
}

impl Op {
    /// Every path the operation names, and those of them that are scratch
    /// (removed at cleanup).
    fn paths(&self) -> (Vec<&RelPath>, Vec<&RelPath>) {
        match self {
            Op::MakeDir { path } => (vec![path], vec![]),
            Op::Put {
                target,
                staged,
                preserve,
                ..
            } => {
                let mut all = vec![target, staged];
                all.extend(preserve.iter().map(|p| &p.path));
                let scratch = preserve.iter().filter(|p| !p.keep).map(|p| &p.path);
                (all, scratch.collect())
            }
            Op::Link { from, to } => (vec![from, to], vec![]),
            Op::Remove { target, to, keep } => {
                (vec![target, to], if *keep { vec![] } else { vec![to] })
            }
        }
    }
}

fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == b'\n')?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

/// Compares without an early exit, so timing says nothing about the MAC.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

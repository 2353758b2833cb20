//! `PendingFileRenameOperations`: the queue Session Manager runs at boot.
//!
//! The value (`HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`) is a
//! REG_MULTI_SZ of (source, destination) pairs. Sources and destinations are
//! NT paths (`\??\C:\...`); a `!` before the destination means "replace if it
//! exists"; an empty destination means "delete the source". The list is
//! processed in order, and `PendingFileRenameOperations2` (which ReactOS
//! appends to when the first value is full) after it.
//!
//! This crate only knows the format: [`PendingQueue::parse`] and
//! [`PendingQueue::to_strings`] are exact inverses on well-formed input, and
//! tolerant of what other writers produce (an odd number of strings, `@`
//! prefixes, missing `\??\`). Deciding what an entry does to an image is
//! the engine's job. [`qchain_log`] renders QChain's before/after log.
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};

/// Name of the main value.
pub const VALUE: &str = "PendingFileRenameOperations";
/// Name of the overflow value read after it.
pub const VALUE2: &str = "PendingFileRenameOperations2";

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOp {
    /// The file to move or delete, as stored (usually `\??\C:\...`).
    pub source: String,
    /// Where it goes, without the `!`; `None` deletes the source.
    pub target: Option<String>,
    /// `MOVEFILE_REPLACE_EXISTING` (`!` or `@` before the target).
    pub replace: bool,
}

impl PendingOp {
    /// A rename that replaces an existing target.
    pub fn replace(source: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            target: Some(target.into()),
            replace: true,
        }
    }
    /// A delete.
    pub fn delete(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            target: None,
            replace: false,
        }
    }
    /// Whether this operation moves a file onto `nt_path`, compared
    /// case-insensitively as Windows compares paths.
    pub fn targets(&self, nt_path: &str) -> bool {
        self.target
            .as_deref()
            .is_some_and(|t| t.to_lowercase() == nt_path.to_lowercase())
    }
}

/// The whole queue, in processing order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingQueue {
    /// The operations.
    pub ops: Vec<PendingOp>,
}

impl PendingQueue {
    /// Reads the strings of the value(s), concatenated in processing order.
    /// Strings are paired; a trailing unpaired source is a delete (what
    /// Wine does when the destination slot is the list terminator). An empty
    /// source (or a bare `@`) ends the list, as in Session Manager.
    pub fn parse(strings: &[String]) -> Self {
        let mut ops = Vec::new();
        let mut it = strings.iter();
        while let Some(src) = it.next() {
            let source = src.strip_prefix('@').unwrap_or(src).to_owned();
            // A bare `@` names no file either; keeping it as an empty
            // source would make `to_strings` end the list there.
            if source.is_empty() {
                break;
            }
            let dst = it.next().map(String::as_str).unwrap_or("");
            let (replace, target) = match dst.strip_prefix(['!', '@']) {
                Some(t) => (true, t),
                None => (false, dst),
            };
            // A delete has nothing to replace, and `to_strings` cannot
            // write the flag without a target.
            ops.push(PendingOp {
                source,
                target: (!target.is_empty()).then(|| target.to_owned()),
                replace: replace && !target.is_empty(),
            });
        }
        Self { ops }
    }

    /// The strings to store (without the final extra NUL, which the hive
    /// encoding of REG_MULTI_SZ adds).
    pub fn to_strings(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.ops.len() * 2);
        for op in &self.ops {
            // `parse` strips one leading `@`, so a source that starts with
            // one needs another to survive the round trip.
            if op.source.starts_with('@') {
                out.push(format!("@{}", op.source));
            } else {
                out.push(op.source.clone());
            }
            out.push(match (&op.target, op.replace) {
                (Some(t), true) => format!("!{t}"),
                (Some(t), false) => t.clone(),
                (None, _) => String::new(),
            });
        }
        out
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// `\??\C:\WINDOWS\x` → `C:\WINDOWS\x` (for people and logs).
pub fn display_path(nt: &str) -> &str {
    nt.strip_prefix(r"\??\").unwrap_or(nt)
}

/// One side of a QChain log entry: a queued rename with the versions found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry {
    /// Source path as queued.
    pub source: String,
    /// Version of the source file, or `None` if it has none / is missing.
    pub source_version: Option<String>,
    /// Destination path as queued.
    pub target: String,
    /// Version of the file now at the destination.
    pub target_version: Option<String>,
}

fn render(entries: &[ChainEntry], out: &mut String) {
    for e in entries {
        let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        out.push_str(&format!(
            "Source:{}\r\nVersion: {}\r\nDestination:{}\r\nVersion: {}\r\n\r\n",
            display_path(&e.source),
            v(&e.source_version),
            display_path(&e.target),
            v(&e.target_version)
        ));
    }
}

/// QChain's log: the queued renames before and after the rewrite (KB296861).
pub fn qchain_log(before: &[ChainEntry], after: &[ChainEntry]) -> String {
    let mut out = String::from("---- Old Information In The Registry ------\r\n");
    render(before, &mut out);
    out.push_str("---- New Information In The Registry ------\r\n");
    render(after, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn windows_layout() {
        let q = PendingQueue {
            ops: vec![
                PendingOp::replace(
                    r"\??\C:\WINDOWS\system32\a.dll.new",
                    r"\??\C:\WINDOWS\system32\a.dll",
                ),
                PendingOp::delete(r"\??\C:\WINDOWS\system32\old.tmp"),
            ],
        };
        let s = q.to_strings();
        assert_eq!(
            s,
            [
                r"\??\C:\WINDOWS\system32\a.dll.new",
                r"!\??\C:\WINDOWS\system32\a.dll",
                r"\??\C:\WINDOWS\system32\old.tmp",
                ""
            ]
        );
        assert_eq!(PendingQueue::parse(&s), q);
    }

    #[test]
    fn tolerant_reading() {
        let s: Vec<String> = ["@x", "", "a", "@b", "c"].map(String::from).to_vec();
        let q = PendingQueue::parse(&s);
        assert_eq!(q.ops[0], PendingOp::delete("x"));
        assert_eq!(q.ops[1], PendingOp::replace("a", "b"));
        assert_eq!(q.ops[2], PendingOp::delete("c"));
        // an empty source ends the list
        let s: Vec<String> = ["a", "b", "", "c", "d"].map(String::from).to_vec();
        assert_eq!(PendingQueue::parse(&s).ops.len(), 1);
    }

    proptest! {
        #[test]
        fn round_trip(ops in proptest::collection::vec(
            ("[A-Za-z0-9:\\\\?. ]{1,20}", proptest::option::of("[A-Za-z0-9:\\\\. ]{1,20}"), any::<bool>()),
            0..20,
        )) {
            let q = PendingQueue { ops: ops.into_iter().map(|(s, t, r)| PendingOp {
                source: s.trim_start_matches('@').to_owned(),
                replace: r && t.is_some(),
                target: t.map(|t| t.trim_start_matches(['!', '@']).to_owned()).filter(|t| !t.is_empty()),
            }).collect() };
            let q = PendingQueue { ops: q.ops.into_iter().map(|mut o| { if o.target.is_none() { o.replace = false; } o }).filter(|o| !o.source.is_empty()).collect() };
            prop_assert_eq!(PendingQueue::parse(&q.to_strings()), q);
        }
    }
}

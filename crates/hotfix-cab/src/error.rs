//! The crate's error type.

use hotfix_model::Quoted;

use crate::{Method, NameError};

/// Everything that can go wrong reading or writing a cabinet. Offsets are byte
/// offsets from the start of the cabinet (the `MSCF` signature).
#[derive(Debug, thiserror::Error)]
pub enum CabError {
    /// The data does not start with a cabinet header.
    #[error("not a cabinet: no MSCF signature at byte offset {offset}")]
    NotCabinet {
        /// Where the signature was expected.
        offset: u64,
    },
    /// A structure runs past the end of the cabinet.
    #[error("{what} at byte offset {offset} needs {needed} bytes, but the cabinet ends at {end}")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Where it starts.
        offset: u64,
        /// How many bytes it needs.
        needed: u64,
        /// Where the available data ends.
        end: u64,
    },
    /// The cabinet's bytes could not be read (an I/O error, or the file
    /// was truncated after it was opened).
    #[error("cannot read the cabinet at byte offset {offset}: {problem}")]
    Read {
        /// Where the read started.
        offset: u64,
        /// What went wrong.
        problem: String,
    },
    /// A header field is inconsistent.
    #[error("corrupt cabinet at byte offset {offset}: {problem}")]
    Corrupt {
        /// The offending field or structure.
        offset: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The entry's folder uses a compression method this crate cannot decode.
    #[error("compression method {0:?} is not supported")]
    Unsupported(Method),
    /// The cabinet is one part of a multi-cabinet set, which is not supported.
    #[error(
        "file entry at byte offset {offset} continues into another cabinet of a set; spanned cabinet sets are not supported"
    )]
    Spanned {
        /// The file entry that spans.
        offset: u64,
    },
    /// An entry name is unsafe.
    #[error("bad entry name {}: {source}", Quoted(.name))]
    BadName {
        /// The name as stored (or as given to the writer).
        name: String,
        /// Why it was refused.
        source: NameError,
    },
    /// Two entries would land on the same file of a case-insensitive file system.
    #[error("duplicate entry name {} (names are compared ignoring case)", Quoted(.0))]
    Duplicate(String),
    /// A declared size or count exceeds the caller's [`crate::Limits`].
    #[error("{what} is {value}, more than the limit of {limit}")]
    LimitExceeded {
        /// What was counted.
        what: String,
        /// The declared value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// An entry's data could not be produced.
    #[error("entry {}: {problem}", Quoted(.name))]
    Entry {
        /// The entry name.
        name: String,
        /// What went wrong, with the data block and byte offset.
        problem: String,
    },
    /// [`crate::Cabinet::read`] was given an index past the end of the entry list.
    #[error("no entry with index {index} (the cabinet has {count})")]
    NoSuchEntry {
        /// The index asked for.
        index: usize,
        /// How many entries there are.
        count: usize,
    },
    /// [`crate::write_cabinet`] was given no files; a cabinet needs at least one.
    #[error("a cabinet needs at least one file")]
    NoFiles,
}

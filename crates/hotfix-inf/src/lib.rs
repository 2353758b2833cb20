//! Parse and write the SetupAPI INF dialect that `update.inf` is written in.
//!
//! Two layers:
//! - [`Inf`] is the generic parser: encoding detection, sections, keys,
//!   comma-separated fields, quoting, line continuation and `%strkey%`
//!   substitution from `[Strings]`, following the behaviour of SetupAPI (as
//!   documented by Microsoft and implemented openly by Wine). Start in
//!   `parse.rs`.
//! - [`UpdateInf`] is the typed model of what Update.exe read from
//!   `update.inf`: the `[Version]` targeting keys, the copy lists with their
//!   destination directories, extended conditionals and registry changes. It
//!   can be written back with [`UpdateInf::to_text`]. Start in `update.rs`.
#![deny(missing_docs)]

mod cond;
mod decode;
mod dirid;
mod number;
mod parse;
mod reg;
mod update;
mod write;

pub use cond::{CmpOp, Condition, Conditional};
pub use dirid::{DestDir, DirRoot, dirid_location};
pub use number::parse_u32;
pub use parse::{Inf, Line, Section};
pub use reg::{RegData, RegLine, RegRoot};
pub use update::{CopyFile, UpdateInf};

/// Everything that can be wrong with an INF file. Each variant says where:
/// a byte offset for encoding problems, a line number (1-based, the line
/// where the logical line starts) for everything else that has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfError {
    /// The bytes are not valid text in the encoding their BOM announces.
    #[error("bad encoding at byte offset {offset}: {problem}")]
    Encoding {
        /// Byte offset of the first bad byte.
        offset: usize,
        /// What is wrong.
        problem: String,
    },
    /// The text does not follow the INF grammar.
    #[error("line {line}: syntax error: {problem}")]
    Syntax {
        /// Line number (1-based).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A required key is absent.
    #[error("section [{section}] has no {key} entry")]
    Missing {
        /// Section that should hold the key.
        section: String,
        /// The key.
        key: String,
    },
    /// A section named by a directive does not exist.
    #[error("line {line}: section [{section}] is referenced but not defined")]
    MissingSection {
        /// Line of the reference.
        line: usize,
        /// The section name as referenced.
        section: String,
    },
    /// A line is well-formed INF but means nothing valid for update.inf.
    #[error("line {line}: {problem}")]
    Invalid {
        /// Line number (1-based).
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

/// An [`InfError::Invalid`] at `line`.
pub(crate) fn invalid(line: usize, problem: String) -> InfError {
    InfError::Invalid { line, problem }
}

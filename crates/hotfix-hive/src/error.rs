//! The crate's one error type.

/// Everything that can go wrong reading, editing or writing a hive.
///
/// Parse errors carry the **file offset** (from the start of the hive file,
/// base block included) of the structure that was wrong, so a hex dump of
/// the file shows the spot directly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HiveError {
    /// A structure in the file is malformed, truncated or points nowhere.
    #[error("corrupt hive at file offset {offset:#x}: {problem}")]
    Corrupt {
        /// File offset of the structure (or field) that is wrong.
        offset: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The base block checksum does not match its contents.
    #[error("hive base block checksum is {stored:#010x} but the header sums to {computed:#010x}")]
    BadChecksum {
        /// The checksum stored at offset 508.
        stored: u32,
        /// The XOR-32 of the first 508 bytes (with Windows' 0/-1 adjustment).
        computed: u32,
    },
    /// The primary and secondary sequence numbers differ: Windows was
    /// interrupted while writing the hive and the transaction log (`.LOG`)
    /// holds changes that the primary file lacks.
    #[error(
        "hive is dirty: sequence numbers {primary} and {secondary} differ, so its .LOG \
         holds changes missing from this file (boot Windows once to replay them, or \
         read it anyway with Hive::parse_allow_dirty)"
    )]
    Dirty {
        /// Primary sequence number (offset 4).
        primary: u32,
        /// Secondary sequence number (offset 8).
        secondary: u32,
    },
    /// A key or value name that Windows would refuse.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The offending name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The root key of a hive cannot be deleted.
    #[error("the root key of a hive cannot be deleted")]
    CannotDeleteRoot,
    /// The tree cannot be expressed as a regf file (too deep, a name or
    /// value too large for its length field, or a hive over 2 GiB).
    #[error("cannot write hive: {0}")]
    Unwritable(String),
}

impl HiveError {
    pub(crate) fn corrupt(offset: u64, problem: impl Into<String>) -> Self {
        HiveError::Corrupt {
            offset,
            problem: problem.into(),
        }
    }
}

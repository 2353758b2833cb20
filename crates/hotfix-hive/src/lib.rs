//! Read and write Windows NT registry hive files (regf), as Windows XP and
//! Server 2003 load them.
//!
//! No published Rust crate both reads and writes regf correctly (the
//! readers cannot write, and the writers are missing big data, `ri` lists or
//! a security cell), so this crate implements the format itself, learnt from
//! public descriptions: hivex's documentation and sources, Joachim Metz's
//! libregf notes and Maxim Suhanov's regf specification.
//!
//! Start with [`Hive`]: [`Hive::parse`] reads a file into an in-memory tree
//! of [`Key`]s holding [`Value`]s; the path methods ([`Hive::set`],
//! [`Hive::create_key`], ...) edit it; [`Hive::to_bytes`] writes a fresh,
//! compacted file; [`Hive::export_reg`] renders `.reg` text.
//!
//! Modules: `read` (the validating parser), `write` (the writer), `value`
//! (value byte encodings; the `REG_MULTI_SZ` rules are on [`Value`]), `name`
//! (Windows name folding and `lh` hashes).
//!
//! What a rewrite does not keep: per-key security descriptors (every key
//! gets one shared default descriptor), class names, volatile keys, and
//! the exact bytes of string values with irregular NULs (see [`Value`]).
#![deny(missing_docs)]

mod error;
mod export;
mod format;
mod hive;
mod key;
mod name;
mod read;
mod security;
mod value;
mod write;

pub use error::HiveError;
pub use hive::Hive;
pub use key::{Key, MAX_KEY_NAME_UNITS};
pub use value::{
    REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_NONE,
    REG_QWORD, REG_SZ, Value,
};

impl Hive {
    /// Parses a hive file with full, bounded validation. A hive whose
    /// sequence numbers differ (its `.LOG` holds unreplayed changes) is
    /// refused with [`HiveError::Dirty`]; a bad base-block checksum with
    /// [`HiveError::BadChecksum`]; anything malformed with
    /// [`HiveError::Corrupt`] naming the file offset.
    pub fn parse(bytes: &[u8]) -> Result<Hive, HiveError> {
        read::parse(bytes, false)
    }

    /// Like [`Hive::parse`], but reads a dirty hive as it is on disk.
    pub fn parse_allow_dirty(bytes: &[u8]) -> Result<Hive, HiveError> {
        read::parse(bytes, true)
    }

    /// Writes a complete, fresh regf file (format 1.5): equal sequence
    /// numbers, valid checksum, 4096-byte hbins, `lh` subkey lists (an `ri`
    /// of `lh` lists above 512 subkeys), one shared `sk`, big data for
    /// values over 16344 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, HiveError> {
        write::to_bytes(self)
    }
}

//! Read and write Microsoft cabinet (MS-CAB) files and find them inside
//! self-extracting executables.
//!
//! Start with [`Cabinet::parse`] (reading: stored, MSZIP and LZX folders) and
//! [`write_cabinet`] (writing: stored or MSZIP). [`find_cabinet`] locates the
//! cabinet inside an SFXCAB hotfix EXE; [`check_name`] is the entry-name policy
//! the reader enforces, exposed for callers that build names themselves.
//!
//! Cabinets are untrusted input: the reader checks every size and offset
//! against the data before using it, enforces [`Limits`] on declared sizes
//! before allocating, refuses unsafe or duplicate names, and reports the byte
//! offset or entry name of every problem. Reading and writing are done here
//! rather than with the `cab` crate; `cabinet.rs` and `write.rs` say why.
#![deny(missing_docs)]

mod cabinet;
mod entry;
mod error;
mod find;
mod folder;
mod name;
mod write;

pub use cabinet::{Cabinet, HEADER_LEN};
pub use entry::EntryReader;
pub use error::CabError;
pub use find::{find_cabinet, find_cabinet_in_prefix};
pub use name::{MAX_NAME_BYTES, NameError, check_name};
pub use write::write_cabinet;

/// How [`write_cabinet`] compresses file data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored, no compression.
    None,
    /// MSZIP (deflate in 32 KiB blocks), which XP setup and Update.exe read.
    MsZip,
}

/// The compression method of a cabinet folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Stored.
    None,
    /// MSZIP.
    MsZip,
    /// Quantum (listed, but [`Cabinet::read`] refuses it as unsupported).
    Quantum,
    /// LZX.
    Lzx,
}

/// One file handed to [`write_cabinet`].
#[derive(Debug, Clone, Copy)]
pub struct CabInput<'a> {
    /// Relative name; `\` or `/` separators, e.g. `SP2QFE\shell32.dll`.
    pub name: &'a str,
    /// The file's contents.
    pub data: &'a [u8],
}

/// Caps on what a cabinet may declare, checked while parsing headers and
/// before any entry data is allocated.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most entries a cabinet may list.
    pub max_files: usize,
    /// Largest declared size of one entry, in bytes.
    pub max_file_size: u64,
    /// Largest sum of the declared sizes of all entries, in bytes.
    pub max_total_size: u64,
}

impl Default for Limits {
    /// 65,535 files (the format's maximum), 1 GiB per file, 4 GiB in total.
    fn default() -> Self {
        Limits {
            max_files: 65_535,
            max_file_size: 1 << 30,
            max_total_size: 4 << 30,
        }
    }
}

/// One entry listed by a parsed [`Cabinet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CabEntry {
    /// The name as stored, with `\` separators (already passed [`check_name`]).
    pub name: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Compression method of the entry's folder.
    pub method: Method,
    /// Index of the entry's folder.
    pub folder: usize,
}

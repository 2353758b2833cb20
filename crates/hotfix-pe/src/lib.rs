//! Read and write PE (Portable Executable) files as far as servicing needs them:
//! the version resource (VS_FIXEDFILEINFO and StringFileInfo), the start of
//! appended data (the overlay of a self-extracting package), the optional-header
//! CheckSum, and a writer that synthesises stand-in system files with a chosen
//! version, exact size and deterministic, realistically compressible contents.
//!
//! Start reading at [`read_version`] (in `version.rs`, which walks the headers in
//! `headers.rs` and the resource tree in `resource.rs`; [`read_version_at`] in
//! `sparse.rs` reads only those parts of a file on disk) and at [`build`] (in
//! `writer.rs`, which uses `encode.rs` for the resource and `filler.rs` for the
//! padding bytes).
//!
//! The reader is our own bounded parser rather than `pelite`: every failure must
//! name the byte offset it happened at, truncated or looping resource trees must
//! be reported rather than tolerated, and the walk must be bounded by the input
//! length alone.
#![deny(missing_docs)]

mod checksum;
mod encode;
mod filler;
mod headers;
mod resource;
mod sparse;
mod version;
mod writer;

pub use checksum::checksum;
pub use filler::data_file;
pub use headers::overlay_offset;
pub use hotfix_model::FileVersion;
pub use sparse::read_version_at;
pub use version::{VersionInfo, read_version};
pub use writer::{
    Machine, PeKind, PeSpec, build, build_at_least, build_with_overlay, min_size, name_seed,
};

/// Everything that can go wrong reading or writing a PE file. Offsets are byte
/// offsets from the start of the file.
#[derive(Debug, thiserror::Error)]
pub enum PeError {
    /// The bytes are not a PE image at all.
    #[error("not a PE file: {problem}")]
    NotPe {
        /// What was missing (the MZ or PE signature, the optional-header magic).
        problem: String,
    },
    /// A structure runs past the end of the input.
    #[error("truncated: {what} at offset {offset:#x} runs past the end of the file ({len} bytes)")]
    Truncated {
        /// Where the structure starts.
        offset: u64,
        /// Which structure.
        what: &'static str,
        /// The input length.
        len: u64,
    },
    /// The image has no RT_VERSION resource.
    #[error("the file has no version resource")]
    NoVersionResource,
    /// The version resource exists but holds no VS_FIXEDFILEINFO.
    #[error("the version resource at offset {offset:#x} has no VS_FIXEDFILEINFO")]
    NoFixedFileInfo {
        /// Offset of the VS_VERSIONINFO block.
        offset: u64,
    },
    /// A field holds an impossible value.
    #[error("corrupt PE at offset {offset:#x}: {problem}")]
    Corrupt {
        /// Where the bad field or structure is.
        offset: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The requested file size is below what the headers and resource need.
    #[error("requested size {wanted} is below the minimum of {minimum} bytes for this spec")]
    TooSmall {
        /// The requested `total_size`.
        wanted: u64,
        /// [`min_size`] of the spec.
        minimum: u64,
    },
    /// The requested file would not fit the 32-bit fields of a PE image.
    #[error("requested size {wanted} exceeds the maximum of {maximum} bytes")]
    TooLarge {
        /// The requested size.
        wanted: u64,
        /// The largest size the writer produces.
        maximum: u64,
    },
    /// The spec cannot be encoded (a string with NUL, a resource over 64 KiB).
    #[error("cannot encode the spec: {problem}")]
    InvalidSpec {
        /// What is wrong.
        problem: String,
    },
}

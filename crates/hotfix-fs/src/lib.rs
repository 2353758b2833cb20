//! Every filesystem call `hotfix` makes goes through this crate.
//!
//! The [`Fs`] trait is the seam: the engine is written against it, and four
//! backends implement it:
//!
//! - [`OsFs`]: the real filesystem (std + rustix), with `fsync` of files and
//!   directories, advisory locks and free-space queries.
//! - [`MemFs`]: an in-memory filesystem that keeps *live* and *durable* state
//!   apart (file data becomes durable at a file sync, directory entries at a
//!   directory sync), so [`MemFs::crash_image`] can build the tree a power cut
//!   would leave. See `docs/design.md`, "Crash model".
//! - [`ConfinedFs`]: the real filesystem confined to an image root: every
//!   path under it is resolved by the kernel beneath the root, refusing
//!   symbolic links, and special files are refused where files are expected.
//!   Image-facing commands use it; see `docs/design.md`, "Confinement".
//! - [`FaultFs`]: a wrapper around either that counts every mutating step and,
//!   at a chosen step, fails it with an errno (EIO, ENOSPC, EACCES) or
//!   "crashes": refuses that step and every later one, as if the process died.
//!
//! Mutating steps are: create, write, sync (file), sync (directory), rename,
//! hard link, remove file, create directory, remove directory, set read-only.
//! Reads are never counted.
//!
//! Start reading at [`Fs`], then [`MemFs`] for the crash model.
#![deny(missing_docs)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // this crate is the allowed place

mod confine;
mod fault;
mod helpers;
mod mem;
mod os;

use std::fmt::Debug;
use std::io::{self, Read, Seek};
use std::path::Path;
use std::sync::Arc;

pub use confine::{ConfinedFs, NAME_MAX, PATH_MAX, check_path_len};
pub use fault::{FaultFs, FaultKind, FaultPlan, Step, StepKind};
pub use helpers::{copy_file, create_dir_all, remove_tree, write_atomic, write_new};
pub use mem::{CrashVariant, MemFs};
pub use os::OsFs;

/// The most [`Fs::read`] of an image file through [`ConfinedFs`] reads into
/// memory: above the largest hive or system file hotfix reads whole, so a
/// sparse or oversized file is refused by its size instead of filling memory.
pub const DEFAULT_READ_LIMIT: u64 = 1 << 30;

/// What kind of object a path names. Symbolic links are reported as such and
/// never followed by [`Fs::metadata`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (or anything else that is neither file nor directory).
    Other,
}

/// The facts about a path that the engine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// File, directory or other.
    pub kind: FileKind,
    /// Length in bytes (0 for directories).
    pub len: u64,
    /// The Windows read-only attribute, mapped to "no write permission".
    pub readonly: bool,
    /// Number of hard links to the object.
    pub nlink: u64,
}

impl Metadata {
    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.kind == FileKind::File
    }
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Dir
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name exactly as stored (not lossy: non-UTF-8 names are
    /// reported with replacement characters and flagged by `utf8 == false`).
    pub name: String,
    /// False when the on-disk name was not valid UTF-8.
    pub utf8: bool,
    /// Kind of the entry (links are not followed).
    pub kind: FileKind,
}

/// A reader over a whole file.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// Positioned reads from one opened file, shareable between threads, so a
/// large input (a 270 MB service pack) is read where it is needed instead of
/// being copied into memory whole.
pub trait ReadAt: Debug + Send + Sync {
    /// The length the file had when it was opened.
    fn len(&self) -> u64;
    /// True for an empty file.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` with the bytes at `offset`; an `UnexpectedEof` error when
    /// the file ends first (it was truncated after it was opened).
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

/// Bytes already in memory.
impl ReadAt for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "read past the end of the data",
                )
            })?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// Bytes already in memory, owned (what [`Fs::open_read_at`] of an
/// in-memory filesystem hands out).
impl ReadAt for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.as_slice().read_exact_at(buf, offset)
    }
}

/// A file opened for writing by [`Fs::create`] or [`Fs::append`].
///
/// Every `write` call is one mutating step; [`FileWriter::sync`] is another.
/// Dropping the writer closes the file without syncing it.
pub trait FileWriter: io::Write + Send {
    /// Make the data written so far durable (`fsync`).
    fn sync(&mut self) -> io::Result<()>;
    /// Asks for the data written so far to go to the disk now rather than
    /// later, without waiting and without any durability promise (a later
    /// sync is still needed): the disk then works while the caller goes on.
    /// Not a step; a hint that may do nothing.
    fn start_writeback(&mut self) {}
}

/// Outcome of [`Fs::try_lock`].
#[derive(Debug)]
pub enum LockAttempt {
    /// The lock is ours until the guard is dropped.
    Acquired(LockGuard),
    /// Another holder has it.
    Busy,
}

/// Holds an exclusive advisory lock; dropping it releases the lock.
pub struct LockGuard {
    _release: Box<dyn Send>,
}

impl Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockGuard")
    }
}

impl LockGuard {
    /// Wraps whatever keeps the lock alive (an open file, a registry entry).
    pub fn new(release: Box<dyn Send>) -> Self {
        Self { _release: release }
    }
}

/// The filesystem as the engine sees it. Paths are host paths.
///
/// Implementations must make [`Fs::rename`] atomic and replacing, like POSIX
/// `rename(2)`: the destination is either the old or the new object.
pub trait Fs: Debug + Send + Sync {
    /// Reads a whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Reads a whole file of at most `max` bytes; a longer one is refused
    /// (`FileTooLarge`, naming the file and the limit) without being read.
    fn read_limited(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        let len = self.metadata(path)?.len;
        if len > max {
            return Err(too_big(path, len, max));
        }
        let data = self.read(path)?;
        match data.len() as u64 {
            n if n > max => Err(too_big(path, n, max)),
            _ => Ok(data),
        }
    }
    /// Opens a file for streaming reads.
    fn open(&self, path: &Path) -> io::Result<Box<dyn ReadSeek>>;
    /// Opens a file for positioned reads from any thread.
    fn open_read_at(&self, path: &Path) -> io::Result<Arc<dyn ReadAt>>;
    /// Metadata without following symbolic links.
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;
    /// Lists a directory, sorted by name.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// Bytes available to an unprivileged writer on the filesystem holding `path`.
    fn free_space(&self, path: &Path) -> io::Result<u64>;

    /// Creates (or truncates) a file for writing. One step.
    fn create(&self, path: &Path) -> io::Result<Box<dyn FileWriter>>;
    /// Opens a file for appending, creating it if missing. One step.
    fn append(&self, path: &Path) -> io::Result<Box<dyn FileWriter>>;
    /// Makes the entries of a directory durable (`fsync` on the directory). One step.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Makes everything written so far on the filesystem holding `path`
    /// durable, file data and directory entries alike (`syncfs(2)`). One
    /// step. One call replaces an `fsync` per file when a transaction stages
    /// thousands of files: the device flushes once.
    fn sync_fs(&self, path: &Path) -> io::Result<()>;
    /// Atomically renames `from` to `to`, replacing `to`. One step.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Creates `to` as a new hard link to `from`. One step. Filesystems without
    /// links answer [`io::ErrorKind::Unsupported`]; callers fall back to a copy.
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file (or symbolic link). One step.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Creates one directory. One step.
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Removes an empty directory. One step.
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    /// Sets or clears the read-only attribute. One step.
    fn set_readonly(&self, path: &Path, readonly: bool) -> io::Result<()>;

    /// Tries to take an exclusive advisory lock on `path` (created if missing).
    /// Not a step: locks leave nothing behind after a crash.
    fn try_lock(&self, path: &Path) -> io::Result<LockAttempt>;
    /// Takes the lock, waiting as long as needed.
    fn lock(&self, path: &Path) -> io::Result<LockGuard>;

    /// Reads a whole file as UTF-8.
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        String::from_utf8(self.read(path)?).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not UTF-8: {e}", path.display()),
            )
        })
    }
    /// Whether independent files may be written from several threads at
    /// once. A layer that numbers its steps to replay a crash says no, so
    /// that step `n` is the same operation in every run.
    fn concurrent_writes(&self) -> bool {
        true
    }
    /// True when something (file, directory or link) exists at `path`.
    fn exists(&self, path: &Path) -> bool {
        self.metadata(path).is_ok()
    }
}

/// The refusal of a file longer than a read's limit.
pub(crate) fn too_big(path: &Path, len: u64, max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "{}: {len} bytes, more than the {max}-byte limit for this file: refused",
            path.display()
        ),
    )
}

/// Builds an `io::Error` whose message names the path, keeping the kind.
pub fn with_path(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

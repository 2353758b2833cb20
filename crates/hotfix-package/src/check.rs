//! Checking payload files against update.ver, and [`PackagedFile`], which
//! reads one file of an opened package and checks it on every read.
//!
//! A file is checked *whole* once (size, digest, and the version its
//! version resource gives against the one update.ver lists), at opening or
//! at its first read; every later read hashes it again, because its bytes
//! are read from the package file again (but for a data block the cabinet
//! reader still holds) and a writer holding a shared mapping can change
//! them without moving the file's size or times.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{DigestKind, Manifest, ManifestEntry, PackageError};
use hotfix_cab::Cabinet;
use hotfix_model::FileVersion;

/// Which manifest entries have been checked whole.
#[derive(Debug)]
pub(crate) struct Checks(Vec<AtomicBool>);

impl Checks {
    pub(crate) fn new(entries: usize) -> Self {
        Self((0..entries).map(|_| AtomicBool::new(false)).collect())
    }

    pub(crate) fn done(&self, manifest_index: usize) -> bool {
        self.0[manifest_index].load(Ordering::Acquire)
    }

    fn mark(&self, manifest_index: usize) {
        self.0[manifest_index].store(true, Ordering::Release);
    }
}

thread_local! {
    /// Memory a whole check assembles a file in (to read its version),
    /// reused for the next file on the same thread.
    static WHOLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Checks `(cabinet index, manifest index)` pairs whole, in cabinet order;
/// when every folder is stored (no decoder state to share) the list is
/// split into runs checked in parallel. The first failure in cabinet order
/// is the one reported.
pub(crate) fn check_all(
    cab: &Arc<Cabinet>,
    manifest: &Manifest,
    mut todo: Vec<(usize, usize)>,
    package: &str,
    checks: &Arc<Checks>,
) -> Result<(), PackageError> {
    todo.sort_unstable();
    let stored = cab
        .entries()
        .iter()
        .all(|e| e.method == hotfix_cab::Method::None);
    let threads = if stored {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        1
    };
    let check_run = |part: &[(usize, usize)]| -> Result<(), PackageError> {
        for &(ci, mi) in part {
            PackagedFile::new(cab, ci, mi, package, manifest, checks)
                .stream(&mut |_| Ok::<(), PackageError>(()))?;
        }
        Ok(())
    };
    let run = todo.len().div_ceil(threads).max(1);
    let results: Vec<Result<(), PackageError>> = std::thread::scope(|s| {
        let handles: Vec<_> = todo
            .chunks(run)
            .map(|part| s.spawn(move || check_run(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.into_iter().collect()
}

/// One payload file of an opened package: cheap to clone, readable while
/// any clone lives, and always checked against update.ver when read.
#[derive(Debug, Clone)]
pub struct PackagedFile {
    cab: Arc<Cabinet>,
    index: usize,
    manifest_index: usize,
    package: Arc<str>,
    entry: ManifestEntry,
    digest: DigestKind,
    checks: Arc<Checks>,
}

impl PackagedFile {
    pub(crate) fn new(
        cab: &Arc<Cabinet>,
        index: usize,
        manifest_index: usize,
        package: &str,
        manifest: &Manifest,
        checks: &Arc<Checks>,
    ) -> Self {
        Self {
            cab: cab.clone(),
            index,
            manifest_index,
            package: package.into(),
            entry: manifest.entries[manifest_index].clone(),
            digest: manifest.digest,
            checks: checks.clone(),
        }
    }

    /// Its manifest entry (path, size, digest, version).
    pub fn entry(&self) -> &ManifestEntry {
        &self.entry
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.entry.size
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.entry.size == 0
    }

    /// Equal for two handles on the same file of the same opened package.
    pub fn identity(&self) -> (usize, usize) {
        (Arc::as_ptr(&self.cab) as usize, self.index)
    }

    fn digest_mismatch(&self) -> PackageError {
        PackageError::DigestMismatch {
            file: self.package.to_string(),
            path: self.entry.path.clone(),
            kind: self.digest,
        }
    }

    /// Streams the file to `each` chunk by chunk, hashing it on the way,
    /// and fails at the end with [`PackageError::DigestMismatch`] when the
    /// bytes are not the ones update.ver lists. The first read of a file not
    /// yet checked whole assembles it instead, also compares its version
    /// resource with update.ver ([`PackageError::VersionMismatch`]), and
    /// hands it to `each` in one piece only once it passed. A caller that
    /// writes the chunks somewhere must throw that away on an error.
    ///
    /// `each`'s own errors (a full disk, say) come back unchanged.
    pub fn stream<E: From<PackageError>>(
        &self,
        each: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut hash = self.digest.hasher();
        if self.checks.done(self.manifest_index) {
            self.stream_raw(&mut |chunk| {
                hash.update(chunk);
                each(chunk)
            })?;
            return Ok(self.check_digest(hash)?);
        }
        // Taken out of the thread-local, not borrowed: `each` may read
        // another file of the package.
        let mut data = WHOLE.take();
        data.clear();
        let checked = self
            .stream_raw(&mut |chunk| {
                hash.update(chunk);
                data.extend_from_slice(chunk);
                Ok::<(), PackageError>(())
            })
            .and_then(|()| self.check_digest(hash))
            .and_then(|()| self.check_version(&data));
        let result = match checked {
            Ok(()) => {
                self.checks.mark(self.manifest_index);
                // Handed out in one piece, and only once it is checked.
                each(&data)
            }
            Err(e) => Err(e.into()),
        };
        WHOLE.set(data);
        result
    }

    /// The entry's bytes from the cabinet, checked to be as many as
    /// update.ver lists (the cabinet's listed size was checked at opening).
    fn stream_raw<E: From<PackageError>>(
        &self,
        each: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let cab_err = |source| PackageError::Cab {
            file: self.package.to_string(),
            source,
        };
        let mut reader = self.cab.entry_reader(self.index).map_err(cab_err)?;
        let mut len = 0u64;
        while let Some(chunk) = reader.next_chunk().map_err(cab_err)? {
            len += chunk.len() as u64;
            each(chunk)?;
        }
        if len != self.entry.size {
            return Err(PackageError::SizeMismatch {
                file: self.package.to_string(),
                path: self.entry.path.clone(),
                expected: self.entry.size,
                actual: len,
            }
            .into());
        }
        Ok(())
    }

    fn check_digest(&self, hash: crate::digest::Hasher) -> Result<(), PackageError> {
        if hash.finalize() == self.entry.digest {
            Ok(())
        } else {
            Err(self.digest_mismatch())
        }
    }

    /// The version resource of the whole file against update.ver's.
    fn check_version(&self, data: &[u8]) -> Result<(), PackageError> {
        let actual = hotfix_pe::read_version(data).ok().map(|v| v.file_version);
        if actual == self.entry.version {
            return Ok(());
        }
        let text = |v: Option<FileVersion>| v.map_or_else(|| "none".into(), |v| v.to_string());
        Err(PackageError::VersionMismatch {
            file: self.package.to_string(),
            path: self.entry.path.clone(),
            listed: text(self.entry.version),
            actual: text(actual),
        })
    }

    /// The whole file.
    pub fn read(&self) -> Result<Vec<u8>, PackageError> {
        let mut out = Vec::new();
        self.read_into(&mut out)?;
        Ok(out)
    }

    /// The whole file, into `buf` (cleared first; its memory is reused).
    pub fn read_into(&self, buf: &mut Vec<u8>) -> Result<(), PackageError> {
        buf.clear();
        buf.reserve(usize::try_from(self.entry.size).unwrap_or(0));
        self.stream(&mut |chunk| {
            buf.extend_from_slice(chunk);
            Ok::<(), PackageError>(())
        })
    }

    /// Writes the file to `out`. `out`'s errors come back as they were (a
    /// full disk stays a full disk); a package problem comes back as an
    /// `InvalidData` error holding the [`PackageError`]
    /// ([`PackageError::from_io`]).
    pub fn write_to(&self, out: &mut dyn Write) -> std::io::Result<()> {
        self.stream(&mut |chunk| out.write_all(chunk))
    }

    /// Whether `other` holds exactly this file's bytes. Stops at the first
    /// chunk that differs, so telling two builds of a file apart costs one
    /// chunk, not a pass over both.
    pub fn matches(&self, other: &(impl hotfix_fs::ReadAt + ?Sized)) -> Result<bool, PackageError> {
        if other.len() != self.entry.size {
            return Ok(false);
        }
        let cab_err = |source| PackageError::Cab {
            file: self.package.to_string(),
            source,
        };
        let mut reader = self.cab.entry_reader(self.index).map_err(cab_err)?;
        let (mut hash, mut at, mut theirs) = (self.digest.hasher(), 0u64, Vec::new());
        while let Some(chunk) = reader.next_chunk().map_err(cab_err)? {
            theirs.resize(chunk.len(), 0);
            if other.read_exact_at(&mut theirs, at).is_err() || theirs != chunk {
                return Ok(false);
            }
            hash.update(chunk);
            at += chunk.len() as u64;
        }
        // Equal to the bytes read now; those must also be the listed ones.
        Ok(at == self.entry.size && hash.finalize() == self.entry.digest)
    }
}

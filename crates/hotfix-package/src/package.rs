//! Opening a package: find the cabinet, read the manifest, verify every file.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use hotfix_cab::{Cabinet, Limits};
use hotfix_fs::ReadAt;
use hotfix_inf::UpdateInf;
use hotfix_model::{FileVersion, KbId};
use hotfix_pe::VersionInfo;
use sha2::{Digest, Sha256};

use crate::manifest::path_key;
use crate::{Manifest, ManifestEntry, PackageError};

/// Where update.inf lives in every package.
pub const INF_PATH: &str = "update\\update.inf";
/// Where the manifest lives in every package.
pub const VER_PATH: &str = "update\\update.ver";

/// An opened, fully verified update package.
#[derive(Debug)]
pub struct Package {
    /// The package's file name (`WindowsXP-KB896358-x86-ENU.exe`).
    pub file_name: String,
    /// The parsed update.ver.
    pub manifest: Manifest,
    /// The parsed update.inf.
    pub inf: UpdateInf,
    /// The self-extractor stub's version resource; `None` for a plain cabinet.
    pub stub: Option<VersionInfo>,
    cab: Arc<Cabinet>,
    /// Case-folded path → (cabinet index, manifest index).
    index: HashMap<String, (usize, usize)>,
    /// update.ver exactly as stored, so extraction writes it back unchanged.
    manifest_bytes: Vec<u8>,
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// How much of a self-extractor is read to find its stub's end; real SFX
/// stubs are far smaller.
const STUB_PROBE: u64 = 1 << 20;

fn read_prefix(source: &dyn ReadAt, len: u64, file: &str) -> Result<Vec<u8>, PackageError> {
    let mut head = vec![0; usize::try_from(len.min(source.len())).unwrap_or(usize::MAX)];
    source
        .read_exact_at(&mut head, 0)
        .map_err(|e| PackageError::Read {
            file: file.into(),
            problem: e.to_string(),
        })?;
    Ok(head)
}

/// Where the cabinet starts in a package, and the stub's version resource.
fn split_sfx(source: &dyn ReadAt, file: &str) -> Result<(u64, Option<VersionInfo>), PackageError> {
    let mut head = read_prefix(source, STUB_PROBE, file)?;
    if head.starts_with(b"MSCF") {
        return Ok((0, None));
    }
    if !head.starts_with(b"MZ") {
        return Err(PackageError::NotAPackage { file: file.into() });
    }
    let bad_stub = |reason: String| PackageError::BadStub {
        file: file.into(),
        reason,
    };
    let overlay = match hotfix_pe::overlay_offset(&head) {
        // A stub larger than the probe: read it whole.
        Err(_) if (head.len() as u64) < source.len() => {
            head = read_prefix(source, source.len(), file)?;
            hotfix_pe::overlay_offset(&head)
        }
        other => other,
    }
    .map_err(|e| bad_stub(e.to_string()))?;
    if overlay >= source.len() {
        return Err(PackageError::NotAPackage { file: file.into() });
    }
    let header_end = overlay + hotfix_cab::HEADER_LEN as u64;
    if (head.len() as u64) < header_end {
        head = read_prefix(source, header_end, file)?;
    }
    let total = usize::try_from(source.len()).unwrap_or(usize::MAX);
    let found = hotfix_cab::find_cabinet_in_prefix(&head, total);
    if found.map(|f| f as u64) != Some(overlay) {
        return Err(bad_stub(format!(
            "the PE image ends at byte {overlay} but the cabinet signature is at {found:?}"
        )));
    }
    Ok((overlay, hotfix_pe::read_version(&head).ok()))
}

impl Package {
    /// Opens a plain cabinet or a self-extractor held in memory; see
    /// [`Package::open_source`].
    pub fn open(bytes: Vec<u8>, file_name: &str) -> Result<Package, PackageError> {
        Self::open_source(Arc::new(bytes), file_name)
    }

    /// Opens a plain cabinet or a self-extractor and verifies every file
    /// against update.ver (presence, size, SHA-256). `file_name` is used in
    /// errors and kept in [`Package::file_name`].
    pub fn open_source(source: Arc<dyn ReadAt>, file_name: &str) -> Result<Package, PackageError> {
        let file = file_name.to_owned();
        let (base, stub) = split_sfx(&*source, &file)?;
        let cab_err = |source| PackageError::Cab {
            file: file.clone(),
            source,
        };
        let cab = Cabinet::from_source(source, base, &Limits::default()).map_err(cab_err)?;
        let mut by_key = HashMap::new();
        for (i, entry) in cab.entries().iter().enumerate() {
            // The cabinet reader refuses case collisions; this keeps a
            // second spelling from silently shadowing the first regardless.
            if by_key.insert(path_key(&entry.name), i).is_some() {
                return Err(PackageError::BadName {
                    file: file.clone(),
                    path: entry.name.clone(),
                    reason: "two files differ only in case".into(),
                });
            }
        }
        let missing = |path: &str| PackageError::Missing {
            file: file.clone(),
            path: path.into(),
        };
        let ver_index = *by_key
            .get(&path_key(VER_PATH))
            .ok_or_else(|| missing(VER_PATH))?;
        let manifest_bytes = cab.read(ver_index).map_err(cab_err)?;
        let manifest = std::str::from_utf8(&manifest_bytes)
            .map_err(|e| PackageError::Manifest {
                file: format!("{file}: {VER_PATH}"),
                line: 0,
                reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
            })
            .and_then(Manifest::parse)
            .map_err(|e| match e {
                PackageError::Manifest { line, reason, .. } => PackageError::Manifest {
                    file: format!("{file}: {VER_PATH}"),
                    line,
                    reason,
                },
                other => other,
            })?;

        let mut index = HashMap::new();
        for (mi, entry) in manifest.entries.iter().enumerate() {
            let key = path_key(&entry.path);
            let ci = *by_key.get(&key).ok_or_else(|| missing(&entry.path))?;
            index.insert(key, (ci, mi));
        }
        for (ci, entry) in cab.entries().iter().enumerate() {
            if ci != ver_index && !index.contains_key(&path_key(&entry.name)) {
                return Err(PackageError::Unlisted {
                    file: file.clone(),
                    path: entry.name.clone(),
                });
            }
        }
        let inf_bytes = verify_all(&cab, &manifest, &index, &file)?;
        let inf = UpdateInf::parse(&inf_bytes).map_err(|source| PackageError::Inf {
            file: file.clone(),
            source,
        })?;
        Ok(Package {
            file_name: file,
            manifest,
            inf,
            stub,
            cab: Arc::new(cab),
            index,
            manifest_bytes,
        })
    }

    /// The update this package installs.
    pub fn kb(&self) -> &KbId {
        &self.manifest.kb
    }

    /// Every file but update.ver, in manifest order.
    pub fn payload(&self) -> &[ManifestEntry] {
        &self.manifest.entries
    }

    /// True when the package holds `path` (any case, `\` separators).
    pub fn has(&self, path: &str) -> bool {
        self.index.contains_key(&path_key(path))
    }

    /// One payload file (any case), to read or stream later.
    pub fn file(&self, path: &str) -> Result<PackagedFile, PackageError> {
        let (ci, mi) = *self
            .index
            .get(&path_key(path))
            .ok_or_else(|| PackageError::NotFound {
                file: self.file_name.clone(),
                path: path.into(),
            })?;
        Ok(PackagedFile {
            cab: self.cab.clone(),
            index: ci,
            package: self.file_name.as_str().into(),
            entry: self.manifest.entries[mi].clone(),
        })
    }

    /// Reads one file (any case); see [`PackagedFile::read`].
    pub fn read(&self, path: &str) -> Result<Vec<u8>, PackageError> {
        self.file(path)?.read()
    }

    /// update.ver exactly as the package stores it.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }
}

/// Checks every payload file's size, SHA-256 and version against the
/// manifest, so that callers may rank files by [`ManifestEntry::version`]
/// without reading them, and returns update.inf. Entries are
/// read in cabinet order; when every folder is stored (no decoder state to
/// share) they are split into runs checked in parallel. The first failure in
/// cabinet order is the one reported.
fn verify_all(
    cab: &Cabinet,
    manifest: &Manifest,
    index: &HashMap<String, (usize, usize)>,
    file: &str,
) -> Result<Vec<u8>, PackageError> {
    let mut order: Vec<(usize, &ManifestEntry)> = manifest
        .entries
        .iter()
        .map(|e| (index[&path_key(&e.path)].0, e))
        .collect();
    order.sort_by_key(|(ci, _)| *ci);
    let stored = cab
        .entries()
        .iter()
        .all(|e| e.method == hotfix_cab::Method::None);
    let threads = if stored {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        1
    };
    let inf_key = path_key(INF_PATH);
    let verify_run = |part: &[(usize, &ManifestEntry)]| -> Result<Option<Vec<u8>>, PackageError> {
        let mut inf = None;
        // Each file is assembled once, into memory reused for the next, to
        // read its version resource.
        let mut data = Vec::new();
        for &(ci, entry) in part {
            let mut hash = Sha256::new();
            data.clear();
            stream(cab, ci, entry, file, &mut |chunk| {
                hash.update(chunk);
                data.extend_from_slice(chunk);
                Ok(())
            })?;
            if <[u8; 32]>::from(hash.finalize()) != entry.sha256 {
                return Err(PackageError::DigestMismatch {
                    file: file.into(),
                    path: entry.path.clone(),
                });
            }
            let actual = hotfix_pe::read_version(&data).ok().map(|v| v.file_version);
            if actual != entry.version {
                let text =
                    |v: Option<FileVersion>| v.map_or_else(|| "none".into(), |v| v.to_string());
                return Err(PackageError::VersionMismatch {
                    file: file.into(),
                    path: entry.path.clone(),
                    listed: text(entry.version),
                    actual: text(actual),
                });
            }
            if path_key(&entry.path) == inf_key {
                inf = Some(data.clone());
            }
        }
        Ok(inf)
    };
    let run = order.len().div_ceil(threads).max(1);
    let results: Vec<Result<Option<Vec<u8>>, PackageError>> = std::thread::scope(|s| {
        let handles: Vec<_> = order
            .chunks(run)
            .map(|part| s.spawn(move || verify_run(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut inf_bytes = None;
    for r in results {
        if let Some(data) = r? {
            inf_bytes = Some(data);
        }
    }
    inf_bytes.ok_or_else(|| PackageError::Missing {
        file: file.into(),
        path: INF_PATH.into(),
    })
}

/// Streams cabinet entry `cab_index` to `each`, checking its size against
/// `entry`.
fn stream(
    cab: &Cabinet,
    cab_index: usize,
    entry: &ManifestEntry,
    file: &str,
    each: &mut dyn FnMut(&[u8]) -> Result<(), PackageError>,
) -> Result<(), PackageError> {
    let size_mismatch = |actual: u64| PackageError::SizeMismatch {
        file: file.into(),
        path: entry.path.clone(),
        expected: entry.size,
        actual,
    };
    let listed = cab.entries()[cab_index].size;
    if listed != entry.size {
        return Err(size_mismatch(listed));
    }
    let cab_err = |source| PackageError::Cab {
        file: file.into(),
        source,
    };
    let mut reader = cab.entry_reader(cab_index).map_err(cab_err)?;
    let mut len = 0u64;
    while let Some(chunk) = reader.next_chunk().map_err(cab_err)? {
        len += chunk.len() as u64;
        each(chunk)?;
    }
    if len != entry.size {
        return Err(size_mismatch(len));
    }
    Ok(())
}

/// One payload file of an opened package: cheap to clone, readable while
/// any clone lives, and always checked against the manifest when read.
#[derive(Debug, Clone)]
pub struct PackagedFile {
    cab: Arc<Cabinet>,
    index: usize,
    package: Arc<str>,
    entry: ManifestEntry,
}

impl PackagedFile {
    /// Its manifest entry (path, size, SHA-256, version).
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

    /// Streams the file to `each` chunk by chunk, hashing it on the way:
    /// the bytes come from the package file again, which may have changed
    /// since [`Package::open`] checked it (a writable shared mapping changes
    /// it without touching its size or times), so every read is checked
    /// against update.ver once more and fails with
    /// [`PackageError::DigestMismatch`] at the end. A caller that writes the
    /// chunks somewhere must throw that away on an error.
    pub fn stream(
        &self,
        each: &mut dyn FnMut(&[u8]) -> Result<(), PackageError>,
    ) -> Result<(), PackageError> {
        let mut hash = Sha256::new();
        stream(
            &self.cab,
            self.index,
            &self.entry,
            &self.package,
            &mut |chunk| {
                hash.update(chunk);
                each(chunk)
            },
        )?;
        if <[u8; 32]>::from(hash.finalize()) != self.entry.sha256 {
            return Err(PackageError::DigestMismatch {
                file: self.package.to_string(),
                path: self.entry.path.clone(),
            });
        }
        Ok(())
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
            Ok(())
        })
    }

    /// Writes the file to `out`.
    pub fn write_to(&self, out: &mut dyn Write) -> Result<(), PackageError> {
        self.stream(&mut |chunk| {
            out.write_all(chunk).map_err(|e| PackageError::Write {
                file: self.package.to_string(),
                path: self.entry.path.clone(),
                problem: e.to_string(),
            })
        })
    }

    /// Whether `other` holds exactly this file's bytes. Stops at the first
    /// chunk that differs, so telling two builds of a file apart costs one
    /// chunk, not a pass over both.
    pub fn matches(&self, other: &dyn ReadAt) -> Result<bool, PackageError> {
        if other.len() != self.entry.size {
            return Ok(false);
        }
        let cab_err = |source| PackageError::Cab {
            file: self.package.to_string(),
            source,
        };
        let mut reader = self.cab.entry_reader(self.index).map_err(cab_err)?;
        let (mut hash, mut at, mut theirs) = (Sha256::new(), 0u64, Vec::new());
        while let Some(chunk) = reader.next_chunk().map_err(cab_err)? {
            theirs.resize(chunk.len(), 0);
            if other.read_exact_at(&mut theirs, at).is_err() || theirs != chunk {
                return Ok(false);
            }
            hash.update(chunk);
            at += chunk.len() as u64;
        }
        // Equal to the bytes read now; those must also be the checked ones.
        Ok(at == self.entry.size && <[u8; 32]>::from(hash.finalize()) == self.entry.sha256)
    }
}

//! Opening a package: find the cabinet, read the manifest, verify every file.

use std::collections::HashMap;
use std::sync::Arc;

use hotfix_cab::{CabError, Cabinet, Limits};
use hotfix_fs::ReadAt;
use hotfix_inf::UpdateInf;
use hotfix_model::KbId;
use hotfix_pe::VersionInfo;

use crate::check::{Checks, PackagedFile, check_all};
use crate::manifest::path_key;
use crate::{Manifest, ManifestEntry, PackageError};

/// Where update.inf lives in every package.
pub const INF_PATH: &str = "update\\update.inf";
/// Where the manifest lives in every package.
pub const VER_PATH: &str = "update\\update.ver";

/// An opened update package whose payload is checked against update.ver
/// before any of it is used: at opening ([`Package::open_source`]), or as
/// each file is first read ([`Package::open_source_deferred`]).
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
    /// Which payload files have been checked whole against update.ver.
    checks: Arc<Checks>,
    /// Case-folded path → (cabinet index, manifest index).
    index: HashMap<String, (usize, usize)>,
    /// update.ver exactly as stored, so extraction writes it back unchanged.
    manifest_bytes: Vec<u8>,
}

/// How much of a self-extractor is read for its stub's headers (and, when
/// the stub is smaller, the whole stub: real SFX stubs are).
const STUB_PROBE: u64 = 1 << 20;

/// Largest `update.ver` or `update.inf` read (each is held whole): many
/// times a service pack's, which list a few thousand files.
const MAX_TEXT_FILE: u64 = 16 << 20;

/// Refuses a text entry over [`MAX_TEXT_FILE`] before anything is decoded:
/// a small cabinet may declare (and hold, as compressed zeros) far more.
fn text_size_ok(cab: &Cabinet, index: usize) -> Result<(), CabError> {
    match cab.entries().get(index) {
        Some(entry) if entry.size > MAX_TEXT_FILE => Err(CabError::LimitExceeded {
            what: format!("the size of {}", entry.name),
            value: entry.size,
            limit: MAX_TEXT_FILE,
        }),
        _ => Ok(()),
    }
}

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
    let magic = read_prefix(source, 4, file)?;
    if magic.starts_with(b"MSCF") {
        return Ok((0, None));
    }
    if !magic.starts_with(b"MZ") {
        return Err(PackageError::NotAPackage { file: file.into() });
    }
    let bad_stub = |reason: String| PackageError::BadStub {
        file: file.into(),
        reason,
    };
    // The headers say where the image ends; the probe holds them.
    let mut head = read_prefix(source, STUB_PROBE, file)?;
    let overlay =
        hotfix_pe::overlay_offset(&head, source.len()).map_err(|e| bad_stub(e.to_string()))?;
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

    /// Opens a plain cabinet or a self-extractor and checks every file
    /// against update.ver (presence, size, digest, version), on up to four
    /// threads when every folder is stored (a compressed folder is decoded
    /// in order, on one).
    /// `file_name` is used in errors and kept in [`Package::file_name`].
    pub fn open_source(source: Arc<dyn ReadAt>, file_name: &str) -> Result<Package, PackageError> {
        let pkg = Self::open_source_deferred(source, file_name)?;
        pkg.check_remaining()?;
        Ok(pkg)
    }

    /// Opens a package checking its structure (cabinet, names, update.ver
    /// against the cabinet's list, sizes) and update.inf, but not yet the
    /// payload: each payload file is checked whole the first time it is read
    /// or streamed, so a service pack is read once while it is staged instead
    /// of once more at opening. [`Package::check_remaining`] checks the rest;
    /// a caller must run it before it commits anything (versions from
    /// update.ver that ranked files are confirmed by then).
    pub fn open_source_deferred(
        source: Arc<dyn ReadAt>,
        file_name: &str,
    ) -> Result<Package, PackageError> {
        let _span = tracing::debug_span!("open package", file = file_name).entered();
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
        // Held whole, so bounded by a size no manifest comes near, not by
        // what the cabinet declares (issue 12: a small cabinet declaring
        // 1 GiB of zeros).
        text_size_ok(&cab, ver_index).map_err(cab_err)?;
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
            // The cabinet's listed size is in its header: checked now, not
            // at each read.
            let listed = cab.entries()[ci].size;
            if listed != entry.size {
                return Err(PackageError::SizeMismatch {
                    file: file.clone(),
                    path: entry.path.clone(),
                    expected: entry.size,
                    actual: listed,
                });
            }
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
        let checks = Arc::new(Checks::new(manifest.entries.len()));
        let cab = Arc::new(cab);
        let inf_key = path_key(INF_PATH);
        let &(ci, mi) = index.get(&inf_key).ok_or_else(|| missing(INF_PATH))?;
        text_size_ok(&cab, ci).map_err(cab_err)?;
        let inf_file = PackagedFile::new(&cab, ci, mi, &file, &manifest, &checks);
        let inf = UpdateInf::parse(&inf_file.read()?).map_err(|source| PackageError::Inf {
            file: file.clone(),
            source,
        })?;
        Ok(Package {
            file_name: file,
            manifest,
            inf,
            stub,
            cab,
            checks,
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
        Ok(PackagedFile::new(
            &self.cab,
            ci,
            mi,
            &self.file_name,
            &self.manifest,
            &self.checks,
        ))
    }

    /// Checks every payload file not yet checked whole (size, digest,
    /// version), on up to four threads when every folder is stored. The first failure
    /// in cabinet order is the one reported.
    pub fn check_remaining(&self) -> Result<(), PackageError> {
        let _span = tracing::debug_span!("check package files", file = %self.file_name).entered();
        let todo: Vec<(usize, usize)> = self
            .index
            .values()
            .copied()
            .filter(|&(_, mi)| !self.checks.done(mi))
            .collect();
        check_all(
            &self.cab,
            &self.manifest,
            todo,
            &self.file_name,
            &self.checks,
        )
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

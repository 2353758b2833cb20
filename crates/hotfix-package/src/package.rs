//! Opening a package: find the cabinet, read the manifest, verify every file.

use std::collections::HashMap;

use hotfix_cab::{Cabinet, Limits};
use hotfix_inf::UpdateInf;
use hotfix_model::KbId;
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
    cab: Cabinet,
    /// Case-folded path → (cabinet index, manifest index).
    index: HashMap<String, (usize, usize)>,
    /// update.ver exactly as stored, so extraction writes it back unchanged.
    manifest_bytes: Vec<u8>,
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Splits a package into its cabinet bytes and the stub's version resource.
fn split_sfx(
    mut bytes: Vec<u8>,
    file: &str,
) -> Result<(Vec<u8>, Option<VersionInfo>), PackageError> {
    if bytes.starts_with(b"MSCF") {
        return Ok((bytes, None));
    }
    if !bytes.starts_with(b"MZ") {
        return Err(PackageError::NotAPackage { file: file.into() });
    }
    let bad_stub = |reason: String| PackageError::BadStub {
        file: file.into(),
        reason,
    };
    let overlay = hotfix_pe::overlay_offset(&bytes).map_err(|e| bad_stub(e.to_string()))?;
    let overlay = usize::try_from(overlay)
        .ok()
        .filter(|&o| o < bytes.len())
        .ok_or_else(|| PackageError::NotAPackage { file: file.into() })?;
    let found = hotfix_cab::find_cabinet(&bytes);
    if found != Some(overlay) {
        return Err(bad_stub(format!(
            "the PE image ends at byte {overlay} but the cabinet signature is at {found:?}"
        )));
    }
    let stub = hotfix_pe::read_version(&bytes).ok();
    Ok((bytes.split_off(overlay), stub))
}

impl Package {
    /// Opens a plain cabinet or a self-extractor and verifies every file
    /// against update.ver (presence, size, SHA-256). `file_name` is used in
    /// errors and kept in [`Package::file_name`].
    pub fn open(bytes: Vec<u8>, file_name: &str) -> Result<Package, PackageError> {
        let file = file_name.to_owned();
        let (cab_bytes, stub) = split_sfx(bytes, &file)?;
        let cab_err = |source| PackageError::Cab {
            file: file.clone(),
            source,
        };
        let cab = Cabinet::parse(cab_bytes, &Limits::default()).map_err(cab_err)?;
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
        // Verifying every digest is most of the cost of opening a service
        // pack, so the manifest is split into contiguous runs checked in
        // parallel; the first failure in manifest order is the one reported.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let run = manifest.entries.len().div_ceil(threads).max(1);
        let inf_key = path_key(INF_PATH);
        let verify_run = |part: &[ManifestEntry]| -> Result<Option<Vec<u8>>, PackageError> {
            let mut inf = None;
            for entry in part {
                let key = path_key(&entry.path);
                let data = read_verified(&cab, entry, index[&key].0, &file, DigestCheck::Verify)?;
                if key == inf_key {
                    inf = Some(data);
                }
            }
            Ok(inf)
        };
        let results: Vec<Result<Option<Vec<u8>>, PackageError>> = std::thread::scope(|s| {
            let handles: Vec<_> = manifest
                .entries
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
        let inf_bytes = inf_bytes.ok_or_else(|| missing(INF_PATH))?;
        let inf = UpdateInf::parse(&inf_bytes).map_err(|source| PackageError::Inf {
            file: file.clone(),
            source,
        })?;
        Ok(Package {
            file_name: file,
            manifest,
            inf,
            stub,
            cab,
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

    /// Reads one file (any case). Its SHA-256 was checked by
    /// [`Package::open`] over the same bytes, which the package owns and
    /// never changes, so only the size is checked again here.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, PackageError> {
        let (ci, mi) = *self
            .index
            .get(&path_key(path))
            .ok_or_else(|| PackageError::NotFound {
                file: self.file_name.clone(),
                path: path.into(),
            })?;
        read_verified(
            &self.cab,
            &self.manifest.entries[mi],
            ci,
            &self.file_name,
            DigestCheck::AtOpen,
        )
    }

    /// update.ver exactly as the package stores it.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }
}

/// Whether a read must hash the bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DigestCheck {
    /// Compare the SHA-256 with the manifest.
    Verify,
    /// Already compared at open.
    AtOpen,
}

/// Reads cabinet file `cab_index` and checks it against its manifest entry.
fn read_verified(
    cab: &Cabinet,
    entry: &ManifestEntry,
    cab_index: usize,
    file: &str,
    digest: DigestCheck,
) -> Result<Vec<u8>, PackageError> {
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
    let data = cab.read(cab_index).map_err(|source| PackageError::Cab {
        file: file.into(),
        source,
    })?;
    if data.len() as u64 != entry.size {
        return Err(size_mismatch(data.len() as u64));
    }
    if digest == DigestCheck::Verify && sha256(&data) != entry.sha256 {
        return Err(PackageError::DigestMismatch {
            file: file.into(),
            path: entry.path.clone(),
        });
    }
    Ok(data)
}

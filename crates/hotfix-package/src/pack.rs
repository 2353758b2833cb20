//! Building packages from files (`pack_dir`) and writing them back out
//! (`extract`), plus the self-extractor stub both packers share.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use hotfix_cab::{CabInput, Compression};
use hotfix_fs::{FileKind, Fs};
use hotfix_inf::UpdateInf;
use hotfix_model::{FileVersion, KbId, Language, Product};
use hotfix_pe::{PeKind, PeSpec};

use crate::manifest::path_key;
use crate::package::{INF_PATH, VER_PATH};
use crate::{DigestKind, Manifest, ManifestEntry, Package, PackageError};

/// Source trees deeper than this are refused rather than walked.
const MAX_DEPTH: usize = 32;

/// The stub's own version: our installer generation, in the range of the
/// 2004–2014 package installer.
const STUB_VERSION: FileVersion = FileVersion::new(6, 3, 4, 0);

/// Builds the self-extractor: a PE stub whose version resource names the
/// installer, with the cabinet appended as overlay.
pub(crate) fn wrap_sfx(cab: &[u8], file: &str) -> Result<Vec<u8>, PackageError> {
    let mut spec = PeSpec::new(PeKind::Exe, "hotfix-sfx.exe", STUB_VERSION, "6.3.4.0");
    for (key, value) in [
        ("CompanyName", "hotfix project"),
        ("FileDescription", "hotfix package installer stub"),
        ("InternalName", "hotfix-sfx"),
        ("OriginalFilename", "hotfix-sfx.exe"),
        ("ProductName", "hotfix"),
        ("Installer Engine", "Update.exe"),
        ("Installer Version", "6.3.4.0"),
    ] {
        spec.strings.retain(|(k, _)| k != key);
        spec.strings.push((key.into(), value.into()));
    }
    spec.strings.retain(|(k, _)| k != "LegalCopyright");
    hotfix_pe::build_with_overlay(&spec, cab).map_err(|source| PackageError::Pe {
        file: file.into(),
        source,
    })
}

/// Who a package is for, as update.ver records it.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The KB the package delivers.
    pub kb: KbId,
    /// The product it is for.
    pub product: Product,
    /// The package language.
    pub language: Language,
}

/// Reads the identity from update.inf: `SP_SHORT_TITLE`, the NT version and
/// `LanguageType`.
pub(crate) fn identity(inf: &UpdateInf, file: &str) -> Result<Identity, PackageError> {
    let bad = |reason: String| PackageError::Identity {
        file: file.into(),
        reason,
    };
    let title = inf.short_title.trim();
    let kb = title
        .parse()
        .map_err(|_| bad(format!("SP_SHORT_TITLE {title:?} is not a KB id")))?;
    let (major, minor) = match (inf.nt_major, inf.nt_minor) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(bad(
                "[Version] lacks NtMajorVersionToUpdate or NtMinorVersionToUpdate".into(),
            ));
        }
    };
    let product = u8::try_from(major)
        .ok()
        .zip(u8::try_from(minor).ok())
        .and_then(|(a, b)| Product::from_nt_version(a, b))
        .ok_or_else(|| bad(format!("NT version {major}.{minor} is neither XP nor 2003")))?;
    let langid = inf
        .language_type
        .ok_or_else(|| bad("[Version] has no LanguageType".into()))?;
    let language = u16::try_from(langid)
        .ok()
        .and_then(Language::from_langid)
        .ok_or_else(|| bad(format!("unknown LanguageType {langid:#x}")))?;
    Ok(Identity {
        kb,
        product,
        language,
    })
}

/// The cabinet of a package holding `files` (paths with `\\`): update.ver
/// listing them with digests of the kind hotfix writes, then the files in
/// update.ver's order. The one place a package's cabinet is laid out, for
/// hotfixes and service packs alike.
pub fn build_cabinet(
    kb: &KbId,
    product: Product,
    language: Language,
    files: &[(&str, &[u8])],
    compression: Compression,
) -> Result<Vec<u8>, hotfix_cab::CabError> {
    let mut manifest = Manifest {
        kb: kb.clone(),
        product,
        language,
        digest: DigestKind::WRITTEN,
        entries: files
            .iter()
            .map(|(path, data)| ManifestEntry::of_file(path, data))
            .collect(),
    };
    manifest.sort();
    let text = manifest.to_text();
    let by_path: HashMap<&str, &[u8]> = files.iter().copied().collect();
    let mut inputs = vec![CabInput {
        name: VER_PATH,
        data: text.as_bytes(),
    }];
    inputs.extend(manifest.entries.iter().map(|e| CabInput {
        name: &e.path,
        data: by_path[e.path.as_str()],
    }));
    hotfix_cab::write_cabinet(&inputs, compression)
}

/// [`build_cabinet`] as a hotfix package named `file`, behind the hotfix
/// stub when `sfx`.
pub fn assemble(
    identity: Identity,
    files: &[(String, Vec<u8>)],
    compression: Compression,
    sfx: bool,
    file: &str,
) -> Result<Vec<u8>, PackageError> {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (p.as_str(), &d[..])).collect();
    let cab = build_cabinet(
        &identity.kb,
        identity.product,
        identity.language,
        &files,
        compression,
    )
    .map_err(|source| PackageError::Cab {
        file: file.into(),
        source,
    })?;
    if sfx { wrap_sfx(&cab, file) } else { Ok(cab) }
}

/// Packs a directory into a package. `src` must hold `update\update.inf`;
/// every other file except an old `update\update.ver` goes into the payload
/// and the new manifest. Symbolic links and unsafe names are refused.
pub fn pack_dir(fs: &dyn Fs, src: &Path, sfx: bool) -> Result<Vec<u8>, PackageError> {
    let label = src.display().to_string();
    let mut found = Vec::new();
    walk(fs, src, "", 0, &label, &mut found)?;
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for (rel, host) in found {
        if path_key(&rel) == path_key(VER_PATH) {
            continue;
        }
        if !seen.insert(path_key(&rel)) {
            return Err(PackageError::BadName {
                file: label,
                path: rel,
                reason: "two files differ only in case".into(),
            });
        }
        let data = fs.read(&host).map_err(PackageError::io(&host))?;
        files.push((rel, data));
    }
    let inf_data = files
        .iter()
        .find(|(p, _)| path_key(p) == path_key(INF_PATH))
        .map(|(_, d)| d)
        .ok_or_else(|| PackageError::Missing {
            file: label.clone(),
            path: INF_PATH.into(),
        })?;
    let inf = UpdateInf::parse(inf_data).map_err(|source| PackageError::Inf {
        file: label.clone(),
        source,
    })?;
    let identity = identity(&inf, &label)?;
    assemble(identity, &files, Compression::MsZip, sfx, &label)
}

/// Collects (package path, host path) for every file under `dir`.
fn walk(
    fs: &dyn Fs,
    dir: &Path,
    rel: &str,
    depth: usize,
    label: &str,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), PackageError> {
    if depth > MAX_DEPTH {
        return Err(PackageError::BadName {
            file: label.into(),
            path: rel.into(),
            reason: format!("more than {MAX_DEPTH} directory levels"),
        });
    }
    for entry in fs.read_dir(dir).map_err(PackageError::io(dir))? {
        let host = dir.join(&entry.name);
        let joined = if rel.is_empty() {
            entry.name.clone()
        } else {
            format!("{rel}\\{}", entry.name)
        };
        let bad = |reason: String| PackageError::BadName {
            file: label.into(),
            path: joined.clone(),
            reason,
        };
        if !entry.utf8 {
            return Err(bad("name is not valid UTF-8".into()));
        }
        if entry.name.contains('\\') {
            return Err(bad("'\\' inside a host file name".into()));
        }
        match entry.kind {
            FileKind::Dir => walk(fs, &host, &joined, depth + 1, label, out)?,
            FileKind::File => {
                let name = hotfix_cab::check_name(&joined).map_err(|e| bad(e.to_string()))?;
                out.push((name, host));
            }
            FileKind::Other => return Err(PackageError::NotRegular { path: host }),
        }
    }
    Ok(())
}

/// Writes every file of `pkg`, update.ver included, under `dest`, which
/// must be absent or empty. Returns the number of files written.
pub fn extract(fs: &dyn Fs, pkg: &Package, dest: &Path) -> Result<u64, PackageError> {
    match fs.metadata(dest) {
        Ok(m) if m.is_dir() => {
            if !fs
                .read_dir(dest)
                .map_err(PackageError::io(dest))?
                .is_empty()
            {
                return Err(PackageError::DestNotEmpty { path: dest.into() });
            }
        }
        Ok(_) => return Err(PackageError::DestNotEmpty { path: dest.into() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            hotfix_fs::create_dir_all(fs, dest).map_err(PackageError::io(dest))?;
        }
        Err(e) => return Err(PackageError::io(dest)(e)),
    }
    // Directories are created with the first spelling seen, so `SP2QFE\a`
    // and `sp2qfe\b` land in one folder as they would on Windows.
    let mut dirs: HashMap<String, PathBuf> = HashMap::new();
    let mut touched = vec![dest.to_path_buf()];
    let mut written = 0u64;
    let paths = std::iter::once(VER_PATH).chain(pkg.payload().iter().map(|e| e.path.as_str()));
    for path in paths {
        let parts: Vec<&str> = path.split('\\').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('/'))
        {
            return Err(PackageError::BadName {
                file: pkg.file_name.clone(),
                path: path.into(),
                reason: "path would leave the extraction directory".into(),
            });
        }
        let (name, folders) = parts.split_last().unwrap_or((&"", &[]));
        let mut host = dest.to_path_buf();
        let mut key = String::new();
        for folder in folders {
            key.push_str(&path_key(folder));
            key.push('\\');
            host = match dirs.get(&key) {
                Some(existing) => existing.clone(),
                None => {
                    let next = host.join(folder);
                    fs.create_dir(&next).map_err(PackageError::io(&next))?;
                    touched.push(next.clone());
                    dirs.insert(key.clone(), next.clone());
                    next
                }
            };
        }
        let payload;
        let data = if path == VER_PATH {
            pkg.manifest_bytes()
        } else {
            payload = pkg.read(path)?;
            &payload
        };
        let target = host.join(name);
        hotfix_fs::write_new(fs, &target, data).map_err(PackageError::io(&target))?;
        written += 1;
    }
    for dir in touched {
        fs.sync_dir(&dir).map_err(PackageError::io(&dir))?;
    }
    Ok(written)
}

//! Realistic packages built from the data set: every file row becomes a
//! payload file of the row's exact size, a real PE with the row's version
//! and a build-lab tag for its branch, or plain data when the row has no
//! version.

use std::collections::HashSet;

use hotfix_cab::Compression;
use hotfix_dataset::{FileRow, Update};
use hotfix_model::Language;
use hotfix_package::{DigestKind, INF_PATH, Identity, PackageError, assemble, path_key};
use hotfix_pe::{PeKind, PeSpec};

use crate::{synth_inf, tags};

/// Largest payload file `synth` makes; the data set's largest is about 10 MiB.
const MAX_SYNTH_FILE: u64 = 256 << 20;

/// What a dual-mode package (KB328848's layout) carries beside `SP1\` and
/// `SP2\`: the Dual-Mode Update Migration tool at the root, the cabinet's
/// entry point in place of update.exe, and the installer files both sides
/// share under `Common\`. Version 5.3.18.6 is that generation's installer
/// (KB824105's xpsp1hfm.exe and update.exe, `shared/reference/`).
const DUAL_MODE_INSTALLER: &[&str] = &[
    "Xpsp1hfm.exe",
    "Common\\update.exe",
    "Common\\spmsg.dll",
    "Common\\spuninst.exe",
];

/// The installer files of a dual-mode package, as (path, bytes).
fn dual_mode_installer(update: &Update) -> Result<Vec<(String, Vec<u8>)>, PackageError> {
    let version = hotfix_model::FileVersion::new(5, 3, 18, 6);
    DUAL_MODE_INSTALLER
        .iter()
        .map(|path| {
            let name = path.rsplit('\\').next().unwrap_or(path);
            let mut spec = PeSpec::new(PeKind::for_file_name(name), name, version, "5.3.18.6");
            spec.seed = seed(update, path);
            let bytes = hotfix_pe::build(&spec).map_err(|source| PackageError::Pe {
                file: format!("{} {path}", update.kb),
                source,
            })?;
            Ok(((*path).to_owned(), bytes))
        })
        .collect()
}

/// How to synthesize a package.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Package language (file name suffix, `LanguageType`, PE language).
    pub language: Language,
    /// Self-extracting EXE (true) or plain cabinet (false).
    pub sfx: bool,
    /// Store files uncompressed instead of MSZIP: much faster, much larger.
    pub compression_fast: bool,
}

impl Default for SynthOptions {
    /// English, self-extracting, MSZIP.
    fn default() -> Self {
        Self {
            language: Language::ENU,
            sfx: true,
            compression_fast: false,
        }
    }
}

/// A synthesized package.
#[derive(Debug, Clone)]
pub struct Synthesized {
    /// `WindowsXP-KB925902-x86-ENU.exe` (`.cab` extension for a plain cabinet).
    pub file_name: String,
    /// The package bytes.
    pub bytes: Vec<u8>,
    /// Number of payload files (the update's file rows).
    pub files: usize,
    /// Total size of the payload files.
    pub payload_bytes: u64,
}

/// A seed that depends only on the update and the payload path, so the same
/// row always yields the same bytes.
fn seed(update: &Update, path: &str) -> u64 {
    let digest = DigestKind::Sha256.digest(format!("{}\0{}", update.kb, path_key(path)).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Plain data of exactly `size` bytes: a text line naming the file, then
/// cheap pseudo-random letters (compressible about 2:1, never "MZ").
fn data_file(path: &str, size: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    out.extend(
        format!("; hotfix synthetic data file {path}\r\n")
            .bytes()
            .take(size),
    );
    state |= 1;
    while out.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let letters = (state & 0x0f0f_0f0f_0f0f_0f0f) | 0x4040_4040_4040_4040;
        let take = (size - out.len()).min(8);
        out.extend_from_slice(&letters.to_le_bytes()[..take]);
    }
    out
}

/// The payload bytes of one row.
fn payload(
    update: &Update,
    row: &FileRow,
    path: &str,
    opts: &SynthOptions,
    fallback_sp: hotfix_model::SpLevel,
) -> Result<Vec<u8>, PackageError> {
    let bad = |reason: String| PackageError::Synth {
        kb: update.kb.to_string(),
        path: path.into(),
        reason,
    };
    if row.size > MAX_SYNTH_FILE {
        return Err(bad(format!("size {} exceeds {MAX_SYNTH_FILE}", row.size)));
    }
    let size = usize::try_from(row.size).map_err(|_| bad("size does not fit memory".into()))?;
    let Some(version) = row.version else {
        return Ok(data_file(path, size, seed(update, path)));
    };
    let kind = PeKind::for_file_name(&row.name);
    let lab = tags::lab(
        update.product,
        row.folder,
        version,
        row.sp.unwrap_or(fallback_sp),
    );
    let stamp = tags::stamp(row.date.as_deref(), row.time.as_deref());
    let version_string = tags::version_string(version, &lab, stamp.as_deref());
    let mut spec = PeSpec::new(kind, &row.name, version, &version_string);
    spec.language = opts.language.langid();
    spec.total_size = Some(row.size);
    spec.seed = seed(update, path);
    hotfix_pe::build(&spec).map_err(|source| PackageError::Pe {
        file: format!("{} {path}", update.kb),
        source,
    })
}

/// Builds a realistic package for one data-set entry. Deterministic: the
/// same update and options give the same bytes.
pub fn synth(update: &Update, opts: &SynthOptions) -> Result<Synthesized, PackageError> {
    let mut file_name = update.package_file_name(opts.language);
    if !opts.sfx
        && let Some(stem) = file_name.strip_suffix(".exe")
    {
        file_name = format!("{stem}.cab");
    }
    let sp = update.sp_range();
    let mut files = Vec::with_capacity(update.files.len() + 1);
    let mut seen = HashSet::new();
    let mut payload_bytes = 0u64;
    for row in &update.files {
        let raw = row.package_path();
        let path = hotfix_cab::check_name(&raw).map_err(|e| PackageError::BadName {
            file: file_name.clone(),
            path: raw.clone(),
            reason: e.to_string(),
        })?;
        let key = path_key(&path);
        if key == path_key(INF_PATH) || !seen.insert(key) {
            return Err(PackageError::Synth {
                kb: update.kb.to_string(),
                path,
                reason: "two rows share this payload path".into(),
            });
        }
        let data = payload(update, row, &path, opts, sp.1)?;
        payload_bytes += data.len() as u64;
        files.push((path, data));
    }
    let payload_files = files.len();
    if update.is_dual_mode() {
        files.extend(dual_mode_installer(update)?);
    }
    let inf = synth_inf::build_inf(update, opts.language, sp);
    files.push((INF_PATH.to_owned(), inf.to_bytes()));
    let identity = Identity {
        kb: update.kb.clone(),
        product: update.product,
        language: opts.language,
    };
    let compression = if opts.compression_fast {
        Compression::None
    } else {
        Compression::MsZip
    };
    let bytes = assemble(identity, &files, compression, opts.sfx, &file_name)?;
    Ok(Synthesized {
        file_name,
        bytes,
        files: payload_files,
        payload_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::data_file;

    #[test]
    fn data_files_are_exact_and_not_pe() {
        for size in [0, 1, 2, 7, 40, 41, 4097] {
            let d = data_file("SP2GDR\\x.sdb", size, 42);
            assert_eq!(d.len(), size);
            assert!(!d.starts_with(b"MZ"));
            assert_eq!(d, data_file("SP2GDR\\x.sdb", size, 42));
        }
    }
}

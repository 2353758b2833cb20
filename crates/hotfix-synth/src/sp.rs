//! `hotfix synth-sp`: a service pack built like Microsoft's: every OS file
//! an image at the previous level carries, rebuilt at the SP's release
//! version as the real release numbered it (`sp_version`), the files the SP
//! adds, and enough further system files that the payload
//! has the real one's size (XP SP2: about 2,000 files, 270 MB).
//!
//! The payload lives under `i386\` (as on the SP's network-install tree),
//! one folder per destination; update.inf copies each file to its place and
//! refreshes the dllcache copy of every system32 file that has one.

use std::collections::BTreeMap;

use hotfix_cab::Compression;
use hotfix_dataset::{DataSet, base_files, release_revision, release_tag};
use hotfix_inf::{CopyFile, DestDir, RegData, RegLine, RegRoot, UpdateInf};
use hotfix_model::{FileVersion, KbId, Language, Product, SpLevel};
use hotfix_package::INF_PATH;
use hotfix_pe::{PeKind, PeSpec};

use crate::SpError;

/// The real service packs: (product, level) → KB.
pub fn sp_kb(product: Product, sp: u8) -> Option<KbId> {
    let n = match (product, sp) {
        (Product::WindowsXp, 1) => "KB324720",
        (Product::WindowsXp, 2) => "KB835935",
        (Product::WindowsXp, 3) => "KB936929",
        (Product::WindowsServer2003, 1) => "KB889101",
        (Product::WindowsServer2003, 2) => "KB914961",
        _ => return None,
    };
    n.parse().ok()
}

/// What service pack to build.
#[derive(Debug, Clone)]
pub struct SpSpec {
    /// XP or Server 2003.
    pub product: Product,
    /// The level the SP brings (2 for SP2).
    pub sp: u8,
    /// The SP's language.
    pub language: Language,
    /// 1.0 = the real SP's size; 0.05 for quick tests.
    pub scale: f64,
    /// Payload files wanted, instead of the real SP's count times `scale`.
    pub files: Option<usize>,
}

/// A built service pack.
#[derive(Debug)]
pub struct SynthSp {
    /// `WindowsXP-KB835935-SP2-JPN.exe`.
    pub file_name: String,
    /// The self-extracting package.
    pub bytes: Vec<u8>,
    /// Payload files (update.inf and update.ver not counted).
    pub files: usize,
    /// Payload bytes.
    pub payload_bytes: u64,
}

/// Files the SP adds that no image before it has (real XP SP2 names).
const NEW_FILES: &[&str] = &[
    "spupdsvc.exe",
    "wscntfy.exe",
    "wscsvc.dll",
    "xpsp2res.dll",
    "wups2.dll",
    "wucltui.dll",
    "bitsprx2.dll",
    "bitsprx3.dll",
    "ieencode.dll",
    "rhttpaa.dll",
];

/// The real SP2 payload: files and bytes at scale 1.
const REAL_FILES: f64 = 2000.0;
const REAL_BYTES: f64 = 270.0 * 1024.0 * 1024.0;

/// One payload file: where it goes (below `%windir%`, or `%ProgramFiles%\...`)
/// and its bytes.
struct Item {
    dest: String,
    bytes: Vec<u8>,
}

fn pe_file(
    name: &str,
    version: FileVersion,
    tag: &str,
    size: u64,
    spec: &SpSpec,
) -> Result<Vec<u8>, SpError> {
    let kind = PeKind::for_file_name(name);
    let mut pe = PeSpec::new(kind, name, version, &format!("{version} ({tag})"));
    pe.language = spec.language.langid();
    // Different bytes from the base build of the same name.
    pe.seed = hotfix_pe::name_seed(name) ^ u64::from(spec.sp);
    hotfix_pe::build_at_least(pe, size).map_err(|e| SpError::Synth(format!("{name}: {e}")))
}

/// The SP's build of a file whose build at the previous level is `base`,
/// numbered as the real releases were: the OS's files (build 2600 on XP,
/// 3790 on Server 2003) take the SP's release revision (XP SP1
/// `5.1.2600.1106`, SP2 `.2180`, SP3 `.5512`; 2003 SP1 `.1830`, SP2
/// `.3959`). On XP the Internet Explorer and shell families (`6.0.x`, and
/// any family already at build 2800 or 2900, such as comctl32's 5.82) moved
/// to build 2800 with SP1 and to 2900 with SP2: SP2's shell32 and mshtml
/// are `6.0.2900.2180`. Components versioned on their own (IE7's
/// `7.0.6000`, Media Player, MDAC, .NET) are not rebuilt by a service pack:
/// `None`, and the SP does not carry them.
fn sp_version(product: Product, sp: SpLevel, base: FileVersion) -> Option<FileVersion> {
    let revision = release_revision(product, sp);
    let build = match product {
        Product::WindowsXp => {
            let ie_family = (base.major, base.minor) == (6, 0)
                && (2600..=2900).contains(&base.build)
                || base.build == 2800
                || base.build == 2900;
            match (ie_family, sp.0) {
                (true, 0) => return None,
                (true, 1) => 2800,
                (true, _) => 2900,
                (false, _) if base.build == 2600 => 2600,
                (false, _) => return None,
            }
        }
        Product::WindowsServer2003 if base.build == 3790 => 3790,
        Product::WindowsServer2003 => return None,
    };
    Some(FileVersion {
        build,
        revision,
        ..base
    })
}

fn payload(data: &DataSet, spec: &SpSpec) -> Result<Vec<Item>, SpError> {
    let level = SpLevel(spec.sp);
    let release = release_revision(spec.product, level);
    let tag = release_tag(spec.product, level);
    let os_version = {
        let (major, minor) = spec.product.nt_version();
        FileVersion::new(
            u16::from(major),
            u16::from(minor),
            spec.product.build(),
            release,
        )
    };
    let mut items = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for b in base_files(data, spec.product, SpLevel(spec.sp - 1)) {
        if !taken.insert(b.dest.to_ascii_lowercase()) {
            continue;
        }
        let bytes = match b.version.map(|v| sp_version(spec.product, level, v)) {
            Some(Some(v)) => pe_file(&b.name, v, tag, b.size, spec)?,
            Some(None) => continue,
            None => hotfix_pe::data_file(hotfix_pe::name_seed(&b.dest) ^ 0x5350, b.size),
        };
        let dir = b.dest.rsplit_once('\\').map_or("", |(d, _)| d);
        let dest = if dir.is_empty() {
            b.name.clone()
        } else {
            format!("{dir}\\{}", b.name)
        };
        items.push(Item { dest, bytes });
    }
    for name in NEW_FILES {
        if taken.insert(format!("system32\\{name}")) {
            let bytes = pe_file(name, os_version, tag, 48 * 1024, spec)?;
            items.push(Item {
                dest: format!("system32\\{name}"),
                bytes,
            });
        }
    }
    let want_files = spec
        .files
        .unwrap_or((REAL_FILES * spec.scale).round() as usize);
    let want_bytes = (REAL_BYTES * spec.scale) as u64;
    let have: u64 = items.iter().map(|i| i.bytes.len() as u64).sum();
    let extra = want_files.saturating_sub(items.len());
    if extra > 0 {
        let mean = want_bytes.saturating_sub(have) / extra as u64;
        for n in 1..=extra {
            let name = format!("sp{}file{n:04}.dll", spec.sp);
            // Sizes spread from half to one and a half times the mean, as
            // system DLLs are; the sum stays on target.
            let spread = (hotfix_pe::name_seed(&name) % 1001) as i64 - 500;
            let size = (mean as i64 + mean as i64 * spread / 1000).max(4096) as u64;
            let bytes = pe_file(&name, os_version, tag, size, spec)?;
            items.push(Item {
                dest: format!("system32\\{name}"),
                bytes,
            });
        }
    }
    Ok(items)
}

/// The destination directory id of a `%windir%`-relative or
/// `%ProgramFiles%\...` directory.
fn dest_dir(dir: &str) -> DestDir {
    const PF: &str = "%programfiles%";
    let lower = dir.to_ascii_lowercase();
    if lower.starts_with(PF) {
        let sub = dir[PF.len()..].trim_start_matches('\\');
        return DestDir {
            dirid: 16422,
            subdir: (!sub.is_empty()).then(|| sub.to_owned()),
        };
    }
    DestDir {
        dirid: 10,
        subdir: (!dir.is_empty()).then(|| dir.to_owned()),
    }
}

fn update_inf(spec: &SpSpec, kb: &KbId, items: &[Item]) -> UpdateInf {
    let (major, minor) = spec.product.nt_version();
    let mut sections: BTreeMap<String, usize> = BTreeMap::new();
    let mut copy_always = Vec::new();
    let mut replace_if_exist = Vec::new();
    for item in items {
        let (dir, name) = item.dest.rsplit_once('\\').unwrap_or(("", &item.dest));
        let next = sections.len() + 1;
        let n = *sections.entry(dir.to_ascii_lowercase()).or_insert(next);
        let source = payload_path(&item.dest);
        copy_always.push(CopyFile {
            section: format!("SP.Files.{n}"),
            dest: dest_dir(dir),
            target: name.to_owned(),
            source: source.clone(),
            flags: 0,
        });
        if dir.eq_ignore_ascii_case("system32") {
            replace_if_exist.push(CopyFile {
                section: "SP.DllCache".into(),
                dest: DestDir {
                    dirid: 65619,
                    subdir: None,
                },
                target: name.to_owned(),
                source,
                flags: 0,
            });
        }
    }
    // The INF writer takes each section's lines from one run of files.
    copy_always.sort_by(|a, b| a.section.cmp(&b.section));
    let title = format!(
        "{} {}",
        spec.product.product_name(),
        SpLevel(spec.sp).csd_version()
    );
    let reg = |key: &str, flags, data| RegLine {
        root: RegRoot::Hklm,
        key: key.into(),
        value_name: Some("CSDVersion".into()),
        flags,
        data,
        line: 0,
    };
    UpdateInf {
        signature: "$Windows NT$".into(),
        nt_build_to_update: Some(u32::from(spec.product.build())),
        nt_major: Some(u32::from(major)),
        nt_minor: Some(u32::from(minor)),
        min_sp: Some(SpLevel(spec.sp - 1).inf_value()),
        max_sp: Some(SpLevel(spec.sp - 1).inf_value()),
        language_type: Some(u32::from(spec.language.langid())),
        short_title: kb.to_string(),
        title: Some(title.clone()),
        strings: vec![
            ("SP_SHORT_TITLE".into(), kb.to_string()),
            ("SP_TITLE".into(), title),
        ],
        copy_always,
        replace_if_exist,
        conditionals: Vec::new(),
        add_reg: vec![
            reg(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
                0,
                RegData::Sz(SpLevel(spec.sp).csd_version()),
            ),
            reg(
                "SYSTEM\\CurrentControlSet\\Control\\Windows",
                0x0001_0001,
                RegData::Dword(0x100 * u32::from(spec.sp)),
            ),
        ],
        del_reg: Vec::new(),
    }
}

/// Where the package keeps the file bound for `dest`.
fn payload_path(dest: &str) -> String {
    let lower = dest.to_ascii_lowercase();
    match lower.strip_prefix("%programfiles%\\") {
        Some(_) => format!("i386\\programfiles\\{}", &dest["%programfiles%\\".len()..]),
        None => format!("i386\\{dest}"),
    }
}

/// Builds the service pack for `spec` from the data set.
pub fn synth_sp(data: &DataSet, spec: &SpSpec) -> Result<SynthSp, SpError> {
    let kb = sp_kb(spec.product, spec.sp).ok_or_else(|| {
        SpError::Synth(format!(
            "{} has no Service Pack {}",
            spec.product.product_name(),
            spec.sp
        ))
    })?;
    if !(spec.scale > 0.0 && spec.scale <= 16.0) {
        return Err(SpError::Synth(format!(
            "--scale {} is outside (0, 16]",
            spec.scale
        )));
    }
    let items = payload(data, spec)?;
    let inf = update_inf(spec, &kb, &items).to_text().into_bytes();
    let paths: Vec<String> = items.iter().map(|i| payload_path(&i.dest)).collect();
    let mut files: Vec<(&str, &[u8])> = vec![(INF_PATH, &inf)];
    files.extend(
        paths
            .iter()
            .map(String::as_str)
            .zip(items.iter().map(|i| &i.bytes[..])),
    );
    // Stored, not MSZIP: the payload is mostly incompressible filler and
    // deflating 270 MB would dominate the build for no gain.
    let cab =
        hotfix_package::build_cabinet(&kb, spec.product, spec.language, &files, Compression::None)
            .map_err(|e| SpError::Synth(format!("cabinet: {e}")))?;
    let file_name = format!(
        "{}-{kb}-SP{}-{}.exe",
        spec.product.package_prefix(),
        spec.sp,
        spec.language.code()
    );
    // The SP's self-extractor was SFXCAB 5.5.1005.0 (seed 000 read it off
    // the file's properties).
    let stub_version = FileVersion::new(5, 5, 1005, 0);
    let stub = PeSpec::new(
        PeKind::Exe,
        "SFXCAB.EXE",
        stub_version,
        "5.5.1005.0 (SRV03_QFE.031113-0918)",
    );
    let bytes = hotfix_pe::build_with_overlay(&stub, &cab)
        .map_err(|e| SpError::Synth(format!("self-extractor: {e}")))?;
    Ok(SynthSp {
        file_name,
        files: items.len(),
        payload_bytes: items.iter().map(|i| i.bytes.len() as u64).sum(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sp_versions_follow_the_real_releases() {
        let v = |s: &str| s.parse::<FileVersion>().unwrap();
        let xp = |sp, base| sp_version(Product::WindowsXp, SpLevel(sp), v(base));
        assert_eq!(xp(1, "5.1.2600.0"), Some(v("5.1.2600.1106")));
        assert_eq!(xp(2, "5.1.2600.1106"), Some(v("5.1.2600.2180")));
        assert_eq!(xp(3, "5.1.2600.2180"), Some(v("5.1.2600.5512")));
        assert_eq!(xp(1, "6.0.2600.0"), Some(v("6.0.2800.1106")));
        assert_eq!(xp(2, "6.0.2800.1106"), Some(v("6.0.2900.2180")));
        assert_eq!(xp(3, "6.0.2900.2180"), Some(v("6.0.2900.5512")));
        assert_eq!(xp(2, "5.82.2800.1106"), Some(v("5.82.2900.2180")));
        assert_eq!(xp(2, "7.0.6000.16471"), None);
        assert_eq!(xp(2, "2001.12.4414.258"), None);
        let ws03 = |sp, base| sp_version(Product::WindowsServer2003, SpLevel(sp), v(base));
        assert_eq!(ws03(1, "5.2.3790.0"), Some(v("5.2.3790.1830")));
        assert_eq!(ws03(2, "6.0.3790.1830"), Some(v("6.0.3790.3959")));
        assert_eq!(ws03(2, "7.0.6000.16471"), None);
    }

    #[test]
    fn destinations_map_to_dirids() {
        assert_eq!(dest_dir("system32").dirid, 10);
        let pf = dest_dir("%ProgramFiles%\\Internet Explorer");
        assert_eq!(pf.dirid, 16422);
        assert_eq!(pf.subdir.as_deref(), Some("Internet Explorer"));
        assert_eq!(
            payload_path("%ProgramFiles%\\Outlook Express\\msoe.dll"),
            "i386\\programfiles\\Outlook Express\\msoe.dll"
        );
    }
}

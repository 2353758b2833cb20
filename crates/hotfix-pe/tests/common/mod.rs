//! Shared helpers for the integration tests.
#![allow(dead_code, clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::{Path, PathBuf};
use std::process::Command;

use hotfix_pe::{FileVersion, Machine, PeKind, PeSpec};

/// A spread of specs: both machines, all kinds, XP-like versions and strings.
pub fn specs() -> Vec<PeSpec> {
    let mut out = Vec::new();
    let kinds = [
        (PeKind::Dll, "user32.dll"),
        (PeKind::Exe, "regsvr32.exe"),
        (PeKind::Sys, "tcpip.sys"),
    ];
    for (i, (kind, name)) in kinds.into_iter().enumerate() {
        for machine in [Machine::I386, Machine::Amd64] {
            let version = FileVersion::new(5, 1, 2600, 2180 + i as u16);
            let text = format!("{version} (xpsp_sp2_gdr.070416-1301)");
            let mut spec = PeSpec::new(kind, name, version, &text);
            spec.machine = machine;
            out.push(spec);
        }
    }
    let mut odd = PeSpec::new(
        PeKind::Dll,
        "ünïcode.dll",
        FileVersion::new(65535, 0, 1, 65535),
        "",
    );
    odd.language = 0x0407;
    odd.product_version = FileVersion::new(6, 0, 2900, 6242);
    odd.strings.push(("Comments".into(), String::new()));
    odd.strings.push(("PrivateBuild".into(), "x".repeat(501)));
    out.push(odd);
    let mut bare = PeSpec::new(PeKind::Exe, "a", FileVersion::new(1, 2, 3, 4), "1.2.3.4");
    bare.strings.clear();
    bare.machine = Machine::Amd64;
    out.push(bare);
    out
}

/// The CheckSum stored in a PE file's optional header (found via e_lfanew).
pub fn stored_checksum(file: &[u8]) -> u32 {
    let at = u32::from_le_bytes(file[0x3c..0x40].try_into().unwrap()) as usize + 24 + 64;
    u32::from_le_bytes(file[at..at + 4].try_into().unwrap())
}

/// Debian's python with pefile.
pub fn have_pefile() -> bool {
    hotfix_testutil::oracle_available(
        "python3-pefile",
        Command::new("/usr/bin/python3").args(["-c", "import pefile"]),
    )
}

/// Runs a pefile script over `files`; it prints one JSON document.
/// `verify_checksum` is slow in Python, so it is asked for only on small files.
pub fn pefile_json(script: &str, files: &[&Path], with_checksum: bool) -> serde_json::Value {
    let out = Command::new("/usr/bin/python3")
        .env("PEFILE_CHECKSUM", if with_checksum { "1" } else { "" })
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// Prints, per file: {"fixed": [file ms, ls, product ms, ls] or null,
/// "strings": {first string table}, "checksum_ok": bool (false unless asked),
/// "pe32plus": bool}.
pub const PEFILE_SCRIPT: &str = r#"
import json, os, sys, pefile
out = []
for path in sys.argv[1:]:
    pe = pefile.PE(path, fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_RESOURCE']])
    fixed = None
    if getattr(pe, 'VS_FIXEDFILEINFO', None):
        f = pe.VS_FIXEDFILEINFO[0]
        fixed = [f.FileVersionMS, f.FileVersionLS, f.ProductVersionMS, f.ProductVersionLS]
    strings = None
    for fi in (getattr(pe, 'FileInfo', None) or [[]])[0]:
        if getattr(fi, 'Key', b'') == b'StringFileInfo' and fi.StringTable and strings is None:
            strings = {k.decode('utf-8', 'replace'): v.decode('utf-8', 'replace') for k, v in fi.StringTable[0].entries.items()}
    out.append({'path': path, 'fixed': fixed, 'strings': strings,
                'checksum_ok': bool(os.environ.get('PEFILE_CHECKSUM')) and pe.verify_checksum(), 'pe32plus': pe.OPTIONAL_HEADER.Magic == 0x20b})
print(json.dumps(out))
"#;

const REAL_PE_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows",
    "/usr/lib/x86_64-linux-gnu/wine/i386-windows",
    "/usr/lib/i386-linux-gnu/wine/i386-windows",
    // More PE32 files where Wine's i386 DLLs are not installed.
    "/usr/i686-w64-mingw32/lib",
    "/usr/x86_64-w64-mingw32/lib",
];

/// Every PE file Debian's Wine and mingw-w64 ship, sorted.
pub fn real_pe_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in REAL_PE_DIRS {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_pe = std::fs::read(&path)
                .map(|b| b.starts_with(b"MZ"))
                .unwrap_or(false);
            if is_pe {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

//! Helpers shared by the integration tests: a SOFTWARE-like test hive, the
//! hivex sample files, oracle-tool plumbing and raw-offset helpers for
//! damaging files on purpose.
#![allow(dead_code, clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hotfix_hive::{Hive, Value};
pub use hotfix_testutil::random_bytes;

pub const CURRENT_VERSION: &str = r"Microsoft\Windows NT\CurrentVersion";
pub const MANY_PARENT: &str = r"Microsoft\Updates\Windows XP\SP3";
pub const MANY: usize = 2000;

/// The PendingFileRenameOperations example: delete a.new, replace b.
pub fn pending_renames() -> Value {
    Value::MultiSz(
        [r"\??\C:\a.new", "", r"\??\C:\b.new", r"!\??\C:\b"]
            .map(String::from)
            .to_vec(),
    )
}

/// A hive shaped like an XP SOFTWARE hive, with every value type, big data,
/// empty MULTI_SZ strings, non-Latin names and 2,000 sibling keys.
pub fn software_like_hive() -> Hive {
    let mut hive = Hive::new("$$$PROTO.HIV");
    hive.set_file_name(r"\SystemRoot\System32\Config\SOFTWARE");
    hive.set_last_written(0x01C4_E0E5_1234_5678);
    hive.set_sequence(42);
    let cv = CURRENT_VERSION;
    hive.set(cv, "ProductName", Value::Sz("Microsoft Windows XP".into()))
        .unwrap();
    hive.set(cv, "CSDVersion", Value::Sz("Service Pack 3".into()))
        .unwrap();
    hive.set(cv, "CurrentBuildNumber", Value::Sz("2600".into()))
        .unwrap();
    hive.set(cv, "CurrentVersion", Value::Sz("5.1".into()))
        .unwrap();
    hive.set(cv, "InstallDate", Value::Dword(0x4A5B_6C7D))
        .unwrap();
    hive.set(
        cv,
        "SystemRoot",
        Value::ExpandSz("%SystemDrive%\\WINDOWS".into()),
    )
    .unwrap();
    hive.key_mut(cv)
        .unwrap()
        .set_last_written(0x01C4_0000_0000_0001);

    let types = r"Test\Types";
    hive.set(types, "", Value::Sz("default value".into()))
        .unwrap();
    hive.set(types, "none", Value::None).unwrap();
    hive.set(types, "empty sz", Value::Sz(String::new()))
        .unwrap();
    hive.set(types, "binary small", Value::Binary(vec![1, 2, 3]))
        .unwrap();
    hive.set(types, "binary empty", Value::Binary(Vec::new()))
        .unwrap();
    hive.set(types, "binary medium", Value::Binary(random_bytes(5000, 1)))
        .unwrap();
    hive.set(
        types,
        "big data",
        Value::Binary(random_bytes(100 * 1024, 2)),
    )
    .unwrap();
    hive.set(types, "big boundary", Value::Binary(random_bytes(16345, 3)))
        .unwrap();
    hive.set(types, "not big", Value::Binary(random_bytes(16344, 4)))
        .unwrap();
    hive.set(types, "dword", Value::Dword(0xDEAD_BEEF)).unwrap();
    hive.set(types, "dword be", Value::DwordBigEndian(0x0102_0304))
        .unwrap();
    hive.set(types, "qword", Value::Qword(1 << 40)).unwrap();
    hive.set(
        types,
        "link",
        Value::Link(r"\Registry\Machine\System\ControlSet001".into()),
    )
    .unwrap();
    hive.set(
        types,
        "multi",
        Value::MultiSz(vec!["user32.dll".into(), "version.dll".into()]),
    )
    .unwrap();
    hive.set(types, "multi empty list", Value::MultiSz(Vec::new()))
        .unwrap();
    hive.set(
        types,
        "multi trailing empty",
        Value::MultiSz(vec!["a".into(), "".into()]),
    )
    .unwrap();
    hive.set(types, "PendingFileRenameOperations", pending_renames())
        .unwrap();
    hive.set(
        types,
        "resource list",
        Value::Other {
            kind: 8,
            data: vec![9; 40],
        },
    )
    .unwrap();
    hive.set(
        types,
        "none with data",
        Value::Other {
            kind: 0,
            data: vec![7; 12],
        },
    )
    .unwrap();
    hive.set(
        types,
        "dword of 3 bytes",
        Value::Other {
            kind: 4,
            data: vec![1, 2, 3],
        },
    )
    .unwrap();

    let unicode = r"Test\Ünïcödé\日本語のキー";
    hive.set(unicode, "Ünïcödé", Value::Sz("größer".into()))
        .unwrap();
    hive.set(unicode, "値の名前", Value::Sz("日本語の値".into()))
        .unwrap();
    hive.set(unicode, "weird™", Value::Dword(0)).unwrap();

    let parent = hive.create_key(MANY_PARENT).unwrap();
    for i in 0..MANY {
        let key = parent
            .create_subkey(&format!("KB{:06}", 800_000 + i * 7))
            .unwrap();
        key.set_value("Description", Value::Sz(format!("Update {i}")));
        key.set_value("Installed", Value::Dword(1));
    }
    hive
}

/// Where the hivex sample hives are (see testdata/SAMPLES.md).
pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hive-samples/hivex")
}

/// A hivex sample hive. The samples are committed with the repository, so
/// a missing one fails the test rather than skipping it.
pub fn sample(name: &str) -> Vec<u8> {
    let path = sample_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Debian's Python with the hivex module (see
/// [`hotfix_testutil::oracle_available`]).
pub fn have_python_hivex() -> bool {
    hotfix_testutil::oracle_available(
        "python3-hivex",
        Command::new("/usr/bin/python3").args(["-c", "import hivex"]),
    )
}

/// Runs a command with `stdin`, asserting success.
pub fn run(cmd: &mut Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

// Raw-offset helpers for damaging files. Offsets are into the whole file.

pub fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

pub fn set32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// File offset of the data of the cell at hive-bin offset `off`.
pub fn cell_data(off: u32) -> usize {
    4096 + off as usize + 4
}

/// Recomputes the base block checksum.
pub fn fix_checksum(bytes: &mut [u8]) {
    let sum = (0..127).fold(0u32, |s, i| s ^ le32(bytes, i * 4));
    let sum = match sum {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        s => s,
    };
    set32(bytes, 508, sum);
}

/// The key-node offset of the `index`-th entry of a key's `lh` list.
pub fn child_offset(bytes: &[u8], nk: u32, index: usize) -> u32 {
    let list = le32(bytes, cell_data(nk) + 28);
    assert_eq!(&bytes[cell_data(list)..cell_data(list) + 2], b"lh");
    le32(bytes, cell_data(list) + 4 + index * 8)
}

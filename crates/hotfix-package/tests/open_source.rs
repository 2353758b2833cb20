//! Packages opened from a file with `Package::open_source`: payload files
//! read, stream and compare exactly as from memory; a package file changed
//! on disk after opening (truncated, or one byte rewritten) makes reads fail
//! with errors naming the package; a tampered package file is refused.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::{Path, PathBuf};

use common::tiny_package;
use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_fs::{Fs, OsFs};
use hotfix_package::{Package, PackageError};
use hotfix_synth::{SynthOptions, synth};
use hotfix_testutil::unique_position;

/// An XP update with branch folders, ASMS and root files.
const KB: &str = "KB893086";

/// (file name, bytes) of the synthesized package.
fn synthesized(opts: &SynthOptions) -> (String, Vec<u8>) {
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    let update = data.find(&KB.parse().unwrap()).unwrap();
    let s = synth(update, opts).unwrap();
    (s.file_name, s.bytes)
}

/// Writes `bytes` to `dir/name` and opens it through `OsFs`.
fn open_file(dir: &Path, name: &str, bytes: &[u8]) -> (PathBuf, Result<Package, PackageError>) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let source = OsFs.open_read_at(&path).unwrap();
    (path.clone(), Package::open_source(source, name))
}

#[test]
fn files_read_from_disk_equal_files_read_from_memory() {
    let options = [
        SynthOptions::default(),
        // Stored and plain: the parallel verification path.
        SynthOptions {
            sfx: false,
            compression_fast: true,
            ..SynthOptions::default()
        },
    ];
    for opts in options {
        let (name, bytes) = synthesized(&opts);
        let dir = tempfile::tempdir().unwrap();
        let (_, on_disk) = open_file(dir.path(), &name, &bytes);
        let on_disk = on_disk.unwrap_or_else(|e| panic!("{e}"));
        let in_memory = Package::open(bytes, &name).unwrap();
        assert_eq!(on_disk.manifest, in_memory.manifest);
        assert!(on_disk.payload().len() > 3, "{name}");
        // Filled with junk first: read_into must clear it.
        let mut reused = vec![0xEE; 100];
        for entry in in_memory.payload() {
            let path = &entry.path;
            let expected = in_memory.read(path).unwrap();
            let file = on_disk.file(path).unwrap();
            assert!(file.read().unwrap() == expected, "{name}: {path} read");
            file.read_into(&mut reused).unwrap();
            assert!(reused == expected, "{name}: {path} read_into");
            let mut written = Vec::new();
            file.write_to(&mut written).unwrap();
            assert!(written == expected, "{name}: {path} write_to");
            assert!(file.matches(&expected).unwrap(), "{name}: {path}");
            if let Some(last) = expected.len().checked_sub(1) {
                let mut flipped = expected.clone();
                flipped[last / 2] ^= 0x01;
                assert!(!file.matches(&flipped).unwrap(), "{name}: {path} flipped");
            }
            let again = on_disk.file(&path.to_lowercase()).unwrap();
            assert_eq!(file.identity(), again.identity(), "{name}: {path}");
        }
    }
}

/// Every payload file of `pkg` reads as the bytes `original` held or fails
/// naming the package, and the files in the damaged range do fail.
fn assert_reads_verified_or_fail(pkg: &Package, original: &Package, what: &str) {
    let mut failed = 0;
    for entry in pkg.payload() {
        match pkg.file(&entry.path).unwrap().read() {
            Ok(data) => assert_eq!(data, original.read(&entry.path).unwrap(), "{what}"),
            Err(err) => {
                failed += 1;
                let msg = err.to_string();
                assert!(msg.contains(&pkg.file_name), "{what}: {msg}");
            }
        }
    }
    assert!(failed > 0, "{what}: every file still read");
}

#[test]
fn a_package_truncated_after_opening_fails_to_read_naming_the_package() {
    let (name, bytes) = synthesized(&SynthOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let (path, pkg) = open_file(dir.path(), &name, &bytes);
    let pkg = pkg.unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(bytes.len() as u64 / 2).unwrap();
    let original = Package::open(bytes, &name).unwrap();
    assert_reads_verified_or_fail(&pkg, &original, "truncated");
}

#[test]
fn a_package_rewritten_in_place_after_opening_fails_to_read_naming_the_package() {
    use std::os::unix::fs::FileExt;
    let (name, bytes) = synthesized(&SynthOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let (path, pkg) = open_file(dir.path(), &name, &bytes);
    let pkg = pkg.unwrap();
    let opened = std::fs::metadata(&path).unwrap().modified().unwrap();
    let at = bytes.len() as u64 / 2;
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_at(&[bytes[at as usize] ^ 0xFF], at).unwrap();
    // Same size and modification time as at open: only the bytes tell.
    file.set_modified(opened).unwrap();
    let now = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (now.len(), now.modified().unwrap()),
        (bytes.len() as u64, opened)
    );
    let original = Package::open(bytes, &name).unwrap();
    assert_reads_verified_or_fail(&pkg, &original, "rewritten");
}

#[test]
fn a_tampered_package_file_is_refused_at_open_source() {
    // The committed hostile fixture: one flipped byte in SP2QFE\shell32.dll.
    let tampered = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flipped-byte.cab"),
    )
    .unwrap();
    let name = "WindowsXP-KB900001-x86-ENU.cab";
    let dir = tempfile::tempdir().unwrap();
    let (_, opened) = open_file(dir.path(), name, &tampered);
    let err = opened.expect_err("tampered package opened");
    assert!(
        matches!(&err, PackageError::DigestMismatch { path, .. } if path == "SP2QFE\\shell32.dll"),
        "{err:?}"
    );
    assert!(err.to_string().contains(name), "{err}");
    // The package it was made from opens the same way.
    let (_, fine) = open_file(dir.path(), "good.cab", &tiny_package(false));
    fine.unwrap();
}

/// Holds a shared writable mapping of a file: dirties every page without
/// changing a byte, says `ready`, then for each `offset value` line writes
/// that byte through the mapping and says `done`.
const MAPPED_WRITER: &str = "import mmap, os, sys
m = mmap.mmap(os.open(sys.argv[1], os.O_RDWR), 0)
for i in range(0, len(m), mmap.PAGESIZE):
    m[i] = m[i]
print('ready', flush=True)
for line in sys.stdin:
    at, value = map(int, line.split())
    m[at] = value
    print('done', flush=True)
";

/// A writer with a shared mapping changes a page it already dirtied:
/// Linux updates neither mtime nor ctime then, so only hashing the bytes
/// again as they are read catches it.
#[test]
fn a_package_changed_through_a_shared_mapping_after_opening_fails_to_read() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    if !hotfix_testutil::have_tool("python3") {
        return;
    }
    let opts = SynthOptions {
        sfx: false,
        compression_fast: true,
        ..SynthOptions::default()
    };
    let (name, bytes) = synthesized(&opts);
    let in_memory = Package::open(bytes.clone(), &name).unwrap();
    let big = in_memory.payload().iter().max_by_key(|e| e.size).unwrap();
    let expected = in_memory.read(&big.path).unwrap();
    // A byte in the middle of the largest file, found by a unique window.
    let (at, _) = (0..64)
        .map(|k| expected.len() / 2 + k * 97)
        .find_map(|o| Some((unique_position(&bytes, &expected[o..o + 32])?, o)))
        .expect("no unique window");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(&name);
    std::fs::write(&path, &bytes).unwrap();
    let mut writer = Command::new("python3")
        .args(["-c", MAPPED_WRITER, path.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut replies = BufReader::new(writer.stdout.take().unwrap()).lines();
    assert_eq!(replies.next().unwrap().unwrap(), "ready");
    let pkg = Package::open_source(OsFs.open_read_at(&path).unwrap(), &name).unwrap();
    // Two bytes 4 apart in one block, flipped alike: the block checksum is
    // an XOR of 32-bit words, so it stays the same.
    let edits = [(at, bytes[at] ^ 0xFF), (at + 4, bytes[at + 4] ^ 0xFF)];
    let mut to_writer = writer.stdin.take().unwrap();
    for (offset, value) in edits {
        writeln!(to_writer, "{offset} {value}").unwrap();
        assert_eq!(replies.next().unwrap().unwrap(), "done");
    }
    let read = pkg.file(&big.path).unwrap().read();
    drop(to_writer);
    writer.wait().unwrap();
    match read {
        Err(err) => assert!(err.to_string().contains(&name), "{err}"),
        Ok(got) => assert!(
            got == expected,
            "{}: read Ok with bytes that differ from the verified ones",
            big.path
        ),
    }
}

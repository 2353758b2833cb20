#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
//! `hotfix sp install` opens the service pack with deferred checks: a
//! package damaged on disk (a changed byte in a file it stages, or its
//! cabinet cut short) is refused with exit code 1603, an error naming the
//! package, and an image exactly as before with no staging area left; the
//! same package undamaged installs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hotfix_fs::OsFs;
use hotfix_testkit::snapshot;
use hotfix_testutil::unique_position;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");
const PKG: &str = "WindowsXP-KB835935-SP2-ENU.exe";

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn hotfix(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn run(args: &[&str]) {
    let out = hotfix(args);
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// An SP1 image and a small SP2 package beside it.
struct Setup {
    dir: TempDir,
    image: PathBuf,
    pkg: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    let out = dir.path().join("sp");
    run(&["image", "new", "--sp", "1", &s(&image)]);
    run(&[
        "synth-sp",
        "--sp",
        "2",
        "--scale",
        "0.05",
        "--out",
        &s(&out),
    ]);
    let pkg = out.join(PKG);
    Setup { dir, image, pkg }
}

impl Setup {
    fn install(&self) -> Output {
        hotfix(&["sp", "install", "--image", &s(&self.image), &s(&self.pkg)])
    }

    /// The largest system32 DLL of the package (extracted), and where a
    /// 64-byte window from its middle occurs exactly once in the package.
    fn payload_window(&self) -> (PathBuf, usize) {
        let x = self.dir.path().join("x");
        run(&["extract", &s(&self.pkg), &s(&x)]);
        let (len, path) = std::fs::read_dir(x.join("i386/system32"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| s(p).to_lowercase().ends_with(".dll"))
            .map(|p| (std::fs::metadata(&p).unwrap().len(), p))
            .max()
            .expect("no system32 DLL in the package");
        let data = std::fs::read(&path).unwrap();
        let package = std::fs::read(&self.pkg).unwrap();
        let at = (0..64)
            .map(|k| len as usize / 2 + k * 4099)
            .find_map(|o| unique_position(&package, &data[o..o + 64]))
            .expect("no unique window");
        (path, at)
    }

    /// Runs the install and checks it was refused, naming the package and
    /// saying `what`, with the image as before and no staging area left.
    fn assert_refused(&self, what: &[&str]) {
        let before = snapshot(&OsFs, &self.image).unwrap();
        let out = self.install();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1603 & 0xff), "{stderr}");
        assert!(stderr.contains(PKG), "{stderr}");
        // A damaged package, as the original reported it; not an I/O error.
        assert!(stderr.contains("0xf0f1"), "{stderr}");
        for w in what {
            assert!(stderr.contains(w), "no {w:?} in: {stderr}");
        }
        let after = snapshot(&OsFs, &self.image).unwrap();
        assert_eq!(before.diff(&after), None, "{stderr}");
        assert!(!self.image.join("WINDOWS/$hotfix$/txn").exists());
    }
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Flips every bit of the package's bytes at `offsets`.
fn flip(pkg: &Path, offsets: &[usize]) {
    let mut bytes = std::fs::read(pkg).unwrap();
    for &o in offsets {
        bytes[o] ^= 0xFF;
    }
    std::fs::write(pkg, bytes).unwrap();
}

#[test]
fn a_flipped_byte_in_a_staged_file_refuses_the_install_and_changes_nothing() {
    let setup = setup();
    let (dll, at) = setup.payload_window();
    flip(&setup.pkg, &[at + 32]);
    setup.assert_refused(&[&name(&dll)]);
}

/// Two bytes 4 apart flipped alike keep the data block's checksum (an XOR
/// of 32-bit words): only the file's BLAKE3 digest, checked while it is
/// staged, tells.
#[test]
fn a_change_the_block_checksum_misses_is_caught_by_the_digest_and_changes_nothing() {
    let setup = setup();
    let (dll, at) = setup.payload_window();
    flip(&setup.pkg, &[at + 30, at + 34]);
    setup.assert_refused(&[&name(&dll), "BLAKE3 digest"]);
}

/// The image already has the file's version in system32 and dllcache, so
/// the install keeps those and never stages it: the check of the remaining
/// files before the commit point is what finds the damage.
#[test]
fn a_damaged_file_the_install_does_not_stage_is_caught_before_the_commit_point() {
    let setup = setup();
    let (dll, at) = setup.payload_window();
    let system32 = setup.image.join("WINDOWS/system32");
    let mut copies = 0;
    for dir in [system32.join("dllcache"), system32] {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if name(&path).eq_ignore_ascii_case(&name(&dll)) {
                std::fs::copy(&dll, path).unwrap();
                copies += 1;
            }
        }
    }
    assert!(copies > 0, "{} is not in the image", name(&dll));
    flip(&setup.pkg, &[at + 32]);
    setup.assert_refused(&[&name(&dll)]);
}

#[test]
fn a_package_cut_short_by_1_mb_is_refused_and_changes_nothing() {
    let setup = setup();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&setup.pkg)
        .unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len - (1 << 20)).unwrap();
    setup.assert_refused(&["cabinet"]);
}

#[test]
fn the_undamaged_package_installs() {
    let setup = setup();
    let out = setup.install();
    let code = out.status.code();
    assert!(matches!(code, Some(0) | Some(194)), "{out:?}");
}

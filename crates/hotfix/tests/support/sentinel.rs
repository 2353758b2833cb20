//! A sentinel world for hostile-input tests: an image inside a temporary
//! directory beside a `sentinel/` tree that no command may change, the
//! commands to run on it, and a runner that fails on hangs and panics.
// Each test binary that includes this module uses a part of it.
#![allow(dead_code, clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hotfix_fs::OsFs;
use hotfix_testkit::fixture::{generate_image, packages};

pub const KB: &str = "KB890046";
/// Polls of a running command, 20 ms apart: a minute before it counts as hung.
const POLLS: u32 = 3000;

/// A temporary directory: `image/` (hostile), `sentinel/` (must not change),
/// the package, and `out/` for the commands' output.
pub struct World {
    pub tmp: tempfile::TempDir,
    pub image: PathBuf,
    pub pkg: PathBuf,
    /// The package is a service pack (the commands are `sp` and
    /// `restore-point`).
    pub service_pack: bool,
}

impl World {
    /// An XP SP2 image with one hotfix's files and that hotfix's package.
    pub fn new() -> Self {
        Self::with(false, |dir| {
            generate_image(&OsFs, &dir.join("image"), &[KB]).unwrap();
            let pkg = packages(&[KB]).unwrap().remove(0);
            let path = dir.join(&pkg.file_name);
            fs::write(&path, &pkg.bytes).unwrap();
            path
        })
    }

    /// A whole XP SP1 image and a small SP2 (a twentieth of the payload).
    pub fn service_pack() -> Self {
        Self::with(true, |dir| {
            let bin = |args: &[&std::ffi::OsStr]| {
                let o = Command::new(env!("CARGO_BIN_EXE_hotfix"))
                    .args(args)
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{args:?}: {o:?}");
            };
            let (image, sp) = (dir.join("image"), dir.join("sp"));
            bin(&[
                "image".as_ref(),
                "new".as_ref(),
                "--sp".as_ref(),
                "1".as_ref(),
                image.as_os_str(),
            ]);
            bin(&[
                "synth-sp".as_ref(),
                "--sp".as_ref(),
                "2".as_ref(),
                "--scale".as_ref(),
                "0.05".as_ref(),
                "--out".as_ref(),
                sp.as_os_str(),
            ]);
            sp.join("WindowsXP-KB835935-SP2-ENU.exe")
        })
    }

    /// `make` writes `image/` into the directory and returns the package.
    pub fn with(service_pack: bool, make: impl FnOnce(&Path) -> PathBuf) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let image = tmp.path().join("image");
        let pkg_path = make(tmp.path());
        let s = tmp.path().join("sentinel");
        fs::create_dir_all(s.join("dir/deeper")).unwrap();
        fs::write(s.join("a.txt"), b"sentinel a").unwrap();
        fs::write(s.join("victim.dll"), b"MZ sentinel victim").unwrap();
        fs::write(s.join("dir/b.bin"), [0xa5u8; 4096]).unwrap();
        fs::write(s.join("dir/deeper/c"), b"c").unwrap();
        fs::copy(
            image.join("WINDOWS/system32/config/SOFTWARE"),
            s.join("hive.copy"),
        )
        .unwrap();
        fs::create_dir(tmp.path().join("out")).unwrap();
        World {
            tmp,
            image,
            pkg: pkg_path,
            service_pack,
        }
    }

    pub fn win(&self, rel: &str) -> PathBuf {
        self.image.join("WINDOWS").join(rel)
    }

    pub fn state(&self, rel: &str) -> PathBuf {
        let dir = self.win("$hotfix$");
        fs::create_dir_all(&dir).unwrap();
        dir.join(rel)
    }

    pub fn sentinel(&self, rel: &str) -> PathBuf {
        self.tmp.path().join("sentinel").join(rel)
    }

    /// Every entry outside the image (but the commands' output): its kind,
    /// mode, link count and bytes or link target.
    pub fn host_tree(&self) -> BTreeMap<PathBuf, (String, Vec<u8>)> {
        let mut out = BTreeMap::new();
        walk(
            self.tmp.path(),
            &self.image,
            &self.tmp.path().join("out"),
            &mut out,
        );
        out
    }

    /// The commands, each on this image.
    pub fn commands(&self) -> Vec<Vec<OsString>> {
        let img = self.image.as_os_str();
        let dll = self.win("system32/agentdpv.dll");
        let hive = self.win("system32/config/SOFTWARE");
        let key = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
        let lock = r"C:\WINDOWS\system32\agentdpv.dll";
        let args = |a: &[&std::ffi::OsStr]| a.iter().map(|s| s.to_os_string()).collect();
        if self.service_pack {
            let pkg = self.pkg.as_os_str();
            return vec![
                args(&[
                    "sp".as_ref(),
                    "install".as_ref(),
                    "--image".as_ref(),
                    img,
                    pkg,
                ]),
                args(&[
                    "restore-point".as_ref(),
                    "list".as_ref(),
                    "--image".as_ref(),
                    img,
                ]),
                args(&["sp".as_ref(), "uninstall".as_ref(), "--image".as_ref(), img]),
                args(&["list".as_ref(), "--image".as_ref(), img]),
            ];
        }
        vec![
            args(&["list".as_ref(), "--image".as_ref(), img]),
            args(&["verify".as_ref(), "--image".as_ref(), img]),
            args(&["image".as_ref(), "lock".as_ref(), img, lock.as_ref()]),
            args(&[
                "install".as_ref(),
                "--image".as_ref(),
                img,
                self.pkg.as_os_str(),
                "/quiet".as_ref(),
                "/norestart".as_ref(),
            ]),
            args(&["chain".as_ref(), "--image".as_ref(), img]),
            args(&["image".as_ref(), "unlock".as_ref(), img]),
            args(&["restart".as_ref(), "--image".as_ref(), img]),
            args(&[
                "reg".as_ref(),
                "query".as_ref(),
                "--image".as_ref(),
                img,
                key.as_ref(),
            ]),
            args(&["version".as_ref(), dll.as_os_str(), hive.as_os_str()]),
            args(&["uninstall".as_ref(), "--image".as_ref(), img, KB.as_ref()]),
            args(&["list".as_ref(), "--image".as_ref(), img, "--json".as_ref()]),
        ]
    }
}

pub fn walk(
    dir: &Path,
    skip: &Path,
    out_dir: &Path,
    out: &mut BTreeMap<PathBuf, (String, Vec<u8>)>,
) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p == skip || p == out_dir {
            continue;
        }
        let m = fs::symlink_metadata(&p).unwrap();
        let mut bytes = Vec::new();
        let what = if m.file_type().is_symlink() {
            format!("link -> {}", fs::read_link(&p).unwrap().display())
        } else if m.is_file() {
            bytes = fs::read(&p).unwrap();
            "file".to_owned()
        } else if m.is_dir() {
            walk(&p, skip, out_dir, out);
            "dir".to_owned()
        } else {
            "special".to_owned()
        };
        // Not the link count: removing the image's own name for a file
        // (a hard link to it) is the image's business.
        let what = format!("{what} mode {:o}", m.mode());
        out.insert(p, (what, bytes));
    }
}

/// How one command ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Success,
    Refused,
}

/// Runs one command with its output in files (a full pipe cannot stall
/// it), killing it if it does not end: a hang fails the test.
pub fn run(w: &World, n: usize, args: &[OsString]) -> End {
    let out = w.tmp.path().join(format!("out/{n}.out"));
    let err = w.tmp.path().join(format!("out/{n}.err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotfix"))
        .args(args)
        .env_remove("HOTFIX_FAULT")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut status = None;
    for _ in 0..POLLS {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{args:?} hung");
    };
    let stderr = fs::read_to_string(&err).unwrap();
    let cmd = args[0].to_string_lossy();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{cmd} died: {status} {stderr}"));
    assert!(
        code != 101 && !stderr.contains("panicked"),
        "{cmd} panicked: {stderr}"
    );
    match code {
        0 | 194 => End::Success,
        _ => {
            // `version` reports each file's failure on stdout.
            let said = stderr + &fs::read_to_string(&out).unwrap();
            assert!(
                said.contains("error") || said.contains("no version ("),
                "{cmd} failed without saying why: {said}"
            );
            End::Refused
        }
    }
}

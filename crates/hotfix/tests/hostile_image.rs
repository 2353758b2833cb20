//! Hostile images: symbolic links, hard links, FIFOs, device nodes, sparse
//! huge files and long paths planted in an image, then every command run
//! on it. Whatever the image holds, the sentinel tree around the image is
//! byte-identical afterwards, no command hangs or panics, and each either
//! succeeds or says what it refused.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hotfix_fs::OsFs;
use hotfix_testkit::fixture::{generate_image, packages};

const KB: &str = "KB890046";
/// Polls of a running command, 20 ms apart: a minute before it counts as hung.
const POLLS: u32 = 3000;

/// A temporary directory: `image/` (hostile), `sentinel/` (must not change),
/// the package, and `out/` for the commands' output.
struct World {
    tmp: tempfile::TempDir,
    image: PathBuf,
    pkg: PathBuf,
    /// The package is a service pack (the commands are `sp` and
    /// `restore-point`).
    service_pack: bool,
}

impl World {
    /// An XP SP2 image with one hotfix's files and that hotfix's package.
    fn new() -> Self {
        Self::with(false, |dir| {
            generate_image(&OsFs, &dir.join("image"), &[KB]).unwrap();
            let pkg = packages(&[KB]).unwrap().remove(0);
            let path = dir.join(&pkg.file_name);
            fs::write(&path, &pkg.bytes).unwrap();
            path
        })
    }

    /// A whole XP SP1 image and a small SP2 (a twentieth of the payload).
    fn service_pack() -> Self {
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
    fn with(service_pack: bool, make: impl FnOnce(&Path) -> PathBuf) -> Self {
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

    fn win(&self, rel: &str) -> PathBuf {
        self.image.join("WINDOWS").join(rel)
    }

    fn state(&self, rel: &str) -> PathBuf {
        let dir = self.win("$hotfix$");
        fs::create_dir_all(&dir).unwrap();
        dir.join(rel)
    }

    fn sentinel(&self, rel: &str) -> PathBuf {
        self.tmp.path().join("sentinel").join(rel)
    }

    /// Every entry outside the image (but the commands' output): its kind,
    /// mode, link count and bytes or link target.
    fn host_tree(&self) -> BTreeMap<PathBuf, (String, Vec<u8>)> {
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
    fn commands(&self) -> Vec<Vec<OsString>> {
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

fn walk(dir: &Path, skip: &Path, out_dir: &Path, out: &mut BTreeMap<PathBuf, (String, Vec<u8>)>) {
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
enum End {
    Success,
    Refused,
}

/// Runs one command with its output in files (a full pipe cannot stall
/// it), killing it if it does not end: a hang fails the test.
fn run(w: &World, n: usize, args: &[OsString]) -> End {
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

/// One planted attack.
struct Attack {
    name: &'static str,
    plant: fn(&World),
}

/// Runs every command against each attack on a fresh image and checks the
/// host tree; prints what happened per attack.
fn run_class(class: &str, attacks: &[Attack]) {
    run_class_on(class, World::new, attacks);
}

fn run_class_on(class: &str, world: fn() -> World, attacks: &[Attack]) {
    let mut refused = 0;
    let mut succeeded = 0;
    for a in attacks {
        let w = world();
        (a.plant)(&w);
        let before = w.host_tree();
        let mut ends = Vec::new();
        for (n, args) in w.commands().iter().enumerate() {
            println!("{class}/{}: {}", a.name, args[0].to_string_lossy());
            ends.push(run(&w, n, args));
        }
        let after = w.host_tree();
        let changed: Vec<_> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        assert!(
            changed.is_empty(),
            "{class}/{}: the host outside the image changed: {changed:?}",
            a.name
        );
        let r = ends.iter().filter(|e| **e == End::Refused).count();
        refused += r;
        succeeded += ends.len() - r;
        println!("{class}/{}: {} commands, {r} refused", a.name, ends.len());
    }
    println!(
        "{class}: {} attacks, {} command runs ({succeeded} succeeded, {refused} refused); host unchanged",
        attacks.len(),
        succeeded + refused
    );
}

macro_rules! attacks {
    ($($name:literal => $plant:expr),* $(,)?) => {
        [$(Attack { name: $name, plant: $plant }),*]
    };
}

fn replace_with_link(at: &Path, target: &Path) {
    let _ = fs::remove_file(at);
    let _ = fs::remove_dir_all(at);
    symlink(target, at).unwrap();
}

fn replace_with_hard_link(at: &Path, target: &Path) {
    let _ = fs::remove_file(at);
    fs::hard_link(target, at).unwrap();
}

#[test]
fn symbolic_links_never_lead_outside() {
    run_class(
        "symlink",
        &attacks![
            "KB log to a host file" => |w| replace_with_link(&w.win(&format!("{KB}.log")), &w.sentinel("a.txt")),
            "KB log dangling to a new host file" => |w| replace_with_link(&w.win(&format!("{KB}.log")), Path::new("../../sentinel/new.txt")),
            "recovery.log" => |w| replace_with_link(&w.state("recovery.log"), &w.sentinel("a.txt")),
            "qchain.log" => |w| replace_with_link(&w.win("qchain.log"), &w.sentinel("a.txt")),
            "lock" => |w| replace_with_link(&w.state("lock"), &w.sentinel("a.txt")),
            "lock dangling" => |w| replace_with_link(&w.state("lock"), &w.sentinel("lockfile")),
            "journal" => |w| replace_with_link(&w.state("journal"), &w.sentinel("a.txt")),
            "journal.hftmp dangling" => |w| replace_with_link(&w.state("journal.hftmp"), &w.sentinel("new")),
            "in-use list" => |w| replace_with_link(&w.state("inuse.lst"), &w.sentinel("a.txt")),
            "installed records" => |w| replace_with_link(&w.state("installed"), &w.sentinel("dir")),
            "state directory" => |w| replace_with_link(&w.win("$hotfix$"), &w.sentinel("dir")),
            "uninstall folder" => |w| replace_with_link(&w.win(&format!("$NtUninstall{KB}$")), &w.sentinel("dir")),
            "system32" => |w| replace_with_link(&w.win("system32"), &w.sentinel("dir")),
            "config (the hives)" => |w| replace_with_link(&w.win("system32/config"), &w.sentinel("dir")),
            "payload target" => |w| replace_with_link(&w.win("system32/agentdpv.dll"), &w.sentinel("victim.dll")),
            "payload target, relative" => |w| replace_with_link(&w.win("system32/agentdpv.dll"), Path::new("../../../sentinel/victim.dll")),
            "SOFTWARE hive" => |w| replace_with_link(&w.win("system32/config/SOFTWARE"), &w.sentinel("hive.copy")),
        ],
    );
}

#[test]
fn hard_links_to_host_files_are_not_written_through() {
    run_class(
        "hard link",
        &attacks![
            "KB log" => |w| fs::hard_link(w.sentinel("a.txt"), w.win(&format!("{KB}.log"))).unwrap(),
            "qchain.log" => |w| fs::hard_link(w.sentinel("a.txt"), w.win("qchain.log")).unwrap(),
            "recovery.log" => |w| fs::hard_link(w.sentinel("a.txt"), w.state("recovery.log")).unwrap(),
            "lock" => |w| fs::hard_link(w.sentinel("a.txt"), w.state("lock")).unwrap(),
            "in-use list" => |w| fs::hard_link(w.sentinel("dir/b.bin"), w.state("inuse.lst")).unwrap(),
            "payload target" => |w| replace_with_hard_link(&w.win("system32/agentdpv.dll"), &w.sentinel("victim.dll")),
            "SOFTWARE hive" => |w| replace_with_hard_link(&w.win("system32/config/SOFTWARE"), &w.sentinel("hive.copy")),
        ],
    );
}

fn mkfifo(at: &Path) {
    let _ = fs::remove_file(at);
    rustix::fs::mkfifoat(rustix::fs::CWD, at, rustix::fs::Mode::from_raw_mode(0o644)).unwrap();
}

#[test]
fn fifos_never_block_a_command() {
    run_class(
        "fifo",
        &attacks![
            "journal" => |w| mkfifo(&w.state("journal")),
            "lock" => |w| mkfifo(&w.state("lock")),
            "in-use list" => |w| mkfifo(&w.state("inuse.lst")),
            "recovery.log" => |w| mkfifo(&w.state("recovery.log")),
            "KB log" => |w| mkfifo(&w.win(&format!("{KB}.log"))),
            "qchain.log" => |w| mkfifo(&w.win("qchain.log")),
            "payload target" => |w| mkfifo(&w.win("system32/agentdpv.dll")),
            "SOFTWARE hive" => |w| mkfifo(&w.win("system32/config/SOFTWARE")),
            "install record" => |w| {
                let dir = w.state("installed");
                fs::create_dir_all(&dir).unwrap();
                mkfifo(&dir.join(format!("{KB}.json")));
            },
        ],
    );
}

/// `/dev/zero` as a character device node; false when not permitted.
fn mknod_zero(at: &Path) -> bool {
    let _ = fs::remove_file(at);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        at,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::from_raw_mode(0o666),
        rustix::fs::makedev(1, 5),
    )
    .is_ok()
}

#[test]
fn device_nodes_are_never_opened() {
    let probe = tempfile::tempdir().unwrap();
    if !mknod_zero(&probe.path().join("zero")) {
        println!("skipped: mknod is not permitted here (not root, or a nodev mount)");
        return;
    }
    run_class(
        "device",
        &attacks![
            "journal" => |w| assert!(mknod_zero(&w.state("journal"))),
            "lock" => |w| assert!(mknod_zero(&w.state("lock"))),
            "KB log" => |w| assert!(mknod_zero(&w.win(&format!("{KB}.log")))),
            "payload target" => |w| assert!(mknod_zero(&w.win("system32/agentdpv.dll"))),
            "SOFTWARE hive" => |w| assert!(mknod_zero(&w.win("system32/config/SOFTWARE"))),
        ],
    );
}

fn sparse(at: &Path, len: u64) {
    fs::File::create(at).unwrap().set_len(len).unwrap();
}

#[test]
fn huge_sparse_files_are_refused_by_their_size() {
    run_class(
        "size",
        &attacks![
            "6 GB SOFTWARE hive" => |w| sparse(&w.win("system32/config/SOFTWARE"), 6 << 30),
            "6 GB payload target" => |w| sparse(&w.win("system32/agentdpv.dll"), 6 << 30),
            "6 GB journal" => |w| sparse(&w.state("journal"), 6 << 30),
            "6 GB in-use list" => |w| sparse(&w.state("inuse.lst"), 6 << 30),
        ],
    );
}

#[test]
fn long_names_and_paths_are_handled() {
    run_class(
        "long path",
        &attacks![
            "a 255-byte name in system32" => |w| fs::write(w.win(&format!("system32/{}", "n".repeat(255))), b"x").unwrap(),
            "a directory chain deeper than PATH_MAX" => |w| {
                // Built relative to each parent: the whole path is too long
                // for one system call.
                let mut dir = rustix::fs::open(w.win("system32"), rustix::fs::OFlags::DIRECTORY, rustix::fs::Mode::empty()).unwrap();
                for _ in 0..24 {
                    let name = "d".repeat(200);
                    rustix::fs::mkdirat(&dir, name.as_str(), rustix::fs::Mode::from_raw_mode(0o755)).unwrap();
                    dir = rustix::fs::openat(&dir, name.as_str(), rustix::fs::OFlags::DIRECTORY, rustix::fs::Mode::empty()).unwrap();
                }
            },
        ],
    );
}

#[test]
fn an_image_whose_own_path_is_near_path_max_is_serviced() {
    let w = World::new();
    // Move the image under a parent path of about 3,900 bytes: every path
    // inside it then exceeds PATH_MAX when spelled from /, which is fine
    // because image paths are resolved from the root's descriptor.
    let mut parent = w.tmp.path().join("deep");
    while parent.as_os_str().len() < 3800 {
        parent.push("p".repeat(200));
    }
    fs::create_dir_all(&parent).unwrap();
    let moved = parent.join("image");
    fs::rename(&w.image, &moved).unwrap();
    let w = World { image: moved, ..w };
    let before = w.host_tree();
    let ends: Vec<End> = w
        .commands()
        .iter()
        .enumerate()
        .map(|(n, args)| run(&w, n, args))
        .collect();
    assert!(
        before == w.host_tree(),
        "the host outside the image changed"
    );
    // install, uninstall and the rest work; only `version`, which takes
    // host paths, meets the kernel's limit and says so.
    let install = &ends[3];
    assert_eq!(*install, End::Success, "{ends:?}");
    println!("long image root: {ends:?}");
}

#[test]
fn service_pack_setup_stays_inside_a_hostile_image() {
    run_class_on(
        "service pack",
        World::service_pack,
        &attacks![
            "svcpack.log to a host file" => |w| replace_with_link(&w.win("svcpack.log"), &w.sentinel("a.txt")),
            "lock" => |w| replace_with_link(&w.state("lock"), &w.sentinel("a.txt")),
            "FIFO journal" => |w| mkfifo(&w.state("journal")),
            "payload target hard-linked to a host file" => |w| replace_with_hard_link(&w.win("system32/authz.dll"), &w.sentinel("victim.dll")),
            "restore point folder" => |w| replace_with_link(&w.state("restore"), &w.sentinel("dir")),
        ],
    );
}

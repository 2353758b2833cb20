//! Hostile images: symbolic links, hard links, FIFOs, device nodes, sparse
//! huge files and long paths planted in an image, then every command run
//! on it. Whatever the image holds, the sentinel tree around the image is
//! byte-identical afterwards, no command hangs or panics, and each either
//! succeeds or says what it refused.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

mod support;
use support::sentinel::{End, KB, World, run};

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

//! `ConfinedFs`: image paths stay inside the image whatever it holds.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use hotfix_fs::{ConfinedFs, Fs, LockAttempt, create_dir_all, remove_tree, write_atomic};
use rustix::fs::{CWD, FileType, Mode};

/// A temporary directory holding `img/` (the confined root) and `host/`
/// (a sentinel file whose bytes must never change).
struct Setup {
    _tmp: tempfile::TempDir,
    img: PathBuf,
    sentinel: PathBuf,
}

const SENTINEL: &[u8] = b"sentinel bytes that must survive";

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("img");
    fs::create_dir_all(img.join("WINDOWS")).unwrap();
    fs::create_dir_all(tmp.path().join("host")).unwrap();
    let sentinel = tmp.path().join("host/sentinel");
    fs::write(&sentinel, SENTINEL).unwrap();
    Setup {
        _tmp: tmp,
        img,
        sentinel,
    }
}

impl Setup {
    fn assert_sentinel_intact(&self) {
        assert_eq!(fs::read(&self.sentinel).unwrap(), SENTINEL);
        let names: Vec<_> = fs::read_dir(self.sentinel.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["sentinel"], "a file appeared outside the image");
    }
}

fn message(r: Result<impl Sized, std::io::Error>) -> String {
    match r {
        Ok(_) => panic!("expected a refusal"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn ordinary_operations_work_inside_the_image() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let d = s.img.join("WINDOWS/a/b");
    assert_eq!(create_dir_all(&fs, &d).unwrap().len(), 2);
    write_atomic(&fs, &d.join("f"), b"one").unwrap();
    write_atomic(&fs, &d.join("f"), b"two").unwrap();
    assert_eq!(fs.read(&d.join("f")).unwrap(), b"two");
    fs.append(&d.join("log"))
        .unwrap()
        .write_all(b"line\n")
        .unwrap();
    fs.append(&d.join("log"))
        .unwrap()
        .write_all(b"line\n")
        .unwrap();
    assert_eq!(fs.read(&d.join("log")).unwrap(), b"line\nline\n");
    fs.hard_link(&d.join("f"), &d.join("g")).unwrap();
    assert_eq!(fs.metadata(&d.join("g")).unwrap().nlink, 2);
    fs.rename(&d.join("g"), &s.img.join("WINDOWS/g")).unwrap();
    fs.set_readonly(&d.join("f"), true).unwrap();
    assert!(fs.metadata(&d.join("f")).unwrap().readonly);
    fs.set_readonly(&d.join("f"), false).unwrap();
    let names: Vec<_> = fs
        .read_dir(&d)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["f", "log"]);
    assert!(fs.metadata(&s.img).unwrap().is_dir());
    assert!(fs.free_space(&s.img).unwrap() > 0);
    fs.sync_fs(&d).unwrap();
    fs.sync_dir(&s.img).unwrap();
    let lock = s.img.join("WINDOWS/lock");
    let held = fs.lock(&lock).unwrap();
    assert!(matches!(fs.try_lock(&lock).unwrap(), LockAttempt::Busy));
    drop(held);
    remove_tree(&fs, &s.img.join("WINDOWS/a")).unwrap();
    assert!(!fs.exists(&d));
    // Host paths are served as by OsFs.
    assert_eq!(fs.read(&s.sentinel).unwrap(), SENTINEL);
}

#[test]
fn symbolic_links_in_the_image_are_never_followed() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let win = s.img.join("WINDOWS");
    symlink(&s.sentinel, win.join("KB1.log")).unwrap();
    symlink(s.sentinel.parent().unwrap(), win.join("linkdir")).unwrap();
    symlink("../../host/sentinel", win.join("relative")).unwrap();
    symlink("/nonexistent-host-file", win.join("dangling")).unwrap();
    for name in ["KB1.log", "relative", "dangling"] {
        let p = win.join(name);
        assert!(message(fs.create(&p)).contains("symbolic link"), "{name}");
        assert!(message(fs.append(&p)).contains("symbolic link"), "{name}");
        assert!(message(fs.read(&p)).contains("symbolic link"), "{name}");
        assert!(message(fs.try_lock(&p)).contains("symbolic link"), "{name}");
        assert!(message(fs.set_readonly(&p, true)).contains("symbolic link"));
        assert!(message(fs.open_read_at(&p)).contains("symbolic link"));
        // The link itself is an object of the image: seen, not followed.
        assert!(!fs.metadata(&p).unwrap().is_file());
    }
    // Through a linked directory, nothing resolves.
    let through = win.join("linkdir/sentinel");
    assert!(message(fs.read(&through)).contains("symbolic link"));
    assert!(message(fs.create(&win.join("linkdir/new"))).contains("symbolic link"));
    assert!(message(fs.create_dir(&win.join("linkdir/new"))).contains("symbolic link"));
    assert!(message(fs.remove_file(&through)).contains("symbolic link"));
    assert!(message(fs.rename(&win.join("KB1.log"), &through)).contains("symbolic link"));
    assert!(message(fs.hard_link(&through, &win.join("x"))).contains("symbolic link"));
    assert!(message(fs.read_dir(&win.join("linkdir"))).contains("symbolic link"));
    assert!(message(fs.metadata(&through)).contains("symbolic link"));
    // Removing or replacing a link touches the link only.
    fs.remove_file(&win.join("KB1.log")).unwrap();
    fs::write(win.join("new"), b"x").unwrap();
    fs.rename(&win.join("new"), &win.join("relative")).unwrap();
    s.assert_sentinel_intact();
}

#[test]
fn a_linked_image_root_subdirectory_and_dotdot_are_refused() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let escape = s.img.join("WINDOWS/../../host/sentinel");
    assert!(message(fs.create(&escape)).contains("plain names"));
    assert!(message(fs.remove_file(&escape)).contains("plain names"));
    // One end inside, one outside: refused rather than served half-confined.
    let inside = s.img.join("WINDOWS/f");
    fs::write(&inside, b"x").unwrap();
    assert!(message(fs.rename(&inside, &s.sentinel)).contains("outside"));
    assert!(message(fs.hard_link(&s.sentinel, &inside.with_extension("2"))).contains("outside"));
    s.assert_sentinel_intact();
}

#[test]
fn hard_links_to_outside_files_are_not_written_through() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let linked = s.img.join("WINDOWS/KB2.log");
    fs::hard_link(&s.sentinel, &linked).unwrap();
    assert!(message(fs.create(&linked)).contains("hard links"));
    assert!(message(fs.append(&linked)).contains("hard links"));
    // Reading it, replacing its name and removing its name leave the
    // other name alone.
    assert_eq!(fs.read(&linked).unwrap(), SENTINEL);
    write_atomic(&fs, &linked, b"replaced").unwrap();
    fs.remove_file(&linked).unwrap();
    s.assert_sentinel_intact();
}

#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let fifo = s.img.join("WINDOWS/journal");
    rustix::fs::mkfifoat(CWD, &fifo, Mode::from_raw_mode(0o644)).unwrap();
    // Each of these would block forever on an ordinary open.
    assert!(message(fs.read(&fifo)).contains("FIFO"));
    assert!(message(fs.open(&fifo)).contains("FIFO"));
    assert!(message(fs.create(&fifo)).contains("FIFO"));
    assert!(message(fs.append(&fifo)).contains("FIFO"));
    assert!(message(fs.lock(&fifo)).contains("FIFO"));
    assert!(message(fs.read_dir(&fifo)).contains("FIFO"));
    let dev = s.img.join("WINDOWS/null");
    match rustix::fs::mknodat(
        CWD,
        &dev,
        FileType::CharacterDevice,
        Mode::from_raw_mode(0o666),
        rustix::fs::makedev(1, 3),
    ) {
        Ok(()) => {
            assert!(message(fs.read(&dev)).contains("character device"));
            assert!(message(fs.create(&dev)).contains("character device"));
        }
        Err(e) => println!("skipped the device node: mknod: {e}"),
    }
    s.assert_sentinel_intact();
}

#[test]
fn reads_are_bounded_by_size_before_reading() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let hive = s.img.join("WINDOWS/SOFTWARE");
    // Sparse: six gigabytes declared, nothing allocated.
    fs::File::create(&hive).unwrap().set_len(6 << 30).unwrap();
    let e = fs.read(&hive).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileTooLarge);
    assert!(e.to_string().contains("SOFTWARE"), "{e}");
    assert!(
        e.to_string()
            .contains(&hotfix_fs::DEFAULT_READ_LIMIT.to_string())
    );
    let small = s.img.join("WINDOWS/small");
    fs::write(&small, [0u8; 100]).unwrap();
    assert_eq!(fs.read_limited(&small, 100).unwrap().len(), 100);
    assert_eq!(
        fs.read_limited(&small, 99).unwrap_err().kind(),
        ErrorKind::FileTooLarge
    );
}

#[test]
fn over_long_names_are_refused_with_the_limit() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img);
    let long = s.img.join("WINDOWS").join("n".repeat(300));
    let m = message(fs.create(&long));
    assert!(m.contains("NAME_MAX"), "{m}");
    let deep: PathBuf = std::iter::repeat_n("d".repeat(200), 25).collect();
    let m = message(fs.create_dir(&s.img.join(&deep)));
    assert!(m.contains("PATH_MAX"), "{m}");
    assert!(hotfix_fs::check_path_len(Path::new("WINDOWS/ok")).is_ok());
}

#[test]
fn a_missing_root_is_reported_by_the_operation() {
    let s = setup();
    let fs = ConfinedFs::new(&s.img.join("absent"));
    let e = fs.read_dir(&s.img.join("absent")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

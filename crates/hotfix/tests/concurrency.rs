#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
//! Issue 5, item 8: two `hotfix` processes on one image never both write.
//! The test holds the image lock in-process; the binary refuses with
//! `--no-wait` and otherwise says it waits, then finishes once the lock is
//! released.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use hotfix_engine::{Session, Wait};
use hotfix_fs::OsFs;
use hotfix_testkit::fixture::{OVERLAPPING, generate_image};

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");

#[test]
fn a_second_process_refuses_with_no_wait_and_otherwise_waits_its_turn() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("image");
    generate_image(&OsFs, &root, &OVERLAPPING[..1]).unwrap();
    let held = Session::open(&OsFs, &root, Wait::NoWait, &mut hotfix_engine::Silent).unwrap();

    let out = Command::new(BIN)
        .args(["list", "--no-wait", "--image"])
        .arg(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(67), "1603 & 0xff; stderr: {stderr}");
    assert!(stderr.contains("another hotfix process"), "{stderr}");
    assert!(stderr.contains("0xf0f8"), "{stderr}");

    let mut child = Command::new(BIN)
        .args(["list", "--image"])
        .arg(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the waiting process said nothing");
    assert!(
        line.contains("waiting for another hotfix process"),
        "{line}"
    );
    // Still waiting: it must not have finished while we hold the lock.
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "it ran under our lock");
    drop(held);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success(), "{status}");
}

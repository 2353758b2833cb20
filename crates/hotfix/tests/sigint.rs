#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
//! Issue 6, item 2: a real SIGINT to `hotfix sp install` before the point of
//! no return cancels setup cleanly: the message, exit code 1603 with
//! 0xf00d, "Setup canceled" in svcpack.log, and an image exactly as it was.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotfix_fs::OsFs;
use hotfix_testkit::snapshot;

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");

fn run(args: &[&str]) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// Whether process `pid` has a handler for SIGINT (bit 1 of `SigCgt`).
fn catches_sigint(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (2 - 1)) != 0)
}

#[test]
fn sigint_before_the_point_of_no_return_cancels_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let image = dir.path().join("image");
    let out = dir.path().join("sp");
    run(&["image", "new", "--sp", "1", &s(&image)]);
    // Large enough that opening and checking it outlasts the signal's way.
    run(&["synth-sp", "--sp", "2", "--scale", "0.2", "--out", &s(&out)]);
    let pkg = out.join("WindowsXP-KB835935-SP2-ENU.exe");
    let before = snapshot(&OsFs, &image).unwrap();

    let child = Command::new(BIN)
        .args(["sp", "install", "--image", &s(&image), &s(&pkg)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !catches_sigint(child.id()) {
        assert!(Instant::now() < deadline, "no SIGINT handler was installed");
        std::thread::sleep(Duration::from_millis(1));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    // 1603 as a Unix exit status keeps its low byte.
    assert_eq!(done.status.code(), Some(1603 & 0xff), "{stderr}");
    assert!(stderr.contains("exit code 1603"), "{stderr}");
    assert!(stderr.contains("cancelling"), "{stderr}");
    let log = std::fs::read_to_string(image.join("WINDOWS/svcpack.log")).unwrap();
    assert!(log.contains("Setup canceled"), "{log}");
    assert!(log.contains("0xf00d"), "{log}");
    let after = snapshot(&OsFs, &image).unwrap();
    assert_eq!(before.diff(&after), None);
}

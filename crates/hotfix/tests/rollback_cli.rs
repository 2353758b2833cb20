#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
//! The user's view of a roll back that cannot finish: the disk turns
//! read-only during `hotfix install` (HOTFIX_FAULT=N:erofs, test builds
//! only). The command fails, says that rolling back failed and what to do;
//! the next command (`hotfix list`), with the cause gone, finishes the roll
//! back first, and the image is exactly as before the install.

use std::path::Path;
use std::process::{Command, Output};

use hotfix_fs::OsFs;
use hotfix_testkit::fixture::{FROZEN_TIME, OVERLAPPING, generate_image, packages};
use hotfix_testkit::snapshot;

mod support;
use support::tree::copy_tree;

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");

fn install(image: &Path, pkgs: &[std::path::PathBuf], fault: &str) -> Output {
    Command::new(BIN)
        .args(["install", "--image"])
        .arg(image)
        .args(["/quiet", "/norestart"])
        .args(pkgs)
        .env("SOURCE_DATE_EPOCH", FROZEN_TIME.to_string())
        .env("HOTFIX_FAULT", fault)
        .output()
        .unwrap()
}

#[test]
fn a_read_only_disk_mid_install_is_recovered_by_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    generate_image(&OsFs, &pristine, &OVERLAPPING).unwrap();
    let mut pkgs = Vec::new();
    for p in packages(&OVERLAPPING).unwrap() {
        let path = dir.path().join(&p.file_name);
        std::fs::write(&path, &p.bytes).unwrap();
        pkgs.push(path);
    }
    let pre = snapshot(&OsFs, &pristine).unwrap();
    let work = dir.path().join("work");
    // Steps early in the run fail before the journal; look for one in the
    // switch, where the roll back itself needs writes (bounded search).
    for step in (40..400).step_by(20) {
        let _ = std::fs::remove_dir_all(&work);
        copy_tree(&pristine, &work);
        let out = install(&work, &pkgs, &format!("{step}:erofs"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "step {step}: the fault did not fail it"
        );
        if !stderr.contains("rolling back also failed") {
            continue;
        }
        assert!(
            stderr.contains("Read-only file system") && stderr.contains("hotfix list --image"),
            "step {step}: {stderr}"
        );
        let listed = Command::new(BIN)
            .args(["list", "--image"])
            .arg(&work)
            .output()
            .unwrap();
        assert!(
            listed.status.success(),
            "{}",
            String::from_utf8_lossy(&listed.stderr)
        );
        let got = snapshot(&OsFs, &work).unwrap();
        assert_eq!(
            got.diff(&pre),
            None,
            "step {step}: not the pre-state after recovery"
        );
        eprintln!("step {step}: the roll back stopped; `hotfix list` finished it: pre-state");
        return;
    }
    panic!("no step between 40 and 400 stopped the roll back");
}

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
//! Issue 5, item 3: the real binary on a real image, killed with SIGKILL
//! at seeded random moments (20 times, bounded by the clean run's length),
//! and as soon as its journal appears (5 times), then `hotfix list` (which
//! recovers first): the image is exactly the pre- or the post-state every
//! time, and at least one kill left a journal behind, so recovery really
//! had an interrupted transaction to roll back or finish.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotfix_fs::OsFs;
use hotfix_testkit::fixture::{FROZEN_TIME, OVERLAPPING, generate_image, packages};
use hotfix_testkit::{Snapshot, snapshot};

mod support;
use support::tree::copy_tree;

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");
const KILLS: usize = 20;
/// Kills that wait for the journal instead of a random delay.
const JOURNAL_KILLS: usize = 5;
/// Polls for the journal before such a kill gives up (the clean run takes
/// well under a second; a poll is a `stat`).
const MAX_POLLS: usize = 200_000;

/// The transaction journal of an image (`%windir%\$hotfix$\journal`).
fn journal(image: &Path) -> std::path::PathBuf {
    image.join("WINDOWS").join("$hotfix$").join("journal")
}

fn install(image: &Path, pkgs: &[std::path::PathBuf]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["install", "--image"])
        .arg(image)
        .args(["/quiet", "/norestart"])
        .args(pkgs)
        .env("SOURCE_DATE_EPOCH", FROZEN_TIME.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn snap(image: &Path) -> Snapshot {
    snapshot(&OsFs, image).unwrap()
}

#[test]
fn sigkill_at_random_moments_leaves_pre_or_post() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    generate_image(&OsFs, &pristine, &OVERLAPPING).unwrap();
    let mut pkgs = Vec::new();
    for p in packages(&OVERLAPPING).unwrap() {
        let path = dir.path().join(&p.file_name);
        std::fs::write(&path, &p.bytes).unwrap();
        pkgs.push(path);
    }
    let pre = snap(&pristine);
    let work = dir.path().join("work");
    copy_tree(&pristine, &work);
    let started = Instant::now();
    let status = install(&work, &pkgs).status().unwrap();
    let clean = started.elapsed();
    assert!(status.success(), "{status}");
    let post = snap(&work);

    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    assert!(!journal(&work).exists(), "a finished run left its journal");
    let (mut to_pre, mut to_post, mut interrupted) = (0, 0, 0);
    for i in 0..KILLS + JOURNAL_KILLS {
        std::fs::remove_dir_all(&work).unwrap();
        copy_tree(&pristine, &work);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = clean.mul_f64((seed % 1000) as f64 / 1000.0);
        let mut child = install(&work, &pkgs).spawn().unwrap();
        if i < KILLS {
            std::thread::sleep(delay);
        } else {
            let mut polls = 0;
            while !journal(&work).exists() && polls < MAX_POLLS {
                std::thread::yield_now();
                polls += 1;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if journal(&work).exists() {
            interrupted += 1;
        }
        let listed = Command::new(BIN)
            .args(["list", "--image"])
            .arg(&work)
            .output()
            .unwrap();
        assert!(
            listed.status.success(),
            "kill {i}: {}",
            String::from_utf8_lossy(&listed.stderr)
        );
        assert!(
            !journal(&work).exists(),
            "kill {i}: recovery left the journal"
        );
        let got = snap(&work);
        if got == pre {
            to_pre += 1;
        } else if got == post {
            to_post += 1;
        } else {
            panic!(
                "kill {i} after {delay:?}: neither pre ({}) nor post ({})",
                got.diff(&pre).unwrap_or_default(),
                got.diff(&post).unwrap_or_default()
            );
        }
        assert!(started.elapsed() < Duration::from_secs(120), "too slow");
    }
    let kills = KILLS + JOURNAL_KILLS;
    eprintln!(
        "{kills} kills (clean run {clean:?}): {to_pre} pre, {to_post} post, {interrupted} left a journal to recover"
    );
    assert!(
        interrupted > 0,
        "no kill interrupted a transaction ({to_pre} pre, {to_post} post): the test proved nothing"
    );
}

//! Oracle: Wine's `wineboot -r` runs the `PendingFileRenameOperations` we
//! write (exported as a .reg, imported into a fresh prefix holding the same
//! files under `drive_c`) to the same files as our `restart`.
//!
//! Skips when wine64 is missing or cannot boot a prefix here (no display,
//! broken install); under HOTFIX_REQUIRE_ORACLES=1, as in CI, which
//! installs a working wine, either is a failure. About 15 s.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use rules_support::*;

fn wine() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("wine64"));
    on_path
        .chain([PathBuf::from("/usr/lib/wine/wine64")])
        .find(|p| p.is_file())
}

fn run(wine: &Path, prefix: &Path, args: &[&str]) -> bool {
    Command::new(wine)
        .args(args)
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env_remove("DISPLAY")
        .output()
        .is_ok_and(|o| o.status.success() || args[0] == "wineboot")
}

/// A UTF-16LE .reg (with BOM; Wine widens an ASCII file's hex(7) twice)
/// holding just the queue value.
fn reg_file(raw: &[u8]) -> Vec<u8> {
    let hex: Vec<String> = raw.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager]\r\n\"PendingFileRenameOperations\"=hex(7):{}\r\n\r\n",
        hex.join(",")
    );
    let mut out = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

/// Skips the test with `why`, or fails it when CI requires the oracles: a
/// Wine that is installed but cannot run must not pass silently there.
fn skip(why: &str) {
    if std::env::var("HOTFIX_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("{why} and HOTFIX_REQUIRE_ORACLES=1");
    }
    println!("skipped: {why}");
}

#[test]
fn wineboot_runs_our_queue_like_restart() {
    let Some(wine) = wine() else {
        return skip("wine64 not installed");
    };
    // foo.dll is queued (R5); kernel32.dll is a KnownDLL, swapped with a
    // queued delete of the moved-aside copy (R6). Wine's own kernel32.dll
    // is never touched: only the queue's own names are placed in the prefix.
    let a = update(
        "KB940001",
        [
            both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
            both("kernel32.dll", "5.1.2600.3000", "5.1.2600.3001"),
        ]
        .concat(),
    );
    let lab = lab(std::slice::from_ref(&a));
    lab.lock(&[
        "C:\\WINDOWS\\system32\\foo.dll",
        "C:\\WINDOWS\\system32\\kernel32.dll",
    ]);
    lab.install(&[package(&a)]);
    let value = lab
        .system()
        .get(SM, "PendingFileRenameOperations")
        .cloned()
        .expect("queue");
    let strings = value.as_multi_sz().expect("multi sz").to_vec();
    let names: Vec<String> = strings
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.rsplit('\\').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names.len(), 3, "{strings:?}");
    let before: Vec<(String, Option<Vec<u8>>)> = names
        .iter()
        .map(|n| (n.clone(), lab.read(&format!("C:\\WINDOWS\\system32\\{n}"))))
        .collect();
    lab.restart();

    let dir = tempfile::tempdir().expect("tempdir");
    let prefix = dir.path().join("prefix");
    if !run(&wine, &prefix, &["wineboot", "-i"]) {
        return skip("wine64 could not create a prefix here");
    }
    let sys32 = prefix.join("drive_c/windows/system32");
    if !sys32.is_dir() {
        return skip("wine64 created no drive_c/windows/system32 here");
    }
    for (name, bytes) in &before {
        if let Some(b) = bytes {
            std::fs::write(sys32.join(name), b).expect("place file");
        }
    }
    let reg = dir.path().join("pfro.reg");
    std::fs::write(&reg, reg_file(&value.to_raw())).expect("reg");
    assert!(
        run(
            &wine,
            &prefix,
            &["reg", "import", reg.to_str().expect("utf8")]
        ),
        "wine reg import failed"
    );
    run(&wine, &prefix, &["wineboot", "-r"]);
    let _ = Command::new(wine.with_file_name("wineserver"))
        .arg("-k")
        .env("WINEPREFIX", &prefix)
        .status();
    for (name, _) in &before {
        let ours = lab.read(&format!("C:\\WINDOWS\\system32\\{name}"));
        let theirs = std::fs::read(sys32.join(name)).ok();
        assert_eq!(
            ours.as_ref().map(|b| b.len()),
            theirs.as_ref().map(|b| b.len()),
            "{name}: hotfix restart and wineboot -r disagree"
        );
        assert!(ours == theirs, "{name}: bytes differ");
    }
    let system_reg = std::fs::read(prefix.join("system.reg")).expect("system.reg");
    assert!(
        !String::from_utf8_lossy(&system_reg).contains("PendingFileRenameOperations"),
        "wineboot removed the value"
    );
}

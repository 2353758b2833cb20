//! Rules R5/R6 and the boot-time queue: in-use files are staged and queued
//! in the exact Windows format, at most one entry per target; `restart`
//! runs the queue as Session Manager does; `chain` is QChain.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_engine::{FileAction, Outcome};
use hotfix_fs::Fs;
use hotfix_hive::Value;
use rules_support::*;

const FOO: &str = "C:\\WINDOWS\\system32\\foo.dll";
const BAR: &str = "C:\\WINDOWS\\system32\\bar.dll";

#[test]
fn in_use_file_is_queued_in_the_windows_format() {
    let a = foo_update("KB930001", "5.1.2600.3000", "5.1.2600.3001");
    let lab = lab(std::slice::from_ref(&a));
    let before = lab.read(FOO).expect("foo");
    lab.lock(&[FOO]);
    let report = lab.install(&[package(&a)]);
    assert_eq!(report.outcome, Outcome::RestartRequired);
    assert_eq!(report.outcome.code(), 3010);
    assert_eq!(report.packages[0].count(FileAction::Queued), 1);
    assert_eq!(lab.read(FOO), Some(before), "the running copy is untouched");
    let staged = "C:\\WINDOWS\\system32\\foo.dll.hfKB930001";
    assert_eq!(lab.version(staged), Some(v("5.1.2600.3000")));
    let value = lab
        .system()
        .get(SM, "PendingFileRenameOperations")
        .cloned()
        .expect("queue value");
    assert_eq!(value.kind(), 7, "REG_MULTI_SZ");
    let strings = value.as_multi_sz().expect("multi sz").to_vec();
    assert_eq!(
        strings,
        [
            "\\??\\C:\\WINDOWS\\system32\\foo.dll.hfKB930001",
            "!\\??\\C:\\WINDOWS\\system32\\foo.dll",
        ]
    );
    let raw = value.to_raw();
    let text: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let expected: Vec<u16> = "\\??\\C:\\WINDOWS\\system32\\foo.dll.hfKB930001\0!\\??\\C:\\WINDOWS\\system32\\foo.dll\0\0"
        .encode_utf16()
        .collect();
    assert_eq!(text, expected, "UTF-16LE strings ending in a double NUL");
}

#[test]
fn two_packages_leave_one_entry_per_target() {
    let a = foo_update("KB930002", "5.1.2600.3000", "5.1.2600.3001");
    let b = foo_update("KB930003", "5.1.2600.3100", "5.1.2600.3101");
    for order in [[&a, &b], [&b, &a]] {
        let lab = lab(&[a.clone(), b.clone()]);
        lab.lock(&[FOO]);
        lab.install(&[package(order[0])]);
        lab.install(&[package(order[1])]);
        let q = lab.queue().expect("queue");
        assert_eq!(
            q,
            [
                "\\??\\C:\\WINDOWS\\system32\\foo.dll.hfKB930003",
                "!\\??\\C:\\WINDOWS\\system32\\foo.dll",
            ]
        );
        assert!(!lab.exists("C:\\WINDOWS\\system32\\foo.dll.hfKB930002"));
        lab.restart();
        assert_eq!(lab.version(FOO), Some(v("5.1.2600.3100")));
    }
}

#[test]
fn a_known_dll_is_swapped_and_its_old_copy_deleted_at_restart() {
    let k3 = update(
        "KB930004",
        both("kernel32.dll", "5.1.2600.3003", "5.1.2600.3103"),
    );
    let k2 = update(
        "KB930005",
        both("kernel32.dll", "5.1.2600.3002", "5.1.2600.3102"),
    );
    let lab = lab(&[k3.clone(), k2.clone()]);
    let k32 = "C:\\WINDOWS\\system32\\kernel32.dll";
    lab.lock(&[k32]);
    let report = lab.install(&[package(&k3)]);
    assert_eq!(report.outcome, Outcome::RestartRequired);
    assert_eq!(report.packages[0].count(FileAction::KnownDllSwap), 1);
    assert_eq!(lab.version(k32), Some(v("5.1.2600.3003")));
    lab.install(&[package(&k2)]);
    assert_eq!(lab.version(k32), Some(v("5.1.2600.3003")));
    let q = lab.queue().expect("queue");
    assert_eq!(q, ["\\??\\C:\\WINDOWS\\system32\\kernel32.dll.hfold1", ""]);
    lab.restart();
    assert_eq!(lab.version(k32), Some(v("5.1.2600.3003")));
    assert!(!lab.exists("C:\\WINDOWS\\system32\\kernel32.dll.hfold1"));
    assert_eq!(lab.queue(), None);
}

/// A queue written by hand: PFRO with a replace, a delete and a plain
/// rename, PFRO2 with one more replace of the same target.
fn hand_queue(lab: &Lab, a: &[u8], b: &[u8]) {
    lab.write("C:\\WINDOWS\\system32\\foo.new1", a);
    lab.write("C:\\WINDOWS\\system32\\foo.new2", b);
    lab.write("C:\\WINDOWS\\system32\\junk.tmp", b"junk");
    lab.write("C:\\WINDOWS\\system32\\a.txt", b"a");
    lab.edit_system(|h| {
        let s = |v: &[&str]| Value::MultiSz(v.iter().map(|s| (*s).to_owned()).collect());
        h.set(
            SM,
            "PendingFileRenameOperations",
            s(&[
                "\\??\\C:\\WINDOWS\\system32\\foo.new1",
                "!\\??\\C:\\WINDOWS\\system32\\foo.dll",
                "\\??\\C:\\WINDOWS\\system32\\junk.tmp",
                "",
                "\\??\\C:\\WINDOWS\\system32\\a.txt",
                "\\??\\C:\\WINDOWS\\system32\\b.txt",
            ]),
        )
        .expect("set");
        h.set(
            SM,
            "PendingFileRenameOperations2",
            s(&[
                "\\??\\C:\\WINDOWS\\system32\\foo.new2",
                "!\\??\\C:\\WINDOWS\\system32\\foo.dll",
            ]),
        )
        .expect("set");
        h.set(SM, "AllowProtectedRenames", Value::Dword(1))
            .expect("set");
    });
}

#[test]
fn restart_runs_both_values_in_order_and_clears_them() {
    let a = foo_update("KB930006", "5.1.2600.3000", "5.1.2600.3001");
    let lab = lab(std::slice::from_ref(&a));
    let pkg = package(&a);
    let (first, second) = (
        payload(&pkg, "SP2QFE\\foo.dll"),
        payload(&pkg, "SP2GDR\\foo.dll"),
    );
    hand_queue(&lab, &first, &second);
    let report = lab.restart();
    assert_eq!(report.steps.len(), 4);
    // PFRO2 runs after PFRO: its copy is the one left in place.
    assert_eq!(lab.read(FOO), Some(second));
    assert!(!lab.exists("C:\\WINDOWS\\system32\\foo.new1"));
    assert!(!lab.exists("C:\\WINDOWS\\system32\\foo.new2"));
    assert!(!lab.exists("C:\\WINDOWS\\system32\\junk.tmp"));
    assert!(!lab.exists("C:\\WINDOWS\\system32\\a.txt"));
    assert_eq!(
        lab.read("C:\\WINDOWS\\system32\\b.txt").as_deref(),
        Some(&b"a"[..])
    );
    let sys = lab.system();
    for name in [
        "PendingFileRenameOperations",
        "PendingFileRenameOperations2",
        "AllowProtectedRenames",
    ] {
        assert!(sys.get(SM, name).is_none(), "{name} removed");
    }
    let done = lab.snapshot();
    let again = lab.restart();
    assert!(again.steps.is_empty());
    assert_eq!(image_diff(&done, &lab.snapshot()), Vec::<String>::new());
}

#[test]
fn chain_keeps_the_newest_entry_per_target() {
    let a = foo_update("KB930007", "5.1.2600.3000", "5.1.2600.3001");
    let b = foo_update("KB930008", "5.1.2600.3100", "5.1.2600.3101");
    let (old, new) = (
        payload(&package(&a), "SP2GDR\\foo.dll"),
        payload(&package(&b), "SP2GDR\\foo.dll"),
    );
    // Older queued after newer, and newer after older (Q296861).
    for (first, second) in [(&new, &old), (&old, &new)] {
        let lab = lab(&[a.clone(), b.clone()]);
        lab.write("C:\\WINDOWS\\system32\\foo.q1", first);
        lab.write("C:\\WINDOWS\\system32\\foo.q2", second);
        lab.edit_system(|h| {
            let q: Vec<String> = [
                "\\??\\C:\\WINDOWS\\system32\\foo.q1",
                "!\\??\\C:\\WINDOWS\\system32\\foo.dll",
                "\\??\\C:\\WINDOWS\\system32\\foo.q2",
                "!\\??\\C:\\WINDOWS\\system32\\foo.dll",
            ]
            .map(String::from)
            .to_vec();
            h.set(SM, "PendingFileRenameOperations", Value::MultiSz(q))
                .expect("set");
        });
        let log_path = std::path::PathBuf::from("/img/qchain.log");
        let report = lab.chain(Some(&log_path));
        assert_eq!((report.before, report.after), (2, 1));
        let q = lab.queue().expect("queue");
        assert_eq!(q.len(), 2);
        let survivor = lab.read(&q[0].replace("\\??\\", "")).expect("source");
        assert_eq!(&survivor, &new);
        let log = String::from_utf8(lab.fs.read(&log_path).expect("log")).expect("utf8");
        assert!(log.starts_with("---- Old Information In The Registry ------\r\n"));
        assert!(log.contains("---- New Information In The Registry ------"));
        assert!(log.contains("Source:C:\\WINDOWS\\system32\\foo.q"), "{log}");
        assert!(log.contains("Version: 5.1.2600.3100"), "{log}");
        assert!(log.contains("Version: 5.1.2600.3000"), "{log}");
        assert!(
            log.contains("Destination:C:\\WINDOWS\\system32\\foo.dll"),
            "{log}"
        );
        lab.restart();
        assert_eq!(lab.read(FOO), Some(new.clone()));
    }
}

#[test]
fn chain_drops_an_entry_whose_target_is_already_newer() {
    let a = update(
        "KB930009",
        both("bar.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let b = update(
        "KB930010",
        both("bar.dll", "5.1.2600.3100", "5.1.2600.3101"),
    );
    let lab = lab(&[a.clone(), b.clone()]);
    lab.install(&[package(&b)]);
    lab.write(
        "C:\\WINDOWS\\system32\\bar.q1",
        &payload(&package(&a), "SP2GDR\\bar.dll"),
    );
    lab.edit_system(|h| {
        let q = [
            "\\??\\C:\\WINDOWS\\system32\\bar.q1",
            "!\\??\\C:\\WINDOWS\\system32\\bar.dll",
        ]
        .map(String::from)
        .to_vec();
        h.set(SM, "PendingFileRenameOperations", Value::MultiSz(q))
            .expect("set");
    });
    let report = lab.chain(None);
    assert_eq!((report.before, report.after), (1, 0));
    assert_eq!(lab.queue(), None);
    assert!(!lab.exists("C:\\WINDOWS\\system32\\bar.q1"));
    assert_eq!(lab.version(BAR), Some(v("5.1.2600.3100")));
    let log = String::from_utf8(lab.read("C:\\WINDOWS\\qchain.log").expect("log")).expect("utf8");
    assert!(log.contains("Destination:C:\\WINDOWS\\system32\\bar.dll"));
}

//! What the booted system sees: a KnownDLL is always swapped, never queued
//! for a replace (R6); a queued rename of a protected file sets
//! `AllowProtectedRenames`; without `/norestart` the restart step runs at
//! the end of the install; Session Manager's pass removes the directories
//! its deletes emptied, and only those.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_engine::{FileAction, InstallOptions, Outcome};
use hotfix_fs::Fs;
use hotfix_hive::Value;
use rules_support::*;

const FOO: &str = "C:\\WINDOWS\\system32\\foo.dll";
const K32: &str = "C:\\WINDOWS\\system32\\kernel32.dll";

fn kernel32(kb: &str, gdr: &str, qfe: &str) -> hotfix_dataset::Update {
    update(kb, both("kernel32.dll", gdr, qfe))
}

/// Whether the queue has a replace (`!`) entry for `target`.
fn has_replace_for(queue: &[String], target: &str) -> bool {
    queue
        .iter()
        .any(|s| s.eq_ignore_ascii_case(&format!("!\\??\\{target}")))
}

#[test]
fn a_known_dll_not_in_use_is_swapped_all_the_same() {
    let k = kernel32("KB931001", "5.1.2600.3003", "5.1.2600.3103");
    let lab = lab(std::slice::from_ref(&k));
    let old = lab.read(K32).expect("kernel32");
    let report = lab.install(&[package(&k)]);
    assert_eq!(report.packages[0].count(FileAction::KnownDllSwap), 1);
    assert_eq!(report.outcome, Outcome::RestartRequired);
    assert_eq!(lab.version(K32), Some(v("5.1.2600.3003")));
    let aside = "C:\\WINDOWS\\system32\\kernel32.dll.hfold1";
    assert_eq!(lab.read(aside), Some(old), "the mapped copy is moved aside");
    let q = lab.queue().expect("queue");
    assert_eq!(q, [format!("\\??\\{aside}"), String::new()]);
    assert!(!has_replace_for(&q, K32));
    lab.restart();
    assert!(!lab.exists(aside));
    assert_eq!(lab.version(K32), Some(v("5.1.2600.3003")));
}

#[test]
fn in_a_batch_the_newest_known_dll_wins_and_it_is_never_a_replace_entry() {
    let newer = kernel32("KB931002", "5.1.2600.3005", "5.1.2600.3105");
    let older = kernel32("KB931003", "5.1.2600.3004", "5.1.2600.3104");
    for order in [[&newer, &older], [&older, &newer]] {
        let lab = lab(&[newer.clone(), older.clone()]);
        let pkgs = [package(order[0]), package(order[1])];
        lab.install(&pkgs);
        assert_eq!(lab.version(K32), Some(v("5.1.2600.3005")));
        let q = lab.queue().expect("queue");
        assert_eq!(
            q,
            ["\\??\\C:\\WINDOWS\\system32\\kernel32.dll.hfold1", ""],
            "one aside copy, deleted at restart"
        );
        assert!(!lab.exists("C:\\WINDOWS\\system32\\kernel32.dll.hfold2"));
    }
}

#[test]
fn a_queued_rename_of_a_protected_file_allows_protected_renames() {
    let a = foo_update("KB931004", "5.1.2600.3000", "5.1.2600.3001");
    let sm_value = |lab: &Lab| lab.system().get(SM, "AllowProtectedRenames").cloned();
    // Not protected: no dllcache copy.
    let plain = lab(std::slice::from_ref(&a));
    plain.lock(&[FOO]);
    plain.install(&[package(&a)]);
    assert!(plain.queue().is_some());
    assert_eq!(sm_value(&plain), None);
    // Under Windows File Protection: a copy in system32\dllcache.
    let lab = lab(std::slice::from_ref(&a));
    let dllcache = lab.host("C:\\WINDOWS\\system32").join("dllcache");
    if !lab.fs.exists(&dllcache) {
        lab.fs.create_dir(&dllcache).expect("dllcache");
    }
    let cached = lab.read(FOO).expect("foo");
    lab.write("C:\\WINDOWS\\system32\\dllcache\\foo.dll", &cached);
    lab.lock(&[FOO]);
    lab.install(&[package(&a)]);
    let value = sm_value(&lab).expect("AllowProtectedRenames set");
    assert_eq!(value.as_dword(), Some(1), "REG_DWORD 1: {value:?}");
    // The boot that renames it clears it.
    lab.restart();
    assert_eq!(sm_value(&lab), None);
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3000")));
}

#[test]
fn without_norestart_the_restart_step_runs_at_the_end_of_the_install() {
    let a = foo_update("KB931005", "5.1.2600.3000", "5.1.2600.3001");
    let k = kernel32("KB931006", "5.1.2600.3003", "5.1.2600.3103");
    let lab = lab(&[a.clone(), k.clone()]);
    lab.lock(&[FOO, K32]);
    let o = InstallOptions {
        command_line: "hotfix install /quiet".into(),
        restart: true,
        ..Default::default()
    };
    let report = lab
        .install_with(&[package(&a), package(&k)], &o)
        .expect("install");
    assert_eq!(report.outcome, Outcome::Success, "the machine restarted");
    let steps = report.restarted.expect("the restart step ran").steps;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(steps.iter().all(|s| s.result != "skipped"), "{steps:?}");
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3000")));
    assert_eq!(lab.version(K32), Some(v("5.1.2600.3003")));
    assert_eq!(lab.queue(), None);
    for left in ["foo.dll.hfKB931005", "kernel32.dll.hfold1"] {
        assert!(!lab.exists(&format!("C:\\WINDOWS\\system32\\{left}")));
    }
    assert!(
        lab.log("KB931005")
            .contains("the restart step was performed")
    );
    // The same install with /norestart waits for `hotfix restart`.
    let lab2 = rules_support::lab(&[a.clone(), k.clone()]);
    lab2.lock(&[FOO, K32]);
    let report = lab2.install(&[package(&a), package(&k)]);
    assert_eq!(report.outcome, Outcome::RestartRequired);
    assert!(report.restarted.is_none());
    assert_eq!(lab2.queue().map(|q| q.len()), Some(4));
}

#[test]
fn restart_removes_the_directories_its_deletes_emptied_and_no_others() {
    let a = foo_update("KB931007", "5.1.2600.3000", "5.1.2600.3001");
    let lab = lab(std::slice::from_ref(&a));
    let windir = lab.host("C:\\WINDOWS");
    for d in ["old", "old/sub", "old/keep", "empty", "gone"] {
        lab.fs.create_dir(&windir.join(d)).expect("mkdir");
    }
    lab.write("C:\\WINDOWS\\old\\sub\\a.tmp", b"a");
    lab.write("C:\\WINDOWS\\old\\sub\\b.tmp", b"b");
    lab.write("C:\\WINDOWS\\old\\keep\\c.tmp", b"c");
    lab.edit_system(|h| {
        let q = [
            "\\??\\C:\\WINDOWS\\old\\sub\\a.tmp",
            "",
            "\\??\\C:\\WINDOWS\\old\\sub\\b.tmp",
            "",
            // A delete that names an empty directory removes it.
            "\\??\\C:\\WINDOWS\\gone",
            "",
        ]
        .map(String::from)
        .to_vec();
        h.set(SM, "PendingFileRenameOperations", Value::MultiSz(q))
            .expect("set");
    });
    let report = lab.restart();
    assert_eq!(report.steps.len(), 3);
    let is_dir = |d: &str| lab.fs.metadata(&windir.join(d)).is_ok_and(|m| m.is_dir());
    assert!(!is_dir("old/sub"), "emptied by the deletes");
    assert!(!is_dir("gone"), "named by a delete");
    assert!(is_dir("old"), "still holds keep\\");
    assert!(is_dir("old/keep"));
    assert!(is_dir("empty"), "empty before: not the queue's doing");
}

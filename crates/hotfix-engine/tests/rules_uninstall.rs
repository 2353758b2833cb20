//! Rule R7 and the footprint: uninstall gives each file the copy the
//! remaining hotfixes need; the registry keys, backups and records go; a
//! `/nobackup` install cannot be removed. The keys an install writes are
//! read back with hivexsh as an oracle.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use std::process::Command;

use hotfix_engine::InstallOptions;
use rules_support::*;

const FOO: &str = "C:\\WINDOWS\\system32\\foo.dll";
const KEYS: [&str; 3] = [
    "Microsoft\\Updates\\Windows XP\\SP3\\",
    "Microsoft\\Windows NT\\CurrentVersion\\HotFix\\",
    "Microsoft\\Windows\\CurrentVersion\\Uninstall\\",
];

fn abc() -> [hotfix_dataset::Update; 3] {
    [
        foo_update("KB950001", "5.1.2600.3001", "5.1.2600.3101"),
        foo_update("KB950002", "5.1.2600.3002", "5.1.2600.3102"),
        foo_update("KB950003", "5.1.2600.3003", "5.1.2600.3103"),
    ]
}

#[test]
fn removing_b_keeps_c_and_removing_c_brings_a_back() {
    let [a, b, c] = abc();
    let lab = lab(&[a.clone(), b.clone(), c.clone()]);
    for u in [&a, &b, &c] {
        lab.install(&[package(u)]);
    }
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3003")));
    lab.uninstall(&["KB950002"]).expect("remove B");
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3003")));
    let report = lab.uninstall(&["KB950003"]).expect("remove C");
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3001")));
    assert_eq!(report.restored.len(), 1);
    assert_eq!(report.restored[0].required_by, "KB950001");
    assert_eq!(
        lab.read(FOO),
        Some(payload(&package(&a), "SP2GDR\\foo.dll"))
    );
}

#[test]
fn removing_the_only_hotfix_restores_the_original_bytes_and_footprint() {
    let [a, ..] = abc();
    let lab = lab(std::slice::from_ref(&a));
    let original = lab.read(FOO).expect("foo");
    let sw_before = hive_values(&lab.software());
    lab.install(&[package(&a)]);
    let sw = lab.software();
    for k in KEYS {
        assert!(sw.key(&format!("{k}KB950001")).is_some(), "{k}");
    }
    let backup = "C:\\WINDOWS\\$NtUninstallKB950001$\\foo.dll";
    assert_eq!(lab.read(backup), Some(original.clone()));
    let report = lab.uninstall(&["KB950001"]).expect("uninstall");
    assert_eq!(report.restored[0].required_by, "original");
    assert_eq!(lab.read(FOO), Some(original));
    let sw = lab.software();
    for k in KEYS {
        assert!(sw.key(&format!("{k}KB950001")).is_none(), "{k} gone");
    }
    assert_eq!(hive_values(&sw), sw_before, "SOFTWARE as before");
    assert!(!lab.exists(backup));
    let snap = lab.snapshot();
    assert!(
        !snap.keys().any(|p| p.contains("$NtUninstallKB950001$")),
        "backup folder gone"
    );
}

#[test]
fn a_nobackup_install_refuses_uninstall() {
    let [a, ..] = abc();
    let lab = lab(std::slice::from_ref(&a));
    let o = InstallOptions {
        no_backup: true,
        ..opts()
    };
    lab.install_with(&[package(&a)], &o).expect("install");
    assert!(!lab.exists("C:\\WINDOWS\\$NtUninstallKB950001$\\foo.dll"));
    let before = lab.snapshot();
    let err = lab.uninstall(&["KB950001"]).expect_err("cannot remove");
    assert!(err.to_string().contains("/nobackup"), "{err}");
    assert_eq!(image_diff(&before, &lab.snapshot()), Vec::<String>::new());
}

#[test]
fn every_removal_order_leaves_what_the_rest_require() {
    let [a, b, c] = abc();
    let kbs = ["KB950001", "KB950002", "KB950003"];
    for order in [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ] {
        let lab = lab(&[a.clone(), b.clone(), c.clone()]);
        let original = lab.read(FOO);
        for u in [&a, &b, &c] {
            lab.install(&[package(u)]);
        }
        let mut left = vec![0, 1, 2];
        for i in order {
            lab.uninstall(&[kbs[i]]).expect("uninstall");
            left.retain(|&x| x != i);
            match left.iter().max() {
                Some(&top) => assert_eq!(
                    lab.version(FOO),
                    Some(v(&format!("5.1.2600.300{}", top + 1))),
                    "order {order:?}"
                ),
                None => assert_eq!(lab.read(FOO), original, "order {order:?}"),
            }
        }
    }
}

/// §3.1's keys and values, read by hivexsh from the hive we wrote.
#[test]
fn footprint_values_as_hivexsh_reads_them() {
    if Command::new("hivexsh").arg("--help").output().is_err() {
        return hotfix_testutil::oracle_missing("hivexsh");
    }
    let [a, ..] = abc();
    let lab = lab(std::slice::from_ref(&a));
    lab.lock(&[FOO]);
    lab.install(&[package(&a)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let sw = dir.path().join("software");
    let sy = dir.path().join("system");
    std::fs::write(
        &sw,
        lab.read("C:\\WINDOWS\\system32\\config\\software")
            .expect("sw"),
    )
    .expect("w");
    std::fs::write(
        &sy,
        lab.read("C:\\WINDOWS\\system32\\config\\system")
            .expect("sy"),
    )
    .expect("w");
    let out = hivexsh(
        &sw,
        "cd \\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB950001\nlsval\ncd \\Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB950001\nlsval\ncd \\Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB950001\\File 1\nlsval\ncd \\Microsoft\\Updates\\Windows XP\\SP3\\KB950001\nlsval\n",
    )
    .expect("hivexsh ran");
    for needle in [
        "\"ParentKeyName\"=\"OperatingSystem\"",
        "\"ParentDisplayName\"=\"Windows XP - Software Updates\"",
        "\"Installed\"=dword:00000001",
        "\"Valid\"=dword:00000001",
        "\"Backup Dir\"=\"C:\\\\WINDOWS\\\\$NtUninstallKB950001$\"",
        "\"UninstallString\"=",
        "\"Description\"=",
        "\"Service Pack\"=dword:00000003",
        "\"ReleaseType\"=\"Update\"",
        "\"New Link Date\"=\"\"",
        "\"Old Link Date\"=\"\"",
    ] {
        assert!(out.contains(needle), "{needle} not in:\n{out}");
    }
    let out = hivexsh(
        &sy,
        "cd \\ControlSet001\\Control\\Session Manager\nlsval PendingFileRenameOperations\n",
    )
    .expect("hivexsh ran");
    assert!(
        out.contains("foo.dll.hfKB950001") && out.contains("!\\??\\C:\\WINDOWS\\system32\\foo.dll"),
        "{out}"
    );
}

//! Logs and codes (the KB log's `seconds.ms: text` lines, the masked 1603),
//! rule R3 (a target without a readable version), and `verify` (Qfecheck).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_engine::{EngineError, ExtCode, InstallOptions, Status};
use rules_support::*;

const FOO: &str = "C:\\WINDOWS\\system32\\foo.dll";

fn foo_update() -> hotfix_dataset::Update {
    update(
        "KB960001",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    )
}

/// `^\d+\.\d{3}: ` without a regex crate.
fn stamped(line: &str) -> bool {
    let Some((secs, rest)) = line.split_once('.') else {
        return false;
    };
    !secs.is_empty()
        && secs.bytes().all(|b| b.is_ascii_digit())
        && rest.len() >= 5
        && rest.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        && &rest[3..5] == ": "
}

#[test]
fn every_log_line_is_stamped() {
    let a = foo_update();
    let lab = lab(std::slice::from_ref(&a));
    lab.install(&[package(&a)]);
    let log = lab.log("KB960001");
    assert!(log.contains("\r\n"), "CRLF line ends");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() > 5);
    assert!(lines[2].contains("Hotfix started with following command line: "));
    for l in &lines {
        assert!(stamped(l), "unstamped line {l:?}");
    }
}

#[test]
fn unversioned_target_is_replaced_and_logged_rule_r3() {
    let a = foo_update();
    let lab = lab(std::slice::from_ref(&a));
    lab.write(FOO, b"not a PE file at all");
    lab.install(&[package(&a)]);
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3000")));
    let log = lab.log("KB960001");
    assert!(
        log.contains("Unable to get File Version of C:\\WINDOWS\\system32\\foo.dll")
            && log.contains("rule R3"),
        "{log}"
    );
    assert_eq!(
        lab.read("C:\\WINDOWS\\$NtUninstallKB960001$\\foo.dll")
            .as_deref(),
        Some(&b"not a PE file at all"[..])
    );
}

/// Seed 000: the original cancelled the whole setup (0xf00d).
#[test]
fn strict_versions_cancels_untouched_with_f00d() {
    let a = foo_update();
    let lab = lab(std::slice::from_ref(&a));
    lab.write(FOO, b"not a PE file at all");
    let before = lab.snapshot();
    let o = InstallOptions {
        strict_versions: true,
        ..opts()
    };
    let err = lab.install_with(&[package(&a)], &o).expect_err("cancel");
    assert!(
        matches!(err, EngineError::UnreadableVersion { .. }),
        "{err:?}"
    );
    assert_eq!(err.ext_code(), ExtCode::Cancelled);
    assert_eq!(err.ext_code().code(), 0xf00d);
    assert_eq!(image_diff(&before, &lab.snapshot()), Vec::<String>::new());
    let log = lab.log("KB960001");
    let tail: Vec<&str> = log.lines().rev().take(2).collect();
    assert!(
        tail[1].ends_with(": Update.exe extended error code = 0xf00d"),
        "{log}"
    );
    assert!(
        tail[0].ends_with(
            ": Update.exe return code was masked to 0x643 for MSI custom action compliance."
        ),
        "{log}"
    );
}

#[test]
fn verify_current_pending_and_reinstall() {
    let a = foo_update();
    let b = update(
        "KB960002",
        both("bar.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(&[a.clone(), b.clone()]);
    let old_foo = lab.read(FOO).expect("foo");
    lab.lock(&["C:\\WINDOWS\\system32\\bar.dll"]);
    lab.install(&[package(&a), package(&b)]);
    let r = lab.verify();
    assert!(
        r.text
            .starts_with("Windows XP Hotfix Validation Report for \\\\"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("KB960001: Current on system."),
        "{}",
        r.text
    );
    assert_eq!(r.hotfixes[1].status, Status::PendingRestart);
    lab.restart();
    let r = lab.verify();
    assert!(r.all_current(), "{}", r.text);
    assert!(
        r.text.contains("KB960002: Current on system."),
        "{}",
        r.text
    );
    // Something put an older build back.
    lab.write(FOO, &old_foo);
    let r = lab.verify();
    assert!(
        r.text
            .contains("KB960001: This hotfix should be reinstalled."),
        "{}",
        r.text
    );
    let problem = &r.hotfixes[0].problems[0];
    assert!(
        problem.contains("C:\\WINDOWS\\system32\\foo.dll") && problem.contains("5.1.2600.3000"),
        "{problem}"
    );
    let old_version = hotfix_pe::read_version(&old_foo).expect("v").file_version;
    assert!(problem.contains(&old_version.to_string()), "{problem}");
    // And a missing file says so.
    lab.fs_remove("C:\\WINDOWS\\system32\\bar.dll");
    let r = lab.verify();
    assert_eq!(r.hotfixes[1].status, Status::Reinstall);
    assert!(
        r.hotfixes[1].problems[0].contains("missing"),
        "{:?}",
        r.hotfixes[1]
    );
}

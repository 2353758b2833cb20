//! update.inf's AddReg and DelReg lines: SetupAPI's flags, HKCR in
//! SOFTWARE\Classes, HKCU in the Default User profile's NTUSER.DAT,
//! HKU\.DEFAULT in DEFAULT, other users skipped with a log line, and an
//! uninstall that gives every value back.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_hive::{Hive, Value};
use hotfix_inf::{RegData, RegLine, RegRoot};
use rules_support::*;

const KEY: &str = r"Test\Flags";
const NTUSER: &str = r"C:\Documents and Settings\Default User\NTUSER.DAT";
const DEFAULT: &str = r"C:\WINDOWS\system32\config\DEFAULT";

fn line(root: RegRoot, key: &str, name: Option<&str>, flags: u32, data: RegData) -> RegLine {
    RegLine {
        root,
        key: key.into(),
        value_name: name.map(str::to_owned),
        flags,
        data,
        line: 0,
    }
}

fn sz(s: &str) -> Value {
    Value::Sz(s.into())
}

fn multi(items: &[&str]) -> Value {
    Value::MultiSz(items.iter().map(|s| s.to_string()).collect())
}

/// The values the tests look at, `None` where absent.
fn values(h: &Hive) -> Vec<Option<Value>> {
    ["Plain", "Kept", "Gone", "List", "Doomed"]
        .iter()
        .map(|n| h.get(KEY, n).cloned())
        .collect()
}

/// An update of one file and an image for it.
fn one_file_lab(kb: &str) -> (hotfix_dataset::Update, Lab) {
    let u = update(kb, vec![row("foo.dll", Some("5.1.2600.3050"), "SP2GDR")]);
    let lab = lab(std::slice::from_ref(&u));
    (u, lab)
}

/// The package of `u` with one HKCU line, `Software\Test` `User` = "x".
fn hkcu_package(u: &hotfix_dataset::Update) -> hotfix_package::Package {
    let mut pkg = package(u);
    pkg.inf.add_reg = vec![line(
        RegRoot::Hkcu,
        r"Software\Test",
        Some("User"),
        0,
        RegData::Sz("x".into()),
    )];
    pkg
}

#[test]
fn addreg_flags_act_as_setupapi_and_uninstall_gives_every_value_back() {
    let (u, lab) = one_file_lab("KB900060");
    lab.edit_software(|h| {
        h.set(KEY, "Kept", sz("old")).unwrap();
        h.set(KEY, "Gone", sz("x")).unwrap();
        h.set(KEY, "List", multi(&["a", "B"])).unwrap();
        h.set(KEY, "Doomed", sz("y")).unwrap();
    });
    let before = values(&lab.software());
    let user_hives_before = [NTUSER, DEFAULT].map(|h| hive_values(&lab.hive(h)));
    let mut pkg = package(&u);
    let hklm = |name, flags, data| {
        line(
            RegRoot::Hklm,
            &format!(r"SOFTWARE\{KEY}"),
            name,
            flags,
            data,
        )
    };
    pkg.inf.add_reg = vec![
        hklm(Some("Plain"), 0, RegData::Sz("one".into())),
        // FLG_ADDREG_NOCLOBBER: an existing value stays.
        hklm(Some("Kept"), 0x2, RegData::Sz("new".into())),
        // FLG_ADDREG_DELVAL.
        hklm(Some("Gone"), 0x4, RegData::None),
        // FLG_ADDREG_APPEND to a multi-string, compared without case.
        hklm(
            Some("List"),
            0x0001_0008,
            RegData::MultiSz(vec!["b".into(), "c".into()]),
        ),
        // FLG_ADDREG_KEYONLY.
        line(
            RegRoot::Hklm,
            r"SOFTWARE\Test\KeyOnly",
            None,
            0x10,
            RegData::None,
        ),
        line(
            RegRoot::Hkcr,
            ".hfx",
            Some(""),
            0,
            RegData::Sz("hotfix.file".into()),
        ),
        line(
            RegRoot::Hkcu,
            r"Software\Test",
            Some("User"),
            0,
            RegData::Sz("x".into()),
        ),
        line(
            RegRoot::Hku,
            r".DEFAULT\Software\Test",
            Some("Machine"),
            0,
            RegData::Dword(7),
        ),
        line(
            RegRoot::Hku,
            r"S-1-5-21-1-2-3-1003\Software\Test",
            Some("Other"),
            0,
            RegData::Dword(1),
        ),
    ];
    pkg.inf.del_reg = vec![hklm(Some("Doomed"), 0, RegData::None)];
    lab.install(&[pkg]);

    let sw = lab.software();
    assert_eq!(
        values(&sw),
        [
            Some(sz("one")),
            Some(sz("old")),
            None,
            Some(multi(&["a", "B", "c"])),
            None
        ]
    );
    assert!(sw.key(r"Test\KeyOnly").is_some());
    assert_eq!(sw.get(r"Classes\.hfx", ""), Some(&sz("hotfix.file")));
    // HKCU: the Default User profile, never HKLM\SOFTWARE.
    assert!(sw.key(r"Software\Test").is_none());
    assert_eq!(
        lab.hive(NTUSER).get(r"Software\Test", "User"),
        Some(&sz("x"))
    );
    assert_eq!(
        lab.hive(DEFAULT).get(r"Software\Test", "Machine"),
        Some(&Value::Dword(7))
    );
    let log = lab.log("KB900060");
    let other =
        r"(HKU\S-1-5-21-1-2-3-1003\Software\Test) skipped: only HKU\.DEFAULT is serviced offline";
    assert!(log.contains(other), "{log}");

    lab.uninstall(&["KB900060"]).unwrap();
    assert_eq!(values(&lab.software()), before);
    let user_hives = [NTUSER, DEFAULT].map(|h| hive_values(&lab.hive(h)));
    assert_eq!(user_hives, user_hives_before);
}

/// An image without the Default User profile (made before hotfix wrote
/// one, or trimmed by hand): HKCU lines are skipped and the log says why.
#[test]
fn without_a_default_user_hive_hkcu_lines_are_skipped_with_the_reason() {
    let (u, lab) = one_file_lab("KB900061");
    lab.fs_remove(NTUSER);
    let pkg = hkcu_package(&u);
    let report = lab.install(&[pkg]);
    assert!(report.files_written > 0, "{report:?}");
    let log = lab.log("KB900061");
    let why = format!(r"(HKCU\Software\Test) skipped: {NTUSER} does not exist");
    assert!(log.contains(&why), "{log}");
    assert!(lab.software().key(r"Software\Test").is_none());
}

/// A damaged Default User hive stops nothing that does not need it: verify
/// and restart run, an install skips its HKCU line with the reason; an
/// uninstall that must put a value back into it refuses, saying why.
#[test]
fn a_damaged_user_hive_blocks_only_what_needs_it() {
    let (u, lab) = one_file_lab("KB900062");
    let pkg = hkcu_package(&u);
    lab.install(&[pkg]);
    assert!(lab.hive(NTUSER).get(r"Software\Test", "User").is_some());
    lab.write(NTUSER, b"damaged");
    lab.verify();
    lab.restart();
    let err = lab.uninstall(&["KB900062"]).unwrap_err().to_string();
    assert!(
        err.contains(r"Software\Test\User") && err.contains("NTUSER.DAT"),
        "{err}"
    );

    let (u, lab) = one_file_lab("KB900063");
    lab.write(NTUSER, b"damaged");
    let pkg = hkcu_package(&u);
    let report = lab.install(&[pkg]);
    assert!(report.files_written > 0, "{report:?}");
    let log = lab.log("KB900063");
    assert!(
        log.contains(r"(HKCU\Software\Test) skipped: ") && log.contains("NTUSER.DAT"),
        "{log}"
    );
}

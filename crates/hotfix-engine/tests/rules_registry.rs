//! update.inf's AddReg and DelReg lines: SetupAPI's flags, HKCR in
//! SOFTWARE\Classes, user hives skipped with a log line, and an uninstall
//! that gives every value back.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_hive::{Hive, Value};
use hotfix_inf::{RegData, RegLine, RegRoot};
use rules_support::*;

const KEY: &str = r"Test\Flags";

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

#[test]
fn addreg_flags_act_as_setupapi_and_uninstall_gives_every_value_back() {
    let u = update(
        "KB900060",
        vec![row("foo.dll", Some("5.1.2600.3050"), "SP2GDR")],
    );
    let lab = lab(std::slice::from_ref(&u));
    lab.edit_software(|h| {
        h.set(KEY, "Kept", sz("old")).unwrap();
        h.set(KEY, "Gone", sz("x")).unwrap();
        h.set(KEY, "List", multi(&["a", "B"])).unwrap();
        h.set(KEY, "Doomed", sz("y")).unwrap();
    });
    let before = values(&lab.software());
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
    // The HKCU line is neither in HKLM\SOFTWARE nor silently lost.
    assert!(sw.key(r"Software\Test").is_none() && sw.key("Test").unwrap().values().count() == 0);
    let log = lab.log("KB900060");
    assert!(
        log.contains(r"(HKCU\Software\Test) skipped: user hives"),
        "{log}"
    );

    lab.uninstall(&["KB900060"]).unwrap();
    assert_eq!(values(&lab.software()), before);
}

//! The footprint as the booted Windows sees it, and the image's language:
//! the SP a fix ships in (from the package, not the image), the HotFix
//! key's `File 1`, `ReleaseType`, dates in the image's local time
//! (`M/D/YYYY`, `YYYYMMDD`, the log's `(local)` stamp, Qfecheck's report
//! date), `Installed By`; and on a Japanese image, the Japanese strings
//! the localized originals wrote.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_engine::InstallOptions;
use hotfix_hive::Value;
use hotfix_model::{Language, Product, SpLevel};
use hotfix_testkit::fixture::FROZEN_TIME;
use rules_support::*;

const HOTFIX: &str = "Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB950001";
const UNINSTALL: &str = "Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB950001";

fn sz(h: &hotfix_hive::Hive, key: &str, name: &str) -> String {
    h.get(key, name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key}\\{name} missing"))
        .to_owned()
}

fn named(by: &str) -> InstallOptions {
    InstallOptions {
        installed_by: Some(by.into()),
        ..opts()
    }
}

#[test]
fn the_sp_key_comes_from_the_package_and_the_hotfix_key_has_file_1() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let a = foo_update("KB950001", "5.1.2600.3001", "5.1.2600.3101");
    // An SP2 image; the package says it ships in SP4 (the genuine INFs'
    // SERVICE_PACK_NUMBER), so the keys say SP4 where "image + 1" is SP3.
    let lab = lab(std::slice::from_ref(&a));
    let mut pkg = package(&a);
    pkg.inf
        .strings
        .push(("SERVICE_PACK_NUMBER".into(), "4".into()));
    pkg.inf.title = Some("Hotfix for Windows XP (KB950001)".into());
    lab.install_with(&[pkg], &named("alice")).expect("install");
    let sw = lab.software();
    let updates = "Microsoft\\Updates\\Windows XP\\SP4\\KB950001";
    assert!(sw.key(updates).is_some(), "no {updates}");
    assert!(
        sw.key("Microsoft\\Updates\\Windows XP\\SP3\\KB950001")
            .is_none()
    );
    assert_eq!(sw.get(HOTFIX, "Service Pack"), Some(&Value::Dword(4)));
    for name in ["Flags", "New File", "New Link Date", "Old Link Date"] {
        assert_eq!(sz(&sw, &format!("{HOTFIX}\\File 1"), name), "", "{name}");
    }
    assert_eq!(sz(&sw, UNINSTALL, "ReleaseType"), "Hotfix");
    assert_eq!(sz(&sw, updates, "Type"), "Hotfix");
    // Pacific time (the generator's ENU zone): 2007-02-15 20:47 UTC is
    // 12:47 local, the same day.
    assert_eq!(sz(&sw, updates, "InstalledDate"), "2/15/2007");
    assert_eq!(sz(&sw, HOTFIX, "Installed On"), "2/15/2007");
    assert_eq!(sz(&sw, UNINSTALL, "InstallDate"), "20070215");
    assert_eq!(sz(&sw, updates, "InstalledBy"), "alice");
    assert_eq!(sz(&sw, HOTFIX, "Installed By"), "alice");
    let exe = "C:\\WINDOWS\\$NtUninstallKB950001$\\spuninst\\spuninst.exe";
    assert_eq!(sz(&sw, UNINSTALL, "UninstallString"), format!("\"{exe}\""));
    assert_eq!(sz(&sw, updates, "UninstallCommand"), format!("{exe} "));
    for name in ["NoModify", "NoRepair", "TSAware"] {
        assert_eq!(sw.get(UNINSTALL, name), Some(&Value::Dword(1)), "{name}");
    }
    let log = lab.log("KB950001");
    assert!(
        log.contains(": 2007/02/15 12:47:56.000 (local)\r\n"),
        "{log}"
    );
    let report = lab.verify();
    assert!(
        report.text.contains("\nReport Date: 2/15/2007 12:47pm\n"),
        "{}",
        report.text
    );
}

#[test]
fn without_a_service_pack_number_the_highest_level_plus_one_names_the_key() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let a = foo_update("KB950001", "5.1.2600.3001", "5.1.2600.3101");
    let lab = lab(std::slice::from_ref(&a));
    let mut pkg = package(&a);
    // Applies up to SP3 (768): ships in SP4.
    pkg.inf.max_sp = Some(768);
    lab.install_with(&[pkg], &named("bob")).expect("install");
    let sw = lab.software();
    assert!(
        sw.key("Microsoft\\Updates\\Windows XP\\SP4\\KB950001")
            .is_some()
    );
    assert_eq!(sw.get(HOTFIX, "Service Pack"), Some(&Value::Dword(4)));
    // A plain update's title: "Update".
    assert_eq!(sz(&sw, UNINSTALL, "ReleaseType"), "Update");
}

#[test]
fn a_japanese_image_gets_japanese_strings_and_tokyo_time() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let a = foo_update("KB950001", "5.1.2600.3001", "5.1.2600.3101");
    let lab = lab_in(
        std::slice::from_ref(&a),
        Product::WindowsXp,
        SpLevel(2),
        Language::JPN,
    );
    let mut pkg = package_in(&a, Language::JPN);
    // A package without a title gets the Japanese originals' wording.
    pkg.inf.title = None;
    lab.install_with(&[pkg], &named("山田")).expect("install");
    let sw = lab.software();
    assert_eq!(
        sz(&sw, UNINSTALL, "ParentDisplayName"),
        "Windows XP - ソフトウェアの更新"
    );
    let title = "Windows XP 用の更新プログラム (KB950001)";
    assert_eq!(sz(&sw, UNINSTALL, "DisplayName"), title);
    assert_eq!(sz(&sw, HOTFIX, "Fix Description"), title);
    assert_eq!(sz(&sw, HOTFIX, "Installed By"), "山田");
    // Tokyo is UTC+9: 2007-02-15 20:47 UTC is the 16th at 05:47.
    assert_eq!(sz(&sw, HOTFIX, "Installed On"), "2/16/2007");
    assert_eq!(sz(&sw, UNINSTALL, "InstallDate"), "20070216");
    let log = lab.log("KB950001");
    for line in [
        ": 2007/02/16 05:47:56.000 (local)\r\n",
        ": インストールが完了しました (終了コード 0)\r\n",
    ] {
        assert!(log.contains(line), "{line:?} not in\n{log}");
    }
    // The oracle reads the same UTF-16 string back.
    if std::process::Command::new("hivexsh")
        .arg("--help")
        .output()
        .is_err()
    {
        hotfix_testutil::oracle_missing("hivexsh");
    } else {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("software");
        std::fs::write(
            &path,
            lab.read("C:\\WINDOWS\\system32\\config\\software")
                .expect("software"),
        )
        .expect("write");
        let out = hivexsh(&path, &format!("cd \\{UNINSTALL}\nlsval\n")).expect("hivexsh ran");
        let want = "\"ParentDisplayName\"=\"Windows XP - ソフトウェアの更新\"";
        assert!(out.contains(want), "{want} not in\n{out}");
    }
    let text = lab.verify().text;
    for line in [
        "Windows XP 修正プログラム検証レポート: \\\\HOTFIX-XP\n",
        "レポートの日付: 2/16/2007 5:47am\n",
        "現在の Service Pack レベル: Service Pack 2\n",
        "確認された修正プログラム:\n",
        "KB950001: システム上で最新です。\n",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
}

#[test]
fn qfecheck_without_v_gives_each_hotfix_one_line() {
    let a = foo_update("KB950001", "5.1.2600.3001", "5.1.2600.3101");
    let lab = lab(std::slice::from_ref(&a));
    lab.install(&[package(&a)]);
    // Something put the old copy back over the fix.
    let old = lab
        .read("C:\\WINDOWS\\$NtUninstallKB950001$\\foo.dll")
        .expect("backup of foo.dll");
    let foo = lab.host("C:\\WINDOWS\\system32\\foo.dll");
    hotfix_fs::write_atomic(&lab.fs, &foo, &old).expect("write");
    let report = lab.verify();
    let line = "KB950001: This hotfix should be reinstalled.\n";
    assert!(report.brief.contains(line), "{}", report.brief);
    assert!(report.text.contains(line), "{}", report.text);
    assert!(report.text.contains("older than"), "{}", report.text);
    assert!(!report.brief.contains("older than"), "{}", report.brief);
}

//! The binary as a user of the originals meets it: `install /?` prints
//! Update.exe's help, `--installed-by` and the invoking user land in the
//! footprint, `verify` takes Qfecheck's `/l[:location] /v /q`, and the
//! outcome lines follow the user's locale.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hotfix_dataset::DataSet;
use hotfix_fs::OsFs;
use hotfix_hive::{Hive, Value};
use hotfix_model::{Language, SpLevel};
use hotfix_synth::{SynthOptions, synth};
use hotfix_testkit::fixture::{FROZEN_TIME, generate_image_of, one_file_update};

/// An XP SP2 ENU image on disk and two packages for it.
fn fixture() -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let updates = vec![
        one_file_update("KB970001", "foo.dll").expect("update"),
        one_file_update("KB970002", "bar.dll").expect("update"),
    ];
    let image = dir.path().join("image");
    let data = DataSet {
        updates: updates.clone(),
    };
    generate_image_of(&OsFs, &image, &data, SpLevel(2)).expect("generate");
    let opts = SynthOptions {
        language: Language::ENU,
        sfx: false,
        compression_fast: true,
    };
    let pkgs = updates
        .iter()
        .map(|u| {
            let s = synth(u, &opts).expect("synth");
            let p = dir.path().join(&s.file_name);
            std::fs::write(&p, s.bytes).expect("write package");
            p
        })
        .collect();
    (dir, image, pkgs)
}

/// Runs hotfix with the clock pinned and the locale `lang` (no LC_*).
fn hotfix(lang: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hotfix"));
    c.args(args)
        .env("SOURCE_DATE_EPOCH", FROZEN_TIME.to_string())
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("SUDO_USER");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run hotfix")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn installed_by(image: &Path, kb: &str) -> String {
    let sw = Hive::parse(&std::fs::read(image.join("WINDOWS/system32/config/SOFTWARE")).unwrap())
        .unwrap();
    let key = format!("Microsoft\\Windows NT\\CurrentVersion\\HotFix\\{kb}");
    sw.get(&key, "Installed By")
        .and_then(Value::as_str)
        .expect("Installed By")
        .to_owned()
}

#[test]
fn install_help_is_update_exe_s_in_the_user_s_language() {
    for h in ["/?", "-?", "/help"] {
        let o = hotfix("C", &[], &["install", h]);
        assert_eq!(o.status.code(), Some(0), "{h}");
        let text = out(&o);
        assert!(
            text.starts_with("AVAILABLE SWITCHES: [/help] [/quiet] [/passive] [/norestart]"),
            "{h}: {text}"
        );
        for line in [
            "SETUP MODES",
            "RESTART OPTIONS",
            "SPECIAL OPTIONS",
            "/log:<fullpath>",
        ] {
            assert!(text.contains(line), "{line} missing: {text}");
        }
    }
    let text = out(&hotfix("ja_JP.UTF-8", &[], &["install", "/?"]));
    assert!(text.starts_with("AVAILABLE SWITCHES:"), "{text}");
    assert!(
        text.contains("インストールの完了後にコンピュータを再起動しません。"),
        "{text}"
    );
}

#[test]
fn a_refusal_speaks_the_user_s_language_and_keeps_its_codes() {
    let o = hotfix("ja_JP.UTF-8", &[], &["install", "--image", "/nonexistent"]);
    assert_eq!(o.status.code(), Some(67));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    for line in [
        "エラー: パッケージが指定されていません: hotfix install",
        "Update.exe extended error code = 0xf0fe",
        "Update.exe return code was masked to 0x643 for MSI custom action compliance.",
        "終了コード 1603",
    ] {
        assert!(err.contains(line), "{line:?} not in\n{err}");
    }
    let o = hotfix("C", &[], &["install", "--image", "/nonexistent"]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(err.contains("error: no package given"), "{err}");
    assert!(err.contains("exit code 1603"), "{err}");
}

#[test]
fn installed_by_outcome_lines_and_qfecheck_switches() {
    let (dir, image, pkgs) = fixture();
    let img = s(&image);
    let o = hotfix(
        "ja_JP.UTF-8",
        &[],
        &[
            "install",
            "--image",
            img,
            s(&pkgs[0]),
            "/quiet",
            "--installed-by",
            "carol",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o).contains("インストールが完了しました (終了コード 0)。"),
        "{}",
        out(&o)
    );
    assert_eq!(installed_by(&image, "KB970001"), "carol");
    // Without the option: the user behind sudo.
    let o = hotfix(
        "C",
        &[("SUDO_USER", "dave")],
        &["install", "--image", img, s(&pkgs[1]), "-q"],
    );
    assert!(out(&o).contains("Installed (exit code 0)."), "{}", out(&o));
    assert_eq!(installed_by(&image, "KB970002"), "dave");

    // /l:<dir> /q: nothing on stdout, <computername>.log in the directory.
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let arg = format!("/l:{}", s(&reports));
    let o = hotfix("C", &[], &["verify", "--image", img, &arg, "/q"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(out(&o), "");
    let log = std::fs::read_to_string(reports.join("HOTFIX-XP.log")).expect("report");
    for line in [
        "Windows XP Hotfix Validation Report for \\\\HOTFIX-XP\r\n",
        "Report Date: 2/15/2007 12:47pm\r\n",
        "KB970001: Current on system.\r\n",
    ] {
        assert!(log.contains(line), "{line:?} not in\n{log}");
    }
    // /v: the same report on stdout.
    let o = hotfix("C", &[], &["verify", "--image", img, "/v"]);
    assert!(
        out(&o).contains("KB970002: Current on system.\n"),
        "{}",
        out(&o)
    );
}

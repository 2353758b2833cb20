#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
//! `hotfix sp install` takes the service pack's own switches in both
//! styles, through the same normalisation as `install`: `-q -z /log:P`
//! (quiet, no restart, the log elsewhere) leaves the queue for `hotfix
//! restart` and exits 3010; run again with `/quiet /passive /forcerestart
//! /nobackup` (the same SP a second time) it performs the restart step at
//! the end and exits 0.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");
const PKG: &str = "WindowsXP-KB835935-SP2-ENU.exe";

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn hotfix(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn sp_install_takes_both_switch_styles_and_restarts_at_the_end_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    let out = dir.path().join("sp");
    for args in [
        vec!["image", "new", "--sp", "1", &s(&image)],
        vec![
            "synth-sp",
            "--sp",
            "2",
            "--scale",
            "0.05",
            "--out",
            &s(&out),
        ],
    ] {
        let o = hotfix(&args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
    }
    let pkg = s(&out.join(PKG));
    let img = s(&image);
    let log = dir.path().join("sp2.log");
    let log_arg = format!("/log:{}", s(&log));
    let o = hotfix(&["sp", "install", "--image", &img, &pkg, "-q", "-z", &log_arg]);
    assert_eq!(o.status.code(), Some(3010 & 0xff), "{}", text(&o));
    assert!(
        text(&o).contains("wait for `hotfix restart`"),
        "{}",
        text(&o)
    );
    let written = std::fs::read_to_string(&log).expect("the /log: file");
    assert!(written.contains("Setup finished"), "{written}");
    assert!(
        !image.join("WINDOWS/svcpack.log").exists(),
        "/log: moved it"
    );
    let sys32 = image.join("WINDOWS/system32");
    assert!(sys32.join("user32.dll.hfold1").exists(), "swapped, queued");

    let o = hotfix(&[
        "sp",
        "install",
        "--image",
        &img,
        &pkg,
        "/quiet",
        "/passive",
        "/forcerestart",
        "/nobackup",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("the restart step ran at the end"),
        "{}",
        text(&o)
    );
    assert!(
        !sys32.join("user32.dll.hfold1").exists(),
        "deleted at restart"
    );
    let o = hotfix(&["restart", "--image", &img, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["steps"].as_array().map(Vec::len), Some(0));
}

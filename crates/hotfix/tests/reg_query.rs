//! `hotfix reg query` over every hive of an image: HKLM\SOFTWARE and
//! \SYSTEM (CurrentControlSet resolved), HKCR, HKU\.DEFAULT and HKCU (the
//! Default User profile), as `.reg` text and as JSON, and a clear refusal
//! for another user's hive.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::process::{Command, Output};

fn hotfix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotfix"))
        .args(args)
        .output()
        .expect("run hotfix")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_hive_of_an_image_can_be_queried() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("img");
    let image = image.to_str().unwrap();
    let out = hotfix(&["image", "new", "--lang", "JPN", image]);
    assert!(out.status.success(), "{}", text(&out));

    let hkcu = hotfix(&[
        "reg",
        "query",
        "--image",
        image,
        r"HKCU\Control Panel\International",
    ]);
    assert!(hkcu.status.success(), "{}", text(&hkcu));
    let reg = text(&hkcu);
    assert!(
        reg.contains("[HKEY_CURRENT_USER\\Control Panel\\International]"),
        "{reg}"
    );
    assert!(reg.contains(r#""Locale"="00000411""#), "{reg}");

    let key = r"HKEY_USERS\.DEFAULT\Control Panel\International";
    let json = hotfix(&["reg", "query", "--image", image, key, "--json"]);
    assert!(json.status.success(), "{}", text(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["key"], key);
    assert_eq!(v[0]["values"][0]["data"], "00000411");

    let nt = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    let sw = hotfix(&["reg", "query", "--image", image, nt, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&sw.stdout).unwrap();
    assert_eq!(
        v[0]["key"],
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
    );

    let other = hotfix(&["reg", "query", "--image", image, r"HKU\S-1-5-18\Software"]);
    assert_eq!(other.status.code(), Some(67));
    let msg = text(&other);
    assert!(
        msg.contains(r"only HKU\.DEFAULT") && msg.contains("S-1-5-18"),
        "{msg}"
    );

    // The installer's mapping: CurrentControlSet is the current control
    // set, HKCR lives under SOFTWARE\Classes.
    let sm = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager";
    let out = hotfix(&["reg", "query", "--image", image, sm]);
    let reg = text(&out);
    assert!(out.status.success(), "{reg}");
    assert!(
        reg.contains(r"[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Session Manager]"),
        "{reg}"
    );
    let classes = hotfix(&["reg", "query", "--image", image, r"HKCR\.none"]);
    assert!(
        text(&classes).contains(r"HKCR\.none: no such key"),
        "{}",
        text(&classes)
    );
}

//! The binary: Update.exe's switch spellings, `--json` output, and exit
//! statuses 0, 194 (3010 & 0xff) and 67 (1603 & 0xff).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hotfix_dataset::DataSet;
use hotfix_fs::OsFs;
use hotfix_image::{Image, lock_files};
use hotfix_model::{Language, SpLevel};
use hotfix_synth::{SynthOptions, synth};
use hotfix_testkit::fixture::{generate_image_of, one_file_update};
use hotfix_testkit::snapshot;

struct Fixture {
    dir: tempfile::TempDir,
    image: PathBuf,
    pkgs: Vec<PathBuf>,
}

/// An XP SP2 image and four packages: foo, bar, baz (English) and a
/// Japanese qux.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let updates: Vec<_> = [
        ("KB970001", "foo.dll"),
        ("KB970002", "bar.dll"),
        ("KB970003", "baz.dll"),
        ("KB970004", "qux.dll"),
    ]
    .into_iter()
    .map(|(kb, name)| one_file_update(kb, name).expect("update"))
    .collect();
    let image = dir.path().join("image");
    let data = DataSet {
        updates: updates.clone(),
    };
    generate_image_of(&OsFs, &image, &data, SpLevel(2)).expect("generate");
    let mut pkgs = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        let language = if i == 3 { Language::JPN } else { Language::ENU };
        let opts = SynthOptions {
            language,
            sfx: true,
            compression_fast: true,
        };
        let s = synth(u, &opts).expect("synth");
        let p = dir.path().join(&s.file_name);
        std::fs::write(&p, s.bytes).expect("write package");
        pkgs.push(p);
    }
    Fixture { dir, image, pkgs }
}

fn hotfix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotfix"))
        .args(args)
        .output()
        .expect("run hotfix")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn switch_spellings_exit_codes_and_json() {
    let f = fixture();
    let img = s(&f.image);
    let o = hotfix(&[
        "install",
        "--image",
        img,
        s(&f.pkgs[0]),
        "/quiet",
        "/norestart",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let image = Image::open(&OsFs, &f.image).expect("image");
    lock_files(
        &OsFs,
        &image,
        &["C:\\WINDOWS\\system32\\bar.dll".to_owned()],
    )
    .expect("lock");
    let o = hotfix(&["install", "--image", img, s(&f.pkgs[1]), "-q", "-z"]);
    assert_eq!(code(&o), 194, "3010 & 0xff: {}", stderr(&o));

    let log = f.dir.path().join("baz.log");
    let log_arg = format!("/log:{}", s(&log));
    let o = hotfix(&[
        "install",
        "--image",
        img,
        s(&f.pkgs[2]),
        "/Q",
        "/B:SP2QFE",
        &log_arg,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&log).expect("/log: file");
    assert!(text.contains("Branch forced to SP2QFE"), "{text}");

    let o = hotfix(&["install", "--image", img, s(&f.pkgs[3]), "/quiet"]);
    assert_eq!(code(&o), 67, "1603 & 0xff");
    assert!(
        stderr(&o).contains("Update.exe extended error code = 0xf0f4"),
        "{}",
        stderr(&o)
    );

    let o = hotfix(&["install", "--image", img, "-l"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(
        listed.contains("KB970001") && listed.contains("KB970003"),
        "{listed}"
    );

    // verify fails (1603) while bar.dll waits for the restart.
    let o = hotfix(&["restart", "--image", img]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bar = f.image.join("WINDOWS/system32/bar.dll");
    for args in [
        vec!["list", "--image", img, "--json"],
        vec!["verify", "--image", img, "--json"],
        vec!["version", "--json", s(&bar)],
    ] {
        let o = hotfix(&args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&o.stdout);
        assert!(
            parsed.is_ok(),
            "{args:?} is not JSON: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn dry_run_changes_nothing_and_extract_unpacks() {
    let f = fixture();
    let img = s(&f.image);
    // A first run creates the state directory; compare from there on.
    let o = hotfix(&["list", "--image", img]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The image but the runtime files and the text logs (a dry run writes
    // its log to say what would happen).
    let before = snapshot(&OsFs, &f.image).expect("snapshot");
    let o = hotfix(&[
        "install",
        "--image",
        img,
        s(&f.pkgs[0]),
        "/quiet",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["packages"][0]["files"][0]["action"], "replaced");
    // The plan carries the space check the real run would make.
    let needed = report["space"]["needed"].as_u64().expect("space needed");
    let free = report["space"]["free"].as_u64().expect("space free");
    assert!(needed > 6000 && needed <= free, "{needed} of {free}");
    // Without --json the plan is printed file by file, with that figure.
    let o = hotfix(&[
        "install",
        "--image",
        img,
        s(&f.pkgs[0]),
        "/quiet",
        "--dry-run",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("replace: C:\\WINDOWS\\system32\\foo.dll 5.1.2600.3000"),
        "{text}"
    );
    assert!(
        text.contains(&format!("disk space: the commit needs {needed} bytes")),
        "{text}"
    );
    let after = snapshot(&OsFs, &f.image).expect("snapshot");
    assert_eq!(before.diff(&after), None, "a dry run changed the image");

    let out = f.dir.path().join("extracted");
    let arg = format!("/extract:{}", s(&out));
    let o = hotfix(&["install", "--image", img, s(&f.pkgs[0]), &arg]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(out.join("update/update.inf").is_file());
    assert!(out.join("update/update.ver").is_file());
    assert!(out.join("SP2GDR/foo.dll").is_file());
}

//! The binary's rough edges: a closed stdout, arguments that are not UTF-8,
//! and two first runs on one image at once.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hotfix_fs::OsFs;
use hotfix_testkit::fixture::{generate_image, packages};

const BIN: &str = env!("CARGO_BIN_EXE_hotfix");
const KB: &str = "KB890046";

fn image_and_package(dir: &Path) -> (PathBuf, PathBuf) {
    let image = dir.join("image");
    generate_image(&OsFs, &image, &[KB]).unwrap();
    let pkg = packages(&[KB]).unwrap().remove(0);
    let path = dir.join(&pkg.file_name);
    std::fs::write(&path, &pkg.bytes).unwrap();
    (image, path)
}

fn no_panic(o: &Output) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.code() != Some(101) && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly_after_the_work_and_its_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let (image, pkg) = image_and_package(tmp.path());
    let mut child = Command::new(BIN)
        .arg("install")
        .arg("--image")
        .arg(&image)
        .arg(&pkg)
        .args(["/quiet", "/norestart"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the report is written: `| head -0`.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(image.join(format!("WINDOWS/{KB}.log")).is_file());
    let listed = Command::new(BIN)
        .arg("list")
        .arg("--image")
        .arg(&image)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(KB),
        "{listed:?}"
    );
}

#[test]
fn arguments_that_are_not_utf8_are_paths_or_refused_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let (image, pkg) = image_and_package(tmp.path());
    // An image whose directory name is not UTF-8 works like any other.
    let mut name = b"image-".to_vec();
    name.push(0xff);
    let odd = tmp.path().join(OsString::from_vec(name));
    std::fs::rename(&image, &odd).unwrap();
    let o = Command::new(BIN)
        .arg("install")
        .arg("--image")
        .arg(&odd)
        .arg(&pkg)
        .arg("/quiet")
        .output()
        .unwrap();
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let bad = OsString::from_vec(vec![b'K', b'B', 0xfe]);
    for args in [
        vec![
            OsString::from("uninstall"),
            "--image".into(),
            odd.clone().into(),
            bad.clone(),
        ],
        vec![
            OsString::from("install"),
            "--image".into(),
            odd.clone().into(),
            bad.clone(),
        ],
        vec![OsString::from("version"), bad.clone()],
        vec![OsString::from("list"), "--image".into(), bad],
    ] {
        let o = Command::new(BIN).args(&args).output().unwrap();
        no_panic(&o);
        assert_ne!(o.status.code(), Some(0), "{args:?}: {o:?}");
        let said = String::from_utf8_lossy(&o.stderr) + String::from_utf8_lossy(&o.stdout);
        assert!(
            said.contains("error") || said.contains("cannot read"),
            "{args:?}: {said}"
        );
    }
}

#[test]
fn two_first_runs_on_one_image_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let (image, _) = image_and_package(tmp.path());
    let state = image.join("WINDOWS/$hotfix$");
    for round in 0..10 {
        std::fs::remove_dir_all(&state).unwrap_or_default();
        let runs: Vec<_> = (0..2)
            .map(|_| {
                Command::new(BIN)
                    .arg("list")
                    .arg("--image")
                    .arg(&image)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in runs {
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {o:?}");
        }
    }
}

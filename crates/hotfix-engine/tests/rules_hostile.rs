//! Hostile images and packages (issue 5, item 6): a DestinationDirs that
//! climbs out of the image, a target that is a directory, and symbolic and
//! hard links in the image that point outside it. Each is refused with an
//! error that names the problem, or handled without writing through the
//! link, and nothing outside the image changes.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use std::path::Path;

use hotfix_dataset::DataSet;
use hotfix_engine::{EngineError, Session, Wait};
use hotfix_fs::OsFs;
use hotfix_model::{Language, Product, SpLevel};
use hotfix_synth::{GenerateSpec, generate};
use rules_support::*;

const FOO: &str = r"C:\WINDOWS\system32\foo.dll";

fn foo_update() -> hotfix_dataset::Update {
    update(
        "KB900070",
        vec![row("foo.dll", Some("5.1.2600.3070"), "SP2GDR")],
    )
}

/// Every file under `dir` (host paths) with its bytes, links not followed.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            out.extend(tree(&p));
        } else if meta.file_type().is_symlink() {
            out.push((
                p.display().to_string(),
                std::fs::read_link(&p)
                    .unwrap()
                    .display()
                    .to_string()
                    .into_bytes(),
            ));
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn destination_dirs_climbing_out_of_the_image_is_refused() {
    let u = foo_update();
    let lab = lab(std::slice::from_ref(&u));
    let mut pkg = package(&u);
    for c in &mut pkg.inf.copy_always {
        c.dest.subdir = Some(r"..\..\..\etc".into());
    }
    let before = lab.snapshot();
    let err = lab.install_with(&[pkg], &opts()).expect_err("must refuse");
    // The package's fault (issue 12), not damage of the image.
    assert!(matches!(err, EngineError::BadPackageLine { .. }), "{err:?}");
    assert_eq!(err.ext_code(), hotfix_engine::ExtCode::Incompatible);
    assert!(err.to_string().contains(".."), "{err}");
    assert_eq!(image_diff(&before, &lab.snapshot()), Vec::<String>::new());
    // Nothing appeared beside the image either.
    let outside = hotfix_fs::Fs::read_dir(&lab.fs, Path::new("/")).unwrap();
    assert_eq!(outside.len(), 1, "{outside:?}");
}

#[test]
fn a_target_that_is_a_directory_is_refused_untouched() {
    let u = foo_update();
    let lab = lab(std::slice::from_ref(&u));
    let host = lab.host(FOO);
    hotfix_fs::Fs::remove_file(&lab.fs, &host).unwrap();
    hotfix_fs::Fs::create_dir(&lab.fs, &host).unwrap();
    let before = lab.snapshot();
    let err = lab
        .install_with(&[package(&u)], &opts())
        .expect_err("must refuse");
    assert!(err.to_string().contains("directory"), "{err}");
    assert_eq!(image_diff(&before, &lab.snapshot()), Vec::<String>::new());
}

/// An XP SP2 image of `u`'s files on the real filesystem, inside `dir/image`,
/// with `dir/outside` beside it.
fn os_image(dir: &Path, u: &hotfix_dataset::Update) -> std::path::PathBuf {
    let root = dir.join("image");
    let mut spec = GenerateSpec::new(Product::WindowsXp, SpLevel(2), Language::ENU);
    spec.dllcache = false;
    let data = DataSet {
        updates: vec![u.clone()],
    };
    generate(&OsFs, &root, &spec, &data, &mut |_, _| {}).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::write(dir.join("outside/secret.dll"), b"outside the image").unwrap();
    root
}

#[test]
fn a_symlink_pointing_out_of_the_image_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let u = foo_update();
    let root = os_image(tmp.path(), &u);
    let target = root.join("WINDOWS/system32/foo.dll");
    std::fs::remove_file(&target).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside/secret.dll"), &target).unwrap();
    let outside_before = tree(&tmp.path().join("outside"));
    let session = Session::open(&OsFs, &root, Wait::NoWait, &mut hotfix_engine::Silent).unwrap();
    let err = hotfix_engine::install(
        &session,
        &[package(&u)],
        &opts(),
        &mut hotfix_engine::Silent,
    )
    .expect_err("must refuse");
    assert!(err.to_string().contains("link"), "{err}");
    assert_eq!(tree(&tmp.path().join("outside")), outside_before);
    assert!(
        std::fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_hard_link_to_a_file_outside_is_replaced_not_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let u = foo_update();
    let root = os_image(tmp.path(), &u);
    let target = root.join("WINDOWS/system32/foo.dll");
    std::fs::remove_file(&target).unwrap();
    std::fs::hard_link(tmp.path().join("outside/secret.dll"), &target).unwrap();
    let outside_before = tree(&tmp.path().join("outside"));
    let session = Session::open(&OsFs, &root, Wait::NoWait, &mut hotfix_engine::Silent).unwrap();
    hotfix_engine::install(
        &session,
        &[package(&u)],
        &opts(),
        &mut hotfix_engine::Silent,
    )
    .unwrap();
    // The file outside keeps its bytes: the install renamed a new file over
    // the name in the image instead of writing into the shared inode.
    assert_eq!(tree(&tmp.path().join("outside")), outside_before);
    let installed = std::fs::read(&target).unwrap();
    assert_eq!(
        hotfix_pe::read_version(&installed).unwrap().file_version,
        v("5.1.2600.3070")
    );
}

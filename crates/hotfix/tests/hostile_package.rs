//! Hostile packages through every command that takes one: each package of
//! the fuzz corpus (lying sizes, bombs, escaping names, digest and manifest
//! attacks, the libmspack and libgcab CVE cabinets) is given to `install`
//! (planned and real), `sp install` and `extract`, on an image inside a
//! sentinel tree. Whatever the package holds, nothing outside the image
//! changes, a refused package changes nothing in the image but the logs,
//! and the image still opens afterwards: it is never left stuck.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

mod support;
use support::sentinel::{End, World, run, walk};

/// Every package-shaped file of the fuzz corpus: the SFX and cabinet
/// packages, and the cabinets (as a package, each is a hostile one).
fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hotfix-fuzzsmoke/corpus");
    let mut files: Vec<PathBuf> = ["pkg", "cab"]
        .iter()
        .flat_map(|dir| fs::read_dir(root.join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The image's files and their bytes, but the logs a refusal may write
/// (Update.exe wrote `KBnnnnnn.log` and `svcpack.log` on failure too) and
/// the image lock.
fn image_tree(w: &World) -> BTreeMap<PathBuf, (String, Vec<u8>)> {
    let mut all = BTreeMap::new();
    let none = w.tmp.path().join("none");
    walk(&w.image, &none, &none, &mut all);
    all.retain(|path, _| {
        let rel = path.strip_prefix(&w.image).unwrap();
        let name = rel.file_name().unwrap().to_string_lossy().to_lowercase();
        let log = rel.parent() == Some(Path::new("WINDOWS")) && name.ends_with(".log");
        !log && rel != Path::new("WINDOWS/$hotfix$/lock") && rel != Path::new("WINDOWS/$hotfix$")
    });
    all
}

fn args(a: &[&std::ffi::OsStr]) -> Vec<OsString> {
    a.iter().map(|s| s.to_os_string()).collect()
}

#[test]
fn hostile_packages_change_nothing_outside_and_never_leave_the_image_stuck() {
    let files = corpus();
    assert!(files.len() > 60, "the corpus is missing: {files:?}");
    let (mut refused, mut succeeded) = (0, 0);
    for pkg in &files {
        let w = World::new();
        let name = pkg.file_name().unwrap().to_string_lossy().into_owned();
        let local = w.tmp.path().join(&name);
        fs::copy(pkg, &local).unwrap();
        let (img, p) = (w.image.as_os_str(), local.as_os_str());
        let host_before = w.host_tree();
        let image_before = image_tree(&w);
        let out = w.tmp.path().join("out/extracted");
        let commands = [
            args(&[
                "install".as_ref(),
                "--image".as_ref(),
                img,
                p,
                "/quiet".as_ref(),
                "/norestart".as_ref(),
                "--dry-run".as_ref(),
            ]),
            args(&["extract".as_ref(), p, out.as_os_str()]),
            args(&[
                "install".as_ref(),
                "--image".as_ref(),
                img,
                p,
                "/quiet".as_ref(),
                "/norestart".as_ref(),
            ]),
            args(&[
                "sp".as_ref(),
                "install".as_ref(),
                "--image".as_ref(),
                img,
                p,
                "/quiet".as_ref(),
                "/norestart".as_ref(),
            ]),
        ];
        let mut changed_image = false;
        for (n, cmd) in commands.iter().enumerate() {
            match run(&w, n, cmd) {
                End::Refused => {
                    refused += 1;
                    // A refusal loses nothing: the image is as it was before
                    // this package (or after its earlier, successful command).
                    if !changed_image {
                        let now = image_tree(&w);
                        let diff: Vec<_> = image_before
                            .keys()
                            .chain(now.keys())
                            .filter(|k| image_before.get(*k) != now.get(*k))
                            .collect();
                        assert!(
                            diff.is_empty(),
                            "{name}: {:?} refused but changed {diff:?}",
                            cmd[0]
                        );
                    }
                }
                End::Success => {
                    succeeded += 1;
                    changed_image |= n >= 2;
                }
            }
        }
        assert_eq!(
            host_before,
            w.host_tree(),
            "{name}: the host outside the image changed"
        );
        // Never stuck: the image opens, lists and verifies afterwards.
        for (n, cmd) in [
            args(&["list".as_ref(), "--image".as_ref(), img]),
            args(&["verify".as_ref(), "--image".as_ref(), img]),
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(
                run(&w, 10 + n, cmd),
                End::Success,
                "{name}: {:?} fails after the package",
                cmd[0]
            );
        }
        println!("{name}: ok");
    }
    println!(
        "{} hostile packages, {} command runs ({succeeded} succeeded, {refused} refused); host unchanged, image never stuck",
        files.len(),
        succeeded + refused
    );
}

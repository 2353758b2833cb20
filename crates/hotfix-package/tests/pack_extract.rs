//! pack_dir and extract: round trips, refusals.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::Path;

use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_fs::{Fs, MemFs, OsFs};
use hotfix_model::{FileVersion, Language, Product};
use hotfix_package::{DigestKind, Package, PackageError, extract, pack_dir};
use hotfix_synth::{SynthOptions, synth};

#[test]
fn packed_tree_opens_with_manifest_and_stub() {
    let pkg = Package::open(common::tiny_package(true), "t.exe").unwrap();
    let m = &pkg.manifest;
    assert_eq!((m.product, m.language), (Product::WindowsXp, Language::ENU));
    let paths: Vec<&str> = pkg.payload().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "readme.txt",
            "SP2GDR\\shell32.dll",
            "SP2QFE\\shell32.dll",
            "update\\update.inf"
        ]
    );
    let dll = &pkg.payload()[1];
    assert_eq!(dll.version, Some(FileVersion::new(6, 0, 2900, 3051)));
    assert_eq!(dll.size, 8192);
    assert_eq!(pkg.payload()[0].version, None);
    let stub = pkg.stub.as_ref().unwrap();
    assert_eq!(stub.file_version, FileVersion::new(6, 3, 4, 0));
    assert_eq!(
        stub.string("FileDescription"),
        Some("hotfix package installer stub")
    );
    assert_eq!(stub.string("OriginalFilename"), Some("hotfix-sfx.exe"));
    assert_eq!(pkg.inf.copy_always.len(), 1);
    assert!(
        Package::open(common::tiny_package(false), "t.cab")
            .unwrap()
            .stub
            .is_none()
    );
}

#[test]
fn extract_writes_the_tree_and_repacks_to_the_same_manifest() {
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    // Two 2003 branches; XP dual mode with ASMS; XP branches, ASMS and root files.
    let picks = ["KB834707", "KB839645", "KB893086"];
    for kb in picks {
        let update = data.find(&kb.parse().unwrap()).unwrap();
        let s = synth(update, &SynthOptions::default()).unwrap();
        let pkg = Package::open(s.bytes, &s.file_name).unwrap();
        let fs = MemFs::new();
        let dest = Path::new("/out/x");
        let n = extract(&fs, &pkg, dest).unwrap();
        assert_eq!(n as usize, pkg.payload().len() + 1);
        for row in &update.files {
            let host = row
                .package_path()
                .split('\\')
                .fold(dest.to_path_buf(), |p, c| p.join(c));
            assert_eq!(
                fs.metadata(&host).unwrap().len,
                row.size,
                "{}",
                host.display()
            );
        }
        assert!(fs.exists(&dest.join("update").join("update.ver")));
        for sfx in [true, false] {
            let again = Package::open(pack_dir(&fs, dest, sfx).unwrap(), "again").unwrap();
            assert_eq!(again.manifest, pkg.manifest, "{kb}");
            assert_eq!(again.inf, pkg.inf);
        }
        // The destination must be empty now.
        assert!(matches!(
            extract(&fs, &pkg, dest),
            Err(PackageError::DestNotEmpty { .. })
        ));
    }
}

#[test]
fn pack_dir_refuses_links_bad_names_and_missing_inf() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("src");
    let fs = OsFs;
    common::write_tree(&fs, &root, &common::tiny_files());
    assert!(pack_dir(&fs, &root, false).is_ok());

    std::os::unix::fs::symlink("/etc/passwd", root.join("SP2GDR").join("link.dll")).unwrap();
    assert!(matches!(
        pack_dir(&fs, &root, false),
        Err(PackageError::NotRegular { .. })
    ));
    std::fs::remove_file(root.join("SP2GDR").join("link.dll")).unwrap();

    for bad in ["CON.txt", "trailing. ", "a:b"] {
        std::fs::write(root.join(bad), b"x").unwrap();
        let err = pack_dir(&fs, &root, false).unwrap_err();
        assert!(
            matches!(&err, PackageError::BadName { path, .. } if path == bad),
            "{err:?}"
        );
        std::fs::remove_file(root.join(bad)).unwrap();
    }

    std::fs::write(root.join("sp2gdr.txt"), b"fine").unwrap();
    std::fs::write(root.join("SP2GDR").join("SHELL32.DLL"), b"clash").unwrap();
    assert!(matches!(
        pack_dir(&fs, &root, false),
        Err(PackageError::BadName { .. })
    ));
    std::fs::remove_file(root.join("SP2GDR").join("SHELL32.DLL")).unwrap();

    std::fs::remove_file(root.join("update").join("update.inf")).unwrap();
    let err = pack_dir(&fs, &root, false).unwrap_err();
    assert!(matches!(err, PackageError::Missing { .. }), "{err:?}");
}

#[test]
fn pack_dir_ignores_a_stale_update_ver() {
    let fs = MemFs::new();
    let root = Path::new("/src");
    let mut files = common::tiny_files();
    files.push(("update\\update.ver".into(), b"stale".to_vec()));
    common::write_tree(&fs, root, &files);
    let pkg = Package::open(pack_dir(&fs, root, false).unwrap(), "p").unwrap();
    assert_eq!(pkg.payload().len(), 4);
    assert!(pkg.manifest_bytes().starts_with(b"; update.ver"));
}

#[test]
fn a_package_with_sha256_digests_still_opens_and_is_still_checked() {
    // Packages written before update.ver switched to BLAKE3 name SHA-256
    // with Format=hotfix-1.
    let pkg = Package::open(common::tiny_package(false), "t.cab").unwrap();
    assert_eq!(pkg.manifest.digest, DigestKind::Blake3);
    let mut files = common::files_of(&pkg);
    let mut old = pkg.manifest.clone();
    old.digest = DigestKind::Sha256;
    for entry in &mut old.entries {
        let data = &files.iter().find(|(p, _)| *p == entry.path).unwrap().1;
        entry.digest = DigestKind::Sha256.digest(data);
    }
    let text = old.to_text();
    assert!(text.contains("Format=hotfix-1\r\n"), "{text}");
    files[0].1 = text.into_bytes();
    let reopened = Package::open(common::cab_of(&files), "old.cab").unwrap();
    assert_eq!(reopened.manifest, old);
    for e in reopened.payload() {
        let want = &files.iter().find(|(p, _)| *p == e.path).unwrap().1;
        assert_eq!(&reopened.read(&e.path).unwrap(), want, "{}", e.path);
    }
    let readme = files.iter_mut().find(|(p, _)| p == "readme.txt").unwrap();
    readme.1[0] ^= 1;
    match Package::open(common::cab_of(&files), "old.cab") {
        Err(err @ PackageError::DigestMismatch { .. }) => {
            assert!(
                err.to_string()
                    .contains("readme.txt does not match its SHA-256 digest"),
                "{err}"
            )
        }
        other => panic!("{other:?}"),
    }
}

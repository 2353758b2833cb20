//! Tampered, incomplete, padded, truncated and path-escaping packages are
//! refused with errors that name the package and the file.
//!
//! The attack packages are generated here from a tiny packed tree; the same
//! bytes are kept in `tests/fixtures/<attack>.cab` for other tools
//! (regenerate with `HOTFIX_REGEN_FIXTURES=1`; `committed_fixtures_are_refused`
//! opens them).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::PathBuf;

use common::{cab_of, files_of, tiny_package};
use hotfix_package::{Package, PackageError};

const NAME: &str = "WindowsXP-KB900001-x86-ENU.exe";

fn tiny_files() -> Vec<(String, Vec<u8>)> {
    files_of(&Package::open(tiny_package(false), NAME).unwrap())
}

/// (attack name, cabinet bytes).
fn attacks() -> Vec<(&'static str, Vec<u8>)> {
    let good = tiny_files();
    let mut out = Vec::new();

    let mut flipped = good.clone();
    let dll = flipped
        .iter_mut()
        .find(|(p, _)| p == "SP2QFE\\shell32.dll")
        .unwrap();
    dll.1[5000] ^= 0x01;
    out.push(("flipped-byte", cab_of(&flipped)));

    let absent: Vec<_> = good
        .iter()
        .filter(|(p, _)| p != "readme.txt")
        .cloned()
        .collect();
    out.push(("listed-absent", cab_of(&absent)));

    let mut extra = good.clone();
    extra.push(("SP2GDR\\evil.dll".into(), b"MZ not listed".to_vec()));
    out.push(("unlisted-extra", cab_of(&extra)));

    let mut grown = good.clone();
    grown
        .iter_mut()
        .find(|(p, _)| p == "readme.txt")
        .unwrap()
        .1
        .push(b'!');
    out.push(("size-mismatch", cab_of(&grown)));

    let no_manifest: Vec<_> = good.iter().skip(1).cloned().collect();
    out.push(("no-manifest", cab_of(&no_manifest)));

    // The cabinet writer refuses "..", so write a same-length harmless name
    // and patch it in the CFFILE table (headers carry no checksum).
    let mut escape = good.clone();
    escape.push(("zz\\zz\\evil.txt".into(), b"owned".to_vec()));
    let mut bytes = cab_of(&escape);
    let at = bytes
        .windows(14)
        .position(|w| w == b"zz\\zz\\evil.txt")
        .unwrap();
    bytes[at..at + 14].copy_from_slice(b"..\\..\\evil.txt");
    out.push(("dotdot-name", bytes));

    // update.ver may not lie about a version: installers rank by it.
    let mut lying = good.clone();
    let (_, ver) = &mut lying[0];
    let text = String::from_utf8(ver.clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("SP2QFE\\shell32.dll="))
        .unwrap();
    let (head, _) = line.rsplit_once(',').unwrap();
    *ver = text.replace(line, &format!("{head},99.0.0.1")).into_bytes();
    out.push(("version-lie", cab_of(&lying)));

    out
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.cab"))
}

fn open(bytes: &[u8]) -> PackageError {
    Package::open(bytes.to_vec(), NAME).expect_err("hostile package was accepted")
}

/// A self-extractor stub with `overlay` appended.
fn sfx_of(overlay: &[u8]) -> Vec<u8> {
    let stub = hotfix_pe::PeSpec::new(
        hotfix_pe::PeKind::Exe,
        "sfx.exe",
        hotfix_model::FileVersion::new(6, 3, 4, 0),
        "6.3.4.0",
    );
    hotfix_pe::build_with_overlay(&stub, overlay).unwrap()
}

fn check_refusal(attack: &str, err: &PackageError) {
    let msg = err.to_string();
    assert!(msg.contains(NAME), "{attack}: {msg}");
    match attack {
        "flipped-byte" => assert!(
            matches!(err, PackageError::DigestMismatch { path, .. } if path == "SP2QFE\\shell32.dll"),
            "{attack}: {err:?}"
        ),
        "listed-absent" => assert!(
            matches!(err, PackageError::Missing { path, .. } if path == "readme.txt"),
            "{attack}: {err:?}"
        ),
        "unlisted-extra" => assert!(
            matches!(err, PackageError::Unlisted { path, .. } if path == "SP2GDR\\evil.dll"),
            "{attack}: {err:?}"
        ),
        "size-mismatch" => assert!(
            matches!(err, PackageError::SizeMismatch { path, expected: 7, actual: 8, .. } if path == "readme.txt"),
            "{attack}: {err:?}"
        ),
        "no-manifest" => assert!(
            matches!(err, PackageError::Missing { path, .. } if path == "update\\update.ver"),
            "{attack}: {err:?}"
        ),
        "version-lie" => assert!(
            matches!(err, PackageError::VersionMismatch { path, listed, .. }
                if path == "SP2QFE\\shell32.dll" && listed == "99.0.0.1"),
            "{attack}: {err:?}"
        ),
        "dotdot-name" => {
            assert!(matches!(err, PackageError::Cab { .. }), "{attack}: {err:?}");
            assert!(msg.contains(".."), "{msg}");
        }
        other => panic!("unknown attack {other}"),
    }
}

#[test]
fn every_attack_is_refused_naming_the_file() {
    for (attack, bytes) in attacks() {
        check_refusal(attack, &open(&bytes));
        // The same attack inside a self-extractor.
        check_refusal(attack, &open(&sfx_of(&bytes)));
    }
}

#[test]
fn committed_fixtures_are_refused() {
    let regen = std::env::var("HOTFIX_REGEN_FIXTURES").as_deref() == Ok("1");
    for (attack, bytes) in attacks() {
        let path = fixture_path(attack);
        if regen {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        // Not compared byte for byte with `bytes`: the PE and cabinet
        // writers may change their output, and a committed attack stays an
        // attack as long as it is refused for the same reason.
        let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check_refusal(attack, &open(&stored));
    }
}

#[test]
fn truncated_packages_are_refused() {
    for sfx in [false, true] {
        let good = tiny_package(sfx);
        assert!(Package::open(good.clone(), NAME).is_ok());
        let mut cuts: Vec<usize> = vec![0, 1, 2, 4, 36, 60, 64, 100, 200, 512, 1024];
        cuts.extend((1..40).map(|i| good.len() * i / 40));
        cuts.extend([good.len() - 1, good.len() - 8, good.len() - 100]);
        for cut in cuts {
            let err = Package::open(good[..cut].to_vec(), NAME)
                .expect_err(&format!("truncated at {cut} of {} accepted", good.len()));
            assert!(err.to_string().contains(NAME), "{err}");
        }
    }
}

#[test]
fn not_packages_are_refused() {
    for bytes in [&b""[..], b"hello world", b"PK\x03\x04zip"] {
        assert!(matches!(open(bytes), PackageError::NotAPackage { .. }));
    }
    // A PE with nothing appended is not a package either.
    let plain = common::pe("x.dll", hotfix_model::FileVersion::new(1, 0, 0, 0), "x");
    assert!(matches!(
        open(&plain),
        PackageError::NotAPackage { .. } | PackageError::BadStub { .. }
    ));
    // A PE with junk appended: the overlay is not a cabinet.
    let junk = sfx_of(&[0x55; 300]);
    assert!(
        matches!(open(&junk), PackageError::BadStub { .. }),
        "{:?}",
        open(&junk)
    );
}

#[test]
fn a_bad_manifest_is_refused_with_its_line() {
    let mut files = tiny_files();
    let text = String::from_utf8(files[0].1.clone()).unwrap();
    files[0].1 = text.replace("Format=hotfix-2", "Format=other").into_bytes();
    let err = open(&cab_of(&files));
    let msg = err.to_string();
    assert!(
        matches!(err, PackageError::Manifest { line: 3, .. }),
        "{err:?}"
    );
    assert!(msg.contains(NAME) && msg.contains("update.ver"), "{msg}");
}

#[test]
fn read_rechecks_and_ignores_case() {
    let pkg = Package::open(tiny_package(true), NAME).unwrap();
    assert!(pkg.has("sp2qfe\\SHELL32.DLL"));
    assert_eq!(pkg.read("README.TXT").unwrap(), b"hello\r\n");
    assert!(matches!(
        pkg.read("nope.dll"),
        Err(PackageError::NotFound { .. })
    ));
    assert_eq!(pkg.kb().to_string(), "KB900001");
}

//! The corpus: regenerated with `HOTFIX_REGEN_FIXTURES=1`, otherwise checked
//! to hold every generated file with the generator's bytes; and every
//! hostile fixture refused with the error its attack deserves.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use hotfix_cab::{CabError, Cabinet, Limits, NameError};
use hotfix_fuzzsmoke::fuzz_key;
use hotfix_hive::{Hive, HiveError};
use hotfix_inf::{InfError, UpdateInf};
use hotfix_package::{Manifest, Package, PackageError};
use hotfix_pe::PeError;
use hotfix_txn::{Journal, TxnError};

#[test]
fn generated_fixtures_are_in_the_corpus() {
    let fixtures = hotfix_fuzzsmoke::fixtures::generate().unwrap();
    let regen = std::env::var_os("HOTFIX_REGEN_FIXTURES").is_some_and(|v| v == "1");
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for f in &fixtures {
        assert!(
            f.bytes.len() < 64 << 10,
            "{}/{} is {} bytes",
            f.kind,
            f.name,
            f.bytes.len()
        );
        let path = common::root().join(f.kind).join(&f.name);
        if regen {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &f.bytes).unwrap();
        } else if !path.is_file() {
            missing.push(format!("{}/{}", f.kind, f.name));
        } else if std::fs::read(&path).unwrap() != f.bytes {
            // The hostile tests below read the corpus, so a stale file
            // would test an attack the generator no longer makes.
            stale.push(format!("{}/{}", f.kind, f.name));
        }
    }
    assert!(
        missing.is_empty(),
        "missing from corpus/ (run with HOTFIX_REGEN_FIXTURES=1): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "corpus/ differs from the generator (run with HOTFIX_REGEN_FIXTURES=1): {stale:?}"
    );
    println!("{} generated fixtures", fixtures.len());
}

fn read(kind: &str, name: &str) -> Vec<u8> {
    std::fs::read(common::root().join(kind).join(name))
        .unwrap_or_else(|e| panic!("corpus/{kind}/{name}: {e}"))
}

/// The error of a hostile file's parse; a success fails the test.
fn refusal<T: std::fmt::Debug, E>(name: &str, result: Result<T, E>) -> E {
    match result {
        Err(e) => e,
        Ok(v) => panic!("{name} was accepted: {v:?}"),
    }
}

fn cab_err(name: &str, limits: &Limits) -> CabError {
    let cab = Cabinet::parse(read("cab", name), limits);
    match cab {
        Err(e) => e,
        // Some lies only show when the data is read.
        Ok(cab) => (0..cab.entries().len())
            .find_map(|i| cab.read(i).err())
            .unwrap_or_else(|| panic!("{name} was accepted")),
    }
}

fn pkg_err(name: &str) -> PackageError {
    refusal(name, Package::open(read("pkg", name), name))
}

fn pe_err(name: &str) -> PeError {
    refusal(name, hotfix_pe::read_version(&read("pe", name)))
}

fn hive_err(name: &str) -> HiveError {
    refusal(name, Hive::parse(&read("hive", name)))
}

fn inf_err(name: &str) -> InfError {
    refusal(name, UpdateInf::parse(&read("inf", name)))
}

fn manifest_err(name: &str) -> PackageError {
    let bytes = read("manifest", name);
    refusal(name, Manifest::parse(std::str::from_utf8(&bytes).unwrap()))
}

fn journal_err(name: &str) -> TxnError {
    refusal(
        name,
        Journal::decode(&read("journal", name), name, Some(&fuzz_key())),
    )
}

/// Asserts `$err` matches `$pat`, printing the message either way so a
/// reader of the test output sees that every refusal says what and where.
macro_rules! refused {
    ($name:expr, $err:expr, $pat:pat) => {{
        let err = $err;
        println!("{}: {err}", $name);
        assert!(matches!(err, $pat), "{}: unexpected error {err:?}", $name);
    }};
}

#[test]
fn hostile_cabinets_are_refused() {
    let d = Limits::default();
    refused!(
        "cab-size-lies",
        cab_err("cab-size-lies.cab", &d),
        CabError::Entry { .. }
    );
    refused!(
        "cab-declared-size-4gib",
        cab_err("cab-declared-size-4gib.cab", &d),
        CabError::LimitExceeded { .. }
    );
    refused!(
        "cab-block-count-lies",
        cab_err("cab-block-count-lies.cab", &d),
        CabError::Corrupt { .. }
    );
    refused!(
        "cab-file-table-offset-lies",
        cab_err("cab-file-table-offset-lies.cab", &d),
        CabError::Corrupt { .. }
    );
    refused!(
        "cab-truncated",
        cab_err("cab-truncated.cab", &d),
        CabError::Truncated { .. }
    );
    // 4 MiB of zeros in 6 KB: a caller's limit stops it before inflating.
    let tight = Limits {
        max_file_size: 1 << 20,
        ..Limits::default()
    };
    refused!(
        "cab-mszip-bomb-4mib-zeros",
        cab_err("cab-mszip-bomb-4mib-zeros.cab", &tight),
        CabError::LimitExceeded { .. }
    );
}

#[test]
fn hostile_package_names_are_refused() {
    let cases = [
        ("pkg-dotdot-name.cab", NameError::DotDot),
        ("pkg-absolute-slash-name.cab", NameError::Absolute),
        ("pkg-drive-letter-name.cab", NameError::DriveLetter),
        ("pkg-win32-device-namespace-name.cab", NameError::DevicePath),
        ("pkg-nt-object-path-name.cab", NameError::DevicePath),
        (
            "pkg-dos-device-name.cab",
            NameError::DeviceName("AUX".into()),
        ),
    ];
    for (name, want) in cases {
        let err = pkg_err(name);
        println!("{name}: {err}");
        match &err {
            PackageError::Cab {
                source: CabError::BadName { source, .. },
                ..
            } => assert_eq!(source, &want, "{name}"),
            other => panic!("{name}: unexpected error {other:?}"),
        }
    }
    refused!(
        "pkg-case-collision",
        pkg_err("pkg-case-collision.cab"),
        PackageError::Cab {
            source: CabError::Duplicate(_),
            ..
        }
    );
}

#[test]
fn hostile_package_contents_are_refused() {
    refused!(
        "pkg-digest-mismatch",
        pkg_err("pkg-digest-mismatch.exe"),
        PackageError::DigestMismatch { .. }
    );
    refused!(
        "pkg-size-mismatch",
        pkg_err("pkg-size-mismatch.cab"),
        PackageError::SizeMismatch { .. }
    );
    refused!(
        "pkg-listed-file-absent",
        pkg_err("pkg-listed-file-absent.cab"),
        PackageError::Missing { .. }
    );
    refused!(
        "pkg-unlisted-extra-file",
        pkg_err("pkg-unlisted-extra-file.cab"),
        PackageError::Unlisted { .. }
    );
    refused!(
        "pkg-no-manifest",
        pkg_err("pkg-no-manifest.cab"),
        PackageError::Missing { .. }
    );
    refused!(
        "pkg-stub-cabinet-gap",
        pkg_err("pkg-stub-cabinet-gap.exe"),
        PackageError::BadStub { .. }
    );
}

#[test]
fn hostile_pe_hive_inf_manifest_journal_are_refused() {
    refused!(
        "pe-resource-loop",
        pe_err("pe-resource-loop.dll"),
        PeError::Corrupt { .. }
    );
    refused!(
        "pe-truncated-headers",
        pe_err("pe-truncated-headers.dll"),
        PeError::Truncated { .. } | PeError::NotPe { .. }
    );
    refused!(
        "hive-cycle",
        hive_err("hive-cycle.hiv"),
        HiveError::Corrupt { .. }
    );
    refused!(
        "hive-bad-root-offset",
        hive_err("hive-bad-root-offset.hiv"),
        HiveError::Corrupt { .. }
    );
    refused!(
        "hive-dirty-sequence",
        hive_err("hive-dirty-sequence.hiv"),
        HiveError::Dirty { .. }
    );
    refused!(
        "hive-bad-checksum",
        hive_err("hive-bad-checksum.hiv"),
        HiveError::BadChecksum { .. }
    );
    refused!(
        "inf-condition-cycle",
        inf_err("inf-condition-cycle.inf"),
        InfError::Invalid { .. }
    );
    refused!(
        "inf-condition-billion-laughs",
        inf_err("inf-condition-billion-laughs.inf"),
        InfError::Invalid { .. }
    );
    refused!(
        "inf-utf16-unpaired-surrogate",
        inf_err("inf-utf16-unpaired-surrogate.inf"),
        InfError::Encoding { .. }
    );
    refused!(
        "manifest-dotdot-path",
        manifest_err("manifest-dotdot-path.ver"),
        PackageError::Manifest { .. }
    );
    refused!(
        "manifest-bad-digest",
        manifest_err("manifest-bad-digest.ver"),
        PackageError::Manifest { .. }
    );
    refused!(
        "journal-torn",
        journal_err("journal-torn.json"),
        TxnError::BadJournal { .. }
    );
    refused!(
        "journal-edited-checksum-stale",
        journal_err("journal-edited-checksum-stale.json"),
        TxnError::BadJournal { .. }
    );
    refused!(
        "journal-dotdot-path",
        journal_err("journal-dotdot-path.json"),
        TxnError::BadJournal { .. }
    );
}

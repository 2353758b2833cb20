//! Packages opened with deferred checks (`Package::open_source_deferred`):
//! a damaged payload file is found at its first read and by
//! `check_remaining`, never used, while the other files read as from the
//! good package; `Package::open_source` refuses the same bytes at open.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::tiny_package;
use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_package::{Package, PackageError};
use hotfix_synth::{SynthOptions, synth};
use hotfix_testutil::Counted;

const NAME: &str = "WindowsXP-KB900001-x86-ENU.cab";
/// The one file the committed fixtures damage.
const DAMAGED: &str = "SP2QFE\\shell32.dll";

fn fixture(attack: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{attack}.cab"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn deferred(bytes: Vec<u8>) -> Package {
    Package::open_source_deferred(Arc::new(bytes), NAME).unwrap_or_else(|e| panic!("{e}"))
}

fn is_digest_mismatch(err: &PackageError) -> bool {
    matches!(err, PackageError::DigestMismatch { file, path, .. } if file == NAME && path == DAMAGED)
}

fn is_version_mismatch(err: &PackageError) -> bool {
    matches!(err, PackageError::VersionMismatch { file, path, listed, .. }
        if file == NAME && path == DAMAGED && listed == "99.0.0.1")
}

/// The fixture opens deferred; the damaged file fails every way it is read
/// (and again on a second read: a failed check is not remembered as
/// passed); the other files read as in the good package; `check_remaining`
/// fails for the damaged file, read first or not; `open_source` refuses.
fn assert_found_late(attack: &str, expected: fn(&PackageError) -> bool) {
    let bytes = fixture(attack);
    let good = Package::open(tiny_package(false), NAME).unwrap();

    let pkg = deferred(bytes.clone());
    let file = pkg.file(DAMAGED).unwrap();
    let mut out = Vec::new();
    let errors = [
        // A writer's error type carries the package problem inside.
        PackageError::from_io(file.write_to(&mut out).unwrap_err())
            .expect("a package problem, not the writer's"),
        file.read().unwrap_err(),
        file.stream(&mut |_| Ok::<(), PackageError>(()))
            .unwrap_err(),
        pkg.read(DAMAGED).unwrap_err(),
    ];
    for err in &errors {
        assert!(expected(err), "{attack}: {err:?}");
        assert!(err.to_string().contains(NAME), "{attack}: {err}");
    }
    for entry in good.payload().iter().filter(|e| e.path != DAMAGED) {
        let read = pkg.read(&entry.path);
        let read = read.unwrap_or_else(|e| panic!("{attack}: {}: {e}", entry.path));
        assert!(
            read == good.read(&entry.path).unwrap(),
            "{attack}: {}",
            entry.path
        );
    }
    let err = pkg.check_remaining().unwrap_err();
    assert!(expected(&err), "{attack}: after reads: {err:?}");

    let untouched = deferred(bytes.clone());
    let err = untouched.check_remaining().unwrap_err();
    assert!(expected(&err), "{attack}: nothing read: {err:?}");

    let err = Package::open_source(Arc::new(bytes), NAME).unwrap_err();
    assert!(expected(&err), "{attack}: open_source: {err:?}");
}

/// A size the cabinet's header contradicts needs no payload read: even a
/// deferred open refuses it.
#[test]
fn a_size_mismatch_is_refused_by_a_deferred_open() {
    let err = Package::open_source_deferred(Arc::new(fixture("size-mismatch")), NAME).unwrap_err();
    assert!(
        matches!(&err, PackageError::SizeMismatch { file, path, .. } if file == NAME && path == "readme.txt"),
        "{err:?}"
    );
}

#[test]
fn a_flipped_byte_opens_deferred_and_fails_at_first_read_and_check_remaining() {
    assert_found_late("flipped-byte", is_digest_mismatch);
}

#[test]
fn a_version_lie_opens_deferred_and_fails_at_first_read_and_check_remaining() {
    assert_found_late("version-lie", is_version_mismatch);
}

/// A synthesized XP update (branch folders, ASMS, root files) in several
/// data blocks, so that checking a file again would read the package again.
fn synthesized(opts: &SynthOptions) -> (String, Vec<u8>) {
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    let s = synth(data.find(&"KB893086".parse().unwrap()).unwrap(), opts).unwrap();
    (s.file_name, s.bytes)
}

#[test]
fn after_check_remaining_every_file_reads_and_a_second_check_reads_nothing() {
    let stored = SynthOptions {
        sfx: false,
        compression_fast: true,
        ..SynthOptions::default()
    };
    for opts in [SynthOptions::default(), stored] {
        let (name, bytes) = synthesized(&opts);
        let good = Package::open(bytes.clone(), &name).unwrap();
        let source = Arc::new(Counted::new(bytes));
        let pkg = Package::open_source_deferred(source.clone(), &name).unwrap();
        pkg.check_remaining().unwrap();
        let checked = source.bytes_read();
        pkg.check_remaining().unwrap();
        let again = source.bytes_read() - checked;
        assert_eq!(
            again, 0,
            "{name}: the second check_remaining read the package"
        );
        for entry in good.payload() {
            let read = pkg.read(&entry.path).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                read == good.read(&entry.path).unwrap(),
                "{name}: {}",
                entry.path
            );
        }
    }
}

/// A self-extractor whose stub is larger than the 1 MiB probe opens, its
/// stub's version read, without the package being read whole; a plain
/// cabinet's open reads no probe.
#[test]
fn a_stub_larger_than_the_probe_opens_without_reading_the_whole_package() {
    let mut files = common::tiny_files();
    files.push(("big.bin".into(), hotfix_testutil::random_bytes(8 << 20, 3)));
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (p.as_str(), &d[..])).collect();
    let kb = "KB900001".parse().unwrap();
    let cab = hotfix_package::build_cabinet(
        &kb,
        hotfix_model::Product::WindowsXp,
        hotfix_model::Language::ENU,
        &files,
        hotfix_cab::Compression::None,
    )
    .unwrap();
    let mut spec = hotfix_pe::PeSpec::new(
        hotfix_pe::PeKind::Exe,
        "bigsfx.exe",
        hotfix_model::FileVersion::new(6, 3, 4, 0),
        "6.3.4.0",
    );
    spec.total_size = Some(3 << 20);
    let sfx = hotfix_pe::build_with_overlay(&spec, &cab).unwrap();
    let source = Arc::new(Counted::new(sfx.clone()));
    let pkg = Package::open_source_deferred(source.clone(), NAME).unwrap();
    assert_eq!(
        pkg.stub.as_ref().map(|s| s.file_version),
        Some(hotfix_model::FileVersion::new(6, 3, 4, 0))
    );
    // The stub, the cabinet's tables and two small files.
    let opened = source.bytes_read();
    assert!(opened < 5 << 20, "opening read {opened} of {}", sfx.len());
    let plain = Arc::new(Counted::new(cab.clone()));
    Package::open_source_deferred(plain.clone(), NAME).unwrap();
    assert!(plain.bytes_read() < 1 << 20, "{}", plain.bytes_read());
}

/// A first read (checked whole) may read another unchecked file of the
/// package from inside its callback: the memory a whole check assembles in
/// is not held borrowed meanwhile.
#[test]
fn a_file_can_be_read_from_inside_another_files_stream() {
    let pkg = deferred(tiny_package(false));
    let outer = pkg.file(DAMAGED).unwrap();
    let mut inner = Vec::new();
    outer
        .stream(&mut |_| {
            inner = pkg.read("SP2GDR\\shell32.dll")?;
            Ok::<(), PackageError>(())
        })
        .unwrap();
    let good = Package::open(tiny_package(false), NAME).unwrap();
    assert!(inner == good.read("SP2GDR\\shell32.dll").unwrap());
}

//! Cabinets made by others: gcab's output, libmspack's and libgcab's test
//! cabinets (good ones read, with bytes identical to cabextract's; broken ones
//! give errors, never panics).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_input_error, assert_success, random_bytes, run, text_bytes};
use hotfix_cab::{CabError, Cabinet, Limits, Method, find_cabinet};
use hotfix_testutil::{have_tool, oracle_missing};

const LIBMSPACK_DIRS: &[&str] = &[
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/cab-samples/libmspack-cabd"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/cab-samples/libmspack-other"
    ),
];
const LIBGCAB_DIR: &str = "/usr/libexec/installed-tests/libgcab-1.0";

/// Cabinets whose every entry must read; the last three come with libgcab-tests.
const READABLE: &[&str] = &[
    "normal_2files_1folder.cab",
    "normal_2files_2folders.cab",
    "normal_255c_filename.cab",
    "reserve_---.cab",
    "reserve_--D.cab",
    "reserve_-F-.cab",
    "reserve_-FD.cab",
    "reserve_H--.cab",
    "reserve_H-D.cab",
    "reserve_HF-.cab",
    "reserve_HFD.cab",
    "search_basic.cab",
    "search_tricky1.cab",
    "large-files-cab.cab",
    "test-none.cab",
    "test-mszip.cab",
    "test-signed.cab",
];

/// Cabinets that parse, whose Quantum entries are refused as unsupported and
/// whose other entries read.
const HAS_QUANTUM: &[&str] = &[
    "mszip_lzx_qtm.cab",
    "cve-2010-2801-qtm-flush.cab",
    "cve-2018-18584-qtm-max-size-block.cab",
];

/// The sample cabinets, and whether libgcab's are among them.
fn sample_paths() -> (Vec<PathBuf>, bool) {
    let mut dirs: Vec<&str> = LIBMSPACK_DIRS.to_vec();
    let with_libgcab = Path::new(LIBGCAB_DIR).is_dir();
    if with_libgcab {
        dirs.push(LIBGCAB_DIR);
    } else {
        oracle_missing(&format!("libgcab-tests ({LIBGCAB_DIR})"));
    }
    let mut paths: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
        })
        .filter(|path| path.extension().is_some_and(|ext| ext == "cab"))
        .collect();
    paths.sort();
    (paths, with_libgcab)
}

fn open(bytes: &[u8]) -> Result<Cabinet, CabError> {
    let start = find_cabinet(bytes).unwrap_or(0);
    Cabinet::parse(bytes[start..].to_vec(), &Limits::default())
}

/// Entry contents as cabextract writes them, when it is installed.
fn cabextract_output(path: &Path, out: &Path) -> Option<PathBuf> {
    if !have_tool("cabextract") {
        return None;
    }
    let output = run(
        "cabextract",
        &["-q", "-d", out.to_str().unwrap(), path.to_str().unwrap()],
        out,
    );
    assert_success(&output, &format!("cabextract {}", path.display()));
    Some(out.to_path_buf())
}

#[test]
fn every_sample_reads_or_fails_cleanly() {
    let (paths, with_libgcab) = sample_paths();
    assert!(
        paths.len() >= 59,
        "sample cabinets missing: found {}",
        paths.len()
    );
    let mut readable_seen = 0;
    for path in &paths {
        let file = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let result = open(&bytes);
        if READABLE.contains(&file) || HAS_QUANTUM.contains(&file) {
            let cabinet = result.unwrap_or_else(|e| panic!("{file}: {e}"));
            let scratch = tempfile::tempdir().unwrap();
            let reference = if READABLE.contains(&file) {
                cabextract_output(path, scratch.path())
            } else {
                None
            };
            for (index, entry) in cabinet.entries().iter().enumerate() {
                match cabinet.read(index) {
                    Ok(data) => {
                        assert_eq!(data.len() as u64, entry.size, "{file}: {}", entry.name);
                        if let Some(dir) = &reference {
                            let expected =
                                std::fs::read(dir.join(entry.name.replace('\\', "/"))).unwrap();
                            assert!(
                                data == expected,
                                "{file}: {} differs from cabextract's",
                                entry.name
                            );
                        }
                    }
                    Err(CabError::Unsupported(Method::Quantum))
                        if entry.method == Method::Quantum => {}
                    Err(e) => panic!("{file}: {}: {e}", entry.name),
                }
            }
            readable_seen += 1;
        } else {
            // Broken on purpose: refused when parsed, or when an entry is read.
            let failed = match result {
                Err(e) => {
                    assert_input_error(&e);
                    true
                }
                Ok(cabinet) => {
                    (0..cabinet.entries().len()).any(|index| cabinet.read(index).is_err())
                }
            };
            assert!(failed, "{file} should have been refused");
        }
    }
    // The three libgcab cabinets are absent when libgcab-tests is not installed.
    let expected = READABLE.len() + HAS_QUANTUM.len() - if with_libgcab { 0 } else { 3 };
    assert_eq!(
        readable_seen, expected,
        "readable samples found (libgcab-tests installed: {with_libgcab})"
    );
}

#[test]
fn specific_sample_details() {
    let dir = Path::new(LIBMSPACK_DIRS[0]);
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();

    let cabinet = open(&read("normal_2files_1folder.cab")).unwrap();
    let names: Vec<(&str, u64)> = cabinet
        .entries()
        .iter()
        .map(|e| (e.name.as_str(), e.size))
        .collect();
    assert_eq!(names, [("hello.c", 77), ("welcome.c", 74)]);

    let cabinet = open(&read("normal_2files_2folders.cab")).unwrap();
    let methods: Vec<Method> = cabinet.entries().iter().map(|e| e.method).collect();
    assert_eq!(
        methods,
        [Method::MsZip, Method::MsZip, Method::Lzx, Method::Lzx]
    );
    // Any order gives the same bytes (the folder cursor rewinds correctly).
    let forward: Vec<Vec<u8>> = (0..4).map(|i| cabinet.read(i).unwrap()).collect();
    for i in [3, 1, 2, 0, 3, 3] {
        assert_eq!(cabinet.read(i).unwrap(), forward[i]);
    }

    assert_eq!(find_cabinet(&read("search_basic.cab")), Some(6));
    assert_eq!(find_cabinet(&read("search_tricky1.cab")), Some(4));
    assert!(matches!(
        open(&read("bad_signature.cab")),
        Err(CabError::NotCabinet { offset: 0 })
    ));
    assert!(matches!(
        open(&read("multi_basic_pt1.cab")),
        Err(CabError::Spanned { .. })
    ));
    // The file table is not where the header says: refused (readers disagree).
    assert!(matches!(
        open(&read("hidden-files.cab")),
        Err(CabError::Corrupt { offset: 16, .. })
    ));
    let cabinet = open(&read("cve-2010-2800-mszip-infinite-loop.cab")).unwrap();
    let err = cabinet.read(0).unwrap_err();
    assert!(
        matches!(&err, CabError::Entry { name, .. } if name == "file.txt"),
        "{err}"
    );
    assert!(err.to_string().contains("byte offset"), "{err}");
}

/// Cabinets written by gcab (stored, and MSZIP with `-z`), nested names included.
#[test]
fn gcab_made_cabinets_read() {
    if !have_tool("gcab") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("update.inf", text_bytes(70_000)),
        ("sp2qfe/shell32.dll", random_bytes(100_000, 9)),
        ("empty.txt", Vec::new()),
    ];
    std::fs::create_dir(dir.path().join("sp2qfe")).unwrap();
    for (name, data) in &files {
        std::fs::write(dir.path().join(name), data).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    for (flag, method) in [("-c", Method::None), ("-cz", Method::MsZip)] {
        let cab_name = format!("gcab{flag}.cab");
        let mut args = vec![flag, cab_name.as_str()];
        args.extend(&names);
        assert_success(&run("gcab", &args, dir.path()), "gcab create");
        let cabinet = Cabinet::parse(
            std::fs::read(dir.path().join(&cab_name)).unwrap(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(cabinet.entries().len(), files.len());
        for (name, data) in &files {
            let index = cabinet
                .find(name)
                .unwrap_or_else(|| panic!("{name} missing from {cab_name}"));
            assert_eq!(cabinet.entries()[index].method, method);
            assert_eq!(&cabinet.read(index).unwrap(), data, "{name} in {cab_name}");
        }
    }
}

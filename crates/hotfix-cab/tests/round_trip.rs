//! Writing then reading back: stored and MSZIP, sizes from empty to 3 MB,
//! nested folders, determinism and the writer's own checks.

mod common;

use common::{inputs, random_bytes, sample_files, text_bytes};
use hotfix_cab::{
    CabError, CabInput, Cabinet, Compression, Limits, Method, NameError, write_cabinet,
};

fn round_trip(compression: Compression) {
    let files = sample_files();
    let bytes = write_cabinet(&inputs(&files), compression).unwrap();
    let cabinet = Cabinet::parse(bytes, &Limits::default()).unwrap();
    assert_eq!(cabinet.entries().len(), files.len());
    let method = match compression {
        Compression::None => Method::None,
        Compression::MsZip => Method::MsZip,
    };
    for (index, (name, data)) in files.iter().enumerate() {
        let entry = &cabinet.entries()[index];
        assert_eq!(&entry.name, name);
        assert_eq!(entry.size, data.len() as u64);
        assert_eq!(entry.method, method);
        assert_eq!(cabinet.find(name), Some(index));
        assert_eq!(&cabinet.read(index).unwrap(), data, "{name}");
    }
    // Out of order and repeated reads go back to the folder start correctly.
    for index in [43, 2, 43, 3, 0, 10] {
        assert_eq!(cabinet.read(index).unwrap(), files[index].1);
    }
}

#[test]
fn stored_round_trip() {
    round_trip(Compression::None);
}

#[test]
fn mszip_round_trip() {
    round_trip(Compression::MsZip);
}

#[test]
fn mszip_compresses_and_output_is_deterministic() {
    let text = text_bytes(100_000);
    let files = [CabInput {
        name: "a.txt",
        data: &text,
    }];
    let first = write_cabinet(&files, Compression::MsZip).unwrap();
    assert!(
        first.len() < 10_000,
        "100 KB of text compressed to {} bytes",
        first.len()
    );
    assert_eq!(first, write_cabinet(&files, Compression::MsZip).unwrap());
    // DOS date 2007-01-01, time 00:00 in the first (only) file entry.
    let entry = 36 + 8;
    assert_eq!(&first[entry + 10..entry + 14], &[0x21, 0x36, 0, 0]);
}

#[test]
fn large_input_is_split_into_folders() {
    let big = random_bytes(10 << 20, 3);
    let files = [
        CabInput {
            name: "a.bin",
            data: &big,
        },
        CabInput {
            name: "b.bin",
            data: &big,
        },
        CabInput {
            name: "c.bin",
            data: b"tail",
        },
    ];
    let cabinet = Cabinet::parse(
        write_cabinet(&files, Compression::None).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    let folders: Vec<usize> = cabinet.entries().iter().map(|e| e.folder).collect();
    assert_eq!(folders, [0, 1, 1]);
    assert_eq!(cabinet.read(1).unwrap(), big);
    assert_eq!(cabinet.read(2).unwrap(), b"tail");
}

#[test]
fn find_ignores_case_and_separator_style() {
    let files = [CabInput {
        name: "SP2QFE/Shell32.dll",
        data: b"x",
    }];
    let cabinet = Cabinet::parse(
        write_cabinet(&files, Compression::None).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(cabinet.entries()[0].name, "SP2QFE\\Shell32.dll");
    assert_eq!(cabinet.find("sp2qfe/SHELL32.DLL"), Some(0));
    assert_eq!(cabinet.find("shell32.dll"), None);
    assert!(matches!(
        cabinet.read(1),
        Err(CabError::NoSuchEntry { index: 1, count: 1 })
    ));
}

#[test]
fn writer_refuses_bad_input() {
    let err = write_cabinet(
        &[CabInput {
            name: "..\\evil",
            data: b"",
        }],
        Compression::None,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CabError::BadName {
                source: NameError::DotDot,
                ..
            }
        ),
        "{err}"
    );
    let twins = [
        CabInput {
            name: "A.dll",
            data: b"1",
        },
        CabInput {
            name: "a.DLL",
            data: b"2",
        },
    ];
    assert!(matches!(
        write_cabinet(&twins, Compression::MsZip),
        Err(CabError::Duplicate(_))
    ));
    assert!(matches!(
        write_cabinet(&[], Compression::None),
        Err(CabError::NoFiles)
    ));
}

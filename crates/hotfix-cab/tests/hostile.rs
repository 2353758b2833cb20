//! Hostile cabinets: unsafe names, lying sizes, zip-bomb declarations,
//! truncation at every length and random bit flips. All must give errors,
//! never panics, hangs or huge allocations.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{RawFile, assert_input_error, random_bytes, raw_cabinet, text_bytes};
use hotfix_cab::{
    CabError, CabInput, Cabinet, Compression, Limits, NameError, find_cabinet, write_cabinet,
};
use proptest::prelude::*;

fn parse(bytes: Vec<u8>) -> Result<Cabinet, CabError> {
    Cabinet::parse(bytes, &Limits::default())
}

/// Parses and reads every entry; returns whether everything succeeded.
fn parse_and_read_all(bytes: Vec<u8>) -> bool {
    match parse(bytes) {
        Err(e) => {
            assert_input_error(&e);
            false
        }
        Ok(cabinet) => {
            (0..cabinet.entries().len()).fold(true, |ok, index| match cabinet.read(index) {
                Ok(data) => ok && data.len() as u64 == cabinet.entries()[index].size,
                Err(_) => false,
            })
        }
    }
}

fn small_cabinet(compression: Compression) -> Vec<u8> {
    let text = text_bytes(40_000);
    let noise = random_bytes(3000, 1);
    let files = [
        CabInput {
            name: "a.txt",
            data: &text,
        },
        CabInput {
            name: "dir\\b.bin",
            data: &noise,
        },
        CabInput {
            name: "c.txt",
            data: b"c",
        },
    ];
    write_cabinet(&files, compression).unwrap()
}

/// Sets every data block checksum to 0 ("not checked"), so corrupted data
/// reaches the decompressors. Handles cabinets without reserved areas.
fn zero_checksums(cab: &mut [u8]) {
    let folders = u16::from_le_bytes([cab[26], cab[27]]) as usize;
    for folder in 0..folders {
        let entry = 36 + 8 * folder;
        let mut pos = u32::from_le_bytes(cab[entry..entry + 4].try_into().unwrap()) as usize;
        let blocks = u16::from_le_bytes([cab[entry + 4], cab[entry + 5]]);
        for _ in 0..blocks {
            cab[pos..pos + 4].fill(0);
            pos += 8 + u16::from_le_bytes([cab[pos + 4], cab[pos + 5]]) as usize;
        }
    }
}

#[test]
fn unsafe_names_are_refused() {
    let cases: &[(&str, NameError)] = &[
        ("..\\x", NameError::DotDot),
        ("\\abs", NameError::Absolute),
        ("C:\\x", NameError::DriveLetter),
        ("\\\\?\\C:\\x", NameError::DevicePath),
        ("\\??\\C:\\x", NameError::DevicePath),
        ("\\\\.\\C:", NameError::DevicePath),
        ("CON", NameError::DeviceName("CON".into())),
        ("nul.txt", NameError::DeviceName("nul.txt".into())),
        ("a\\..\\..\\b", NameError::DotDot),
        ("x:y", NameError::BadChar(':')),
        ("file.txt:stream", NameError::BadChar(':')),
        ("a/../b", NameError::DotDot),
        ("trailing. ", NameError::TrailingDotOrSpace),
    ];
    for (name, expected) in cases {
        let cab = raw_cabinet(&[RawFile::new("ok.txt", b"fine"), RawFile::new(name, b"evil")]);
        match parse(cab) {
            Err(CabError::BadName { name: got, source }) => {
                assert_eq!(&source, expected, "{name:?}");
                assert_eq!(&got, name);
            }
            other => panic!("{name:?} gave {other:?}"),
        }
    }
    // Same policy in the writer.
    let err = write_cabinet(
        &[CabInput {
            name: "\\??\\C:\\x",
            data: b"",
        }],
        Compression::None,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        CabError::BadName {
            source: NameError::DevicePath,
            ..
        }
    ));
}

#[test]
fn case_collisions_are_refused() {
    let cab = raw_cabinet(&[RawFile::new("A.dll", b"1"), RawFile::new("a.DLL", b"2")]);
    assert!(matches!(parse(cab), Err(CabError::Duplicate(name)) if name == "a.DLL"));
    let cab = raw_cabinet(&[
        RawFile::new("dir/X.dll", b"1"),
        RawFile::new("DIR\\x.dll", b"2"),
    ]);
    assert!(matches!(parse(cab), Err(CabError::Duplicate(_))));
}

#[test]
fn raw_builder_output_reads() {
    let cab = raw_cabinet(&[
        RawFile::new("ok.txt", b"fine"),
        RawFile::new("big.bin", &random_bytes(70_000, 4)),
    ]);
    let cabinet = parse(cab).unwrap();
    assert_eq!(cabinet.read(0).unwrap(), b"fine");
    assert_eq!(cabinet.read(1).unwrap(), random_bytes(70_000, 4));
}

#[test]
fn cabinet_size_larger_than_data_is_refused() {
    let mut cab = small_cabinet(Compression::None);
    let claimed = cab.len() as u32 + 1;
    cab[8..12].copy_from_slice(&claimed.to_le_bytes());
    match parse(cab) {
        Err(CabError::Truncated { needed, .. }) => assert_eq!(needed, u64::from(claimed)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn trailing_bytes_after_the_cabinet_are_ignored() {
    let mut cab = small_cabinet(Compression::MsZip);
    cab.extend_from_slice(&[0x55; 1000]); // e.g. an Authenticode signature
    assert!(parse_and_read_all(cab));
}

#[test]
fn huge_declared_sizes_hit_limits_before_allocation() {
    let mut bomb = RawFile::new("bomb.bin", b"tiny");
    bomb.declared_size = Some(u32::MAX);
    let cab = raw_cabinet(&[bomb]);
    match parse(cab.clone()) {
        Err(CabError::LimitExceeded { value, limit, what }) => {
            assert_eq!(value, u64::from(u32::MAX));
            assert_eq!(limit, 1 << 30);
            assert!(what.contains("bomb.bin"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // With no size limits, the declared size is still checked against the
    // data blocks that exist, so nothing is allocated from it.
    let unlimited = Limits {
        max_files: 10,
        max_file_size: u64::MAX,
        max_total_size: u64::MAX,
    };
    assert!(
        matches!(Cabinet::parse(cab, &unlimited), Err(CabError::Entry { name, .. }) if name == "bomb.bin")
    );

    let files: Vec<RawFile> = (0..3)
        .map(|i| {
            let mut file = RawFile::new(&format!("f{i}"), b"");
            file.declared_size = Some(0x8000_0000);
            file
        })
        .collect();
    let generous = Limits {
        max_files: 10,
        max_file_size: 4 << 30,
        max_total_size: 4 << 30,
    };
    assert!(matches!(
        Cabinet::parse(raw_cabinet(&files), &generous),
        Err(CabError::LimitExceeded { what, .. }) if what.contains("sum")
    ));
    let few = Limits {
        max_files: 2,
        ..Limits::default()
    };
    assert!(matches!(
        Cabinet::parse(raw_cabinet(&files), &few),
        Err(CabError::LimitExceeded {
            value: 3,
            limit: 2,
            ..
        })
    ));
}

#[test]
fn corrupt_data_names_the_entry() {
    // Stored folder: block 0 holds the start of a.txt, block 1 the rest of
    // it and the other two files. Damage the first byte of block 0's data.
    let mut cab = small_cabinet(Compression::None);
    let block0 = u32::from_le_bytes(cab[36..40].try_into().unwrap()) as usize;
    cab[block0 + 8] ^= 0xFF;
    let cabinet = parse(cab).unwrap();
    match cabinet.read(0) {
        Err(CabError::Entry { name, problem }) => {
            assert_eq!(name, "a.txt");
            assert!(
                problem.contains("checksum mismatch") && problem.contains("byte offset"),
                "{problem}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cabinet.read(2).unwrap(), b"c");
    assert_eq!(cabinet.read(1).unwrap(), random_bytes(3000, 1));
}

#[test]
fn every_truncation_fails_cleanly() {
    for compression in [Compression::None, Compression::MsZip] {
        let cab = small_cabinet(compression);
        assert!(parse_and_read_all(cab.clone()));
        for len in 0..cab.len() {
            let prefix = cab[..len].to_vec();
            assert!(
                parse(prefix.clone()).is_err(),
                "prefix of {len} bytes parsed"
            );
            // Also lie about the size, so parsing runs into the missing bytes.
            if len >= 12 {
                let mut lying = prefix;
                lying[8..12].copy_from_slice(&(len as u32).to_le_bytes());
                assert!(
                    !parse_and_read_all(lying),
                    "prefix of {len} bytes with matching size read"
                );
            }
        }
    }
}

#[test]
fn find_cabinet_rejects_near_misses() {
    assert_eq!(find_cabinet(b""), None);
    assert_eq!(find_cabinet(b"MSCF"), None);
    let cab = small_cabinet(Compression::None);
    let mut wrong_version = cab.clone();
    wrong_version[24] = 4;
    assert_eq!(find_cabinet(&wrong_version), None);
    let mut bad_files_offset = cab.clone();
    bad_files_offset[16..20].copy_from_slice(&(cab.len() as u32).to_le_bytes());
    assert_eq!(find_cabinet(&bad_files_offset), None);
    // A strict header later in the data wins over a lax one earlier.
    let mut lax = cab.clone();
    lax[4] = 1;
    let mut both = lax.clone();
    both.extend_from_slice(&cab);
    assert_eq!(find_cabinet(&both), Some(lax.len()));
    assert_eq!(find_cabinet(&lax), Some(0));
}

fn bit_flip_inputs() -> Vec<Vec<u8>> {
    let mut inputs = vec![
        small_cabinet(Compression::None),
        small_cabinet(Compression::MsZip),
    ];
    let mut unchecked = small_cabinet(Compression::MsZip);
    zero_checksums(&mut unchecked);
    inputs.push(unchecked);
    let lzx = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/cab-samples/libmspack-cabd/normal_2files_2folders.cab"
    ))
    .unwrap();
    let mut lzx_unchecked = lzx.clone();
    zero_checksums(&mut lzx_unchecked);
    inputs.extend([lzx, lzx_unchecked]);
    inputs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn bit_flips_never_panic(which in 0usize..5, flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..8)) {
        let mut cab = bit_flip_inputs().swap_remove(which);
        for (index, bit) in flips {
            let at = index.index(cab.len());
            cab[at] ^= 1 << bit;
        }
        parse_and_read_all(cab.clone());
        if let Some(start) = find_cabinet(&cab) {
            parse_and_read_all(cab[start..].to_vec());
        }
    }

    #[test]
    fn random_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut cab = b"MSCF".to_vec();
        cab.extend_from_slice(&tail);
        parse_and_read_all(cab.clone());
        let _ = find_cabinet(&cab);
    }
}

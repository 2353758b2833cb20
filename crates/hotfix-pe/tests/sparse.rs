//! `read_version_at` reads only the headers and the resource section of a
//! large file, and always answers exactly as `read_version` over the whole
//! file does: on built files, on Wine's and mingw's real DLLs, and on
//! damaged copies.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use hotfix_pe::{FileVersion, PeKind, PeSpec, build_at_least, read_version, read_version_at};
use hotfix_testutil::Counted;
use proptest::prelude::*;

/// Both readers' answers, as text (errors have no `PartialEq`), and the
/// bytes the sparse one read.
fn both(bytes: &[u8]) -> (String, String, u64) {
    let file = Counted::new(bytes.to_vec());
    let sparse = read_version_at(&file).expect("reading memory cannot fail");
    (
        format!("{sparse:?}"),
        format!("{:?}", read_version(bytes)),
        file.bytes_read(),
    )
}

fn large(size: u64) -> Vec<u8> {
    let spec = PeSpec::new(
        PeKind::Dll,
        "shell32.dll",
        FileVersion::new(6, 0, 2900, 2180),
        "6.0.2900.2180 (xpsp_sp2_rtm.040803-2158)",
    );
    build_at_least(spec, size).unwrap()
}

#[test]
fn a_large_file_is_read_in_part_with_the_same_answer() {
    for size in [64 * 1024 + 1, 300_000, 8 << 20] {
        let file = large(size);
        let (sparse, whole, read) = both(&file);
        assert_eq!(sparse, whole, "{size}");
        assert!(whole.starts_with("Ok("), "{whole}");
        assert!(read < 16 * 1024, "{size}-byte file: read {read} bytes");
    }
    for spec in common::specs() {
        let file = build_at_least(spec, 200_000).unwrap();
        let (sparse, whole, read) = both(&file);
        assert_eq!(sparse, whole);
        assert!(
            read < file.len() as u64 / 4,
            "read {read} of {}",
            file.len()
        );
    }
}

#[test]
fn what_the_part_cannot_settle_is_read_whole() {
    // Not PE, damaged headers, the resource directory pointing outside the
    // file: the whole file is read and the answer is read_version's.
    let mut not_pe = large(200_000);
    not_pe[0] = b'X';
    let mut bad_table = large(200_000);
    bad_table[0x3c..0x40].copy_from_slice(&0x0fffu32.to_le_bytes());
    for file in [not_pe, bad_table, vec![0u8; 100_000]] {
        let (sparse, whole, read) = both(&file);
        assert_eq!(sparse, whole);
        assert!(whole.starts_with("Err("), "{whole}");
        assert!(read >= file.len() as u64, "read {read}");
    }
}

#[test]
fn real_dlls_give_the_same_answer() {
    let (mut files, mut sparse_reads) = (0, 0);
    for path in common::real_pe_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() <= 64 * 1024 {
            continue;
        }
        let (sparse, whole, read) = both(&bytes);
        assert_eq!(sparse, whole, "{}", path.display());
        files += 1;
        sparse_reads += usize::from(read < bytes.len() as u64);
    }
    if files == 0 {
        hotfix_testutil::oracle_missing("wine64 or mingw (real PE files over 64 KB)");
        return;
    }
    // Real linkers put .rsrc in one section with the tree at its start;
    // resource-only DLLs are nearly all .rsrc and read whole.
    assert!(sparse_reads * 10 >= files * 9, "{sparse_reads} of {files}");
    println!("{files} real PE files, {sparse_reads} settled by a partial read");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Damage in the parts a sparse read looks at (headers, resource tree,
    /// version data) or a cut anywhere never makes the answers differ.
    #[test]
    fn damaged_large_files_give_the_same_answer(
        edits in proptest::collection::vec((0usize..0x1400, any::<u8>()), 0..8),
        cut in 0usize..300_000,
    ) {
        let mut file = large(300_000);
        for (at, byte) in edits {
            file[at] = byte;
        }
        file.truncate(file.len() - cut.min(file.len()));
        let (sparse, whole, _) = both(&file);
        prop_assert_eq!(sparse, whole);
    }
}

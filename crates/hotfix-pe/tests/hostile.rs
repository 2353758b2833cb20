//! Damaged input yields errors, never panics or hangs.

use hotfix_pe::{
    FileVersion, PeError, PeKind, PeSpec, build, checksum, overlay_offset, read_version,
};
use proptest::prelude::*;

/// RVA 0x1000 (.rsrc) is at file offset 0x200 in built files.
const RSRC: usize = 0x200;

fn sample() -> Vec<u8> {
    build(&PeSpec::new(
        PeKind::Dll,
        "kernel32.dll",
        FileVersion::new(5, 1, 2600, 2180),
        "5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)",
    ))
    .unwrap()
}

fn poke(file: &mut [u8], at: usize, value: u32) {
    file[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn all_readers(bytes: &[u8]) -> Result<(), PeError> {
    let _ = checksum(bytes);
    let _ = overlay_offset(bytes, bytes.len() as u64);
    read_version(bytes).map(|_| ())
}

#[test]
fn every_truncation_is_an_error() {
    let file = sample();
    // Where the version data ends: everything after is alignment padding.
    let version_len = u32::from_le_bytes(file[RSRC + 76..RSRC + 80].try_into().unwrap()) as usize;
    let needed = RSRC + 88 + version_len;
    for len in 0..file.len() {
        let result = all_readers(&file[..len]);
        if len < needed {
            let err = result.expect_err("truncated file read as valid");
            assert!(
                matches!(
                    err,
                    PeError::NotPe { .. } | PeError::Truncated { .. } | PeError::Corrupt { .. }
                ),
                "prefix of {len} bytes: {err}"
            );
        }
    }
}

#[test]
fn every_bit_flip_is_survived() {
    let file = sample();
    let mut copy = file.clone();
    for at in 0..file.len() {
        for bit in 0..8 {
            copy[at] ^= 1 << bit;
            let _ = all_readers(&copy);
            copy[at] ^= 1 << bit;
        }
    }
}

#[test]
fn resource_loops_are_errors() {
    let file = sample();
    // Type entry (root+16+4) pointing back at the root directory.
    let mut looped = file.clone();
    poke(&mut looped, RSRC + 20, 0x8000_0000);
    let err = read_version(&looped).unwrap_err();
    assert!(matches!(err, PeError::Corrupt { .. }), "{err}");
    // Language entry pointing at its own directory.
    let mut looped = file.clone();
    poke(&mut looped, RSRC + 48 + 20, 0x8000_0000 | 48);
    let err = read_version(&looped).unwrap_err();
    assert!(err.to_string().contains("deeper"), "{err}");
    // Name entry pointing at a data entry.
    let mut wrong = file.clone();
    poke(&mut wrong, RSRC + 24 + 20, 72);
    assert!(matches!(read_version(&wrong), Err(PeError::Corrupt { .. })));
}

#[test]
fn huge_counts_and_sizes_are_errors() {
    let file = sample();
    let cases: Vec<(usize, u32, &str)> = vec![
        (RSRC + 12, 0xFFFF_FFFF, "root directory with 131070 entries"),
        (RSRC + 76, 0xFFFF_FFFF, "data entry size 4 GiB"),
        (RSRC + 72, 0xFFFF_FFF0, "data entry RVA outside the image"),
        (0x3C, 0xFFFF_FFF0, "e_lfanew past the end"),
        (0x80 + 4, 0xFFFF_014C, "65535 sections"),
        (0x80 + 24 + 60, 0x7FFF_FFFF, "SizeOfHeaders 2 GiB"),
    ];
    for (at, value, what) in cases {
        let mut bad = file.clone();
        poke(&mut bad, at, value);
        let result = read_version(&bad);
        if what.starts_with("SizeOfHeaders") {
            assert!(overlay_offset(&bad, bad.len() as u64).is_err(), "{what}");
        } else {
            assert!(result.is_err(), "{what}: {result:?}");
        }
    }
    // Version block lengths: zero, larger than the resource.
    for length in [0u16, 5, 0xFFFF] {
        let mut bad = file.clone();
        bad[RSRC + 88..RSRC + 90].copy_from_slice(&length.to_le_bytes());
        let err = read_version(&bad).unwrap_err();
        assert!(err.to_string().contains("offset 0x258"), "{err}");
    }
    assert!(matches!(
        read_version(b"MZ"),
        Err(PeError::Truncated { .. })
    ));
    assert!(matches!(read_version(b"ELF"), Err(PeError::NotPe { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_mutations_never_panic(
        edits in proptest::collection::vec((0usize..2048, any::<u8>()), 1..12),
        cut in 0usize..2048,
    ) {
        let mut file = sample();
        for (at, byte) in edits {
            if let Some(slot) = file.get_mut(at) {
                *slot = byte;
            }
        }
        let len = file.len();
        file.truncate(len - cut.min(len) / 4);
        let _ = all_readers(&file);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = all_readers(&bytes);
        let mut with_mz = bytes.clone();
        with_mz.splice(0..0, *b"MZ");
        let _ = all_readers(&with_mz);
    }
}

//! Built files read back to their spec, have the exact size and a valid CheckSum.

mod common;

use std::io::Write;

use hotfix_pe::{
    FileVersion, Machine, PeError, PeKind, PeSpec, build, build_with_overlay, checksum, min_size,
    overlay_offset, read_version,
};

fn check(spec: &PeSpec, file: &[u8]) {
    let info = read_version(file).unwrap();
    assert_eq!(info.file_version, spec.file_version);
    assert_eq!(info.product_version, spec.product_version);
    assert_eq!(info.strings, spec.strings);
    assert_eq!(info.translation, Some((spec.language, 1200)));
    let expected_type = match spec.kind {
        PeKind::Exe => 1,
        PeKind::Dll => 2,
        PeKind::Sys => 3,
    };
    assert_eq!(info.file_type, expected_type);
    assert_eq!(info.file_os, 0x40004);
    assert_eq!(common::stored_checksum(file), checksum(file));
}

#[test]
fn round_trip_at_many_sizes() {
    for spec in common::specs() {
        let minimum = min_size(&spec);
        if spec.strings.len() <= 8 {
            // The smallest real file in the data set is 2,560 bytes.
            assert!(minimum <= 2048, "min_size {minimum} for {spec:?}");
        }
        let minimal = build(&spec).unwrap();
        assert_eq!(minimal.len() as u64, minimum);
        check(&spec, &minimal);
        for size in [
            minimum,
            minimum + 1,
            2560,
            2561,
            4095,
            65_537,
            1_000_003,
            3 << 20,
        ] {
            if size < minimum {
                continue;
            }
            let mut sized = spec.clone();
            sized.total_size = Some(size);
            let file = build(&sized).unwrap();
            assert_eq!(file.len() as u64, size);
            check(&sized, &file);
            assert_eq!(overlay_offset(&file, file.len() as u64).unwrap(), size);
            assert_eq!(build(&sized).unwrap(), file, "deterministic");
        }
    }
}

#[test]
fn too_small_is_an_error() {
    let mut spec = PeSpec::new(PeKind::Dll, "x.dll", FileVersion::new(1, 0, 0, 0), "1.0");
    spec.total_size = Some(min_size(&spec) - 1);
    match build(&spec) {
        Err(PeError::TooSmall { wanted, minimum }) => {
            assert_eq!(wanted + 1, minimum);
        }
        other => panic!("expected TooSmall, got {other:?}"),
    }
    spec.total_size = Some(u64::MAX);
    assert!(matches!(build(&spec), Err(PeError::TooLarge { .. })));
    spec.total_size = None;
    spec.strings.push(("Bad".into(), "a\0b".into()));
    assert!(matches!(build(&spec), Err(PeError::InvalidSpec { .. })));
    spec.strings.pop();
    spec.strings.push(("Huge".into(), "y".repeat(40_000)));
    assert!(matches!(build(&spec), Err(PeError::InvalidSpec { .. })));
}

#[test]
fn overlay_follows_the_image() {
    for machine in [Machine::I386, Machine::Amd64] {
        let mut spec = PeSpec::new(
            PeKind::Exe,
            "WindowsXP-KB123456-x86-ENU.exe",
            FileVersion::new(6, 3, 4, 0),
            "6.3.4.0",
        );
        spec.machine = machine;
        let overlay = b"MSCF\0\0\0\0 pretend cabinet".repeat(50);
        let file = build_with_overlay(&spec, &overlay).unwrap();
        let at = overlay_offset(&file, file.len() as u64).unwrap() as usize;
        assert_eq!(at as u64, min_size(&spec));
        assert_eq!(&file[at..], &overlay[..]);
        check(&spec, &file);
        spec.total_size = Some(5000);
        let file = build_with_overlay(&spec, &overlay).unwrap();
        assert_eq!(overlay_offset(&file, file.len() as u64).unwrap(), 5000);
        assert_eq!(file.len(), 5000 + overlay.len());
        check(&spec, &file);
    }
}

#[test]
fn accessors() {
    let spec = &common::specs()[0];
    let info = read_version(&build(spec).unwrap()).unwrap();
    assert_eq!(
        info.file_version_string(),
        Some("5.1.2600.2180 (xpsp_sp2_gdr.070416-1301)")
    );
    assert_eq!(info.string("companyname"), Some("Microsoft Corporation"));
    let tag = info.build_tag().unwrap();
    assert_eq!(tag.lab, "xpsp_sp2_gdr");
    assert_eq!(tag.stamp.as_deref(), Some("070416-1301"));
}

#[test]
fn filler_deflates_to_about_half() {
    let mut spec = PeSpec::new(PeKind::Dll, "big.dll", FileVersion::new(5, 1, 2600, 1), "x");
    spec.total_size = Some(4 << 20);
    let file = build(&spec).unwrap();
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&file).unwrap();
    let ratio = enc.finish().unwrap().len() as f64 / file.len() as f64;
    println!("deflate ratio {ratio:.3}");
    assert!((0.40..0.62).contains(&ratio), "ratio {ratio}");
    spec.seed += 1;
    assert_ne!(build(&spec).unwrap(), file);
}

//! Independent readers (cabextract, gcab, 7-Zip) accept what the writer makes,
//! and cabextract finds the cabinet in a self-extracting EXE as we do.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::Path;

use common::{assert_success, inputs, random_bytes, run, sample_files, text_bytes};
use hotfix_cab::{Compression, find_cabinet, write_cabinet};
use hotfix_testutil::have_tool;

fn write(dir: &Path, name: &str, compression: Compression, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let bytes = write_cabinet(&inputs(files), compression).unwrap();
    std::fs::write(dir.join(name), &bytes).unwrap();
    bytes
}

fn check_with_all_tools(compression: Compression, cab_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let files = sample_files();
    write(dir.path(), cab_name, compression, &files);
    if have_tool("cabextract") {
        assert_success(
            &run("cabextract", &["-t", cab_name], dir.path()),
            "cabextract -t",
        );
        assert_success(
            &run("cabextract", &["-q", "-d", "out", cab_name], dir.path()),
            "cabextract -d",
        );
        for (name, data) in &files {
            let path = dir.path().join("out").join(name.replace('\\', "/"));
            assert_eq!(
                &std::fs::read(&path).unwrap(),
                data,
                "{name} extracted by cabextract"
            );
        }
    }
    if have_tool("gcab") {
        let output = run("gcab", &["-t", cab_name], dir.path());
        assert_success(&output, "gcab -t");
        let listed = String::from_utf8_lossy(&output.stdout);
        for (name, _) in &files {
            assert!(
                listed.lines().any(|line| line.trim() == name),
                "gcab does not list {name}:\n{listed}"
            );
        }
    }
    if have_tool("7z") {
        assert_success(&run("7z", &["t", cab_name], dir.path()), "7z t");
    }
}

#[test]
fn stored_cabinet_passes_oracles() {
    check_with_all_tools(Compression::None, "stored.cab");
}

#[test]
fn mszip_cabinet_passes_oracles() {
    check_with_all_tools(Compression::MsZip, "mszip.cab");
}

#[test]
fn self_extracting_exe_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        ("update\\update.exe".to_string(), random_bytes(50_000, 5)),
        ("readme.txt".to_string(), text_bytes(5000)),
    ];
    let cab = write(dir.path(), "payload.cab", Compression::MsZip, &files);
    // A fake PE stub: "MZ", padding with a decoy "MSCF" that is not a header.
    let mut sfx = vec![0u8; 4096];
    sfx[..2].copy_from_slice(b"MZ");
    sfx[1000..1004].copy_from_slice(b"MSCF");
    sfx.extend_from_slice(&cab);
    sfx.extend_from_slice(&[0xAB; 300]); // stands in for a signature
    assert_eq!(find_cabinet(&sfx), Some(4096));
    assert_eq!(find_cabinet(&cab), Some(0));
    assert_eq!(find_cabinet(&sfx[..4096 + cab.len() - 1]), None);
    std::fs::write(dir.path().join("sfx.exe"), &sfx).unwrap();
    if have_tool("cabextract") {
        let output = run("cabextract", &["-t", "sfx.exe"], dir.path());
        assert_success(&output, "cabextract -t sfx.exe");
        assert!(String::from_utf8_lossy(&output.stdout).contains("update/update.exe"));
    }
}

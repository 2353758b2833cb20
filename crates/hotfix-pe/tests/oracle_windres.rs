//! GNU windres + ld (mingw-w64) build resource-only DLLs from a VERSIONINFO
//! script; our reader must see exactly what the script says, and our CheckSum
//! must equal the one GNU ld stored.
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::Path;
use std::process::Command;

use hotfix_pe::{FileVersion, checksum, read_version};
use hotfix_testutil::oracle_available;

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rc_script(version: FileVersion, strings: &[(&str, &str)], file_type: u32) -> String {
    let comma = format!(
        "{},{},{},{}",
        version.major, version.minor, version.build, version.revision
    );
    let values: String = strings
        .iter()
        .map(|(k, v)| format!("      VALUE \"{k}\", \"{v}\"\n"))
        .collect();
    format!(
        "1 VERSIONINFO\nFILEVERSION {comma}\nPRODUCTVERSION {comma}\nFILEFLAGSMASK 0x3fL\n\
         FILEFLAGS 0x2L\nFILEOS 0x40004L\nFILETYPE {file_type}\nFILESUBTYPE 0x0L\nBEGIN\n\
         \x20 BLOCK \"StringFileInfo\"\n  BEGIN\n    BLOCK \"041104B0\"\n    BEGIN\n{values}    END\n  END\n\
         \x20 BLOCK \"VarFileInfo\"\n  BEGIN\n    VALUE \"Translation\", 0x411, 1200\n  END\nEND\n"
    )
}

fn link(dir: &Path, triple: &str, rc: &str, name: &str) -> Vec<u8> {
    let rc_path = dir.join(format!("{name}.rc"));
    let obj = dir.join(format!("{name}.o"));
    let dll = dir.join(format!("{name}.dll"));
    std::fs::write(&rc_path, rc).unwrap();
    run(Command::new(format!("{triple}-windres"))
        .arg("--preprocessor=cpp")
        .args(["-O", "coff"])
        .arg(&rc_path)
        .arg("-o")
        .arg(&obj));
    run(Command::new(format!("{triple}-ld"))
        .args(["--dll", "-e", "0", "--no-insert-timestamp", "-s", "-o"])
        .arg(&dll)
        .arg(&obj));
    std::fs::read(&dll).unwrap()
}

#[test]
fn windres_dlls_read_back() {
    let tools = ["x86_64-w64-mingw32", "i686-w64-mingw32"];
    for triple in tools {
        if !oracle_available(
            &format!("{triple}-windres"),
            Command::new(format!("{triple}-windres")).arg("--version"),
        ) || !oracle_available("cpp", Command::new("cpp").arg("--version"))
        {
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            FileVersion::new(5, 1, 2600, 3119),
            "5.1.2600.3119 (xpsp_sp2_gdr.070416-1301)",
            2,
        ),
        (
            FileVersion::new(5, 2, 3790, 4455),
            "5.2.3790.4455 (srv03_sp2_qfe.090203-1205)",
            1,
        ),
        (FileVersion::new(0, 0, 0, 0), "", 3),
        (
            FileVersion::new(65535, 65535, 65535, 65535),
            "1, 0, 0, 0",
            2,
        ),
    ];
    let mut checked = 0;
    for (i, (version, text, file_type)) in cases.into_iter().enumerate() {
        let strings = [
            ("CompanyName", "Microsoft Corporation"),
            ("FileVersion", text),
            ("Comments", ""),
            ("OriginalFilename", "test.dll"),
        ];
        let rc = rc_script(version, &strings, file_type);
        for triple in tools {
            let file = link(dir.path(), triple, &rc, &format!("{triple}-{i}"));
            let info = read_version(&file).unwrap();
            assert_eq!(info.file_version, version);
            assert_eq!(info.product_version, version);
            assert_eq!(info.file_flags, 2);
            assert_eq!(info.file_os, 0x40004);
            assert_eq!(info.file_type, file_type);
            assert_eq!(info.translation, Some((0x411, 1200)));
            let want: Vec<(String, String)> = strings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(info.strings, want);
            assert_eq!(info.file_version_string(), Some(text));
            assert_eq!(
                checksum(&file),
                common::stored_checksum(&file),
                "{triple} case {i}"
            );
            checked += 1;
        }
    }
    println!("windres: {checked} DLLs read back");
}

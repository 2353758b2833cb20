//! Every PE file Debian's Wine ships (and mingw-w64's runtime DLLs): our
//! VS_FIXEDFILEINFO and strings equal pefile's, and files pefile finds no
//! version in are NoVersionResource for us.
#![allow(clippy::disallowed_methods)]

mod common;

use hotfix_pe::{FileVersion, PeError, read_version};

#[test]
fn wine_pe_files_match_pefile() {
    if !common::have_pefile() {
        return;
    }
    let files = common::real_pe_files();
    if files.is_empty() {
        hotfix_testutil::oracle_missing("wine64 (libwine PE files)");
        return;
    }
    let paths: Vec<_> = files.iter().map(|p| p.as_path()).collect();
    let json = common::pefile_json(common::PEFILE_SCRIPT, &paths, false);
    let (mut versioned, mut unversioned, mut string_checked) = (0, 0, 0);
    for (path, got) in files.iter().zip(json.as_array().unwrap()) {
        let bytes = std::fs::read(path).unwrap();
        let ours = read_version(&bytes);
        match got["fixed"].as_array() {
            Some(fixed) => {
                let f: Vec<u32> = fixed.iter().map(|v| v.as_u64().unwrap() as u32).collect();
                let info = ours.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(
                    info.file_version,
                    FileVersion::from_ms_ls(f[0], f[1]),
                    "{}",
                    path.display()
                );
                assert_eq!(
                    info.product_version,
                    FileVersion::from_ms_ls(f[2], f[3]),
                    "{}",
                    path.display()
                );
                // pefile keeps a dict, so the last value of a repeated key wins.
                if let Some(strings) = got["strings"].as_object() {
                    for (key, value) in strings {
                        let last = info
                            .strings
                            .iter()
                            .rev()
                            .find(|(k, _)| k == key)
                            .map(|(_, v)| v.as_str());
                        assert_eq!(last, value.as_str(), "{}: {key}", path.display());
                    }
                    string_checked += 1;
                }
                versioned += 1;
            }
            None => {
                assert!(
                    matches!(ours, Err(PeError::NoVersionResource)),
                    "{}: {ours:?}",
                    path.display()
                );
                unversioned += 1;
            }
        }
    }
    println!(
        "compared {} Wine PE files: {versioned} versioned ({string_checked} with strings), {unversioned} without a version",
        files.len()
    );
    assert!(versioned > 100);
}

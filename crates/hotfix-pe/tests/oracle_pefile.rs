//! pefile (an independent Python reader) agrees with what the writer wrote.
#![allow(clippy::disallowed_methods)]

mod common;

use hotfix_pe::{FileVersion, Machine, build, build_at_least, read_version};

#[test]
fn pefile_reads_built_files() {
    if !common::have_pefile() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for (i, spec) in common::specs().into_iter().enumerate() {
        for size in [None, Some(2560), Some(2561), Some(70_001), Some(1 << 20)] {
            let bytes = match size {
                Some(size) => build_at_least(spec.clone(), size),
                None => build(&spec),
            };
            let path = dir.path().join(format!("{i}-{size:?}.bin"));
            std::fs::write(&path, bytes.unwrap()).unwrap();
            cases.push((path, spec.clone()));
        }
    }
    let paths: Vec<_> = cases.iter().map(|(p, _)| p.as_path()).collect();
    let json = common::pefile_json(common::PEFILE_SCRIPT, &paths, true);
    for ((path, spec), got) in cases.iter().zip(json.as_array().unwrap()) {
        let fixed: Vec<u32> = got["fixed"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: pefile found no version", path.display()))
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(
            FileVersion::from_ms_ls(fixed[0], fixed[1]),
            spec.file_version
        );
        assert_eq!(
            FileVersion::from_ms_ls(fixed[2], fixed[3]),
            spec.product_version
        );
        let strings = got["strings"].as_object().unwrap();
        assert_eq!(strings.len(), spec.strings.len(), "{}", path.display());
        for (key, value) in &spec.strings {
            assert_eq!(strings[key].as_str(), Some(value.as_str()), "{key}");
        }
        assert_eq!(got["checksum_ok"], true, "{}", path.display());
        assert_eq!(got["pe32plus"], spec.machine == Machine::Amd64);
        // And our reader agrees with itself on the file pefile saw.
        let ours = read_version(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(ours.strings, spec.strings);
    }
    println!("pefile agreed on {} built files", cases.len());
}

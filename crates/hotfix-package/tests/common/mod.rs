//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::Path;

use hotfix_cab::{CabInput, Compression};
use hotfix_fs::{Fs, MemFs};
use hotfix_model::FileVersion;
use hotfix_package::{Package, VER_PATH, pack_dir};
use hotfix_pe::{PeKind, PeSpec};

/// A small hand-written update.inf for KB900001 (XP, SP2..SP2, English).
pub const INF: &str = "[Version]\r\nSignature=\"$Windows NT$\"\r\nNtBuildToUpdate=2600\r\n\
NtMajorVersionToUpdate=5\r\nNtMinorVersionToUpdate=1\r\nMinNtServicePackVersion=512\r\n\
MaxNtServicePackVersion=512\r\nLanguageType=0x00000409\r\n\r\n\
[ProductInstall.CopyFilesAlways]\r\nCopyFiles=Files.System32\r\n\r\n\
[DestinationDirs]\r\nFiles.System32=11\r\n\r\n[Files.System32]\r\nshell32.dll\r\n\r\n\
[Strings]\r\nSP_SHORT_TITLE=\"KB900001\"\r\nSP_TITLE=\"Test update (KB900001)\"\r\n";

/// A small real PE with a version resource.
pub fn pe(name: &str, version: FileVersion, tag: &str) -> Vec<u8> {
    let mut spec = PeSpec::new(PeKind::Dll, name, version, &format!("{version} ({tag})"));
    spec.total_size = Some(8192);
    hotfix_pe::build(&spec).unwrap()
}

/// Files of the tiny package: (path with '\', contents).
pub fn tiny_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("update\\update.inf".into(), INF.as_bytes().to_vec()),
        (
            "SP2GDR\\shell32.dll".into(),
            pe(
                "shell32.dll",
                FileVersion::new(6, 0, 2900, 3051),
                "xpsp_sp2_gdr.070208-1242",
            ),
        ),
        (
            "SP2QFE\\shell32.dll".into(),
            pe(
                "shell32.dll",
                FileVersion::new(6, 0, 2900, 3051),
                "xpsp_sp2_qfe.070208-1240",
            ),
        ),
        ("readme.txt".into(), b"hello\r\n".to_vec()),
    ]
}

/// Writes `files` under `root` on `fs`.
pub fn write_tree(fs: &dyn Fs, root: &Path, files: &[(String, Vec<u8>)]) {
    for (path, data) in files {
        let host = path.split('\\').fold(root.to_path_buf(), |p, c| p.join(c));
        hotfix_fs::create_dir_all(fs, host.parent().unwrap()).unwrap();
        hotfix_fs::write_new(fs, &host, data).unwrap();
    }
}

/// The tiny package, packed by `pack_dir` from an in-memory tree.
pub fn tiny_package(sfx: bool) -> Vec<u8> {
    let fs = MemFs::new();
    let root = Path::new("/src");
    write_tree(&fs, root, &tiny_files());
    pack_dir(&fs, root, sfx).unwrap()
}

/// Every file of an opened package, update.ver included, in cabinet order.
pub fn files_of(pkg: &Package) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![(VER_PATH.to_owned(), pkg.manifest_bytes().to_vec())];
    for e in pkg.payload() {
        out.push((e.path.clone(), pkg.read(&e.path).unwrap()));
    }
    out
}

/// A cabinet holding exactly `files`.
pub fn cab_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let inputs: Vec<CabInput> = files
        .iter()
        .map(|(n, d)| CabInput { name: n, data: d })
        .collect();
    hotfix_cab::write_cabinet(&inputs, Compression::MsZip).unwrap()
}

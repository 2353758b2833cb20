//! Harnesses for the state readers (issue 12): the journal replayed by
//! recovery, install records and the in-use list, and their seeds. The
//! journal harness is an image-escape oracle: whatever a (validly signed)
//! journal says, recovering it on a small in-memory image changes nothing
//! outside the image root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hotfix_engine::{FileAction, FileRecord, InstallRecord};
use hotfix_fs::{FileKind, Fs, MemFs, create_dir_all, write_new};
use hotfix_image::Image;
use hotfix_txn::{RelPath, StateDir, recover};

use crate::fixtures::{Fixture, fixture};
use crate::targets::{FUZZ_KEY_BYTES, frame_journal};

const ROOT: &str = "/img";
const HOST_STATE: &str = "/host";

/// Files of the tiny image: the names the journal seeds use, a hive the
/// image opens by, and a sentinel beside the image.
const FILES: &[(&str, &[u8])] = &[
    ("/img/WINDOWS/system32/config/SOFTWARE", b"not a hive"),
    ("/img/WINDOWS/system32/config/SYSTEM", b"not a hive"),
    ("/img/WINDOWS/system32/shell32.dll", b"shell32"),
    ("/img/WINDOWS/system32/old.dll", b"old"),
    ("/img/WINDOWS/system32/dllcache/shell32.dll", b"cached"),
    ("/img/WINDOWS/$hotfix$/txn/s/0", b"staged"),
    ("/img/WINDOWS/$hotfix$/txn/b/0", b"scratch"),
    ("/outside/sentinel", b"host file"),
];

fn tiny_image() -> MemFs {
    let fs = MemFs::new();
    for (path, bytes) in FILES {
        let path = Path::new(path);
        if let Some(dir) = path.parent() {
            let _ = create_dir_all(&fs, dir);
        }
        let _ = write_new(&fs, path, bytes);
    }
    let _ = create_dir_all(&fs, Path::new(HOST_STATE));
    let _ = write_new(
        &fs,
        &Path::new(HOST_STATE).join("journal.key"),
        &FUZZ_KEY_BYTES,
    );
    fs.sync_all();
    fs
}

/// Everything outside the image root, by content.
fn outside(fs: &dyn Fs) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::from("/")];
    while let Some(dir) = stack.pop() {
        for e in fs.read_dir(&dir).unwrap_or_default() {
            let p = dir.join(&e.name);
            if p == Path::new(ROOT) {
                continue;
            }
            if e.kind == FileKind::Dir {
                stack.push(p.clone());
                out.insert(p, b"<dir>".to_vec());
            } else {
                out.insert(p.clone(), fs.read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// `data` as the JSON body of a journal signed with the fuzz key, written
/// where recovery looks and recovered: whatever happens, nothing outside
/// the image may change.
pub(crate) fn journal_replay(data: &[u8]) {
    let fs = tiny_image();
    let before = outside(&fs);
    let sd = StateDir::new(
        Path::new(ROOT),
        RelPath::new("WINDOWS/$hotfix$").expect("valid"),
    )
    .with_host_state(Path::new(HOST_STATE));
    let journal = sd.host(&sd.journal());
    if write_new(&fs, &journal, &frame_journal(data)).is_err() {
        return;
    }
    let _ = recover(&fs, &sd);
    assert_eq!(
        outside(&fs),
        before,
        "recovery changed something outside the image"
    );
}

/// An install record: what parses must write and read back equal.
pub(crate) fn record(data: &[u8]) {
    if let Ok(record) = serde_json::from_slice::<InstallRecord>(data) {
        let bytes = serde_json::to_vec(&record).expect("a record serializes");
        let again: Result<InstallRecord, _> = serde_json::from_slice(&bytes);
        assert_eq!(again.ok().as_ref(), Some(&record));
    }
}

/// The in-use list: every path it yields stays inside the image.
pub(crate) fn in_use(data: &[u8]) {
    let fs = tiny_image();
    let list = Path::new(ROOT).join("WINDOWS/$hotfix$/inuse.lst");
    if write_new(&fs, &list, data).is_err() {
        return;
    }
    let Ok(image) = Image::open(&fs, Path::new(ROOT)) else {
        return;
    };
    if let Ok(paths) = hotfix_image::in_use(&fs, &image) {
        for p in paths {
            assert!(RelPath::new(&p).is_ok(), "{p:?} is not an image path");
        }
    }
}

fn file_record(target: &str, backup: Option<&str>) -> FileRecord {
    FileRecord {
        target: target.into(),
        source: "SP2GDR\\shell32.dll".into(),
        version: Some("6.0.2900.2869".into()),
        tag_rank: 2,
        sha256: "ab".repeat(32),
        size: 8_461_312,
        action: FileAction::Replaced,
        backup: backup.map(str::to_owned),
        backup_sha256: backup.map(|_| "cd".repeat(32)),
    }
}

/// Seeds for the record and in-use harnesses.
pub(crate) fn fixtures() -> Result<Vec<Fixture>, String> {
    let record = InstallRecord {
        kb: "KB896358".into(),
        title: "Security Update for Windows XP (KB896358)".into(),
        package: "WindowsXP-KB896358-x86-ENU.exe".into(),
        branch: Some("SP2GDR".into()),
        sp: 2,
        seq: 1,
        installed_at: "2007-01-01 00:00:00".into(),
        backup_dir: Some("WINDOWS/$NtUninstallKB896358$".into()),
        updates_key: "Windows XP\\SP3\\KB896358".into(),
        files: vec![
            file_record(
                "WINDOWS/system32/shell32.dll",
                Some("WINDOWS/$NtUninstallKB896358$/shell32.dll"),
            ),
            file_record("WINDOWS/system32/new.dll", None),
        ],
        registry: Vec::new(),
        dual_mode: None,
        hf_mig: Vec::new(),
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
    let mut hostile = record.clone();
    hostile.files[0].target = "WINDOWS/system32/config/SYSTEM".into();
    hostile.backup_dir = Some("WINDOWS/system32".into());
    let hostile = serde_json::to_vec_pretty(&hostile).map_err(|e| e.to_string())?;
    Ok(vec![
        fixture("record", "record-installed.json", json),
        fixture("record", "record-edited-hive-target.json", hostile),
        fixture(
            "inuse",
            "inuse-two-files.lst",
            b"# held open\r\nC:\\WINDOWS\\system32\\shell32.dll\n%windir%\\system32\\old.dll\n"
                .to_vec(),
        ),
        fixture(
            "inuse",
            "inuse-dotdot.lst",
            b"C:\\WINDOWS\\..\\..\\outside\\sentinel\n".to_vec(),
        ),
        fixture("inuse", "inuse-other-drive.lst", b"D:\\x.dll\n".to_vec()),
    ])
}

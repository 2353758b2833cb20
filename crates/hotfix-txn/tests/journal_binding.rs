//! Recovery replays only a journal this host wrote (`docs/design.md` §4,
//! "Binding"): a planted, forged, edited or old-format journal is refused
//! with a message naming it, and neither it nor anything else is touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hotfix_fs::{Fs, MemFs, create_dir_all, write_new};
use hotfix_txn::{
    HostKey, Journal, JournalState, Op, Preserve, RelPath, StateDir, Txn, TxnError, recover,
};

const ROOT: &str = "/img";
const HOST_STATE: &str = "/host/state";

fn rel(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

fn sd() -> StateDir {
    StateDir::new(Path::new(ROOT), rel("WINDOWS/$hotfix$")).with_host_state(Path::new(HOST_STATE))
}

/// An image with a file in it and a sentinel outside it.
fn fixture() -> MemFs {
    let fs = MemFs::new();
    for d in ["/img/WINDOWS/system32", "/img/WINDOWS/$hotfix$", "/outside"] {
        create_dir_all(&fs, Path::new(d)).unwrap();
    }
    write_new(&fs, Path::new("/img/WINDOWS/system32/a.dll"), b"old a").unwrap();
    write_new(&fs, Path::new("/outside/sentinel"), b"host file").unwrap();
    fs.sync_all();
    fs
}

/// Every file and directory of the whole filesystem, by content.
fn everything(fs: &dyn Fs) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::from("/")];
    while let Some(dir) = stack.pop() {
        for e in fs.read_dir(&dir).unwrap() {
            let p = dir.join(&e.name);
            if fs.metadata(&p).unwrap().is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                stack.push(p);
            } else {
                out.insert(p.clone(), fs.read(&p).unwrap());
            }
        }
    }
    out
}

/// A journal that would move `a.dll` away and delete it at cleanup.
fn hostile(state: JournalState) -> Journal {
    Journal {
        txid: "0".into(),
        started: 0,
        command: "planted".into(),
        title: "planted".into(),
        state,
        sequential: false,
        ops: vec![Op::Put {
            target: rel("WINDOWS/system32/a.dll"),
            staged: rel("WINDOWS/$hotfix$/txn/s/1"),
            existed: true,
            preserve: vec![Preserve {
                path: rel("WINDOWS/$hotfix$/txn/b/2"),
                keep: false,
            }],
        }],
    }
}

fn plant(fs: &MemFs, bytes: &[u8]) {
    write_new(fs, Path::new("/img/WINDOWS/$hotfix$/journal"), bytes).unwrap();
    create_dir_all(fs, Path::new("/img/WINDOWS/$hotfix$/txn/s")).unwrap();
    fs.sync_all();
}

/// Recovery refuses, names the journal and why, and changes nothing at all.
fn assert_refused(fs: &MemFs, why: &str) {
    let before = everything(fs);
    let err = recover(fs, &sd()).expect_err("a planted journal must be refused");
    let msg = err.to_string();
    assert!(matches!(err, TxnError::BadJournal { .. }), "{msg}");
    assert!(msg.contains("/img/WINDOWS/$hotfix$/journal"), "{msg}");
    assert!(msg.contains(why), "{why:?} not in: {msg}");
    assert!(msg.contains("left in place"), "{msg}");
    assert_eq!(everything(fs), before, "refusing changed something");
}

fn host_key(fs: &MemFs) -> HostKey {
    HostKey::load_or_create(fs, Path::new(HOST_STATE)).unwrap()
}

#[test]
fn a_journal_on_a_host_without_a_key_is_refused() {
    let fs = fixture();
    let other_host = HostKey::from_bytes([7; 32]);
    plant(&fs, &hostile(JournalState::Prepared).encode(&other_host));
    assert_refused(&fs, "this host has no journal key");
}

#[test]
fn a_journal_signed_with_another_key_is_refused() {
    let fs = fixture();
    host_key(&fs);
    for state in [JournalState::Prepared, JournalState::Committed] {
        plant(&fs, &hostile(state).encode(&HostKey::from_bytes([7; 32])));
        assert_refused(&fs, "MAC does not verify");
    }
}

#[test]
fn an_edited_journal_is_refused() {
    let fs = fixture();
    let key = host_key(&fs);
    let mut journal = Journal {
        ops: vec![],
        ..hostile(JournalState::Prepared)
    }
    .encode(&key);
    // Signed with no operations; the attacker appends one to the body.
    let text = String::from_utf8(journal.clone()).unwrap();
    let edited = text.replace(
        "\"ops\": []",
        "\"ops\": [{\"op\": \"make_dir\", \"path\": \"x\"}]",
    );
    assert_ne!(text, edited);
    journal = edited.into_bytes();
    plant(&fs, &journal);
    assert_refused(&fs, "MAC does not verify");
}

#[test]
fn the_old_unbound_format_is_refused() {
    let fs = fixture();
    host_key(&fs);
    let body = serde_json::to_string(&hostile(JournalState::Prepared)).unwrap();
    let sum = "0".repeat(64);
    plant(
        &fs,
        format!("HOTFIX-JOURNAL 1\nsha256 {sum}\n{body}").as_bytes(),
    );
    assert_refused(&fs, "unbound format");
}

#[test]
fn garbage_is_refused() {
    let fs = fixture();
    host_key(&fs);
    for junk in [
        &b""[..],
        b"HOTFIX-JOURNAL 2",
        b"HOTFIX-JOURNAL 2\nsha256 00\n{}",
        b"\xff\n\n",
    ] {
        plant(&fs, junk);
        let before = everything(&fs);
        assert!(matches!(
            recover(&fs, &sd()),
            Err(TxnError::BadJournal { .. })
        ));
        assert_eq!(everything(&fs), before);
    }
}

#[test]
fn paths_that_leave_the_image_never_parse() {
    let fs = fixture();
    let key = host_key(&fs);
    for bad in [
        "/outside/sentinel",
        "../../outside/sentinel",
        "WINDOWS/../../x",
        "",
        "a//b",
        "a\0b",
    ] {
        let body = serde_json::to_string(&hostile(JournalState::Committed))
            .unwrap()
            .replace("WINDOWS/$hotfix$/txn/b/2", &bad.replace('\0', "\\u0000"));
        let bytes = format!(
            "HOTFIX-JOURNAL 2\nblake3-mac {}\n{body}",
            key.mac(body.as_bytes())
        );
        plant(&fs, bytes.as_bytes());
        assert_refused(&fs, "bad JSON");
    }
}

#[test]
fn signed_journals_still_cannot_name_runtime_files_or_scratch_outside_staging() {
    let fs = fixture();
    let key = host_key(&fs);
    let mut onto_lock = hostile(JournalState::Prepared);
    onto_lock.ops = vec![Op::Remove {
        target: rel("WINDOWS/$hotfix$/lock"),
        to: rel("WINDOWS/$hotfix$/txn/b/1"),
        keep: false,
    }];
    plant(&fs, &onto_lock.encode(&key));
    assert_refused(&fs, "runtime files");
    let mut scratch = hostile(JournalState::Committed);
    scratch.ops = vec![Op::Remove {
        target: rel("WINDOWS/x"),
        to: rel("WINDOWS/system32/a.dll"),
        keep: false,
    }];
    plant(&fs, &scratch.encode(&key));
    assert_refused(&fs, "staging area");
}

#[test]
fn a_journal_this_host_wrote_is_replayed() {
    let fs = fixture();
    let mut txn = Txn::begin(&fs, &sd(), "t", "c").unwrap();
    let staged = txn.stage(b"new a").unwrap();
    txn.put(&rel("WINDOWS/system32/a.dll"), &staged, vec![])
        .unwrap();
    // The journal a crash right after the journal step leaves.
    let key = HostKey::load(&fs, Path::new(HOST_STATE)).unwrap().unwrap();
    let mut journal = hostile(JournalState::Prepared);
    journal.ops = txn.ops().to_vec();
    plant(&fs, &journal.encode(&key));
    let recovered = recover(&fs, &sd()).unwrap();
    assert!(matches!(
        recovered,
        hotfix_txn::Recovered::RolledBack { .. }
    ));
    assert_eq!(
        fs.read(Path::new("/img/WINDOWS/system32/a.dll")).unwrap(),
        b"old a"
    );
    assert!(!fs.exists(Path::new("/img/WINDOWS/$hotfix$/journal")));
}

#[test]
fn the_host_key_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state/hotfix");
    let key = HostKey::load_or_create(&hotfix_fs::OsFs, &dir).unwrap();
    #[allow(clippy::disallowed_methods)]
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.join("journal.key")), 0o600);
    assert_eq!(mode(&dir), 0o700);
    // Loaded again, it is the same key.
    let again = HostKey::load(&hotfix_fs::OsFs, &dir).unwrap().unwrap();
    assert_eq!(again.mac(b"x"), key.mac(b"x"));
}

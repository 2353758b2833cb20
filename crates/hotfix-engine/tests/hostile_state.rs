//! Issue 12, state and targets: state read from the image (journal, install
//! records, backup folders, the rename queue) cannot be forged into damage,
//! and no package line, registry line or queued rename can write what makes
//! the image unopenable. Every attack asserts that nothing outside the image
//! changed and that the image is exactly before (refused) or as the
//! command's own rules leave it.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hotfix_engine::{EngineError, ExtCode, Session, Wait};
use hotfix_fs::{FileKind, Fs, OsFs, create_dir_all, write_atomic};
use hotfix_hive::Value;
use hotfix_inf::{RegData, RegLine, RegRoot};
use hotfix_txn::{HostKey, Journal, JournalState, Op, RelPath, TxnError, default_state_dir};
use rules_support::*;

const KB: &str = "KB900070";
const FOO: &str = r"C:\WINDOWS\system32\foo.dll";
const JOURNAL: &str = "WINDOWS/$hotfix$/journal";

fn foo_update() -> hotfix_dataset::Update {
    update(KB, vec![row("foo.dll", Some("5.1.2600.3070"), "SP2GDR")])
}

/// Everything on the filesystem outside the image root, by content.
fn outside(fs: &dyn Fs, root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::from("/")];
    while let Some(dir) = stack.pop() {
        for e in fs.read_dir(&dir).unwrap() {
            let p = dir.join(&e.name);
            if p == root {
                continue;
            }
            if e.kind == FileKind::Dir {
                stack.push(p.clone());
                out.insert(p, b"<dir>".to_vec());
            } else {
                out.insert(p.clone(), fs.read(&p).unwrap());
            }
        }
    }
    out
}

/// A lab whose host already has its journal key, and a sentinel beside the
/// image: from here on nothing outside the image may change.
struct Guarded {
    lab: Lab,
    before_outside: BTreeMap<PathBuf, Vec<u8>>,
}

impl Guarded {
    fn new(u: &hotfix_dataset::Update) -> Self {
        let lab = lab(std::slice::from_ref(u));
        HostKey::load_or_create(&lab.fs, &default_state_dir()).unwrap();
        create_dir_all(&lab.fs, Path::new("/outside")).unwrap();
        write_atomic(&lab.fs, Path::new("/outside/sentinel"), b"host file").unwrap();
        let before_outside = outside(&lab.fs, &lab.root);
        Self {
            lab,
            before_outside,
        }
    }

    fn assert_outside_untouched(&self) {
        assert_eq!(
            outside(&self.lab.fs, &self.lab.root),
            self.before_outside,
            "something outside the image changed"
        );
    }

    fn write_rel(&self, rel: &str, bytes: &[u8]) {
        let host = self.lab.root.join(rel);
        create_dir_all(&self.lab.fs, host.parent().unwrap()).unwrap();
        write_atomic(&self.lab.fs, &host, bytes).unwrap();
    }

    fn read_rel(&self, rel: &str) -> Option<Vec<u8>> {
        self.lab.fs.read(&self.lab.root.join(rel)).ok()
    }

    /// Asserts the refusal is a package fault and changed nothing.
    fn assert_refused_package(&self, before: &BTreeMap<String, Vec<u8>>, err: &EngineError) {
        assert_eq!(err.ext_code(), ExtCode::Incompatible, "{err}");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(
            image_diff(before, &self.lab.snapshot()),
            Vec::<String>::new()
        );
        self.assert_outside_untouched();
    }
}

fn rel(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

/// A journal that would delete foo.dll at cleanup (committed) or move it
/// into the staging area that roll back then removes (prepared).
fn planted(state: JournalState) -> Journal {
    Journal {
        txid: "feed".into(),
        started: 0,
        command: "planted".into(),
        title: "planted".into(),
        state,
        sequential: false,
        ops: vec![Op::Remove {
            target: rel("WINDOWS/system32/foo.dll"),
            to: rel("WINDOWS/$hotfix$/txn/b/1"),
            keep: false,
        }],
    }
}

#[test]
fn planted_journals_are_refused_by_every_command_and_left_alone() {
    let g = Guarded::new(&foo_update());
    let other_host = HostKey::from_bytes([9; 32]);
    let body = serde_json::to_string(&planted(JournalState::Committed)).unwrap();
    let attacks: Vec<(&str, Vec<u8>)> = vec![
        (
            "prepared, foreign MAC",
            planted(JournalState::Prepared).encode(&other_host),
        ),
        (
            "committed, foreign MAC",
            planted(JournalState::Committed).encode(&other_host),
        ),
        (
            "old unbound format",
            format!("HOTFIX-JOURNAL 1\nsha256 {}\n{body}", "0".repeat(64)).into_bytes(),
        ),
        (
            "MAC line missing",
            format!("HOTFIX-JOURNAL 2\n{body}").into_bytes(),
        ),
    ];
    for (what, bytes) in &attacks {
        g.write_rel(JOURNAL, bytes);
        g.write_rel("WINDOWS/$hotfix$/txn/s/keep", b"staged?");
        let before = g.lab.snapshot();
        // Every command opens a session first: install, uninstall, chain,
        // restart, list, verify and reg query all stop here.
        let err = Session::open(
            &g.lab.fs,
            &g.lab.root,
            Wait::NoWait,
            &mut hotfix_engine::Silent,
        )
        .expect_err(what);
        let msg = err.to_string();
        assert!(
            matches!(err, EngineError::Txn(TxnError::BadJournal { .. })),
            "{what}: {msg}"
        );
        assert_eq!(err.ext_code(), ExtCode::Image, "{what}: {msg}");
        assert!(msg.contains("$hotfix$/journal"), "{what}: {msg}");
        assert!(msg.contains("left in place"), "{what}: {msg}");
        assert_eq!(g.lab.snapshot(), before, "{what}: the image changed");
        assert_eq!(g.read_rel(JOURNAL).as_ref(), Some(bytes), "{what}");
        g.assert_outside_untouched();
    }
}

#[test]
fn a_planted_journal_through_a_symlink_never_moves_a_host_file() {
    let tmp = tempfile::tempdir().unwrap();
    let u = foo_update();
    let root = tmp.path().join("image");
    let mut spec = hotfix_synth::GenerateSpec::new(
        hotfix_model::Product::WindowsXp,
        hotfix_model::SpLevel(2),
        hotfix_model::Language::ENU,
    );
    spec.dllcache = false;
    let data = hotfix_dataset::DataSet {
        updates: vec![u.clone()],
    };
    hotfix_synth::generate(&OsFs, &root, &spec, &data, &mut |_, _| {}).unwrap();
    let secret = tmp.path().join("secret.dll");
    std::fs::write(&secret, b"outside the image").unwrap();
    std::os::unix::fs::symlink(&secret, root.join("WINDOWS/system32/evil.dll")).unwrap();
    std::fs::create_dir_all(root.join("WINDOWS/$hotfix$/txn/b")).unwrap();
    let mut journal = planted(JournalState::Committed);
    journal.ops = vec![Op::Remove {
        target: rel("WINDOWS/system32/evil.dll"),
        to: rel("WINDOWS/$hotfix$/txn/b/1"),
        keep: false,
    }];
    let bytes = journal.encode(&HostKey::from_bytes([3; 32]));
    std::fs::write(root.join(JOURNAL), &bytes).unwrap();
    let err =
        Session::open(&OsFs, &root, Wait::NoWait, &mut hotfix_engine::Silent).expect_err("refused");
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(std::fs::read(&secret).unwrap(), b"outside the image");
    assert_eq!(std::fs::read(root.join(JOURNAL)).unwrap(), bytes);
    assert!(
        std::fs::symlink_metadata(root.join("WINDOWS/system32/evil.dll"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// An edit of an install record, as an attacker with the image would make it.
type RecordEdit = dyn Fn(&mut serde_json::Value);

/// A package's AddReg and DelReg lines.
type AddDel = (Vec<RegLine>, Vec<RegLine>);

fn record_path() -> String {
    format!("WINDOWS/$hotfix$/installed/{KB}.json")
}

/// Installs foo and returns the install record as JSON.
fn installed(g: &Guarded) -> serde_json::Value {
    g.lab.install(&[package(&foo_update())]);
    serde_json::from_slice(&g.read_rel(&record_path()).unwrap()).unwrap()
}

#[test]
fn an_edited_record_cannot_point_uninstall_anywhere_the_install_did_not_write() {
    let g = Guarded::new(&foo_update());
    let record = installed(&g);
    let system_sha =
        hotfix_engine::sha256_hex(&g.read_rel("WINDOWS/system32/config/SYSTEM").unwrap());
    let edits: Vec<(&str, Box<RecordEdit>)> = vec![
        (
            "target is the SYSTEM hive with its digest",
            Box::new(move |r| {
                r["files"][0]["target"] = "WINDOWS/system32/config/SYSTEM".into();
                r["files"][0]["sha256"] = system_sha.clone().into();
            }),
        ),
        (
            "target climbs out of the image",
            Box::new(|r| r["files"][0]["target"] = "../../outside/sentinel".into()),
        ),
        (
            "target is absolute",
            Box::new(|r| r["files"][0]["target"] = "/outside/sentinel".into()),
        ),
        (
            "target is hotfix's own journal",
            Box::new(|r| r["files"][0]["target"] = JOURNAL.into()),
        ),
        (
            "backup outside its backup folder",
            Box::new(|r| r["files"][0]["backup"] = "WINDOWS/system32/foo.dll".into()),
        ),
        (
            "backup folder is system32",
            Box::new(|r| r["backup_dir"] = "WINDOWS/system32".into()),
        ),
        (
            "Updates key is empty (would delete the whole Updates key)",
            Box::new(|r| r["updates_key"] = "".into()),
        ),
        (
            "Updates key names another key",
            Box::new(|r| r["updates_key"] = "Windows XP\\SP3".into()),
        ),
        (
            "backup folder climbs out",
            Box::new(|r| r["backup_dir"] = "WINDOWS/../..".into()),
        ),
    ];
    for (what, edit) in &edits {
        let mut r = record.clone();
        edit(&mut r);
        g.write_rel(&record_path(), &serde_json::to_vec(&r).unwrap());
        let before = g.lab.snapshot();
        let err = g.lab.uninstall(&[KB]).expect_err(what);
        println!("{what}: {err}");
        assert!(matches!(err, EngineError::State { .. }), "{what}: {err}");
        assert!(
            err.to_string().contains(&format!("{KB}.json")),
            "{what}: {err}"
        );
        assert_eq!(
            image_diff(&before, &g.lab.snapshot()),
            Vec::<String>::new(),
            "{what}"
        );
        g.assert_outside_untouched();
    }
    // An empty KB, asked for by name, would delete the whole HotFix and
    // Uninstall keys.
    let mut r = record.clone();
    r["kb"] = "".into();
    g.write_rel(&record_path(), &serde_json::to_vec(&r).unwrap());
    let before = g.lab.snapshot();
    let err = g.lab.uninstall(&[""]).expect_err("empty KB");
    assert!(err.to_string().contains("not a KB number"), "{err}");
    assert_eq!(image_diff(&before, &g.lab.snapshot()), Vec::<String>::new());
}

#[test]
fn uninstall_leaves_a_file_changed_since_the_install_and_says_so() {
    let g = Guarded::new(&foo_update());
    installed(&g);
    g.lab.write(FOO, b"someone else's bytes");
    let report = g.lab.uninstall(&[KB]).unwrap();
    assert_eq!(g.lab.read(FOO).unwrap(), b"someone else's bytes");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("changed since the install")),
        "{:?}",
        report.warnings
    );
    g.assert_outside_untouched();
    // An edited record naming a file the install never wrote: its bytes
    // are not the recorded ones, so it is left, and said so.
    let g = Guarded::new(&foo_update());
    let mut record = installed(&g);
    g.lab
        .write(r"C:\WINDOWS\system32\other.dll", b"not the install's");
    record["files"][0]["target"] = "WINDOWS/system32/other.dll".into();
    g.write_rel(&record_path(), &serde_json::to_vec(&record).unwrap());
    let report = g.lab.uninstall(&[KB]).unwrap();
    assert_eq!(
        g.lab.read(r"C:\WINDOWS\system32\other.dll").unwrap(),
        b"not the install's"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("other.dll") && w.contains("changed since the install")),
        "{:?}",
        report.warnings
    );
    g.assert_outside_untouched();
}

#[test]
fn foreign_files_in_a_pre_existing_backup_folder_are_left_and_reported() {
    let g = Guarded::new(&foo_update());
    let dir = format!("WINDOWS/$NtUninstall{KB}$");
    g.write_rel(&format!("{dir}/foo.dll"), b"not made by hotfix");
    g.write_rel(&format!("{dir}/notes.txt"), b"mine");
    let record = installed(&g);
    let backup = record["files"][0]["backup"].as_str().unwrap().to_owned();
    assert_ne!(
        backup,
        format!("{dir}/foo.dll"),
        "the install overwrote a foreign file"
    );
    let report = g.lab.uninstall(&[KB]).unwrap();
    assert_eq!(
        g.read_rel(&format!("{dir}/foo.dll")).unwrap(),
        b"not made by hotfix"
    );
    assert_eq!(g.read_rel(&format!("{dir}/notes.txt")).unwrap(), b"mine");
    assert!(
        g.read_rel(&backup).is_none(),
        "its own backup {backup} stays"
    );
    for name in ["foo.dll", "notes.txt"] {
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains(name) && w.contains("not made by the install")),
            "{name}: {:?}",
            report.warnings
        );
    }
    // A backup changed after the install is not its backup any more.
    let g = Guarded::new(&foo_update());
    let record = installed(&g);
    let backup = record["files"][0]["backup"].as_str().unwrap().to_owned();
    g.write_rel(&backup, b"replaced by someone");
    let report = g.lab.uninstall(&[KB]).unwrap();
    assert_eq!(g.read_rel(&backup).unwrap(), b"replaced by someone");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("not the backup the install made")),
        "{:?}",
        report.warnings
    );
    g.assert_outside_untouched();
}

#[test]
fn package_copy_lines_into_protected_paths_are_refused_before_anything_is_written() {
    let u = foo_update();
    let g = Guarded::new(&u);
    for (dirid, subdir, target) in [
        (11, Some("config"), "SYSTEM"),
        (11, Some("CONFIG"), "software.sav"),
        (10, Some("$hotfix$\\installed"), "KB900070.json"),
        (10, Some("$hotfix$"), "journal"),
        (10, None, "$hotfix$"),
        (
            24,
            Some("Documents and Settings\\Default User"),
            "NTUSER.DAT",
        ),
        (24, Some("WINNT\\system32\\config"), "SOFTWARE"),
    ] {
        let mut pkg = package(&u);
        for c in &mut pkg.inf.copy_always {
            c.dest.dirid = dirid;
            c.dest.subdir = subdir.map(str::to_owned);
            c.target = target.to_owned();
        }
        let before = g.lab.snapshot();
        let err = g.lab.install_with(&[pkg], &opts()).expect_err(target);
        println!("{target}: {err}");
        assert!(
            matches!(err, EngineError::Protected { .. }),
            "{target}: {err}"
        );
        g.assert_refused_package(&before, &err);
    }
}

fn reg_line(key: &str, value: Option<&str>, data: RegData) -> RegLine {
    RegLine {
        root: RegRoot::Hklm,
        key: key.to_owned(),
        value_name: value.map(str::to_owned),
        flags: 0,
        data,
        line: 42,
    }
}

#[test]
fn registry_lines_that_would_make_the_image_unopenable_are_package_faults() {
    let u = foo_update();
    let g = Guarded::new(&u);
    let long = "k".repeat(300);
    let del = |key: &str| (vec![], vec![reg_line(key, None, RegData::None)]);
    let add =
        |key: &str, name: &str, data: RegData| (vec![reg_line(key, Some(name), data)], vec![]);
    let cases: Vec<(String, AddDel)> = vec![
        (
            "DelReg CurrentVersion".into(),
            del(r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"),
        ),
        ("DelReg Microsoft".into(), del(r"SOFTWARE\Microsoft")),
        (
            "DelReg ProfileList".into(),
            del(r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList"),
        ),
        ("DelReg SOFTWARE root".into(), del("SOFTWARE")),
        ("DelReg SYSTEM root".into(), del(r"SYSTEM\")),
        ("DelReg Select".into(), del(r"SYSTEM\Select")),
        (
            "DelReg the control set".into(),
            del(r"SYSTEM\CurrentControlSet"),
        ),
        (
            "DelReg Session Manager".into(),
            del(r"SYSTEM\CurrentControlSet\Control\Session Manager"),
        ),
        (
            "DelReg ControlSet001 Control".into(),
            del(r"SYSTEM\ControlSet001\Control"),
        ),
        (
            "AddReg CurrentVersion to junk".into(),
            add(
                r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                "CurrentVersion",
                RegData::Sz("junk".into()),
            ),
        ),
        (
            "AddReg CurrentVersion a number".into(),
            add(
                r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                "CurrentBuildNumber",
                RegData::Dword(1),
            ),
        ),
        (
            "AddReg an over-long key".into(),
            add(&format!(r"SOFTWARE\{long}"), "x", RegData::Dword(1)),
        ),
    ];
    for (what, (add_reg, del_reg)) in cases {
        let mut pkg = package(&u);
        pkg.inf.add_reg = add_reg;
        pkg.inf.del_reg = del_reg;
        let before = g.lab.snapshot();
        let err = g.lab.install_with(&[pkg], &opts()).expect_err(&what);
        println!("{what}: {err}");
        assert!(
            matches!(
                err,
                EngineError::Protected { .. } | EngineError::BadPackageLine { .. }
            ),
            "{what}: {err}"
        );
        g.assert_refused_package(&before, &err);
    }
    // The image still opens, and an ordinary line still works.
    let mut pkg = package(&u);
    pkg.inf.del_reg = vec![reg_line(
        r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q1",
        None,
        RegData::None,
    )];
    g.lab.install_with(&[pkg], &opts()).unwrap();
    g.assert_outside_untouched();
}

fn set_queue(g: &Guarded, entries: &[&str]) {
    let strings: Vec<String> = entries.iter().map(|s| (*s).to_owned()).collect();
    g.lab.edit_system(|h| {
        h.set(SM, "PendingFileRenameOperations", Value::MultiSz(strings))
            .unwrap();
    });
}

#[test]
fn queued_renames_onto_protected_paths_or_directories_are_skipped_not_blocking() {
    let g = Guarded::new(&foo_update());
    for name in ["a.tmp", "b.tmp", "c.tmp", "good.tmp"] {
        g.lab
            .write(&format!(r"C:\WINDOWS\system32\{name}"), name.as_bytes());
    }
    let journal_before = g.read_rel(JOURNAL);
    let hive_before = g.read_rel("WINDOWS/system32/config/SOFTWARE");
    set_queue(
        &g,
        &[
            r"\??\C:\WINDOWS\system32\a.tmp",
            r"!\??\C:\WINDOWS\$hotfix$\journal",
            r"\??\C:\WINDOWS\system32\b.tmp",
            r"!\??\C:\WINDOWS\system32\drivers",
            r"\??\C:\WINDOWS\system32\c.tmp",
            r"!\??\C:\WINDOWS\system32\config\SOFTWARE",
            r"\??\C:\WINDOWS\system32\config\SOFTWARE",
            "",
            r"\??\C:\WINDOWS\system32\good.tmp",
            r"!\??\C:\WINDOWS\system32\good.dll",
        ],
    );
    let report = g.lab.restart();
    let results: Vec<&str> = report.steps.iter().map(|s| s.result.as_str()).collect();
    assert!(results[0].contains("hotfix's own state"), "{results:?}");
    assert!(results[1].contains("is a directory"), "{results:?}");
    assert!(results[2].contains("registry hives"), "{results:?}");
    assert!(results[3].contains("registry hives"), "{results:?}");
    assert_eq!(results[4], "renamed");
    assert_eq!(g.read_rel(JOURNAL), journal_before);
    assert_eq!(g.read_rel("WINDOWS/system32/config/SOFTWARE"), hive_before);
    assert_eq!(
        g.lab.read(r"C:\WINDOWS\system32\good.dll").unwrap(),
        b"good.tmp"
    );
    assert!(g.lab.read(r"C:\WINDOWS\system32\a.tmp").is_some());
    // The queue is gone, so the next restart is not blocked.
    assert_eq!(g.lab.queue(), None);
    assert!(g.lab.restart().steps.is_empty());
    g.assert_outside_untouched();
}

#[test]
fn chain_with_an_unwritable_log_commits_nothing() {
    let g = Guarded::new(&foo_update());
    g.lab.write(r"C:\WINDOWS\system32\x.tmp", b"x");
    set_queue(
        &g,
        &[
            r"\??\C:\WINDOWS\system32\x.tmp",
            r"!\??\C:\WINDOWS\system32\foo.dll",
            r"\??\C:\WINDOWS\system32\x.tmp",
            r"!\??\C:\WINDOWS\system32\foo.dll",
        ],
    );
    let before = g.lab.snapshot();
    let session = g.lab.session();
    let err = hotfix_engine::chain(&session, Some(Path::new("/no/such/dir/q.log")), "chain")
        .expect_err("unwritable log");
    drop(session);
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert!(!err.to_string().contains("rolled back"), "{err}");
    assert_eq!(image_diff(&before, &g.lab.snapshot()), Vec::<String>::new());
    g.assert_outside_untouched();
}

#[test]
fn a_hive_that_would_not_parse_is_never_committed() {
    let g = Guarded::new(&foo_update());
    let image = g.lab.image();
    // A restore point's or a backup's snapshot read from the image is as
    // untrusted as the image: planted garbage must not replace a hive.
    g.lab
        .write(r"C:\WINDOWS\system32\snapshot.hiv", b"regf but not really");
    let snapshot = image
        .resolve(&g.lab.fs, r"C:\WINDOWS\system32\snapshot.hiv")
        .unwrap();
    let user = image
        .resolve(
            &g.lab.fs,
            r"C:\Documents and Settings\Default User\NTUSER.DAT",
        )
        .unwrap();
    let plans: Vec<(&str, RelPath, hotfix_engine::Content)> = vec![
        (
            "new bytes for SYSTEM",
            image.system_hive(),
            hotfix_engine::Content::Bytes(std::sync::Arc::new(b"MZ not a hive".to_vec())),
        ),
        (
            "a planted snapshot for SOFTWARE",
            image.software_hive(),
            hotfix_engine::Content::Disk(snapshot.clone()),
        ),
        (
            "a planted snapshot for NTUSER.DAT",
            user,
            hotfix_engine::Content::Disk(snapshot),
        ),
    ];
    for (what, target, content) in plans {
        let before = g.lab.snapshot();
        let mut view = hotfix_engine::View::new(&g.lab.fs, &image);
        view.put(&target, content);
        let err = view.commit("t", "t").expect_err(what);
        println!("{what}: {err}");
        assert!(matches!(err, EngineError::Hive { .. }), "{what}: {err}");
        assert!(err.to_string().contains("do not parse"), "{what}: {err}");
        assert_eq!(image_diff(&before, &g.lab.snapshot()), Vec::<String>::new());
        g.assert_outside_untouched();
    }
}

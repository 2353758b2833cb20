//! The protocol of docs/design.md §3 on its own: a transaction with every kind
//! of operation, crashed at every step under every crash variant, then
//! recovered, must give exactly the pre- or the post-state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hotfix_fs::{
    CrashVariant, FaultFs, FaultKind, FaultPlan, Fs, MemFs, create_dir_all, write_new,
};
use hotfix_txn::{Preserve, Recovered, RelPath, StateDir, Txn, TxnError, recover};

const ROOT: &str = "/img";

fn rel(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

fn sd() -> StateDir {
    StateDir::new(Path::new(ROOT), rel("WINDOWS/$hotfix$"))
}

fn fixture() -> MemFs {
    let fs = MemFs::new();
    for d in ["WINDOWS/system32", "WINDOWS/$hotfix$"] {
        create_dir_all(&fs, &Path::new(ROOT).join(d)).unwrap();
    }
    for (p, data) in [
        ("WINDOWS/system32/a.dll", "old a"),
        ("WINDOWS/system32/b.dll", "old b"),
        ("WINDOWS/system32/gone.dll", "old gone"),
        ("WINDOWS/system32/q.dll.hfnew", "queued q"),
        ("WINDOWS/system32/q.dll", "old q"),
    ] {
        write_new(&fs, &Path::new(ROOT).join(p), data.as_bytes()).unwrap();
    }
    fs.sync_all();
    fs
}

/// Every file under the root except the runtime files of design.md §10.
fn snapshot(fs: &dyn Fs) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::from(ROOT)];
    while let Some(dir) = stack.pop() {
        for e in fs.read_dir(&dir).unwrap() {
            let p = dir.join(&e.name);
            if ["lock", "recovery.log"].contains(&e.name.as_str()) {
                continue;
            }
            if fs.metadata(&p).unwrap().is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                stack.push(p);
            } else {
                out.insert(p.clone(), fs.read(&p).unwrap());
            }
        }
    }
    out.remove(&PathBuf::from(ROOT).join("WINDOWS/$hotfix$"));
    out
}

fn scenario(fs: &dyn Fs) -> Result<(), TxnError> {
    let sd = sd();
    let mut tx = Txn::begin(fs, &sd, "test", "hotfix test")?;
    let a = tx.stage(b"new a")?;
    tx.put(
        &rel("WINDOWS/system32/a.dll"),
        &a,
        vec![Preserve {
            path: rel("WINDOWS/$NtUninstallKB1$/a.dll"),
            keep: true,
        }],
    )?;
    tx.link(&a.path, &rel("WINDOWS/$hotfix$/store/aaaa"))?;
    let b = tx.stage(b"new b")?;
    tx.put(&rel("WINDOWS/system32/b.dll"), &b, vec![])?;
    let c = tx.stage(b"brand new c")?;
    tx.put(&rel("WINDOWS/system32/new/c.dll"), &c, vec![])?;
    tx.remove(&rel("WINDOWS/system32/gone.dll"), None)?;
    // a boot-time rename: the staged file is an image file
    let queued = hotfix_txn::Staged {
        path: rel("WINDOWS/system32/q.dll.hfnew"),
    };
    tx.put(&rel("WINDOWS/system32/q.dll"), &queued, vec![])?;
    tx.commit().map(drop)
}

/// The boot-time rename queue: operations that depend on each other, run
/// sequentially: two replacements of one target, a chain of moves, a delete.
fn restart_scenario(fs: &dyn Fs) -> Result<(), TxnError> {
    let sd = sd();
    let mut tx = Txn::begin(fs, &sd, "restart", "hotfix restart")?;
    tx.set_sequential();
    let staged = |p: &str| hotfix_txn::Staged { path: rel(p) };
    tx.put(
        &rel("WINDOWS/system32/q.dll"),
        &staged("WINDOWS/system32/q.dll.hfnew"),
        vec![],
    )?;
    tx.put(
        &rel("WINDOWS/system32/q.dll"),
        &staged("WINDOWS/system32/b.dll"),
        vec![],
    )?;
    tx.put(
        &rel("WINDOWS/system32/moved.dll"),
        &staged("WINDOWS/system32/a.dll"),
        vec![],
    )?;
    tx.put(
        &rel("WINDOWS/system32/moved2.dll"),
        &staged("WINDOWS/system32/moved.dll"),
        vec![],
    )?;
    tx.remove(&rel("WINDOWS/system32/gone.dll"), None)?;
    tx.commit().map(drop)
}

#[test]
fn every_crash_point_recovers_to_pre_or_post() {
    crash_everywhere(scenario);
}

#[test]
fn sequential_queue_recovers_to_pre_or_post() {
    crash_everywhere(restart_scenario);
}

fn crash_everywhere(scenario: fn(&dyn Fs) -> Result<(), TxnError>) {
    let base = fixture();
    let pre = snapshot(&base);
    let counted = FaultFs::new(base.fork());
    scenario(&counted).unwrap();
    let post = snapshot(&counted);
    assert_ne!(pre, post);
    let total = counted.steps();
    assert!(total > 30, "scenario too small: {total} steps");

    let (mut to_pre, mut to_post) = (0, 0);
    for n in 1..=total {
        let live = base.fork();
        let faulty = FaultFs::with_plan(
            live.clone(),
            FaultPlan {
                at_step: n,
                kind: FaultKind::Crash,
            },
        );
        // A crash in cleanup happens after the commit point, where the
        // transaction reports success with a cleanup warning.
        let _ = scenario(&faulty);
        assert!(faulty.crashed(), "step {n} did not crash");
        for variant in [
            CrashVariant::LoseUnsynced,
            CrashVariant::KeepMetadata,
            CrashVariant::KeepAll,
            CrashVariant::Torn { seed: n },
            CrashVariant::Torn { seed: n * 7919 },
        ] {
            let img = live.crash_image(variant);
            let outcome =
                recover(&img, &sd()).unwrap_or_else(|e| panic!("step {n} {variant:?}: {e}"));
            let got = snapshot(&img);
            if got == pre {
                to_pre += 1;
                assert!(
                    !matches!(outcome, Recovered::Completed { .. }),
                    "step {n} {variant:?}"
                );
            } else if got == post {
                to_post += 1;
                assert!(
                    !matches!(outcome, Recovered::RolledBack { .. }),
                    "step {n} {variant:?}"
                );
            } else {
                panic!("step {n} {variant:?}: neither pre nor post after {outcome:?}:\n{got:#?}");
            }
            // recovery is idempotent
            assert_eq!(recover(&img, &sd()).unwrap(), Recovered::Nothing);
        }
    }
    assert!(to_pre > 0 && to_post > 0, "pre {to_pre} post {to_post}");
}

#[test]
fn injected_errors_roll_back_with_a_message_naming_the_path() {
    let base = fixture();
    let pre = snapshot(&base);
    let counted = FaultFs::new(base.fork());
    scenario(&counted).unwrap();
    for n in 1..=counted.steps() {
        for errno in [5, 28, 13] {
            let live = base.fork();
            let faulty = FaultFs::with_plan(
                live.clone(),
                FaultPlan {
                    at_step: n,
                    kind: FaultKind::Errno(errno),
                },
            );
            match scenario(&faulty) {
                Ok(()) => {
                    // failed only in cleanup or a step whose failure is harmless:
                    // the image must then be the post-state after recovery
                    recover(&live, &sd()).unwrap();
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains("injected"), "step {n}: {msg}");
                    recover(&live, &sd()).unwrap();
                    assert_eq!(snapshot(&live), pre, "step {n} errno {errno}: {msg}");
                }
            }
        }
    }
}

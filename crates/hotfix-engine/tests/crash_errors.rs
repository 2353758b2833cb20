//! Issue 5, item 4: EIO, ENOSPC (a disk that stays full) and EACCES injected
//! at every mutating step of a batch install. Each failure rolls back to
//! exactly the pre-state, says which path and which error, carries an
//! extended code, and the KB log says what was undone; a fault after the
//! commit point leaves the post-state.

use hotfix_engine::{EngineError, ExtCode, InstallOptions, Session, Wait};
use hotfix_fs::{FaultFs, FaultKind, FaultPlan, Fs, MemFs};
use hotfix_package::Package;
use hotfix_testkit::fixture::{FROZEN_TIME, OVERLAPPING, mem_image, open_packages, root};
use hotfix_testkit::{Snapshot, snapshot};

const FAULTS: [(FaultKind, &str); 3] = [
    (FaultKind::Errno(5), "Input/output error"),
    (FaultKind::Sticky(28), "No space left on device"),
    (FaultKind::Errno(13), "Permission denied"),
];

#[derive(Debug, Default)]
struct Tally {
    refused_at_open: usize,
    rolled_back: usize,
    after_commit: usize,
    logs_checked: usize,
    full_disk_no_log: usize,
}

fn run(fs: &dyn Fs, pkgs: &[Package]) -> Result<(), EngineError> {
    let session = Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent)?;
    let opts = InstallOptions {
        command_line: "hotfix install /quiet /norestart".into(),
        ..Default::default()
    };
    hotfix_engine::install(&session, pkgs, &opts, &mut hotfix_engine::Silent).map(drop)
}

fn snap(fs: &dyn Fs) -> Snapshot {
    snapshot(fs, &root()).unwrap()
}

fn check(
    base: &MemFs,
    pkgs: &[Package],
    (pre, post): (&Snapshot, &Snapshot),
    n: u64,
    (kind, errno_text): (FaultKind, &str),
    tally: &mut Tally,
) {
    let live = base.fork();
    let faulty = FaultFs::with_plan(live.clone(), FaultPlan { at_step: n, kind });
    let at = format!("step {n} {kind:?}");
    let opened =
        Session::open(&faulty, &root(), Wait::NoWait, &mut hotfix_engine::Silent).map(drop);
    let refused_at_open = opened.is_err();
    let result = opened.and_then(|()| run(&faulty, pkgs));
    let Err(e) = result else {
        // Only a step after the commit point (cleanup, the log) may fail
        // without failing the command; the next run finishes the cleanup.
        drop(Session::open(&live, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap());
        assert_eq!(snap(&live).diff(post), None, "{at}: succeeded but not post");
        tally.after_commit += 1;
        return;
    };
    let msg = e.to_string();
    assert!(msg.contains(errno_text), "{at}: {msg}");
    assert!(msg.contains("WINDOWS"), "{at}: no path in {msg}");
    let want = if matches!(kind, FaultKind::Sticky(28)) {
        ExtCode::DiskSpace
    } else {
        ExtCode::Io
    };
    assert_eq!(e.ext_code(), want, "{at}: {msg}");
    assert_eq!(snap(&live).diff(pre), None, "{at}: {msg}");
    let log_path = root().join("WINDOWS/KB890046.log");
    match live.read_to_string(&log_path) {
        Ok(log) => {
            assert!(
                log.contains("Update.exe extended error code = 0x"),
                "{at}: {log}"
            );
            assert!(
                log.contains("Every change of this run was undone"),
                "{at}: {log}"
            );
            tally.logs_checked += 1;
            tally.rolled_back += 1;
        }
        // The session could not even be opened: nothing began, no log.
        Err(_) if refused_at_open => {
            tally.refused_at_open += 1;
        }
        // A disk that stays full has no room for the log either.
        Err(_) if matches!(kind, FaultKind::Sticky(_)) => {
            tally.rolled_back += 1;
            tally.full_disk_no_log += 1;
        }
        Err(le) => panic!("{at}: no log ({le}) after {msg}"),
    }
}

#[test]
fn injected_errors_at_every_step_of_a_batch_roll_back_and_say_why() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let pkgs = open_packages(&OVERLAPPING).unwrap();
    let base = mem_image(&OVERLAPPING).unwrap();
    let pre = snap(&base);
    let counted = FaultFs::new(base.fork());
    run(&counted, &pkgs).unwrap();
    let post = snap(counted.inner());
    let steps = counted.steps();
    let mut tally = Tally::default();
    for n in 1..=steps {
        for fault in FAULTS {
            check(&base, &pkgs, (&pre, &post), n, fault, &mut tally);
        }
    }
    eprintln!(
        "{steps} steps x {} faults = {} cases: {tally:?}",
        FAULTS.len(),
        steps * FAULTS.len() as u64
    );
    assert!(tally.rolled_back > 0 && tally.after_commit > 0);
}

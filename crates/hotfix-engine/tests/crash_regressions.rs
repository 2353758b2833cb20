//! Bugs the crash sweep (`crash_scenarios.rs`) found, each pinned by the
//! smallest case that shows it.

use hotfix_engine::{Session, Wait};
use hotfix_fs::{CrashVariant, Fs};
use hotfix_testkit::fixture::{OVERLAPPING, mem_image, root};

/// `Session::open` created `%windir%\$hotfix$` without syncing `%windir%`:
/// a power cut after a transaction had switched files in (and synced only
/// the directories it touched) lost the state directory with the journal
/// in it, so recovery found nothing to roll back and the image stayed half
/// changed (found by scenario d, `chain`, at step 22 under LoseUnsynced).
#[test]
fn state_dir_creation_is_durable_before_the_first_journal() {
    let fs = mem_image(&OVERLAPPING[..1]).unwrap();
    let state = root().join("WINDOWS/$hotfix$");
    assert!(!fs.exists(&state));
    drop(Session::open(&fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap());
    let after_cut = fs.crash_image(CrashVariant::LoseUnsynced);
    assert!(
        after_cut.metadata(&state).is_ok_and(|m| m.is_dir()),
        "the state directory did not survive a power cut"
    );
}

fn install_with(fault: hotfix_fs::FaultPlan) -> (hotfix_fs::MemFs, hotfix_engine::EngineError) {
    let pkgs = hotfix_testkit::fixture::open_packages(&OVERLAPPING[..1]).unwrap();
    let live = mem_image(&OVERLAPPING[..1]).unwrap();
    let faulty = hotfix_fs::FaultFs::with_plan(live.clone(), fault);
    let opts = hotfix_engine::InstallOptions::default();
    let err = Session::open(&faulty, &root(), Wait::NoWait, &mut hotfix_engine::Silent)
        .and_then(|s| {
            hotfix_engine::install(&s, &pkgs, &opts, &mut hotfix_engine::Silent).map(drop)
        })
        .unwrap_err();
    (live, err)
}

/// ENOSPC came back as extended code 0xf0fa (I/O) instead of 0xf0f6 (disk
/// space) whenever the error had been re-wrapped to name its path, which
/// keeps the error kind but not the errno: the code looked only at the errno.
#[test]
fn enospc_rewrapped_with_a_path_is_still_disk_space() {
    let (_, err) = install_with(hotfix_fs::FaultPlan {
        at_step: 1,
        kind: hotfix_fs::FaultKind::Sticky(28),
    });
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert_eq!(err.ext_code(), hotfix_engine::ExtCode::DiskSpace, "{err}");
}

/// A failure while starting the transaction or staging its files (before
/// the journal) returned with the half-made `$hotfix$\txn` still there: the
/// image was not the pre-state until the next run cleaned it up.
#[test]
fn a_failure_while_staging_leaves_no_staging_area() {
    // Step 4 creates txn\s; step 6 is the first write of a staged file.
    for at_step in [4, 6] {
        let (live, err) = install_with(hotfix_fs::FaultPlan {
            at_step,
            kind: hotfix_fs::FaultKind::Errno(5),
        });
        assert!(err.to_string().contains("Input/output error"), "{err}");
        assert!(
            !live.exists(&root().join("WINDOWS/$hotfix$/txn")),
            "step {at_step}: staging area left behind after: {err}"
        );
    }
}

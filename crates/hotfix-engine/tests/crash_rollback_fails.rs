//! A roll back that cannot finish: the disk turns read-only (EROFS) at each
//! mutating step of a batch install and stays so. Where the roll back
//! needs a write, the command says that rolling back failed, that the
//! journal is kept and how to finish; once the cause is gone, the next
//! command on the image finishes it first, and the image is exactly the
//! pre-state (or the post-state, for a fault after the commit point).

use hotfix_engine::{EngineError, InstallOptions, Session, Wait};
use hotfix_fs::{FaultFs, FaultKind, FaultPlan, Fs, MemFs};
use hotfix_package::Package;
use hotfix_testkit::fixture::{FROZEN_TIME, OVERLAPPING, mem_image, open_packages, root};
use hotfix_testkit::{Snapshot, snapshot};

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

#[test]
fn a_roll_back_stopped_by_a_read_only_disk_is_finished_by_the_next_command() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let pkgs = open_packages(&OVERLAPPING).unwrap();
    let base: MemFs = mem_image(&OVERLAPPING).unwrap();
    let pre = snap(&base);
    let counted = FaultFs::new(base.fork());
    run(&counted, &pkgs).unwrap();
    let post = snap(counted.inner());
    let (mut rollback_failed, mut rolled_back, mut after_commit) = (0, 0, 0);
    for n in 1..=counted.steps() {
        let live = base.fork();
        let kind = FaultKind::Persistent(30);
        let faulty = FaultFs::with_plan(live.clone(), FaultPlan { at_step: n, kind });
        let result = run(&faulty, &pkgs);
        let msg = result.as_ref().err().map(ToString::to_string);
        if let Some(msg) = &msg {
            assert!(msg.contains("Read-only file system"), "step {n}: {msg}");
            if msg.contains("rolling back also failed") {
                assert!(
                    msg.contains("the journal is kept")
                        && msg.contains("finishes the roll back before anything else"),
                    "step {n}: no way out in {msg}"
                );
                rollback_failed += 1;
            }
        }
        // The cause removed, any command on the image recovers first.
        faulty.heal();
        drop(Session::open(&faulty, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap());
        let now = snap(&live);
        match msg {
            Some(msg) if now.diff(&pre).is_none() => {
                if !msg.contains("rolling back also failed") {
                    rolled_back += 1;
                }
            }
            _ if now.diff(&post).is_none() => after_commit += 1,
            msg => panic!(
                "step {n}: neither pre nor post after recovery ({msg:?}): {:?}",
                now.diff(&pre)
            ),
        }
    }
    eprintln!(
        "{} steps: {rollback_failed} roll backs stopped and finished later, {rolled_back} rolled back at once, {after_commit} after the commit point",
        counted.steps()
    );
    assert!(rollback_failed > 0, "no step made the roll back fail");
}

//! The crash model of `MemFs` and the step counting of `FaultFs`.

use std::io::Write;
use std::path::Path;

use hotfix_fs::{
    CrashVariant, FaultFs, FaultKind, FaultPlan, Fs, MemFs, StepKind, write_atomic, write_new,
};

fn p(s: &str) -> &Path {
    Path::new(s)
}

#[test]
fn unsynced_file_is_lost_but_survives_a_kill() {
    let fs = MemFs::new();
    fs.create_dir(p("/d")).unwrap();
    fs.sync_all();
    let mut w = fs.create(p("/d/f")).unwrap();
    w.write_all(b"hello").unwrap();
    drop(w);
    assert!(!fs.crash_image(CrashVariant::LoseUnsynced).exists(p("/d/f")));
    let meta_only = fs.crash_image(CrashVariant::KeepMetadata);
    assert_eq!(meta_only.read(p("/d/f")).unwrap(), b"");
    assert_eq!(
        fs.crash_image(CrashVariant::KeepAll)
            .read(p("/d/f"))
            .unwrap(),
        b"hello"
    );
}

#[test]
fn file_sync_without_directory_sync_loses_the_entry() {
    let fs = MemFs::new();
    write_new(&fs, p("/f"), b"data").unwrap();
    assert!(!fs.crash_image(CrashVariant::LoseUnsynced).exists(p("/f")));
    fs.sync_dir(p("/")).unwrap();
    assert_eq!(
        fs.crash_image(CrashVariant::LoseUnsynced)
            .read(p("/f"))
            .unwrap(),
        b"data"
    );
}

#[test]
fn atomic_write_is_old_or_new_under_every_variant() {
    let fs = MemFs::new();
    write_atomic(&fs, p("/h"), b"old").unwrap();
    let faulty = FaultFs::new(fs.clone());
    write_atomic(&faulty, p("/h"), b"new").unwrap();
    let total = faulty.steps();
    for n in 1..=total + 1 {
        let start = MemFs::new();
        write_atomic(&start, p("/h"), b"old").unwrap();
        let f = FaultFs::with_plan(
            start.clone(),
            FaultPlan {
                at_step: n,
                kind: FaultKind::Crash,
            },
        );
        let _ = write_atomic(&f, p("/h"), b"new");
        for v in [
            CrashVariant::LoseUnsynced,
            CrashVariant::KeepMetadata,
            CrashVariant::KeepAll,
            CrashVariant::Torn { seed: n },
        ] {
            let got = start.crash_image(v).read(p("/h")).unwrap();
            assert!(got == b"old" || got == b"new", "step {n} {v:?}: {got:?}");
        }
    }
}

#[test]
fn rename_across_directories_is_durable_when_either_side_is_synced() {
    let fs = MemFs::new();
    fs.create_dir(p("/a")).unwrap();
    fs.create_dir(p("/b")).unwrap();
    write_new(&fs, p("/a/x"), b"1").unwrap();
    fs.sync_all();
    fs.rename(p("/a/x"), p("/b/x")).unwrap();
    let lost = fs.crash_image(CrashVariant::LoseUnsynced);
    assert!(lost.exists(p("/a/x")) && !lost.exists(p("/b/x")));
    fs.sync_dir(p("/b")).unwrap();
    let kept = fs.crash_image(CrashVariant::LoseUnsynced);
    assert!(!kept.exists(p("/a/x")) && kept.exists(p("/b/x")));
}

#[test]
fn torn_data_keeps_a_prefix_of_the_new_bytes() {
    let fs = MemFs::new();
    write_new(&fs, p("/f"), b"").unwrap();
    fs.sync_all();
    let mut w = fs.append(p("/f")).unwrap();
    w.write_all(b"abcdefgh").unwrap();
    for seed in 1..50 {
        let got = fs
            .crash_image(CrashVariant::Torn { seed })
            .read(p("/f"))
            .unwrap();
        assert!(b"abcdefgh".starts_with(&got), "{got:?}");
    }
}

#[test]
fn fault_fs_counts_steps_and_a_crash_stops_everything() {
    let fs = FaultFs::new(MemFs::new());
    fs.record_trace();
    write_atomic(&fs, p("/x"), b"1").unwrap();
    let kinds: Vec<_> = fs.trace().iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::Create,
            StepKind::Write,
            StepKind::Sync,
            StepKind::Rename,
            StepKind::SyncDir
        ]
    );
    let crashing = FaultFs::with_plan(
        MemFs::new(),
        FaultPlan {
            at_step: 2,
            kind: FaultKind::Crash,
        },
    );
    assert!(write_atomic(&crashing, p("/x"), b"1").is_err());
    assert!(crashing.crashed());
    assert!(
        crashing.read_dir(p("/")).is_err(),
        "reads fail after a crash too"
    );
}

#[test]
fn injected_errno_fails_one_step_and_sticky_enospc_stays() {
    let once = FaultFs::with_plan(
        MemFs::new(),
        FaultPlan {
            at_step: 1,
            kind: FaultKind::Errno(5),
        },
    );
    let e = write_new(&once, p("/a"), b"x").unwrap_err();
    assert!(e.to_string().contains("injected at step 1"), "{e}");
    write_new(&once, p("/b"), b"x").unwrap();

    let full = FaultFs::with_plan(
        MemFs::new(),
        FaultPlan {
            at_step: 1,
            kind: FaultKind::Sticky(28),
        },
    );
    assert!(write_new(&full, p("/a"), b"x").is_err());
    assert!(write_new(&full, p("/b"), b"x").is_err());
    full.create_dir(p("/c")).unwrap_err();
}

#[test]
fn capacity_gives_enospc() {
    let fs = MemFs::new();
    fs.set_capacity(Some(10));
    write_new(&fs, p("/a"), b"12345").unwrap();
    assert_eq!(fs.free_space(p("/")).unwrap(), 5);
    let e = write_new(&fs, p("/b"), b"123456").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
}

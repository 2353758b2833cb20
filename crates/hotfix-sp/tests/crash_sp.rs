//! `hotfix sp install` crashed at every mutating step, under every crash
//! variant (`hotfix_testkit::sweep`): recovery leaves exactly the pre- or
//! the post-state. A tiny SP2 (a few dozen files) on an SP1 image cut down
//! to a few updates keeps each run to milliseconds; the whole sweep takes a
//! few seconds. Then the same for SP1 on RTM with a dual-mode fix, whose
//! migration is part of the SP's transaction.

use hotfix_dataset::DataSet;
use hotfix_engine::{EngineError, InstallOptions, Session, Wait};
use hotfix_fs::Fs;
use hotfix_model::{Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_sp::{SpOptions, sp_install};
use hotfix_synth::{SpSpec, synth_sp};
use hotfix_testkit::fixture::{FROZEN_TIME, data_for, mem_image_at, open_packages, root};
use hotfix_testkit::sweep::sweep;

fn service_pack(data: &DataSet, sp: u8) -> Package {
    let spec = SpSpec {
        product: Product::WindowsXp,
        sp,
        language: Language::ENU,
        scale: 0.01,
        files: Some(16),
    };
    let built = synth_sp(data, &spec).unwrap();
    Package::open(built.bytes, &built.file_name).unwrap()
}

fn run_sp(fs: &dyn Fs, pkg: &Package) -> Result<(), EngineError> {
    run_sp_with(fs, pkg, false)
}

/// `restart`: without `/norestart`, the restart step at the end.
fn run_sp_with(fs: &dyn Fs, pkg: &Package, restart: bool) -> Result<(), EngineError> {
    let session = Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent)?;
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        restart,
        ..Default::default()
    };
    let report = sp_install(&session, pkg, &opts, &mut hotfix_engine::Silent)?;
    assert_eq!(report.restarted.is_some(), restart, "{report:?}");
    Ok(())
}

#[test]
fn sp2_install_crashed_anywhere_recovers_to_pre_or_post() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let kbs = ["KB890046", "KB920213"];
    let base = mem_image_at(&kbs, SpLevel(1)).unwrap();
    let pkg = service_pack(&data_for(&kbs).unwrap(), 2);
    let report = sweep("sp install SP2", &base, &root(), &|fs| run_sp(fs, &pkg)).unwrap();
    eprintln!("{report:?}");
    assert!(report.crash_points > 50, "{report:?}");
    assert!(report.to_pre > 0 && report.to_post > 0, "{report:?}");
}

#[test]
fn sp1_install_with_dual_mode_migration_crashed_anywhere_recovers_to_pre_or_post() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let kbs = ["KB828035"];
    let base = mem_image_at(&kbs, SpLevel(0)).unwrap();
    {
        let session =
            Session::open(&base, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap();
        let opts = InstallOptions {
            command_line: "hotfix install".into(),
            ..Default::default()
        };
        let fix = open_packages(&kbs).unwrap();
        hotfix_engine::install(&session, &fix, &opts, &mut hotfix_engine::Silent).unwrap();
    }
    base.sync_all();
    let pkg = service_pack(&data_for(&kbs).unwrap(), 1);
    let report = sweep("sp install SP1 (dual-mode)", &base, &root(), &|fs| {
        run_sp(fs, &pkg)
    })
    .unwrap();
    eprintln!("{report:?}");
    assert!(report.to_pre > 0 && report.to_post > 0, "{report:?}");
}

/// SP2 where the boot matters: user32.dll and gdi32.dll (KnownDLLs) are
/// swapped, mf3216.dll is in use and under Windows File Protection
/// (`AllowProtectedRenames` is written); then the same with the restart
/// step at the end of setup, in its transaction.
#[test]
fn sp2_with_known_dlls_and_a_protected_file_in_use_crashed_anywhere_recovers() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let kbs = ["KB891711", "KB912919"];
    let base = mem_image_at(&kbs, SpLevel(1)).unwrap();
    let sys32 = root().join("WINDOWS/system32");
    let cache = sys32.join("dllcache");
    if !base.exists(&cache) {
        base.create_dir(&cache).unwrap();
    }
    let bytes = base.read(&sys32.join("mf3216.dll")).unwrap();
    hotfix_fs::write_atomic(&base, &cache.join("mf3216.dll"), &bytes).unwrap();
    let image = hotfix_image::Image::open(&base, &root()).unwrap();
    hotfix_image::lock_files(
        &base,
        &image,
        &["C:\\WINDOWS\\system32\\mf3216.dll".to_owned()],
    )
    .unwrap();
    base.sync_all();
    let pkg = service_pack(&data_for(&kbs).unwrap(), 2);
    // The clean run writes AllowProtectedRenames, or the sweep proves
    // nothing about it.
    let clean = base.fork();
    run_sp_with(&clean, &pkg, false).unwrap();
    let system = clean.read(&sys32.join("config/SYSTEM")).unwrap();
    let system = hotfix_hive::Hive::parse(&system).unwrap();
    let sm = format!(
        "{}\\{}",
        hotfix_image::current_control_set(&system),
        hotfix_image::SESSION_MANAGER
    );
    let allow = system.get(&sm, "AllowProtectedRenames");
    assert_eq!(allow.and_then(hotfix_hive::Value::as_dword), Some(1));
    for restart in [false, true] {
        let name = format!("sp install SP2, KnownDLLs, restart at the end: {restart}");
        let report = sweep(&name, &base, &root(), &|fs| run_sp_with(fs, &pkg, restart)).unwrap();
        eprintln!("{report:?}");
        assert!(report.to_pre > 0 && report.to_post > 0, "{report:?}");
    }
}

/// A full disk while the payload streams into staging is a full disk
/// (0xf0f6), not a damaged package, and changes nothing.
#[test]
fn a_full_disk_while_staging_the_payload_is_reported_as_a_full_disk() {
    use hotfix_fs::{FaultFs, FaultKind, FaultPlan, StepKind};
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let kbs = ["KB890046", "KB920213"];
    let base = mem_image_at(&kbs, SpLevel(1)).unwrap();
    let pkg = service_pack(&data_for(&kbs).unwrap(), 2);
    let traced = FaultFs::new(base.fork());
    traced.record_trace();
    run_sp(&traced, &pkg).unwrap();
    // Staging runs in path order, so the last file staged is a payload DLL
    // in system32 (the record, the hives and their backups sort before it).
    let staging_write = traced
        .trace()
        .into_iter()
        .rfind(|s| s.kind == StepKind::Write && s.path.to_string_lossy().contains("/txn/s/"))
        .expect("the payload is staged");
    let before = hotfix_testkit::snapshot(&base, &root()).unwrap();
    let full = FaultFs::with_plan(
        base.fork(),
        FaultPlan {
            at_step: staging_write.n,
            kind: FaultKind::Sticky(28),
        },
    );
    let err = run_sp(&full, &pkg).expect_err("a full disk stops the install");
    assert_eq!(err.ext_code(), hotfix_engine::ExtCode::DiskSpace, "{err}");
    // What the faulted filesystem holds after the roll back.
    let after = hotfix_testkit::snapshot(&full, &root()).unwrap();
    assert_eq!(before.diff(&after), None);
}

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

//! Service-pack setup goes through the engine's one per-file decision, so
//! what the booted system sees is the hotfix installer's: every KnownDLL
//! is swapped and never gets a replace entry; a queued rename of a
//! protected file sets `AllowProtectedRenames`; an earlier queued rename of
//! a file the SP replaces is dropped (one entry per target); without
//! `/norestart` the restart step runs at the end; and the same SP installed
//! again works, keeps the first run's backups, and migrates a dual-mode fix
//! the first run missed.

use hotfix_engine::{Session, Wait};
use hotfix_fs::{Fs, MemFs};
use hotfix_hive::{Hive, Value};
use hotfix_image::{SESSION_MANAGER, current_control_set, lock_files};
use hotfix_model::{Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_pending::{PendingOp, PendingQueue};
use hotfix_sp::{SpOptions, SpReport, sp_install, sp_uninstall};
use hotfix_synth::{GenerateSpec, SpSpec, generate, synth_sp};
use hotfix_testkit::fixture::{data_for, open_packages, root};

/// SP1-era fixes of user32.dll and gdi32.dll (with other files): an SP1
/// image has them, and SP2 replaces them.
const KBS: [&str; 2] = ["KB891711", "KB912919"];

fn open(fs: &MemFs) -> Session<'_> {
    Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap()
}

/// An XP image at `from` and the service pack to `from + 1`.
fn setup(kbs: &[&str], from: u8) -> (MemFs, Package) {
    let data = data_for(kbs).unwrap();
    let fs = MemFs::new();
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(from), Language::ENU);
    generate(&fs, &root(), &spec, &data, &mut |_, _| {}).unwrap();
    let sp = synth_sp(
        &data,
        &SpSpec {
            product: Product::WindowsXp,
            sp: from + 1,
            language: Language::ENU,
            scale: 0.01,
            files: Some(24),
        },
    )
    .unwrap();
    (fs, Package::open(sp.bytes, &sp.file_name).unwrap())
}

fn install(fs: &MemFs, pkg: &Package, restart: bool) -> SpReport {
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        restart,
        ..Default::default()
    };
    sp_install(&open(fs), pkg, &opts, &mut hotfix_engine::Silent).unwrap()
}

fn system(fs: &MemFs) -> (Hive, String) {
    let bytes = fs
        .read(&root().join("WINDOWS/system32/config/SYSTEM"))
        .unwrap();
    let hive = Hive::parse(&bytes).unwrap();
    let sm = format!("{}\\{SESSION_MANAGER}", current_control_set(&hive));
    (hive, sm)
}

fn queue(fs: &MemFs) -> Vec<String> {
    let (hive, sm) = system(fs);
    hive.get(&sm, "PendingFileRenameOperations")
        .and_then(Value::as_multi_sz)
        .map(<[String]>::to_vec)
        .unwrap_or_default()
}

fn sys32(name: &str) -> std::path::PathBuf {
    root().join("WINDOWS/system32").join(name)
}

#[test]
fn every_known_dll_is_swapped_and_never_gets_a_replace_entry() {
    let (fs, sp2) = setup(&KBS, 1);
    let old = fs.read(&sys32("user32.dll")).unwrap();
    let report = install(&fs, &sp2, false);
    assert!(report.swapped >= 2, "gdi32 and user32: {report:?}");
    assert_eq!(report.outcome.code(), 3010);
    let q = queue(&fs);
    for dll in ["gdi32.dll", "user32.dll"] {
        let aside = format!("\\??\\C:\\WINDOWS\\system32\\{dll}.hfold1");
        let at = q
            .iter()
            .position(|s| *s == aside)
            .unwrap_or_else(|| panic!("{dll}: no queued delete of its moved-aside copy: {q:?}"));
        assert_eq!(q[at + 1], "", "a delete");
        let replace = format!("!\\??\\C:\\WINDOWS\\system32\\{dll}").to_lowercase();
        assert!(!q.iter().any(|s| s.to_lowercase() == replace), "{q:?}");
    }
    assert_eq!(fs.read(&sys32("user32.dll.hfold1")).unwrap(), old);
    let new = hotfix_pe::read_version(&fs.read(&sys32("user32.dll")).unwrap()).unwrap();
    assert_eq!(new.file_version.build, 2600);
    assert!(new.file_version.revision > 2000, "SP2's build is in place");
    hotfix_engine::restart(&open(&fs), "hotfix restart").unwrap();
    assert!(!fs.exists(&sys32("user32.dll.hfold1")));
}

#[test]
fn a_protected_file_in_use_sets_allow_protected_renames() {
    let (fs, sp2) = setup(&KBS, 1);
    // A payload file in system32 with a dllcache copy, not a KnownDLL.
    let cached: Vec<String> = fs
        .read_dir(&sys32("dllcache"))
        .unwrap()
        .into_iter()
        .map(|e| e.name.to_lowercase())
        .collect();
    let name = sp2
        .inf
        .copy_always
        .iter()
        .map(|c| c.target.to_lowercase())
        .find(|t| {
            cached.contains(t)
                && fs.exists(&sys32(t))
                && !["gdi32.dll", "user32.dll", "kernel32.dll"].contains(&t.as_str())
        })
        .expect("a protected payload file");
    lock_files(
        &fs,
        &open(&fs).image,
        &[format!("C:\\WINDOWS\\system32\\{name}")],
    )
    .unwrap();
    let report = install(&fs, &sp2, false);
    assert!(report.queued >= 1, "{report:?}");
    let (hive, sm) = system(&fs);
    assert_eq!(
        hive.get(&sm, "AllowProtectedRenames")
            .and_then(Value::as_dword),
        Some(1)
    );
}

#[test]
fn an_earlier_queued_rename_of_a_file_the_sp_replaces_is_dropped() {
    let (fs, sp2) = setup(&KBS, 1);
    let name = sp2
        .inf
        .copy_always
        .iter()
        .map(|c| c.target.to_lowercase())
        .find(|t| fs.exists(&sys32(t)) && t.as_str() != "gdi32.dll" && t.as_str() != "user32.dll")
        .expect("a payload file on the image");
    // What another installer queued: the current build, staged beside it.
    let staged = format!("{name}.q1");
    let bytes = fs.read(&sys32(&name)).unwrap();
    hotfix_fs::write_new(&fs, &sys32(&staged), &bytes).unwrap();
    let (mut hive, sm) = system(&fs);
    let mut q = PendingQueue::default();
    q.ops.push(PendingOp::replace(
        format!("\\??\\C:\\WINDOWS\\system32\\{staged}"),
        format!("\\??\\C:\\WINDOWS\\system32\\{name}"),
    ));
    hive.set(
        &sm,
        "PendingFileRenameOperations",
        Value::MultiSz(q.to_strings()),
    )
    .unwrap();
    hotfix_fs::write_atomic(
        &fs,
        &root().join("WINDOWS/system32/config/SYSTEM"),
        &hive.to_bytes().unwrap(),
    )
    .unwrap();
    let win = format!("C:\\WINDOWS\\system32\\{name}");
    lock_files(&fs, &open(&fs).image, std::slice::from_ref(&win)).unwrap();
    install(&fs, &sp2, false);
    let q = queue(&fs);
    let entries = q
        .iter()
        .filter(|s| s.to_lowercase() == format!("!\\??\\{win}").to_lowercase())
        .count();
    assert_eq!(entries, 1, "one entry per target: {q:?}");
    assert!(!q.iter().any(|s| s.ends_with(".q1")), "{q:?}");
    assert!(!fs.exists(&sys32(&staged)), "its staged copy is removed");
}

#[test]
fn without_norestart_the_restart_step_runs_at_the_end() {
    let (fs, sp2) = setup(&KBS, 1);
    let report = install(&fs, &sp2, true);
    assert_eq!(report.outcome.code(), 0, "{report:?}");
    let steps = report.restarted.expect("restart step").steps;
    assert!(steps.len() >= 2, "{steps:?}");
    assert!(queue(&fs).is_empty());
    assert!(!fs.exists(&sys32("user32.dll.hfold1")));
    let log = fs
        .read_to_string(&root().join("WINDOWS/svcpack.log"))
        .unwrap();
    assert!(log.contains("the boot-time step processed"), "{log}");
}

#[test]
fn the_same_service_pack_again_keeps_the_first_backups_and_uninstalls_to_the_old_level() {
    let (fs, sp2) = setup(&KBS, 1);
    let before = fs.read(&sys32("user32.dll")).unwrap();
    install(&fs, &sp2, true);
    let again = install(&fs, &sp2, true);
    assert_eq!((again.from_sp, again.to_sp), (1, 2), "{again:?}");
    assert_eq!(again.replaced + again.swapped + again.added, 0, "{again:?}");
    let session = open(&fs);
    assert_eq!(session.identity.sp, SpLevel(2));
    sp_uninstall(&session, &mut hotfix_engine::Silent).unwrap();
    drop(session);
    assert_eq!(open(&fs).identity.sp, SpLevel(1));
    assert_eq!(fs.read(&sys32("user32.dll")).unwrap(), before);
}

#[test]
fn sp1_again_migrates_a_dual_mode_fix_the_first_run_missed() {
    const KB: &str = "KB828035";
    let (fs, sp1) = setup(&[KB], 0);
    let opts = hotfix_engine::InstallOptions {
        command_line: "hotfix install".into(),
        ..Default::default()
    };
    let fix = open_packages(&[KB]).unwrap();
    hotfix_engine::install(&open(&fs), &fix, &opts, &mut hotfix_engine::Silent).unwrap();
    // The kept post-SP1 copies are out of reach during the first run.
    let kept = root().join(format!("WINDOWS/$xpsp1hfm$/{KB}"));
    let aside = root().join("kept-elsewhere");
    fs.rename(&kept, &aside).unwrap();
    let first = install(&fs, &sp1, true);
    assert!(first.migrated.is_empty(), "{first:?}");
    fs.rename(&aside, &kept).unwrap();
    let again = install(&fs, &sp1, true);
    assert_eq!(again.migrated, vec![KB.to_owned()], "{again:?}");
    let msgsvc = hotfix_pe::read_version(&fs.read(&sys32("msgsvc.dll")).unwrap()).unwrap();
    assert_eq!(msgsvc.file_version.revision, 1309);
}

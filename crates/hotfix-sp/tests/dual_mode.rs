#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

//! Dual-mode packages (KB328848) on an XP RTM image in memory: the `SP1\`
//! side installed and the `SP2\` side kept in `$xpsp1hfm$`; SP1 migrates it
//! (newest wins) and logs to Xpsp1hfm.log; verify reports it once; removing
//! SP1 gives back the pre-SP1 files; uninstall removes the kept copies.
//! Then SP2: the fix is "Superseded by Service Pack 2", and cancelling
//! setup (the Ctrl-C flag) before and after the point of no return.

use hotfix_engine::{InstallOptions, InstallRecord, OnStage, Session, Stage, Status, Wait};
use hotfix_fs::{Fs, MemFs};
use hotfix_model::{FileVersion, Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_sp::{SpOptions, sp_install, sp_uninstall};
use hotfix_synth::{GenerateSpec, SpSpec, generate, synth_sp};
use hotfix_testkit::fixture::{data_for, open_packages, root};

/// XP entries of the data set with both dual-mode sides.
const DUAL: [&str; 4] = ["KB828035", "KB835732", "KB833987", "KB839645"];
const KB: &str = "KB828035";

fn open(fs: &MemFs) -> Session<'_> {
    Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap()
}

fn version(fs: &MemFs, rel: &str) -> FileVersion {
    let bytes = fs.read(&root().join(rel)).unwrap();
    hotfix_pe::read_version(&bytes).unwrap().file_version
}

fn record(fs: &MemFs) -> InstallRecord {
    let p = root().join(format!("WINDOWS/$hotfix$/installed/{KB}.json"));
    serde_json::from_slice(&fs.read(&p).unwrap()).unwrap()
}

/// An XP RTM image with the dual-mode fix installed, and the SP1 package.
fn rtm_with_fix() -> (MemFs, Package) {
    let data = data_for(&[KB]).unwrap();
    let fs = MemFs::new();
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(0), Language::ENU);
    generate(&fs, &root(), &spec, &data, &mut |_, _| {}).unwrap();
    assert!(data.updates[0].is_dual_mode());
    let session = open(&fs);
    let opts = InstallOptions {
        command_line: "hotfix install".into(),
        ..Default::default()
    };
    let fix = open_packages(&[KB]).unwrap();
    hotfix_engine::install(&session, &fix, &opts, &mut hotfix_engine::Silent).unwrap();
    drop(session);
    let sp = synth_sp(
        &data,
        &SpSpec {
            product: Product::WindowsXp,
            sp: 1,
            language: Language::ENU,
            scale: 0.01,
            files: Some(24),
        },
    )
    .unwrap();
    let sp = Package::open(sp.bytes, &sp.file_name).unwrap();
    (fs, sp)
}

fn install_sp(fs: &MemFs, pkg: &Package) -> hotfix_sp::SpReport {
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        ..Default::default()
    };
    sp_install(&open(fs), pkg, &opts, &mut hotfix_engine::Silent).unwrap()
}

#[test]
fn the_data_set_has_four_xp_dual_mode_updates() {
    let data = data_for(&DUAL).unwrap();
    assert_eq!(data.updates.len(), 4);
    for u in &data.updates {
        assert!(u.is_dual_mode(), "{} is not dual-mode", u.kb);
        assert!(
            u.applies_to(SpLevel(0)) && u.applies_to(SpLevel(1)),
            "{}",
            u.kb
        );
    }
}

#[test]
fn rtm_install_keeps_the_post_sp1_side_and_uninstall_removes_it() {
    let (fs, _) = rtm_with_fix();
    assert_eq!(version(&fs, "WINDOWS/system32/msgsvc.dll").revision, 121);
    let dual = record(&fs)
        .dual_mode
        .expect("the record lists the kept copies");
    assert!(
        dual.files.len() >= 2 && dual.migrated_at_sp.is_none(),
        "{dual:?}"
    );
    let kept = root().join(&dual.files[0].stash);
    assert!(
        dual.files[0]
            .stash
            .to_lowercase()
            .starts_with(&format!("windows/$xpsp1hfm$/{}/sp2/", KB.to_lowercase())),
        "{dual:?}"
    );
    let kept_bytes = fs.read(&kept).unwrap();
    assert_eq!(
        hotfix_pe::read_version(&kept_bytes)
            .unwrap()
            .file_version
            .revision,
        1309
    );
    let session = open(&fs);
    hotfix_engine::uninstall(&session, &[KB.to_owned()], "hotfix uninstall").unwrap();
    assert!(!fs.exists(&kept));
}

#[test]
fn uninstall_removes_only_the_kept_copies_it_made() {
    let (fs, _) = rtm_with_fix();
    let dual = record(&fs).dual_mode.expect("kept copies");
    let kept: Vec<_> = dual.files.iter().map(|f| root().join(&f.stash)).collect();
    // Planted beside the kept copies, and one kept copy changed since.
    let planted = root().join(&dual.dir).join("SP2/planted.dll");
    hotfix_fs::write_new(&fs, &planted, b"not the hotfix's").unwrap();
    hotfix_fs::write_new(&fs, &kept[1], b"changed after the install").unwrap();
    let session = open(&fs);
    let report = hotfix_engine::uninstall(&session, &[KB.to_owned()], "hotfix uninstall").unwrap();
    assert!(!fs.exists(&kept[0]), "the kept copy it made stays");
    assert!(fs.exists(&planted) && fs.exists(&kept[1]));
    let warned = |needle: &str, name: &str| {
        report
            .warnings
            .iter()
            .any(|w| w.contains(needle) && w.to_lowercase().contains(name))
    };
    assert!(
        warned("not made by the install", "planted.dll"),
        "{report:?}"
    );
    let changed = dual.files[1]
        .stash
        .rsplit('/')
        .next()
        .unwrap()
        .to_lowercase();
    assert!(warned("bytes differ", &changed), "{report:?}");
}

#[test]
fn an_edited_record_cannot_name_a_kept_copy_outside_its_folder() {
    let (fs, _) = rtm_with_fix();
    // The edit names a system file, with its true digest, as a kept copy.
    let target = root().join("WINDOWS/system32/msgsvc.dll");
    let digest = hotfix_engine::sha256_hex(&fs.read(&target).unwrap());
    let path = root().join(format!("WINDOWS/$hotfix$/installed/{KB}.json"));
    let mut rec: serde_json::Value = serde_json::from_slice(&fs.read(&path).unwrap()).unwrap();
    rec["dual_mode"]["files"][0]["stash"] = "WINDOWS/system32/msgsvc.dll".into();
    rec["dual_mode"]["files"][0]["sha256"] = digest.into();
    hotfix_fs::write_new(&fs, &path, &serde_json::to_vec(&rec).unwrap()).unwrap();
    let session = open(&fs);
    let err = hotfix_engine::uninstall(&session, &[KB.to_owned()], "hotfix uninstall")
        .expect_err("an edited record is refused");
    assert!(
        err.to_string().contains("outside its dual-mode folder"),
        "{err}"
    );
    assert!(fs.exists(&target));
}

#[test]
fn sp1_migrates_verify_reports_once_and_removing_sp1_restores_the_pre_sp1_fix() {
    let (fs, sp1) = rtm_with_fix();
    let before = fs
        .read(&root().join("WINDOWS/system32/msgsvc.dll"))
        .unwrap();
    let report = install_sp(&fs, &sp1);
    assert_eq!(report.migrated, vec![KB.to_owned()], "{report:?}");
    assert!(report.superseded.is_empty(), "{report:?}");
    // Newest wins: the kept post-SP1 build outranks SP1's own copy.
    assert_eq!(version(&fs, "WINDOWS/system32/msgsvc.dll").revision, 1309);
    assert_eq!(record(&fs).dual_mode.unwrap().migrated_at_sp, Some(1));
    let log = fs
        .read_to_string(&root().join("WINDOWS/Xpsp1hfm.log"))
        .unwrap();
    assert!(log.contains(&format!("{KB}: migrated ")), "{log}");
    assert!(log.lines().all(|l| l.split_once(": ").is_some()), "{log}");

    // Two Updates keys (SP1\ and SP2\), one line in the report.
    let session = open(&fs);
    let v = hotfix_engine::verify(&session).unwrap();
    assert_eq!(v.text.matches(KB).count(), 1, "{}", v.text);
    assert_eq!(v.hotfixes.len(), 1);
    assert_eq!(v.hotfixes[0].status, Status::Current, "{}", v.text);
    let listed = hotfix_engine::list(&session).unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.source == "service-pack" && e.kb == "KB324720")
    );
    // Like the original, a migrated fix goes with SP1, not on its own.
    let err = hotfix_engine::uninstall(&session, &[KB.to_owned()], "hotfix uninstall");
    assert!(err.is_err());

    let removed = sp_uninstall(&session, &mut hotfix_engine::Silent).unwrap();
    drop(session);
    assert_eq!(removed.restored_pre_sp1, vec![KB.to_owned()]);
    assert_eq!(
        fs.read(&root().join("WINDOWS/system32/msgsvc.dll"))
            .unwrap(),
        before
    );
    assert_eq!(record(&fs).dual_mode.unwrap().migrated_at_sp, None);
    let log = fs
        .read_to_string(&root().join("WINDOWS/Xpsp1hfm.log"))
        .unwrap();
    assert!(
        log.contains("pre-SP1 version of the update is restored"),
        "{log}"
    );
    let session = open(&fs);
    assert_eq!(session.identity.sp, SpLevel(0));
    // SP1 again migrates again (KB328848: "reinstalling SP1").
    drop(session);
    assert_eq!(install_sp(&fs, &sp1).migrated, vec![KB.to_owned()]);
}

fn sp2(kbs: &[&str]) -> Package {
    let sp = synth_sp(
        &data_for(kbs).unwrap(),
        &SpSpec {
            product: Product::WindowsXp,
            sp: 2,
            language: Language::ENU,
            scale: 0.01,
            files: Some(24),
        },
    )
    .unwrap();
    Package::open(sp.bytes, &sp.file_name).unwrap()
}

#[test]
fn a_fix_sp2_contains_is_superseded_not_to_be_reinstalled() {
    let (fs, sp1) = rtm_with_fix();
    install_sp(&fs, &sp1);
    let report = install_sp(&fs, &sp2(&[KB]));
    assert_eq!(report.superseded, vec![KB.to_owned()], "{report:?}");
    let session = open(&fs);
    let v = hotfix_engine::verify(&session).unwrap();
    assert!(
        v.text
            .contains(&format!("{KB}: Superseded by Service Pack 2.")),
        "{}",
        v.text
    );
    assert_eq!(v.text.matches(KB).count(), 1, "{}", v.text);
    assert!(v.all_current());
    let listed = hotfix_engine::list(&session).unwrap();
    let sps: Vec<&str> = listed
        .iter()
        .filter(|e| e.source == "service-pack")
        .map(|e| e.kb.as_str())
        .collect();
    assert_eq!(sps, ["KB324720", "KB835935"]);
    // Removing SP2 forgets that it superseded anything.
    sp_uninstall(&session, &mut hotfix_engine::Silent).unwrap();
    let v = hotfix_engine::verify(&session).unwrap();
    assert_eq!(v.hotfixes[0].status, Status::Current, "{}", v.text);
}

#[test]
fn a_cancel_before_the_point_of_no_return_writes_nothing() {
    let (fs, sp1) = rtm_with_fix();
    fs.sync_all();
    let before = hotfix_testkit::snapshot(&fs, &root()).unwrap();
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        cancel: Some(cancel),
        ..Default::default()
    };
    let err = sp_install(&open(&fs), &sp1, &opts, &mut hotfix_engine::Silent).unwrap_err();
    assert!(
        matches!(err, hotfix_engine::EngineError::Cancelled(_)),
        "{err}"
    );
    assert_eq!(err.ext_code().code(), 0xf00d);
    let log = fs
        .read_to_string(&root().join("WINDOWS/svcpack.log"))
        .unwrap();
    assert!(log.contains("Service Pack 1 Setup canceled."), "{log}");
    let after = hotfix_testkit::snapshot(&fs, &root()).unwrap();
    assert_eq!(after.diff(&before), None);
}

#[test]
fn a_cancel_after_the_point_of_no_return_is_logged_and_setup_finishes() {
    let (fs, sp1) = rtm_with_fix();
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let mut reporter = OnStage(|stage: Stage, done: u64, _: u64| {
        if stage == Stage::RestorePoint && done == 1 {
            cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let report = sp_install(&open(&fs), &sp1, &opts, &mut reporter).unwrap();
    assert_eq!(report.to_sp, 1);
    let log = fs
        .read_to_string(&root().join("WINDOWS/svcpack.log"))
        .unwrap();
    assert!(
        log.contains("after the point of no return: setup continues"),
        "{log}"
    );
}

#[test]
fn an_in_use_file_is_queued_and_the_restart_puts_the_migrated_build_in_place() {
    let (fs, sp1) = rtm_with_fix();
    let msgsvc = "C:\\WINDOWS\\system32\\msgsvc.dll";
    {
        let session = open(&fs);
        hotfix_image::lock_files(&fs, &session.image, &[msgsvc.to_owned()]).unwrap();
    }
    let before = version(&fs, "WINDOWS/system32/msgsvc.dll");
    let report = install_sp(&fs, &sp1);
    assert!(report.queued > 0, "{report:?}");
    assert_eq!(report.outcome.code(), 3010);
    assert_eq!(version(&fs, "WINDOWS/system32/msgsvc.dll"), before);
    let session = open(&fs);
    let done = hotfix_engine::restart(&session, "hotfix restart").unwrap();
    let step = done
        .steps
        .iter()
        .find(|s| s.source.to_lowercase().ends_with("msgsvc.dll.hfkb324720"))
        .expect("msgsvc.dll was queued");
    // One `!` (replace existing) in the queue, so the target is the file.
    assert!(
        step.target
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(msgsvc)),
        "{step:?}"
    );
    drop(session);
    assert_eq!(version(&fs, "WINDOWS/system32/msgsvc.dll").revision, 1309);
}

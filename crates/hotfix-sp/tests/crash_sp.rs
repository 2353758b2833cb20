//! `hotfix sp install` crashed at every mutating step, under every crash
//! variant (`hotfix_testkit::sweep`): recovery leaves exactly the pre- or
//! the post-state. A tiny SP2 (a few dozen files) on an SP1 image cut down
//! to a few updates keeps each run to milliseconds; the whole sweep takes a
//! few seconds. Then the same for SP1 on RTM with a dual-mode fix, whose
//! migration is part of the SP's transaction.

use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_engine::{EngineError, InstallOptions, Session, Wait};
use hotfix_fs::{Fs, MemFs};
use hotfix_image::{GenerateSpec, generate};
use hotfix_model::{Language, Product, SpLevel};
use hotfix_package::{Package, SynthOptions, synth};
use hotfix_sp::{SpOptions, SpSpec, sp_install, synth_sp};
use hotfix_testkit::fixture::{FROZEN_TIME, root};
use hotfix_testkit::sweep::sweep;

fn data(kbs: &[&str]) -> DataSet {
    let mut data = DataSet::parse(DEFAULT_DATA).unwrap();
    data.updates
        .retain(|u| u.product == Product::WindowsXp && kbs.iter().any(|k| u.kb.to_string() == *k));
    data
}

fn image(data: &DataSet, sp: u8) -> MemFs {
    let fs = MemFs::new();
    let mut spec = GenerateSpec::new(Product::WindowsXp, SpLevel(sp), Language::ENU);
    spec.dllcache = false;
    generate(&fs, &root(), &spec, data, &mut |_, _| {}).unwrap();
    fs.sync_all();
    fs
}

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
    let session = Session::open(fs, &root(), Wait::NoWait, &mut |_| {})?;
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        ..Default::default()
    };
    sp_install(&session, pkg, &opts, &mut |_, _, _| {}).map(drop)
}

#[test]
fn sp2_install_crashed_anywhere_recovers_to_pre_or_post() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let data = data(&["KB890046", "KB920213"]);
    let base = image(&data, 1);
    let pkg = service_pack(&data, 2);
    let report = sweep("sp install SP2", &base, &root(), &|fs| run_sp(fs, &pkg)).unwrap();
    eprintln!("{report:?}");
    assert!(report.crash_points > 50, "{report:?}");
    assert!(report.to_pre > 0 && report.to_post > 0, "{report:?}");
}

#[test]
fn sp1_install_with_dual_mode_migration_crashed_anywhere_recovers_to_pre_or_post() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let data = data(&["KB828035"]);
    let base = image(&data, 0);
    let opts = SynthOptions {
        language: Language::ENU,
        sfx: false,
        compression_fast: true,
    };
    let fix = synth(&data.updates[0], &opts).unwrap();
    let fix = Package::open(fix.bytes, &fix.file_name).unwrap();
    {
        let session = Session::open(&base, &root(), Wait::NoWait, &mut |_| {}).unwrap();
        let opts = InstallOptions {
            command_line: "hotfix install".into(),
            ..Default::default()
        };
        hotfix_engine::install(&session, &[fix], &opts, &mut |_| {}).unwrap();
    }
    base.sync_all();
    let pkg = service_pack(&data, 1);
    let report = sweep("sp install SP1 (dual-mode)", &base, &root(), &|fs| {
        run_sp(fs, &pkg)
    })
    .unwrap();
    eprintln!("{report:?}");
    assert!(report.to_pre > 0 && report.to_post > 0, "{report:?}");
}

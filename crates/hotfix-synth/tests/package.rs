//! synth over the data set: every entry builds and re-opens verified; the
//! payload files are real PEs of the row's size, version and branch tag.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeSet;

use hotfix_dataset::{DEFAULT_DATA, DataSet, Update};
use hotfix_inf::{CmpOp, Condition};
use hotfix_model::{BranchKind, PayloadFolder, TagRank};
use hotfix_package::{INF_PATH, Package};
use hotfix_synth::{SynthOptions, synth};

fn data() -> DataSet {
    DataSet::parse(DEFAULT_DATA).unwrap()
}

fn find<'a>(data: &'a DataSet, kb: &str, product: &str) -> &'a Update {
    data.find_for(&kb.parse().unwrap(), product.parse().unwrap())
        .unwrap()
}

/// Synthesizes and re-opens `update`, checking paths and sizes against its rows.
fn synth_and_open(update: &Update, opts: &SynthOptions) -> Package {
    let s = synth(update, opts).unwrap_or_else(|e| panic!("{} {}: {e}", update.kb, update.product));
    assert_eq!(s.files, update.files.len());
    assert_eq!(
        s.payload_bytes,
        update.files.iter().map(|r| r.size).sum::<u64>()
    );
    let pkg = Package::open(s.bytes, &s.file_name).unwrap_or_else(|e| panic!("{e}"));
    let mut want: BTreeSet<(String, u64)> = update
        .files
        .iter()
        .map(|r| (r.package_path().to_lowercase(), r.size))
        .collect();
    let inf = pkg.payload().iter().find(|e| e.path == INF_PATH).unwrap();
    want.insert((INF_PATH.to_owned(), inf.size));
    let mut got: BTreeSet<(String, u64)> = pkg
        .payload()
        .iter()
        .map(|e| (e.path.to_lowercase(), e.size))
        .collect();
    // KB328848's layout: the migration tool and `Common\` beside SP1\ and SP2\.
    let installer: BTreeSet<String> = pkg
        .payload()
        .iter()
        .map(|e| e.path.to_lowercase())
        .filter(|p| p == "xpsp1hfm.exe" || p.starts_with("common\\"))
        .collect();
    if update.is_dual_mode() {
        assert!(
            installer.contains("xpsp1hfm.exe"),
            "{}: no Xpsp1hfm.exe",
            s.file_name
        );
        assert!(installer.len() > 1, "{}: no Common\\ files", s.file_name);
        got.retain(|(p, _)| !installer.contains(p));
    } else {
        assert!(installer.is_empty(), "{}: {installer:?}", s.file_name);
    }
    assert_eq!(got, want, "{}", s.file_name);
    assert_eq!(pkg.kb(), &update.kb);
    assert_eq!(pkg.manifest.product, update.product);
    pkg
}

/// All 322 entries, stored (no compression) so the whole set stays fast,
/// alternating SFX and plain cabinets; every 8th entry (about 40, a fixed
/// sample) again with MSZIP. `Package::open` verifies every digest.
#[test]
fn every_update_synthesizes_and_reopens_verified() {
    let data = data();
    assert_eq!(data.updates.len(), 322);
    let jobs: Vec<(usize, &Update)> = data.updates.iter().enumerate().collect();
    std::thread::scope(|scope| {
        for half in jobs.chunks(jobs.len().div_ceil(2)) {
            scope.spawn(move || {
                for &(i, update) in half {
                    let fast = SynthOptions {
                        sfx: i % 2 == 0,
                        compression_fast: true,
                        ..SynthOptions::default()
                    };
                    synth_and_open(update, &fast);
                    if i % 8 == 0 {
                        synth_and_open(update, &SynthOptions::default());
                    }
                }
            });
        }
    });
}

#[test]
fn payload_files_are_real_pes_with_row_versions_and_tags() {
    let data = data();
    for (kb, product) in [
        ("KB834707", "2003"),
        ("KB839645", "xp"),
        ("KB893086", "xp"),
        ("KB2492386", "xp"),
        ("KB924667", "2003"),
    ] {
        let update = find(&data, kb, product);
        let pkg = synth_and_open(update, &SynthOptions::default());
        for row in &update.files {
            let bytes = pkg.read(&row.package_path()).unwrap();
            assert_eq!(bytes.len() as u64, row.size);
            let info = hotfix_pe::read_version(&bytes);
            let Some(version) = row.version else {
                assert!(info.is_err(), "{kb} {}", row.name);
                continue;
            };
            let info = info.unwrap_or_else(|e| panic!("{kb} {}: {e}", row.package_path()));
            assert_eq!(info.file_version, version);
            let text = info.file_version_string().unwrap();
            assert!(text.starts_with(&format!("{version} (")), "{text}");
            let rank = info.build_tag().unwrap().rank();
            let want = match row.folder {
                PayloadFolder::Branch(b) if b.kind == BranchKind::Gdr => TagRank::Gdr,
                PayloadFolder::Branch(_) | PayloadFolder::Dual(_) => TagRank::Qfe,
                PayloadFolder::Neutral => TagRank::Gdr,
            };
            assert_eq!(rank, want, "{kb} {} {text}", row.package_path());
            if let (Some(date), Some(time)) = (&row.date, &row.time) {
                let stamp = format!(
                    "{}{}{}-{}",
                    &date[2..4],
                    &date[5..7],
                    &date[8..10],
                    time.replace(':', "")
                );
                assert!(text.contains(&stamp), "{text} lacks {stamp}");
            }
        }
    }
}

#[test]
fn inf_describes_the_payload() {
    let data = data();
    let update = find(&data, "KB893086", "xp");
    let pkg = synth_and_open(update, &SynthOptions::default());
    let inf = &pkg.inf;
    assert_eq!(
        (inf.nt_build_to_update, inf.nt_major, inf.nt_minor),
        (Some(2600), Some(5), Some(1))
    );
    let (lo, hi) = update.sp_range();
    assert_eq!(
        (inf.min_sp, inf.max_sp),
        (Some(lo.inf_value()), Some(hi.inf_value()))
    );
    assert_eq!(inf.language_type, Some(0x409));
    assert_eq!(inf.short_title, "KB893086");
    // Every copy line's source exists in some branch folder (or the root).
    let folders: Vec<String> = update
        .files
        .iter()
        .filter_map(|r| r.folder.folder())
        .collect();
    let all = inf
        .copy_always
        .iter()
        .chain(&inf.replace_if_exist)
        .chain(inf.conditionals.iter().flat_map(|c| &c.copy_files));
    for file in all {
        let found = pkg.has(&file.source)
            || folders
                .iter()
                .any(|f| pkg.has(&format!("{f}\\{}", file.source)));
        assert!(found, "{} not in the package", file.source);
    }
    assert!(inf.replace_if_exist.iter().all(|f| f.dest.dirid == 65619));
    assert!(!inf.replace_if_exist.is_empty());
    // The root row is guarded by its major version.
    assert!(!inf.conditionals.is_empty());
    for c in &inf.conditionals {
        let Condition::And(ops) = &c.condition else {
            panic!("{:?}", c.condition)
        };
        let ops: Vec<CmpOp> = ops
            .iter()
            .map(|o| match o {
                Condition::CheckFilever { op, .. } => *op,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ops, [CmpOp::Ge, CmpOp::Lt]);
    }
}

#[test]
fn synth_is_deterministic_and_names_packages() {
    let data = data();
    let update = find(&data, "KB834707", "2003");
    let a = synth(update, &SynthOptions::default()).unwrap();
    let b = synth(update, &SynthOptions::default()).unwrap();
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.file_name, "WindowsServer2003-KB834707-x86-ENU.exe");
    let jpn = SynthOptions {
        language: hotfix_model::Language::JPN,
        sfx: false,
        ..SynthOptions::default()
    };
    let c = synth(update, &jpn).unwrap();
    assert_eq!(c.file_name, "WindowsServer2003-KB834707-x86-JPN.cab");
    let pkg = Package::open(c.bytes, &c.file_name).unwrap();
    assert_eq!(pkg.manifest.language, hotfix_model::Language::JPN);
    assert_eq!(pkg.inf.language_type, Some(0x411));
}

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

//! Service-pack state read from the image is checked before it is acted
//! on: an edited spuninst list, restore point or service-pack list that
//! names what no setup writes is refused with the file named, changes
//! nothing, and the unedited state still works. The lists are versioned,
//! and a service-pack list in the old bare form is still read.

use hotfix_engine::{EngineError, ServicePackEntry, Session, View, Wait, load_service_packs};
use hotfix_fs::{Fs, MemFs};
use hotfix_model::{Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_sp::{SpOptions, list_restore_points, sp_install, sp_uninstall};
use hotfix_synth::{GenerateSpec, SpSpec, generate, synth_sp};
use hotfix_testkit::fixture::{data_for, root};
use hotfix_testkit::snapshot;
use serde_json::{Value, json};

const SPUNINST: &str = "WINDOWS/$NtServicePackUninstall$/spuninst/spuninst.json";
const POINT: &str = "WINDOWS/$hotfix$/restore/1/point.json";
const PACKS: &str = "WINDOWS/$hotfix$/servicepacks.json";

fn open(fs: &MemFs) -> Session<'_> {
    Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap()
}

/// What an edit does to a state file, and the edit.
type Edit = (&'static str, fn(&mut Value));

fn packs(fs: &MemFs) -> Result<Vec<ServicePackEntry>, EngineError> {
    let s = open(fs);
    load_service_packs(&View::new(s.fs, &s.image))
}

/// An SP1 image with a small SP2 installed.
fn installed() -> MemFs {
    let data = data_for(&["KB891711"]).unwrap();
    let fs = MemFs::new();
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(1), Language::ENU);
    generate(&fs, &root(), &spec, &data, &mut |_, _| {}).unwrap();
    let sp = synth_sp(
        &data,
        &SpSpec {
            product: Product::WindowsXp,
            sp: 2,
            language: Language::ENU,
            scale: 0.01,
            files: Some(12),
        },
    )
    .unwrap();
    let pkg = Package::open(sp.bytes, &sp.file_name).unwrap();
    let opts = SpOptions {
        command_line: "hotfix sp install".into(),
        ..Default::default()
    };
    sp_install(&open(&fs), &pkg, &opts, &mut hotfix_engine::Silent).unwrap();
    fs
}

fn read_json(fs: &MemFs, rel: &str) -> Value {
    serde_json::from_slice(&fs.read(&root().join(rel)).unwrap()).unwrap()
}

fn write_json(fs: &MemFs, rel: &str, v: &Value) {
    let mut w = fs.create(&root().join(rel)).unwrap();
    w.write_all(&serde_json::to_vec(v).unwrap()).unwrap();
    w.sync().unwrap();
}

/// The problem of a refused state file, checking that it names the file.
fn refused(err: EngineError, rel: &str) -> String {
    let name = rel.rsplit('/').next().unwrap();
    match err {
        EngineError::State { path, problem } if path.ends_with(name) => problem,
        other => panic!("expected {name} to be refused, got {other}"),
    }
}

#[test]
fn the_lists_are_versioned() {
    let fs = installed();
    for rel in [SPUNINST, POINT] {
        assert_eq!(read_json(&fs, rel)["version"], json!(1), "{rel}");
    }
    assert_eq!(read_json(&fs, PACKS)["version"], json!(1));
    assert_eq!(packs(&fs).unwrap().len(), 1);
}

#[test]
fn an_old_bare_service_pack_list_is_still_read() {
    let fs = installed();
    let list = read_json(&fs, PACKS)["service_packs"].clone();
    write_json(&fs, PACKS, &list);
    let listed = packs(&fs).unwrap();
    assert_eq!(listed[0].kb, "KB835935");
}

#[test]
fn an_edited_spuninst_list_is_refused_and_changes_nothing() {
    let edits: [Edit; 6] = [
        ("backup outside its folder", |r| {
            r["files"][0][1] = json!("WINDOWS/system32/ntoskrnl.exe")
        }),
        ("hotfix state", |r| {
            r["files"][0][0] = json!("WINDOWS/$hotfix$/journal")
        }),
        ("a hive as a file", |r| {
            r["files"][0][0] = json!("WINDOWS/system32/config/SAM")
        }),
        ("a file as a hive", |r| {
            r["hives"][0][0] = json!("WINDOWS/system32/ntoskrnl.exe")
        }),
        ("a level no SP brings", |r| r["to_sp"] = json!(9)),
        ("not a KB", |r| r["kb"] = json!("../../x")),
    ];
    for (what, edit) in edits {
        let fs = installed();
        let mut rec = read_json(&fs, SPUNINST);
        edit(&mut rec);
        write_json(&fs, SPUNINST, &rec);
        let before = snapshot(&fs, &root()).unwrap();
        let err = sp_uninstall(&open(&fs), &mut hotfix_engine::Silent).unwrap_err();
        let problem = refused(err, SPUNINST);
        assert!(problem.contains("edited"), "{what}: {problem}");
        assert_eq!(
            before,
            snapshot(&fs, &root()).unwrap(),
            "{what}: changed the image"
        );
    }
    // The unedited list removes the SP.
    let fs = installed();
    sp_uninstall(&open(&fs), &mut hotfix_engine::Silent).unwrap();
}

#[test]
fn an_edited_restore_point_or_service_pack_list_is_refused() {
    let points: [Edit; 3] = [
        ("another number", |p| p["number"] = json!(7)),
        ("a snapshot outside its folder", |p| {
            p["hives"][0][1] = json!("WINDOWS/system32/ntoskrnl.exe")
        }),
        ("a file in hotfix state", |p| {
            p["files"] = json!([[
                "WINDOWS/$hotfix$/lock",
                "WINDOWS/$NtServicePackUninstall$/x"
            ]])
        }),
    ];
    for (what, edit) in points {
        let fs = installed();
        let mut p = read_json(&fs, POINT);
        edit(&mut p);
        write_json(&fs, POINT, &p);
        let err = list_restore_points(&open(&fs)).unwrap_err();
        assert!(refused(err, POINT).contains("edited"), "{what}");
    }
    let fs = installed();
    let mut list = read_json(&fs, PACKS);
    list["service_packs"][0]["superseded"] = json!(["rm -rf"]);
    write_json(&fs, PACKS, &list);
    let err = packs(&fs).unwrap_err();
    assert!(refused(err, PACKS).contains("not a KB number"));
}

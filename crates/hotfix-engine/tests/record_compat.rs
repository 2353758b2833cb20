//! Install records are versioned and keep what they do not know: a record a
//! newer hotfix wrote (a higher `version`, fields at the top and inside a
//! file entry) survives a rewrite by this one; a record whose KB makes no
//! file name is refused, not written somewhere else.

use hotfix_engine::{EngineError, InstallOptions, Session, View, Wait, load_records, save_record};
use hotfix_fs::{Fs, MemFs};
use hotfix_testkit::fixture::{FROZEN_TIME, OVERLAPPING, mem_image, open_packages, root};
use serde_json::{Value, json};

/// An image with the first overlapping package installed, and its record.
fn installed() -> (MemFs, std::path::PathBuf) {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let fs = mem_image(&OVERLAPPING).unwrap();
    let pkgs = open_packages(&OVERLAPPING[..1]).unwrap();
    let s = Session::open(&fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent).unwrap();
    hotfix_engine::install(
        &s,
        &pkgs,
        &InstallOptions::default(),
        &mut hotfix_engine::Silent,
    )
    .unwrap();
    let record = s.image.host(&s.paths.record(OVERLAPPING[0]).unwrap());
    (fs, record)
}

fn read_json(fs: &MemFs, path: &std::path::Path) -> Value {
    serde_json::from_slice(&fs.read(path).unwrap()).unwrap()
}

fn write_json(fs: &MemFs, path: &std::path::Path, v: &Value) {
    hotfix_fs::write_atomic(fs, path, &serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// Loads every record, changes the title of the first and saves it back.
fn rewrite(fs: &MemFs) -> Result<(), EngineError> {
    let s = Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent)?;
    let mut view = View::new(fs, &s.image);
    let mut recs = load_records(&view, &s.paths)?;
    recs[0].title = "rewritten".into();
    save_record(&mut view, &s.paths, &recs[0])?;
    view.commit("rewrite", "test")?;
    Ok(())
}

#[test]
fn a_newer_record_survives_a_rewrite_with_what_it_added() {
    let (fs, path) = installed();
    let mut rec = read_json(&fs, &path);
    assert_eq!(rec["version"], json!(1), "records carry their version");
    rec["version"] = json!(7);
    rec["from_a_newer_hotfix"] = json!({ "nested": [1, 2, 3] });
    rec["files"][0]["per_file_field"] = json!("kept");
    write_json(&fs, &path, &rec);

    rewrite(&fs).unwrap();

    let after = read_json(&fs, &path);
    assert_eq!(after["title"], json!("rewritten"), "our change is written");
    assert_eq!(after["version"], json!(1), "the writer's version");
    assert_eq!(after["from_a_newer_hotfix"], json!({ "nested": [1, 2, 3] }));
    assert_eq!(after["files"][0]["per_file_field"], json!("kept"));
    assert_eq!(after["files"][0]["target"], rec["files"][0]["target"]);
}

#[test]
fn a_record_whose_kb_makes_no_file_name_is_refused() {
    let (fs, path) = installed();
    let mut rec = read_json(&fs, &path);
    rec["kb"] = json!("../../system32/kernel32.dll");
    write_json(&fs, &path, &rec);
    let err = rewrite(&fs).unwrap_err();
    assert!(matches!(err, EngineError::State { .. }), "{err}");
    assert!(err.to_string().contains("kernel32"), "{err}");
}

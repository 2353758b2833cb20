//! Bad input is reported with its place, never a panic.

use hotfix_dataset::{DataError, DataSet};

fn entry(files: &str) -> String {
    format!(
        r#"{{"updates":[{{"kb":"KB1","bulletin":null,"title":"t","product":"Windows XP","packages_x86":[],"files":[{{"name":"a.dll","version":"5.1.2600.1","size":1,"date":null,"time":null,"sp_requirement":null,"branch":"SP2GDR","folder":"SP2GDR"}},{files}]}}]}}"#
    )
}

fn row(name: &str, version: &str, branch: &str, folder: &str, sp: &str) -> String {
    format!(
        r#"{{"name":{name},"version":{version},"size":2,"date":null,"time":null,"sp_requirement":{sp},"branch":{branch},"folder":{folder}}}"#
    )
}

fn row_error(json: &str) -> (usize, String) {
    match DataSet::parse(json) {
        Err(DataError::Row {
            row, message, kb, ..
        }) => {
            assert_eq!(kb, "KB1");
            (row, message)
        }
        other => panic!("expected a row error, got {other:?}"),
    }
}

#[test]
fn rows_that_would_escape_or_lie_are_rejected() {
    // (name, version, branch, folder, sp_requirement) as JSON, and a word the
    // message must contain; N is JSON null.
    const N: &str = "null";
    for (name, version, branch, folder, sp, want) in [
        (r#""..""#, N, N, N, N, "file name"),
        (r#""a\\b.dll""#, N, N, N, N, "file name"),
        (r#""b.dll""#, N, N, r#""SP2QFE\\..\\x""#, N, "subfolder"),
        (r#""b.dll""#, r#""5.1.x.1""#, N, N, N, "file version"),
        (r#""b.dll""#, N, r#""SP9XYZ""#, N, N, "branch"),
        (r#""b.dll""#, N, r#""SP2GDR""#, N, r#""SP1""#, "contradicts"),
    ] {
        let (r, m) = row_error(&entry(&row(name, version, branch, folder, sp)));
        assert_eq!(r, 1, "{m}");
        assert!(m.contains(want), "{m}");
    }
}

#[test]
fn odd_but_valid_rows_are_accepted() {
    let d = DataSet::parse(&entry(&row(
        r#""b.dat""#,
        r#""Not applicable""#,
        "null",
        r#""x8602-Mar-2004 21:18 6.00 junk""#,
        "null",
    )))
    .unwrap();
    let f = &d.updates[0].files[1];
    assert_eq!(f.version, None);
    assert_eq!(f.package_path(), "b.dat");
    assert!(f.applies_to(hotfix_model::SpLevel(3)));
}

#[test]
fn entry_and_json_errors_say_where() {
    let bad_kb = entry(&row(r#""b.dll""#, "null", "null", "null", "null")).replace("KB1", "XX1");
    assert!(matches!(
        DataSet::parse(&bad_kb),
        Err(DataError::Entry { index: 0, .. })
    ));
    let bad_product =
        entry(&row(r#""b.dll""#, "null", "null", "null", "null")).replace("Windows XP", "Vista");
    let e = DataSet::parse(&bad_product).unwrap_err();
    assert!(e.to_string().contains("update #0 (KB1)"), "{e}");
    let e = DataSet::parse("{\"updates\":\n[1]}").unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    for junk in ["", "[", "{\"updates\":[{}]}", "\u{0}"] {
        assert!(DataSet::parse(junk).is_err());
    }
}

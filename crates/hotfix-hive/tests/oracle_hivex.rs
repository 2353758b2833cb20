//! hivex (libguestfs) as an independent oracle: it reads what we write, and
//! we read what it writes.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use hotfix_hive::{Hive, Key, Value};
use hotfix_testutil::have_tool;
use serde_json::Value as Json;

/// Walks every node and value with python3-hivex; prints
/// `[{"path": [...], "values": [[name, type, hexdata], ...]}, ...]`.
const WALK: &str = r#"
import hivex, json, sys
h = hivex.Hivex(sys.argv[1])
out = []
def walk(n, path):
    vals = []
    for v in h.node_values(n):
        t, data = h.value_value(v)
        vals.append([h.value_key(v), t, data.hex()])
    out.append({"path": path, "values": vals})
    for c in h.node_children(n):
        walk(c, path + [h.node_name(c)])
walk(h.root(), [])
json.dump(out, sys.stdout)
"#;

fn python(script: &str, args: &[&Path]) -> Vec<u8> {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg("-c").arg(script).args(args);
    run(&mut cmd, "").stdout
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Our view of a hive in the same shape as [`WALK`]'s output.
fn our_walk(key: &Key, path: Vec<String>, out: &mut Vec<Json>) {
    let values: Vec<Json> = key
        .values()
        .map(|(name, v)| serde_json::json!([name, v.kind(), hex(&v.to_raw())]))
        .collect();
    out.push(serde_json::json!({ "path": path, "values": values }));
    for sub in key.subkeys() {
        let mut p = path.clone();
        p.push(sub.name().to_string());
        our_walk(sub, p, out);
    }
}

#[test]
fn hivexsh_reads_what_we_write() {
    if !have_tool("hivexsh") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("SOFTWARE");
    std::fs::write(&file, software_like_hive().to_bytes().unwrap()).unwrap();
    let script = "cd \\Microsoft\\Windows NT\\CurrentVersion\nlsval\n\
                  cd \\Microsoft\\Updates\\Windows XP\\SP3\nls\n";
    let out = run(Command::new("hivexsh").arg(&file), script);
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        r#""ProductName"="Microsoft Windows XP""#,
        r#""CSDVersion"="Service Pack 3""#,
        r#""CurrentBuildNumber"="2600""#,
        r#""InstallDate"=dword:4a5b6c7d"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line} in:\n{text}"
        );
    }
    let kb_lines = text.lines().filter(|l| l.starts_with("KB")).count();
    assert_eq!(kb_lines, MANY);
}

#[test]
fn python_hivex_sees_every_key_and_value_we_wrote() {
    if !have_python_hivex() {
        return;
    }
    let hive = software_like_hive();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("SOFTWARE");
    std::fs::write(&file, hive.to_bytes().unwrap()).unwrap();
    let theirs: Json = serde_json::from_slice(&python(WALK, &[&file])).unwrap();
    let mut ours = Vec::new();
    our_walk(hive.root(), Vec::new(), &mut ours);
    let theirs = theirs.as_array().unwrap();
    assert_eq!(theirs.len(), ours.len());
    for (t, o) in theirs.iter().zip(&ours) {
        assert_eq!(t["path"], o["path"]);
        let (tv, ov) = (
            t["values"].as_array().unwrap(),
            o["values"].as_array().unwrap(),
        );
        assert_eq!(tv.len(), ov.len(), "value count of {}", o["path"]);
        for (a, b) in tv.iter().zip(ov) {
            // Short messages: the data may be 200 KB of hex.
            let brief = |v: &Json| {
                format!(
                    "{} type {} {} hex digits",
                    v[0],
                    v[1],
                    v[2].as_str().map_or(0, str::len)
                )
            };
            assert!(
                a == b,
                "{}: hivex {} vs ours {}",
                o["path"],
                brief(a),
                brief(b)
            );
        }
    }
    // Spot-check the raw MULTI_SZ bytes with empty strings.
    let types = theirs
        .iter()
        .find(|k| k["path"] == serde_json::json!(["Test", "Types"]))
        .unwrap();
    let pfro = types["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v[0] == "PendingFileRenameOperations")
        .unwrap();
    assert_eq!(pfro[1], 7);
    assert_eq!(pfro[2], hex(&pending_renames().to_raw()));
    // "a.new", NUL, the empty string's lone NUL, then the next "\??\"...
    let data = pfro[2].as_str().unwrap();
    assert!(data.contains(concat!("6e00650077000000", "0000", "5c00")));
    // ... and "\b", NUL, then the list's terminating NUL.
    assert!(data.ends_with(concat!("5c006200", "0000", "0000")));
}

/// Adds keys and values with python3-hivex, then commits.
const HIVEX_EDIT: &str = r#"
import hivex, struct, sys
h = hivex.Hivex(sys.argv[1], write=True)
def key(path):
    n = h.root()
    for part in path.split('\\'):
        n = h.node_get_child(n, part) or h.node_add_child(n, part)
    return n
sz = lambda s: s.encode('utf-16-le') + b'\0\0'
msz = lambda *xs: b''.join(sz(x) for x in xs) + b'\0\0'
k = key(r'Microsoft\Updates\Windows XP\SP3\KB123456')
h.node_set_values(k, [
  {'key': 'Description', 't': 1, 'value': sz('Security Update for Windows XP (KB123456)')},
  {'key': 'Installed', 't': 4, 'value': struct.pack('<I', 1)},
  {'key': 'Files', 't': 7, 'value': msz(r'\??\C:\a.new', '', r'\??\C:\b.new', r'!\??\C:\b')},
  {'key': 'Blob', 't': 3, 'value': bytes(range(8))},
  {'key': 'Medium', 't': 3, 'value': b'0123456789ABCDEF' * 600},
  {'key': 'Big', 't': 11, 'value': struct.pack('<Q', 2**40)},
  {'key': '', 't': 1, 'value': sz('default value')}])
u = key('Ünïcödé\\日本語')
h.node_set_value(u, {'key': 'Wert', 't': 2, 'value': sz('%SystemRoot%\\größe')})
h.commit(None)
"#;

fn check_hivex_edit(hive: &Hive) {
    let kb = r"Microsoft\Updates\Windows XP\SP3\KB123456";
    let pfro = match pending_renames() {
        Value::MultiSz(list) => list,
        _ => unreachable!(),
    };
    assert_eq!(
        hive.get(kb, "Description").and_then(Value::as_str),
        Some("Security Update for Windows XP (KB123456)")
    );
    assert_eq!(hive.get(kb, "Installed"), Some(&Value::Dword(1)));
    assert_eq!(
        hive.get(kb, "Files").and_then(Value::as_multi_sz),
        Some(&pfro[..])
    );
    assert_eq!(hive.get(kb, "Blob"), Some(&Value::Binary((0..8).collect())));
    assert_eq!(
        hive.get(kb, "Medium"),
        Some(&Value::Binary(b"0123456789ABCDEF".repeat(600)))
    );
    assert_eq!(hive.get(kb, "Big"), Some(&Value::Qword(1 << 40)));
    assert_eq!(
        hive.get(kb, "").and_then(Value::as_str),
        Some("default value")
    );
    assert_eq!(
        hive.get("ünïcödé\\日本語", "wert"),
        Some(&Value::ExpandSz("%SystemRoot%\\größe".into()))
    );
}

#[test]
fn we_read_what_python_hivex_writes_into_minimal() {
    if !have_python_hivex() {
        return;
    }
    // hivex cannot create a hive: start from its `minimal`.
    let base = sample("minimal");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hive");
    std::fs::write(&file, base).unwrap();
    python(HIVEX_EDIT, &[&file]);
    let hive = Hive::parse(&std::fs::read(&file).unwrap()).unwrap();
    check_hivex_edit(&hive);
    // And our rewrite keeps it all.
    check_hivex_edit(&Hive::parse(&hive.to_bytes().unwrap()).unwrap());
}

#[test]
fn we_read_what_python_hivex_writes_into_our_hive() {
    if !have_python_hivex() {
        return;
    }
    // hivex edits our file: inserting under the 2,000-key parent goes
    // through our `ri` of `lh` lists.
    let original = software_like_hive();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("SOFTWARE");
    std::fs::write(&file, original.to_bytes().unwrap()).unwrap();
    python(HIVEX_EDIT, &[&file]);
    let edited = Hive::parse(&std::fs::read(&file).unwrap()).unwrap();
    check_hivex_edit(&edited);
    assert_eq!(edited.key(MANY_PARENT).unwrap().subkey_count(), MANY + 1);
    // Everything we wrote is still there, byte for byte.
    let mut expected = Vec::new();
    our_walk(original.root(), Vec::new(), &mut expected);
    let mut got = Vec::new();
    our_walk(edited.root(), Vec::new(), &mut got);
    for key in &expected {
        assert!(got.contains(key), "lost {key}");
    }
}

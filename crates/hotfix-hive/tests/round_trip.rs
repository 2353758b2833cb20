//! Write → parse round trips, and reading the hivex sample hives.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use common::*;
use hotfix_hive::{Hive, HiveError, Value};

#[test]
fn software_like_hive_round_trips() {
    let hive = software_like_hive();
    let bytes = hive.to_bytes().unwrap();
    let back = Hive::parse(&bytes).unwrap();
    assert_eq!(back, hive);
    assert_eq!(
        back.get(r"Test\Types", "PendingFileRenameOperations"),
        Some(&pending_renames())
    );
    assert_eq!(back.key(MANY_PARENT).unwrap().subkey_count(), MANY);
    assert_eq!(back.file_name(), r"emRoot\System32\Config\SOFTWARE");
    // Writing the parsed hive again gives the same bytes.
    assert_eq!(back.to_bytes().unwrap(), bytes);
}

#[test]
fn written_layout_follows_the_format() {
    let bytes = software_like_hive().to_bytes().unwrap();
    assert_eq!(&bytes[..4], b"regf");
    assert_eq!(le32(&bytes, 4), le32(&bytes, 8));
    assert_eq!((le32(&bytes, 20), le32(&bytes, 24)), (1, 5));
    assert_eq!(le32(&bytes, 36), 0x20, "root key in the first cell");
    assert_eq!(bytes.len(), 4096 + le32(&bytes, 40) as usize);
    assert!(bytes.len().is_multiple_of(4096));
    // Every hbin is well formed and its cells tile it exactly.
    let mut pos = 4096;
    let mut bins = 0;
    while pos < bytes.len() {
        assert_eq!(&bytes[pos..pos + 4], b"hbin");
        let size = le32(&bytes, pos + 8) as usize;
        assert!(size.is_multiple_of(4096));
        let mut cell = pos + 32;
        while cell < pos + size {
            let len = (le32(&bytes, cell) as i32).unsigned_abs() as usize;
            assert!(len >= 8 && len.is_multiple_of(8), "cell at {cell:#x}");
            cell += len;
        }
        assert_eq!(cell, pos + size);
        pos += size;
        bins += 1;
    }
    assert!(bins > 10);
    // The root points at a shared sk.
    let root = cell_data(0x20);
    let sk = le32(&bytes, root + 44);
    assert_eq!(&bytes[cell_data(sk)..cell_data(sk) + 2], b"sk");
}

#[test]
fn empty_hive_round_trips() {
    let name = "CMI-CreateHive{2A7FB991-7BBE-4F9D-B91E-7CB51D4737F5}";
    let hive = Hive::new(name);
    let back = Hive::parse(&hive.to_bytes().unwrap()).unwrap();
    assert_eq!(back, hive);
    assert_eq!(back.root().name(), name);
}

#[test]
fn too_deep_trees_are_unwritable() {
    let mut hive = Hive::new("root");
    let path = vec!["k"; 513].join("\\");
    hive.create_key(&path).unwrap();
    assert!(matches!(hive.to_bytes(), Err(HiveError::Unwritable(_))));
    hive.delete_key(&vec!["k"; 512].join("\\")).unwrap();
    let back = Hive::parse(&hive.to_bytes().unwrap()).unwrap();
    assert_eq!(back, hive);
}

#[test]
fn reads_hivex_samples() {
    let hive = Hive::parse(&sample("minimal")).unwrap();
    assert_eq!(hive.root().name(), "$$$PROTO.HIV");
    assert_eq!(hive.root().subkey_count(), 0);
    assert_eq!(hive.root().value_count(), 0);
    assert_eq!(hive.file_name(), r"\??\UNC\trick\tmp\DEFAULT");

    // Written on Windows XP: compressed and UTF-16 names, NULs in names.
    let special = Hive::parse(&sample("special")).unwrap();
    let names: Vec<&str> = special.root().subkeys().map(|k| k.name()).collect();
    assert_eq!(names, ["abcd_äöüß", "weird™", "zero\0key"]);
    assert_eq!(
        special.get("abcd_äöüß", "abcd_äöüß"),
        Some(&Value::Dword(0))
    );
    assert_eq!(
        special.get("weird™", "symbols $£₤₧€"),
        Some(&Value::Dword(0))
    );
    assert_eq!(
        special.get("zero\0key", "zero\0val"),
        Some(&Value::Dword(0))
    );

    let rlen = Hive::parse(&sample("rlenvalue_test_hive")).unwrap();
    let parent = rlen.key("ModerateValueParent").unwrap();
    let pattern = b"0123456789ABCDEF".repeat(3);
    for n in [3, 16, 30, 31, 32, 33] {
        let value = parent.value(&format!("{n}Bytes")).unwrap();
        assert_eq!(value, &Value::Binary(pattern[..n].to_vec()), "{n}Bytes");
    }

    // Our rewrite of each sample reads back the same.
    for hive in [hive, special, rlen] {
        assert_eq!(Hive::parse(&hive.to_bytes().unwrap()).unwrap(), hive);
    }
}

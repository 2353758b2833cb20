//! Hostile input: every damaged file is refused with an error, never a
//! panic or a hang.

mod common;

use common::*;
use hotfix_hive::{Hive, HiveError, Value};
use proptest::prelude::*;

/// root → A (values, subkey B), root → D. Returns the bytes and the
/// offsets of A and B.
fn small_hive() -> (Vec<u8>, u32, u32) {
    let mut hive = Hive::new("$$$PROTO.HIV");
    hive.set("A", "inline", Value::Dword(7)).unwrap();
    hive.set(
        "A",
        "cell",
        Value::Sz("some text that needs a data cell".into()),
    )
    .unwrap();
    hive.set("A", "multi", pending_renames()).unwrap();
    hive.set(r"A\B", "", Value::Binary(vec![1; 64])).unwrap();
    hive.create_key("D").unwrap();
    let bytes = hive.to_bytes().unwrap();
    let a = child_offset(&bytes, 0x20, 0);
    let b = child_offset(&bytes, a, 0);
    (bytes, a, b)
}

fn corrupt(bytes: &[u8]) -> String {
    match Hive::parse(bytes) {
        Err(HiveError::Corrupt { offset, problem }) => format!("{offset:#x}: {problem}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn the_small_hive_is_valid() {
    let (bytes, _, _) = small_hive();
    let hive = Hive::parse(&bytes).unwrap();
    assert_eq!(hive.get("a\\b", ""), Some(&Value::Binary(vec![1; 64])));
}

#[test]
fn truncation_at_every_64_bytes_is_refused() {
    let bytes = software_like_hive().to_bytes().unwrap();
    for len in (0..bytes.len()).step_by(64) {
        assert!(Hive::parse(&bytes[..len]).is_err(), "cut at {len}");
    }
    // Also with the header claiming only the bins that are left.
    for bins in (1..(bytes.len() - 4096) / 4096).step_by(7) {
        let mut cut = bytes[..4096 + bins * 4096].to_vec();
        set32(&mut cut, 40, (bins * 4096) as u32);
        fix_checksum(&mut cut);
        corrupt(&cut);
    }
}

#[test]
fn offsets_outside_the_hive_are_refused() {
    let (bytes, a, _) = small_hive();
    let mut root_out = bytes.clone();
    set32(&mut root_out, 36, 0x7FFF_FFF0);
    fix_checksum(&mut root_out);
    assert!(corrupt(&root_out).contains("not the start of an allocated cell"));

    let mut values_out = bytes.clone();
    set32(&mut values_out, cell_data(a) + 40, 0xFFFF_0000);
    assert!(corrupt(&values_out).contains("value list offset 0xffff0000"));

    // Pointing into the middle of a cell is as bad as pointing outside.
    let mut mid_cell = bytes;
    set32(&mut mid_cell, cell_data(a) + 28, a + 8);
    assert!(corrupt(&mid_cell).contains("subkey list offset"));
}

#[test]
fn a_subkey_list_holding_its_own_parent_is_refused() {
    let (mut bytes, a, _) = small_hive();
    // A's only subkey becomes the root: root → A → root → ...
    let list = le32(&bytes, cell_data(a) + 28);
    set32(&mut bytes, cell_data(list) + 4, 0x20);
    assert!(corrupt(&bytes).contains("reached twice"));

    // A key that lists itself.
    let (mut bytes, a, _) = small_hive();
    let list = le32(&bytes, cell_data(a) + 28);
    set32(&mut bytes, cell_data(list) + 4, a);
    assert!(corrupt(&bytes).contains("reached twice"));
}

#[test]
fn a_name_longer_than_its_cell_is_refused() {
    let (mut bytes, a, _) = small_hive();
    bytes[cell_data(a) + 72..cell_data(a) + 74].copy_from_slice(&0xFFFFu16.to_le_bytes());
    assert!(corrupt(&bytes).contains("overruns"));
}

#[test]
fn counts_beyond_their_cells_are_refused() {
    let (bytes, a, _) = small_hive();
    let mut values = bytes.clone();
    set32(&mut values, cell_data(a) + 36, u32::MAX);
    assert!(corrupt(&values).contains("does not fit"));

    let mut subkeys = bytes.clone();
    set32(&mut subkeys, cell_data(a) + 20, 2);
    assert!(corrupt(&subkeys).contains("subkeys but its list holds 1"));

    let mut list_count = bytes;
    let list = le32(&list_count, cell_data(a) + 28);
    list_count[cell_data(list) + 2..cell_data(list) + 4].copy_from_slice(&500u16.to_le_bytes());
    assert!(corrupt(&list_count).contains("does not fit"));
}

#[test]
fn zero_sized_cells_do_not_hang() {
    let (mut bytes, _, _) = small_hive();
    set32(&mut bytes, 4096 + 32, 0);
    assert!(corrupt(&bytes).contains("cell size"));
}

#[test]
fn bad_checksum_and_dirty_hives_are_refused() {
    let (bytes, _, _) = small_hive();
    let mut bad_sum = bytes.clone();
    bad_sum[508] ^= 0x55;
    assert!(matches!(
        Hive::parse(&bad_sum),
        Err(HiveError::BadChecksum { .. })
    ));

    let mut dirty = bytes;
    let secondary = le32(&dirty, 4) + 1;
    set32(&mut dirty, 8, secondary);
    fix_checksum(&mut dirty);
    assert_eq!(
        Hive::parse(&dirty),
        Err(HiveError::Dirty {
            primary: 1,
            secondary: 2
        })
    );
    let hive = Hive::parse_allow_dirty(&dirty).unwrap();
    assert_eq!(hive.sequence(), 2);
    assert!(hive.key("A\\B").is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_mutations_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..16),
        fix_sum in any::<bool>(),
    ) {
        let (mut bytes, _, _) = small_hive();
        let len = bytes.len();
        for (at, byte) in edits {
            bytes[at % len] = byte;
        }
        if fix_sum {
            fix_checksum(&mut bytes);
        }
        if let Ok(hive) = Hive::parse(&bytes) {
            // Whatever was accepted can be written and read back.
            let again = Hive::parse(&hive.to_bytes().unwrap()).unwrap();
            prop_assert_eq!(again, hive);
        }
    }

    #[test]
    fn mutations_of_structure_fields_never_panic(
        word in 0usize..1024,
        value in prop_oneof![Just(0u32), Just(u32::MAX), Just(0x20), 0u32..0x3000, any::<u32>()],
    ) {
        let (mut bytes, _, _) = small_hive();
        let len = bytes.len();
        let at = 4096 + (word * 4) % (len - 4096 - 4);
        set32(&mut bytes, at, value);
        let _ = Hive::parse(&bytes);
    }
}

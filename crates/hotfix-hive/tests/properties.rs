//! Property tests: value encodings are fixed points and random trees
//! survive a write → parse round trip.

use hotfix_hive::{Hive, Key, Value};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // NUL-free strings over ASCII, Latin-1, BMP and astral characters.
    prop::collection::vec(
        prop_oneof![
            Just('a'),
            Just('Z'),
            Just('\\'),
            Just('ü'),
            Just('™'),
            Just('語'),
            Just('😀'),
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        text().prop_map(Value::Sz),
        text().prop_map(Value::ExpandSz),
        text().prop_map(Value::Link),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Binary),
        any::<u32>().prop_map(Value::Dword),
        any::<u32>().prop_map(Value::DwordBigEndian),
        any::<u64>().prop_map(Value::Qword),
        prop::collection::vec(text(), 0..5).prop_map(Value::MultiSz),
        (12u32..100, prop::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(kind, data)| Value::Other { kind, data }),
    ]
}

fn key_name() -> impl Strategy<Value = String> {
    text().prop_filter("key names are not empty and have no backslash", |s| {
        !s.is_empty() && !s.contains('\\')
    })
}

fn fill(key: &mut Key, values: &[(String, Value)], children: &[(String, u64)]) {
    for (name, value) in values {
        key.set_value(name, value.clone());
    }
    for (name, time) in children {
        key.create_subkey(name).unwrap().set_last_written(*time);
    }
}

proptest! {
    #[test]
    fn from_raw_output_is_a_fixed_point(kind in 0u32..13, data in prop::collection::vec(any::<u8>(), 0..40)) {
        let value = Value::from_raw(kind, &data);
        prop_assert_eq!(value.kind(), kind);
        prop_assert_eq!(Value::from_raw(kind, &value.to_raw()), value);
    }

    #[test]
    fn typed_values_round_trip(value in value()) {
        // Links included: an empty link target has no bytes at all.
        prop_assert_eq!(Value::from_raw(value.kind(), &value.to_raw()), value);
    }

    #[test]
    fn random_trees_round_trip(
        root_values in prop::collection::vec((text(), value()), 0..6),
        children in prop::collection::vec((key_name(), any::<u64>()), 0..8),
        grandchild_values in prop::collection::vec((text(), value()), 0..6),
    ) {
        let mut hive = Hive::new("root");
        fill(hive.root_mut(), &root_values, &children);
        if let Some((first, _)) = children.first() {
            let child = hive.key_mut(first).unwrap();
            let deep = child.create_subkey("deep").unwrap();
            fill(deep, &grandchild_values, &[]);
        }
        let back = Hive::parse(&hive.to_bytes().unwrap()).unwrap();
        prop_assert_eq!(back, hive);
    }
}

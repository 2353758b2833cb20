//! Issue 12 §4: a hive costs memory in proportion to its bytes, never to
//! the sizes and counts it declares. Every aligned 32-bit field of a
//! written hive (hbin sizes, cell sizes, offsets, counts, value lengths,
//! big-data segment counts) is set in turn to a huge value, and parsing
//! the result must stay within a fixed multiple of the file. The
//! allocation cap is process-wide, so this file holds one test.

use std::alloc::System;

use cap::Cap;
use hotfix_hive::{Hive, Value};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// A hive with subkeys, every common value type and a big-data value.
fn sample() -> Vec<u8> {
    let mut hive = Hive::new("ROOT");
    for i in 0..20 {
        let key = format!("Software\\Key{i}");
        hive.set(&key, "sz", Value::Sz(format!("value {i}")))
            .unwrap();
        hive.set(&key, "dword", Value::Dword(i)).unwrap();
        hive.set(
            &key,
            "multi",
            Value::MultiSz(vec!["a".into(), String::new(), "b".into()]),
        )
        .unwrap();
    }
    hive.set("Big", "data", Value::Binary(vec![0x5a; 20_000]))
        .unwrap();
    hive.to_bytes().unwrap()
}

#[test]
fn declared_sizes_never_drive_allocation() {
    let bytes = sample();
    // The parsed tree is a few times the file at most; anything beyond that
    // can only come from trusting a declared size.
    let bound = 8 * bytes.len() + (1 << 20);
    let mut parsed = 0usize;
    for huge in [0x7fff_fff0u32, 0x0100_0000] {
        for at in (0..bytes.len() - 3).step_by(4) {
            let mut hostile = bytes.clone();
            hostile[at..at + 4].copy_from_slice(&huge.to_le_bytes());
            ALLOCATOR.set_limit(ALLOCATOR.allocated() + bound).unwrap();
            let result = Hive::parse_allow_dirty(&hostile);
            ALLOCATOR.set_limit(usize::MAX).unwrap();
            parsed += usize::from(result.is_ok());
        }
    }
    println!(
        "{} bytes, {} variants, {parsed} still parsed, each within {bound} bytes",
        bytes.len(),
        2 * (bytes.len() / 4)
    );
}

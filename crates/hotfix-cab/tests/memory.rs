//! Issue 12 §4: memory is bounded by the data a cabinet really holds, not by
//! the sizes its headers declare. A 7.3 MB cabinet declares four 1 GiB
//! entries (MSZIP blocks of zeros, each decoding to 32 KiB): parsing it and
//! streaming from every entry must stay within a small multiple of the
//! cabinet itself, and an entry's declared size allocates nothing until
//! blocks are decoded. The allocation cap is process-wide, so this file
//! holds one test.

use std::alloc::System;

use cap::Cap;
use common::cf_header;
use hotfix_cab::{Cabinet, Limits};

mod common;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const BLOCK: usize = 0x8000;
const GIB: u32 = 1 << 30;
const ENTRIES: usize = 4;

/// One MSZIP block of 32 KiB of zeros.
fn zero_block() -> Vec<u8> {
    let mut block = b"CK".to_vec();
    block.extend(miniz_oxide::deflate::compress_to_vec(&[0; BLOCK], 6));
    block
}

/// Four folders of one 1 GiB entry each, every block the same zero block.
fn four_gib_cabinet() -> Vec<u8> {
    let block = zero_block();
    let blocks_per_folder = (GIB as usize) / BLOCK;
    let names: Vec<String> = (0..ENTRIES).map(|i| format!("gib{i}.bin")).collect();
    let files_offset = 36 + 8 * ENTRIES;
    let files_len: usize = names.iter().map(|n| 16 + n.len() + 1).sum();
    let data_offset = files_offset + files_len;
    let folder_len = blocks_per_folder * (8 + block.len());
    let total = data_offset + ENTRIES * folder_len;
    let mut out = cf_header(total, files_offset, ENTRIES, ENTRIES);
    for i in 0..ENTRIES {
        out.extend_from_slice(&((data_offset + i * folder_len) as u32).to_le_bytes());
        out.extend_from_slice(&(blocks_per_folder as u16).to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // MSZIP
    }
    for (i, name) in names.iter().enumerate() {
        out.extend_from_slice(&GIB.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(i as u16).to_le_bytes());
        out.extend_from_slice(&[0x21, 0x36, 0, 0, 0x20, 0]); // date, time, attributes
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    for _ in 0..ENTRIES * blocks_per_folder {
        out.extend_from_slice(&0u32.to_le_bytes()); // no checksum
        out.extend_from_slice(&(block.len() as u16).to_le_bytes());
        out.extend_from_slice(&(BLOCK as u16).to_le_bytes());
        out.extend_from_slice(&block);
    }
    assert_eq!(out.len(), total);
    out
}

/// Runs `f` with at most `bound` bytes allocated beyond what is live now;
/// going over aborts the process ("memory allocation of N bytes failed").
fn within<T>(bound: usize, f: impl FnOnce() -> T) -> T {
    ALLOCATOR
        .set_limit(ALLOCATOR.allocated() + bound)
        .expect("limit above what is allocated");
    let out = f();
    ALLOCATOR.set_limit(usize::MAX).expect("lift the limit");
    out
}

#[test]
fn four_declared_gib_entries_cost_what_the_cabinet_holds() {
    let bytes = four_gib_cabinet();
    let input = bytes.len();
    println!("cabinet: {input} bytes declaring {ENTRIES} x 1 GiB");
    // Parsing: the header tables and one record per data block.
    let cabinet = within(2 * input, || Cabinet::parse(bytes, &Limits::default()))
        .expect("a well-formed cabinet");
    assert_eq!(cabinet.entries().len(), ENTRIES);
    assert!(cabinet.entries().iter().all(|e| e.size == u64::from(GIB)));
    // Streaming: one block of output and the MSZIP history at a time,
    // whatever the entry's declared size.
    within(1 << 20, || {
        for index in 0..ENTRIES {
            let mut reader = cabinet.entry_reader(index).expect("entry");
            let mut seen = 0u64;
            for _ in 0..256 {
                let chunk = reader.next_chunk().expect("block").expect("more data");
                assert!(chunk.iter().all(|&b| b == 0));
                seen += chunk.len() as u64;
            }
            assert_eq!(seen, 256 * BLOCK as u64);
        }
    });
}

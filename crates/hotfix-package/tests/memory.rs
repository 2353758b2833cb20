//! Issue 12 §4: the manifest and update.inf are held whole, so their size
//! is bounded before anything is decoded. A cabinet of 64 KB whose
//! `update.ver` is 64 MiB of zeros (a size any header may declare and a
//! few kilobytes of MSZIP may hold) is refused within 32 MiB of
//! allocation; it used to be decoded whole. The allocation cap is
//! process-wide, so this file holds one test.

use std::alloc::System;

use cap::Cap;
use hotfix_cab::{CabInput, Compression, write_cabinet};
use hotfix_package::{Package, PackageError};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn a_huge_manifest_is_refused_before_it_is_decoded() {
    let zeros = vec![0u8; 64 << 20];
    let cab = write_cabinet(
        &[CabInput {
            name: "update\\update.ver",
            data: &zeros,
        }],
        Compression::MsZip,
    )
    .unwrap();
    drop(zeros);
    println!("cabinet: {} bytes, update.ver 64 MiB", cab.len());
    let live = ALLOCATOR.allocated();
    ALLOCATOR.set_limit(live + (32 << 20)).unwrap();
    let opened = Package::open(cab, "bomb.cab");
    ALLOCATOR.set_limit(usize::MAX).unwrap();
    let err = opened.expect_err("refused");
    assert!(matches!(err, PackageError::Cab { .. }), "{err}");
    assert!(err.to_string().contains("update.ver"), "{err}");
    assert!(err.to_string().contains("limit"), "{err}");
}

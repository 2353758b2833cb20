//! Throughput of synthesising a large file (filler plus CheckSum) and of the
//! CheckSum alone. A service pack synthesises about 300 MB, so the target is
//! at least 500 MB/s. Run with `cargo bench -p hotfix-pe`.

use std::hint::black_box;
use std::time::Instant;

use hotfix_pe::{FileVersion, PeKind, PeSpec, build, checksum};

fn main() {
    const SIZE: u64 = 256 << 20;
    let mut spec = PeSpec::new(
        PeKind::Dll,
        "shell32.dll",
        FileVersion::new(6, 0, 2900, 6242),
        "6.00.2900.6242 (xpsp_sp3_gdr.120503-0413)",
    );
    spec.total_size = Some(SIZE);
    let mb = SIZE as f64 / 1e6;
    for round in 0..3 {
        let start = Instant::now();
        let file = build(black_box(&spec)).expect("build");
        let built = start.elapsed().as_secs_f64();
        let start = Instant::now();
        black_box(checksum(&file));
        let summed = start.elapsed().as_secs_f64();
        println!(
            "round {round}: build {:.0} MB/s, checksum alone {:.0} MB/s",
            mb / built,
            mb / summed
        );
    }
}

//! Cabinets read over a `ReadAt` source: entry readers hand out the same
//! bytes as `read`, in bounded chunks, at any base offset, in any order and
//! from several threads; a source that fails part-way gives an error naming
//! an offset; the prefix search agrees with the whole-input search.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{random_bytes, text_bytes};
use hotfix_cab::{
    CabError, CabInput, Cabinet, Compression, HEADER_LEN, Limits, Method, find_cabinet,
    find_cabinet_in_prefix, write_cabinet,
};
use hotfix_fs::ReadAt;

const MAX_CHUNK: usize = 32768;
const JUNK_LEN: usize = 1000;

/// Sample cabinets (libmspack's, then libgcab's when installed) that parse
/// and whose non-Quantum entries read; stored, MSZIP and LZX among them.
const SAMPLES: &[&str] = &[
    "libmspack-cabd/normal_2files_1folder.cab",
    "libmspack-cabd/normal_2files_2folders.cab",
    "libmspack-cabd/normal_255c_filename.cab",
    "libmspack-cabd/reserve_---.cab",
    "libmspack-cabd/reserve_--D.cab",
    "libmspack-cabd/reserve_-F-.cab",
    "libmspack-cabd/reserve_-FD.cab",
    "libmspack-cabd/reserve_H--.cab",
    "libmspack-cabd/reserve_H-D.cab",
    "libmspack-cabd/reserve_HF-.cab",
    "libmspack-cabd/reserve_HFD.cab",
    "libmspack-cabd/search_basic.cab",
    "libmspack-cabd/search_tricky1.cab",
    "libmspack-cabd/mszip_lzx_qtm.cab",
    "libmspack-other/large-files-cab.cab",
];
const LIBGCAB_DIR: &str = "/usr/libexec/installed-tests/libgcab-1.0";
const LIBGCAB_SAMPLES: &[&str] = &["test-none.cab", "test-mszip.cab", "test-signed.cab"];

fn sample_paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cab-samples");
    let mut paths: Vec<PathBuf> = SAMPLES.iter().map(|name| root.join(name)).collect();
    if Path::new(LIBGCAB_DIR).is_dir() {
        paths.extend(
            LIBGCAB_SAMPLES
                .iter()
                .map(|n| Path::new(LIBGCAB_DIR).join(n)),
        );
    }
    paths
}

/// The cabinet bytes of a sample, from its `MSCF` on.
fn sample_cabinet(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = find_cabinet(&bytes).unwrap_or_else(|| panic!("{}: no cabinet", path.display()));
    bytes[start..].to_vec()
}

/// Files of 0, 1, 32768, 32769 and about 200 KB, plus a compressible one.
fn built_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("empty.txt".into(), Vec::new()),
        ("one.bin".into(), vec![0xa5]),
        ("block.bin".into(), random_bytes(32768, 1)),
        ("block_plus_one.bin".into(), random_bytes(32769, 2)),
        ("SP2QFE\\big.dll".into(), random_bytes(200_000, 3)),
        ("text\\readme.txt".into(), text_bytes(70_000)),
    ]
}

fn built_cabinet(compression: Compression) -> Vec<u8> {
    let files = built_files();
    let inputs: Vec<CabInput> = files
        .iter()
        .map(|(name, data)| CabInput { name, data })
        .collect();
    write_cabinet(&inputs, compression).unwrap()
}

/// 1000 bytes before a cabinet, with no `MSCF` in them.
fn junk_then(cabinet: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = random_bytes(JUNK_LEN, 77)
        .into_iter()
        .map(|b| b & 0x3f)
        .collect();
    assert!(!out.windows(4).any(|w| w == b"MSCF"));
    out.extend_from_slice(cabinet);
    out
}

/// Entry `index` gathered from its reader, checking every chunk's size.
fn chunks_of(cab: &Cabinet, index: usize, label: &str) -> Result<Vec<u8>, CabError> {
    let mut reader = cab.entry_reader(index)?;
    let mut out = Vec::new();
    while let Some(chunk) = reader.next_chunk()? {
        assert!(
            !chunk.is_empty() && chunk.len() <= MAX_CHUNK,
            "{label}: entry {index} gave a chunk of {} bytes",
            chunk.len()
        );
        out.extend_from_slice(chunk);
    }
    Ok(out)
}

/// Reads every entry both ways at base 0 and at base 1000; returns the
/// contents (`None` for Quantum entries) and the methods seen.
fn check_chunked_reads(cabinet: &[u8], label: &str) -> (Vec<Option<Vec<u8>>>, BTreeSet<String>) {
    let plain = Cabinet::parse(cabinet.to_vec(), &Limits::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let shifted = Cabinet::from_source(
        Arc::new(junk_then(cabinet)),
        JUNK_LEN as u64,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{label} at base {JUNK_LEN}: {e}"));
    assert_eq!(plain.entries(), shifted.entries(), "{label}");
    let mut contents = Vec::new();
    let mut methods = BTreeSet::new();
    for (index, entry) in plain.entries().iter().enumerate() {
        methods.insert(format!("{:?}", entry.method));
        if entry.method == Method::Quantum && entry.size > 0 {
            assert!(matches!(
                plain.entry_reader(index),
                Err(CabError::Unsupported(Method::Quantum))
            ));
            contents.push(None);
            continue;
        }
        let whole = plain.read(index).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(whole.len() as u64, entry.size, "{label}: {}", entry.name);
        let chunked = chunks_of(&plain, index, label).unwrap();
        assert!(chunked == whole, "{label}: {} chunks differ", entry.name);
        let at_base = chunks_of(&shifted, index, label).unwrap();
        assert!(at_base == whole, "{label}: {} at base differs", entry.name);
        assert!(
            shifted.read(index).unwrap() == whole,
            "{label}: {}",
            entry.name
        );
        contents.push(Some(whole));
    }
    (contents, methods)
}

#[test]
fn sample_entry_chunks_equal_read_at_any_base() {
    let mut methods = BTreeSet::new();
    for path in sample_paths() {
        let label = path.file_name().unwrap().to_string_lossy().into_owned();
        methods.extend(check_chunked_reads(&sample_cabinet(&path), &label).1);
    }
    // The samples must cover every decoder the reader has.
    for method in ["None", "MsZip", "Lzx"] {
        assert!(methods.contains(method), "no {method} sample: {methods:?}");
    }
}

#[test]
fn built_entry_chunks_equal_read_and_input_at_any_base() {
    for compression in [Compression::None, Compression::MsZip] {
        let label = format!("{compression:?}");
        let (contents, _) = check_chunked_reads(&built_cabinet(compression), &label);
        for ((name, data), got) in built_files().iter().zip(&contents) {
            assert!(got.as_ref() == Some(data), "{label}: {name}");
        }
    }
}

#[test]
fn out_of_order_and_concurrent_reads_match_sequential_reads() {
    let mut cabinets: Vec<(String, Vec<u8>)> = vec![
        ("stored".into(), built_cabinet(Compression::None)),
        ("mszip".into(), built_cabinet(Compression::MsZip)),
    ];
    for path in sample_paths() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if ["normal_2files_2folders.cab", "large-files-cab.cab"].contains(&name.as_str()) {
            cabinets.push((name, sample_cabinet(&path)));
        }
    }
    for (label, bytes) in &cabinets {
        let expected: Vec<Vec<u8>> = {
            let fresh = Cabinet::parse(bytes.clone(), &Limits::default()).unwrap();
            (0..fresh.entries().len())
                .map(|i| fresh.read(i).unwrap())
                .collect()
        };
        let n = expected.len();
        let cab = Cabinet::parse(bytes.clone(), &Limits::default()).unwrap();
        // Backwards, then jumping about, on one cabinet (the shared cursor must rewind).
        let jumps: Vec<usize> = (0..n).rev().chain([n / 2, 0, n - 1, n / 2, 0]).collect();
        for i in jumps {
            assert!(cab.read(i).unwrap() == expected[i], "{label}: entry {i}");
        }
        let orders: [Vec<usize>; 4] = [
            (0..n).collect(),
            (0..n).rev().collect(),
            (0..n).map(|i| (i + n / 2) % n).collect(),
            (0..n).step_by(2).chain((1..n).step_by(2)).collect(),
        ];
        std::thread::scope(|s| {
            for order in &orders {
                let (cab, expected) = (&cab, &expected);
                s.spawn(move || {
                    for _ in 0..3 {
                        for &i in order {
                            let got = chunks_of(cab, i, label).unwrap();
                            assert!(got == expected[i], "{label}: entry {i} on a thread");
                        }
                    }
                });
            }
        });
    }
}

/// Claims `data.len()` bytes but fails, like a file cut after it was
/// opened, on any read reaching past `cut`.
#[derive(Debug)]
struct CutSource {
    data: Vec<u8>,
    cut: u64,
}

impl ReadAt for CutSource {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        if offset + buf.len() as u64 > self.cut {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut short"));
        }
        self.data.read_exact_at(buf, offset)
    }
}

#[test]
fn a_source_failing_inside_the_data_blocks_gives_errors_naming_an_offset() {
    for compression in [Compression::None, Compression::MsZip] {
        let whole = junk_then(&built_cabinet(compression));
        let cabinet = &whole[JUNK_LEN..];
        // CFFOLDER 0 follows the fixed header; its first field is the data offset.
        let data_start = u32::from_le_bytes(cabinet[36..40].try_into().unwrap()) as usize;
        let (mut parse_failures, mut read_failures) = (0, 0);
        let spread = (0..16).map(|step| data_start + (cabinet.len() - data_start) * step / 16 + 3);
        // The last two land in the last block's data, past every block header.
        for cut in spread.chain([cabinet.len() - 5, cabinet.len() - 1]) {
            let source = CutSource {
                data: whole.clone(),
                cut: (JUNK_LEN + cut) as u64,
            };
            let label = format!("{compression:?} cut at {cut} of {}", cabinet.len());
            match Cabinet::from_source(Arc::new(source), JUNK_LEN as u64, &Limits::default()) {
                // Parsing reads the header tables in one read from offset 0 (up
                // to a worst-case bound of about 66 KB), then each 8-byte block
                // header; the failing read's start is the offset named.
                Err(err) => {
                    assert!(
                        matches!(&err, CabError::Read { offset, .. }
                            if *offset == 0 || (*offset as usize) + 8 > cut),
                        "{label}: {err:?}"
                    );
                    assert!(err.to_string().contains("byte offset"), "{label}: {err}");
                    parse_failures += 1;
                }
                // A cut inside the last block's data shows when an entry reaches it.
                Ok(cab) => {
                    let errors: Vec<CabError> = (0..cab.entries().len())
                        .filter_map(|i| chunks_of(&cab, i, &label).err())
                        .collect();
                    assert!(!errors.is_empty(), "{label}: every entry read");
                    for err in errors {
                        let msg = err.to_string();
                        assert!(matches!(err, CabError::Entry { .. }), "{label}: {err:?}");
                        assert!(
                            msg.contains("cannot read the cabinet at byte offset"),
                            "{label}: {msg}"
                        );
                    }
                    read_failures += 1;
                }
            }
        }
        assert!(parse_failures > 0 && read_failures > 0, "{compression:?}");
    }
}

#[test]
fn prefix_search_agrees_with_whole_search_past_a_stub() {
    let cabinet = built_cabinet(Compression::MsZip);
    let mut stub = random_bytes(5000, 11);
    // A decoy signature with garbage after it, and a lax-only decoy header
    // (reserved field nonzero) that the strict match later must beat.
    stub[100..104].copy_from_slice(b"MSCF");
    let mut lax = cabinet[..HEADER_LEN].to_vec();
    lax[4] = 1;
    stub[2000..2000 + HEADER_LEN].copy_from_slice(&lax);
    let mut whole = stub.clone();
    whole.extend_from_slice(&cabinet);
    let head = &whole[..stub.len() + HEADER_LEN];
    assert_eq!(find_cabinet(&whole), Some(stub.len()));
    assert_eq!(
        find_cabinet_in_prefix(head, whole.len()),
        find_cabinet(&whole)
    );

    // The libmspack search samples, including the one only the lax pass finds.
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cab-samples/libmspack-cabd");
    for name in ["search_basic.cab", "search_tricky1.cab"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let found = find_cabinet(&bytes).unwrap();
        let head = &bytes[..found + HEADER_LEN];
        assert_eq!(
            find_cabinet_in_prefix(head, bytes.len()),
            Some(found),
            "{name}"
        );
    }
}

/// Stored data has no decoder state: reading entries of a stored folder in
/// any order, with the shared cursor left wherever the last read stopped,
/// reads each needed data block once and skips the blocks in between.
#[test]
fn stored_entries_read_out_of_order_read_only_their_own_blocks() {
    let files: Vec<(String, Vec<u8>)> = (0..64u64)
        .map(|i| (format!("f{i:02}.bin"), random_bytes(256 * 1024, i + 1)))
        .collect();
    let inputs: Vec<CabInput> = files
        .iter()
        .map(|(name, data)| CabInput { name, data })
        .collect();
    let cabinet = write_cabinet(&inputs, Compression::None).unwrap();
    let source = Arc::new(hotfix_testutil::Counted::new(cabinet));
    let cab = Cabinet::from_source(source.clone(), 0, &Limits::default()).unwrap();
    let opened = source.bytes_read();
    // Forwards with gaps, which the shared cursor used to read through.
    let order = [3usize, 60, 10, 61, 40, 63];
    let mut wanted = 0u64;
    for &i in &order {
        let got = chunks_of(&cab, i, "stored").unwrap();
        assert!(got == files[i].1, "entry {i}");
        wanted += got.len() as u64;
    }
    let read = source.bytes_read() - opened;
    // Each entry's blocks, plus at most the one block it shares with a
    // neighbour at each end and the 8-byte block headers.
    let slack = order.len() as u64 * 2 * (MAX_CHUNK as u64 + 8);
    assert!(
        read <= wanted + slack,
        "read {read} bytes for {wanted} bytes of entries"
    );
}

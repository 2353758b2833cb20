//! Helpers shared by the integration tests: test data, a raw cabinet builder
//! for hostile inputs the writer refuses to make, and running oracle tools
//! (whose availability checks, like `random_bytes`, are in hotfix-testutil).
#![allow(dead_code, clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::Path;
use std::process::{Command, Output};

use hotfix_cab::{CabError, CabInput};
pub use hotfix_testutil::random_bytes;

/// Compressible text-like bytes.
pub fn text_bytes(len: usize) -> Vec<u8> {
    b"The quick brown fox jumps over the lazy dog. 0123456789\r\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

/// Name and contents of the test set: empty, 1 byte, 100 KB compressible,
/// 3 MB random and 40 files in nested folders.
pub fn sample_files() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("empty.txt".to_string(), Vec::new()),
        ("one.bin".to_string(), vec![0x5a]),
        ("text\\compressible.txt".to_string(), text_bytes(100_000)),
        ("random.bin".to_string(), random_bytes(3 << 20, 7)),
    ];
    for i in 0..40 {
        let name = format!("SP2QFE\\dir{}\\sub{}\\file{i:02}.dll", i % 4, i % 3);
        files.push((name, random_bytes(1000 + i * 517, i as u64 + 100)));
    }
    files
}

/// The writer's view of `files`.
pub fn inputs(files: &[(String, Vec<u8>)]) -> Vec<CabInput<'_>> {
    files
        .iter()
        .map(|(name, data)| CabInput { name, data })
        .collect()
}

/// A refusal of damaged input must come from parsing or decoding, never be a
/// lookup or writer error.
pub fn assert_input_error(err: &CabError) {
    assert!(
        !matches!(err, CabError::NoSuchEntry { .. } | CabError::NoFiles),
        "damaged input gave {err:?}"
    );
}

/// One file entry for [`raw_cabinet`].
pub struct RawFile {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    /// Overrides the size written in the file entry.
    pub declared_size: Option<u32>,
}

impl RawFile {
    pub fn new(name: &str, data: &[u8]) -> Self {
        RawFile {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            declared_size: None,
        }
    }
}

/// A CFHEADER with no reserve and no set (36 bytes), in a buffer with room
/// for the `total` bytes of the cabinet it starts.
pub fn cf_header(total: usize, files_offset: usize, folders: usize, files: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"MSCF");
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(files_offset as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&[3, 1]);
    out.extend_from_slice(&(folders as u16).to_le_bytes());
    out.extend_from_slice(&(files as u16).to_le_bytes());
    out.extend_from_slice(&[0; 6]); // flags, set id, set index
    out
}

/// A stored cabinet, one folder, laid out per MS-CAB: CFHEADER, CFFOLDER,
/// CFFILE entries, then CFDATA blocks of up to 32 KiB with checksum 0.
pub fn raw_cabinet(files: &[RawFile]) -> Vec<u8> {
    let data: Vec<u8> = files.iter().flat_map(|f| f.data.iter().copied()).collect();
    let blocks: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        data.chunks(0x8000).collect()
    };
    let files_offset = 36 + 8;
    let file_table_len: usize = files.iter().map(|f| 16 + f.name.len() + 1).sum();
    let data_offset = files_offset + file_table_len;
    let total = data_offset + blocks.iter().map(|b| 8 + b.len()).sum::<usize>();
    let mut out = cf_header(total, files_offset, 1, files.len());
    out.extend_from_slice(&(data_offset as u32).to_le_bytes());
    out.extend_from_slice(&(blocks.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // stored
    let mut offset = 0u32;
    for file in files {
        let size = file.declared_size.unwrap_or(file.data.len() as u32);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // folder
        out.extend_from_slice(&0x3621u16.to_le_bytes()); // 2007-01-01
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x20u16.to_le_bytes());
        out.extend_from_slice(&file.name);
        out.push(0);
        offset += file.data.len() as u32;
    }
    for block in blocks {
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(block.len() as u16).to_le_bytes());
        out.extend_from_slice(&(block.len() as u16).to_le_bytes());
        out.extend_from_slice(block);
    }
    assert_eq!(out.len(), total);
    out
}

/// Runs a tool, panicking with its output if it cannot be started.
pub fn run(program: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Panics with the tool's output unless it exited with status 0.
pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

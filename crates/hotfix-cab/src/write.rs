//! Writing cabinets.
//!
//! This is written here rather than with the `cab` crate's builder because
//! cab 0.6's MSZIP output does not do the job: it ends each non-final block
//! with a sync flush plus a hand-made empty final block, and libmspack
//! (cabextract) fails to decompress any such cabinet of more than one block
//! (`tests/oracles.rs` caught it). Here every MSZIP block is a complete,
//! independent deflate stream (as gcab writes them), which every reader
//! accepts; its builder also stamps files with the current time.

use std::collections::HashSet;

use hotfix_model::Quoted;

use crate::cabinet::{
    ATTR_NAME_IS_UTF8, FILE_ENTRY_LEN, FOLDER_ENTRY_LEN, HEADER_LEN, MAX_BLOCK_LEN,
};
use crate::folder::block_checksum;
use crate::name::fold_case;
use crate::{CabError, CabInput, Compression, check_name};

/// A new folder is started once a folder holds this much input, keeping each
/// folder well below the format's 65,535 blocks of 32 KiB and letting readers
/// reach a late file without decompressing everything before it.
const FOLDER_INPUT_LIMIT: u64 = 16 << 20;
/// Largest file the format can hold: one folder's 65,535 blocks of 32 KiB.
const MAX_FILE_LEN: u64 = 0xFFFF * MAX_BLOCK_LEN as u64;
/// DOS date 2007-01-01 (years since 1980 << 9 | month << 5 | day); time 00:00.
const FIXED_DOS_DATE: u16 = (27 << 9) | (1 << 5) | 1;
const ATTR_ARCHIVE: u16 = 0x20;
const MSZIP_LEVEL: u8 = 9;

/// Writes `files` into a single cabinet, in the given order.
///
/// Names go through [`check_name`] and are stored with `\` separators; names
/// that collide ignoring case are refused. Every file gets the DOS date
/// 2007-01-01 00:00 and the archive attribute, and the set ID is 0, so the
/// same input always gives the same bytes. Files are grouped into folders of
/// up to about 16 MiB of input each; data blocks carry checksums.
pub fn write_cabinet(
    files: &[CabInput<'_>],
    compression: Compression,
) -> Result<Vec<u8>, CabError> {
    if files.is_empty() {
        return Err(CabError::NoFiles);
    }
    if files.len() > usize::from(u16::MAX) {
        return Err(limit(
            "number of files".into(),
            files.len() as u64,
            u64::from(u16::MAX),
        ));
    }
    let names = checked_names(files)?;
    let folders = group_into_folders(files);

    let file_table_len: usize = names
        .iter()
        .map(|name| FILE_ENTRY_LEN + name.len() + 1)
        .sum();
    let files_offset = HEADER_LEN + FOLDER_ENTRY_LEN * folders.len();
    let data_start = files_offset + file_table_len;
    let method: u16 = match compression {
        Compression::None => 0,
        Compression::MsZip => 1,
    };
    // The data blocks go straight into the output after room for the headers,
    // which are filled in once the blocks' offsets and counts are known.
    let mut cabinet = vec![0u8; data_start];
    let mut folder_table = Vec::with_capacity(FOLDER_ENTRY_LEN * folders.len());
    for folder in &folders {
        let first_block = cabinet.len();
        let block_count = write_blocks(&files[folder.clone()], compression, &mut cabinet);
        folder_table
            .extend_from_slice(&u32_field("folder data offset", first_block)?.to_le_bytes());
        folder_table.extend_from_slice(&(block_count as u16).to_le_bytes());
        folder_table.extend_from_slice(&method.to_le_bytes());
    }
    let total = u32_field("cabinet size", cabinet.len())?;

    let mut headers = Vec::with_capacity(data_start);
    headers.extend_from_slice(b"MSCF");
    headers.extend_from_slice(&0u32.to_le_bytes());
    headers.extend_from_slice(&total.to_le_bytes());
    headers.extend_from_slice(&0u32.to_le_bytes());
    headers.extend_from_slice(&(files_offset as u32).to_le_bytes());
    headers.extend_from_slice(&0u32.to_le_bytes());
    headers.extend_from_slice(&[3, 1]); // version 1.3
    headers.extend_from_slice(&(folders.len() as u16).to_le_bytes());
    headers.extend_from_slice(&(files.len() as u16).to_le_bytes());
    headers.extend_from_slice(&[0; 6]); // flags, set ID, index in set
    headers.extend_from_slice(&folder_table);
    for (folder_index, folder) in folders.iter().enumerate() {
        let mut offset_in_folder = 0u32;
        for index in folder.clone() {
            let len = files[index].data.len() as u32;
            headers.extend_from_slice(&len.to_le_bytes());
            headers.extend_from_slice(&offset_in_folder.to_le_bytes());
            headers.extend_from_slice(&(folder_index as u16).to_le_bytes());
            headers.extend_from_slice(&FIXED_DOS_DATE.to_le_bytes());
            headers.extend_from_slice(&0u16.to_le_bytes());
            let utf8 = if names[index].is_ascii() {
                0
            } else {
                ATTR_NAME_IS_UTF8
            };
            headers.extend_from_slice(&(ATTR_ARCHIVE | utf8).to_le_bytes());
            headers.extend_from_slice(names[index].as_bytes());
            headers.push(0);
            // A folder holds at most 16 MiB plus one file below 2 GiB.
            offset_in_folder += len;
        }
    }
    cabinet[..data_start].copy_from_slice(&headers);
    Ok(cabinet)
}

fn limit(what: String, value: u64, limit: u64) -> CabError {
    CabError::LimitExceeded { what, value, limit }
}

fn u32_field(what: &str, value: usize) -> Result<u32, CabError> {
    u32::try_from(value).map_err(|_| limit(what.into(), value as u64, u64::from(u32::MAX)))
}

fn checked_names(files: &[CabInput<'_>]) -> Result<Vec<String>, CabError> {
    let mut seen = HashSet::with_capacity(files.len());
    let mut names = Vec::with_capacity(files.len());
    for file in files {
        let name = check_name(file.name).map_err(|source| CabError::BadName {
            name: file.name.to_string(),
            source,
        })?;
        if !seen.insert(fold_case(&name)) {
            return Err(CabError::Duplicate(name));
        }
        let len = file.data.len() as u64;
        if len > MAX_FILE_LEN {
            return Err(limit(
                format!("size of {}", Quoted(&name)),
                len,
                MAX_FILE_LEN,
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// Consecutive runs of files, each run one folder.
fn group_into_folders(files: &[CabInput<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut folders = Vec::new();
    let (mut start, mut input) = (0, 0u64);
    for (index, file) in files.iter().enumerate() {
        let len = file.data.len() as u64;
        if index > start && input + len > FOLDER_INPUT_LIMIT {
            folders.push(start..index);
            (start, input) = (index, 0);
        }
        input += len;
    }
    folders.push(start..files.len());
    folders
}

/// Appends the data blocks of one folder holding `files` to `out`; returns
/// how many were written.
fn write_blocks(files: &[CabInput<'_>], compression: Compression, out: &mut Vec<u8>) -> usize {
    let mut count = 0;
    let mut pending = Vec::with_capacity(MAX_BLOCK_LEN);
    let mut emit = |chunk: &[u8]| {
        write_block(chunk, compression, out);
        count += 1;
    };
    for file in files {
        let mut data = file.data;
        while !data.is_empty() {
            let take = (MAX_BLOCK_LEN - pending.len()).min(data.len());
            if pending.is_empty() && take == MAX_BLOCK_LEN {
                emit(&data[..take]);
            } else {
                pending.extend_from_slice(&data[..take]);
                if pending.len() == MAX_BLOCK_LEN {
                    emit(&pending);
                    pending.clear();
                }
            }
            data = &data[take..];
        }
    }
    if !pending.is_empty() {
        emit(&pending);
    }
    count
}

fn write_block(chunk: &[u8], compression: Compression, out: &mut Vec<u8>) {
    let mszip;
    let payload = match compression {
        Compression::None => chunk,
        Compression::MsZip => {
            mszip = mszip_payload(chunk);
            &mszip
        }
    };
    let checksum = block_checksum(payload, payload.len(), chunk.len());
    out.extend_from_slice(&checksum.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    out.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
    out.extend_from_slice(payload);
}

/// `CK` and one complete deflate stream holding `chunk`.
fn mszip_payload(chunk: &[u8]) -> Vec<u8> {
    let mut payload = b"CK".to_vec();
    let deflated = miniz_oxide::deflate::compress_to_vec(chunk, MSZIP_LEVEL);
    if deflated.len() <= chunk.len() + 5 {
        payload.extend_from_slice(&deflated);
    } else {
        // Incompressible: one final stored deflate block.
        let len = chunk.len() as u16;
        payload.push(1);
        payload.extend_from_slice(&len.to_le_bytes());
        payload.extend_from_slice(&(!len).to_le_bytes());
        payload.extend_from_slice(chunk);
    }
    payload
}

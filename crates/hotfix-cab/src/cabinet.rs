//! Cabinet header parsing (CFHEADER, CFFOLDER, CFFILE and the CFDATA block
//! chain) and the [`Cabinet`] reader.
//!
//! Reading is done here instead of with the `cab` crate (0.6) because its
//! reader does not do the job safely:
//! it indexes its block list with an entry's declared folder offset and panics
//! when that offset lies past the folder's data; it never compares sizes with
//! the data, the header's cabinet size or any limit; it does not check names;
//! its errors carry no offsets; and it restarts decompression at the start of
//! the folder for every file, which is quadratic for a large folder. The
//! decoders are `lzxd` for LZX, as in the `cab` crate, and miniz_oxide for MSZIP.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use hotfix_fs::ReadAt;
use hotfix_model::Quoted;

use crate::folder::{Block, Folder, FolderCursor};
use crate::name::{MAX_NAME_BYTES, fold_case};
use crate::{CabEntry, CabError, Limits, Method, check_name};

pub(crate) const SIGNATURE: &[u8; 4] = b"MSCF";
/// CFHEADER without the optional reserve and set fields.
pub const HEADER_LEN: usize = 36;
/// CFFOLDER without its reserved area.
pub(crate) const FOLDER_ENTRY_LEN: usize = 8;
/// CFFILE without its name.
pub(crate) const FILE_ENTRY_LEN: usize = 16;
/// CFDATA header without its reserved area.
pub(crate) const DATA_HEADER_LEN: usize = 8;
/// Largest uncompressed size of one data block.
pub(crate) const MAX_BLOCK_LEN: usize = 0x8000;

const FLAG_PREV_CABINET: u16 = 0x1;
const FLAG_NEXT_CABINET: u16 = 0x2;
const FLAG_RESERVE_PRESENT: u16 = 0x4;
pub(crate) const ATTR_NAME_IS_UTF8: u16 = 0x80;
/// Folder indices at and above this mark entries spanning cabinets of a set.
const FIRST_SPANNING_FOLDER_INDEX: u16 = 0xFFFD;

/// A parsed cabinet. Entry data is read from its source and decompressed on
/// demand, so a cabinet on disk is never held in memory whole.
pub struct Cabinet {
    pub(crate) source: Arc<dyn ReadAt>,
    /// Where the cabinet starts in `source` (after an SFX stub).
    pub(crate) base: u64,
    /// The cabinet's size from its header.
    pub(crate) len: usize,
    pub(crate) tables: Tables,
    /// Decoder state kept between reads, so that reading the entries of a
    /// folder in order decompresses it once.
    pub(crate) cursor: Mutex<Option<FolderCursor>>,
}

/// Bounds-checked little-endian reads over the cabinet bytes.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], CabError> {
        let range = checked_range(self.data, self.pos, len, what)?;
        self.pos = range.end;
        Ok(&self.data[range])
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, CabError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, CabError> {
        let bytes = self.take(2, what)?;
        Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, CabError> {
        let bytes = self.take(4, what)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A NUL-terminated string of at most [`MAX_NAME_BYTES`] bytes, without the NUL.
    fn c_string(&mut self, what: &'static str) -> Result<&'a [u8], CabError> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or_default();
        let window = &rest[..rest.len().min(MAX_NAME_BYTES + 1)];
        match window.iter().position(|&b| b == 0) {
            Some(len) => {
                self.pos = start + len + 1;
                Ok(&rest[..len])
            }
            None if rest.len() > MAX_NAME_BYTES => Err(corrupt(
                start,
                format!("{what} is longer than {MAX_NAME_BYTES} bytes"),
            )),
            None => Err(CabError::Truncated {
                what,
                offset: start as u64,
                needed: rest.len() as u64 + 1,
                end: self.data.len() as u64,
            }),
        }
    }
}

fn checked_range(
    data: &[u8],
    start: usize,
    len: usize,
    what: &'static str,
) -> Result<Range<usize>, CabError> {
    checked_range_len(data.len(), start, len, what)
}

/// `start..start + len` when it lies within `0..total`.
pub(crate) fn checked_range_len(
    total: usize,
    start: usize,
    len: usize,
    what: &'static str,
) -> Result<Range<usize>, CabError> {
    match start.checked_add(len) {
        Some(end) if end <= total => Ok(start..end),
        _ => Err(CabError::Truncated {
            what,
            offset: start as u64,
            needed: len as u64,
            end: total as u64,
        }),
    }
}

fn corrupt(offset: usize, problem: String) -> CabError {
    CabError::Corrupt {
        offset: offset as u64,
        problem,
    }
}

pub(crate) fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Sizes of the optional per-structure reserved areas.
#[derive(Default)]
struct Reserves {
    folder: usize,
    data: usize,
}

impl Cabinet {
    /// Parses and validates a cabinet that starts at the first byte of `data`
    /// (use [`crate::find_cabinet`] for an SFX). Bytes after the header's cabinet size
    /// (e.g. an Authenticode signature) are ignored.
    pub fn parse(data: Vec<u8>, limits: &Limits) -> Result<Self, CabError> {
        Self::from_source(Arc::new(data), 0, limits)
    }

    /// Parses the cabinet that starts at byte `base` of `source` (an opened
    /// file, say). Only the headers are read now; entry data is read from
    /// `source` when an entry is read.
    pub fn from_source(
        source: Arc<dyn ReadAt>,
        base: u64,
        limits: &Limits,
    ) -> Result<Self, CabError> {
        let available = usize::try_from(source.len().saturating_sub(base)).unwrap_or(usize::MAX);
        let header = read_at(&*source, base, 0, available.min(HEADER_LEN))?;
        if !header.starts_with(SIGNATURE) {
            return Err(CabError::NotCabinet { offset: 0 });
        }
        checked_range(&header, 0, HEADER_LEN, "cabinet header")?;
        let cabinet_len = le_u32(&header, 8) as usize;
        if cabinet_len > available {
            return Err(CabError::Truncated {
                what: "cabinet (size from its header)",
                offset: 0,
                needed: cabinet_len as u64,
                end: available as u64,
            });
        }
        if cabinet_len < HEADER_LEN {
            return Err(corrupt(
                8,
                format!("cabinet size {cabinet_len} is smaller than its header"),
            ));
        }
        let head = read_at(&*source, base, 0, cabinet_len.min(tables_bound(&header)))?;
        let blocks = BlockSource {
            source: &*source,
            base,
            len: cabinet_len,
        };
        let tables = parse_tables(&head, &blocks, limits)?;
        Ok(Cabinet {
            source,
            base,
            len: cabinet_len,
            tables,
            cursor: Mutex::new(None),
        })
    }

    /// The entries in the order the cabinet lists them.
    pub fn entries(&self) -> &[CabEntry] {
        &self.tables.files.entries
    }

    /// Index of the entry named `name`, ignoring case; `/` and `\` are equivalent.
    pub fn find(&self, name: &str) -> Option<usize> {
        let wanted = fold_case(&name.replace('/', "\\"));
        self.tables.files.by_name.get(&wanted).copied()
    }
}

/// Cabinet bytes read on demand: `len` bytes from `base` of `source`.
pub(crate) struct BlockSource<'s> {
    pub(crate) source: &'s dyn ReadAt,
    pub(crate) base: u64,
    pub(crate) len: usize,
}

impl BlockSource<'_> {
    /// Bytes `start..start + len` of the cabinet.
    pub(crate) fn read(
        &self,
        start: usize,
        len: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, CabError> {
        let range = checked_range_len(self.len, start, len, what)?;
        read_at(self.source, self.base, range.start, range.len())
    }
}

/// Reads `len` bytes at cabinet offset `start`.
pub(crate) fn read_at(
    source: &dyn ReadAt,
    base: u64,
    start: usize,
    len: usize,
) -> Result<Vec<u8>, CabError> {
    let mut buf = vec![0; len];
    source
        .read_exact_at(&mut buf, base + start as u64)
        .map_err(|e| CabError::Read {
            offset: start as u64,
            problem: e.to_string(),
        })?;
    Ok(buf)
}

/// An upper bound on where the header tables end, from the fixed header's
/// counts: every optional area and name at its largest.
fn tables_bound(header: &[u8]) -> usize {
    let folders = usize::from(u16::from_le_bytes([header[26], header[27]]));
    let files = usize::from(u16::from_le_bytes([header[28], header[29]]));
    HEADER_LEN
        + 4
        + usize::from(u16::MAX)
        + 4 * (MAX_NAME_BYTES + 1)
        + folders * (FOLDER_ENTRY_LEN + usize::from(u8::MAX))
        + files * (FILE_ENTRY_LEN + MAX_NAME_BYTES + 1)
}

impl std::fmt::Debug for Cabinet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cabinet")
            .field("len", &self.source.len())
            .field("base", &self.base)
            .field("folders", &self.tables.folders.len())
            .field("entries", &self.tables.files.entries)
            .finish()
    }
}

/// What the headers say, checked.
pub(crate) struct Tables {
    pub(crate) files: FileTable,
    pub(crate) folders: Vec<Folder>,
}

/// The file table, checked.
pub(crate) struct FileTable {
    pub(crate) entries: Vec<CabEntry>,
    /// Each entry's start within its folder's uncompressed data.
    pub(crate) entry_offsets: Vec<u64>,
    /// Case-folded name to entry index.
    by_name: HashMap<String, usize>,
}

/// Parses everything after the fixed header: `cab` holds at least the header
/// tables, `blocks` reaches the whole cabinet.
fn parse_tables(cab: &[u8], blocks: &BlockSource<'_>, limits: &Limits) -> Result<Tables, CabError> {
    let mut reader = Reader { data: cab, pos: 16 };
    let files_offset = reader.u32("file table offset")? as usize;
    reader.pos = 24;
    let (minor, major) = (reader.u8("version")?, reader.u8("version")?);
    if (major, minor) != (1, 3) {
        return Err(corrupt(
            24,
            format!("unsupported cabinet version {major}.{minor}"),
        ));
    }
    let folder_count = reader.u16("folder count")? as usize;
    let file_count = reader.u16("file count")? as usize;
    let flags = reader.u16("flags")?;
    reader.pos = HEADER_LEN;
    let mut reserves = Reserves::default();
    if flags & FLAG_RESERVE_PRESENT != 0 {
        let header_reserve = reader.u16("reserve sizes")? as usize;
        reserves.folder = reader.u8("reserve sizes")? as usize;
        reserves.data = reader.u8("reserve sizes")? as usize;
        reader.take(header_reserve, "header reserved area")?;
    }
    for (flag, what) in [
        (FLAG_PREV_CABINET, "previous cabinet name"),
        (FLAG_NEXT_CABINET, "next cabinet name"),
    ] {
        if flags & flag != 0 {
            reader.c_string(what)?;
            reader.c_string(what)?;
        }
    }
    if folder_count == 0 {
        return Err(corrupt(26, "cabinet declares no folders".into()));
    }
    if file_count == 0 {
        return Err(corrupt(28, "cabinet declares no files".into()));
    }
    if file_count > limits.max_files {
        return Err(CabError::LimitExceeded {
            what: "number of files".into(),
            value: file_count as u64,
            limit: limits.max_files as u64,
        });
    }
    let mut folders = Vec::with_capacity(folder_count);
    for _ in 0..folder_count {
        folders.push(parse_folder(&mut reader, reserves.folder)?);
    }
    // Readers disagree on where the file table is (libmspack reads it right
    // after the folders, others seek to the header's offset), so a cabinet
    // where the two differ shows different files to different tools.
    if files_offset != reader.pos {
        return Err(corrupt(
            16,
            format!(
                "file table offset {files_offset} does not follow the folder table, which ends at {}",
                reader.pos
            ),
        ));
    }
    let files = parse_files(&mut reader, file_count, &folders, limits)?;
    walk_blocks(blocks, reader.pos, reserves.data, &mut folders)?;
    for (entry, &start) in files.entries.iter().zip(&files.entry_offsets) {
        let end = start + entry.size;
        let available = folders[entry.folder].uncompressed_len;
        if end > available {
            return Err(CabError::Entry {
                name: entry.name.clone(),
                problem: format!(
                    "occupies bytes {start}..{end} of folder {}, whose data blocks hold only {available} bytes",
                    entry.folder
                ),
            });
        }
    }
    Ok(Tables { files, folders })
}

fn parse_folder(reader: &mut Reader<'_>, reserve: usize) -> Result<Folder, CabError> {
    let entry_offset = reader.pos;
    let data_offset = reader.u32("folder entry")? as usize;
    let block_count = reader.u16("folder entry")? as usize;
    let compression = reader.u16("folder entry")?;
    reader.take(reserve, "folder reserved area")?;
    let (method, lzx_window) = match compression & 0xF {
        0 => (Method::None, None),
        1 => (Method::MsZip, None),
        2 => (Method::Quantum, None),
        3 => {
            let window = match (compression >> 8) & 0x1F {
                15 => lzxd::WindowSize::KB32,
                16 => lzxd::WindowSize::KB64,
                17 => lzxd::WindowSize::KB128,
                18 => lzxd::WindowSize::KB256,
                19 => lzxd::WindowSize::KB512,
                20 => lzxd::WindowSize::MB1,
                21 => lzxd::WindowSize::MB2,
                bits => {
                    return Err(corrupt(
                        entry_offset + 6,
                        format!("LZX window of 2^{bits} bytes is not valid in a cabinet"),
                    ));
                }
            };
            (Method::Lzx, Some(window))
        }
        other => {
            return Err(corrupt(
                entry_offset + 6,
                format!("unknown compression type {other}"),
            ));
        }
    };
    Ok(Folder {
        entry_offset,
        data_offset,
        block_count,
        method,
        lzx_window,
        blocks: Vec::new(),
        uncompressed_len: 0,
    })
}

fn parse_files(
    reader: &mut Reader<'_>,
    file_count: usize,
    folders: &[Folder],
    limits: &Limits,
) -> Result<FileTable, CabError> {
    let mut entries = Vec::with_capacity(file_count);
    let mut entry_offsets = Vec::with_capacity(file_count);
    let mut by_name = HashMap::with_capacity(file_count);
    let mut total: u64 = 0;
    for _ in 0..file_count {
        let entry_offset = reader.pos;
        reader.take(FILE_ENTRY_LEN, "file entry")?;
        reader.pos = entry_offset;
        let size = u64::from(reader.u32("file entry")?);
        let offset_in_folder = u64::from(reader.u32("file entry")?);
        let folder = reader.u16("file entry")?;
        reader.pos = entry_offset + 14;
        let attributes = reader.u16("file entry")?;
        let raw_name = reader.c_string("file name")?;
        if folder >= FIRST_SPANNING_FOLDER_INDEX {
            return Err(CabError::Spanned {
                offset: entry_offset as u64,
            });
        }
        let folder = usize::from(folder);
        let Some(folder_entry) = folders.get(folder) else {
            return Err(corrupt(
                entry_offset + 8,
                format!(
                    "file entry names folder {folder}, but the cabinet has {}",
                    folders.len()
                ),
            ));
        };
        let stored_name = decode_name(raw_name, attributes, entry_offset + FILE_ENTRY_LEN)?;
        let name = check_name(&stored_name).map_err(|source| CabError::BadName {
            name: stored_name.clone(),
            source,
        })?;
        if by_name.insert(fold_case(&name), entries.len()).is_some() {
            return Err(CabError::Duplicate(name));
        }
        if size > limits.max_file_size {
            return Err(CabError::LimitExceeded {
                what: format!("declared size of {}", Quoted(&name)),
                value: size,
                limit: limits.max_file_size,
            });
        }
        total += size;
        if total > limits.max_total_size {
            return Err(CabError::LimitExceeded {
                what: "sum of declared file sizes".into(),
                value: total,
                limit: limits.max_total_size,
            });
        }
        entries.push(CabEntry {
            name,
            size,
            method: folder_entry.method,
            folder,
        });
        entry_offsets.push(offset_in_folder);
    }
    Ok(FileTable {
        entries,
        entry_offsets,
        by_name,
    })
}

/// Names are UTF-8 when the entry says so, otherwise in an unspecified
/// single-byte code page; Latin-1 keeps every byte distinct, which is what
/// matters for the duplicate check.
fn decode_name(raw: &[u8], attributes: u16, offset: usize) -> Result<String, CabError> {
    if attributes & ATTR_NAME_IS_UTF8 != 0 {
        String::from_utf8(raw.to_vec()).map_err(|e| {
            corrupt(
                offset + e.utf8_error().valid_up_to(),
                "file name flagged UTF-8 is not valid UTF-8".into(),
            )
        })
    } else {
        Ok(raw.iter().map(|&b| char::from(b)).collect())
    }
}

/// Follows each folder's chain of data blocks, checking every header against
/// the cabinet's size, and records where each block's bytes are.
fn walk_blocks(
    cab: &BlockSource<'_>,
    headers_end: usize,
    data_reserve: usize,
    folders: &mut [Folder],
) -> Result<(), CabError> {
    // Each block takes at least a header's worth of bytes, so this bounds the
    // block list by the input size even if folders overlap.
    let declared: usize = folders.iter().map(|folder| folder.block_count).sum();
    let budget = cab.len / DATA_HEADER_LEN;
    if declared > budget {
        return Err(corrupt(
            HEADER_LEN,
            format!(
                "folders declare {declared} data blocks, more than a {}-byte cabinet can hold",
                cab.len
            ),
        ));
    }
    for (folder_index, folder) in folders.iter_mut().enumerate() {
        if folder.block_count > 0 && folder.data_offset < headers_end {
            return Err(corrupt(
                folder.entry_offset,
                format!(
                    "folder {folder_index} data starts at {}, inside the headers, which end at {headers_end}",
                    folder.data_offset
                ),
            ));
        }
        let mut pos = folder.data_offset;
        let mut blocks = Vec::with_capacity(folder.block_count);
        let mut total: u64 = 0;
        for _ in 0..folder.block_count {
            let header_offset = pos;
            let header = cab.read(pos, DATA_HEADER_LEN, "data block header")?;
            let checksum = le_u32(&header, 0);
            let compressed = usize::from(u16::from_le_bytes([header[4], header[5]]));
            let uncompressed = usize::from(u16::from_le_bytes([header[6], header[7]]));
            let reserve_start = pos + DATA_HEADER_LEN;
            checked_range_len(
                cab.len,
                reserve_start,
                data_reserve,
                "data block reserved area",
            )?;
            let data = checked_range_len(
                cab.len,
                reserve_start + data_reserve,
                compressed,
                "data block",
            )?;
            pos = data.end;
            let bad = if uncompressed == 0 || uncompressed > MAX_BLOCK_LEN {
                Some(format!(
                    "declares {uncompressed} uncompressed bytes (must be 1..={MAX_BLOCK_LEN})"
                ))
            } else if folder.method == Method::None && compressed != uncompressed {
                Some(format!(
                    "is stored but declares {compressed} bytes stored and {uncompressed} uncompressed"
                ))
            } else {
                None
            };
            if let Some(problem) = bad {
                return Err(corrupt(
                    header_offset,
                    format!(
                        "data block {} of folder {folder_index} {problem}",
                        blocks.len()
                    ),
                ));
            }
            blocks.push(Block {
                header_offset,
                checksum,
                reserve_start,
                data,
                start: total,
                uncompressed,
            });
            total += uncompressed as u64;
        }
        folder.blocks = blocks;
        folder.uncompressed_len = total;
    }
    Ok(())
}

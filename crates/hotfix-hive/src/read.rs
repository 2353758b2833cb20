//! The regf parser: bounded, validating, cycle-proof.
//!
//! Every cell that the key tree reaches (key nodes, subkey lists, value
//! lists, values, data) may be reached only once; the one exception is the
//! shared security (`sk`) cell, which this reader does not follow. That
//! refuses cycles and shared subtrees alike, and bounds the decoded tree by
//! the size of the input: a small hostile file cannot expand into a huge one.

use std::collections::HashSet;

use crate::HiveError;
use crate::format::*;
use crate::hive::Hive;
use crate::key::Key;
use crate::name::{decode_name, names_equal, upcased_units};
use crate::value::Value;

/// Parses a whole hive file.
pub(crate) fn parse(bytes: &[u8], allow_dirty: bool) -> Result<Hive, HiveError> {
    let Some(base) = bytes.get(..BASE_BLOCK_LEN) else {
        return Err(HiveError::corrupt(
            0,
            format!(
                "file is {} bytes, shorter than the {BASE_BLOCK_LEN}-byte base block",
                bytes.len()
            ),
        ));
    };
    if &base[..4] != b"regf" {
        return Err(HiveError::corrupt(0, "base block signature is not 'regf'"));
    }
    let stored = le32(base, 508);
    let plain = xor_checksum(base);
    if stored != plain && stored != windows_checksum(plain) {
        return Err(HiveError::BadChecksum {
            stored,
            computed: windows_checksum(plain),
        });
    }
    let (primary, secondary) = (le32(base, 4), le32(base, 8));
    if primary != secondary && !allow_dirty {
        return Err(HiveError::Dirty { primary, secondary });
    }
    let major = le32(base, 20);
    if major != 1 {
        return Err(HiveError::corrupt(
            20,
            format!("major version {major} is not 1"),
        ));
    }
    let minor = le32(base, 24);
    let file_type = le32(base, 28);
    if file_type != 0 {
        return Err(HiveError::corrupt(
            28,
            format!("file type {file_type} is a transaction log, not a primary hive file"),
        ));
    }
    let bins_len = le32(base, 40) as usize;
    if bins_len == 0 || !bins_len.is_multiple_of(HBIN_ALIGN) {
        return Err(HiveError::corrupt(
            40,
            format!("hive bins size {bins_len:#x} is not a non-zero multiple of 4096"),
        ));
    }
    let Some(bins) = bytes.get(BASE_BLOCK_LEN..BASE_BLOCK_LEN + bins_len) else {
        return Err(HiveError::corrupt(
            40,
            format!(
                "hive bins size {bins_len:#x} runs past the end of the {}-byte file",
                bytes.len()
            ),
        ));
    };
    let mut reader = Reader {
        bins,
        cells: allocated_cells(bins)?,
        claimed: HashSet::new(),
        big_data: minor >= 4,
    };
    let root = reader.key(le32(base, 36), 0)?;
    let name_units: Vec<u16> = utf16_units(&base[48..112])
        .take_while(|&u| u != 0)
        .collect();
    Ok(Hive {
        root,
        file_name: String::from_utf16_lossy(&name_units),
        last_written: le64(base, 12),
        sequence: primary.max(secondary),
    })
}

/// Walks every hbin and returns the offsets of its allocated cells.
fn allocated_cells(bins: &[u8]) -> Result<HashSet<u32>, HiveError> {
    let mut cells = HashSet::new();
    let mut pos = 0usize;
    while pos < bins.len() {
        let at = file_offset(pos);
        let header = bins
            .get(pos..pos + HBIN_HEADER_LEN)
            .ok_or_else(|| HiveError::corrupt(at, "hbin header is cut off"))?;
        if &header[..4] != b"hbin" {
            return Err(HiveError::corrupt(at, "hbin signature is not 'hbin'"));
        }
        if le32(header, 4) as usize != pos {
            return Err(HiveError::corrupt(
                at + 4,
                format!(
                    "hbin says it is at {:#x} but is at {pos:#x}",
                    le32(header, 4)
                ),
            ));
        }
        let size = le32(header, 8) as usize;
        if size < HBIN_ALIGN || !size.is_multiple_of(HBIN_ALIGN) || size > bins.len() - pos {
            return Err(HiveError::corrupt(
                at + 8,
                format!("hbin size {size:#x} is not a multiple of 4096 inside the hive bins"),
            ));
        }
        let end = pos + size;
        let mut cell = pos + HBIN_HEADER_LEN;
        while cell < end {
            let raw = bins
                .get(cell..cell + 4)
                .filter(|_| cell + 4 <= end)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| HiveError::corrupt(file_offset(cell), "cell header is cut off"))?;
            let len = raw.unsigned_abs() as usize;
            if len < 8 || len > end - cell {
                return Err(HiveError::corrupt(
                    file_offset(cell),
                    format!("cell size {len:#x} is below 8 or crosses the end of its hbin"),
                ));
            }
            if raw < 0 {
                cells.insert(cell as u32);
            }
            cell += len;
        }
        pos = end;
    }
    Ok(cells)
}

/// The name stored in a `what` cell (`nk` or `vk`) whose data is `cell` at
/// file offset `at`: its length is the 16-bit field at `len_field`, its
/// bytes start at `start`.
fn cell_name(
    what: &str,
    cell: &[u8],
    at: u64,
    len_field: usize,
    start: usize,
    compressed: bool,
) -> Result<String, HiveError> {
    let len = le16(cell, len_field) as usize;
    let bytes = cell.get(start..start + len).ok_or_else(|| {
        HiveError::corrupt(
            at + len_field as u64,
            format!(
                "{what} name of {len} bytes overruns its {}-byte cell",
                cell.len()
            ),
        )
    })?;
    decode_name(bytes, compressed)
        .ok_or_else(|| HiveError::corrupt(at + start as u64, format!("{what} name is not UTF-16")))
}

struct Reader<'a> {
    bins: &'a [u8],
    cells: HashSet<u32>,
    claimed: HashSet<u32>,
    big_data: bool,
}

impl<'a> Reader<'a> {
    /// The data of the allocated cell at `off` (after its size field).
    fn cell(&self, off: u32, what: &str) -> Result<&'a [u8], HiveError> {
        let at = file_offset(off as usize);
        if !self.cells.contains(&off) {
            return Err(HiveError::corrupt(
                at,
                format!("{what} offset {off:#x} is not the start of an allocated cell"),
            ));
        }
        let start = off as usize;
        let len = le32(self.bins, start).wrapping_neg() as usize;
        // `allocated_cells` checked that the cell lies inside its hbin.
        self.bins
            .get(start + 4..start + len)
            .ok_or_else(|| HiveError::corrupt(at, format!("{what} cell is cut off")))
    }

    /// Like [`Reader::cell`], but a cell may be claimed only once.
    fn claim(&mut self, off: u32, what: &str) -> Result<&'a [u8], HiveError> {
        let data = self.cell(off, what)?;
        if !self.claimed.insert(off) {
            return Err(HiveError::corrupt(
                file_offset(off as usize),
                format!("{what} cell {off:#x} is reached twice (a cycle or a shared cell)"),
            ));
        }
        Ok(data)
    }

    fn key(&mut self, off: u32, depth: usize) -> Result<Key, HiveError> {
        let at = file_offset(off as usize) + 4;
        if depth > MAX_DEPTH {
            return Err(HiveError::corrupt(
                at,
                format!("key tree is deeper than {MAX_DEPTH} levels"),
            ));
        }
        let nk = self.claim(off, "key node")?;
        if nk.len() < NK_NAME || &nk[..2] != b"nk" {
            return Err(HiveError::corrupt(at, "key node has no 'nk' signature"));
        }
        let compressed = le16(nk, 2) & KEY_COMP_NAME != 0;
        let name = cell_name("key", nk, at, 72, NK_NAME, compressed)?;
        let value_count = le32(nk, 36);
        let values = if value_count == 0 {
            Vec::new()
        } else {
            self.values(le32(nk, 40), value_count)?
        };
        let subkey_count = le32(nk, 20);
        let mut subkeys = Vec::new();
        if subkey_count != 0 {
            let mut offsets = Vec::new();
            self.index(le32(nk, 28), &mut offsets, true)?;
            if offsets.len() != subkey_count as usize {
                return Err(HiveError::corrupt(
                    at + 20,
                    format!(
                        "key says it has {subkey_count} subkeys but its list holds {}",
                        offsets.len()
                    ),
                ));
            }
            for child in offsets {
                subkeys.push(self.key(child, depth + 1)?);
            }
        }
        let key = Key::from_parts(name, le64(nk, 4), values, subkeys);
        let names: Vec<&str> = key.subkeys().map(Key::name).collect();
        if let Some(pair) = names.windows(2).find(|w| names_equal(w[0], w[1])) {
            return Err(HiveError::corrupt(
                at,
                format!("two subkeys are both named {:?}", pair[0]),
            ));
        }
        Ok(key)
    }

    /// Collects the key node offsets of a subkey list (`lf`, `lh`, `li`, or
    /// an `ri` of those).
    fn index(&mut self, off: u32, out: &mut Vec<u32>, allow_ri: bool) -> Result<(), HiveError> {
        let at = file_offset(off as usize) + 4;
        let list = self.claim(off, "subkey list")?;
        if list.len() < 4 {
            return Err(HiveError::corrupt(at, "subkey list cell is too small"));
        }
        let count = le16(list, 2) as usize;
        let stride = match &list[..2] {
            b"lf" | b"lh" => 8,
            b"li" => 4,
            b"ri" if allow_ri => 4,
            b"ri" => {
                return Err(HiveError::corrupt(at, "root index inside a root index"));
            }
            _ => return Err(HiveError::corrupt(at, "unknown subkey list signature")),
        };
        if 4 + count * stride > list.len() {
            return Err(HiveError::corrupt(
                at + 2,
                format!(
                    "subkey list of {count} entries does not fit its {}-byte cell",
                    list.len()
                ),
            ));
        }
        for i in 0..count {
            let entry = le32(list, 4 + i * stride);
            if &list[..2] == b"ri" {
                self.index(entry, out, false)?;
            } else {
                out.push(entry);
            }
        }
        Ok(())
    }

    fn values(&mut self, off: u32, count: u32) -> Result<Vec<(String, Value)>, HiveError> {
        let at = file_offset(off as usize) + 4;
        let list = self.claim(off, "value list")?;
        let count = count as usize;
        if count > list.len() / 4 {
            return Err(HiveError::corrupt(
                at,
                format!(
                    "value list of {count} entries does not fit its {}-byte cell",
                    list.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            let vk = le32(list, i * 4);
            let (name, value) = self.value(vk)?;
            let folded: Vec<u16> = upcased_units(&name).collect();
            if !seen.insert(folded) {
                return Err(HiveError::corrupt(
                    file_offset(vk as usize),
                    format!("two values are both named {name:?}"),
                ));
            }
            values.push((name, value));
        }
        Ok(values)
    }

    fn value(&mut self, off: u32) -> Result<(String, Value), HiveError> {
        let at = file_offset(off as usize) + 4;
        let vk = self.claim(off, "value")?;
        if vk.len() < VK_NAME || &vk[..2] != b"vk" {
            return Err(HiveError::corrupt(at, "value has no 'vk' signature"));
        }
        let compressed = le16(vk, 16) & VALUE_COMP_NAME != 0;
        let name = cell_name("value", vk, at, 2, VK_NAME, compressed)?;
        let raw_len = le32(vk, 4);
        let data_off = le32(vk, 8);
        let len = (raw_len & !DATA_INLINE) as usize;
        let data = if raw_len & DATA_INLINE != 0 {
            if len > 4 {
                return Err(HiveError::corrupt(
                    at + 4,
                    format!("inline data of {len} bytes exceeds 4 bytes"),
                ));
            }
            vk[8..8 + len].to_vec()
        } else if len == 0 {
            Vec::new()
        } else if self.big_data
            && len > BIG_DATA_SEGMENT
            && self.cell(data_off, "value data")?.starts_with(b"db")
        {
            self.big_data(data_off, len)?
        } else {
            let cell = self.claim(data_off, "value data")?;
            cell.get(..len)
                .ok_or_else(|| {
                    HiveError::corrupt(
                        at + 4,
                        format!(
                            "value data of {len} bytes overruns its {}-byte cell",
                            cell.len()
                        ),
                    )
                })?
                .to_vec()
        };
        Ok((name, Value::from_raw(le32(vk, 12), &data)))
    }

    fn big_data(&mut self, off: u32, len: usize) -> Result<Vec<u8>, HiveError> {
        let at = file_offset(off as usize) + 4;
        let db = self.claim(off, "big data")?;
        if db.len() < 8 {
            return Err(HiveError::corrupt(at, "big data cell is too small"));
        }
        let count = le16(db, 2) as usize;
        let needed = len.div_ceil(BIG_DATA_SEGMENT);
        if count < needed {
            return Err(HiveError::corrupt(
                at + 2,
                format!("big data of {len} bytes needs {needed} segments but has {count}"),
            ));
        }
        let list_off = le32(db, 4);
        let list = self.claim(list_off, "big data segment list")?;
        if needed > list.len() / 4 {
            return Err(HiveError::corrupt(
                file_offset(list_off as usize),
                "big data segment list does not fit its cell",
            ));
        }
        let mut data = Vec::new();
        for i in 0..needed {
            let seg_off = le32(list, i * 4);
            let segment = self.claim(seg_off, "big data segment")?;
            let take = (len - data.len()).min(BIG_DATA_SEGMENT);
            let bytes = segment.get(..take).ok_or_else(|| {
                HiveError::corrupt(
                    file_offset(seg_off as usize),
                    format!("big data segment holds fewer than {take} bytes"),
                )
            })?;
            data.extend_from_slice(bytes);
        }
        Ok(data)
    }
}

//! The regf writer: a fresh, compacted file from the in-memory tree.
//!
//! Layout: the root `nk` first (at hbin offset 0x20, as Windows puts it),
//! then the one shared `sk`, then every key depth-first: its `nk`, value
//! list, `vk`s and data, then its subkeys, then its subkey list. Subkey lists
//! are `lh` (format 1.5), split into an `ri` of `lh` leaves above
//! [`LH_MAX`] entries. Each hbin is 4096 bytes unless a single cell needs
//! more; the unused tail of an hbin is one free cell.

use crate::HiveError;
use crate::format::*;
use crate::hive::{FILE_NAME_UNITS, Hive};
use crate::key::Key;
use crate::name::{encode_name, lh_hash};
use crate::value::Value;

/// Most entries written into one `lh` list before switching to `ri`.
const LH_MAX: usize = 512;
/// Offset value meaning "no cell".
const NO_CELL: u32 = u32::MAX;
/// The file may not exceed what 32-bit cell offsets can address safely.
const MAX_BINS_LEN: usize = 0x7FFF_0000;

pub(crate) fn to_bytes(hive: &Hive) -> Result<Vec<u8>, HiveError> {
    let mut w = Writer {
        bins: Vec::new(),
        next: 0,
        sk: 0,
        keys: 0,
    };
    let root = w.key(&hive.root, None, 0)?;
    let mut bins = w.finish();
    // The first hbin carries the hive's timestamp, like the base block.
    bins[20..28].copy_from_slice(&hive.last_written.to_le_bytes());

    let mut base = vec![0u8; BASE_BLOCK_LEN];
    base[..4].copy_from_slice(b"regf");
    put32(&mut base, 4, hive.sequence);
    put32(&mut base, 8, hive.sequence);
    base[12..20].copy_from_slice(&hive.last_written.to_le_bytes());
    put32(&mut base, 20, 1); // major version
    put32(&mut base, 24, 5); // minor version: 1.5 has lh lists and big data
    put32(&mut base, 28, 0); // primary file
    put32(&mut base, 32, 1); // direct memory load
    put32(&mut base, 36, root);
    put32(&mut base, 40, bins.len() as u32);
    put32(&mut base, 44, 1); // clustering factor
    let units = hive.file_name.encode_utf16().take(FILE_NAME_UNITS);
    for (i, unit) in units.enumerate() {
        base[48 + i * 2..50 + i * 2].copy_from_slice(&unit.to_le_bytes());
    }
    let checksum = windows_checksum(xor_checksum(&base));
    put32(&mut base, 508, checksum);
    base.extend_from_slice(&bins);
    Ok(base)
}

fn put32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn too_big(what: &str) -> HiveError {
    HiveError::Unwritable(what.to_string())
}

struct Writer {
    bins: Vec<u8>,
    /// Where the next cell goes.
    next: usize,
    /// Offset of the shared security cell.
    sk: u32,
    /// Keys written so far (the `sk` reference count).
    keys: u32,
}

impl Writer {
    /// Allocates a cell for `data` and returns its offset.
    fn cell(&mut self, data: &[u8]) -> Result<u32, HiveError> {
        let size = (data.len() + 4).next_multiple_of(8);
        if self.next + size > self.bins.len() {
            self.close_bin();
            let start = self.bins.len();
            let bin_len = (size + HBIN_HEADER_LEN).next_multiple_of(HBIN_ALIGN);
            if start + bin_len > MAX_BINS_LEN {
                return Err(too_big("the hive would exceed 2 GiB"));
            }
            self.bins.resize(start + bin_len, 0);
            self.bins[start..start + 4].copy_from_slice(b"hbin");
            put32(&mut self.bins, start + 4, start as u32);
            put32(&mut self.bins, start + 8, bin_len as u32);
            self.next = start + HBIN_HEADER_LEN;
        }
        let off = self.next;
        put32(&mut self.bins, off, (size as i32).wrapping_neg() as u32);
        self.bins[off + 4..off + 4 + data.len()].copy_from_slice(data);
        self.next += size;
        Ok(off as u32)
    }

    /// Overwrites bytes of an allocated cell's data, from `field` on.
    fn patch(&mut self, off: u32, field: usize, data: &[u8]) {
        let at = off as usize + 4 + field;
        self.bins[at..at + data.len()].copy_from_slice(data);
    }

    /// Marks the rest of the current hbin as one free cell.
    fn close_bin(&mut self) {
        let rest = self.bins.len() - self.next;
        if rest > 0 {
            put32(&mut self.bins, self.next, rest as u32);
            self.next = self.bins.len();
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.close_bin();
        // The sk's list links point at itself (it is the only one) and its
        // reference count is the number of keys using it.
        let mut links = Vec::with_capacity(12);
        links.extend_from_slice(&self.sk.to_le_bytes());
        links.extend_from_slice(&self.sk.to_le_bytes());
        links.extend_from_slice(&self.keys.to_le_bytes());
        self.patch(self.sk, 4, &links);
        self.bins
    }

    fn key(&mut self, key: &Key, parent: Option<u32>, depth: usize) -> Result<u32, HiveError> {
        if depth > MAX_DEPTH {
            return Err(too_big("the key tree is deeper than 512 levels"));
        }
        let name = encode_name(key.name());
        let name_len = u16::try_from(name.bytes.len())
            .map_err(|_| too_big("a key name is longer than 65535 bytes"))?;
        let mut nk = vec![0u8; NK_NAME + name.bytes.len()];
        let off = self.cell(&nk)?;
        if parent.is_none() {
            self.sk = self.cell(&crate::security::default_sk_cell())?;
        }
        self.keys += 1;

        let mut flags = if name.compressed { KEY_COMP_NAME } else { 0 };
        if parent.is_none() {
            flags |= KEY_ROOT_FLAGS;
        }
        nk[..2].copy_from_slice(b"nk");
        put16(&mut nk, 2, flags);
        nk[4..12].copy_from_slice(&key.last_written().to_le_bytes());
        put32(&mut nk, 16, parent.unwrap_or(0));
        put32(&mut nk, 20, key.subkey_count() as u32);
        put32(&mut nk, 32, NO_CELL); // volatile subkeys live only in memory
        put32(&mut nk, 36, key.value_count() as u32);
        put32(&mut nk, 44, self.sk);
        put32(&mut nk, 48, NO_CELL); // no class name
        put16(&mut nk, 72, name_len);
        nk[NK_NAME..].copy_from_slice(&name.bytes);

        let (mut max_name, mut max_data) = (0u32, 0u32);
        let mut list = Vec::with_capacity(key.value_count() * 4);
        for (value_name, value) in key.values() {
            let (vk, name_bytes, data_len) = self.value(value_name, value)?;
            list.extend_from_slice(&vk.to_le_bytes());
            max_name = max_name.max(name_bytes);
            max_data = max_data.max(data_len);
        }
        let values = if list.is_empty() {
            NO_CELL
        } else {
            self.cell(&list)?
        };
        put32(&mut nk, 40, values);
        put32(&mut nk, 60, max_name);
        put32(&mut nk, 64, max_data);

        let mut children = Vec::with_capacity(key.subkey_count());
        let mut max_subkey_name = 0;
        for subkey in key.subkeys() {
            let child = self.key(subkey, Some(off), depth + 1)?;
            let units = subkey.name().encode_utf16().count() as u32;
            max_subkey_name = max_subkey_name.max(units * 2);
            children.push((child, lh_hash(subkey.name())));
        }
        put32(&mut nk, 28, self.subkey_index(&children)?);
        put32(&mut nk, 52, max_subkey_name);
        self.patch(off, 0, &nk);
        Ok(off)
    }

    /// Writes a subkey index and returns its offset (or "no cell").
    fn subkey_index(&mut self, children: &[(u32, u32)]) -> Result<u32, HiveError> {
        if children.is_empty() {
            return Ok(NO_CELL);
        }
        let mut leaves = Vec::new();
        for chunk in children.chunks(LH_MAX) {
            let mut lh = Vec::with_capacity(4 + chunk.len() * 8);
            lh.extend_from_slice(b"lh");
            lh.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
            for (off, hash) in chunk {
                lh.extend_from_slice(&off.to_le_bytes());
                lh.extend_from_slice(&hash.to_le_bytes());
            }
            leaves.push(self.cell(&lh)?);
        }
        if let [single] = leaves[..] {
            return Ok(single);
        }
        let count = u16::try_from(leaves.len()).map_err(|_| too_big("too many subkeys"))?;
        let mut ri = Vec::with_capacity(4 + leaves.len() * 4);
        ri.extend_from_slice(b"ri");
        ri.extend_from_slice(&count.to_le_bytes());
        for leaf in leaves {
            ri.extend_from_slice(&leaf.to_le_bytes());
        }
        self.cell(&ri)
    }

    /// Writes one value; returns the `vk` offset, the name's length as
    /// UTF-16 bytes and the data length.
    fn value(&mut self, name: &str, value: &Value) -> Result<(u32, u32, u32), HiveError> {
        let encoded = encode_name(name);
        let name_len = u16::try_from(encoded.bytes.len())
            .map_err(|_| too_big("a value name is longer than 65535 bytes"))?;
        let data = value.to_raw();
        let data_len = u32::try_from(data.len())
            .ok()
            .filter(|&n| n & DATA_INLINE == 0)
            .ok_or_else(|| too_big("a value's data exceeds 2 GiB"))?;
        let mut vk = vec![0u8; VK_NAME + encoded.bytes.len()];
        vk[..2].copy_from_slice(b"vk");
        put16(&mut vk, 2, name_len);
        if data.len() <= 4 {
            put32(&mut vk, 4, data_len | DATA_INLINE);
            vk[8..8 + data.len()].copy_from_slice(&data);
        } else {
            put32(&mut vk, 4, data_len);
            let data_off = if data.len() > BIG_DATA_SEGMENT {
                self.big_data(&data)?
            } else {
                self.cell(&data)?
            };
            put32(&mut vk, 8, data_off);
        }
        put32(&mut vk, 12, value.kind());
        let flags = if encoded.compressed {
            VALUE_COMP_NAME
        } else {
            0
        };
        put16(&mut vk, 16, flags);
        vk[VK_NAME..].copy_from_slice(&encoded.bytes);
        Ok((self.cell(&vk)?, encoded.utf16_len as u32, data_len))
    }

    fn big_data(&mut self, data: &[u8]) -> Result<u32, HiveError> {
        let mut list = Vec::new();
        for segment in data.chunks(BIG_DATA_SEGMENT) {
            // Four spare bytes per segment: hivex takes a segment's cell
            // size minus 8 as its payload, which is also what Windows'
            // full 16344-byte segments (16352-byte cells) give.
            let mut padded = segment.to_vec();
            padded.extend_from_slice(&[0; 4]);
            list.extend_from_slice(&self.cell(&padded)?.to_le_bytes());
        }
        let count = u16::try_from(list.len() / 4)
            .map_err(|_| too_big("a value's data needs more than 65535 big-data segments"))?;
        let list_off = self.cell(&list)?;
        let mut db = Vec::with_capacity(8);
        db.extend_from_slice(b"db");
        db.extend_from_slice(&count.to_le_bytes());
        db.extend_from_slice(&list_off.to_le_bytes());
        self.cell(&db)
    }
}

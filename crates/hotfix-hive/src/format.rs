//! Layout constants and little-endian helpers shared by reader and writer.

/// Size of the base block ("regf" header) at the start of the file.
pub(crate) const BASE_BLOCK_LEN: usize = 4096;
/// hbins are multiples of this size.
pub(crate) const HBIN_ALIGN: usize = 4096;
/// Size of an hbin header.
pub(crate) const HBIN_HEADER_LEN: usize = 32;
/// Values longer than this are stored as big data (`db`) in format 1.4+,
/// in segments of this many bytes.
pub(crate) const BIG_DATA_SEGMENT: usize = 16344;
/// Deepest key tree accepted or written (the root is depth 0).
pub(crate) const MAX_DEPTH: usize = 512;
/// Offset of the name in an `nk` cell's data.
pub(crate) const NK_NAME: usize = 76;
/// Offset of the name in a `vk` cell's data.
pub(crate) const VK_NAME: usize = 20;
/// `nk` flag: the name is stored one byte per character.
pub(crate) const KEY_COMP_NAME: u16 = 0x20;
/// `nk` flags of a root key: `KEY_HIVE_ENTRY | KEY_NO_DELETE`.
pub(crate) const KEY_ROOT_FLAGS: u16 = 0x0C;
/// `vk` flag: the name is stored one byte per character.
pub(crate) const VALUE_COMP_NAME: u16 = 0x01;
/// High bit of a `vk` data length: the data sits in the offset field.
pub(crate) const DATA_INLINE: u32 = 0x8000_0000;

/// File offset of an offset inside the hive bins.
pub(crate) fn file_offset(bins_offset: usize) -> u64 {
    (BASE_BLOCK_LEN + bins_offset) as u64
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    // Callers check lengths first; a short read yields zeros, never a panic.
    bytes
        .get(at..at.saturating_add(N))
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; N])
}

pub(crate) fn le16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(array(bytes, at))
}

pub(crate) fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(array(bytes, at))
}

pub(crate) fn le64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(array(bytes, at))
}

/// The little-endian UTF-16 code units of `bytes` (an odd last byte is
/// left out).
pub(crate) fn utf16_units(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
}

/// XOR of the first 127 little-endian dwords of the base block.
pub(crate) fn xor_checksum(base: &[u8]) -> u32 {
    (0..127).fold(0, |sum, i| sum ^ le32(base, i * 4))
}

/// Windows never stores 0 or -1 as a checksum; it nudges them to 1 and -2.
pub(crate) fn windows_checksum(xor: u32) -> u32 {
    match xor {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        other => other,
    }
}

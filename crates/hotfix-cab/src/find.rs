//! Finding a cabinet inside other bytes, such as an SFXCAB self-extractor.

use crate::cabinet::{HEADER_LEN, SIGNATURE, le_u32};

/// Offset of the first plausible cabinet header in `bytes`: `MSCF`, version
/// 1.3, a cabinet size that fits in the remaining bytes, a file-table offset
/// inside it and zero reserved fields. `Some(0)` for a plain cabinet; the
/// offset of the appended cabinet for a self-extracting EXE.
///
/// If no candidate has all three reserved fields zero, a second pass accepts
/// nonzero values in the first two, as libmspack does (its `search_tricky1`
/// test cabinet needs that); a strict match anywhere wins over a lax one, so
/// an `MSCF` constant in an SFX stub's code does not hide the real cabinet.
pub fn find_cabinet(bytes: &[u8]) -> Option<usize> {
    find_cabinet_in_prefix(bytes, bytes.len())
}

/// [`find_cabinet`] over the first bytes of an input of `total_len` bytes
/// (an SFX's stub and the cabinet's header, without reading the cabinet):
/// a candidate's declared size may reach past `head`.
pub fn find_cabinet_in_prefix(head: &[u8], total_len: usize) -> Option<usize> {
    let total_len = total_len.max(head.len());
    find_header(head, total_len, true).or_else(|| find_header(head, total_len, false))
}

fn find_header(bytes: &[u8], total_len: usize, strict: bool) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = bytes.get(from..)?.windows(4).position(|w| w == SIGNATURE) {
        let offset = from + found;
        if plausible_header(&bytes[offset..], total_len - offset, strict) {
            return Some(offset);
        }
        from = offset + 1;
    }
    None
}

/// `available`: bytes from the candidate to the end of the input.
fn plausible_header(candidate: &[u8], available: usize, strict: bool) -> bool {
    if candidate.len() < HEADER_LEN {
        return false;
    }
    let cabinet_len = le_u32(candidate, 8) as usize;
    let files_offset = le_u32(candidate, 16) as usize;
    let reserved_zero = le_u32(candidate, 20) == 0
        && (!strict || (le_u32(candidate, 4) == 0 && le_u32(candidate, 12) == 0));
    reserved_zero
        && candidate[24] == 3
        && candidate[25] == 1
        && (HEADER_LEN..=available).contains(&cabinet_len)
        && (HEADER_LEN..cabinet_len).contains(&files_offset)
}

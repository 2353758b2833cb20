//! Key and value names: Windows' case folding, ordering, `lh` hashes, and
//! the two on-disk encodings (compressed Latin-1 or UTF-16LE).

use std::cmp::Ordering;

use crate::format::utf16_units;

/// Upper-cases one UTF-16 code unit the way the NT registry does: one unit
/// in, one unit out. Windows uses its own NLS upcase table; we use Unicode's
/// simple upper-case mapping where it maps a BMP character to a single BMP
/// character and leave everything else (surrogates, `ß`, characters whose
/// upper case is several characters) unchanged. That is the same table for
/// every character a real XP hive is likely to contain, and it reproduces
/// the hashes XP's regedit stored in hivex's `special` sample.
pub(crate) fn upcase_unit(unit: u16) -> u16 {
    if unit < 0x80 {
        return (unit as u8).to_ascii_uppercase() as u16;
    }
    let Some(c) = char::from_u32(unit as u32) else {
        return unit;
    };
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if (u as u32) <= 0xFFFF => u as u32 as u16,
        _ => unit,
    }
}

/// The name's UTF-16 code units, upper-cased as [`upcase_unit`] does.
pub(crate) fn upcased_units(name: &str) -> impl Iterator<Item = u16> + '_ {
    name.encode_utf16().map(upcase_unit)
}

/// Compares two names as Windows orders subkeys in `lh`/`lf` lists: by
/// upper-cased UTF-16 code units.
pub(crate) fn cmp_names(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        let ab = a.bytes().map(|c| c.to_ascii_uppercase());
        let bb = b.bytes().map(|c| c.to_ascii_uppercase());
        return ab.cmp(bb);
    }
    upcased_units(a).cmp(upcased_units(b))
}

/// Case-insensitive name equality (Windows semantics).
pub(crate) fn names_equal(a: &str, b: &str) -> bool {
    cmp_names(a, b) == Ordering::Equal
}

/// The `lh` hash: `h = 37 * h + upcase(unit)` over the UTF-16 code units.
pub(crate) fn lh_hash(name: &str) -> u32 {
    upcased_units(name).fold(0u32, |h, u| h.wrapping_mul(37).wrapping_add(u as u32))
}

/// A name ready for writing: the bytes and whether they are compressed.
pub(crate) struct EncodedName {
    pub bytes: Vec<u8>,
    /// One byte per character (Latin-1), flagged `KEY_COMP_NAME` /
    /// `VALUE_COMP_NAME`. Windows compresses every name whose characters
    /// are all below U+0100.
    pub compressed: bool,
    /// Length in bytes as UTF-16, which the `nk` "largest name" fields use.
    pub utf16_len: usize,
}

pub(crate) fn encode_name(name: &str) -> EncodedName {
    let units: Vec<u16> = name.encode_utf16().collect();
    let compressed = units.iter().all(|&u| u <= 0xFF);
    let bytes = if compressed {
        units.iter().map(|&u| u as u8).collect()
    } else {
        units.iter().flat_map(|u| u.to_le_bytes()).collect()
    };
    EncodedName {
        bytes,
        compressed,
        utf16_len: units.len() * 2,
    }
}

/// Decodes a stored name. `None` if a UTF-16 name has an odd length or an
/// unpaired surrogate (the caller reports where).
pub(crate) fn decode_name(bytes: &[u8], compressed: bool) -> Option<String> {
    if compressed {
        return Some(bytes.iter().map(|&b| b as char).collect());
    }
    decode_utf16_exact(bytes)
}

/// UTF-16LE bytes to a string, refusing odd lengths and bad surrogates.
pub(crate) fn decode_utf16_exact(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    char::decode_utf16(utf16_units(bytes))
        .collect::<Result<String, _>>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_is_case_insensitive_by_upper_case_units() {
        assert_eq!(cmp_names("abc", "ABC"), Ordering::Equal);
        // '_' (0x5F) sorts after upper-case letters but before lower-case
        // ones; upper-casing first puts "a_" after "AZ".
        assert_eq!(cmp_names("a_", "AZ"), Ordering::Greater);
        assert_eq!(cmp_names("äb", "ÄA"), Ordering::Greater);
        assert!(names_equal("straße", "STRAßE"));
        assert!(!names_equal("strasse", "straße"));
    }

    #[test]
    fn hash_matches_definition() {
        assert_eq!(lh_hash(""), 0);
        assert_eq!(lh_hash("a"), 'A' as u32);
        assert_eq!(lh_hash("ab"), 37 * 'A' as u32 + 'B' as u32);
    }

    #[test]
    fn names_compress_only_below_u0100() {
        assert!(encode_name("abcd_äöüß").compressed);
        let weird = encode_name("weird™");
        assert!(!weird.compressed);
        assert_eq!(weird.bytes.len(), 12);
        assert_eq!(decode_name(&weird.bytes, false).as_deref(), Some("weird™"));
        assert_eq!(decode_name(&[0x41, 0], false).as_deref(), Some("A"));
        assert_eq!(decode_name(&[0x41], false), None);
        assert_eq!(decode_name(&[0x00, 0xD8], false), None);
    }
}

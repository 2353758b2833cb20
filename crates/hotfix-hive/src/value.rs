//! Registry values and their on-disk byte encodings.

use crate::format::utf16_units;

/// `REG_NONE`.
pub const REG_NONE: u32 = 0;
/// `REG_SZ`.
pub const REG_SZ: u32 = 1;
/// `REG_EXPAND_SZ`.
pub const REG_EXPAND_SZ: u32 = 2;
/// `REG_BINARY`.
pub const REG_BINARY: u32 = 3;
/// `REG_DWORD` (little-endian).
pub const REG_DWORD: u32 = 4;
/// `REG_DWORD_BIG_ENDIAN`.
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
/// `REG_LINK`.
pub const REG_LINK: u32 = 6;
/// `REG_MULTI_SZ`.
pub const REG_MULTI_SZ: u32 = 7;
/// `REG_QWORD` (little-endian).
pub const REG_QWORD: u32 = 11;

/// A registry value's type and data.
///
/// # Encodings
///
/// * `REG_SZ` / `REG_EXPAND_SZ`: UTF-16LE followed by one NUL unit. Reading
///   stops at the first NUL (bytes after it are dropped), a missing NUL is
///   tolerated and an odd trailing byte is ignored.
/// * `REG_LINK`: UTF-16LE **without** a terminator (that is how the kernel
///   stores `SymbolicLinkValue`); trailing NULs are stripped when reading.
/// * `REG_MULTI_SZ`: every string followed by one NUL unit, then one more NUL
///   unit that ends the list. An empty string is therefore a lone NUL between
///   its neighbours: `["a", "", "b"]` is `a\0 \0 b\0 \0`. The empty list is a
///   single NUL unit. Reading drops one final list-terminating NUL if the
///   data ends with two NULs, then splits on NUL, each NUL ending one string.
///   This makes `from_raw(to_raw(v)) == v` for every list, trailing empty
///   strings included (`["a", ""]` is `a\0 \0 \0`).
///
///   **The one ambiguity** is data whose writer left out the list terminator
///   while its last string was empty: `a\0 \0` could be `["a"]` properly
///   terminated or `["a", ""]` unterminated. We read it as `["a"]`, because
///   every Windows writer adds the terminator. Data without any trailing NUL
///   (`a\0 b`) is read as `["a", "b"]`.
/// * `REG_DWORD`, `REG_DWORD_BIG_ENDIAN`, `REG_QWORD`: exactly 4, 4 and 8
///   bytes.
///
/// The tolerated irregularities above (a missing NUL, bytes after a
/// string's first NUL, an odd trailing byte) are normalised away: such data
/// is rewritten in the canonical form. Data that cannot be decoded as its
/// type at all (a DWORD of 3 bytes, a string with an unpaired surrogate,
/// `REG_NONE` with data, an unknown type) is kept as [`Value::Other`] with
/// its exact bytes. Either way `to_raw(from_raw(k, d))` is a fixed point:
/// decoding it again gives the same value. Strings must not contain NUL
/// characters (their encoding could not carry them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `REG_NONE` without data.
    None,
    /// `REG_SZ`.
    Sz(String),
    /// `REG_EXPAND_SZ` (`%SystemRoot%`-style references unexpanded).
    ExpandSz(String),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_DWORD_BIG_ENDIAN`.
    DwordBigEndian(u32),
    /// `REG_LINK` (a symbolic link target, as a native path).
    Link(String),
    /// `REG_MULTI_SZ`; empty strings are allowed and preserved.
    MultiSz(Vec<String>),
    /// `REG_QWORD`.
    Qword(u64),
    /// Any other type, or data that does not fit its type; bytes kept as is.
    Other {
        /// The registry type number.
        kind: u32,
        /// The raw data.
        data: Vec<u8>,
    },
}

impl Value {
    /// The registry type number (`REG_*`).
    pub fn kind(&self) -> u32 {
        match self {
            Value::None => REG_NONE,
            Value::Sz(_) => REG_SZ,
            Value::ExpandSz(_) => REG_EXPAND_SZ,
            Value::Binary(_) => REG_BINARY,
            Value::Dword(_) => REG_DWORD,
            Value::DwordBigEndian(_) => REG_DWORD_BIG_ENDIAN,
            Value::Link(_) => REG_LINK,
            Value::MultiSz(_) => REG_MULTI_SZ,
            Value::Qword(_) => REG_QWORD,
            Value::Other { kind, .. } => *kind,
        }
    }

    /// The data bytes as stored in a hive (see the module doc).
    pub fn to_raw(&self) -> Vec<u8> {
        match self {
            Value::None => Vec::new(),
            Value::Sz(s) | Value::ExpandSz(s) => {
                let mut out = utf16le(s);
                out.extend_from_slice(&[0, 0]);
                out
            }
            Value::Link(s) => utf16le(s),
            Value::Binary(data) | Value::Other { data, .. } => data.clone(),
            Value::Dword(n) => n.to_le_bytes().to_vec(),
            Value::DwordBigEndian(n) => n.to_be_bytes().to_vec(),
            Value::Qword(n) => n.to_le_bytes().to_vec(),
            Value::MultiSz(list) => {
                let mut out = Vec::new();
                for s in list {
                    out.extend(utf16le(s));
                    out.extend_from_slice(&[0, 0]);
                }
                out.extend_from_slice(&[0, 0]);
                out
            }
        }
    }

    /// Decodes stored data of type `kind`; never fails (see [`Value`] for the rules).
    pub fn from_raw(kind: u32, data: &[u8]) -> Value {
        let decoded = match kind {
            REG_NONE if data.is_empty() => Some(Value::None),
            REG_SZ => decode_sz(data).map(Value::Sz),
            REG_EXPAND_SZ => decode_sz(data).map(Value::ExpandSz),
            REG_BINARY => Some(Value::Binary(data.to_vec())),
            REG_DWORD => <[u8; 4]>::try_from(data)
                .ok()
                .map(|b| Value::Dword(u32::from_le_bytes(b))),
            REG_DWORD_BIG_ENDIAN => <[u8; 4]>::try_from(data)
                .ok()
                .map(|b| Value::DwordBigEndian(u32::from_be_bytes(b))),
            REG_QWORD => <[u8; 8]>::try_from(data)
                .ok()
                .map(|b| Value::Qword(u64::from_le_bytes(b))),
            REG_LINK => decode_link(data).map(Value::Link),
            REG_MULTI_SZ => decode_multi_sz(data).map(Value::MultiSz),
            _ => None,
        };
        decoded.unwrap_or_else(|| Value::Other {
            kind,
            data: data.to_vec(),
        })
    }

    /// The text of a `REG_SZ`, `REG_EXPAND_SZ` or `REG_LINK` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Sz(s) | Value::ExpandSz(s) | Value::Link(s) => Some(s),
            _ => None,
        }
    }

    /// The number of a `REG_DWORD` or `REG_DWORD_BIG_ENDIAN` value.
    pub fn as_dword(&self) -> Option<u32> {
        match self {
            Value::Dword(n) | Value::DwordBigEndian(n) => Some(*n),
            _ => None,
        }
    }

    /// The strings of a `REG_MULTI_SZ` value.
    pub fn as_multi_sz(&self) -> Option<&[String]> {
        match self {
            Value::MultiSz(list) => Some(list),
            _ => None,
        }
    }
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn units(data: &[u8]) -> Vec<u16> {
    utf16_units(data).collect()
}

fn decode_sz(data: &[u8]) -> Option<String> {
    let units = units(data);
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16(&units[..end]).ok()
}

fn decode_link(data: &[u8]) -> Option<String> {
    let units = units(data);
    let end = units.iter().rposition(|&u| u != 0).map_or(0, |i| i + 1);
    let text = String::from_utf16(&units[..end]).ok()?;
    // An inner NUL could not survive re-encoding; keep such data raw.
    (!text.contains('\0')).then_some(text)
}

fn decode_multi_sz(data: &[u8]) -> Option<Vec<String>> {
    let mut units = units(data);
    if units.len() <= 1 && units.first().is_none_or(|&u| u == 0) {
        return Some(Vec::new());
    }
    if units.ends_with(&[0, 0]) {
        units.pop();
    }
    if units.last() == Some(&0) {
        units.pop();
    }
    units
        .split(|&u| u == 0)
        .map(|s| String::from_utf16(s).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msz(list: &[&str]) -> Value {
        Value::MultiSz(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn multi_sz_with_empty_strings_round_trips() {
        let pfro = msz(&["\\??\\C:\\a.new", "", "\\??\\C:\\b.new", "!\\??\\C:\\b"]);
        assert_eq!(Value::from_raw(7, &pfro.to_raw()), pfro);
        for list in [
            &[][..],
            &[""],
            &["", ""],
            &["a", ""],
            &["", "a"],
            &["a", "", "", "b", ""],
        ] {
            let v = msz(list);
            assert_eq!(Value::from_raw(7, &v.to_raw()), v, "{list:?}");
        }
        assert_eq!(msz(&["a", "", "b"]).to_raw(), b"a\0\0\0\0\0b\0\0\0\0\0");
        assert_eq!(msz(&[]).to_raw(), b"\0\0");
    }

    #[test]
    fn multi_sz_tolerates_missing_terminators() {
        assert_eq!(Value::from_raw(7, b"a\0\0\0b\0"), msz(&["a", "b"]));
        assert_eq!(Value::from_raw(7, b"a\0\0\0b\0\0\0"), msz(&["a", "b"]));
        assert_eq!(Value::from_raw(7, b"a\0\0\0"), msz(&["a"]));
        assert_eq!(Value::from_raw(7, b""), msz(&[]));
    }

    #[test]
    fn strings_tolerate_missing_and_extra_nuls() {
        assert_eq!(Value::from_raw(1, b"a\0b\0"), Value::Sz("ab".into()));
        assert_eq!(
            Value::from_raw(1, b"a\0b\0\0\0\0\0"),
            Value::Sz("ab".into())
        );
        assert_eq!(
            Value::from_raw(2, b"a\0b\0\0"),
            Value::ExpandSz("ab".into())
        );
        assert_eq!(Value::from_raw(6, b"a\0b\0\0\0"), Value::Link("ab".into()));
        assert_eq!(Value::Link("ab".into()).to_raw(), b"a\0b\0");
        assert_eq!(
            Value::from_raw(1, &[0x00, 0xD8]),
            Value::Other {
                kind: 1,
                data: vec![0x00, 0xD8]
            }
        );
    }

    #[test]
    fn fixed_size_types_keep_bad_lengths_raw() {
        assert_eq!(Value::from_raw(4, &[1, 0, 0, 0]), Value::Dword(1));
        assert_eq!(Value::from_raw(5, &[0, 0, 0, 1]), Value::DwordBigEndian(1));
        assert_eq!(
            Value::from_raw(11, &[2, 0, 0, 0, 0, 0, 0, 0]),
            Value::Qword(2)
        );
        assert_eq!(
            Value::from_raw(4, &[1, 0, 0]),
            Value::Other {
                kind: 4,
                data: vec![1, 0, 0]
            }
        );
        assert_eq!(Value::from_raw(0, &[]), Value::None);
        assert_eq!(Value::from_raw(0, &[1]).kind(), 0);
    }
}

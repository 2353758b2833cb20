//! Bytes to text: UTF-16LE with BOM, UTF-8 with or without BOM, otherwise
//! Windows-1252 (the ANSI code page of Western XP installs).

use crate::InfError;

/// Unicode for the bytes 0x80..=0x9F in Windows-1252. The five undefined
/// bytes map to the matching C1 control, as MultiByteToWideChar does.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}', '\u{017D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{9D}', '\u{017E}', '\u{0178}',
];

/// Decodes an INF file's bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, InfError> {
    if let Some(body) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16le(body, 2);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(InfError::Encoding {
            offset: 0,
            problem: "UTF-16 big-endian is not supported by SetupAPI".into(),
        });
    }
    if let Some(body) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(body) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => Err(InfError::Encoding {
                offset: 3 + e.valid_up_to(),
                problem: "invalid UTF-8 after a UTF-8 byte order mark".into(),
            }),
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => Ok(bytes.iter().map(|&b| cp1252(b)).collect()),
    }
}

fn cp1252(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn decode_utf16le(body: &[u8], base: usize) -> Result<String, InfError> {
    if !body.len().is_multiple_of(2) {
        return Err(InfError::Encoding {
            offset: base + body.len() - 1,
            problem: "UTF-16LE text has an odd number of bytes".into(),
        });
    }
    let units = body
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    let mut text = String::with_capacity(body.len() / 2);
    let mut unit_index = 0usize;
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => {
                unit_index += c.len_utf16();
                text.push(c);
            }
            Err(_) => {
                return Err(InfError::Encoding {
                    offset: base + unit_index * 2,
                    problem: "unpaired UTF-16 surrogate".into(),
                });
            }
        }
    }
    Ok(text)
}

/// Encodes text the way Windows stores a Unicode INF: UTF-16LE with a BOM.
pub(crate) fn encode_utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(decode(b"a\xE9b").unwrap(), "a\u{e9}b");
        assert_eq!(decode(b"\x80").unwrap(), "\u{20AC}");
        assert_eq!(decode("é".as_bytes()).unwrap(), "é");
        assert_eq!(
            decode(&encode_utf16le("xé\u{1F600}")).unwrap(),
            "xé\u{1F600}"
        );
        let e = decode(&[0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0]).unwrap_err();
        assert_eq!(
            e,
            InfError::Encoding {
                offset: 4,
                problem: "unpaired UTF-16 surrogate".into()
            }
        );
        assert!(matches!(
            decode(&[0xFF, 0xFE, b'a']),
            Err(InfError::Encoding { offset: 2, .. })
        ));
        assert!(matches!(
            decode(&[0xEF, 0xBB, 0xBF, b'a', 0xFF]),
            Err(InfError::Encoding { offset: 4, .. })
        ));
    }
}

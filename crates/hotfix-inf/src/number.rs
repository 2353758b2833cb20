//! Numeric fields: decimal, or hexadecimal with a `0x` prefix.

use crate::{InfError, invalid};

/// Parses a numeric INF field. A leading `-` wraps, as `strtoul` does
/// (`-1` is 0xFFFFFFFF). SetupAPI itself uses C's base-0 rules, where a
/// leading `0` means octal; update.inf files do not rely on that, so a
/// leading zero is read as decimal here.
pub fn parse_u32(text: &str) -> Option<u32> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()?
        }
        Some(_) => return None,
        None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        None => return None,
    };
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// A flags field of line `line`: empty is 0, otherwise a number;
/// `what` names the field in the error.
pub(crate) fn parse_flags(text: &str, line: usize, what: &str) -> Result<u32, InfError> {
    match text.trim() {
        "" => Ok(0),
        text => parse_u32(text)
            .ok_or_else(|| invalid(line, format!("{what} {text:?} are not a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_u32;

    #[test]
    fn numbers() {
        assert_eq!(parse_u32("512"), Some(512));
        assert_eq!(parse_u32(" 0x00010001 "), Some(0x10001));
        assert_eq!(parse_u32("0X1f"), Some(31));
        assert_eq!(parse_u32("-1"), Some(u32::MAX));
        assert_eq!(parse_u32("0010"), Some(10));
        for bad in ["", "0x", "12a", "+1", "4294967296", "0xFFFFFFFFF"] {
            assert_eq!(parse_u32(bad), None, "{bad}");
        }
    }
}

//! The optional-header CheckSum: a 16-bit ones'-complement sum of the file's
//! little-endian words (the CheckSum field itself counted as zero), plus the
//! file length.

use crate::headers::{CHECKSUM_IN_OPTIONAL, OPTIONAL_FROM_SIGNATURE, pe_offset};

/// Computes the PE CheckSum of `bytes` the way imagehlp's CheckSumMappedFile
/// does, treating the CheckSum field as zero. For input that is not a PE file
/// (no usable e_lfanew), nothing is skipped.
pub fn checksum(bytes: &[u8]) -> u32 {
    let field = pe_offset(bytes)
        .ok()
        .map(|pe| pe + OPTIONAL_FROM_SIGNATURE + CHECKSUM_IN_OPTIONAL)
        .filter(|&at| at + 4 <= bytes.len());
    let sum = match field {
        None => sum_dwords(bytes),
        Some(at) => {
            // Sum around an 8-byte window that holds the field, keeping the
            // pieces 4-aligned so their word boundaries match the whole file's.
            let window_start = at & !3;
            let window_end = (window_start + 8).min(bytes.len());
            let mut window = [0u8; 8];
            let window_len = window_end - window_start;
            window[..window_len].copy_from_slice(&bytes[window_start..window_end]);
            window[at - window_start..at - window_start + 4].fill(0);
            sum_dwords(&bytes[..window_start])
                + sum_dwords(&window[..window_len])
                + sum_dwords(&bytes[window_end..])
        }
    };
    u32::from(fold16(sum)).wrapping_add(bytes.len() as u32)
}

/// Sums little-endian 32-bit words (a short tail is zero-padded), folded to 32
/// bits. Folding to 16 bits later gives the same ones'-complement result as
/// adding 16-bit words one at a time, since 2^16 and 2^32 are both 1 modulo
/// 0xFFFF.
fn sum_dwords(bytes: &[u8]) -> u64 {
    let mut total: u64 = 0;
    // 1 MiB pieces: 2^18 words of < 2^32 each cannot overflow a u64.
    for piece in bytes.chunks(1 << 20) {
        let mut words = piece.chunks_exact(4);
        let mut sum: u64 = words
            .by_ref()
            .map(|w| u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
            .sum();
        let tail = words.remainder();
        let mut last = [0u8; 4];
        last[..tail.len()].copy_from_slice(tail);
        sum += u64::from(u32::from_le_bytes(last));
        total = fold32(total + fold32(sum));
    }
    total
}

fn fold32(mut x: u64) -> u64 {
    while x > 0xFFFF_FFFF {
        x = (x & 0xFFFF_FFFF) + (x >> 32);
    }
    x
}

fn fold16(mut x: u64) -> u16 {
    while x > 0xFFFF {
        x = (x & 0xFFFF) + (x >> 16);
    }
    x as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_words_with_end_around_carry_plus_length() {
        assert_eq!(checksum(&[]), 0);
        assert_eq!(checksum(&[1, 0, 2, 0]), 3 + 4);
        assert_eq!(checksum(&[0xFF]), 0xFF + 1);
        // 0xFFFF + 0xFFFF = 0x1FFFE, folded to 0xFFFF.
        assert_eq!(checksum(&[0xFF; 4]), 0xFFFF + 4);
        // Word sums beyond one 1 MiB piece fold the same way.
        let big = vec![0xFFu8; (1 << 20) + 6];
        assert_eq!(checksum(&big), 0xFFFF + big.len() as u32);
    }

    #[test]
    fn skips_the_checksum_field_at_any_alignment() {
        for lfanew in [0x40usize, 0x42, 0x43] {
            let mut file = vec![0u8; 0x200];
            file[..2].copy_from_slice(b"MZ");
            file[0x3C..0x40].copy_from_slice(&(lfanew as u32).to_le_bytes());
            file[lfanew..lfanew + 4].copy_from_slice(b"PE\0\0");
            let before = checksum(&file);
            let field = lfanew + 24 + CHECKSUM_IN_OPTIONAL;
            file[field..field + 4].copy_from_slice(&[0xAB; 4]);
            assert_eq!(checksum(&file), before, "e_lfanew {lfanew:#x}");
        }
    }
}

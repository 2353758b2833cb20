//! A deterministic mutator for the smoke test: the classic byte-level
//! mutations of coverage-guided fuzzers, without the coverage feedback.

/// xorshift64*: small, fast and reproducible from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator; any seed works (zero is remapped).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Values that sit on the edges of size and offset checks.
const INTERESTING_U32: [u32; 8] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
];

/// Largest input the smoke test builds; parsers must handle it, the
/// mutator just keeps growth in check.
pub const MAX_INPUT: usize = 1 << 20;

/// One to four stacked mutations of `input`; `other` is a second corpus file
/// for splicing.
pub fn mutate(input: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        mutate_once(&mut out, other, rng);
    }
    out.truncate(MAX_INPUT);
    out
}

fn mutate_once(out: &mut Vec<u8>, other: &[u8], rng: &mut Rng) {
    let len = out.len();
    match rng.below(9) {
        0 if len > 0 => {
            let at = rng.below(len);
            out[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            out[at] = rng.next_u64() as u8;
        }
        2 => {
            let at = rng.below(len + 1);
            let count = 1 + rng.below(16);
            let fill = rng.next_u64() as u8;
            out.splice(at..at, std::iter::repeat_n(fill, count));
        }
        3 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(16)).min(len);
            out.drain(at..end);
        }
        4 => out.truncate(rng.below(len + 1)),
        5 if !other.is_empty() => {
            // Splice: a prefix of this input, then a suffix of the other.
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            out.truncate(cut);
            out.extend_from_slice(&other[from..]);
        }
        6 if len >= 4 => {
            let value = INTERESTING_U32[rng.below(INTERESTING_U32.len())];
            let at = rng.below(len - 3);
            out[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        7 if len >= 2 => {
            let value = [0u16, 0xff, 0x7fff, 0x8000, 0xffff][rng.below(5)];
            let at = rng.below(len - 1);
            out[at..at + 2].copy_from_slice(&value.to_le_bytes());
        }
        8 if len > 1 => {
            // Copy a chunk of the input over another place in it, which
            // repeats structures (entries, cells, lines) the way real
            // fuzzers' "copy part" mutation does.
            let from = rng.below(len);
            let to = rng.below(len);
            let count = (1 + rng.below(64)).min(len - from).min(len - to);
            out.copy_within(from..from + count, to);
        }
        _ => out.push(rng.next_u64() as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_mutations() {
        let input = b"MSCF\0\0\0\0 some bytes to mutate";
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..100)
                .map(|_| mutate(input, b"other", &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}

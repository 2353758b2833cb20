//! Deterministic stand-in contents for synthesised files.
//!
//! Real system binaries deflate to roughly half their size: code and data mix
//! fresh bytes with repeats of nearby ones (prologues, import thunks, tables,
//! alignment padding). The filler imitates that cheaply: it alternates runs of
//! pseudo-random bytes with copies of earlier output from within deflate's
//! 32 KiB window and short runs of padding bytes. Everything is bulk writes and
//! `copy_within`; `benches/build_speed.rs` measures a whole build (filler and
//! CheckSum) at about 1 GB/s.

/// Longest look-back for copies, inside deflate's 32 KiB window.
const MAX_DISTANCE: u64 = 30_000;

/// A splitmix64 generator: tiny, fast, and plenty for filler bytes.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Fills `out` with bytes determined by `seed` alone.
pub(crate) fn fill(out: &mut [u8], seed: u64) {
    let mut rng = SplitMix(seed ^ 0x6869_7466_6978_7065);
    let mut pos = 0;
    while pos < out.len() {
        let r = rng.next();
        // 16..=136 bytes, a multiple of 8 so random runs are whole words.
        let want = 16 + 8 * ((r >> 8) & 15) as usize;
        let n = want.min(out.len() - pos);
        match r & 7 {
            // Half the runs are copies of recent output, once there is some.
            0..=3 if pos >= 1024 => {
                let span = (pos as u64).min(MAX_DISTANCE) - n as u64;
                let distance = n + ((r >> 16) % span) as usize;
                out.copy_within(pos - distance..pos - distance + n, pos);
            }
            // Padding between functions (int3 or zero runs).
            4 => {
                let byte = if r & 0x8000 != 0 { 0xCC } else { 0x00 };
                out[pos..pos + n / 4].fill(byte);
                random_words(&mut out[pos + n / 4..pos + n], &mut rng);
            }
            _ => random_words(&mut out[pos..pos + n], &mut rng),
        }
        pos += n;
    }
}

/// `len` bytes from an xorshift stream: the contents of a stand-in
/// unversioned data file, deterministic and incompressible enough that sizes
/// on disk are real.
pub fn data_file(seed: u64, len: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    while (out.len() as u64) < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let take = (len - out.len() as u64).min(8) as usize;
        out.extend_from_slice(&state.to_le_bytes()[..take]);
    }
    out
}

fn random_words(out: &mut [u8], rng: &mut SplitMix) {
    let mut words = out.chunks_exact_mut(8);
    for word in words.by_ref() {
        word.copy_from_slice(&rng.next().to_le_bytes());
    }
    let tail = words.into_remainder();
    let last = rng.next().to_le_bytes();
    tail.copy_from_slice(&last[..tail.len()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let mut a = vec![0u8; 100_000];
        let mut b = vec![0u8; 100_000];
        fill(&mut a, 7);
        fill(&mut b, 7);
        assert_eq!(a, b);
        let mut c = vec![0u8; 100_000];
        fill(&mut c, 8);
        assert_ne!(a, c);
    }

    #[test]
    fn every_length_fills() {
        for len in 0..2000 {
            let mut buf = vec![0u8; len];
            fill(&mut buf, len as u64);
        }
    }
}

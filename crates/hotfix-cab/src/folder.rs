//! Folder data: checksums and decompression of CFDATA blocks, with a cursor
//! that keeps decoder state so a folder's entries can be read in order
//! without decompressing the folder again for each one.

use std::ops::Range;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

use crate::Method;
use crate::cabinet::{BlockSource, MAX_BLOCK_LEN};

/// Deflate back-references reach at most this far.
const DEFLATE_WINDOW: usize = 0x8000;

/// One validated data block; all ranges lie inside the cabinet.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) header_offset: usize,
    pub(crate) checksum: u32,
    /// Start of the block's reserved area, which the checksum covers.
    pub(crate) reserve_start: usize,
    pub(crate) data: Range<usize>,
    /// Folder offset of the block's first uncompressed byte.
    pub(crate) start: u64,
    pub(crate) uncompressed: usize,
}

/// One folder: a compression stream made of data blocks.
#[derive(Debug)]
pub(crate) struct Folder {
    pub(crate) entry_offset: usize,
    pub(crate) data_offset: usize,
    pub(crate) block_count: usize,
    pub(crate) method: Method,
    pub(crate) lzx_window: Option<lzxd::WindowSize>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) uncompressed_len: u64,
}

enum Decoder {
    Stored,
    MsZip { history: Vec<u8> },
    Lzx(Box<lzxd::Lzxd>),
}

/// Position in one folder's uncompressed stream: the most recently decoded
/// block and the decoder state needed for the blocks after it.
pub(crate) struct FolderCursor {
    folder: usize,
    next_block: usize,
    /// Folder offset of `window[0]`.
    window_start: u64,
    window: Vec<u8>,
    decoder: Decoder,
}

impl FolderCursor {
    /// A cursor for `folder` (not Quantum) from which folder offset `start`
    /// can be read. Compressed data is decoded from the folder's first block,
    /// since blocks refer back to earlier output; stored data skips straight to
    /// the block holding `start`, so a damaged block only affects its entries.
    pub(crate) fn new(index: usize, folder: &Folder, start: u64) -> Self {
        let mut cursor = FolderCursor {
            folder: index,
            next_block: 0,
            window_start: 0,
            window: Vec::new(),
            decoder: match folder.lzx_window {
                Some(window) => Decoder::Lzx(Box::new(lzxd::Lzxd::new(window))),
                None if folder.method == Method::MsZip => Decoder::MsZip {
                    history: Vec::new(),
                },
                None => Decoder::Stored,
            },
        };
        if matches!(cursor.decoder, Decoder::Stored) {
            cursor.seek(folder, start);
        }
        cursor
    }

    /// Stored data carries no decoder state: moves to the block holding
    /// folder offset `start` (the first that ends after it) without reading
    /// the blocks in between.
    fn seek(&mut self, folder: &Folder, start: u64) {
        let skip = folder
            .blocks
            .partition_point(|b| b.start + b.uncompressed as u64 <= start);
        self.next_block = skip;
        self.window_start = folder
            .blocks
            .get(skip)
            .map_or(folder.uncompressed_len, |b| b.start);
        self.window.clear();
    }

    /// Whether bytes from folder offset `start` on are still ahead of the cursor.
    pub(crate) fn can_reach(&self, folder: usize, start: u64) -> bool {
        self.folder == folder && self.window_start <= start
    }

    /// Decodes up to the block holding folder offset `start` and returns
    /// the part of [`FolderCursor::window`] from `start` on, at most `len`
    /// bytes. Errors name the block and offset.
    pub(crate) fn chunk(
        &mut self,
        cab: &BlockSource<'_>,
        folder: &Folder,
        start: u64,
        len: u64,
    ) -> Result<Range<usize>, String> {
        loop {
            let window_end = self.window_start + self.window.len() as u64;
            if (self.window_start..window_end).contains(&start) {
                let from = (start - self.window_start) as usize;
                let to = (window_end.min(start + len) - self.window_start) as usize;
                return Ok(from..to);
            }
            // A shared cursor may be many blocks behind `start`.
            if matches!(self.decoder, Decoder::Stored) && start >= window_end {
                self.seek(folder, start);
            }
            self.decode_next(cab, folder)?;
        }
    }

    /// Bytes of the most recently decoded block.
    pub(crate) fn window(&self, range: Range<usize>) -> &[u8] {
        &self.window[range]
    }

    fn decode_next(&mut self, cab: &BlockSource<'_>, folder: &Folder) -> Result<(), String> {
        let index = self.next_block;
        let Some(block) = folder.blocks.get(index) else {
            return Err(format!(
                "folder data ends at uncompressed offset {}",
                self.window_start + self.window.len() as u64
            ));
        };
        let at = |problem: String| {
            format!(
                "data block {index} at byte offset {}: {problem}",
                block.header_offset
            )
        };
        let mut raw = cab
            .read(
                block.reserve_start,
                block.data.end - block.reserve_start,
                "data block",
            )
            .map_err(|e| at(e.to_string()))?;
        if block.checksum != 0 {
            let computed = block_checksum(&raw, block.data.len(), block.uncompressed);
            if computed != block.checksum {
                return Err(at(format!(
                    "checksum mismatch (stored {:08x}, computed {computed:08x})",
                    block.checksum
                )));
            }
        }
        let input = &raw[block.data.start - block.reserve_start..];
        let decoded = match &mut self.decoder {
            Decoder::Stored => {
                // Reuse the read buffer: only a reserved area has to go.
                raw.drain(..block.data.start - block.reserve_start);
                raw
            }
            Decoder::MsZip { history } => {
                inflate_mszip(history, input, block.uncompressed).map_err(at)?
            }
            Decoder::Lzx(lzx) => {
                let output = lzx
                    .decompress_next(input, block.uncompressed)
                    .map_err(|e| at(format!("LZX data is corrupt: {e}")))?;
                if output.len() != block.uncompressed {
                    return Err(at(format!(
                        "LZX data decodes to {} bytes, not the declared {}",
                        output.len(),
                        block.uncompressed
                    )));
                }
                output.to_vec()
            }
        };
        self.window_start += self.window.len() as u64;
        self.window = decoded;
        self.next_block += 1;
        Ok(())
    }
}

/// Inflates one MSZIP block: `CK`, then a deflate stream that may refer back
/// into the previous blocks' output (`history`, kept to the last 32 KiB).
fn inflate_mszip(history: &mut Vec<u8>, input: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let Some(stream) = input.strip_prefix(b"CK") else {
        return Err("MSZIP block does not start with 'CK'".into());
    };
    let keep = history.len();
    // One spare byte: with exactly `expected` bytes of room the inflater may
    // stop with "needs more output" before it reads the end-of-block code,
    // and the spare byte also catches a block that inflates to too much.
    let mut buffer = Vec::with_capacity(keep + expected.min(MAX_BLOCK_LEN) + 1);
    buffer.extend_from_slice(history);
    buffer.resize(keep + expected + 1, 0);
    let mut inflater = Box::<DecompressorOxide>::default();
    let (status, _, written) = decompress(
        &mut inflater,
        stream,
        &mut buffer,
        keep,
        inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    match status {
        TINFLStatus::Done if written == expected => {}
        TINFLStatus::Done => {
            return Err(format!(
                "MSZIP block inflates to {written} bytes, not the declared {expected}"
            ));
        }
        TINFLStatus::HasMoreOutput => {
            return Err(format!(
                "MSZIP block inflates to more than the declared {expected} bytes"
            ));
        }
        other => {
            return Err(format!(
                "MSZIP deflate data is corrupt ({other:?} after {written} bytes)"
            ));
        }
    }
    buffer.truncate(keep + expected);
    let out = buffer[keep..].to_vec();
    let drop = buffer.len().saturating_sub(DEFLATE_WINDOW);
    buffer.drain(..drop);
    *history = buffer;
    Ok(out)
}

/// The MS-CAB data block checksum: XOR of the little-endian 32-bit words of
/// the block's reserved area and data (`covered`; a 1 to 3 byte tail is packed
/// high byte first), then of the two size fields as one word.
pub(crate) fn block_checksum(covered: &[u8], compressed: usize, uncompressed: usize) -> u32 {
    let mut chunks = covered.chunks_exact(4);
    let words = chunks.by_ref().fold(0u32, |sum, word| {
        sum ^ u32::from_le_bytes([word[0], word[1], word[2], word[3]])
    });
    let tail = chunks
        .remainder()
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    words ^ tail ^ (compressed as u32 | (uncompressed as u32) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_known_values() {
        // Values from the `cab` crate's tests, which derive from the MS-CAB spec.
        let data = b"Hello, world!\n";
        assert_eq!(block_checksum(data, 14, 14), 0x7f2e_1a4c);
        let data = b"Hello, world!\nSee you later!\n";
        assert_eq!(block_checksum(data, 29, 29), 0x3509_541a);
    }
}

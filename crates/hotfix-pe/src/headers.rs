//! The DOS, COFF and optional headers and the section table: just enough to map
//! RVAs to file offsets, find the resource directory and the end of the image.

use std::ops::Range;

use crate::PeError;

/// A file's bytes: all of them, or only the ranges a version read needed
/// (`sparse.rs`).
pub(crate) trait FileBytes {
    /// The length of the whole file.
    fn file_len(&self) -> usize;
    /// The bytes of `range`, or None when they are past the end of the file
    /// or not held.
    fn range(&self, range: Range<usize>) -> Option<&[u8]>;
}

impl FileBytes for [u8] {
    fn file_len(&self) -> usize {
        self.len()
    }
    fn range(&self, range: Range<usize>) -> Option<&[u8]> {
        self.get(range)
    }
}

/// Offset of `e_lfanew` in the DOS header.
const E_LFANEW: usize = 0x3c;
/// Size of the COFF file header that follows the `PE\0\0` signature.
const COFF_HEADER_LEN: usize = 20;
/// Size of one section-table entry.
const SECTION_LEN: usize = 40;
/// Offset of the optional header from the `PE\0\0` signature.
pub(crate) const OPTIONAL_FROM_SIGNATURE: usize = 4 + COFF_HEADER_LEN;
/// Offset of CheckSum inside the optional header (same for PE32 and PE32+).
pub(crate) const CHECKSUM_IN_OPTIONAL: usize = 64;
/// Index of the resource table among the data directories.
const RESOURCE_DIRECTORY: u32 = 2;

pub(crate) fn u16_at(bytes: &[u8], offset: usize, what: &'static str) -> Result<u16, PeError> {
    match bytes.get(offset..offset.saturating_add(2)) {
        Some(&[a, b]) => Ok(u16::from_le_bytes([a, b])),
        _ => Err(truncated(bytes, offset, what)),
    }
}

pub(crate) fn u32_at(bytes: &[u8], offset: usize, what: &'static str) -> Result<u32, PeError> {
    match bytes.get(offset..offset.saturating_add(4)) {
        Some(&[a, b, c, d]) => Ok(u32::from_le_bytes([a, b, c, d])),
        _ => Err(truncated(bytes, offset, what)),
    }
}

pub(crate) fn truncated(bytes: &[u8], offset: usize, what: &'static str) -> PeError {
    PeError::Truncated {
        offset: offset as u64,
        what,
        len: bytes.len() as u64,
    }
}

/// One section-table entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Section {
    pub virtual_address: u32,
    pub virtual_size: u32,
    pub raw_size: u32,
    pub raw_pointer: u32,
}

impl Section {
    /// Where the section's file data ends (saturating; may lie past EOF).
    fn raw_end(&self) -> u64 {
        u64::from(self.raw_pointer) + u64::from(self.raw_size)
    }
}

/// The parts of the headers the reader uses.
#[derive(Debug)]
pub(crate) struct Headers {
    pub size_of_headers: u32,
    /// (RVA, size) of the resource directory, if the image declares one.
    pub resource: Option<(u32, u32)>,
    pub sections: Vec<Section>,
}

/// Offset of the `PE\0\0` signature, if the DOS header is intact; used by
/// [`crate::checksum`] too.
pub(crate) fn pe_offset(bytes: &[u8]) -> Result<usize, PeError> {
    if bytes.get(..2) != Some(b"MZ") {
        return Err(PeError::NotPe {
            problem: "no MZ signature at offset 0".into(),
        });
    }
    let lfanew = u32_at(bytes, E_LFANEW, "DOS header e_lfanew")? as usize;
    match bytes.get(lfanew..lfanew.saturating_add(4)) {
        Some(b"PE\0\0") => Ok(lfanew),
        Some(_) => Err(PeError::NotPe {
            problem: format!("no PE signature at offset {lfanew:#x} (e_lfanew)"),
        }),
        None => Err(truncated(bytes, lfanew, "PE signature")),
    }
}

impl Headers {
    pub fn parse(bytes: &[u8]) -> Result<Self, PeError> {
        let pe = pe_offset(bytes)?;
        let coff = pe + 4;
        let section_count = u16_at(bytes, coff + 2, "COFF NumberOfSections")?;
        let optional_len = u16_at(bytes, coff + 16, "COFF SizeOfOptionalHeader")? as usize;
        let opt = pe + OPTIONAL_FROM_SIGNATURE;
        let magic = u16_at(bytes, opt, "optional header magic")?;
        // Offsets of NumberOfRvaAndSizes and of the data directories.
        let (count_at, dirs_at) = match magic {
            0x10b => (92, 96),
            0x20b => (108, 112),
            other => {
                return Err(PeError::NotPe {
                    problem: format!(
                        "optional header magic {other:#06x} at offset {opt:#x} is neither PE32 nor PE32+"
                    ),
                });
            }
        };
        let size_of_headers = u32_at(bytes, opt + 60, "optional header SizeOfHeaders")?;
        let dir_count = u32_at(bytes, opt + count_at, "optional header NumberOfRvaAndSizes")?;
        let resource_at = opt + dirs_at + 8 * RESOURCE_DIRECTORY as usize;
        let resource = if dir_count > RESOURCE_DIRECTORY && resource_at + 8 <= opt + optional_len {
            let rva = u32_at(bytes, resource_at, "resource data directory")?;
            let size = u32_at(bytes, resource_at + 4, "resource data directory")?;
            (rva != 0).then_some((rva, size))
        } else {
            None
        };
        let table = opt + optional_len;
        let table_end = table + usize::from(section_count) * SECTION_LEN;
        if table_end > bytes.len() {
            return Err(truncated(bytes, table, "section table"));
        }
        let mut sections = Vec::with_capacity(usize::from(section_count));
        for at in (table..table_end).step_by(SECTION_LEN) {
            sections.push(Section {
                virtual_size: u32_at(bytes, at + 8, "section VirtualSize")?,
                virtual_address: u32_at(bytes, at + 12, "section VirtualAddress")?,
                raw_size: u32_at(bytes, at + 16, "section SizeOfRawData")?,
                raw_pointer: u32_at(bytes, at + 20, "section PointerToRawData")?,
            });
        }
        Ok(Self {
            size_of_headers,
            resource,
            sections,
        })
    }

    /// File offset of `rva` and how many bytes of file data back it from there
    /// (clamped to a file of `file_len` bytes).
    fn locate(&self, file_len: usize, rva: u32) -> Option<(usize, usize)> {
        let file_len = file_len as u64;
        for s in &self.sections {
            let span = s.virtual_size.max(s.raw_size);
            let Some(delta) = rva.checked_sub(s.virtual_address) else {
                continue;
            };
            if delta >= span {
                continue;
            }
            if delta >= s.raw_size {
                return None; // zero-filled tail of the section, not in the file
            }
            let start = u64::from(s.raw_pointer) + u64::from(delta);
            let end = s.raw_end().min(file_len);
            return (start < end).then(|| (start as usize, (end - start) as usize));
        }
        // Not inside a section: the headers map 1:1.
        let start = u64::from(rva);
        let end = u64::from(self.size_of_headers).min(file_len);
        (start < end).then(|| (start as usize, (end - start) as usize))
    }

    /// The file range from `rva` to the end of its section's file data.
    pub fn range_from_rva(&self, file_len: usize, rva: u32) -> Option<Range<usize>> {
        let (start, available) = self.locate(file_len, rva)?;
        Some(start..start + available)
    }

    /// The `len` bytes at `rva`, with their file offset.
    pub fn slice_at_rva<'a, B: FileBytes + ?Sized>(
        &self,
        bytes: &'a B,
        rva: u32,
        len: usize,
        what: &'static str,
    ) -> Result<(&'a [u8], usize), PeError> {
        let Some((start, available)) = self.locate(bytes.file_len(), rva) else {
            return Err(PeError::Corrupt {
                offset: 0,
                problem: format!("{what} at RVA {rva:#x} is not backed by file data"),
            });
        };
        let truncated = || PeError::Truncated {
            offset: start as u64,
            what,
            len: bytes.file_len() as u64,
        };
        if len > available {
            return Err(truncated());
        }
        // Not held only in a sparse read, which then reads the whole file.
        let slice = bytes.range(start..start + len).ok_or_else(truncated)?;
        Ok((slice, start))
    }

    /// Everything from `rva` to the end of its section's file data.
    pub fn tail_at_rva<'a, B: FileBytes + ?Sized>(
        &self,
        bytes: &'a B,
        rva: u32,
        what: &'static str,
    ) -> Result<(&'a [u8], usize), PeError> {
        let available = self.locate(bytes.file_len(), rva).map_or(0, |(_, n)| n);
        self.slice_at_rva(bytes, rva, available.max(1), what)
    }
}

/// Where data appended to the image starts: the furthest end of any section's
/// file data, and at least `SizeOfHeaders`. Everything from there on (a CAB in a
/// self-extracting package, a signature) is not part of the mapped image.
///
/// `head` is the start of a file of `file_len` bytes; the headers and section
/// table are all it needs (`overlay_offset(&bytes, bytes.len() as u64)` for a
/// whole file).
pub fn overlay_offset(head: &[u8], file_len: u64) -> Result<u64, PeError> {
    let headers = Headers::parse(head)?;
    let end = headers
        .sections
        .iter()
        .filter(|s| s.raw_size != 0)
        .map(Section::raw_end)
        .fold(u64::from(headers.size_of_headers), u64::max);
    if end > file_len {
        return Err(PeError::Corrupt {
            offset: file_len,
            problem: format!("the image claims file data up to offset {end:#x}, past the end"),
        });
    }
    Ok(end)
}

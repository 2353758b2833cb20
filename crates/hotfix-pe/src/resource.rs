//! The three-level resource tree (type / name / language) down to the data of
//! the first RT_VERSION resource.
//!
//! The walk has a fixed depth, so a directory that points back at itself or an
//! ancestor cannot loop: at the third level it is rejected because a data entry
//! was expected there.

use crate::PeError;
use crate::headers::{FileBytes, Headers, u16_at, u32_at};

/// The resource type id of version resources.
const RT_VERSION: u32 = 16;
/// High bit of an entry's name (string name) or offset (subdirectory).
const HIGH_BIT: u32 = 0x8000_0000;
const DIRECTORY_LEN: usize = 16;
const ENTRY_LEN: usize = 8;

/// The bytes of a version resource and where they are.
#[derive(Debug)]
pub(crate) struct VersionData<'a> {
    pub bytes: &'a [u8],
    /// File offset of `bytes[0]`, for error messages.
    pub offset: usize,
    /// RVA of `bytes[0]`: structures inside are aligned relative to it.
    pub rva: u32,
}

/// The resource section from the resource directory's start, with its file offset.
struct Tree<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl Tree<'_> {
    /// The entries of the directory at `dir` (relative to the tree start):
    /// (name field, offset field) pairs, named entries first as stored.
    fn entries(&self, dir: u32) -> Result<impl Iterator<Item = (u32, u32)> + '_, PeError> {
        let dir = dir as usize;
        let named = self.u16(dir + 12, "resource directory")?;
        let ids = self.u16(dir + 14, "resource directory")?;
        let count = usize::from(named) + usize::from(ids);
        let first = dir + DIRECTORY_LEN;
        if first + count * ENTRY_LEN > self.bytes.len() {
            return Err(PeError::Corrupt {
                offset: (self.offset + dir) as u64,
                problem: format!(
                    "resource directory lists {count} entries, more than the section holds"
                ),
            });
        }
        let entries = self.bytes[first..first + count * ENTRY_LEN].chunks_exact(ENTRY_LEN);
        Ok(entries.map(|e| {
            let word = |i: usize| u32::from_le_bytes([e[i], e[i + 1], e[i + 2], e[i + 3]]);
            (word(0), word(4))
        }))
    }

    fn past_end(&self, rel: usize, what: &str) -> PeError {
        PeError::Corrupt {
            offset: self.offset.saturating_add(rel) as u64,
            problem: format!("{what} runs past the end of the resource section"),
        }
    }

    fn u16(&self, rel: usize, what: &str) -> Result<u16, PeError> {
        u16_at(self.bytes, rel, "").map_err(|_| self.past_end(rel, what))
    }

    fn u32(&self, rel: usize, what: &str) -> Result<u32, PeError> {
        u32_at(self.bytes, rel, "").map_err(|_| self.past_end(rel, what))
    }

    /// Follows an entry's offset field, which must point at a subdirectory.
    fn subdirectory(&self, dir: u32, offset_field: u32) -> Result<u32, PeError> {
        if offset_field & HIGH_BIT == 0 {
            return Err(PeError::Corrupt {
                offset: (self.offset + dir as usize) as u64,
                problem: "resource entry points at data where a subdirectory belongs".into(),
            });
        }
        Ok(offset_field & !HIGH_BIT)
    }
}

/// Finds the first RT_VERSION resource (first name, first language).
pub(crate) fn find_version<'a, B: FileBytes + ?Sized>(
    bytes: &'a B,
    headers: &Headers,
) -> Result<VersionData<'a>, PeError> {
    let Some((root_rva, _)) = headers.resource else {
        return Err(PeError::NoVersionResource);
    };
    let (tree_bytes, offset) = headers.tail_at_rva(bytes, root_rva, "resource directory")?;
    let tree = Tree {
        bytes: tree_bytes,
        offset,
    };
    let type_entry = tree
        .entries(0)?
        .find(|&(name, _)| name == RT_VERSION)
        .map(|(_, target)| target);
    let Some(type_entry) = type_entry else {
        return Err(PeError::NoVersionResource);
    };
    let names = tree.subdirectory(0, type_entry)?;
    let Some((_, name_entry)) = tree.entries(names)?.next() else {
        return Err(PeError::NoVersionResource);
    };
    let languages = tree.subdirectory(names, name_entry)?;
    let Some((_, data_entry)) = tree.entries(languages)?.next() else {
        return Err(PeError::NoVersionResource);
    };
    if data_entry & HIGH_BIT != 0 {
        return Err(PeError::Corrupt {
            offset: (offset + languages as usize) as u64,
            problem: "resource tree is deeper than type/name/language (a loop?)".into(),
        });
    }
    let entry = data_entry as usize;
    let data_rva = tree.u32(entry, "resource data entry")?;
    let size = tree.u32(entry + 4, "resource data entry")?;
    let (data, data_offset) =
        headers.slice_at_rva(bytes, data_rva, size as usize, "version resource data")?;
    Ok(VersionData {
        bytes: data,
        offset: data_offset,
        rva: data_rva,
    })
}

//! Reading entries: [`EntryReader`] hands an entry out one data block at a
//! time, reading the block from the cabinet's source and decoding it with a
//! [`FolderCursor`] that is shared between reads of one folder in order.

use crate::cabinet::{BlockSource, Cabinet};
use crate::folder::{Folder, FolderCursor};
use crate::{CabEntry, CabError, Method};

impl Cabinet {
    /// The decompressed contents of entry `index`, exactly `entry.size` bytes.
    pub fn read(&self, index: usize) -> Result<Vec<u8>, CabError> {
        let mut reader = self.entry_reader(index)?;
        // Grow with the data actually decoded rather than trusting the size.
        let mut out = Vec::with_capacity(reader.remaining.min(1 << 20) as usize);
        while let Some(chunk) = reader.next_chunk()? {
            out.extend_from_slice(chunk);
        }
        Ok(out)
    }

    /// A reader that hands out entry `index` chunk by chunk (at most one
    /// data block, 32 KiB, at a time) without assembling it. Readers of
    /// different entries may run on different threads.
    pub fn entry_reader(&self, index: usize) -> Result<EntryReader<'_>, CabError> {
        let files = &self.tables.files;
        let entry = files.entries.get(index).ok_or(CabError::NoSuchEntry {
            index,
            count: files.entries.len(),
        })?;
        let folder = &self.tables.folders[entry.folder];
        if folder.method == Method::Quantum && entry.size > 0 {
            return Err(CabError::Unsupported(Method::Quantum));
        }
        let start = files.entry_offsets[index];
        // An empty entry needs no cursor (an LZX one allocates its window).
        // Otherwise take the shared cursor when it is already on its way
        // through this folder; another thread reading meanwhile gets a
        // cursor of its own.
        let cursor = (entry.size > 0).then(|| {
            let shared = self
                .cursor
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take()
                .filter(|c| c.can_reach(entry.folder, start));
            shared.unwrap_or_else(|| FolderCursor::new(entry.folder, folder, start))
        });
        Ok(EntryReader {
            cabinet: self,
            entry,
            folder,
            cursor,
            next: start,
            remaining: entry.size,
        })
    }

    fn blocks(&self) -> BlockSource<'_> {
        BlockSource {
            source: &*self.source,
            base: self.base,
            len: self.len,
        }
    }
}

/// Reads one entry chunk by chunk; see [`Cabinet::entry_reader`].
pub struct EntryReader<'c> {
    cabinet: &'c Cabinet,
    entry: &'c CabEntry,
    folder: &'c Folder,
    /// `None` for an empty entry, and after an error (the decoder state is
    /// unusable).
    cursor: Option<FolderCursor>,
    /// Folder offset of the next byte to hand out.
    next: u64,
    remaining: u64,
}

impl EntryReader<'_> {
    /// The next chunk of the entry, or `None` at its end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, CabError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let Some(cursor) = self.cursor.as_mut() else {
            return Err(CabError::Entry {
                name: self.entry.name.clone(),
                problem: "reading stopped at an earlier error".into(),
            });
        };
        let blocks = self.cabinet.blocks();
        match cursor.chunk(&blocks, self.folder, self.next, self.remaining) {
            Ok(range) => {
                let len = range.len() as u64;
                self.next += len;
                self.remaining -= len;
                Ok(self.cursor.as_ref().map(|c| c.window(range)))
            }
            Err(problem) => {
                self.cursor = None;
                Err(CabError::Entry {
                    name: self.entry.name.clone(),
                    problem,
                })
            }
        }
    }
}

impl Drop for EntryReader<'_> {
    /// Hands a healthy cursor back for the next entry of the same folder.
    fn drop(&mut self) {
        if let Some(cursor) = self.cursor.take() {
            let mut shared = self
                .cabinet
                .cursor
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if shared.is_none() {
                *shared = Some(cursor);
            }
        }
    }
}

impl std::fmt::Debug for EntryReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryReader")
            .field("entry", &self.entry.name)
            .field("remaining", &self.remaining)
            .finish()
    }
}

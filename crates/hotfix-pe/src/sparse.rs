//! Reading the version of a file on disk without reading all of it.
//!
//! A version read needs the headers and the resource tree, which sit in one
//! section (`.rsrc`) of a file mostly made of code and data. Service-pack
//! setup reads the version of every file it may replace, about 150 MB for
//! an XP image, so reading only the headers and that section saves most of
//! the bytes. Whatever the sparse read cannot settle (a resource tree
//! spread over two sections, a damaged file, a file that is not PE) is read
//! again whole, so the answer, error messages included, is always exactly
//! what [`read_version`] gives for the whole file.

use std::io;
use std::ops::Range;

use hotfix_fs::ReadAt;

use crate::headers::{FileBytes, Headers};
use crate::resource::find_version;
use crate::version::parse_version_info;
use crate::{PeError, VersionInfo, read_version};

/// How much of the start of a file is read for its headers: the DOS stub,
/// the PE headers and the section table fit in the first page of nearly
/// every image.
const HEAD: usize = 4096;

/// Files up to this size are read whole: two reads would not be cheaper.
const SPARSE_ABOVE: usize = 64 * 1024;

/// The parts of a file a sparse read holds.
struct Held {
    file_len: usize,
    parts: [(usize, Vec<u8>); 2],
}

impl FileBytes for Held {
    fn file_len(&self) -> usize {
        self.file_len
    }

    fn range(&self, range: Range<usize>) -> Option<&[u8]> {
        self.parts.iter().find_map(|(start, data)| {
            let from = range.start.checked_sub(*start)?;
            data.get(from..from + range.len())
        })
    }
}

fn read(file: &(impl ReadAt + ?Sized), range: Range<usize>) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; range.len()];
    file.read_exact_at(&mut buf, range.start as u64)?;
    Ok(buf)
}

/// [`read_version`] for a file read through `file`, reading only its headers
/// and resource section when those suffice. The outer error is a failed
/// read; the inner result is exactly what [`read_version`] would give for
/// the whole file.
pub fn read_version_at(file: &(impl ReadAt + ?Sized)) -> io::Result<Result<VersionInfo, PeError>> {
    let file_len = usize::try_from(file.len()).unwrap_or(usize::MAX);
    if file_len > SPARSE_ABOVE {
        let head = read(file, 0..HEAD)?;
        if let Ok(headers) = Headers::parse(&head) {
            let Some((root, _)) = headers.resource else {
                return Ok(Err(PeError::NoVersionResource));
            };
            if let Some(section) = headers.range_from_rva(file_len, root) {
                let held = Held {
                    file_len,
                    parts: [(0, head), (section.start, read(file, section)?)],
                };
                // The tree is walked in held bytes alone, so a version or
                // its absence is the file's; any other error may be about
                // bytes not held, and the whole file settles it.
                match find_version(&held, &headers).and_then(|d| parse_version_info(&d)) {
                    Ok(info) => return Ok(Ok(info)),
                    Err(PeError::NoVersionResource) => return Ok(Err(PeError::NoVersionResource)),
                    Err(_) => {}
                }
            }
        }
    }
    let whole = read(file, 0..file_len)?;
    Ok(read_version(&whole))
}

//! The real filesystem.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::{
    DirEntry, FileKind, FileWriter, Fs, LockAttempt, LockGuard, Metadata, ReadAt, ReadSeek,
};

/// The host filesystem. Stateless: every call goes straight to the kernel.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

pub(crate) struct OsWriter(pub(crate) File);

/// A file read with `pread`, which needs no shared cursor.
#[derive(Debug)]
pub(crate) struct OsReadAt {
    pub(crate) file: File,
    /// The length when opened.
    pub(crate) len: u64,
}

impl ReadAt for OsReadAt {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
}

impl Write for OsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl FileWriter for OsWriter {
    fn sync(&mut self) -> io::Result<()> {
        // File data and size; the directory entry is the caller's sync_dir.
        self.0.sync_all()
    }
    fn start_writeback(&mut self) {
        // On Linux, DONTNEED starts writeback of the dirty pages without
        // waiting for it (and drops only pages that are already clean).
        // A hint: an error changes nothing.
        let _ = rustix::fs::fadvise(&self.0, 0, None, rustix::fs::Advice::DontNeed);
    }
}

fn kind_of(ft: fs::FileType) -> FileKind {
    if ft.is_file() {
        FileKind::File
    } else if ft.is_dir() {
        FileKind::Dir
    } else {
        FileKind::Other
    }
}

/// Opens a host file for reading without blocking on a FIFO and refuses
/// anything but a regular file (a FIFO, `/dev/zero`, a terminal), naming it.
fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let m = file.metadata()?;
    if !m.is_file() {
        let ft = m.file_type();
        let what = if ft.is_dir() {
            "a directory"
        } else {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                "a FIFO (named pipe)"
            } else if ft.is_char_device() {
                "a character device"
            } else if ft.is_block_device() {
                "a block device"
            } else if ft.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            }
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is {what}, not a regular file: refused", path.display()),
        ));
    }
    Ok((file, m.len()))
}

/// Reads all of `file`, which said it was `len` bytes long, refusing more
/// than `max` bytes whatever it says or grows to: memory follows the limit,
/// not a size field.
pub(crate) fn read_bounded(file: File, len: u64, max: u64, path: &Path) -> io::Result<Vec<u8>> {
    if len > max {
        return Err(crate::too_big(path, len, max));
    }
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(crate::too_big(path, out.len() as u64, max));
    }
    Ok(out)
}

/// Lists an opened directory, sorted by name; links are not followed.
pub(crate) fn list_dir(dir: OwnedFd) -> io::Result<Vec<DirEntry>> {
    use rustix::fs::{AtFlags, FileType};
    let mut out = Vec::new();
    for entry in rustix::fs::Dir::read_from(&dir)? {
        let entry = entry?;
        let raw = entry.file_name().to_bytes();
        if raw == b"." || raw == b".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::RegularFile => FileKind::File,
            FileType::Directory => FileKind::Dir,
            // Some filesystems leave the type out of the listing.
            FileType::Unknown => {
                let st = rustix::fs::statat(&dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)?;
                crate::confine::metadata_of(&st).kind
            }
            _ => FileKind::Other,
        };
        let (name, utf8) = match std::str::from_utf8(raw) {
            Ok(s) => (s.to_owned(), true),
            Err(_) => (String::from_utf8_lossy(raw).into_owned(), false),
        };
        out.push(DirEntry { name, utf8, kind });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Opens (or creates) a lock file for writing, never truncating it.
pub(crate) fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

pub(crate) fn try_lock_file(file: File) -> io::Result<LockAttempt> {
    match file.try_lock() {
        Ok(()) => Ok(LockAttempt::Acquired(LockGuard::new(Box::new(file)))),
        Err(fs::TryLockError::WouldBlock) => Ok(LockAttempt::Busy),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// EPERM (vfat), EOPNOTSUPP, EXDEV, EMLINK: no links here, copy instead.
pub(crate) fn link_error(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(1 | 95 | 18 | 31) => io::Error::new(io::ErrorKind::Unsupported, e),
        _ => e,
    }
}

impl Fs for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read_limited(path, u64::MAX)
    }

    fn read_limited(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        let (file, len) = open_regular(path)?;
        read_bounded(file, len, max, path)
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(io::BufReader::with_capacity(
            256 * 1024,
            open_regular(path)?.0,
        )))
    }

    fn open_read_at(&self, path: &Path) -> io::Result<std::sync::Arc<dyn ReadAt>> {
        let (file, len) = open_regular(path)?;
        Ok(std::sync::Arc::new(OsReadAt { file, len }))
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::symlink_metadata(path)?;
        Ok(Metadata {
            kind: kind_of(m.file_type()),
            len: if m.is_dir() { 0 } else { m.len() },
            readonly: m.permissions().readonly(),
            nlink: m.nlink(),
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            let raw = entry.file_name();
            let (name, utf8) = match raw.to_str() {
                Some(s) => (s.to_owned(), true),
                None => (raw.to_string_lossy().into_owned(), false),
            };
            out.push(DirEntry {
                name,
                utf8,
                kind: kind_of(entry.file_type()?),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn free_space(&self, path: &Path) -> io::Result<u64> {
        let st = rustix::fs::statvfs(path).map_err(io::Error::from)?;
        Ok(st.f_bavail.saturating_mul(st.f_frsize))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        Ok(Box::new(OsWriter(File::create(path)?)))
    }

    fn append(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Box::new(OsWriter(f)))
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn sync_fs(&self, path: &Path) -> io::Result<()> {
        rustix::fs::syncfs(File::open(path)?).map_err(io::Error::from)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::hard_link(from, to).map_err(link_error)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn set_readonly(&self, path: &Path, readonly: bool) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::symlink_metadata(path)?.permissions().mode();
        let mode = if readonly {
            mode & !0o222
        } else {
            mode | 0o200
        };
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }

    fn try_lock(&self, path: &Path) -> io::Result<LockAttempt> {
        try_lock_file(open_lock_file(path)?)
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let file = open_lock_file(path)?;
        file.lock()?;
        Ok(LockGuard::new(Box::new(file)))
    }
}

//! The real filesystem.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::{
    DirEntry, FileKind, FileWriter, Fs, LockAttempt, LockGuard, Metadata, ReadAt, ReadSeek,
};

/// The host filesystem. Stateless: every call goes straight to the kernel.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

struct OsWriter(File);

/// A file read with `pread`, which needs no shared cursor.
#[derive(Debug)]
struct OsReadAt {
    file: File,
    /// The length when opened.
    len: u64,
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

impl Fs for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(io::BufReader::with_capacity(
            256 * 1024,
            File::open(path)?,
        )))
    }

    fn open_read_at(&self, path: &Path) -> io::Result<std::sync::Arc<dyn ReadAt>> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
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
        fs::hard_link(from, to).map_err(|e| match e.raw_os_error() {
            // EPERM (vfat), EOPNOTSUPP, EXDEV, EMLINK: no links here, copy instead.
            Some(1 | 95 | 18 | 31) => io::Error::new(io::ErrorKind::Unsupported, e),
            _ => e,
        })
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
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(LockAttempt::Acquired(LockGuard::new(Box::new(file)))),
            Err(fs::TryLockError::WouldBlock) => Ok(LockAttempt::Busy),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock()?;
        Ok(LockGuard::new(Box::new(file)))
    }
}

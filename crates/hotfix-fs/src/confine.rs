//! [`ConfinedFs`]: the real filesystem with every path under an image root
//! resolved beneath that root by the kernel, so nothing an image holds
//! (symbolic links, `..`, hard links, FIFOs, device nodes) can make a write,
//! create, rename or delete land outside it. See `docs/design.md`,
//! "Confinement".

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;

use crate::os::{OsReadAt, OsWriter, read_bounded};
use crate::{
    DEFAULT_READ_LIMIT, DirEntry, FileKind, FileWriter, Fs, LockAttempt, LockGuard, Metadata, OsFs,
    ReadAt, ReadSeek,
};

/// Every component is resolved by the kernel beneath the root, and none may
/// be a symbolic link (magic links such as `/proc/self/fd/N` included).
/// `RESOLVE_NO_XDEV` is left out on purpose: an image assembled from bind
/// mounts (a separate `Documents and Settings`) is still one image.
const RESOLVE: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

/// Linux's limit on one name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Linux's limit on a path handed to one system call (`PATH_MAX`, with its NUL).
pub const PATH_MAX: usize = 4095;

/// The host filesystem, confined to one image root.
///
/// Paths under the root are opened relative to a descriptor of the root
/// with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`
/// and changed with the `*at` calls relative to their parent's descriptor;
/// a path string is never joined onto the root and handed to the kernel.
/// Where a regular file is expected, anything else is refused after an
/// `fstat` of an `O_PATH` descriptor, before it is opened for real (so a
/// device node is never opened and a FIFO never blocks). Writes in place
/// ([`Fs::create`] over an existing file, [`Fs::append`]) refuse a file with
/// more than one hard link: its other name may be outside the image.
///
/// Paths outside the root (the package, `/log:` files, `--json` output) are
/// host paths, handled as [`OsFs`] does. Without `openat2` (Linux before 5.6,
/// or a seccomp filter answering `ENOSYS`) every image operation fails with
/// a message saying so: there is no unconfined fallback.
#[derive(Debug)]
pub struct ConfinedFs {
    root: PathBuf,
    /// The root opened `O_RDONLY | O_DIRECTORY` (so it can also be synced),
    /// or why it could not be opened (reported by each image operation, so
    /// a missing image is reported by whoever opens it, as with [`OsFs`]).
    root_fd: Result<OwnedFd, Errno>,
}

/// Where one path lives.
enum Place<'p> {
    Host(&'p Path),
    /// Relative to the root; empty for the root itself.
    Image(&'p Path),
}

/// A directory descriptor: the root's, borrowed, or one opened for a parent.
enum Dirfd<'a> {
    Root(BorrowedFd<'a>),
    Opened(OwnedFd),
}

impl AsFd for Dirfd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Dirfd::Root(fd) => *fd,
            Dirfd::Opened(fd) => fd.as_fd(),
        }
    }
}

/// What a path must be for the operation at hand.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    File,
    Dir,
    FileOrDir,
}

fn kind_name(ft: FileType) -> &'static str {
    match ft {
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo => "a FIFO (named pipe)",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Unknown => "an object of unknown type",
    }
}

/// Refuses `st` unless it is what `want` asks for, naming the path and what
/// it found.
fn require(st: &Stat, want: Want, path: &Path) -> io::Result<()> {
    let ft = FileType::from_raw_mode(st.st_mode);
    let ok = match want {
        Want::File => ft == FileType::RegularFile,
        Want::Dir => ft == FileType::Directory,
        Want::FileOrDir => matches!(ft, FileType::RegularFile | FileType::Directory),
    };
    if ok {
        return Ok(());
    }
    let expected = match want {
        Want::File => "a regular file",
        Want::Dir => "a directory",
        Want::FileOrDir => "a regular file or directory",
    };
    let kind = if ft == FileType::Directory {
        io::ErrorKind::IsADirectory
    } else if want == Want::Dir {
        io::ErrorKind::NotADirectory
    } else {
        io::ErrorKind::InvalidInput
    };
    Err(io::Error::new(
        kind,
        format!(
            "{} is {} inside the image where {expected} is expected: refused",
            path.display(),
            kind_name(ft)
        ),
    ))
}

pub(crate) fn metadata_of(st: &Stat) -> Metadata {
    let kind = match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => FileKind::File,
        FileType::Directory => FileKind::Dir,
        _ => FileKind::Other,
    };
    Metadata {
        kind,
        len: if kind == FileKind::Dir {
            0
        } else {
            u64::try_from(st.st_size).unwrap_or(0)
        },
        readonly: st.st_mode & 0o222 == 0,
        nlink: st.st_nlink,
    }
}

/// Turns a resolution failure into a message that says what was refused.
fn resolve_error(e: Errno, path: &Path) -> io::Error {
    let why = match e {
        Errno::LOOP => "a symbolic link inside the image (hotfix never follows links in an image)",
        Errno::XDEV => "it resolves outside the image",
        Errno::NOSYS => {
            "openat2(2) is not available (Linux 5.6 or later is needed): hotfix does not \
             service an image it cannot confine"
        }
        Errno::NAMETOOLONG => {
            "a name longer than 255 bytes or a path longer than 4095 bytes inside the image"
        }
        _ => return io::Error::from(e),
    };
    io::Error::new(
        io::Error::from(e).kind(),
        format!("{}: refused: {why}", path.display()),
    )
}

/// Checks a path inside the image against Linux's limits, so an
/// operation is refused with a message instead of failing half-way.
pub fn check_path_len(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let too_long = |what: String| {
        Err(io::Error::new(
            io::ErrorKind::InvalidFilename,
            format!("{}: {what}", path.display()),
        ))
    };
    if let Some(name) = path.components().find(|c| c.as_os_str().len() > NAME_MAX) {
        return too_long(format!(
            "the name {:?} is {} bytes long, more than Linux's NAME_MAX of {NAME_MAX}",
            name.as_os_str(),
            name.as_os_str().len()
        ));
    }
    let len = path.as_os_str().as_bytes().len();
    if len > PATH_MAX {
        return too_long(format!(
            "the path is {len} bytes long, more than Linux's PATH_MAX of {PATH_MAX}"
        ));
    }
    Ok(())
}

impl ConfinedFs {
    /// Confines every path under `root` to `root`. The root itself (and the
    /// path leading to it) is the user's and is trusted; it is opened once,
    /// here.
    pub fn new(root: &Path) -> Self {
        let root_fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        );
        Self {
            root: root.to_path_buf(),
            root_fd,
        }
    }

    /// The image root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn place<'p>(&self, path: &'p Path) -> io::Result<Place<'p>> {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return Ok(Place::Host(path));
        };
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: refused: only plain names may follow the image root",
                    path.display()
                ),
            ));
        }
        check_path_len(rel)?;
        Ok(Place::Image(rel))
    }

    fn root_fd(&self) -> io::Result<BorrowedFd<'_>> {
        match &self.root_fd {
            Ok(fd) => Ok(fd.as_fd()),
            Err(e) => Err(io::Error::new(
                io::Error::from(*e).kind(),
                format!("{}: {}", self.root.display(), io::Error::from(*e)),
            )),
        }
    }

    /// `openat2` beneath the root; `rel` must not be empty.
    fn open_beneath(&self, rel: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        let root = self.root_fd()?;
        let flags = flags | OFlags::CLOEXEC;
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(root, rel, flags, mode, RESOLVE) {
                // A concurrent rename anywhere on the system can make the
                // kernel ask for a retry of a `..`-checked lookup.
                Err(Errno::AGAIN) if tries < 8 => tries += 1,
                Err(e) => return Err(resolve_error(e, &self.root.join(rel))),
                Ok(fd) => return Ok(fd),
            }
        }
    }

    /// The parent directory of `rel` and its last name.
    fn parent<'r>(&self, rel: &'r Path) -> io::Result<(Dirfd<'_>, &'r OsStr)> {
        let name = rel.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: refused: the image root itself cannot be changed",
                    self.root.display()
                ),
            )
        })?;
        let parent = rel.parent().unwrap_or(Path::new(""));
        if parent.as_os_str().is_empty() {
            return Ok((Dirfd::Root(self.root_fd()?), name));
        }
        let fd = self.open_beneath(parent, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        Ok((Dirfd::Opened(fd), name))
    }

    /// Opens `rel` for real only after an `fstat` of an `O_PATH` descriptor
    /// showed it is what `want` asks for, then checks it is still the same
    /// object.
    fn open_checked(&self, rel: &Path, want: Want, flags: OFlags) -> io::Result<(File, Stat)> {
        let path = self.root.join(rel);
        let probe = self.open_beneath(rel, OFlags::PATH | OFlags::NOFOLLOW, Mode::empty())?;
        let before = rustix::fs::fstat(&probe)?;
        require(&before, want, &path)?;
        let fd = self.open_beneath(
            rel,
            flags | OFlags::NOFOLLOW | OFlags::NONBLOCK,
            Mode::empty(),
        )?;
        let st = rustix::fs::fstat(&fd)?;
        require(&st, want, &path)?;
        if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) {
            return Err(io::Error::other(format!(
                "{}: refused: it was replaced while being opened",
                path.display()
            )));
        }
        Ok((File::from(fd), st))
    }

    /// Opens a directory (the root when `rel` is empty) for reading or syncing.
    fn open_dir(&self, rel: &Path) -> io::Result<OwnedFd> {
        if rel.as_os_str().is_empty() {
            return Ok(rustix::fs::openat(
                self.root_fd()?,
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?);
        }
        self.open_checked(rel, Want::Dir, OFlags::RDONLY | OFlags::DIRECTORY)
            .map(|(f, _)| f.into())
    }

    /// Opens a file for writing: a new one, or an existing regular file with
    /// one link (a second link may be a host file's other name).
    fn open_write(&self, rel: &Path, flags: OFlags) -> io::Result<(File, bool)> {
        let new = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | flags;
        match self.open_beneath(rel, new, Mode::from_raw_mode(0o666)) {
            Ok(fd) => return Ok((File::from(fd), true)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let (file, st) = self.open_checked(rel, Want::File, OFlags::WRONLY | flags)?;
        if st.st_nlink > 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: refused: the file has {} hard links, and hotfix does not write through a \
                     link whose other names may be outside the image",
                    self.root.join(rel).display(),
                    st.st_nlink
                ),
            ));
        }
        Ok((file, false))
    }

    /// The file behind a lock: opened (or created) for writing, never truncated.
    fn lock_file(&self, path: &Path) -> io::Result<File> {
        match self.place(path)? {
            Place::Host(p) => crate::os::open_lock_file(p),
            Place::Image(rel) => {
                let new = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
                match self.open_beneath(rel, new, Mode::from_raw_mode(0o666)) {
                    Ok(fd) => Ok(File::from(fd)),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => self
                        .open_checked(rel, Want::File, OFlags::WRONLY)
                        .map(|(f, _)| f),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Both ends of a rename or link, which must both be inside the image
    /// (or both outside it).
    fn pair<'p>(&self, from: &'p Path, to: &'p Path) -> io::Result<Option<(&'p Path, &'p Path)>> {
        match (self.place(from)?, self.place(to)?) {
            (Place::Host(_), Place::Host(_)) => Ok(None),
            (Place::Image(f), Place::Image(t)) => Ok(Some((f, t))),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} -> {}: refused: one end is inside the image {} and the other outside it",
                    from.display(),
                    to.display(),
                    self.root.display()
                ),
            )),
        }
    }

    fn image_read_at(&self, rel: &Path) -> io::Result<Arc<dyn ReadAt>> {
        let (file, st) = self.open_checked(rel, Want::File, OFlags::RDONLY)?;
        let len = u64::try_from(st.st_size).unwrap_or(0);
        Ok(Arc::new(OsReadAt { file, len }))
    }
}

impl Fs for ConfinedFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read_limited(path, DEFAULT_READ_LIMIT)
    }

    fn read_limited(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        match self.place(path)? {
            Place::Host(p) => OsFs.read_limited(p, max),
            Place::Image(rel) => {
                let (file, st) = self.open_checked(rel, Want::File, OFlags::RDONLY)?;
                read_bounded(file, u64::try_from(st.st_size).unwrap_or(0), max, path)
            }
        }
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn ReadSeek>> {
        match self.place(path)? {
            Place::Host(p) => OsFs.open(p),
            Place::Image(rel) => {
                let (file, _) = self.open_checked(rel, Want::File, OFlags::RDONLY)?;
                Ok(Box::new(io::BufReader::with_capacity(256 * 1024, file)))
            }
        }
    }

    fn open_read_at(&self, path: &Path) -> io::Result<Arc<dyn ReadAt>> {
        match self.place(path)? {
            Place::Host(p) => OsFs.open_read_at(p),
            Place::Image(rel) => self.image_read_at(rel),
        }
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let st = match self.place(path)? {
            Place::Host(p) => return OsFs.metadata(p),
            Place::Image(rel) if rel.as_os_str().is_empty() => rustix::fs::fstat(self.root_fd()?)?,
            Place::Image(rel) => rustix::fs::fstat(self.open_beneath(
                rel,
                OFlags::PATH | OFlags::NOFOLLOW,
                Mode::empty(),
            )?)?,
        };
        Ok(metadata_of(&st))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        match self.place(path)? {
            Place::Host(p) => OsFs.read_dir(p),
            Place::Image(rel) => crate::os::list_dir(self.open_dir(rel)?),
        }
    }

    fn free_space(&self, path: &Path) -> io::Result<u64> {
        match self.place(path)? {
            Place::Host(p) => OsFs.free_space(p),
            Place::Image(rel) => {
                let st = rustix::fs::fstatvfs(self.open_dir(rel)?)?;
                Ok(st.f_bavail.saturating_mul(st.f_frsize))
            }
        }
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        match self.place(path)? {
            Place::Host(p) => OsFs.create(p),
            Place::Image(rel) => {
                let (file, new) = self.open_write(rel, OFlags::empty())?;
                if !new {
                    file.set_len(0)?;
                }
                Ok(Box::new(OsWriter(file)))
            }
        }
    }

    fn append(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        match self.place(path)? {
            Place::Host(p) => OsFs.append(p),
            Place::Image(rel) => {
                let (file, _) = self.open_write(rel, OFlags::APPEND)?;
                Ok(Box::new(OsWriter(file)))
            }
        }
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        match self.place(path)? {
            Place::Host(p) => OsFs.sync_dir(p),
            Place::Image(rel) => Ok(rustix::fs::fsync(self.open_dir(rel)?)?),
        }
    }

    fn sync_fs(&self, path: &Path) -> io::Result<()> {
        match self.place(path)? {
            Place::Host(p) => OsFs.sync_fs(p),
            Place::Image(rel) => {
                let fd = match self.open_dir(rel) {
                    Err(e) if e.kind() == io::ErrorKind::NotADirectory => self
                        .open_checked(rel, Want::File, OFlags::RDONLY)
                        .map(|(f, _)| OwnedFd::from(f))?,
                    other => other?,
                };
                Ok(rustix::fs::syncfs(fd)?)
            }
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let Some((f, t)) = self.pair(from, to)? else {
            return OsFs.rename(from, to);
        };
        let (fdir, fname) = self.parent(f)?;
        let (tdir, tname) = self.parent(t)?;
        Ok(rustix::fs::renameat(fdir, fname, tdir, tname)?)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let Some((f, t)) = self.pair(from, to)? else {
            return OsFs.hard_link(from, to);
        };
        let (fdir, fname) = self.parent(f)?;
        let (tdir, tname) = self.parent(t)?;
        // Without AT_SYMLINK_FOLLOW a link names the object itself: a
        // symbolic link is linked, not its target.
        rustix::fs::linkat(fdir, fname, tdir, tname, AtFlags::empty())
            .map_err(|e| crate::os::link_error(io::Error::from(e)))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        match self.place(path)? {
            Place::Host(p) => OsFs.remove_file(p),
            Place::Image(rel) => {
                let (dir, name) = self.parent(rel)?;
                Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?)
            }
        }
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        match self.place(path)? {
            Place::Host(p) => OsFs.create_dir(p),
            Place::Image(rel) => {
                let (dir, name) = self.parent(rel)?;
                Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o777))?)
            }
        }
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        match self.place(path)? {
            Place::Host(p) => OsFs.remove_dir(p),
            Place::Image(rel) => {
                let (dir, name) = self.parent(rel)?;
                Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
            }
        }
    }

    fn set_readonly(&self, path: &Path, readonly: bool) -> io::Result<()> {
        let rel = match self.place(path)? {
            Place::Host(p) => return OsFs.set_readonly(p, readonly),
            Place::Image(rel) => rel,
        };
        let probe = self.open_beneath(rel, OFlags::PATH | OFlags::NOFOLLOW, Mode::empty())?;
        let st = rustix::fs::fstat(&probe)?;
        require(&st, Want::FileOrDir, path)?;
        // fchmod needs a real descriptor; a directory is opened as one.
        let want = if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            Want::Dir
        } else {
            Want::File
        };
        let flags = if want == Want::Dir {
            OFlags::RDONLY | OFlags::DIRECTORY
        } else {
            OFlags::RDONLY
        };
        let (file, st) = self.open_checked(rel, want, flags)?;
        let mode = st.st_mode & 0o7777;
        let mode = if readonly {
            mode & !0o222
        } else {
            mode | 0o200
        };
        Ok(rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?)
    }

    fn try_lock(&self, path: &Path) -> io::Result<LockAttempt> {
        crate::os::try_lock_file(self.lock_file(path)?)
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let file = self.lock_file(path)?;
        file.lock()?;
        Ok(LockGuard::new(Box::new(file)))
    }
}

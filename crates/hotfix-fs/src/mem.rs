//! An in-memory filesystem that knows what a power cut would keep.
//!
//! The model (documented in `docs/design.md`, "Crash model"):
//!
//! - Every inode has *live* data (what readers see) and *durable* data (what
//!   was there at its last file sync).
//! - Every directory has *live* entries and *durable* entries. A directory
//!   operation (create, link, unlink, rename, mkdir, rmdir) changes the live
//!   entries at once and is appended to a log of pending operations. A sync of
//!   a directory makes every pending operation that touches it durable, in
//!   both directories of a rename.
//! - [`MemFs::crash_image`] builds the tree that survives: durable entries,
//!   plus a prefix of the pending operations chosen by the [`CrashVariant`],
//!   with each file's durable data, or a torn mix of durable and live data.
//!
//! Attribute changes (read-only) are treated as immediately durable.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Cursor, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{DirEntry, FileKind, FileWriter, Fs, LockAttempt, LockGuard, Metadata, ReadSeek};

type Ino = usize;
const ROOT: Ino = 0;

#[derive(Debug, Clone)]
enum Node {
    File {
        live: Arc<Vec<u8>>,
        durable: Arc<Vec<u8>>,
        readonly: bool,
    },
    Dir {
        live: BTreeMap<String, Ino>,
        durable: BTreeMap<String, Ino>,
    },
}

/// A directory operation that has not been made durable yet.
#[derive(Debug, Clone)]
enum MetaOp {
    /// `dir/name` now names `ino` (or nothing).
    Set {
        dir: Ino,
        name: String,
        ino: Option<Ino>,
    },
    /// `from_dir/from` moved to `to_dir/to`.
    Rename {
        from_dir: Ino,
        from: String,
        to_dir: Ino,
        to: String,
        ino: Ino,
    },
}

impl MetaOp {
    fn touches(&self, d: Ino) -> bool {
        match self {
            MetaOp::Set { dir, .. } => *dir == d,
            MetaOp::Rename {
                from_dir, to_dir, ..
            } => *from_dir == d || *to_dir == d,
        }
    }
}

/// Which of the possible post-crash trees [`MemFs::crash_image`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashVariant {
    /// Power cut, worst case: nothing that was not synced survives.
    LoseUnsynced,
    /// Every directory operation reached the disk, but no unsynced data did
    /// (the "zero-length file after rename" case).
    KeepMetadata,
    /// A pseudo-random prefix of the pending directory operations survives and
    /// unsynced files keep a pseudo-random prefix of their new data.
    Torn {
        /// Seed of the choice, so a failing case can be replayed.
        seed: u64,
    },
    /// The process died but the kernel survived: everything live is kept
    /// (what SIGKILL leaves).
    KeepAll,
}

#[derive(Debug, Clone)]
struct State {
    nodes: Vec<Node>,
    pending: Vec<MetaOp>,
    capacity: Option<u64>,
}

/// The in-memory filesystem. Cloning it shares the same tree.
#[derive(Debug, Clone)]
pub struct MemFs {
    state: Arc<Mutex<State>>,
    locks: Arc<Mutex<HashSet<PathBuf>>>,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

fn err(kind: io::ErrorKind, what: &str, path: &Path) -> io::Error {
    io::Error::new(kind, format!("{what}: {}", path.display()))
}

fn components(path: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(s) => out.push(
                s.to_str()
                    .ok_or_else(|| err(io::ErrorKind::InvalidInput, "non-UTF-8 name", path))?
                    .to_owned(),
            ),
            _ => return Err(err(io::ErrorKind::InvalidInput, "unsupported path", path)),
        }
    }
    Ok(out)
}

impl State {
    fn dir_live(&self, ino: Ino) -> Option<&BTreeMap<String, Ino>> {
        match &self.nodes[ino] {
            Node::Dir { live, .. } => Some(live),
            Node::File { .. } => None,
        }
    }

    fn lookup(&self, path: &Path) -> io::Result<Ino> {
        let mut ino = ROOT;
        for name in components(path)? {
            let dir = self
                .dir_live(ino)
                .ok_or_else(|| err(io::ErrorKind::NotADirectory, "not a directory", path))?;
            ino = *dir
                .get(&name)
                .ok_or_else(|| err(io::ErrorKind::NotFound, "no such file or directory", path))?;
        }
        Ok(ino)
    }

    /// The parent directory's inode and the last component.
    fn parent(&self, path: &Path) -> io::Result<(Ino, String)> {
        let mut parts = components(path)?;
        let name = parts
            .pop()
            .ok_or_else(|| err(io::ErrorKind::InvalidInput, "no file name", path))?;
        let mut ino = ROOT;
        for part in parts {
            let dir = self
                .dir_live(ino)
                .ok_or_else(|| err(io::ErrorKind::NotADirectory, "not a directory", path))?;
            ino = *dir
                .get(&part)
                .ok_or_else(|| err(io::ErrorKind::NotFound, "no such directory", path))?;
        }
        if self.dir_live(ino).is_none() {
            return Err(err(io::ErrorKind::NotADirectory, "not a directory", path));
        }
        Ok((ino, name))
    }

    fn set_entry(&mut self, dir: Ino, name: &str, ino: Option<Ino>) {
        if let Node::Dir { live, .. } = &mut self.nodes[dir] {
            match ino {
                Some(i) => live.insert(name.to_owned(), i),
                None => live.remove(name),
            };
        }
        self.pending.push(MetaOp::Set {
            dir,
            name: name.to_owned(),
            ino,
        });
    }

    fn used(&self) -> u64 {
        let mut seen = HashSet::new();
        let mut total = 0;
        let mut stack = vec![ROOT];
        while let Some(ino) = stack.pop() {
            if !seen.insert(ino) {
                continue;
            }
            match &self.nodes[ino] {
                Node::File { live, .. } => total += live.len() as u64,
                Node::Dir { live, .. } => stack.extend(live.values().copied()),
            }
        }
        total
    }

    fn links(&self, target: Ino) -> u64 {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                Node::Dir { live, .. } => Some(live.values().filter(|&&i| i == target).count()),
                Node::File { .. } => None,
            })
            .sum::<usize>() as u64
    }

    fn apply_durable(&mut self, op: &MetaOp) {
        let mut set = |dir: Ino, name: &str, ino: Option<Ino>| {
            if let Node::Dir { durable, .. } = &mut self.nodes[dir] {
                match ino {
                    Some(i) => durable.insert(name.to_owned(), i),
                    None => durable.remove(name),
                };
            }
        };
        match op {
            MetaOp::Set { dir, name, ino } => set(*dir, name, *ino),
            MetaOp::Rename {
                from_dir,
                from,
                to_dir,
                to,
                ino,
            } => {
                set(*from_dir, from, None);
                set(*to_dir, to, Some(*ino));
            }
        }
    }
}

/// A tiny deterministic generator for crash variants (xorshift64*).
fn next_rand(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

impl MemFs {
    /// An empty filesystem (just the root directory), with unlimited space.
    pub fn new() -> Self {
        let root = Node::Dir {
            live: BTreeMap::new(),
            durable: BTreeMap::new(),
        };
        Self::from_state(State {
            nodes: vec![root],
            pending: Vec::new(),
            capacity: None,
        })
    }

    fn from_state(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            locks: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a test panicked while holding it; the
        // tree itself is still consistent (every mutation is one assignment).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Limits the total size of live file data; writes beyond it fail with
    /// ENOSPC, like a full disk.
    pub fn set_capacity(&self, bytes: Option<u64>) {
        self.st().capacity = bytes;
    }

    /// Makes everything durable, as after a clean `sync(1)`. Used to turn a
    /// freshly built fixture into the starting point of a crash test.
    pub fn sync_all(&self) {
        let mut st = self.st();
        st.pending.clear();
        for node in &mut st.nodes {
            match node {
                Node::File { live, durable, .. } => *durable = live.clone(),
                Node::Dir { live, durable } => *durable = live.clone(),
            }
        }
    }

    /// An independent copy of the live tree (file data is shared copy-on-write).
    pub fn fork(&self) -> MemFs {
        let state = self.st().clone();
        Self::from_state(state)
    }

    /// The tree a crash at this moment would leave, as a new filesystem whose
    /// live and durable states are equal.
    pub fn crash_image(&self, variant: CrashVariant) -> MemFs {
        let st = self.st().clone();
        let mut seed = match variant {
            CrashVariant::Torn { seed } => seed | 1,
            _ => 1,
        };
        let mut img = st.clone();
        img.pending.clear();
        let keep_ops = match variant {
            CrashVariant::LoseUnsynced => 0,
            CrashVariant::KeepMetadata | CrashVariant::KeepAll => st.pending.len(),
            CrashVariant::Torn { .. } => {
                (next_rand(&mut seed) % (st.pending.len() as u64 + 1)) as usize
            }
        };
        for op in &st.pending[..keep_ops] {
            img.apply_durable(op);
        }
        for node in &mut img.nodes {
            match node {
                Node::Dir { live, durable } => {
                    if variant == CrashVariant::KeepAll {
                        *durable = live.clone();
                    } else {
                        *live = durable.clone();
                    }
                }
                Node::File { live, durable, .. } => {
                    let kept = match variant {
                        CrashVariant::KeepAll => live.clone(),
                        CrashVariant::LoseUnsynced | CrashVariant::KeepMetadata => durable.clone(),
                        CrashVariant::Torn { .. } if Arc::ptr_eq(live, durable) => durable.clone(),
                        CrashVariant::Torn { .. } => {
                            let cut = (next_rand(&mut seed) % (live.len() as u64 + 1)) as usize;
                            let mut torn = live[..cut].to_vec();
                            if durable.len() > cut {
                                torn.extend_from_slice(&durable[cut..]);
                            }
                            Arc::new(torn)
                        }
                    };
                    *live = kept.clone();
                    *durable = kept;
                }
            }
        }
        Self::from_state(img)
    }

    /// Number of directory operations not yet made durable.
    pub fn pending_ops(&self) -> usize {
        self.st().pending.len()
    }
}

struct MemWriter {
    fs: MemFs,
    ino: Ino,
}

impl Write for MemWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut st = self.fs.st();
        if let Some(cap) = st.capacity
            && st.used() + buf.len() as u64 > cap
        {
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        match &mut st.nodes[self.ino] {
            Node::File { live, .. } => Arc::make_mut(live).extend_from_slice(buf),
            Node::Dir { .. } => return Err(io::ErrorKind::IsADirectory.into()),
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FileWriter for MemWriter {
    fn sync(&mut self) -> io::Result<()> {
        if let Node::File { live, durable, .. } = &mut self.fs.st().nodes[self.ino] {
            *durable = live.clone();
        }
        Ok(())
    }
}

impl MemFs {
    fn open_writer(&self, path: &Path, truncate: bool) -> io::Result<Box<dyn FileWriter>> {
        let mut st = self.st();
        let (dir, name) = st.parent(path)?;
        let existing = st.dir_live(dir).and_then(|d| d.get(&name).copied());
        let ino = match existing {
            Some(ino) => match &mut st.nodes[ino] {
                Node::File { live, readonly, .. } => {
                    if *readonly {
                        return Err(err(io::ErrorKind::PermissionDenied, "read-only file", path));
                    }
                    if truncate {
                        *live = Arc::new(Vec::new());
                    }
                    ino
                }
                Node::Dir { .. } => {
                    return Err(err(io::ErrorKind::IsADirectory, "is a directory", path));
                }
            },
            None => {
                let empty = Arc::new(Vec::new());
                st.nodes.push(Node::File {
                    live: empty.clone(),
                    durable: empty,
                    readonly: false,
                });
                let ino = st.nodes.len() - 1;
                st.set_entry(dir, &name, Some(ino));
                ino
            }
        };
        Ok(Box::new(MemWriter {
            fs: self.clone(),
            ino,
        }))
    }
}

impl Fs for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let st = self.st();
        match &st.nodes[st.lookup(path)?] {
            Node::File { live, .. } => Ok(live.to_vec()),
            Node::Dir { .. } => Err(err(io::ErrorKind::IsADirectory, "is a directory", path)),
        }
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(Cursor::new(self.read(path)?)))
    }

    fn open_read_at(&self, path: &Path) -> io::Result<std::sync::Arc<dyn crate::ReadAt>> {
        // A snapshot: what the file holds now, like an open descriptor whose
        // file is later replaced by rename.
        Ok(std::sync::Arc::new(self.read(path)?))
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let st = self.st();
        let ino = st.lookup(path)?;
        let nlink = st.links(ino);
        Ok(match &st.nodes[ino] {
            Node::File { live, readonly, .. } => Metadata {
                kind: FileKind::File,
                len: live.len() as u64,
                readonly: *readonly,
                nlink,
            },
            Node::Dir { .. } => Metadata {
                kind: FileKind::Dir,
                len: 0,
                readonly: false,
                nlink,
            },
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let st = self.st();
        let dir = st
            .dir_live(st.lookup(path)?)
            .ok_or_else(|| err(io::ErrorKind::NotADirectory, "not a directory", path))?;
        Ok(dir
            .iter()
            .map(|(name, &ino)| DirEntry {
                name: name.clone(),
                utf8: true,
                kind: match st.nodes[ino] {
                    Node::File { .. } => FileKind::File,
                    Node::Dir { .. } => FileKind::Dir,
                },
            })
            .collect())
    }

    fn free_space(&self, _path: &Path) -> io::Result<u64> {
        let st = self.st();
        Ok(match st.capacity {
            Some(cap) => cap.saturating_sub(st.used()),
            None => 1 << 40,
        })
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        self.open_writer(path, true)
    }

    fn append(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        self.open_writer(path, false)
    }

    fn sync_fs(&self, path: &Path) -> io::Result<()> {
        self.st().lookup(path)?;
        self.sync_all();
        Ok(())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = self.st();
        let ino = st.lookup(path)?;
        if st.dir_live(ino).is_none() {
            return Err(err(io::ErrorKind::NotADirectory, "not a directory", path));
        }
        let pending = std::mem::take(&mut st.pending);
        let (now, still): (Vec<_>, Vec<_>) = pending.into_iter().partition(|op| op.touches(ino));
        for op in &now {
            st.apply_durable(op);
        }
        st.pending = still;
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.st();
        let (fdir, fname) = st.parent(from)?;
        let (tdir, tname) = st.parent(to)?;
        let ino = *st
            .dir_live(fdir)
            .and_then(|d| d.get(&fname))
            .ok_or_else(|| err(io::ErrorKind::NotFound, "no such file or directory", from))?;
        if let Some(&old) = st.dir_live(tdir).and_then(|d| d.get(&tname)) {
            if old == ino {
                return Ok(());
            }
            let src_is_dir = matches!(st.nodes[ino], Node::Dir { .. });
            match &st.nodes[old] {
                Node::Dir { live, .. } if !src_is_dir || !live.is_empty() => {
                    return Err(err(io::ErrorKind::DirectoryNotEmpty, "cannot replace", to));
                }
                Node::File { .. } if src_is_dir => {
                    return Err(err(io::ErrorKind::NotADirectory, "cannot replace", to));
                }
                _ => {}
            }
        }
        for (dir, name, val) in [(fdir, &fname, None), (tdir, &tname, Some(ino))] {
            if let Node::Dir { live, .. } = &mut st.nodes[dir] {
                match val {
                    Some(i) => live.insert(name.clone(), i),
                    None => live.remove(name),
                };
            }
        }
        st.pending.push(MetaOp::Rename {
            from_dir: fdir,
            from: fname,
            to_dir: tdir,
            to: tname,
            ino,
        });
        Ok(())
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.st();
        let ino = st.lookup(from)?;
        if matches!(st.nodes[ino], Node::Dir { .. }) {
            return Err(err(
                io::ErrorKind::PermissionDenied,
                "cannot link a directory",
                from,
            ));
        }
        let (dir, name) = st.parent(to)?;
        if st.dir_live(dir).is_some_and(|d| d.contains_key(&name)) {
            return Err(err(io::ErrorKind::AlreadyExists, "already exists", to));
        }
        st.set_entry(dir, &name, Some(ino));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.st();
        let (dir, name) = st.parent(path)?;
        let ino = *st
            .dir_live(dir)
            .and_then(|d| d.get(&name))
            .ok_or_else(|| err(io::ErrorKind::NotFound, "no such file", path))?;
        if matches!(st.nodes[ino], Node::Dir { .. }) {
            return Err(err(io::ErrorKind::IsADirectory, "is a directory", path));
        }
        st.set_entry(dir, &name, None);
        Ok(())
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = self.st();
        let (dir, name) = st.parent(path)?;
        if st.dir_live(dir).is_some_and(|d| d.contains_key(&name)) {
            return Err(err(io::ErrorKind::AlreadyExists, "already exists", path));
        }
        st.nodes.push(Node::Dir {
            live: BTreeMap::new(),
            durable: BTreeMap::new(),
        });
        let ino = st.nodes.len() - 1;
        st.set_entry(dir, &name, Some(ino));
        Ok(())
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = self.st();
        let (dir, name) = st.parent(path)?;
        let ino = st.lookup(path)?;
        match st.dir_live(ino) {
            None => return Err(err(io::ErrorKind::NotADirectory, "not a directory", path)),
            Some(d) if !d.is_empty() => {
                return Err(err(
                    io::ErrorKind::DirectoryNotEmpty,
                    "directory not empty",
                    path,
                ));
            }
            Some(_) => {}
        }
        st.set_entry(dir, &name, None);
        Ok(())
    }

    fn set_readonly(&self, path: &Path, readonly: bool) -> io::Result<()> {
        let mut st = self.st();
        let ino = st.lookup(path)?;
        if let Node::File { readonly: ro, .. } = &mut st.nodes[ino] {
            *ro = readonly;
        }
        Ok(())
    }

    fn try_lock(&self, path: &Path) -> io::Result<LockAttempt> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if !locks.insert(path.to_path_buf()) {
            return Ok(LockAttempt::Busy);
        }
        let release = MemLock {
            locks: self.locks.clone(),
            path: path.to_path_buf(),
        };
        Ok(LockAttempt::Acquired(LockGuard::new(Box::new(release))))
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        // One process owns a MemFs, so waiting could only deadlock.
        match self.try_lock(path)? {
            LockAttempt::Acquired(g) => Ok(g),
            LockAttempt::Busy => Err(err(io::ErrorKind::WouldBlock, "lock is held", path)),
        }
    }
}

struct MemLock {
    locks: Arc<Mutex<HashSet<PathBuf>>>,
    path: PathBuf,
}

impl Drop for MemLock {
    fn drop(&mut self) {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.path);
    }
}

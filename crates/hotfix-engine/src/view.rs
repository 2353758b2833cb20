//! The planned image: the image on disk plus the changes a command has
//! decided so far. Every rule reads the view, so the second package of a
//! batch sees the first one's files and queue exactly as a second run would.
//! [`View::commit`] turns the difference into one transaction.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use hotfix_fs::{FileKind, Fs, Metadata, ReadAt};
use hotfix_image::Image;
use hotfix_package::{PackageError, PackagedFile};
use hotfix_txn::{Fill, RelPath, Staged, Summary, Txn, TxnError};
use serde::Serialize;

use crate::EngineError;

/// What a path holds in the planned image.
#[derive(Debug, Clone)]
pub enum Content {
    /// The bytes the file at this path had on disk when the command began.
    Disk(RelPath),
    /// New bytes.
    Bytes(Arc<Vec<u8>>),
    /// New bytes still in their package, streamed into place at commit (a
    /// service pack's payload is never held in memory whole).
    Packaged(PackagedFile),
}

impl Content {
    /// Identity of new bytes, so bytes wanted at several paths are staged
    /// once. `None` for disk content.
    fn blob_id(&self) -> Option<(usize, usize)> {
        match self {
            Content::Disk(_) => None,
            Content::Bytes(b) => Some((Arc::as_ptr(b) as usize, usize::MAX)),
            Content::Packaged(f) => Some(f.identity()),
        }
    }
}

/// The image as the command plans to leave it.
#[derive(Debug)]
pub struct View<'a> {
    fs: &'a dyn Fs,
    image: &'a Image,
    changes: BTreeMap<String, (RelPath, Option<Content>)>,
    /// Directories on disk planned away (emptied by the boot-time step).
    removed_dirs: BTreeMap<String, RelPath>,
    cache: RefCell<HashMap<String, Arc<Vec<u8>>>>,
    /// What the disk holds at each path asked about (exact spelling): the
    /// disk does not change while a command plans, and a service pack asks
    /// about each of its thousands of paths several times.
    meta: RefCell<HashMap<String, Option<Metadata>>>,
}

fn key(p: &RelPath) -> String {
    p.as_str().to_lowercase()
}

impl<'a> View<'a> {
    /// A view with no changes.
    pub fn new(fs: &'a dyn Fs, image: &'a Image) -> Self {
        Self {
            fs,
            image,
            changes: BTreeMap::new(),
            removed_dirs: BTreeMap::new(),
            cache: RefCell::new(HashMap::new()),
            meta: RefCell::new(HashMap::new()),
        }
    }

    /// The filesystem under the view.
    pub fn fs(&self) -> &'a dyn Fs {
        self.fs
    }

    /// The image under the view.
    pub fn image(&self) -> &'a Image {
        self.image
    }

    /// The disk's metadata for `p` (`None`: nothing there), asked once.
    fn disk_meta(&self, p: &RelPath) -> Option<Metadata> {
        if let Some(m) = self.meta.borrow().get(p.as_str()) {
            return *m;
        }
        let m = self.fs.metadata(&self.image.host(p)).ok();
        self.meta.borrow_mut().insert(p.as_str().to_owned(), m);
        m
    }

    fn on_disk(&self, p: &RelPath) -> bool {
        self.disk_meta(p).is_some_and(|m| m.is_file())
    }

    /// What `p` holds in the planned image (`None`: no file there).
    pub fn content(&self, p: &RelPath) -> Option<Content> {
        match self.changes.get(&key(p)) {
            Some((_, c)) => c.clone(),
            None => self.on_disk(p).then(|| Content::Disk(p.clone())),
        }
    }

    /// Whether `p` is a directory on disk (and not planned away).
    pub fn is_dir(&self, p: &RelPath) -> bool {
        !self.changes.contains_key(&key(p))
            && !self.removed_dirs.contains_key(&key(p))
            && self.disk_meta(p).is_some_and(|m| m.is_dir())
    }

    /// Whether directory `dir` holds nothing in the planned image.
    pub fn is_empty_dir(&self, dir: &RelPath) -> bool {
        self.is_dir(dir) && self.list(dir).is_empty() && self.list_dirs(dir).is_empty()
    }

    /// Plans the directory `dir`, which must be empty in the planned image
    /// ([`View::is_empty_dir`]), to be gone.
    pub fn remove_dir(&mut self, dir: &RelPath) {
        self.removed_dirs.insert(key(dir), dir.clone());
    }

    /// Whether `p` is a file in the planned image.
    pub fn exists(&self, p: &RelPath) -> bool {
        self.content(p).is_some()
    }

    fn read_disk(&self, p: &RelPath) -> Result<Arc<Vec<u8>>, EngineError> {
        let k = key(p);
        if let Some(b) = self.cache.borrow().get(&k) {
            return Ok(b.clone());
        }
        let bytes = Arc::new(
            self.fs
                .read(&self.image.host(p))
                .map_err(|e| EngineError::io("read", self.image.win_path(p), e))?,
        );
        self.cache.borrow_mut().insert(k, bytes.clone());
        Ok(bytes)
    }

    /// The bytes of `p` in the planned image.
    pub fn read(&self, p: &RelPath) -> Result<Option<Arc<Vec<u8>>>, EngineError> {
        self.content(p).map(|c| self.bytes_of(&c)).transpose()
    }

    /// The bytes `c` stands for, read whole.
    pub fn bytes_of(&self, c: &Content) -> Result<Arc<Vec<u8>>, EngineError> {
        match c {
            Content::Bytes(b) => Ok(b.clone()),
            Content::Packaged(f) => Ok(Arc::new(f.read()?)),
            Content::Disk(src) => self.read_disk(src),
        }
    }

    /// The length of `c`, without reading it.
    pub fn len_of(&self, c: &Content) -> u64 {
        match c {
            Content::Bytes(b) => b.len() as u64,
            Content::Packaged(f) => f.len(),
            Content::Disk(src) => self.disk_meta(src).map_or(0, |m| m.len),
        }
    }

    /// Plans `p` to hold `content`.
    pub fn put(&mut self, p: &RelPath, content: Content) {
        self.changes.insert(key(p), (p.clone(), Some(content)));
    }

    /// Plans `p` to hold `bytes`.
    pub fn put_bytes(&mut self, p: &RelPath, bytes: Arc<Vec<u8>>) {
        self.put(p, Content::Bytes(bytes));
    }

    /// Plans `p` to be gone.
    pub fn remove(&mut self, p: &RelPath) {
        self.changes.insert(key(p), (p.clone(), None));
    }

    /// Files directly in directory `dir` in the planned image (names as
    /// spelled on disk or when planned).
    pub fn list(&self, dir: &RelPath) -> Vec<RelPath> {
        let mut out: BTreeMap<String, RelPath> = BTreeMap::new();
        if let Ok(entries) = self.fs.read_dir(&self.image.host(dir)) {
            for e in entries {
                if let Ok(p) = dir.join(&e.name)
                    && self.on_disk(&p)
                {
                    out.insert(key(&p), p);
                }
            }
        }
        let prefix = format!("{}/", key(dir));
        for (k, (p, c)) in &self.changes {
            if let Some(rest) = k.strip_prefix(&prefix) {
                if rest.contains('/') {
                    continue;
                }
                match c {
                    Some(_) => out.insert(k.clone(), p.clone()),
                    None => out.remove(k),
                };
            }
        }
        out.into_values().collect()
    }

    /// Subdirectories of `dir` on disk or holding planned files.
    pub fn list_dirs(&self, dir: &RelPath) -> Vec<String> {
        let mut out = BTreeMap::new();
        if let Ok(entries) = self.fs.read_dir(&self.image.host(dir)) {
            for e in entries {
                // The listing's kind does not follow links, like metadata.
                if e.kind == FileKind::Dir
                    && dir
                        .join(&e.name)
                        .is_ok_and(|d| !self.removed_dirs.contains_key(&key(&d)))
                {
                    out.insert(e.name.to_lowercase(), e.name.clone());
                }
            }
        }
        let prefix = format!("{}/", key(dir));
        for (k, (p, c)) in &self.changes {
            if let (Some(rest), Some(_)) = (k.strip_prefix(&prefix), c)
                && let Some((first, _)) = rest.split_once('/')
            {
                let orig = &p.as_str()[prefix.len()..prefix.len() + first.len()];
                out.entry(first.to_owned())
                    .or_insert_with(|| orig.to_owned());
            }
        }
        out.into_values().collect()
    }

    /// Whether the file at `p` on disk is `len` bytes long and `same` says
    /// its bytes are the ones wanted. Sizes first: most replaced files
    /// differ in length, and a read here is a second pass over the payload.
    fn disk_holds(&self, p: &RelPath, len: u64, same: impl Fn(&dyn ReadAt) -> bool) -> bool {
        self.disk_meta(p)
            .is_some_and(|m| m.is_file() && m.len == len)
            && self
                .fs
                .open_read_at(&self.image.host(p))
                .is_ok_and(|d| same(&*d))
    }

    /// Writes the planned image: one transaction, after checking that the
    /// filesystem has room for everything it stages.
    pub fn commit(self, title: &str, command: &str) -> Result<Summary, EngineError> {
        self.commit_checked(title, command, &|| Ok(()))
    }

    /// [`View::commit`], with `check` run after everything is staged and
    /// before the commit point: an error there leaves the image untouched
    /// (a package opened with deferred checks checks its remaining files
    /// here, after staging checked the ones it streamed).
    pub fn commit_checked(
        self,
        title: &str,
        command: &str,
        check: &dyn Fn() -> Result<(), EngineError>,
    ) -> Result<Summary, EngineError> {
        let fs = self.fs;
        let effective = self.effective();
        if effective.is_empty() && self.removed_dirs.is_empty() {
            return Ok(Summary::default());
        }
        self.check_hives(&effective)?;
        let moved = moved(&effective);
        let plan = self.plan(&effective, &moved)?;
        self.check_room(&effective, &plan)?;

        let mut txn = Txn::begin(fs, &self.image.state_dir(), title, command)?;
        if let Err(e) = self.record(&mut txn, plan).and_then(|()| check()) {
            // Nothing outside the staging area changed yet; leave none of it.
            let _ = txn.abort();
            return Err(e);
        }
        Ok(txn.commit()?)
    }

    /// Checks, writing nothing, that the filesystem has room for what
    /// [`View::commit`] would stage: a dry run fails with the same
    /// [`EngineError::DiskSpace`] (0xf0f6) the real run would, and refuses
    /// the same unreadable hive. Returns the figure it checked.
    pub fn check_space(&self) -> Result<SpaceFigure, EngineError> {
        let effective = self.effective();
        if effective.is_empty() {
            return Ok(SpaceFigure::default());
        }
        self.check_hives(&effective)?;
        let moved = moved(&effective);
        let plan = self.plan(&effective, &moved)?;
        self.check_room(&effective, &plan)
    }

    /// The planned changes that change something: a put of the bytes
    /// already there is no change.
    fn effective(&self) -> Vec<(RelPath, Option<Content>)> {
        let mut effective = Vec::new();
        for (p, c) in self.changes.values() {
            let same = match c {
                Some(Content::Disk(src)) => src == p,
                // A file the plan read (a hive, a record) is compared with
                // the bytes read then, not read again.
                Some(Content::Bytes(b)) => match self.cache.borrow().get(&key(p)) {
                    Some(held) => self.on_disk(p) && held == b,
                    None => self.disk_holds(p, b.len() as u64, |d| {
                        let mut held = vec![0; b.len()];
                        d.read_exact_at(&mut held, 0).is_ok() && held == **b
                    }),
                },
                Some(Content::Packaged(f)) => {
                    self.disk_holds(p, f.len(), |d| f.matches(d).unwrap_or(false))
                }
                None => !self.on_disk(p),
            };
            if !same {
                effective.push((p.clone(), c.clone()));
            }
        }
        effective
    }

    /// Refuses a plan the filesystem has no room for: exactly what will be
    /// staged, plus the journal and its temporary copy (a few hundred bytes
    /// per operation).
    fn check_room(
        &self,
        effective: &[(RelPath, Option<Content>)],
        plan: &Plan<'_>,
    ) -> Result<SpaceFigure, EngineError> {
        let needed: u64 = 64 * 1024
            + 2 * 512 * effective.len() as u64
            + plan.blobs.iter().map(Blob::len).sum::<u64>();
        let free = self.fs.free_space(self.image.root()).map_err(|e| {
            EngineError::io("measure free space on", self.image.root().display(), e)
        })?;
        if free < needed {
            return Err(EngineError::DiskSpace {
                needed,
                free,
                short: needed - free,
            });
        }
        Ok(SpaceFigure { needed, free })
    }

    /// Refuses to commit a hive file that would not parse: whatever planned
    /// it (the registry of any command, a restore point's or a service
    /// pack backup's snapshot read from the image), the image is never left
    /// with a hive it cannot open.
    fn check_hives(&self, effective: &[(RelPath, Option<Content>)]) -> Result<(), EngineError> {
        for (p, c) in effective {
            let Some(c) = c.as_ref().filter(|_| self.image.is_hive_file(p)) else {
                continue;
            };
            let bytes = match c {
                Content::Bytes(b) => b.clone(),
                Content::Disk(src) => self.read_disk(src)?,
                Content::Packaged(f) => Arc::new(f.read()?),
            };
            hotfix_hive::Hive::parse(&bytes).map_err(|e| EngineError::Hive {
                path: self.image.win_path(p),
                problem: format!(
                    "the bytes planned for it do not parse ({e}); nothing was changed"
                ),
            })?;
        }
        Ok(())
    }

    /// What `effective` becomes: the operations and the new bytes to stage;
    /// removed directories last, deepest first, after the files they held.
    fn plan<'e>(
        &'e self,
        effective: &'e [(RelPath, Option<Content>)],
        moved: &HashSet<String>,
    ) -> Result<Plan<'e>, EngineError> {
        let mut plan = Plan {
            steps: Vec::with_capacity(effective.len()),
            blobs: Vec::new(),
        };
        let mut staged_once: HashMap<(usize, usize), usize> = HashMap::new();
        for (p, c) in effective {
            let exists = self.on_disk(p);
            plan.steps.push(match c {
                None if moved.contains(&key(p)) => continue,
                None => Step::Remove(p),
                Some(Content::Disk(src)) if moved.contains(&key(src)) => Step::Move(src, p),
                Some(Content::Disk(src)) if !exists => Step::LinkDisk(src, p),
                // Disk bytes wanted where a file exists are staged as a
                // copy; new bytes are staged once and linked to other new
                // paths, but a put consumes its staged file, so each existing
                // target gets its own.
                Some(c) => {
                    let id = c.blob_id();
                    match id.and_then(|id| staged_once.get(&id)) {
                        Some(&i) if !exists => Step::LinkStaged(p, i),
                        // Already staged for another path: copied from the
                        // staged file, not read from the package again.
                        Some(&i) => {
                            plan.blobs.push(Blob::Copy(i, plan.blobs[i].len()));
                            Step::Put(p, plan.blobs.len() - 1)
                        }
                        None => {
                            plan.blobs.push(match c {
                                Content::Disk(src) => Blob::Bytes(self.read_disk(src)?),
                                Content::Bytes(b) => Blob::Bytes(b.clone()),
                                Content::Packaged(f) => Blob::Packaged(f.clone()),
                            });
                            let i = plan.blobs.len() - 1;
                            if let Some(id) = id {
                                staged_once.insert(id, i);
                            }
                            Step::Put(p, i)
                        }
                    }
                }
            });
        }
        plan.steps
            .extend(self.removed_dirs.values().rev().map(Step::RemoveDir));
        Ok(plan)
    }

    /// Stages the new bytes (see [`Txn::stage_all`]): first every blob read
    /// from its source, then the copies of those wanted at a second existing
    /// path (a file and its dllcache copy), from the staged files. Then
    /// records every operation.
    fn record(&self, txn: &mut Txn<'_>, plan: Plan<'_>) -> Result<(), EngineError> {
        let (copies, sources): (Vec<usize>, Vec<usize>) =
            (0..plan.blobs.len()).partition(|&i| matches!(plan.blobs[i], Blob::Copy(..)));
        let mut staged: Vec<Option<Staged>> = vec![None; plan.blobs.len()];
        let fs = self.fs;
        for batch in [sources, copies] {
            // Where a copy's source was staged (in the first batch).
            let hosts: Vec<_> = batch
                .iter()
                .map(|&i| match plan.blobs[i] {
                    Blob::Copy(source, _) => {
                        staged[source].as_ref().map(|s| self.image.host(&s.path))
                    }
                    _ => None,
                })
                .collect();
            let fills: Vec<_> = batch
                .iter()
                .zip(&hosts)
                .map(|(&i, host)| {
                    let b = &plan.blobs[i];
                    move |w: &mut dyn Write| match (b, host) {
                        (Blob::Bytes(bytes), _) => w.write_all(bytes),
                        (Blob::Packaged(f), _) => f.write_to(w),
                        (Blob::Copy(..), Some(host)) => copy_to(&*fs.open_read_at(host)?, w),
                        (Blob::Copy(..), None) => unreachable!("copies are staged second"),
                    }
                })
                .collect();
            let fills: Vec<Fill<'_>> = fills.iter().map(|f| f as Fill<'_>).collect();
            let done = txn.stage_all(&fills).map_err(staging_error)?;
            for (&i, s) in batch.iter().zip(done) {
                staged[i] = Some(s);
            }
        }
        let staged: Vec<Staged> = staged
            .into_iter()
            .map(|s| s.expect("every blob staged"))
            .collect();
        for step in plan.steps {
            match step {
                Step::Remove(p) => txn.remove(p, None)?,
                // Moved into the staging area, which the cleanup removes
                // whole (a scratch removal is unlinked like a file).
                Step::RemoveDir(p) => {
                    let to = txn.scratch();
                    txn.remove(p, Some(to))?
                }
                Step::Move(src, p) => txn.put(p, &Staged { path: src.clone() }, Vec::new())?,
                // `link` plans the new name's missing directories too.
                Step::LinkDisk(src, p) => txn.link(src, p)?,
                Step::LinkStaged(p, i) => txn.link(&staged[i].path, p)?,
                Step::Put(p, i) => txn.put(p, &staged[i], Vec::new())?,
            }
        }
        Ok(())
    }
}

/// The transaction a view's changes become, before anything is written.
struct Plan<'e> {
    steps: Vec<Step<'e>>,
    blobs: Vec<Blob>,
}

/// What one change becomes; `usize`: an index into the plan's new bytes.
enum Step<'e> {
    Remove(&'e RelPath),
    /// An emptied directory.
    RemoveDir(&'e RelPath),
    /// A removed disk file renamed to the one other path that wants it.
    Move(&'e RelPath, &'e RelPath),
    LinkDisk(&'e RelPath, &'e RelPath),
    Put(&'e RelPath, usize),
    LinkStaged(&'e RelPath, usize),
}

/// The removed disk files wanted at exactly one other path: they move
/// there by rename instead of being copied.
/// What a commit needs on the image's filesystem and what it has, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpaceFigure {
    /// Staged bytes plus the journal and its temporary copy.
    pub needed: u64,
    /// Free to an unprivileged writer when it was measured.
    pub free: u64,
}

fn moved(effective: &[(RelPath, Option<Content>)]) -> HashSet<String> {
    let mut uses: HashMap<String, usize> = HashMap::new();
    for (_, c) in effective {
        if let Some(Content::Disk(src)) = c {
            *uses.entry(key(src)).or_default() += 1;
        }
    }
    let removed: HashSet<String> = effective
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(p, _)| key(p))
        .collect();
    uses.into_iter()
        .filter(|(k, n)| *n == 1 && removed.contains(k))
        .map(|(k, _)| k)
        .collect()
}

/// A package that fails its check while it is staged is a damaged package
/// (0xf0f1, naming the package and the file), not an I/O failure; a full
/// disk stays a full disk.
fn staging_error(e: TxnError) -> EngineError {
    let TxnError::Io { what, source } = e else {
        return e.into();
    };
    match PackageError::from_io(source) {
        Ok(package) => EngineError::Package(package),
        Err(source) => TxnError::Io { what, source }.into(),
    }
}

/// New bytes to stage, ready to be written from any thread.
enum Blob {
    Bytes(Arc<Vec<u8>>),
    Packaged(PackagedFile),
    /// The bytes of blob `.0` (`.1` long), wanted at another existing path.
    Copy(usize, u64),
}

impl Blob {
    fn len(&self) -> u64 {
        match self {
            Blob::Bytes(b) => b.len() as u64,
            Blob::Packaged(f) => f.len(),
            Blob::Copy(_, len) => *len,
        }
    }
}

/// Copies a staged file to `w`, a block at a time.
fn copy_to(from: &dyn ReadAt, w: &mut dyn Write) -> std::io::Result<()> {
    let mut buf = vec![0; 1 << 20];
    let mut at = 0;
    while at < from.len() {
        let n = (from.len() - at).min(buf.len() as u64) as usize;
        from.read_exact_at(&mut buf[..n], at)?;
        w.write_all(&buf[..n])?;
        at += n as u64;
    }
    Ok(())
}

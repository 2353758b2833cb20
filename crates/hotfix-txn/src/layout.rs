//! Where the transaction machinery lives inside an image.

use std::path::{Path, PathBuf};

use crate::RelPath;

/// The image root and our state directory (`WINDOWS/$hotfix$`) within it,
/// and the host directory, outside every image, that holds the key
/// journals are bound with.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
    dir: RelPath,
    host_state: PathBuf,
}

impl StateDir {
    /// `dir` is relative to `root`, e.g. `WINDOWS/$hotfix$`; the host state
    /// is [`crate::default_state_dir`].
    pub fn new(root: &Path, dir: RelPath) -> Self {
        Self {
            root: root.to_path_buf(),
            dir,
            host_state: crate::default_state_dir(),
        }
    }
    /// The same, with the host state (the journal key) in `host_state`.
    pub fn with_host_state(mut self, host_state: &Path) -> Self {
        self.host_state = host_state.to_path_buf();
        self
    }
    /// The host directory holding the journal key.
    pub fn host_state(&self) -> &Path {
        &self.host_state
    }
    /// The image root on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The state directory, relative to the root.
    pub fn dir(&self) -> &RelPath {
        &self.dir
    }
    /// A path relative to the state directory, as an image-relative path.
    pub fn rel(&self, name: &str) -> RelPath {
        // `name` is one of our own constant names, always valid.
        self.dir.join(name).unwrap_or_else(|_| self.dir.clone())
    }
    /// Host path of an image-relative path.
    pub fn host(&self, p: &RelPath) -> PathBuf {
        p.on(&self.root)
    }
    pub(crate) fn journal(&self) -> RelPath {
        self.rel("journal")
    }
    pub(crate) fn txn_dir(&self) -> RelPath {
        self.rel("txn")
    }
    /// Host path of the lock file.
    pub fn lock_path(&self) -> PathBuf {
        self.host(&self.rel("lock"))
    }
    pub(crate) fn recovery_log(&self) -> RelPath {
        self.rel("recovery.log")
    }
}

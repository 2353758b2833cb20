//! Where the transaction machinery lives inside an image.

use std::path::{Path, PathBuf};

use crate::RelPath;

/// The image root and our state directory (`WINDOWS/$hotfix$`) within it.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
    dir: RelPath,
}

impl StateDir {
    /// `dir` is relative to `root`, e.g. `WINDOWS/$hotfix$`.
    pub fn new(root: &Path, dir: RelPath) -> Self {
        Self {
            root: root.to_path_buf(),
            dir,
        }
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

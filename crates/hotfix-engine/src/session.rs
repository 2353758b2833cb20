//! One command's hold on an image: the lock, recovery of an interrupted
//! run, and the image's identity.

use std::path::Path;
use std::time::Duration;

use hotfix_fs::{Fs, LockAttempt, LockGuard, create_dir_all};
use hotfix_image::{Identity, Image};
use hotfix_txn::{Recovered, recover};

use crate::EngineError;
use crate::record::StatePaths;
use crate::report::Reporter;

/// Whether to wait for another process holding the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait, saying so once.
    Block,
    /// Fail at once (`--no-wait`).
    NoWait,
}

/// An opened, locked and recovered image.
#[derive(Debug)]
pub struct Session<'f> {
    /// The filesystem.
    pub fs: &'f dyn Fs,
    /// The image.
    pub image: Image,
    /// Product, service pack, language.
    pub identity: Identity,
    /// What recovery found at open.
    pub recovered: Recovered,
    /// Where our state files are.
    pub paths: StatePaths,
    _lock: LockGuard,
}

impl<'f> Session<'f> {
    /// Opens the image at `root`, takes its lock (waiting or not) and
    /// finishes or rolls back any interrupted transaction first.
    /// `reporter` receives the notices a user should see.
    pub fn open(
        fs: &'f dyn Fs,
        root: &Path,
        wait: Wait,
        reporter: &mut dyn Reporter,
    ) -> Result<Self, EngineError> {
        let image = Image::open(fs, root)?;
        let sd = image.state_dir();
        let dir = sd.host(sd.dir());
        let created =
            create_dir_all(fs, &dir).map_err(|e| EngineError::io("create", dir.display(), e))?;
        // A state directory whose entry is not durable would vanish in a
        // power cut with the journal inside it, while the image changes it
        // protects survive: make each new directory's entry durable first.
        for d in created.iter().rev() {
            if let Some(parent) = d.parent() {
                fs.sync_dir(parent)
                    .map_err(|e| EngineError::io("sync", parent.display(), e))?;
            }
        }
        let lock_path = sd.lock_path();
        let lock_err = |e| EngineError::io("lock", lock_path.display(), e);
        let lock = match fs.try_lock(&lock_path).map_err(lock_err)? {
            LockAttempt::Acquired(g) => g,
            LockAttempt::Busy if wait == Wait::NoWait => {
                return Err(EngineError::Busy {
                    lock: lock_path.display().to_string(),
                });
            }
            LockAttempt::Busy => {
                reporter.notice(&format!(
                    "waiting for another hotfix process to finish with {} (lock held on {})",
                    root.display(),
                    lock_path.display()
                ));
                loop {
                    if let LockAttempt::Acquired(g) = fs.try_lock(&lock_path).map_err(lock_err)? {
                        break g;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        let recovered = recover(fs, &sd)?;
        if let Some(msg) = recovered.describe() {
            reporter.notice(&msg);
        }
        let identity = image.identity(fs)?;
        let paths: StatePaths = sd.clone();
        Ok(Self {
            fs,
            image,
            identity,
            recovered,
            paths,
            _lock: lock,
        })
    }
}

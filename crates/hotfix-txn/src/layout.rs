//! The one owner of our state layout under `%windir%\$hotfix$`: every file
//! and directory hotfix keeps there is named here, and every crate asks
//! [`StateDir`] for its path instead of joining names of its own.
//!
//! ```text
//! $hotfix$\
//!   lock               flock of the running hotfix process
//!   journal            the transaction in progress (journal.hftmp while written)
//!   txn\               its staged files and preserved originals
//!   recovery.log       what recovery found and did
//!   inuse.lst          files the running system holds open
//!   installed\KB.json  one record per installed hotfix
//!   baseline.json      each file as it was before the first hotfix
//!   store\<sha256>     content-addressed copies uninstall restores from
//!   servicepacks.json  the service packs installed, oldest first
//!   restore\<n>\       restore points: point.json and the hive snapshots
//! ```
//!
//! Names we choose are constants, so joining them cannot fail; a name built
//! from outside input (a KB read back from a record, a digest) is checked
//! and refused with an error, never replaced by another path.

use std::path::{Path, PathBuf};

use crate::{RelPath, TxnError};

/// The state directory's name inside `%windir%`.
pub const STATE_DIR_NAME: &str = "$hotfix$";
/// The in-use list, one Windows path per line.
pub const IN_USE_LIST: &str = "inuse.lst";

const JOURNAL: &str = "journal";
const JOURNAL_TMP: &str = "journal.hftmp";
const TXN: &str = "txn";
const LOCK: &str = "lock";
const RECOVERY_LOG: &str = "recovery.log";
const INSTALLED: &str = "installed";
const BASELINE: &str = "baseline.json";
const STORE: &str = "store";
const SERVICE_PACKS: &str = "servicepacks.json";
const RESTORE: &str = "restore";
const RESTORE_POINT_LIST: &str = "point.json";

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
    /// The state directory of the image at `root` whose Windows directory
    /// is `windir`: `windir/$hotfix$`.
    pub fn of_windir(root: &Path, windir: &RelPath) -> Self {
        Self::new(root, windir.child(STATE_DIR_NAME))
    }
    /// The image root on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The state directory, relative to the root.
    pub fn dir(&self) -> &RelPath {
        &self.dir
    }
    /// Host path of an image-relative path.
    pub fn host(&self, p: &RelPath) -> PathBuf {
        p.on(&self.root)
    }
    /// `dir/<one component built from outside input>`, refused when it is
    /// not exactly one plain component.
    fn entry(&self, dir: &RelPath, name: &str) -> Result<RelPath, TxnError> {
        if name.contains(['/', '\\']) {
            return Err(TxnError::BadPath(format!("{dir}/{name}")));
        }
        dir.join(name)
    }
    /// The transaction journal.
    pub fn journal(&self) -> RelPath {
        self.dir.child(JOURNAL)
    }
    /// The journal while it is written, before its atomic rename.
    pub fn journal_tmp(&self) -> RelPath {
        self.dir.child(JOURNAL_TMP)
    }
    /// The transaction's staging directory.
    pub fn txn_dir(&self) -> RelPath {
        self.dir.child(TXN)
    }
    /// Staged or preserved file number `n` of kind `sub` (`s`, `p`) of the
    /// transaction.
    pub fn staging(&self, sub: &'static str, n: u64) -> RelPath {
        self.txn_dir().child(sub).numbered(n)
    }
    /// The lock file.
    pub fn lock(&self) -> RelPath {
        self.dir.child(LOCK)
    }
    /// Host path of the lock file.
    pub fn lock_path(&self) -> PathBuf {
        self.host(&self.lock())
    }
    /// What recovery found and did.
    pub fn recovery_log(&self) -> RelPath {
        self.dir.child(RECOVERY_LOG)
    }
    /// The in-use list.
    pub fn in_use_list(&self) -> RelPath {
        self.dir.child(IN_USE_LIST)
    }
    /// `installed/`, the install records.
    pub fn installed_dir(&self) -> RelPath {
        self.dir.child(INSTALLED)
    }
    /// `installed/KB.json` (the KB in upper case).
    pub fn record(&self, kb: &str) -> Result<RelPath, TxnError> {
        let name = format!("{}.json", kb.to_ascii_uppercase());
        self.entry(&self.installed_dir(), &name)
    }
    /// `baseline.json`.
    pub fn baseline(&self) -> RelPath {
        self.dir.child(BASELINE)
    }
    /// `store/`.
    pub fn store_dir(&self) -> RelPath {
        self.dir.child(STORE)
    }
    /// `store/<sha256>`.
    pub fn store(&self, sha: &str) -> Result<RelPath, TxnError> {
        self.entry(&self.store_dir(), sha)
    }
    /// `servicepacks.json`.
    pub fn service_packs(&self) -> RelPath {
        self.dir.child(SERVICE_PACKS)
    }
    /// `restore/`, the restore points.
    pub fn restore_dir(&self) -> RelPath {
        self.dir.child(RESTORE)
    }
    /// `restore/<n>/`, restore point `n` (its hive snapshots beside its list).
    pub fn restore_point(&self, n: u32) -> RelPath {
        self.restore_dir().numbered(u64::from(n))
    }
    /// `restore/<n>/point.json`, what restore point `n` holds.
    pub fn restore_point_list(&self, n: u32) -> RelPath {
        self.restore_point(n).child(RESTORE_POINT_LIST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_one_valid_component_and_outside_input_is_checked() {
        for name in [
            STATE_DIR_NAME,
            IN_USE_LIST,
            JOURNAL,
            JOURNAL_TMP,
            TXN,
            LOCK,
            RECOVERY_LOG,
            INSTALLED,
            BASELINE,
            STORE,
            SERVICE_PACKS,
            RESTORE,
            RESTORE_POINT_LIST,
        ] {
            assert!(
                RelPath::new(name).is_ok() && !name.contains(['/', '\\']),
                "{name}"
            );
        }
        let windir = RelPath::new("WINDOWS").unwrap();
        let sd = StateDir::of_windir(Path::new("/img"), &windir);
        assert_eq!(sd.dir().as_str(), "WINDOWS/$hotfix$");
        assert_eq!(
            sd.record("kb925902").unwrap().as_str(),
            "WINDOWS/$hotfix$/installed/KB925902.json"
        );
        assert_eq!(sd.staging("s", 7).as_str(), "WINDOWS/$hotfix$/txn/s/7");
        assert_eq!(sd.lock_path(), Path::new("/img/WINDOWS/$hotfix$/lock"));
        for bad in ["../x", "a/b", "a\\b"] {
            assert!(sd.record(bad).is_err(), "record {bad:?}");
        }
        for bad in ["../x", "a/b", "a\\b", "..", ""] {
            assert!(sd.store(bad).is_err(), "store {bad:?}");
        }
    }
}

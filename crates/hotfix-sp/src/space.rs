//! The disk space an SP install needs, in one figure the user can trust.
//!
//! Every byte the transaction puts on the disk is counted at the size the
//! filesystem allocates (whole 4 KiB blocks): the payload (staged in
//! `$hotfix$\txn\s` and renamed into place, so staging and payload are the
//! same blocks) with the changed hives and the record, the backups and the
//! restore point (hard links, free, unless the filesystem has no links:
//! then full copies), the journal (written twice while it is replaced), new
//! directories, and the log appended at the end.

use std::collections::BTreeSet;

use hotfix_engine::{EngineError, Session};
use hotfix_txn::RelPath;
use serde::Serialize;

use crate::install::Plan;

/// Allocation unit assumed for every file and directory.
pub const BLOCK: u64 = 4096;

/// Rounds up to whole blocks.
pub fn blocks(len: u64) -> u64 {
    len.div_ceil(BLOCK) * BLOCK
}

/// The bytes an install needs, by purpose.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SpaceNeed {
    /// New files written (staged, then renamed into place).
    pub payload: u64,
    /// `$NtServicePackUninstall$` (0 when hard links keep the old bytes).
    pub backups: u64,
    /// The journal (twice), new directories and their entries (the new
    /// hives are written like payload, and counted there).
    pub staging: u64,
    /// The restore point's snapshot and list.
    pub restore_point: u64,
    /// svcpack.log.
    pub log: u64,
    /// Bytes free on the image's filesystem.
    pub free: u64,
}

impl SpaceNeed {
    /// The total needed.
    pub fn total(&self) -> u64 {
        self.payload + self.backups + self.staging + self.restore_point + self.log
    }

    /// "needs 1,612 MB, 2,140 MB free".
    pub fn describe(&self) -> String {
        format!("needs {} MB, {} MB free", mb(self.total()), mb(self.free))
    }
}

/// Whole megabytes (rounded up) with thousands separators.
pub fn mb(bytes: u64) -> String {
    let n = bytes.div_ceil(1 << 20).to_string();
    let mut out = String::new();
    for (i, c) in n.chars().enumerate() {
        if i > 0 && (n.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Plan<'_, '_> {
    /// The exact need of the planned transaction, and the free space.
    pub(crate) fn space(&self, session: &Session<'_>) -> Result<SpaceNeed, EngineError> {
        let fs = session.fs;
        let image = &session.image;
        let links = links_work(session);
        let copies = |lens: &[u64]| -> u64 {
            if links {
                0
            } else {
                lens.iter().map(|&l| blocks(l)).sum()
            }
        };
        // A journal entry is a few hundred bytes of JSON around its paths
        // and digest; the journal exists twice while it is replaced.
        let journal: u64 = self
            .new_paths
            .iter()
            .map(|p| 320 + 2 * p.as_str().len() as u64)
            .sum();
        // Directories the transaction creates (one block each, plus the
        // three of txn\), and the entries every new name adds to a
        // directory (staging in txn\s, then the target's directory).
        let mut new_dirs = BTreeSet::new();
        for p in &self.new_paths {
            let mut dir = p.parent();
            while let Some(d) = dir {
                if !new_dirs.insert(d.as_str().to_lowercase()) || fs.exists(&image.host(&d)) {
                    break;
                }
                dir = d.parent();
            }
        }
        let created = new_dirs
            .iter()
            .filter(|d| RelPath::new(d).is_ok_and(|r| !fs.exists(&image.host(&r))))
            .count() as u64;
        let entries = self.new_paths.len() as u64 * 2 * 64;
        let free = fs.free_space(image.root()).map_err(|e| EngineError::Io {
            what: "measure free space on",
            path: image.root().display().to_string(),
            source: e,
        })?;
        Ok(SpaceNeed {
            payload: self.written.iter().map(|&l| blocks(l)).sum(),
            backups: copies(&self.backup_lens),
            staging: blocks(journal) * 2 + (created + 3) * BLOCK + blocks(entries),
            restore_point: copies(&self.restore_lens) + blocks(self.restore_list),
            log: blocks(self.log.lines().len() as u64 * 160 + 4096),
            free,
        })
    }
}

/// Whether the image's filesystem gives second names to files (so backups
/// cost no data blocks). Probed in the staging directory `txn\`, which
/// recovery removes when no journal owns it: a crash during the probe
/// leaves nothing behind.
fn links_work(session: &Session<'_>) -> bool {
    let fs = session.fs;
    let sd = session.image.state_dir();
    let dir = sd.host(&sd.txn_dir());
    let created = fs.create_dir(&dir).is_ok();
    let source = dir.join("linkprobe");
    let probe = dir.join("linkprobe.2");
    let _ = fs.remove_file(&probe);
    let ok = fs.create(&source).is_ok() && fs.hard_link(&source, &probe).is_ok();
    let _ = fs.remove_file(&probe);
    let _ = fs.remove_file(&source);
    if created {
        let _ = fs.remove_dir(&dir);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn megabytes_read_like_the_original() {
        assert_eq!(mb(1_612 << 20), "1,612");
        assert_eq!(mb(1), "1");
        assert_eq!(mb(0), "0");
        assert_eq!(mb(1_234_567 << 20), "1,234,567");
        assert_eq!(blocks(1), 4096);
        assert_eq!(blocks(8192), 8192);
    }
}

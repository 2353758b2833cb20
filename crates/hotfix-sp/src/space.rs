//! The disk space an SP install needs, in one figure the user can trust.
//!
//! Every byte the transaction puts on the disk is counted at the size the
//! filesystem allocates (whole 4 KiB blocks): the payload (staged in
//! `$hotfix$\txn\s` and renamed into place, so staging and payload are the
//! same blocks), the new hives, the backups and the restore point (hard
//! links, free, unless the filesystem has no links: then full copies), the
//! journal (written twice while it is replaced), new directories, and the
//! log appended at the end.

use serde::Serialize;

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
    /// New hives, the journal (twice) and new directories.
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

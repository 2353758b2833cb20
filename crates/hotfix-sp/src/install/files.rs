//! Planning the payload: where each copy line of update.inf lands and
//! whether the file there is added, replaced, queued or kept.

use std::collections::BTreeSet;

use hotfix_engine::{Content, EngineError};
use hotfix_fs::ReadAt;
use hotfix_inf::{CopyFile, DirRoot, dirid_location};
use hotfix_package::PackagedFile;
use hotfix_pending::{PendingOp, PendingQueue};
use hotfix_txn::RelPath;

use super::{Plan, SpOptions};

/// Where one copy line of update.inf lands, as a Windows path.
pub(super) fn win_target(c: &CopyFile) -> Option<String> {
    let (root, rel) = dirid_location(c.dest.dirid)?;
    let mut parts: Vec<&str> = Vec::new();
    let anchor = match root {
        DirRoot::Windir => "%windir%",
        DirRoot::SystemDrive => "",
        DirRoot::ProgramFiles => "%ProgramFiles%",
        DirRoot::CommonFiles => "%ProgramFiles%\\Common Files",
    };
    if !anchor.is_empty() {
        parts.push(anchor);
    }
    parts.extend([rel].into_iter().filter(|s| !s.is_empty()));
    parts.extend(c.dest.subdir.as_deref());
    parts.push(&c.target);
    Some(parts.join("\\"))
}

/// One payload file and where it goes.
pub(super) struct Planned<'p> {
    pub target: &'p RelPath,
    /// The file in the package, streamed into place at commit; its version
    /// comes from update.ver, which the package's opening checked.
    pub file: PackagedFile,
}

impl Plan<'_, '_> {
    /// Queues `staged` to replace `target` at the restart.
    pub(crate) fn queue_replace(
        &mut self,
        staged: &RelPath,
        target: &RelPath,
        queue: &mut PendingQueue,
    ) {
        let image = self.view.image();
        // `PendingOp::replace` writes the `!` itself.
        queue.ops.push(PendingOp::replace(
            image.nt_path(staged),
            image.nt_path(target),
        ));
        self.report.queued += 1;
    }

    /// Decides one file; returns its backup path when it is replaced.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide(
        &mut self,
        new: &Planned<'_>,
        cur: Option<&dyn ReadAt>,
        if_exists: bool,
        opts: &SpOptions,
        in_use: &BTreeSet<String>,
        queue: &mut PendingQueue,
        kb: &str,
    ) -> Result<Option<RelPath>, EngineError> {
        let target = new.target;
        let win = self.view.image().win_path(target);
        let new_version = new.file.entry().version;
        let content = Content::Packaged(new.file.clone());
        let Some(cur) = cur else {
            if if_exists {
                return Ok(None);
            }
            self.written.push(new.file.len());
            self.new_paths.push(target.clone());
            self.view.put(target, content);
            self.record.files.push((target.as_str().to_owned(), None));
            self.report.added += 1;
            return Ok(None);
        };
        let replace = match new_version {
            None => !new.file.matches(cur)?,
            // Only the version resource is read: headers and `.rsrc`.
            Some(n) => match hotfix_pe::read_version_at(cur).map_err(|e| EngineError::Io {
                what: "read",
                path: win.clone(),
                source: e,
            })? {
                Ok(c) if n <= c.file_version => {
                    if n < c.file_version {
                        self.log.line(format!(
                            "Kept {win}: {} on disk is newer than the service pack's {n}",
                            c.file_version
                        ));
                        self.report.kept_newer += 1;
                    }
                    false
                }
                Ok(_) => true,
                Err(problem) => {
                    if opts.strict_versions {
                        return Err(EngineError::UnreadableVersion {
                            path: win,
                            problem: problem.to_string(),
                        });
                    }
                    self.log.line(format!(
                        "Unable to get File Version of {win} ({problem}); it ranks below the package's {n} and will be replaced (rule R3)"
                    ));
                    self.report.unreadable_replaced.push(win.clone());
                    true
                }
            },
        };
        if !replace {
            return Ok(None);
        }
        let backup = self.keep_old(target);
        self.written.push(new.file.len());
        if in_use.contains(&target.as_str().to_lowercase()) {
            let staged = hotfix_engine::staged_name(target, kb);
            self.new_paths.push(staged.clone());
            self.queue_replace(&staged, target, queue);
            self.view.put(&staged, content);
        } else {
            self.new_paths.push(target.clone());
            self.view.put(target, content);
            self.report.replaced += 1;
        }
        Ok(Some(backup))
    }
}

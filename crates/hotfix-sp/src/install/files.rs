//! The payload: each copy line of update.inf goes through the engine's one
//! per-file decision ([`FileRules::decide`]); what is left here is the
//! service pack's bookkeeping of it (the counts of the report, the bytes of
//! the space figure, spuninst's list).

use hotfix_engine::{
    Content, Decision, EngineError, FileAction, FileRules, Offer, check_writable, destination,
};
use hotfix_image::Resolver;
use hotfix_inf::CopyFile;
use hotfix_model::TagRank;
use hotfix_package::Package;
use hotfix_pending::PendingQueue;
use hotfix_txn::RelPath;

use super::Plan;

/// What one file needs from the plan besides the view.
pub(super) struct Payload<'p, 'f> {
    pub pkg: &'p Package,
    pub rules: &'p FileRules,
    pub queue: &'p mut PendingQueue,
    pub resolver: &'p mut Resolver<'f>,
}

impl Plan<'_, '_> {
    /// Decides one copy line; returns (target, backup) when the file there
    /// was replaced and backed up.
    pub(super) fn install_line(
        &mut self,
        p: &mut Payload<'_, '_>,
        line: &CopyFile,
        if_exists: bool,
    ) -> Result<Option<(RelPath, RelPath)>, EngineError> {
        let win = destination(line).map_err(|e| EngineError::Damaged {
            package: p.pkg.file_name.clone(),
            problem: e.to_string(),
        })?;
        let target = p.resolver.resolve(&win)?;
        check_writable(self.view.image(), &target, || {
            format!("{}: update.inf section [{}]", p.pkg.file_name, line.section)
        })?;
        let file = p.pkg.file(&line.source)?;
        let len = file.len();
        let kb = self.report.kb.clone();
        let backup = self.backup_for(&target);
        let d = p.rules.decide(
            self.view,
            p.queue,
            self.log,
            Offer {
                target: &target,
                // Streamed from the package at commit; its version is
                // update.ver's, which the package's checks hold it to.
                version: file.entry().version,
                content: Content::Packaged(file),
                tag: TagRank::Unknown,
                sha256: None,
                if_exists,
                backup,
                owner: &kb,
            },
        )?;
        Ok(self.count(&target, len, &d))
    }

    /// Counts a decision in the report, the space figure and spuninst's list.
    fn count(&mut self, target: &RelPath, len: u64, d: &Decision) -> Option<(RelPath, RelPath)> {
        let win = self.view.image().win_path(target);
        if d.unreadable {
            self.report.unreadable_replaced.push(win);
        }
        let r = &mut self.report;
        match d.action {
            FileAction::Replaced if d.old.is_none() => r.added += 1,
            FileAction::Replaced => r.replaced += 1,
            FileAction::Queued => r.queued += 1,
            FileAction::KnownDllSwap => r.swapped += 1,
            FileAction::SkippedNotNewer if d.newer_kept => r.kept_newer += 1,
            FileAction::SkippedNotNewer | FileAction::SkippedAbsent => {}
        }
        if !d.action.applied() {
            return None;
        }
        self.written.push(len);
        self.new_paths.extend(d.placed.clone());
        if let Some(aside) = &d.aside {
            self.count_link(aside, target);
        }
        // A file replaced before by an earlier run of this SP keeps that
        // run's entry (`backup_for` gave no backup path).
        let backup = d.backup.clone().filter(|_| d.old.is_some());
        if let Some(b) = &backup {
            self.count_link(b, target);
        }
        self.note_backup(target, backup.as_ref());
        backup.map(|b| (target.clone(), b))
    }
}

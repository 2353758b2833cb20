//! One payload file: pick the copy, compare it with the disk and the queue
//! (R1–R3), and replace, queue (R5) or swap (R6) it, keeping the backup.

use std::sync::Arc;

use hotfix_model::TagRank;
use hotfix_pending::PendingOp;
use hotfix_txn::RelPath;

use super::Ctx;
use super::plan::{Layout, Mode, Target};
use crate::EngineError;
use crate::rank::{Facts, tag_number};
use crate::record::{BaselineEntry, FileAction, FileRecord};
use crate::view::Content;

/// dirid of the Windows File Protection cache; its copies get no backup.
const DLLCACHE: u32 = 65619;

/// `%windir%\$hf_mig$`: QFE copies kept by GDR installs (KB824994).
pub(crate) const HF_MIG_DIR: &str = "$hf_mig$";

/// The payload copy chosen for a target: its path, bytes and facts.
type Picked = (String, Arc<Vec<u8>>, Facts);

impl Ctx<'_, '_> {
    fn hf_mig(&self) -> RelPath {
        join(self.view.image().windir(), HF_MIG_DIR)
    }

    /// The first of `candidate(0)`, `candidate(1)`, ... that names no file in
    /// the planned image.
    fn first_free(&self, candidate: impl Fn(u32) -> RelPath) -> RelPath {
        let mut n = 0;
        loop {
            let p = candidate(n);
            if !self.view.exists(&p) {
                return p;
            }
            n += 1;
        }
    }

    /// Index of the queue entry that targets `rel`, if any.
    fn queued_for(&self, rel: &RelPath) -> Option<usize> {
        let nt = self.view.image().nt_path(rel);
        self.queue.ops.iter().position(|op| op.targets(&nt))
    }

    /// The image file a queued NT path names.
    fn queued_source(&self, idx: usize) -> Option<RelPath> {
        let src = &self.queue.ops[idx].source;
        self.view.image().resolve(self.view.fs(), src).ok()
    }

    /// Drops the queue entry for `rel`, deleting its staged source.
    fn drop_queued(&mut self, rel: &RelPath) {
        if let Some(i) = self.queued_for(rel) {
            if let Some(src) = self.queued_source(i)
                && &src != rel
            {
                self.view.remove(&src);
            }
            let op = self.queue.ops.remove(i);
            self.log.line(format!(
                "CleanPFR: dropped the queued rename of {} to {}: a newer copy replaces it",
                op.source,
                op.target.unwrap_or_default()
            ));
        }
    }

    /// Picks the payload copy for `t`: the chosen branch, or a newer QFE
    /// copy another package stashed in `$hf_mig$` (KB824994).
    fn pick_source(&mut self, layout: &Layout, t: &Target) -> Result<Option<Picked>, EngineError> {
        let pkg = self.pkg;
        let Some(path) = layout
            .candidates(&t.copy.source)
            .into_iter()
            .find(|p| pkg.has(p))
        else {
            // Copy lists are shared by every branch; a file that only some
            // branches carry is simply not part of this one.
            let suffix = format!("\\{}", t.copy.source).to_lowercase();
            if pkg
                .payload()
                .iter()
                .any(|e| e.path.to_lowercase().ends_with(&suffix))
            {
                return Ok(None);
            }
            return Err(EngineError::Damaged {
                package: pkg.file_name.clone(),
                problem: format!(
                    "update.inf section [{}] names {}, which the package does not contain",
                    t.copy.section, t.copy.source
                ),
            });
        };
        let bytes = Arc::new(pkg.read(&path)?);
        // The store keys files by SHA-256, which update.ver no longer
        // carries (its digests are BLAKE3), so the file is hashed here.
        let facts = Facts::of(&bytes);
        let mut best = (path, bytes.clone(), facts);
        let kb = self.kb.clone();
        match (layout.chosen, layout.qfe) {
            (Some(chosen), Some(qfe)) if chosen != qfe => {
                let qpath = format!("{}\\{}", qfe.folder(), t.copy.source);
                if pkg.has(&qpath) {
                    let stash = join(&join(&self.hf_mig(), &kb), &qpath.replace('\\', "/"));
                    if !self.view.exists(&stash) {
                        self.view.put_bytes(&stash, Arc::new(pkg.read(&qpath)?));
                    }
                }
            }
            (Some(chosen), Some(qfe)) if chosen == qfe => {
                for dir in self.view.list_dirs(&self.hf_mig()) {
                    if dir.eq_ignore_ascii_case(&kb) {
                        continue;
                    }
                    let p = join(
                        &join(&self.hf_mig(), &dir),
                        &format!("{}/{}", qfe.folder(), t.copy.source.replace('\\', "/")),
                    );
                    if let Some(b) = self.view.read(&p)? {
                        let f = Facts::of(&b);
                        if f.rank > best.2.rank {
                            self.log.line(format!(
                                "Using {} ({}) from $hf_mig$ instead of the package's {} ({})",
                                self.view.image().win_path(&p),
                                f.version_text(),
                                best.0,
                                best.2.version_text()
                            ));
                            best = (
                                format!("$hf_mig$\\{dir}\\{}\\{}", qfe.folder(), t.copy.source),
                                b,
                                f,
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(Some(best))
    }

    /// Installs (or declines) one target. `backup_dir` is `None` with `/nobackup`.
    pub(super) fn install_file(
        &mut self,
        layout: &Layout,
        t: &Target,
        backup_dir: Option<&RelPath>,
    ) -> Result<Option<FileRecord>, EngineError> {
        let Some((source, new, facts)) = self.pick_source(layout, t)? else {
            let branch = layout.chosen.map(|b| b.folder()).unwrap_or_default();
            self.log.line(format!(
                "{} is not part of branch {branch}; skipped",
                t.copy.source
            ));
            return Ok(None);
        };
        let win = self.view.image().win_path(&t.rel);
        if self.view.is_dir(&t.rel) {
            return Err(EngineError::TargetIsDirectory { path: win });
        }
        let mut record = FileRecord {
            target: t.rel.as_str().to_owned(),
            source,
            version: facts.rank.version.map(|v| v.to_string()),
            tag_rank: tag_number(facts.rank.tag),
            sha256: facts.rank.sha256.clone(),
            size: new.len() as u64,
            action: FileAction::SkippedNotNewer,
            backup: None,
            backup_sha256: None,
        };
        let cur = self.view.read(&t.rel)?;
        if cur.is_none() && t.mode == Mode::IfExists {
            record.action = FileAction::SkippedAbsent;
            return Ok(Some(record));
        }
        let cur_facts = cur.as_ref().map(|b| Facts::of(b));
        if let (Some(cf), Some(_)) = (&cur_facts, facts.rank.version)
            && let Some(problem) = &cf.version_error
        {
            if self.opts.strict_versions {
                return Err(EngineError::UnreadableVersion {
                    path: win,
                    problem: problem.clone(),
                });
            }
            self.log.line(format!(
                    "Unable to get File Version of {win} ({problem}); it ranks below the package's {} and will be replaced (rule R3)",
                    facts.version_text()
                ));
        }
        let queued = match self.queued_for(&t.rel).and_then(|i| self.queued_source(i)) {
            Some(src) => self.view.read(&src)?,
            None => None,
        };
        let newer = if facts.rank.version.is_none() {
            let last = queued.as_ref().or(cur.as_ref());
            last.is_none_or(|b| b.as_slice() != new.as_slice())
        } else {
            let mut best = cur_facts.as_ref().map(|f| f.rank.clone());
            if let Some(q) = &queued {
                let qr = Facts::of(q).rank;
                best = best.max(Some(qr));
            }
            best.is_none_or(|b| facts.rank > b)
        };
        if !newer {
            self.log.line(format!(
                "{win}: not replaced; the package's {} is not newer than the copy on the system or queued",
                facts.version_text()
            ));
            return Ok(Some(record));
        }

        let dllcache = t.copy.dest.dirid == DLLCACHE;
        if cur.is_some() {
            if let (Some(dir), false) = (backup_dir, dllcache) {
                let name = t.rel.file_name();
                let backup = self.first_free(|n| match n {
                    0 => join(dir, name),
                    n => join(dir, &format!("{n}/{name}")),
                });
                if let Some(c) = self.view.content(&t.rel) {
                    self.view.put(&backup, c);
                }
                record.backup = Some(backup.as_str().to_owned());
                record.backup_sha256 = cur_facts.as_ref().map(|f| f.rank.sha256.clone());
            }
            if let (false, Some(cf)) = (self.opts.no_backup, &cur_facts) {
                let store = self.paths.store(&cf.rank.sha256)?;
                if !self.view.exists(&store)
                    && let Some(c) = self.view.content(&t.rel)
                {
                    self.view.put(&store, c);
                }
            }
        }
        let key = t.rel.as_str().to_lowercase();
        if !self.baseline.contains_key(&key) {
            self.baseline.insert(
                key.clone(),
                BaselineEntry {
                    target: t.rel.as_str().to_owned(),
                    sha256: cur_facts.as_ref().map(|f| f.rank.sha256.clone()),
                    version: cur_facts
                        .as_ref()
                        .and_then(|f| f.rank.version)
                        .map(|v| v.to_string()),
                    tag_rank: tag_number(
                        cur_facts.as_ref().map_or(TagRank::Unknown, |f| f.rank.tag),
                    ),
                },
            );
        }
        if !self.opts.no_backup {
            let store = self.paths.store(&facts.rank.sha256)?;
            if !self.view.exists(&store) {
                self.view.put_bytes(&store, new.clone());
            }
        }

        let live = self.in_use.contains(&key);
        let in_system32 = t.rel.parent().is_some_and(|p| {
            p.as_str()
                .eq_ignore_ascii_case(&format!("{}/system32", self.view.image().windir()))
        });
        let known = in_system32 && self.known.contains(&t.rel.file_name().to_lowercase());
        let old = cur_facts
            .as_ref()
            .map_or_else(|| "(absent)".to_owned(), Facts::version_text);
        // The running copy is already moved aside (by an earlier package
        // of this run or an install not yet restarted): nothing more to move.
        let aside_prefix = format!("{}.hfold", self.view.image().nt_path(&t.rel)).to_lowercase();
        let swapped =
            self.queue.ops.iter().any(|op| {
                op.target.is_none() && op.source.to_lowercase().starts_with(&aside_prefix)
            });
        if live && known && swapped {
            self.view.put_bytes(&t.rel, new);
            record.action = FileAction::KnownDllSwap;
            self.log.line(format!(
                "{win} is a KnownDLL whose running copy is already set aside: put {} in place (rule R6)",
                facts.version_text()
            ));
        } else if live && known && cur.is_some() {
            self.drop_queued(&t.rel);
            let parent = t.rel.parent().unwrap_or_else(|| t.rel.clone());
            let aside = self
                .first_free(|n| join(&parent, &format!("{}.hfold{}", t.rel.file_name(), n + 1)));
            if let Some(c) = self.view.content(&t.rel) {
                self.view.put(&aside, c);
            }
            self.view.put_bytes(&t.rel, new);
            self.queue
                .ops
                .push(PendingOp::delete(self.view.image().nt_path(&aside)));
            record.action = FileAction::KnownDllSwap;
            self.log.line(format!(
                "{win} is a KnownDLL in use: moved the running copy ({old}) aside to {} and put {} in place; the old copy is deleted at restart (rule R6)",
                aside.file_name(),
                facts.version_text()
            ));
        } else if live {
            self.drop_queued(&t.rel);
            let staged = staged_name(&t.rel, &self.kb);
            self.view.put_bytes(&staged, new);
            let image = self.view.image();
            self.queue.ops.push(PendingOp::replace(
                image.nt_path(&staged),
                image.nt_path(&t.rel),
            ));
            record.action = FileAction::Queued;
            self.log.line(format!(
                "{win} is in use: staged {} as {} and queued it for the restart (PendingFileRenameOperations)",
                facts.version_text(),
                staged.file_name()
            ));
        } else {
            self.drop_queued(&t.rel);
            self.view.put(&t.rel, Content::Bytes(new));
            record.action = FileAction::Replaced;
            self.log.line(format!(
                "Copied {} to {win} (was {old})",
                facts.version_text()
            ));
        }
        Ok(Some(record))
    }
}

/// Where an in-use file's new copy waits for the restart: beside the
/// target, as `<name>.hf<KB>` (rule R5).
pub fn staged_name(target: &RelPath, kb: &str) -> RelPath {
    let parent = target.parent().unwrap_or_else(|| target.clone());
    join(&parent, &format!("{}.hf{kb}", target.file_name()))
}

/// `base/rest`; our joins are of names we built or validated.
pub(crate) fn join(base: &RelPath, rest: &str) -> RelPath {
    base.join(rest).unwrap_or_else(|_| base.clone())
}

//! One payload file of a hotfix: pick the copy (branch, `$hf_mig$`),
//! hand it to the one per-file decision (`decide.rs`), and keep what
//! uninstall needs (backup folder, store, baseline).

use hotfix_model::TagRank;
use hotfix_txn::RelPath;

use super::Ctx;
use super::decide::{Offer, first_free};
use super::plan::{Layout, Mode, Target};
use crate::EngineError;
use crate::rank::{Facts, tag_number};
use crate::record::{BaselineEntry, FileRecord, KeptCopy, sha256_hex};
use crate::view::Content;

/// dirid of the Windows File Protection cache; its copies get no backup.
const DLLCACHE: u32 = 65619;

/// `%windir%\$hf_mig$`: QFE copies kept by GDR installs (KB824994).
pub(crate) const HF_MIG_DIR: &str = "$hf_mig$";

/// The payload copy chosen for a target: where it came from, its bytes
/// (streamed from the package at commit) and its facts.
type Picked = (String, Content, Facts);

impl Ctx<'_, '_> {
    fn hf_mig(&self) -> RelPath {
        join(self.view.image().windir(), HF_MIG_DIR)
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
        let file = pkg.file(&path)?;
        // The store keys files by SHA-256, which update.ver no longer
        // carries (its digests are BLAKE3), so the file is read and hashed
        // here; the commit streams it from the package again.
        let facts = Facts::of(&file.read()?);
        let mut best = (path, Content::Packaged(file), facts);
        let kb = self.kb.clone();
        match (layout.chosen, layout.qfe) {
            (Some(chosen), Some(qfe)) if chosen != qfe => {
                let qpath = format!("{}\\{}", qfe.folder(), t.copy.source);
                if pkg.has(&qpath) {
                    let stash = join(&join(&self.hf_mig(), &kb), &qpath.replace('\\', "/"));
                    if !self.view.exists(&stash) {
                        let copy = pkg.file(&qpath)?;
                        self.hf_mig.push(KeptCopy {
                            path: stash.as_str().to_owned(),
                            sha256: sha256_hex(&copy.read()?),
                        });
                        self.view.put(&stash, Content::Packaged(copy));
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
                    let Some(c) = self.view.content(&p) else {
                        continue;
                    };
                    let f = Facts::of(&self.view.bytes_of(&c)?);
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
                            c,
                            f,
                        );
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
        let size = self.view.len_of(&new);
        // The WFP cache's copies get no backup of their own.
        let backup = backup_dir
            .filter(|_| t.copy.dest.dirid != DLLCACHE)
            .map(|dir| {
                let name = t.rel.file_name();
                first_free(self.view, |n| match n {
                    0 => join(dir, name),
                    n => join(dir, &format!("{n}/{name}")),
                })
            });
        let decision = self.rules.decide(
            self.view,
            self.queue,
            self.log,
            Offer {
                target: &t.rel,
                content: new.clone(),
                version: facts.rank.version,
                tag: facts.rank.tag,
                sha256: Some(facts.rank.sha256.clone()),
                if_exists: t.mode == Mode::IfExists,
                backup,
                owner: &self.kb,
            },
        )?;
        let mut record = FileRecord {
            target: t.rel.as_str().to_owned(),
            source,
            version: facts.rank.version.map(|v| v.to_string()),
            tag_rank: tag_number(facts.rank.tag),
            sha256: facts.rank.sha256.clone(),
            size,
            action: decision.action,
            backup: None,
            backup_sha256: None,
        };
        if !decision.action.applied() {
            return Ok(Some(record));
        }
        // Uninstall (R7) gives back the copy the remaining hotfixes need:
        // the store keeps every copy by digest, the baseline the original.
        let old = match &decision.old {
            Some(c) => Some((c.clone(), Facts::of(&self.view.bytes_of(c)?))),
            None => None,
        };
        if let Some(b) = &decision.backup {
            record.backup = Some(b.as_str().to_owned());
            record.backup_sha256 = old.as_ref().map(|(_, f)| f.rank.sha256.clone());
        }
        if !self.opts.no_backup {
            for (c, sha) in old
                .iter()
                .map(|(c, f)| (c.clone(), &f.rank.sha256))
                .chain([(new, &facts.rank.sha256)])
            {
                let store = self.paths.store(sha)?;
                if !self.view.exists(&store) {
                    self.view.put(&store, c);
                }
            }
        }
        let key = t.rel.as_str().to_lowercase();
        let old_facts = old.as_ref().map(|(_, f)| f);
        self.baseline.entry(key).or_insert_with(|| BaselineEntry {
            target: t.rel.as_str().to_owned(),
            sha256: old_facts.map(|f| f.rank.sha256.clone()),
            version: old_facts
                .and_then(|f| f.rank.version)
                .map(|v| v.to_string()),
            tag_rank: tag_number(old_facts.map_or(TagRank::Unknown, |f| f.rank.tag)),
        });
        Ok(Some(record))
    }
}

/// `base/rest`; our joins are of names we built or validated.
pub(crate) fn join(base: &RelPath, rest: &str) -> RelPath {
    base.join(rest).unwrap_or_else(|_| base.clone())
}

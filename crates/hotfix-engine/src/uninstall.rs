//! `hotfix uninstall`: removes hotfixes and gives every file they touched
//! the copy the remaining hotfixes require (rule R7), not merely the bytes
//! that were there before the removed one (the original's sharp edge).

use std::collections::BTreeSet;
use std::sync::Arc;

use hotfix_pending::PendingOp;
use hotfix_txn::RelPath;
use serde::Serialize;

use crate::EngineError;
use crate::install::{FootprintKeys, join};
use crate::rank::{Rank, tag_from_number, version_and_tag};
use crate::record::{
    BaselineEntry, DualStash, FileRecord, InstallRecord, load_baseline, load_records, save_baseline,
};
use crate::registry::{Registry, hive_err};
use crate::session::Session;
use crate::view::View;

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// Windows path.
    pub target: String,
    /// The version it had.
    pub from: Option<String>,
    /// The version it has now (`None`: removed).
    pub to: Option<String>,
    /// Who requires that version: a KB, `original`, or `none`.
    pub required_by: String,
    /// Replaced now, or queued for the restart.
    pub deferred: bool,
}

/// What `uninstall` did.
#[derive(Debug, Clone, Serialize)]
pub struct UninstallReport {
    /// The hotfixes removed.
    pub removed: Vec<String>,
    /// Files restored.
    pub restored: Vec<Restored>,
    /// Files left alone, with why.
    pub warnings: Vec<String>,
    /// Whether a restart finishes the job.
    pub restart_required: bool,
}

fn rank_of(f: &FileRecord) -> Rank {
    Rank {
        version: f.version.as_deref().and_then(|v| v.parse().ok()),
        tag: tag_from_number(f.tag_rank),
        sha256: f.sha256.clone(),
    }
}

fn baseline_rank(b: &BaselineEntry) -> Option<Rank> {
    Some(Rank {
        version: b.version.as_deref().and_then(|v| v.parse().ok()),
        tag: tag_from_number(b.tag_rank),
        sha256: b.sha256.clone()?,
    })
}

/// Removes the hotfixes `kbs`.
pub fn uninstall(
    session: &Session<'_>,
    kbs: &[String],
    command_line: &str,
) -> Result<UninstallReport, EngineError> {
    let image = &session.image;
    let paths = &session.paths;
    let mut view = View::new(session.fs, image);
    let mut reg = Registry::load(&view, image)?;
    reg.load_user_hives(&view);
    let mut queue = reg.queue();
    let mut records = load_records(&view, paths)?;
    let mut baseline = load_baseline(&view, paths)?;
    let in_use = hotfix_image::in_use(session.fs, image)?;
    let mut report = UninstallReport {
        removed: Vec::new(),
        restored: Vec::new(),
        warnings: Vec::new(),
        restart_required: false,
    };
    let mut removing = Vec::new();
    for kb in kbs {
        let pos = records
            .iter()
            .position(|r| r.kb.eq_ignore_ascii_case(kb))
            .ok_or_else(|| {
                EngineError::Usage(format!(
                    "{kb} is not installed on this image (`hotfix list --image ...` shows what is)"
                ))
            })?;
        let rec = records.remove(pos);
        if let Some(sp) = rec.dual_mode.as_ref().and_then(|d| d.migrated_at_sp) {
            return Err(EngineError::Usage(format!(
                "{} was migrated to its post-SP1 files when Service Pack {sp} was installed; as with the original (KB328848), remove the service pack first",
                rec.kb
            )));
        }
        if rec.backup_dir.is_none() {
            return Err(EngineError::Usage(format!(
                "{} was installed with /nobackup, so nothing was kept to restore; it cannot be removed",
                rec.kb
            )));
        }
        rec.check(image, paths)?;
        removing.push(rec);
    }
    let targets: BTreeSet<String> = removing
        .iter()
        .flat_map(|r| r.files.iter().map(|f| f.target.clone()))
        .collect();
    for target in &targets {
        let rel = RelPath::new(target).map_err(|e| EngineError::State {
            path: target.clone(),
            problem: e.to_string(),
        })?;
        let win = image.win_path(&rel);
        let key = target.to_lowercase();
        // Who may provide this file now: the remaining hotfixes and the original.
        let mut best: Option<(Rank, String)> = None;
        for r in &records {
            for f in r
                .files
                .iter()
                .filter(|f| f.target.eq_ignore_ascii_case(target))
            {
                let rank = rank_of(f);
                if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                    best = Some((rank, r.kb.clone()));
                }
            }
        }
        let original = baseline.get(&key).cloned();
        if let Some(orig) = original.as_ref().and_then(baseline_rank)
            && best.as_ref().is_none_or(|(b, _)| orig > *b)
        {
            best = Some((orig, "original".to_owned()));
        }
        let cur = view.read(&rel)?;
        let cur_sha = cur.as_ref().map(|b| crate::record::sha256_hex(b));
        // Only bytes the removed installs wrote: a file a package declined
        // (not newer, absent) was never theirs, whatever its digest.
        let ours: BTreeSet<&str> = removing
            .iter()
            .flat_map(|r| r.files.iter())
            .filter(|f| f.action.applied() && f.target.eq_ignore_ascii_case(target))
            .map(|f| f.sha256.as_str())
            .collect();
        // Queued copies of the removed hotfixes go too.
        let nt = image.nt_path(&rel);
        let mut queued_ours = false;
        queue.ops.retain(|op| {
            if op.targets(&nt)
                && let Ok(src) = image.resolve(session.fs, &op.source)
            {
                let ours_src = view
                    .read(&src)
                    .ok()
                    .flatten()
                    .is_some_and(|b| ours.contains(crate::record::sha256_hex(&b).as_str()));
                if ours_src {
                    view.remove(&src);
                    queued_ours = true;
                    return false;
                }
            }
            true
        });
        let cur_is_ours = cur_sha.as_deref().is_some_and(|s| ours.contains(s));
        if !cur_is_ours && !queued_ours {
            if cur.is_some()
                && !ours.is_empty()
                && !cur_written_by_remaining(&records, target, &cur_sha)
            {
                report.warnings.push(format!(
                    "{win}: changed since the install (its bytes are not the ones the install wrote); left as it is"
                ));
            }
            continue;
        }
        let want_sha = best.as_ref().map(|(r, _)| r.sha256.clone());
        if want_sha == cur_sha {
            continue;
        }
        let from = cur
            .as_ref()
            .and_then(|b| version_and_tag(b).0.map(|v| v.to_string()));
        let (to, required_by) = match &best {
            Some((r, who)) => (r.version.map(|v| v.to_string()), who.clone()),
            None => (None, "none".to_owned()),
        };
        let mut deferred = false;
        match &want_sha {
            None => view.remove(&rel),
            Some(sha) => {
                let store = paths.store(sha)?;
                let Some(bytes) = view.read(&store)? else {
                    report.warnings.push(format!(
                        "{win}: the copy required by {required_by} is missing from the store ({}); left as it is",
                        image.win_path(&store)
                    ));
                    continue;
                };
                if crate::record::sha256_hex(&bytes) != *sha {
                    report.warnings.push(format!(
                        "{win}: the stored copy {} is damaged; left as it is",
                        image.win_path(&store)
                    ));
                    continue;
                }
                if in_use.contains(&key) {
                    let parent = rel.parent().unwrap_or_else(|| rel.clone());
                    let staged = join(&parent, &format!("{}.hfu", rel.file_name()));
                    view.put_bytes(&staged, Arc::new(bytes.to_vec()));
                    queue.ops.push(PendingOp::replace(
                        image.nt_path(&staged),
                        image.nt_path(&rel),
                    ));
                    deferred = true;
                    report.restart_required = true;
                } else {
                    view.put_bytes(&rel, bytes);
                }
            }
        }
        report.restored.push(Restored {
            target: win,
            from,
            to,
            required_by,
            deferred,
        });
    }
    for rec in &removing {
        undo_registry(&mut reg, rec)?;
        view.remove(&paths.record(&rec.kb)?);
        if let Some(dir) = &rec.backup_dir
            && let Ok(dir) = RelPath::new(dir)
        {
            remove_backups(&mut view, rec, &dir, &mut report.warnings)?;
        }
        let mig = join(&join(image.windir(), crate::install::HF_MIG_DIR), &rec.kb);
        let kept = rec
            .hf_mig
            .iter()
            .map(|c| (c.path.as_str(), Some(c.sha256.as_str())));
        remove_recorded(
            &mut view,
            &rec.kb,
            &mig,
            WROTE_HF_MIG,
            kept,
            &mut report.warnings,
        )?;
        if let Some(stash) = &rec.dual_mode {
            remove_dual_stash(&mut view, rec, stash, &mut report.warnings)?;
        }
        report.removed.push(rec.kb.clone());
    }
    // Forget baselines and store copies nobody needs any more.
    let wanted: BTreeSet<String> = records
        .iter()
        .flat_map(|r| r.files.iter().map(|f| f.target.to_lowercase()))
        .collect();
    baseline.retain(|k, _| wanted.contains(k));
    let mut keep: BTreeSet<String> = records
        .iter()
        .flat_map(|r| r.files.iter().map(|f| f.sha256.clone()))
        .collect();
    keep.extend(baseline.values().filter_map(|b| b.sha256.clone()));
    for f in view.list(&paths.store_dir()) {
        if !keep.contains(f.file_name()) {
            view.remove(&f);
        }
    }
    save_baseline(&mut view, paths, &baseline);
    if queue != reg.queue() {
        reg.set_queue(&queue)?;
    }
    reg.store(&mut view)?;
    view.commit(
        &format!("uninstall {}", report.removed.join(" ")),
        command_line,
    )?;
    Ok(report)
}

/// Whether a remaining hotfix wrote `sha` at `target` (then the file is
/// theirs, not changed by someone else).
fn cur_written_by_remaining(records: &[InstallRecord], target: &str, sha: &Option<String>) -> bool {
    records.iter().flat_map(|r| r.files.iter()).any(|f| {
        f.action.applied()
            && f.target.eq_ignore_ascii_case(target)
            && Some(&f.sha256) == sha.as_ref()
    })
}

/// Removes the backups the install made, each only while it holds the
/// bytes the install wrote; anything else in the folder (a pre-existing
/// `$NtUninstall…$` with foreign files, a backup changed since) is left
/// and reported.
/// Removes the backups an install made in `dir`, each only while it holds
/// the bytes the record names; anything else there is left and reported.
fn remove_backups(
    view: &mut View<'_>,
    rec: &InstallRecord,
    dir: &RelPath,
    warnings: &mut Vec<String>,
) -> Result<(), EngineError> {
    let made = rec
        .files
        .iter()
        .filter_map(|f| Some((f.backup.as_deref()?, f.backup_sha256.as_deref())));
    remove_recorded(view, &rec.kb, dir, WROTE_BACKUP, made, warnings)
}

/// Removes the `SP2\` copies a dual-mode install kept in `$xpsp1hfm$`, on
/// the same terms as [`remove_backups`]: a file planted beside them stays.
fn remove_dual_stash(
    view: &mut View<'_>,
    rec: &InstallRecord,
    stash: &DualStash,
    warnings: &mut Vec<String>,
) -> Result<(), EngineError> {
    let Ok(dir) = RelPath::new(&stash.dir) else {
        return Ok(());
    };
    let made = stash
        .files
        .iter()
        .map(|f| (f.stash.as_str(), Some(f.sha256.as_str())));
    remove_recorded(view, &rec.kb, &dir, WROTE_DUAL, made, warnings)
}

/// What an install wrote in a folder, and the folder, for the warnings.
type Wrote = (&'static str, &'static str);
const WROTE_BACKUP: Wrote = ("backup", "backup");
const WROTE_DUAL: Wrote = ("kept copy", "dual-mode");
const WROTE_HF_MIG: Wrote = ("QFE copy", "$hf_mig$");

/// Removes each `(path, sha256)` the install of `kb` wrote under `dir`
/// while the file still has that digest; reports the rest of `dir`.
fn remove_recorded<'r>(
    view: &mut View<'_>,
    kb: &str,
    dir: &RelPath,
    (what, folder): Wrote,
    made: impl Iterator<Item = (&'r str, Option<&'r str>)>,
    warnings: &mut Vec<String>,
) -> Result<(), EngineError> {
    let image = view.image();
    let mut recorded = BTreeSet::new();
    for (path, digest) in made {
        let Ok(path) = RelPath::new(path) else {
            continue;
        };
        recorded.insert(path.as_str().to_lowercase());
        let Some(held) = view.read(&path)? else {
            continue;
        };
        if digest == Some(crate::record::sha256_hex(&held).as_str()) {
            view.remove(&path);
        } else {
            warnings.push(format!(
                "{}: not the {what} the install made (its bytes differ from the record); left in place",
                image.win_path(&path)
            ));
        }
    }
    let mut left = Vec::new();
    collect_files(view, dir, &mut left);
    for f in left
        .iter()
        .filter(|f| !recorded.contains(&f.as_str().to_lowercase()))
    {
        warnings.push(format!(
            "{}: in the {folder} folder but not made by the install of {kb}; left in place",
            image.win_path(f)
        ));
    }
    Ok(())
}

fn collect_files(view: &View<'_>, dir: &RelPath, out: &mut Vec<RelPath>) {
    for d in view.list_dirs(dir) {
        collect_files(view, &join(dir, &d), out);
    }
    out.extend(view.list(dir));
}

fn undo_registry(reg: &mut Registry, rec: &InstallRecord) -> Result<(), EngineError> {
    for c in rec.registry.iter().rev() {
        let h = reg.try_hive_mut(c.hive).map_err(|why| EngineError::Hive {
            path: format!("{}\\{}", c.key, c.name),
            problem: format!(
                "the install changed this value, and its hive cannot be restored: {why}"
            ),
        })?;
        match &c.old {
            Some(v) => h.set(&c.key, &c.name, v.to_value()).map_err(hive_err)?,
            None => {
                h.delete_value(&c.key, &c.name).map_err(hive_err)?;
            }
        }
    }
    let keys = FootprintKeys::new(&rec.updates_key, &rec.kb);
    let s = reg.hive_mut(crate::registry::HiveName::Software);
    for k in [&keys.updates, &keys.hotfix, &keys.uninstall] {
        s.delete_key(k).map_err(hive_err)?;
    }
    Ok(())
}

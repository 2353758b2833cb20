//! Xpsp1hfm (KB328848): when SP1 goes on, every dual-mode hotfix installed
//! at RTM is migrated to the post-SP1 copies its install kept in
//! `%windir%\$xpsp1hfm$\KBnnnnnn\`, inside the SP's own transaction. A kept
//! copy replaces the file only when it outranks what the SP leaves there
//! (rule R1, newest wins). Every file it replaces, the hotfix's record and
//! the store copy are tracked in the SP's uninstall list, so removing SP1
//! restores the pre-SP1 version of the fix with everything else.

use hotfix_engine::{
    Content, EngineError, Facts, FileRules, HiveName, InstallRecord, InstallerLog, Offer, Registry,
    Session, load_records, save_record,
};
use hotfix_hive::Value;
use hotfix_model::SpLevel;
use hotfix_pending::PendingQueue;
use hotfix_txn::RelPath;

use crate::install::Plan;

/// What the migration planned.
#[derive(Default)]
pub(crate) struct Migration {
    /// (file, backup) pairs it added to the uninstall list.
    pub backups: Vec<(RelPath, RelPath)>,
    /// Xpsp1hfm.log, when there was anything to migrate.
    pub log: Option<InstallerLog>,
}

fn rel(s: &str) -> Option<RelPath> {
    RelPath::new(s).ok()
}

impl Plan<'_, '_> {
    /// Migrates every dual-mode hotfix not yet migrated.
    pub(crate) fn migrate_dual_mode(
        &mut self,
        session: &Session<'_>,
        rules: &FileRules,
        queue: &mut PendingQueue,
        reg: &mut Registry,
        sp_kb: &str,
    ) -> Result<Migration, EngineError> {
        let mut out = Migration::default();
        let pending: Vec<InstallRecord> = load_records(self.view, &session.paths)?
            .into_iter()
            .filter(|r| {
                r.dual_mode
                    .as_ref()
                    .is_some_and(|d| d.migrated_at_sp.is_none())
            })
            .collect();
        if pending.is_empty() {
            return Ok(out);
        }
        let mut log = InstallerLog::with_header(self.log.locale(), "Xpsp1hfm (hotfix sp install)");
        let to_sp = self.report.to_sp;
        log.line(format!(
            "Migrating {} dual-mode updates to {}",
            pending.len(),
            SpLevel(to_sp).csd_version()
        ));
        for mut rec in pending {
            let mut moved = Vec::new();
            let files = rec
                .dual_mode
                .as_ref()
                .map(|d| d.files.clone())
                .unwrap_or_default();
            for f in &files {
                let (Some(target), Some(kept)) = (rel(&f.target), rel(&f.stash)) else {
                    continue;
                };
                let win = self.view.image().win_path(&target);
                let Some(new) = self.view.read(&kept)? else {
                    log.line(format!(
                        "{}: the kept copy {} is missing; {win} not migrated",
                        rec.kb,
                        self.view.image().win_path(&kept)
                    ));
                    continue;
                };
                if !self.view.exists(&target) {
                    continue;
                }
                // The one per-file decision: newest wins against the file
                // the SP leaves there and any copy queued for it.
                let nf = Facts::of(&new);
                let d = rules.decide(
                    self.view,
                    queue,
                    &mut log,
                    Offer {
                        target: &target,
                        content: Content::Disk(kept.clone()),
                        version: nf.rank.version,
                        tag: nf.rank.tag,
                        sha256: Some(nf.rank.sha256.clone()),
                        if_exists: true,
                        backup: self.backup_for(&target),
                        owner: sp_kb,
                    },
                )?;
                if !d.action.applied() {
                    log.line(format!(
                        "{}: {win} kept: not older than the update's post-SP1 {}",
                        rec.kb,
                        nf.version_text()
                    ));
                    continue;
                }
                if let Some(b) = &d.backup {
                    self.count_link(b, &target);
                    out.backups.push((target.clone(), b.clone()));
                }
                self.note_backup(&target, d.backup.as_ref());
                self.new_paths.extend(d.placed.clone());
                self.written.push(new.len() as u64);
                let store = session.paths.store(&f.sha256)?;
                if !self.view.exists(&store) {
                    self.track(&store);
                    self.view.put(&store, Content::Disk(kept.clone()));
                    self.new_paths.push(store);
                }
                if let Some(fr) = rec
                    .files
                    .iter_mut()
                    .find(|r| r.target.eq_ignore_ascii_case(&f.target))
                {
                    fr.source = f.stash.clone();
                    fr.version = f.version.clone();
                    fr.tag_rank = f.tag_rank;
                    fr.sha256 = f.sha256.clone();
                    fr.size = f.size;
                }
                log.line(format!(
                    "{}: migrated {win} from {} to {}",
                    rec.kb,
                    d.old_version
                        .map_or_else(|| "(none)".to_owned(), |v| v.to_string()),
                    nf.version_text()
                ));
                moved.push((win, f.version.clone().unwrap_or_default()));
            }
            if moved.is_empty() {
                continue;
            }
            let record = session.paths.record(&rec.kb)?;
            if let Some(b) = self.track(&record) {
                out.backups.push((record.clone(), b));
            }
            if let Some(d) = rec.dual_mode.as_mut() {
                d.migrated_at_sp = Some(to_sp);
            }
            save_record(self.view, &session.paths, &rec)?;
            self.count_planned(record)?;
            write_updates_key(reg, session.identity.product.name(), to_sp, &rec, &moved)?;
            log.line(format!(
                "{}: {} files migrated to the post-SP1 version",
                rec.kb,
                moved.len()
            ));
            self.report.migrated.push(rec.kb);
        }
        out.log = Some(log);
        Ok(out)
    }
}

/// The Updates key Xpsp1hfm wrote for a migrated fix, under the new level
/// (`Windows XP\SP2\KBnnnnnn`): with the RTM install's `SP1` key it is the
/// pair that made Qfecheck report the fix twice.
fn write_updates_key(
    reg: &mut Registry,
    product: &str,
    to_sp: u8,
    rec: &InstallRecord,
    moved: &[(String, String)],
) -> Result<(), EngineError> {
    let key = format!("Microsoft\\Updates\\{product}\\SP{}\\{}", to_sp + 1, rec.kb);
    let hive = reg.hive_mut(HiveName::Software);
    let err = |e: hotfix_hive::HiveError| EngineError::Hive {
        path: key.clone(),
        problem: e.to_string(),
    };
    let sz = |s: &str| Value::Sz(s.to_owned());
    hive.set(&key, "Description", sz(&rec.title)).map_err(err)?;
    hive.set(&key, "InstalledBy", sz("Xpsp1hfm")).map_err(err)?;
    hive.set(&key, "Type", sz("Update")).map_err(err)?;
    for (i, (win, version)) in moved.iter().enumerate() {
        let (dir, name) = win.rsplit_once('\\').unwrap_or(("", win));
        let k = format!("{key}\\Filelist\\{i}");
        hive.set(&k, "FileName", sz(name)).map_err(err)?;
        hive.set(&k, "Location", sz(dir)).map_err(err)?;
        hive.set(&k, "Version", sz(version)).map_err(err)?;
    }
    Ok(())
}

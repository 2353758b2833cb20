//! `hotfix sp uninstall` (spuninst): every file and every hive back to the
//! previous level from `$NtServicePackUninstall$`, in one transaction.
//!
//! Hotfixes installed after the service pack go with it, all of them and
//! everywhere: the restored hives no longer hold their keys (nor the SP's
//! Add/Remove Programs entry), so their records go too and the files the
//! SP's list does not cover get their own backups back. `list`, `verify`
//! and the registry then agree that they are not installed.

use std::collections::BTreeSet;

use hotfix_engine::{
    Content, EngineError, ImageLocale, InstallRecord, InstallerLog, Reporter, Session, View,
    load_records,
};
use hotfix_i18n::Msg;
use hotfix_model::SpLevel;
use serde::Serialize;

use crate::install::record::{SpRecord, arp_key_name, join, record_path, state_rel as rel};

/// What `sp uninstall` did.
#[derive(Debug, Clone, Serialize)]
pub struct SpUninstallReport {
    /// The SP removed.
    pub kb: String,
    /// The level restored.
    pub to_sp: u8,
    /// Files restored from the backup.
    pub restored: usize,
    /// Files the SP added, removed.
    pub removed: usize,
    /// Hotfixes installed after the SP: their files and registry entries go
    /// with the SP's, as with the original; reinstall them for the old level.
    pub later_hotfixes: Vec<String>,
    /// Dual-mode hotfixes given back their pre-SP1 files (Xpsp1hfm).
    pub restored_pre_sp1: Vec<String>,
}

/// Removes the installed service pack.
pub fn sp_uninstall(
    session: &Session<'_>,
    reporter: &mut dyn Reporter,
) -> Result<SpUninstallReport, EngineError> {
    let image = &session.image;
    let mut view = View::new(session.fs, image);
    let rec_path = record_path(image.windir());
    let record = SpRecord::load(&view)?.ok_or_else(|| {
        EngineError::Usage(format!(
            "no service pack can be removed: {} is missing",
            image.win_path(&rec_path)
        ))
    })?;
    let records = load_records(&view, &session.paths)?;
    // Installed hotfixes whose records are newer than the SP's install
    // (both stamps are UTC, `YYYY/MM/DD hh:mm:ss.mmm`, so they sort).
    let later: Vec<String> = records
        .iter()
        .filter(|r| r.installed_at >= record.installed_at)
        .map(|r| r.kb.clone())
        .collect();
    if !later.is_empty() {
        reporter.notice(&format!(
            "warning: these updates were installed after {} and are removed with it: {}",
            SpLevel(record.to_sp).csd_version(),
            later.join(", ")
        ));
    }
    let mut report = SpUninstallReport {
        kb: record.kb.clone(),
        to_sp: record.from_sp,
        restored: 0,
        removed: 0,
        later_hotfixes: later,
        restored_pre_sp1: records
            .iter()
            .filter(|r| {
                r.dual_mode
                    .as_ref()
                    .is_some_and(|d| d.migrated_at_sp == Some(record.to_sp))
            })
            .map(|r| r.kb.clone())
            .collect(),
    };
    for (target, backup) in &record.files {
        let target = rel(target)?;
        match backup {
            Some(b) => {
                // Removed and wanted once: the commit renames it back.
                let b = rel(b)?;
                view.put(&target, Content::Disk(b.clone()));
                view.remove(&b);
                report.restored += 1;
            }
            None => {
                view.remove(&target);
                report.removed += 1;
            }
        }
    }
    let sp_targets: BTreeSet<String> = record.files.iter().map(|(t, _)| t.to_lowercase()).collect();
    // Newest first, so that where two of them replaced one file the
    // earliest one's backup (the file before either) is put back last.
    let mut going: Vec<&InstallRecord> = records
        .iter()
        .filter(|r| report.later_hotfixes.contains(&r.kb))
        .collect();
    going.sort_by_key(|r| std::cmp::Reverse(r.seq));
    for r in going {
        put_back_later_files(&mut view, r, &sp_targets)?;
        view.remove(&session.paths.record(&r.kb)?);
    }
    for (hive, backup) in &record.hives {
        let b = rel(backup)?;
        view.put(&rel(hive)?, Content::Disk(b.clone()));
        view.remove(&b);
    }
    view.remove(&rec_path);
    view.commit(
        &format!("sp uninstall {}", record.kb),
        "hotfix sp uninstall",
    )?;
    let locale = ImageLocale::of(&session.identity);
    let mut log = InstallerLog::with_header(locale, "hotfix sp uninstall");
    // The hives came back from before the install, without the entry.
    log.msg(
        Msg::DeregisteringUninstall,
        &[&arp_key_name(session.identity.product)],
    );
    log.line(format!(
        "{} removed: {} files restored, {} removed; the system is at {} again",
        record.kb,
        report.restored,
        report.removed,
        if record.from_sp == 0 {
            "no service pack".to_owned()
        } else {
            SpLevel(record.from_sp).csd_version()
        }
    ));
    if !report.restored_pre_sp1.is_empty() {
        // The uninstall list restored the files and records as they were
        // before the migration: say so where Xpsp1hfm said it.
        let mut hfm = InstallerLog::with_header(locale, "Xpsp1hfm (hotfix sp uninstall)");
        for kb in &report.restored_pre_sp1 {
            hfm.line(format!(
                "{kb}: {} removed; the pre-SP1 version of the update is restored",
                SpLevel(record.to_sp).csd_version()
            ));
        }
        let path = image.host(&join(image.windir(), "Xpsp1hfm.log"));
        if let Err(e) = hfm.append_to(session.fs, &path) {
            reporter.notice(&format!("warning: could not write {}: {e}", path.display()));
        }
    }
    let log_path = image.host(&join(image.windir(), "spuninst.log"));
    if let Err(e) = log.append_to(session.fs, &log_path) {
        reporter.notice(&format!(
            "warning: could not write {}: {e}",
            log_path.display()
        ));
    }
    Ok(report)
}

/// Gives the files a later hotfix replaced, outside the service pack's own
/// list, the bytes its backup kept (and removes the files it added). A
/// hotfix installed with `/nobackup` kept nothing: its files stay.
fn put_back_later_files(
    view: &mut View<'_>,
    r: &InstallRecord,
    sp_targets: &BTreeSet<String>,
) -> Result<(), EngineError> {
    if r.backup_dir.is_none() {
        return Ok(());
    }
    for f in r.files.iter().filter(|f| f.action.applied()) {
        if sp_targets.contains(&f.target.to_lowercase()) {
            continue;
        }
        let target = rel(&f.target)?;
        match &f.backup {
            Some(b) => {
                let b = rel(b)?;
                if view.read(&b)?.is_some() {
                    view.put(&target, Content::Disk(b.clone()));
                    view.remove(&b);
                }
            }
            None => view.remove(&target),
        }
    }
    Ok(())
}

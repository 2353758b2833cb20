//! What spuninst needs: the record of every file and hive the SP changed,
//! the backups in `$NtServicePackUninstall$`, the SP's entry in
//! `$hotfix$\servicepacks.json`, and its Add/Remove Programs entry.

use std::collections::BTreeSet;

use hotfix_engine::{
    Content, EngineError, HiveName, InstallerLog, Registry, ServicePackEntry, Session, View,
    is_inside, load_records, load_service_packs, read_state, save_service_packs,
    service_packs_path,
};
use hotfix_hive::Value;
use hotfix_i18n::Msg;
use hotfix_image::Identity;
use hotfix_model::{KbId, Product, SpLevel};
use hotfix_package::Package;
use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};

use super::Plan;
use crate::SP_UNINSTALL_DIR;

/// spuninst's list: what the SP changed and where the old bytes are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SpRecord {
    pub kb: String,
    pub from_sp: u8,
    pub to_sp: u8,
    pub installed_at: String,
    /// (target, backup): `None` backup = the SP added the file.
    pub files: Vec<(String, Option<String>)>,
    /// (hive, backup).
    pub hives: Vec<(String, String)>,
}

/// The Uninstall key a service pack registers: `Windows XP Service Pack`
/// (the key name seed 000's log de-registers), one for every level.
pub(crate) fn arp_key_name(product: Product) -> String {
    format!("{} Service Pack", product.name())
}

/// Registers the service pack in Add/Remove Programs, in the image's
/// language, with spuninst as its uninstaller. `sp uninstall` puts the
/// hives back from the backup taken before this, which removes it again.
pub(crate) fn register_uninstall(
    reg: &mut Registry,
    log: &mut InstallerLog,
    id: &Identity,
    to_sp: u8,
    backup_root_win: &str,
) -> Result<(), EngineError> {
    let name = arp_key_name(id.product);
    let key = format!("Microsoft\\Windows\\CurrentVersion\\Uninstall\\{name}");
    let locale = log.locale();
    let display = locale.fmt(
        Msg::SpDisplayName,
        &[id.product.name(), &SpLevel(to_sp).csd_version()],
    );
    let uninstall = format!("{backup_root_win}\\spuninst\\spuninst.exe");
    let date = locale.clock.now().compact_date();
    let values = [
        ("DisplayName", Value::Sz(display)),
        ("UninstallString", Value::Sz(uninstall)),
        ("Publisher", Value::Sz("Microsoft Corporation".into())),
        ("InstallDate", Value::Sz(date)),
        ("NoModify", Value::Dword(1)),
        ("NoRepair", Value::Dword(1)),
    ];
    let software = reg.hive_mut(HiveName::Software);
    for (value, data) in values {
        software
            .set(&key, value, data)
            .map_err(|e| EngineError::Hive {
                path: format!("HKLM\\SOFTWARE\\{key}"),
                problem: e.to_string(),
            })?;
    }
    log.msg(Msg::RegisteringUninstall, &[&name]);
    Ok(())
}

impl SpRecord {
    /// Reads spuninst's list (`None` when there is none) and checks it
    /// against what `sp install` writes before anything acts on it.
    pub(crate) fn load(view: &View<'_>) -> Result<Option<SpRecord>, EngineError> {
        let path = record_path(view.image().windir());
        let record: Option<SpRecord> = read_state(view, &path)?;
        if let Some(r) = &record {
            r.check(view).map_err(|problem| EngineError::State {
                path: view.image().win_path(&path),
                problem: format!(
                    "{problem}; no service pack setup writes that, so the list was edited and is not used"
                ),
            })?;
        }
        Ok(record)
    }

    /// Refuses a list naming what no setup writes: a level no service pack
    /// brings, a backup outside `$NtServicePackUninstall$`, a hive among the
    /// files or a file among the hives, or hotfix state other than the
    /// records, the store and the service-pack list that setup tracks.
    fn check(&self, view: &View<'_>) -> Result<(), String> {
        let image = view.image();
        if self.kb.parse::<KbId>().is_err() {
            return Err(format!("{:?} is not a KB number", self.kb));
        }
        if self.from_sp >= self.to_sp || self.to_sp > 3 {
            return Err(format!(
                "it goes from service pack {} to {}",
                self.from_sp, self.to_sp
            ));
        }
        let root = join(image.windir(), SP_UNINSTALL_DIR);
        let parse = |p: &str| RelPath::new(p).map_err(|e| format!("{p:?}: {e}"));
        let backed_up = |b: &RelPath| {
            if is_inside(b, &root) {
                Ok(())
            } else {
                Err(format!(
                    "the backup {} is outside {}",
                    image.win_path(b),
                    image.win_path(&root)
                ))
            }
        };
        for (target, backup) in &self.files {
            let target = parse(target)?;
            if image.is_hive_file(&target) {
                return Err(format!(
                    "it lists the hive {} as a file",
                    image.win_path(&target)
                ));
            }
            if let Some(why) = image
                .protected(&target)
                .filter(|_| !tracked_state(image, &target))
            {
                return Err(format!(
                    "it names {}, which is {why}",
                    image.win_path(&target)
                ));
            }
            if let Some(b) = backup {
                backed_up(&parse(b)?)?;
            }
        }
        for (hive, backup) in &self.hives {
            let hive = parse(hive)?;
            if !image.is_hive_file(&hive) {
                return Err(format!("{} is not a registry hive", image.win_path(&hive)));
            }
            backed_up(&parse(backup)?)?;
        }
        Ok(())
    }
}

/// Whether `target` is hotfix state that service pack setup changes and
/// so tracks for spuninst and restore points: install records (a dual-mode
/// migration rewrites them), the store and the service-pack list.
pub(crate) fn tracked_state(image: &hotfix_image::Image, target: &RelPath) -> bool {
    let state = image.state_dir();
    is_inside(target, &state.installed_dir())
        || is_inside(target, &state.store_dir())
        || target
            .as_str()
            .eq_ignore_ascii_case(state.service_packs().as_str())
}

pub(crate) fn record_path(windir: &RelPath) -> RelPath {
    join(
        windir,
        &format!("{SP_UNINSTALL_DIR}/spuninst/spuninst.json"),
    )
}

pub(crate) fn join(base: &RelPath, rest: &str) -> RelPath {
    base.join(rest).unwrap_or_else(|_| base.clone())
}

/// An image path read back from one of our state files (a record, a
/// restore point): a bad one means the file was damaged.
pub(crate) fn state_rel(s: &str) -> Result<RelPath, EngineError> {
    RelPath::new(s).map_err(|e| EngineError::State {
        path: s.to_owned(),
        problem: e.to_string(),
    })
}

impl Plan<'_, '_> {
    /// Where spuninst finds the bytes `target` had before the SP, or
    /// `None` when spuninst's list already has the file (an earlier run of
    /// this SP keeps the older bytes, which must not be overwritten).
    /// With `/nobackup`, never.
    pub(crate) fn backup_for(&self, target: &RelPath) -> Option<RelPath> {
        if self.no_backup || self.listed(target) {
            return None;
        }
        Some(join(
            &join(self.view.image().windir(), SP_UNINSTALL_DIR),
            &format!("files/{}", target.as_str()),
        ))
    }

    fn listed(&self, target: &RelPath) -> bool {
        self.listed.contains(&target.as_str().to_lowercase())
    }

    /// Adds `target` to spuninst's list (once): restored from `backup`, or
    /// removed when `None` (the SP added it).
    pub(crate) fn note_backup(&mut self, target: &RelPath, backup: Option<&RelPath>) {
        if self.listed.insert(target.as_str().to_lowercase()) {
            self.record.files.push((
                target.as_str().to_owned(),
                backup.map(|b| b.as_str().to_owned()),
            ));
        }
    }

    /// Gives the file's current bytes a second name in
    /// `$NtServicePackUninstall$` and records it for spuninst.
    fn keep_old(&mut self, target: &RelPath, backup: RelPath) -> RelPath {
        self.link(&backup, target);
        self.note_backup(target, Some(&backup));
        backup
    }

    /// Records a file this setup changes besides the payload (state files,
    /// migrated fixes) so that spuninst puts it back: its backup when it
    /// exists on disk, else `None` (spuninst removes it).
    pub(crate) fn track(&mut self, target: &RelPath) -> Option<RelPath> {
        let backup = self.backup_for(target)?;
        let on_disk = self
            .view
            .fs()
            .metadata(&self.view.image().host(target))
            .is_ok_and(|m| m.is_file());
        if on_disk {
            return Some(self.keep_old(target, backup));
        }
        self.note_backup(target, None);
        None
    }

    /// Plans `$hotfix$\servicepacks.json` with this SP and the hotfixes it
    /// supersedes: installed before it, with a file it replaced.
    pub(super) fn record_service_pack(
        &mut self,
        session: &Session<'_>,
        pkg: &Package,
        replaced: &[(RelPath, RelPath)],
    ) -> Result<(), EngineError> {
        let targets: BTreeSet<String> = replaced
            .iter()
            .map(|(t, _)| t.as_str().to_lowercase())
            .collect();
        let to_sp = self.report.to_sp;
        for rec in load_records(self.view, &session.paths)? {
            let hit = rec
                .files
                .iter()
                .filter(|f| f.action.applied())
                .any(|f| targets.contains(&f.target.to_lowercase()));
            if hit && rec.sp < to_sp && !self.report.migrated.contains(&rec.kb) {
                self.report.superseded.push(rec.kb);
            }
        }
        let mut packs = load_service_packs(self.view)?;
        packs.retain(|p| p.sp < to_sp);
        packs.push(ServicePackEntry {
            kb: self.report.kb.clone(),
            sp: to_sp,
            title: pkg
                .inf
                .title
                .clone()
                .unwrap_or_else(|| self.report.kb.clone()),
            installed_at: self.record.installed_at.clone(),
            superseded: self.report.superseded.clone(),
        });
        let path = service_packs_path(self.view);
        self.track(&path);
        save_service_packs(self.view, &packs)?;
        self.count_planned(path)
    }

    /// Counts a file just planned in the view (a state file, a hive) as
    /// written by the transaction.
    pub(crate) fn count_planned(&mut self, path: RelPath) -> Result<(), EngineError> {
        if let Some(bytes) = self.view.read(&path)? {
            self.written.push(bytes.len() as u64);
            self.new_paths.push(path);
        }
        Ok(())
    }

    pub(crate) fn link(&mut self, to: &RelPath, from: &RelPath) {
        self.count_link(to, from);
        self.view.put(to, Content::Disk(from.clone()));
    }

    /// Counts a second name `to` for the disk file `from` (a hard link, or
    /// a copy where the filesystem has none).
    pub(crate) fn count_link(&mut self, to: &RelPath, from: &RelPath) {
        let len = self
            .view
            .fs()
            .metadata(&self.view.image().host(from))
            .map_or(0, |m| m.len);
        self.backup_lens.push(len);
        self.new_paths.push(to.clone());
    }
}

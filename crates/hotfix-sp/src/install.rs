//! `hotfix sp install`: the stages of the SP's update.exe, planned on one
//! [`View`] and committed as one transaction after an exact space check.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hotfix_engine::{
    Content, EngineError, InstallerLog, Outcome, Registry, ServicePackEntry, Session, View,
    applicability, failure_lines, load_records, load_service_packs, save_service_packs,
    service_packs_path,
};
use hotfix_hive::Value;
use hotfix_inf::{CopyFile, DirRoot, RegData, dirid_location};
use hotfix_model::SpLevel;
use hotfix_package::Package;
use hotfix_pending::PendingOp;
use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};

use crate::space::{BLOCK, SpaceNeed, blocks};
use crate::{SP_UNINSTALL_DIR, restore};

/// Switches of `hotfix sp install`.
#[derive(Debug, Clone, Default)]
pub struct SpOptions {
    /// Cancel on an unreadable file version (0xf00d), as the original did.
    pub strict_versions: bool,
    /// The command line, for the log and the journal.
    pub command_line: String,
    /// Set by a Ctrl-C handler: checked between stages (and files) until the
    /// point of no return, after which setup finishes regardless.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl SpOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    /// Refuses to go on when a cancel was asked for (before the point of
    /// no return, nothing has been written yet).
    fn check_cancel(&self, title: &str) -> Result<(), EngineError> {
        if self.cancelled() {
            return Err(EngineError::Cancelled(title.to_owned()));
        }
        Ok(())
    }
}

/// The stages of the original's setup, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stage {
    /// Read the image and the package, decide every file.
    Inspect,
    /// Compare the exact need with the free space.
    DiskSpace,
    /// Plan the `$NtServicePackUninstall$` copies.
    BackupFiles,
    /// Plan the hive copies.
    BackupRegistry,
    /// Plan the restore point; after it the install cannot be cancelled.
    RestorePoint,
    /// Write everything: one transaction.
    Install,
    /// Report superseded hotfixes.
    PostInstall,
    /// Write the log.
    Cleanup,
}

impl Stage {
    /// What the original's dialog said.
    pub fn label(self) -> &'static str {
        match self {
            Self::Inspect => "Inspecting your current configuration",
            Self::DiskSpace => "Checking for available disk space",
            Self::BackupFiles => "Backing up files for uninstall",
            Self::BackupRegistry => "Backing up the registry",
            Self::RestorePoint => "Creating a restore point",
            Self::Install => "Installing",
            Self::PostInstall => "Performing post-installation",
            Self::Cleanup => "Cleaning up",
        }
    }
}

/// What `sp install` did.
#[derive(Debug, Clone, Serialize)]
pub struct SpReport {
    /// `KB835935`.
    pub kb: String,
    /// The level the image had.
    pub from_sp: u8,
    /// The level it has now.
    pub to_sp: u8,
    /// Files replaced now.
    pub replaced: usize,
    /// Files the SP added.
    pub added: usize,
    /// Files queued for the restart (in use).
    pub queued: usize,
    /// Files kept because the image has a newer build (a later hotfix).
    pub kept_newer: usize,
    /// Files whose version could not be read and were replaced (rule R3).
    pub unreadable_replaced: Vec<String>,
    /// The space check.
    pub space: SpaceNeed,
    /// The restore point created.
    pub restore_point: u32,
    /// Installed hotfixes whose files the SP now supersedes.
    pub superseded: Vec<String>,
    /// Dual-mode hotfixes migrated to their post-SP1 files (Xpsp1hfm).
    pub migrated: Vec<String>,
    /// 0 or 3010.
    pub outcome: Outcome,
    /// svcpack.log.
    pub log: String,
}

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

pub(crate) fn record_path(windir: &RelPath) -> RelPath {
    join(
        windir,
        &format!("{SP_UNINSTALL_DIR}/spuninst/spuninst.json"),
    )
}

pub(crate) fn join(base: &RelPath, rest: &str) -> RelPath {
    base.join(rest).unwrap_or_else(|_| base.clone())
}

/// Where one copy line of update.inf lands, as a Windows path.
fn win_target(c: &CopyFile) -> Option<String> {
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

/// Plan-time state shared by the stages.
pub(crate) struct Plan<'v, 'a> {
    pub view: &'v mut View<'a>,
    pub log: &'v mut InstallerLog,
    pub report: SpReport,
    pub record: SpRecord,
    /// Bytes of every new file (payload, hives, records).
    pub written: Vec<u64>,
    /// Lengths of old files given a second name in the backup.
    backup_lens: Vec<u64>,
    /// Lengths of the files the restore point snapshots.
    restore_lens: Vec<u64>,
    /// Bytes of the restore point's list.
    restore_list: u64,
    /// Every path the transaction creates or replaces.
    pub new_paths: Vec<RelPath>,
}

/// `progress(stage, done, total)` is called as each stage starts (done 0)
/// and as it advances.
pub fn sp_install(
    session: &Session<'_>,
    pkg: &Package,
    opts: &SpOptions,
    progress: &mut dyn FnMut(Stage, u64, u64),
) -> Result<SpReport, EngineError> {
    let image = &session.image;
    let log_rel = join(image.windir(), "svcpack.log");
    let log_path = image.host(&log_rel);
    let mut log = InstallerLog::with_header(&opts.command_line);
    let to = session.identity.sp.0 + 1;
    let result = run(session, pkg, opts, &mut log, progress, log_path.clone());
    match result {
        Ok(report) => {
            progress(Stage::Cleanup, 0, 1);
            log.line(format!(
                "{} Setup finished (exit code {})",
                SpLevel(to).csd_version(),
                report.outcome.code()
            ));
            append(session, &log, &log_path);
            progress(Stage::Cleanup, 1, 1);
            Ok(report)
        }
        Err(e) => {
            log.line(format!("{} Setup canceled.", SpLevel(to).csd_version()));
            failure_lines(&mut log, &e);
            append(session, &log, &log_path);
            Err(e)
        }
    }
}

fn append(session: &Session<'_>, log: &InstallerLog, path: &std::path::Path) {
    if let Err(e) = log.append_to(session.fs, path) {
        eprintln!("warning: could not write {}: {e}", path.display());
    }
}

fn run(
    session: &Session<'_>,
    pkg: &Package,
    opts: &SpOptions,
    log: &mut InstallerLog,
    progress: &mut dyn FnMut(Stage, u64, u64),
    log_path: PathBuf,
) -> Result<SpReport, EngineError> {
    let fs = session.fs;
    let image = &session.image;
    let id = &session.identity;
    progress(Stage::Inspect, 0, 1);
    log.line(Stage::Inspect.label());
    if let Some(reason) = applicability(pkg, id) {
        return Err(EngineError::NotApplicable {
            package: pkg.file_name.clone(),
            reason,
        });
    }
    let kb = pkg.kb().to_string();
    let to_sp = id.sp.0 + 1;
    log.line(format!(
        "{kb}: {} on {} {} ({})",
        pkg.inf.title.as_deref().unwrap_or(&kb),
        id.product_name,
        id.csd_version,
        id.language.code()
    ));
    let mut view = View::new(fs, image);
    let mut reg = Registry::load(&view, image)?;
    let in_use = hotfix_image::in_use(fs, image)?;
    let windir = image.windir().clone();
    let backup_root = join(&windir, SP_UNINSTALL_DIR);
    let mut plan = Plan {
        view: &mut view,
        log,
        report: SpReport {
            kb: kb.clone(),
            from_sp: id.sp.0,
            to_sp,
            replaced: 0,
            added: 0,
            queued: 0,
            kept_newer: 0,
            unreadable_replaced: Vec::new(),
            space: SpaceNeed::default(),
            restore_point: 0,
            superseded: Vec::new(),
            migrated: Vec::new(),
            outcome: Outcome::Success,
            log: log_path.display().to_string(),
        },
        record: SpRecord {
            kb: kb.clone(),
            from_sp: id.sp.0,
            to_sp,
            installed_at: hotfix_txn::clock::utc_now(),
            files: Vec::new(),
            hives: Vec::new(),
        },
        written: Vec::new(),
        backup_lens: Vec::new(),
        restore_lens: Vec::new(),
        restore_list: 0,
        new_paths: Vec::new(),
    };
    let lines: Vec<(&CopyFile, bool)> = pkg
        .inf
        .copy_always
        .iter()
        .map(|c| (c, false))
        .chain(pkg.inf.replace_if_exist.iter().map(|c| (c, true)))
        .collect();
    let mut resolver = image.resolver(fs);
    let mut sources: HashMap<String, Arc<Vec<u8>>> = HashMap::new();
    let mut queue = reg.queue();
    let queue_before = queue.clone();
    let mut replaced_backups = Vec::new();
    let total = lines.len() as u64;
    progress(Stage::Inspect, 0, total);
    let setup = format!("{} Setup", SpLevel(to_sp).csd_version());
    for (i, (line, if_exists)) in lines.iter().enumerate() {
        opts.check_cancel(&setup)?;
        progress(Stage::Inspect, i as u64 + 1, total);
        let win = win_target(line).ok_or_else(|| EngineError::Damaged {
            package: pkg.file_name.clone(),
            problem: format!("update.inf names unknown directory id {}", line.dest.dirid),
        })?;
        let target = resolver.resolve(&win)?;
        let key = line.source.to_ascii_lowercase();
        let new = match sources.get(&key) {
            Some(b) => b.clone(),
            None => {
                let b = Arc::new(pkg.read(&line.source)?);
                sources.insert(key, b.clone());
                b
            }
        };
        let host = image.host(&target);
        let cur = match fs.metadata(&host) {
            Ok(m) if m.is_file() => Some(fs.read(&host).map_err(|e| EngineError::Io {
                what: "read",
                path: image.win_path(&target),
                source: e,
            })?),
            _ => None,
        };
        plan.decide(
            &target, cur, new, *if_exists, opts, &in_use, &mut queue, &kb,
        )?
        .inspect(|b| replaced_backups.push((target.clone(), b.clone())));
    }
    drop(sources);
    let migration = if to_sp == 1 {
        plan.migrate_dual_mode(session, &in_use, &mut queue, &mut reg, &kb)?
    } else {
        crate::dual::Migration::default()
    };
    replaced_backups.extend(migration.backups.iter().cloned());
    plan.record_service_pack(session, pkg, &replaced_backups)?;

    opts.check_cancel(&setup)?;
    progress(Stage::BackupFiles, 0, 1);
    plan.log.line(format!(
        "{}: {} files backed up to {}",
        Stage::BackupFiles.label(),
        replaced_backups.len(),
        image.win_path(&backup_root)
    ));
    progress(Stage::BackupFiles, 1, 1);

    opts.check_cancel(&setup)?;
    progress(Stage::BackupRegistry, 0, 1);
    for hive in [image.software_hive(), image.system_hive()] {
        let backup = join(&backup_root, &format!("registry/{}", hive.file_name()));
        plan.link(&backup, &hive);
        plan.record
            .hives
            .push((hive.as_str().to_owned(), backup.as_str().to_owned()));
    }
    plan.log.line(Stage::BackupRegistry.label());
    progress(Stage::BackupRegistry, 1, 1);

    opts.check_cancel(&setup)?;
    progress(Stage::RestorePoint, 0, 1);
    let description = format!("Installed {}", pkg.inf.title.as_deref().unwrap_or(&kb));
    let snapshot = restore::plan_point(plan.view, &description, &replaced_backups)?;
    for (path, len) in snapshot.linked {
        plan.restore_lens.push(len);
        plan.new_paths.push(path);
    }
    plan.restore_list = snapshot.list_len;
    plan.report.restore_point = snapshot.number;
    plan.log.line(format!(
        "Restore point {} created: {description}",
        snapshot.number
    ));
    plan.log
        .line("Point of no return: from here on the install can no longer be cancelled; a crash is recovered by the journal");
    progress(Stage::RestorePoint, 1, 1);
    let mut late_cancel = LateCancel::default();

    for line in &pkg.inf.add_reg {
        let Some((hive, key)) = reg.map_hklm(&line.key) else {
            continue;
        };
        let name = line.value_name.clone().unwrap_or_default();
        let value = match &line.data {
            RegData::Sz(s) => Value::Sz(s.clone()),
            RegData::ExpandSz(s) => Value::ExpandSz(s.clone()),
            RegData::MultiSz(v) => Value::MultiSz(v.clone()),
            RegData::Dword(d) => Value::Dword(*d),
            RegData::Binary(b) => Value::Binary(b.clone()),
            RegData::None => continue,
        };
        reg.hive_mut(hive)
            .set(&key, &name, value)
            .map_err(|e| EngineError::Hive {
                path: line.key.clone(),
                problem: e.to_string(),
            })?;
    }
    if queue != queue_before {
        reg.set_queue(&queue)?;
    }
    reg.store(plan.view)?;
    for hive in [image.software_hive(), image.system_hive()] {
        if let Some(b) = plan.view.read(&hive)? {
            plan.written.push(b.len() as u64);
            plan.new_paths.push(hive);
        }
    }
    let record_bytes = serde_json::to_vec_pretty(&plan.record).unwrap_or_default();
    plan.written.push(record_bytes.len() as u64);
    plan.new_paths.push(record_path(&windir));
    plan.view
        .put_bytes(&record_path(&windir), Arc::new(record_bytes));

    late_cancel.note(opts, plan.log);
    progress(Stage::DiskSpace, 0, 1);
    let space = plan.space(session)?;
    let msg = format!("{}: {}", Stage::DiskSpace.label(), space.describe());
    plan.log.line(&msg);
    plan.report.space = space.clone();
    if space.free < space.total() {
        return Err(EngineError::DiskSpace {
            needed: space.total(),
            free: space.free,
            short: space.total() - space.free,
        });
    }
    progress(Stage::DiskSpace, 1, 1);

    late_cancel.note(opts, plan.log);
    progress(Stage::Install, 0, 1);
    let mut report = plan.report;
    let summary = view.commit(&format!("sp install {kb}"), &opts.command_line)?;
    log.line(format!(
        "{}: {} files switched in, {} new names, {} directories (one transaction)",
        Stage::Install.label(),
        summary.puts,
        summary.links,
        summary.dirs
    ));
    if report.queued > 0 {
        report.outcome = Outcome::RestartRequired;
        log.line(format!(
            "{} files are in use and were queued; run `hotfix restart` to finish",
            report.queued
        ));
    }
    progress(Stage::Install, 1, 1);

    late_cancel.note(opts, log);
    if let Some(hfm) = migration.log {
        let path = image.host(&join(image.windir(), "Xpsp1hfm.log"));
        append(session, &hfm, &path);
    }
    progress(Stage::PostInstall, 0, 1);
    for kb in &report.migrated {
        log.line(format!(
            "{kb}: dual-mode update migrated to its post-SP1 files (see Xpsp1hfm.log)"
        ));
    }
    for kb in &report.superseded {
        log.line(format!(
            "{kb}: its files are superseded by {}",
            SpLevel(to_sp).csd_version()
        ));
    }
    progress(Stage::PostInstall, 1, 1);
    Ok(report)
}

impl Plan<'_, '_> {
    /// Gives the file's current bytes a second name in
    /// `$NtServicePackUninstall$` and records it for spuninst.
    fn keep_old(&mut self, target: &RelPath) -> RelPath {
        let backup = join(
            &join(self.view.image().windir(), SP_UNINSTALL_DIR),
            &format!("files/{}", target.as_str()),
        );
        self.link(&backup, target);
        self.record
            .files
            .push((target.as_str().to_owned(), Some(backup.as_str().to_owned())));
        backup
    }

    /// Records a file this setup changes besides the payload (state files,
    /// migrated fixes) so that spuninst puts it back: its backup when it
    /// exists on disk, else `None` (spuninst removes it).
    pub(crate) fn track(&mut self, target: &RelPath) -> Option<RelPath> {
        if self
            .record
            .files
            .iter()
            .any(|(t, _)| t.eq_ignore_ascii_case(target.as_str()))
        {
            return None;
        }
        let on_disk = self
            .view
            .fs()
            .metadata(&self.view.image().host(target))
            .is_ok_and(|m| m.is_file());
        if on_disk {
            return Some(self.keep_old(target));
        }
        self.record.files.push((target.as_str().to_owned(), None));
        None
    }

    /// Plans `$hotfix$\servicepacks.json` with this SP and the hotfixes it
    /// supersedes: installed before it, with a file it replaced.
    fn record_service_pack(
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
        save_service_packs(self.view, &packs);
        let len = self.view.read(&path)?.map_or(0, |b| b.len() as u64);
        self.written.push(len);
        self.new_paths.push(path);
        Ok(())
    }

    fn link(&mut self, to: &RelPath, from: &RelPath) {
        let len = self
            .view
            .fs()
            .metadata(&self.view.image().host(from))
            .map_or(0, |m| m.len);
        self.backup_lens.push(len);
        self.new_paths.push(to.clone());
        self.view.put(to, Content::Disk(from.clone()));
    }

    /// Decides one file; returns its backup path when it is replaced.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        target: &RelPath,
        cur: Option<Vec<u8>>,
        new: Arc<Vec<u8>>,
        if_exists: bool,
        opts: &SpOptions,
        in_use: &BTreeSet<String>,
        queue: &mut hotfix_pending::PendingQueue,
        kb: &str,
    ) -> Result<Option<RelPath>, EngineError> {
        let image = self.view.image();
        let win = image.win_path(target);
        let new_version = hotfix_pe::read_version(&new).ok().map(|v| v.file_version);
        let Some(cur) = cur else {
            if if_exists {
                return Ok(None);
            }
            self.written.push(new.len() as u64);
            self.new_paths.push(target.clone());
            self.view.put_bytes(target, new);
            self.record.files.push((target.as_str().to_owned(), None));
            self.report.added += 1;
            return Ok(None);
        };
        let replace = match (new_version, hotfix_pe::read_version(&cur)) {
            (Some(n), Ok(c)) if n <= c.file_version => {
                if n < c.file_version {
                    self.log.line(format!(
                        "Kept {win}: {} on disk is newer than the service pack's {n}",
                        c.file_version
                    ));
                    self.report.kept_newer += 1;
                }
                false
            }
            (Some(_), Ok(_)) => true,
            (Some(n), Err(problem)) => {
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
            (None, _) => cur != *new,
        };
        if !replace {
            return Ok(None);
        }
        let backup = self.keep_old(target);
        self.written.push(new.len() as u64);
        if in_use.contains(&target.as_str().to_lowercase()) {
            let parent = target.parent().unwrap_or_else(|| target.clone());
            let staged = join(&parent, &format!("{}.hf{kb}", target.file_name()));
            self.new_paths.push(staged.clone());
            queue.ops.push(PendingOp::replace(
                image.nt_path(&staged),
                format!("!{}", image.nt_path(target)),
            ));
            self.view.put_bytes(&staged, new);
            self.report.queued += 1;
        } else {
            self.new_paths.push(target.clone());
            self.view.put_bytes(target, new);
            self.report.replaced += 1;
        }
        Ok(Some(backup))
    }

    fn space(&self, session: &Session<'_>) -> Result<SpaceNeed, EngineError> {
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
    let dir = sd.host(&sd.rel("txn"));
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

/// Logs, once, a Ctrl-C that came after the point of no return.
#[derive(Default)]
struct LateCancel(bool);

impl LateCancel {
    fn note(&mut self, opts: &SpOptions, log: &mut InstallerLog) {
        if !self.0 && opts.cancelled() {
            self.0 = true;
            log.line("Cancel requested after the point of no return: setup continues to the end");
        }
    }
}

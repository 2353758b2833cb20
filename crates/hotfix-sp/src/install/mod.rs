//! `hotfix sp install`: the stages of the SP's update.exe, planned on one
//! [`View`] and committed as one transaction after an exact space check.

pub(crate) mod files;
pub(crate) mod record;
mod stage;

pub use stage::{SpOptions, SpReport};

use std::collections::HashSet;
use std::path::PathBuf;

use hotfix_engine::{
    EngineError, FileRules, ImageLocale, InstallerLog, Outcome, Registry, Reporter, RestartReport,
    Session, Stage, View, applicability, failure_cause_lines, failure_code_lines, run_queue,
    write_state,
};
use hotfix_i18n::Msg;
use hotfix_image::Identity;
use hotfix_inf::CopyFile;
use hotfix_model::SpLevel;
use hotfix_package::Package;
use hotfix_txn::RelPath;

use self::files::Payload;
use self::record::{SpRecord, arp_key_name, join, record_path, register_uninstall};
use self::stage::LateCancel;
use crate::space::SpaceNeed;
use crate::{SP_UNINSTALL_DIR, restore};

/// Plan-time state shared by the stages.
pub(crate) struct Plan<'v, 'a> {
    pub view: &'v mut View<'a>,
    pub log: &'v mut InstallerLog,
    pub report: SpReport,
    pub record: SpRecord,
    /// Bytes of every new file (payload, hives, records).
    pub written: Vec<u64>,
    /// Lengths of old files given a second name in the backup.
    pub backup_lens: Vec<u64>,
    /// Lengths of the files the restore point snapshots.
    pub restore_lens: Vec<u64>,
    /// Bytes of the restore point's list.
    pub restore_list: u64,
    /// Every path the transaction creates or replaces.
    pub new_paths: Vec<RelPath>,
    /// `/nobackup`: nothing is kept for spuninst.
    pub no_backup: bool,
    /// The targets in `record.files`, lower case: asked about for every
    /// payload file.
    pub listed: HashSet<String>,
}

/// Which level the service pack takes the image to, and from which.
struct Level {
    /// The identity applicability is judged on: the image's, or, when this
    /// SP is installed already, the image as it was before it.
    before: Identity,
    to_sp: u8,
    /// spuninst's list of an earlier run of this same SP.
    earlier: Option<SpRecord>,
}

impl Level {
    fn of(session: &Session<'_>, pkg: &Package) -> Result<Self, EngineError> {
        let id = &session.identity;
        let view = View::new(session.fs, &session.image);
        match SpRecord::load(&view)? {
            Some(rec) if rec.kb == pkg.kb().to_string() && rec.to_sp == id.sp.0 => {
                let mut before = id.clone();
                before.sp = SpLevel(rec.from_sp);
                Ok(Self {
                    before,
                    to_sp: rec.to_sp,
                    earlier: Some(rec),
                })
            }
            _ => Ok(Self {
                before: id.clone(),
                to_sp: id.sp.0 + 1,
                earlier: None,
            }),
        }
    }
}

/// `reporter` hears of each stage as it starts (done 0) and as it
/// advances.
pub fn sp_install(
    session: &Session<'_>,
    pkg: &Package,
    opts: &SpOptions,
    reporter: &mut dyn Reporter,
) -> Result<SpReport, EngineError> {
    let image = &session.image;
    let log_path = opts
        .log_path
        .clone()
        .unwrap_or_else(|| image.host(&join(image.windir(), "svcpack.log")));
    let mut log = InstallerLog::with_header(ImageLocale::of(&session.identity), &opts.command_line);
    let sp = Level::of(session, pkg)?;
    let level = SpLevel(sp.to_sp).csd_version();
    let result = run(session, pkg, opts, sp, &mut log, reporter, log_path.clone());
    match result {
        Ok(report) => {
            reporter.progress(Stage::Cleanup, 0, 1, "");
            let code = report.outcome.code().to_string();
            log.msg(Msg::SetupFinished, &[&level, &code]);
            append(session, &log, &log_path);
            reporter.progress(Stage::Cleanup, 1, 1, "");
            Ok(report)
        }
        Err(e) => {
            // The original's closing lines (seed 000's svcpack.log): the
            // entry it had registered goes, then the canceled message as
            // logged and as shown, the answer, and the codes.
            failure_cause_lines(&mut log, &e);
            let arp = arp_key_name(session.identity.product);
            log.msg(Msg::DeregisteringUninstall, &[&arp]);
            let canceled = log.locale().fmt(Msg::SetupCanceled, &[&level]);
            log.line(&canceled);
            log.msg(Msg::MessageDisplayed, &[&canceled]);
            log.msg(Msg::UserInputOk, &[]);
            failure_code_lines(&mut log, &e);
            append(session, &log, &log_path);
            Err(e)
        }
    }
}

fn append(session: &Session<'_>, log: &InstallerLog, path: &std::path::Path) {
    if let Err(e) = log.append_to(session.fs, path) {
        // Reaches the user through the binary's subscriber (warnings on).
        tracing::warn!("could not write {}: {e}", path.display());
    }
}

fn run(
    session: &Session<'_>,
    pkg: &Package,
    opts: &SpOptions,
    level: Level,
    log: &mut InstallerLog,
    reporter: &mut dyn Reporter,
    log_path: PathBuf,
) -> Result<SpReport, EngineError> {
    let fs = session.fs;
    let image = &session.image;
    let id = &session.identity;
    reporter.progress(Stage::Inspect, 0, 1, "");
    log.msg(Stage::Inspect.msg(), &[]);
    if let Some(reason) = applicability(pkg, &level.before) {
        return Err(EngineError::NotApplicable {
            package: pkg.file_name.clone(),
            reason,
        });
    }
    let kb = pkg.kb().to_string();
    let to_sp = level.to_sp;
    if let Some(earlier) = &level.earlier {
        let sp = SpLevel(to_sp).csd_version();
        log.msg(Msg::SpInstalledAgain, &[&sp, &earlier.installed_at]);
    }
    let system = format!(
        "{} {} ({})",
        id.product_name,
        id.csd_version,
        id.language.code()
    );
    log.msg(
        Msg::PackageOnSystem,
        &[&kb, pkg.inf.title.as_deref().unwrap_or(&kb), &system],
    );
    let mut view = View::new(fs, image);
    let mut reg = Registry::load(&view, image)?;
    reg.load_user_hives(&view);
    let rules = FileRules::load(&view, &reg, opts.strict_versions)?;
    let windir = image.windir().clone();
    let backup_root = join(&windir, SP_UNINSTALL_DIR);
    let mut plan = Plan {
        view: &mut view,
        log,
        report: SpReport {
            kb: kb.clone(),
            from_sp: level.before.sp.0,
            to_sp,
            replaced: 0,
            added: 0,
            queued: 0,
            swapped: 0,
            kept_newer: 0,
            unreadable_replaced: Vec::new(),
            space: SpaceNeed::default(),
            restore_point: 0,
            superseded: Vec::new(),
            migrated: Vec::new(),
            outcome: Outcome::Success,
            restarted: None,
            log: log_path.display().to_string(),
        },
        // Run again, setup adds to the first run's list: its backups hold
        // the bytes from before the service pack.
        record: level.earlier.unwrap_or_else(|| SpRecord {
            kb: kb.clone(),
            from_sp: id.sp.0,
            to_sp,
            installed_at: hotfix_txn::clock::utc_now(),
            files: Vec::new(),
            hives: Vec::new(),
        }),
        no_backup: opts.no_backup,
        listed: HashSet::new(),
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
    plan.listed = plan
        .record
        .files
        .iter()
        .map(|(t, _)| t.to_lowercase())
        .collect();
    let mut resolver = image.resolver(fs);
    let mut queue = reg.queue();
    let queue_before = queue.clone();
    let mut payload = Payload {
        pkg,
        rules: &rules,
        queue: &mut queue,
        resolver: &mut resolver,
    };
    let mut replaced_backups = Vec::new();
    let total = lines.len() as u64;
    let inspecting = tracing::debug_span!("inspect", lines = total).entered();
    reporter.progress(Stage::Inspect, 0, total, "");
    let setup = format!("{} Setup", SpLevel(to_sp).csd_version());
    let locale = plan.log.locale();
    let stage = |s: Stage| locale.lang.text(s.msg());
    for (i, (line, if_exists)) in lines.iter().enumerate() {
        opts.check_cancel(&setup)?;
        reporter.progress(Stage::Inspect, i as u64 + 1, total, "");
        if let Some(b) = plan.install_line(&mut payload, line, *if_exists)? {
            replaced_backups.push(b);
        }
    }
    drop(inspecting);
    let migration = if to_sp == 1 {
        plan.migrate_dual_mode(session, &rules, &mut queue, &mut reg, &kb)?
    } else {
        crate::dual::Migration::default()
    };
    replaced_backups.extend(migration.backups.iter().cloned());
    plan.record_service_pack(session, pkg, &replaced_backups)?;

    // Everything is planned before the space check, which needs the whole
    // plan; the stages after it are reported afterwards, in the original's
    // order (nothing is written before the one commit anyway).
    let backups_line = locale.fmt(
        Msg::BackedUpFiles,
        &[
            stage(Stage::BackupFiles),
            &replaced_backups.len().to_string(),
            &image.win_path(&backup_root),
        ],
    );
    let hives = reg.files();
    for hive in hives.iter().filter(|_| !opts.no_backup) {
        let backup = join(&backup_root, &format!("registry/{}", hive.file_name()));
        // The first run's copy is the registry from before the SP.
        if plan.view.exists(&backup) {
            continue;
        }
        plan.link(&backup, hive);
        plan.record
            .hives
            .push((hive.as_str().to_owned(), backup.as_str().to_owned()));
    }
    let description = locale.fmt(
        Msg::RestorePointDescription,
        &[pkg.inf.title.as_deref().unwrap_or(&kb)],
    );
    let snapshot = restore::plan_point(plan.view, &description, &hives, &replaced_backups)?;
    for (path, len) in snapshot.linked {
        plan.restore_lens.push(len);
        plan.new_paths.push(path);
    }
    plan.restore_list = snapshot.list_len;
    plan.report.restore_point = snapshot.number;
    // The hives are backed up whole, so the old values are not kept.
    reg.apply_inf_lines(&pkg.inf.add_reg, &pkg.inf.del_reg, plan.log)?;
    register_uninstall(&mut reg, plan.log, id, to_sp, &image.win_path(&backup_root))?;
    rules.save_queue(plan.view, &mut reg, &queue)?;
    let restart_needed = queue != queue_before;
    if opts.restart && (restart_needed || opts.force_restart) {
        let steps = run_queue(plan.view, &mut reg)?;
        plan.log
            .msg(Msg::SpRestartedAtEnd, &[&steps.len().to_string()]);
        plan.report.restarted = Some(RestartReport { steps });
    }
    // Only the hives the service pack changed are written.
    for hive in reg.store(plan.view)? {
        plan.count_planned(hive)?;
    }
    // Without backups there is nothing for spuninst to give back.
    if !opts.no_backup {
        write_state(plan.view, &record_path(&windir), &plan.record)?;
        plan.count_planned(record_path(&windir))?;
    }

    opts.check_cancel(&setup)?;
    reporter.progress(Stage::DiskSpace, 0, 1, "");
    let space = plan.space(session)?;
    let msg = format!("{}: {}", stage(Stage::DiskSpace), space.describe());
    plan.log.line(&msg);
    plan.report.space = space.clone();
    if space.free < space.total() {
        return Err(EngineError::DiskSpace {
            needed: space.total(),
            free: space.free,
            short: space.total() - space.free,
        });
    }
    reporter.progress(Stage::DiskSpace, 1, 1, "");

    let restore_lines = [
        locale.fmt(
            Msg::RestorePointCreated,
            &[
                stage(Stage::RestorePoint),
                &snapshot.number.to_string(),
                &description,
            ],
        ),
        locale.fmt(Msg::PointOfNoReturn, &[]),
    ];
    let stages = [
        (Stage::BackupFiles, vec![backups_line]),
        (
            Stage::BackupRegistry,
            vec![stage(Stage::BackupRegistry).to_owned()],
        ),
        (Stage::RestorePoint, restore_lines.to_vec()),
    ];
    for (stage, lines) in stages {
        opts.check_cancel(&setup)?;
        reporter.progress(stage, 0, 1, "");
        for line in lines {
            plan.log.line(line);
        }
        reporter.progress(stage, 1, 1, "");
    }
    let mut late_cancel = LateCancel::default();

    late_cancel.note(opts, plan.log);
    reporter.progress(Stage::Install, 0, 1, "");
    let mut report = plan.report;
    // A package opened with deferred checks had the files it staged checked
    // on the way; the rest are checked before the commit point.
    let summary = view.commit_checked(&format!("sp install {kb}"), &opts.command_line, &|| {
        Ok(pkg.check_remaining()?)
    })?;
    log.msg(
        Msg::InstalledSummary,
        &[
            stage(Stage::Install),
            &summary.puts.to_string(),
            &summary.links.to_string(),
            &summary.dirs.to_string(),
        ],
    );
    if restart_needed && report.restarted.is_none() {
        report.outcome = Outcome::RestartRequired;
        let queued = report.queued + report.swapped;
        log.msg(Msg::FilesQueued, &[&queued.to_string()]);
    }
    reporter.progress(Stage::Install, 1, 1, "");

    late_cancel.note(opts, log);
    if let Some(hfm) = migration.log {
        let path = image.host(&join(image.windir(), "Xpsp1hfm.log"));
        append(session, &hfm, &path);
    }
    reporter.progress(Stage::PostInstall, 0, 1, "");
    for kb in &report.migrated {
        log.msg(Msg::HotfixMigrated, &[kb]);
    }
    let level = SpLevel(to_sp).csd_version();
    for kb in &report.superseded {
        log.msg(Msg::HotfixSuperseded, &[kb, &level]);
    }
    reporter.progress(Stage::PostInstall, 1, 1, "");
    Ok(report)
}

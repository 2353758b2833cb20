//! `hotfix install`: Update.exe's work, planned on a [`View`] and committed
//! as one transaction for the whole command line of packages.

mod decide;
mod dual;
mod files;
mod footprint;
mod plan;

use std::path::PathBuf;

use hotfix_image::Identity;
use hotfix_model::Branch;
use hotfix_package::Package;
use hotfix_pending::PendingQueue;
use serde::Serialize;

pub(crate) use decide::ALLOW_PROTECTED_RENAMES;
pub use decide::{Decision, FileRules, Offer};
pub(crate) use dual::XPSP1HFM_DIR;
pub(crate) use files::{HF_MIG_DIR, join};
pub(crate) use footprint::FootprintKeys;
use footprint::{FootprintInfo, ships_in_sp};
pub use plan::{applicability, check_writable, destination};

use crate::log::{ImageLocale, InstallerLog, invoking_user};
use crate::record::{
    Baseline, FileAction, InstallRecord, KeptCopy, StatePaths, load_baseline, load_records,
    save_baseline, save_record,
};
use crate::registry::Registry;
use crate::report::{Reporter, Stage};
use crate::restart::RestartReport;
use crate::session::Session;
use crate::view::{SpaceFigure, View};
use crate::{EngineError, Outcome};
use hotfix_i18n::Msg;

/// Switches that change what install does.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// `/nobackup` (`-n`): no `$NtUninstall...$` folder and no store copies;
    /// the hotfix cannot be uninstalled.
    pub no_backup: bool,
    /// `/B:<branch>`.
    pub force_branch: Option<Branch>,
    /// Reproduce the original's cancel (0xf00d) on an unreadable version.
    pub strict_versions: bool,
    /// `/log:<path>` (a host path) instead of `%windir%\KBnnnnnn.log`.
    pub log_path: Option<PathBuf>,
    /// The command line, for logs and the journal.
    pub command_line: String,
    /// Skip packages that do not apply instead of refusing the command.
    pub skip_inapplicable: bool,
    /// Plan and report, change nothing.
    pub dry_run: bool,
    /// `--installed-by`: the `Installed By` name; `None` for the invoking
    /// user ([`invoking_user`]).
    pub installed_by: Option<String>,
    /// Perform the boot-time step (Session Manager's pass over the queue)
    /// at the end, in the same transaction, as the original restarted the
    /// machine; `false` (`/norestart`) leaves the queue for `hotfix restart`.
    pub restart: bool,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Windows path of the target.
    pub target: String,
    /// What was done.
    pub action: FileAction,
    /// The package's version.
    pub version: Option<String>,
}

/// What happened with one package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    /// `KB925902`.
    pub kb: String,
    /// The package file.
    pub package: String,
    /// The branch used.
    pub branch: Option<String>,
    /// Set when the package was skipped as not applicable.
    pub not_applicable: Option<String>,
    /// Every file.
    pub files: Vec<FileReport>,
    /// The log written.
    pub log: String,
}

impl PackageReport {
    /// How many files had `action`.
    pub fn count(&self, action: FileAction) -> usize {
        self.files.iter().filter(|f| f.action == action).count()
    }
}

/// The result of `hotfix install`.
#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    /// Per package, in command-line order.
    pub packages: Vec<PackageReport>,
    /// 0 or 3010.
    pub outcome: Outcome,
    /// Files switched in by the transaction.
    pub files_written: usize,
    /// Whether nothing was written (`--dry-run`).
    pub dry_run: bool,
    /// The boot-time step performed at the end (without `/norestart`).
    pub restarted: Option<RestartReport>,
    /// A dry run's disk-space check: what the commit would need and the
    /// free space it was checked against.
    pub space: Option<SpaceFigure>,
}

/// Per-package state while planning.
pub(crate) struct Ctx<'v, 'a> {
    view: &'v mut View<'a>,
    reg: &'v mut Registry,
    queue: &'v mut PendingQueue,
    baseline: &'v mut Baseline,
    id: &'v Identity,
    paths: &'v StatePaths,
    rules: &'v FileRules,
    opts: &'v InstallOptions,
    log: &'v mut InstallerLog,
    pkg: &'v Package,
    kb: String,
    /// QFE copies this package put in `$hf_mig$`, for its record.
    hf_mig: Vec<KeptCopy>,
}

impl Ctx<'_, '_> {
    fn run(&mut self, seq: u64) -> Result<InstallRecord, EngineError> {
        let pkg = self.pkg;
        let id = self.id;
        let system = format!(
            "{} {} ({})",
            id.product_name,
            id.csd_version,
            id.language.code()
        );
        self.log.msg(
            Msg::PackageOnSystem,
            &[
                &self.kb,
                pkg.inf.title.as_deref().unwrap_or(&pkg.inf.short_title),
                &system,
            ],
        );
        let mut layout =
            plan::Layout::of(pkg, id).map_err(|reason| EngineError::NotApplicable {
                package: pkg.file_name.clone(),
                reason,
            })?;
        if let Some(b) = self.opts.force_branch {
            if layout.gdr != Some(b) && layout.qfe != Some(b) {
                return Err(EngineError::Usage(format!(
                    "/B:{b} was given but {} has no {b} folder for this system",
                    pkg.file_name
                )));
            }
            layout.chosen = Some(b);
            self.log.line(format!("Branch forced to {b} by /B:"));
        }
        self.log.line("Starting AnalyzeComponents");
        let targets = plan::targets(self.view, self.reg, pkg)?;
        self.log
            .line(format!("AnalyzePhaseOne: {} target files", targets.len()));
        self.log.line(format!(
            "FindFirstFile {}\\{HF_MIG_DIR}\\*.*",
            self.view.image().win_path(self.view.image().windir())
        ));
        if self.opts.force_branch.is_none()
            && let Some(line) = plan::analyze_branching(self.view, &mut layout, &targets, id)?
        {
            self.log.line(line);
        }
        if let Some(b) = layout.chosen {
            self.log.line(format!("Branch selected: {b}"));
        }
        let windir = self.view.image().windir().clone();
        let backup =
            (!self.opts.no_backup).then(|| join(&windir, &format!("$NtUninstall{}$", self.kb)));
        let mut files = Vec::new();
        for t in &targets {
            files.extend(self.install_file(&layout, t, backup.as_ref())?);
        }
        let dual_mode = self.keep_post_sp1_side(&layout, &targets)?;
        let registry = self
            .reg
            .apply_inf_lines(&pkg.inf.add_reg, &pkg.inf.del_reg, self.log)?;
        let now = hotfix_txn::clock::utc_now();
        let locale = self.log.locale();
        let sp = ships_in_sp(pkg, id);
        let updates_key = format!("{}\\SP{sp}\\{}", id.product.name(), self.kb);
        let keys = FootprintKeys::new(&updates_key, &self.kb);
        let title = pkg
            .inf
            .title
            .clone()
            .unwrap_or_else(|| locale.fmt(Msg::DefaultTitle, &[id.product.name(), &self.kb]));
        let backup_win = backup.as_ref().map(|b| self.view.image().win_path(b));
        let installed_by = match &self.opts.installed_by {
            Some(name) => name.clone(),
            None => invoking_user(self.view.fs()),
        };
        let info = FootprintInfo {
            title: &title,
            backup_dir: backup_win.as_deref(),
            when: locale.clock.now(),
            installed_by: &installed_by,
            sp,
        };
        self.write_footprint(&keys, &info, &files)?;
        self.log
            .line("DoInstallation: registry and file operations planned");
        Ok(InstallRecord {
            kb: self.kb.clone(),
            title,
            package: pkg.file_name.clone(),
            branch: layout.chosen.map(|b| b.folder()),
            sp: id.sp.0,
            seq,
            installed_at: now,
            backup_dir: backup.map(|b| b.as_str().to_owned()),
            updates_key,
            files,
            registry,
            dual_mode,
            hf_mig: std::mem::take(&mut self.hf_mig),
        })
    }
}

/// Installs `packages` in order, as one transaction.
pub fn install(
    session: &Session<'_>,
    packages: &[Package],
    opts: &InstallOptions,
    reporter: &mut dyn Reporter,
) -> Result<InstallReport, EngineError> {
    let fs = session.fs;
    let image = &session.image;
    let mut view = View::new(fs, image);
    let mut reg = Registry::load(&view, image)?;
    reg.load_user_hives(&view);
    let mut queue = reg.queue();
    let mut baseline = load_baseline(&view, &session.paths)?;
    let records = load_records(&view, &session.paths)?;
    let mut seq = records.iter().map(|r| r.seq).max().unwrap_or(0);
    let rules = FileRules::load(&view, &reg, opts.strict_versions)?;
    let mut reports = Vec::new();
    let mut logs = Vec::new();
    let mut outcome = Outcome::Success;
    let total = packages.len() as u64;
    for (done, pkg) in (0..).zip(packages) {
        let kb = pkg.kb().to_string();
        reporter.progress(Stage::Inspect, done, total, &format!("{kb}: planning"));
        let mut log =
            InstallerLog::with_header(ImageLocale::of(&session.identity), &opts.command_line);
        let log_path = opts
            .log_path
            .clone()
            .unwrap_or_else(|| image.host(&join(image.windir(), &format!("{kb}.log"))));
        let mut report = PackageReport {
            kb: kb.clone(),
            package: pkg.file_name.clone(),
            branch: None,
            not_applicable: None,
            files: Vec::new(),
            log: log_path.display().to_string(),
        };
        let result = match applicability(pkg, &session.identity) {
            Some(reason) => Err(EngineError::NotApplicable {
                package: pkg.file_name.clone(),
                reason,
            }),
            None => {
                seq += 1;
                let mut ctx = Ctx {
                    view: &mut view,
                    reg: &mut reg,
                    queue: &mut queue,
                    baseline: &mut baseline,
                    id: &session.identity,
                    paths: &session.paths,
                    rules: &rules,
                    opts,
                    log: &mut log,
                    pkg,
                    kb: kb.clone(),
                    hf_mig: Vec::new(),
                };
                ctx.run(seq)
            }
        };
        match result {
            Ok(record) => {
                for f in &record.files {
                    if matches!(f.action, FileAction::Queued | FileAction::KnownDllSwap) {
                        outcome = Outcome::RestartRequired;
                    }
                    let rel = hotfix_txn::RelPath::new(&f.target).ok();
                    report.files.push(FileReport {
                        target: rel.map_or_else(|| f.target.clone(), |r| image.win_path(&r)),
                        action: f.action,
                        version: f.version.clone(),
                    });
                }
                report.branch = record.branch.clone();
                save_record(&mut view, &session.paths, &record)?;
            }
            Err(EngineError::NotApplicable { reason, .. }) if opts.skip_inapplicable => {
                log.msg(Msg::NotApplicableSkipped, &[&kb, &reason]);
                report.not_applicable = Some(reason);
            }
            Err(e) => {
                logs.push((log_path, log));
                return Err(finish_failed(session, logs, e));
            }
        }
        logs.push((log_path, log));
        reports.push(report);
    }
    rules.save_queue(&view, &mut reg, &queue)?;
    let mut restarted = None;
    if opts.restart && outcome == Outcome::RestartRequired {
        let steps = crate::restart::run_queue(&mut view, &mut reg)?;
        restarted = Some(RestartReport { steps });
        outcome = Outcome::Success;
    }
    reg.store(&mut view)?;
    save_baseline(&mut view, &session.paths, &baseline);
    let title = reports
        .iter()
        .map(|r| r.kb.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut files_written = 0;
    let mut space = None;
    if !opts.dry_run {
        reporter.progress(Stage::Install, 0, 1, "committing");
        match view.commit(&format!("install {title}"), &opts.command_line) {
            Ok(summary) => files_written = summary.puts + summary.links,
            Err(e) => return Err(finish_failed(session, logs, e)),
        }
    } else {
        // The dry run fails where the real one would (0xf0f6).
        match view.check_space() {
            Ok(figure) => space = Some(figure),
            Err(e) => return Err(finish_failed(session, logs, e)),
        }
    }
    for (path, mut log) in logs {
        let closing = match (opts.dry_run, outcome) {
            (true, _) => Msg::DryRun,
            (false, _) if restarted.is_some() => Msg::InstallCompleteRestarted,
            (false, Outcome::RestartRequired) => Msg::InstallCompleteRestart,
            (false, Outcome::Success) => Msg::InstallComplete,
        };
        log.msg(closing, &[]);
        append_log(session, &path, &log);
    }
    Ok(InstallReport {
        packages: reports,
        outcome,
        files_written,
        dry_run: opts.dry_run,
        restarted,
        space,
    })
}

fn append_log(session: &Session<'_>, path: &std::path::Path, log: &InstallerLog) {
    if let Err(e) = log.append_to(session.fs, path) {
        tracing::warn!("could not write the log {}: {e}", path.display());
    }
}

/// Logs a failure the way Update.exe did, in every package's log.
fn finish_failed(
    session: &Session<'_>,
    logs: Vec<(PathBuf, InstallerLog)>,
    e: EngineError,
) -> EngineError {
    for (path, mut log) in logs {
        failure_lines(&mut log, &e);
        append_log(session, &path, &log);
    }
    e
}

/// The closing lines of a failed run: [`failure_cause_lines`], then
/// [`failure_code_lines`].
pub fn failure_lines(log: &mut InstallerLog, e: &EngineError) {
    failure_cause_lines(log, e);
    failure_code_lines(log, e);
}

/// What went wrong, and whether the run was undone.
pub fn failure_cause_lines(log: &mut InstallerLog, e: &EngineError) {
    log.msg(Msg::SetupError, &[&e.to_string()]);
    if matches!(e, EngineError::Txn(_) | EngineError::DiskSpace { .. }) {
        log.msg(Msg::RunUndone, &[]);
    }
}

/// The extended code and the masked exit code, the last lines of every
/// failed run of the originals.
pub fn failure_code_lines(log: &mut InstallerLog, e: &EngineError) {
    log.msg(Msg::ExtendedCode, &[&format!("{:#x}", e.ext_code().code())]);
    log.msg(Msg::MaskedCode, &[]);
}

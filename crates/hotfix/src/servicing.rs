//! `install`, `restart`, `chain`, `uninstall`, `list`, `verify`.

use std::path::{Path, PathBuf};

use clap::Args;
use hotfix_engine::{
    FileAction, InstallOptions, InstallReport, OnLine, Outcome, PackageReport, Session, Wait,
};
use hotfix_fs::Fs;
use hotfix_i18n::{Lang, Msg};
use hotfix_package::Package;

use crate::ImageArg;
use crate::switches::SetupSwitches;
use crate::ui::{CliError, CmdResult, out, outln, print_json, spinner};

/// `hotfix install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    image: ImageArg,
    /// Packages, installed in this order (`.exe` or `.cab`).
    packages: Vec<PathBuf>,
    #[command(flatten)]
    switches: SetupSwitches,
    /// `/extract[:dir]`, `-x`: extract the package instead of installing it.
    #[arg(long, num_args = 0..=1, require_equals = true)]
    extract: Option<Option<PathBuf>>,
    /// `/verbose`: structured tracing on stderr.
    #[arg(long)]
    pub verbose: bool,
    /// `/B:<branch>`: force a branch folder, e.g. SP2QFE.
    #[arg(long, require_equals = true)]
    branch: Option<String>,
    /// `-l`: list installed hotfixes.
    #[arg(long)]
    list: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Plan and report; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Cancel on an unreadable file version, as the original did (0xf00d).
    #[arg(long)]
    strict_versions: bool,
    /// Skip packages that do not apply instead of refusing the whole run.
    #[arg(long)]
    skip_inapplicable: bool,
    /// The `Installed By` name the footprint records (default: the invoking
    /// user: `SUDO_USER`, else `USER`/`LOGNAME`, else the uid's name).
    #[arg(long, value_name = "NAME")]
    installed_by: Option<String>,
}

/// `hotfix verify` (Qfecheck: `/l[:location] /v /q`).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    image: ImageArg,
    /// `/l[:location]`: also write the report to `<computername>.log` in the
    /// current directory, or in `location` when it is a directory, or to
    /// the file `location`.
    #[arg(long, num_args = 0..=1, require_equals = true, value_name = "LOCATION")]
    log_file: Option<Option<PathBuf>>,
    /// `/v`: say what is wrong with each hotfix, file by file.
    #[arg(long)]
    details: bool,
    /// `/q`: print nothing; the exit status (and `/l`'s log) tell.
    #[arg(long)]
    quiet: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub use crate::faults::filesystem;

/// Opens a session, printing what the user must know (waits, recovery).
pub fn open<'f>(fs: &'f dyn Fs, image: &ImageArg) -> Result<Session<'f>, CliError> {
    let wait = if image.no_wait {
        Wait::NoWait
    } else {
        Wait::Block
    };
    Ok(Session::open(
        fs,
        &image.image,
        wait,
        &mut OnLine(|m: &str| eprintln!("{m}")),
    )?)
}

/// When a package's payload is checked against its update.ver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Every file as the package opens.
    AtOpen,
    /// Each file as it is first read; the caller checks the rest before it
    /// commits (service-pack setup, which stages nearly every file).
    Deferred,
}

/// Opens one package file (read where needed, never whole).
pub fn open_package(fs: &dyn Fs, path: &Path, check: Check) -> Result<Package, CliError> {
    let source = fs
        .open_read_at(path)
        .map_err(|e| CliError::msg(format!("cannot read package {}: {e}", path.display())))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(match check {
        Check::AtOpen => Package::open_source(source, &name)?,
        Check::Deferred => Package::open_source_deferred(source, &name)?,
    })
}

/// Opens and checks packages.
pub fn read_packages(fs: &dyn Fs, paths: &[PathBuf]) -> Result<Vec<Package>, CliError> {
    paths
        .iter()
        .map(|p| open_package(fs, p, Check::AtOpen))
        .collect()
}

/// The command line as typed, for logs and journals (bytes that are not
/// UTF-8 shown as replacement characters).
pub fn command_line() -> String {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A dry run's plan for one package: what each file would get.
fn print_plan(lang: Lang, p: &PackageReport) {
    for f in &p.files {
        let what = match f.action {
            FileAction::Replaced => Msg::CliPlanReplace,
            FileAction::Queued => Msg::CliPlanQueue,
            FileAction::KnownDllSwap => Msg::CliPlanSwap,
            FileAction::SkippedNotNewer => Msg::CliPlanNotNewer,
            FileAction::SkippedAbsent => Msg::CliPlanAbsent,
        };
        let version = f.version.as_deref().unwrap_or("-");
        outln!(
            "{}",
            lang.fmt(Msg::CliPlanFile, &[lang.text(what), &f.target, version])
        );
    }
}

/// Prints an install report for people, in the user's language.
pub fn print_install(report: &InstallReport) {
    let lang = Lang::from_env();
    for p in &report.packages {
        if let Some(reason) = &p.not_applicable {
            outln!("{}", lang.fmt(Msg::CliSkipped, &[&p.kb, reason]));
            continue;
        }
        let n = |actions: &[FileAction]| {
            actions
                .iter()
                .map(|&a| p.count(a))
                .sum::<usize>()
                .to_string()
        };
        let branch = p
            .branch
            .as_deref()
            .map(|b| lang.fmt(Msg::CliBranch, &[b]))
            .unwrap_or_default();
        let line = lang.fmt(
            Msg::CliPackageSummary,
            &[
                &p.kb,
                &n(&[FileAction::Replaced, FileAction::KnownDllSwap]),
                &n(&[FileAction::Queued, FileAction::KnownDllSwap]),
                &n(&[FileAction::SkippedNotNewer]),
                &n(&[FileAction::SkippedAbsent]),
                &branch,
            ],
        );
        outln!("{line}");
        if report.dry_run {
            print_plan(lang, p);
        }
    }
    if let Some(space) = report.space {
        let (needed, free) = (space.needed.to_string(), space.free.to_string());
        outln!("{}", lang.fmt(Msg::CliPlanSpace, &[&needed, &free]));
    }
    match (&report.restarted, report.outcome) {
        (Some(r), _) => outln!(
            "{}",
            lang.fmt(Msg::CliInstalledRestarted, &[&r.steps.len().to_string()])
        ),
        (None, Outcome::RestartRequired) => outln!("{}", lang.text(Msg::CliInstalledRestart)),
        (None, Outcome::Success) => outln!("{}", lang.text(Msg::CliInstalled)),
    }
}

/// `hotfix install`.
pub fn install(a: &InstallArgs) -> CmdResult {
    let fs = filesystem(&a.image.image)?;
    if a.list {
        return list(&a.image, a.json);
    }
    if a.packages.is_empty() {
        return Err(CliError::msg(Lang::from_env().text(Msg::CliNoPackage)));
    }
    if let Some(dest) = &a.extract {
        let pkgs = read_packages(fs.as_ref(), &a.packages)?;
        for pkg in &pkgs {
            let dir = dest
                .clone()
                .unwrap_or_else(|| PathBuf::from(pkg.kb().to_string()));
            let n = hotfix_package::extract(fs.as_ref(), pkg, &dir)?;
            outln!(
                "{}: extracted {n} files to {}",
                pkg.file_name,
                dir.display()
            );
        }
        return Ok(0);
    }
    let session = open(fs.as_ref(), &a.image)?;
    let bar = spinner("reading packages");
    let packages = read_packages(fs.as_ref(), &a.packages)?;
    let opts = InstallOptions {
        no_backup: a.switches.nobackup,
        force_branch: a
            .branch
            .as_deref()
            .map(|b| {
                b.parse().map_err(|_| {
                    CliError::msg(format!(
                        "/B:{b}: not a branch folder such as SP2QFE or RTMGDR"
                    ))
                })
            })
            .transpose()?,
        strict_versions: a.strict_versions,
        log_path: a.switches.log.clone(),
        command_line: command_line(),
        skip_inapplicable: a.skip_inapplicable,
        dry_run: a.dry_run,
        installed_by: a.installed_by.clone(),
        restart: a.switches.restart(),
    };
    let report = hotfix_engine::install(
        &session,
        &packages,
        &opts,
        &mut OnLine(|m: &str| bar.set_message(m.to_owned())),
    );
    bar.finish_and_clear();
    let report = report?;
    if a.json {
        print_json(&report);
    } else {
        print_install(&report);
    }
    // `/forcerestart` with nothing queued by this run still processes what
    // earlier `/norestart` runs left.
    if a.switches.force_restart() && report.restarted.is_none() && !a.dry_run {
        let r = hotfix_engine::restart(&session, &command_line())?;
        if !a.json {
            outln!(
                "Restart step: processed {} queued operations.",
                r.steps.len()
            );
        }
        return Ok(0);
    }
    Ok(report.outcome.code())
}

/// `hotfix restart`.
pub fn restart(image: &ImageArg, json: bool) -> CmdResult {
    let fs = filesystem(&image.image)?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::restart(&session, &command_line())?;
    if json {
        print_json(&report);
    } else if report.steps.is_empty() {
        outln!("Nothing queued: PendingFileRenameOperations is empty.");
    } else {
        for s in &report.steps {
            match &s.target {
                Some(t) => outln!("{} -> {}: {}", s.source, t, s.result),
                None => outln!("{} -> DELETE: {}", s.source, s.result),
            }
        }
        outln!(
            "Processed {} queued operations; the queue is now empty.",
            report.steps.len()
        );
    }
    Ok(0)
}

/// `hotfix chain`.
pub fn chain(image: &ImageArg, logfile: Option<&Path>, json: bool) -> CmdResult {
    let fs = filesystem(&image.image)?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::chain(&session, logfile, &command_line())?;
    if json {
        print_json(&report);
    } else {
        out!("{}", report.log);
        outln!(
            "QChain: {} queued entries before, {} after.",
            report.before,
            report.after
        );
    }
    if let Some(warning) = &report.log_warning {
        eprintln!("warning: {warning}");
    }
    Ok(0)
}

/// `hotfix uninstall`.
pub fn uninstall(image: &ImageArg, kbs: &[String], json: bool) -> CmdResult {
    let fs = filesystem(&image.image)?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::uninstall(&session, kbs, &command_line())?;
    if json {
        print_json(&report);
    } else {
        for r in &report.restored {
            outln!(
                "{}: {} -> {} (required by {}){}",
                r.target,
                r.from.as_deref().unwrap_or("(absent)"),
                r.to.as_deref().unwrap_or("(removed)"),
                r.required_by,
                if r.deferred {
                    ", at the next restart"
                } else {
                    ""
                }
            );
        }
        for w in &report.warnings {
            outln!("warning: {w}");
        }
        outln!("Removed {}.", report.removed.join(", "));
    }
    Ok(if report.restart_required { 3010 } else { 0 })
}

/// `hotfix list` and `install -l`.
pub fn list(image: &ImageArg, json: bool) -> CmdResult {
    let fs = filesystem(&image.image)?;
    let session = open(fs.as_ref(), image)?;
    let entries = hotfix_engine::list(&session)?;
    if json {
        print_json(&entries);
    } else if entries.is_empty() {
        outln!("No hotfixes installed.");
    } else {
        for e in &entries {
            outln!(
                "{:<12} {:<20} {:<7} {:>3} files  {}",
                e.kb,
                e.installed_on,
                e.branch.as_deref().unwrap_or("-"),
                e.files,
                e.title
            );
        }
    }
    Ok(0)
}

/// `hotfix verify`.
pub fn verify(a: &VerifyArgs) -> CmdResult {
    let fs = filesystem(&a.image.image)?;
    let session = open(fs.as_ref(), &a.image)?;
    let report = hotfix_engine::verify(&session)?;
    let text = if a.details {
        &report.text
    } else {
        &report.brief
    };
    let lang = Lang::from_env();
    if a.json {
        print_json(&report);
    } else if !a.quiet {
        out!("{text}");
    }
    if let Some(location) = &a.log_file {
        let name = format!("{}.log", report.computer);
        let path = match location {
            None => PathBuf::from(name),
            Some(p)
                if fs
                    .metadata(p)
                    .is_ok_and(|m| m.kind == hotfix_fs::FileKind::Dir) =>
            {
                p.join(name)
            }
            Some(p) => p.clone(),
        };
        write_report(fs.as_ref(), &path, text)?;
        if !a.quiet && !a.json {
            outln!(
                "{}",
                lang.fmt(Msg::CliReportWritten, &[&path.display().to_string()])
            );
        }
    }
    if report.all_current() {
        Ok(0)
    } else {
        Err(CliError::msg(lang.text(Msg::CliNotCurrent)))
    }
}

/// Writes Qfecheck's log: the report with CRLF line ends, as Windows wrote it.
fn write_report(fs: &dyn Fs, path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let failed = |e: std::io::Error| CliError::msg(format!("cannot write {}: {e}", path.display()));
    let mut w = fs.create(path).map_err(failed)?;
    w.write_all(text.replace('\n', "\r\n").as_bytes())
        .map_err(failed)?;
    w.sync().map_err(failed)
}

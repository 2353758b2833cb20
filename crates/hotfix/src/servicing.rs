//! `install`, `restart`, `chain`, `uninstall`, `list`, `verify`.

use std::path::{Path, PathBuf};

use clap::Args;
use hotfix_engine::{FileAction, InstallOptions, InstallReport, Outcome, Session, Wait};
use hotfix_fs::Fs;
use hotfix_package::Package;

use crate::ImageArg;
use crate::switches::SetupSwitches;
use crate::ui::{CliError, CmdResult, print_json, spinner};

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
}

pub use crate::faults::filesystem;

/// Opens a session, printing what the user must know (waits, recovery).
pub fn open<'f>(fs: &'f dyn Fs, image: &ImageArg) -> Result<Session<'f>, CliError> {
    let wait = if image.no_wait {
        Wait::NoWait
    } else {
        Wait::Block
    };
    Ok(Session::open(fs, &image.image, wait, &mut |m| {
        eprintln!("{m}")
    })?)
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

/// The command line as typed, for logs and journals.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// Prints an install report for people.
pub fn print_install(report: &InstallReport) {
    for p in &report.packages {
        if let Some(reason) = &p.not_applicable {
            println!("{}: skipped, does not apply: {reason}", p.kb);
            continue;
        }
        println!(
            "{}: {} replaced, {} deferred to restart, {} not newer, {} absent{}",
            p.kb,
            p.count(FileAction::Replaced) + p.count(FileAction::KnownDllSwap),
            p.count(FileAction::Queued) + p.count(FileAction::KnownDllSwap),
            p.count(FileAction::SkippedNotNewer),
            p.count(FileAction::SkippedAbsent),
            p.branch
                .as_deref()
                .map(|b| format!(" (branch {b})"))
                .unwrap_or_default()
        );
    }
    match (&report.restarted, report.outcome) {
        (Some(r), _) => println!(
            "Installed; the restart step ran at the end, as Update.exe restarted the machine: {} queued operations processed (exit code 0).",
            r.steps.len()
        ),
        (None, Outcome::RestartRequired) => println!(
            "Installed; files in use and KnownDLLs were queued and wait for `hotfix restart` (/norestart) (exit code 3010)."
        ),
        (None, Outcome::Success) => println!("Installed (exit code 0)."),
    }
}

/// `hotfix install`.
pub fn install(a: &InstallArgs) -> CmdResult {
    let fs = filesystem()?;
    if a.list {
        return list(&a.image, a.json);
    }
    if a.packages.is_empty() {
        return Err(CliError::msg(
            "no package given: hotfix install --image DIR PKG... [/quiet /norestart ...]",
        ));
    }
    if let Some(dest) = &a.extract {
        let pkgs = read_packages(fs.as_ref(), &a.packages)?;
        for pkg in &pkgs {
            let dir = dest
                .clone()
                .unwrap_or_else(|| PathBuf::from(pkg.kb().to_string()));
            let n = hotfix_package::extract(fs.as_ref(), pkg, &dir)?;
            println!(
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
        restart: a.switches.restart(),
    };
    let report = hotfix_engine::install(&session, &packages, &opts, &mut |m| {
        bar.set_message(m.to_owned())
    });
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
            println!(
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
    let fs = filesystem()?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::restart(&session, &command_line())?;
    if json {
        print_json(&report);
    } else if report.steps.is_empty() {
        println!("Nothing queued: PendingFileRenameOperations is empty.");
    } else {
        for s in &report.steps {
            match &s.target {
                Some(t) => println!("{} -> {}: {}", s.source, t, s.result),
                None => println!("{} -> DELETE: {}", s.source, s.result),
            }
        }
        println!(
            "Processed {} queued operations; the queue is now empty.",
            report.steps.len()
        );
    }
    Ok(0)
}

/// `hotfix chain`.
pub fn chain(image: &ImageArg, logfile: Option<&Path>, json: bool) -> CmdResult {
    let fs = filesystem()?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::chain(&session, logfile, &command_line())?;
    if json {
        print_json(&report);
    } else {
        print!("{}", report.log);
        println!(
            "QChain: {} queued entries before, {} after.",
            report.before, report.after
        );
    }
    Ok(0)
}

/// `hotfix uninstall`.
pub fn uninstall(image: &ImageArg, kbs: &[String], json: bool) -> CmdResult {
    let fs = filesystem()?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::uninstall(&session, kbs, &command_line())?;
    if json {
        print_json(&report);
    } else {
        for r in &report.restored {
            println!(
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
            println!("warning: {w}");
        }
        println!("Removed {}.", report.removed.join(", "));
    }
    Ok(if report.restart_required { 3010 } else { 0 })
}

/// `hotfix list` and `install -l`.
pub fn list(image: &ImageArg, json: bool) -> CmdResult {
    let fs = filesystem()?;
    let session = open(fs.as_ref(), image)?;
    let entries = hotfix_engine::list(&session)?;
    if json {
        print_json(&entries);
    } else if entries.is_empty() {
        println!("No hotfixes installed.");
    } else {
        for e in &entries {
            println!(
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
pub fn verify(image: &ImageArg, json: bool) -> CmdResult {
    let fs = filesystem()?;
    let session = open(fs.as_ref(), image)?;
    let report = hotfix_engine::verify(&session)?;
    if json {
        print_json(&report);
    } else {
        print!("{}", report.text);
    }
    if report.all_current() {
        Ok(0)
    } else {
        Err(CliError::msg(
            "some hotfixes are not current (see the report): run `hotfix restart` or reinstall them",
        ))
    }
}

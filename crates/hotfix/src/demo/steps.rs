//! The demo's repeated steps: a batch install, a service-pack setup with a
//! progress bar per stage, and a restart.

use std::path::{Path, PathBuf};

use crate::servicing::read_packages;
use crate::sp_cmd::StageBars;
use crate::ui::{CliError, spinner};
use hotfix_engine::{
    FileAction, InstallOptions, InstallReport, OnLine, OnStage, RestartReport, Session, Stage,
};
use hotfix_fs::Fs;
use hotfix_package::Package;
use hotfix_sp::{SpOptions, SpReport, sp_install};

/// `hotfix install /quiet /norestart <paths>` as one transaction.
pub fn install(
    fs: &dyn Fs,
    session: &Session<'_>,
    paths: &[PathBuf],
) -> Result<InstallReport, CliError> {
    let packages = read_packages(fs, paths)?;
    let opts = InstallOptions {
        command_line: format!(
            "hotfix install /quiet /norestart ({} packages)",
            paths.len()
        ),
        ..Default::default()
    };
    let sp = spinner("installing");
    let report = hotfix_engine::install(
        session,
        &packages,
        &opts,
        &mut OnLine(|m: &str| sp.set_message(m.to_owned())),
    );
    sp.finish_and_clear();
    let report = report?;
    let count = |a: FileAction| report.packages.iter().map(|p| p.count(a)).sum::<usize>();
    println!(
        "   {} packages in one transaction: {} files replaced, {} queued for the restart, {} KnownDLLs swapped, {} skipped (the system had a newer copy); exit code {}",
        report.packages.len(),
        count(FileAction::Replaced),
        count(FileAction::Queued),
        count(FileAction::KnownDllSwap),
        count(FileAction::SkippedNotNewer),
        report.outcome.code()
    );
    Ok(report)
}

/// `hotfix sp install <pkg>`: one bar per stage, as the original's dialog.
pub fn service_pack(session: &Session<'_>, pkg: &Package) -> Result<SpReport, CliError> {
    let opts = SpOptions {
        command_line: format!("hotfix sp install {}", pkg.file_name),
        ..Default::default()
    };
    let mut bars = StageBars::clearing();
    let result = sp_install(
        session,
        pkg,
        &opts,
        &mut OnStage(|stage: Stage, done: u64, total: u64| {
            bars.update(stage, done, total, |stage| {
                println!("   - {}", stage.label());
                if stage == Stage::RestorePoint {
                    println!("     (after the restore point setup can no longer be cancelled)");
                }
            });
        }),
    );
    bars.finish();
    let report = result?;
    println!("   disk space: {}", report.space.describe());
    println!(
        "   {}: {} files replaced, {} added, {} queued for the restart, {} kept (newer on disk); restore point {}; exit code {}",
        report.kb,
        report.replaced,
        report.added,
        report.queued,
        report.kept_newer,
        report.restore_point,
        report.outcome.code()
    );
    for f in &report.unreadable_replaced {
        println!(
            "   {f}: its version could not be read; replaced and kept in the backup (rule R3, no 0xf00d)"
        );
    }
    for kb in &report.migrated {
        println!("   {kb}: dual-mode update migrated to its post-SP1 files (Xpsp1hfm.log)");
    }
    if !report.superseded.is_empty() {
        println!(
            "   superseded by the service pack: {}",
            report.superseded.join(", ")
        );
    }
    Ok(report)
}

/// `hotfix restart`.
pub fn restart(session: &Session<'_>) -> Result<RestartReport, CliError> {
    let report = hotfix_engine::restart(session, "hotfix restart")?;
    for s in &report.steps {
        println!(
            "   {} -> {}: {}",
            s.source,
            s.target.as_deref().unwrap_or("DELETE"),
            s.result
        );
    }
    Ok(report)
}

/// The last line of a log that contains each of `wanted` (logs are
/// appended to, so the last one is this run's).
pub fn log_lines(fs: &dyn Fs, path: &Path, wanted: &[&str]) -> Vec<String> {
    let text = fs.read_to_string(path).unwrap_or_default();
    wanted
        .iter()
        .filter_map(|w| text.lines().rev().find(|l| l.contains(w)))
        .map(str::to_owned)
        .collect()
}

/// Prints, under the log's name, [`log_lines`] of `log` in `windir`.
pub fn show_log(fs: &dyn Fs, windir: &Path, log: &str, wanted: &[&str]) {
    for l in log_lines(fs, &windir.join(log), wanted) {
        println!("   {log}: {l}");
    }
}

//! `synth-sp`, `sp install|uninstall`, `restore-point list|create|restore`.
//! The benchmark is the `hotfix-bench` crate.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::{Args, Subcommand};
use hotfix_engine::{OnLine, OnStage, Stage};
use hotfix_fs::{Fs, OsFs, create_dir_all, write_atomic};
use hotfix_sp::{SpOptions, sp_install, sp_uninstall};
use hotfix_synth::{SpSpec, synth_sp};
use indicatif::ProgressBar;

use crate::ImageArg;
use crate::formats::{load_data, parse_lang, parse_os};
use crate::servicing::{Check, command_line, filesystem, open, open_package};
use crate::switches::SetupSwitches;
use crate::ui::{CliError, CmdResult, count_bar, outln, print_json};

/// One progress bar per setup stage, like the original's dialog.
#[derive(Debug, Default)]
pub struct StageBars {
    bar: Option<(Stage, ProgressBar)>,
    clear: bool,
}

impl StageBars {
    /// Bars that vanish when done, for callers that print their own stage
    /// lines.
    pub fn clearing() -> Self {
        Self {
            bar: None,
            clear: true,
        }
    }

    /// Moves the bar to `stage` at `done` of `total`; `on_new_stage` runs
    /// once when a stage begins.
    pub fn update(
        &mut self,
        stage: Stage,
        done: u64,
        total: u64,
        on_new_stage: impl FnOnce(Stage),
    ) {
        if self.bar.as_ref().is_none_or(|(s, _)| *s != stage) {
            self.finish();
            on_new_stage(stage);
            self.bar = Some((stage, count_bar(total.max(1), stage.label())));
        }
        if let Some((_, b)) = &self.bar {
            b.set_length(total.max(1));
            b.set_position(done);
        }
    }

    /// Finishes the current bar.
    pub fn finish(&mut self) {
        match self.bar.take() {
            Some((_, b)) if self.clear => b.finish_and_clear(),
            Some((_, b)) => b.finish(),
            None => {}
        }
    }
}

/// `hotfix synth-sp`.
#[derive(Debug, Args)]
pub struct SynthSpArgs {
    /// The data set (default: the copy built into hotfix).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The service pack level (2 for SP2).
    #[arg(long)]
    pub sp: u8,
    /// xp or 2003.
    #[arg(long, default_value = "xp")]
    pub os: String,
    /// Language.
    #[arg(long, default_value = "ENU")]
    pub lang: String,
    /// 1.0 = the real SP's size (about 2,000 files, 270 MB).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// `hotfix sp ...`.
#[derive(Debug, Subcommand)]
pub enum SpCommand {
    /// Install a service pack (the SP's update.exe).
    Install {
        #[command(flatten)]
        image: ImageArg,
        /// The service pack (`WindowsXP-KB835935-SP2-ENU.exe`).
        package: PathBuf,
        /// Cancel on an unreadable file version (0xf00d), as the original did.
        #[arg(long)]
        strict_versions: bool,
        /// The service pack's own switches, in either style (`/quiet
        /// /norestart /nobackup /log:P`, `-q -u -z -n`).
        #[command(flatten)]
        switches: SetupSwitches,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove the service pack (spuninst).
    Uninstall {
        #[command(flatten)]
        image: ImageArg,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// `hotfix restore-point ...`.
#[derive(Debug, Subcommand)]
pub enum RestoreCommand {
    /// List restore points.
    List {
        #[command(flatten)]
        image: ImageArg,
    },
    /// Create a restore point.
    Create {
        #[command(flatten)]
        image: ImageArg,
        /// What it is for.
        #[arg(long, default_value = "Manual restore point")]
        description: String,
    },
    /// Put the hives and the listed files of a restore point back.
    Restore {
        #[command(flatten)]
        image: ImageArg,
        /// Its number.
        number: u32,
    },
}

/// `hotfix synth-sp`.
pub fn synth(a: &SynthSpArgs) -> CmdResult {
    let data = load_data(a.data.as_deref())?;
    let spec = SpSpec {
        product: parse_os(&a.os)?,
        sp: a.sp,
        language: parse_lang(&a.lang)?,
        scale: a.scale,
        files: None,
    };
    let started = Instant::now();
    let sp = synth_sp(&data, &spec).map_err(|e| CliError::msg(e.to_string()))?;
    create_dir_all(&OsFs, &a.out)
        .map_err(|e| CliError::msg(format!("cannot create {}: {e}", a.out.display())))?;
    let path = a.out.join(&sp.file_name);
    write_atomic(&OsFs, &path, &sp.bytes)
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())))?;
    outln!("{}", path.display());
    outln!(
        "{} payload files, {} MB payload, {} MB package, built in {:.1} s",
        sp.files,
        hotfix_sp::mb(sp.payload_bytes),
        hotfix_sp::mb(sp.bytes.len() as u64),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// `hotfix sp ...`.
pub fn sp(c: &SpCommand) -> CmdResult {
    let (SpCommand::Install { image, .. } | SpCommand::Uninstall { image, .. }) = c;
    let fs = filesystem(&image.image)?;
    match c {
        SpCommand::Install {
            image,
            package,
            strict_versions,
            switches,
            json,
        } => {
            // First, so that a Ctrl-C while the package is opened (its
            // cabinet tables and update.ver are read) cancels cleanly too.
            let cancel = cancel_on_ctrl_c();
            let pkg = open_package(fs.as_ref(), package, Check::Deferred)?;
            let session = open(fs.as_ref(), image)?;
            let opts = SpOptions {
                strict_versions: *strict_versions,
                command_line: command_line(),
                cancel: Some(cancel.flag.clone()),
                restart: switches.restart(),
                force_restart: switches.force_restart(),
                no_backup: switches.nobackup,
                log_path: switches.log.clone(),
            };
            let mut bars = StageBars::default();
            let result = sp_install(
                &session,
                &pkg,
                &opts,
                &mut OnStage(|stage: Stage, done: u64, total: u64| {
                    bars.update(stage, done, total, |stage| {
                        if stage == Stage::RestorePoint {
                            cancel.point_of_no_return.store(true, Ordering::SeqCst);
                            eprintln!(
                                "after the restore point the install can no longer be cancelled"
                            );
                        }
                    });
                }),
            );
            bars.finish();
            let report = result.inspect_err(|e| {
                if let hotfix_engine::EngineError::DiskSpace { needed, free, .. } = e {
                    eprintln!(
                        "not enough disk space: needs {} MB, {} MB free",
                        hotfix_sp::mb(*needed),
                        hotfix_sp::mb(*free)
                    );
                }
            })?;
            if *json {
                print_json(&report);
            } else {
                outln!("disk space: {}", report.space.describe());
                let n = |v: usize| v.to_string();
                let line = hotfix_i18n::Lang::from_env().fmt(
                    hotfix_i18n::Msg::CliSpInstalled,
                    &[
                        &report.kb,
                        &n(report.replaced),
                        &n(report.added),
                        &n(report.queued),
                        &n(report.swapped),
                        &n(report.kept_newer),
                        &report.restore_point.to_string(),
                    ],
                );
                outln!("{line}");
                for f in &report.unreadable_replaced {
                    outln!("  {f}: version unreadable, replaced (rule R3)");
                }
                for kb in &report.migrated {
                    outln!(
                        "  {kb}: dual-mode update migrated to its post-SP1 files (Xpsp1hfm.log)"
                    );
                }
                for kb in &report.superseded {
                    outln!("  {kb}: superseded by the service pack");
                }
                outln!("log: {}", report.log);
                let lang = hotfix_i18n::Lang::from_env();
                match &report.restarted {
                    Some(r) => outln!(
                        "{}",
                        lang.fmt(
                            hotfix_i18n::Msg::CliSpRestarted,
                            &[&r.steps.len().to_string()]
                        )
                    ),
                    None if report.outcome.code() == 3010 => {
                        outln!("{}", lang.text(hotfix_i18n::Msg::CliSpRestartWaits))
                    }
                    None => {}
                }
            }
            Ok(report.outcome.code())
        }
        SpCommand::Uninstall { image, json } => {
            let session = open(fs.as_ref(), image)?;
            let report = sp_uninstall(&session, &mut OnLine(|m: &str| eprintln!("{m}")))?;
            if *json {
                print_json(&report);
            } else {
                let line = hotfix_i18n::Lang::from_env().fmt(
                    hotfix_i18n::Msg::CliSpRemoved,
                    &[
                        &report.kb,
                        &report.restored.to_string(),
                        &report.removed.to_string(),
                    ],
                );
                outln!("{line}");
                for kb in &report.restored_pre_sp1 {
                    outln!("  {kb}: the pre-SP1 version of the update is restored");
                }
            }
            Ok(0)
        }
    }
}

/// The Ctrl-C flag of `sp install` and whether setup is past the point of
/// no return (then Ctrl-C only says so: the original greyed out Cancel).
struct Cancel {
    flag: Arc<AtomicBool>,
    point_of_no_return: Arc<AtomicBool>,
}

fn cancel_on_ctrl_c() -> Cancel {
    let flag = Arc::new(AtomicBool::new(false));
    let point_of_no_return = Arc::new(AtomicBool::new(false));
    let (f, p) = (flag.clone(), point_of_no_return.clone());
    let installed = ctrlc::set_handler(move || {
        if p.load(Ordering::SeqCst) {
            eprintln!(
                "\nthe point of no return is passed: setup cannot be cancelled now and carries on to the end"
            );
        } else {
            eprintln!("\ncancelling: setup stops before it writes anything");
        }
        f.store(true, Ordering::SeqCst);
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C cannot cancel this setup: {e}");
    }
    Cancel {
        flag,
        point_of_no_return,
    }
}

/// `hotfix restore-point ...`.
pub fn restore_point(c: &RestoreCommand) -> CmdResult {
    let (RestoreCommand::List { image }
    | RestoreCommand::Create { image, .. }
    | RestoreCommand::Restore { image, .. }) = c;
    let fs: Box<dyn Fs> = filesystem(&image.image)?;
    match c {
        RestoreCommand::List { image } => {
            let session = open(fs.as_ref(), image)?;
            for p in hotfix_sp::list_restore_points(&session)? {
                outln!(
                    "{:>3}  {}  {} ({} files)",
                    p.number,
                    p.created,
                    p.description,
                    p.files.len()
                );
            }
        }
        RestoreCommand::Create { image, description } => {
            let session = open(fs.as_ref(), image)?;
            let n = hotfix_sp::create_restore_point(&session, description)?;
            outln!("restore point {n} created");
        }
        RestoreCommand::Restore { image, number } => {
            let session = open(fs.as_ref(), image)?;
            let p = hotfix_sp::restore(&session, *number)?;
            outln!("restore point {} ({}) restored", p.number, p.description);
        }
    }
    Ok(0)
}

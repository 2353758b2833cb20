//! `hotfix`: the command line. Thin glue over the library crates; start at
//! [`Command`] and follow a subcommand into its module.

mod demo;
mod faults;
mod formats;
mod image_cmd;
mod servicing;
mod sp_cmd;
mod switches;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Service Windows XP / Server 2003 system images from Linux.
#[derive(Debug, Parser)]
#[command(name = "hotfix", version, about, long_about = None)]
struct Cli {
    /// Structured tracing on stderr (also `/verbose`).
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// The image a command works on.
#[derive(Debug, Args, Clone)]
pub struct ImageArg {
    /// The system drive (the directory holding WINDOWS).
    #[arg(long)]
    pub image: PathBuf,
    /// Fail at once if another hotfix process holds the image.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: seed 000's story, RTM to SP2 and a month of real updates, on a fresh image.
    Demo(demo::DemoArgs),
    /// Install packages (Update.exe); accepts its switches, e.g. `/quiet /norestart`.
    Install(servicing::InstallArgs),
    /// Process the boot-time rename queue, as Session Manager does at boot.
    Restart {
        #[command(flatten)]
        image: ImageArg,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// QChain: keep only the newest queued copy of each file.
    Chain {
        #[command(flatten)]
        image: ImageArg,
        /// Where to write QChain's log (default `%windir%\qchain.log`).
        logfile: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove hotfixes, giving each file the version the others need.
    Uninstall {
        #[command(flatten)]
        image: ImageArg,
        /// KB numbers.
        #[arg(required = true)]
        kbs: Vec<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// List installed hotfixes (`Update.exe -l`).
    List {
        #[command(flatten)]
        image: ImageArg,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Qfecheck: is every installed hotfix's file still current? Accepts its switches `/l[:location] /v /q`.
    Verify(servicing::VerifyArgs),
    /// Print PE file versions.
    Version {
        /// Files to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Build a package from a directory holding update/update.inf and the payload.
    Pack {
        /// The source directory.
        src: PathBuf,
        /// The package to write.
        #[arg(short, long)]
        out: PathBuf,
        /// Write a plain .cab instead of a self-extracting .exe.
        #[arg(long)]
        cab: bool,
    },
    /// Extract a package (the originals' `/extract`).
    Extract {
        /// The package.
        package: PathBuf,
        /// An empty or new directory.
        dir: PathBuf,
    },
    /// Read the registry of an image.
    Reg {
        #[command(subcommand)]
        command: formats::RegCommand,
    },
    /// Create, lock and unlock system images.
    Image {
        #[command(subcommand)]
        command: image_cmd::ImageCommand,
    },
    /// Write realistic packages from the real update data set.
    Synth(formats::SynthArgs),
    /// Write a realistic service pack (`WindowsXP-KB835935-SP2-ENU.exe`).
    SynthSp(sp_cmd::SynthSpArgs),
    /// Install or remove a service pack.
    Sp {
        #[command(subcommand)]
        command: sp_cmd::SpCommand,
    },
    /// List, create and restore restore points.
    RestorePoint {
        #[command(subcommand)]
        command: sp_cmd::RestoreCommand,
    },
    /// Benchmark `sp install` against `cp -a && sync` and `dpkg -i`.
    Bench(hotfix_bench::BenchArgs),
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if switches::wants_update_help(&args) {
        ui::out!("{}", hotfix_i18n::Lang::from_env().update_help());
        return ExitCode::SUCCESS;
    }
    let args = switches::normalise_verify_args(switches::normalise_install_args(args));
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return ui::usage_error(&e),
    };
    let verbose = cli.verbose || matches!(&cli.command, Command::Install(a) if a.verbose);
    ui::init_tracing(verbose);
    let result = match cli.command {
        Command::Demo(a) => demo::run(&a),
        Command::Install(a) => servicing::install(&a),
        Command::Restart { image, json } => servicing::restart(&image, json),
        Command::Chain {
            image,
            logfile,
            json,
        } => servicing::chain(&image, logfile.as_deref(), json),
        Command::Uninstall { image, kbs, json } => servicing::uninstall(&image, &kbs, json),
        Command::List { image, json } => servicing::list(&image, json),
        Command::Verify(a) => servicing::verify(&a),
        Command::Version { files, json } => formats::version(&files, json),
        Command::Pack { src, out, cab } => formats::pack(&src, &out, !cab),
        Command::Extract { package, dir } => formats::extract(&package, &dir),
        Command::Reg { command } => formats::reg(&command),
        Command::Image { command } => image_cmd::run(&command),
        Command::Synth(a) => formats::synth(&a),
        Command::SynthSp(a) => sp_cmd::synth(&a),
        Command::Sp { command } => sp_cmd::sp(&command),
        Command::RestorePoint { command } => sp_cmd::restore_point(&command),
        Command::Bench(a) => hotfix_bench::run(&a)
            .map(|()| 0)
            .map_err(ui::CliError::from),
    };
    ui::exit(result)
}

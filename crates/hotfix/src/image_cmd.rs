//! `hotfix image new | lock | unlock`.

use std::path::PathBuf;

use clap::Subcommand;
use hotfix_fs::{ConfinedFs, OsFs};
use hotfix_model::SpLevel;
use hotfix_synth::{GenerateSpec, generate};

use crate::ImageArg;
use crate::formats::{load_data, parse_lang, parse_os};
use crate::servicing::open;
use crate::ui::{CliError, CmdResult, bytes_bar, outln};

/// Image subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Create a system drive with real hives and every file the data set names, at base versions.
    New {
        /// The directory to create (must be empty or absent).
        dir: PathBuf,
        /// Service-pack level (0 = RTM).
        #[arg(long, default_value_t = 2)]
        sp: u8,
        /// xp or 2003.
        #[arg(long, default_value = "xp")]
        os: String,
        /// Language (ENU, JPN, ...).
        #[arg(long, default_value = "ENU")]
        lang: String,
        /// The data set (default: the copy built into hotfix).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Leave system32\dllcache empty.
        #[arg(long)]
        no_dllcache: bool,
    },
    /// Record files the running system holds open (they are replaced at restart).
    Lock {
        /// The image.
        dir: PathBuf,
        /// Windows paths, e.g. 'C:\WINDOWS\system32\shell32.dll'.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Forget locks (all of them when no path is given).
    Unlock {
        /// The image.
        dir: PathBuf,
        /// Windows paths.
        paths: Vec<String>,
    },
}

/// Runs an image subcommand.
pub fn run(cmd: &ImageCommand) -> CmdResult {
    match cmd {
        ImageCommand::New {
            dir,
            sp,
            os,
            lang,
            data,
            no_dllcache,
        } => {
            let data = load_data(data.as_deref())?;
            let product = parse_os(os)?;
            if *sp > product.max_sp().0 {
                return Err(CliError::msg(format!(
                    "--sp {sp}: {} goes up to Service Pack {}",
                    product.product_name(),
                    product.max_sp().0
                )));
            }
            let mut spec = GenerateSpec::new(product, SpLevel(*sp), parse_lang(lang)?);
            spec.dllcache = !no_dllcache;
            let bar = bytes_bar(0, "writing image");
            let summary = generate(&OsFs, dir, &spec, &data, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })?;
            bar.finish_and_clear();
            outln!(
                "created {} ({} {}): {} files, {} MB, {} directories",
                dir.display(),
                product.product_name(),
                SpLevel(*sp).csd_version(),
                summary.files,
                summary.bytes / 1_000_000,
                summary.dirs
            );
            Ok(0)
        }
        ImageCommand::Lock { dir, paths } | ImageCommand::Unlock { dir, paths } => {
            let fs = ConfinedFs::new(dir);
            let arg = ImageArg {
                image: dir.clone(),
                no_wait: false,
            };
            let session = open(&fs, &arg)?;
            let done = if matches!(cmd, ImageCommand::Lock { .. }) {
                hotfix_image::lock_files(&fs, &session.image, paths)?
            } else {
                hotfix_image::unlock_files(&fs, &session.image, paths)?
            };
            let verb = if matches!(cmd, ImageCommand::Lock { .. }) {
                "in use"
            } else {
                "released"
            };
            for p in &done {
                outln!("{verb}: {}", session.image.win_path(p));
            }
            Ok(0)
        }
    }
}

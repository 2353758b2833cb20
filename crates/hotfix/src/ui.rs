//! Output: progress bars, JSON, failures in Update.exe's terms, exit codes.

use std::process::ExitCode;
use std::time::Duration;

use hotfix_engine::{EngineError, ExtCode, MASKED_FAILURE};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An installer failure: masked to 1603 with an extended code.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A bad command line or nothing to do, already phrased for the user
    /// (extended code 0xf0fe, as the engine's usage errors).
    #[error("{0}")]
    Other(String),
}

impl CliError {
    /// A failure with a message.
    pub fn msg(m: impl Into<String>) -> Self {
        Self::Other(m.into())
    }
}

macro_rules! from_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                Self::Engine(EngineError::from(e))
            }
        }
    )*};
}
from_errors!(hotfix_image::ImageError, hotfix_package::PackageError);

impl From<hotfix_bench::BenchError> for CliError {
    fn from(e: hotfix_bench::BenchError) -> Self {
        match e {
            hotfix_bench::BenchError::Image(e) => e.into(),
            hotfix_bench::BenchError::Package(e) => e.into(),
            hotfix_bench::BenchError::Other(m) => Self::Other(m),
        }
    }
}

/// A command's result: the Windows exit code (0, 3010) or a failure.
pub type CmdResult = Result<u32, CliError>;

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot format JSON: {e}"),
    }
}

/// Maps a Windows exit code to a process exit status. Unix keeps the low
/// eight bits, so 3010 arrives as 194 and 1603 as 67; the full code is
/// printed on stderr.
pub fn exit(result: CmdResult) -> ExitCode {
    let code = match result {
        Ok(code) => code,
        Err(CliError::Engine(e)) => failed(&e, e.ext_code()),
        Err(CliError::Other(m)) => failed(&m, ExtCode::Usage),
    };
    if code != 0 {
        eprintln!("exit code {code}");
    }
    ExitCode::from((code & 0xff) as u8)
}

/// Prints a failure as Update.exe logged it: the message, the extended
/// code, the masking; returns the masked code.
fn failed(message: &dyn std::fmt::Display, code: ExtCode) -> u32 {
    eprintln!("error: {message}");
    eprintln!("Update.exe extended error code = {code}");
    eprintln!("Update.exe return code was masked to 0x643 for MSI custom action compliance.");
    MASKED_FAILURE
}

/// A command line clap refused: its message (with the usage line), then
/// the extended code 0xf0fe and the masked 1603 like every other failure.
/// `--help` and `--version`, which clap also reports as errors, print and
/// succeed.
pub fn usage_error(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    // clap's rendering already starts with "error: ".
    let rendered = e.render().to_string();
    let message = rendered.trim_end();
    let message = message.strip_prefix("error: ").unwrap_or(message);
    exit(Err(CliError::msg(message)))
}

/// Sets up `tracing` on stderr: warnings, or everything with `--verbose`.
pub fn init_tracing(verbose: bool) {
    let level = if verbose { "debug" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOTFIX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Closing spans print how long each phase took (`time.busy`).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A byte-counting progress bar (hidden when stderr is not a terminal).
pub fn bytes_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:24} [{bar:32}] {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// A counting progress bar.
pub fn count_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:24} [{bar:32}] {pos:>5}/{len:5} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// A spinner for work of unknown length.
pub fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

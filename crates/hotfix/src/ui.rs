//! Output: progress bars, JSON, failures in Update.exe's terms, exit codes.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hotfix_engine::{EngineError, ExtCode, MASKED_FAILURE};
use hotfix_i18n::{Lang, Msg};
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

/// Set once a write to stdout failed, so the failure is reported once.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout. A closed stdout (`hotfix list | head -0`: `EPIPE`;
/// Rust ignores SIGPIPE, so `println!` would panic) does not stop the
/// command: whatever it changes and logs is finished, only the report is
/// lost. Any other failure is said once on stderr.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && !STDOUT_FAILED.swap(true, Ordering::Relaxed)
    {
        eprintln!("warning: cannot write to stdout: {e}");
    }
}

/// `print!` through [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::ui::write_out(format_args!($($arg)*)) };
}
/// `println!` through [`write_out`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::ui::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use {out, outln};

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => outln!("{s}"),
        Err(e) => eprintln!("error: cannot format JSON: {e}"),
    }
}

/// Maps a Windows exit code to a process exit status. Unix keeps the low
/// eight bits, so 3010 arrives as 194 and 1603 as 67; the full code is
/// printed on stderr.
pub fn exit(result: CmdResult) -> ExitCode {
    let lang = Lang::from_env();
    let code = match result {
        Ok(code) => code,
        Err(CliError::Engine(e)) => failed(lang, &e, e.ext_code()),
        Err(CliError::Other(m)) => failed(lang, &m, ExtCode::Usage),
    };
    if code != 0 {
        eprintln!("{}", lang.fmt(Msg::CliExitCode, &[&code.to_string()]));
    }
    ExitCode::from((code & 0xff) as u8)
}

/// Prints a failure as Update.exe logged it, in the user's language: the
/// message, the extended code, the masking; returns the masked code.
fn failed(lang: Lang, message: &dyn std::fmt::Display, code: ExtCode) -> u32 {
    eprintln!("{}", lang.fmt(Msg::CliError, &[&message.to_string()]));
    eprintln!("{}", lang.fmt(Msg::ExtendedCode, &[&code.to_string()]));
    eprintln!("{}", lang.text(Msg::MaskedCode));
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

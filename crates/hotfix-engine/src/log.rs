//! Logs in the originals' format: `<seconds>.<ms>: <text>` lines, appended to
//! `%windir%\KBnnnnnn.log`, `svcpack.log` and friends after each command,
//! outside the transaction so a failed install still leaves its story.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use hotfix_fs::Fs;

/// One log being written.
#[derive(Debug)]
pub struct InstallerLog {
    start: Instant,
    lines: Vec<String>,
}

impl Default for InstallerLog {
    fn default() -> Self {
        Self::new()
    }
}

impl InstallerLog {
    /// Starts the clock.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            lines: Vec::new(),
        }
    }

    /// The header Update.exe wrote: time, engine and command line.
    pub fn with_header(command_line: &str) -> Self {
        let mut log = Self::new();
        log.line(hotfix_txn::clock::utc_now());
        log.line(format!(
            "hotfix {} (Update.exe-compatible engine)",
            env!("CARGO_PKG_VERSION")
        ));
        log.line("Hotfix started with following command line: ".to_owned() + command_line);
        log
    }

    /// Adds one line, stamped with the seconds since the start.
    pub fn line(&mut self, text: impl AsRef<str>) {
        let e = self.start.elapsed();
        for part in text.as_ref().lines() {
            tracing::debug!(target: "hotfix::log", "{part}");
            self.lines
                .push(format!("{}.{:03}: {part}", e.as_secs(), e.subsec_millis()));
        }
    }

    /// The lines so far.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Appends the log (CRLF line ends, as Windows tools expect) and syncs it.
    pub fn append_to(&self, fs: &dyn Fs, path: &Path) -> std::io::Result<()> {
        let mut text = String::new();
        for l in &self.lines {
            text.push_str(l);
            text.push_str("\r\n");
        }
        let mut f = fs.append(path)?;
        f.write_all(text.as_bytes())?;
        f.sync()
    }
}

//! Logs in the originals' format: `<seconds>.<ms>: <text>` lines, appended to
//! `%windir%\KBnnnnnn.log`, `svcpack.log` and friends after each command,
//! outside the transaction so a failed install still leaves its story.
//!
//! What the originals wrote into an image followed that machine: its
//! language ([`Lang`]) and its local time ([`LocalClock`], from the
//! time-zone bias in its SYSTEM hive). [`ImageLocale`] carries both.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use hotfix_fs::Fs;
use hotfix_i18n::{Lang, Msg};
use hotfix_image::Identity;

/// The image's local time: UTC minus the bias its SYSTEM hive stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalClock {
    /// Minutes to add to local time for UTC (`ActiveTimeBias`).
    pub bias_minutes: i32,
}

/// A local time, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    millis: u32,
}

impl LocalClock {
    /// The local time of `secs`/`millis` since the Unix epoch (UTC).
    pub fn at(self, secs: u64, millis: u32) -> LocalTime {
        let local = secs as i64 - i64::from(self.bias_minutes) * 60;
        let (year, month, day) = hotfix_txn::clock::civil(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400) as u64;
        LocalTime {
            year,
            month,
            day,
            hour: s / 3600,
            minute: s / 60 % 60,
            second: s % 60,
            millis,
        }
    }

    /// The local time now (or at the pinned clock).
    pub fn now(self) -> LocalTime {
        let (s, ms) = hotfix_txn::clock::now();
        self.at(s, ms)
    }
}

impl LocalTime {
    /// `2007/02/15 20:47:56.890 (local)`, the first line of Update.exe's log.
    pub fn log_stamp(&self) -> String {
        format!(
            "{:04}/{:02}/{:02} {:02}:{:02}:{:02}.{:03} (local)",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }

    /// `12/3/2026`: `InstalledDate` and `Installed On`.
    pub fn us_date(&self) -> String {
        format!("{}/{}/{}", self.month, self.day, self.year)
    }

    /// `20261203`: the Uninstall key's `InstallDate`.
    pub fn compact_date(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `2/1/2001 11:47pm`: Qfecheck's `Report Date`.
    pub fn qfecheck(&self) -> String {
        let (h12, half) = match self.hour {
            0 => (12, "am"),
            1..=11 => (self.hour, "am"),
            12 => (12, "pm"),
            h => (h - 12, "pm"),
        };
        format!("{} {h12}:{:02}{half}", self.us_date(), self.minute)
    }
}

/// How an image speaks: its catalog and its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageLocale {
    /// The catalog of the image's install language.
    pub lang: Lang,
    /// Its local time.
    pub clock: LocalClock,
}

impl ImageLocale {
    /// From what the image's hives say.
    pub fn of(id: &Identity) -> Self {
        Self {
            lang: Lang::of(id.language),
            clock: LocalClock {
                bias_minutes: id.time_bias_minutes,
            },
        }
    }

    /// `msg` in the image's language.
    pub fn fmt(&self, msg: Msg, args: &[&str]) -> String {
        self.lang.fmt(msg, args)
    }
}

/// The user name the originals recorded as `Installed By`: whoever ran the
/// installer. Here the user behind `sudo` (`SUDO_USER`), else `USER` or
/// `LOGNAME`, else the name `/etc/passwd` gives the process's uid (read
/// from `/proc/self/status`), else the uid itself.
pub fn invoking_user(fs: &dyn Fs) -> String {
    user_name(&|v| std::env::var(v).ok(), fs)
}

/// [`invoking_user`] with the environment as a lookup (tests give their own).
fn user_name(env: &dyn Fn(&str) -> Option<String>, fs: &dyn Fs) -> String {
    let from_env = ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .filter_map(|v| env(v))
        .find(|v| !v.trim().is_empty());
    if let Some(name) = from_env {
        return name;
    }
    let read = |p: &str| {
        fs.read(Path::new(p))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let Some(uid) = read("/proc/self/status").and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|r| r.split_whitespace().next().map(str::to_owned))
    }) else {
        return String::new();
    };
    read("/etc/passwd")
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid).then(|| f[0].to_owned())
            })
        })
        .unwrap_or(uid)
}

/// One log being written.
#[derive(Debug)]
pub struct InstallerLog {
    start: Instant,
    lines: Vec<String>,
    locale: ImageLocale,
}

impl InstallerLog {
    /// Starts the clock; lines are written in `locale`'s language.
    pub fn new(locale: ImageLocale) -> Self {
        Self {
            start: Instant::now(),
            lines: Vec::new(),
            locale,
        }
    }

    /// The header Update.exe wrote: local time, engine and command line.
    pub fn with_header(locale: ImageLocale, command_line: &str) -> Self {
        let mut log = Self::new(locale);
        log.line(locale.clock.now().log_stamp());
        log.line(format!(
            "hotfix {} (Update.exe-compatible engine)",
            env!("CARGO_PKG_VERSION")
        ));
        log.msg(Msg::CommandLine, &[command_line]);
        log
    }

    /// The image's language and clock.
    pub fn locale(&self) -> ImageLocale {
        self.locale
    }

    /// Adds `msg` in the image's language.
    pub fn msg(&mut self, msg: Msg, args: &[&str]) {
        let text = self.locale.fmt(msg, args);
        self.line(text);
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

#[cfg(test)]
mod tests {
    use super::{LocalClock, user_name};
    use hotfix_fs::{Fs, MemFs};
    use std::io::Write;
    use std::path::Path;

    #[test]
    fn the_invoking_user_from_sudo_the_environment_or_the_uid() {
        let fs = MemFs::new();
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both: &[(&str, &str)] = &[("SUDO_USER", "alice"), ("USER", "root")];
        assert_eq!(user_name(&env(both), &fs), "alice");
        let user: &[(&str, &str)] = &[("SUDO_USER", ""), ("LOGNAME", "bob")];
        assert_eq!(user_name(&env(user), &fs), "bob");
        // Neither: the uid's name in /etc/passwd, else the uid, else "".
        assert_eq!(user_name(&env(&[]), &fs), "");
        for dir in ["/proc", "/proc/self", "/etc"] {
            fs.create_dir(Path::new(dir)).unwrap();
        }
        let put = |p: &str, text: &str| {
            let mut w = fs.create(Path::new(p)).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        };
        put(
            "/proc/self/status",
            "Name:\tx\nUid:\t1001\t1001\t1001\t1001\n",
        );
        assert_eq!(user_name(&env(&[]), &fs), "1001");
        put(
            "/etc/passwd",
            "root:x:0:0::/root:/bin/sh\ncarol:x:1001:1001::/home/carol:/bin/sh\n",
        );
        assert_eq!(user_name(&env(&[]), &fs), "carol");
    }

    #[test]
    fn local_time_from_the_bias() {
        // 2007-02-15 20:47:56 UTC (the KB928843.log stamp as UTC).
        let t = 1_171_572_476;
        let tokyo = LocalClock { bias_minutes: -540 }.at(t, 890);
        assert_eq!(tokyo.log_stamp(), "2007/02/16 05:47:56.890 (local)");
        assert_eq!(tokyo.us_date(), "2/16/2007");
        assert_eq!(tokyo.compact_date(), "20070216");
        assert_eq!(tokyo.qfecheck(), "2/16/2007 5:47am");
        let pacific = LocalClock { bias_minutes: 480 }.at(t, 0);
        assert_eq!(pacific.qfecheck(), "2/15/2007 12:47pm");
        let utc = LocalClock::default().at(t, 0);
        assert_eq!(utc.qfecheck(), "2/15/2007 8:47pm");
        assert_eq!(
            LocalClock::default().at(0, 0).qfecheck(),
            "1/1/1970 12:00am"
        );
        // Before the epoch in local time: the day and the date go back.
        let west = LocalClock { bias_minutes: 60 }.at(0, 0);
        assert_eq!(west.log_stamp(), "1969/12/31 23:00:00.000 (local)");
    }
}

//! Update.exe's switches, in both generations (`-q -z -n` and `/quiet
//! /norestart /nobackup`), case-insensitive, with `-` or `/`, turned into
//! the long options clap parses. An argument is only rewritten when it is
//! one of the known switches, so Linux paths like `/tmp/x.exe` pass through.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

/// The switches hotfix and service-pack setup share (Update.exe 5.x and
/// 6.x took the same ones), after [`normalise`].
#[derive(Debug, Args, Clone, Default)]
pub struct SetupSwitches {
    /// `/quiet`, `-q`: no prompts (hotfix never prompts).
    #[arg(long)]
    pub quiet: bool,
    /// `/passive`, `-u`, `-m`: unattended with progress.
    #[arg(long)]
    pub passive: bool,
    /// `/norestart`, `-z`: leave the queued renames for `hotfix restart`
    /// instead of performing the restart step at the end.
    #[arg(long)]
    pub norestart: bool,
    /// `/forcerestart`: perform the restart step at the end even when this
    /// run queued nothing.
    #[arg(long)]
    pub forcerestart: bool,
    /// `/warnrestart[:s]`: as /forcerestart (an offline image has no one to warn).
    #[arg(long, num_args = 0..=1, require_equals = true)]
    pub warnrestart: Option<Option<u32>>,
    /// `/promptrestart`: as /forcerestart.
    #[arg(long)]
    pub promptrestart: bool,
    /// `/overwriteoem`, `-o`: OEM files are replaced like any other.
    #[arg(long)]
    pub overwriteoem: bool,
    /// `/nobackup`, `-n`: keep no backup; the update cannot be removed.
    #[arg(long)]
    pub nobackup: bool,
    /// `/forceappsclose`, `-f`: accepted; nothing runs in an offline image.
    #[arg(long)]
    pub forceappsclose: bool,
    /// `/log:path`: write the log here instead of the default one.
    #[arg(long, require_equals = true)]
    pub log: Option<PathBuf>,
    /// `/ER`: accepted (extended error reporting is always on).
    #[arg(long)]
    pub er: bool,
}

impl SetupSwitches {
    /// Whether the restart step runs at the end when it is needed.
    pub fn restart(&self) -> bool {
        !self.norestart
    }

    /// Whether it runs even when nothing was queued.
    pub fn force_restart(&self) -> bool {
        !self.norestart && (self.forcerestart || self.promptrestart || self.warnrestart.is_some())
    }
}

/// Old single-letter switches and the long option each means.
const LETTERS: &[(&str, &str)] = &[
    ("u", "--passive"),
    ("m", "--passive"),
    ("q", "--quiet"),
    ("z", "--norestart"),
    ("n", "--nobackup"),
    ("o", "--overwriteoem"),
    ("f", "--forceappsclose"),
    ("l", "--list"),
    ("x", "--extract"),
    ("?", "--help"),
];

/// Words of the 6.x switches that take no value.
const WORDS: &[&str] = &[
    "help",
    "quiet",
    "passive",
    "norestart",
    "forcerestart",
    "promptrestart",
    "overwriteoem",
    "nobackup",
    "forceappsclose",
    "er",
    "verbose",
];

/// Rewrites one argument; `None` when it is not an Update.exe switch.
pub fn normalise(arg: &str) -> Option<String> {
    let body = arg.strip_prefix('/').or_else(|| {
        arg.strip_prefix('-')
            .filter(|b| !b.starts_with('-') && b.len() == 1 || b.contains(':'))
    })?;
    let (name, value) = match body.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    let lower = name.to_ascii_lowercase();
    if value.is_none() {
        if let Some((_, long)) = LETTERS.iter().find(|(l, _)| *l == lower) {
            return Some((*long).to_owned());
        }
        if WORDS.contains(&lower.as_str()) {
            return Some(format!("--{lower}"));
        }
    }
    match (lower.as_str(), value) {
        ("warnrestart", None) => Some("--warnrestart".into()),
        ("warnrestart", Some(v)) => Some(format!("--warnrestart={v}")),
        ("extract" | "x", None) => Some("--extract".into()),
        ("extract" | "x", Some(v)) => Some(format!("--extract={v}")),
        ("log", Some(v)) => Some(format!("--log={v}")),
        ("b", Some(v)) => Some(format!("--branch={v}")),
        _ => None,
    }
}

/// Where `subcommand` is among the arguments.
fn position(args: &[OsString], subcommand: &str) -> Option<usize> {
    args.iter().position(|a| {
        a.to_str()
            .is_some_and(|a| a.eq_ignore_ascii_case(subcommand))
    })
}

/// Rewrites the arguments after `subcommand` with `rewrite`. Arguments that
/// are not UTF-8 (Linux paths may be any bytes) are never switches and pass
/// through untouched, for clap to take as paths or refuse.
fn rewrite_after(
    args: Vec<OsString>,
    subcommand: &str,
    rewrite: fn(&str) -> Option<String>,
) -> Vec<OsString> {
    let Some(pos) = position(&args, subcommand) else {
        return args;
    };
    args.into_iter()
        .enumerate()
        .map(
            |(i, a)| match a.to_str().filter(|_| i > pos).and_then(rewrite) {
                Some(long) => long.into(),
                None => a,
            },
        )
        .collect()
}

/// Rewrites the arguments after the `install` subcommand (`hotfix install`
/// and `hotfix sp install` alike).
pub fn normalise_install_args(args: Vec<OsString>) -> Vec<OsString> {
    rewrite_after(args, "install", normalise)
}

/// Whether the arguments after `install` ask for Update.exe's help (`/?`,
/// `-?`, `/help`, `-help`): that prints the original's text, in its layout,
/// instead of clap's (`--help` still gives clap's).
pub fn wants_update_help(args: &[OsString]) -> bool {
    let Some(pos) = position(args, "install") else {
        return false;
    };
    args[pos + 1..].iter().filter_map(|a| a.to_str()).any(|a| {
        let body = a.strip_prefix('/').or_else(|| a.strip_prefix('-'));
        body.is_some_and(|b| b == "?" || b.eq_ignore_ascii_case("help"))
    })
}

/// Qfecheck's switches (`QFECHECK [/l[:location] /v /q /?]`) and the long
/// options `verify` parses; `None` when it is not one of them.
pub fn normalise_qfecheck(arg: &str) -> Option<String> {
    let body = arg.strip_prefix('/')?;
    let (name, value) = match body.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    match (name.to_ascii_lowercase().as_str(), value) {
        ("l", None) => Some("--log-file".into()),
        ("l", Some(v)) => Some(format!("--log-file={v}")),
        ("v", None) => Some("--details".into()),
        ("q", None) => Some("--quiet".into()),
        ("?", None) => Some("--help".into()),
        _ => None,
    }
}

/// Rewrites the arguments after the `verify` subcommand.
pub fn normalise_verify_args(args: Vec<OsString>) -> Vec<OsString> {
    rewrite_after(args, "verify", normalise_qfecheck)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::{normalise, normalise_qfecheck, wants_update_help};

    #[test]
    fn qfecheck_switches() {
        assert_eq!(normalise_qfecheck("/l").as_deref(), Some("--log-file"));
        assert_eq!(
            normalise_qfecheck("/L:/tmp/reports").as_deref(),
            Some("--log-file=/tmp/reports")
        );
        assert_eq!(normalise_qfecheck("/v").as_deref(), Some("--details"));
        assert_eq!(normalise_qfecheck("/Q").as_deref(), Some("--quiet"));
        assert_eq!(normalise_qfecheck("/?").as_deref(), Some("--help"));
        assert_eq!(normalise_qfecheck("/tmp/img"), None);
        assert_eq!(normalise_qfecheck("--json"), None);
    }

    #[test]
    fn update_help_spellings() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        for h in ["/?", "-?", "/help", "/HELP", "-help"] {
            assert!(wants_update_help(&args(&["hotfix", "install", h])), "{h}");
        }
        assert!(!wants_update_help(&args(&["hotfix", "install", "--help"])));
        assert!(!wants_update_help(&args(&["hotfix", "verify", "/?"])));
        assert!(!wants_update_help(&args(&["hotfix", "install", "/tmp/x"])));
    }

    #[test]
    fn both_generations_and_paths() {
        assert_eq!(normalise("/QUIET").as_deref(), Some("--quiet"));
        assert_eq!(normalise("-q").as_deref(), Some("--quiet"));
        assert_eq!(normalise("/z").as_deref(), Some("--norestart"));
        assert_eq!(normalise("-Z").as_deref(), Some("--norestart"));
        assert_eq!(normalise("/B:SP2QFE").as_deref(), Some("--branch=SP2QFE"));
        assert_eq!(
            normalise("/log:C:\\x.log").as_deref(),
            Some("--log=C:\\x.log")
        );
        assert_eq!(
            normalise("/warnrestart:30").as_deref(),
            Some("--warnrestart=30")
        );
        assert_eq!(normalise("/extract:out").as_deref(), Some("--extract=out"));
        assert_eq!(normalise("/?").as_deref(), Some("--help"));
        assert_eq!(normalise("/tmp/KB1.exe"), None);
        assert_eq!(normalise("--json"), None);
        assert_eq!(normalise("pkg.exe"), None);
    }
}

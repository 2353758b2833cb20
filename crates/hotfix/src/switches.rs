//! Update.exe's switches, in both generations (`-q -z -n` and `/quiet
//! /norestart /nobackup`), case-insensitive, with `-` or `/`, turned into
//! the long options clap parses. An argument is only rewritten when it is
//! one of the known switches, so Linux paths like `/tmp/x.exe` pass through.

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

/// Rewrites the arguments after the `install` subcommand (`hotfix install`
/// and `hotfix sp install` alike).
pub fn normalise_install_args(args: Vec<String>) -> Vec<String> {
    let Some(pos) = args.iter().position(|a| a.eq_ignore_ascii_case("install")) else {
        return args;
    };
    args.into_iter()
        .enumerate()
        .map(|(i, a)| {
            if i > pos {
                normalise(&a).unwrap_or(a)
            } else {
                a
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalise;

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

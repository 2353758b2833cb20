//! Update.exe's switches, in both generations (`-q -z -n` and `/quiet
//! /norestart /nobackup`), case-insensitive, with `-` or `/`, turned into
//! the long options clap parses. An argument is only rewritten when it is
//! one of the known switches, so Linux paths like `/tmp/x.exe` pass through.

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

/// Rewrites the arguments after the `install` subcommand.
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

/// Whether the arguments after `install` ask for Update.exe's help (`/?`,
/// `-?`, `/help`, `-help`): that prints the original's text, in its layout,
/// instead of clap's (`--help` still gives clap's).
pub fn wants_update_help(args: &[String]) -> bool {
    let Some(pos) = args.iter().position(|a| a.eq_ignore_ascii_case("install")) else {
        return false;
    };
    args[pos + 1..].iter().any(|a| {
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
pub fn normalise_verify_args(args: Vec<String>) -> Vec<String> {
    let Some(pos) = args.iter().position(|a| a.eq_ignore_ascii_case("verify")) else {
        return args;
    };
    args.into_iter()
        .enumerate()
        .map(|(i, a)| {
            if i > pos {
                normalise_qfecheck(&a).unwrap_or(a)
            } else {
                a
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
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

//! Usage errors fail like every other failure: the message, Update.exe's
//! extended code 0xf0fe, and 1603 (67 after Unix keeps the low eight bits),
//! whether clap refuses the command line or a command finds nothing to do.
//! `--help` and `--version` still succeed.

use std::process::{Command, Output};

fn hotfix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotfix"))
        .args(args)
        .output()
        .expect("run hotfix")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn usage_errors_carry_0xf0fe_and_1603() {
    let cases: [(&[&str], &str); 4] = [
        // clap: an unknown option, an unknown subcommand, a missing value.
        (
            &["install", "--image", "/nonexistent", "--no-such-option"],
            "--no-such-option",
        ),
        (&["frobnicate"], "frobnicate"),
        (&["uninstall", "--image", "/nonexistent"], "required"),
        // A command that parses but has nothing to do.
        (
            &["synth", "--out", "/nonexistent/out"],
            "nothing to synthesize",
        ),
    ];
    for (args, says) in cases {
        let o = hotfix(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(67), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?} should say {says:?}: {err}");
        assert!(
            err.contains("Update.exe extended error code = 0xf0fe"),
            "{args:?}: {err}"
        );
        assert!(err.contains("exit code 1603"), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?} printed on stdout");
    }
}

#[test]
fn help_and_version_succeed() {
    for args in [&["--help"][..], &["--version"], &["install", "--help"]] {
        let o = hotfix(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!o.stdout.is_empty(), "{args:?} printed nothing");
    }
}

//! `HOTFIX_FAULT`: fault injection into a real run, for tests that kill or
//! starve the binary. A release build refuses it, so that a variable left
//! in someone's environment cannot make a real servicing run fail on
//! purpose; a test build says loudly that it is on.

use std::path::Path;

use hotfix_fs::{ConfinedFs, FaultFs, FaultKind, FaultPlan, Fs};

use crate::ui::CliError;

/// The environment variable: `<step>:<eio|enospc|eacces|crash>`.
const VAR: &str = "HOTFIX_FAULT";

/// The filesystem for a command on `image`: the real one, confined to the
/// image (nothing the image holds can send a change outside it), or with
/// `HOTFIX_FAULT=<step>:<eio|enospc|eacces|crash>` the same failing at that
/// step (test builds only).
pub fn filesystem(image: &Path) -> Result<Box<dyn Fs>, CliError> {
    let confined = ConfinedFs::new(image);
    let Ok(spec) = std::env::var(VAR) else {
        return Ok(Box::new(confined));
    };
    let plan = plan(&spec, cfg!(debug_assertions))?;
    let warning = format!(
        "warning: {VAR}={spec}: fault injection is on; this run fails on purpose at step {}",
        plan.at_step
    );
    eprintln!("{warning}");
    tracing::warn!("{warning}");
    Ok(Box::new(FaultFs::with_plan(confined, plan)))
}

/// Parses `spec`; refused outright when `test_build` is false.
fn plan(spec: &str, test_build: bool) -> Result<FaultPlan, CliError> {
    if !test_build {
        return Err(CliError::msg(format!(
            "{VAR}={spec:?} is set, but fault injection is for tests and this is a release build; unset {VAR}"
        )));
    }
    let bad = || {
        CliError::msg(format!(
            "{VAR}={spec:?}: expected <step>:<eio|enospc|eacces|erofs|crash>"
        ))
    };
    let (step, kind) = spec.split_once(':').ok_or_else(bad)?;
    let at_step = step.parse().map_err(|_| bad())?;
    let kind = match kind {
        "eio" => FaultKind::Errno(5),
        "enospc" => FaultKind::Sticky(28),
        "eacces" => FaultKind::Errno(13),
        "crash" => FaultKind::Crash,
        "erofs" => FaultKind::Persistent(30),
        _ => return Err(bad()),
    };
    Ok(FaultPlan { at_step, kind })
}

#[cfg(test)]
mod tests {
    use super::plan;

    #[test]
    fn a_release_build_refuses_and_a_test_build_parses() {
        let refused = plan("3:eio", false).unwrap_err().to_string();
        assert!(refused.contains("release build"), "{refused}");
        assert!(refused.contains("HOTFIX_FAULT"), "{refused}");
        let p = plan("3:enospc", true).unwrap();
        assert_eq!(p.at_step, 3);
        for bad in ["3", "x:eio", "3:boom"] {
            let e = plan(bad, true).unwrap_err().to_string();
            assert!(e.contains("expected <step>"), "{bad}: {e}");
        }
    }
}

//! `fuzz/` (cargo-fuzz, nightly, never built in CI) repeats the target list:
//! one file and one `[[bin]]` per target, and `run.sh`'s seed directories.
//! Checked here against [`Target`] so the copies cannot drift.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::{Path, PathBuf};

use hotfix_fuzzsmoke::Target;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn read(rel: &str) -> String {
    let path = fuzz_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn cargo_fuzz_targets_are_the_harnesses_with_their_seeds() {
    let manifest = read("Cargo.toml");
    let run_sh = read("run.sh");
    for target in Target::ALL {
        let name = target.name();
        let source = read(&format!("fuzz_targets/{name}.rs"));
        assert!(
            source.contains(&format!("hotfix_fuzzsmoke::Target::{target:?}.run(data)")),
            "fuzz_targets/{name}.rs does not run Target::{target:?}"
        );
        assert!(
            manifest.contains(&format!(
                "name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\""
            )),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
        let seeds = format!("[{name}]=\"{}\"", target.seed_dirs().join(" "));
        assert!(
            run_sh.contains(&seeds),
            "run.sh does not seed {name} with {seeds}"
        );
    }
    let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
    let list = format!("targets=({})", names.join(" "));
    assert!(run_sh.contains(&list), "run.sh does not run {list}");
    let files = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .count();
    assert_eq!(files, Target::ALL.len(), "fuzz_targets/ has other files");
    assert_eq!(
        manifest.matches("[[bin]]").count(),
        Target::ALL.len(),
        "fuzz/Cargo.toml has other binaries"
    );
}

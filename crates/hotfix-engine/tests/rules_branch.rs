//! Rule R4: GDR by default, QFE for the whole package when a target on disk
//! came from a QFE build, `/B:` forces, GDR installs stash their QFE copies
//! in `$hf_mig$` and a later QFE install takes a newer stashed copy.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_engine::InstallOptions;
use rules_support::*;

const FOO: &str = "C:\\WINDOWS\\system32\\foo.dll";
const BAR: &str = "C:\\WINDOWS\\system32\\bar.dll";

fn forced(branch: &str) -> InstallOptions {
    InstallOptions {
        force_branch: Some(branch.parse().expect("branch")),
        ..opts()
    }
}

fn tag(lab: &Lab, win: &str) -> String {
    lab.version_string(win).expect("version string")
}

#[test]
fn gdr_by_default_and_qfe_copies_stashed_in_hf_mig() {
    let a = update(
        "KB910001",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(std::slice::from_ref(&a));
    let report = lab.install(&[package(&a)]);
    assert_eq!(report.packages[0].branch.as_deref(), Some("SP2GDR"));
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3000")));
    assert!(tag(&lab, FOO).contains("_gdr"), "{}", tag(&lab, FOO));
    let stash = "C:\\WINDOWS\\$hf_mig$\\KB910001\\SP2QFE\\foo.dll";
    assert_eq!(lab.version(stash), Some(v("5.1.2600.3001")));
    assert!(tag(&lab, stash).contains("_qfe"));
    assert!(!lab.log("KB910001").contains("AnalyzeForBranching"));
}

#[test]
fn uninstall_removes_the_qfe_copies_it_stashed_and_nothing_planted_beside_them() {
    let a = update(
        "KB910001",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(std::slice::from_ref(&a));
    lab.install(&[package(&a)]);
    let stash = "C:\\WINDOWS\\$hf_mig$\\KB910001\\SP2QFE\\foo.dll";
    let planted = "C:\\WINDOWS\\$hf_mig$\\KB910001\\SP2QFE\\planted.dll";
    hotfix_fs::write_new(&lab.fs, &lab.host(planted), b"not the hotfix's").expect("plant");
    let report = lab.uninstall(&["KB910001"]).expect("uninstall");
    assert!(!lab.exists(stash), "the QFE copy it stashed stays");
    assert!(lab.exists(planted), "a planted file was removed");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("planted.dll") && w.contains("not made by the install")),
        "{report:?}"
    );
}

#[test]
fn a_qfe_target_switches_the_whole_package_to_qfe() {
    let first = update(
        "KB910002",
        both("bar.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let second = update(
        "KB910003",
        [
            both("foo.dll", "5.1.2600.3100", "5.1.2600.3101"),
            both("bar.dll", "5.1.2600.3100", "5.1.2600.3101"),
        ]
        .concat(),
    );
    let lab = lab(&[first.clone(), second.clone()]);
    lab.install_with(&[package(&first)], &forced("SP2QFE"))
        .expect("forced QFE");
    assert!(tag(&lab, BAR).contains("_qfe"));
    let report = lab.install(&[package(&second)]);
    assert_eq!(report.packages[0].branch.as_deref(), Some("SP2QFE"));
    // foo.dll was a release build, yet it gets the QFE copy: the branch is
    // chosen for the whole package.
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3101")));
    assert_eq!(lab.version(BAR), Some(v("5.1.2600.3101")));
    let log = lab.log("KB910003");
    let line = log
        .lines()
        .find(|l| l.contains("AnalyzeForBranching: "))
        .expect("AnalyzeForBranching line");
    assert!(
        line.contains("bar.dll") && line.contains("sp2qfe"),
        "{line}"
    );
}

#[test]
fn forced_branch_wins_over_analysis() {
    let a = update(
        "KB910004",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(std::slice::from_ref(&a));
    let report = lab
        .install_with(&[package(&a)], &forced("SP2QFE"))
        .expect("install");
    assert_eq!(report.packages[0].branch.as_deref(), Some("SP2QFE"));
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3001")));
    assert!(lab.log("KB910004").contains("Branch forced to SP2QFE"));
}

#[test]
fn forcing_a_branch_the_package_lacks_is_refused() {
    let a = update(
        "KB910005",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(std::slice::from_ref(&a));
    let before = lab.snapshot();
    let err = lab
        .install_with(&[package(&a)], &forced("SP1QFE"))
        .expect_err("no SP1QFE folder");
    assert!(err.to_string().contains("SP1QFE"), "{err}");
    assert_eq!(image_diff(&before, &lab.snapshot()), Vec::<String>::new());
}

/// KB824994: a QFE install takes a newer QFE copy that an earlier GDR
/// install stashed in `$hf_mig$`.
#[test]
fn qfe_install_takes_a_newer_stashed_copy() {
    let a = update(
        "KB910006",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3005"),
    );
    let c = update(
        "KB910007",
        both("bar.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let b = update(
        "KB910008",
        [
            both("foo.dll", "5.1.2600.2999", "5.1.2600.3002"),
            both("bar.dll", "5.1.2600.3100", "5.1.2600.3101"),
        ]
        .concat(),
    );
    let lab = lab(&[a.clone(), b.clone(), c.clone()]);
    lab.install(&[package(&a)]);
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3000")));
    lab.install_with(&[package(&c)], &forced("SP2QFE"))
        .expect("bar QFE");
    let report = lab.install(&[package(&b)]);
    assert_eq!(report.packages[0].branch.as_deref(), Some("SP2QFE"));
    // B's own QFE foo.dll is 3002; A stashed 3005.
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3005")));
    assert!(tag(&lab, FOO).contains("_qfe"));
    let log = lab.log("KB910008");
    assert!(log.contains("from $hf_mig$"), "{log}");
}

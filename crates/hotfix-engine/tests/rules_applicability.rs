//! Rule 1: a package for another OS, service pack or language is refused
//! with the reason and leaves every byte of the image as it was;
//! `--skip-inapplicable` skips just that package.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_engine::{EngineError, ExtCode, InstallOptions};
use hotfix_model::{Language, Product};
use rules_support::*;

fn refused(lab: &Lab, pkg: hotfix_package::Package, needle: &str) {
    let before = lab.snapshot();
    let err = lab.install_with(&[pkg], &opts()).expect_err("must refuse");
    match &err {
        EngineError::NotApplicable { reason, .. } => {
            assert!(
                reason.contains(needle),
                "reason {reason:?} lacks {needle:?}"
            )
        }
        other => panic!("expected NotApplicable, got {other:?}"),
    }
    assert_eq!(err.ext_code(), ExtCode::Prerequisite);
    assert_eq!(image_diff(&before, &lab.snapshot()), Vec::<String>::new());
}

#[test]
fn server_2003_package_on_xp_is_refused_untouched() {
    let xp = update(
        "KB900001",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let srv = update_for(
        Product::WindowsServer2003,
        "KB900002",
        vec![row("foo.dll", Some("5.2.3790.3000"), "SP1GDR")],
    );
    let lab = lab(std::slice::from_ref(&xp));
    refused(&lab, package(&srv), "Windows Server 2003");
}

#[test]
fn service_pack_out_of_range_is_refused_untouched() {
    let sp1_only = update(
        "KB900003",
        vec![
            row("foo.dll", Some("5.1.2600.1500"), "SP1GDR"),
            row("foo.dll", Some("5.1.2600.1501"), "SP1QFE"),
        ],
    );
    let lab = lab(&[update(
        "KB900001",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    )]);
    refused(&lab, package(&sp1_only), "Service Pack");
}

#[test]
fn wrong_language_is_refused_untouched() {
    let u = update(
        "KB900004",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(std::slice::from_ref(&u));
    refused(&lab, package_in(&u, Language::JPN), "language");
}

#[test]
fn skip_inapplicable_skips_only_that_package() {
    let good = update(
        "KB900005",
        both("foo.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let jpn = update(
        "KB900006",
        both("bar.dll", "5.1.2600.3000", "5.1.2600.3001"),
    );
    let lab = lab(&[good.clone(), jpn.clone()]);
    let o = InstallOptions {
        skip_inapplicable: true,
        ..opts()
    };
    let report = lab
        .install_with(&[package(&good), package_in(&jpn, Language::JPN)], &o)
        .expect("install");
    assert!(report.packages[0].not_applicable.is_none());
    assert!(report.packages[1].not_applicable.is_some());
    assert_eq!(
        lab.version("C:\\WINDOWS\\system32\\foo.dll"),
        Some(v("5.1.2600.3000"))
    );
    assert!(lab.version("C:\\WINDOWS\\system32\\bar.dll") < Some(v("5.1.2600.3000")));
    let sw = lab.software();
    assert!(
        sw.key("Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB900005")
            .is_some()
    );
    assert!(
        sw.key("Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB900006")
            .is_none()
    );
}

//! `[ProductInstall.ExtendedConditional]`: copy lists that apply only when a
//! `CheckReg` or `CheckFilever` condition holds on the image.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_inf::{CmpOp, Condition, Conditional, RegRoot};
use rules_support::*;

const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";

/// The package of one GDR file, its copy list moved under `condition`.
fn conditional_package(condition: Condition) -> hotfix_package::Package {
    let u = update(
        "KB900050",
        vec![row("foo.dll", Some("5.1.2600.3050"), "SP2GDR")],
    );
    let mut pkg = package(&u);
    let copy_files = std::mem::take(&mut pkg.inf.copy_always);
    pkg.inf.replace_if_exist.clear();
    pkg.inf.conditionals = vec![Conditional {
        condition,
        copy_files,
    }];
    pkg
}

fn check_reg(name: Option<&str>, op: CmpOp, expected: Option<&str>) -> Condition {
    Condition::CheckReg {
        root: RegRoot::Hklm,
        key: CURRENT_VERSION.into(),
        value_name: name.map(str::to_owned),
        op,
        expected: expected.map(str::to_owned),
    }
}

fn installs(condition: Condition) -> bool {
    let u = update(
        "KB900050",
        vec![row("foo.dll", Some("5.1.2600.3050"), "SP2GDR")],
    );
    let lab = lab(std::slice::from_ref(&u));
    lab.install(&[conditional_package(condition)]);
    lab.version(r"C:\WINDOWS\system32\foo.dll") == Some(v("5.1.2600.3050"))
}

#[test]
fn check_reg_compares_text_numbers_and_existence() {
    let sp2 = Some("Service Pack 2");
    assert!(installs(check_reg(Some("CSDVersion"), CmpOp::Eq, sp2)));
    assert!(installs(check_reg(
        Some("csdversion"),
        CmpOp::Eq,
        Some("service pack 2")
    )));
    assert!(!installs(check_reg(
        Some("CSDVersion"),
        CmpOp::Eq,
        Some("Service Pack 3")
    )));
    assert!(installs(check_reg(
        Some("CurrentBuildNumber"),
        CmpOp::Ge,
        Some("2600")
    )));
    assert!(!installs(check_reg(
        Some("CurrentBuildNumber"),
        CmpOp::Gt,
        Some("0xa28")
    )));
    assert!(installs(check_reg(None, CmpOp::Exists, None)));
    assert!(!installs(check_reg(
        Some("NoSuchValue"),
        CmpOp::Exists,
        None
    )));
}

#[test]
fn and_or_combine_file_and_registry_tests() {
    let reg_true = check_reg(Some("CurrentVersion"), CmpOp::Eq, Some("5.1"));
    let reg_false = check_reg(Some("CurrentVersion"), CmpOp::Eq, Some("5.2"));
    assert!(installs(Condition::Or(vec![
        reg_false.clone(),
        reg_true.clone()
    ])));
    assert!(!installs(Condition::And(vec![reg_true, reg_false])));
}

//! Rule R1: never downgrade. A file is replaced only by a copy that ranks
//! above both the file on disk and any queued copy, and the same set of
//! packages gives the same image whatever the order, with or without a
//! restart in between.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod rules_support;

use hotfix_dataset::{DEFAULT_DATA, DataSet, Update};
use hotfix_engine::FileAction;
use hotfix_model::{KbId, Product};
use rules_support::*;

const FOO: &str = "C:\\WINDOWS\\system32\\foo.dll";

fn pair() -> (Update, Update) {
    (
        foo_update("KB920001", "5.1.2600.3000", "5.1.2600.3001"),
        foo_update("KB920002", "5.1.2600.3100", "5.1.2600.3101"),
    )
}

#[test]
fn older_package_after_newer_leaves_the_newer_file() {
    let (old, new) = pair();
    let lab = lab(&[old.clone(), new.clone()]);
    lab.install(&[package(&new)]);
    let report = lab.install(&[package(&old)]);
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3100")));
    assert_eq!(
        report.packages[0].count(FileAction::SkippedNotNewer),
        1,
        "{:?}",
        report.packages[0].files
    );
    assert!(lab.log("KB920001").contains("not replaced"));
}

#[test]
fn a_queued_newer_copy_blocks_an_older_direct_replace() {
    let (old, new) = pair();
    let lab = lab(&[old.clone(), new.clone()]);
    lab.lock(&[FOO]);
    lab.install(&[package(&new)]);
    unlock(&lab, &[FOO]);
    let report = lab.install(&[package(&old)]);
    assert_eq!(report.packages[0].count(FileAction::Replaced), 0);
    assert!(
        lab.version(FOO) < Some(v("5.1.2600.3000")),
        "still the base"
    );
    lab.restart();
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3100")));
}

/// KB815062: v8 queued while in use, v12 copied directly afterwards; the
/// stale v8 entry must not fire at the restart.
#[test]
fn a_direct_newer_copy_drops_the_stale_queued_one() {
    let (old, new) = pair();
    let lab = lab(&[old.clone(), new.clone()]);
    lab.lock(&[FOO]);
    lab.install(&[package(&old)]);
    assert_eq!(lab.queue().map(|q| q.len()), Some(2));
    unlock(&lab, &[FOO]);
    lab.install(&[package(&new)]);
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3100")));
    assert_eq!(lab.queue(), None, "the stale entry is gone");
    assert!(!lab.exists("C:\\WINDOWS\\system32\\foo.dll.hfKB920001"));
    lab.restart();
    assert_eq!(lab.version(FOO), Some(v("5.1.2600.3100")));
}

/// XP SP2 packages of the data set that overlap on xpsp3res.dll and
/// agentdpv.dll.
const OVERLAPPING: &[&str] = &["KB890046", "KB920213", "KB932168", "KB923810", "KB933729"];

fn overlapping() -> Vec<Update> {
    let data = DataSet::parse(DEFAULT_DATA).expect("data set");
    OVERLAPPING
        .iter()
        .map(|kb| {
            let id: KbId = kb.parse().expect("kb");
            data.find_for(&id, Product::WindowsXp)
                .expect("in the data set")
                .clone()
        })
        .collect()
}

/// Installs `order` (indexes into [`OVERLAPPING`]) on a fresh image, with
/// xpsp3res.dll in use, restarting after the first `restart_after`
/// packages; returns the state before and after a final restart.
fn run(
    updates: &[Update],
    order: &[usize],
    restart_after: Option<usize>,
) -> (
    std::collections::BTreeMap<String, Vec<u8>>,
    std::collections::BTreeMap<String, Vec<u8>>,
) {
    let lab = lab(updates);
    lab.lock(&["C:\\WINDOWS\\system32\\xpsp3res.dll"]);
    let pkgs: Vec<_> = order.iter().map(|&i| package(&updates[i])).collect();
    match restart_after {
        Some(n) => {
            lab.install(&pkgs[..n]);
            lab.restart();
            lab.install(&pkgs[n..]);
        }
        None => {
            lab.install(&pkgs);
        }
    }
    let before = final_state(&lab);
    lab.restart();
    (before, final_state(&lab))
}

#[test]
fn install_order_does_not_change_the_image() {
    let updates = overlapping();
    let orders: [&[usize]; 4] = [
        &[0, 1, 2, 3, 4],
        &[4, 3, 2, 1, 0],
        &[2, 0, 4, 1, 3],
        &[3, 4, 0, 2, 1],
    ];
    let (q0, r0) = run(&updates, orders[0], None);
    let queued = |s: &std::collections::BTreeMap<String, Vec<u8>>| {
        s.keys()
            .any(|k| k.ends_with("\\pendingfilerenameoperations"))
    };
    assert!(
        queued(&q0) && !queued(&r0),
        "xpsp3res.dll is queued, then renamed"
    );
    for order in &orders[1..] {
        let (q, r) = run(&updates, order, None);
        assert_eq!(
            diff(&q0, &q),
            Vec::<String>::new(),
            "queued state, order {order:?}"
        );
        assert_eq!(
            diff(&r0, &r),
            Vec::<String>::new(),
            "after restart, order {order:?}"
        );
    }
    // One restart in the middle: the same image once the queue has run.
    let (_, r) = run(&updates, &[4, 1, 0, 3, 2], Some(2));
    assert_eq!(
        diff(&r0, &r),
        Vec::<String>::new(),
        "with a restart in between"
    );
}

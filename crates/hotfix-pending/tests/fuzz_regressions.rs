//! Inputs the fuzzer (hotfix-fuzzsmoke, target `pfro`) found where
//! `parse(to_strings(parse(x)))` differed from `parse(x)`: an engine that
//! reads the queue, edits it and writes it back would have changed or
//! dropped operations it never touched.

use hotfix_pending::{PendingOp, PendingQueue};

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn round_trips(list: &[&str]) -> PendingQueue {
    let queue = PendingQueue::parse(&strings(list));
    assert_eq!(PendingQueue::parse(&queue.to_strings()), queue, "{list:?}");
    queue
}

#[test]
fn pfro_bare_at_source_ends_the_list_instead_of_dropping_later_ops_on_rewrite() {
    let queue = round_trips(&["@", "\\??\\C:\\a.tmp", "\\??\\C:\\b.tmp", ""]);
    assert!(queue.is_empty());
}

#[test]
fn pfro_delete_with_bang_round_trips() {
    let queue = round_trips(&["\\??\\C:\\x.tmp", "!"]);
    assert_eq!(queue.ops, vec![PendingOp::delete("\\??\\C:\\x.tmp")]);
}

#[test]
fn pfro_source_with_double_at_round_trips() {
    let queue = round_trips(&["@@x.tmp", "!\\??\\C:\\y.dll"]);
    assert_eq!(queue.ops[0].source, "@x.tmp");
}

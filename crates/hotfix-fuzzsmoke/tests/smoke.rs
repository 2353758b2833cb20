//! The CI-bounded fuzz run: every parser gets its seed corpus, then a fixed
//! number of deterministic mutations of it (`HOTFIX_FUZZ_ITERS` per target,
//! default below). Fails on any panic, on any single input taking more than
//! 2 s, and aborts the process ("memory allocation of N bytes failed") if one
//! input makes a parser allocate more than `MEMORY_BOUND` beyond what the
//! test itself holds: inputs are at most 1 MiB, so that can only come from
//! trusting a size field. This file holds one test on purpose: the
//! allocation cap is process-wide, so nothing may run beside it.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::alloc::System;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use cap::Cap;
use hotfix_fuzzsmoke::{Rng, Target, mutate};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Mutations per target when `HOTFIX_FUZZ_ITERS` is not set: sized so the
/// whole test takes well under a minute in the test profile on one core.
const DEFAULT_ITERS: usize = 40_000;
const TIME_CAP: Duration = Duration::from_secs(2);
const MEMORY_BOUND: usize = 256 << 20;

/// Every file of `corpus/<kind>/` as (file name, bytes), sorted by name.
fn load(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = common::root().join(kind);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs one input; returns a failure description, if any.
fn exercise(target: Target, input: &[u8], what: &str) -> Option<String> {
    let limit = ALLOCATOR.allocated() + MEMORY_BOUND;
    ALLOCATOR.set_limit(limit).unwrap();
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| target.run(input)));
    let took = start.elapsed();
    ALLOCATOR.set_limit(usize::MAX).unwrap();
    let failure = match outcome {
        Err(_) => format!("{}: {what}: panicked", target.name()),
        Ok(()) if took > TIME_CAP => format!("{}: {what}: took {took:?}", target.name()),
        Ok(()) => return None,
    };
    let dump = std::env::temp_dir().join(format!("hotfix-fuzzsmoke-{}.bin", target.name()));
    std::fs::write(&dump, input).unwrap();
    Some(format!("{failure} (input saved to {})", dump.display()))
}

#[test]
fn mutated_corpus_never_panics_hangs_or_balloons() {
    let iters = std::env::var("HOTFIX_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ITERS);
    let mut failures = Vec::new();
    let mut total = 0usize;
    for target in Target::ALL {
        let seeds: Vec<(String, Vec<u8>)> =
            target.seed_dirs().iter().flat_map(|d| load(d)).collect();
        assert!(!seeds.is_empty(), "{}: no seeds", target.name());
        let start = Instant::now();
        for (name, bytes) in &seeds {
            failures.extend(exercise(target, bytes, name));
        }
        // The seed of the generator is the target's index, so each target
        // sees its own reproducible sequence.
        let mut rng = Rng::new(0x5eed ^ target as u64);
        for i in 0..iters {
            let (name, input) = &seeds[rng.below(seeds.len())];
            let (_, other) = &seeds[rng.below(seeds.len())];
            let mutated = mutate(input, other, &mut rng);
            failures.extend(exercise(
                target,
                &mutated,
                &format!("mutation {i} of {name}"),
            ));
        }
        let runs = seeds.len() + iters;
        total += runs;
        println!(
            "{:<13} {runs:>6} executions in {:>6.2?}",
            target.name(),
            start.elapsed()
        );
    }
    println!("total: {total} executions");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

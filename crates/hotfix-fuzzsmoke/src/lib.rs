//! Fuzzing support for every parser that reads untrusted bytes: cabinets and
//! the SFX stub, update packages and their manifest, INF files, PE version
//! resources, regf hives, the transaction journal and the
//! `PendingFileRenameOperations` value; and the state readers: the journal
//! as recovery replays it (with the image-escape oracle), install records
//! and the in-use list.
//!
//! Start with [`Target`]: one entry per parser, whose [`Target::run`] is the
//! harness shared by the coverage-guided cargo-fuzz targets (`fuzz/` at the
//! workspace root, nightly) and the bounded smoke test of this crate
//! (`tests/smoke.rs`, stable, runs in CI), which drives it with the
//! deterministic [`mutate`] mutator. The seed corpus lives in `corpus/`
//! (its README lists what every file is); [`fixtures::generate`] recreates
//! the files this workspace can make, including the hostile ones named after
//! the attack they carry, and `tests/fixtures.rs` checks that each hostile
//! fixture is refused with the expected error.
#![deny(missing_docs)]

pub mod fixtures;
mod hostile;
mod mutate;
mod state;
mod targets;

pub use mutate::{Rng, mutate};
pub use targets::{Target, fuzz_key};

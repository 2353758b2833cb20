//! Test support for the proof that `hotfix` survives crashes, kills, full
//! disks and concurrent runs (issue 5).
//!
//! - [`snapshot`] reads an image the way `docs/design.md` §10 compares it:
//!   every file by path and bytes, the two hives as parsed trees, without
//!   the runtime files; [`Snapshot::diff`] names the first difference.
//! - [`fixture`] builds small XP SP2 images restricted to a few updates and
//!   the synthesized packages of those updates, fast enough for thousands of
//!   crash runs.
//! - [`sweep`] crashes a command at every mutating step, builds every crash
//!   image, recovers it and checks that the image is the pre- or the
//!   post-state.
//!
//! Start with [`sweep::sweep`]; the tests using it live in
//! `crates/hotfix-engine/tests/crash_*.rs` and `crates/hotfix/tests/`.
#![deny(missing_docs)]

pub mod fixture;
mod snapshot;
pub mod sweep;

pub use snapshot::{Entry, Snapshot, snapshot};

/// The error type of the fixture builders: any failure, with its message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

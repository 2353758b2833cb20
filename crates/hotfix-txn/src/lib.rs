//! Crash-safe transactions over an image, as specified in `docs/design.md` §3–§5.
//!
//! A [`Txn`] collects operations ([`Op`]): `MakeDir`, `Put` (a staged file
//! switched in over a target, preserving the old bytes at chosen paths) and
//! `Remove`. [`Txn::commit`] writes the journal, applies the operations in
//! three passes separated by directory syncs, marks the journal committed and
//! cleans up. [`recover`] finishes or rolls back whatever a crash interrupted,
//! if it can prove this host wrote the journal ([`HostKey`]).
//!
//! Start reading at [`Txn`], then `apply.rs` (the passes) and [`recover`].
#![deny(missing_docs)]

mod apply;
pub mod clock;
mod error;
mod journal;
mod key;
mod layout;
mod relpath;
mod txn;

pub use apply::{Recovered, recover};
pub use error::TxnError;
pub use journal::{Journal, JournalState, Op, Preserve};
pub use key::{HostKey, KEY_LEN, STATE_DIR_ENV, default_state_dir};
pub use layout::{IN_USE_LIST, STATE_DIR_NAME, StateDir};
pub use relpath::RelPath;
pub use txn::{Fill, Staged, Summary, Txn};

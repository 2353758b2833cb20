//! Service-pack setup: `hotfix sp install` (the SP's
//! update.exe), `hotfix sp uninstall` (spuninst) and restore points, all on
//! the engine's [`hotfix_engine::View`] so each command is one crash-safe
//! transaction.
//!
//! Start with [`sp_install`] (the stages of the original and the exact
//! disk-space figure in `space.rs`), then [`sp_uninstall`] and `restore.rs`.
//! Service packs for tests are built by `hotfix-synth`.
#![deny(missing_docs)]

mod dual;
mod install;
mod restore;
mod space;
mod uninstall;

pub use install::{SpOptions, SpReport, sp_install};
pub use restore::{RestorePoint, create_restore_point, list_restore_points, restore};
pub use space::{SpaceNeed, mb};
pub use uninstall::{SpUninstallReport, sp_uninstall};

/// Where an installed SP keeps what spuninst needs.
pub const SP_UNINSTALL_DIR: &str = "$NtServicePackUninstall$";

//! The installer: Update.exe, QChain, Session Manager's rename step,
//! spuninst and Qfecheck, re-done over crash-safe transactions.
//!
//! Every command opens a [`Session`] (lock, recovery, identity), plans its
//! changes on a [`View`] of the image, and commits them as one transaction
//! (`docs/design.md`). Start with [`install()`], then `install/files.rs`
//! (the per-file rules R1–R6, in `install/decide.rs`, which service-pack
//! setup uses too), [`uninstall()`] (R7), [`chain()`] and
//! [`restart()`].
#![deny(missing_docs)]

mod chain;
mod error;
mod inf_registry;
mod install;
mod log;
mod rank;
mod record;
mod registry;
mod report;
mod restart;
mod session;
mod uninstall;
mod verify;
mod view;

pub use chain::{ChainReport, chain};
pub use error::{EngineError, ExtCode, MASKED_FAILURE, Outcome};
pub use install::{
    Decision, FileReport, FileRules, InstallOptions, InstallReport, Offer, PackageReport,
    applicability, check_writable, destination, failure_cause_lines, failure_code_lines,
    failure_lines, install,
};
pub use log::{ImageLocale, InstallerLog, LocalClock, LocalTime, invoking_user};
pub use rank::{Facts, Rank};
pub use record::{
    DualStash, FileAction, FileRecord, InstallRecord, KeptCopy, StashedFile, StatePaths, is_inside,
    load_records, read_state, save_record, sha256_hex, write_state,
};
pub use registry::{HiveName, Registry};
pub use report::{OnLine, OnStage, Reporter, Silent, Stage};
pub use restart::{RestartReport, RestartStep, restart, run_queue};
pub use session::{Session, Wait};
pub use uninstall::{Restored, UninstallReport, uninstall};
pub use verify::{
    ListEntry, ServicePackEntry, Status, VerifyEntry, VerifyReport, list, load_service_packs,
    save_service_packs, service_packs_path, verify,
};
pub use view::{Content, SpaceFigure, View};

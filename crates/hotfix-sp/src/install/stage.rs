//! What the caller sees of `sp install`: its switches and its report; and the note of a cancel that came too late to act on.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hotfix_engine::{EngineError, InstallerLog, Outcome, RestartReport};
use hotfix_i18n::Msg;
use serde::Serialize;

use crate::space::SpaceNeed;

/// Switches of `hotfix sp install`.
#[derive(Debug, Clone, Default)]
pub struct SpOptions {
    /// Cancel on an unreadable file version (0xf00d), as the original did.
    pub strict_versions: bool,
    /// The command line, for the log and the journal.
    pub command_line: String,
    /// Without `/norestart`: perform the boot-time step at the end, in the
    /// same transaction, as the original restarted the machine.
    pub restart: bool,
    /// `/forcerestart`: perform it even when nothing was queued.
    pub force_restart: bool,
    /// `/nobackup` (`-n`): no `$NtServicePackUninstall$`; the service pack
    /// cannot be removed.
    pub no_backup: bool,
    /// `/log:<path>` (a host path) instead of `%windir%\svcpack.log`.
    pub log_path: Option<PathBuf>,
    /// Set by a Ctrl-C handler: checked between stages (and files) until the
    /// point of no return, after which setup finishes regardless.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl SpOptions {
    pub(super) fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    /// Refuses to go on when a cancel was asked for (before the point of
    /// no return, nothing has been written yet).
    pub(super) fn check_cancel(&self, title: &str) -> Result<(), EngineError> {
        if self.cancelled() {
            return Err(EngineError::Cancelled(title.to_owned()));
        }
        Ok(())
    }
}

/// What `sp install` did.
#[derive(Debug, Clone, Serialize)]
pub struct SpReport {
    /// `KB835935`.
    pub kb: String,
    /// The level the image had.
    pub from_sp: u8,
    /// The level it has now.
    pub to_sp: u8,
    /// Files replaced now.
    pub replaced: usize,
    /// Files the SP added.
    pub added: usize,
    /// Files queued for the restart (in use).
    pub queued: usize,
    /// KnownDLLs swapped: the mapped copy moved aside, deleted at restart.
    pub swapped: usize,
    /// Files kept because the image has a newer build (a later hotfix).
    pub kept_newer: usize,
    /// Files whose version could not be read and were replaced (rule R3).
    pub unreadable_replaced: Vec<String>,
    /// The space check.
    pub space: SpaceNeed,
    /// The restore point created.
    pub restore_point: u32,
    /// Installed hotfixes whose files the SP now supersedes.
    pub superseded: Vec<String>,
    /// Dual-mode hotfixes migrated to their post-SP1 files (Xpsp1hfm).
    pub migrated: Vec<String>,
    /// 0 or 3010.
    pub outcome: Outcome,
    /// The boot-time step performed at the end (without `/norestart`).
    pub restarted: Option<RestartReport>,
    /// svcpack.log.
    pub log: String,
}

/// Logs, once, a Ctrl-C that came after the point of no return.
#[derive(Default)]
pub(super) struct LateCancel(bool);

impl LateCancel {
    pub(super) fn note(&mut self, opts: &SpOptions, log: &mut InstallerLog) {
        if !self.0 && opts.cancelled() {
            self.0 = true;
            log.msg(Msg::LateCancel, &[]);
        }
    }
}

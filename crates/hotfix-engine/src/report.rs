//! Progress on its way to the user: every long command (opening a session,
//! `install`, service-pack setup and its removal) reports through one
//! [`Reporter`], so the binary draws its bars and prints its notices in one
//! place and a library never prints.

use hotfix_i18n::{Lang, Msg};
use serde::Serialize;

/// The stages of the original's setup dialog, in order. Service-pack
/// setup passes through every one; a hotfix install reports `Inspect` per
/// package and `Install` for its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stage {
    /// Read the image and the package, decide every file.
    Inspect,
    /// Compare the exact need with the free space.
    DiskSpace,
    /// Report the `$NtServicePackUninstall$` copies (planned with the rest
    /// before the disk-space check; written by the one transaction).
    BackupFiles,
    /// Report the hive copies (planned likewise).
    BackupRegistry,
    /// Report the restore point (planned likewise); after it the install
    /// cannot be cancelled.
    RestorePoint,
    /// Write everything: one transaction.
    Install,
    /// Report superseded hotfixes.
    PostInstall,
    /// Write the log.
    Cleanup,
}

impl Stage {
    /// Every stage, in the order setup reports them.
    pub const ALL: [Stage; 8] = [
        Self::Inspect,
        Self::DiskSpace,
        Self::BackupFiles,
        Self::BackupRegistry,
        Self::RestorePoint,
        Self::Install,
        Self::PostInstall,
        Self::Cleanup,
    ];

    /// What the original's dialog said, as a catalog message.
    pub fn msg(self) -> Msg {
        match self {
            Self::Inspect => Msg::StageInspect,
            Self::DiskSpace => Msg::StageDiskSpace,
            Self::BackupFiles => Msg::StageBackupFiles,
            Self::BackupRegistry => Msg::StageBackupRegistry,
            Self::RestorePoint => Msg::StageRestorePoint,
            Self::Install => Msg::StageInstall,
            Self::PostInstall => Msg::StagePostInstall,
            Self::Cleanup => Msg::StageCleanup,
        }
    }

    /// What the English original's dialog said.
    pub fn label(self) -> &'static str {
        Lang::Enu.text(self.msg())
    }
}

/// Receives what a command has to tell the user while it runs.
pub trait Reporter {
    /// A line the user must see now: an interrupted run finished or rolled
    /// back, a wait for another holder of the image, a warning.
    fn notice(&mut self, text: &str);
    /// `done` of `total` units of `stage`; `detail` names the work in hand
    /// (`KB925902: planning`), or is empty.
    fn progress(&mut self, stage: Stage, done: u64, total: u64, detail: &str);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn notice(&mut self, _: &str) {}
    fn progress(&mut self, _: Stage, _: u64, _: u64, _: &str) {}
}

/// A closure that takes each line: the notices and the non-empty details.
#[derive(Debug)]
pub struct OnLine<F>(pub F);

impl<F: FnMut(&str)> Reporter for OnLine<F> {
    fn notice(&mut self, text: &str) {
        (self.0)(text);
    }
    fn progress(&mut self, _: Stage, _: u64, _: u64, detail: &str) {
        if !detail.is_empty() {
            (self.0)(detail);
        }
    }
}

/// A closure that takes each stage's progress; notices are dropped.
#[derive(Debug)]
pub struct OnStage<F>(pub F);

impl<F: FnMut(Stage, u64, u64)> Reporter for OnStage<F> {
    fn notice(&mut self, _: &str) {}
    fn progress(&mut self, stage: Stage, done: u64, total: u64, _: &str) {
        (self.0)(stage, done, total);
    }
}

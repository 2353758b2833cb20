//! `hotfix restart`: Session Manager's boot-time step. Processes
//! `PendingFileRenameOperations` (then `...2`) in order, removes the
//! directories its deletes emptied, and removes the values, all in one
//! transaction: a crash leaves the queue and the files exactly as before,
//! and running again does every operation once. `install` and `sp install`
//! run the same step at their end unless `/norestart` is given.

use hotfix_image::Image;
use hotfix_pending::{PendingOp, display_path};
use hotfix_txn::RelPath;
use serde::Serialize;

use crate::EngineError;
use crate::install::ALLOW_PROTECTED_RENAMES;
use crate::registry::{HiveName, Registry, hive_err};
use crate::session::Session;
use crate::view::View;

/// One processed queue entry.
#[derive(Debug, Clone, Serialize)]
pub struct RestartStep {
    /// The source, as queued.
    pub source: String,
    /// The target (`None`: delete).
    pub target: Option<String>,
    /// What happened.
    pub result: String,
}

/// What `restart` did.
#[derive(Debug, Clone, Serialize)]
pub struct RestartReport {
    /// Every entry, in order.
    pub steps: Vec<RestartStep>,
}

/// Processes the queue.
pub fn restart(session: &Session<'_>, command_line: &str) -> Result<RestartReport, EngineError> {
    let image = &session.image;
    let mut view = View::new(session.fs, image);
    let mut reg = Registry::load(&view, image)?;
    let steps = run_queue(&mut view, &mut reg)?;
    reg.store(&mut view)?;
    view.commit("restart", command_line)?;
    Ok(RestartReport { steps })
}

/// Why `rel` may not be touched by a queued rename, if it may not.
///
/// The image's queue is as untrusted as the image: an entry may not move
/// or replace hotfix's state or a hive (the next command could not open
/// the image), nor rename onto a directory. Such an entry is skipped with
/// its reason and dropped with the rest of the queue, so it cannot block
/// later restarts either.
fn guard(image: &Image, rel: &RelPath, role: &str) -> Option<String> {
    image.protected(rel).map(|why| {
        format!(
            "skipped: the {role} {} is {why}, which a queued rename may not touch",
            image.win_path(rel)
        )
    })
}

/// Plans the boot-time step on `view`: every queued operation in order,
/// the directories its deletes emptied, then the queue values and
/// `AllowProtectedRenames` removed.
pub fn run_queue(view: &mut View<'_>, reg: &mut Registry) -> Result<Vec<RestartStep>, EngineError> {
    let queue = reg.queue();
    let mut emptied = Vec::new();
    let steps = queue
        .ops
        .iter()
        .map(|op| RestartStep {
            source: display_path(&op.source).to_owned(),
            target: op.target.as_deref().map(|t| display_path(t).to_owned()),
            result: run_one(view, op, &mut emptied),
        })
        .collect();
    remove_emptied(view, emptied);
    if !queue.is_empty() {
        reg.set_queue(&Default::default())?;
    }
    let sm = reg.session_manager();
    if reg
        .hive(HiveName::System)
        .get(&sm, ALLOW_PROTECTED_RENAMES)
        .is_some()
    {
        reg.hive_mut(HiveName::System)
            .delete_value(&sm, ALLOW_PROTECTED_RENAMES)
            .map_err(hive_err)?;
    }
    Ok(steps)
}

/// One queue entry; a delete notes the directory it may have emptied.
fn run_one(view: &mut View<'_>, op: &PendingOp, emptied: &mut Vec<RelPath>) -> String {
    let image = view.image();
    let src = match image.resolve(view.fs(), &op.source) {
        Err(e) => return format!("skipped: {e}"),
        Ok(src) => src,
    };
    if let Some(skip) = guard(image, &src, "source") {
        return skip;
    }
    let Some(target) = &op.target else {
        // A delete names a file, or a directory that is empty by then.
        if view.exists(&src) {
            view.remove(&src);
            emptied.extend(src.parent());
            return "deleted".to_owned();
        }
        if view.is_empty_dir(&src) {
            view.remove_dir(&src);
            emptied.extend(src.parent());
            return "deleted (directory)".to_owned();
        }
        return "nothing to delete".to_owned();
    };
    let dst = match image.resolve(view.fs(), target) {
        Err(e) => return format!("skipped: {e}"),
        Ok(dst) => dst,
    };
    if let Some(skip) = guard(image, &dst, "target") {
        return skip;
    }
    if view.is_dir(&dst) {
        return format!(
            "skipped: the target {} is a directory",
            image.win_path(&dst)
        );
    }
    match view.content(&src) {
        None => "skipped: the source is missing".to_owned(),
        Some(_) if view.exists(&dst) && !op.replace => {
            "skipped: the target exists and the entry does not allow replacing it".to_owned()
        }
        Some(c) => {
            view.put(&dst, c);
            view.remove(&src);
            "renamed".to_owned()
        }
    }
}

/// Removes each directory the deletes left empty, and its parents that
/// this leaves empty in turn; never the Windows folder or the drive's
/// top-level folders, and never a directory that was empty before (it is
/// not in `emptied`).
fn remove_emptied(view: &mut View<'_>, emptied: Vec<RelPath>) {
    let windir = view.image().windir().as_str().to_lowercase();
    let mut todo = emptied;
    while let Some(dir) = todo.pop() {
        let lower = dir.as_str().to_lowercase();
        if lower == windir || !lower.contains('/') || view.image().protected(&dir).is_some() {
            continue;
        }
        if view.is_empty_dir(&dir) {
            view.remove_dir(&dir);
            todo.extend(dir.parent());
        }
    }
}

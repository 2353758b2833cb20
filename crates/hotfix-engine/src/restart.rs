//! `hotfix restart`: Session Manager's boot-time step. Processes
//! `PendingFileRenameOperations` (then `...2`) in order and removes the
//! values, all in one transaction: a crash leaves the queue and the files
//! exactly as before, and running again does every operation once.

use hotfix_pending::display_path;
use hotfix_txn::RelPath;
use serde::Serialize;

use crate::EngineError;
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

/// One queue entry on the view: the delete or rename, or why it is skipped.
fn step(
    view: &mut View<'_>,
    session: &Session<'_>,
    src: &RelPath,
    target: Option<&str>,
    replace: bool,
    guard: &dyn Fn(&RelPath, &str) -> Option<String>,
) -> String {
    let image = &session.image;
    let Some(target) = target else {
        if view.exists(src) {
            view.remove(src);
            return "deleted".to_owned();
        }
        return "nothing to delete".to_owned();
    };
    let dst = match image.resolve(session.fs, target) {
        Err(e) => return format!("skipped: {e}"),
        Ok(dst) => dst,
    };
    if let Some(skip) = guard(&dst, "target") {
        return skip;
    }
    if view.is_dir(&dst) {
        return format!(
            "skipped: the target {} is a directory",
            image.win_path(&dst)
        );
    }
    match view.content(src) {
        None => "skipped: the source is missing".to_owned(),
        Some(_) if view.exists(&dst) && !replace => {
            "skipped: the target exists and the entry does not allow replacing it".to_owned()
        }
        Some(c) => {
            view.put(&dst, c);
            view.remove(src);
            "renamed".to_owned()
        }
    }
}

/// Processes the queue.
pub fn restart(session: &Session<'_>, command_line: &str) -> Result<RestartReport, EngineError> {
    let image = &session.image;
    let mut view = View::new(session.fs, image);
    let mut reg = Registry::load(&view, image)?;
    let queue = reg.queue();
    let mut steps = Vec::new();
    // The image's queue is as untrusted as the image: an entry may not
    // move or replace hotfix's state or a hive (the next command could not
    // open the image), nor rename onto a directory. Such an entry is
    // skipped with its reason and dropped with the rest of the queue, so it
    // cannot block later restarts either.
    let guard = |rel: &RelPath, role: &str| {
        image.protected(rel).map(|why| {
            format!(
                "skipped: the {role} {} is {why}, which a queued rename may not touch",
                image.win_path(rel)
            )
        })
    };
    for op in &queue.ops {
        let resolved = image.resolve(session.fs, &op.source);
        let result = match (resolved, &op.target) {
            (Err(e), _) => format!("skipped: {e}"),
            (Ok(src), target) => match guard(&src, "source") {
                Some(skip) => skip,
                None => step(
                    &mut view,
                    session,
                    &src,
                    target.as_deref(),
                    op.replace,
                    &guard,
                ),
            },
        };
        steps.push(RestartStep {
            source: display_path(&op.source).to_owned(),
            target: op.target.as_deref().map(|t| display_path(t).to_owned()),
            result,
        });
    }
    if !queue.is_empty() {
        reg.set_queue(&Default::default())?;
    }
    let sm = reg.session_manager();
    if reg
        .hive(HiveName::System)
        .get(&sm, "AllowProtectedRenames")
        .is_some()
    {
        reg.hive_mut(HiveName::System)
            .delete_value(&sm, "AllowProtectedRenames")
            .map_err(hive_err)?;
    }
    reg.store(&mut view)?;
    view.commit("restart", command_line)?;
    Ok(RestartReport { steps })
}

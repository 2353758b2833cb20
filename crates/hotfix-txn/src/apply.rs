//! The apply passes, roll back, clean up and recovery (`docs/design.md` §3, §5).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use hotfix_fs::{Fs, copy_file, remove_tree};

use crate::journal::{Journal, JournalState, Op};
use crate::{HostKey, RelPath, StateDir, TxnError};

/// What [`recover`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// No interrupted transaction.
    Nothing,
    /// An interrupted preparation left only staging files; they were removed.
    /// The image is in its pre-state.
    RemovedLeftovers,
    /// An interrupted transaction was rolled back: the image is as before it.
    RolledBack {
        /// The transaction's title.
        title: String,
        /// The command that started it.
        command: String,
    },
    /// A committed transaction's cleanup was finished: the image is as after it.
    Completed {
        /// The transaction's title.
        title: String,
        /// The command that started it.
        command: String,
    },
}

impl Recovered {
    /// One sentence for the user and the recovery log.
    pub fn describe(&self) -> Option<String> {
        match self {
            Self::Nothing => None,
            Self::RemovedLeftovers => Some(
                "removed the staging files of an interrupted run that had not changed anything; the image is as it was".into(),
            ),
            Self::RolledBack { title, command } => Some(format!(
                "rolled back the interrupted transaction \"{title}\" (from `{command}`); the image is as it was before it"
            )),
            Self::Completed { title, command } => Some(format!(
                "finished the interrupted transaction \"{title}\" (from `{command}`), which had already committed; the image is as after it"
            )),
        }
    }
}

fn host(sd: &StateDir, p: &RelPath) -> PathBuf {
    sd.host(p)
}

fn exists(fs: &dyn Fs, sd: &StateDir, p: &RelPath) -> bool {
    fs.exists(&host(sd, p))
}

fn rename(fs: &dyn Fs, sd: &StateDir, from: &RelPath, to: &RelPath) -> Result<(), TxnError> {
    fs.rename(&host(sd, from), &host(sd, to))
        .map_err(|e| TxnError::io(format!("rename {from} to {to}"), e))
}

fn remove_if_present(fs: &dyn Fs, sd: &StateDir, p: &RelPath) -> Result<(), TxnError> {
    match fs.remove_file(&host(sd, p)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(TxnError::io(format!("remove {p}"), e))
        }
        _ => Ok(()),
    }
}

/// A hard link where the filesystem has them, else a synced copy.
fn link_or_copy(fs: &dyn Fs, sd: &StateDir, from: &RelPath, to: &RelPath) -> Result<(), TxnError> {
    let (f, t) = (host(sd, from), host(sd, to));
    match fs.hard_link(&f, &t) {
        Err(e) if e.kind() == io::ErrorKind::Unsupported => copy_file(fs, &f, &t).map(drop),
        other => other,
    }
    .map_err(|e| TxnError::io(format!("preserve {from} as {to}"), e))
}

/// Above this many distinct directories, a barrier is one filesystem sync
/// instead of an `fsync` per directory: each `fsync` also flushes the
/// device's cache, and a service pack touches dozens of directories.
const DIRS_PER_FSYNC_BARRIER: usize = 4;

/// Makes the entries of every distinct directory in `dirs` durable: an
/// `fsync` each, or one `syncfs` when there are many. A directory that no
/// longer exists has nothing to make durable (its removal is its parent's
/// business, and the parent is in the set whenever we removed it).
pub(crate) fn barrier<'p>(
    fs: &dyn Fs,
    dirs: impl IntoIterator<Item = &'p Path>,
) -> Result<(), TxnError> {
    let unique: BTreeSet<&Path> = dirs.into_iter().collect();
    if unique.len() > DIRS_PER_FSYNC_BARRIER {
        let any = unique.iter().find(|d| fs.exists(d)).copied();
        if let Some(d) = any {
            return fs
                .sync_fs(d)
                .map_err(|e| TxnError::io(format!("sync the filesystem of {}", d.display()), e));
        }
    }
    for d in unique {
        match fs.sync_dir(d) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => {
                other.map_err(|e| TxnError::io(format!("sync directory {}", d.display()), e))?
            }
        }
    }
    Ok(())
}

/// Parent directories (host paths) of the given image paths.
fn parents<'r>(sd: &StateDir, paths: impl IntoIterator<Item = &'r RelPath>) -> Vec<PathBuf> {
    paths
        .into_iter()
        .map(|p| match p.parent() {
            Some(parent) => host(sd, &parent),
            None => sd.root().to_path_buf(),
        })
        .collect()
}

fn sync_parents<'r>(
    fs: &dyn Fs,
    sd: &StateDir,
    paths: impl IntoIterator<Item = &'r RelPath>,
) -> Result<(), TxnError> {
    let dirs = parents(sd, paths);
    barrier(fs, dirs.iter().map(PathBuf::as_path))
}

/// Operations grouped for barriers: one group in batched mode, one group per
/// operation in sequential mode (`docs/design.md` §3, step 5).
fn groups(ops: &[Op], sequential: bool) -> Vec<&[Op]> {
    if sequential {
        ops.chunks(1).collect()
    } else {
        vec![ops]
    }
}

/// PA for one operation: preserve the old bytes, create new names.
fn preserve(
    fs: &dyn Fs,
    sd: &StateDir,
    op: &Op,
    touched: &mut Vec<RelPath>,
) -> Result<(), TxnError> {
    match op {
        Op::Put {
            target,
            existed: true,
            preserve,
            ..
        } => {
            for p in preserve {
                if !exists(fs, sd, &p.path) {
                    link_or_copy(fs, sd, target, &p.path)?;
                }
                touched.push(p.path.clone());
            }
        }
        Op::Link { from, to } => {
            if !exists(fs, sd, to) {
                link_or_copy(fs, sd, from, to)?;
            }
            touched.push(to.clone());
        }
        _ => {}
    }
    Ok(())
}

/// The rename that switches an operation in: the new bytes onto the target,
/// or a removed file out of the way. `(from, to)`.
fn switch_rename(op: &Op) -> Option<(&RelPath, &RelPath)> {
    match op {
        Op::Put { target, staged, .. } => Some((staged, target)),
        Op::Remove { target, to, .. } => Some((target, to)),
        _ => None,
    }
}

/// PB (`forward`: switch the new bytes in, move removed files away) or RB
/// (undo that where it happened) for one operation.
fn switch(
    fs: &dyn Fs,
    sd: &StateDir,
    op: &Op,
    touched: &mut Vec<RelPath>,
    forward: bool,
) -> Result<(), TxnError> {
    let Some((from, to)) = switch_rename(op) else {
        return Ok(());
    };
    if forward {
        if exists(fs, sd, from) {
            rename(fs, sd, from, to)?;
        }
    } else if exists(fs, sd, to) && !exists(fs, sd, from) {
        rename(fs, sd, to, from)?;
    }
    touched.extend([from.clone(), to.clone()]);
    Ok(())
}

/// RA for one operation: bring the old bytes back.
fn restore(
    fs: &dyn Fs,
    sd: &StateDir,
    op: &Op,
    touched: &mut Vec<RelPath>,
) -> Result<(), TxnError> {
    if let Op::Put {
        target,
        existed: true,
        preserve,
        ..
    } = op
    {
        if !exists(fs, sd, target) {
            let source = preserve
                .iter()
                .find(|p| exists(fs, sd, &p.path))
                .ok_or_else(|| {
                    TxnError::Plan(format!("no preserved copy left to restore {target}"))
                })?;
            rename(fs, sd, &source.path, target)?;
        }
        touched.push(target.clone());
    }
    Ok(())
}

/// RC for one operation: remove what it created.
fn uncreate(
    fs: &dyn Fs,
    sd: &StateDir,
    op: &Op,
    touched: &mut Vec<RelPath>,
) -> Result<(), TxnError> {
    match op {
        Op::Put { preserve, .. } => {
            for p in preserve {
                remove_if_present(fs, sd, &p.path)?;
                touched.push(p.path.clone());
            }
        }
        Op::Link { to, .. } => {
            remove_if_present(fs, sd, to)?;
            touched.push(to.clone());
        }
        Op::MakeDir { path } => {
            let h = host(sd, path);
            if fs.read_dir(&h).is_ok_and(|entries| entries.is_empty()) {
                fs.remove_dir(&h)
                    .map_err(|e| TxnError::io(format!("remove directory {path}"), e))?;
            }
            touched.push(path.clone());
        }
        Op::Remove { .. } => {}
    }
    Ok(())
}

type Step = fn(&dyn Fs, &StateDir, &Op, &mut Vec<RelPath>) -> Result<(), TxnError>;

/// Runs `step` over `ops` (forwards or backwards), then a barrier over the
/// parents of every path it touched.
fn pass(
    fs: &dyn Fs,
    sd: &StateDir,
    ops: &[Op],
    backwards: bool,
    step: Step,
) -> Result<(), TxnError> {
    let mut touched = Vec::new();
    if backwards {
        for op in ops.iter().rev() {
            step(fs, sd, op, &mut touched)?;
        }
    } else {
        for op in ops {
            step(fs, sd, op, &mut touched)?;
        }
    }
    sync_parents(fs, sd, &touched)
}

/// Applies the operations: directories, then per group preserve and switch,
/// each followed by a barrier.
pub(crate) fn apply(
    fs: &dyn Fs,
    sd: &StateDir,
    ops: &[Op],
    sequential: bool,
) -> Result<(), TxnError> {
    let mut made = Vec::new();
    for op in ops {
        if let Op::MakeDir { path } = op {
            if !exists(fs, sd, path) {
                fs.create_dir(&host(sd, path))
                    .map_err(|e| TxnError::io(format!("create directory {path}"), e))?;
            }
            made.push(path.clone());
        }
    }
    sync_parents(fs, sd, &made)?;
    for group in groups(ops, sequential) {
        pass(fs, sd, group, false, preserve)?;
        pass(fs, sd, group, false, |fs, sd, op, t| {
            switch(fs, sd, op, t, true)
        })?;
    }
    Ok(())
}

/// Undoes whatever part of the operations happened, group by group in
/// reverse, each step followed by a barrier; then removes the staging area
/// and the journal.
pub(crate) fn rollback(
    fs: &dyn Fs,
    sd: &StateDir,
    ops: &[Op],
    sequential: bool,
) -> Result<(), TxnError> {
    for group in groups(ops, sequential).into_iter().rev() {
        pass(fs, sd, group, true, |fs, sd, op, t| {
            switch(fs, sd, op, t, false)
        })?;
        pass(fs, sd, group, true, restore)?;
        pass(fs, sd, group, true, uncreate)?;
    }
    finish(fs, sd)
}

/// After the commit point: drop scratch copies, the staging area, the journal.
pub(crate) fn cleanup(fs: &dyn Fs, sd: &StateDir, ops: &[Op]) -> Result<(), TxnError> {
    for op in ops {
        match op {
            Op::Put { preserve, .. } => {
                for p in preserve.iter().filter(|p| !p.keep) {
                    remove_if_present(fs, sd, &p.path)?;
                }
            }
            Op::Remove {
                to, keep: false, ..
            } => remove_if_present(fs, sd, to)?,
            _ => {}
        }
    }
    finish(fs, sd)
}

/// Removes the staging area durably, then the journal durably.
fn finish(fs: &dyn Fs, sd: &StateDir) -> Result<(), TxnError> {
    let state = host(sd, sd.dir());
    remove_tree(fs, &host(sd, &sd.txn_dir()))
        .map_err(|e| TxnError::io("remove staging area", e))?;
    remove_if_present(fs, sd, &sd.journal_tmp())?;
    barrier(fs, [state.as_path()])?;
    remove_if_present(fs, sd, &sd.journal())?;
    barrier(fs, [state.as_path()])
}

/// Finishes or rolls back an interrupted transaction. The caller holds the
/// image lock. Appends a line to the recovery log when it did something.
///
/// A journal this host cannot prove it wrote (no valid MAC under the host
/// key, `docs/design.md` §4) is refused and left where it is, with the
/// staging area: nothing is replayed, removed or logged in the image.
pub fn recover(fs: &dyn Fs, sd: &StateDir) -> Result<Recovered, TxnError> {
    let journal_path = sd.journal();
    let outcome = match fs.read(&host(sd, &journal_path)) {
        Ok(bytes) => {
            let shown = host(sd, &journal_path).display().to_string();
            let key = HostKey::load(fs, sd.host_state())?;
            let journal = Journal::decode(&bytes, &shown, key.as_ref())?;
            journal.check_paths(sd, &shown)?;
            let (title, command) = (journal.title.clone(), journal.command.clone());
            match journal.state {
                JournalState::Prepared => {
                    rollback(fs, sd, &journal.ops, journal.sequential)?;
                    Recovered::RolledBack { title, command }
                }
                JournalState::Committed => {
                    cleanup(fs, sd, &journal.ops)?;
                    Recovered::Completed { title, command }
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let leftovers = [sd.txn_dir(), sd.journal_tmp()];
            if leftovers.iter().any(|p| exists(fs, sd, p)) {
                finish(fs, sd)?;
                Recovered::RemovedLeftovers
            } else {
                Recovered::Nothing
            }
        }
        Err(e) => return Err(TxnError::io(format!("read {journal_path}"), e)),
    };
    if let Some(line) = outcome.describe() {
        // The recovery log is diagnostic; failing to write it must not undo a
        // recovery that succeeded, so its error is only reported in the line.
        let path = host(sd, &sd.recovery_log());
        if let Ok(mut w) = fs.append(&path) {
            let _ = writeln!(w, "{}: {line}", crate::clock::utc_now());
        }
    }
    Ok(outcome)
}

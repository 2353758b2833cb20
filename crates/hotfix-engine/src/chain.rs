//! `hotfix chain`: QChain. Keeps, for every target in the boot-time rename
//! queue, only the newest copy, comparing the queued copies with each other
//! and with the file on disk (Q296861, KB815062).

use std::collections::HashMap;

use hotfix_pending::{ChainEntry, PendingQueue, qchain_log};
use serde::Serialize;

use crate::EngineError;
use crate::rank::{Facts, Rank};
use crate::registry::Registry;
use crate::session::Session;
use crate::view::View;

/// What `chain` did.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    /// Entries before.
    pub before: usize,
    /// Entries after.
    pub after: usize,
    /// The log text in QChain's layout.
    pub log: String,
    /// Set when the queue was committed but the log could not be written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_warning: Option<String>,
}

fn facts_of(view: &View<'_>, nt: &str) -> Result<Option<Facts>, EngineError> {
    let Ok(rel) = view.image().resolve(view.fs(), nt) else {
        return Ok(None);
    };
    Ok(view.read(&rel)?.map(|b| Facts::of(&b)))
}

/// One queued operation with what its source and target hold now.
struct Seen {
    entry: ChainEntry,
    source: Option<Facts>,
    target: Option<Facts>,
}

fn version(f: &Option<Facts>) -> Option<String> {
    f.as_ref()
        .and_then(|f| f.rank.version.map(|v| v.to_string()))
}

/// Rewrites the queue in `view`/`reg`; returns the before and after entries.
/// Every file is read and ranked once.
pub(crate) fn chain_queue(
    view: &mut View<'_>,
    reg: &mut Registry,
) -> Result<(Vec<ChainEntry>, Vec<ChainEntry>), EngineError> {
    let queue = reg.queue();
    let mut seen = Vec::with_capacity(queue.ops.len());
    for op in &queue.ops {
        let source = facts_of(view, &op.source)?;
        let target = match &op.target {
            Some(t) => facts_of(view, t)?,
            None => None,
        };
        seen.push(Seen {
            entry: ChainEntry {
                source: op.source.clone(),
                source_version: version(&source),
                target: op.target.clone().unwrap_or_default(),
                target_version: version(&target),
            },
            source,
            target,
        });
    }
    // The winning entry per target: highest rank among the queued sources.
    let mut best: HashMap<String, (usize, &Rank)> = HashMap::new();
    for (i, (op, s)) in queue.ops.iter().zip(&seen).enumerate() {
        let (Some(t), Some(f)) = (&op.target, &s.source) else {
            continue;
        };
        let key = t.to_lowercase();
        if best.get(&key).is_none_or(|(_, r)| **r < f.rank) {
            best.insert(key, (i, &f.rank));
        }
    }
    let mut kept = PendingQueue::default();
    let mut after = Vec::new();
    for (i, (op, s)) in queue.ops.iter().zip(&seen).enumerate() {
        let keep = match &op.target {
            None => !kept.ops.contains(op),
            Some(t) => match best.get(&t.to_lowercase()) {
                // Dropped too when the file on disk is already newer.
                Some((winner, rank)) if *winner == i => !matches!(&s.target,
                    Some(disk) if disk.rank.version.is_some() && disk.rank >= **rank),
                _ => false,
            },
        };
        if keep {
            kept.ops.push(op.clone());
            after.push(s.entry.clone());
        } else if op.target.is_some()
            && let Ok(src) = view.image().resolve(view.fs(), &op.source)
        {
            view.remove(&src);
        }
    }
    if kept != queue {
        reg.set_queue(&kept)?;
    }
    let before = seen.into_iter().map(|s| s.entry).collect();
    Ok((before, after))
}

/// Runs QChain over the image's queue and writes its log to `log_path`
/// (a host path; default `%windir%\qchain.log`).
///
/// The log is opened before the commit, so a log that cannot be written
/// stops the command with nothing changed; one whose write fails after
/// the commit is reported in [`ChainReport::log_warning`], never as a
/// roll back that did not happen.
pub fn chain(
    session: &Session<'_>,
    log_path: Option<&std::path::Path>,
    command_line: &str,
) -> Result<ChainReport, EngineError> {
    let image = &session.image;
    let mut view = View::new(session.fs, image);
    let mut reg = Registry::load(&view, image)?;
    let (before, after) = chain_queue(&mut view, &mut reg)?;
    reg.store(&mut view)?;
    let path = log_path.map_or_else(
        || image.host(&crate::install::join(image.windir(), "qchain.log")),
        std::path::Path::to_path_buf,
    );
    let mut f = session.fs.append(&path).map_err(|e| {
        EngineError::Usage(format!(
            "cannot write the QChain log {}: {e}; nothing was changed",
            path.display()
        ))
    })?;
    view.commit("chain", command_line)?;
    let log = qchain_log(&before, &after);
    // qchain_log already ends its lines with CRLF, as Windows tools expect.
    let log_warning = std::io::Write::write_all(&mut f, log.as_bytes())
        .and_then(|()| f.sync())
        .err()
        .map(|e| {
            format!(
                "the queue was rewritten and committed, but its log {} was not written: {e}",
                path.display()
            )
        });
    Ok(ChainReport {
        before: before.len(),
        after: after.len(),
        log,
        log_warning,
    })
}

//! `hotfix chain`: QChain. Keeps, for every target in the boot-time rename
//! queue, only the newest copy, comparing the queued copies with each other
//! and with the file on disk (Q296861, KB815062).

use std::collections::HashMap;

use hotfix_pending::{ChainEntry, PendingQueue, qchain_log};
use hotfix_txn::RelPath;
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
}

fn facts_of(view: &View<'_>, nt: &str) -> Result<Option<(RelPath, Facts)>, EngineError> {
    let Ok(rel) = view
        .image()
        .resolve(view.fs(), nt.trim_start_matches(['!', '@']))
    else {
        return Ok(None);
    };
    Ok(view.read(&rel)?.map(|b| (rel, Facts::of(&b))))
}

fn entries(view: &View<'_>, q: &PendingQueue) -> Result<Vec<ChainEntry>, EngineError> {
    let mut out = Vec::new();
    for op in &q.ops {
        let src = facts_of(view, &op.source)?;
        let dst = match &op.target {
            Some(t) => facts_of(view, t)?,
            None => None,
        };
        out.push(ChainEntry {
            source: op.source.clone(),
            source_version: src.and_then(|(_, f)| f.rank.version.map(|v| v.to_string())),
            target: op.target.clone().unwrap_or_default(),
            target_version: dst.and_then(|(_, f)| f.rank.version.map(|v| v.to_string())),
        });
    }
    Ok(out)
}

/// Rewrites the queue in `view`/`reg`; returns the before and after entries.
pub(crate) fn chain_queue(
    view: &mut View<'_>,
    reg: &mut Registry,
) -> Result<(Vec<ChainEntry>, Vec<ChainEntry>), EngineError> {
    let queue = reg.queue();
    let before = entries(view, &queue)?;
    // The winning entry per target: highest rank among the queued sources.
    let mut best: HashMap<String, (usize, Rank)> = HashMap::new();
    for (i, op) in queue.ops.iter().enumerate() {
        let Some(t) = &op.target else { continue };
        let Some((_, f)) = facts_of(view, &op.source)? else {
            continue;
        };
        let key = t.trim_start_matches(['!', '@']).to_lowercase();
        match best.get(&key) {
            Some((_, r)) if *r >= f.rank => {}
            _ => {
                best.insert(key, (i, f.rank));
            }
        }
    }
    let mut kept = PendingQueue::default();
    for (i, op) in queue.ops.iter().enumerate() {
        let keep = match &op.target {
            None => !kept.ops.contains(op),
            Some(t) => {
                let key = t.trim_start_matches(['!', '@']).to_lowercase();
                match best.get(&key) {
                    Some((winner, rank)) if *winner == i => {
                        // Drop it too when the file on disk is already newer.
                        !matches!(facts_of(view, t)?,
                            Some((_, disk)) if disk.rank.version.is_some() && disk.rank >= *rank)
                    }
                    _ => false,
                }
            }
        };
        if keep {
            kept.ops.push(op.clone());
        } else if op.target.is_some()
            && let Ok(src) = view.image().resolve(view.fs(), &op.source)
        {
            view.remove(&src);
        }
    }
    if kept != queue {
        reg.set_queue(&kept)?;
    }
    let after = entries(view, &kept)?;
    Ok((before, after))
}

/// Runs QChain over the image's queue and writes its log to `log_path`
/// (a host path; default `%windir%\qchain.log`).
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
    view.commit("chain", command_line)?;
    let log = qchain_log(&before, &after);
    let path = log_path.map_or_else(
        || image.host(&crate::install::join(image.windir(), "qchain.log")),
        std::path::Path::to_path_buf,
    );
    let mut f = session
        .fs
        .append(&path)
        .map_err(|e| EngineError::io("write", path.display(), e))?;
    // qchain_log already ends its lines with CRLF, as Windows tools expect.
    std::io::Write::write_all(&mut f, log.as_bytes())
        .and_then(|()| f.sync())
        .map_err(|e| EngineError::io("write", path.display(), e))?;
    Ok(ChainReport {
        before: before.len(),
        after: after.len(),
        log,
    })
}

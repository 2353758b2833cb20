//! Building and committing a transaction.

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use hotfix_fs::{Fs, remove_tree, write_atomic};
use sha2::{Digest, Sha256};

use crate::apply;
use crate::journal::{Journal, JournalState, Op, Preserve};
use crate::{HostKey, RelPath, StateDir, TxnError};

/// A file written to the staging area, ready to be switched in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// Where it waits.
    pub path: RelPath,
}

/// What a committed transaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files switched in.
    pub puts: usize,
    /// Files removed.
    pub removes: usize,
    /// New names given to existing bytes (backups, store entries).
    pub links: usize,
    /// Directories created.
    pub dirs: usize,
    /// Set when the transaction committed but its cleanup did not finish; the
    /// next run finishes it.
    pub cleanup_warning: Option<String>,
}

/// A transaction being built. Nothing outside `txn/` changes until
/// [`Txn::commit`]; dropping it without committing leaves only garbage in
/// `txn/`, which the next [`Txn::begin`] or [`crate::recover`] removes.
#[derive(Debug)]
pub struct Txn<'a> {
    fs: &'a dyn Fs,
    sd: StateDir,
    key: HostKey,
    journal: Journal,
    next: u64,
    claimed: HashSet<RelPath>,
    targets: HashSet<RelPath>,
    planned_dirs: HashSet<RelPath>,
    /// Directories seen on disk, so each is asked about once.
    existing_dirs: HashSet<RelPath>,
}

/// Writes the bytes of one staged file to the writer it is given.
pub type Fill<'f> = &'f (dyn Fn(&mut dyn Write) -> io::Result<()> + Sync);

/// Creates staged file `path` and lets `fill` write it.
fn write_staged(
    fs: &dyn Fs,
    sd: &StateDir,
    path: RelPath,
    fill: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> Result<Staged, TxnError> {
    let host = sd.host(&path);
    let what = |e| TxnError::io(format!("stage {path}"), e);
    let mut file = fs.create(&host).map_err(what)?;
    fill(&mut file).map_err(what)?;
    // The commit's one filesystem sync then finds most of it written.
    file.start_writeback();
    Ok(Staged { path })
}

fn txid() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = format!("{}:{}:{}", now.as_nanos(), std::process::id(), line!());
    hex::encode(&Sha256::digest(seed.as_bytes())[..8])
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl<'a> Txn<'a> {
    /// Starts a transaction: clears any stale staging area and creates a fresh
    /// one. The caller holds the image lock and has run [`crate::recover`].
    pub fn begin(
        fs: &'a dyn Fs,
        sd: &StateDir,
        title: &str,
        command: &str,
    ) -> Result<Self, TxnError> {
        // The key first: it must be durable before a journal it signs.
        let key = HostKey::load_or_create(fs, sd.host_state())?;
        let txn = sd.host(&sd.txn_dir());
        remove_tree(fs, &txn).map_err(|e| TxnError::io("remove stale staging area", e))?;
        let state = sd.host(sd.dir());
        hotfix_fs::create_dir_all(fs, &state)
            .map_err(|e| TxnError::io("create state directory", e))?;
        for sub in ["", "s", "b"] {
            let p = if sub.is_empty() {
                txn.clone()
            } else {
                txn.join(sub)
            };
            if let Err(e) = fs.create_dir(&p) {
                // Leave no half-made staging area behind a failed start.
                let _ = remove_tree(fs, &txn);
                return Err(TxnError::io(format!("create {}", p.display()), e));
            }
        }
        Ok(Self {
            fs,
            sd: sd.clone(),
            key,
            journal: Journal {
                txid: txid(),
                started: now_secs(),
                command: command.to_owned(),
                title: title.to_owned(),
                state: JournalState::Prepared,
                sequential: false,
                ops: Vec::new(),
            },
            next: 0,
            claimed: HashSet::new(),
            targets: HashSet::new(),
            planned_dirs: HashSet::new(),
            existing_dirs: HashSet::new(),
        })
    }

    /// The filesystem this transaction works on.
    pub fn fs(&self) -> &'a dyn Fs {
        self.fs
    }

    /// The state directory layout.
    pub fn state_dir(&self) -> &StateDir {
        &self.sd
    }

    fn fresh(&mut self, sub: &'static str) -> RelPath {
        self.next += 1;
        self.sd.staging(sub, self.next)
    }

    /// A fresh scratch path under `txn/b/` for old bytes nobody keeps.
    pub fn scratch(&mut self) -> RelPath {
        self.fresh("b")
    }

    /// Writes `data` to the staging area (made durable at commit) in one
    /// write.
    pub fn stage(&mut self, data: &[u8]) -> Result<Staged, TxnError> {
        let path = self.fresh("s");
        write_staged(self.fs, &self.sd, path, &mut |w| w.write_all(data))
    }

    /// Stages one file per `fills` entry, results in the same order. When
    /// the filesystem allows ([`Fs::concurrent_writes`]) the files are
    /// written from several threads: writing a service pack's payload into
    /// the page cache is bound by memory copies, not by the disk. The first
    /// failure in order is returned; files staged meanwhile are garbage the
    /// abort removes.
    pub fn stage_all(&mut self, fills: &[Fill<'_>]) -> Result<Vec<Staged>, TxnError> {
        let _span = tracing::debug_span!("stage", files = fills.len()).entered();
        let paths: Vec<RelPath> = fills.iter().map(|_| self.fresh("s")).collect();
        let (fs, sd) = (self.fs, &self.sd);
        let stage_one = |i: usize| write_staged(fs, sd, paths[i].clone(), &mut |w| fills[i](w));
        let threads = if fs.concurrent_writes() {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        } else {
            1
        };
        if threads == 1 || fills.len() < 2 {
            return (0..fills.len()).map(stage_one).collect();
        }
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let mut done: Vec<(usize, Result<Staged, TxnError>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        while !failed.load(Ordering::Relaxed) {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= fills.len() {
                                break;
                            }
                            let result = stage_one(i);
                            failed.fetch_or(result.is_err(), Ordering::Relaxed);
                            mine.push((i, result));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        // Indices are taken in order and each taken one is staged, so the
        // results are a prefix: complete, or ending at a failure.
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    fn exists(&self, p: &RelPath) -> bool {
        self.fs.exists(&self.sd.host(p))
    }

    /// Plans the creation of `dir` and its missing parents, outermost first.
    pub fn ensure_dir(&mut self, dir: &RelPath) -> Result<(), TxnError> {
        let mut missing = Vec::new();
        let mut cur = Some(dir.clone());
        while let Some(d) = cur {
            if self.planned_dirs.contains(&d) || self.existing_dirs.contains(&d) {
                break;
            }
            match self.fs.metadata(&self.sd.host(&d)) {
                Ok(m) if m.is_dir() => {
                    self.existing_dirs.insert(d);
                    break;
                }
                Ok(_) => return Err(TxnError::Plan(format!("{d} exists and is not a directory"))),
                Err(_) => missing.push(d.clone()),
            }
            cur = d.parent();
        }
        for d in missing.into_iter().rev() {
            self.planned_dirs.insert(d.clone());
            self.journal.ops.push(Op::MakeDir { path: d });
        }
        Ok(())
    }

    fn claim(&mut self, p: &RelPath) -> Result<(), TxnError> {
        // Scratch paths are fresh names in the staging area this transaction
        // created empty: only paths in the image can already exist.
        let fresh = p
            .parent()
            .is_some_and(|d| d.parent() == Some(self.sd.txn_dir()));
        if (!fresh && self.exists(p)) || !self.claimed.insert(p.clone()) {
            return Err(TxnError::Plan(format!(
                "{p} already exists or is claimed twice"
            )));
        }
        if let Some(parent) = p.parent() {
            self.ensure_dir(&parent)?;
        }
        Ok(())
    }

    /// Applies operation by operation instead of in batched passes (for the
    /// boot-time rename queue, whose operations may depend on each other).
    pub fn set_sequential(&mut self) {
        self.journal.sequential = true;
    }

    /// Plans switching `staged` in at `target`. When the target exists and
    /// `preserve` is empty, a scratch preserve is added so roll back can
    /// restore it. Preserve paths must not exist yet. In batched mode a
    /// target may be put only once per transaction.
    pub fn put(
        &mut self,
        target: &RelPath,
        staged: &Staged,
        mut preserve: Vec<Preserve>,
    ) -> Result<(), TxnError> {
        fits(target)?;
        if !self.journal.sequential && !self.targets.insert(target.clone()) {
            return Err(TxnError::Plan(format!(
                "{target} is replaced twice in one transaction"
            )));
        }
        let existed = match self.fs.metadata(&self.sd.host(target)) {
            Ok(m) if m.is_dir() => {
                return Err(TxnError::Plan(format!(
                    "{target} is a directory, not a file"
                )));
            }
            Ok(_) => true,
            Err(_) => false,
        };
        if existed && preserve.is_empty() {
            preserve.push(Preserve {
                path: self.scratch(),
                keep: false,
            });
        }
        if !existed {
            preserve.clear();
        }
        for p in &preserve {
            fits(&p.path)?;
            self.claim(&p.path)?;
        }
        if let Some(parent) = target.parent() {
            self.ensure_dir(&parent)?;
        }
        self.journal.ops.push(Op::Put {
            target: target.clone(),
            staged: staged.path.clone(),
            existed,
            preserve,
        });
        Ok(())
    }

    /// Plans a new file `to` holding the bytes `from` has when this operation
    /// runs (a hard link where possible). `to` must not exist yet.
    pub fn link(&mut self, from: &RelPath, to: &RelPath) -> Result<(), TxnError> {
        fits(from)?;
        fits(to)?;
        self.claim(to)?;
        self.journal.ops.push(Op::Link {
            from: from.clone(),
            to: to.clone(),
        });
        Ok(())
    }

    /// Plans moving `target` away: to `keep_at` (which belongs to the new
    /// state) or, when `None`, to scratch space removed at cleanup.
    pub fn remove(&mut self, target: &RelPath, keep_at: Option<RelPath>) -> Result<(), TxnError> {
        fits(target)?;
        let (to, keep) = match keep_at {
            Some(p) => {
                fits(&p)?;
                self.claim(&p)?;
                (p, true)
            }
            None => (self.scratch(), false),
        };
        self.journal.ops.push(Op::Remove {
            target: target.clone(),
            to,
            keep,
        });
        Ok(())
    }

    /// The operations planned so far.
    pub fn ops(&self) -> &[Op] {
        &self.journal.ops
    }

    /// Throws the transaction away before anything outside `txn/` changed.
    pub fn abort(self) -> Result<(), TxnError> {
        let txn = self.sd.host(&self.sd.txn_dir());
        remove_tree(self.fs, &txn).map_err(|e| TxnError::io("remove staging area", e))
    }

    fn write_journal(&self) -> Result<(), TxnError> {
        let path = self.sd.host(&self.sd.journal());
        write_atomic(self.fs, &path, &self.journal.encode(&self.key))
            .map_err(|e| TxnError::io(format!("write journal {}", self.sd.journal()), e))
    }

    /// Journals, applies, commits and cleans up (`docs/design.md` §3). On a
    /// failure before the commit point every change is rolled back and the
    /// staging area removed.
    pub fn commit(mut self) -> Result<Summary, TxnError> {
        let fs = self.fs;
        let state = self.sd.host(self.sd.dir());
        let sequential = self.journal.sequential;
        // One filesystem sync makes every staged file and the staging
        // directories durable before the journal names them. A failure while
        // journaling goes through the roll back too: the journal may already
        // be in place, and either way the staging area and the temporary
        // journal must go (roll back finds nothing applied).
        let applied = tracing::debug_span!("sync staged files")
            .in_scope(|| fs.sync_fs(&state))
            .map_err(|e| TxnError::io(format!("sync the filesystem of {}", self.sd.dir()), e))
            .and_then(|()| self.write_journal())
            .and_then(|()| {
                tracing::debug_span!("apply", ops = self.journal.ops.len())
                    .in_scope(|| apply::apply(fs, &self.sd, &self.journal.ops, sequential))
            })
            .and_then(|()| {
                self.journal.state = JournalState::Committed;
                self.write_journal()
            });
        if let Err(e) = applied {
            return Err(
                match apply::rollback(fs, &self.sd, &self.journal.ops, sequential) {
                    Ok(()) => TxnError::RolledBack {
                        source: Box::new(e),
                    },
                    Err(r) => TxnError::RollbackFailed {
                        apply: Box::new(e),
                        rollback: Box::new(r),
                    },
                },
            );
        }
        let mut summary = Summary::default();
        for op in &self.journal.ops {
            match op {
                Op::MakeDir { .. } => summary.dirs += 1,
                Op::Put { .. } => summary.puts += 1,
                Op::Link { .. } => summary.links += 1,
                Op::Remove { .. } => summary.removes += 1,
            }
        }
        let cleaned = tracing::debug_span!("clean up")
            .in_scope(|| apply::cleanup(fs, &self.sd, &self.journal.ops));
        if let Err(e) = cleaned {
            summary.cleanup_warning = Some(format!(
                "the transaction is committed, but cleaning up its staging area failed ({e}); the next hotfix run will finish it"
            ));
        }
        Ok(summary)
    }
}

/// Refuses, while planning, a path longer than Linux can name (a name over
/// `NAME_MAX`, a path under the root over `PATH_MAX`), so a transaction never
/// starts that would fail half-way and could not be rolled back.
fn fits(p: &RelPath) -> Result<(), TxnError> {
    hotfix_fs::check_path_len(std::path::Path::new(p.as_str()))
        .map_err(|e| TxnError::Plan(e.to_string()))
}

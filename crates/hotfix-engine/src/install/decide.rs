//! The one per-file decision, shared by `install` and `sp install`: rank
//! the offered copy against the file in the planned image and its queued
//! copy (R1–R3), then replace it, queue it (R5) or swap it (R6), keeping
//! the backup and leaving at most one queue entry per target.

use std::collections::BTreeSet;

use hotfix_hive::Value;
use hotfix_image::STOCK_KNOWN_DLLS;
use hotfix_model::{FileVersion, TagRank};
use hotfix_pending::{PendingOp, PendingQueue};
use hotfix_txn::RelPath;

use super::files::join;
use crate::EngineError;
use crate::log::InstallerLog;
use crate::record::{FileAction, sha256_hex};
use crate::registry::{HiveName, Registry, hive_err};
use crate::view::{Content, View};

/// The Session Manager value that lets a boot rename files under Windows
/// File Protection; without it the boot skips such renames.
pub(crate) const ALLOW_PROTECTED_RENAMES: &str = "AllowProtectedRenames";

/// A copy of a file offered for one target.
#[derive(Debug, Clone)]
pub struct Offer<'o> {
    /// Where it goes in the image.
    pub target: &'o RelPath,
    /// Its bytes (a service pack's stay in the package until the commit).
    pub content: Content,
    /// Its file version (`None`: unversioned, rule R2).
    pub version: Option<FileVersion>,
    /// Its build tag's rank (`Unknown` when the caller does not know it).
    pub tag: TagRank,
    /// Its SHA-256, when the caller has it; computed only on a tie otherwise.
    pub sha256: Option<String>,
    /// `ReplaceFilesIfExist`: only an existing file is replaced.
    pub if_exists: bool,
    /// Where the bytes it replaces are kept (`None`: no backup).
    pub backup: Option<RelPath>,
    /// Names the staged copy of an in-use file, `<name>.hf<owner>` (the KB).
    pub owner: &'o str,
}

/// What the decision did with one offer.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Replaced, queued, swapped or skipped.
    pub action: FileAction,
    /// What the target held before, when there was a file.
    pub old: Option<Content>,
    /// The old copy's version, when it had a readable one.
    pub old_version: Option<FileVersion>,
    /// The old copy's version was unreadable and ranked below the offer (R3).
    pub unreadable: bool,
    /// Kept because the copy there (or queued) has a higher version.
    pub newer_kept: bool,
    /// Where the new bytes went: the target, or its staged copy (R5).
    pub placed: Option<RelPath>,
    /// The backup made of the old bytes.
    pub backup: Option<RelPath>,
    /// A KnownDLL's mapped copy, moved aside and queued for deletion (R6).
    pub aside: Option<RelPath>,
}

/// What the running system does to files: which it holds open, which it
/// maps as KnownDLLs. Loaded once per command; [`FileRules::decide`] is
/// the rule every payload file of a hotfix or a service pack goes through.
#[derive(Debug, Clone)]
pub struct FileRules {
    in_use: BTreeSet<String>,
    known: BTreeSet<String>,
    system32: String,
    dllcache: RelPath,
    strict_versions: bool,
}

/// Version facts of one copy.
struct Facts {
    version: Option<FileVersion>,
    tag: TagRank,
    error: Option<String>,
}

fn facts_of(view: &View<'_>, c: &Content) -> Result<Facts, EngineError> {
    let info = match c {
        // Only the version resource of a file on disk is read.
        Content::Disk(p) => {
            let host = view.image().host(p);
            let err = |e| EngineError::io("read", view.image().win_path(p), e);
            let file = view.fs().open_read_at(&host).map_err(err)?;
            hotfix_pe::read_version_at(&*file).map_err(err)?
        }
        other => hotfix_pe::read_version(&view.bytes_of(other)?),
    };
    Ok(match info {
        Ok(i) => Facts {
            version: Some(i.file_version),
            tag: i.build_tag().map_or(TagRank::Unknown, |t| t.rank()),
            error: None,
        },
        Err(e) => Facts {
            version: None,
            tag: TagRank::Unknown,
            error: Some(e.to_string()),
        },
    })
}

/// Whether two copies hold the same bytes (lengths first).
fn same_bytes(view: &View<'_>, a: &Content, b: &Content) -> Result<bool, EngineError> {
    if view.len_of(a) != view.len_of(b) {
        return Ok(false);
    }
    if let (Content::Packaged(f), Content::Disk(p)) | (Content::Disk(p), Content::Packaged(f)) =
        (a, b)
    {
        let host = view.image().host(p);
        let file = view
            .fs()
            .open_read_at(&host)
            .map_err(|e| EngineError::io("read", view.image().win_path(p), e))?;
        return Ok(f.matches(&*file)?);
    }
    Ok(view.bytes_of(a)? == view.bytes_of(b)?)
}

/// The first of `candidate(0)`, `candidate(1)`, ... naming no file in the
/// planned image.
pub(crate) fn first_free(view: &View<'_>, candidate: impl Fn(u32) -> RelPath) -> RelPath {
    (0..)
        .map(candidate)
        .find(|p| !view.exists(p))
        .expect("an unbounded range has a free name")
}

/// Where an in-use file's new copy waits for the restart: beside the
/// target, as `<name>.hf<KB>` (rule R5).
fn staged_name(target: &RelPath, owner: &str) -> RelPath {
    let parent = target.parent().unwrap_or_else(|| target.clone());
    join(&parent, &format!("{}.hf{owner}", target.file_name()))
}

impl FileRules {
    /// Reads the in-use list and the KnownDLLs (the SYSTEM hive's list and
    /// the stock one: Session Manager maps those on any XP).
    pub fn load(
        view: &View<'_>,
        reg: &Registry,
        strict_versions: bool,
    ) -> Result<Self, EngineError> {
        let image = view.image();
        let mut known = reg.known_dlls();
        known.extend(STOCK_KNOWN_DLLS.iter().map(|d| format!("{d}.dll")));
        known.insert("ntdll.dll".into());
        let system32 = join(image.windir(), "system32");
        Ok(Self {
            in_use: hotfix_image::in_use(view.fs(), image)?,
            known,
            system32: system32.as_str().to_lowercase(),
            dllcache: join(&system32, "dllcache"),
            strict_versions,
        })
    }

    fn in_system32(&self, p: &RelPath) -> bool {
        p.parent()
            .is_some_and(|d| d.as_str().to_lowercase() == self.system32)
    }

    fn is_known_dll(&self, p: &RelPath) -> bool {
        self.in_system32(p) && self.known.contains(&p.file_name().to_lowercase())
    }

    /// Under Windows File Protection: a KnownDLL, or a file with a copy
    /// in `system32\dllcache`.
    fn is_protected(&self, view: &View<'_>, p: &RelPath) -> bool {
        self.is_known_dll(p) || view.exists(&join(&self.dllcache, p.file_name()))
    }

    /// Decides one offer and plans it on `view` (and `queue`), logging why.
    pub fn decide(
        &self,
        view: &mut View<'_>,
        queue: &mut PendingQueue,
        log: &mut InstallerLog,
        offer: Offer<'_>,
    ) -> Result<Decision, EngineError> {
        let target = offer.target;
        let win = view.image().win_path(target);
        if view.is_dir(target) {
            return Err(EngineError::TargetIsDirectory { path: win });
        }
        let old = view.content(target);
        let mut d = Decision {
            action: FileAction::SkippedNotNewer,
            old: old.clone(),
            old_version: None,
            unreadable: false,
            newer_kept: false,
            placed: None,
            backup: None,
            aside: None,
        };
        let Some(cur) = old else {
            if offer.if_exists {
                d.action = FileAction::SkippedAbsent;
                return Ok(d);
            }
            return self.place(view, queue, log, offer, d, None);
        };
        // An unversioned offer is compared by bytes (R2): the version of
        // the file there is not read.
        let versioned = |c: &Content| match offer.version {
            Some(_) => facts_of(view, c),
            None => Ok(Facts {
                version: None,
                tag: TagRank::Unknown,
                error: None,
            }),
        };
        let cf = versioned(&cur)?;
        d.old_version = cf.version;
        if let (Some(problem), Some(v)) = (&cf.error, offer.version) {
            if self.strict_versions {
                return Err(EngineError::UnreadableVersion {
                    path: win,
                    problem: problem.clone(),
                });
            }
            log.line(format!(
                "Unable to get File Version of {win} ({problem}); it ranks below the package's {v} and will be replaced (rule R3)"
            ));
            d.unreadable = true;
        }
        let queued = queued_source(view, queue, target).map(|s| view.content(&s));
        let mut against = vec![(cur.clone(), cf)];
        if let Some(Some(q)) = queued {
            let qf = versioned(&q)?;
            against.push((q, qf));
        }
        let newer = match offer.version {
            // R2: the last copy (queued, else on disk) decides.
            None => {
                let (last, _) = against.last().expect("the file on disk is there");
                !same_bytes(view, &offer.content, last)?
            }
            Some(_) => {
                let mut newer = true;
                for (c, f) in &against {
                    if !self.outranks(view, &offer, c, f)? {
                        newer = false;
                        d.newer_kept |= f.version > offer.version;
                    }
                }
                newer
            }
        };
        if !newer {
            log.line(format!(
                "{win}: not replaced; the package's {} is not newer than the copy on the system or queued",
                version_text(offer.version)
            ));
            return Ok(d);
        }
        self.place(view, queue, log, offer, d, Some(cur))
    }

    /// Rule R1: `(version, build tag, SHA-256)`; the digests are computed
    /// only when version and tag tie, and equal bytes never outrank.
    fn outranks(
        &self,
        view: &View<'_>,
        offer: &Offer<'_>,
        c: &Content,
        f: &Facts,
    ) -> Result<bool, EngineError> {
        let (mine, theirs) = ((offer.version, offer.tag), (f.version, f.tag));
        if mine != theirs {
            return Ok(mine > theirs);
        }
        if same_bytes(view, &offer.content, c)? {
            return Ok(false);
        }
        let sha = match &offer.sha256 {
            Some(s) => s.clone(),
            None => sha256_hex(&view.bytes_of(&offer.content)?),
        };
        Ok(sha > sha256_hex(&view.bytes_of(c)?))
    }

    /// Puts the offer in place: swapped (KnownDLL), queued (in use) or
    /// replaced, after backing up the old bytes.
    fn place(
        &self,
        view: &mut View<'_>,
        queue: &mut PendingQueue,
        log: &mut InstallerLog,
        offer: Offer<'_>,
        mut d: Decision,
        cur: Option<Content>,
    ) -> Result<Decision, EngineError> {
        let target = offer.target;
        let win = view.image().win_path(target);
        let new = version_text(offer.version);
        let was = cur
            .as_ref()
            .map_or_else(|| "(absent)".to_owned(), |_| version_text(d.old_version));
        if let (Some(c), Some(b)) = (&cur, &offer.backup) {
            view.put(b, c.clone());
            d.backup = Some(b.clone());
        }
        let image = view.image();
        let nt = image.nt_path(target);
        if cur.is_some() && self.is_known_dll(target) {
            // The running copy may already be moved aside (by an earlier
            // package of this run, or an install not yet restarted).
            let aside_prefix = format!("{nt}.hfold").to_lowercase();
            let swapped = queue.ops.iter().any(|op| {
                op.target.is_none() && op.source.to_lowercase().starts_with(&aside_prefix)
            });
            drop_queued(view, queue, log, target);
            if swapped {
                log.line(format!(
                    "{win} is a KnownDLL whose running copy is already set aside: put {new} in place (rule R6)"
                ));
            } else {
                let parent = target.parent().unwrap_or_else(|| target.clone());
                let aside = first_free(view, |n| {
                    join(&parent, &format!("{}.hfold{}", target.file_name(), n + 1))
                });
                if let Some(c) = &cur {
                    view.put(&aside, c.clone());
                }
                enqueue(queue, PendingOp::delete(view.image().nt_path(&aside)));
                d.aside = Some(aside.clone());
                log.line(format!(
                    "{win} is a KnownDLL: moved the mapped copy ({was}) aside to {} and put {new} in place; the old copy is deleted at restart (rule R6)",
                    aside.file_name()
                ));
            }
            view.put(target, offer.content);
            d.action = FileAction::KnownDllSwap;
            d.placed = Some(target.clone());
        } else if self.in_use.contains(&target.as_str().to_lowercase()) {
            drop_queued(view, queue, log, target);
            let staged = staged_name(target, offer.owner);
            view.put(&staged, offer.content);
            enqueue(queue, PendingOp::replace(view.image().nt_path(&staged), nt));
            log.line(format!(
                "{win} is in use: staged {new} as {} and queued it for the restart (PendingFileRenameOperations)",
                staged.file_name()
            ));
            d.action = FileAction::Queued;
            d.placed = Some(staged);
        } else {
            drop_queued(view, queue, log, target);
            view.put(target, offer.content);
            log.line(format!("Copied {new} to {win} (was {was})"));
            d.action = FileAction::Replaced;
            d.placed = Some(target.clone());
        }
        Ok(d)
    }

    /// Writes `queue` into the SYSTEM hive when it changed, with
    /// `AllowProtectedRenames` = 1 when it renames a protected file (the
    /// originals set it; a real boot skips such renames without it).
    pub fn save_queue(
        &self,
        view: &View<'_>,
        reg: &mut Registry,
        queue: &PendingQueue,
    ) -> Result<(), EngineError> {
        if *queue == reg.queue() {
            return Ok(());
        }
        reg.set_queue(queue)?;
        let image = view.image();
        let protected = queue.ops.iter().any(|op| {
            op.target.as_deref().is_some_and(|t| {
                image
                    .resolve(view.fs(), t)
                    .is_ok_and(|p| self.is_protected(view, &p))
            })
        });
        if protected {
            let sm = reg.session_manager();
            reg.hive_mut(HiveName::System)
                .set(&sm, ALLOW_PROTECTED_RENAMES, Value::Dword(1))
                .map_err(hive_err)?;
        }
        Ok(())
    }
}

/// Appends `op`, keeping the trailing entries hotfix queued (staged
/// `.hf<KB>` and moved-aside `.hfold<n>` sources, one per target and
/// independent of each other) in path order, so that the queue a batch
/// leaves does not depend on the order of its packages. Other installers'
/// entries keep their places: their order may matter.
fn enqueue(queue: &mut PendingQueue, op: PendingOp) {
    let ours = |op: &PendingOp| {
        let name = op.source.rsplit('\\').next().unwrap_or_default();
        name.to_lowercase().contains(".hf")
    };
    let key = |op: &PendingOp| op.target.as_deref().unwrap_or(&op.source).to_lowercase();
    let mut at = queue.ops.len();
    while at > 0 && ours(&queue.ops[at - 1]) && key(&queue.ops[at - 1]) > key(&op) {
        at -= 1;
    }
    queue.ops.insert(at, op);
}

/// The file queued to replace `target`, if any.
fn queued_source(view: &View<'_>, queue: &PendingQueue, target: &RelPath) -> Option<RelPath> {
    let nt = view.image().nt_path(target);
    let op = queue.ops.iter().find(|op| op.targets(&nt))?;
    view.image().resolve(view.fs(), &op.source).ok()
}

/// Drops the queue entry for `target`, deleting its staged source: a newer
/// copy replaces it, and the queue keeps one entry per target.
fn drop_queued(
    view: &mut View<'_>,
    queue: &mut PendingQueue,
    log: &mut InstallerLog,
    target: &RelPath,
) {
    let nt = view.image().nt_path(target);
    let Some(i) = queue.ops.iter().position(|op| op.targets(&nt)) else {
        return;
    };
    if let Ok(src) = view.image().resolve(view.fs(), &queue.ops[i].source)
        && &src != target
    {
        view.remove(&src);
    }
    let op = queue.ops.remove(i);
    log.line(format!(
        "CleanPFR: dropped the queued rename of {} to {}: a newer copy replaces it",
        op.source,
        op.target.unwrap_or_default()
    ));
}

fn version_text(v: Option<FileVersion>) -> String {
    v.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
}

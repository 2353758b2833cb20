//! Crashing a command at every mutating step (`docs/design.md` §9): count
//! the steps of a clean run, then for each step N crash there, build every
//! crash image, recover it by opening a session, and check that the image is
//! exactly the pre- or the post-state and that recovery said which.

use std::path::Path;

use hotfix_engine::{EngineError, Session, Wait};
use hotfix_fs::{CrashVariant, FaultFs, FaultKind, FaultPlan, Fs, MemFs};
use hotfix_txn::Recovered;

use crate::{Snapshot, snapshot};

/// A command under test: opens its own session on the filesystem it is
/// given and runs to the end.
pub type Command<'a> = &'a (dyn Fn(&dyn Fs) -> Result<(), EngineError> + Sync);

/// The crash images built at step `n`: the worst power cut, the
/// zero-length-file case, two torn cuts and a kill.
pub fn variants(n: u64) -> [CrashVariant; 5] {
    [
        CrashVariant::LoseUnsynced,
        CrashVariant::KeepMetadata,
        CrashVariant::Torn { seed: n },
        CrashVariant::Torn {
            seed: n.wrapping_mul(7919) ^ 0x5eed,
        },
        CrashVariant::KeepAll,
    ]
}

/// What one scenario's sweep checked.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// The scenario.
    pub name: String,
    /// Mutating steps of a clean run.
    pub steps: u64,
    /// Steps crashed at.
    pub crash_points: usize,
    /// Crash images recovered and compared.
    pub images: usize,
    /// Images that recovered to the pre-state.
    pub to_pre: usize,
    /// Images that recovered to the post-state.
    pub to_post: usize,
    /// Pre-state images on which the command was run again and reached
    /// the post-state.
    pub reruns: usize,
}

impl SweepReport {
    fn add(&mut self, o: &SweepReport) {
        self.crash_points += o.crash_points;
        self.images += o.images;
        self.to_pre += o.to_pre;
        self.to_post += o.to_post;
        self.reruns += o.reruns;
    }
}

/// A failed check, naming the step, the crash variant and the difference.
pub type SweepError = String;

fn snap(fs: &dyn Fs, root: &Path) -> Result<Snapshot, SweepError> {
    snapshot(fs, root).map_err(|e| format!("cannot read the image: {e}"))
}

fn open_recover(fs: &dyn Fs, root: &Path) -> Result<Recovered, EngineError> {
    Session::open(fs, root, Wait::NoWait, &mut hotfix_engine::Silent).map(|s| s.recovered.clone())
}

/// Crashes `run` at every one of its mutating steps on forks of `base` (an
/// image at `root` that is fully durable), spread over the machine's cores.
/// Returns the counts, or the first failed check.
pub fn sweep(
    name: &str,
    base: &MemFs,
    root: &Path,
    run: Command<'_>,
) -> Result<SweepReport, SweepError> {
    let pre = snap(base, root)?;
    let counted = FaultFs::new(base.fork());
    run(&counted).map_err(|e| format!("{name}: the clean run failed: {e}"))?;
    let post = snap(counted.inner(), root)?;
    if pre == post {
        return Err(format!("{name}: the command changed nothing"));
    }
    let total = counted.steps();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let check = Check {
        name,
        base,
        root,
        run,
        pre: &pre,
        post: &post,
    };
    let parts: Vec<Result<SweepReport, SweepError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let check = &check;
                s.spawn(move || {
                    let mut part = SweepReport::default();
                    for n in (1..=total).skip(w).step_by(workers) {
                        part.add(&check.crash_at(n)?);
                    }
                    Ok(part)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(format!("{name}: a sweep thread panicked")))
            })
            .collect()
    });
    let mut report = SweepReport {
        name: name.to_owned(),
        steps: total,
        ..Default::default()
    };
    for p in parts {
        report.add(&p?);
    }
    Ok(report)
}

struct Check<'a> {
    name: &'a str,
    base: &'a MemFs,
    root: &'a Path,
    run: Command<'a>,
    pre: &'a Snapshot,
    post: &'a Snapshot,
}

impl Check<'_> {
    fn crash_at(&self, n: u64) -> Result<SweepReport, SweepError> {
        let name = self.name;
        let live = self.base.fork();
        let faulty = FaultFs::with_plan(
            live.clone(),
            FaultPlan {
                at_step: n,
                kind: FaultKind::Crash,
            },
        );
        // The command fails (or, crashed while writing its log after the
        // commit, succeeds); either way only the image counts.
        let _ = (self.run)(&faulty);
        if !faulty.crashed() {
            return Err(format!(
                "{name} step {n}: no crash happened; the command's steps are not deterministic"
            ));
        }
        let mut part = SweepReport {
            crash_points: 1,
            ..Default::default()
        };
        for variant in variants(n) {
            let at = || format!("{name} step {n} {variant:?}");
            let img = live.crash_image(variant);
            let recovered = open_recover(&img, self.root)
                .map_err(|e| format!("{}: recovery failed: {e}", at()))?;
            let got = snap(&img, self.root)?;
            let is_pre = got == *self.pre;
            if is_pre {
                part.to_pre += 1;
                if matches!(recovered, Recovered::Completed { .. }) {
                    return Err(format!(
                        "{}: recovery said {recovered:?} but the image is the pre-state",
                        at()
                    ));
                }
            } else if got == *self.post {
                part.to_post += 1;
                if matches!(
                    recovered,
                    Recovered::RolledBack { .. } | Recovered::RemovedLeftovers
                ) {
                    return Err(format!(
                        "{}: recovery said {recovered:?} but the image is the post-state",
                        at()
                    ));
                }
            } else {
                return Err(format!(
                    "{}: after {recovered:?} the image is neither pre (first difference: {}) nor post ({})",
                    at(),
                    got.diff(self.pre).unwrap_or_default(),
                    got.diff(self.post).unwrap_or_default()
                ));
            }
            part.images += 1;
            let again = open_recover(&img, self.root)
                .map_err(|e| format!("{}: second open failed: {e}", at()))?;
            if again != Recovered::Nothing {
                return Err(format!(
                    "{}: recovery is not idempotent: then {again:?}",
                    at()
                ));
            }
            if is_pre && variant == CrashVariant::LoseUnsynced {
                (self.run)(&img).map_err(|e| format!("{}: the rerun failed: {e}", at()))?;
                let rerun = snap(&img, self.root)?;
                if let Some(d) = rerun.diff(self.post) {
                    return Err(format!(
                        "{}: the rerun did not reach the post-state: {d}",
                        at()
                    ));
                }
                part.reruns += 1;
            }
        }
        Ok(part)
    }
}

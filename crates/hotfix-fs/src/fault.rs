//! Counting and failing mutating steps.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{DirEntry, FileWriter, Fs, LockAttempt, LockGuard, Metadata, ReadSeek};

/// The kinds of mutating step that [`FaultFs`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// A file created or truncated (`create`/`append`).
    Create,
    /// One `write` call.
    Write,
    /// A file sync.
    Sync,
    /// A directory sync.
    SyncDir,
    /// A whole-filesystem sync.
    SyncFs,
    /// A rename.
    Rename,
    /// A hard link.
    Link,
    /// A file removal.
    Remove,
    /// A directory creation.
    Mkdir,
    /// A directory removal.
    Rmdir,
    /// A read-only attribute change.
    SetReadonly,
}

impl StepKind {
    /// Steps that need free space; a "disk full" fault stays in force for these.
    fn consumes_space(self) -> bool {
        matches!(self, Self::Create | Self::Write | Self::Mkdir | Self::Link)
    }
}

/// One counted step, for traces and failure reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based position in the run.
    pub n: u64,
    /// What the step did.
    pub kind: StepKind,
    /// The path it touched (the destination for renames and links).
    pub path: PathBuf,
}

/// What happens at the chosen step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The step fails with this errno (5 = EIO, 28 = ENOSPC, 13 = EACCES) and
    /// does not happen; later steps run normally.
    Errno(i32),
    /// Like `Errno`, but for ENOSPC-like faults: every later step that needs
    /// space fails too, as on a disk that stays full.
    Sticky(i32),
    /// The disk turns read-only or dies under the process: this step and
    /// every later mutating step fail with this errno (30 = EROFS, 5 = EIO)
    /// until [`FaultFs::heal`]; reads still work. What makes a roll back fail.
    Persistent(i32),
    /// The process "dies": this step and every later call fail, reads included.
    Crash,
}

/// When and how to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// 1-based step number.
    pub at_step: u64,
    /// The fault.
    pub kind: FaultKind,
}

#[derive(Debug, Default)]
struct FaultState {
    steps: u64,
    plan: Option<FaultPlan>,
    crashed: bool,
    trace: Option<Vec<Step>>,
}

/// Wraps another [`Fs`], counting mutating steps and injecting one fault.
#[derive(Debug, Clone)]
pub struct FaultFs<F> {
    inner: F,
    state: Arc<Mutex<FaultState>>,
}

fn crash_error() -> io::Error {
    io::Error::other("simulated crash: the process is gone")
}

impl<F: Fs> FaultFs<F> {
    /// Counts steps of `inner` without failing any.
    pub fn new(inner: F) -> Self {
        Self {
            inner,
            state: Arc::default(),
        }
    }

    /// Counts steps of `inner` and applies `plan`.
    pub fn with_plan(inner: F, plan: FaultPlan) -> Self {
        let fs = Self::new(inner);
        fs.lock_state().plan = Some(plan);
        fs
    }

    /// Records every step from now on (see [`FaultFs::trace`]).
    pub fn record_trace(&self) {
        self.lock_state().trace = Some(Vec::new());
    }

    /// The steps recorded since [`FaultFs::record_trace`].
    pub fn trace(&self) -> Vec<Step> {
        self.lock_state().trace.clone().unwrap_or_default()
    }

    /// Mutating steps so far.
    pub fn steps(&self) -> u64 {
        self.lock_state().steps
    }

    /// True once a `Crash` fault has fired.
    pub fn crashed(&self) -> bool {
        self.lock_state().crashed
    }

    /// Removes the cause: no step fails from now on (a crash stays a crash).
    pub fn heal(&self) {
        self.lock_state().plan = None;
    }

    /// The wrapped filesystem (for building a crash image from a `MemFs`).
    pub fn inner(&self) -> &F {
        &self.inner
    }

    fn lock_state(&self) -> MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn alive(&self) -> io::Result<()> {
        if self.lock_state().crashed {
            return Err(crash_error());
        }
        Ok(())
    }

    fn step(&self, kind: StepKind, path: &Path) -> io::Result<()> {
        step(&self.state, kind, path)
    }
}

fn step(state: &Mutex<FaultState>, kind: StepKind, path: &Path) -> io::Result<()> {
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    if st.crashed {
        return Err(crash_error());
    }
    st.steps += 1;
    let n = st.steps;
    if let Some(trace) = &mut st.trace {
        trace.push(Step {
            n,
            kind,
            path: path.to_path_buf(),
        });
    }
    let Some(plan) = st.plan else { return Ok(()) };
    let fail = |errno: i32| {
        Err(io::Error::new(
            io::Error::from_raw_os_error(errno).kind(),
            format!(
                "{} (injected at step {n}, os error {errno})",
                io::Error::from_raw_os_error(errno)
            ),
        ))
    };
    match plan.kind {
        FaultKind::Crash if n >= plan.at_step => {
            st.crashed = true;
            Err(crash_error())
        }
        FaultKind::Errno(e) if n == plan.at_step => fail(e),
        FaultKind::Persistent(e) if n >= plan.at_step => fail(e),
        FaultKind::Sticky(e)
            if n == plan.at_step || (n > plan.at_step && kind.consumes_space()) =>
        {
            fail(e)
        }
        _ => Ok(()),
    }
}

struct FaultWriter {
    inner: Box<dyn FileWriter>,
    state: Arc<Mutex<FaultState>>,
    path: PathBuf,
}

impl Write for FaultWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        step(&self.state, StepKind::Write, &self.path)?;
        // One counted step per call: write everything, so a short write does
        // not turn into extra unplanned steps.
        self.inner.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl FileWriter for FaultWriter {
    fn sync(&mut self) -> io::Result<()> {
        step(&self.state, StepKind::Sync, &self.path)?;
        self.inner.sync()
    }
    fn start_writeback(&mut self) {
        self.inner.start_writeback();
    }
}

impl<F: Fs> Fs for FaultFs<F> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.alive()?;
        self.inner.read(path)
    }
    fn read_limited(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        self.alive()?;
        self.inner.read_limited(path, max)
    }
    fn open(&self, path: &Path) -> io::Result<Box<dyn ReadSeek>> {
        self.alive()?;
        self.inner.open(path)
    }
    fn open_read_at(&self, path: &Path) -> io::Result<std::sync::Arc<dyn crate::ReadAt>> {
        self.alive()?;
        self.inner.open_read_at(path)
    }
    fn concurrent_writes(&self) -> bool {
        false
    }
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.alive()?;
        self.inner.metadata(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.alive()?;
        self.inner.read_dir(path)
    }
    fn free_space(&self, path: &Path) -> io::Result<u64> {
        self.alive()?;
        self.inner.free_space(path)
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        self.step(StepKind::Create, path)?;
        self.wrap(self.inner.create(path)?, path)
    }
    fn append(&self, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        self.step(StepKind::Create, path)?;
        self.wrap(self.inner.append(path)?, path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.step(StepKind::SyncDir, path)?;
        self.inner.sync_dir(path)
    }
    fn sync_fs(&self, path: &Path) -> io::Result<()> {
        self.step(StepKind::SyncFs, path)?;
        self.inner.sync_fs(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.step(StepKind::Rename, to)?;
        self.inner.rename(from, to)
    }
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.step(StepKind::Link, to)?;
        self.inner.hard_link(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.step(StepKind::Remove, path)?;
        self.inner.remove_file(path)
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.step(StepKind::Mkdir, path)?;
        self.inner.create_dir(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.step(StepKind::Rmdir, path)?;
        self.inner.remove_dir(path)
    }
    fn set_readonly(&self, path: &Path, readonly: bool) -> io::Result<()> {
        self.step(StepKind::SetReadonly, path)?;
        self.inner.set_readonly(path, readonly)
    }
    fn try_lock(&self, path: &Path) -> io::Result<LockAttempt> {
        self.alive()?;
        self.inner.try_lock(path)
    }
    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        self.alive()?;
        self.inner.lock(path)
    }
}

impl<F: Fs> FaultFs<F> {
    fn wrap(&self, inner: Box<dyn FileWriter>, path: &Path) -> io::Result<Box<dyn FileWriter>> {
        Ok(Box::new(FaultWriter {
            inner,
            state: self.state.clone(),
            path: path.to_path_buf(),
        }))
    }
}

//! Helpers shared by every crate's tests: whether an oracle tool is
//! available (skipping the test, or failing it under
//! `HOTFIX_REQUIRE_ORACLES=1`), deterministic pseudo-random bytes, byte
//! search, and [`Counted`], an in-memory file that counts what is read.
//!
//! It exists so that the format crates' tests need not depend on
//! hotfix-testkit, which pulls in the engine; it depends on hotfix-fs only.
#![deny(missing_docs)]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use hotfix_fs::ReadAt;

/// Whether the oracle `name` is available: runs `probe` (stdin, stdout and
/// stderr null) and asks for a successful exit. When it is not, see
/// [`oracle_missing`].
pub fn oracle_available(name: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        oracle_missing(name);
    }
    ok
}

/// Reports the oracle `name` missing: prints `skipped: NAME not installed`,
/// or panics when `HOTFIX_REQUIRE_ORACLES=1`, so that CI cannot pass
/// without it.
pub fn oracle_missing(name: &str) {
    if std::env::var("HOTFIX_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("{name} is required (HOTFIX_REQUIRE_ORACLES=1) but not installed");
    }
    println!("skipped: {name} not installed");
}

/// Whether the program `tool` is on PATH (`sh -c "command -v TOOL"`); see
/// [`oracle_available`].
pub fn have_tool(tool: &str) -> bool {
    oracle_available(
        tool,
        Command::new("sh").args(["-c", &format!("command -v {tool}")]),
    )
}

/// `len` deterministic, incompressible bytes from `seed` (xorshift64).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Where `needle` occurs in `hay`, if it occurs exactly once.
pub fn unique_position(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let mut hits = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle);
    let first = hits.next()?.0;
    hits.next().is_none().then_some(first)
}

/// An in-memory file that counts the bytes read from it, to check that a
/// reader reads only what it needs.
#[derive(Debug)]
pub struct Counted {
    bytes: Vec<u8>,
    read: AtomicU64,
}

impl Counted {
    /// A file holding `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            read: AtomicU64::new(0),
        }
    }

    /// The bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

impl ReadAt for Counted {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.read.fetch_add(buf.len() as u64, Ordering::Relaxed);
        self.bytes.read_exact_at(buf, offset)
    }
}

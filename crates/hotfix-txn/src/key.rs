//! The host key that binds journals to the host that wrote them
//! (`docs/design.md` §4, "Binding").
//!
//! The image is untrusted: whoever prepared it (or the Windows system that
//! ran from it) can plant a `$hotfix$\journal`. Recovery replays a journal
//! only when its MAC verifies under a key that never lives in an image, so
//! a journal is only ever one this host's hotfix wrote.

use std::io;
use std::path::{Path, PathBuf};

use hotfix_fs::{Fs, create_dir_all, write_atomic};

use crate::TxnError;

/// Environment variable that moves the host state (the key) elsewhere:
/// tests, CI and several independent installations on one host use it.
pub const STATE_DIR_ENV: &str = "HOTFIX_STATE_DIR";

/// The key file's name inside the host state directory.
const KEY_FILE: &str = "journal.key";

/// Length of the key in bytes.
pub const KEY_LEN: usize = 32;

/// Where this host keeps its hotfix state: `$HOTFIX_STATE_DIR`, else
/// `/var/lib/hotfix` for root, else `$XDG_STATE_HOME/hotfix` or
/// `~/.local/state/hotfix`.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if rustix::process::geteuid().is_root() {
        return PathBuf::from("/var/lib/hotfix");
    }
    if let Some(xdg) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(xdg).join("hotfix");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/state/hotfix"),
        None => PathBuf::from("/var/lib/hotfix"),
    }
}

/// A secret key kept on the host, outside every image.
#[derive(Clone)]
pub struct HostKey([u8; KEY_LEN]);

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostKey(..)")
    }
}

fn key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

impl HostKey {
    /// The key in `dir`, or `None` when this host never wrote one.
    pub fn load(fs: &dyn Fs, dir: &Path) -> Result<Option<Self>, TxnError> {
        let path = key_path(dir);
        let bytes = match fs.read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TxnError::io(format!("read host key {}", path.display()), e)),
        };
        let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            TxnError::io(
                format!("read host key {}", path.display()),
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} bytes, not {KEY_LEN}", bytes.len()),
                ),
            )
        })?;
        Ok(Some(Self(key)))
    }

    /// The key in `dir`, created (random, durable) when missing. It is
    /// durable before any journal it signs exists: a journal that survives
    /// a power cut always finds its key.
    pub fn load_or_create(fs: &dyn Fs, dir: &Path) -> Result<Self, TxnError> {
        if let Some(key) = Self::load(fs, dir)? {
            return Ok(key);
        }
        let what = |e| TxnError::io(format!("create host key in {}", dir.display()), e);
        let mut key = [0u8; KEY_LEN];
        rustix::rand::getrandom(&mut key, rustix::rand::GetRandomFlags::empty())
            .map_err(|e| what(e.into()))?;
        // Only the owner may read the key (or list its directory): whoever
        // reads it can forge journals. The `Fs` layer has no modes, so the
        // creation runs under a private umask; it runs before any staging
        // thread exists.
        let umask = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
        let written = create_dir_all(fs, dir).and_then(|created| {
            for d in &created {
                if let Some(parent) = d.parent() {
                    fs.sync_dir(parent)?;
                }
            }
            write_atomic(fs, &key_path(dir), &key)
        });
        rustix::process::umask(umask);
        written.map_err(what)?;
        Ok(Self(key))
    }

    /// The MAC of `body`: BLAKE3 keyed with the host key.
    pub fn mac(&self, body: &[u8]) -> String {
        blake3::keyed_hash(&self.0, body).to_hex().to_string()
    }

    /// A key from its bytes (fuzzing and tests sign journals with one).
    pub fn from_bytes(key: [u8; KEY_LEN]) -> Self {
        Self(key)
    }
}

//! The hash behind update.ver's digests.
//!
//! Every byte a package installs is hashed on the install's critical path,
//! so the hash is chosen for speed among cryptographic ones: BLAKE3 hashes a
//! service pack's 272 MB payload in 47 ms on one core here, SHA-256 (with
//! the SHA extensions) in 141 ms. Packages written before the switch name
//! SHA-256 in their `Format=` line and still open.

/// Which hash a manifest's digests were made with; its `Format=` line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    /// `Format=hotfix-1`: SHA-256, read but no longer written.
    Sha256,
    /// `Format=hotfix-2`: BLAKE3 with its default 256-bit output.
    Blake3,
}

impl DigestKind {
    /// The kind hotfix writes.
    pub const WRITTEN: Self = Self::Blake3;

    /// The `Format=` value of a manifest with digests of this kind.
    pub fn format(self) -> &'static str {
        match self {
            Self::Sha256 => "hotfix-1",
            Self::Blake3 => "hotfix-2",
        }
    }

    /// The kind a `Format=` value names.
    pub(crate) fn from_format(format: &str) -> Option<Self> {
        [Self::Blake3, Self::Sha256]
            .into_iter()
            .find(|k| k.format() == format)
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> [u8; 32] {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finalize()
    }

    pub(crate) fn hasher(self) -> Hasher {
        match self {
            Self::Sha256 => Hasher::Sha256(sha2::Digest::new()),
            Self::Blake3 => Hasher::Blake3(Box::default()),
        }
    }
}

impl std::fmt::Display for DigestKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sha256 => "SHA-256",
            Self::Blake3 => "BLAKE3",
        })
    }
}

/// An incremental digest of either kind.
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    // Boxed: BLAKE3's state is about 2 KB, SHA-256's about 100 bytes.
    Blake3(Box<blake3::Hasher>),
}

impl Hasher {
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha256(h) => sha2::Digest::update(h, data),
            Self::Blake3(h) => {
                h.update(data);
            }
        }
    }

    pub(crate) fn finalize(self) -> [u8; 32] {
        match self {
            Self::Sha256(h) => sha2::Digest::finalize(h).into(),
            Self::Blake3(h) => *h.finalize().as_bytes(),
        }
    }
}

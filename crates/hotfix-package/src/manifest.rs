//! `update\update.ver`: the package's list of payload files with sizes and
//! digests ([`DigestKind`]: BLAKE3 now, SHA-256 in packages written before).
//!
//! Microsoft's update.ver format is not documented anywhere we could reach
//! (reference §1.4), so this is our own INI-like text:
//!
//! ```text
//! ; update.ver written by hotfix: every file of the package but this one
//! [Version]
//! Format=hotfix-2
//! KB=KB896358
//! Product=Windows XP
//! Language=ENU
//! Files=2
//!
//! [SourceFileInfo]
//! ; path=digest,size[,file version]
//! update\update.inf=3a7b...,2214
//! SP2GDR\shell32.dll=91c0...,8461312,6.0.2900.3051
//! ```
//!
//! Paths use `\`; the value never contains `=`, so a path is everything
//! before the last `=` on its line.

use hotfix_model::{FileVersion, KbId, Language, Product, Quoted};

use crate::{DigestKind, PackageError};

/// One payload file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Path inside the package with `\` separators (`SP2QFE\shell32.dll`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The digest of the contents, of the manifest's [`DigestKind`].
    pub digest: [u8; 32],
    /// The file version from the PE version resource, if the file has one.
    pub version: Option<FileVersion>,
}

impl ManifestEntry {
    /// The entry for the file at `path` with contents `data`, with a digest
    /// of the kind hotfix writes ([`DigestKind::WRITTEN`]).
    pub fn of_file(path: &str, data: &[u8]) -> Self {
        Self {
            path: path.to_owned(),
            size: data.len() as u64,
            digest: DigestKind::WRITTEN.digest(data),
            version: hotfix_pe::read_version(data).ok().map(|v| v.file_version),
        }
    }
}

/// The contents of `update\update.ver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The update this package installs.
    pub kb: KbId,
    /// The product it is for.
    pub product: Product,
    /// The package language.
    pub language: Language,
    /// The hash of the entries' digests.
    pub digest: DigestKind,
    /// Every file of the package except update.ver itself.
    pub entries: Vec<ManifestEntry>,
}

/// The key two paths are compared by: Windows file names ignore case.
pub fn path_key(path: &str) -> String {
    path.to_lowercase()
}

/// Structural checks on a manifest path; the cabinet layer applies the full
/// Windows name rules to the files actually present.
fn check_manifest_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.contains('/') {
        return Err("'/' in path (separators are '\\')".into());
    }
    if path.chars().any(|c| c.is_control() || c == ':') {
        return Err("control character or ':' in path".into());
    }
    for part in path.split('\\') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(format!("bad path component {part:?}"));
        }
    }
    Ok(())
}

impl Manifest {
    /// Sorts the entries into the canonical order (case-insensitive path),
    /// the order `pack_dir` and `synth` both write.
    pub fn sort(&mut self) {
        self.entries.sort_by(|a, b| {
            path_key(&a.path)
                .cmp(&path_key(&b.path))
                .then(a.path.cmp(&b.path))
        });
    }

    /// The entry for `path`, compared without case.
    pub fn find(&self, path: &str) -> Option<&ManifestEntry> {
        let key = path_key(path);
        self.entries.iter().find(|e| path_key(&e.path) == key)
    }

    /// Renders the manifest as update.ver text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str("; update.ver written by hotfix: every file of the package but this one\r\n");
        out.push_str("[Version]\r\n");
        out.push_str(&format!("Format={}\r\n", self.digest.format()));
        out.push_str(&format!("KB={}\r\n", self.kb));
        out.push_str(&format!("Product={}\r\n", self.product.name()));
        out.push_str(&format!("Language={}\r\n", self.language.code()));
        out.push_str(&format!("Files={}\r\n\r\n", self.entries.len()));
        out.push_str("[SourceFileInfo]\r\n; path=digest,size[,file version]\r\n");
        for e in &self.entries {
            out.push_str(&format!("{}={},{}", e.path, hex::encode(e.digest), e.size));
            if let Some(v) = e.version {
                out.push_str(&format!(",{v}"));
            }
            out.push_str("\r\n");
        }
        out
    }

    /// Parses update.ver text. Errors name the line.
    pub fn parse(text: &str) -> Result<Manifest, PackageError> {
        let err = |line: usize, reason: String| PackageError::Manifest {
            file: "update.ver".into(),
            line,
            reason,
        };
        let mut section = None::<String>;
        let (mut format, mut kb, mut product, mut language, mut files) =
            (None, None, None, None, None::<usize>);
        let mut entries: Vec<ManifestEntry> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[') {
                let name = name
                    .strip_suffix(']')
                    .ok_or_else(|| err(n, "section header without ']'".into()))?;
                let name = name.trim().to_ascii_lowercase();
                if name != "version" && name != "sourcefileinfo" {
                    return Err(err(n, format!("unknown section [{name}]")));
                }
                section = Some(name);
                continue;
            }
            let (key, value) = line
                .rsplit_once('=')
                .ok_or_else(|| err(n, "expected key=value".into()))?;
            let (key, value) = (key.trim(), value.trim());
            match section.as_deref() {
                Some("version") => {
                    let slot = match key.to_ascii_lowercase().as_str() {
                        "format" => &mut format,
                        "kb" => &mut kb,
                        "product" => &mut product,
                        "language" => &mut language,
                        "files" => {
                            let count = value
                                .parse()
                                .map_err(|_| err(n, format!("bad file count {value:?}")))?;
                            files = Some(count);
                            continue;
                        }
                        _ => return Err(err(n, format!("unknown key {key:?} in [Version]"))),
                    };
                    *slot = Some((n, value.to_owned()));
                }
                Some(_) => {
                    check_manifest_path(key)
                        .map_err(|r| err(n, format!("{}: {r}", Quoted(key))))?;
                    if !seen.insert(path_key(key)) {
                        return Err(err(n, format!("{key} is listed twice")));
                    }
                    let entry = parse_entry(key, value).map_err(|r| err(n, r))?;
                    entries.push(entry);
                }
                None => return Err(err(n, "key before any section".into())),
            }
        }
        let need = |v: Option<(usize, String)>, what: &str| {
            v.ok_or_else(|| err(0, format!("[Version] has no {what}=")))
        };
        let (fl, f) = need(format, "Format")?;
        let digest = DigestKind::from_format(&f).ok_or_else(|| {
            err(
                fl,
                format!(
                    "unsupported format {f:?} (expected {} or {})",
                    DigestKind::Blake3.format(),
                    DigestKind::Sha256.format()
                ),
            )
        })?;
        let (kl, k) = need(kb, "KB")?;
        let (pl, p) = need(product, "Product")?;
        let (ll, l) = need(language, "Language")?;
        let manifest = Manifest {
            kb: k.parse().map_err(|e| err(kl, format!("{e}")))?,
            product: p.parse().map_err(|e| err(pl, format!("{e}")))?,
            language: l.parse().map_err(|e| err(ll, format!("{e}")))?,
            digest,
            entries,
        };
        match files {
            Some(count) if count == manifest.entries.len() => Ok(manifest),
            Some(count) => Err(err(
                0,
                format!(
                    "[Version] Files={count} but [SourceFileInfo] lists {}",
                    manifest.entries.len()
                ),
            )),
            None => Err(err(0, "[Version] has no Files=".into())),
        }
    }
}

/// Parses `digest,size[,version]` for `path`.
fn parse_entry(path: &str, value: &str) -> Result<ManifestEntry, String> {
    let mut parts = value.split(',').map(str::trim);
    let digest = parts.next().unwrap_or_default();
    let text = digest;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(text, &mut digest)
        .map_err(|_| format!("{path}: the digest must be 64 hex digits, got {text:?}"))?;
    let size = parts.next().unwrap_or_default();
    let size = size
        .parse()
        .map_err(|_| format!("{path}: bad size {size:?}"))?;
    let version = match parts.next() {
        Some(v) => Some(
            v.parse()
                .map_err(|_| format!("{path}: bad file version {v:?}"))?,
        ),
        None => None,
    };
    if parts.next().is_some() {
        return Err(format!(
            "{path}: too many fields (expected digest,size[,version])"
        ));
    }
    Ok(ManifestEntry {
        path: path.to_owned(),
        size,
        digest,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            kb: "KB942288-v3".parse().unwrap(),
            product: Product::WindowsServer2003,
            language: Language::JPN,
            digest: DigestKind::Blake3,
            entries: vec![
                ManifestEntry {
                    path: "SP2QFE\\ASMS\\60\\x=y.man".into(),
                    size: 0,
                    digest: [7; 32],
                    version: None,
                },
                ManifestEntry {
                    path: "update\\update.inf".into(),
                    size: 1234,
                    digest: [0xab; 32],
                    version: Some(FileVersion::new(6, 0, 2900, 3051)),
                },
            ],
        }
    }

    #[test]
    fn round_trips() {
        let m = sample();
        let text = m.to_text();
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        assert!(text.contains("Product=Windows Server 2003\r\n"));
    }

    #[test]
    fn the_format_line_names_the_digest_kind() {
        let mut m = sample();
        m.digest = DigestKind::Sha256;
        let text = m.to_text();
        assert!(text.contains("Format=hotfix-1\r\n"), "{text}");
        assert_eq!(Manifest::parse(&text).unwrap().digest, DigestKind::Sha256);
        let new = sample().to_text();
        assert!(new.contains("Format=hotfix-2\r\n"), "{new}");
        assert_eq!(Manifest::parse(&new).unwrap().digest, DigestKind::Blake3);
    }

    #[test]
    fn errors_name_the_line() {
        let text = sample().to_text();
        let bad = text.replace(&"ab".repeat(32), &"ab".repeat(31));
        match Manifest::parse(&bad) {
            Err(PackageError::Manifest {
                line: 12, reason, ..
            }) => {
                assert!(reason.contains("update\\update.inf"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        for (from, to) in [
            ("Files=2", "Files=3"),
            ("Format=hotfix-2", "Format=hotfix-9"),
            ("KB=KB942288-v3", "KB=KB1/.."),
            ("SP2QFE\\ASMS", "..\\ASMS"),
            ("SP2QFE\\ASMS", "\\ASMS"),
            ("SP2QFE\\ASMS", "C:\\ASMS"),
            (",1234,", ",12x4,"),
            ("[SourceFileInfo]", "[Other]"),
            ("update\\update.inf", "sp2qfe\\asms\\60\\X=Y.MAN"),
        ] {
            assert!(text.contains(from), "{from}");
            let r = Manifest::parse(&text.replace(from, to));
            assert!(
                matches!(r, Err(PackageError::Manifest { .. })),
                "{to}: {r:?}"
            );
        }
    }

    #[test]
    fn sorts_without_case() {
        let mut m = sample();
        m.entries.reverse();
        m.entries[0].path = "a\\Z".into();
        m.entries[1].path = "A\\b".into();
        m.sort();
        assert_eq!(m.entries[0].path, "A\\b");
        assert!(m.find("a\\z").is_some());
    }
}

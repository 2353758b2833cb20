//! What "exactly before or after" compares (`docs/design.md` §10).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use hotfix_fs::{FileKind, Fs};
use hotfix_hive::{Hive, Key};

/// One path of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Dir,
    /// A file's bytes.
    File(Vec<u8>),
    /// A hive, parsed: two byte layouts of one tree are the same registry.
    Hive(Box<Hive>),
    /// A hive file that does not parse, by its bytes (never equal to a
    /// parsed one, so a torn hive is always a difference).
    BadHive(Vec<u8>),
    /// A symbolic link or other special file.
    Other,
}

/// Every compared path of an image (relative, `/`-separated, as spelled on
/// disk) and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The entries, sorted by path.
    pub entries: BTreeMap<String, Entry>,
}

/// The runtime files of `docs/design.md` §1 and the text logs that are
/// appended outside transactions on purpose (§10): our state directory
/// itself (created on first use), its lock and recovery log, and every
/// `*.log` directly in the Windows directory (`KBnnnnnn.log`, `qchain.log`,
/// `svcpack.log`, ...).
fn is_runtime(lower: &str) -> bool {
    match lower {
        "windows/$hotfix$" | "windows/$hotfix$/lock" | "windows/$hotfix$/recovery.log" => true,
        _ => lower
            .strip_prefix("windows/")
            .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".log")),
    }
}

fn is_hive(lower: &str) -> bool {
    matches!(
        lower,
        "windows/system32/config/software"
            | "windows/system32/config/system"
            | "windows/system32/config/default"
            | "documents and settings/default user/ntuser.dat"
    )
}

/// Reads the image at `root` on `fs`.
pub fn snapshot(fs: &dyn Fs, root: &Path) -> io::Result<Snapshot> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        for e in fs.read_dir(&root.join(&dir))? {
            let rel = if dir.is_empty() {
                e.name.clone()
            } else {
                format!("{dir}/{}", e.name)
            };
            let lower = rel.to_lowercase();
            let host = root.join(&rel);
            let entry = match fs.metadata(&host)?.kind {
                FileKind::Dir => {
                    stack.push(rel.clone());
                    Entry::Dir
                }
                FileKind::Other => Entry::Other,
                FileKind::File if is_hive(&lower) => {
                    let bytes = fs.read(&host)?;
                    match Hive::parse(&bytes) {
                        Ok(h) => Entry::Hive(Box::new(h)),
                        Err(_) => Entry::BadHive(bytes),
                    }
                }
                FileKind::File => Entry::File(fs.read(&host)?),
            };
            if !is_runtime(&lower) {
                entries.insert(rel, entry);
            }
        }
    }
    Ok(Snapshot { entries })
}

impl Snapshot {
    /// `None` when equal, else the first path (in sorted order) that
    /// differs and how.
    pub fn diff(&self, other: &Snapshot) -> Option<String> {
        let mut left = self.entries.iter().peekable();
        let mut right = other.entries.iter().peekable();
        loop {
            match (left.peek(), right.peek()) {
                (None, None) => return None,
                (Some((p, _)), None) => return Some(format!("{p}: only on the left")),
                (None, Some((p, _))) => return Some(format!("{p}: only on the right")),
                (Some((lp, le)), Some((rp, re))) => {
                    if lp < rp {
                        return Some(format!("{lp}: only on the left"));
                    }
                    if rp < lp {
                        return Some(format!("{rp}: only on the right"));
                    }
                    if le != re {
                        return Some(format!("{lp}: {}", describe(le, re)));
                    }
                    left.next();
                    right.next();
                }
            }
        }
    }
}

fn describe(a: &Entry, b: &Entry) -> String {
    match (a, b) {
        (Entry::File(x), Entry::File(y)) => {
            let at = x.iter().zip(y).position(|(p, q)| p != q);
            format!(
                "bytes differ: {} vs {} bytes, first difference at offset {}",
                x.len(),
                y.len(),
                at.unwrap_or(x.len().min(y.len()))
            )
        }
        (Entry::Hive(x), Entry::Hive(y)) => match key_diff(x.root(), y.root(), "") {
            Some(d) => format!("hives differ at {d}"),
            None => "hive headers differ (file name, timestamp or sequence)".into(),
        },
        _ => format!("{} vs {}", kind(a), kind(b)),
    }
}

fn kind(e: &Entry) -> &'static str {
    match e {
        Entry::Dir => "directory",
        Entry::File(_) => "file",
        Entry::Hive(_) => "hive",
        Entry::BadHive(_) => "unparsable hive",
        Entry::Other => "special file",
    }
}

/// The first key (depth first) whose values or subkeys differ.
fn key_diff(a: &Key, b: &Key, path: &str) -> Option<String> {
    let here = format!("{path}\\{}", a.name());
    let values = |k: &Key| {
        k.values()
            .map(|(n, v)| (n.to_lowercase(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (va, vb) = (values(a), values(b));
    if va != vb {
        let name = va
            .iter()
            .find(|(n, v)| vb.get(*n) != Some(*v))
            .or_else(|| vb.iter().find(|(n, v)| va.get(*n) != Some(*v)))
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        return Some(format!("{here} value {name:?}"));
    }
    let subs = |k: &Key| {
        k.subkeys()
            .map(|s| s.name().to_lowercase())
            .collect::<Vec<_>>()
    };
    if subs(a) != subs(b) {
        return Some(format!("{here} subkeys"));
    }
    for s in a.subkeys() {
        let t = b.subkey(s.name())?;
        if let Some(d) = key_diff(s, t, &here) {
            return Some(d);
        }
    }
    (a != b).then(|| format!("{here} (timestamps or name case)"))
}

#[cfg(test)]
mod tests {
    use super::is_runtime;

    #[test]
    fn runtime_files_are_the_documented_ones() {
        for p in [
            "windows/$hotfix$/lock",
            "windows/$hotfix$/recovery.log",
            "windows/kb925902.log",
            "windows/qchain.log",
        ] {
            assert!(is_runtime(p), "{p}");
        }
        for p in [
            "windows/$hotfix$/journal",
            "windows/$hotfix$/installed/kb925902.json",
            "windows/system32/x.log",
            "windows/$ntuninstallkb925902$/spuninst.log2",
        ] {
            assert!(!is_runtime(p), "{p}");
        }
    }
}

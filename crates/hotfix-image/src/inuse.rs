//! The files the running system holds open.
//!
//! An offline image has no processes, so the user (or a test) records them
//! in `%windir%\$hotfix$\inuse.lst`: one Windows path per line, UTF-8. Lines
//! that are blank or start with `#` are ignored.

use std::collections::BTreeSet;
use std::io;

use hotfix_fs::{Fs, create_dir_all, write_atomic};
use hotfix_txn::RelPath;

use crate::{Image, ImageError};

/// File name of the list inside the state directory.
pub use hotfix_txn::IN_USE_LIST;

/// The in-use files as lower-cased image paths (`windows/system32/x.dll`).
/// A missing list means nothing is in use.
pub fn in_use(fs: &dyn Fs, image: &Image) -> Result<BTreeSet<String>, ImageError> {
    Ok(read_list(fs, image)?
        .into_iter()
        .map(|p| p.as_str().to_lowercase())
        .collect())
}

/// Marks existing files as in use; returns them resolved. The list is
/// replaced atomically.
pub fn lock_files(
    fs: &dyn Fs,
    image: &Image,
    win_paths: &[String],
) -> Result<Vec<RelPath>, ImageError> {
    let mut list = read_list(fs, image)?;
    let mut resolver = image.resolver(fs);
    let mut locked = Vec::with_capacity(win_paths.len());
    for p in win_paths {
        let rel = resolver.resolve(p)?;
        match fs.metadata(&image.host(&rel)) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(ImageError::hostile(p, "not a regular file"));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ImageError::NotFound { path: p.clone() });
            }
            Err(e) => {
                return Err(ImageError::io(
                    format!("stat {}", image.host(&rel).display()),
                    e,
                ));
            }
        }
        if !contains(&list, &rel) {
            list.push(rel.clone());
        }
        locked.push(rel);
    }
    write_list(fs, image, &list)?;
    Ok(locked)
}

/// Removes files from the in-use list (all of them for an empty slice);
/// returns the paths that were removed.
pub fn unlock_files(
    fs: &dyn Fs,
    image: &Image,
    win_paths: &[String],
) -> Result<Vec<RelPath>, ImageError> {
    let list = read_list(fs, image)?;
    let (removed, kept): (Vec<RelPath>, Vec<RelPath>) = if win_paths.is_empty() {
        (list, Vec::new())
    } else {
        let mut resolver = image.resolver(fs);
        let targets = win_paths
            .iter()
            .map(|p| resolver.resolve(p))
            .collect::<Result<Vec<_>, _>>()?;
        list.into_iter().partition(|p| contains(&targets, p))
    };
    if !removed.is_empty() {
        write_list(fs, image, &kept)?;
    }
    Ok(removed)
}

fn contains(list: &[RelPath], p: &RelPath) -> bool {
    let key = p.as_str().to_lowercase();
    list.iter().any(|q| q.as_str().to_lowercase() == key)
}

fn read_list(fs: &dyn Fs, image: &Image) -> Result<Vec<RelPath>, ImageError> {
    let rel = image.state_dir().in_use_list();
    let host = image.host(&rel);
    let text = match fs.read(&host) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ImageError::io(format!("read {}", host.display()), e)),
    };
    let bad = |line: usize, reason: String| ImageError::BadList {
        file: rel.to_string(),
        line,
        reason,
    };
    let text = String::from_utf8(text).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        bad(line, "not UTF-8".into())
    })?;
    let mut resolver = image.resolver(fs);
    let mut list: Vec<RelPath> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let p = resolver
            .resolve(line)
            .map_err(|e| bad(i + 1, e.to_string()))?;
        if !contains(&list, &p) {
            list.push(p);
        }
    }
    Ok(list)
}

fn write_list(fs: &dyn Fs, image: &Image, list: &[RelPath]) -> Result<(), ImageError> {
    let state = image.state_dir();
    let dir = state.host(state.dir());
    create_dir_all(fs, &dir).map_err(|e| ImageError::io(format!("create {}", dir.display()), e))?;
    let mut text = String::new();
    for p in list {
        text.push_str(&image.win_path(p));
        text.push('\n');
    }
    let host = state.host(&state.in_use_list());
    write_atomic(fs, &host, text.as_bytes())
        .map_err(|e| ImageError::io(format!("write {}", host.display()), e))
}

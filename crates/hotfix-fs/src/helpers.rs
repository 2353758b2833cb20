//! Compound operations built only from [`Fs`] calls, so every step they take
//! is visible to [`crate::FaultFs`].

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::{FileKind, Fs, with_path};

/// Writes `data` to a new file at `path` and syncs it. The directory entry is
/// not synced: that is the caller's batch `sync_dir`.
pub fn write_new(fs: &dyn Fs, path: &Path, data: &[u8]) -> io::Result<()> {
    let mut w = fs.create(path).map_err(|e| with_path(e, path))?;
    w.write_all(data).map_err(|e| with_path(e, path))?;
    w.sync().map_err(|e| with_path(e, path))
}

/// Replaces `path` with `data` atomically and durably: write a sibling
/// temporary file, sync it, rename it over `path`, sync the directory.
/// Readers see the old or the new bytes, never a mix, before and after a crash.
pub fn write_atomic(fs: &dyn Fs, path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent directory"))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".hftmp");
    let tmp = dir.join(tmp_name);
    write_new(fs, &tmp, data)?;
    fs.rename(&tmp, path).map_err(|e| with_path(e, path))?;
    fs.sync_dir(dir).map_err(|e| with_path(e, dir))
}

/// Creates `path` and any missing parents; returns the directories it created,
/// outermost first, so a transaction can record them and sync their parents.
/// A directory that another process creates meanwhile is taken as found
/// (two first runs on one image race to create its state directory).
pub fn create_dir_all(fs: &dyn Fs, path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cur = Some(path);
    while let Some(p) = cur {
        match fs.metadata(p) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} exists and is not a directory", p.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(p.to_path_buf()),
            Err(e) => return Err(with_path(e, p)),
        }
        cur = p.parent().filter(|p| !p.as_os_str().is_empty());
    }
    missing.reverse();
    let mut created = Vec::with_capacity(missing.len());
    for dir in missing {
        match fs.create_dir(&dir) {
            Ok(()) => created.push(dir),
            Err(e)
                if e.kind() == io::ErrorKind::AlreadyExists
                    && fs.metadata(&dir).is_ok_and(|m| m.is_dir()) => {}
            Err(e) => return Err(with_path(e, &dir)),
        }
    }
    Ok(created)
}

/// Copies a file through the filesystem and syncs the copy. Returns the bytes copied.
pub fn copy_file(fs: &dyn Fs, from: &Path, to: &Path) -> io::Result<u64> {
    let mut src = fs.open(from).map_err(|e| with_path(e, from))?;
    let mut dst = fs.create(to).map_err(|e| with_path(e, to))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf).map_err(|e| with_path(e, from))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).map_err(|e| with_path(e, to))?;
        total += n as u64;
    }
    dst.sync().map_err(|e| with_path(e, to))?;
    Ok(total)
}

/// Removes a directory tree (files first, then directories, deepest first).
/// Missing paths are not an error. Symbolic links are removed, not followed.
pub fn remove_tree(fs: &dyn Fs, path: &Path) -> io::Result<()> {
    let meta = match fs.metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(with_path(e, path)),
    };
    if meta.kind != FileKind::Dir {
        return fs.remove_file(path).map_err(|e| with_path(e, path));
    }
    for entry in fs.read_dir(path).map_err(|e| with_path(e, path))? {
        remove_tree(fs, &path.join(&entry.name))?;
    }
    fs.remove_dir(path).map_err(|e| with_path(e, path))
}

//! Restore points: snapshots of the hives plus the list of file backups
//! that bring the system files back, under `%windir%\$hotfix$\restore\<n>\`.
//! Snapshots are second names of the hive files (hard links where the
//! filesystem has them), so a restore point costs almost no space.

use std::sync::Arc;

use hotfix_engine::{Content, EngineError, Registry, Session, View};
use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};

use crate::install::record::state_rel as rel;

/// One restore point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestorePoint {
    /// Its number (1, 2, ...).
    pub number: u32,
    /// UTC time of creation.
    pub created: String,
    /// What it was made before.
    pub description: String,
    /// (hive, snapshot) image paths.
    pub hives: Vec<(String, String)>,
    /// (file, backup) image paths: the bytes to put back.
    pub files: Vec<(String, String)>,
}

/// What planning a restore point added to the view.
pub(crate) struct Snapshot {
    pub number: u32,
    /// New names and the length of the bytes they share.
    pub linked: Vec<(RelPath, u64)>,
    /// Length of the point's list.
    pub list_len: u64,
}

fn list_path(view: &View<'_>, n: u32) -> RelPath {
    view.image().state_dir().restore_point_list(n)
}

/// Plans a new restore point in `view` holding `hives` (the image's hive
/// files, [`Registry::files`]); `files` are (file, backup) pairs.
pub(crate) fn plan_point(
    view: &mut View<'_>,
    description: &str,
    hives: &[RelPath],
    files: &[(RelPath, RelPath)],
) -> Result<Snapshot, EngineError> {
    let number = read_points(view)?.last().map_or(1, |p| p.number + 1);
    let dir = view.image().state_dir().restore_point(number);
    let image = view.image();
    let mut linked = Vec::new();
    let mut snapshots = Vec::new();
    for hive in hives {
        // A hive's file name is one component of a valid path already.
        let snap = dir.join(hive.file_name())?;
        let len = view.fs().metadata(&image.host(hive)).map_or(0, |m| m.len);
        snapshots.push((hive.as_str().to_owned(), snap.as_str().to_owned()));
        view.put(&snap, Content::Disk(hive.clone()));
        linked.push((snap, len));
    }
    let point = RestorePoint {
        number,
        created: hotfix_txn::clock::utc_now(),
        description: description.to_owned(),
        hives: snapshots,
        files: files
            .iter()
            .map(|(f, b)| (f.as_str().to_owned(), b.as_str().to_owned()))
            .collect(),
    };
    let bytes = serde_json::to_vec_pretty(&point).unwrap_or_default();
    let list_len = bytes.len() as u64;
    view.put_bytes(&list_path(view, number), Arc::new(bytes));
    Ok(Snapshot {
        number,
        linked,
        list_len,
    })
}

fn read_points(view: &View<'_>) -> Result<Vec<RestorePoint>, EngineError> {
    let dir = view.image().state_dir().restore_dir();
    let mut out = Vec::new();
    for name in view.list_dirs(&dir) {
        let Ok(n) = name.parse::<u32>() else { continue };
        let path = list_path(view, n);
        let Some(bytes) = view.read(&path)? else {
            continue;
        };
        let point: RestorePoint =
            serde_json::from_slice(&bytes).map_err(|e| EngineError::State {
                path: view.image().win_path(&path),
                problem: e.to_string(),
            })?;
        out.push(point);
    }
    out.sort_by_key(|p| p.number);
    Ok(out)
}

/// Every restore point of the image, oldest first.
pub fn list_restore_points(session: &Session<'_>) -> Result<Vec<RestorePoint>, EngineError> {
    read_points(&View::new(session.fs, &session.image))
}

/// Creates a restore point (one transaction); returns its number.
pub fn create_restore_point(session: &Session<'_>, description: &str) -> Result<u32, EngineError> {
    let mut view = View::new(session.fs, &session.image);
    let mut reg = Registry::load(&view, &session.image)?;
    reg.load_user_hives(&view);
    let hives = reg.files();
    let snap = plan_point(&mut view, description, &hives, &[])?;
    view.commit(
        &format!("restore-point create {}", snap.number),
        "hotfix restore-point create",
    )?;
    Ok(snap.number)
}

/// Puts the hives of restore point `number` back, and every file it lists
/// whose backup still exists (one transaction).
pub fn restore(session: &Session<'_>, number: u32) -> Result<RestorePoint, EngineError> {
    let mut view = View::new(session.fs, &session.image);
    let point = read_points(&view)?
        .into_iter()
        .find(|p| p.number == number)
        .ok_or_else(|| EngineError::Usage(format!("there is no restore point {number}")))?;
    for (hive, snap) in &point.hives {
        view.put(&rel(hive)?, Content::Disk(rel(snap)?));
    }
    for (file, backup) in &point.files {
        let backup = rel(backup)?;
        if view.exists(&backup) {
            view.put(&rel(file)?, Content::Disk(backup));
        }
    }
    view.commit(
        &format!("restore-point restore {number}"),
        "hotfix restore-point restore",
    )?;
    Ok(point)
}

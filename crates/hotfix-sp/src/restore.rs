//! Restore points: snapshots of the hives plus the list of file backups
//! that bring the system files back, under `%windir%\$hotfix$\restore\<n>\`.
//! Snapshots are second names of the hive files (hard links where the
//! filesystem has them), so a restore point costs almost no space.

use hotfix_engine::{
    Content, EngineError, Registry, Session, View, is_inside, read_state, write_state,
};
use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};

use crate::install::record::{state_rel as rel, tracked_state};

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

impl RestorePoint {
    /// Refuses a point (in folder `n`) naming what no point holds: another
    /// number, a snapshot outside its folder or of a file that is no hive,
    /// a file that is a hive or hotfix's state, or a backup outside
    /// `$NtServicePackUninstall$` (the only files a point lists).
    fn check(&self, view: &View<'_>, n: u32) -> Result<(), String> {
        let image = view.image();
        if self.number != n {
            return Err(format!(
                "it calls itself point {} in folder {n}",
                self.number
            ));
        }
        let dir = image.state_dir().restore_point(n);
        let backups = image
            .windir()
            .join(crate::SP_UNINSTALL_DIR)
            .map_err(|e| e.to_string())?;
        let parse = |p: &str| rel(p).map_err(|e| e.to_string());
        for (hive, snap) in &self.hives {
            let (hive, snap) = (parse(hive)?, parse(snap)?);
            if !image.is_hive_file(&hive) || !is_inside(&snap, &dir) {
                return Err(format!(
                    "its snapshot {} of {} is not a hive's in {}",
                    image.win_path(&snap),
                    image.win_path(&hive),
                    image.win_path(&dir)
                ));
            }
        }
        for (file, backup) in &self.files {
            let (file, backup) = (parse(file)?, parse(backup)?);
            if let Some(why) = image
                .protected(&file)
                .filter(|_| !tracked_state(image, &file))
            {
                return Err(format!(
                    "it names {}, which is {why}",
                    image.win_path(&file)
                ));
            }
            if !is_inside(&backup, &backups) {
                return Err(format!(
                    "the backup {} is outside {}",
                    image.win_path(&backup),
                    image.win_path(&backups)
                ));
            }
        }
        Ok(())
    }
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
    let path = list_path(view, number);
    write_state(view, &path, &point)?;
    let list_len = view.read(&path)?.map_or(0, |b| b.len() as u64);
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
        let Some(point) = read_state::<RestorePoint>(view, &path)? else {
            continue;
        };
        point.check(view, n).map_err(|problem| EngineError::State {
            path: view.image().win_path(&path),
            problem: format!(
                "{problem}; no restore point is made so, so the list was edited and is not used"
            ),
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

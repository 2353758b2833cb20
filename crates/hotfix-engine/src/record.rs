//! What we remember about installed hotfixes (`$hotfix$\installed\`), the
//! files as they were before any hotfix (`baseline.json`) and the
//! content-addressed copies uninstall restores from (`store\`).

use std::collections::BTreeMap;
use std::sync::Arc;

use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use hotfix_image::Image;

use crate::EngineError;
use crate::install::{HF_MIG_DIR, XPSP1HFM_DIR, join};
use crate::registry::{HiveName, StoredValue};
use crate::view::View;

/// What the installer did with one payload file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileAction {
    /// Replaced (or created) now.
    Replaced,
    /// Staged and queued for the restart (rule R5).
    Queued,
    /// KnownDLL: moved aside, replaced, old copy deleted at restart (R6).
    KnownDllSwap,
    /// The file on disk or in the queue was newer or the same (R1).
    SkippedNotNewer,
    /// `ReplaceFilesIfExist` and the file is not there.
    SkippedAbsent,
}

impl FileAction {
    /// Whether the package's copy went (or will go) into place.
    pub fn applied(self) -> bool {
        matches!(self, Self::Replaced | Self::Queued | Self::KnownDllSwap)
    }
}

/// One payload file of an installed hotfix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Target, image-relative.
    pub target: String,
    /// The payload path in the package (or `$hf_mig$` copy) it came from.
    pub source: String,
    /// Its version, if it has one.
    pub version: Option<String>,
    /// Its branch rank (0 unknown, 1 release, 2 GDR, 3 QFE).
    pub tag_rank: u8,
    /// SHA-256 of its bytes; the bytes are in the store unless `/nobackup`.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// What happened.
    pub action: FileAction,
    /// The backup of the file it replaced, image-relative.
    pub backup: Option<String>,
    /// SHA-256 of the backup as the install wrote it: uninstall removes
    /// the backup only while it still holds these bytes (records from
    /// before this field leave their backups in place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_sha256: Option<String>,
}

/// A registry value the package's AddReg/DelReg changed, with its old value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegChange {
    /// The hive.
    pub hive: HiveName,
    /// Key path inside the hive.
    pub key: String,
    /// Value name (`""` default value).
    pub name: String,
    /// The value before the install (`None`: it did not exist).
    pub old: Option<StoredValue>,
}

/// `installed\KBnnnnnn.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRecord {
    /// `KB925902`.
    pub kb: String,
    /// The package's title.
    pub title: String,
    /// The package file.
    pub package: String,
    /// Branch folder used (`SP2GDR`), if the package has branches.
    pub branch: Option<String>,
    /// Service-pack level of the image at install time.
    pub sp: u8,
    /// Install order across all records.
    pub seq: u64,
    /// UTC time of the install.
    pub installed_at: String,
    /// `$NtUninstallKB...$`, image-relative; `None` with `/nobackup`.
    pub backup_dir: Option<String>,
    /// The Updates key written (`Windows XP\SP3\KB925902`).
    pub updates_key: String,
    /// Every payload file and what happened to it.
    pub files: Vec<FileRecord>,
    /// AddReg/DelReg changes.
    pub registry: Vec<RegChange>,
    /// A dual-mode package installed at RTM: the `SP2\` copies kept in
    /// `$xpsp1hfm$` for the migration when SP1 goes on (KB328848).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dual_mode: Option<DualStash>,
    /// The QFE copies a GDR install kept in `$hf_mig$\KBnnnnnn` (KB824994),
    /// so that uninstall removes those and nothing planted beside them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hf_mig: Vec<KeptCopy>,
}

/// A file an install wrote outside its targets and backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCopy {
    /// Image-relative path.
    pub path: String,
    /// SHA-256 of the bytes written.
    pub sha256: String,
}

/// The post-SP1 side of a dual-mode hotfix, kept for Xpsp1hfm's migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DualStash {
    /// `$xpsp1hfm$\KBnnnnnn`, image-relative.
    pub dir: String,
    /// Each kept copy and the file it is for.
    pub files: Vec<StashedFile>,
    /// The service-pack level the kept copies were migrated at, once done.
    pub migrated_at_sp: Option<u8>,
}

/// One kept `SP2\` copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StashedFile {
    /// The file it replaces after SP1, image-relative.
    pub target: String,
    /// The kept copy, image-relative.
    pub stash: String,
    /// Its version, if it has one.
    pub version: Option<String>,
    /// Its branch rank.
    pub tag_rank: u8,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub size: u64,
}

/// The file as it was before the first hotfix touched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// Target, image-relative.
    pub target: String,
    /// SHA-256 of its bytes (`None`: it did not exist).
    pub sha256: Option<String>,
    /// Its version, if any.
    pub version: Option<String>,
    /// Its branch rank.
    pub tag_rank: u8,
}

impl InstallRecord {
    /// Refuses a record (edited, or planted in the image) that names what
    /// no install writes: a path outside the image (it does not parse),
    /// hotfix's state, a hive, a backup outside its backup folder, a backup
    /// folder other than this hotfix's `$NtUninstall…$`, or a KB or Updates
    /// key that would make uninstall delete more than its own keys.
    pub(crate) fn check(&self, image: &Image, paths: &StatePaths) -> Result<(), EngineError> {
        let rec = self;
        let file = paths
            .record(&rec.kb)
            .map_or_else(|_| rec.kb.clone(), |p| image.win_path(&p));
        let bad = |problem: String| EngineError::State {
            path: file.clone(),
            problem: format!(
                "{problem}; no install writes that, so the record was edited and is not used"
            ),
        };
        let parse = |p: &str| RelPath::new(p).map_err(|e| bad(e.to_string()));
        // The registry keys uninstall deletes are named after these two.
        if rec.kb.parse::<hotfix_model::KbId>().is_err() {
            return Err(bad(format!("{:?} is not a KB number", rec.kb)));
        }
        let parts: Vec<&str> = rec.updates_key.split('\\').collect();
        if parts.len() < 2
            || parts.iter().any(|p| p.trim().is_empty())
            || !parts[parts.len() - 1].eq_ignore_ascii_case(&rec.kb)
        {
            return Err(bad(format!(
                "its Updates key {:?} is not <product>\\SPn\\{}",
                rec.updates_key, rec.kb
            )));
        }
        let dir = rec.backup_dir.as_deref().map(parse).transpose()?;
        let expected = join(image.windir(), &format!("$NtUninstall{}$", rec.kb));
        if let Some(dir) = &dir
            && !dir.as_str().eq_ignore_ascii_case(expected.as_str())
        {
            return Err(bad(format!(
                "its backup folder {} is not {}",
                image.win_path(dir),
                image.win_path(&expected)
            )));
        }
        for f in &rec.files {
            let target = parse(&f.target)?;
            if let Some(why) = image.protected(&target) {
                return Err(bad(format!(
                    "it names {}, which is {why}",
                    image.win_path(&target)
                )));
            }
            if let Some(backup) = f.backup.as_deref().map(parse).transpose()?
                && !dir.as_ref().is_some_and(|d| is_inside(&backup, d))
            {
                return Err(bad(format!(
                    "the backup {} is outside its backup folder",
                    image.win_path(&backup)
                )));
            }
        }
        if let Some(stash) = &rec.dual_mode {
            let dir = parse(&stash.dir)?;
            let expected = join(&join(image.windir(), XPSP1HFM_DIR), &rec.kb);
            if !dir.as_str().eq_ignore_ascii_case(expected.as_str()) {
                return Err(bad(format!(
                    "its dual-mode folder {} is not {}",
                    image.win_path(&dir),
                    image.win_path(&expected)
                )));
            }
            for f in &stash.files {
                let kept = parse(&f.stash)?;
                if !is_inside(&kept, &dir) {
                    return Err(bad(format!(
                        "the kept copy {} is outside its dual-mode folder",
                        image.win_path(&kept)
                    )));
                }
            }
        }
        let mig = join(&join(image.windir(), HF_MIG_DIR), &rec.kb);
        for c in &rec.hf_mig {
            let kept = parse(&c.path)?;
            if !is_inside(&kept, &mig) {
                return Err(bad(format!(
                    "the QFE copy {} is outside {}",
                    image.win_path(&kept),
                    image.win_path(&mig)
                )));
            }
        }
        Ok(())
    }
}

/// Whether `path` lies below `dir` (case-insensitively, as Windows names).
/// Whether `path` lies inside `dir` (compared as Windows does, ignoring case).
pub fn is_inside(path: &RelPath, dir: &RelPath) -> bool {
    path.as_str()
        .to_lowercase()
        .starts_with(&format!("{}/", dir.as_str().to_lowercase()))
}

/// Paths of our state files: the layout's one owner, `hotfix_txn::StateDir`.
pub type StatePaths = hotfix_txn::StateDir;

/// The format of the install records this hotfix writes (`"version"` in
/// `installed\KB.json`; records without one are version 0, the same
/// fields). A record written by a newer hotfix may have a higher one and
/// fields we do not know; a rewrite keeps them (see `to_json_keeping`).
pub const RECORD_VERSION: u64 = 1;

/// Fields of [`InstallRecord`] that are left out when empty, so their
/// absence from our JSON is no sign they are unknown to us.
const OMITTED_WHEN_EMPTY: &[&str] = &["dual_mode"];

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads one of hotfix's JSON state files from the view (`None` when it is
/// absent); a file that does not parse is named in the error. What it says
/// is still unverified: each caller checks it against what hotfix writes.
pub fn read_state<T: for<'de> Deserialize<'de>>(
    view: &View<'_>,
    p: &RelPath,
) -> Result<Option<T>, EngineError> {
    let Some(bytes) = view.read(p)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| EngineError::State {
            path: view.image().win_path(p),
            problem: e.to_string(),
        })
}

/// `v` as pretty JSON (the baseline: a map whose entries come and go, so
/// neither versioned nor merged).
fn to_json<T: Serialize>(v: &T) -> Arc<Vec<u8>> {
    // Serialising our own plain structs cannot fail.
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    Arc::new(bytes)
}

/// `v` as JSON with `"version"`: [`RECORD_VERSION`] at the top, keeping
/// every field of `old` (the file being rewritten) that `v` does not have,
/// at any depth: objects are merged key by key, arrays of the same length
/// element by element. So a record a newer hotfix wrote survives a rewrite
/// by this one (a dual-mode migration, a reinstall) with what it added.
fn to_json_keeping<T: Serialize>(old: Option<&[u8]>, v: &T) -> Arc<Vec<u8>> {
    // Serialising our own plain structs cannot fail.
    let mut new = serde_json::to_value(v).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut new {
        map.insert("version".into(), RECORD_VERSION.into());
    }
    let old = old.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    if let Some(serde_json::Value::Object(mut old)) = old {
        for known in OMITTED_WHEN_EMPTY {
            old.remove(*known);
        }
        keep_unknown(&mut new, serde_json::Value::Object(old));
    }
    to_json(&new)
}

/// Adds to `new` what only `old` has (see [`to_json_keeping`]).
fn keep_unknown(new: &mut serde_json::Value, old: serde_json::Value) {
    use serde_json::Value;
    match (new, old) {
        (Value::Object(n), Value::Object(o)) => {
            for (k, ov) in o {
                match n.get_mut(&k) {
                    Some(nv) => keep_unknown(nv, ov),
                    None => {
                        n.insert(k, ov);
                    }
                }
            }
        }
        (Value::Array(n), Value::Array(o)) if n.len() == o.len() => {
            for (nv, ov) in n.iter_mut().zip(o) {
                keep_unknown(nv, ov);
            }
        }
        _ => {}
    }
}

/// All install records in the view, oldest first.
pub fn load_records(
    view: &View<'_>,
    paths: &StatePaths,
) -> Result<Vec<InstallRecord>, EngineError> {
    let mut out = Vec::new();
    for p in view.list(&paths.installed_dir()) {
        if p.as_str().ends_with(".json")
            && let Some(r) = read_state::<InstallRecord>(view, &p)?
        {
            // A KB that makes no file name would be written somewhere else.
            paths.record(&r.kb).map_err(|e| EngineError::State {
                path: view.image().win_path(&p),
                problem: format!("kb {:?}: {e}", r.kb),
            })?;
            out.push(r);
        }
    }
    out.sort_by_key(|r| r.seq);
    Ok(out)
}

/// Plans writing one of hotfix's JSON state files (an object) with
/// `"version"`, keeping what a newer hotfix added to the file it replaces
/// (as [`save_record`] does for install records).
pub fn write_state<T: Serialize>(
    view: &mut View<'_>,
    path: &RelPath,
    value: &T,
) -> Result<(), EngineError> {
    let old = view.read(path)?;
    view.put_bytes(
        path,
        to_json_keeping(old.as_deref().map(Vec::as_slice), value),
    );
    Ok(())
}

/// Plans writing `record`, keeping what a newer hotfix added to the one it
/// replaces. Fails on a KB that does not make a file name.
pub fn save_record(
    view: &mut View<'_>,
    paths: &StatePaths,
    record: &InstallRecord,
) -> Result<(), EngineError> {
    write_state(view, &paths.record(&record.kb)?, record)
}

/// The baseline map, keyed by lower-case target.
pub type Baseline = BTreeMap<String, BaselineEntry>;

/// Loads `baseline.json` (empty when absent).
pub fn load_baseline(view: &View<'_>, paths: &StatePaths) -> Result<Baseline, EngineError> {
    Ok(read_state(view, &paths.baseline())?.unwrap_or_default())
}

/// Plans writing the baseline (removing the file when it is empty).
pub fn save_baseline(view: &mut View<'_>, paths: &StatePaths, baseline: &Baseline) {
    if baseline.is_empty() {
        view.remove(&paths.baseline());
    } else {
        view.put_bytes(&paths.baseline(), to_json(baseline));
    }
}

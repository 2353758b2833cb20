//! The JSON shape of the data set and its conversion into [`Update`]s.
//!
//! The `folder` column is irregular: besides clean branch folders it holds
//! mixed-case names (`Rtmqfe\Ip`), subfolders (`SP1QFE\ASMS\60\...`), the
//! dual-mode notes of 2004 bulletins (`(pre-SP1)`, `(with SP1)`,
//! `SP2 (mit SP1)`), a column (`System32`, `x86`) and, for a few rows whose
//! table the extractor could not split, the rest of the table run together
//! (`RTMGDR16-Mar-2004 03:09 ...`). Only the leading folder token and a
//! directly following `\subfolder` are trusted; the rest is ignored.

use std::collections::HashMap;

use hotfix_model::{DualSide, FileVersion, KbId, PayloadFolder, Product, SpLevel};
use serde::Deserialize;

use crate::{DEFAULT_SIZE, DataError, FileRow, Update, dest};

/// Longest file or subfolder name we accept; the data's longest is ~50.
const MAX_NAME: usize = 255;

#[derive(Deserialize)]
pub(crate) struct RawFile {
    pub(crate) updates: Vec<RawUpdate>,
}

#[derive(Deserialize)]
pub(crate) struct RawUpdate {
    kb: String,
    bulletin: Option<String>,
    title: Option<String>,
    product: String,
    #[serde(default)]
    packages_x86: Vec<String>,
    #[serde(default)]
    table_captions: Vec<String>,
    files: Vec<RawRow>,
}

#[derive(Deserialize)]
struct RawRow {
    name: String,
    version: Option<String>,
    size: Option<u64>,
    date: Option<String>,
    time: Option<String>,
    sp_requirement: Option<String>,
    branch: Option<String>,
    folder: Option<String>,
}

/// Converts one entry; `index` is its position, for error messages.
pub(crate) fn convert_update(index: usize, raw: RawUpdate) -> Result<Update, DataError> {
    let entry_err = |message: String| DataError::Entry {
        index,
        kb: raw.kb.clone(),
        message,
    };
    let kb: KbId = raw.kb.parse().map_err(|e| entry_err(format!("{e}")))?;
    let product: Product = raw.product.parse().map_err(|e| entry_err(format!("{e}")))?;
    let mut files = Vec::with_capacity(raw.files.len());
    for (row, r) in raw.files.into_iter().enumerate() {
        let file = convert_row(r).map_err(|message| DataError::Row {
            index,
            kb: raw.kb.clone(),
            row,
            message,
        })?;
        files.push(file);
    }
    number_duplicates(&mut files);
    let title = raw
        .title
        .or_else(|| raw.bulletin.clone())
        .unwrap_or_else(|| kb.to_string());
    Ok(Update {
        kb,
        bulletin: raw.bulletin,
        title,
        product,
        package_names: raw.packages_x86,
        table_captions: raw.table_captions,
        files,
    })
}

fn convert_row(r: RawRow) -> Result<FileRow, String> {
    check_component(&r.name, "file name")?;
    let version = match r.version.as_deref().map(str::trim) {
        // "Not applicable", "Nicht verfügbar": files without a version resource.
        Some(v) if v.starts_with(|c: char| c.is_ascii_digit()) => {
            Some(v.parse::<FileVersion>().map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    let (folder, subfolder) = resolve_folder(r.branch.as_deref(), r.folder.as_deref())?;
    let implied = match folder {
        PayloadFolder::Branch(b) => Some(b.sp),
        PayloadFolder::Dual(d) => Some(d.target_sp()),
        PayloadFolder::Neutral => None,
    };
    let sp = match r.sp_requirement.as_deref() {
        Some(s) => Some(s.parse::<SpLevel>().map_err(|e| e.to_string())?),
        None => implied,
    };
    if let (Some(sp), Some(implied)) = (sp, implied)
        && sp != implied
    {
        return Err(format!(
            "sp_requirement {sp} contradicts folder {}",
            folder.folder().unwrap_or_default()
        ));
    }
    let dest = dest::destination(&r.name, version, subfolder.as_deref());
    Ok(FileRow {
        name: r.name,
        version,
        size: r.size.unwrap_or(DEFAULT_SIZE),
        date: r.date,
        time: r.time,
        folder,
        subfolder,
        sp,
        dest,
        alt: 0,
    })
}

/// The payload folder and subfolder of a row. The `branch` field wins when
/// present; otherwise the leading token of the raw folder decides, and text
/// that names no folder means the package root.
fn resolve_folder(
    branch: Option<&str>,
    raw: Option<&str>,
) -> Result<(PayloadFolder, Option<String>), String> {
    let raw = raw.unwrap_or("").trim();
    let (leading, rest) = match leading_folder(raw) {
        Some((f, rest)) => (Some(f), rest),
        None => (None, ""),
    };
    let folder = match branch {
        Some(b) => PayloadFolder::from_folder(b).ok_or_else(|| format!("unknown branch {b:?}"))?,
        None => leading.unwrap_or(PayloadFolder::Neutral),
    };
    Ok((folder, subfolder(rest)?))
}

/// Splits the folder token off the front of a raw folder value.
fn leading_folder(raw: &str) -> Option<(PayloadFolder, &str)> {
    let head = |n: usize| raw.get(..n).zip(raw.get(n..));
    if let Some((h, rest)) = head(6)
        && let Ok(b) = h.parse()
    {
        return Some((PayloadFolder::Branch(b), rest));
    }
    const NOTES: [(&str, DualSide); 4] = [
        ("(pre-sp1)", DualSide::Sp1),
        ("(with sp1)", DualSide::Sp2),
        ("sp1", DualSide::Sp1),
        ("sp2", DualSide::Sp2),
    ];
    NOTES.iter().find_map(|(note, side)| {
        let (h, rest) = head(note.len())?;
        h.eq_ignore_ascii_case(note)
            .then_some((PayloadFolder::Dual(*side), rest))
    })
}

/// A `\sub\folder` directly after the folder token, up to the first blank.
fn subfolder(rest: &str) -> Result<Option<String>, String> {
    let Some(path) = rest.trim_start().strip_prefix('\\') else {
        return Ok(None);
    };
    let path = path.split_whitespace().next().unwrap_or("");
    let path = path.trim_end_matches('\\');
    if path.is_empty() {
        return Ok(None);
    }
    for part in path.split('\\') {
        check_component(part, "subfolder")?;
    }
    Ok(Some(path.to_owned()))
}

/// A file or folder name that is safe to join into a path.
fn check_component(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty()
        || s.len() > MAX_NAME
        || s.contains(['\\', '/'])
        || hotfix_model::check_component(s).is_err()
    {
        return Err(format!("invalid {what} {s:?}"));
    }
    Ok(())
}

/// Gives each repeat of a (folder, subfolder, name) in one update its own
/// `alt` number, so distinct files with one name get distinct payload paths.
fn number_duplicates(files: &mut [FileRow]) {
    let mut seen: HashMap<(PayloadFolder, String, String), u32> = HashMap::new();
    for f in files {
        let key = (
            f.folder,
            f.subfolder.as_deref().unwrap_or("").to_ascii_lowercase(),
            f.name.to_ascii_lowercase(),
        );
        let n = seen.entry(key).or_insert(0);
        f.alt = *n;
        *n += 1;
    }
}

//! The update.inf of a synthesized package.
//!
//! Branch and dual-mode rows go into one copy section per destination
//! directory under `[ProductInstall.CopyFilesAlways]`; the source named on
//! each line is the path inside the branch folder, so one section serves
//! every branch. Files bound for system32 get a matching dllcache (65619)
//! section under `[ProductInstall.ReplaceFilesIfExist]`. Package-root rows
//! (component updates) are grouped by major version into extended
//! conditionals that require the installed file to have that major version,
//! so an IE7 fix never lands on IE6.

use std::collections::{BTreeMap, HashSet};

use hotfix_dataset::{FileRow, Update};
use hotfix_inf::{CmpOp, Condition, Conditional, CopyFile, DestDir, UpdateInf};
use hotfix_model::{FileVersion, Language, PayloadFolder, SpLevel};

const PROGRAM_FILES: &str = "%ProgramFiles%\\";
const DLLCACHE: u32 = 65619;

/// The destination directory of a row, and the target name: the table's
/// spelling of the file name (the destination path is lower case).
fn destination(row: &FileRow) -> (DestDir, String) {
    let dir = row.dest.rsplit_once('\\').map_or("", |(dir, _)| dir);
    let dest_dir = |dirid, subdir: &str| DestDir {
        dirid,
        subdir: (!subdir.is_empty()).then(|| subdir.to_owned()),
    };
    let lower = dir.to_ascii_lowercase();
    let pf = PROGRAM_FILES.to_ascii_lowercase();
    let d = if lower.starts_with(&pf) || lower == pf.trim_end_matches('\\') {
        dest_dir(16422, dir.get(PROGRAM_FILES.len()..).unwrap_or(""))
    } else {
        match lower.as_str() {
            "system32" => dest_dir(11, ""),
            "system32\\drivers" => dest_dir(12, ""),
            "inf" => dest_dir(17, ""),
            "help" => dest_dir(18, ""),
            "fonts" => dest_dir(20, ""),
            _ if lower.starts_with("system32\\") => dest_dir(11, &dir["system32\\".len()..]),
            _ => dest_dir(10, dir),
        }
    };
    (d, row.name.clone())
}

/// A section-name stem for a destination (`System32`, `ProgramFiles.Internet.Explorer`).
fn stem(dest: &DestDir) -> String {
    let root = match dest.dirid {
        10 => "Windir",
        11 => "System32",
        12 => "Drivers",
        17 => "Inf",
        18 => "Help",
        20 => "Fonts",
        16422 => "ProgramFiles",
        DLLCACHE => "DllCache",
        _ => "Dir",
    };
    let mut out = root.to_owned();
    for part in dest.subdir.iter().flat_map(|s| s.split('\\')) {
        let clean: String = part.chars().filter(char::is_ascii_alphanumeric).collect();
        if !clean.is_empty() {
            out.push('.');
            out.push_str(&clean);
        }
    }
    out
}

/// The source name on a copy line: the payload path below the branch folder.
fn source(row: &FileRow) -> String {
    let path = row.package_path();
    match row.folder {
        PayloadFolder::Neutral => path,
        _ => path
            .split_once('\\')
            .map_or(path.clone(), |(_, rest)| rest.to_owned()),
    }
}

/// Whether section `name` was made for group `prefix` (`Files.System32`
/// belongs to `Files`; `Component10.X` does not belong to `Component1`).
fn in_group(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// Copy sections being built: files grouped per section, sections in
/// first-use order, names unique without regard to case.
#[derive(Default)]
struct Sections {
    order: Vec<(String, DestDir)>,
    files: BTreeMap<String, Vec<CopyFile>>,
    lines: HashSet<(String, String, String)>,
    names: HashSet<String>,
}

impl Sections {
    /// Adds a file to the section `prefix.stem` for `dest`; returns the
    /// section's name.
    fn add(&mut self, prefix: &str, dest: DestDir, target: String, source: String) -> String {
        let existing = self
            .order
            .iter()
            .find(|(name, d)| *d == dest && in_group(name, prefix))
            .map(|(name, _)| name.clone());
        let name = existing.unwrap_or_else(|| {
            let base = format!("{prefix}.{}", stem(&dest));
            let mut name = base.clone();
            let mut n = 2;
            while !self.names.insert(name.to_ascii_lowercase()) {
                name = format!("{base}.{n}");
                n += 1;
            }
            self.order.push((name.clone(), dest.clone()));
            name
        });
        let key = (
            name.clone(),
            target.to_ascii_lowercase(),
            source.to_ascii_lowercase(),
        );
        if self.lines.insert(key) {
            self.files.entry(name.clone()).or_default().push(CopyFile {
                section: name.clone(),
                dest,
                target,
                source,
                flags: 0,
            });
        }
        name
    }

    /// The files of every section whose name starts with `prefix`, grouped.
    fn take(&mut self, prefix: &str) -> Vec<CopyFile> {
        let names: Vec<String> = self
            .order
            .iter()
            .filter(|(n, _)| in_group(n, prefix))
            .map(|(n, _)| n.clone())
            .collect();
        names
            .iter()
            .flat_map(|n| self.files.remove(n).unwrap_or_default())
            .collect()
    }
}

/// The major version a neutral row is grouped by; unversioned rows join the
/// most common major among the package's versioned neutral rows.
fn neutral_groups(rows: &[&FileRow]) -> BTreeMap<Option<u16>, Vec<usize>> {
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    for v in rows.iter().filter_map(|r| r.version) {
        *counts.entry(v.major).or_default() += 1;
    }
    let common = counts.iter().max_by_key(|(_, n)| **n).map(|(m, _)| *m);
    let mut groups: BTreeMap<Option<u16>, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        groups
            .entry(row.version.map(|v| v.major).or(common))
            .or_default()
            .push(i);
    }
    groups
}

/// Builds the update.inf model for `update`.
pub(crate) fn build_inf(update: &Update, language: Language, sp: (SpLevel, SpLevel)) -> UpdateInf {
    let product = update.product;
    let (major, minor) = product.nt_version();
    let mut sections = Sections::default();
    let mut neutral = Vec::new();
    for row in &update.files {
        let (dest, target) = destination(row);
        if row.folder == PayloadFolder::Neutral {
            neutral.push(row);
            continue;
        }
        let from = source(row);
        if dest.dirid == 11 && dest.subdir.is_none() {
            let cache = DestDir {
                dirid: DLLCACHE,
                subdir: None,
            };
            sections.add("Cache", cache, target.clone(), from.clone());
        }
        sections.add("Files", dest, target, from);
    }
    let mut copy_always = sections.take("Files");
    let replace_if_exist = sections.take("Cache");

    let mut conditionals = Vec::new();
    for (i, (group_major, members)) in neutral_groups(&neutral).into_iter().enumerate() {
        let prefix = format!("Component{}", i + 1);
        let mut probe = None;
        for &m in &members {
            let row = neutral[m];
            let (dest, target) = destination(row);
            let section = sections.add(&prefix, dest, target.clone(), source(row));
            if probe.is_none() && row.version.is_some() {
                probe = Some((section, target));
            }
        }
        let copy_files = sections.take(&prefix);
        let Some((m, (section, file))) = group_major.zip(probe) else {
            // Only unversioned files: nothing to test, so they always go.
            copy_always.extend(copy_files);
            continue;
        };
        let check = |op, v: u16| Condition::CheckFilever {
            section: section.clone(),
            file: file.clone(),
            op,
            version: Some(FileVersion::new(v, 0, 0, 0)),
        };
        let condition = match m.checked_add(1) {
            Some(next) => Condition::And(vec![check(CmpOp::Ge, m), check(CmpOp::Lt, next)]),
            None => check(CmpOp::Ge, m),
        };
        conditionals.push(Conditional {
            condition,
            copy_files,
        });
    }

    let kb = update.kb.to_string();
    let title = match &update.bulletin {
        Some(_) => format!("Security Update for {} ({kb})", product.name()),
        None => format!("Update for {} ({kb})", product.name()),
    };
    UpdateInf {
        signature: "$Windows NT$".into(),
        nt_build_to_update: Some(product.build().into()),
        nt_major: Some(major.into()),
        nt_minor: Some(minor.into()),
        min_sp: Some(sp.0.inf_value()),
        max_sp: Some(sp.1.inf_value()),
        language_type: Some(language.langid().into()),
        strings: vec![
            ("SP_SHORT_TITLE".into(), kb.clone()),
            ("SP_TITLE".into(), title.clone()),
        ],
        short_title: kb,
        title: Some(title),
        copy_always,
        replace_if_exist,
        conditionals,
        add_reg: Vec::new(),
        del_reg: Vec::new(),
    }
}

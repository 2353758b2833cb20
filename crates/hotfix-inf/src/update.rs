//! The typed model of update.inf, as Update.exe reads it.

use crate::cond::read_condition;
use crate::number::{parse_flags, parse_u32};
use crate::parse::eq_nocase;
use crate::reg::{parse_add, parse_del};
use crate::{Conditional, DestDir, Inf, InfError, Line, RegLine, invalid};

/// One file of a copy section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFile {
    /// The copy section that lists the file.
    pub section: String,
    /// Where the section's files go.
    pub dest: DestDir,
    /// The file's name on disk.
    pub target: String,
    /// The file's name in the package (= `target` when the field is empty).
    pub source: String,
    /// COPYFLG_* flags (8 = COPYFLG_FORCE_FILE_IN_USE).
    pub flags: u32,
}

/// What Update.exe takes from an update.inf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateInf {
    /// `[Version] Signature` (`$Windows NT$`).
    pub signature: String,
    /// `[Version] NtBuildToUpdate` (2600 for XP, 3790 for Server 2003).
    pub nt_build_to_update: Option<u32>,
    /// `[Version] NtMajorVersionToUpdate`.
    pub nt_major: Option<u32>,
    /// `[Version] NtMinorVersionToUpdate`.
    pub nt_minor: Option<u32>,
    /// `[Version] MinNtServicePackVersion` (256 per SP: SP1 = 256).
    pub min_sp: Option<u32>,
    /// `[Version] MaxNtServicePackVersion`.
    pub max_sp: Option<u32>,
    /// `[Version] LanguageType`, a LANGID (0x409 = 1033 = English).
    pub language_type: Option<u32>,
    /// `[Strings] SP_SHORT_TITLE`, the KB name (`KB925902`).
    pub short_title: String,
    /// `[Strings] SP_TITLE`.
    pub title: Option<String>,
    /// Every `[Strings]` entry in file order, values unsubstituted.
    pub strings: Vec<(String, String)>,
    /// Files of `[ProductInstall.CopyFilesAlways]`.
    pub copy_always: Vec<CopyFile>,
    /// Files of `[ProductInstall.ReplaceFilesIfExist]`.
    pub replace_if_exist: Vec<CopyFile>,
    /// `[ProductInstall.ExtendedConditional]` installs.
    pub conditionals: Vec<Conditional>,
    /// `Product.Add.Reg` plus the AddReg sections that
    /// `[ProductInstall.GlobalRegistryChanges]` names.
    pub add_reg: Vec<RegLine>,
    /// `Product.Del.Reg` plus the DelReg sections named the same way.
    pub del_reg: Vec<RegLine>,
}

/// The names listed by every `key=` line of `section`, with their line.
fn listed<'a>(inf: &'a Inf, section: &str, key: &'a str) -> Vec<(&'a str, usize)> {
    inf.section(section)
        .into_iter()
        .flat_map(|s| s.keyed(key))
        .flat_map(|l| l.fields.iter().map(move |f| (f.as_str(), l.line)))
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

fn version_number(inf: &Inf, key: &str) -> Result<Option<u32>, InfError> {
    let Some(line) = inf.section("Version").and_then(|s| s.keyed(key).next()) else {
        return Ok(None);
    };
    let text = line.field(0);
    parse_u32(text)
        .map(Some)
        .ok_or_else(|| invalid(line.line, format!("{key} = {text:?} is not a number")))
}

fn dest_dir(line: &Line) -> Result<DestDir, InfError> {
    let text = line.fields.first().map_or("", |s| s.trim());
    let dirid = text
        .parse()
        .map_err(|_| invalid(line.line, format!("directory id {text:?} is not a number")))?;
    let subdir = line.fields.get(1).filter(|s| !s.is_empty()).cloned();
    Ok(DestDir { dirid, subdir })
}

/// The files of copy section `name`, referenced at `line`.
fn copy_section(inf: &Inf, name: &str, line: usize) -> Result<Vec<CopyFile>, InfError> {
    let section = inf.section_at(name, line)?;
    let dirs = inf.section("DestinationDirs");
    let dest_line = dirs
        .and_then(|d| d.keyed(name).next())
        .or_else(|| dirs.and_then(|d| d.keyed("DefaultDestDir").next()))
        .ok_or_else(|| {
            invalid(
                section.line,
                format!("copy section [{name}] has no [DestinationDirs] entry and there is no DefaultDestDir"),
            )
        })?;
    let dest = dest_dir(dest_line)?;
    section
        .lines
        .iter()
        .map(|l| {
            let target = l.field(0);
            if target.is_empty() {
                return Err(invalid(
                    l.line,
                    format!("copy section [{name}]: empty file name"),
                ));
            }
            let source = Some(l.field(1)).filter(|s| !s.is_empty()).unwrap_or(target);
            Ok(CopyFile {
                section: section.name.clone(),
                dest: dest.clone(),
                target: target.to_owned(),
                source: source.to_owned(),
                flags: parse_flags(l.field(3), l.line, "copy flags")?,
            })
        })
        .collect()
}

/// The files of every copy section that `CopyFiles=` lines in `install` name.
fn install_section(inf: &Inf, install: &str) -> Result<Vec<CopyFile>, InfError> {
    let mut files = Vec::new();
    for (name, line) in listed(inf, install, "CopyFiles") {
        files.extend(copy_section(inf, name, line)?);
    }
    Ok(files)
}

fn conditional(inf: &Inf, name: &str, line: usize) -> Result<Conditional, InfError> {
    let condition = read_condition(inf, name, line)?;
    let entry_line = inf
        .section(name)
        .and_then(|s| s.keyed("ConditionalOperations").next())
        .filter(|l| !l.field(0).is_empty())
        .ok_or_else(|| InfError::Missing {
            section: name.to_owned(),
            key: "ConditionalOperations".into(),
        })?;
    let entry = entry_line.field(0);
    inf.section_at(entry, entry_line.line)?;
    let mut copy_files = Vec::new();
    for (install, install_line) in listed(inf, entry, "FileOperation") {
        inf.section_at(install, install_line)?;
        copy_files.extend(install_section(inf, install)?);
    }
    Ok(Conditional {
        condition,
        copy_files,
    })
}

/// The registry sections: `default` if present, then those named by
/// `key=` in `[ProductInstall.GlobalRegistryChanges]` (each once).
fn reg_lines(
    inf: &Inf,
    default: &str,
    key: &str,
    read: fn(&Line) -> Result<RegLine, InfError>,
) -> Result<Vec<RegLine>, InfError> {
    let mut names: Vec<&str> = Vec::new();
    if inf.section(default).is_some() {
        names.push(default);
    }
    for (name, line) in listed(inf, "ProductInstall.GlobalRegistryChanges", key) {
        inf.section_at(name, line)?;
        if !names.iter().any(|n| eq_nocase(n, name)) {
            names.push(name);
        }
    }
    let mut out = Vec::new();
    for name in names {
        for line in inf.section(name).map_or(&[][..], |s| &s.lines) {
            out.push(read(line)?);
        }
    }
    Ok(out)
}

impl UpdateInf {
    /// Reads the update.inf model from a parsed INF.
    pub fn from_inf(inf: &Inf) -> Result<Self, InfError> {
        let signature = inf
            .value("Version", "Signature")
            .ok_or_else(|| InfError::Missing {
                section: "Version".into(),
                key: "Signature".into(),
            })?;
        let short_title = inf
            .string("SP_SHORT_TITLE")
            .ok_or_else(|| InfError::Missing {
                section: "Strings".into(),
                key: "SP_SHORT_TITLE".into(),
            })?;
        let strings = inf
            .section("Strings")
            .map(|s| {
                s.lines
                    .iter()
                    .filter_map(|l| {
                        let value = l.fields.first().cloned().unwrap_or_default();
                        Some((l.key.clone()?, value))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut conditionals = Vec::new();
        for (name, line) in listed(
            inf,
            "ProductInstall.ExtendedConditional",
            "ConditionInstall",
        ) {
            conditionals.push(conditional(inf, name, line)?);
        }
        Ok(UpdateInf {
            signature: signature.to_owned(),
            nt_build_to_update: version_number(inf, "NtBuildToUpdate")?,
            nt_major: version_number(inf, "NtMajorVersionToUpdate")?,
            nt_minor: version_number(inf, "NtMinorVersionToUpdate")?,
            min_sp: version_number(inf, "MinNtServicePackVersion")?,
            max_sp: version_number(inf, "MaxNtServicePackVersion")?,
            language_type: version_number(inf, "LanguageType")?,
            short_title: short_title.to_owned(),
            title: inf.string("SP_TITLE").map(str::to_owned),
            strings,
            copy_always: install_section(inf, "ProductInstall.CopyFilesAlways")?,
            replace_if_exist: install_section(inf, "ProductInstall.ReplaceFilesIfExist")?,
            conditionals,
            add_reg: reg_lines(inf, "Product.Add.Reg", "AddReg", parse_add)?,
            del_reg: reg_lines(inf, "Product.Del.Reg", "DelReg", parse_del)?,
        })
    }

    /// Parses update.inf bytes: [`Inf::parse`] then [`UpdateInf::from_inf`].
    pub fn parse(bytes: &[u8]) -> Result<Self, InfError> {
        Self::from_inf(&Inf::parse(bytes)?)
    }
}

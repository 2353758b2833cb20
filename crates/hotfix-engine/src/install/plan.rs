//! Before any file is touched: does the package apply, which branch folder
//! does it use, and which files does its update.inf target.

use std::collections::BTreeSet;

use hotfix_image::{Identity, Image, ImageError};
use hotfix_inf::{CmpOp, Condition, CopyFile, DirRoot, RegRoot, dirid_location, parse_u32};
use hotfix_model::{Branch, BranchKind, DualSide, PayloadFolder, SpLevel, TagRank};
use hotfix_package::Package;
use hotfix_txn::RelPath;

use crate::EngineError;
use crate::rank::version_and_tag;
use crate::registry::Registry;
use crate::view::View;

/// Why a package does not apply, in the user's terms; `None` when it does.
pub fn applicability(pkg: &Package, id: &Identity) -> Option<String> {
    let m = &pkg.manifest;
    if m.product != id.product {
        return Some(format!(
            "the package is for {}, this image is {}",
            m.product.product_name(),
            id.product_name
        ));
    }
    let inf = &pkg.inf;
    if let Some(build) = inf.nt_build_to_update
        && build != u32::from(id.build)
    {
        return Some(format!(
            "the package updates build {build}, this image is build {}",
            id.build
        ));
    }
    let sp = id.sp.inf_value();
    if let Some(max) = inf.max_sp
        && sp > max
    {
        return Some(format!(
            "the service pack on this system ({}) is newer than the update, which applies up to {}",
            id.sp.csd_version(),
            SpLevel((max / 256) as u8).cardinal()
        ));
    }
    if let Some(min) = inf.min_sp
        && sp < min
    {
        return Some(format!(
            "the update needs {} or later; this system has {}",
            SpLevel((min / 256) as u8).csd_version(),
            if id.sp.0 == 0 {
                "no service pack".to_owned()
            } else {
                id.sp.csd_version()
            }
        ));
    }
    if let Some(lang) = inf.language_type.filter(|&l| l != 0) {
        let ours = u32::from(id.language.langid());
        if lang & 0x3ff != ours & 0x3ff {
            return Some(format!(
                "the package's language ({lang:#06x}) differs from this system's ({} {ours:#06x})",
                id.language.code()
            ));
        }
    }
    None
}

/// Which payload folders the package uses on this image.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Branch folders present for this service-pack level.
    pub gdr: Option<Branch>,
    /// The QFE folder for this level, if present.
    pub qfe: Option<Branch>,
    /// The chosen branch.
    pub chosen: Option<Branch>,
    /// The dual-mode side for this level, if the package is dual-mode.
    pub dual: Option<DualSide>,
}

impl Layout {
    /// Reads the package's top-level folders.
    pub fn of(pkg: &Package, id: &Identity) -> Result<Self, String> {
        let mut branches = BTreeSet::new();
        let mut duals = BTreeSet::new();
        for e in pkg.payload() {
            let Some((top, _)) = e.path.split_once('\\') else {
                continue;
            };
            match PayloadFolder::from_folder(top) {
                Some(PayloadFolder::Branch(b)) => {
                    branches.insert(b);
                }
                Some(PayloadFolder::Dual(d)) => {
                    duals.insert(d);
                }
                _ => {}
            }
        }
        let here = |kind| {
            branches
                .iter()
                .copied()
                .find(|b: &Branch| b.sp == id.sp && b.kind == kind)
        };
        let (gdr, qfe) = (here(BranchKind::Gdr), here(BranchKind::Qfe));
        if !branches.is_empty() && gdr.is_none() && qfe.is_none() {
            let list: Vec<String> = branches.iter().map(|b| b.folder()).collect();
            return Err(format!(
                "it has no files for {} (its branch folders: {})",
                id.sp.cardinal(),
                list.join(", ")
            ));
        }
        let dual = duals.iter().copied().find(|d| d.target_sp() == id.sp);
        if !duals.is_empty() && dual.is_none() {
            return Err(format!(
                "this dual-mode package has no files for {}",
                id.sp.cardinal()
            ));
        }
        Ok(Self {
            gdr,
            qfe,
            chosen: gdr.or(qfe),
            dual,
        })
    }

    /// Payload paths to try for a copy-list source name, best first.
    pub fn candidates(&self, source: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = self.chosen {
            out.push(format!("{}\\{source}", b.folder()));
        }
        if let Some(d) = self.dual {
            out.push(format!("{}\\{source}", d.folder()));
            out.push(format!("Common\\{source}"));
        }
        out.push(source.to_owned());
        out
    }
}

/// How a copy line applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `CopyFilesAlways` or a condition that held.
    Always,
    /// `ReplaceFilesIfExist`.
    IfExists,
}

/// One file the package may write.
#[derive(Debug, Clone)]
pub struct Target {
    /// The destination in the image.
    pub rel: RelPath,
    /// The copy line.
    pub copy: CopyFile,
    /// How it applies.
    pub mode: Mode,
}

/// Where a copy line of update.inf lands, as a Windows path
/// (`%windir%\\system32\\x.dll`), for hotfixes and service packs alike.
pub fn destination(copy: &CopyFile) -> Result<String, EngineError> {
    let (root, rel) = dirid_location(copy.dest.dirid).ok_or_else(|| {
        EngineError::Usage(format!(
            "update.inf section [{}] copies to DestinationDirs id {}, which hotfix does not service",
            copy.section, copy.dest.dirid
        ))
    })?;
    let base = match root {
        DirRoot::Windir => "%windir%",
        DirRoot::SystemDrive => "%SystemDrive%",
        DirRoot::ProgramFiles => "%ProgramFiles%",
        DirRoot::CommonFiles => "%CommonProgramFiles%",
    };
    let mut path = base.to_owned();
    for part in [rel, copy.dest.subdir.as_deref().unwrap_or(""), &copy.target] {
        if !part.is_empty() {
            path.push('\\');
            path.push_str(part);
        }
    }
    Ok(path)
}

/// Resolves a copy line's destination inside the image. A destination
/// that could leave the image (`..`, another drive, a device) is the
/// package's fault, not the image's.
pub fn resolve_target(view: &View<'_>, copy: &CopyFile) -> Result<RelPath, EngineError> {
    let path = destination(copy)?;
    view.image().resolve(view.fs(), &path).map_err(|e| match e {
        ImageError::HostilePath { .. } => EngineError::BadPackageLine {
            by: format!("update.inf section [{}]", copy.section),
            problem: e.to_string(),
        },
        e => e.into(),
    })
}

/// [`resolve_target`] for a line that writes: refuses destinations no
/// package may write (`Image::protected`).
pub fn write_target(
    view: &View<'_>,
    copy: &CopyFile,
    package: &str,
) -> Result<RelPath, EngineError> {
    let rel = resolve_target(view, copy)?;
    check_writable(view.image(), &rel, || {
        format!("{package}: update.inf section [{}]", copy.section)
    })?;
    Ok(rel)
}

/// Refuses a write of `rel` that only the engine may make; `by` names
/// what asked, for the message.
pub fn check_writable(
    image: &Image,
    rel: &RelPath,
    by: impl FnOnce() -> String,
) -> Result<(), EngineError> {
    match image.protected(rel) {
        Some(why) => Err(EngineError::Protected {
            by: by(),
            path: image.win_path(rel),
            why: why.to_owned(),
        }),
        None => Ok(()),
    }
}

/// `have <op> want`, for versions and registry data alike.
fn compare<T: Ord>(op: CmpOp, have: T, want: T) -> bool {
    match op {
        CmpOp::Gt => have > want,
        CmpOp::Ge => have >= want,
        CmpOp::Lt => have < want,
        CmpOp::Le => have <= want,
        CmpOp::Eq | CmpOp::Exists => have == want,
    }
}

/// `CheckReg`: a key's existence, or a value compared as a number when both
/// sides are numbers (DWORDs, `0x` or decimal), else as case-insensitive text.
fn check_reg(
    reg: &Registry,
    root: RegRoot,
    key: &str,
    name: Option<&str>,
    op: CmpOp,
    expected: Option<&str>,
) -> bool {
    let Ok((hive, path)) = reg.map_root(root, key) else {
        return false;
    };
    let hive = reg.hive(hive);
    let Some(name) = name else {
        return op == CmpOp::Exists && hive.key(&path).is_some();
    };
    let Some(value) = hive.get(&path, name) else {
        return false;
    };
    let Some(expected) = expected else {
        return op == CmpOp::Exists;
    };
    let have_num = value
        .as_dword()
        .or_else(|| value.as_str().and_then(parse_u32));
    match (have_num, parse_u32(expected)) {
        (Some(h), Some(w)) => compare(op, h, w),
        _ => value
            .as_str()
            .is_some_and(|h| compare(op, h.to_lowercase(), expected.to_lowercase())),
    }
}

fn holds(
    view: &View<'_>,
    reg: &Registry,
    cond: &Condition,
    sections: &[CopyFile],
) -> Result<bool, EngineError> {
    Ok(match cond {
        Condition::And(all) => {
            for c in all {
                if !holds(view, reg, c, sections)? {
                    return Ok(false);
                }
            }
            true
        }
        Condition::Or(any) => {
            for c in any {
                if holds(view, reg, c, sections)? {
                    return Ok(true);
                }
            }
            false
        }
        Condition::CheckFilever {
            section,
            file,
            op,
            version,
        } => {
            let dest = sections
                .iter()
                .find(|c| c.section.eq_ignore_ascii_case(section))
                .map(|c| CopyFile {
                    target: file.clone(),
                    ..c.clone()
                });
            let Some(copy) = dest else { return Ok(false) };
            let rel = resolve_target(view, &copy)?;
            let Some(bytes) = view.read(&rel)? else {
                return Ok(false);
            };
            match (op, version_and_tag(&bytes).0, version) {
                (CmpOp::Exists, _, _) => true,
                (op, Some(h), Some(v)) => compare(*op, h, *v),
                _ => false,
            }
        }
        Condition::CheckReg {
            root,
            key,
            value_name,
            op,
            expected,
        } => check_reg(
            reg,
            *root,
            key,
            value_name.as_deref(),
            *op,
            expected.as_deref(),
        ),
    })
}

/// Every file the package's update.inf targets on this image.
pub fn targets(view: &View<'_>, reg: &Registry, pkg: &Package) -> Result<Vec<Target>, EngineError> {
    let inf = &pkg.inf;
    let resolve_target =
        |view: &View<'_>, copy: &CopyFile| write_target(view, copy, &pkg.file_name);
    let mut out = Vec::new();
    for copy in &inf.copy_always {
        out.push(Target {
            rel: resolve_target(view, copy)?,
            copy: copy.clone(),
            mode: Mode::Always,
        });
    }
    for copy in &inf.replace_if_exist {
        out.push(Target {
            rel: resolve_target(view, copy)?,
            copy: copy.clone(),
            mode: Mode::IfExists,
        });
    }
    for cond in &inf.conditionals {
        if holds(view, reg, &cond.condition, &cond.copy_files)? {
            for copy in &cond.copy_files {
                out.push(Target {
                    rel: resolve_target(view, copy)?,
                    copy: copy.clone(),
                    mode: Mode::Always,
                });
            }
        }
    }
    Ok(out)
}

/// `AnalyzeForBranching`: the package goes QFE when a target on disk comes
/// from a QFE build (rule R4). Returns the log line of the decision.
pub fn analyze_branching(
    view: &View<'_>,
    layout: &mut Layout,
    targets: &[Target],
    id: &Identity,
) -> Result<Option<String>, EngineError> {
    let (Some(gdr), Some(qfe)) = (layout.gdr, layout.qfe) else {
        return Ok(None);
    };
    if layout.chosen != Some(gdr) {
        return Ok(None);
    }
    for t in targets {
        let Some(bytes) = view.read(&t.rel)? else {
            continue;
        };
        if version_and_tag(&bytes).1 == TagRank::Qfe {
            layout.chosen = Some(qfe);
            let sp = id.sp.cardinal().to_lowercase();
            return Ok(Some(format!(
                "AnalyzeForBranching: g_bRepeatInventory set to TRUE because target file {} has branch {sp}qfe which is greater than branch for {sp}gdr",
                view.image().win_path(&t.rel).to_lowercase()
            )));
        }
    }
    Ok(None)
}

//! `hotfix verify` (Qfecheck) and `hotfix list` (`Update.exe -l`).
//!
//! Two of Qfecheck's false alarms are fixed here: a dual-mode hotfix that
//! Xpsp1hfm migrated has Updates keys under both `SP1` and `SP2` and was
//! reported twice (KB328848); we report each KB once, from our record when
//! we have one. And a hotfix whose files a later service pack replaced is
//! "Superseded by Service Pack N", from the list `sp install` records in
//! `$hotfix$\servicepacks.json`, not a hotfix to reinstall.

use std::collections::BTreeSet;

use hotfix_i18n::Msg;
use hotfix_model::{FileVersion, KbId, SpLevel};
use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::log::ImageLocale;
use crate::rank::version_and_tag;
use crate::record::{InstallRecord, load_records, read_state, write_state};
use crate::registry::{HiveName, Registry};
use crate::session::Session;
use crate::view::View;

/// The verdict on one hotfix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every file is at least the recorded version.
    Current,
    /// Some files wait in the rename queue.
    PendingRestart,
    /// A file is older than recorded, or missing.
    Reinstall,
    /// A later service pack replaced its files (it contains the fix).
    Superseded,
}

/// A service pack `hotfix sp install` put on the image, with the hotfixes
/// whose files it replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePackEntry {
    /// `KB835935`.
    pub kb: String,
    /// The level it brought.
    pub sp: u8,
    /// `Windows XP Service Pack 2`.
    pub title: String,
    /// UTC time of the install.
    pub installed_at: String,
    /// Hotfixes installed before it whose files it replaced.
    pub superseded: Vec<String>,
}

/// `$hotfix$\servicepacks.json`: the service packs installed, oldest first.
pub fn service_packs_path(view: &View<'_>) -> RelPath {
    view.image().state_dir().service_packs()
}

/// `servicepacks.json`: versioned since format 1; format 0 was the bare list.
#[derive(Deserialize)]
#[serde(untagged)]
enum ServicePackFile {
    Versioned {
        service_packs: Vec<ServicePackEntry>,
    },
    Bare(Vec<ServicePackEntry>),
}

#[derive(Serialize)]
struct ServicePackList<'a> {
    service_packs: &'a [ServicePackEntry],
}

/// The service packs `hotfix sp install` recorded (none when absent), each
/// checked: a KB number and a level an XP or 2003 service pack can bring.
pub fn load_service_packs(view: &View<'_>) -> Result<Vec<ServicePackEntry>, EngineError> {
    let p = service_packs_path(view);
    let packs = match read_state::<ServicePackFile>(view, &p)? {
        None => return Ok(Vec::new()),
        Some(ServicePackFile::Versioned { service_packs }) => service_packs,
        Some(ServicePackFile::Bare(list)) => list,
    };
    for pack in &packs {
        let kbs = std::iter::once(&pack.kb).chain(&pack.superseded);
        let bad = if let Some(kb) = kbs.into_iter().find(|k| k.parse::<KbId>().is_err()) {
            format!("{kb:?} is not a KB number")
        } else if !(1..=3).contains(&pack.sp) {
            format!("service pack level {} is none that exists", pack.sp)
        } else {
            continue;
        };
        return Err(EngineError::State {
            path: view.image().win_path(&p),
            problem: format!(
                "{bad}; no install writes that, so the file was edited and is not used"
            ),
        });
    }
    Ok(packs)
}

/// Plans writing the service-pack list (versioned, keeping what a newer
/// hotfix added).
pub fn save_service_packs(
    view: &mut View<'_>,
    packs: &[ServicePackEntry],
) -> Result<(), EngineError> {
    let p = service_packs_path(view);
    write_state(
        view,
        &p,
        &ServicePackList {
            service_packs: packs,
        },
    )
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyEntry {
    /// `KB925902`.
    pub kb: String,
    /// The verdict.
    pub status: Status,
    /// What is wrong, file by file, with what to do.
    pub problems: Vec<String>,
}

/// The Qfecheck report.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// `ComputerName`.
    pub computer: String,
    /// `Service Pack 2`.
    pub service_pack: String,
    /// Per hotfix.
    pub hotfixes: Vec<VerifyEntry>,
    /// The report as Qfecheck printed it with `/v`: each hotfix's line and
    /// what is wrong with it, in the image's language.
    pub text: String,
    /// The report without `/v`: each hotfix's line only.
    pub brief: String,
}

impl VerifyReport {
    /// Whether every hotfix is current (or contained in a service pack).
    pub fn all_current(&self) -> bool {
        self.hotfixes
            .iter()
            .all(|h| matches!(h.status, Status::Current | Status::Superseded))
    }
}

fn check(
    loc: &ImageLocale,
    view: &View<'_>,
    queue_targets: &[String],
    rec: &InstallRecord,
) -> Result<VerifyEntry, EngineError> {
    let image = view.image();
    let mut status = Status::Current;
    let mut problems = Vec::new();
    for f in rec.files.iter().filter(|f| f.action.applied()) {
        let Ok(rel) = RelPath::new(&f.target) else {
            continue;
        };
        let win = image.win_path(&rel);
        let nt = image.nt_path(&rel).to_lowercase();
        if queue_targets.contains(&nt) {
            if status == Status::Current {
                status = Status::PendingRestart;
            }
            problems.push(loc.fmt(Msg::QfeQueued, &[&win]));
            continue;
        }
        let want: Option<FileVersion> = f.version.as_deref().and_then(|v| v.parse().ok());
        match view.read(&rel)? {
            None => {
                status = Status::Reinstall;
                problems.push(loc.fmt(Msg::QfeMissing, &[&win, &rec.kb]));
            }
            Some(bytes) => {
                let have = version_and_tag(&bytes).0;
                if let (Some(w), Some(h)) = (want, have) {
                    if h < w {
                        status = Status::Reinstall;
                        let what = format!("{} ({})", rec.kb, rec.package);
                        let (h, w) = (h.to_string(), w.to_string());
                        problems.push(loc.fmt(Msg::QfeOlder, &[&win, &h, &w, &what]));
                    }
                } else if want.is_some() && have.is_none() {
                    status = Status::Reinstall;
                    problems.push(loc.fmt(Msg::QfeNoVersion, &[&win, &rec.kb]));
                }
            }
        }
    }
    Ok(VerifyEntry {
        kb: rec.kb.clone(),
        status,
        problems,
    })
}

/// The file a Filelist entry names: `Location` is a Windows directory.
fn check_registry_only(
    loc: &ImageLocale,
    view: &View<'_>,
    kb: &str,
    filelist: &hotfix_hive::Key,
) -> Result<VerifyEntry, EngineError> {
    let image = view.image();
    let mut problems = Vec::new();
    for f in filelist.subkeys() {
        let s = |n: &str| f.value(n).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let win = format!("{}\\{}", s("Location"), s("FileName"));
        let Ok(rel) = image.resolve(view.fs(), &win) else {
            continue;
        };
        let want: Option<FileVersion> = s("Version").parse().ok();
        let have = view.read(&rel)?.and_then(|b| version_and_tag(&b).0);
        match (want, have) {
            (Some(w), Some(h)) if h < w => {
                let (h, w) = (h.to_string(), w.to_string());
                problems.push(loc.fmt(Msg::QfeOlder, &[&win, &h, &w, kb]));
            }
            (Some(_), None) => problems.push(loc.fmt(Msg::QfeNoVersion, &[&win, kb])),
            _ => {}
        }
    }
    Ok(VerifyEntry {
        kb: kb.to_owned(),
        status: if problems.is_empty() {
            Status::Current
        } else {
            Status::Reinstall
        },
        problems,
    })
}

/// Hotfixes only the registry's Updates keys know (installed by Windows),
/// each once however many `SPn` keys name it.
fn registry_only(
    loc: &ImageLocale,
    view: &View<'_>,
    reg: &Registry,
    product: &str,
    known: &mut BTreeSet<String>,
) -> Result<Vec<VerifyEntry>, EngineError> {
    let mut out = Vec::new();
    let sw = reg.hive(HiveName::Software);
    let Some(updates) = sw.key(&format!("Microsoft\\Updates\\{product}")) else {
        return Ok(out);
    };
    for level in updates.subkeys() {
        for fix in level.subkeys() {
            if !known.insert(fix.name().to_uppercase()) {
                continue;
            }
            let entry = match fix.subkey("Filelist") {
                Some(list) => check_registry_only(loc, view, fix.name(), list)?,
                None => VerifyEntry {
                    kb: fix.name().to_owned(),
                    status: Status::Current,
                    problems: Vec::new(),
                },
            };
            out.push(entry);
        }
    }
    Ok(out)
}

/// Checks every installed hotfix against the files on disk.
pub fn verify(session: &Session<'_>) -> Result<VerifyReport, EngineError> {
    let image = &session.image;
    let loc = ImageLocale::of(&session.identity);
    let view = View::new(session.fs, image);
    let reg = Registry::load(&view, image)?;
    let records = load_records(&view, &session.paths)?;
    let packs = load_service_packs(&view)?;
    let queue_targets: Vec<String> = reg
        .queue()
        .ops
        .iter()
        .filter_map(|op| op.target.as_deref())
        .map(str::to_lowercase)
        .collect();
    let mut hotfixes = Vec::new();
    let mut superseded_by = Vec::new();
    for rec in &records {
        let by = packs.iter().rev().find(|p| {
            rec.sp < p.sp && p.superseded.iter().any(|k| k.eq_ignore_ascii_case(&rec.kb))
        });
        let entry = match by {
            Some(p) => {
                superseded_by.push((rec.kb.clone(), p.sp));
                VerifyEntry {
                    kb: rec.kb.clone(),
                    status: Status::Superseded,
                    problems: Vec::new(),
                }
            }
            None => check(&loc, &view, &queue_targets, rec)?,
        };
        hotfixes.push(entry);
    }
    let mut known: BTreeSet<String> = records.iter().map(|r| r.kb.to_uppercase()).collect();
    let id = &session.identity;
    hotfixes.extend(registry_only(
        &loc,
        &view,
        &reg,
        id.product.name(),
        &mut known,
    )?);
    let computer = reg
        .map_hklm("SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName")
        .and_then(|(h, k)| {
            reg.hive(h)
                .get(&k, "ComputerName")
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "LOCALHOST".into());
    let sp = if id.sp.0 == 0 {
        loc.fmt(Msg::QfeNoServicePack, &[])
    } else {
        id.csd_version.clone()
    };
    let mut head = [
        loc.fmt(Msg::QfeTitle, &[id.product.name(), &computer]),
        loc.fmt(Msg::QfeDate, &[&loc.clock.now().qfecheck()]),
        String::new(),
        loc.fmt(Msg::QfeSpLevel, &[&sp]),
        String::new(),
        loc.fmt(Msg::QfeIdentified, &[]),
    ]
    .join("\n");
    head.push('\n');
    if hotfixes.is_empty() {
        head.push_str(&loc.fmt(Msg::QfeNone, &[]));
        head.push('\n');
    }
    let (mut text, mut brief) = (head.clone(), head);
    for h in &hotfixes {
        let line = match h.status {
            Status::Current => loc.fmt(Msg::QfeCurrent, &[]),
            Status::PendingRestart => loc.fmt(Msg::QfePending, &[]),
            Status::Reinstall => loc.fmt(Msg::QfeReinstall, &[]),
            Status::Superseded => {
                let level = superseded_by
                    .iter()
                    .find(|(k, _)| *k == h.kb)
                    .map_or(0, |(_, sp)| *sp);
                loc.fmt(Msg::QfeSuperseded, &[&SpLevel(level).csd_version()])
            }
        };
        let line = format!("{}: {line}\n", h.kb);
        brief.push_str(&line);
        text.push_str(&line);
        for p in &h.problems {
            text.push_str(&format!("    {p}\n"));
        }
    }
    Ok(VerifyReport {
        computer,
        service_pack: sp,
        hotfixes,
        text,
        brief,
    })
}

/// One installed hotfix, for `list`.
#[derive(Debug, Clone, Serialize)]
pub struct ListEntry {
    /// `KB925902`.
    pub kb: String,
    /// Its title.
    pub title: String,
    /// `Installed On`.
    pub installed_on: String,
    /// The branch used, when hotfix installed it.
    pub branch: Option<String>,
    /// Files it placed.
    pub files: usize,
    /// `hotfix` (we have its record), `service-pack` (`sp install`) or
    /// `registry` (installed by Windows).
    pub source: String,
}

/// Installed hotfixes: ours, then those only the registry knows.
pub fn list(session: &Session<'_>) -> Result<Vec<ListEntry>, EngineError> {
    let image = &session.image;
    let view = View::new(session.fs, image);
    let reg = Registry::load(&view, image)?;
    let records = load_records(&view, &session.paths)?;
    let mut out: Vec<ListEntry> = load_service_packs(&view)?
        .into_iter()
        .map(|p| ListEntry {
            kb: p.kb,
            title: p.title,
            installed_on: p.installed_at,
            branch: None,
            files: 0,
            source: "service-pack".into(),
        })
        .collect();
    out.extend(records.iter().map(|r| ListEntry {
        kb: r.kb.clone(),
        title: r.title.clone(),
        installed_on: r.installed_at.clone(),
        branch: r.branch.clone(),
        files: r.files.iter().filter(|f| f.action.applied()).count(),
        source: "hotfix".into(),
    }));
    let sw = reg.hive(HiveName::Software);
    if let Some(k) = sw.key("Microsoft\\Windows NT\\CurrentVersion\\HotFix") {
        for sub in k.subkeys() {
            if out.iter().any(|e| e.kb.eq_ignore_ascii_case(sub.name())) {
                continue;
            }
            let s = |n: &str| {
                sub.value(n)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            out.push(ListEntry {
                kb: sub.name().to_owned(),
                title: s("Fix Description"),
                installed_on: s("Installed On"),
                branch: None,
                files: 0,
                source: "registry".into(),
            });
        }
    }
    Ok(out)
}

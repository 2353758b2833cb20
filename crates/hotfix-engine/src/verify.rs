//! `hotfix verify` (Qfecheck) and `hotfix list` (`Update.exe -l`).

use hotfix_model::FileVersion;
use hotfix_txn::RelPath;
use serde::Serialize;

use crate::EngineError;
use crate::rank::Facts;
use crate::record::{InstallRecord, load_records};
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
    /// The report as Qfecheck printed it.
    pub text: String,
}

impl VerifyReport {
    /// Whether every hotfix is current.
    pub fn all_current(&self) -> bool {
        self.hotfixes.iter().all(|h| h.status == Status::Current)
    }
}

fn check(
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
            problems.push(format!(
                "{win} is queued for replacement at the next restart; run `hotfix restart`"
            ));
            continue;
        }
        let want: Option<FileVersion> = f.version.as_deref().and_then(|v| v.parse().ok());
        match view.read(&rel)? {
            None => {
                status = Status::Reinstall;
                problems.push(format!("{win} is missing; reinstall {}", rec.kb));
            }
            Some(bytes) => {
                let have = Facts::of(&bytes).rank.version;
                if let (Some(w), Some(h)) = (want, have) {
                    if h < w {
                        status = Status::Reinstall;
                        problems.push(format!(
                            "{win} is {h}, older than {w} installed by the hotfix; reinstall {} ({})",
                            rec.kb, rec.package
                        ));
                    }
                } else if want.is_some() && have.is_none() {
                    status = Status::Reinstall;
                    problems.push(format!(
                        "{win} has no readable version; reinstall {}",
                        rec.kb
                    ));
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

/// Checks every installed hotfix against the files on disk.
pub fn verify(session: &Session<'_>) -> Result<VerifyReport, EngineError> {
    let image = &session.image;
    let view = View::new(session.fs, image);
    let reg = Registry::load(&view, image)?;
    let records = load_records(&view, &session.paths)?;
    let queue_targets: Vec<String> = reg
        .queue()
        .ops
        .iter()
        .filter_map(|op| op.target.as_deref())
        .map(|t| t.trim_start_matches(['!', '@']).to_lowercase())
        .collect();
    let mut hotfixes = Vec::new();
    for rec in &records {
        hotfixes.push(check(&view, &queue_targets, rec)?);
    }
    let computer = reg
        .map_hklm("SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName")
        .and_then(|(h, k)| {
            reg.hive(h)
                .get(&k, "ComputerName")
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "LOCALHOST".into());
    let id = &session.identity;
    let sp = if id.sp.0 == 0 {
        "No Service Pack".to_owned()
    } else {
        id.csd_version.clone()
    };
    let mut text = format!(
        "{} Hotfix Validation Report for \\\\{computer}\nReport Date: {}\n\nCurrent Service Pack Level: {sp}\n\nHotfixes Identified:\n",
        id.product.name(),
        hotfix_txn::clock::utc_now()
    );
    if hotfixes.is_empty() {
        text.push_str("No Hotfixes found on system.\n");
    }
    for h in &hotfixes {
        match h.status {
            Status::Current => text.push_str(&format!("{}: Current on system.\n", h.kb)),
            Status::PendingRestart => text.push_str(&format!("{}: Pending restart.\n", h.kb)),
            Status::Reinstall => {
                text.push_str(&format!("{}: This hotfix should be reinstalled.\n", h.kb))
            }
        }
        for p in &h.problems {
            text.push_str(&format!("    {p}\n"));
        }
    }
    Ok(VerifyReport {
        computer,
        service_pack: sp,
        hotfixes,
        text,
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
    /// `hotfix` (we have its record) or `registry` (installed by Windows).
    pub source: String,
}

/// Installed hotfixes: ours, then those only the registry knows.
pub fn list(session: &Session<'_>) -> Result<Vec<ListEntry>, EngineError> {
    let image = &session.image;
    let view = View::new(session.fs, image);
    let reg = Registry::load(&view, image)?;
    let records = load_records(&view, &session.paths)?;
    let mut out: Vec<ListEntry> = records
        .iter()
        .map(|r| ListEntry {
            kb: r.kb.clone(),
            title: r.title.clone(),
            installed_on: r.installed_at.clone(),
            branch: r.branch.clone(),
            files: r.files.iter().filter(|f| f.action.applied()).count(),
            source: "hotfix".into(),
        })
        .collect();
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

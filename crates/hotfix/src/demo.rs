//! `hotfix demo`: seed 000's month of updates, for real. A fresh XP SP2
//! image, the real file tables of the updates its user had to install,
//! some system files held open, one install run with `/quiet /norestart`,
//! QChain, one restart, and Qfecheck.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use hotfix_engine::{FileAction, InstallOptions, Outcome, Session, Wait};
use hotfix_fs::{Fs, OsFs, remove_tree, write_new};
use hotfix_image::{GenerateSpec, generate};
use hotfix_model::{KbId, Language, Product, SpLevel};
use hotfix_package::SynthOptions;

use crate::formats::{load_data, write_packages};
use crate::servicing::{print_install, read_packages};
use crate::ui::{CliError, CmdResult, bytes_bar, spinner};

/// The updates of seed 000's backlog (an XP SP2 machine brought up to date
/// in 2007) that the data set has file tables for.
const BACKLOG: &[&str] = &[
    "KB887472", "KB888302", "KB900725", "KB904706", "KB911564", "KB912919", "KB917734", "KB918118",
    "KB920213", "KB921503", "KB923689", "KB923980", "KB924270", "KB924667", "KB925398", "KB925902",
    "KB926255", "KB926436", "KB927779", "KB927802", "KB928255", "KB928843", "KB929123", "KB930178",
    "KB931261", "KB931784", "KB932168", "KB935839", "KB935840", "KB936021", "KB936782", "KB937143",
    "KB938127", "KB938829",
];

/// Files the "running" system holds open: two KnownDLLs and two that are not.
const IN_USE: &[&str] = &[
    "C:\\WINDOWS\\system32\\user32.dll",
    "C:\\WINDOWS\\system32\\shell32.dll",
    "C:\\WINDOWS\\system32\\mshtml.dll",
    "C:\\WINDOWS\\system32\\ntoskrnl.exe",
];

const MARKER: &str = ".hotfix-demo";

/// `hotfix demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the image and packages (replaced if it holds an earlier demo).
    #[arg(long, default_value = "hotfix-demo")]
    dir: PathBuf,
}

fn prepare(fs: &dyn Fs, dir: &Path) -> Result<(), CliError> {
    if fs.exists(dir) {
        let entries = fs
            .read_dir(dir)
            .map_err(|e| CliError::msg(format!("cannot read {}: {e}", dir.display())))?;
        if !entries.is_empty() && !fs.exists(&dir.join(MARKER)) {
            return Err(CliError::msg(format!(
                "{} exists and is not an earlier demo; choose another --dir",
                dir.display()
            )));
        }
        remove_tree(fs, dir)
            .map_err(|e| CliError::msg(format!("cannot clear {}: {e}", dir.display())))?;
    }
    hotfix_fs::create_dir_all(fs, dir)
        .and_then(|_| write_new(fs, &dir.join(MARKER), b"hotfix demo output\n"))
        .map_err(|e| CliError::msg(format!("cannot create {}: {e}", dir.display())))
}

/// Runs the demo.
pub fn run(a: &DemoArgs) -> CmdResult {
    let fs = OsFs;
    let started = Instant::now();
    prepare(&fs, &a.dir)?;
    let root = a.dir.join("image");
    let data = load_data(None)?;
    println!(
        "== 1. A fresh Windows XP SP2 (ENU) system drive at {}",
        root.display()
    );
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(2), Language::ENU);
    let bar = bytes_bar(0, "writing image");
    let img = generate(&fs, &root, &spec, &data, &mut |d, t| {
        bar.set_length(t);
        bar.set_position(d);
    })
    .map_err(hotfix_engine::EngineError::from)?;
    bar.finish_and_clear();
    println!(
        "   {} files ({} MB) at their SP2 versions, real SOFTWARE and SYSTEM hives",
        img.files,
        img.bytes / 1_000_000
    );

    println!("== 2. Packages for seed 000's backlog, from the real file tables");
    let mut updates = Vec::new();
    for kb in BACKLOG {
        let id: KbId = kb
            .parse()
            .map_err(|_| CliError::msg(format!("bad KB {kb}")))?;
        match data.find_for(&id, Product::WindowsXp) {
            Some(u) if u.applies_to(SpLevel(2)) => updates.push(u),
            Some(_) => println!("   {kb}: has no files for XP SP2 in the data set; left out"),
            None => println!("   {kb}: not in the data set; left out"),
        }
    }
    let pkg_dir = a.dir.join("packages");
    let paths = write_packages(&fs, &updates, &SynthOptions::default(), &pkg_dir)?;
    let total: u64 = paths
        .iter()
        .filter_map(|p| fs.metadata(p).ok())
        .map(|m| m.len)
        .sum();
    println!(
        "   {} packages ({} MB) in {}, e.g. {}",
        paths.len(),
        total / 1_000_000,
        pkg_dir.display(),
        paths
            .first()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );

    let session = Session::open(&fs, &root, Wait::Block, &mut |m| println!("   {m}"))?;
    println!("== 3. The running system holds some files open");
    let in_use: Vec<String> = IN_USE.iter().map(|s| (*s).to_owned()).collect();
    for p in hotfix_image::lock_files(&fs, &session.image, &in_use)? {
        println!("   in use: {}", session.image.win_path(&p));
    }

    println!(
        "== 4. hotfix install /quiet /norestart <{} packages>",
        paths.len()
    );
    let packages = read_packages(&fs, &paths)?;
    let opts = InstallOptions {
        command_line: format!(
            "hotfix install /quiet /norestart ({} packages)",
            paths.len()
        ),
        ..Default::default()
    };
    let sp = spinner("installing");
    let report = hotfix_engine::install(&session, &packages, &opts, &mut |m| {
        sp.set_message(m.to_owned())
    });
    sp.finish_and_clear();
    let report = report?;
    print_install(&report);
    let count = |a: FileAction| report.packages.iter().map(|p| p.count(a)).sum::<usize>();
    let (replaced, queued, swapped, older) = (
        count(FileAction::Replaced),
        count(FileAction::Queued),
        count(FileAction::KnownDllSwap),
        count(FileAction::SkippedNotNewer),
    );

    println!("== 5. hotfix chain (QChain)");
    let chain = hotfix_engine::chain(&session, None, "hotfix chain")?;
    println!(
        "   queue: {} entries before, {} after",
        chain.before, chain.after
    );

    println!("== 6. hotfix restart (Session Manager at boot)");
    let restart = hotfix_engine::restart(&session, "hotfix restart")?;
    for s in &restart.steps {
        println!(
            "   {} -> {}: {}",
            s.source,
            s.target.as_deref().unwrap_or("DELETE"),
            s.result
        );
    }

    println!("== 7. hotfix verify (Qfecheck)");
    let verify = hotfix_engine::verify(&session)?;
    print!("{}", verify.text);

    println!("== Summary");
    println!(
        "   {} packages installed in one run: {replaced} files replaced at once, {queued} deferred to the restart, {swapped} KnownDLLs swapped, {older} skipped because the system already had a newer copy",
        report.packages.len()
    );
    println!(
        "   exit code of the install: {} ({}); one restart processed {} queued operations",
        report.outcome.code(),
        if report.outcome == Outcome::RestartRequired {
            "restart required"
        } else {
            "done"
        },
        restart.steps.len()
    );
    println!(
        "   final check: {} of {} hotfixes current; took {:.1} s; logs in {}\\KB*.log",
        verify
            .hotfixes
            .iter()
            .filter(|h| h.status == hotfix_engine::Status::Current)
            .count(),
        verify.hotfixes.len(),
        started.elapsed().as_secs_f64(),
        root.join("WINDOWS").display()
    );
    Ok(if verify.all_current() { 0 } else { 1 })
}

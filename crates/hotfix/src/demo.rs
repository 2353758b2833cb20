//! `hotfix demo`: seed 000's whole story, for real. A fresh XP RTM image;
//! a dual-mode fix installed at RTM; SP1, which migrates it (Xpsp1hfm);
//! a few SP1-era fixes; a stale `spupdsvc.exe` whose version cannot be
//! read (seed 000's 0xf00d); SP2 with its stages and space check, and one
//! restart; then the 34 updates of the seed's backlog in one batch, QChain,
//! one restart, and Qfecheck. The service packs are built at a reduced
//! `--scale` so the whole run takes well under a minute.

mod steps;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use hotfix_dataset::DataSet;
use hotfix_engine::{OnLine, Session, Status, Wait};
use hotfix_fs::{Fs, OsFs, remove_tree, write_atomic, write_new};
use hotfix_model::{KbId, Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_synth::{GenerateSpec, SpSpec, SynthOptions, generate, synth_sp};

use crate::formats::{load_data, write_packages};
use crate::ui::{CliError, CmdResult, bytes_bar};

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

/// The dual-mode fix installed at RTM (MS04-011; `SP1\` and `SP2\` sides).
const DUAL_MODE: &str = "KB835732";

/// Fixes a user on SP1 had before SP2 (they have `SP1QFE` files).
const SP1_ERA: &[&str] = &["KB841873", "KB840315", "KB873376"];

/// Service packs at this fraction of the real size (SP2: 2,000 files, 270 MB).
const SP_SCALE: f64 = 0.05;

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

fn packages_for(
    fs: &dyn Fs,
    data: &DataSet,
    kbs: &[&str],
    sp: SpLevel,
    dir: &Path,
) -> Result<Vec<PathBuf>, CliError> {
    let mut updates = Vec::new();
    for kb in kbs {
        let id: KbId = kb
            .parse()
            .map_err(|_| CliError::msg(format!("bad KB {kb}")))?;
        match data.find_for(&id, Product::WindowsXp) {
            Some(u) if u.applies_to(sp) => updates.push(u),
            Some(_) => println!(
                "   {kb}: has no files for XP {} in the data set; left out",
                sp.cardinal()
            ),
            None => println!("   {kb}: not in the data set; left out"),
        }
    }
    write_packages(fs, &updates, &SynthOptions::default(), dir)
}

fn build_sp(fs: &dyn Fs, data: &DataSet, sp: u8, dir: &Path) -> Result<Package, CliError> {
    let spec = SpSpec {
        product: Product::WindowsXp,
        sp,
        language: Language::ENU,
        scale: SP_SCALE,
        files: None,
    };
    let built = synth_sp(data, &spec).map_err(|e| CliError::msg(e.to_string()))?;
    let path = dir.join(&built.file_name);
    hotfix_fs::create_dir_all(fs, dir)
        .and_then(|_| write_atomic(fs, &path, &built.bytes))
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "   {} (synth-sp --sp {sp} --scale {SP_SCALE}: {} files, {} MB; the real one is about {}x larger)",
        built.file_name,
        built.files,
        hotfix_sp::mb(built.payload_bytes),
        (1.0 / SP_SCALE).round()
    );
    Package::open(built.bytes, &built.file_name).map_err(|e| CliError::msg(e.to_string()))
}

fn open<'f>(fs: &'f dyn Fs, root: &Path) -> Result<Session<'f>, CliError> {
    Ok(Session::open(
        fs,
        root,
        Wait::Block,
        &mut OnLine(|m: &str| println!("   {m}")),
    )?)
}

/// Runs the demo.
pub fn run(a: &DemoArgs) -> CmdResult {
    let fs = OsFs;
    let started = Instant::now();
    prepare(&fs, &a.dir)?;
    let root = a.dir.join("image");
    let pkg_dir = a.dir.join("packages");
    let data = load_data(None)?;
    println!(
        "== 1. A fresh Windows XP (no service pack, ENU) system drive at {}",
        root.display()
    );
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(0), Language::ENU);
    let bar = bytes_bar(0, "writing image");
    let img = generate(&fs, &root, &spec, &data, &mut |d, t| {
        bar.set_length(t);
        bar.set_position(d);
    })
    .map_err(hotfix_engine::EngineError::from)?;
    bar.finish_and_clear();
    println!(
        "   {} files ({} MB) at their RTM versions, real SOFTWARE, SYSTEM and user hives",
        img.files,
        img.bytes / 1_000_000
    );

    println!(
        "== 2. A dual-mode update at RTM: {DUAL_MODE} (KB328848 layout: SP1\\, SP2\\, Common\\)"
    );
    let dual = packages_for(&fs, &data, &[DUAL_MODE], SpLevel(0), &pkg_dir)?;
    let session = open(&fs, &root)?;
    steps::install(&fs, &session, &dual)?;
    let windir = root.join("WINDOWS");
    for l in steps::log_lines(&fs, &windir.join(format!("{DUAL_MODE}.log")), &["Xpsp1hfm"]) {
        println!("   {l}");
    }

    println!("== 3. Service Pack 1, which migrates the dual-mode update");
    let sp1 = build_sp(&fs, &data, 1, &pkg_dir)?;
    steps::service_pack(&session, &sp1)?;
    // A new service-pack level: the next commands see the image anew.
    drop(session);
    let session = open(&fs, &root)?;
    steps::show_log(
        &fs,
        &windir,
        "Xpsp1hfm.log",
        &["migrated C:", "files migrated"],
    );

    println!("== 4. A few fixes for SP1: {}", SP1_ERA.join(", "));
    let sp1_fixes = packages_for(&fs, &data, SP1_ERA, SpLevel(1), &pkg_dir)?;
    steps::install(&fs, &session, &sp1_fixes)?;

    println!(
        "== 5. The running system holds some files open; a stale spupdsvc.exe lies in system32"
    );
    let in_use: Vec<String> = IN_USE.iter().map(|s| (*s).to_owned()).collect();
    for p in hotfix_image::lock_files(&fs, &session.image, &in_use)? {
        println!("   in use: {}", session.image.win_path(&p));
    }
    let stale = windir.join("system32/spupdsvc.exe");
    write_atomic(&fs, &stale, b"MZ stale spupdsvc.exe: no version resource")
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", stale.display())))?;
    println!(
        "   seed 000: the original cancelled SP2 here with 0xf00d (Unable to get File Version)"
    );

    println!("== 6. Service Pack 2 (hotfix sp install /quiet /norestart)");
    let sp2 = build_sp(&fs, &data, 2, &pkg_dir)?;
    steps::service_pack(&session, &sp2)?;
    drop(session);
    let session = open(&fs, &root)?;
    steps::show_log(
        &fs,
        &windir,
        "svcpack.log",
        &["rule R3", "Checking for available disk space"],
    );

    println!("== 7. hotfix restart");
    let first = steps::restart(&session)?;

    println!("== 8. The follow-up updates of seed 000's backlog, in one batch");
    let backlog = packages_for(&fs, &data, BACKLOG, SpLevel(2), &pkg_dir)?;
    let report = steps::install(&fs, &session, &backlog)?;
    let chain = hotfix_engine::chain(&session, None, "hotfix chain")?;
    println!(
        "   QChain: {} queued entries before, {} after",
        chain.before, chain.after
    );

    println!("== 9. hotfix restart");
    let second = steps::restart(&session)?;

    println!("== 10. hotfix verify (Qfecheck)");
    let verify = hotfix_engine::verify(&session)?;
    print!("{}", verify.text);

    println!("== Summary");
    let count = |s: Status| verify.hotfixes.iter().filter(|h| h.status == s).count();
    println!(
        "   RTM -> SP1 -> SP2 and {} updates, with two restarts ({} and {} queued operations); exit code of the batch {}",
        report.packages.len(),
        first.steps.len(),
        second.steps.len(),
        report.outcome.code()
    );
    println!(
        "   final check: {} current, {} superseded by a service pack, of {} hotfixes; took {:.1} s; logs in {}",
        count(Status::Current),
        count(Status::Superseded),
        verify.hotfixes.len(),
        started.elapsed().as_secs_f64(),
        windir.display()
    );
    Ok(if verify.all_current() { 0 } else { 1 })
}

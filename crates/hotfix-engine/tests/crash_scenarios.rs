//! Issue 5, item 2: every scenario crashed at every mutating step, under
//! every crash variant, recovers to exactly the pre- or the post-state and
//! says which; a run that recovered to the pre-state, repeated, reaches the
//! post-state. About 30 s on two cores (`docs/design.md` §9).

use hotfix_engine::{EngineError, InstallOptions, Session, Wait};
use hotfix_fs::{Fs, MemFs, write_atomic, write_new};
use hotfix_hive::{Hive, Value};
use hotfix_image::{Image, SESSION_MANAGER, current_control_set, lock_files};
use hotfix_inf::{RegData, RegLine, RegRoot};
use hotfix_package::Package;
use hotfix_pending::{PendingOp, PendingQueue};
use hotfix_testkit::fixture::{FROZEN_TIME, OVERLAPPING, mem_image, open_packages, root};
use hotfix_testkit::sweep::{SweepReport, sweep};

fn open(fs: &dyn Fs) -> Result<Session<'_>, EngineError> {
    Session::open(fs, &root(), Wait::NoWait, &mut hotfix_engine::Silent)
}

fn install(fs: &dyn Fs, pkgs: &[Package]) -> Result<(), EngineError> {
    let s = open(fs)?;
    let opts = InstallOptions {
        command_line: "hotfix install /quiet /norestart".into(),
        ..Default::default()
    };
    hotfix_engine::install(&s, pkgs, &opts, &mut hotfix_engine::Silent).map(drop)
}

fn restart(fs: &dyn Fs) -> Result<(), EngineError> {
    hotfix_engine::restart(&open(fs)?, "hotfix restart").map(drop)
}

fn chain(fs: &dyn Fs) -> Result<(), EngineError> {
    hotfix_engine::chain(&open(fs)?, None, "hotfix chain").map(drop)
}

fn uninstall(fs: &dyn Fs, kbs: &[&str]) -> Result<(), EngineError> {
    let kbs: Vec<String> = kbs.iter().map(|k| (*k).to_owned()).collect();
    hotfix_engine::uninstall(&open(fs)?, &kbs, "hotfix uninstall").map(drop)
}

/// The install without `/norestart`: the restart step at the end, in the
/// same transaction.
fn install_restart(fs: &dyn Fs, pkgs: &[Package]) -> Result<(), EngineError> {
    let s = open(fs)?;
    let opts = InstallOptions {
        command_line: "hotfix install /quiet".into(),
        restart: true,
        ..Default::default()
    };
    let report = hotfix_engine::install(&s, pkgs, &opts, &mut hotfix_engine::Silent)?;
    assert!(report.restarted.is_some(), "files in use: the step runs");
    Ok(())
}

/// `files` in `system32\dllcache` too: under Windows File Protection.
fn protect(fs: &MemFs, files: &[&str]) {
    let sys32 = root().join("WINDOWS/system32");
    let cache = sys32.join("dllcache");
    if !fs.exists(&cache) {
        fs.create_dir(&cache).unwrap();
    }
    for f in files {
        write_atomic(fs, &cache.join(f), &fs.read(&sys32.join(f)).unwrap()).unwrap();
    }
    fs.sync_all();
}

/// Queued deletes of every file in `WINDOWS\hftmp\sub` (which they
/// empty; `hftmp` keeps a file), and an empty directory nobody queued:
/// the restart removes `sub` and leaves the others.
fn queue_of_deletes(base: &MemFs) -> MemFs {
    let fs = base.fork();
    let windir = root().join("WINDOWS");
    for d in ["hftmp", "hftmp/sub", "hfempty"] {
        fs.create_dir(&windir.join(d)).unwrap();
    }
    write_new(&fs, &windir.join("hftmp/keep.txt"), b"keep").unwrap();
    let mut queue = PendingQueue::default();
    for name in ["a.tmp", "b.tmp"] {
        write_new(&fs, &windir.join("hftmp/sub").join(name), name.as_bytes()).unwrap();
        queue.ops.push(PendingOp::delete(format!(
            "\\??\\C:\\WINDOWS\\hftmp\\sub\\{name}"
        )));
    }
    set_queue(&fs, &queue);
    fs
}

fn set_queue(fs: &MemFs, queue: &PendingQueue) {
    let hive_path = root().join("WINDOWS/system32/config/SYSTEM");
    let mut hive = Hive::parse(&fs.read(&hive_path).unwrap()).unwrap();
    let sm = format!("{}\\{SESSION_MANAGER}", current_control_set(&hive));
    hive.set(
        &sm,
        "PendingFileRenameOperations",
        Value::MultiSz(queue.to_strings()),
    )
    .unwrap();
    write_atomic(fs, &hive_path, &hive.to_bytes().unwrap()).unwrap();
    fs.sync_all();
}

fn install_nobackup(fs: &dyn Fs, pkgs: &[Package]) -> Result<(), EngineError> {
    let s = open(fs)?;
    let opts = InstallOptions {
        command_line: "hotfix install /quiet /norestart /nobackup".into(),
        no_backup: true,
        ..Default::default()
    };
    hotfix_engine::install(&s, pkgs, &opts, &mut hotfix_engine::Silent).map(drop)
}

/// The KnownDLL fixture: KB925902 replaces gdi32.dll and user32.dll, both
/// KnownDLLs, held open by the running system (rule R6).
const KNOWN_DLLS: [&str; 1] = ["KB925902"];

/// All four: the overlapping three and the KnownDLL fix in one batch.
const FOUR: [&str; 4] = ["KB890046", "KB920213", "KB932168", "KB925902"];

/// `base` after `f`, made durable: the starting point of a later scenario.
fn after(base: &MemFs, f: impl Fn(&dyn Fs) -> Result<(), EngineError>) -> MemFs {
    let fs = base.fork();
    f(&fs).unwrap();
    fs.sync_all();
    fs
}

fn lock(fs: &MemFs, files: &[&str]) {
    let image = Image::open(fs, &root()).unwrap();
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("C:\\WINDOWS\\system32\\{f}"))
        .collect();
    lock_files(fs, &image, &paths).unwrap();
    fs.sync_all();
}

/// The bytes of `name` in `pkg`'s SP2 GDR folder.
fn payload(pkg: &Package, name: &str) -> Vec<u8> {
    let entry = pkg
        .payload()
        .iter()
        .find(|e| e.path.eq_ignore_ascii_case(&format!("SP2GDR\\{name}")))
        .unwrap_or_else(|| panic!("{} has no SP2GDR\\{name}", pkg.file_name));
    pkg.read(&entry.path).unwrap()
}

/// An image whose boot-time queue names the same target twice (an older
/// and a newer copy of xpsp3res.dll) and another target once: what several
/// installers that do not chain leave behind.
fn queue_with_duplicates(base: &MemFs, pkgs: &[Package]) -> MemFs {
    let fs = base.fork();
    let sys32 = root().join("WINDOWS/system32");
    let staged = [
        ("xpsp3res.dll.new", payload(&pkgs[2], "Xpsp3res.dll")),
        ("xpsp3res.dll.old", payload(&pkgs[0], "Xpsp3res.dll")),
        ("agentdpv.dll.q1", payload(&pkgs[1], "Agentdpv.dll")),
    ];
    let mut queue = PendingQueue::default();
    for (name, bytes) in &staged {
        write_new(&fs, &sys32.join(name), bytes).unwrap();
        let target = name.rsplit_once(".dll").unwrap().0;
        queue.ops.push(PendingOp::replace(
            format!("\\??\\C:\\WINDOWS\\system32\\{name}"),
            format!("!\\??\\C:\\WINDOWS\\system32\\{target}.dll"),
        ));
    }
    set_queue(&fs, &queue);
    fs
}

/// AddReg lines for HKCU (the Default User hive), HKU\.DEFAULT and HKLM.
fn user_hive_lines() -> Vec<RegLine> {
    [
        (RegRoot::Hkcu, r"Software\Crash Test"),
        (RegRoot::Hku, r".DEFAULT\Software\Crash Test"),
        (
            RegRoot::Hklm,
            r"SYSTEM\CurrentControlSet\Control\Crash Test",
        ),
    ]
    .into_iter()
    .map(|(root, key)| RegLine {
        root,
        key: key.into(),
        value_name: Some("Value".into()),
        flags: 0,
        data: RegData::Dword(1),
        line: 1,
    })
    .collect()
}

#[test]
fn every_crash_point_of_every_scenario_recovers_to_pre_or_post() {
    hotfix_txn::clock::freeze(FROZEN_TIME);
    let pkgs = open_packages(&OVERLAPPING).unwrap();
    let base = mem_image(&OVERLAPPING).unwrap();
    let locked = base.fork();
    lock(&locked, &["agentdpv.dll", "xpsp3res.dll"]);
    let installed_locked = after(&locked, |fs| install(fs, &pkgs));
    let queued = queue_with_duplicates(&base, &pkgs);
    let known_pkgs = open_packages(&KNOWN_DLLS).unwrap();
    let known_locked = mem_image(&KNOWN_DLLS).unwrap();
    lock(&known_locked, &["gdi32.dll", "user32.dll"]);
    let known_installed = after(&known_locked, |fs| install(fs, &known_pkgs));
    let four_pkgs = open_packages(&FOUR).unwrap();
    let four_locked = mem_image(&FOUR).unwrap();
    lock(&four_locked, &["user32.dll", "xpsp3res.dll"]);
    // Registry lines for all four hives: one transaction writes SOFTWARE,
    // SYSTEM, DEFAULT and the Default User's NTUSER.DAT.
    let mut user_pkg = open_packages(&OVERLAPPING[..1]).unwrap().remove(0);
    user_pkg.inf.add_reg.extend(user_hive_lines());
    let user_pkgs = [user_pkg];
    let user_installed = after(&base, |fs| install(fs, &user_pkgs));
    let protected = locked.fork();
    protect(&protected, &["xpsp3res.dll"]);
    let deletes = queue_of_deletes(&base);
    // What the new scenarios' clean runs must do, or they prove nothing.
    let m_done = after(&protected, |fs| install(fs, &pkgs));
    let system = Hive::parse(
        &m_done
            .read(&root().join("WINDOWS/system32/config/SYSTEM"))
            .unwrap(),
    )
    .unwrap();
    let sm = format!("{}\\{SESSION_MANAGER}", current_control_set(&system));
    assert_eq!(
        system
            .get(&sm, "AllowProtectedRenames")
            .and_then(Value::as_dword),
        Some(1)
    );
    let o_done = after(&deletes, restart);
    let windir = root().join("WINDOWS");
    assert!(!o_done.exists(&windir.join("hftmp/sub")));
    assert!(o_done.exists(&windir.join("hftmp")) && o_done.exists(&windir.join("hfempty")));
    let three = after(&base, |fs| {
        pkgs.iter()
            .try_for_each(|p| install(fs, std::slice::from_ref(p)))
    });

    type Run<'a> = Box<dyn Fn(&dyn Fs) -> Result<(), EngineError> + Sync + 'a>;
    let scenarios: Vec<(&str, &MemFs, Run<'_>)> = vec![
        (
            "a. install KB890046",
            &base,
            Box::new(|fs| install(fs, &pkgs[..1])),
        ),
        (
            "b. install 3 overlapping /z",
            &base,
            Box::new(|fs| install(fs, &pkgs)),
        ),
        (
            "c1. install 3, files in use",
            &locked,
            Box::new(|fs| install(fs, &pkgs)),
        ),
        ("c2. restart after c1", &installed_locked, Box::new(restart)),
        ("d. chain, duplicate targets", &queued, Box::new(chain)),
        (
            "e. uninstall middle of 3",
            &three,
            Box::new(|fs| uninstall(fs, &["KB920213"])),
        ),
        (
            "f. uninstall all 3 at once",
            &three,
            Box::new(|fs| uninstall(fs, &OVERLAPPING)),
        ),
        (
            "g. KnownDLLs in use (R6)",
            &known_locked,
            Box::new(|fs| install(fs, &known_pkgs)),
        ),
        ("h. restart after g", &known_installed, Box::new(restart)),
        (
            "j. install 4, KnownDLL and file in use",
            &four_locked,
            Box::new(|fs| install(fs, &four_pkgs)),
        ),
        (
            "i. install 3 /nobackup",
            &base,
            Box::new(|fs| install_nobackup(fs, &pkgs)),
        ),
        (
            "k. install, HKCU and HKU lines",
            &base,
            Box::new(|fs| install(fs, &user_pkgs)),
        ),
        (
            "l. uninstall k",
            &user_installed,
            Box::new(|fs| uninstall(fs, &OVERLAPPING[..1])),
        ),
        (
            "m. in use and protected (APR=1)",
            &protected,
            Box::new(|fs| install(fs, &pkgs)),
        ),
        (
            "n. c1 with the restart at the end",
            &locked,
            Box::new(|fs| install_restart(fs, &pkgs)),
        ),
        (
            "o. restart removes emptied dirs",
            &deletes,
            Box::new(restart),
        ),
    ];
    let mut reports: Vec<SweepReport> = Vec::new();
    for (name, base, run) in &scenarios {
        let r = sweep(name, base, &root(), run.as_ref()).unwrap_or_else(|e| panic!("{e}"));
        reports.push(r);
    }
    eprintln!(
        "{:<32} {:>6} {:>7} {:>7} {:>6} {:>6} {:>6}",
        "scenario", "steps", "crashed", "images", "pre", "post", "rerun"
    );
    for r in &reports {
        eprintln!(
            "{:<32} {:>6} {:>7} {:>7} {:>6} {:>6} {:>6}",
            r.name, r.steps, r.crash_points, r.images, r.to_pre, r.to_post, r.reruns
        );
        assert!(r.to_pre > 0 && r.to_post > 0, "{}: {r:?}", r.name);
    }
    let points: usize = reports.iter().map(|r| r.crash_points).sum();
    let images: usize = reports.iter().map(|r| r.images).sum();
    eprintln!("total: {points} crash points, {images} crash images");
    assert!(points >= 1000, "only {points} crash points");
}

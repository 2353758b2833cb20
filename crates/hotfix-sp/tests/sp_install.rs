#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

//! SP2 on an SP1 image in memory: stages, space figure vs the measured peak,
//! seed 000's unreadable spupdsvc.exe (rule R3 and --strict-versions),
//! uninstall and restore points.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_engine::{EngineError, OnStage, Session, Stage, Wait};
use hotfix_fs::{DirEntry, FileWriter, Fs, LockAttempt, LockGuard, MemFs, Metadata, ReadSeek};
use hotfix_model::{Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_sp::{SpOptions, sp_install, sp_uninstall};
use hotfix_synth::{GenerateSpec, SpSpec, generate, synth_sp};
use hotfix_testkit::fixture::root;

/// MemFs that records the most bytes in use after any mutating step.
#[derive(Debug)]
struct PeakFs {
    inner: MemFs,
    peak_used: AtomicU64,
}

const CAP: u64 = 1 << 40;

impl PeakFs {
    fn used(&self) -> u64 {
        CAP - self.inner.free_space(Path::new("/")).unwrap()
    }
    fn note<T>(&self, r: io::Result<T>) -> io::Result<T> {
        self.peak_used.fetch_max(self.used(), Ordering::SeqCst);
        r
    }
    fn reset(&self) {
        self.peak_used.store(self.used(), Ordering::SeqCst);
    }
}

/// A writer that reports its writes to the peak tracker.
struct PeakWriter<'a> {
    inner: Box<dyn FileWriter>,
    fs: &'a PeakFs,
}

impl io::Write for PeakWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.fs.note(r)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl FileWriter for PeakWriter<'static> {
    fn sync(&mut self) -> io::Result<()> {
        self.inner.sync()
    }
}

impl Fs for &'static PeakFs {
    fn read(&self, p: &Path) -> io::Result<Vec<u8>> {
        self.inner.read(p)
    }
    fn open(&self, p: &Path) -> io::Result<Box<dyn ReadSeek>> {
        self.inner.open(p)
    }
    fn open_read_at(&self, p: &Path) -> io::Result<std::sync::Arc<dyn hotfix_fs::ReadAt>> {
        self.inner.open_read_at(p)
    }
    fn metadata(&self, p: &Path) -> io::Result<Metadata> {
        self.inner.metadata(p)
    }
    fn read_dir(&self, p: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.read_dir(p)
    }
    fn free_space(&self, p: &Path) -> io::Result<u64> {
        self.inner.free_space(p)
    }
    fn create(&self, p: &Path) -> io::Result<Box<dyn FileWriter>> {
        let inner = self.inner.create(p)?;
        Ok(Box::new(PeakWriter { inner, fs: self }))
    }
    fn append(&self, p: &Path) -> io::Result<Box<dyn FileWriter>> {
        let inner = self.inner.append(p)?;
        Ok(Box::new(PeakWriter { inner, fs: self }))
    }
    fn sync_dir(&self, p: &Path) -> io::Result<()> {
        self.inner.sync_dir(p)
    }
    fn sync_fs(&self, p: &Path) -> io::Result<()> {
        self.inner.sync_fs(p)
    }
    fn rename(&self, a: &Path, b: &Path) -> io::Result<()> {
        self.note(self.inner.rename(a, b))
    }
    fn hard_link(&self, a: &Path, b: &Path) -> io::Result<()> {
        self.note(self.inner.hard_link(a, b))
    }
    fn remove_file(&self, p: &Path) -> io::Result<()> {
        self.note(self.inner.remove_file(p))
    }
    fn create_dir(&self, p: &Path) -> io::Result<()> {
        self.note(self.inner.create_dir(p))
    }
    fn remove_dir(&self, p: &Path) -> io::Result<()> {
        self.inner.remove_dir(p)
    }
    fn set_readonly(&self, p: &Path, ro: bool) -> io::Result<()> {
        self.inner.set_readonly(p, ro)
    }
    fn try_lock(&self, p: &Path) -> io::Result<LockAttempt> {
        self.inner.try_lock(p)
    }
    fn lock(&self, p: &Path) -> io::Result<LockGuard> {
        self.inner.lock(p)
    }
}

/// The XP SP2 JPN package at a test scale.
fn synth_jpn_sp2(data: &DataSet) -> hotfix_synth::SynthSp {
    let sp = synth_sp(
        data,
        &SpSpec {
            product: Product::WindowsXp,
            sp: 2,
            language: Language::JPN,
            scale: 0.05,
            files: None,
        },
    )
    .unwrap();
    assert_eq!(sp.file_name, "WindowsXP-KB835935-SP2-JPN.exe");
    sp
}

/// An XP SP1 JPN image and the SP2 package, at a test scale.
fn setup() -> (&'static PeakFs, Package) {
    let mem = MemFs::new();
    mem.set_capacity(Some(CAP));
    let fs: &'static PeakFs = Box::leak(Box::new(PeakFs {
        inner: mem,
        peak_used: AtomicU64::new(0),
    }));
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(1), Language::JPN);
    generate(&fs, &root(), &spec, &data, &mut |_, _| {}).unwrap();
    let sp = synth_jpn_sp2(&data);
    let pkg = Package::open(sp.bytes, &sp.file_name).unwrap();
    (fs, pkg)
}

fn spupdsvc() -> PathBuf {
    root().join("WINDOWS/system32/spupdsvc.exe")
}

fn svcpack_log(fs: &&'static PeakFs) -> String {
    fs.read_to_string(&root().join("WINDOWS/svcpack.log"))
        .unwrap()
}

fn install(
    fs: &&'static PeakFs,
    pkg: &Package,
    strict: bool,
) -> Result<hotfix_sp::SpReport, EngineError> {
    let session = Session::open(fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    let opts = SpOptions {
        strict_versions: strict,
        command_line: "hotfix sp install".into(),
        ..Default::default()
    };
    let mut stages = Vec::new();
    let mut reporter = OnStage(|s: Stage, _: u64, _: u64| {
        if stages.last() != Some(&s) {
            stages.push(s);
        }
    });
    let r = sp_install(&session, pkg, &opts, &mut reporter);
    if r.is_ok() {
        // The original's dialog order, each stage once.
        let order = Stage::ALL;
        assert_eq!(stages, order);
        let log = svcpack_log(fs);
        // The image is Japanese: so is its log.
        let at = |s: Stage| {
            log.find(hotfix_i18n::Lang::Jpn.text(s.msg()))
                .unwrap_or_else(|| panic!("{s:?} missing from svcpack.log:\n{log}"))
        };
        let logged: Vec<usize> = order[..5].iter().map(|&s| at(s)).collect();
        assert!(
            logged.is_sorted(),
            "svcpack.log stages out of order:\n{log}"
        );
    }
    r
}

#[test]
fn seed_000_unreadable_spupdsvc_installs_and_the_peak_stays_under_the_figure() {
    let (fs, pkg) = setup();
    // Seed 000: a stale spupdsvc.exe without a version resource.
    let mut w = (&fs).create(&spupdsvc()).unwrap();
    w.write_all(b"MZ stale copy with no version resource")
        .unwrap();
    w.sync().unwrap();
    drop(w);
    fs.reset();
    let before = fs.used();
    let report = install(&fs, &pkg, false).unwrap();
    let peak = fs.peak_used.load(Ordering::SeqCst) - before;
    let need = report.space.total();
    eprintln!(
        "peak extra {peak} bytes, figure {need} bytes ({})",
        report.space.describe()
    );
    assert!(peak <= need, "peak {peak} exceeds the figure {need}");
    // And not much above it: the estimated parts (journal, directory
    // entries, log) stay within 1% of the need (0.8% measured).
    assert!(
        need - peak <= need / 100,
        "the figure {need} is more than 1% above the peak {peak}"
    );
    assert!(report.replaced > 100, "{report:?}");
    assert_eq!(report.unreadable_replaced.len(), 1);
    let log = svcpack_log(&fs);
    assert!(log.contains("(rule R3)"), "{log}");
    assert!(log.contains("MB free"), "{log}");
    // Old bytes in the backup, new ones in place.
    let backup =
        root().join("WINDOWS/$NtServicePackUninstall$/files/WINDOWS/system32/spupdsvc.exe");
    assert_eq!(
        fs.read(&backup).unwrap(),
        b"MZ stale copy with no version resource"
    );
    assert!(hotfix_pe::read_version(&fs.read(&spupdsvc()).unwrap()).is_ok());
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    assert_eq!(session.identity.sp, SpLevel(2));
}

#[test]
fn strict_versions_cancels_like_the_original() {
    let (fs, pkg) = setup();
    let mut w = (&fs).create(&spupdsvc()).unwrap();
    w.write_all(b"garbage").unwrap();
    w.sync().unwrap();
    drop(w);
    let err = install(&fs, &pkg, true).unwrap_err();
    assert_eq!(err.ext_code().code(), 0xf00d);
    // Seed 000's svcpack.log, line for line after the stamps, on a
    // Japanese image.
    let log = svcpack_log(&fs);
    let tail: Vec<&str> = log
        .lines()
        .rev()
        .take(6)
        .map(|l| l.split_once(": ").map_or(l, |(_, t)| t))
        .collect();
    let seed = [
        "Update.exe return code was masked to 0x643 for MSI custom action compliance.",
        "Update.exe extended error code = 0xf00d",
        "User Input: OK",
        "Message displayed to the user: Service Pack 2 セットアップが取り消されました。",
        "Service Pack 2 セットアップが取り消されました。",
        "DeRegistering the Uninstall Program -> Windows XP Service Pack, 0",
    ];
    assert_eq!(tail, seed, "{log}");
    assert!(!fs.exists(&root().join("WINDOWS/$NtServicePackUninstall$")));
    assert_eq!(fs.read(&spupdsvc()).unwrap(), b"garbage");
}

#[test]
fn short_disk_is_refused_before_writing_with_the_figure() {
    let (fs, pkg) = setup();
    fs.inner.set_capacity(Some(fs.used() + (1 << 20)));
    let err = install(&fs, &pkg, false).unwrap_err();
    assert!(matches!(err, EngineError::DiskSpace { .. }), "{err}");
    let log = svcpack_log(&fs);
    assert!(
        log.contains("needs ") && log.contains(" MB, 1 MB free"),
        "{log}"
    );
    assert!(!fs.exists(&root().join("WINDOWS/$NtServicePackUninstall$")));
    assert!(!fs.exists(&root().join("WINDOWS/$hotfix$/journal")));
}

#[test]
fn uninstall_and_restore_points_give_back_the_previous_level_exactly() {
    let (fs, pkg) = setup();
    let dllcache = root().join("WINDOWS/system32/dllcache");
    let listing = |fs: &&'static PeakFs| {
        let mut v = Vec::new();
        for e in fs.read_dir(&dllcache).unwrap() {
            v.push((e.name.clone(), fs.read(&dllcache.join(&e.name)).unwrap()));
        }
        v
    };
    let software = root().join("WINDOWS/system32/config/SOFTWARE");
    let before_files = listing(&fs);
    let before_hive = fs.read(&software).unwrap();
    install(&fs, &pkg, false).unwrap();
    assert_ne!(listing(&fs), before_files);
    {
        let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
        let points = hotfix_sp::list_restore_points(&session).unwrap();
        assert_eq!(points.len(), 1);
        let n = hotfix_sp::create_restore_point(&session, "manual").unwrap();
        assert_eq!(n, 2);
    }
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    // Add/Remove Programs lists the service pack while it is on.
    let arp = r"Microsoft\Windows\CurrentVersion\Uninstall\Windows XP Service Pack";
    let sw = hotfix_hive::Hive::parse(&fs.read(&software).unwrap()).unwrap();
    let value = |n: &str| sw.get(arp, n).and_then(|v| v.as_str()).map(str::to_owned);
    assert_eq!(
        value("DisplayName").as_deref(),
        Some("Windows XP Service Pack 2")
    );
    assert_eq!(
        value("UninstallString").as_deref(),
        Some(r"C:\WINDOWS\$NtServicePackUninstall$\spuninst\spuninst.exe")
    );
    let report = sp_uninstall(&session, &mut hotfix_engine::Silent).unwrap();
    assert!(report.restored > 100);
    drop(session);
    assert_eq!(listing(&fs), before_files);
    assert_eq!(fs.read(&software).unwrap(), before_hive);
    assert!(!fs.exists(&spupdsvc()));
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    assert_eq!(session.identity.sp, SpLevel(1));
    // Restore point 2 (taken at SP2) brings the SP2 registry back.
    hotfix_sp::restore(&session, 2).unwrap();
    drop(session);
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    assert_eq!(session.identity.sp, SpLevel(2));
}

/// The service pack's AddReg lines go through the installer's rules: an
/// HKCU line lands in the Default User profile's NTUSER.DAT (it used to
/// land in HKLM\SOFTWARE, its root ignored), an HKCR line in
/// SOFTWARE\Classes, and spuninst puts NTUSER.DAT back byte for byte.
#[test]
fn hkcu_lands_in_the_default_user_hive_hkcr_in_classes_and_uninstall_restores_them() {
    use hotfix_hive::{Hive, Value};
    use hotfix_inf::{RegData, RegLine, RegRoot};
    let (fs, mut pkg) = setup();
    for (root, key) in [
        (RegRoot::Hkcu, r"Software\Hotfix Test"),
        (RegRoot::Hkcr, r"Hotfix Test"),
        (RegRoot::Hku, r"S-1-5-21-9\Software\Hotfix Test"),
    ] {
        pkg.inf.add_reg.push(RegLine {
            root,
            key: key.into(),
            value_name: Some("Value".into()),
            flags: 0,
            data: RegData::Sz("x".into()),
            line: 7,
        });
    }
    let software = root().join("WINDOWS/system32/config/SOFTWARE");
    let ntuser = root().join("Documents and Settings/Default User/NTUSER.DAT");
    let before = (fs.read(&software).unwrap(), fs.read(&ntuser).unwrap());
    install(&fs, &pkg, false).unwrap();
    let hive = |path: &Path| Hive::parse(&fs.read(path).unwrap()).unwrap();
    let sw = hive(&software);
    assert!(sw.key(r"Software\Hotfix Test").is_none());
    assert!(sw.key("Hotfix Test").is_none());
    let x = Some(Value::Sz("x".into()));
    assert_eq!(sw.get(r"Classes\Hotfix Test", "Value").cloned(), x);
    assert_eq!(
        hive(&ntuser).get(r"Software\Hotfix Test", "Value").cloned(),
        x
    );
    let log = svcpack_log(&fs);
    let other = r"Registry line 7 (HKU\S-1-5-21-9\Software\Hotfix Test) skipped";
    assert!(log.contains(other), "{log}");
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    sp_uninstall(&session, &mut hotfix_engine::Silent).unwrap();
    drop(session);
    assert_eq!(
        (fs.read(&software).unwrap(), fs.read(&ntuser).unwrap()),
        before
    );
}

/// A payload file wanted at two existing paths (system32 and dllcache) is
/// read from the package once and copied from staging for the second: the
/// install reads the package about once.
#[test]
fn the_package_is_read_about_once() {
    let (fs, _) = setup();
    let sp = synth_jpn_sp2(&DataSet::parse(DEFAULT_DATA).unwrap());
    let bytes = sp.bytes;
    let source = std::sync::Arc::new(hotfix_testutil::Counted::new(bytes.clone()));
    let pkg = Package::open_source_deferred(source.clone(), &sp.file_name).unwrap();
    install(&fs, &pkg, false).unwrap();
    let read = source.bytes_read();
    eprintln!("read {read} bytes of a {}-byte package", bytes.len());
    assert!(
        read * 100 <= bytes.len() as u64 * 125,
        "read {read} bytes of a {}-byte package",
        bytes.len()
    );
}

/// A hotfix installed after the service pack goes with it: the restored
/// hives no longer name it, and neither do `list` and `verify`; the file
/// it added is gone. Add/Remove Programs listed the service pack in
/// Japanese words while it was on, and the uninstall log de-registers it.
#[test]
fn sp_uninstall_takes_later_hotfixes_and_the_arp_entry_with_it() {
    use hotfix_dataset::{FileRow, Update};
    use hotfix_model::PayloadFolder;
    let (fs, pkg) = setup();
    install(&fs, &pkg, false).unwrap();
    let row = |version: &str, folder: &str| FileRow {
        name: "later.dll".into(),
        version: Some(version.parse().unwrap()),
        size: 6000,
        date: None,
        time: None,
        folder: PayloadFolder::from_folder(folder).unwrap(),
        subfolder: None,
        sp: Some(SpLevel(2)),
        dest: "system32\\later.dll".into(),
        alt: 0,
    };
    let later = Update {
        kb: "KB970009".parse().unwrap(),
        bulletin: None,
        title: "Test KB970009".into(),
        product: Product::WindowsXp,
        package_names: Vec::new(),
        table_captions: Vec::new(),
        files: vec![
            row("5.1.2600.3000", "SP2GDR"),
            row("5.1.2600.3001", "SP2QFE"),
        ],
    };
    let opts = hotfix_synth::SynthOptions {
        language: Language::JPN,
        sfx: false,
        compression_fast: true,
    };
    let s = hotfix_synth::synth(&later, &opts).unwrap();
    let hotfix = Package::open(s.bytes, &s.file_name).unwrap();
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    let install_opts = hotfix_engine::InstallOptions {
        command_line: "hotfix install".into(),
        ..Default::default()
    };
    hotfix_engine::install(
        &session,
        &[hotfix],
        &install_opts,
        &mut hotfix_engine::Silent,
    )
    .unwrap();
    let software = root().join("WINDOWS/system32/config/SOFTWARE");
    let sw = hotfix_hive::Hive::parse(&fs.read(&software).unwrap()).unwrap();
    let arp = r"Microsoft\Windows\CurrentVersion\Uninstall\Windows XP Service Pack";
    assert!(sw.key(arp).is_some());
    let hotfix_key = r"Microsoft\Windows NT\CurrentVersion\HotFix\KB970009";
    assert!(sw.key(hotfix_key).is_some());
    assert!(
        hotfix_engine::list(&session)
            .unwrap()
            .iter()
            .any(|e| e.kb == "KB970009")
    );
    let report = sp_uninstall(&session, &mut hotfix_engine::Silent).unwrap();
    assert_eq!(report.later_hotfixes, ["KB970009"]);
    drop(session);
    let sw = hotfix_hive::Hive::parse(&fs.read(&software).unwrap()).unwrap();
    assert!(sw.key(arp).is_none());
    assert!(sw.key(hotfix_key).is_none());
    assert!(!fs.exists(&root().join("WINDOWS/system32/later.dll")));
    let session = Session::open(&fs, &root(), Wait::Block, &mut hotfix_engine::Silent).unwrap();
    let listed = hotfix_engine::list(&session).unwrap();
    assert!(listed.iter().all(|e| e.kb != "KB970009"), "{listed:?}");
    let verified = hotfix_engine::verify(&session).unwrap();
    assert!(
        verified.hotfixes.iter().all(|h| h.kb != "KB970009"),
        "{}",
        verified.text
    );
    let log = fs
        .read_to_string(&root().join("WINDOWS/spuninst.log"))
        .unwrap();
    assert!(
        log.contains("DeRegistering the Uninstall Program -> Windows XP Service Pack, 0"),
        "{log}"
    );
}

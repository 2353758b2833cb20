//! Fixtures for the installer-rule tests: hand-made updates (exact
//! versions, branches and files), packages synthesized from them, and small
//! XP images generated for exactly those updates on a `MemFs`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hotfix_dataset::{DataSet, FileRow, Update};
use hotfix_engine::{
    ChainReport, EngineError, InstallOptions, InstallReport, RestartReport, Session,
    UninstallReport, VerifyReport, Wait,
};
use hotfix_fs::{FileKind, Fs, MemFs};
use hotfix_hive::Hive;
use hotfix_image::Image;
use hotfix_model::{FileVersion, Language, PayloadFolder, Product, SpLevel};
use hotfix_package::Package;
use hotfix_synth::{GenerateSpec, SynthOptions, generate, synth};

/// One payload row: `name` into `system32`, at `version` (`None`: no
/// version resource), in `folder` (`SP2GDR`, `SP2QFE`).
pub fn row(name: &str, version: Option<&str>, folder: &str) -> FileRow {
    let sp = folder.get(..3).map(|s| match s {
        "SP1" => SpLevel(1),
        "SP2" => SpLevel(2),
        "SP3" => SpLevel(3),
        _ => SpLevel(0),
    });
    FileRow {
        name: name.to_owned(),
        version: version.map(|v| v.parse().expect("version")),
        size: 6000,
        date: Some("2006-05-01".into()),
        time: Some("12:00".into()),
        folder: PayloadFolder::from_folder(folder).expect("folder"),
        subfolder: None,
        sp,
        dest: format!("system32\\{}", name.to_lowercase()),
        alt: 0,
    }
}

/// A GDR+QFE pair of rows for one file, the usual shape of a package.
pub fn both(name: &str, gdr: &str, qfe: &str) -> Vec<FileRow> {
    vec![
        row(name, Some(gdr), "SP2GDR"),
        row(name, Some(qfe), "SP2QFE"),
    ]
}

/// An XP update that ships `foo.dll` in both branches.
pub fn foo_update(kb: &str, gdr: &str, qfe: &str) -> Update {
    update(kb, both("foo.dll", gdr, qfe))
}

/// An XP update.
pub fn update(kb: &str, files: Vec<FileRow>) -> Update {
    update_for(Product::WindowsXp, kb, files)
}

/// An update for `product`.
pub fn update_for(product: Product, kb: &str, files: Vec<FileRow>) -> Update {
    Update {
        kb: kb.parse().expect("kb"),
        bulletin: None,
        title: format!("Test update {kb}"),
        product,
        package_names: Vec::new(),
        table_captions: Vec::new(),
        files,
    }
}

/// The package of `u`, in `language`.
pub fn package_in(u: &Update, language: Language) -> Package {
    let opts = SynthOptions {
        language,
        sfx: false,
        compression_fast: true,
    };
    let s = synth(u, &opts).expect("synth");
    Package::open(s.bytes, &s.file_name).expect("open package")
}

/// The English package of `u`.
pub fn package(u: &Update) -> Package {
    package_in(u, Language::ENU)
}

/// A generated XP SP2 image on a `MemFs`.
pub struct Lab {
    pub fs: MemFs,
    pub root: PathBuf,
}

/// A fresh XP SP2 ENU image whose base files are older than every row of
/// `updates`.
pub fn lab(updates: &[Update]) -> Lab {
    lab_with(updates, Product::WindowsXp, SpLevel(2))
}

/// A fresh image of `product` at `sp` for `updates`.
pub fn lab_with(updates: &[Update], product: Product, sp: SpLevel) -> Lab {
    lab_in(updates, product, sp, Language::ENU)
}

/// [`lab_with`] in `language` (a Japanese image: `Language::JPN`).
pub fn lab_in(updates: &[Update], product: Product, sp: SpLevel, language: Language) -> Lab {
    let fs = MemFs::new();
    let root = PathBuf::from("/img");
    let mut spec = GenerateSpec::new(product, sp, language);
    spec.dllcache = false;
    let data = DataSet {
        updates: updates.to_vec(),
    };
    generate(&fs, &root, &spec, &data, &mut |_, _| {}).expect("generate");
    fs.sync_all();
    Lab { fs, root }
}

/// Options with a command line.
pub fn opts() -> InstallOptions {
    InstallOptions {
        command_line: "hotfix install /quiet /norestart".into(),
        ..Default::default()
    }
}

impl Lab {
    pub fn session(&self) -> Session<'_> {
        Session::open(
            &self.fs,
            &self.root,
            Wait::NoWait,
            &mut hotfix_engine::Silent,
        )
        .expect("session")
    }

    pub fn image(&self) -> Image {
        Image::open(&self.fs, &self.root).expect("image")
    }

    pub fn install_with(
        &self,
        pkgs: &[Package],
        o: &InstallOptions,
    ) -> Result<InstallReport, EngineError> {
        hotfix_engine::install(&self.session(), pkgs, o, &mut hotfix_engine::Silent)
    }

    pub fn install(&self, pkgs: &[Package]) -> InstallReport {
        self.install_with(pkgs, &opts()).expect("install")
    }

    pub fn restart(&self) -> RestartReport {
        hotfix_engine::restart(&self.session(), "hotfix restart").expect("restart")
    }

    pub fn chain(&self, log: Option<&Path>) -> ChainReport {
        hotfix_engine::chain(&self.session(), log, "hotfix chain").expect("chain")
    }

    pub fn uninstall(&self, kbs: &[&str]) -> Result<UninstallReport, EngineError> {
        let kbs: Vec<String> = kbs.iter().map(|k| (*k).to_owned()).collect();
        hotfix_engine::uninstall(&self.session(), &kbs, "hotfix uninstall")
    }

    pub fn verify(&self) -> VerifyReport {
        hotfix_engine::verify(&self.session()).expect("verify")
    }

    /// Marks files as held open by the running system.
    pub fn lock(&self, win_paths: &[&str]) {
        let paths: Vec<String> = win_paths.iter().map(|p| (*p).to_owned()).collect();
        hotfix_image::lock_files(&self.fs, &self.image(), &paths).expect("lock");
    }

    /// The host path of a Windows path (which must exist or have a parent
    /// that does).
    pub fn host(&self, win: &str) -> PathBuf {
        let img = self.image();
        img.host(&img.resolve(&self.fs, win).expect("resolve"))
    }

    pub fn read(&self, win: &str) -> Option<Vec<u8>> {
        let img = self.image();
        let rel = img.resolve(&self.fs, win).ok()?;
        self.fs.read(&img.host(&rel)).ok()
    }

    pub fn exists(&self, win: &str) -> bool {
        self.read(win).is_some()
    }

    /// The FileVersion of a file in the image.
    pub fn version(&self, win: &str) -> Option<FileVersion> {
        let bytes = self.read(win)?;
        hotfix_pe::read_version(&bytes).ok().map(|v| v.file_version)
    }

    /// The FileVersion string (with its build tag).
    pub fn version_string(&self, win: &str) -> Option<String> {
        let bytes = self.read(win)?;
        hotfix_pe::read_version(&bytes)
            .ok()
            .and_then(|v| v.file_version_string().map(str::to_owned))
    }

    pub fn software(&self) -> Hive {
        self.hive("C:\\WINDOWS\\system32\\config\\software")
    }

    pub fn system(&self) -> Hive {
        self.hive("C:\\WINDOWS\\system32\\config\\system")
    }

    /// The hive file at a Windows path.
    pub fn hive(&self, win: &str) -> Hive {
        Hive::parse(&self.read(win).expect("hive")).expect("parse hive")
    }

    /// The boot-time queue as the registry holds it.
    pub fn queue(&self) -> Option<Vec<String>> {
        self.system()
            .get(SM, "PendingFileRenameOperations")
            .and_then(|v| v.as_multi_sz().map(<[String]>::to_vec))
    }

    pub fn log(&self, kb: &str) -> String {
        String::from_utf8(self.read(&format!("C:\\WINDOWS\\{kb}.log")).expect("log"))
            .expect("utf8 log")
    }

    /// Every file under the image root with its bytes.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.fs, &self.root, "", &mut out);
        out
    }
}

/// `SYSTEM` path of Session Manager in a generated image.
pub const SM: &str = "ControlSet001\\Control\\Session Manager";

fn walk(fs: &dyn Fs, dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in fs.read_dir(dir).expect("read_dir") {
        let p = dir.join(&e.name);
        let rel = format!("{prefix}{}", e.name);
        match e.kind {
            FileKind::Dir => walk(fs, &p, &format!("{rel}/"), out),
            _ => {
                out.insert(rel, fs.read(&p).expect("read"));
            }
        }
    }
}

/// The paths where two snapshots differ.
pub fn diff(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// Whether `path` is one of the runtime files a command may touch without
/// changing the image (design.md §10: lock, recovery log) or a text log.
pub fn is_runtime(path: &str) -> bool {
    let p = path.to_lowercase();
    p.ends_with("$hotfix$/lock") || p.ends_with("recovery.log") || p.ends_with(".log")
}

/// `diff` without runtime files and logs.
pub fn image_diff(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    diff(a, b).into_iter().filter(|p| !is_runtime(p)).collect()
}

pub fn v(s: &str) -> FileVersion {
    s.parse().expect("version")
}

/// Releases files the running system held.
pub fn unlock(lab: &Lab, win_paths: &[&str]) {
    let paths: Vec<String> = win_paths.iter().map(|p| (*p).to_owned()).collect();
    hotfix_image::unlock_files(&lab.fs, &lab.image(), &paths).expect("unlock");
}

/// Value names that hold install times; they differ between runs.
const TIMESTAMPS: &[&str] = &["InstalledDate", "Installed On", "InstallDate"];

/// Every value of a hive as `key\name = raw bytes`, without install times
/// and without the per-KB `Filelist` (it lists the files each package put
/// in place, which depends on what was there before).
pub fn hive_values(h: &Hive) -> BTreeMap<String, (u32, Vec<u8>)> {
    fn go(k: &hotfix_hive::Key, path: &str, out: &mut BTreeMap<String, (u32, Vec<u8>)>) {
        if k.name().eq_ignore_ascii_case("Filelist") {
            return;
        }
        for (n, v) in k.values() {
            if !TIMESTAMPS.contains(&n) {
                out.insert(
                    format!("{path}\\{n}").to_lowercase(),
                    (v.kind(), v.to_raw()),
                );
            }
        }
        for s in k.subkeys() {
            go(s, &format!("{path}\\{}", s.name()), out);
        }
    }
    let mut out = BTreeMap::new();
    go(h.root(), "", &mut out);
    out
}

/// What order independence compares: every file outside our state folder,
/// the uninstall backups and the logs (those record history, which differs
/// by order), and the values of both hives as [`hive_values`] reads them.
pub fn final_state(lab: &Lab) -> BTreeMap<String, Vec<u8>> {
    let mut out: BTreeMap<String, Vec<u8>> = lab
        .snapshot()
        .into_iter()
        .filter(|(p, _)| {
            let l = p.to_lowercase();
            !l.contains("$hotfix$/")
                && !l.contains("$ntuninstall")
                && !l.ends_with(".log")
                && !l.ends_with("config/software")
                && !l.ends_with("config/system")
        })
        .collect();
    for (name, h) in [("SOFTWARE", lab.software()), ("SYSTEM", lab.system())] {
        for (k, (kind, raw)) in hive_values(&h) {
            let mut bytes = kind.to_le_bytes().to_vec();
            bytes.extend(raw);
            out.insert(format!("{name}{k}"), bytes);
        }
    }
    out
}

impl Lab {
    /// Changes the SYSTEM hive in place (a test setting up a queue by hand).
    pub fn edit_system(&self, f: impl FnOnce(&mut Hive)) {
        self.edit_hive("C:\\WINDOWS\\system32\\config\\system", f);
    }

    /// Changes the SOFTWARE hive in place.
    pub fn edit_software(&self, f: impl FnOnce(&mut Hive)) {
        self.edit_hive("C:\\WINDOWS\\system32\\config\\software", f);
    }

    fn edit_hive(&self, win: &str, f: impl FnOnce(&mut Hive)) {
        let mut h = self.hive(win);
        f(&mut h);
        hotfix_fs::write_atomic(
            &self.fs,
            &self.host(win),
            &h.to_bytes().expect("hive bytes"),
        )
        .expect("write hive");
    }

    /// Writes a file at a Windows path whose directory exists.
    pub fn write(&self, win: &str, bytes: &[u8]) {
        let (dir, name) = win.rsplit_once('\\').expect("dir");
        let path = self.host(dir).join(name);
        hotfix_fs::write_atomic(&self.fs, &path, bytes).expect("write");
    }
}

/// The bytes of one payload file of a package.
pub fn payload(pkg: &Package, path: &str) -> Vec<u8> {
    pkg.read(path).expect("payload file")
}

impl Lab {
    /// Deletes a file behind the installer's back.
    pub fn fs_remove(&self, win: &str) {
        self.fs.remove_file(&self.host(win)).expect("remove");
    }
}

/// Runs hivexsh on `hive` with `script` on stdin; `None` when it cannot run.
pub fn hivexsh(hive: &std::path::Path, script: &str) -> Option<String> {
    let out = std::process::Command::new("hivexsh")
        .arg(hive)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take()?.write_all(script.as_bytes()).ok()?;
            c.wait_with_output().ok()
        })?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

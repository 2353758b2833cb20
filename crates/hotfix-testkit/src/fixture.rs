//! Small XP SP2 images and packages: the data set cut down to a few
//! updates, so the generated image holds only the files they replace (a few
//! hundred KB) and a crash run takes milliseconds.

use std::path::{Path, PathBuf};

use hotfix_dataset::{DEFAULT_DATA, DataSet, FileRow, Update};
use hotfix_fs::{Fs, MemFs};
use hotfix_model::{Language, PayloadFolder, Product, SpLevel};
use hotfix_package::Package;
use hotfix_synth::{GenerateSpec, SynthOptions, Synthesized, generate, synth};

use crate::BoxError;

/// Where in-memory images live.
pub const ROOT: &str = "/img";

/// Three XP SP2 updates that replace the same files (`agentdpv.dll`,
/// `xpsp3res.dll`) at rising versions; the middle one adds two more files.
pub const OVERLAPPING: [&str; 3] = ["KB890046", "KB920213", "KB932168"];

/// The time every test pins the clock to (`hotfix_txn::clock::freeze`,
/// `SOURCE_DATE_EPOCH`), so that two runs of one command write equal bytes.
pub const FROZEN_TIME: u64 = 1_171_572_476;

/// [`ROOT`] as a path.
pub fn root() -> PathBuf {
    PathBuf::from(ROOT)
}

/// The built-in data set restricted to the XP entries of `kbs`.
pub fn data_for(kbs: &[&str]) -> Result<DataSet, BoxError> {
    let mut data = DataSet::parse(DEFAULT_DATA)?;
    data.updates
        .retain(|u| u.product == Product::WindowsXp && kbs.iter().any(|k| u.kb.to_string() == *k));
    if data.updates.len() != kbs.len() {
        return Err(format!("the data set lacks an XP entry for one of {kbs:?}").into());
    }
    Ok(data)
}

/// Generates an XP SP2 (ENU) image at `root` holding the base files of
/// `kbs` (no dllcache copies).
pub fn generate_image(fs: &dyn Fs, root: &Path, kbs: &[&str]) -> Result<(), BoxError> {
    generate_image_at(fs, root, kbs, SpLevel(2))
}

/// [`generate_image`] at service-pack `level` (service-pack tests start
/// from RTM or SP1).
pub fn generate_image_at(
    fs: &dyn Fs,
    root: &Path,
    kbs: &[&str],
    level: SpLevel,
) -> Result<(), BoxError> {
    generate_image_of(fs, root, &data_for(kbs)?, level)
}

/// Generates an XP (ENU) image at service-pack `level` at `root` holding
/// the base files of `data`'s updates (no dllcache copies).
pub fn generate_image_of(
    fs: &dyn Fs,
    root: &Path,
    data: &DataSet,
    level: SpLevel,
) -> Result<(), BoxError> {
    let mut spec = GenerateSpec::new(Product::WindowsXp, level, Language::ENU);
    spec.dllcache = false;
    generate(fs, root, &spec, data, &mut |_, _| {})?;
    Ok(())
}

/// An XP SP2 update `kb` that replaces one file, `system32\<name>`, with a
/// GDR (5.1.2600.3000) and a QFE (5.1.2600.3001) copy: the smallest
/// package the command-line tests install.
pub fn one_file_update(kb: &str, name: &str) -> Result<Update, BoxError> {
    let row = |version: &str, folder: &str| -> Result<FileRow, BoxError> {
        Ok(FileRow {
            name: name.into(),
            version: Some(version.parse()?),
            size: 6000,
            date: None,
            time: None,
            folder: PayloadFolder::from_folder(folder)
                .ok_or_else(|| format!("{folder} is not a payload folder"))?,
            subfolder: None,
            sp: Some(SpLevel(2)),
            dest: format!("system32\\{name}"),
            alt: 0,
        })
    };
    Ok(Update {
        kb: kb.parse()?,
        bulletin: None,
        title: format!("Test {kb}"),
        product: Product::WindowsXp,
        package_names: Vec::new(),
        table_captions: Vec::new(),
        files: vec![
            row("5.1.2600.3000", "SP2GDR")?,
            row("5.1.2600.3001", "SP2QFE")?,
        ],
    })
}

/// An in-memory XP SP2 image at [`ROOT`] for `kbs`, fully durable.
pub fn mem_image(kbs: &[&str]) -> Result<MemFs, BoxError> {
    mem_image_at(kbs, SpLevel(2))
}

/// [`mem_image`] at service-pack `level`.
pub fn mem_image_at(kbs: &[&str], level: SpLevel) -> Result<MemFs, BoxError> {
    let fs = MemFs::new();
    generate_image_at(&fs, &root(), kbs, level)?;
    // The host has run hotfix before: its journal key exists, so every
    // step a test counts is a step on the image.
    hotfix_txn::HostKey::load_or_create(&fs, &hotfix_txn::default_state_dir())?;
    fs.sync_all();
    Ok(fs)
}

/// The packages of `kbs`, in that order: plain cabinets, stored
/// uncompressed (fast to build and to read).
pub fn packages(kbs: &[&str]) -> Result<Vec<Synthesized>, BoxError> {
    let data = data_for(kbs)?;
    let opts = SynthOptions {
        language: Language::ENU,
        sfx: false,
        compression_fast: true,
    };
    kbs.iter()
        .map(|kb| {
            let update = data
                .updates
                .iter()
                .find(|u| u.kb.to_string() == *kb)
                .ok_or_else(|| format!("{kb} is not in the data set"))?;
            Ok(synth(update, &opts)?)
        })
        .collect()
}

/// The packages of `kbs`, opened (verified against their manifests).
pub fn open_packages(kbs: &[&str]) -> Result<Vec<Package>, BoxError> {
    packages(kbs)?
        .into_iter()
        .map(|s| Ok(Package::open(s.bytes, &s.file_name)?))
        .collect()
}

//! `version`, `pack`, `extract`, `reg query`, `synth`: the formats, by hand.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_engine::{Registry, View};
use hotfix_fs::{DEFAULT_READ_LIMIT, Fs, OsFs, create_dir_all, write_atomic};
use hotfix_hive::Hive;
use hotfix_inf::RegRoot;
use hotfix_model::{KbId, Language, Product};
use hotfix_synth::{SynthOptions, synth as synth_package};
use serde::Serialize;

use crate::ImageArg;
use crate::servicing::{Check, filesystem, open, open_package};
use crate::ui::{CliError, CmdResult, count_bar, out, outln, print_json};

#[derive(Debug, Serialize)]
struct VersionLine {
    file: String,
    file_version: Option<String>,
    product_version: Option<String>,
    file_version_string: Option<String>,
    error: Option<String>,
}

/// `hotfix version`.
pub fn version(files: &[PathBuf], json: bool) -> CmdResult {
    let fs = OsFs;
    let mut lines = Vec::new();
    for f in files {
        // A FIFO or device is refused without blocking, and a file larger
        // than any PE file hotfix reads is refused by its size.
        let line = match fs.read_limited(f, DEFAULT_READ_LIMIT) {
            Err(e) => VersionLine {
                file: f.display().to_string(),
                file_version: None,
                product_version: None,
                file_version_string: None,
                error: Some(format!("cannot read: {e}")),
            },
            Ok(bytes) => match hotfix_pe::read_version(&bytes) {
                Ok(v) => VersionLine {
                    file: f.display().to_string(),
                    file_version: Some(v.file_version.to_string()),
                    product_version: Some(v.product_version.to_string()),
                    file_version_string: v.file_version_string().map(str::to_owned),
                    error: None,
                },
                Err(e) => VersionLine {
                    file: f.display().to_string(),
                    file_version: None,
                    product_version: None,
                    file_version_string: None,
                    error: Some(e.to_string()),
                },
            },
        };
        lines.push(line);
    }
    if json {
        print_json(&lines);
    } else {
        for l in &lines {
            match (&l.file_version, &l.error) {
                (Some(v), _) => outln!(
                    "{}: {v}{}",
                    l.file,
                    l.file_version_string
                        .as_deref()
                        .map(|s| format!("  \"{s}\""))
                        .unwrap_or_default()
                ),
                (None, Some(e)) => outln!("{}: no version ({e})", l.file),
                (None, None) => outln!("{}: no version", l.file),
            }
        }
    }
    Ok(if lines.iter().all(|l| l.error.is_none()) {
        0
    } else {
        1
    })
}

/// `hotfix pack`.
pub fn pack(src: &Path, out: &Path, sfx: bool) -> CmdResult {
    let fs = OsFs;
    let bytes = hotfix_package::pack_dir(&fs, src, sfx)?;
    write_atomic(&fs, out, &bytes)
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", out.display())))?;
    outln!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(0)
}

/// `hotfix extract`.
pub fn extract(package: &Path, dir: &Path) -> CmdResult {
    let fs = OsFs;
    let pkg = open_package(&fs, package, Check::AtOpen)?;
    let n = hotfix_package::extract(&fs, &pkg, dir)?;
    outln!(
        "{}: {n} files extracted to {}",
        pkg.file_name,
        dir.display()
    );
    Ok(0)
}

/// `hotfix reg ...`.
#[derive(Debug, Subcommand)]
pub enum RegCommand {
    /// Print a key and its values (`HKLM\SOFTWARE\...`, `HKLM\SYSTEM\...`,
    /// `HKU\.DEFAULT\...`, or `HKCU\...`: the Default User profile's hive).
    Query {
        #[command(flatten)]
        image: ImageArg,
        /// The key, e.g. 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'.
        key: String,
        /// Include subkeys.
        #[arg(short = 's', long)]
        recursive: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Serialize)]
struct RegValueOut {
    name: String,
    kind: u32,
    data: serde_json::Value,
}

#[derive(Debug, Serialize)]
struct RegKeyOut {
    key: String,
    values: Vec<RegValueOut>,
    subkeys: Vec<String>,
}

fn value_json(v: &hotfix_hive::Value) -> serde_json::Value {
    use hotfix_hive::Value as V;
    match v {
        V::Sz(s) | V::ExpandSz(s) | V::Link(s) => s.clone().into(),
        V::Dword(n) | V::DwordBigEndian(n) => (*n).into(),
        V::Qword(n) => (*n).into(),
        V::MultiSz(list) => list.clone().into(),
        other => hex::encode(other.to_raw()).into(),
    }
}

/// `hotfix reg query`.
pub fn reg(cmd: &RegCommand) -> CmdResult {
    let RegCommand::Query {
        image,
        key,
        recursive,
        json,
    } = cmd;
    let fs = filesystem(&image.image)?;
    let session = open(fs.as_ref(), image)?;
    // The installer's own mapping: `CurrentControlSet`, HKCR under
    // SOFTWARE\Classes, HKCU in the Default User profile's hive.
    let view = View::new(fs.as_ref(), &session.image);
    let mut registry = Registry::load(&view, &session.image)?;
    registry.load_user_hives(&view);
    let trimmed = key.trim_matches('\\');
    let (first, after_root) = trimmed.split_once('\\').unwrap_or((trimmed, ""));
    let (root, below) = match RegRoot::parse(first) {
        Some(root) => (root, after_root),
        None => (RegRoot::Hklm, trimmed),
    };
    let (name, rest) = registry
        .map_root(root, below)
        .map_err(|why| CliError::msg(format!("{key}: {why}")))?;
    let hive = registry.hive(name);
    let mount = name.reg_root();
    let Some(k) = hive.key(&rest) else {
        return Err(CliError::msg(format!("{key}: no such key")));
    };
    if *json {
        let mut out = Vec::new();
        let path = if rest.is_empty() {
            mount.to_owned()
        } else {
            format!("{mount}\\{rest}")
        };
        collect(k, &path, *recursive, &mut out);
        print_json(&out);
    } else {
        let text = if *recursive {
            hive.export_reg(&rest, mount)
        } else {
            let mut flat = Hive::new("query");
            for (n, v) in k.values() {
                let _ = flat.set("", n, v.clone());
            }
            flat.export_reg("", &format!("{mount}\\{rest}"))
        };
        out!("{}", text.unwrap_or_default().replace("\r\n", "\n"));
    }
    Ok(0)
}

fn collect(k: &hotfix_hive::Key, path: &str, recursive: bool, out: &mut Vec<RegKeyOut>) {
    out.push(RegKeyOut {
        key: path.to_owned(),
        values: k
            .values()
            .map(|(n, v)| RegValueOut {
                name: n.to_owned(),
                kind: v.kind(),
                data: value_json(v),
            })
            .collect(),
        subkeys: k.subkeys().map(|s| s.name().to_owned()).collect(),
    });
    if recursive {
        for s in k.subkeys() {
            collect(s, &format!("{path}\\{}", s.name()), true, out);
        }
    }
}

/// `hotfix synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The data set (default: the copy built into hotfix).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// KB numbers to synthesize.
    #[arg(long, num_args = 1..)]
    pub kb: Vec<String>,
    /// Every entry of the data set (for the chosen OS).
    #[arg(long)]
    pub all: bool,
    /// xp or 2003.
    #[arg(long, default_value = "xp")]
    pub os: String,
    /// Package language.
    #[arg(long, default_value = "ENU")]
    pub lang: String,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Plain .cab files instead of self-extracting .exe.
    #[arg(long)]
    pub cab: bool,
}

/// Loads the data set from a file or the built-in copy.
pub fn load_data(path: Option<&Path>) -> Result<DataSet, CliError> {
    let text = match path {
        Some(p) => OsFs
            .read_to_string(p)
            .map_err(|e| CliError::msg(format!("cannot read data set {}: {e}", p.display())))?,
        None => DEFAULT_DATA.to_owned(),
    };
    DataSet::parse(&text).map_err(|e| CliError::msg(format!("data set: {e}")))
}

/// Parses `xp` / `2003`.
pub fn parse_os(os: &str) -> Result<Product, CliError> {
    match os.to_ascii_lowercase().as_str() {
        "xp" | "windowsxp" => Ok(Product::WindowsXp),
        "2003" | "server2003" | "windowsserver2003" => Ok(Product::WindowsServer2003),
        _ => Err(CliError::msg(format!("--os {os}: expected xp or 2003"))),
    }
}

/// Parses `ENU` / `JPN` ...
pub fn parse_lang(lang: &str) -> Result<Language, CliError> {
    lang.parse()
        .map_err(|_| CliError::msg(format!("--lang {lang}: expected a code such as ENU or JPN")))
}

/// Writes packages for `updates` into `out`; returns their paths.
pub fn write_packages(
    fs: &dyn Fs,
    updates: &[&hotfix_dataset::Update],
    opts: &SynthOptions,
    out: &Path,
) -> Result<Vec<PathBuf>, CliError> {
    create_dir_all(fs, out)
        .map_err(|e| CliError::msg(format!("cannot create {}: {e}", out.display())))?;
    let bar = count_bar(updates.len() as u64, "synthesizing");
    let mut paths = Vec::new();
    for u in updates {
        bar.set_message(u.kb.to_string());
        let pkg = synth_package(u, opts)?;
        let path = out.join(&pkg.file_name);
        write_atomic(fs, &path, &pkg.bytes)
            .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())))?;
        paths.push(path);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(paths)
}

/// `hotfix synth`.
pub fn synth(a: &SynthArgs) -> CmdResult {
    let data = load_data(a.data.as_deref())?;
    let product = parse_os(&a.os)?;
    let language = parse_lang(&a.lang)?;
    let updates: Vec<&hotfix_dataset::Update> = if a.all {
        data.for_product(product).collect()
    } else {
        let mut v = Vec::new();
        for kb in &a.kb {
            let id: KbId = kb
                .parse()
                .map_err(|_| CliError::msg(format!("{kb}: not a KB number")))?;
            v.push(data.find_for(&id, product).ok_or_else(|| {
                CliError::msg(format!(
                    "{kb} is not in the data set for {}",
                    product.product_name()
                ))
            })?);
        }
        v
    };
    if updates.is_empty() {
        return Err(CliError::msg(
            "nothing to synthesize: give --kb KB... or --all",
        ));
    }
    let opts = SynthOptions {
        language,
        sfx: !a.cab,
        compression_fast: false,
    };
    let paths = write_packages(&OsFs, &updates, &opts, &a.out)?;
    for p in &paths {
        outln!("{}", p.display());
    }
    outln!("{} packages written to {}", paths.len(), a.out.display());
    Ok(0)
}

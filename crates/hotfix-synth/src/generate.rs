//! `hotfix image new`: a synthetic XP / Server 2003 system drive whose files
//! are real PE images with the versions an unpatched system at a service-pack
//! level carries, and whose hives are real regf files.
//!
//! A generated image is a test fixture, not a servicing operation: files are
//! written without an `fsync` each (hundreds of MB would take minutes); the
//! hives are written atomically and every created directory is synced once at
//! the end.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use hotfix_dataset::{BaseFile, DataSet, base_files};
use hotfix_fs::{FileKind, Fs, create_dir_all, write_atomic};
use hotfix_hive::Hive;
use hotfix_model::{Language, Product, SpLevel};
use hotfix_pe::{PeKind, PeSpec, build_at_least, data_file};

use hotfix_image::{ImageError, check_component, fold};

use crate::hives;

/// Largest file the generator writes (the biggest XP system file is a few
/// tens of MB); a larger size in a data set is refused, not allocated.
pub const MAX_GENERATED_FILE: u64 = 256 << 20;

/// What image to generate.
#[derive(Debug, Clone)]
pub struct GenerateSpec {
    /// XP or Server 2003.
    pub product: Product,
    /// Service-pack level of the base files and hives.
    pub sp: SpLevel,
    /// Install language (hives and version resources).
    pub language: Language,
    /// Also put copies of the files directly in `system32` into
    /// `system32\dllcache`, as Windows File Protection keeps them.
    pub dllcache: bool,
}

impl GenerateSpec {
    /// A spec with `dllcache` on.
    pub fn new(product: Product, sp: SpLevel, language: Language) -> Self {
        Self {
            product,
            sp,
            language,
            dllcache: true,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GenerateSummary {
    /// Files written (hives included).
    pub files: usize,
    /// Bytes written (hives included).
    pub bytes: u64,
    /// Directories created (the root included when it was absent).
    pub dirs: usize,
}

/// The skeleton every image has, below the drive root.
const DIRS: &[&str] = &[
    "WINDOWS/system32/drivers",
    "WINDOWS/system32/dllcache",
    "WINDOWS/system32/config",
    "WINDOWS/inf",
    "WINDOWS/Help",
    "WINDOWS/Fonts",
    "WINDOWS/AppPatch",
    "WINDOWS/WinSxS",
    "WINDOWS/Temp",
    "Documents and Settings/All Users",
    "Program Files/Common Files",
    "Program Files/Internet Explorer",
    "Program Files/Outlook Express",
    "Program Files/Windows Media Player",
];

/// Creates an image in `root`, which must be empty or absent. `progress`
/// is called with (bytes done, bytes total) after each file.
pub fn generate(
    fs: &dyn Fs,
    root: &Path,
    spec: &GenerateSpec,
    data: &DataSet,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<GenerateSummary, ImageError> {
    match fs.metadata(root) {
        Ok(m) if m.kind == FileKind::Dir => {
            let entries = fs
                .read_dir(root)
                .map_err(|e| ImageError::io(format!("list {}", root.display()), e))?;
            if !entries.is_empty() {
                return Err(ImageError::NotEmpty(root.to_path_buf()));
            }
        }
        Ok(_) => return Err(ImageError::NotEmpty(root.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(ImageError::io(format!("stat {}", root.display()), e)),
    }
    let mut tree = Tree {
        fs,
        root,
        dirs: HashMap::new(),
        created: Vec::new(),
    };
    tree.created = create_dir_all(fs, root)
        .map_err(|e| ImageError::io(format!("create {}", root.display()), e))?;
    for d in DIRS {
        tree.dir(&d.split('/').collect::<Vec<_>>())?;
    }

    let base = base_files(data, spec.product, spec.sp);
    let plan = plan_files(&base, spec)?;
    let total: u64 = plan
        .iter()
        .map(|f| f.base.size * f.copies.len() as u64)
        .sum();
    let mut summary = GenerateSummary::default();
    let mut done = 0u64;
    progress(0, total);
    for file in &plan {
        let bytes = contents(file, spec)?;
        for dest in &file.copies {
            let (dir, name) = dest.split_at(dest.len() - 1);
            let host = tree.dir(dir)?.join(&name[0]);
            let mut w = fs
                .create(&host)
                .map_err(|e| ImageError::io(format!("create {}", host.display()), e))?;
            w.write_all(&bytes)
                .map_err(|e| ImageError::io(format!("write {}", host.display()), e))?;
            summary.files += 1;
            summary.bytes += bytes.len() as u64;
            done += file.base.size;
            progress(done, total);
        }
    }

    let config = ["WINDOWS", "system32", "config"];
    let default_user = ["Documents and Settings", "Default User"];
    let built = [
        (&config[..], "SOFTWARE", hives::software(spec)),
        (&config[..], "SYSTEM", hives::system(spec)),
        (
            &config[..],
            "DEFAULT",
            hives::user(spec, "\\SystemRoot\\System32\\Config\\DEFAULT"),
        ),
        (
            &default_user[..],
            "NTUSER.DAT",
            hives::user(spec, "ntuser.dat"),
        ),
    ];
    for (dir, name, hive) in built {
        let bytes = hive
            .and_then(|h: Hive| h.to_bytes())
            .map_err(|source| ImageError::Hive {
                file: format!("{}/{name}", dir.join("/")),
                source,
            })?;
        let host = tree.dir(dir)?.join(name);
        write_atomic(fs, &host, &bytes)
            .map_err(|e| ImageError::io(format!("write {}", host.display()), e))?;
        summary.files += 1;
        summary.bytes += bytes.len() as u64;
    }

    summary.dirs = tree.created.len();
    // Deepest first, then the directory holding the root.
    for dir in tree.created.iter().rev() {
        fs.sync_dir(dir)
            .map_err(|e| ImageError::io(format!("sync {}", dir.display()), e))?;
    }
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs.sync_dir(parent)
            .map_err(|e| ImageError::io(format!("sync {}", parent.display()), e))?;
    }
    Ok(summary)
}

/// One distinct base file and the image paths (components) it is written to.
struct PlannedFile<'a> {
    base: &'a BaseFile,
    copies: Vec<Vec<String>>,
    seed: u64,
}

/// Maps data-set destinations to image paths, drops case-duplicates (the
/// first row wins, so the image is never ambiguous) and adds dllcache copies.
fn plan_files<'a>(
    base: &'a [BaseFile],
    spec: &GenerateSpec,
) -> Result<Vec<PlannedFile<'a>>, ImageError> {
    let mut seen = std::collections::HashSet::new();
    let mut plan = Vec::with_capacity(base.len());
    for b in base {
        let comps = image_components(&b.dest).map_err(|problem| ImageError::Generate {
            path: b.dest.clone(),
            problem,
        })?;
        let key = fold(&comps.join("/"));
        if !seen.insert(key.clone()) {
            continue;
        }
        if b.size > MAX_GENERATED_FILE {
            return Err(ImageError::Generate {
                path: b.dest.clone(),
                problem: format!(
                    "size {} exceeds the limit of {MAX_GENERATED_FILE} bytes",
                    b.size
                ),
            });
        }
        let mut copies = vec![comps.clone()];
        let in_system32 = comps.len() == 3 && fold(&comps[1]) == "system32";
        if spec.dllcache && in_system32 {
            let cache: Vec<String> = ["WINDOWS", "system32", "dllcache", &comps[2]]
                .map(str::to_owned)
                .to_vec();
            if seen.insert(fold(&cache.join("/"))) {
                copies.push(cache);
            }
        }
        plan.push(PlannedFile {
            base: b,
            copies,
            seed: hotfix_pe::name_seed(&key),
        });
    }
    Ok(plan)
}

/// `system32\x.dll` → `WINDOWS/system32/x.dll`; `%ProgramFiles%\...` →
/// `Program Files/...`. Components are checked like any Windows path.
fn image_components(dest: &str) -> Result<Vec<String>, String> {
    let (mut comps, rest) = match dest.get(..15) {
        Some(head) if head.eq_ignore_ascii_case("%ProgramFiles%\\") => {
            (vec!["Program Files".to_owned()], &dest[15..])
        }
        _ => (vec!["WINDOWS".to_owned()], dest),
    };
    for c in rest.split(['\\', '/']) {
        check_component(c).map_err(|e| format!("bad destination: {e}"))?;
        if c.is_empty() {
            return Err("bad destination: empty component".into());
        }
        comps.push(c.to_owned());
    }
    Ok(comps)
}

/// The bytes of one file: a PE with the base version, or deterministic
/// filler for unversioned files.
fn contents(file: &PlannedFile<'_>, spec: &GenerateSpec) -> Result<Vec<u8>, ImageError> {
    let b = file.base;
    let Some(version) = b.version else {
        return Ok(data_file(file.seed, b.size));
    };
    let kind = PeKind::for_file_name(&b.name);
    let mut pe = PeSpec::new(kind, &b.name, version, &b.file_version_string);
    pe.seed = file.seed;
    pe.language = spec.language.langid();
    build_at_least(pe, b.size).map_err(|e| ImageError::Generate {
        path: b.dest.clone(),
        problem: e.to_string(),
    })
}

/// Directories created so far, by folded image path → host path, so that
/// destinations spelled with another case land in the same directory.
struct Tree<'a> {
    fs: &'a dyn Fs,
    root: &'a Path,
    dirs: HashMap<String, PathBuf>,
    created: Vec<PathBuf>,
}

impl Tree<'_> {
    fn dir<S: AsRef<str>>(&mut self, comps: &[S]) -> Result<PathBuf, ImageError> {
        let mut host = self.root.to_path_buf();
        let mut key = String::new();
        for c in comps {
            let c = c.as_ref();
            key.push('/');
            key.push_str(&fold(c));
            match self.dirs.get(&key) {
                Some(existing) => host.clone_from(existing),
                None => {
                    host.push(c);
                    self.fs
                        .create_dir(&host)
                        .map_err(|e| ImageError::io(format!("create {}", host.display()), e))?;
                    self.dirs.insert(key.clone(), host.clone());
                    self.created.push(host.clone());
                }
            }
        }
        Ok(host)
    }
}

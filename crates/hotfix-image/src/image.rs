//! [`Image`]: an opened system drive, and [`Resolver`]: Windows paths to
//! on-disk image paths.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use hotfix_fs::{DirEntry, FileKind, Fs};
use hotfix_txn::{RelPath, StateDir};

use crate::ImageError;
use crate::winpath::{self, Anchor, COMMON_PROGRAM_FILES, PROGRAM_FILES, fold};

/// Name of our state directory inside `%windir%` (see `docs/design.md` §1);
/// its layout is `hotfix_txn::StateDir`'s.
pub use hotfix_txn::STATE_DIR_NAME;

/// A Windows XP / Server 2003 system drive: the host directory that holds
/// `WINDOWS`, `Program Files` and `Documents and Settings`.
///
/// The image keeps no cache of the tree, so it never goes stale; batch
/// lookups go through a [`Resolver`], whose cache lives as long as the batch.
#[derive(Debug, Clone)]
pub struct Image {
    root: PathBuf,
    windir: RelPath,
    drive: char,
    software: RelPath,
    system: RelPath,
}

impl Image {
    /// Opens the image at `root`: finds the Windows directory (`WINDOWS` or
    /// `WINNT`, any case) that holds `system32\config\SOFTWARE`.
    pub fn open(fs: &dyn Fs, root: &Path) -> Result<Image, ImageError> {
        let not_image = |missing: String| ImageError::NotAnImage {
            root: root.to_path_buf(),
            missing,
        };
        let entries = match fs.read_dir(root) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(not_image("the directory does not exist".into()));
            }
            Err(e) => return Err(ImageError::io(format!("list {}", root.display()), e)),
        };
        let candidates: Vec<&DirEntry> = entries
            .iter()
            .filter(|e| {
                e.kind == FileKind::Dir && matches!(fold(&e.name).as_str(), "windows" | "winnt")
            })
            .collect();
        if candidates.is_empty() {
            return Err(not_image("no WINDOWS or WINNT directory".into()));
        }
        let mut found = Vec::new();
        for cand in &candidates {
            // Placeholder hive paths so the resolver can run; replaced below.
            let windir = rel(&cand.name)?;
            let probe = Image {
                root: root.to_path_buf(),
                windir: windir.clone(),
                drive: 'C',
                software: windir.clone(),
                system: windir,
            };
            let mut r = probe.resolver(fs);
            let software = r.resolve_in_windir(r"system32\config\SOFTWARE")?;
            if fs.metadata(&software.on(root)).is_ok_and(|m| m.is_file()) {
                let system = r.resolve_in_windir(r"system32\config\SYSTEM")?;
                found.push(Image {
                    software,
                    system,
                    ..probe
                });
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(not_image(format!(
                "{} has no system32\\config\\SOFTWARE hive",
                candidates[0].name
            ))),
            _ => Err(not_image(format!(
                "more than one Windows directory holds a SOFTWARE hive ({}); cannot tell which is the system",
                found
                    .iter()
                    .map(|i| i.windir.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The image root on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Windows directory, spelled as on disk (`WINDOWS` or `WINNT`).
    pub fn windir(&self) -> &RelPath {
        &self.windir
    }

    /// The drive letter Windows paths in this image use.
    pub fn drive(&self) -> char {
        self.drive
    }

    /// A resolver that caches directory listings for a batch of lookups.
    pub fn resolver<'a>(&'a self, fs: &'a dyn Fs) -> Resolver<'a> {
        Resolver {
            image: self,
            fs,
            dirs: HashMap::new(),
        }
    }

    /// Resolves a Windows path (`C:\WINDOWS\...`, `\??\C:\...`, `%windir%\...`,
    /// `%ProgramFiles%\...`, or relative to the image root) to the image path,
    /// with existing components spelled as on disk. See [`Resolver::resolve`].
    pub fn resolve(&self, fs: &dyn Fs, win_path: &str) -> Result<RelPath, ImageError> {
        self.resolver(fs).resolve(win_path)
    }

    /// Resolves a path relative to `%windir%` (`system32\drivers\x.sys`);
    /// anchored forms (`%ProgramFiles%\...`, `C:\...`) are accepted as in
    /// [`Image::resolve`].
    pub fn resolve_in_windir(&self, fs: &dyn Fs, rel: &str) -> Result<RelPath, ImageError> {
        self.resolver(fs).resolve_in_windir(rel)
    }

    /// The Win32 spelling: `C:\WINDOWS\system32\x.dll`.
    pub fn win_path(&self, rel: &RelPath) -> String {
        format!("{}:\\{}", self.drive, rel.as_str().replace('/', "\\"))
    }

    /// The NT spelling PendingFileRenameOperations uses: `\??\C:\WINDOWS\...`.
    pub fn nt_path(&self, rel: &RelPath) -> String {
        format!("\\??\\{}", self.win_path(rel))
    }

    /// The host path of an image path.
    pub fn host(&self, rel: &RelPath) -> PathBuf {
        rel.on(&self.root)
    }

    /// Our state directory, `%windir%\$hotfix$`.
    pub fn state_dir(&self) -> StateDir {
        StateDir::of_windir(&self.root, &self.windir)
    }

    /// Why no package, registry line or queued rename may write `rel`
    /// (hotfix's state, the hives, a profile's NTUSER.DAT, a name that
    /// would make the image unopenable); `None` for an ordinary path.
    pub fn protected(&self, rel: &RelPath) -> Option<&'static str> {
        let parts: Vec<String> = rel.as_str().split('/').map(fold).collect();
        winpath::protected(&fold(self.windir.as_str()), &parts)
    }

    /// Whether `rel` is one of the image's registry hive files (SOFTWARE,
    /// SYSTEM, DEFAULT, SAM, SECURITY, a profile's NTUSER.DAT or
    /// UsrClass.dat): whatever writes one must write a hive.
    pub fn is_hive_file(&self, rel: &RelPath) -> bool {
        let parts: Vec<String> = rel.as_str().split('/').map(fold).collect();
        winpath::is_hive_file(&fold(self.windir.as_str()), &parts)
    }

    /// `%windir%\system32\config\SOFTWARE`, spelled as on disk.
    pub fn software_hive(&self) -> RelPath {
        self.software.clone()
    }

    /// `%windir%\system32\config\SYSTEM`, spelled as on disk (or as Windows
    /// spells it when missing).
    pub fn system_hive(&self) -> RelPath {
        self.system.clone()
    }
}

fn rel(s: &str) -> Result<RelPath, ImageError> {
    RelPath::new(s).map_err(|_| ImageError::hostile(s, "not a valid image path"))
}

/// Resolves Windows paths against one [`Image`], reading each directory at
/// most once. The cache assumes the tree does not change while the resolver
/// lives: make a new one after changing the image.
#[derive(Debug)]
pub struct Resolver<'a> {
    image: &'a Image,
    fs: &'a dyn Fs,
    /// Host directory → folded name → entries with that folded name.
    dirs: HashMap<PathBuf, HashMap<String, Vec<DirEntry>>>,
}

impl Resolver<'_> {
    /// See [`Image::resolve`]. Refuses (with [`ImageError::HostilePath`])
    /// other drives, UNC and device paths, `..`, streams, device names,
    /// trailing dots and spaces, symbolic links, and names that two entries
    /// on disk match case-insensitively. The result never leaves the root.
    pub fn resolve(&mut self, win_path: &str) -> Result<RelPath, ImageError> {
        self.resolve_with(win_path, Anchor::Drive)
    }

    /// See [`Image::resolve_in_windir`].
    pub fn resolve_in_windir(&mut self, rel: &str) -> Result<RelPath, ImageError> {
        self.resolve_with(rel, Anchor::Windir)
    }

    fn resolve_with(&mut self, path: &str, relative_to: Anchor) -> Result<RelPath, ImageError> {
        let parsed = winpath::parse(path, self.image.drive)
            .map_err(|reason| ImageError::hostile(path, reason))?;
        let anchor = match parsed.anchor {
            Anchor::Relative => relative_to,
            a => a,
        };
        let prefix: Vec<&str> = match anchor {
            Anchor::Drive | Anchor::Relative => Vec::new(),
            Anchor::Windir => self.image.windir.as_str().split('/').collect(),
            Anchor::ProgramFiles => PROGRAM_FILES.to_vec(),
            Anchor::CommonProgramFiles => COMMON_PROGRAM_FILES.to_vec(),
        };
        let comps: Vec<&str> = prefix.into_iter().chain(parsed.components).collect();
        self.walk(path, &comps)
    }

    /// Matches each component against the directory listing; the first one
    /// that is absent starts the tail, which is kept as given.
    fn walk(&mut self, original: &str, comps: &[&str]) -> Result<RelPath, ImageError> {
        if comps.is_empty() {
            return Err(ImageError::hostile(original, "names the drive root itself"));
        }
        let mut host = self.image.root.clone();
        let mut out: Vec<String> = Vec::with_capacity(comps.len());
        let mut existing = true;
        for (i, comp) in comps.iter().enumerate() {
            if existing {
                let listing = self.listing(&host)?;
                match listing.get(&fold(comp)).map_or(&[][..], Vec::as_slice) {
                    [] => existing = false,
                    [entry] => {
                        let here = join_display(&out, &entry.name);
                        if !entry.utf8 {
                            return Err(ImageError::hostile(
                                original,
                                format!("{here} has a name that is not UTF-8"),
                            ));
                        }
                        match entry.kind {
                            FileKind::Other => {
                                return Err(ImageError::hostile(
                                    original,
                                    format!(
                                        "{here} is a symbolic link or special file (never followed)"
                                    ),
                                ));
                            }
                            FileKind::File if i + 1 < comps.len() => {
                                return Err(ImageError::io(
                                    format!("resolve {original}"),
                                    io::Error::new(
                                        io::ErrorKind::NotADirectory,
                                        format!("{here} is a file, not a directory"),
                                    ),
                                ));
                            }
                            _ => {}
                        }
                        host.push(&entry.name);
                        out.push(entry.name.clone());
                        continue;
                    }
                    many => {
                        let names: Vec<&str> = many.iter().map(|e| e.name.as_str()).collect();
                        return Err(ImageError::hostile(
                            original,
                            format!(
                                "ambiguous: {} entries differ only in case ({})",
                                join_display(&out, ""),
                                names.join(", ")
                            ),
                        ));
                    }
                }
            }
            out.push((*comp).to_owned());
        }
        rel(&out.join("/"))
    }

    fn listing(&mut self, dir: &Path) -> Result<&HashMap<String, Vec<DirEntry>>, ImageError> {
        if !self.dirs.contains_key(dir) {
            let entries = self
                .fs
                .read_dir(dir)
                .map_err(|e| ImageError::io(format!("list {}", dir.display()), e))?;
            let mut by_name: HashMap<String, Vec<DirEntry>> = HashMap::new();
            for e in entries {
                by_name.entry(fold(&e.name)).or_default().push(e);
            }
            self.dirs.insert(dir.to_path_buf(), by_name);
        }
        Ok(&self.dirs[dir])
    }
}

fn join_display(parents: &[String], name: &str) -> String {
    let mut s = parents.join("/");
    if !s.is_empty() && !name.is_empty() {
        s.push('/');
    }
    s.push_str(name);
    if s.is_empty() { "/".into() } else { s }
}

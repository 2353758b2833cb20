//! One file of an update, as its bulletin's file table lists it.

use hotfix_model::{FileVersion, PayloadFolder, SpLevel};

/// A row of an update's file table, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// The file name as the table spells it (`Shell32.dll`).
    pub name: String,
    /// The file version; `None` for files without one (`.sdb`, `.man`,
    /// `.sql`, ...: "Not applicable" in the tables).
    pub version: Option<FileVersion>,
    /// Size in bytes ([`crate::DEFAULT_SIZE`] when the table has none).
    pub size: u64,
    /// Date as ISO `YYYY-MM-DD` (UTC), if the table gives one.
    pub date: Option<String>,
    /// Time as `HH:MM` (UTC), if the table gives one.
    pub time: Option<String>,
    /// Branch folder, dual-mode side, or the package root.
    pub folder: PayloadFolder,
    /// Path below the folder (`ASMS\60\MSFT\WINDOWS\COMMON\CONTROLS`, `IP`),
    /// as the table spells it.
    pub subfolder: Option<String>,
    /// The service-pack level the row installs on: the table's SP
    /// requirement, else the level its folder implies; `None` for
    /// package-root rows that name no level (they apply at every level).
    pub sp: Option<SpLevel>,
    /// Where the file lands: relative to `%windir%` with `\`
    /// (`system32\shell32.dll`), or starting with `%ProgramFiles%\`.
    /// Chosen by the table in `dest.rs`.
    pub dest: String,
    /// 0, or 1, 2, ... for repeats of the same (folder, subfolder, name) in
    /// one update: distinct files that need distinct payload paths.
    pub alt: u32,
}

impl FileRow {
    /// The path inside the package: `SP2QFE\shell32.dll`,
    /// `SP2QFE\ASMS\...\comctl32.dll`, `SP1\x.dll` (dual mode),
    /// `iexplore.exe` (package root); a repeat gets `alt<n>\` after the folder.
    pub fn package_path(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(4);
        parts.extend(self.folder.folder());
        if self.alt > 0 {
            parts.push(format!("alt{}", self.alt));
        }
        parts.extend(self.subfolder.clone());
        parts.push(self.name.clone());
        parts.join("\\")
    }

    /// Whether the row installs on a system at `sp`: its folder's level, or
    /// for package-root rows its SP requirement (none: every level).
    pub fn applies_to(&self, sp: SpLevel) -> bool {
        self.sp.is_none_or(|own| own == sp)
    }
}

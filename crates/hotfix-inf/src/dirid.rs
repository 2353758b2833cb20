//! `[DestinationDirs]` entries and the directory ids update.inf uses.

/// A destination directory: a SetupAPI directory id and an optional
/// subdirectory below it (`10,"SysWOW64"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestDir {
    /// The directory id (11 = system32, 65619 = dllcache, ...).
    pub dirid: u32,
    /// Subdirectory below the id's directory, if any.
    pub subdir: Option<String>,
}

/// The directory a [`dirid_location`] path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirRoot {
    /// `%windir%` (`C:\WINDOWS`).
    Windir,
    /// The root of the system drive (`C:\`).
    SystemDrive,
    /// `%ProgramFiles%`.
    ProgramFiles,
    /// `%CommonProgramFiles%`.
    CommonFiles,
}

/// Where a directory id points: a root and a path relative to it
/// (backslash-separated, empty for the root itself). `None` for ids this
/// crate does not know.
///
/// Ids from 16384 up are shell folders (CSIDL + 0x4000); 65619 is the
/// Windows File Protection cache that hotfixes refresh.
pub fn dirid_location(dirid: u32) -> Option<(DirRoot, &'static str)> {
    let windir = |rel| Some((DirRoot::Windir, rel));
    match dirid {
        10 | 25 | 16420 => windir(""),
        11 | 16421 => windir("system32"),
        12 => windir("system32\\drivers"),
        17 => windir("inf"),
        18 => windir("help"),
        20 => windir("fonts"),
        50 => windir("system"),
        65619 => windir("system32\\dllcache"),
        24 => Some((DirRoot::SystemDrive, "")),
        16422 => Some((DirRoot::ProgramFiles, "")),
        16427 => Some((DirRoot::CommonFiles, "")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path below `%windir%`, `None` for other roots and unknown ids.
    fn dirid_path(dirid: u32) -> Option<&'static str> {
        match dirid_location(dirid)? {
            (DirRoot::Windir, rel) => Some(rel),
            _ => None,
        }
    }

    #[test]
    fn known_ids() {
        assert_eq!(dirid_path(10), Some(""));
        assert_eq!(dirid_path(11), Some("system32"));
        assert_eq!(dirid_path(12), Some("system32\\drivers"));
        assert_eq!(dirid_path(17), Some("inf"));
        assert_eq!(dirid_path(18), Some("help"));
        assert_eq!(dirid_path(20), Some("fonts"));
        assert_eq!(dirid_path(65619), Some("system32\\dllcache"));
        assert_eq!(dirid_path(16422), None);
        assert_eq!(dirid_path(16427), None);
        assert_eq!(dirid_path(24), None);
        assert_eq!(dirid_path(7), None);
        assert_eq!(dirid_location(24), Some((DirRoot::SystemDrive, "")));
        assert_eq!(dirid_location(16422), Some((DirRoot::ProgramFiles, "")));
        assert_eq!(dirid_location(16427), Some((DirRoot::CommonFiles, "")));
        assert_eq!(dirid_location(11), Some((DirRoot::Windir, "system32")));
        assert_eq!(dirid_location(99999), None);
    }
}

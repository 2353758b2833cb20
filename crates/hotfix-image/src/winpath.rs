//! Parsing Windows path spellings into an anchor and components, and the
//! checks that refuse paths a hostile package or registry value could use to
//! leave the image or alias a device.

use hotfix_model::{NameProblem, device_stem};

/// Where a parsed path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The drive root (`C:\`, `%SystemDrive%`, or a path relative to the image root).
    Drive,
    /// The Windows directory (`%windir%`, `%SystemRoot%`, `\SystemRoot`).
    Windir,
    /// `%ProgramFiles%` (`Program Files` on the drive root).
    ProgramFiles,
    /// `%CommonProgramFiles%` (`Program Files\Common Files`).
    CommonProgramFiles,
    /// No anchor was written: relative to whatever the caller says.
    Relative,
}

/// A path split into its anchor and validated components.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub anchor: Anchor,
    pub components: Vec<&'a str>,
}

/// Directory names the anchors stand for, below the drive root.
pub(crate) const PROGRAM_FILES: &[&str] = &["Program Files"];
pub(crate) const COMMON_PROGRAM_FILES: &[&str] = &["Program Files", "Common Files"];

/// Splits `path` into anchor and components. `drive` is the image's drive
/// letter; any other letter is refused. The error is the reason text.
pub(crate) fn parse(path: &str, drive: char) -> Result<Parsed<'_>, String> {
    if path.trim().is_empty() {
        return Err("empty path".into());
    }
    if path.contains('\0') {
        return Err("NUL character in path".into());
    }
    let (anchor, rest) = split_anchor(path, drive)?;
    let mut components = Vec::new();
    for c in rest.split(is_sep) {
        // Repeated and trailing separators mean nothing to Windows either.
        if c.is_empty() {
            continue;
        }
        check_component(c)?;
        components.push(c);
    }
    Ok(Parsed { anchor, components })
}

fn is_sep(c: char) -> bool {
    c == '\\' || c == '/'
}

fn split_anchor(path: &str, drive: char) -> Result<(Anchor, &str), String> {
    let bytes = path.as_bytes();
    // `\??\X:` (NT object manager) and `\\?\X:` (Win32 long path) both name a drive.
    for prefix in [r"\??\", r"\\?\", "//?/", "/??/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if strip_ci(rest, "UNC").is_some_and(|r| r.is_empty() || r.starts_with(is_sep)) {
                return Err("UNC path (network share)".into());
            }
            return drive_path(rest, drive)?
                .ok_or_else(|| format!("{prefix} path that does not name a drive"));
        }
    }
    if path.starts_with(r"\\.\") || path.starts_with("//./") {
        return Err("device path (\\\\.\\)".into());
    }
    if bytes.len() >= 2 && is_sep(char::from(bytes[0])) && is_sep(char::from(bytes[1])) {
        return Err("UNC path (network share)".into());
    }
    if let Some(rest) = path.strip_prefix(is_sep) {
        if let Some(after) = strip_ci(rest, "SystemRoot")
            && (after.is_empty() || after.starts_with(is_sep))
        {
            return Ok((Anchor::Windir, after));
        }
        // `\WINDOWS\...`: rooted on the current drive, which is the image's.
        return Ok((Anchor::Drive, rest));
    }
    if let Some(rest) = path.strip_prefix('%') {
        let Some((name, after)) = rest.split_once('%') else {
            return Err("unterminated %variable%".into());
        };
        if !(after.is_empty() || after.starts_with(is_sep)) {
            return Err(format!("%{name}% must be followed by a separator"));
        }
        let anchor = match name.to_ascii_lowercase().as_str() {
            "windir" | "systemroot" => Anchor::Windir,
            "systemdrive" => Anchor::Drive,
            "programfiles" => Anchor::ProgramFiles,
            "commonprogramfiles" => Anchor::CommonProgramFiles,
            _ => return Err(format!("unknown variable %{name}%")),
        };
        return Ok((anchor, after));
    }
    if let Some(found) = drive_path(path, drive)? {
        return Ok(found);
    }
    Ok((Anchor::Relative, path))
}

/// `X:\rest` → `Some((Drive, rest))` when X is the image's drive; `None` when
/// the text does not start with a drive letter.
fn drive_path(path: &str, drive: char) -> Result<Option<(Anchor, &str)>, String> {
    let mut chars = path.chars();
    let (Some(letter), Some(':')) = (chars.next(), chars.next()) else {
        return Ok(None);
    };
    if !letter.is_ascii_alphabetic() {
        return Ok(None);
    }
    if !letter.eq_ignore_ascii_case(&drive) {
        return Err(format!(
            "drive {}: is not the image's drive {drive}:",
            letter.to_ascii_uppercase()
        ));
    }
    let rest = &path[2..];
    if !rest.is_empty() && !rest.starts_with(is_sep) {
        return Err("drive-relative path (no separator after the drive letter)".into());
    }
    Ok(Some((Anchor::Drive, rest)))
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Refuses components that leave the directory, address a stream, name a
/// device, or that Windows would silently rewrite (trailing dot or space).
pub fn check_component(c: &str) -> Result<(), String> {
    hotfix_model::check_component(c).map_err(|p| match p {
        NameProblem::DotDot => "\"..\" component".to_owned(),
        NameProblem::BadChar(':') => format!("':' in component {c:?} (alternate data stream)"),
        NameProblem::BadChar(bad) => format!("character {bad:?} not allowed in component {c:?}"),
        NameProblem::TrailingDotOrSpace => format!("component {c:?} ends in '.' or ' '"),
        // Windows maps `nul.txt` and `NUL .txt` to the device too.
        NameProblem::DeviceName => format!(
            "component {c:?} names the device {}",
            device_stem(c).to_ascii_uppercase()
        ),
    })
}

/// Case folding for name comparison: per-character simple lower case, the
/// way NTFS's upcase table compares (no multi-character expansions).
pub fn fold(name: &str) -> String {
    name.chars()
        .map(|ch| {
            let mut lower = ch.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => ch,
            }
        })
        .collect()
}

/// User hive file names (folded): a profile's NTUSER.DAT and its class
/// hive, with their transaction logs.
const USER_HIVE_FILES: &[&str] = &[
    "ntuser.dat",
    "ntuser.dat.log",
    "ntuser.ini",
    "usrclass.dat",
    "usrclass.dat.log",
];

/// The hives in `%windir%\\system32\\config` (folded names).
const CONFIG_HIVES: &[&str] = &["software", "system", "default", "sam", "security"];

/// Whether `path` (folded components) is a registry hive file of the image
/// whose Windows directory is `windir`: one of the machine hives, or a
/// profile's NTUSER.DAT or UsrClass.dat.
pub(crate) fn is_hive_file(windir: &str, path: &[String]) -> bool {
    match path {
        [w, sys, config, name] if w == windir && sys == "system32" && config == "config" => {
            CONFIG_HIVES.contains(&name.as_str())
        }
        [.., name] => matches!(name.as_str(), "ntuser.dat" | "usrclass.dat"),
        [] => false,
    }
}

/// Why nothing but the engine itself may write `path` (folded components
/// of an image path) in an image whose Windows directory is `windir`
/// (folded): hotfix's state, the hives, the profiles' hives, and names
/// that would make the image unopenable. `None`: an ordinary path.
pub(crate) fn protected(windir: &str, path: &[String]) -> Option<&'static str> {
    let [first, rest @ ..] = path else {
        return None;
    };
    if first != windir {
        if matches!(first.as_str(), "windows" | "winnt") {
            return Some("a second Windows directory, which makes the image ambiguous to open");
        }
    } else {
        match rest {
            [] => return Some("the Windows directory itself"),
            [state, ..] if state == &fold(crate::STATE_DIR_NAME) => {
                return Some("hotfix's own state (%windir%\\$hotfix$)");
            }
            [sys] if sys == "system32" => return Some("the system32 directory itself"),
            [sys, config, ..] if sys == "system32" && config == "config" => {
                return Some("the registry hives (%windir%\\system32\\config)");
            }
            _ => {}
        }
    }
    let name = path.last().map(String::as_str).unwrap_or_default();
    USER_HIVE_FILES
        .contains(&name)
        .then_some("a user profile's registry hive (NTUSER.DAT)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prot(p: &str) -> Option<&'static str> {
        let parts: Vec<String> = p.split('/').map(fold).collect();
        protected("windows", &parts)
    }

    #[test]
    fn protected_paths() {
        for (p, why) in [
            ("WINDOWS/$hotfix$/journal", "own state"),
            ("Windows/$HOTFIX$/installed/KB1.json", "own state"),
            ("WINDOWS/$hotfix$", "own state"),
            ("WINDOWS/system32/config/SYSTEM", "registry hives"),
            ("WINDOWS/System32/CONFIG/software.sav", "registry hives"),
            ("Documents and Settings/Default User/NTUSER.DAT", "profile"),
            (
                "Documents and Settings/x/Local Settings/UsrClass.dat",
                "profile",
            ),
            ("WINNT/system32/config/SOFTWARE", "second Windows"),
            ("WINDOWS", "Windows directory itself"),
            ("WINDOWS/system32", "system32 directory"),
        ] {
            let got = prot(p).unwrap_or_else(|| panic!("{p} not protected"));
            assert!(got.contains(why), "{p}: {got}");
        }
        let hive = |p: &str| {
            let parts: Vec<String> = p.split('/').map(fold).collect();
            is_hive_file("windows", &parts)
        };
        assert!(hive("WINDOWS/system32/config/SOFTWARE"));
        assert!(hive("WINDOWS/System32/config/sam"));
        assert!(hive("Documents and Settings/Default User/NTUSER.DAT"));
        assert!(!hive("WINDOWS/system32/config/SOFTWARE.LOG"));
        assert!(!hive("WINNT/system32/config/SOFTWARE"));
        for p in [
            "WINDOWS/system32/shell32.dll",
            "WINDOWS/system32/configx/a",
            "WINDOWS/$NtUninstallKB1$/a.dll",
            "WINDOWS/system32/config.nt",
            "Program Files/x/ntuser.dat.bak",
        ] {
            assert_eq!(prot(p), None, "{p}");
        }
    }

    fn ok(p: &str) -> (Anchor, Vec<&str>) {
        let parsed = parse(p, 'C').unwrap_or_else(|e| panic!("{p}: {e}"));
        (parsed.anchor, parsed.components)
    }

    #[test]
    fn anchors() {
        assert_eq!(
            ok(r"C:\WINDOWS\x.dll"),
            (Anchor::Drive, vec!["WINDOWS", "x.dll"])
        );
        assert_eq!(
            ok("c:/windows//x.dll/"),
            (Anchor::Drive, vec!["windows", "x.dll"])
        );
        assert_eq!(ok(r"\??\C:\a"), (Anchor::Drive, vec!["a"]));
        assert_eq!(ok(r"\\?\c:\a"), (Anchor::Drive, vec!["a"]));
        assert_eq!(ok(r"\SystemRoot\a"), (Anchor::Windir, vec!["a"]));
        assert_eq!(ok(r"\systemroot"), (Anchor::Windir, vec![]));
        assert_eq!(
            ok(r"\SystemRootX\a"),
            (Anchor::Drive, vec!["SystemRootX", "a"])
        );
        assert_eq!(ok(r"%WinDir%\a"), (Anchor::Windir, vec!["a"]));
        assert_eq!(ok(r"%ProgramFiles%\a"), (Anchor::ProgramFiles, vec!["a"]));
        assert_eq!(
            ok(r"%commonprogramfiles%"),
            (Anchor::CommonProgramFiles, vec![])
        );
        assert_eq!(ok(r"WINDOWS\a"), (Anchor::Relative, vec!["WINDOWS", "a"]));
        assert_eq!(ok("C:"), (Anchor::Drive, vec![]));
    }

    #[test]
    fn refusals() {
        for (p, why) in [
            ("", "empty"),
            ("  ", "empty"),
            (r"D:\x", "drive D:"),
            (r"\\server\share\x", "UNC"),
            (r"\??\UNC\server\x", "UNC"),
            (r"\\.\PhysicalDrive0", "device path"),
            (r"C:\WINDOWS\..\..\etc", "\"..\""),
            (r"C:\x.dll:stream", "alternate data stream"),
            (r"C:\nul.txt", "device NUL"),
            (r"C:\Com1", "device COM1"),
            (r"C:\lpt9 .log", "device LPT9"),
            (r"C:\x.", "ends in"),
            (r"C:\x ", "ends in"),
            (r"C:\.\x", "ends in"),
            ("C:foo", "drive-relative"),
            ("%TEMP%\\x", "unknown variable"),
            ("%windir", "unterminated"),
            ("%windir%x", "followed by a separator"),
            ("C:\\a\0b", "NUL character"),
            ("C:\\a*b", "not allowed"),
            (r"\\?\GLOBALROOT\x", "does not name a drive"),
        ] {
            let err = parse(p, 'C').expect_err(p);
            assert!(err.contains(why), "{p:?}: {err}");
        }
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Shell32.DLL"), "shell32.dll");
        assert_eq!(fold("ÄÖ"), "äö");
        assert_eq!(fold("İ"), "İ");
    }
}

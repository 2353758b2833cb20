//! Entry-name checks: a name taken from a cabinet must stay inside the folder it
//! is extracted to, on Windows and on Linux alike.

use hotfix_model::NameProblem;

/// Why a cabinet entry name was refused by [`check_name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name, or one of its path components, is empty (`""`, `a\\b`, `a\`).
    #[error("empty name or empty path component")]
    Empty,
    /// A `..` component could climb out of the extraction folder.
    #[error("'..' path component")]
    DotDot,
    /// The name starts with a separator (rooted path).
    #[error("absolute path")]
    Absolute,
    /// The name starts with a drive (`C:\x`, `C:`).
    #[error("drive letter")]
    DriveLetter,
    /// A Win32/NT device or UNC prefix: `\\?\`, `\??\`, `\\.\`, `\\server`.
    #[error("device or UNC path prefix")]
    DevicePath,
    /// A component names a DOS device (`CON`, `nul.txt`, `COM1`...), which
    /// Windows opens instead of a file.
    #[error("DOS device name '{0}'")]
    DeviceName(String),
    /// A character Windows does not allow in file names (`<>:"|?*`, control
    /// characters); `:` would also open an alternate data stream.
    #[error("character {0:?} not allowed in a file name")]
    BadChar(char),
    /// A component ends in `.` or space, which Windows silently strips, so two
    /// different names could land on the same file.
    #[error("path component ends with a dot or a space")]
    TrailingDotOrSpace,
    /// Longer than [`MAX_NAME_BYTES`] bytes, the cabinet format's limit.
    #[error("name longer than {MAX_NAME_BYTES} bytes")]
    TooLong,
}

/// The longest name a cabinet can hold: the format reserves 256 bytes
/// including the terminating NUL.
pub const MAX_NAME_BYTES: usize = 255;

/// Checks that `name` is a safe relative path and returns it with `\`
/// separators (`/` is accepted on input).
///
/// ```
/// use hotfix_cab::{check_name, NameError};
/// assert_eq!(check_name("SP2QFE/shell32.dll").unwrap(), "SP2QFE\\shell32.dll");
/// assert_eq!(check_name("a\\..\\..\\b"), Err(NameError::DotDot));
/// assert_eq!(check_name("nul.txt"), Err(NameError::DeviceName("nul.txt".into())));
/// ```
pub fn check_name(name: &str) -> Result<String, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let normal = name.replace('/', "\\");
    // Prefix checks come before the character checks so that `\??\C:\x`
    // reports the device prefix rather than the `?`.
    if normal.starts_with("\\\\") || normal.starts_with("\\??\\") {
        return Err(NameError::DevicePath);
    }
    if normal.starts_with('\\') {
        return Err(NameError::Absolute);
    }
    // `C:` and `C:\x` are drive paths. `x:y` is refused below as a bad
    // character instead: whether Windows reads it as drive-relative or as an
    // alternate data stream, the colon is what makes it unsafe.
    let bytes = normal.as_bytes();
    if bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes.get(2).is_none_or(|&b| b == b'\\')
    {
        return Err(NameError::DriveLetter);
    }
    for component in normal.split('\\') {
        check_component(component)?;
    }
    if normal.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong);
    }
    Ok(normal)
}

fn check_component(component: &str) -> Result<(), NameError> {
    if component.is_empty() {
        return Err(NameError::Empty);
    }
    hotfix_model::check_component(component).map_err(|p| match p {
        NameProblem::DotDot => NameError::DotDot,
        NameProblem::BadChar(c) => NameError::BadChar(c),
        NameProblem::TrailingDotOrSpace => NameError::TrailingDotOrSpace,
        NameProblem::DeviceName => NameError::DeviceName(component.to_string()),
    })
}

/// The key under which names collide on a case-insensitive file system.
pub(crate) fn fold_case(name: &str) -> String {
    name.to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        assert_eq!(check_name("update.inf").unwrap(), "update.inf");
        assert_eq!(check_name("a/b\\c.dll").unwrap(), "a\\b\\c.dll");
        assert_eq!(check_name(".hidden").unwrap(), ".hidden");
        assert_eq!(check_name("console.dll").unwrap(), "console.dll");
        assert_eq!(check_name("COM10").unwrap(), "COM10");
    }

    #[test]
    fn refuses_hostile_names() {
        let cases: &[(&str, NameError)] = &[
            ("", NameError::Empty),
            ("a\\\\b", NameError::Empty),
            ("a\\", NameError::Empty),
            ("..", NameError::DotDot),
            ("..\\x", NameError::DotDot),
            ("a/../../b", NameError::DotDot),
            ("\\abs", NameError::Absolute),
            ("/abs", NameError::Absolute),
            ("C:\\x", NameError::DriveLetter),
            ("c:", NameError::DriveLetter),
            ("c:x", NameError::BadChar(':')),
            ("\\\\?\\C:\\x", NameError::DevicePath),
            ("\\??\\C:\\x", NameError::DevicePath),
            ("\\\\.\\PhysicalDrive0", NameError::DevicePath),
            ("\\\\server\\share\\x", NameError::DevicePath),
            ("CON", NameError::DeviceName("CON".into())),
            ("dir\\lpt1.log", NameError::DeviceName("lpt1.log".into())),
            ("nul .txt", NameError::DeviceName("nul .txt".into())),
            ("x:y", NameError::BadChar(':')),
            ("a*b", NameError::BadChar('*')),
            ("a\u{1}b", NameError::BadChar('\u{1}')),
            ("a.", NameError::TrailingDotOrSpace),
            (".", NameError::TrailingDotOrSpace),
            ("dir \\x", NameError::TrailingDotOrSpace),
        ];
        for (name, expected) in cases {
            assert_eq!(check_name(name).as_ref(), Err(expected), "name {name:?}");
        }
        assert_eq!(check_name(&"a".repeat(256)), Err(NameError::TooLong));
        assert!(check_name(&"a".repeat(255)).is_ok());
    }
}

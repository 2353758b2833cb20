//! The Windows rules for one path component, shared by every crate that
//! takes names from packages, data or users (cabinet entries, image paths,
//! data-set rows): each crate reports a problem in its own error type.

/// DOS device names. Windows maps a component to the device when the part
/// before its first dot, without trailing spaces, is one of these (`nul.txt`).
pub const DOS_DEVICE_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7",
    "LPT8", "LPT9",
];

/// A name or path in double quotes, for messages: backslashes stay single,
/// as Windows users write paths (`"i386\system32\shell32.dll"`), while
/// quotes and control characters are escaped as Rust's `{:?}` escapes them,
/// so a hostile name cannot forge a line of a log or hide in one.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '\\' | '\'' => f.write_char(c)?,
                _ => write!(f, "{}", c.escape_debug())?,
            }
        }
        f.write_char('"')
    }
}

/// Why a component is unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// `..`: it leaves the directory.
    DotDot,
    /// A control character or one of `< > : " | ? *` (`:` addresses an
    /// alternate data stream or a drive).
    BadChar(char),
    /// A trailing `.` or space, which Windows silently strips.
    TrailingDotOrSpace,
    /// A DOS device name.
    DeviceName,
}

/// Checks one non-empty path component.
pub fn check_component(c: &str) -> Result<(), NameProblem> {
    if c == ".." {
        return Err(NameProblem::DotDot);
    }
    if let Some(bad) = c
        .chars()
        .find(|&ch| ch.is_control() || matches!(ch, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return Err(NameProblem::BadChar(bad));
    }
    if c.ends_with('.') || c.ends_with(' ') {
        return Err(NameProblem::TrailingDotOrSpace);
    }
    if DOS_DEVICE_NAMES
        .iter()
        .any(|d| d.eq_ignore_ascii_case(device_stem(c)))
    {
        return Err(NameProblem::DeviceName);
    }
    Ok(())
}

/// The part of a component Windows compares with device names.
pub fn device_stem(c: &str) -> &str {
    c.split('.').next().unwrap_or(c).trim_end_matches(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_keeps_backslashes_single_and_escapes_the_rest() {
        let q = |s: &str| Quoted(s).to_string();
        assert_eq!(
            q(r"i386\system32\shell32.dll"),
            r#""i386\system32\shell32.dll""#
        );
        assert_eq!(q("it's"), r#""it's""#);
        assert_eq!(q("a\"b\nc\u{7}"), r#""a\"b\nc\u{7}""#);
        assert_eq!(q("日本語.txt"), "\"日本語.txt\"");
    }

    #[test]
    fn components() {
        assert_eq!(check_component("shell32.dll"), Ok(()));
        assert_eq!(check_component(".."), Err(NameProblem::DotDot));
        assert_eq!(check_component("x:y"), Err(NameProblem::BadChar(':')));
        assert_eq!(
            check_component("a\u{1}"),
            Err(NameProblem::BadChar('\u{1}'))
        );
        assert_eq!(check_component("a."), Err(NameProblem::TrailingDotOrSpace));
        assert_eq!(check_component("NUL .txt"), Err(NameProblem::DeviceName));
        assert_eq!(check_component("com1"), Err(NameProblem::DeviceName));
        assert_eq!(check_component("com10"), Ok(()));
    }
}

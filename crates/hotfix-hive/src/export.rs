//! `regedit` 5.00 text export of a key and its subtree.

use std::fmt::Write;

use crate::hive::Hive;
use crate::key::Key;
use crate::value::{REG_BINARY, Value};

/// Hex lines are wrapped before this column, as regedit does.
const WRAP_COLUMN: usize = 77;

impl Hive {
    /// The text of a `.reg` file ("Windows Registry Editor Version 5.00")
    /// holding the key at `path` and its subtree, or `None` if there is no
    /// such key. Key lines read `[<mount>\<path>]` with the names as stored;
    /// lines end in CRLF. Strings are quoted (with `\\` and `\"` escapes)
    /// unless they contain a line break, which `.reg` syntax cannot carry,
    /// so they are written as `hex(1):`. The caller encodes the text
    /// (regedit writes UTF-16LE with a BOM).
    pub fn export_reg(&self, path: &str, mount: &str) -> Option<String> {
        let mut key = self.root();
        let mut names = Vec::new();
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            key = key.subkey(part)?;
            names.push(key.name());
        }
        let mut prefix = mount.trim_end_matches('\\').to_string();
        for name in names {
            if !prefix.is_empty() {
                prefix.push('\\');
            }
            prefix.push_str(name);
        }
        let mut out = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        export_key(&mut out, key, &prefix);
        Some(out)
    }
}

fn export_key(out: &mut String, key: &Key, path: &str) {
    let _ = write!(out, "[{path}]\r\n");
    for (name, value) in key.values() {
        let mut line = if name.is_empty() {
            "@=".to_string()
        } else {
            format!("\"{}\"=", escape(name))
        };
        match value {
            Value::Sz(s) if !s.contains(['\r', '\n']) => {
                let _ = write!(line, "\"{}\"", escape(s));
            }
            Value::Dword(n) => {
                let _ = write!(line, "dword:{n:08x}");
            }
            _ => hex(&mut line, value),
        }
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    for subkey in key.subkeys() {
        export_key(out, subkey, &format!("{path}\\{}", subkey.name()));
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Appends `hex:` or `hex(<type>):` and the data bytes, wrapped with
/// `\` + CRLF + two spaces like regedit.
fn hex(line: &mut String, value: &Value) {
    if value.kind() == REG_BINARY {
        line.push_str("hex:");
    } else {
        let _ = write!(line, "hex({:x}):", value.kind());
    }
    let data = value.to_raw();
    let mut column = line.len();
    for (i, byte) in data.iter().enumerate() {
        if column + 3 > WRAP_COLUMN && i > 0 {
            line.push_str("\\\r\n  ");
            column = 2;
        }
        let _ = write!(line, "{byte:02x}");
        column += 2;
        if i + 1 < data.len() {
            line.push(',');
            column += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_regedit_syntax() {
        let mut hive = Hive::new("$$$PROTO.HIV");
        let path = r"Microsoft\Windows NT\CurrentVersion";
        hive.set(path, "", Value::Sz("default".into())).unwrap();
        hive.set(
            path,
            "CSDVersion",
            Value::Sz(r#"Service "Pack" 3\x"#.into()),
        )
        .unwrap();
        hive.set(path, "Count", Value::Dword(0x1a)).unwrap();
        hive.set(path, "Path", Value::ExpandSz("%S%".into()))
            .unwrap();
        hive.set(path, "List", Value::MultiSz(vec!["a".into(), "".into()]))
            .unwrap();
        hive.set(path, "Bin", Value::Binary(vec![0xAB; 30]))
            .unwrap();
        hive.set(r"Microsoft\Windows NT\CurrentVersion\Sub", "", Value::None)
            .unwrap();
        let text = hive
            .export_reg(r"microsoft\windows nt", "HKEY_LOCAL_MACHINE\\SOFTWARE")
            .unwrap();
        let expected = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n\
            @=\"default\"\r\n\
            \"CSDVersion\"=\"Service \\\"Pack\\\" 3\\\\x\"\r\n\
            \"Count\"=dword:0000001a\r\n\
            \"Path\"=hex(2):25,00,53,00,25,00,00,00\r\n\
            \"List\"=hex(7):61,00,00,00,00,00,00,00\r\n\
            \"Bin\"=hex:ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,ab,\\\r\n  \
            ab,ab,ab,ab,ab,ab,ab,ab\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Sub]\r\n\
            @=hex(0):\r\n\r\n";
        assert_eq!(text, expected);
        assert_eq!(hive.export_reg("Nope", "HKLM"), None);
    }
}

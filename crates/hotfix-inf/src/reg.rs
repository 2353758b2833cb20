//! AddReg / DelReg lines.
//!
//! AddReg: `root, [subkey], [value-name], [flags], [value]...`;
//! DelReg: `root, subkey, [value-name], [flags], [string]`. The value's
//! registry type comes from the flags' type bits, as in SetupAPI.

use crate::number::{parse_flags, parse_u32};
use crate::{InfError, Line, invalid};

/// FLG_ADDREG_BINVALUETYPE: value fields are hex bytes.
const BINARY: u32 = 0x0000_0001;
/// FLG_ADDREG_TYPE_MULTI_SZ.
const MULTI_SZ: u32 = 0x0001_0000;
/// FLG_ADDREG_TYPE_EXPAND_SZ.
const EXPAND_SZ: u32 = 0x0002_0000;
/// FLG_ADDREG_TYPE_DWORD.
const DWORD: u32 = 0x0001_0001;
/// The bits of the flags that select the value type.
const TYPE_MASK: u32 = 0xFFFF_0000 | BINARY;

/// A registry root as written in an INF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegRoot {
    /// `HKLM`, HKEY_LOCAL_MACHINE.
    Hklm,
    /// `HKCU`, HKEY_CURRENT_USER.
    Hkcu,
    /// `HKCR`, HKEY_CLASSES_ROOT.
    Hkcr,
    /// `HKU`, HKEY_USERS.
    Hku,
}

impl RegRoot {
    /// Reads the short or long root name (case-insensitive).
    pub fn parse(text: &str) -> Option<RegRoot> {
        match text.trim().to_ascii_uppercase().as_str() {
            "HKLM" | "HKEY_LOCAL_MACHINE" => Some(RegRoot::Hklm),
            "HKCU" | "HKEY_CURRENT_USER" => Some(RegRoot::Hkcu),
            "HKCR" | "HKEY_CLASSES_ROOT" => Some(RegRoot::Hkcr),
            "HKU" | "HKEY_USERS" => Some(RegRoot::Hku),
            _ => None,
        }
    }

    /// The short name INF files use.
    pub fn as_str(self) -> &'static str {
        match self {
            RegRoot::Hklm => "HKLM",
            RegRoot::Hkcu => "HKCU",
            RegRoot::Hkcr => "HKCR",
            RegRoot::Hku => "HKU",
        }
    }
}

/// The data of a registry line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    /// REG_SZ (flags type 0).
    Sz(String),
    /// REG_EXPAND_SZ (0x00020000).
    ExpandSz(String),
    /// REG_MULTI_SZ (0x00010000): one string per field.
    MultiSz(Vec<String>),
    /// REG_DWORD (0x00010001).
    Dword(u32),
    /// Hex-byte fields: REG_BINARY (0x00000001) or any other type given as
    /// `0xTTTT0001` (the flags keep the type).
    Binary(Vec<u8>),
    /// The line has no value field.
    None,
}

/// One AddReg or DelReg line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegLine {
    /// The root key.
    pub root: RegRoot,
    /// The subkey path (may be empty).
    pub key: String,
    /// The value name; `None` when the field is empty or absent (the
    /// key's default value, or the key alone).
    pub value_name: Option<String>,
    /// The FLG_ADDREG_* / FLG_DELREG_* flags.
    pub flags: u32,
    /// The data: typed per the flags for AddReg; `Sz` or `None` for DelReg.
    pub data: RegData,
    /// Line number in the INF.
    pub line: usize,
}

/// The registry root in field `index` of `line`.
pub(crate) fn root_field(line: &Line, index: usize) -> Result<RegRoot, InfError> {
    RegRoot::parse(line.field(index)).ok_or_else(|| {
        invalid(
            line.line,
            format!("unknown registry root {:?}", line.field(index)),
        )
    })
}

/// Reads the root, key, value name and flags fields that both directives
/// share; `data` reads the rest, given the flags.
fn reg_line(
    line: &Line,
    data: impl FnOnce(u32) -> Result<RegData, InfError>,
) -> Result<RegLine, InfError> {
    let root = root_field(line, 0)?;
    let flags = parse_flags(line.field(3), line.line, "registry flags")?;
    Ok(RegLine {
        root,
        key: line.field(1).to_owned(),
        value_name: Some(line.field(2))
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        flags,
        data: data(flags)?,
        line: line.line,
    })
}

/// Reads an AddReg line.
pub(crate) fn parse_add(line: &Line) -> Result<RegLine, InfError> {
    reg_line(line, |flags| {
        let values = line.fields.get(4..).unwrap_or(&[]);
        let Some(first) = values.first() else {
            return Ok(RegData::None);
        };
        Ok(match flags & TYPE_MASK {
            0 => RegData::Sz(first.clone()),
            EXPAND_SZ => RegData::ExpandSz(first.clone()),
            MULTI_SZ => RegData::MultiSz(values.to_vec()),
            DWORD => RegData::Dword(parse_u32(first).ok_or_else(|| {
                invalid(line.line, format!("DWORD value {first:?} is not a number"))
            })?),
            t if t & BINARY != 0 => RegData::Binary(hex_bytes(values, line.line)?),
            _ => RegData::Sz(first.clone()),
        })
    })
}

/// Reads a DelReg line.
pub(crate) fn parse_del(line: &Line) -> Result<RegLine, InfError> {
    reg_line(line, |_| {
        Ok(line
            .fields
            .get(4)
            .map_or(RegData::None, |s| RegData::Sz(s.clone())))
    })
}

/// Hex byte fields; an empty field is a zero byte, as SetupAPI reads it.
fn hex_bytes(values: &[String], line: usize) -> Result<Vec<u8>, InfError> {
    values
        .iter()
        .map(|v| {
            let v = v.trim();
            if v.is_empty() {
                return Ok(0);
            }
            u8::from_str_radix(v, 16).map_err(|_| {
                invalid(
                    line,
                    format!("binary registry byte {v:?} is not hex 00..ff"),
                )
            })
        })
        .collect()
}

/// The fields that write `reg` back (without the line number).
pub(crate) fn fields(reg: &RegLine) -> Vec<String> {
    let mut out = vec![
        reg.root.as_str().to_owned(),
        reg.key.clone(),
        reg.value_name.clone().unwrap_or_default(),
        format!("0x{:08x}", reg.flags),
    ];
    match &reg.data {
        RegData::Sz(s) | RegData::ExpandSz(s) => out.push(s.clone()),
        RegData::MultiSz(list) => out.extend(list.iter().cloned()),
        RegData::Dword(n) => out.push(n.to_string()),
        RegData::Binary(bytes) => out.extend(bytes.iter().map(|b| format!("{b:02x}"))),
        RegData::None => {}
    }
    out
}

//! Encodes the `.rsrc` section: a one-path resource tree (RT_VERSION / 1 /
//! language) followed by the VS_VERSIONINFO it points at.

use crate::PeError;
use crate::version::{FIXED_LEN, FIXED_SIGNATURE};
use crate::writer::{PeKind, PeSpec};

/// The code page of the string table: 1200, UTF-16LE.
pub(crate) const CODE_PAGE_UNICODE: u16 = 1200;
/// Root, type and name directories (16 bytes plus one 8-byte entry each) and
/// the 16-byte data entry; the version data follows.
const TREE_LEN: u32 = 3 * 24 + 16;
const SUBDIRECTORY: u32 = 0x8000_0000;

/// Builds the `.rsrc` section contents for a section mapped at `section_rva`.
pub(crate) fn resource_section(spec: &PeSpec, section_rva: u32) -> Result<Vec<u8>, PeError> {
    let version = version_info(spec)?;
    let mut out = Vec::with_capacity(TREE_LEN as usize + version.len());
    let directory = |out: &mut Vec<u8>, id: u32, target: u32| {
        out.extend_from_slice(&[0; 12]); // characteristics, time stamp, version
        out.extend_from_slice(&0u16.to_le_bytes()); // named entries
        out.extend_from_slice(&1u16.to_le_bytes()); // id entries
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&target.to_le_bytes());
    };
    directory(&mut out, 16, SUBDIRECTORY | 24); // RT_VERSION
    directory(&mut out, 1, SUBDIRECTORY | 48); // resource id 1
    directory(&mut out, u32::from(spec.language), 72); // the data entry
    out.extend_from_slice(&(section_rva + TREE_LEN).to_le_bytes());
    out.extend_from_slice(&(version.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 8]); // code page, reserved
    out.extend_from_slice(&version);
    Ok(out)
}

/// Appends version blocks, checking that each length fits its u16 field.
struct Blocks {
    out: Vec<u8>,
}

impl Blocks {
    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    fn utf16(&mut self, text: &str) -> Result<u16, PeError> {
        if text.contains('\0') {
            return Err(PeError::InvalidSpec {
                problem: format!("version string {text:?} contains NUL"),
            });
        }
        let mut units = 0u16;
        for unit in text.encode_utf16().chain([0]) {
            self.out.extend_from_slice(&unit.to_le_bytes());
            units = units.saturating_add(1);
        }
        Ok(units)
    }

    /// A block: header, key, then `value` writes the value and returns
    /// wValueLength, then `children` writes the child blocks.
    fn block(
        &mut self,
        key: &str,
        text: bool,
        value: impl FnOnce(&mut Self) -> Result<u16, PeError>,
        children: impl FnOnce(&mut Self) -> Result<(), PeError>,
    ) -> Result<(), PeError> {
        self.pad();
        let start = self.out.len();
        self.out.extend_from_slice(&[0, 0, 0, 0]);
        self.out.extend_from_slice(&u16::from(text).to_le_bytes());
        self.utf16(key)?;
        self.pad();
        let value_len = value(self)?;
        children(self)?;
        let len = u16::try_from(self.out.len() - start).map_err(|_| PeError::InvalidSpec {
            problem: format!("version block {key:?} exceeds 64 KiB"),
        })?;
        self.out[start..start + 2].copy_from_slice(&len.to_le_bytes());
        self.out[start + 2..start + 4].copy_from_slice(&value_len.to_le_bytes());
        Ok(())
    }
}

/// VS_FIXEDFILEINFO's dwFileType and dwFileSubtype.
fn file_type(kind: PeKind) -> (u32, u32) {
    match kind {
        PeKind::Exe => (1, 0), // VFT_APP
        PeKind::Dll => (2, 0), // VFT_DLL
        PeKind::Sys => (3, 7), // VFT_DRV, VFT2_DRV_SYSTEM
    }
}

/// The VS_VERSIONINFO resource of `spec`.
pub(crate) fn version_info(spec: &PeSpec) -> Result<Vec<u8>, PeError> {
    let (file_ms, file_ls) = spec.file_version.to_ms_ls();
    let (product_ms, product_ls) = spec.product_version.to_ms_ls();
    let (ftype, subtype) = file_type(spec.kind);
    let fixed = [
        FIXED_SIGNATURE,
        0x0001_0000, // dwStrucVersion 1.0
        file_ms,
        file_ls,
        product_ms,
        product_ls,
        0x3F,     // dwFileFlagsMask: every VS_FF_* flag
        0,        // dwFileFlags
        0x4_0004, // dwFileOS: VOS_NT_WINDOWS32
        ftype,
        subtype,
        0,
        0, // dwFileDateMS/LS
    ];
    let table_key = format!("{:04X}{:04X}", spec.language, CODE_PAGE_UNICODE);
    let mut blocks = Blocks { out: Vec::new() };
    blocks.block(
        "VS_VERSION_INFO",
        false,
        |b| {
            for word in fixed {
                b.out.extend_from_slice(&word.to_le_bytes());
            }
            Ok(FIXED_LEN as u16)
        },
        |b| {
            b.block(
                "StringFileInfo",
                true,
                |_| Ok(0),
                |b| {
                    b.block(
                        &table_key,
                        true,
                        |_| Ok(0),
                        |b| {
                            for (key, value) in &spec.strings {
                                b.block(key, true, |b| b.utf16(value), |_| Ok(()))?;
                            }
                            Ok(())
                        },
                    )
                },
            )?;
            b.block(
                "VarFileInfo",
                true,
                |_| Ok(0),
                |b| {
                    b.block(
                        "Translation",
                        false,
                        |b| {
                            b.out.extend_from_slice(&spec.language.to_le_bytes());
                            b.out.extend_from_slice(&CODE_PAGE_UNICODE.to_le_bytes());
                            Ok(4)
                        },
                        |_| Ok(()),
                    )
                },
            )
        },
    )?;
    Ok(blocks.out)
}

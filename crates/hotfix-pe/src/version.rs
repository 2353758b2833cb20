//! VS_VERSIONINFO: the fixed binary version and the StringFileInfo strings.
//!
//! Each block is `wLength, wValueLength, wType, szKey`, padding to 32 bits, the
//! value, padding, then child blocks. Padding is relative to the resource's RVA,
//! as the loader sees it mapped.

use hotfix_model::{BuildTag, FileVersion};

use crate::PeError;
use crate::headers::Headers;
use crate::resource::{VersionData, find_version};

/// VS_FIXEDFILEINFO's dwSignature.
pub(crate) const FIXED_SIGNATURE: u32 = 0xFEEF_04BD;
/// Size of VS_FIXEDFILEINFO.
pub(crate) const FIXED_LEN: usize = 52;
/// wLength, wValueLength, wType.
const BLOCK_HEADER_LEN: usize = 6;

/// What a file's version resource says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// VS_FIXEDFILEINFO dwFileVersionMS/LS: the version servicing compares.
    pub file_version: FileVersion,
    /// VS_FIXEDFILEINFO dwProductVersionMS/LS.
    pub product_version: FileVersion,
    /// dwFileFlags (debug, prerelease, patched...).
    pub file_flags: u32,
    /// dwFileOS (0x40004 = VOS_NT_WINDOWS32).
    pub file_os: u32,
    /// dwFileType (1 application, 2 DLL, 3 driver).
    pub file_type: u32,
    /// The first VarFileInfo\Translation pair (language id, code page).
    pub translation: Option<(u16, u16)>,
    /// The first StringTable's key/value pairs, in file order.
    pub strings: Vec<(String, String)>,
}

impl VersionInfo {
    /// The string stored under `key`, compared case-insensitively.
    pub fn string(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The `FileVersion` string (`5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)`),
    /// which may disagree with [`VersionInfo::file_version`].
    pub fn file_version_string(&self) -> Option<&str> {
        self.string("FileVersion")
    }

    /// The build-lab tag in the `FileVersion` string.
    pub fn build_tag(&self) -> Option<BuildTag> {
        BuildTag::parse(self.file_version_string()?)
    }
}

/// Reads the first RT_VERSION resource of a PE32 or PE32+ image.
pub fn read_version(bytes: &[u8]) -> Result<VersionInfo, PeError> {
    let headers = Headers::parse(bytes)?;
    let data = find_version(bytes, &headers)?;
    parse_version_info(&data)
}

/// One block, positions relative to the resource data.
struct Block {
    key: String,
    value_start: usize,
    value_len: u16,
    /// Where the children start and the block ends.
    children: (usize, usize),
}

impl<'a> VersionData<'a> {
    fn corrupt(&self, pos: usize, problem: impl Into<String>) -> PeError {
        PeError::Corrupt {
            offset: (self.offset + pos) as u64,
            problem: problem.into(),
        }
    }

    /// Rounds `pos` up so that the RVA of that position is a multiple of 4.
    fn align(&self, pos: usize) -> usize {
        let misalign = (self.rva as usize).wrapping_add(pos) % 4;
        if misalign == 0 {
            pos
        } else {
            pos + 4 - misalign
        }
    }

    fn u16(&self, pos: usize) -> u16 {
        u16::from_le_bytes([self.bytes[pos], self.bytes[pos + 1]])
    }

    /// UTF-16 text from `start` up to a NUL or `end`; the position after the NUL
    /// (None if there was none).
    fn text(&self, start: usize, end: usize) -> (String, Option<usize>) {
        let mut units = Vec::new();
        let mut pos = start;
        while pos + 2 <= end {
            let unit = self.u16(pos);
            pos += 2;
            if unit == 0 {
                return (String::from_utf16_lossy(&units), Some(pos));
            }
            units.push(unit);
        }
        (String::from_utf16_lossy(&units), None)
    }

    /// The block at `pos`, which must end by `end`.
    fn block(&self, pos: usize, end: usize) -> Result<Block, PeError> {
        if pos + BLOCK_HEADER_LEN > end {
            return Err(self.corrupt(pos, "version block header runs past its parent"));
        }
        let length = usize::from(self.u16(pos));
        if length < BLOCK_HEADER_LEN {
            return Err(self.corrupt(pos, format!("version block length {length} is too small")));
        }
        let block_end = pos + length;
        if block_end > end {
            return Err(self.corrupt(
                pos,
                format!("version block of {length} bytes runs past its parent"),
            ));
        }
        let value_len = self.u16(pos + 2);
        // wValueLength counts UTF-16 units for text values (wType 1), bytes otherwise.
        let value_bytes = match self.u16(pos + 4) {
            1 => 2 * usize::from(value_len),
            _ => usize::from(value_len),
        };
        let (key, after_key) = self.text(pos + BLOCK_HEADER_LEN, block_end);
        let Some(after_key) = after_key else {
            return Err(self.corrupt(pos, "version block key has no terminating NUL"));
        };
        let value_start = self.align(after_key).min(block_end);
        Ok(Block {
            key,
            value_start,
            value_len,
            children: ((value_start + value_bytes).min(block_end), block_end),
        })
    }

    /// The blocks from `start` to `end`, each 32-bit aligned.
    fn children(&self, (start, end): (usize, usize)) -> Result<Vec<Block>, PeError> {
        let mut blocks = Vec::new();
        let mut pos = self.align(start);
        while pos < end {
            let block = self.block(pos, end)?;
            pos = self.align(block.children.1);
            blocks.push(block);
        }
        Ok(blocks)
    }

    fn u32_in(&self, block: &Block, index: usize) -> u32 {
        let at = block.value_start + 4 * index;
        u32::from_le_bytes([
            self.bytes[at],
            self.bytes[at + 1],
            self.bytes[at + 2],
            self.bytes[at + 3],
        ])
    }
}

/// Decodes VS_VERSIONINFO from a located resource.
pub(crate) fn parse_version_info(data: &VersionData<'_>) -> Result<VersionInfo, PeError> {
    let root = data.block(0, data.bytes.len())?;
    if root.key != "VS_VERSION_INFO" {
        return Err(data.corrupt(0, format!("version block key is {:?}", root.key)));
    }
    if usize::from(root.value_len) < FIXED_LEN || root.value_start + FIXED_LEN > root.children.1 {
        return Err(PeError::NoFixedFileInfo {
            offset: data.offset as u64,
        });
    }
    if data.u32_in(&root, 0) != FIXED_SIGNATURE {
        return Err(data.corrupt(
            root.value_start,
            "VS_FIXEDFILEINFO signature is not 0xFEEF04BD",
        ));
    }
    let field = |i| data.u32_in(&root, i);
    let mut info = VersionInfo {
        file_version: FileVersion::from_ms_ls(field(2), field(3)),
        product_version: FileVersion::from_ms_ls(field(4), field(5)),
        file_flags: field(7),
        file_os: field(8),
        file_type: field(9),
        translation: None,
        strings: Vec::new(),
    };
    let mut seen_strings = false;
    for child in data.children(root.children)? {
        match child.key.as_str() {
            "StringFileInfo" if !seen_strings => {
                seen_strings = true;
                if let Some(table) = data.children(child.children)?.first() {
                    info.strings = strings_of(data, table)?;
                }
            }
            "VarFileInfo" if info.translation.is_none() => {
                info.translation = translation_of(data, &child)?;
            }
            _ => {}
        }
    }
    Ok(info)
}

/// The String blocks of a StringTable. A value is text of at most wValueLength
/// UTF-16 units, ending at the first NUL or the block's end.
fn strings_of(data: &VersionData<'_>, table: &Block) -> Result<Vec<(String, String)>, PeError> {
    let mut strings = Vec::new();
    for entry in data.children(table.children)? {
        let limit = entry.value_start + 2 * usize::from(entry.value_len);
        let (value, _) = data.text(entry.value_start, limit.min(entry.children.1));
        strings.push((entry.key, value));
    }
    Ok(strings)
}

/// The first pair of the first `Translation` Var.
fn translation_of(
    data: &VersionData<'_>,
    var_file_info: &Block,
) -> Result<Option<(u16, u16)>, PeError> {
    for var in data.children(var_file_info.children)? {
        if var.key == "Translation" && var.value_len >= 4 && var.value_start + 4 <= var.children.1 {
            let pair = data.u32_in(&var, 0);
            return Ok(Some((pair as u16, (pair >> 16) as u16)));
        }
    }
    Ok(None)
}

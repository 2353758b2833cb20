//! Synthesises PE files: headers, a `.rsrc` section with the version resource,
//! and a `.text` section of filler that makes the file exactly as long as asked.
//!
//! Layout: headers (0x200 bytes: DOS header and stub, PE headers, two section
//! entries), `.rsrc` at RVA 0x1000 padded to the file alignment, then `.text`
//! whose raw data runs to the end of the file. Putting the filler section last
//! lets any length at or above the minimum be hit exactly: its SizeOfRawData
//! is simply the rest of the file, aligned or not.

use crate::encode::resource_section;
use crate::headers::{CHECKSUM_IN_OPTIONAL, OPTIONAL_FROM_SIGNATURE};
use crate::{FileVersion, PeError, checksum, filler};

/// What kind of image to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeKind {
    /// A DLL (IMAGE_FILE_DLL, GUI subsystem, VFT_DLL).
    Dll,
    /// An application (GUI subsystem, VFT_APP).
    Exe,
    /// A kernel driver (native subsystem, VFT_DRV).
    Sys,
}

impl PeKind {
    /// The kind a file name's extension implies: `.sys` a driver, `.exe` an
    /// application, anything else a DLL.
    pub fn for_file_name(name: &str) -> Self {
        match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
            Some(e) if e == "sys" => Self::Sys,
            Some(e) if e == "exe" => Self::Exe,
            _ => Self::Dll,
        }
    }
}

/// The target architecture, which also picks the optional-header format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    /// x86: PE32.
    I386,
    /// x64: PE32+.
    Amd64,
}

/// Everything that determines a synthesised file's bytes.
#[derive(Debug, Clone)]
pub struct PeSpec {
    /// DLL, EXE or driver.
    pub kind: PeKind,
    /// PE32 or PE32+.
    pub machine: Machine,
    /// VS_FIXEDFILEINFO file version.
    pub file_version: FileVersion,
    /// VS_FIXEDFILEINFO product version.
    pub product_version: FileVersion,
    /// Language of the resource and string table (0x0409 → "040904B0").
    pub language: u16,
    /// The StringTable, in order.
    pub strings: Vec<(String, String)>,
    /// The exact length of the produced file; `None` = [`min_size`].
    pub total_size: Option<u64>,
    /// Seed of the filler bytes.
    pub seed: u64,
}

/// A filler seed derived from a file name (FNV-1a of its ASCII lower case),
/// so the same name always yields the same bytes whatever its spelling.
pub fn name_seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x100_0000_01b3)
    })
}

impl PeSpec {
    /// An XP-style spec: x86, US English, Microsoft's strings, the given
    /// version as file and product version, `OriginalFilename` = `name`, and a
    /// seed derived from the name so that different files differ.
    pub fn new(kind: PeKind, name: &str, version: FileVersion, file_version_string: &str) -> Self {
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let strings = [
            ("CompanyName", "Microsoft Corporation".to_owned()),
            ("FileDescription", format!("{stem} component")),
            ("FileVersion", file_version_string.to_owned()),
            ("InternalName", stem.to_owned()),
            (
                "LegalCopyright",
                "\u{a9} Microsoft Corporation. All rights reserved.".to_owned(),
            ),
            ("OriginalFilename", name.to_owned()),
            (
                "ProductName",
                "Microsoft\u{ae} Windows\u{ae} Operating System".to_owned(),
            ),
            ("ProductVersion", version.to_string()),
        ];
        let seed = name_seed(name);
        Self {
            kind,
            machine: Machine::I386,
            file_version: version,
            product_version: version,
            language: 0x0409,
            strings: strings
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            total_size: None,
            seed,
        }
    }
}

const FILE_ALIGNMENT: u32 = 0x200;
const SECTION_ALIGNMENT: u32 = 0x1000;
/// Everything before the first section's data.
const HEADERS_LEN: u32 = 0x200;
/// Where the PE signature goes (e_lfanew), after the DOS header and stub.
const PE_AT: usize = 0x80;
const OPTIONAL_AT: usize = PE_AT + OPTIONAL_FROM_SIGNATURE;
const RSRC_RVA: u32 = SECTION_ALIGNMENT;
/// Keeps every RVA and size within the 32-bit header fields.
const MAX_SIZE: u64 = 0x7FFF_0000;

fn align(value: u64, to: u32) -> u64 {
    value.div_ceil(u64::from(to)) * u64::from(to)
}

/// Headers plus the resource section padded to the file alignment.
fn minimum_len(rsrc: &[u8]) -> u64 {
    u64::from(HEADERS_LEN) + align(rsrc.len() as u64, FILE_ALIGNMENT)
}

/// The smallest file [`build`] can make for `spec`: headers plus the aligned
/// resource section (about 1.5 KiB for a typical spec). A spec that cannot be
/// encoded reports the headers' size; [`build`] then reports why.
pub fn min_size(spec: &PeSpec) -> u64 {
    resource_section(spec, RSRC_RVA).map_or(u64::from(HEADERS_LEN), |rsrc| minimum_len(&rsrc))
}

/// Builds the file `spec` describes, exactly `spec.total_size` bytes long.
pub fn build(spec: &PeSpec) -> Result<Vec<u8>, PeError> {
    build_with_overlay(spec, &[])
}

/// Builds `spec` at `size` bytes. A size below what headers and resources
/// need cannot be met; the file is then as small as a valid PE can be.
pub fn build_at_least(spec: PeSpec, size: u64) -> Result<Vec<u8>, PeError> {
    image(&spec, |minimum| size.max(minimum), &[])
}

/// Builds a self-extracting-package stub: the image `spec` describes
/// (`spec.total_size` long if set, else minimal) followed by `overlay`, with the
/// CheckSum covering the whole file. [`crate::overlay_offset`] of the result is
/// the image length.
pub fn build_with_overlay(spec: &PeSpec, overlay: &[u8]) -> Result<Vec<u8>, PeError> {
    image(spec, |minimum| spec.total_size.unwrap_or(minimum), overlay)
}

/// The image, `total(minimum size)` bytes long, followed by `overlay`, with
/// the CheckSum set. The resource section is encoded once, here.
fn image(
    spec: &PeSpec,
    total: impl FnOnce(u64) -> u64,
    overlay: &[u8],
) -> Result<Vec<u8>, PeError> {
    let rsrc = resource_section(spec, RSRC_RVA)?;
    let minimum = minimum_len(&rsrc);
    let total = total(minimum);
    if total < minimum {
        return Err(PeError::TooSmall {
            wanted: total,
            minimum,
        });
    }
    let file_len = total.saturating_add(overlay.len() as u64);
    if file_len > MAX_SIZE {
        return Err(PeError::TooLarge {
            wanted: file_len,
            maximum: MAX_SIZE,
        });
    }
    // All sizes are below MAX_SIZE from here on, so the casts are exact.
    let text = Section {
        rva: RSRC_RVA + align(rsrc.len() as u64, SECTION_ALIGNMENT) as u32,
        raw_len: (total - minimum) as u32,
        raw_at: minimum as u32,
    };
    let mut file = vec![0u8; file_len as usize];
    write_headers(&mut file, spec, rsrc.len() as u32, &text);
    file[HEADERS_LEN as usize..HEADERS_LEN as usize + rsrc.len()].copy_from_slice(&rsrc);
    filler::fill(&mut file[minimum as usize..total as usize], spec.seed);
    file[total as usize..].copy_from_slice(overlay);
    let sum = checksum(&file);
    let at = OPTIONAL_AT + CHECKSUM_IN_OPTIONAL;
    file[at..at + 4].copy_from_slice(&sum.to_le_bytes());
    Ok(file)
}

/// Placement of the filler section.
struct Section {
    rva: u32,
    raw_len: u32,
    raw_at: u32,
}

impl Section {
    fn virtual_len(&self) -> u32 {
        self.raw_len.max(1)
    }
}

/// A DOS program that prints a notice and exits, as every PE carries.
fn dos_stub() -> [u8; 0x40] {
    const MESSAGE: &[u8] = b"This program requires Microsoft Windows.\r\n$";
    let mut stub = [0u8; 0x40];
    // push cs; pop ds; mov dx, 0x0e; mov ah, 9; int 21h; mov ax, 4c01h; int 21h
    let code = [
        0x0E, 0x1F, 0xBA, 0x0E, 0x00, 0xB4, 0x09, 0xCD, 0x21, 0xB8, 0x01, 0x4C, 0xCD, 0x21,
    ];
    stub[..code.len()].copy_from_slice(&code);
    stub[code.len()..code.len() + MESSAGE.len()].copy_from_slice(MESSAGE);
    stub
}

struct Writer<'a>(&'a mut [u8]);

impl Writer<'_> {
    fn u16(&mut self, at: usize, v: u16) {
        self.0[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, at: usize, v: u32) {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, at: usize, v: u64) {
        self.0[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
    fn section(&mut self, at: usize, name: &[u8; 8], rva: u32, sizes: (u32, u32, u32), flags: u32) {
        let (virtual_len, raw_len, raw_at) = sizes;
        self.0[at..at + 8].copy_from_slice(name);
        self.u32(at + 8, virtual_len);
        self.u32(at + 12, rva);
        self.u32(at + 16, raw_len);
        self.u32(at + 20, raw_at);
        self.u32(at + 36, flags);
    }
}

fn write_headers(file: &mut [u8], spec: &PeSpec, rsrc_len: u32, text: &Section) {
    let plus = spec.machine == Machine::Amd64;
    let mut w = Writer(file);
    // DOS header: "MZ", a 0x80-byte DOS program, e_lfanew.
    w.0[..2].copy_from_slice(b"MZ");
    w.u16(0x02, 0x80); // bytes on the last page
    w.u16(0x04, 1); // pages
    w.u16(0x08, 4); // header paragraphs
    w.u16(0x0C, 0xFFFF); // max allocation
    w.u16(0x10, 0xB8); // initial SP
    w.u16(0x18, 0x40); // relocation table offset
    w.u32(0x3C, PE_AT as u32);
    w.0[0x40..0x80].copy_from_slice(&dos_stub());
    // PE signature and COFF header.
    w.0[PE_AT..PE_AT + 4].copy_from_slice(b"PE\0\0");
    let coff = PE_AT + 4;
    w.u16(coff, if plus { 0x8664 } else { 0x014C });
    w.u16(coff + 2, 2); // sections
    w.u32(coff + 4, 0x4110_7CC3); // 2004-08-04, XP SP2's build week
    let optional_len: u16 = if plus { 240 } else { 224 };
    w.u16(coff + 16, optional_len);
    // Executable, line numbers and local symbols stripped; 32-bit or large
    // address aware; DLL flag.
    let mut characteristics = 0x0002 | 0x0004 | 0x0008;
    characteristics |= if plus { 0x0020 } else { 0x0100 };
    if spec.kind == PeKind::Dll {
        characteristics |= 0x2000;
    }
    w.u16(coff + 18, characteristics);
    // Optional header.
    let o = OPTIONAL_AT;
    let rsrc_raw = align(u64::from(rsrc_len), FILE_ALIGNMENT) as u32;
    let size_of_image = align(
        u64::from(text.rva) + u64::from(text.virtual_len()),
        SECTION_ALIGNMENT,
    ) as u32;
    // The filler section stands in for code, so the entry point is its start.
    let entry = if text.raw_len == 0 { 0 } else { text.rva };
    w.u16(o, if plus { 0x20B } else { 0x10B });
    w.0[o + 2] = 7; // linker 7.10, as XP SP2 was built with
    w.0[o + 3] = 10;
    w.u32(o + 4, align(u64::from(text.raw_len), FILE_ALIGNMENT) as u32);
    w.u32(o + 8, rsrc_raw);
    w.u32(o + 16, entry);
    w.u32(o + 20, text.rva);
    let image_base: u64 = match (spec.kind, plus) {
        (PeKind::Dll, false) => 0x1000_0000,
        (PeKind::Dll, true) => 0x1_8000_0000,
        (PeKind::Exe, false) => 0x40_0000,
        (PeKind::Exe, true) => 0x1_4000_0000,
        (PeKind::Sys, _) => 0x1_0000,
    };
    if plus {
        w.u64(o + 24, image_base);
    } else {
        w.u32(o + 24, RSRC_RVA); // BaseOfData
        w.u32(o + 28, image_base as u32);
    }
    w.u32(o + 32, SECTION_ALIGNMENT);
    w.u32(o + 36, FILE_ALIGNMENT);
    let (os_major, os_minor) = if plus { (5, 2) } else { (5, 1) };
    for field in [40, 48] {
        w.u16(o + field, os_major); // operating system, subsystem versions
        w.u16(o + field + 2, os_minor);
    }
    w.u16(o + 44, spec.file_version.major); // image version
    w.u16(o + 46, spec.file_version.minor);
    w.u32(o + 56, size_of_image);
    w.u32(o + 60, HEADERS_LEN);
    w.u16(o + 68, if spec.kind == PeKind::Sys { 1 } else { 2 }); // native / GUI
    let reserves: [u64; 4] = [0x4_0000, 0x1000, 0x10_0000, 0x1000]; // stack, heap
    let directories = if plus {
        for (i, v) in reserves.into_iter().enumerate() {
            w.u64(o + 72 + 8 * i, v);
        }
        w.u32(o + 108, 16);
        o + 112
    } else {
        for (i, v) in reserves.into_iter().enumerate() {
            w.u32(o + 72 + 4 * i, v as u32);
        }
        w.u32(o + 92, 16);
        o + 96
    };
    w.u32(directories + 16, RSRC_RVA); // data directory 2: resources
    w.u32(directories + 20, rsrc_len);
    let table = o + usize::from(optional_len);
    w.section(
        table,
        b".rsrc\0\0\0",
        RSRC_RVA,
        (rsrc_len, rsrc_raw, HEADERS_LEN),
        0x4000_0040, // initialised data, readable
    );
    let text_raw_at = if text.raw_len == 0 { 0 } else { text.raw_at };
    w.section(
        table + 40,
        b".text\0\0\0",
        text.rva,
        (text.virtual_len(), text.raw_len, text_raw_at),
        0x6000_0020, // code, executable, readable
    );
}

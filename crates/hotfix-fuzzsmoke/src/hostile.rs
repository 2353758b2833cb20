//! Hostile fixtures: valid files with one attack patched in, each named
//! after the attack. `tests/fixtures.rs` says which error each must get.

use hotfix_cab::Compression;
use hotfix_pe::PeKind;
use hotfix_txn::JournalState;

use crate::fixtures::{Fixture, Synth, cab, fixture, journal, pe_spec, sample_hive, text};
use crate::targets::frame_journal;

pub(crate) fn generate(packages: &[Synth]) -> Result<Vec<Fixture>, String> {
    let mut out = cabs()?;
    let base = packages.first().ok_or("no synthesized package")?;
    out.extend(package_names()?);
    out.extend(package_contents(base)?);
    out.push(fixture("pe", "pe-resource-loop.dll", pe_resource_loop()?));
    out.push(fixture("pe", "pe-truncated-headers.dll", {
        let mut pe =
            hotfix_pe::build(&pe_spec(PeKind::Dll, "t.dll")?).map_err(|e| e.to_string())?;
        pe.truncate(0x100);
        pe
    }));
    out.extend(hives()?);
    out.extend(infs());
    out.extend(manifests(base)?);
    out.extend(journals()?);
    Ok(out)
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

fn u16_at(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]))
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Replaces the first occurrence of `from` by `to` (same length), so a name
/// the writer refuses can be patched in after writing.
fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) -> Result<(), String> {
    assert_eq!(from.len(), to.len(), "patches keep the length");
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .ok_or_else(|| format!("{:?} not found", String::from_utf8_lossy(from)))?;
    bytes[at..at + to.len()].copy_from_slice(to);
    Ok(())
}

/// Cabinet header fields: file table offset at 16, the first folder at 36
/// (data offset, block count), the first file entry's size at the file
/// table offset.
fn cabs() -> Result<Vec<Fixture>, String> {
    let small = text(300);
    let base = cab(&[("a.txt", &small), ("b.txt", &small)], Compression::None)?;
    let files_at = u32_at(&base, 16);
    let mut size_lies = base.clone();
    put_u32(&mut size_lies, files_at, 100_000);
    let mut huge = base.clone();
    put_u32(&mut huge, files_at, 0xffff_fff0);
    let mut blocks = base.clone();
    blocks[40..42].copy_from_slice(&0xffffu16.to_le_bytes());
    let mut table = base.clone();
    put_u32(&mut table, 16, (files_at + 16) as u32);
    let mut truncated = base.clone();
    truncated.truncate(base.len() - 100);
    let zeros = vec![0u8; 4 << 20];
    Ok(vec![
        fixture("cab", "cab-size-lies.cab", size_lies),
        fixture("cab", "cab-declared-size-4gib.cab", huge),
        fixture("cab", "cab-block-count-lies.cab", blocks),
        fixture("cab", "cab-file-table-offset-lies.cab", table),
        fixture("cab", "cab-truncated.cab", truncated),
        fixture(
            "cab",
            "cab-mszip-bomb-4mib-zeros.cab",
            cab(&[("zeros.bin", &zeros)], Compression::MsZip)?,
        ),
    ])
}

/// Unsafe entry names, each written as a harmless name of the same length
/// and patched.
fn package_names() -> Result<Vec<Fixture>, String> {
    let data = text(100);
    let cases: [(&str, &str, &str); 7] = [
        (
            "pkg-dotdot-name.cab",
            "aa\\aa\\WINDOWS\\evil.dll",
            "..\\..\\WINDOWS\\evil.dll",
        ),
        (
            "pkg-absolute-slash-name.cab",
            "xtmp\\evil.dll",
            "/tmp/evil.dll",
        ),
        ("pkg-drive-letter-name.cab", "CC\\evil.dll", "C:\\evil.dll"),
        (
            "pkg-win32-device-namespace-name.cab",
            "xxxxC\\evil.dll",
            "\\\\?\\C\\evil.dll",
        ),
        (
            "pkg-nt-object-path-name.cab",
            "xxxxC\\evil.dll",
            "\\??\\C\\evil.dll",
        ),
        ("pkg-dos-device-name.cab", "SP2QFE\\BUX", "SP2QFE\\AUX"),
        ("pkg-case-collision.cab", "SP2QFE\\B.dll", "SP2QFE\\A.dll"),
    ];
    let mut out = Vec::new();
    for (name, written, attack) in cases {
        let mut bytes = cab(
            &[("SP2QFE\\a.dll", &data), (written, &data)],
            Compression::None,
        )?;
        patch(&mut bytes, written.as_bytes(), attack.as_bytes())?;
        out.push(fixture("pkg", name, bytes));
    }
    Ok(out)
}

/// A package's files as (path, bytes).
type Files = Vec<(String, Vec<u8>)>;

/// Packages whose cabinet is sound but whose contents disagree with update.ver.
fn package_contents(base: &Synth) -> Result<Vec<Fixture>, String> {
    let stub_end =
        hotfix_cab::find_cabinet(&base.bytes).ok_or("synthesized package has no cabinet")?;
    let stub = &base.bytes[..stub_end];
    let payload = base
        .files
        .iter()
        .position(|(path, _)| path != hotfix_package::VER_PATH && path != hotfix_package::INF_PATH)
        .ok_or_else(|| format!("{} has no payload file", base.name))?;
    let build = |edit: &dyn Fn(&mut Files)| {
        let mut files = base.files.clone();
        edit(&mut files);
        let list: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        cab(&list, Compression::None)
    };
    let sfx = |cab: Vec<u8>| [stub, &cab].concat();
    let digest = build(&|files| {
        let data = &mut files[payload].1;
        let last = data.len() - 1;
        data[last] ^= 0x55;
    })?;
    let mut misplaced = stub.to_vec();
    misplaced.extend_from_slice(b"padding between the stub and the cabinet");
    misplaced.extend(build(&|_| {})?);
    Ok(vec![
        fixture("pkg", "pkg-digest-mismatch.exe", sfx(digest)),
        fixture(
            "pkg",
            "pkg-size-mismatch.cab",
            build(&|files| files[payload].1.push(0))?,
        ),
        fixture(
            "pkg",
            "pkg-listed-file-absent.cab",
            build(&|files| {
                files.remove(payload);
            })?,
        ),
        fixture(
            "pkg",
            "pkg-unlisted-extra-file.cab",
            build(&|files| {
                files.push(("SP2QFE\\extra.dll".into(), b"not in update.ver".to_vec()));
            })?,
        ),
        fixture(
            "pkg",
            "pkg-no-manifest.cab",
            build(&|files| files.retain(|(p, _)| p != hotfix_package::VER_PATH))?,
        ),
        fixture("pkg", "pkg-stub-cabinet-gap.exe", misplaced),
    ])
}

/// A DLL whose first resource directory entry points back at the root.
fn pe_resource_loop() -> Result<Vec<u8>, String> {
    let mut pe = hotfix_pe::build(&pe_spec(PeKind::Dll, "loop.dll")?).map_err(|e| e.to_string())?;
    let nt = u32_at(&pe, 0x3c);
    let sections = u16_at(&pe, nt + 6);
    let optional = nt + 24;
    let dirs = match u16_at(&pe, optional) {
        0x10b => optional + 96,
        _ => optional + 112,
    };
    let rsrc_rva = u32_at(&pe, dirs + 2 * 8);
    let table = optional + u16_at(&pe, nt + 20);
    let rsrc = (0..sections)
        .map(|i| table + 40 * i)
        .find_map(|s| {
            let (va, raw_size, raw) = (
                u32_at(&pe, s + 12),
                u32_at(&pe, s + 16),
                u32_at(&pe, s + 20),
            );
            (va..va + raw_size)
                .contains(&rsrc_rva)
                .then(|| rsrc_rva - va + raw)
        })
        .ok_or("no section holds the resource directory")?;
    put_u32(&mut pe, rsrc + 16 + 4, 0x8000_0000);
    Ok(pe)
}

/// regf base block: sequence numbers at 4 and 8, root cell offset at 0x24,
/// XOR checksum of the first 508 bytes at 0x1fc. Cells are relative to 0x1000.
fn fix_checksum(hive: &mut [u8]) {
    let sum = (0..0x1fc)
        .step_by(4)
        .fold(0u32, |acc, at| acc ^ u32_at(hive, at) as u32);
    let sum = match sum {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        other => other,
    };
    put_u32(hive, 0x1fc, sum);
}

fn hives() -> Result<Vec<Fixture>, String> {
    let base = sample_hive()?.to_bytes().map_err(|e| e.to_string())?;
    let root = u32_at(&base, 0x24);
    let nk = 0x1000 + root + 4;
    let list = 0x1000 + u32_at(&base, nk + 0x1c) + 4;
    let mut cycle = base.clone();
    put_u32(&mut cycle, list + 4, root as u32);
    let mut bad_root = base.clone();
    put_u32(&mut bad_root, 0x24, 0x7fff_fff0);
    fix_checksum(&mut bad_root);
    let mut dirty = base.clone();
    put_u32(&mut dirty, 8, u32_at(&base, 4) as u32 + 1);
    fix_checksum(&mut dirty);
    let mut checksum = base.clone();
    checksum[0x1fc] ^= 1;
    Ok(vec![
        fixture("hive", "hive-cycle.hiv", cycle),
        fixture("hive", "hive-bad-root-offset.hiv", bad_root),
        fixture("hive", "hive-dirty-sequence.hiv", dirty),
        fixture("hive", "hive-bad-checksum.hiv", checksum),
    ])
}

const INF_HEAD: &str = "[Version]\r\nSignature = \"$Windows NT$\"\r\nNtBuildToUpdate = 2600\r\n\
    NtMajorVersionToUpdate = 5\r\nNtMinorVersionToUpdate = 1\r\nMinNtServicePackVersion = 512\r\n\
    MaxNtServicePackVersion = 768\r\nLanguageType = 0\r\n\r\n[Strings]\r\nSP_SHORT_TITLE = \"KB999999\"\r\n\r\n\
    [ProductInstall.ExtendedConditional]\r\nConditionInstall = Cond.0\r\n\r\n";

fn infs() -> Vec<Fixture> {
    let cycle = format!(
        "{INF_HEAD}[Cond.0]\r\ncondition = SingleOp, Cond.1\r\nConditionalOperations = Entry.0\r\n\r\n\
         [Cond.1]\r\ncondition = SingleOp, Cond.0\r\n\r\n[Entry.0]\r\nFileOperation = Install.0\r\n"
    );
    // Every level names the next one twice: 2^15 operand visits from 600 bytes.
    let mut laughs = INF_HEAD.to_owned();
    for level in 0..15 {
        let next = level + 1;
        laughs.push_str(&format!(
            "[Cond.{level}]\r\ncondition = SingleOp, Cond.{next}, AndOp, Cond.{next}\r\n\r\n"
        ));
    }
    laughs.push_str("[Cond.15]\r\ncondition = SingleOp, Op.0\r\n\r\n[Op.0]\r\nCheckFilever, Files.System32, x.dll, >=, 1.0.0.0\r\n");
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend("[Version]\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    utf16.extend([0x00, 0xd8, 0x41, 0x00]);
    vec![
        fixture("inf", "inf-condition-cycle.inf", cycle.into_bytes()),
        fixture(
            "inf",
            "inf-condition-billion-laughs.inf",
            laughs.into_bytes(),
        ),
        fixture("inf", "inf-utf16-unpaired-surrogate.inf", utf16),
    ]
}

fn manifests(base: &Synth) -> Result<Vec<Fixture>, String> {
    let text = String::from_utf8(base.files[0].1.clone()).map_err(|e| e.to_string())?;
    let dotdot = text.replacen("update\\update.inf=", "update\\..\\..\\x.dll=", 1);
    let (head, tail) = text
        .split_once("update\\update.inf=")
        .ok_or("no update.inf line")?;
    let bad_digest = format!("{head}update\\update.inf=zz{}", &tail[2..]);
    Ok(vec![
        fixture("manifest", "manifest-dotdot-path.ver", dotdot.into_bytes()),
        fixture(
            "manifest",
            "manifest-bad-digest.ver",
            bad_digest.into_bytes(),
        ),
    ])
}

fn journals() -> Result<Vec<Fixture>, String> {
    let good = journal(JournalState::Prepared)?.encode(&crate::targets::fuzz_key());
    let mut torn = good.clone();
    torn.truncate(good.len() / 2);
    let text = String::from_utf8(good).map_err(|e| e.to_string())?;
    let edited = text.replacen("install KB896358\"", "install KB999999\"", 1);
    // A body with a valid checksum whose path climbs out of the image.
    let body = text.splitn(3, '\n').nth(2).ok_or("journal has no body")?;
    let body = body.replacen("txn/r/0", "../../etc", 1);
    let escape = frame_journal(body.as_bytes());
    Ok(vec![
        fixture("journal", "journal-torn.json", torn),
        fixture(
            "journal",
            "journal-edited-checksum-stale.json",
            edited.into_bytes(),
        ),
        fixture("journal", "journal-dotdot-path.json", escape),
    ])
}

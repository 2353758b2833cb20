//! The corpus files this workspace can make, built deterministically from
//! the writers of the format crates. `tests/fixtures.rs` writes them to
//! `corpus/` when `HOTFIX_REGEN_FIXTURES=1`. Files copied from other
//! projects' test sets (and the windres-built DLL) are not made here; the
//! corpus README lists them.

use hotfix_cab::{CabInput, Compression, write_cabinet};
use hotfix_dataset::{DEFAULT_DATA, DataSet, Update};
use hotfix_hive::{Hive, Value};
use hotfix_package::{INF_PATH, Package};
use hotfix_pe::{PeKind, PeSpec};
use hotfix_synth::{SynthOptions, synth};
use hotfix_txn::{Journal, JournalState, Op, Preserve, RelPath};

/// One corpus file.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Subdirectory of `corpus/`: `cab`, `pkg`, `pe`, `hive`, `inf`,
    /// `manifest`, `journal`, `pfro`, `record` or `inuse`.
    pub kind: &'static str,
    /// File name: what it is, or for a hostile file the attack it carries.
    pub name: String,
    /// The contents.
    pub bytes: Vec<u8>,
}

pub(crate) fn fixture(kind: &'static str, name: &str, bytes: Vec<u8>) -> Fixture {
    Fixture {
        kind,
        name: name.to_owned(),
        bytes,
    }
}

/// Every generated fixture, benign and hostile.
pub fn generate() -> Result<Vec<Fixture>, String> {
    let mut out = Vec::new();
    out.extend(cabs()?);
    let packages = packages()?;
    out.extend(crate::hostile::generate(&packages)?);
    out.extend(packages.into_iter().flat_map(|p| p.fixtures));
    out.extend(pes()?);
    out.extend(hives()?);
    out.push(fixture(
        "journal",
        "journal-prepared.json",
        journal(JournalState::Prepared)?.encode(&crate::targets::fuzz_key()),
    ));
    out.push(fixture("journal", "journal-committed-sequential.json", {
        let mut j = journal(JournalState::Committed)?;
        j.sequential = true;
        j.encode(&crate::targets::fuzz_key())
    }));
    out.extend(pfro());
    out.extend(crate::state::fixtures()?);
    Ok(out)
}

/// A compressible text of `len` bytes.
pub(crate) fn text(len: usize) -> Vec<u8> {
    b"hotfix fuzz corpus: the quick brown fox jumps over the lazy dog\r\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

pub(crate) fn cab(files: &[(&str, &[u8])], compression: Compression) -> Result<Vec<u8>, String> {
    let inputs: Vec<CabInput<'_>> = files
        .iter()
        .map(|&(name, data)| CabInput { name, data })
        .collect();
    write_cabinet(&inputs, compression).map_err(|e| e.to_string())
}

fn cabs() -> Result<Vec<Fixture>, String> {
    let big = text(40_000);
    let small = text(300);
    Ok(vec![
        fixture(
            "cab",
            "stored-2files.cab",
            cab(
                &[
                    ("readme.txt", &small),
                    ("SP2QFE\\data.bin", &[0, 1, 2, 3, 0xff]),
                ],
                Compression::None,
            )?,
        ),
        fixture(
            "cab",
            "mszip-multiblock-3files.cab",
            cab(
                &[
                    ("big.txt", &big),
                    ("empty.dat", &[]),
                    ("SP2GDR\\small.txt", &small),
                ],
                Compression::MsZip,
            )?,
        ),
    ])
}

/// A synthesized package and what was made from it.
pub(crate) struct Synth {
    /// The package as the generator made it.
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    /// Every file of the package (update.ver included), in cabinet order.
    pub(crate) files: Vec<(String, Vec<u8>)>,
    /// The corpus files made from it.
    pub(crate) fixtures: Vec<Fixture>,
}

/// `update` with its first `rows` file rows, shrunk so the package stays
/// small: versioned rows become 8 KiB PEs, others 600-byte data files.
fn tiny(update: &Update, rows: usize) -> Update {
    let mut tiny = update.clone();
    tiny.files.truncate(rows);
    for row in &mut tiny.files {
        row.size = if row.version.is_some() { 8192 } else { 600 };
    }
    tiny
}

fn packages() -> Result<Vec<Synth>, String> {
    let data = DataSet::parse(DEFAULT_DATA).map_err(|e| e.to_string())?;
    let first = data.updates.first().ok_or("empty data set")?;
    let dual = data
        .updates
        .iter()
        .find(|u| u.is_dual_mode())
        .ok_or("no dual-mode update")?;
    let data_row = data
        .updates
        .iter()
        .find(|u| u.files.iter().any(|f| f.version.is_none()))
        .ok_or("no update with an unversioned file")?;
    let jobs = [
        (first, 2, true, true, "synth-sfx-stored"),
        (dual, 2, false, false, "synth-dual-mode-mszip"),
        (data_row, 3, true, false, "synth-sfx-mszip-datafile"),
    ];
    let mut out = Vec::new();
    for (update, rows, sfx, fast, stem) in jobs {
        let opts = SynthOptions {
            sfx,
            compression_fast: fast,
            ..SynthOptions::default()
        };
        let s = synth(&tiny(update, rows), &opts).map_err(|e| e.to_string())?;
        let pkg = Package::open(s.bytes.clone(), &s.file_name).map_err(|e| e.to_string())?;
        let mut files = vec![(
            hotfix_package::VER_PATH.to_owned(),
            pkg.manifest_bytes().to_vec(),
        )];
        for entry in pkg.payload() {
            files.push((
                entry.path.clone(),
                pkg.read(&entry.path).map_err(|e| e.to_string())?,
            ));
        }
        let ext = if sfx { "exe" } else { "cab" };
        let inf = pkg.read(INF_PATH).map_err(|e| e.to_string())?;
        let fixtures = vec![
            fixture("pkg", &format!("{stem}.{ext}"), s.bytes.clone()),
            fixture(
                "manifest",
                &format!("{stem}.ver"),
                pkg.manifest_bytes().to_vec(),
            ),
            fixture("inf", &format!("{stem}.inf"), inf),
        ];
        out.push(Synth {
            name: s.file_name,
            bytes: s.bytes,
            files,
            fixtures,
        });
    }
    Ok(out)
}

pub(crate) fn pe_spec(kind: PeKind, name: &str) -> Result<PeSpec, String> {
    let version = "5.1.2600.2180".parse().map_err(|_| "bad version")?;
    Ok(PeSpec::new(
        kind,
        name,
        version,
        "5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)",
    ))
}

fn pes() -> Result<Vec<Fixture>, String> {
    let mut out = Vec::new();
    for (kind, name) in [
        (PeKind::Dll, "built-dll.dll"),
        (PeKind::Sys, "built-driver.sys"),
        (PeKind::Exe, "built-exe.exe"),
    ] {
        let spec = pe_spec(kind, name)?;
        out.push(fixture(
            "pe",
            name,
            hotfix_pe::build(&spec).map_err(|e| e.to_string())?,
        ));
    }
    let spec = pe_spec(PeKind::Exe, "sfx.exe")?;
    let overlay =
        hotfix_pe::build_with_overlay(&spec, b"MSCF appended data").map_err(|e| e.to_string())?;
    out.push(fixture("pe", "built-exe-with-overlay.exe", overlay));
    Ok(out)
}

pub(crate) fn sample_hive() -> Result<Hive, String> {
    let mut hive = Hive::new("ROOT");
    let set = |hive: &mut Hive, path: &str, name: &str, value: Value| {
        hive.set(path, name, value).map_err(|e| e.to_string())
    };
    hive.create_key("Software\\Microsoft\\Updates\\Windows XP\\SP3\\KB896358")
        .map_err(|e| e.to_string())?;
    set(
        &mut hive,
        "Software\\Microsoft\\Updates\\Windows XP\\SP3\\KB896358",
        "Description",
        Value::Sz("Security Update".into()),
    )?;
    set(
        &mut hive,
        "Software\\Microsoft\\Updates\\Windows XP\\SP3\\KB896358",
        "Installed",
        Value::Dword(1),
    )?;
    set(
        &mut hive,
        "Software",
        "expand",
        Value::ExpandSz("%SystemRoot%\\system32".into()),
    )?;
    set(
        &mut hive,
        "Software",
        "multi",
        Value::MultiSz(vec!["a".into(), "bc".into()]),
    )?;
    set(&mut hive, "Software", "qword", Value::Qword(u64::MAX))?;
    set(
        &mut hive,
        "Software",
        "big-endian",
        Value::DwordBigEndian(7),
    )?;
    set(&mut hive, "Software", "", Value::Binary(vec![1, 2, 3]))?;
    Ok(hive)
}

fn hives() -> Result<Vec<Fixture>, String> {
    let hive = sample_hive()?;
    let mut out = vec![fixture(
        "hive",
        "written-all-value-types.hiv",
        hive.to_bytes().map_err(|e| e.to_string())?,
    )];
    // Above 16344 bytes a value goes to big data ("db"); above 512 subkeys
    // the writer uses an "ri" index of "lh" lists.
    let mut big = Hive::new("ROOT");
    big.set("", "big", Value::Binary(text(17_000)))
        .map_err(|e| e.to_string())?;
    out.push(fixture(
        "hive",
        "written-bigdata-value.hiv",
        big.to_bytes().map_err(|e| e.to_string())?,
    ));
    let mut wide = Hive::new("ROOT");
    for i in 0..513 {
        wide.create_key(&format!("{i}"))
            .map_err(|e| e.to_string())?;
    }
    out.push(fixture(
        "hive",
        "written-ri-list-513-subkeys.hiv",
        wide.to_bytes().map_err(|e| e.to_string())?,
    ));
    Ok(out)
}

pub(crate) fn journal(state: JournalState) -> Result<Journal, String> {
    let rel = |s: &str| RelPath::new(s).map_err(|e| e.to_string());
    Ok(Journal {
        txid: "0123456789abcdef".into(),
        started: 1_167_609_600,
        command: "hotfix install KB896358.exe".into(),
        title: "install KB896358".into(),
        state,
        sequential: false,
        ops: vec![
            Op::MakeDir {
                path: rel("WINDOWS/$NtUninstallKB896358$")?,
            },
            Op::Put {
                target: rel("WINDOWS/system32/shell32.dll")?,
                staged: rel("txn/s/0")?,
                existed: true,
                preserve: vec![Preserve {
                    path: rel("WINDOWS/$NtUninstallKB896358$/shell32.dll")?,
                    keep: true,
                }],
            },
            Op::Link {
                from: rel("WINDOWS/system32/shell32.dll")?,
                to: rel("WINDOWS/system32/dllcache/shell32.dll")?,
            },
            Op::Remove {
                target: rel("WINDOWS/system32/old.dll")?,
                to: rel("txn/r/0")?,
                keep: false,
            },
        ],
    })
}

fn pfro() -> Vec<Fixture> {
    let multi =
        |strings: &[&str]| Value::MultiSz(strings.iter().map(|s| s.to_string()).collect()).to_raw();
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    vec![
        fixture(
            "pfro",
            "pfro-rename-and-delete.bin",
            multi(&[
                "\\??\\C:\\WINDOWS\\system32\\SET1.tmp",
                "!\\??\\C:\\WINDOWS\\system32\\shell32.dll",
                "\\??\\C:\\WINDOWS\\system32\\SET2.tmp",
                "",
            ]),
        ),
        fixture(
            "pfro",
            "pfro-odd-count-at-prefix.bin",
            multi(&["@\\??\\C:\\a.tmp", "@C:\\b.dll", "C:\\c.tmp"]),
        ),
        fixture(
            "pfro",
            "pfro-unterminated.bin",
            utf16("\\??\\C:\\x.tmp\0!\\??\\C:\\y.dll"),
        ),
        fixture("pfro", "pfro-odd-byte-count.bin", {
            let mut b = multi(&["\\??\\C:\\x.tmp"]);
            b.push(0x41);
            b
        }),
    ]
}

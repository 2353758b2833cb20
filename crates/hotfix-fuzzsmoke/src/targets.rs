//! One harness per parser. Each takes arbitrary bytes, must never panic,
//! and on success checks a cheap property of what it parsed (a round trip,
//! or that every listed entry can be asked for), so the fuzzer also finds
//! inputs that parse into something the rest of the stack cannot use.

use hotfix_cab::{Cabinet, Limits};
use hotfix_hive::{Hive, REG_MULTI_SZ, Value};
use hotfix_inf::{Inf, UpdateInf};
use hotfix_package::{Manifest, Package};
use hotfix_pending::PendingQueue;
use hotfix_txn::{HostKey, Journal};

/// A parser under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `Cabinet::parse`, then `read` of every entry.
    Cab,
    /// `find_cabinet` on arbitrary bytes (an SFX stub with its cabinet).
    FindCabinet,
    /// `Package::open`: SFX stub, cabinet, manifest, digests, update.inf.
    Package,
    /// `Manifest::parse` (update.ver), round-tripped through `to_text`.
    Manifest,
    /// `Inf::parse`, the generic INF reader.
    Inf,
    /// `UpdateInf::parse`, then `to_text` of what parsed.
    UpdateInf,
    /// `read_version` and `overlay_offset`; `read_version_at` (sparse)
    /// must agree with `read_version`.
    Pe,
    /// `Hive::parse` (and the dirty-tolerant variant); what parses must
    /// write with `to_bytes` and read back.
    Hive,
    /// `Journal::decode` of the bytes and of the bytes behind a valid MAC
    /// (under [`fuzz_key`]), round-tripped through `encode`.
    Journal,
    /// `Value::from_raw(REG_MULTI_SZ, ..)` then `PendingQueue::parse`.
    Pfro,
    /// A signed journal recovered on a small in-memory image: nothing
    /// outside the image may change (the image-escape oracle).
    JournalReplay,
    /// An install record (`installed\KBnnnnnn.json`), round-tripped.
    Record,
    /// The in-use list (`inuse.lst`): every path stays in the image.
    InUse,
}

/// Caps for the cabinet harness: lower than the defaults so one input
/// cannot legitimately decompress to a gigabyte and blur the memory bound.
fn cab_limits() -> Limits {
    Limits {
        max_files: 65_535,
        max_file_size: 64 << 20,
        max_total_size: 256 << 20,
    }
}

impl Target {
    /// Every target, in a fixed order.
    pub const ALL: [Target; 13] = [
        Target::Cab,
        Target::FindCabinet,
        Target::Package,
        Target::Manifest,
        Target::Inf,
        Target::UpdateInf,
        Target::Pe,
        Target::Hive,
        Target::Journal,
        Target::Pfro,
        Target::JournalReplay,
        Target::Record,
        Target::InUse,
    ];

    /// The cargo-fuzz target name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Cab => "cab",
            Target::FindCabinet => "find_cabinet",
            Target::Package => "package",
            Target::Manifest => "manifest",
            Target::Inf => "inf",
            Target::UpdateInf => "update_inf",
            Target::Pe => "pe",
            Target::Hive => "hive",
            Target::Journal => "journal",
            Target::Pfro => "pfro",
            Target::JournalReplay => "journal_replay",
            Target::Record => "record",
            Target::InUse => "inuse",
        }
    }

    /// The `corpus/` subdirectories that seed this target.
    pub fn seed_dirs(self) -> &'static [&'static str] {
        match self {
            Target::Cab => &["cab", "pkg"],
            Target::FindCabinet => &["pkg", "cab", "pe"],
            Target::Package => &["pkg"],
            Target::Manifest => &["manifest"],
            Target::Inf | Target::UpdateInf => &["inf"],
            Target::Pe => &["pe", "pkg"],
            Target::Hive => &["hive"],
            Target::Journal | Target::JournalReplay => &["journal"],
            Target::Pfro => &["pfro"],
            Target::Record => &["record"],
            Target::InUse => &["inuse"],
        }
    }

    /// Feeds `data` to the parser. Panics only when a parser breaks its
    /// contract (the property checks); errors are expected and ignored.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::Cab => cab(data),
            Target::FindCabinet => find_cabinet(data),
            Target::Package => package(data),
            Target::Manifest => manifest(data),
            Target::Inf => {
                let _ = Inf::parse(data);
            }
            Target::UpdateInf => update_inf(data),
            Target::Pe => {
                let _ = hotfix_pe::read_version(data);
                let _ = hotfix_pe::overlay_offset(data, data.len() as u64);
                // The sparse reader must answer exactly as the whole-file
                // one; padded past the size where it starts reading in part.
                let mut padded = data.to_vec();
                padded.resize(padded.len().max(80 * 1024), 0);
                let sparse = hotfix_pe::read_version_at(&padded[..]).expect("memory reads");
                let whole = hotfix_pe::read_version(&padded);
                assert_eq!(format!("{sparse:?}"), format!("{whole:?}"));
            }
            Target::Hive => hive(data),
            Target::Journal => journal(data),
            Target::Pfro => pfro(data),
            Target::JournalReplay => crate::state::journal_replay(data),
            Target::Record => crate::state::record(data),
            Target::InUse => crate::state::in_use(data),
        }
    }
}

fn cab(data: &[u8]) {
    let Ok(cab) = Cabinet::parse(data.to_vec(), &cab_limits()) else {
        return;
    };
    for (index, entry) in cab.entries().iter().enumerate() {
        assert_eq!(cab.find(&entry.name), Some(index), "{}", entry.name);
        if let Ok(bytes) = cab.read(index) {
            assert_eq!(bytes.len() as u64, entry.size, "{}", entry.name);
        }
    }
}

fn find_cabinet(data: &[u8]) {
    if let Some(at) = hotfix_cab::find_cabinet(data) {
        assert!(data.get(at..).is_some_and(|rest| rest.starts_with(b"MSCF")));
    }
}

fn package(data: &[u8]) {
    let Ok(pkg) = Package::open(data.to_vec(), "fuzz.exe") else {
        return;
    };
    for entry in pkg.payload() {
        let bytes = pkg.read(&entry.path);
        assert!(bytes.is_ok(), "{}: {bytes:?}", entry.path);
    }
}

fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(manifest) = Manifest::parse(text) {
        let again = Manifest::parse(&manifest.to_text());
        assert_eq!(again.ok().as_ref(), Some(&manifest));
    }
}

fn update_inf(data: &[u8]) {
    // `to_text` only promises a round trip for section names that do not
    // clash with the ones it generates, so its output is exercised, not judged.
    if let Ok(inf) = UpdateInf::parse(data) {
        let _ = UpdateInf::parse(inf.to_text().as_bytes());
    }
}

fn hive(data: &[u8]) {
    let parsed = Hive::parse(data);
    let hive = match parsed {
        Ok(hive) => hive,
        Err(_) => match Hive::parse_allow_dirty(data) {
            Ok(hive) => hive,
            Err(_) => return,
        },
    };
    let _ = hive.export_reg("", "HKEY_LOCAL_MACHINE\\FUZZ");
    // A rewrite drops what the writer does not keep (irregular string NULs,
    // class names), so it must read back, not necessarily equal.
    if let Ok(bytes) = hive.to_bytes() {
        let again = Hive::parse(&bytes);
        assert!(again.is_ok(), "{again:?}");
    }
}

/// The bytes of [`fuzz_key`], as a host's key file holds them.
pub(crate) const FUZZ_KEY_BYTES: [u8; hotfix_txn::KEY_LEN] = [0x5a; hotfix_txn::KEY_LEN];

/// The host key the harnesses sign and verify journals with.
pub fn fuzz_key() -> HostKey {
    HostKey::from_bytes(FUZZ_KEY_BYTES)
}

fn journal(data: &[u8]) {
    // As stored, and as a body behind a matching MAC: random bytes never
    // carry a valid MAC, which would leave the JSON and path checks behind
    // it unexplored.
    let key = fuzz_key();
    let wrapped = frame_journal(data);
    for bytes in [data, &wrapped] {
        if let Ok(journal) = Journal::decode(bytes, "fuzz", Some(&key)) {
            let again = Journal::decode(&journal.encode(&key), "fuzz", Some(&key));
            assert_eq!(again.ok().as_ref(), Some(&journal));
        }
    }
}

/// `body` behind the journal's header and a MAC under [`fuzz_key`].
pub(crate) fn frame_journal(body: &[u8]) -> Vec<u8> {
    let mac = fuzz_key().mac(body);
    [
        format!("HOTFIX-JOURNAL 2\nblake3-mac {mac}\n").as_bytes(),
        body,
    ]
    .concat()
}

fn pfro(data: &[u8]) {
    if let Some(strings) = Value::from_raw(REG_MULTI_SZ, data).as_multi_sz() {
        let queue = PendingQueue::parse(strings);
        assert_eq!(PendingQueue::parse(&queue.to_strings()), queue);
    }
}

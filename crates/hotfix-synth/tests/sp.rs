//! Every file of a synthesized service pack carries the version the real
//! release gave it: XP SP1 `5.1.2600.1106` with the Internet Explorer and
//! shell files at `6.0.2800.1106`, SP2 `5.1.2600.2180` with shell32 and
//! mshtml at `6.0.2900.2180`, SP3 `5.1.2600.5512`, Server 2003 SP1 and SP2
//! `5.2.3790.1830` and `.3959`; the release's lab tag in its FileVersion
//! string; newer than the file it replaces; and no OS file of the previous
//! level is left out.

use std::collections::BTreeMap;

use hotfix_dataset::{DEFAULT_DATA, DataSet, base_files, release_tag};
use hotfix_model::{FileVersion, Language, Product, SpLevel};
use hotfix_package::Package;
use hotfix_synth::{SpSpec, synth_sp};

/// The builds a release's OS files may have, and the build of its 6.0.x
/// (Internet Explorer and shell) files.
fn builds(product: Product, sp: u8) -> (&'static [u16], u16) {
    match (product, sp) {
        (Product::WindowsXp, 1) => (&[2600, 2800], 2800),
        (Product::WindowsXp, _) => (&[2600, 2900], 2900),
        (Product::WindowsServer2003, _) => (&[3790], 3790),
    }
}

/// Revision of the release, written out as the real numbering (not taken
/// from the code under test).
fn revision(product: Product, sp: u8) -> u16 {
    match (product, sp) {
        (Product::WindowsXp, 1) => 1106,
        (Product::WindowsXp, 2) => 2180,
        (Product::WindowsXp, 3) => 5512,
        (Product::WindowsServer2003, 1) => 1830,
        (Product::WindowsServer2003, 2) => 3959,
        other => panic!("no such service pack {other:?}"),
    }
}

/// Whether the previous level's file of this version is one the OS build
/// carries (so the service pack must rebuild it).
fn os_built(product: Product, v: FileVersion) -> bool {
    match product {
        // IE6 and the shell: 6.0.2600 at RTM to 6.0.2900 (not MFC's 6.0.8xxx).
        Product::WindowsXp => {
            [2600, 2800, 2900].contains(&v.build)
                || (v.major, v.minor) == (6, 0) && (2600..=2900).contains(&v.build)
        }
        Product::WindowsServer2003 => v.build == 3790,
    }
}

/// The payload path of the SP's file bound for a `%windir%`-relative or
/// `%ProgramFiles%\...` destination, lower case.
fn payload_key(dest: &str) -> String {
    let lower = dest.to_ascii_lowercase();
    match lower.strip_prefix("%programfiles%\\") {
        Some(rest) => format!("i386\\programfiles\\{rest}"),
        None => format!("i386\\{lower}"),
    }
}

fn check(data: &DataSet, product: Product, sp: u8) {
    let spec = SpSpec {
        product,
        sp,
        language: Language::ENU,
        scale: 0.01,
        files: Some(0),
    };
    let built = synth_sp(data, &spec).unwrap();
    let pkg = Package::open(built.bytes, &built.file_name).unwrap();
    let (allowed, ie_build) = builds(product, sp);
    let rev = revision(product, sp);
    let tag = release_tag(product, SpLevel(sp));
    let mut versions = BTreeMap::new();
    for entry in pkg.payload() {
        let bytes = pkg.read(&entry.path).unwrap();
        let Ok(info) = hotfix_pe::read_version(&bytes) else {
            continue;
        };
        let v = info.file_version;
        let what = format!("{} {} {v}", built.file_name, entry.path);
        assert_eq!(v.revision, rev, "{what}: not the release revision");
        assert!(
            allowed.contains(&v.build),
            "{what}: build not of the release"
        );
        if (v.major, v.minor) == (6, 0) {
            assert_eq!(v.build, ie_build, "{what}: IE/shell build");
        }
        if (v.major, v.minor) == (5, 1) {
            assert_eq!(v.build, 2600, "{what}: OS build");
        }
        let string = info.file_version_string().unwrap_or_default();
        assert!(
            string.contains(tag),
            "{what}: FileVersion {string:?} lacks {tag}"
        );
        versions.insert(entry.path.to_ascii_lowercase(), v);
    }
    assert!(
        !versions.is_empty(),
        "{}: no versioned files",
        built.file_name
    );

    let mut carried = 0;
    for b in base_files(data, product, SpLevel(sp - 1)) {
        let Some(old) = b.version.filter(|v| os_built(product, *v)) else {
            continue;
        };
        let key = payload_key(&b.dest);
        let new = versions
            .get(&key)
            .unwrap_or_else(|| panic!("{}: {} ({old}) is not carried", built.file_name, b.dest));
        assert!(
            *new > old,
            "{}: {} {new} is not above {old}",
            built.file_name,
            b.dest
        );
        carried += 1;
    }
    assert!(carried > 0, "{}: no OS file replaced", built.file_name);

    if product == Product::WindowsXp {
        for name in ["shell32.dll", "mshtml.dll"] {
            let v = versions
                .iter()
                .find(|(k, _)| k.ends_with(&format!("\\system32\\{name}")))
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("{}: no {name}", built.file_name));
            assert_eq!(v, FileVersion::new(6, 0, ie_build, rev), "{name}");
        }
    }
}

#[test]
fn every_xp_service_pack_file_has_the_release_version() {
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    for sp in 1..=3 {
        check(&data, Product::WindowsXp, sp);
    }
}

#[test]
fn every_server_2003_service_pack_file_has_the_release_version() {
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    for sp in 1..=2 {
        check(&data, Product::WindowsServer2003, sp);
    }
}

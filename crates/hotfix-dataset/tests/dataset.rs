//! The shipped data set: it parses whole, and its rows map to folders,
//! destinations and payload paths that the rest of the stack can use.

use std::collections::{HashMap, HashSet};

use hotfix_dataset::{DEFAULT_DATA, DataSet, base_files, base_rows, release_revision, release_tag};
use hotfix_model::{
    Branch, BranchKind, DualSide, FileVersion, KbId, Language, PayloadFolder, Product, SpLevel,
};

fn data() -> DataSet {
    DataSet::parse(DEFAULT_DATA).expect("shipped data parses")
}

fn kb(s: &str) -> KbId {
    s.parse().unwrap()
}

const PRODUCTS: [Product; 2] = [Product::WindowsXp, Product::WindowsServer2003];

#[test]
fn all_entries_and_rows_parse_with_the_documented_counts() {
    let d = data();
    assert_eq!(d.updates.len(), 322);
    let rows = |p| -> usize { d.for_product(p).map(|u| u.files.len()).sum() };
    assert_eq!(d.for_product(Product::WindowsXp).count(), 163);
    assert_eq!(d.for_product(Product::WindowsServer2003).count(), 159);
    assert_eq!(rows(Product::WindowsXp), 1901);
    assert_eq!(rows(Product::WindowsServer2003), 1947);
}

#[test]
fn every_row_has_a_folder_and_a_sane_destination() {
    for u in &data().updates {
        for f in &u.files {
            let d = &f.dest;
            assert!(!d.is_empty() && !d.contains('/'), "{} {d}", u.kb);
            assert!(
                !d.split('\\').any(|p| p.is_empty() || p == ".."),
                "{} {d}",
                u.kb
            );
            assert!(
                d.to_ascii_lowercase()
                    .ends_with(&f.name.to_ascii_lowercase()),
                "{} {d}",
                u.kb
            );
            match f.folder {
                PayloadFolder::Branch(b) => assert_eq!(f.sp, Some(b.sp), "{}", u.kb),
                PayloadFolder::Dual(s) => assert_eq!(f.sp, Some(s.target_sp()), "{}", u.kb),
                PayloadFolder::Neutral => assert!(f.subfolder.is_none(), "{}", u.kb),
            }
        }
    }
}

#[test]
fn package_paths_are_unique_within_each_update() {
    for u in &data().updates {
        let mut seen = HashSet::new();
        for f in &u.files {
            let p = f.package_path().to_ascii_lowercase();
            assert!(seen.insert(p.clone()), "{} {:?}: {p}", u.kb, u.product);
        }
    }
}

#[test]
fn kb925902_has_win32k_gdi32_user32_in_every_branch() {
    let d = data();
    let srv = d
        .find_for(&kb("KB925902"), Product::WindowsServer2003)
        .unwrap();
    let folders: HashSet<String> = srv
        .files
        .iter()
        .map(|f| f.folder.folder().unwrap())
        .collect();
    for sp in 0..=2u8 {
        for kind in [BranchKind::Gdr, BranchKind::Qfe] {
            let b = Branch {
                sp: SpLevel(sp),
                kind,
            };
            assert!(folders.contains(&b.folder()), "{b}");
            for name in ["gdi32.dll", "user32.dll", "win32k.sys"] {
                assert!(
                    srv.files
                        .iter()
                        .any(|f| f.folder == PayloadFolder::Branch(b) && f.name == name),
                    "{b} {name}"
                );
            }
        }
    }
    assert_eq!(srv.sp_range(), (SpLevel(0), SpLevel(2)));
    // The XP package only had SP2 folders (XP SP1 support had ended).
    let xp = d.find_for(&kb("KB925902"), Product::WindowsXp).unwrap();
    assert_eq!(xp.sp_range(), (SpLevel(2), SpLevel(2)));
    assert!(xp.applies_to(SpLevel(2)) && !xp.applies_to(SpLevel(1)));
    let win32k = xp
        .files
        .iter()
        .find(|f| f.name == "win32k.sys" && f.package_path() == "SP2QFE\\win32k.sys")
        .unwrap();
    assert_eq!(win32k.dest, "system32\\win32k.sys");
    assert_eq!(win32k.version, Some(FileVersion::new(5, 1, 2600, 3099)));
    assert_eq!(win32k.size, 1_843_968);
    assert_eq!(
        xp.package_file_name(Language::ENU),
        "WindowsXP-KB925902-x86-ENU.exe"
    );
    assert_eq!(
        srv.package_file_name(Language::JPN),
        "WindowsServer2003-KB925902-x86-JPN.exe"
    );
}

#[test]
fn dual_mode_packages_are_detected() {
    let d = data();
    let dual: Vec<&KbId> = d
        .updates
        .iter()
        .filter(|u| u.is_dual_mode())
        .map(|u| &u.kb)
        .collect();
    for k in ["KB835732", "KB839645", "KB833987", "KB828035"] {
        assert!(dual.contains(&&kb(k)), "{k}");
    }
    assert!(
        d.updates
            .iter()
            .filter(|u| u.is_dual_mode())
            .all(|u| u.product == Product::WindowsXp && u.sp_range() == (SpLevel(0), SpLevel(1)))
    );
    // "(pre-sp1)" / "(with sp1)" notes.
    let u = d.find_for(&kb("KB835732"), Product::WindowsXp).unwrap();
    let gdi: Vec<_> = u.files.iter().filter(|f| f.name == "Gdi32.dll").collect();
    assert_eq!(gdi.len(), 2);
    assert_eq!(gdi[0].package_path(), "SP1\\Gdi32.dll");
    assert!(gdi[0].applies_to(SpLevel(0)) && !gdi[0].applies_to(SpLevel(1)));
    assert_eq!(gdi[1].folder, PayloadFolder::Dual(DualSide::Sp2));
    assert!(gdi[1].applies_to(SpLevel(1)));
    // "SP2 \Asms\..." keeps its subfolder.
    let u = d.find_for(&kb("KB839645"), Product::WindowsXp).unwrap();
    let comctl = u.files.iter().find(|f| f.name == "Comctl32.dll").unwrap();
    assert_eq!(
        comctl.package_path(),
        "SP2\\Asms\\60\\Msft\\Windows\\Common\\Controls\\Comctl32.dll"
    );
    assert!(comctl.dest.starts_with("WinSxS\\"));
}

#[test]
fn ie7_rows_sit_at_the_package_root() {
    let d = data();
    let u = d.find_for(&kb("KB933566"), Product::WindowsXp).unwrap();
    assert!(!u.is_dual_mode());
    let iexplore = u.files.iter().find(|f| f.name == "Iexplore.exe").unwrap();
    assert_eq!(iexplore.folder, PayloadFolder::Neutral);
    assert_eq!(iexplore.package_path(), "Iexplore.exe");
    assert_eq!(
        iexplore.dest,
        "%ProgramFiles%\\Internet Explorer\\iexplore.exe"
    );
    assert_eq!(iexplore.version.unwrap().major, 7);
    // The GDR and QFE builds of IE7 files share a name at the root.
    let advpack: Vec<_> = u.files.iter().filter(|f| f.name == "Advpack.dll").collect();
    assert_eq!(advpack.len(), 2);
    assert_eq!(advpack[1].package_path(), "alt1\\Advpack.dll");
    // Branch rows of the same package are still in their folders.
    assert!(
        u.files
            .iter()
            .any(|f| matches!(f.folder, PayloadFolder::Branch(_)))
    );
}

#[test]
fn package_file_names_keep_re_release_suffixes() {
    let d = data();
    let name = |k: &str, p| {
        d.find_for(&kb(k), p)
            .unwrap()
            .package_file_name(Language::ENU)
    };
    assert_eq!(
        name("KB904706", Product::WindowsXp),
        "WindowsXP-KB904706-v2-x86-ENU.exe"
    );
    assert_eq!(
        name("KB918899", Product::WindowsServer2003),
        "WindowsServer2003-KB918899-v3-x86-ENU.exe"
    );
    // Package names listed in lower case come out in canonical casing.
    assert_eq!(
        name("KB823182", Product::WindowsXp),
        "WindowsXP-KB823182-x86-ENU.exe"
    );
    // No package name at all: the canonical name is still derived.
    assert_eq!(
        name("KB824145", Product::WindowsXp),
        "WindowsXP-KB824145-x86-ENU.exe"
    );
}

#[test]
fn find_returns_the_first_listed_product() {
    let d = data();
    let first = d.find(&kb("KB823182")).unwrap();
    assert_eq!(first.product, Product::WindowsServer2003);
    assert!(d.find(&kb("KB1")).is_none());
}

/// For every product and level: one base file per destination, each one
/// strictly older than every row that installs there at that level.
#[test]
fn base_files_are_older_than_every_update_row() {
    let d = data();
    for product in PRODUCTS {
        for sp in 0..=product.max_sp().0 {
            let sp = SpLevel(sp);
            let base = base_files(&d, product, sp);
            let by_dest: HashMap<String, &_> = base
                .iter()
                .map(|b| (b.dest.to_ascii_lowercase(), b))
                .collect();
            assert_eq!(by_dest.len(), base.len(), "{product} {sp}: duplicate dest");
            let mut dests = HashSet::new();
            let base_rows = d.for_product(product).flat_map(base_rows);
            for f in base_rows.filter(|f| f.applies_to(sp)) {
                let b = by_dest[&f.dest.to_ascii_lowercase()];
                dests.insert(f.dest.to_ascii_lowercase());
                if let (Some(bv), Some(fv)) = (b.version, f.version) {
                    assert!(bv < fv, "{product} {sp} {}: {bv} !< {fv}", f.dest);
                }
            }
            assert_eq!(dests.len(), base.len(), "{product} {sp}");
            for b in &base {
                match b.version {
                    Some(v) => assert_eq!(
                        b.file_version_string,
                        format!("{v} ({})", release_tag(product, sp))
                    ),
                    None => assert!(b.file_version_string.is_empty()),
                }
            }
        }
    }
}

#[test]
fn base_files_use_the_service_pack_release_build() {
    let d = data();
    let xp2 = base_files(&d, Product::WindowsXp, SpLevel(2));
    let win32k = xp2
        .iter()
        .find(|b| b.dest == "system32\\win32k.sys")
        .unwrap();
    assert_eq!(win32k.version, Some(FileVersion::new(5, 1, 2600, 2180)));
    assert_eq!(
        win32k.file_version_string,
        "5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)"
    );
    assert_eq!(release_revision(Product::WindowsXp, SpLevel(2)), 2180);
    let sdb = base_files(&d, Product::WindowsXp, SpLevel(3))
        .into_iter()
        .find(|b| b.dest == "AppPatch\\sysmain.sdb")
        .unwrap();
    assert_eq!(sdb.version, None);
}

/// The shipped copy must stay byte-identical to the project's shared data,
/// when that is checked out next to the repository.
#[test]
fn shipped_copy_matches_shared_data() {
    #![allow(clippy::disallowed_methods)]
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/xp-hotfix-files.json"
    );
    match std::fs::read_to_string(shared) {
        Ok(text) => assert!(
            text == DEFAULT_DATA,
            "data/xp-hotfix-files.json differs from {shared}"
        ),
        Err(_) => println!("skipped: {shared} not present"),
    }
}

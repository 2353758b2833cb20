//! The files an unpatched image carries, so every update has something older
//! to replace.
//!
//! For each destination that some row of a product installs at a level,
//! the base file has a version strictly lower than every such row:
//!
//! * same major.minor.build as the lowest row version;
//! * revision = the service pack's release revision ([`release_revision`])
//!   when that is lower than the lowest row's revision (`5.1.2600.2180` under
//!   a `5.1.2600.3099` hotfix), else the lowest revision minus one; a
//!   revision of 0 borrows from the build (`8.50.2162.0` → `8.50.2161.65535`),
//!   and so on up to the major part.
//!
//! Rows of other version families (Internet Explorer 7 `7.0.x`, Windows
//! Media Player 10/11, .NET, MDAC) follow the same rule, which yields "an
//! older build of that component" (`7.0.6000.16472` → `7.0.6000.16471`).
//! The FileVersion string still carries the OS release tag: the tag of the
//! image the file came with, not the component's own lab.
//!
//! Rows without a version (`.sdb`, `.man`, `.sql`) give a base file without
//! one and an empty version string: the image holds a plain data file.

use std::collections::BTreeMap;

use hotfix_model::{FileVersion, PayloadFolder, Product, SpLevel};

use crate::{DataSet, FileRow};

/// A file of an unpatched image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseFile {
    /// Destination, as in [`FileRow::dest`].
    pub dest: String,
    /// File name, as the lowest-version row spells it.
    pub name: String,
    /// Version; `None` for a plain data file.
    pub version: Option<FileVersion>,
    /// Size in bytes: the lowest-version row's size, a realistic size.
    pub size: u64,
    /// The FileVersion string (`5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)`);
    /// empty when there is no version.
    pub file_version_string: String,
}

/// The build-lab tag of a product's release build at a service-pack level
/// (`xpsp_sp2_rtm.040803-2158`). Levels beyond the last service pack get
/// the last one's tag.
pub fn release_tag(product: Product, sp: SpLevel) -> &'static str {
    match (product, sp.0) {
        (Product::WindowsXp, 0) => "xpclient.010817-1148",
        (Product::WindowsXp, 1) => "xpsp1.020828-1920",
        (Product::WindowsXp, 2) => "xpsp_sp2_rtm.040803-2158",
        (Product::WindowsXp, _) => "xpsp.080413-2111",
        (Product::WindowsServer2003, 0) => "srv03_rtm.030324-2048",
        (Product::WindowsServer2003, 1) => "srv03_sp1_rtm.050324-1447",
        (Product::WindowsServer2003, _) => "srv03_sp2_rtm.070216-1710",
    }
}

/// The revision (fourth version part) of a product's release build at a
/// service-pack level: XP 0, 1106, 2180, 5512; Server 2003 0, 1830, 3959.
/// Levels beyond the last service pack get the last one's revision.
pub fn release_revision(product: Product, sp: SpLevel) -> u16 {
    match (product, sp.0) {
        (Product::WindowsXp, 0) => 0,
        (Product::WindowsXp, 1) => 1106,
        (Product::WindowsXp, 2) => 2180,
        (Product::WindowsXp, _) => 5512,
        (Product::WindowsServer2003, 0) => 0,
        (Product::WindowsServer2003, 1) => 1830,
        (Product::WindowsServer2003, _) => 3959,
    }
}

/// The files an unpatched `product` image at `sp` has: one per destination
/// (case-insensitive) among the rows of that product's updates that apply at
/// `sp`, sorted by destination. See the module notes for the versions.
pub fn base_files(data: &DataSet, product: Product, sp: SpLevel) -> Vec<BaseFile> {
    let mut by_dest: BTreeMap<String, Vec<&FileRow>> = BTreeMap::new();
    for row in data
        .for_product(product)
        .flat_map(base_rows)
        .filter(|r| r.applies_to(sp))
    {
        by_dest
            .entry(row.dest.to_ascii_lowercase())
            .or_default()
            .push(row);
    }
    by_dest
        .into_values()
        .filter_map(|rows| base_for(&rows, product, sp))
        .collect()
}

/// The rows of `u` an unpatched system has a build of. An update that
/// carries both branch (or dual-mode) folders and files at the package root
/// is an OS fix bundled with an optional component's fix (IE7 beside IE6 in
/// an Internet Explorer cumulative update); the component is not part of
/// the base system, so its root files are left out.
pub fn base_rows(u: &crate::Update) -> impl Iterator<Item = &FileRow> {
    let mixed = u.files.iter().any(|r| r.folder != PayloadFolder::Neutral)
        && u.files.iter().any(|r| r.folder == PayloadFolder::Neutral);
    u.files
        .iter()
        .filter(move |r| !(mixed && r.folder == PayloadFolder::Neutral))
}

/// The base file under a group of rows with one destination.
fn base_for(rows: &[&FileRow], product: Product, sp: SpLevel) -> Option<BaseFile> {
    let lowest = rows
        .iter()
        .filter(|r| r.version.is_some())
        .min_by_key(|r| r.version)
        .or_else(|| rows.first())?;
    let version = lowest
        .version
        .map(|v| version_below(v, release_revision(product, sp)));
    let file_version_string = version.map_or_else(String::new, |v| {
        format!("{v} ({})", release_tag(product, sp))
    });
    Some(BaseFile {
        dest: lowest.dest.clone(),
        name: lowest.name.clone(),
        version,
        size: lowest.size,
        file_version_string,
    })
}

/// A version strictly below `lowest` (see the module notes); `0.0.0.0` has
/// none and is returned unchanged.
fn version_below(lowest: FileVersion, release: u16) -> FileVersion {
    if release < lowest.revision {
        return FileVersion {
            revision: release,
            ..lowest
        };
    }
    let mut parts = [lowest.major, lowest.minor, lowest.build, lowest.revision];
    // Subtract one from the four-digit number base 65536.
    if let Some(at) = parts.iter().rposition(|&p| p > 0) {
        parts[at] -= 1;
        for p in &mut parts[at + 1..] {
            *p = u16::MAX;
        }
    }
    FileVersion::new(parts[0], parts[1], parts[2], parts[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_below_borrow() {
        let v = |s: &str| s.parse::<FileVersion>().unwrap();
        assert_eq!(version_below(v("5.1.2600.3099"), 2180), v("5.1.2600.2180"));
        assert_eq!(version_below(v("5.1.2600.1243"), 2180), v("5.1.2600.1242"));
        assert_eq!(version_below(v("5.1.2600.2180"), 2180), v("5.1.2600.2179"));
        assert_eq!(version_below(v("8.50.2162.0"), 0), v("8.50.2161.65535"));
        assert_eq!(version_below(v("1.0.0.0"), 0), v("0.65535.65535.65535"));
        assert_eq!(version_below(v("0.0.0.0"), 0), v("0.0.0.0"));
    }

    #[test]
    fn release_tags_and_revisions() {
        assert_eq!(
            release_tag(Product::WindowsXp, SpLevel(2)),
            "xpsp_sp2_rtm.040803-2158"
        );
        assert_eq!(
            release_revision(Product::WindowsServer2003, SpLevel(1)),
            1830
        );
        assert_eq!(release_revision(Product::WindowsXp, SpLevel(3)), 5512);
    }
}

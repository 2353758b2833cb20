//! Build-lab tags for synthesized files, the way Microsoft's FileVersion
//! strings carry them: `6.0.2900.3051 (xpsp_sp2_gdr.070208-1242)`.

use hotfix_model::{BranchKind, DualSide, FileVersion, PayloadFolder, Product, SpLevel};

/// The lab part of the tag for a file built for `folder`.
///
/// Branch folders use the product's service-pack lab plus `_gdr`/`_qfe`
/// (`xpsp_sp2_qfe`, `srv03_sp1_gdr`, `srv03_gdr`); XP RTM hotfixes came
/// from `xpclnt_qfe`/`xpclnt_gdr`. Dual-mode sides are hotfix builds for
/// RTM (`xpsp1_qfe`, the line that became SP1) and for SP1 (`xpsp2_qfe`).
/// Package-root files of an OS build get the OS lab at `sp`; other
/// components (IE7, Media Player, .NET) get a family lab by major version.
pub(crate) fn lab(
    product: Product,
    folder: PayloadFolder,
    version: FileVersion,
    sp: SpLevel,
) -> String {
    let kind = |k: BranchKind| match k {
        BranchKind::Gdr => "gdr",
        BranchKind::Qfe => "qfe",
    };
    let os_lab = |sp: SpLevel| match (product, sp.0) {
        (Product::WindowsXp, 0) => "xpclnt",
        _ => product.lab(sp),
    };
    match folder {
        PayloadFolder::Branch(b) => format!("{}_{}", os_lab(b.sp), kind(b.kind)),
        PayloadFolder::Dual(DualSide::Sp1) => "xpsp1_qfe".into(),
        PayloadFolder::Dual(DualSide::Sp2) => "xpsp2_qfe".into(),
        PayloadFolder::Neutral if version.build == product.build() => {
            format!("{}_gdr", os_lab(sp))
        }
        PayloadFolder::Neutral => format!("comp{}_gdr", version.major),
    }
}

/// The build stamp `yymmdd-hhmm` from an ISO date and `HH:MM` time.
pub(crate) fn stamp(date: Option<&str>, time: Option<&str>) -> Option<String> {
    let date = date?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 || !digits(y) || !digits(m) || !digits(d) {
        return None;
    }
    let hhmm = match time.and_then(|t| t.split_once(':')) {
        Some((h, mi)) if h.len() == 2 && mi.len() == 2 && digits(h) && digits(mi) => {
            format!("{h}{mi}")
        }
        _ => "0000".into(),
    };
    Some(format!("{}{m}{d}-{hhmm}", &y[2..]))
}

/// The FileVersion string: `<version> (<lab>.<stamp>)`.
pub(crate) fn version_string(version: FileVersion, lab: &str, stamp: Option<&str>) -> String {
    match stamp {
        Some(s) => format!("{version} ({lab}.{s})"),
        None => format!("{version} ({lab})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotfix_model::{Branch, BuildTag, TagRank};

    fn branch(s: &str) -> PayloadFolder {
        PayloadFolder::Branch(s.parse::<Branch>().unwrap())
    }

    #[test]
    fn labs_parse_and_rank() {
        let v = FileVersion::new(6, 0, 2900, 3051);
        let xp = Product::WindowsXp;
        let srv = Product::WindowsServer2003;
        let cases = [
            (xp, branch("SP2GDR"), "xpsp_sp2_gdr", TagRank::Gdr),
            (xp, branch("SP2QFE"), "xpsp_sp2_qfe", TagRank::Qfe),
            (xp, branch("SP3QFE"), "xpsp_sp3_qfe", TagRank::Qfe),
            (xp, branch("SP1GDR"), "xpsp1_gdr", TagRank::Gdr),
            (xp, branch("RTMQFE"), "xpclnt_qfe", TagRank::Qfe),
            (xp, branch("RTMGDR"), "xpclnt_gdr", TagRank::Gdr),
            (srv, branch("RTMGDR"), "srv03_gdr", TagRank::Gdr),
            (srv, branch("SP1QFE"), "srv03_sp1_qfe", TagRank::Qfe),
            (srv, branch("SP2GDR"), "srv03_sp2_gdr", TagRank::Gdr),
            (
                xp,
                PayloadFolder::Dual(DualSide::Sp1),
                "xpsp1_qfe",
                TagRank::Qfe,
            ),
            (
                xp,
                PayloadFolder::Dual(DualSide::Sp2),
                "xpsp2_qfe",
                TagRank::Qfe,
            ),
            (xp, PayloadFolder::Neutral, "comp6_gdr", TagRank::Gdr),
        ];
        for (product, folder, want, rank) in cases {
            let lab = lab(product, folder, v, SpLevel(2));
            assert_eq!(lab, want);
            let s = version_string(v, &lab, Some("070308-0222"));
            let tag = BuildTag::parse(&s).unwrap();
            assert_eq!((tag.lab.as_str(), tag.rank()), (want, rank), "{s}");
            assert_eq!(s.parse::<FileVersion>().unwrap(), v);
        }
        let os = FileVersion::new(5, 1, 2600, 3000);
        assert_eq!(
            lab(xp, PayloadFolder::Neutral, os, SpLevel(2)),
            "xpsp_sp2_gdr"
        );
    }

    #[test]
    fn stamps() {
        assert_eq!(
            stamp(Some("2007-03-08"), Some("02:22")).as_deref(),
            Some("070308-0222")
        );
        assert_eq!(
            stamp(Some("2007-03-08"), None).as_deref(),
            Some("070308-0000")
        );
        assert_eq!(stamp(Some("08-Mar-2007"), None), None);
        assert_eq!(stamp(None, Some("02:22")), None);
    }
}

//! One update package: a KB for one product, and its file rows.

use hotfix_model::{KbId, Language, PayloadFolder, Product, SpLevel};

use crate::FileRow;

/// One update (a KB for one product) and the files its package carries.
#[derive(Debug, Clone)]
pub struct Update {
    /// The Knowledge Base article, `KB925902`.
    pub kb: KbId,
    /// The security bulletin, `MS07-017`.
    pub bulletin: Option<String>,
    /// The title (the data set gives the bulletin id).
    pub title: String,
    /// The product the package is for.
    pub product: Product,
    /// The x86 package names the bulletin gives, without `.exe`, as written.
    pub package_names: Vec<String>,
    /// Captions of the bulletin tables the rows came from (source language).
    pub table_captions: Vec<String>,
    /// The file rows, in table order.
    pub files: Vec<FileRow>,
}

impl Update {
    /// The package file name in Microsoft's casing
    /// (`WindowsXP-KB925902-x86-ENU.exe`), keeping a re-release suffix
    /// (`-v2`) that the bulletin's package name for this product carries.
    pub fn package_file_name(&self, lang: Language) -> String {
        let prefix = self.product.package_prefix();
        let kb = self.kb.to_string();
        let head = format!("{prefix}-{kb}-").to_ascii_lowercase();
        let suffix = self
            .package_names
            .iter()
            .find_map(|p| {
                let p = p.to_ascii_lowercase();
                let rest = p.strip_prefix(&head)?;
                let digits = rest.split_once('-')?.0.strip_prefix('v')?;
                (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| format!("-v{digits}"))
            })
            .unwrap_or_default();
        format!("{prefix}-{kb}{suffix}-x86-{}.exe", lang.code())
    }

    /// The lowest and highest service-pack level the package installs on:
    /// from its branch folders; dual-mode packages RTM..SP1; packages with
    /// only root files from the rows' SP requirements, else every level of
    /// the product.
    pub fn sp_range(&self) -> (SpLevel, SpLevel) {
        // Root rows only count when there is no branch or dual folder.
        let levels = |skip_root: bool| {
            self.files.iter().filter_map(move |f| match f.folder {
                PayloadFolder::Neutral if skip_root => None,
                _ => f.sp,
            })
        };
        let (lo, hi) = min_max(levels(true))
            .or_else(|| min_max(levels(false)))
            .unwrap_or((SpLevel::RTM, self.product.max_sp()));
        if self.is_dual_mode() {
            (lo.min(SpLevel::RTM), hi.max(SpLevel(1)))
        } else {
            (lo, hi)
        }
    }

    /// Whether the package uses the 2004 dual-mode layout (`SP1\`, `SP2\`).
    pub fn is_dual_mode(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.folder, PayloadFolder::Dual(_)))
    }

    /// Whether the package installs on a system at `sp`: inside
    /// [`Update::sp_range`] and with at least one row for that level.
    pub fn applies_to(&self, sp: SpLevel) -> bool {
        let (lo, hi) = self.sp_range();
        lo <= sp && sp <= hi && self.files.iter().any(|f| f.applies_to(sp))
    }
}

fn min_max(it: impl Iterator<Item = SpLevel>) -> Option<(SpLevel, SpLevel)> {
    it.fold(None, |acc, sp| match acc {
        None => Some((sp, sp)),
        Some((lo, hi)) => Some((lo.min(sp), hi.max(sp))),
    })
}

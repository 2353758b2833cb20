//! The real file tables of Windows XP and Server 2003 updates, normalised.
//!
//! The data is the file-information tables of Microsoft's security bulletins
//! (`data/xp-hotfix-files.json`, built in as [`DEFAULT_DATA`]). [`DataSet::parse`]
//! turns it into [`Update`]s whose [`FileRow`]s know where the package keeps
//! each file ([`FileRow::package_path`]) and where it lands on the system
//! ([`FileRow::dest`], chosen by the table in `dest.rs`). [`base_files`] says
//! which older builds an unpatched image at a service-pack level carries, so a
//! test image can be built that every update in the set really replaces.
//!
//! Start with [`DataSet::parse`]; `raw.rs` holds the JSON shape and the
//! clean-up of its irregular `folder` column.
#![deny(missing_docs)]

mod base;
mod dest;
mod raw;
mod row;
mod update;

pub use base::{BaseFile, base_files, base_rows, release_revision, release_tag};
pub use row::FileRow;
pub use update::Update;

use hotfix_model::{KbId, Product};

/// The data set as shipped with the crate: byte-identical to the project's
/// `shared/data/xp-hotfix-files.json`.
pub const DEFAULT_DATA: &str = include_str!("../data/xp-hotfix-files.json");

/// Size recorded for a row whose table gives none (the data set always has
/// one; a hand-written file might not).
pub const DEFAULT_SIZE: u64 = 65536;

/// Why the data set did not load.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Not JSON of the expected shape (serde names line and column).
    #[error("data set JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An entry-level field is wrong.
    #[error("update #{index} ({kb}): {message}")]
    Entry {
        /// Position of the entry in `updates`.
        index: usize,
        /// The entry's `kb` as written.
        kb: String,
        /// What is wrong.
        message: String,
    },
    /// A file row is wrong.
    #[error("update #{index} ({kb}), file row {row}: {message}")]
    Row {
        /// Position of the entry in `updates`.
        index: usize,
        /// The entry's `kb` as written.
        kb: String,
        /// Position of the row in the entry's `files`.
        row: usize,
        /// What is wrong.
        message: String,
    },
}

/// Every update of the data set, in file order.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// One entry per (KB, product).
    pub updates: Vec<Update>,
}

impl DataSet {
    /// Parses the data-set JSON. Errors name the entry (index and KB) and the
    /// file row they are about.
    pub fn parse(json: &str) -> Result<DataSet, DataError> {
        let file: raw::RawFile = serde_json::from_str(json)?;
        let updates = file
            .updates
            .into_iter()
            .enumerate()
            .map(|(index, entry)| raw::convert_update(index, entry))
            .collect::<Result<_, _>>()?;
        Ok(DataSet { updates })
    }

    /// The first update with this KB id. The same KB appears once per product
    /// (XP and Server 2003 packages are different files); this returns the one
    /// listed first. Use [`DataSet::find_for`] to pick the product.
    pub fn find(&self, kb: &KbId) -> Option<&Update> {
        self.updates.iter().find(|u| &u.kb == kb)
    }

    /// The update with this KB id for one product (the data set has at most one).
    pub fn find_for(&self, kb: &KbId, product: Product) -> Option<&Update> {
        self.updates
            .iter()
            .find(|u| &u.kb == kb && u.product == product)
    }

    /// The updates for one product, in file order.
    pub fn for_product(&self, p: Product) -> impl Iterator<Item = &Update> {
        self.updates.iter().filter(move |u| u.product == p)
    }
}

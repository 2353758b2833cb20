//! Reading the seed corpus from `corpus/<kind>/`.

use std::path::{Path, PathBuf};

/// The `corpus/` directory of this crate.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

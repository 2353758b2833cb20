//! Copies of image trees for tests that run the binary on a fresh copy.
#![allow(dead_code, clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::Path;

/// Copies the files and directories under `from` to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

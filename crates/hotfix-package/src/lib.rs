//! Update packages as Microsoft shipped them, rebuilt honestly.
//!
//! A package is a plain cabinet or a self-extracting EXE (a PE stub whose
//! version resource names the installer, then the cabinet). Inside are
//! `update\update.inf`, `update\update.ver` (our [`Manifest`]: every other
//! file with size and digest) and the payload in branch folders
//! (`SP2GDR\`, `SP2QFE\ASMS\...`), dual-mode folders (`SP1\`, `SP2\`) or at
//! the root.
//!
//! Start with [`Manifest`], then [`Package::open`], which refuses any package
//! whose contents do not match its manifest. [`pack_dir`] and [`extract`]
//! move packages to and from directory trees; [`assemble`] lays out a built
//! one. Realistic packages for tests are synthesized by `hotfix-synth`.
#![deny(missing_docs)]

mod check;
mod digest;
mod error;
mod manifest;
mod pack;
mod package;

pub use check::PackagedFile;
pub use digest::DigestKind;
pub use error::PackageError;
pub use manifest::{Manifest, ManifestEntry, path_key};
pub use pack::{Identity, assemble, build_cabinet, extract, pack_dir};
pub use package::{INF_PATH, Package, VER_PATH};

//! A Windows system drive image: paths, identity, in-use files, generator (being written).
#![deny(missing_docs)]

//! Update packages: manifest, pack, extract, verify, synthesize from the data set (being written).
#![deny(missing_docs)]

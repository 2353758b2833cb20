//! Read and write PE version resources (VS_FIXEDFILEINFO and StringFileInfo) (being written).
#![deny(missing_docs)]

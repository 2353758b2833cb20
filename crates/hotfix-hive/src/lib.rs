//! Read and write Windows NT registry hive files (regf) (being written).
#![deny(missing_docs)]

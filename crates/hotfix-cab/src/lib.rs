//! Read and write Microsoft cabinet files and find them inside self-extracting executables (being written).
#![deny(missing_docs)]

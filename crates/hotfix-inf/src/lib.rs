//! Parse and write the SetupAPI INF dialect of update.inf (being written).
#![deny(missing_docs)]

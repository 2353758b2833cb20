//! The installer: install, chain, restart, uninstall, verify (being written).
#![deny(missing_docs)]

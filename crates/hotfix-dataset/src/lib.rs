//! The real file tables of XP and Server 2003 updates, normalised (being written).
#![deny(missing_docs)]

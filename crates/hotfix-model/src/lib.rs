//! The words of XP / Server 2003 servicing, as types.
//!
//! Nothing here touches files or formats: [`Product`] and [`SpLevel`] say
//! what a system is, [`Branch`] and [`PayloadFolder`] say where a package
//! keeps each build of a file, [`BuildTag`] reads the build-lab tag in a
//! FileVersion string (`5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)`) to tell
//! service-pack, GDR and QFE builds apart, [`KbId`] and [`Language`] name
//! packages. Start with [`Product`].
#![deny(missing_docs)]

mod branch;
mod kb;
mod lang;
mod name;
mod product;
mod version;

pub use branch::{Branch, BranchKind, BuildTag, DualSide, PayloadFolder, TagRank};
pub use kb::KbId;
pub use lang::Language;
pub use name::{DOS_DEVICE_NAMES, NameProblem, Quoted, check_component, device_stem};
pub use product::{Product, SpLevel};
pub use version::FileVersion;

/// A value that did not parse, with what it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {value:?}")]
pub struct ParseError {
    /// What kind of value was expected.
    pub what: &'static str,
    /// The text that was given.
    pub value: String,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, value: &str) -> Self {
        Self {
            what,
            value: value.to_owned(),
        }
    }
}

//! A Windows XP / Server 2003 system drive, seen from Linux.
//!
//! An image is a host directory holding `WINDOWS`, `Program Files` and
//! `Documents and Settings`. [`Image::open`] finds the Windows directory;
//! [`Image::resolve`] turns every Windows spelling of a path (`C:\...`,
//! `\??\C:\...`, `%windir%\...`, `%ProgramFiles%\...`) into an image path
//! matched case-insensitively against the disk, refusing anything that could
//! leave the image. [`in_use`] and [`lock_files`] keep the list of files the
//! running system holds open. [`Image::identity`] reads what system it is
//! from the hives. Synthetic images for tests are built by `hotfix-synth`.
//!
//! Start reading at [`Image`], then `winpath.rs` for the accepted and refused
//! spellings.
#![deny(missing_docs)]

mod error;
mod identity;
mod image;
mod inuse;
mod profiles;
mod winpath;

pub use error::ImageError;
pub use identity::{
    Identity, NT_CURRENT_VERSION, SESSION_MANAGER, STOCK_KNOWN_DLLS, TIME_ZONE_INFORMATION,
    current_control_set,
};
pub use image::{Image, Resolver, STATE_DIR_NAME};
pub use inuse::{IN_USE_LIST, in_use, lock_files, unlock_files};
pub use profiles::{DEFAULT_PROFILES_DIRECTORY, DEFAULT_USER_PROFILE, PROFILE_LIST, UserHives};
pub use winpath::{check_component, fold};

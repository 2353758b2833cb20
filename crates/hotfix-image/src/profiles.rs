//! Where an image keeps the user hives offline servicing writes to.
//!
//! An update's `HKCU` lines go to whoever runs Update.exe; an offline image
//! has no such user, so they go to the Default User profile's NTUSER.DAT,
//! the hive every account created afterwards starts from, and
//! `HKU\.DEFAULT` lines go to `config\DEFAULT`. The profile folder is read
//! from SOFTWARE's ProfileList as Windows reads it (it is localised, and
//! moved by unattended setups), with XP's defaults where a value is missing.

use hotfix_fs::Fs;
use hotfix_hive::Hive;
use hotfix_txn::RelPath;

use crate::Image;

/// The key holding `ProfilesDirectory` and `DefaultUserProfile` in SOFTWARE.
pub const PROFILE_LIST: &str = r"Microsoft\Windows NT\CurrentVersion\ProfileList";
/// `ProfilesDirectory` as a stock install writes it.
pub const DEFAULT_PROFILES_DIRECTORY: &str = r"%SystemDrive%\Documents and Settings";
/// `DefaultUserProfile` as a stock install writes it.
pub const DEFAULT_USER_PROFILE: &str = "Default User";

/// The user hives of an image: each one's path, or why it cannot be used.
#[derive(Debug, Clone)]
pub struct UserHives {
    /// `%windir%\system32\config\DEFAULT`, for `HKU\.DEFAULT`.
    pub default: Result<RelPath, String>,
    /// The Default User profile's NTUSER.DAT, for `HKCU`.
    pub default_user: Result<RelPath, String>,
}

impl Image {
    /// Finds the user hives, given the image's SOFTWARE hive.
    pub fn user_hives(&self, fs: &dyn Fs, software: &Hive) -> UserHives {
        let mut resolver = self.resolver(fs);
        let mut find = |win: String| -> Result<RelPath, String> {
            let rel = resolver.resolve(&win).map_err(|e| e.to_string())?;
            if fs.metadata(&self.host(&rel)).is_ok_and(|m| m.is_file()) {
                Ok(rel)
            } else {
                Err(format!("{} does not exist", self.win_path(&rel)))
            }
        };
        let text = |name: &str, fallback: &str| {
            software
                .get(PROFILE_LIST, name)
                .and_then(|v| v.as_str())
                .map_or_else(|| fallback.to_owned(), str::to_owned)
        };
        let dir = text("ProfilesDirectory", DEFAULT_PROFILES_DIRECTORY);
        let profile = text("DefaultUserProfile", DEFAULT_USER_PROFILE);
        UserHives {
            default: find(r"%windir%\system32\config\DEFAULT".into()),
            default_user: find(format!(r"{dir}\{profile}\NTUSER.DAT")),
        }
    }
}

//! What an installed hotfix leaves in the registry (`xp-servicing.md` §3.1,
//! and the genuine update.exe's keys in `genuine-update-exe/`): the Updates,
//! HotFix (with its `File 1` subkey) and Uninstall keys, dated in the
//! image's local time and worded in its language. The package's own AddReg
//! and DelReg lines are `inf_registry.rs`.

use hotfix_hive::Value;
use hotfix_i18n::{Lang, Msg};
use hotfix_image::Identity;
use hotfix_package::Package;

use super::Ctx;
use crate::EngineError;
use crate::log::LocalTime;
use crate::record::FileRecord;
use crate::registry::{HiveName, hive_err};

/// Registry paths of one installed hotfix.
pub(crate) struct FootprintKeys {
    /// `Microsoft\Updates\Windows XP\SP3\KB...` in SOFTWARE (the service
    /// pack the fix ships in, [`ships_in_sp`]).
    pub updates: String,
    /// `Microsoft\Windows NT\CurrentVersion\HotFix\KB...`.
    pub hotfix: String,
    /// `Microsoft\Windows\CurrentVersion\Uninstall\KB...`.
    pub uninstall: String,
}

impl FootprintKeys {
    pub(crate) fn new(updates_key: &str, kb: &str) -> Self {
        Self {
            updates: format!("Microsoft\\Updates\\{updates_key}"),
            hotfix: format!("Microsoft\\Windows NT\\CurrentVersion\\HotFix\\{kb}"),
            uninstall: format!("Microsoft\\Windows\\CurrentVersion\\Uninstall\\{kb}"),
        }
    }
}

/// The service pack a fix ships in, which names its `Updates\…\SP<n>` key
/// and its HotFix `Service Pack` value: the INF's `SERVICE_PACK_NUMBER`
/// string (what the genuine INFs substitute into both), else the highest
/// level it applies to plus one (`MaxNtServicePackVersion` / 256 + 1), else
/// the image's level plus one.
pub(crate) fn ships_in_sp(pkg: &Package, id: &Identity) -> u8 {
    let from_strings = pkg
        .inf
        .strings
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("SERVICE_PACK_NUMBER"))
        .and_then(|(_, v)| v.trim().trim_matches('"').parse::<u8>().ok());
    let from_max = pkg
        .inf
        .max_sp
        .and_then(|m| u8::try_from(m / 256).ok())
        .and_then(|m| m.checked_add(1));
    from_strings
        .or(from_max)
        .unwrap_or_else(|| id.sp.0.saturating_add(1))
}

/// `ReleaseType` from the title, in either catalog's words: "Security
/// Update for …" is a security update, "Hotfix for …" a hotfix, the rest
/// updates.
fn release_type(title: &str) -> &'static str {
    let says = |m: Msg| {
        [Lang::Enu, Lang::Jpn]
            .iter()
            .any(|l| title.contains(l.text(m)))
    };
    if says(Msg::TitleSecurity) {
        "Security Update"
    } else if says(Msg::TitleHotfix) {
        "Hotfix"
    } else {
        "Update"
    }
}

/// What the footprint says besides the files.
pub(crate) struct FootprintInfo<'a> {
    /// The package's title.
    pub title: &'a str,
    /// The `$NtUninstallKB…$` folder (Windows path), `None` with /nobackup.
    pub backup_dir: Option<&'a str>,
    /// When, in the image's local time.
    pub when: LocalTime,
    /// `InstalledBy` / `Installed By`.
    pub installed_by: &'a str,
    /// [`ships_in_sp`].
    pub sp: u8,
}

impl Ctx<'_, '_> {
    /// Writes the Updates, HotFix and Uninstall keys.
    pub(super) fn write_footprint(
        &mut self,
        keys: &FootprintKeys,
        info: &FootprintInfo<'_>,
        files: &[FileRecord],
    ) -> Result<(), EngineError> {
        let id = self.id;
        let package = self.pkg.file_name.clone();
        let image = self.view.image();
        let applied: Vec<(String, String, Option<String>)> = files
            .iter()
            .filter(|f| f.action.applied())
            .filter_map(|f| {
                let rel = hotfix_txn::RelPath::new(&f.target).ok()?;
                let win = image.win_path(&rel);
                let (dir, name) = win.rsplit_once('\\')?;
                Some((name.to_owned(), dir.to_owned(), f.version.clone()))
            })
            .collect();
        let title = info.title;
        let release = release_type(title);
        let date = info.when.us_date();
        let product = self
            .log
            .locale()
            .fmt(Msg::ParentDisplayName, &[id.product.name()]);
        let s = self.reg.hive_mut(HiveName::Software);
        let sz = |v: &str| Value::Sz(v.to_owned());
        let set = |h: &mut hotfix_hive::Hive, k: &str, n: &str, v: Value| {
            h.set(k, n, v).map_err(hive_err)
        };
        set(s, &keys.updates, "Description", sz(title))?;
        set(s, &keys.updates, "InstalledDate", sz(&date))?;
        set(s, &keys.updates, "InstalledBy", sz(info.installed_by))?;
        set(s, &keys.updates, "PackageName", sz(&package))?;
        set(s, &keys.updates, "PackageVersion", sz("1"))?;
        set(s, &keys.updates, "Type", sz(release))?;
        for (i, (name, dir, version)) in applied.iter().enumerate() {
            let k = format!("{}\\Filelist\\{i}", keys.updates);
            set(s, &k, "FileName", sz(name))?;
            set(s, &k, "Location", sz(dir))?;
            set(s, &k, "Version", sz(version.as_deref().unwrap_or("")))?;
        }
        set(s, &keys.hotfix, "Installed", Value::Dword(1))?;
        set(s, &keys.hotfix, "Valid", Value::Dword(1))?;
        set(
            s,
            &keys.hotfix,
            "Service Pack",
            Value::Dword(u32::from(info.sp)),
        )?;
        set(
            s,
            &keys.hotfix,
            "Backup Dir",
            sz(info.backup_dir.unwrap_or("")),
        )?;
        set(s, &keys.hotfix, "Installed By", sz(info.installed_by))?;
        set(s, &keys.hotfix, "Installed On", sz(&date))?;
        set(s, &keys.hotfix, "Comments", sz(title))?;
        set(s, &keys.hotfix, "Fix Description", sz(title))?;
        // The genuine INFs' AddReg gives `File 1` four empty strings; the
        // installer never fills them in (`genuine-update-exe/OCAAC`).
        let file1 = format!("{}\\File 1", keys.hotfix);
        for name in ["Flags", "New File", "New Link Date", "Old Link Date"] {
            set(s, &file1, name, sz(""))?;
        }
        set(s, &keys.uninstall, "DisplayName", sz(title))?;
        set(s, &keys.uninstall, "ParentKeyName", sz("OperatingSystem"))?;
        set(s, &keys.uninstall, "ParentDisplayName", sz(&product))?;
        set(s, &keys.uninstall, "ReleaseType", sz(release))?;
        set(s, &keys.uninstall, "Publisher", sz("Microsoft Corporation"))?;
        set(
            s,
            &keys.uninstall,
            "InstallDate",
            sz(&info.when.compact_date()),
        )?;
        set(
            s,
            &keys.uninstall,
            "RegistryLocation",
            sz(&format!("HKLM\\SOFTWARE\\{}", keys.updates)),
        )?;
        // update.exe 6.3's own values (`genuine-update-exe/KB999001-good`):
        // the uninstaller quoted in ARP, unquoted with a trailing blank in
        // the Updates key, and ARP's modify/repair buttons off.
        for name in ["NoModify", "NoRepair", "TSAware"] {
            set(s, &keys.uninstall, name, Value::Dword(1))?;
        }
        match info.backup_dir {
            Some(dir) => {
                let exe = format!("{dir}\\spuninst\\spuninst.exe");
                set(
                    s,
                    &keys.uninstall,
                    "UninstallString",
                    sz(&format!("\"{exe}\"")),
                )?;
                set(s, &keys.updates, "UninstallCommand", sz(&format!("{exe} ")))?;
            }
            None => set(s, &keys.uninstall, "NoRemove", Value::Dword(1))?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::release_type;

    #[test]
    fn release_types_from_titles_in_both_languages() {
        let cases = [
            (
                "Security Update for Windows XP (KB925902)",
                "Security Update",
            ),
            ("Hotfix for Windows XP (KB896256)", "Hotfix"),
            ("Update for Windows XP (KB898461)", "Update"),
            (
                "Windows XP 用セキュリティ更新プログラム (KB904706)",
                "Security Update",
            ),
            ("Windows XP 用の修正プログラム (KB896256)", "Hotfix"),
            ("Windows XP 用の更新プログラム (KB886677)", "Update"),
        ];
        for (title, want) in cases {
            assert_eq!(release_type(title), want, "{title}");
        }
    }
}

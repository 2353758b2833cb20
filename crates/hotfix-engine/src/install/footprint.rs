//! What an installed hotfix leaves in the registry (`xp-servicing.md` §3.1):
//! the Updates, HotFix and Uninstall keys. The package's own AddReg and
//! DelReg lines are `inf_registry.rs`.

use hotfix_hive::Value;

use super::Ctx;
use crate::EngineError;
use crate::record::FileRecord;
use crate::registry::{HiveName, hive_err};

/// Registry paths of one installed hotfix.
pub(crate) struct FootprintKeys {
    /// `Microsoft\Updates\Windows XP\SP3\KB...` in SOFTWARE.
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

impl Ctx<'_, '_> {
    /// Writes the Updates, HotFix and Uninstall keys.
    pub(super) fn write_footprint(
        &mut self,
        keys: &FootprintKeys,
        title: &str,
        backup_dir: Option<&str>,
        files: &[FileRecord],
        now: &str,
    ) -> Result<(), EngineError> {
        let id = self.id.clone();
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
        let release = if title.contains("Security") {
            "Security Update"
        } else {
            "Update"
        };
        let s = self.reg.hive_mut(HiveName::Software);
        let sz = |v: &str| Value::Sz(v.to_owned());
        let set = |h: &mut hotfix_hive::Hive, k: &str, n: &str, v: Value| {
            h.set(k, n, v).map_err(hive_err)
        };
        set(s, &keys.updates, "Description", sz(title))?;
        set(s, &keys.updates, "InstalledDate", sz(now))?;
        set(s, &keys.updates, "InstalledBy", sz("hotfix"))?;
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
            Value::Dword(u32::from(id.sp.0)),
        )?;
        set(s, &keys.hotfix, "Backup Dir", sz(backup_dir.unwrap_or("")))?;
        set(s, &keys.hotfix, "Installed By", sz("hotfix"))?;
        set(s, &keys.hotfix, "Installed On", sz(now))?;
        set(s, &keys.hotfix, "Comments", sz(title))?;
        set(s, &keys.hotfix, "Fix Description", sz(title))?;
        let product = id.product.updates_display_name();
        set(s, &keys.uninstall, "DisplayName", sz(title))?;
        set(s, &keys.uninstall, "ParentKeyName", sz("OperatingSystem"))?;
        set(s, &keys.uninstall, "ParentDisplayName", sz(&product))?;
        set(s, &keys.uninstall, "ReleaseType", sz(release))?;
        set(s, &keys.uninstall, "Publisher", sz("Microsoft Corporation"))?;
        set(s, &keys.uninstall, "InstallDate", sz(&now.replace('/', "")))?;
        set(
            s,
            &keys.uninstall,
            "RegistryLocation",
            sz(&format!("HKLM\\SOFTWARE\\{}", keys.updates)),
        )?;
        match backup_dir {
            Some(dir) => set(
                s,
                &keys.uninstall,
                "UninstallString",
                sz(&format!("{dir}\\spuninst\\spuninst.exe")),
            )?,
            None => set(s, &keys.uninstall, "NoRemove", Value::Dword(1))?,
        }
        Ok(())
    }
}

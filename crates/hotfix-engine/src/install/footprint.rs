//! What an installed hotfix leaves in the registry (`xp-servicing.md` §3.1):
//! the Updates, HotFix and Uninstall keys, and the package's own AddReg and
//! DelReg lines with the old values kept for uninstall.

use hotfix_hive::Value;
use hotfix_inf::{RegData, RegLine};

use super::Ctx;
use crate::EngineError;
use crate::record::{FileRecord, RegChange};
use crate::registry::{HiveName, StoredValue, hive_err, reg_data_value};

const FLG_KEYONLY: u32 = 0x10;
const FLG_NOCLOBBER: u32 = 0x2;
const FLG_DELVAL: u32 = 0x4;
const FLG_APPEND: u32 = 0x8;

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
    fn map_line(&mut self, line: &RegLine) -> Option<(HiveName, String)> {
        let mapped = self.reg.map_root(line.root, &line.key);
        if mapped.is_none() {
            self.log.line(format!(
                "Registry line {} ({:?}\\{}) skipped: user hives and other roots are not serviced offline",
                line.line, line.root, line.key
            ));
        }
        mapped
    }

    fn remember(&self, changes: &mut Vec<RegChange>, hive: HiveName, key: &str, name: &str) {
        let seen = changes.iter().any(|c| {
            c.hive == hive && c.key.eq_ignore_ascii_case(key) && c.name.eq_ignore_ascii_case(name)
        });
        if !seen {
            let old = self.reg.hive(hive).get(key, name).map(StoredValue::from);
            changes.push(RegChange {
                hive,
                key: key.to_owned(),
                name: name.to_owned(),
                old,
            });
        }
    }

    /// Applies `Product.Add.Reg` and `Product.Del.Reg`.
    pub(super) fn apply_inf_registry(&mut self) -> Result<Vec<RegChange>, EngineError> {
        let mut changes = Vec::new();
        let inf = &self.pkg.inf;
        for line in &inf.add_reg {
            let Some((hive, key)) = self.map_line(line) else {
                continue;
            };
            let name = line.value_name.clone().unwrap_or_default();
            if line.flags & FLG_KEYONLY != 0
                || line.value_name.is_none() && line.data == RegData::None
            {
                self.reg.hive_mut(hive).create_key(&key).map_err(hive_err)?;
                continue;
            }
            self.remember(&mut changes, hive, &key, &name);
            let existing = self.reg.hive(hive).get(&key, &name).cloned();
            let h = self.reg.hive_mut(hive);
            if line.flags & FLG_DELVAL != 0 {
                h.delete_value(&key, &name).map_err(hive_err)?;
            } else if line.flags & FLG_NOCLOBBER != 0 && existing.is_some() {
            } else if let (true, Some(Value::MultiSz(mut old)), RegData::MultiSz(add)) =
                (line.flags & FLG_APPEND != 0, existing, &line.data)
            {
                for s in add {
                    if !old.iter().any(|o| o.eq_ignore_ascii_case(s)) {
                        old.push(s.clone());
                    }
                }
                h.set(&key, &name, Value::MultiSz(old)).map_err(hive_err)?;
            } else {
                h.set(&key, &name, reg_data_value(&line.data))
                    .map_err(hive_err)?;
            }
        }
        for line in &inf.del_reg {
            let Some((hive, key)) = self.map_line(line) else {
                continue;
            };
            match &line.value_name {
                Some(name) => {
                    self.remember(&mut changes, hive, &key, name);
                    self.reg
                        .hive_mut(hive)
                        .delete_value(&key, name)
                        .map_err(hive_err)?;
                }
                None => {
                    let names: Vec<String> = self
                        .reg
                        .hive(hive)
                        .key(&key)
                        .map(|k| k.values().map(|(n, _)| n.to_owned()).collect())
                        .unwrap_or_default();
                    for n in &names {
                        self.remember(&mut changes, hive, &key, n);
                    }
                    self.reg.hive_mut(hive).delete_key(&key).map_err(hive_err)?;
                }
            }
        }
        Ok(changes)
    }

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

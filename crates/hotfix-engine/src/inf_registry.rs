//! update.inf's AddReg and DelReg lines applied to the image's hives: one
//! implementation for hotfixes and service packs.

use hotfix_hive::Value;
use hotfix_inf::{RegData, RegLine};

use crate::EngineError;
use crate::log::InstallerLog;
use crate::record::RegChange;
use crate::registry::{HiveName, Registry, StoredValue};

/// AddReg flags (SetupAPI's `FLG_ADDREG_*`).
const FLG_NOCLOBBER: u32 = 0x2;
const FLG_DELVAL: u32 = 0x4;
const FLG_APPEND: u32 = 0x8;
const FLG_KEYONLY: u32 = 0x10;

impl Registry {
    /// Applies `add` (AddReg) then `del` (DelReg) lines, with SetupAPI's
    /// flags (key only, no clobber, delete value, append to a multi-string).
    /// `HKCU` lines go to the Default User profile's hive and `HKU\.DEFAULT`
    /// ones to `DEFAULT` ([`Registry::map_root`]); a line no hive of the
    /// image can take is skipped with a line in `log` saying why. Returns
    /// every value changed with the contents it had before, for an
    /// uninstall.
    pub fn apply_inf_lines(
        &mut self,
        add: &[RegLine],
        del: &[RegLine],
        log: &mut InstallerLog,
    ) -> Result<Vec<RegChange>, EngineError> {
        let mut changes = Vec::new();
        for line in add {
            let Some((hive, key)) = self.map_line(line, log) else {
                continue;
            };
            let hive_err = |e| line_fault(line, e);
            let name = line.value_name.clone().unwrap_or_default();
            if line.flags & FLG_KEYONLY != 0
                || line.value_name.is_none() && line.data == RegData::None
            {
                self.hive_mut(hive).create_key(&key).map_err(hive_err)?;
                continue;
            }
            self.remember(&mut changes, hive, &key, &name);
            let existing = self.hive(hive).get(&key, &name).cloned();
            let h = self.hive_mut(hive);
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
        for line in del {
            let Some((hive, key)) = self.map_line(line, log) else {
                continue;
            };
            let hive_err = |e| line_fault(line, e);
            if line.value_name.is_none() {
                self.refuse_needed_key(line, hive, &key)?;
            }
            match &line.value_name {
                Some(name) => {
                    self.remember(&mut changes, hive, &key, name);
                    self.hive_mut(hive)
                        .delete_value(&key, name)
                        .map_err(hive_err)?;
                }
                None => {
                    let names: Vec<String> = self
                        .hive(hive)
                        .key(&key)
                        .map(|k| k.values().map(|(n, _)| n.to_owned()).collect())
                        .unwrap_or_default();
                    for n in &names {
                        self.remember(&mut changes, hive, &key, n);
                    }
                    self.hive_mut(hive).delete_key(&key).map_err(hive_err)?;
                }
            }
        }
        Ok(changes)
    }

    /// Refuses deleting a hive's root or a key the engine needs to open
    /// the image (`Windows NT\CurrentVersion` and its `ProfileList`,
    /// `Select`, the current control set, its Session Manager and language).
    fn refuse_needed_key(
        &self,
        line: &RegLine,
        hive: HiveName,
        key: &str,
    ) -> Result<(), EngineError> {
        let key = key.trim_matches('\\');
        let session_manager = self.session_manager();
        let control_set = session_manager.split('\\').next().unwrap_or_default();
        let needed: Vec<String> = match hive {
            HiveName::Software => vec![hotfix_image::PROFILE_LIST.to_owned()],
            HiveName::System => vec![
                "Select".to_owned(),
                format!("{control_set}\\Control\\Nls\\Language"),
                session_manager.clone(),
            ],
            HiveName::Default | HiveName::DefaultUser => vec![],
        };
        let ancestor = key.is_empty()
            || needed.iter().any(|n| {
                n.len() >= key.len()
                    && n[..key.len()].eq_ignore_ascii_case(key)
                    && (n.len() == key.len() || n.as_bytes()[key.len()] == b'\\')
            });
        if !ancestor {
            return Ok(());
        }
        Err(EngineError::Protected {
            by: format!("update.inf line {} (DelReg)", line.line),
            path: format!("{}\\{key}", hive.reg_root())
                .trim_end_matches('\\')
                .to_owned(),
            why: if key.is_empty() {
                "the root of a hive".to_owned()
            } else {
                "a key hotfix needs to open the image, or one holding it".to_owned()
            },
        })
    }

    fn map_line(&self, line: &RegLine, log: &mut InstallerLog) -> Option<(HiveName, String)> {
        self.map_root(line.root, &line.key)
            .map_err(|why| {
                log.line(format!(
                    "Registry line {} ({}\\{}) skipped: {why}",
                    line.line,
                    line.root.as_str(),
                    line.key
                ));
            })
            .ok()
    }

    /// Records the value's contents before its first change.
    fn remember(&self, changes: &mut Vec<RegChange>, hive: HiveName, key: &str, name: &str) {
        let seen = changes.iter().any(|c| {
            c.hive == hive && c.key.eq_ignore_ascii_case(key) && c.name.eq_ignore_ascii_case(name)
        });
        if !seen {
            let old = self.hive(hive).get(key, name).map(StoredValue::from);
            changes.push(RegChange {
                hive,
                key: key.to_owned(),
                name: name.to_owned(),
                old,
            });
        }
    }
}

/// A line the hive refuses (a name too long, a root deleted) is the
/// package's fault.
fn line_fault(line: &RegLine, e: hotfix_hive::HiveError) -> EngineError {
    EngineError::BadPackageLine {
        by: format!(
            "update.inf line {} ({}\\{})",
            line.line,
            line.root.as_str(),
            line.key
        ),
        problem: e.to_string(),
    }
}

/// The registry value an INF AddReg line writes.
fn reg_data_value(d: &hotfix_inf::RegData) -> Value {
    use hotfix_inf::RegData;
    match d {
        RegData::Sz(s) => Value::Sz(s.clone()),
        RegData::ExpandSz(s) => Value::ExpandSz(s.clone()),
        RegData::MultiSz(v) => Value::MultiSz(v.clone()),
        RegData::Dword(n) => Value::Dword(*n),
        RegData::Binary(b) => Value::Binary(b.clone()),
        RegData::None => Value::None,
    }
}

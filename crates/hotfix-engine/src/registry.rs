//! The two hives the installer changes, loaded from the view and written
//! back whole (`docs/design.md` §7).

use std::collections::BTreeSet;
use std::sync::Arc;

use hotfix_hive::{Hive, Value};
use hotfix_image::{Image, SESSION_MANAGER, current_control_set};
use hotfix_pending::{PendingQueue, VALUE, VALUE2};
use hotfix_txn::RelPath;
use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::view::View;

/// Which hive a registry path lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HiveName {
    /// `HKLM\SOFTWARE`.
    Software,
    /// `HKLM\SYSTEM`.
    System,
}

/// SOFTWARE and SYSTEM as the command plans them.
#[derive(Debug)]
pub struct Registry {
    software: Hive,
    system: Hive,
    software_path: RelPath,
    system_path: RelPath,
    control_set: String,
    dirty: [bool; 2],
}

fn load(view: &View<'_>, path: &RelPath) -> Result<Hive, EngineError> {
    let win = view.image().win_path(path);
    let bytes = view.read(path)?.ok_or_else(|| EngineError::Hive {
        path: win.clone(),
        problem: "the file is missing".into(),
    })?;
    Hive::parse(&bytes).map_err(|e| EngineError::Hive {
        path: win,
        problem: e.to_string(),
    })
}

impl Registry {
    /// Loads both hives from the view.
    pub fn load(view: &View<'_>, image: &Image) -> Result<Self, EngineError> {
        let software_path = image.software_hive();
        let system_path = image.system_hive();
        let software = load(view, &software_path)?;
        let system = load(view, &system_path)?;
        let control_set = current_control_set(&system);
        Ok(Self {
            software,
            system,
            software_path,
            system_path,
            control_set,
            dirty: [false; 2],
        })
    }

    fn idx(h: HiveName) -> usize {
        match h {
            HiveName::Software => 0,
            HiveName::System => 1,
        }
    }

    /// Read access to a hive.
    pub fn hive(&self, h: HiveName) -> &Hive {
        match h {
            HiveName::Software => &self.software,
            HiveName::System => &self.system,
        }
    }

    /// Write access to a hive; marks it for writing back.
    pub fn hive_mut(&mut self, h: HiveName) -> &mut Hive {
        self.dirty[Self::idx(h)] = true;
        match h {
            HiveName::Software => &mut self.software,
            HiveName::System => &mut self.system,
        }
    }

    /// `ControlSet001\Control\Session Manager` (the current control set).
    pub fn session_manager(&self) -> String {
        format!("{}\\{SESSION_MANAGER}", self.control_set)
    }

    /// Maps an `HKLM\...` key of an INF or a user to a hive and a path in it.
    /// `CurrentControlSet` becomes the current control set. `None` for roots
    /// we do not service (user hives).
    pub fn map_hklm(&self, key: &str) -> Option<(HiveName, String)> {
        let key = key.trim_matches('\\');
        let (first, rest) = key.split_once('\\').unwrap_or((key, ""));
        if first.eq_ignore_ascii_case("SOFTWARE") {
            return Some((HiveName::Software, rest.to_owned()));
        }
        if first.eq_ignore_ascii_case("SYSTEM") {
            let (cs, tail) = rest.split_once('\\').unwrap_or((rest, ""));
            let cs = if cs.eq_ignore_ascii_case("CurrentControlSet") {
                self.control_set.as_str()
            } else {
                cs
            };
            let path = if tail.is_empty() {
                cs.to_owned()
            } else {
                format!("{cs}\\{tail}")
            };
            return Some((HiveName::System, path));
        }
        None
    }

    /// Maps an INF registry root and key to a hive and a path in it; `None`
    /// for user hives, which an offline image does not service.
    pub fn map_root(&self, root: hotfix_inf::RegRoot, key: &str) -> Option<(HiveName, String)> {
        match root {
            hotfix_inf::RegRoot::Hklm => self.map_hklm(key),
            hotfix_inf::RegRoot::Hkcr => Some((HiveName::Software, format!("Classes\\{key}"))),
            hotfix_inf::RegRoot::Hkcu | hotfix_inf::RegRoot::Hku => None,
        }
    }

    /// The boot-time rename queue (`PendingFileRenameOperations`, then `...2`).
    pub fn queue(&self) -> PendingQueue {
        let sm = self.session_manager();
        let mut strings = Vec::new();
        for name in [VALUE, VALUE2] {
            if let Some(v) = self.system.get(&sm, name)
                && let Some(list) = v.as_multi_sz()
            {
                strings.extend(list.iter().cloned());
            }
        }
        PendingQueue::parse(&strings)
    }

    /// Replaces the queue: one value, or none when the queue is empty.
    pub fn set_queue(&mut self, queue: &PendingQueue) -> Result<(), EngineError> {
        let sm = self.session_manager();
        let system = self.hive_mut(HiveName::System);
        for name in [VALUE, VALUE2] {
            system.delete_value(&sm, name).map_err(hive_err)?;
        }
        if !queue.is_empty() {
            system
                .set(&sm, VALUE, Value::MultiSz(queue.to_strings()))
                .map_err(hive_err)?;
        }
        Ok(())
    }

    /// File names (lower case) Session Manager maps as KnownDLLs.
    pub fn known_dlls(&self) -> BTreeSet<String> {
        let key = format!("{}\\KnownDLLs", self.session_manager());
        let Some(k) = self.system.key(&key) else {
            return BTreeSet::new();
        };
        k.values()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("DllDirectory"))
            .filter_map(|(_, v)| v.as_str().map(str::to_lowercase))
            .collect()
    }

    /// Writes the changed hives into the view.
    pub fn store(self, view: &mut View<'_>) -> Result<(), EngineError> {
        for (i, (hive, path)) in [
            (&self.software, &self.software_path),
            (&self.system, &self.system_path),
        ]
        .into_iter()
        .enumerate()
        {
            if self.dirty[i] {
                let bytes = hive.to_bytes().map_err(|e| EngineError::Hive {
                    path: view.image().win_path(path),
                    problem: e.to_string(),
                })?;
                view.put_bytes(path, Arc::new(bytes));
            }
        }
        Ok(())
    }
}

/// The registry value an INF AddReg line writes.
pub fn reg_data_value(d: &hotfix_inf::RegData) -> Value {
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

pub(crate) fn hive_err(e: hotfix_hive::HiveError) -> EngineError {
    EngineError::Hive {
        path: "registry".into(),
        problem: e.to_string(),
    }
}

/// A registry value as install records keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValue {
    /// REG_* type number.
    pub kind: u32,
    /// Raw data, hex.
    pub data: String,
}

impl From<&Value> for StoredValue {
    fn from(v: &Value) -> Self {
        Self {
            kind: v.kind(),
            data: hex::encode(v.to_raw()),
        }
    }
}

impl StoredValue {
    /// Back to a value.
    pub fn to_value(&self) -> Value {
        Value::from_raw(self.kind, &hex::decode(&self.data).unwrap_or_default())
    }
}

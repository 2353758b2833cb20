//! The hives the installer changes, loaded from the view and written back
//! whole (`docs/design.md` §7): SOFTWARE and SYSTEM, and where the image
//! has them the user hives offline servicing writes (`hotfix_image::UserHives`).

use std::collections::BTreeSet;
use std::sync::Arc;

use hotfix_hive::{Hive, Value};
use hotfix_image::{Image, SESSION_MANAGER, current_control_set};
use hotfix_inf::RegRoot;
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
    /// `HKU\.DEFAULT` (`config\DEFAULT`).
    Default,
    /// `HKCU` offline: the Default User profile's NTUSER.DAT.
    DefaultUser,
}

impl HiveName {
    fn index(self) -> usize {
        self as usize
    }

    /// Where the hive is mounted, as `.reg` files spell it
    /// (`HKEY_LOCAL_MACHINE\SOFTWARE`, `HKEY_CURRENT_USER`).
    pub fn reg_root(self) -> &'static str {
        match self {
            HiveName::Software => "HKEY_LOCAL_MACHINE\\SOFTWARE",
            HiveName::System => "HKEY_LOCAL_MACHINE\\SYSTEM",
            HiveName::Default => "HKEY_USERS\\.DEFAULT",
            HiveName::DefaultUser => "HKEY_CURRENT_USER",
        }
    }
}

/// One hive as the command plans it.
#[derive(Debug)]
struct Loaded {
    path: RelPath,
    hive: Hive,
    dirty: bool,
}

/// The image's hives as the command plans them.
#[derive(Debug)]
pub struct Registry {
    /// Indexed by [`HiveName`]; a user hive the image lacks holds why.
    hives: [Result<Loaded, String>; 4],
    control_set: String,
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

fn loaded(view: &View<'_>, path: RelPath) -> Result<Loaded, EngineError> {
    let hive = load(view, &path)?;
    Ok(Loaded {
        path,
        hive,
        dirty: false,
    })
}

impl Registry {
    /// Loads SOFTWARE and SYSTEM from the view; a command that writes
    /// update.inf's registry lines also calls [`Registry::load_user_hives`].
    pub fn load(view: &View<'_>, image: &Image) -> Result<Self, EngineError> {
        let software = loaded(view, image.software_hive())?;
        let system = loaded(view, image.system_hive())?;
        let control_set = current_control_set(&system.hive);
        let not_loaded = || Err("the command does not load user hives".to_owned());
        Ok(Self {
            hives: [Ok(software), Ok(system), not_loaded(), not_loaded()],
            control_set,
        })
    }

    /// Loads the user hives the image has (`HKU\.DEFAULT`, and the Default
    /// User profile's NTUSER.DAT for `HKCU`). One that is missing, outside
    /// the image or not a usable hive stays out with the reason, which a
    /// line for it is skipped with: a damaged user hive does not stop an
    /// install that does not need it.
    pub fn load_user_hives(&mut self, view: &View<'_>) {
        let users = view
            .image()
            .user_hives(view.fs(), self.hive(HiveName::Software));
        for (name, found) in [
            (HiveName::Default, users.default),
            (HiveName::DefaultUser, users.default_user),
        ] {
            self.hives[name.index()] =
                found.and_then(|path| loaded(view, path).map_err(|e| e.to_string()));
        }
    }

    fn slot(&self, h: HiveName) -> &Loaded {
        match &self.hives[h.index()] {
            Ok(l) => l,
            // SOFTWARE and SYSTEM always load; a user hive is only named by
            // `map_root`, which names loaded ones.
            Err(why) => unreachable!("{h:?} used though not loaded: {why}"),
        }
    }

    /// The image paths of the hives loaded.
    pub fn files(&self) -> Vec<RelPath> {
        self.hives
            .iter()
            .filter_map(|l| l.as_ref().ok().map(|l| l.path.clone()))
            .collect()
    }

    /// Read access to a loaded hive (SOFTWARE and SYSTEM always are).
    pub fn hive(&self, h: HiveName) -> &Hive {
        &self.slot(h).hive
    }

    /// Write access to a loaded hive; marks it for writing back.
    pub fn hive_mut(&mut self, h: HiveName) -> &mut Hive {
        self.try_hive_mut(h)
            .unwrap_or_else(|why| unreachable!("{h:?} used though not loaded: {why}"))
    }

    /// Write access to hive `h`, or why it is not loaded.
    pub fn try_hive_mut(&mut self, h: HiveName) -> Result<&mut Hive, String> {
        match &mut self.hives[h.index()] {
            Ok(l) => {
                l.dirty = true;
                Ok(&mut l.hive)
            }
            Err(why) => Err(why.clone()),
        }
    }

    /// `ControlSet001\Control\Session Manager` (the current control set).
    pub fn session_manager(&self) -> String {
        format!("{}\\{SESSION_MANAGER}", self.control_set)
    }

    /// Maps an `HKLM\...` key of an INF or a user to a hive and a path in it.
    /// `CurrentControlSet` becomes the current control set. `None` for HKLM
    /// keys outside SOFTWARE and SYSTEM.
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

    /// Maps an INF registry root and key to a hive and a path in it, or
    /// says why the line cannot be serviced offline: `HKCU` is the Default
    /// User profile's hive, `HKU\.DEFAULT` is `DEFAULT`; other users' hives
    /// are not loaded, and a user hive the image lacks cannot be written.
    pub fn map_root(&self, root: RegRoot, key: &str) -> Result<(HiveName, String), String> {
        let user = |h: HiveName, key: &str| match &self.hives[h.index()] {
            Ok(_) => Ok((h, key.to_owned())),
            Err(why) => Err(why.clone()),
        };
        match root {
            RegRoot::Hklm => self
                .map_hklm(key)
                .ok_or_else(|| "only SOFTWARE and SYSTEM are serviced under HKLM".into()),
            RegRoot::Hkcr => Ok((HiveName::Software, format!("Classes\\{key}"))),
            RegRoot::Hkcu => user(HiveName::DefaultUser, key.trim_matches('\\')),
            RegRoot::Hku => {
                let key = key.trim_matches('\\');
                let (first, rest) = key.split_once('\\').unwrap_or((key, ""));
                if first.eq_ignore_ascii_case(".DEFAULT") {
                    user(HiveName::Default, rest)
                } else {
                    Err(format!(
                        "only HKU\\.DEFAULT is serviced offline, not the profile of {first}"
                    ))
                }
            }
        }
    }

    /// The boot-time rename queue (`PendingFileRenameOperations`, then `...2`).
    pub fn queue(&self) -> PendingQueue {
        let sm = self.session_manager();
        let mut strings = Vec::new();
        for name in [VALUE, VALUE2] {
            if let Some(v) = self.hive(HiveName::System).get(&sm, name)
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
        let Some(k) = self.hive(HiveName::System).key(&key) else {
            return BTreeSet::new();
        };
        k.values()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("DllDirectory"))
            .filter_map(|(_, v)| v.as_str().map(str::to_lowercase))
            .collect()
    }

    /// Writes the changed hives into the view; returns their paths.
    ///
    /// Nothing is planned unless SOFTWARE and SYSTEM as changed still give
    /// the image's identity (the next command opens the image by it);
    /// `View::commit` then parses every hive's bytes before committing.
    pub fn store(self, view: &mut View<'_>) -> Result<Vec<RelPath>, EngineError> {
        if self.hives.iter().flatten().any(|l| l.dirty) {
            view.image()
                .identity_of(self.hive(HiveName::Software), self.hive(HiveName::System))
                .map_err(|e| EngineError::BadPackageLine {
                    by: "the registry changes".into(),
                    problem: format!("after them {e}, so the image could no longer be opened"),
                })?;
        }
        let mut written = Vec::new();
        for l in self.hives.into_iter().flatten().filter(|l| l.dirty) {
            let bytes = l.hive.to_bytes().map_err(|e| EngineError::Hive {
                path: view.image().win_path(&l.path),
                problem: e.to_string(),
            })?;
            view.put_bytes(&l.path, Arc::new(bytes));
            written.push(l.path);
        }
        Ok(written)
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

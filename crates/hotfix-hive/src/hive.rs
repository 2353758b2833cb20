//! The in-memory hive and its path-based editing API.

use crate::HiveError;
use crate::key::{Key, validate_key_name};
use crate::value::Value;

/// UTF-16 units of the file name that the base block holds.
pub(crate) const FILE_NAME_UNITS: usize = 31;

/// A whole registry hive: the root key and the base-block facts that a
/// rewrite keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hive {
    pub(crate) root: Key,
    /// The base block's file name field (at most 31 UTF-16 units).
    pub(crate) file_name: String,
    /// The base block's last-written FILETIME.
    pub(crate) last_written: u64,
    /// The sequence number written to both sequence fields.
    pub(crate) sequence: u32,
}

/// Splits a key path into its components, tolerating leading and trailing
/// backslashes. `None` if a component in the middle is empty.
fn components(path: &str) -> Option<Vec<&str>> {
    let trimmed = path.trim_matches('\\');
    if trimmed.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = trimmed.split('\\').collect();
    (!parts.iter().any(|p| p.is_empty())).then_some(parts)
}

fn invalid_path(path: &str) -> HiveError {
    HiveError::InvalidName {
        name: path.to_string(),
        reason: "a key path cannot have an empty component",
    }
}

impl Hive {
    /// An empty hive whose root key is called `root_name` (for example
    /// `$$$PROTO.HIV`, or `CMI-CreateHive{...}` as XP setup names them).
    pub fn new(root_name: &str) -> Hive {
        Hive {
            root: Key::new(root_name),
            file_name: String::new(),
            last_written: 0,
            sequence: 1,
        }
    }

    /// The root key.
    pub fn root(&self) -> &Key {
        &self.root
    }

    /// The root key, for editing.
    pub fn root_mut(&mut self) -> &mut Key {
        &mut self.root
    }

    /// The file name stored in the base block (informational only).
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Sets the base block's file name field, e.g.
    /// `\SystemRoot\System32\Config\SOFTWARE`. Only the last 31 UTF-16
    /// units fit; the rest is dropped here, as Windows does.
    pub fn set_file_name(&mut self, name: &str) {
        let units: Vec<u16> = name.encode_utf16().collect();
        let tail = &units[units.len().saturating_sub(FILE_NAME_UNITS)..];
        self.file_name = String::from_utf16_lossy(tail);
    }

    /// The base block's last-written FILETIME.
    pub fn last_written(&self) -> u64 {
        self.last_written
    }

    /// Sets the base block's last-written FILETIME.
    pub fn set_last_written(&mut self, filetime: u64) {
        self.last_written = filetime;
    }

    /// The sequence number (both base-block sequence fields hold it when
    /// written).
    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// Sets the sequence number written to both sequence fields.
    pub fn set_sequence(&mut self, sequence: u32) {
        self.sequence = sequence;
    }

    /// The key at `path` relative to the root (case-insensitive, `""` is the
    /// root, leading and trailing `\` tolerated).
    pub fn key(&self, path: &str) -> Option<&Key> {
        components(path)?
            .into_iter()
            .try_fold(&self.root, |key, part| key.subkey(part))
    }

    /// The key at `path`, for editing.
    pub fn key_mut(&mut self, path: &str) -> Option<&mut Key> {
        self.walk_mut(components(path)?)
    }

    /// The key reached from the root through `parts`.
    fn walk_mut(&mut self, parts: Vec<&str>) -> Option<&mut Key> {
        parts
            .into_iter()
            .try_fold(&mut self.root, |key, part| key.subkey_mut(part))
    }

    /// The key at `path`, created with any missing parents.
    pub fn create_key(&mut self, path: &str) -> Result<&mut Key, HiveError> {
        let parts = components(path).ok_or_else(|| invalid_path(path))?;
        for part in &parts {
            validate_key_name(part)?;
        }
        let mut key = &mut self.root;
        for part in parts {
            key = key.create_subkey(part)?;
        }
        Ok(key)
    }

    /// Deletes the key at `path` with its subtree; `Ok(false)` if it did not
    /// exist.
    pub fn delete_key(&mut self, path: &str) -> Result<bool, HiveError> {
        let mut parts = components(path).ok_or_else(|| invalid_path(path))?;
        let Some(last) = parts.pop() else {
            return Err(HiveError::CannotDeleteRoot);
        };
        let parent = self.walk_mut(parts);
        Ok(parent.and_then(|p| p.delete_subkey(last)).is_some())
    }

    /// The value `name` of the key at `path`.
    pub fn get(&self, path: &str, name: &str) -> Option<&Value> {
        self.key(path)?.value(name)
    }

    /// Sets value `name` of the key at `path`, creating the key.
    pub fn set(&mut self, path: &str, name: &str, value: Value) -> Result<(), HiveError> {
        self.create_key(path)?.set_value(name, value);
        Ok(())
    }

    /// Deletes value `name` of the key at `path`; `Ok(false)` if the key or
    /// the value did not exist.
    pub fn delete_value(&mut self, path: &str, name: &str) -> Result<bool, HiveError> {
        let parts = components(path).ok_or_else(|| invalid_path(path))?;
        Ok(self
            .walk_mut(parts)
            .and_then(|k| k.delete_value(name))
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_case_insensitive_and_tolerate_slashes() {
        let mut hive = Hive::new("$$$PROTO.HIV");
        hive.set(
            r"Microsoft\Windows NT\CurrentVersion",
            "CSDVersion",
            Value::Sz("Service Pack 2".into()),
        )
        .unwrap();
        assert!(hive.key(r"\microsoft\WINDOWS NT\currentversion\").is_some());
        assert_eq!(hive.key("").unwrap().name(), "$$$PROTO.HIV");
        assert!(hive.key(r"Microsoft\\Windows NT").is_none());
        assert_eq!(
            hive.get(r"Microsoft\Windows NT\CurrentVersion", "csdversion")
                .and_then(Value::as_str),
            Some("Service Pack 2")
        );
        assert!(matches!(
            hive.create_key(r"a\\b"),
            Err(HiveError::InvalidName { .. })
        ));
        assert_eq!(hive.delete_key(r"\"), Err(HiveError::CannotDeleteRoot));
        assert_eq!(hive.delete_key("Nope\\x"), Ok(false));
        assert_eq!(
            hive.delete_value(r"Microsoft\Windows NT\CurrentVersion", "CSDVersion"),
            Ok(true)
        );
        assert_eq!(hive.delete_value("Nope", "x"), Ok(false));
        assert_eq!(hive.delete_key("MICROSOFT"), Ok(true));
        assert_eq!(hive.root().subkey_count(), 0);
    }
}

//! One registry key: its values and its subkeys.

use crate::HiveError;
use crate::name::{cmp_names, names_equal};
use crate::value::Value;

/// Longest key name Windows accepts, in UTF-16 code units.
pub const MAX_KEY_NAME_UNITS: usize = 255;

/// A registry key.
///
/// Values keep their insertion order (the order of the on-disk value list);
/// value names are unique case-insensitively and `""` is the default value.
/// Subkeys are kept sorted the way Windows sorts subkey lists (by upper-cased
/// UTF-16 code units) and are unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    name: String,
    last_written: u64,
    values: Vec<(String, Value)>,
    subkeys: Vec<Key>,
}

impl Key {
    /// A key with no values and no subkeys, last written at FILETIME 0.
    pub(crate) fn new(name: &str) -> Key {
        Key {
            name: name.to_string(),
            last_written: 0,
            values: Vec::new(),
            subkeys: Vec::new(),
        }
    }

    /// Assembles a parsed key. The caller guarantees unique names; the
    /// subkeys are sorted here.
    pub(crate) fn from_parts(
        name: String,
        last_written: u64,
        values: Vec<(String, Value)>,
        mut subkeys: Vec<Key>,
    ) -> Key {
        subkeys.sort_by(|a, b| cmp_names(&a.name, &b.name));
        Key {
            name,
            last_written,
            values,
            subkeys,
        }
    }

    /// The key's own name (not its path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When the key was last written, as a Windows FILETIME (100 ns ticks
    /// since 1601-01-01 UTC). Keys created here start at 0.
    pub fn last_written(&self) -> u64 {
        self.last_written
    }

    /// Sets the key's last-written FILETIME (edits do not stamp it).
    pub fn set_last_written(&mut self, filetime: u64) {
        self.last_written = filetime;
    }

    /// The subkeys, in Windows order.
    pub fn subkeys(&self) -> impl Iterator<Item = &Key> {
        self.subkeys.iter()
    }

    /// Number of subkeys.
    pub fn subkey_count(&self) -> usize {
        self.subkeys.len()
    }

    fn find_subkey(&self, name: &str) -> Result<usize, usize> {
        self.subkeys.binary_search_by(|k| cmp_names(&k.name, name))
    }

    /// The direct subkey called `name` (case-insensitive).
    pub fn subkey(&self, name: &str) -> Option<&Key> {
        self.find_subkey(name).ok().map(|i| &self.subkeys[i])
    }

    /// The direct subkey called `name` (case-insensitive), for editing.
    pub fn subkey_mut(&mut self, name: &str) -> Option<&mut Key> {
        self.find_subkey(name).ok().map(|i| &mut self.subkeys[i])
    }

    /// The direct subkey called `name`, created (empty) if missing. Fails
    /// with [`HiveError::InvalidName`] for an empty name, one with a `\`, or
    /// one longer than 255 UTF-16 units.
    pub fn create_subkey(&mut self, name: &str) -> Result<&mut Key, HiveError> {
        validate_key_name(name)?;
        let i = match self.find_subkey(name) {
            Ok(i) => i,
            Err(i) => {
                self.subkeys.insert(i, Key::new(name));
                i
            }
        };
        Ok(&mut self.subkeys[i])
    }

    /// Removes the direct subkey called `name` with its whole subtree.
    pub fn delete_subkey(&mut self, name: &str) -> Option<Key> {
        self.find_subkey(name).ok().map(|i| self.subkeys.remove(i))
    }

    /// The values in stored order, as `(name, value)`.
    pub fn values(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of values.
    pub fn value_count(&self) -> usize {
        self.values.len()
    }

    fn find_value(&self, name: &str) -> Option<usize> {
        self.values.iter().position(|(n, _)| names_equal(n, name))
    }

    /// The value called `name` (case-insensitive; `""` is the default value).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.find_value(name).map(|i| &self.values[i].1)
    }

    /// Sets a value. An existing value of the same name (any case) is
    /// replaced in place and keeps its stored name, as Windows does; a new
    /// one is appended.
    pub fn set_value(&mut self, name: &str, value: Value) {
        match self.find_value(name) {
            Some(i) => self.values[i].1 = value,
            None => self.values.push((name.to_string(), value)),
        }
    }

    /// Removes the value called `name` and returns it.
    pub fn delete_value(&mut self, name: &str) -> Option<Value> {
        self.find_value(name).map(|i| self.values.remove(i).1)
    }
}

/// Checks a single key name component.
pub(crate) fn validate_key_name(name: &str) -> Result<(), HiveError> {
    let reason = if name.is_empty() {
        "a key name cannot be empty"
    } else if name.contains('\\') {
        "a key name cannot contain a backslash"
    } else if name.encode_utf16().count() > MAX_KEY_NAME_UNITS {
        "a key name is at most 255 UTF-16 characters"
    } else {
        return Ok(());
    };
    Err(HiveError::InvalidName {
        name: name.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subkeys_stay_sorted_and_unique() {
        let mut k = Key::new("root");
        for name in ["b", "A", "c", "B", "a_"] {
            k.create_subkey(name).unwrap();
        }
        let names: Vec<&str> = k.subkeys().map(Key::name).collect();
        assert_eq!(names, ["A", "a_", "b", "c"]);
        assert!(k.subkey("C").is_some());
        assert!(k.delete_subkey("B").is_some());
        assert!(k.subkey("b").is_none());
        assert!(k.create_subkey("").is_err());
        assert!(k.create_subkey("x\\y").is_err());
        assert!(k.create_subkey(&"x".repeat(256)).is_err());
        assert!(k.create_subkey(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn values_keep_order_and_first_spelling() {
        let mut k = Key::new("k");
        k.set_value("Zed", Value::Dword(1));
        k.set_value("", Value::Sz("default".into()));
        k.set_value("ZED", Value::Dword(2));
        let values: Vec<(&str, &Value)> = k.values().collect();
        assert_eq!(
            values,
            [
                ("Zed", &Value::Dword(2)),
                ("", &Value::Sz("default".into()))
            ]
        );
        assert_eq!(k.delete_value("zed"), Some(Value::Dword(2)));
        assert_eq!(k.value("zed"), None);
    }
}

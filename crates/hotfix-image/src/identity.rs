//! What system an image holds, read from its hives.

use hotfix_fs::Fs;
use hotfix_hive::{Hive, Value};
use hotfix_model::{Language, Product, SpLevel};
use hotfix_txn::RelPath;

use crate::{Image, ImageError};

/// `Control\Session Manager`, below the current control set of SYSTEM.
pub const SESSION_MANAGER: &str = "Control\\Session Manager";

/// The KnownDLLs of a stock XP SP2 / Server 2003 install (value name; the
/// file is `<name>.dll`): what Session Manager maps at boot, and what a
/// generated image's `Session Manager\KnownDLLs` lists.
pub const STOCK_KNOWN_DLLS: &[&str] = &[
    "advapi32", "comdlg32", "gdi32", "imagehlp", "kernel32", "lz32", "ole32", "oleaut32",
    "olecli32", "olecnv32", "olesvr32", "olethk32", "rpcrt4", "shell32", "url", "urlmon", "user32",
    "version", "wininet", "wldap32",
];

/// The key of the OS identity values in SOFTWARE.
pub const NT_CURRENT_VERSION: &str = "Microsoft\\Windows NT\\CurrentVersion";

/// The operating system an image holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    /// XP or Server 2003, from `CurrentVersion` (5.1 / 5.2).
    pub product: Product,
    /// From `CSDVersion` (absent: RTM).
    pub sp: SpLevel,
    /// `CurrentBuildNumber` (2600, 3790).
    pub build: u16,
    /// `InstallLanguage` of SYSTEM's `Control\Nls\Language`.
    pub language: Language,
    /// `CSDVersion` as stored ("Service Pack 2"; empty at RTM).
    pub csd_version: String,
    /// `ProductName`.
    pub product_name: String,
    /// `SystemRoot` (`C:\WINDOWS`).
    pub system_root: String,
    /// Minutes to add to local time for UTC, from SYSTEM's
    /// `Control\TimeZoneInformation` (`ActiveTimeBias`, else `Bias`; 0
    /// without either): the originals stamped logs and the registry in the
    /// machine's local time, and this is all of the zone they used.
    pub time_bias_minutes: i32,
}

/// `Control\TimeZoneInformation`, below the current control set of SYSTEM.
pub const TIME_ZONE_INFORMATION: &str = "Control\\TimeZoneInformation";

/// The bias a SYSTEM hive stores (see [`Identity::time_bias_minutes`]).
/// The DWORDs hold signed minutes (Tokyo is `0xfffffde4`, -540); a value
/// beyond ±24 hours is damage and read as absent.
fn time_bias(system: &Hive) -> i32 {
    let key = format!("{}\\{TIME_ZONE_INFORMATION}", current_control_set(system));
    ["ActiveTimeBias", "Bias"]
        .iter()
        .filter_map(|n| system.get(&key, n).and_then(Value::as_dword))
        .map(|d| d as i32)
        .find(|m| m.abs() <= 24 * 60)
        .unwrap_or(0)
}

/// The current control set's key name (`ControlSet001`), from
/// `Select\Current`; `ControlSet001` when that value is missing or unusable.
pub fn current_control_set(system: &Hive) -> String {
    let n = system
        .get("Select", "Current")
        .and_then(Value::as_dword)
        .filter(|n| (1..=999).contains(n))
        .unwrap_or(1);
    format!("ControlSet{n:03}")
}

/// Reads and parses a hive of the image.
pub(crate) fn load_hive(fs: &dyn Fs, image: &Image, rel: &RelPath) -> Result<Hive, ImageError> {
    let host = image.host(rel);
    let bytes = fs
        .read(&host)
        .map_err(|e| ImageError::io(format!("read {}", host.display()), e))?;
    Hive::parse(&bytes).map_err(|source| ImageError::Hive {
        file: rel.to_string(),
        source,
    })
}

struct HiveReader<'a> {
    hive: &'a Hive,
    file: &'a RelPath,
}

impl HiveReader<'_> {
    fn problem(&self, problem: String) -> ImageError {
        ImageError::Registry {
            file: self.file.to_string(),
            problem,
        }
    }

    /// A string value; `None` when the value is absent, an error when the
    /// key is absent or the value is not a string.
    fn opt_str(&self, key: &str, name: &str) -> Result<Option<String>, ImageError> {
        let k = self
            .hive
            .key(key)
            .ok_or_else(|| self.problem(format!("missing key {key}")))?;
        match k.value(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.trim_end_matches('\0').to_owned()))
                .ok_or_else(|| self.problem(format!("value {key}\\{name} is not a string"))),
        }
    }

    fn str(&self, key: &str, name: &str) -> Result<String, ImageError> {
        self.opt_str(key, name)?
            .ok_or_else(|| self.problem(format!("missing value {key}\\{name}")))
    }
}

impl Image {
    /// Reads product, service pack, build and language from the SOFTWARE and
    /// SYSTEM hives. Errors name the hive file and the missing key or value.
    pub fn identity(&self, fs: &dyn Fs) -> Result<Identity, ImageError> {
        let software = load_hive(fs, self, &self.software_hive())?;
        let system = load_hive(fs, self, &self.system_hive())?;
        self.identity_of(&software, &system)
    }

    /// [`Image::identity`] from hives in memory: whether hives about to be
    /// written still let the image open.
    pub fn identity_of(&self, software: &Hive, system: &Hive) -> Result<Identity, ImageError> {
        let software_rel = self.software_hive();
        let sw = HiveReader {
            hive: software,
            file: &software_rel,
        };
        let cv = NT_CURRENT_VERSION;
        let version = sw.str(cv, "CurrentVersion")?;
        let product = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .and_then(|(major, minor)| Product::from_nt_version(major, minor))
            .ok_or_else(|| {
                sw.problem(format!(
                    "{cv}\\CurrentVersion {version:?} is not 5.1 (XP) or 5.2 (Server 2003)"
                ))
            })?;
        let build_text = sw.str(cv, "CurrentBuildNumber")?;
        let build = build_text.trim().parse().map_err(|_| {
            sw.problem(format!(
                "{cv}\\CurrentBuildNumber {build_text:?} is not a number"
            ))
        })?;
        let csd_version = sw.opt_str(cv, "CSDVersion")?.unwrap_or_default();
        let sp = SpLevel::from_csd_version(&csd_version).ok_or_else(|| {
            sw.problem(format!(
                "{cv}\\CSDVersion {csd_version:?} is not \"Service Pack N\""
            ))
        })?;
        let product_name = sw.str(cv, "ProductName")?;
        let system_root = sw.str(cv, "SystemRoot")?;

        let system_rel = self.system_hive();
        let sys = HiveReader {
            hive: system,
            file: &system_rel,
        };
        let nls = format!("{}\\Control\\Nls\\Language", current_control_set(system));
        let lang_text = sys.str(&nls, "InstallLanguage")?;
        let language = u16::from_str_radix(lang_text.trim(), 16)
            .ok()
            .and_then(Language::from_langid)
            .ok_or_else(|| {
                sys.problem(format!(
                    "{nls}\\InstallLanguage {lang_text:?} is not a known language id"
                ))
            })?;
        Ok(Identity {
            product,
            sp,
            build,
            language,
            csd_version,
            product_name,
            system_root,
            time_bias_minutes: time_bias(system),
        })
    }
}

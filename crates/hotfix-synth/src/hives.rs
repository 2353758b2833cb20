//! The hives of a freshly generated image: SOFTWARE and SYSTEM, DEFAULT
//! (`HKU\.DEFAULT`) and the Default User profile's NTUSER.DAT, with the keys
//! and values servicing reads or writes, as a stock install has them.

use hotfix_dataset::release_tag;
use hotfix_hive::{Hive, HiveError, Value};
use hotfix_image::{
    DEFAULT_PROFILES_DIRECTORY, DEFAULT_USER_PROFILE, NT_CURRENT_VERSION, PROFILE_LIST,
    SESSION_MANAGER, STOCK_KNOWN_DLLS, TIME_ZONE_INFORMATION,
};

use crate::GenerateSpec;

fn sz(s: &str) -> Value {
    Value::Sz(s.to_owned())
}

/// The SOFTWARE hive: OS identity, program folders, and the empty keys the
/// installer adds hotfix entries under.
pub(crate) fn software(spec: &GenerateSpec) -> Result<Hive, HiveError> {
    let mut h = Hive::new("$$$PROTO.HIV");
    h.set_file_name("\\SystemRoot\\System32\\Config\\SOFTWARE");
    let p = spec.product;
    let (major, minor) = p.nt_version();
    let build_lab = format!("{}.{}", p.build(), release_tag(p, spec.sp));
    let cv = NT_CURRENT_VERSION;
    h.set(cv, "ProductName", sz(p.product_name()))?;
    h.set(cv, "CurrentVersion", sz(&format!("{major}.{minor}")))?;
    h.set(cv, "CurrentBuildNumber", sz(&p.build().to_string()))?;
    h.set(cv, "CurrentBuild", sz(&build_lab))?;
    h.set(cv, "BuildLab", sz(&build_lab))?;
    if spec.sp.0 > 0 {
        h.set(cv, "CSDVersion", sz(&spec.sp.csd_version()))?;
    }
    h.set(cv, "SystemRoot", sz("C:\\WINDOWS"))?;
    h.set(cv, "PathName", sz("C:\\WINDOWS"))?;
    h.set(cv, "CurrentType", sz("Uniprocessor Free"))?;
    h.set(cv, "RegisteredOwner", sz("hotfix"))?;
    h.set(cv, "RegisteredOrganization", sz(""))?;
    h.create_key(&format!("{cv}\\HotFix"))?;
    h.set(
        PROFILE_LIST,
        "ProfilesDirectory",
        Value::ExpandSz(DEFAULT_PROFILES_DIRECTORY.into()),
    )?;
    h.set(PROFILE_LIST, "DefaultUserProfile", sz(DEFAULT_USER_PROFILE))?;
    h.set(PROFILE_LIST, "AllUsersProfile", sz("All Users"))?;
    let wcv = "Microsoft\\Windows\\CurrentVersion";
    h.set(wcv, "ProgramFilesDir", sz("C:\\Program Files"))?;
    h.set(wcv, "CommonFilesDir", sz("C:\\Program Files\\Common Files"))?;
    h.set(wcv, "SystemRoot", sz("C:\\WINDOWS"))?;
    h.create_key(&format!("{wcv}\\Uninstall"))?;
    h.create_key("Microsoft\\Updates")?;
    Ok(h)
}

/// The SYSTEM hive: one control set with the Session Manager values the
/// pending-operations machinery uses, the language and the computer name.
pub(crate) fn system(spec: &GenerateSpec) -> Result<Hive, HiveError> {
    let mut h = Hive::new("$$$PROTO.HIV");
    h.set_file_name("\\SystemRoot\\System32\\Config\\SYSTEM");
    for (name, n) in [
        ("Current", 1),
        ("Default", 1),
        ("LastKnownGood", 2),
        ("Failed", 0),
    ] {
        h.set("Select", name, Value::Dword(n))?;
    }
    let cs = "ControlSet001";
    let sm = format!("{cs}\\{SESSION_MANAGER}");
    h.set(
        &sm,
        "BootExecute",
        Value::MultiSz(vec!["autocheck autochk *".into()]),
    )?;
    let known = format!("{sm}\\KnownDLLs");
    for dll in STOCK_KNOWN_DLLS {
        h.set(&known, dll, sz(&format!("{dll}.dll")))?;
    }
    h.set(
        &known,
        "DllDirectory",
        Value::ExpandSz("%SystemRoot%\\system32".into()),
    )?;
    h.set(
        &format!("{cs}\\Control\\Windows"),
        "CSDVersion",
        Value::Dword(u32::from(spec.sp.0) * 0x100),
    )?;
    let nls = format!("{cs}\\Control\\Nls\\Language");
    let code = spec.language.hive_code();
    h.set(&nls, "InstallLanguage", sz(&code))?;
    h.set(&nls, "Default", sz(&code))?;
    // Setup's default zone for the language: Tokyo for Japanese, Pacific
    // (the US default) otherwise; standard time, as an image at rest has
    // no clock to say whether daylight time is active.
    let (bias, zone): (i32, &str) = if spec.language == hotfix_model::Language::JPN {
        (-540, "東京 (標準時)")
    } else {
        (480, "Pacific Standard Time")
    };
    let tz = format!("{cs}\\{TIME_ZONE_INFORMATION}");
    h.set(&tz, "Bias", Value::Dword(bias as u32))?;
    h.set(&tz, "ActiveTimeBias", Value::Dword(bias as u32))?;
    h.set(&tz, "StandardName", sz(zone))?;
    let name = match spec.product {
        hotfix_model::Product::WindowsXp => "HOTFIX-XP",
        hotfix_model::Product::WindowsServer2003 => "HOTFIX-2003",
    };
    h.set(
        &format!("{cs}\\Control\\ComputerName\\ComputerName"),
        "ComputerName",
        sz(name),
    )?;
    Ok(h)
}

/// A user hive (`DEFAULT` for `HKU\.DEFAULT`, or a profile's NTUSER.DAT):
/// the locale and the keys per-user settings of updates go under.
pub(crate) fn user(spec: &GenerateSpec, file_name: &str) -> Result<Hive, HiveError> {
    let mut h = Hive::new("$$$PROTO.HIV");
    h.set_file_name(file_name);
    h.set(
        "Control Panel\\International",
        "Locale",
        sz(&format!("{:08X}", spec.language.langid())),
    )?;
    h.create_key("Software\\Microsoft\\Windows\\CurrentVersion\\Explorer")?;
    Ok(h)
}

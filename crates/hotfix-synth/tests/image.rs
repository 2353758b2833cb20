//! Generated images: identity, file versions, determinism, the hives as
//! hivex reads them.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use hotfix_dataset::{DEFAULT_DATA, DataSet, base_files};
use hotfix_fs::{Fs, MemFs, OsFs, write_atomic};
use hotfix_hive::{Hive, Value};
use hotfix_image::{Image, ImageError, current_control_set};
use hotfix_model::{Language, Product, SpLevel};
use hotfix_pe::read_version;
use hotfix_synth::{GenerateSpec, generate};

fn data() -> DataSet {
    DataSet::parse(DEFAULT_DATA).unwrap()
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn gen_os(dir: &Path, spec: &GenerateSpec) -> hotfix_synth::GenerateSummary {
    let mut last = (0, 1);
    let summary = generate(&OsFs, dir, spec, &data(), &mut |d, t| last = (d, t)).unwrap();
    assert_eq!(last.0, last.1, "progress reaches the total");
    summary
}

/// The hive value as `/usr/bin/python3` with hivex reads it, or `None` when
/// the oracle is missing (and not required).
fn hivex_value(hive: &Path, key: &str, value: &str) -> Option<String> {
    let script = "import hivex, sys\n\
        h = hivex.Hivex(sys.argv[1])\n\
        n = h.root()\n\
        for part in sys.argv[2].split('\\\\'):\n    n = h.node_get_child(n, part)\n\
        print(h.value_string(h.node_get_value(n, sys.argv[3])))\n";
    match Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(hive)
        .arg(key)
        .arg(value)
        .output()
    {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
        }
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named 'hivex'") => {
            missing()
        }
        Ok(out) => panic!("hivex failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => missing(),
    }
}

fn missing() -> Option<String> {
    hotfix_testutil::oracle_missing("python3-hivex");
    None
}

#[test]
fn xp_sp2_image_reads_back_and_is_deterministic() {
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(2), Language::ENU);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let root = a.path().join("img");
    let summary = gen_os(&root, &spec);
    println!("XP SP2 image: {summary:?}");
    gen_os(b.path(), &spec);
    let (ta, tb) = (tree(&root), tree(b.path()));
    assert_eq!(ta.len(), summary.files);
    assert_eq!(
        ta.values().map(|v| v.len() as u64).sum::<u64>(),
        summary.bytes
    );
    assert!(ta == tb, "same spec gives a byte-identical tree");

    let img = Image::open(&OsFs, &root).unwrap();
    let id = img.identity(&OsFs).unwrap();
    assert_eq!(
        (id.product, id.sp, id.build, id.language),
        (Product::WindowsXp, SpLevel(2), 2600, Language::ENU)
    );
    assert_eq!(id.csd_version, "Service Pack 2");
    assert_eq!(id.product_name, "Microsoft Windows XP");
    assert_eq!(id.system_root, r"C:\WINDOWS");

    let bases = base_files(&data(), Product::WindowsXp, SpLevel(2));
    assert!(bases.len() > 100, "{} base files", bases.len());
    let mut resolver = img.resolver(&OsFs);
    let mut versioned = 0;
    let mut seen = std::collections::HashSet::new();
    for base in &bases {
        // Rows whose destinations differ only in case: the first one is written.
        if !seen.insert(base.dest.to_lowercase()) {
            continue;
        }
        let rel = resolver.resolve_in_windir(&base.dest).unwrap();
        assert!(rel.file_name().eq_ignore_ascii_case(&base.name), "{rel}");
        let bytes = std::fs::read(img.host(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let len = bytes.len() as u64;
        assert!(
            len == base.size || (base.size < 4096 && len < 4096),
            "{rel}: {len} bytes, want {}",
            base.size
        );
        if let Some(v) = base.version {
            let info = read_version(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(info.file_version, v, "{rel}");
            assert_eq!(
                info.file_version_string(),
                Some(base.file_version_string.as_str()),
                "{rel}"
            );
            assert_eq!(
                info.string("OriginalFilename"),
                Some(base.name.as_str()),
                "{rel}"
            );
            versioned += 1;
        }
        if rel
            .parent()
            .is_some_and(|p| p.as_str() == "WINDOWS/system32")
        {
            let cache = std::fs::read(root.join("WINDOWS/system32/dllcache").join(rel.file_name()))
                .unwrap();
            assert!(cache == bytes, "dllcache copy of {rel}");
        }
    }
    assert!(versioned > 100, "{versioned} versioned files checked");

    let software = img.host(&img.software_hive());
    if let Some(csd) = hivex_value(
        &software,
        r"Microsoft\Windows NT\CurrentVersion",
        "CSDVersion",
    ) {
        assert_eq!(csd, "Service Pack 2");
        let lang = hivex_value(
            &img.host(&img.system_hive()),
            r"ControlSet001\Control\Nls\Language",
            "InstallLanguage",
        );
        assert_eq!(lang.as_deref(), Some("0409"));
        let profiles = hivex_value(&software, hotfix_image::PROFILE_LIST, "ProfilesDirectory");
        assert_eq!(
            profiles.as_deref(),
            Some(r"%SystemDrive%\Documents and Settings")
        );
    }
    // The user hives, where ProfileList says the Default User profile is;
    // hivex reads them too.
    let sw = Hive::parse(&std::fs::read(&software).unwrap()).unwrap();
    let users = img.user_hives(&OsFs, &sw);
    let default = users.default.unwrap();
    let ntuser = users.default_user.unwrap();
    assert_eq!(default.as_str(), "WINDOWS/system32/config/DEFAULT");
    assert_eq!(
        ntuser.as_str(),
        "Documents and Settings/Default User/NTUSER.DAT"
    );
    for hive in [default, ntuser] {
        let locale = hivex_value(&img.host(&hive), r"Control Panel\International", "Locale");
        if locale.is_some() {
            assert_eq!(locale.as_deref(), Some("00000409"), "{}", hive.as_str());
        }
    }
}

#[test]
fn server_2003_sp1_in_memory() {
    let fs = MemFs::new();
    let root = Path::new("/img");
    let mut spec = GenerateSpec::new(Product::WindowsServer2003, SpLevel(1), Language::JPN);
    spec.dllcache = false;
    generate(&fs, root, &spec, &data(), &mut |_, _| {}).unwrap();
    let img = Image::open(&fs, root).unwrap();
    let id = img.identity(&fs).unwrap();
    assert_eq!(
        (id.product, id.sp, id.build, id.language),
        (Product::WindowsServer2003, SpLevel(1), 3790, Language::JPN)
    );
    assert_eq!(id.product_name, "Microsoft Windows Server 2003");
    assert!(
        fs.read_dir(&root.join("WINDOWS/system32/dllcache"))
            .unwrap()
            .is_empty()
    );
    let system = Hive::parse(&fs.read(&img.host(&img.system_hive())).unwrap()).unwrap();
    assert_eq!(current_control_set(&system), "ControlSet001");
    let sm = r"ControlSet001\Control\Session Manager";
    assert_eq!(
        system.get(sm, "BootExecute").and_then(Value::as_multi_sz),
        Some(&["autocheck autochk *".to_owned()][..])
    );
    assert_eq!(
        system.get(&format!(r"{sm}\KnownDLLs"), "DllDirectory"),
        Some(&Value::ExpandSz(r"%SystemRoot%\system32".into()))
    );
    assert_eq!(
        system.get(r"ControlSet001\Control\Windows", "CSDVersion"),
        Some(&Value::Dword(0x100))
    );
    // Not into a directory that has something in it.
    let err = generate(&fs, root, &spec, &data(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, ImageError::NotEmpty(_)), "{err}");
}

#[test]
fn rtm_identity_and_errors_name_hive_and_value() {
    let fs = MemFs::new();
    let root = Path::new("/img");
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel::RTM, Language::ENU);
    generate(&fs, root, &spec, &data(), &mut |_, _| {}).unwrap();
    let img = Image::open(&fs, root).unwrap();
    let id = img.identity(&fs).unwrap();
    assert_eq!((id.sp, id.csd_version.as_str()), (SpLevel::RTM, ""));

    let sw_path = img.host(&img.software_hive());
    let mut sw = Hive::parse(&fs.read(&sw_path).unwrap()).unwrap();
    sw.delete_value(r"Microsoft\Windows NT\CurrentVersion", "CurrentBuildNumber")
        .unwrap();
    write_atomic(&fs, &sw_path, &sw.to_bytes().unwrap()).unwrap();
    let err = img.identity(&fs).unwrap_err().to_string();
    assert!(
        err.contains("WINDOWS/system32/config/SOFTWARE") && err.contains("CurrentBuildNumber"),
        "{err}"
    );
    write_atomic(&fs, &sw_path, b"regf but not really").unwrap();
    let err = img.identity(&fs).unwrap_err().to_string();
    assert!(err.contains("SOFTWARE"), "{err}");
}

/// The Default User profile is where SOFTWARE's ProfileList says (a German
/// XP keeps it in `Dokumente und Einstellungen`); a hostile ProfileList
/// makes the hive unusable, with the reason, and never leaves the image.
#[test]
fn user_hives_follow_profile_list() {
    let fs = MemFs::new();
    let root = Path::new("/img");
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(2), Language::ENU);
    generate(&fs, root, &spec, &data(), &mut |_, _| {}).unwrap();
    let img = Image::open(&fs, root).unwrap();
    let mut sw = Hive::parse(&fs.read(&img.host(&img.software_hive())).unwrap()).unwrap();
    let moved = root.join("Dokumente und Einstellungen/Default User");
    hotfix_fs::create_dir_all(&fs, &moved).unwrap();
    write_atomic(&fs, &moved.join("ntuser.dat"), b"regf").unwrap();
    let list = hotfix_image::PROFILE_LIST;
    let dir = |v: &str| Value::ExpandSz(v.into());
    sw.set(
        list,
        "ProfilesDirectory",
        dir(r"%SystemDrive%\Dokumente und Einstellungen"),
    )
    .unwrap();
    let found = img.user_hives(&fs, &sw).default_user.unwrap();
    assert_eq!(
        found.as_str(),
        "Dokumente und Einstellungen/Default User/ntuser.dat"
    );
    sw.set(list, "ProfilesDirectory", dir(r"%SystemDrive%\..\..\etc"))
        .unwrap();
    let refused = img.user_hives(&fs, &sw).default_user.unwrap_err();
    assert!(refused.contains(".."), "{refused}");
    sw.set(list, "ProfilesDirectory", dir(r"C:\Nowhere"))
        .unwrap();
    let missing = img.user_hives(&fs, &sw).default_user.unwrap_err();
    assert_eq!(
        missing,
        r"C:\Nowhere\Default User\NTUSER.DAT does not exist"
    );
}

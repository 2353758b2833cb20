//! Path resolution, `Image::open` and the in-use list, on `OsFs` and `MemFs`.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::Path;

use hotfix_fs::{Fs, MemFs, OsFs, create_dir_all, write_new};
use hotfix_image::{Image, ImageError, in_use, lock_files, unlock_files};

const FILES: &[&str] = &[
    "WINDOWS/system32/config/SOFTWARE",
    "WINDOWS/system32/config/SYSTEM",
    "WINDOWS/system32/shell32.dll",
    "WINDOWS/system32/drivers/tcpip.sys",
    "WINDOWS/Fonts/arial.ttf",
    "Program Files/Common Files/System/ado/msado15.dll",
    "Program Files/Internet Explorer/iexplore.exe",
];

fn populate(fs: &dyn Fs, root: &Path) {
    for f in FILES {
        let p = root.join(f);
        create_dir_all(fs, p.parent().unwrap()).unwrap();
        write_new(fs, &p, b"x").unwrap();
    }
}

fn with_both(test: impl Fn(&dyn Fs, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    populate(&OsFs, dir.path());
    test(&OsFs, dir.path());
    let mem = MemFs::new();
    let root = Path::new("/img");
    populate(&mem, root);
    test(&mem, root);
}

#[test]
fn resolves_every_accepted_form() {
    with_both(|fs, root| {
        let img = Image::open(fs, root).unwrap();
        assert_eq!(img.windir().as_str(), "WINDOWS");
        assert_eq!(
            img.software_hive().as_str(),
            "WINDOWS/system32/config/SOFTWARE"
        );
        assert_eq!(img.system_hive().as_str(), "WINDOWS/system32/config/SYSTEM");
        let shell = "WINDOWS/system32/shell32.dll";
        for p in [
            r"C:\WINDOWS\system32\shell32.dll",
            r"c:\windows\SYSTEM32\Shell32.DLL",
            "c:/windows/system32/shell32.dll",
            r"\??\C:\WINDOWS\system32\shell32.dll",
            r"\\?\C:\WINDOWS\system32\shell32.dll",
            r"\SystemRoot\System32\shell32.dll",
            r"%windir%\system32\shell32.dll",
            r"%SystemRoot%\system32\shell32.dll",
            r"%SystemDrive%\Windows\system32\shell32.dll",
            r"WINDOWS\system32\shell32.dll",
            r"\WINDOWS\system32\\shell32.dll",
        ] {
            assert_eq!(img.resolve(fs, p).unwrap().as_str(), shell, "{p}");
        }
        let ado = "Program Files/Common Files/System/ado/msado15.dll";
        assert_eq!(
            img.resolve(fs, r"%ProgramFiles%\common files\SYSTEM\ADO\msado15.dll")
                .unwrap()
                .as_str(),
            ado
        );
        assert_eq!(
            img.resolve(fs, r"%CommonProgramFiles%\System\ado\MSADO15.DLL")
                .unwrap()
                .as_str(),
            ado
        );
        assert_eq!(
            img.resolve(fs, r"%ProgramFiles%").unwrap().as_str(),
            "Program Files"
        );
        // The missing tail keeps the caller's spelling.
        assert_eq!(
            img.resolve(fs, r"C:\windows\System32\NewDir\New.DLL")
                .unwrap()
                .as_str(),
            "WINDOWS/system32/NewDir/New.DLL"
        );
        assert_eq!(
            img.resolve_in_windir(fs, r"SYSTEM32\Drivers\TCPIP.SYS")
                .unwrap()
                .as_str(),
            "WINDOWS/system32/drivers/tcpip.sys"
        );
        assert_eq!(
            img.resolve_in_windir(fs, r"%ProgramFiles%\Internet Explorer\IEXPLORE.exe")
                .unwrap()
                .as_str(),
            "Program Files/Internet Explorer/iexplore.exe"
        );
        let rel = img.resolve(fs, r"%windir%\system32\shell32.dll").unwrap();
        assert_eq!(img.win_path(&rel), r"C:\WINDOWS\system32\shell32.dll");
        assert_eq!(img.nt_path(&rel), r"\??\C:\WINDOWS\system32\shell32.dll");
        assert_eq!(img.host(&rel), root.join("WINDOWS/system32/shell32.dll"));
        assert_eq!(img.state_dir().dir().as_str(), "WINDOWS/$hotfix$");
        // A resolver reuses listings across lookups.
        let mut r = img.resolver(fs);
        assert_eq!(
            r.resolve(r"c:\windows\fonts\ARIAL.TTF").unwrap().as_str(),
            "WINDOWS/Fonts/arial.ttf"
        );
        assert_eq!(
            r.resolve_in_windir("Fonts").unwrap().as_str(),
            "WINDOWS/Fonts"
        );
    });
}

fn reason(err: ImageError) -> String {
    match err {
        ImageError::HostilePath { reason, .. } => reason,
        other => panic!("expected HostilePath, got {other}"),
    }
}

#[test]
fn refuses_every_hostile_form() {
    with_both(|fs, root| {
        let img = Image::open(fs, root).unwrap();
        for (p, why) in [
            ("", "empty path"),
            (r"D:\WINDOWS\x.dll", "drive D:"),
            (r"\\server\share\x.dll", "UNC"),
            (r"\??\UNC\server\share", "UNC"),
            (r"\\.\PhysicalDrive0", "device path"),
            (r"C:\WINDOWS\..\..\etc\passwd", "\"..\""),
            (r"%windir%\system32\..\..\..\x", "\"..\""),
            (
                r"C:\WINDOWS\system32\shell32.dll:evil",
                "alternate data stream",
            ),
            (r"C:\WINDOWS\CON", "device CON"),
            (r"C:\WINDOWS\nul.txt", "device NUL"),
            (r"C:\WINDOWS\aux", "device AUX"),
            (r"C:\WINDOWS\COM7.log", "device COM7"),
            (r"C:\WINDOWS\lpt1", "device LPT1"),
            (r"C:\WINDOWS\prn.", "ends in"),
            (r"C:\WINDOWS\system32\shell32.dll.", "ends in"),
            (r"C:\WINDOWS\system32\shell32.dll ", "ends in"),
            (r"C:\", "drive root"),
        ] {
            let err = img.resolve(fs, p).expect_err(p);
            let r = reason(err);
            assert!(r.contains(why), "{p:?}: {r}");
        }
        assert!(
            img.resolve(fs, r"C:\WINDOWS\system32\shell32.dll\x")
                .is_err()
        );
    });
}

#[test]
fn refuses_symlink_pointing_outside() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"s").unwrap();
    let dir = tempfile::tempdir().unwrap();
    populate(&OsFs, dir.path());
    std::os::unix::fs::symlink(outside.path(), dir.path().join("WINDOWS/system32/evil")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        dir.path().join("WINDOWS/system32/link.dll"),
    )
    .unwrap();
    let img = Image::open(&OsFs, dir.path()).unwrap();
    for p in [
        r"C:\WINDOWS\system32\evil\secret",
        r"%windir%\SYSTEM32\EVIL",
        r"C:\WINDOWS\system32\link.dll",
    ] {
        let r = reason(img.resolve(&OsFs, p).expect_err(p));
        assert!(r.contains("symbolic link"), "{p}: {r}");
    }
    // A symlinked Windows directory is not an image.
    let linked = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("WINDOWS"), linked.path().join("WINDOWS")).unwrap();
    assert!(matches!(
        Image::open(&OsFs, linked.path()),
        Err(ImageError::NotAnImage { .. })
    ));
}

#[test]
fn refuses_case_ambiguous_directory() {
    with_both(|fs, root| {
        create_dir_all(fs, &root.join("WINDOWS/Help")).unwrap();
        create_dir_all(fs, &root.join("WINDOWS/help")).unwrap();
        let img = Image::open(fs, root).unwrap();
        let r = reason(
            img.resolve(fs, r"C:\WINDOWS\HELP\x.chm")
                .expect_err("ambiguous"),
        );
        assert!(
            r.contains("ambiguous") && r.contains("Help") && r.contains("help"),
            "{r}"
        );
        // Names that match exactly one entry still resolve.
        assert!(img.resolve(fs, r"C:\WINDOWS\Fonts").is_ok());
    });
}

#[test]
fn open_finds_winnt_and_explains_what_is_missing() {
    let fs = MemFs::new();
    let err = Image::open(&fs, Path::new("/nothing"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not exist") && err.contains("hotfix image new"),
        "{err}"
    );
    create_dir_all(&fs, Path::new("/a/WinNT/System32/Config")).unwrap();
    let err = Image::open(&fs, Path::new("/a")).unwrap_err().to_string();
    assert!(err.contains("SOFTWARE"), "{err}");
    write_new(&fs, Path::new("/a/WinNT/System32/Config/software"), b"").unwrap();
    let img = Image::open(&fs, Path::new("/a")).unwrap();
    assert_eq!(img.windir().as_str(), "WinNT");
    assert_eq!(
        img.software_hive().as_str(),
        "WinNT/System32/Config/software"
    );
    assert_eq!(img.system_hive().as_str(), "WinNT/System32/Config/SYSTEM");
    let err = Image::open(&fs, Path::new("/")).unwrap_err().to_string();
    assert!(err.contains("no WINDOWS or WINNT"), "{err}");
}

#[test]
fn in_use_round_trip() {
    with_both(|fs, root| {
        let img = Image::open(fs, root).unwrap();
        assert!(in_use(fs, &img).unwrap().is_empty());
        let locked = lock_files(
            fs,
            &img,
            &[
                r"c:\windows\system32\SHELL32.dll".into(),
                r"%windir%\system32\drivers\tcpip.sys".into(),
            ],
        )
        .unwrap();
        assert_eq!(locked[0].as_str(), "WINDOWS/system32/shell32.dll");
        // Locking twice does not duplicate.
        lock_files(fs, &img, &[r"C:\WINDOWS\system32\shell32.dll".into()]).unwrap();
        let set = in_use(fs, &img).unwrap();
        let want: Vec<&str> = vec![
            "windows/system32/drivers/tcpip.sys",
            "windows/system32/shell32.dll",
        ];
        assert_eq!(set.iter().map(String::as_str).collect::<Vec<_>>(), want);
        let text = fs
            .read_to_string(&root.join("WINDOWS/$hotfix$/inuse.lst"))
            .unwrap();
        assert_eq!(
            text,
            "C:\\WINDOWS\\system32\\shell32.dll\nC:\\WINDOWS\\system32\\drivers\\tcpip.sys\n"
        );
        // Missing files cannot be locked; the list is unchanged.
        let err = lock_files(fs, &img, &[r"C:\WINDOWS\system32\nope.dll".into()]).unwrap_err();
        assert!(matches!(err, ImageError::NotFound { .. }), "{err}");
        assert_eq!(in_use(fs, &img).unwrap().len(), 2);
        let removed =
            unlock_files(fs, &img, &[r"%SystemRoot%\SYSTEM32\shell32.DLL".into()]).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(in_use(fs, &img).unwrap().len(), 1);
        lock_files(fs, &img, &[r"C:\WINDOWS\system32\shell32.dll".into()]).unwrap();
        assert_eq!(unlock_files(fs, &img, &[]).unwrap().len(), 2);
        assert!(in_use(fs, &img).unwrap().is_empty());
    });
}

#[test]
fn in_use_errors_name_the_line() {
    let fs = MemFs::new();
    let root = Path::new("/img");
    populate(&fs, root);
    let img = Image::open(&fs, root).unwrap();
    create_dir_all(&fs, &root.join("WINDOWS/$hotfix$")).unwrap();
    write_new(
        &fs,
        &root.join("WINDOWS/$hotfix$/inuse.lst"),
        b"# comment\n\nC:\\WINDOWS\\system32\\shell32.dll\nD:\\x\n",
    )
    .unwrap();
    let err = in_use(&fs, &img).unwrap_err().to_string();
    assert!(err.contains("line 4") && err.contains("drive D:"), "{err}");
    write_new(
        &fs,
        &root.join("WINDOWS/$hotfix$/inuse.lst"),
        b"C:\\a\n\xff\n",
    )
    .unwrap();
    let err = in_use(&fs, &img).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
}

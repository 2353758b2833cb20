//! The typed update.inf model, read from a hand-written file shaped like a
//! real XP SP2 hotfix's update.inf.

use hotfix_inf::{CmpOp, Condition, CopyFile, DestDir, Inf, InfError, RegData, RegRoot, UpdateInf};
use hotfix_model::FileVersion;

const KB925902: &str = r#"; update.inf for KB925902 (hand-written test sample)
[Version]
Signature = "$Windows NT$"
LanguageType = 0x00000409
NtBuildToUpdate = 2600
NtMajorVersionToUpdate = 5
NtMinorVersionToUpdate = 1
MinNtServicePackVersion = 512
MaxNtServicePackVersion = 512
ThisServicePackVersion = 768

[ProductCatalogsToInstall]
KB925902.cat

[ProductInstall.CopyFilesAlways]
CopyFiles = ProductInstall.CopyFiles.System32, ProductInstall.CopyFiles.DllCache

[ProductInstall.ReplaceFilesIfExist]
CopyFiles = ProductInstall.Optional.Drivers

[ProductInstall.ExtendedConditional]
ConditionInstall = Mshtml.Condition

[ProductInstall.GlobalRegistryChanges]
AddReg = Product.Add.Reg
DelReg = Product.Del.Reg

[DestinationDirs]
ProductInstall.CopyFiles.System32 = 11
ProductInstall.CopyFiles.DllCache = 65619
ProductInstall.Optional.Drivers = 12
Mshtml.Files = 10,"SysWOW64"

[ProductInstall.CopyFiles.System32]
user32.dll
win32k.sys, win32k.sys, , 8

[ProductInstall.CopyFiles.DllCache]
user32.dll

[ProductInstall.Optional.Drivers]
"usbhub.sys", sp2qfe_usbhub.sys

[Mshtml.Condition]
condition = SingleOp, Mshtml.Check
ConditionalOperations = Mshtml.Entry

[Mshtml.Check]
CheckFilever, ProductInstall.CopyFiles.System32, mshtml.dll, >=, 6.0.2900.0

[Mshtml.Entry]
FileOperation = Mshtml.Install

[Mshtml.Install]
CopyFiles = Mshtml.Files

[Mshtml.Files]
mshtml.dll

[Product.Add.Reg]
HKLM,"SOFTWARE\Microsoft\Updates\Windows XP\SP3\%SP_SHORT_TITLE%","Description",0,"%SP_TITLE%"
HKLM,"SOFTWARE\Microsoft\Updates\Windows XP\SP3\%SP_SHORT_TITLE%","Type",0x00010001,1
HKLM,"SYSTEM\CurrentControlSet\Control\Session Manager","Names",0x00010000,"first","second"
HKLM,"SOFTWARE\Test","Blob",0x00000001,de,ad,be,ef
HKLM,"SOFTWARE\Test"

[Product.Del.Reg]
HKLM,"SOFTWARE\Microsoft\Updates\Windows XP\SP3\KB000001"

[Strings]
SP_SHORT_TITLE = "KB925902"
SP_TITLE = "Security Update for Windows XP (KB925902)"
"#;

fn file(section: &str, dirid: u32, target: &str, source: &str, flags: u32) -> CopyFile {
    CopyFile {
        section: section.into(),
        dest: DestDir {
            dirid,
            subdir: None,
        },
        target: target.into(),
        source: source.into(),
        flags,
    }
}

#[test]
fn reads_a_realistic_update_inf() {
    let u = UpdateInf::parse(KB925902.as_bytes()).unwrap();
    assert_eq!(u.signature, "$Windows NT$");
    assert_eq!(u.nt_build_to_update, Some(2600));
    assert_eq!((u.nt_major, u.nt_minor), (Some(5), Some(1)));
    assert_eq!((u.min_sp, u.max_sp), (Some(512), Some(512)));
    assert_eq!(u.language_type, Some(1033));
    assert_eq!(u.short_title, "KB925902");
    assert_eq!(
        u.title.as_deref(),
        Some("Security Update for Windows XP (KB925902)")
    );
    assert_eq!(u.strings.len(), 2);

    let sys32 = "ProductInstall.CopyFiles.System32";
    let cache = "ProductInstall.CopyFiles.DllCache";
    assert_eq!(
        u.copy_always,
        vec![
            file(sys32, 11, "user32.dll", "user32.dll", 0),
            file(sys32, 11, "win32k.sys", "win32k.sys", 8),
            file(cache, 65619, "user32.dll", "user32.dll", 0),
        ]
    );
    assert_eq!(
        u.replace_if_exist,
        vec![file(
            "ProductInstall.Optional.Drivers",
            12,
            "usbhub.sys",
            "sp2qfe_usbhub.sys",
            0
        )]
    );

    assert_eq!(u.conditionals.len(), 1);
    let c = &u.conditionals[0];
    assert_eq!(
        c.condition,
        Condition::CheckFilever {
            section: sys32.into(),
            file: "mshtml.dll".into(),
            op: CmpOp::Ge,
            version: Some(FileVersion::new(6, 0, 2900, 0)),
        }
    );
    assert_eq!(c.copy_files.len(), 1);
    assert_eq!(
        c.copy_files[0].dest,
        DestDir {
            dirid: 10,
            subdir: Some("SysWOW64".into())
        }
    );

    let key = "SOFTWARE\\Microsoft\\Updates\\Windows XP\\SP3\\KB925902";
    let data: Vec<_> = u.add_reg.iter().map(|r| r.data.clone()).collect();
    assert_eq!(
        data,
        vec![
            RegData::Sz("Security Update for Windows XP (KB925902)".into()),
            RegData::Dword(1),
            RegData::MultiSz(vec!["first".into(), "second".into()]),
            RegData::Binary(vec![0xde, 0xad, 0xbe, 0xef]),
            RegData::None,
        ]
    );
    let first = &u.add_reg[0];
    assert_eq!((first.root, first.key.as_str()), (RegRoot::Hklm, key));
    assert_eq!(first.value_name.as_deref(), Some("Description"));
    assert_eq!(first.line, 61);
    assert_eq!(u.add_reg[1].flags, 0x0001_0001);
    assert_eq!(u.add_reg[4].value_name, None);
    assert_eq!(u.del_reg.len(), 1);
    assert_eq!(u.del_reg[0].data, RegData::None);

    // The written text reads back the same (line numbers aside).
    let again = UpdateInf::parse(u.to_text().as_bytes()).unwrap();
    let strip = |mut u: UpdateInf| {
        u.add_reg
            .iter_mut()
            .chain(u.del_reg.iter_mut())
            .for_each(|r| r.line = 0);
        u
    };
    assert_eq!(strip(again), strip(u));
}

#[test]
fn and_or_conditions_and_check_reg() {
    let text = r#"[Version]
Signature="$Windows NT$"
[ProductInstall.ExtendedConditional]
ConditionInstall=C
[DestinationDirs]
DefaultDestDir=11
[C]
condition=SingleOp,Ops.A
condition=OrOp,Ops.B
ConditionalOperations=E
[Ops.A]
CheckFilever,Files,a.dll,,
CheckFilever,Files,b.dll,<,5.1.2600.1000
[Ops.B]
CheckReg,HKLM,"SOFTWARE\Foo",Installed,=,1
[E]
FileOperation=I
[I]
CopyFiles=Files
[Files]
a.dll
[Strings]
SP_SHORT_TITLE=KB1
"#;
    let u = UpdateInf::parse(text.as_bytes()).unwrap();
    let c = &u.conditionals[0];
    let Condition::Or(list) = &c.condition else {
        panic!("{:?}", c.condition)
    };
    assert!(matches!(&list[0], Condition::And(v) if v.len() == 2));
    assert!(
        matches!(&list[0], Condition::And(v) if matches!(v[0], Condition::CheckFilever { op: CmpOp::Exists, version: None, .. }))
    );
    assert_eq!(
        list[1],
        Condition::CheckReg {
            root: RegRoot::Hklm,
            key: "SOFTWARE\\Foo".into(),
            value_name: Some("Installed".into()),
            op: CmpOp::Eq,
            expected: Some("1".into()),
        }
    );
    assert_eq!(c.copy_files[0].dest.dirid, 11);
}

#[test]
fn model_errors_name_the_line() {
    let base = "[Version]\nSignature=\"$Windows NT$\"\n[Strings]\nSP_SHORT_TITLE=KB1\n";
    let no_dest = format!("{base}[ProductInstall.CopyFilesAlways]\nCopyFiles=F\n[F]\na.dll\n");
    assert!(matches!(
        UpdateInf::parse(no_dest.as_bytes()),
        Err(InfError::Invalid { line: 7, .. })
    ));
    let missing = format!("{base}[ProductInstall.CopyFilesAlways]\nCopyFiles=Nope\n");
    assert_eq!(
        UpdateInf::parse(missing.as_bytes()).unwrap_err(),
        InfError::MissingSection {
            line: 6,
            section: "Nope".into()
        }
    );
    let bad_num = format!("{base}[Version]\nNtBuildToUpdate=abc\n");
    assert!(matches!(
        UpdateInf::parse(bad_num.as_bytes()),
        Err(InfError::Invalid { line: 6, .. })
    ));
    let bad_reg = format!("{base}[Product.Add.Reg]\nHKR,foo,bar,0x10001,zz\n");
    assert_eq!(
        UpdateInf::parse(bad_reg.as_bytes()).unwrap_err(),
        InfError::Invalid {
            line: 6,
            problem: "unknown registry root \"HKR\"".into()
        }
    );
    let bad_dword = format!("{base}[Product.Add.Reg]\nHKLM,foo,bar,0x10001,zz\n");
    assert!(matches!(
        UpdateInf::parse(bad_dword.as_bytes()),
        Err(InfError::Invalid { line: 6, .. })
    ));
    let no_sig = "[Strings]\nSP_SHORT_TITLE=KB1\n";
    assert_eq!(
        UpdateInf::parse(no_sig.as_bytes()).unwrap_err(),
        InfError::Missing {
            section: "Version".into(),
            key: "Signature".into()
        }
    );
    let inf = Inf::parse(b"[Version]\nSignature=x\n").unwrap();
    assert!(matches!(
        UpdateInf::from_inf(&inf),
        Err(InfError::Missing { .. })
    ));
}

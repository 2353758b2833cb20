//! Where each file of an update lands on the system.
//!
//! Tables give only a name, so the destination is chosen by rules, first
//! match wins:
//!
//! 1. Rows in an `ASMS\...` subfolder are side-by-side assemblies. They land
//!    in a WinSxS-like path: `WinSxS\` plus the path below `ASMS`, lower case
//!    (`WinSxS\60\msft\windows\common\controls\comctl32.dll`). The real store
//!    names folders by assembly identity, which the tables do not give.
//! 2. Known names ([`BY_NAME`]): files that live in `%windir%` itself
//!    (`explorer.exe`, `hh.exe`), under Program Files (Internet Explorer,
//!    Outlook Express, Windows Media Player, NetMeeting, Messenger, MDAC,
//!    FrontPage Server Extensions), in `inetsrv`, `AppPatch` or Help Center.
//! 3. Version families that are whole products of their own: .NET Framework
//!    builds (1.0.3705, 1.1.4322, 2.0.50727) go to their framework folder,
//!    SharePoint Services 3.0 builds (12.x) to its `BIN` folder.
//! 4. By extension ([`BY_EXTENSION`]): `.sys` drivers, `.sdb` shim databases,
//!    fonts, INFs, help files.
//! 5. Everything else (dll, exe, ocx, cpl, tlb, ax, acm, drv, scr, mui, ime,
//!    tsp, and data files we know nothing better about) goes to `system32`.
//!
//! Update.exe's own helpers (`spuninst.exe`, `updspapi.dll`, `arpidfix.exe`)
//! fall under rule 5 too; the installer decides whether to copy them.

use hotfix_model::FileVersion;

const IE: &str = "%ProgramFiles%\\Internet Explorer";
const OE: &str = "%ProgramFiles%\\Outlook Express";
const WMP: &str = "%ProgramFiles%\\Windows Media Player";
const SYSTEM: &str = "%ProgramFiles%\\Common Files\\System";
const FPSE: &str = "%ProgramFiles%\\Common Files\\Microsoft Shared\\web server extensions\\50";
const FPSE_ISAPI: &str =
    "%ProgramFiles%\\Common Files\\Microsoft Shared\\web server extensions\\50\\isapi";
const TEXTCONV: &str = "%ProgramFiles%\\Common Files\\Microsoft Shared\\TextConv";
const ADO: &str = "%ProgramFiles%\\Common Files\\System\\ado";
const MSADC: &str = "%ProgramFiles%\\Common Files\\System\\msadc";
const OLE_DB: &str = "%ProgramFiles%\\Common Files\\System\\Ole DB";
const INETSRV: &str = "system32\\inetsrv";
const NET_1_1: &str = "Microsoft.NET\\Framework\\v1.1.4322";

/// Directory (relative to `%windir%`, or a `%ProgramFiles%` path) of files
/// known by name, lower case.
const BY_NAME: &[(&str, &str)] = &[
    // %windir% itself
    ("explorer.exe", ""),
    ("regedit.exe", ""),
    ("hh.exe", ""),
    ("notepad.exe", ""),
    ("twunk_16.exe", ""),
    ("twunk_32.exe", ""),
    ("winhelp.exe", ""),
    ("winhlp32.exe", ""),
    ("taskman.exe", ""),
    // kernel-mode files that live in system32, not drivers
    ("win32k.sys", "system32"),
    // Internet Explorer
    ("iexplore.exe", IE),
    ("iedw.exe", IE),
    ("ieproxy.dll", IE),
    ("hmmapi.dll", IE),
    // Outlook Express and the address book
    ("msimn.exe", OE),
    ("msoe.dll", OE),
    ("msoeres.dll", OE),
    ("oeimport.dll", OE),
    ("oemig50.exe", OE),
    ("oemiglib.dll", OE),
    ("setup50.exe", OE),
    ("wab.exe", OE),
    ("wabmig.exe", OE),
    ("wabfind.dll", OE),
    ("wabimp.dll", OE),
    ("wab32.dll", SYSTEM),
    ("wab32res.dll", SYSTEM),
    // Windows Media Player
    ("wmplayer.exe", WMP),
    ("mplayer2.exe", WMP),
    ("npdsplay.dll", WMP),
    // NetMeeting, Messenger, accessories
    ("conf.exe", "%ProgramFiles%\\NetMeeting"),
    ("msmsgs.exe", "%ProgramFiles%\\Messenger"),
    ("msgsc.dll", "%ProgramFiles%\\Messenger"),
    ("wordpad.exe", "%ProgramFiles%\\Windows NT\\Accessories"),
    ("hypertrm.dll", "%ProgramFiles%\\Windows NT"),
    ("mswrd6.wpc", TEXTCONV),
    ("mswrd632.wpc", TEXTCONV),
    ("mswrd8.wpc", TEXTCONV),
    (
        "vgx.dll",
        "%ProgramFiles%\\Common Files\\Microsoft Shared\\VGX",
    ),
    // MDAC
    ("msado15.dll", ADO),
    ("msadomd.dll", ADO),
    ("msadox.dll", ADO),
    ("msadrh15.dll", ADO),
    ("msjro.dll", ADO),
    ("msadce.dll", MSADC),
    ("msadco.dll", MSADC),
    ("msadcs.dll", MSADC),
    ("msadds.dll", MSADC),
    ("msdaprst.dll", MSADC),
    ("msdaora.dll", OLE_DB),
    ("msdasql.dll", OLE_DB),
    ("oledb32.dll", OLE_DB),
    ("sqloledb.dll", OLE_DB),
    ("sqlxmlx.dll", OLE_DB),
    // FrontPage 2002 Server Extensions
    (
        "admin.dll",
        "%ProgramFiles%\\Common Files\\Microsoft Shared\\web server extensions\\50\\isapi\\_vti_adm",
    ),
    (
        "author.dll",
        "%ProgramFiles%\\Common Files\\Microsoft Shared\\web server extensions\\50\\isapi\\_vti_aut",
    ),
    ("shtml.dll", FPSE_ISAPI),
    ("cfgwiz.exe", FPSE),
    ("fpcount.exe", FPSE),
    ("owsadm.exe", FPSE),
    ("owsrmadm.exe", FPSE),
    ("fp5amsft.dll", FPSE),
    ("fp5autl.dll", FPSE),
    ("fp5avss.dll", FPSE),
    ("fp5awel.dll", FPSE),
    ("fpadmdll.dll", FPSE),
    ("fpexedll.dll", FPSE),
    ("fpmmc.dll", FPSE),
    // IIS
    ("asp.dll", INETSRV),
    ("asp.hp.dll", INETSRV),
    ("httpext.dll", INETSRV),
    ("infocomm.dll", INETSRV),
    ("w3svc.dll", INETSRV),
    ("adsiis.dll", INETSRV),
    ("smtpsvc.dll", INETSRV),
    ("nntpsvc.dll", INETSRV),
    ("nntpfs.dll", INETSRV),
    // compatibility shims, Help Center, ADAM, Media Services
    ("aclayers.dll", "AppPatch"),
    ("acgenral.dll", "AppPatch"),
    ("acspecfc.dll", "AppPatch"),
    ("acxtrnal.dll", "AppPatch"),
    ("helpctr.exe", "pchealth\\helpctr\\binaries"),
    ("hscupd.exe", "pchealth\\helpctr\\binaries"),
    ("adamdsa.dll", "ADAM"),
    ("wmsserver.dll", "system32\\windows media\\server"),
    // .NET 1.1 files without a version of their own, or with a foreign one
    ("netfxupdate.exe", NET_1_1),
    ("installsqlstate.sql", NET_1_1),
    ("installpersistsqlstate.sql", NET_1_1),
    ("installsqlstatetemplate.sql", NET_1_1),
    ("uninstallsqlstatetemplate.sql", NET_1_1),
    (
        "smartnav.js",
        "Microsoft.NET\\Framework\\v1.1.4322\\ASP.NETClientFiles",
    ),
    (
        "webuivalidation.js",
        "Microsoft.NET\\Framework\\v1.1.4322\\ASP.NETClientFiles",
    ),
];

/// Directory of files by extension, lower case.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("sys", "system32\\drivers"),
    ("sdb", "AppPatch"),
    ("ttf", "Fonts"),
    ("ttc", "Fonts"),
    ("fon", "Fonts"),
    ("inf", "inf"),
    ("pnf", "inf"),
    ("chm", "Help"),
    ("hlp", "Help"),
    ("cnt", "Help"),
];

/// .NET Framework builds: (major, minor, build) and folder.
const FRAMEWORKS: &[((u16, u16, u16), &str)] = &[
    ((1, 0, 3705), "Microsoft.NET\\Framework\\v1.0.3705"),
    ((1, 1, 4322), NET_1_1),
    ((2, 0, 50727), "Microsoft.NET\\Framework\\v2.0.50727"),
];

/// The destination of a file: relative to `%windir%` with `\`, or a path
/// starting with `%ProgramFiles%\`. The file name is lower-cased.
pub(crate) fn destination(
    name: &str,
    version: Option<FileVersion>,
    subfolder: Option<&str>,
) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some(asms) = subfolder.and_then(below_asms) {
        return format!("WinSxS\\{}\\{lower}", asms.to_ascii_lowercase());
    }
    let dir = directory(&lower, version);
    if dir.is_empty() {
        lower
    } else {
        format!("{dir}\\{lower}")
    }
}

fn directory(lower: &str, version: Option<FileVersion>) -> &'static str {
    if let Some((_, dir)) = BY_NAME.iter().find(|(n, _)| *n == lower) {
        return dir;
    }
    if let Some(v) = version {
        if let Some((_, dir)) = FRAMEWORKS
            .iter()
            .find(|(f, _)| *f == (v.major, v.minor, v.build))
        {
            return dir;
        }
        if v.major == 12 {
            return "%ProgramFiles%\\Common Files\\Microsoft Shared\\web server extensions\\12\\BIN";
        }
    }
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("system32", |(_, dir)| dir)
}

/// The part of a subfolder below a leading `ASMS\`, if it has one.
fn below_asms(subfolder: &str) -> Option<&str> {
    let (head, rest) = subfolder.split_once('\\')?;
    (head.eq_ignore_ascii_case("asms") && !rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<FileVersion> {
        s.parse().ok()
    }

    #[test]
    fn rules_pick_the_expected_folders() {
        let d = |n, ver, sub| destination(n, v(ver), sub);
        assert_eq!(
            d("Shell32.dll", "6.0.2900.3051", None),
            "system32\\shell32.dll"
        );
        assert_eq!(
            d("Tcpip.sys", "5.1.2600.2", Some("IP")),
            "system32\\drivers\\tcpip.sys"
        );
        assert_eq!(d("Explorer.exe", "6.0.2900.1", None), "explorer.exe");
        assert_eq!(d("Sysmain.sdb", "", None), "AppPatch\\sysmain.sdb");
        assert_eq!(
            d("iexplore.exe", "7.0.6000.1", None),
            "%ProgramFiles%\\Internet Explorer\\iexplore.exe"
        );
        assert_eq!(
            d("Msoe.dll", "6.0.2900.1", None),
            "%ProgramFiles%\\Outlook Express\\msoe.dll"
        );
        assert_eq!(
            d(
                "Comctl32.dll",
                "6.0.2900.2982",
                Some("ASMS\\60\\MSFT\\WINDOWS\\COMMON\\CONTROLS")
            ),
            "WinSxS\\60\\msft\\windows\\common\\controls\\comctl32.dll"
        );
        assert_eq!(
            d("System.web.dll", "1.1.4322.1085", None),
            "Microsoft.NET\\Framework\\v1.1.4322\\system.web.dll"
        );
        assert_eq!(
            d("Imekr61.ime", "6.1.2600.3", Some("LANG")),
            "system32\\imekr61.ime"
        );
        assert!(d("Stsadm.exe", "12.0.6036.5000", None).starts_with("%ProgramFiles%\\"));
    }
}

//! Independent cabinet readers accept synthesized packages: `cabextract -t`
//! and `7z t` on the self-extractor and on the plain cabinet, `gcab -t` on
//! the cabinet part of the self-extractor (cut with `tail -c +N`); `b3sum`
//! recomputes update.ver's digests.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::Path;
use std::process::Command;

use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_synth::{SynthOptions, synth};

fn run(cmd: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

#[test]
fn cab_tools_accept_synthesized_packages() {
    let tools = ["cabextract", "gcab", "7z"].map(hotfix_testutil::have_tool);
    if tools.iter().all(|t| !t) {
        return;
    }
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for kb in ["KB834707", "KB839645", "KB893086"] {
        let update = data.find(&kb.parse().unwrap()).unwrap();
        let sfx = synth(update, &SynthOptions::default()).unwrap();
        let plain_opts = SynthOptions {
            sfx: false,
            ..SynthOptions::default()
        };
        let plain = synth(update, &plain_opts).unwrap();
        std::fs::write(dir.path().join(&sfx.file_name), &sfx.bytes).unwrap();
        std::fs::write(dir.path().join(&plain.file_name), &plain.bytes).unwrap();
        let offset = hotfix_cab::find_cabinet(&sfx.bytes).unwrap();
        let files = update.files.len() + 2;
        if tools[0] {
            for name in [&sfx.file_name, &plain.file_name] {
                let out = run("cabextract", &["-t", name], dir.path());
                assert!(out.contains("All done, no errors"), "{out}");
                assert_eq!(out.matches("  OK  ").count(), files, "{out}");
            }
        }
        if tools[1] {
            let cut = dir.path().join("part.cab");
            let script = format!(
                "tail -c +{} '{}' > '{}'",
                offset + 1,
                sfx.file_name,
                cut.display()
            );
            run("sh", &["-c", &script], dir.path());
            assert_eq!(std::fs::read(&cut).unwrap(), sfx.bytes[offset..]);
            let listed = run("gcab", &["-t", "part.cab"], dir.path());
            assert_eq!(listed.lines().count(), files, "{listed}");
            run("gcab", &["-t", &plain.file_name], dir.path());
            // gcab -t only lists; extracting also decompresses every block.
            let out = dir.path().join(format!("gcab-{kb}"));
            std::fs::create_dir(&out).unwrap();
            run(
                "gcab",
                &["-x", "-C", out.to_str().unwrap(), "part.cab"],
                dir.path(),
            );
            let ver = std::fs::read(out.join("update").join("update.ver")).unwrap();
            assert!(ver.starts_with(b"; update.ver"));
        }
        if tools[2] {
            for name in [&sfx.file_name, &plain.file_name] {
                let out = run("7z", &["t", name], dir.path());
                assert!(out.contains("Everything is Ok"), "{out}");
            }
        }
    }
}

/// update.ver's digests are standard BLAKE3: `b3sum` over the files
/// `cabextract` takes out of the package gives the same digests.
#[test]
fn b3sum_agrees_with_update_ver() {
    if !hotfix_testutil::have_tool("cabextract") || !hotfix_testutil::have_tool("b3sum") {
        return;
    }
    let data = DataSet::parse(DEFAULT_DATA).unwrap();
    let update = data.find(&"KB893086".parse().unwrap()).unwrap();
    let pkg = synth(update, &SynthOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(&pkg.file_name), &pkg.bytes).unwrap();
    run("cabextract", &["-q", "-d", "x", &pkg.file_name], dir.path());
    let ver = std::fs::read_to_string(dir.path().join("x/update/update.ver")).unwrap();
    assert!(ver.contains("Format=hotfix-2\r\n"), "{ver}");
    let listed: Vec<(String, String)> = ver
        .lines()
        .skip_while(|l| *l != "[SourceFileInfo]")
        .filter(|l| !l.starts_with(';') && !l.starts_with('['))
        .map(|l| {
            let (path, value) = l.rsplit_once('=').unwrap();
            let digest = value.split(',').next().unwrap();
            (path.replace('\\', "/"), digest.to_owned())
        })
        .collect();
    assert_eq!(listed.len(), update.files.len() + 1, "{ver}");
    let paths: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
    let mut args = vec!["--no-names"];
    args.extend(&paths);
    let sums = run("b3sum", &args, &dir.path().join("x"));
    let theirs: Vec<&str> = sums.lines().collect();
    let ours: Vec<&str> = listed.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(theirs, ours);
}

//! A transaction refuses, while it is planned, a path Linux cannot name:
//! nothing outside the staging area has changed when it says so.

use std::path::Path;

use hotfix_fs::{Fs, MemFs, create_dir_all};
use hotfix_txn::{Preserve, RelPath, StateDir, Txn};

const ROOT: &str = "/img";

fn rel(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

#[test]
fn over_long_names_and_paths_are_refused_while_planning() {
    let fs = MemFs::new();
    create_dir_all(&fs, &Path::new(ROOT).join("WINDOWS/$hotfix$")).unwrap();
    for ok in ["WINDOWS/ok0.dll", "WINDOWS/ok1.dll"] {
        hotfix_fs::write_new(&fs, &Path::new(ROOT).join(ok), b"old").unwrap();
    }
    let sd = StateDir::new(Path::new(ROOT), rel("WINDOWS/$hotfix$"));
    let mut tx = Txn::begin(&fs, &sd, "t", "test").unwrap();
    let staged = tx.stage(b"x").unwrap();
    let long_name = format!("WINDOWS/{}", "n".repeat(256));
    let long_path = format!("WINDOWS/{}", vec!["d".repeat(200); 21].join("/"));
    for (i, target) in [&long_name, &long_path].into_iter().enumerate() {
        let e = tx.put(&rel(target), &staged, vec![]).unwrap_err();
        assert!(e.to_string().contains("_MAX"), "{e}");
        let e = tx.remove(&rel(target), None).unwrap_err();
        assert!(e.to_string().contains("_MAX"), "{e}");
        let e = tx.link(&staged.path, &rel(target)).unwrap_err();
        assert!(e.to_string().contains("_MAX"), "{e}");
        let keep = Preserve {
            path: rel(target),
            keep: true,
        };
        let e = tx
            .put(&rel(&format!("WINDOWS/ok{i}.dll")), &staged, vec![keep])
            .unwrap_err();
        assert!(e.to_string().contains("_MAX"), "{e}");
    }
    tx.abort().unwrap();
    for ok in ["WINDOWS/ok0.dll", "WINDOWS/ok1.dll"] {
        assert_eq!(fs.read(&Path::new(ROOT).join(ok)).unwrap(), b"old");
    }
}

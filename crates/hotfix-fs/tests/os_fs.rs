//! The real backend on a temporary directory.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use hotfix_fs::{Fs, LockAttempt, OsFs, create_dir_all, remove_tree, write_atomic};

#[test]
fn atomic_write_dirs_links_and_tree_removal() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = OsFs;
    let d = tmp.path().join("a/b/c");
    let made = create_dir_all(&fs, &d).unwrap();
    assert_eq!(made.len(), 3);
    write_atomic(&fs, &d.join("f"), b"one").unwrap();
    write_atomic(&fs, &d.join("f"), b"two").unwrap();
    assert_eq!(fs.read(&d.join("f")).unwrap(), b"two");
    fs.hard_link(&d.join("f"), &d.join("g")).unwrap();
    assert_eq!(fs.metadata(&d.join("f")).unwrap().nlink, 2);
    let names: Vec<_> = fs
        .read_dir(&d)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["f", "g"]);
    assert!(fs.free_space(tmp.path()).unwrap() > 0);
    remove_tree(&fs, &tmp.path().join("a")).unwrap();
    assert!(!fs.exists(&tmp.path().join("a")));
}

#[test]
fn second_lock_is_busy_until_the_first_is_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("lock");
    let first = match OsFs.try_lock(&path).unwrap() {
        LockAttempt::Acquired(g) => g,
        LockAttempt::Busy => panic!("fresh lock busy"),
    };
    assert!(matches!(OsFs.try_lock(&path).unwrap(), LockAttempt::Busy));
    drop(first);
    assert!(matches!(
        OsFs.try_lock(&path).unwrap(),
        LockAttempt::Acquired(_)
    ));
}

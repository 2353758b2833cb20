//! `Txn::stage_all`: files staged from several threads come back in the
//! order given with the bytes their fill wrote; a failing fill is reported
//! as the first failure in order; a step-numbering filesystem gets the same
//! steps in the same order on every run.

use std::io::{self, Write};
use std::path::Path;

use hotfix_fs::{FaultFs, Fs, MemFs, create_dir_all};
use hotfix_txn::{Fill, RelPath, StateDir, Txn};

const ROOT: &str = "/img";

fn sd() -> StateDir {
    StateDir::new(Path::new(ROOT), RelPath::new("WINDOWS/$hotfix$").unwrap())
}

fn fs() -> MemFs {
    let fs = MemFs::new();
    create_dir_all(&fs, &Path::new(ROOT).join("WINDOWS/$hotfix$")).unwrap();
    fs
}

/// Bytes of file `i`: distinct lengths and contents.
fn content(i: usize) -> Vec<u8> {
    vec![i as u8; 1000 + 37 * i]
}

type BoxedFill = Box<dyn Fn(&mut dyn Write) -> io::Result<()> + Sync>;

fn fills(fail_at: &'static [usize]) -> Vec<BoxedFill> {
    (0..64)
        .map(|i| {
            Box::new(move |w: &mut dyn Write| {
                if fail_at.contains(&i) {
                    return Err(io::Error::other(format!("fill {i} failed")));
                }
                w.write_all(&content(i))
            }) as BoxedFill
        })
        .collect()
}

fn stage(fs: &dyn Fs, fail_at: &'static [usize]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut txn = Txn::begin(fs, &sd(), "t", "test").unwrap();
    let boxed = fills(fail_at);
    let refs: Vec<Fill<'_>> = boxed.iter().map(|f| &**f as Fill<'_>).collect();
    let staged = txn.stage_all(&refs).map_err(|e| e.to_string())?;
    Ok(staged
        .iter()
        .map(|s| {
            let bytes = fs.read(&sd().host(&s.path)).unwrap();
            (s.path.as_str().to_owned(), bytes)
        })
        .collect())
}

#[test]
fn staged_files_come_back_in_order_with_their_bytes() {
    assert!(
        MemFs::new().concurrent_writes(),
        "the test must cover threads"
    );
    let fs = fs();
    let staged = stage(&fs, &[]).unwrap();
    assert_eq!(staged.len(), 64);
    for (i, (path, bytes)) in staged.iter().enumerate() {
        assert_eq!(*bytes, content(i), "{path}");
    }
    let paths: std::collections::BTreeSet<_> = staged.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(paths.len(), 64, "every file has its own staging path");
}

#[test]
fn a_failing_fill_fails_the_whole_staging_naming_it() {
    let err = stage(&fs(), &[9]).unwrap_err();
    assert!(err.contains("fill 9 failed"), "{err}");
    // Two failures, one late in the list (another thread's share): the
    // first in order is the one reported, whichever thread failed first.
    let err = stage(&fs(), &[9, 40]).unwrap_err();
    assert!(err.contains("fill 9 failed"), "{err}");
    let err = stage(&fs(), &[40, 63]).unwrap_err();
    assert!(err.contains("fill 40 failed"), "{err}");
}

#[test]
fn a_step_counting_filesystem_stages_in_the_same_order_every_time() {
    let trace = || {
        let fs = FaultFs::new(fs());
        assert!(!fs.concurrent_writes());
        fs.record_trace();
        stage(&fs, &[]).unwrap();
        fs.trace()
    };
    assert_eq!(trace(), trace());
}

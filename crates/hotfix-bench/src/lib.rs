//! `hotfix bench`: `hotfix sp install` (durable) against `cp -a && sync` and
//! `dpkg -i` of the same files, in one run, over several rounds in a rotated
//! order (medians reported), plus hotfix's growth with the file count. Each
//! contender runs as a child under `/usr/bin/time -v` (when present) for its
//! peak RSS; `sync` runs before each so no one pays for another's dirty
//! pages.
//!
//! dpkg runs unprivileged in a private root:
//! `dpkg --root=R --force-not-root --force-all --log=/dev/null -i x.deb`,
//! with `R/var/lib/dpkg/{status,info,updates}` created empty first; the
//! package is built with `dpkg-deb -Znone --build` (no compression, as our
//! cabinet stores).
//!
//! A library so that the installer's binary only wires it up: `hotfix bench`
//! calls [`run`], which runs the installer as `hotfix sp install` children
//! of the current executable.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Args;
use hotfix_dataset::{DEFAULT_DATA, DataSet};
use hotfix_fs::{Fs, OsFs, create_dir_all, remove_tree, write_atomic};
use hotfix_image::ImageError;
use hotfix_model::{Language, Product, SpLevel};
use hotfix_package::{Package, PackageError};
use hotfix_synth::{GenerateSpec, SpSpec, generate, synth_sp};

/// Why the benchmark failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The generated image could not be written.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The synthesized service pack did not open.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

impl BenchError {
    fn msg(m: impl Into<String>) -> Self {
        Self::Other(m.into())
    }
}

/// `hotfix bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Payload files (the real SP2 has about 2,000).
    #[arg(long, default_value_t = 2000)]
    files: usize,
    /// Size factor for the payload bytes (1.0 = about 270 MB for 2,000 files).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Working directory (default: a new one under the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Skip the 500 / 2,000 / 8,000-file growth runs.
    #[arg(long)]
    no_growth: bool,
    /// Side-by-side rounds; each runs the three contenders in a rotated
    /// order, and the table gives medians.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// One measured run.
struct Run {
    seconds: f64,
    rss_kb: Option<u64>,
}

fn err(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::msg(format!("bench: {what}: {e}"))
}

/// Runs `program args` (under `/usr/bin/time -v` when available).
fn measure(program: &str, args: &[&str]) -> Result<Run, BenchError> {
    sync()?;
    let timer = Path::new("/usr/bin/time").exists();
    let mut cmd = if timer {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args);
    let started = Instant::now();
    let out = cmd.output().map_err(|e| err(program, e))?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(BenchError::msg(format!(
            "bench: {program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let rss_kb = String::from_utf8_lossy(&out.stderr).lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes):")
            .and_then(|v| v.trim().parse().ok())
    });
    Ok(Run { seconds, rss_kb })
}

fn sync() -> Result<(), BenchError> {
    Command::new("sync").status().map_err(|e| err("sync", e))?;
    Ok(())
}

fn own_peak_rss_kb() -> Option<u64> {
    let status = OsFs.read_to_string(Path::new("/proc/self/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix("VmHWM:")
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    })
}

/// An SP1 image, the SP2 package for `files` files, and the payload laid
/// out as it lands in the image (for cp and dpkg); refused up front when
/// the disk cannot hold them and `copies` side-by-side rounds. Returns
/// (image, package, tree, payload bytes).
fn prepare(
    dir: &Path,
    files: usize,
    scale: f64,
    copies: u64,
) -> Result<(PathBuf, PathBuf, PathBuf, u64), BenchError> {
    let fs = OsFs;
    let data = DataSet::parse(DEFAULT_DATA).map_err(|e| err("data set", e))?;
    let sp = synth_sp(
        &data,
        &SpSpec {
            product: Product::WindowsXp,
            sp: 2,
            language: Language::ENU,
            scale: scale * files as f64 / 2000.0,
            files: Some(files),
        },
    )
    .map_err(|e| err("synth-sp", e))?;
    // Nothing is deleted before the end: the package, the payload tree, the
    // image and one more payload (the growth run's install into the image,
    // or the side-by-side .deb), then per round an image with the payload
    // installed, a copy and a dpkg root.
    let p = sp.payload_bytes;
    let needed = 3 * p + IMAGE_BYTES + copies * (IMAGE_BYTES + 3 * p);
    ensure_space(dir, needed, &format!("the {files}-file run"))?;
    let image = dir.join("image");
    let spec = GenerateSpec::new(Product::WindowsXp, SpLevel(1), Language::ENU);
    generate(&fs, &image, &spec, &data, &mut |_, _| {})?;
    let pkg_path = dir.join(&sp.file_name);
    write_atomic(&fs, &pkg_path, &sp.bytes).map_err(|e| err("write package", e))?;
    let pkg = Package::open(sp.bytes, &sp.file_name)?;
    let tree = dir.join("tree");
    for c in &pkg.inf.copy_always {
        let sub = c.dest.subdir.as_deref().unwrap_or("").replace('\\', "/");
        let base = if c.dest.dirid == 16422 {
            "Program Files"
        } else {
            "WINDOWS"
        };
        let d = tree.join(base).join(&sub);
        create_dir_all(&fs, &d).map_err(|e| err("create", e))?;
        let bytes = pkg.read(&c.source)?;
        let mut w = fs.create(&d.join(&c.target)).map_err(|e| err("write", e))?;
        std::io::Write::write_all(&mut w, &bytes).map_err(|e| err("write", e))?;
    }
    Ok((image, pkg_path, tree, sp.payload_bytes))
}

fn hotfix_install(image: &Path, pkg: &Path) -> Result<Run, BenchError> {
    let exe = std::env::current_exe().map_err(|e| err("current_exe", e))?;
    let exe = exe.to_string_lossy().into_owned();
    let image = image.to_string_lossy().into_owned();
    let pkg = pkg.to_string_lossy().into_owned();
    measure(&exe, &["sp", "install", "--image", &image, &pkg, "--json"])
}

/// A `.deb` of the payload tree, uncompressed as our cabinet stores.
fn build_deb(dir: &Path, tree: &Path) -> Result<PathBuf, BenchError> {
    let fs = OsFs;
    let deb_src = dir.join("debsrc");
    let control = deb_src.join("DEBIAN");
    create_dir_all(&fs, &control).map_err(|e| err("create", e))?;
    write_atomic(
        &fs,
        &control.join("control"),
        b"Package: hotfix-sp-bench\nVersion: 1.0\nArchitecture: all\nMaintainer: hotfix <bench@example.invalid>\nDescription: the SP2 payload\n",
    )
    .map_err(|e| err("write control", e))?;
    let s = |p: &Path| p.to_string_lossy().into_owned();
    // Hard links: the tree's bytes, no second copy.
    measure("cp", &["-al", &s(&tree.join("WINDOWS")), &s(&deb_src)])?;
    if tree.join("Program Files").exists() {
        measure(
            "cp",
            &["-al", &s(&tree.join("Program Files")), &s(&deb_src)],
        )?;
    }
    let deb = dir.join("sp.deb");
    measure("dpkg-deb", &["-Znone", "--build", &s(&deb_src), &s(&deb)])?;
    Ok(deb)
}

/// Installs `deb` into a new private root `root`.
fn dpkg_install(root: &Path, deb: &Path) -> Result<Run, BenchError> {
    let fs = OsFs;
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        create_dir_all(&fs, &root.join(d)).map_err(|e| err("create", e))?;
    }
    write_atomic(&fs, &root.join("var/lib/dpkg/status"), b"").map_err(|e| err("write", e))?;
    let root_arg = format!("--root={}", root.to_string_lossy());
    measure(
        "dpkg",
        &[
            &root_arg,
            "--force-not-root",
            "--force-all",
            "--log=/dev/null",
            "-i",
            &deb.to_string_lossy(),
        ],
    )
}

/// The middle value; for an even count, the mean of the two middle ones.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The largest peak RSS among `runs`.
fn max_rss(runs: &[Run]) -> String {
    runs.iter()
        .filter_map(|r| r.rss_kb)
        .max()
        .map_or_else(|| "n/a".into(), |k| format!("{} MB", k / 1024))
}

/// Copies `from` to `to` with `cp -a` (not timed).
fn copy_tree(from: &Path, to: &Path) -> Result<(), BenchError> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    measure("cp", &["-a", &s(from), &s(to)]).map(drop)
}

/// `rounds` rounds of hotfix, cp and dpkg on fresh targets, the order
/// rotated each round so no contender always runs right after another's
/// writeback. Nothing is deleted until all rounds are done: ext4 without a
/// journal skips inodes freed in the last 30 s when it creates files, which
/// would slow whoever runs after a deletion (so [`prepare`] checks the
/// space for every round).
fn side_by_side(d: &Path, files: usize, scale: f64, rounds: usize) -> Result<(), BenchError> {
    let (image, pkg, tree, bytes) = prepare(d, files, scale, rounds as u64)?;
    let deb = build_deb(d, &tree)?;
    let images: Vec<PathBuf> = (0..rounds).map(|r| d.join(format!("image{r}"))).collect();
    for img in &images {
        copy_tree(&image, img)?;
    }
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let (mut ours, mut cps, mut dpkgs) = (Vec::new(), Vec::new(), Vec::new());
    for (r, img) in images.iter().enumerate() {
        for k in 0..3 {
            match (r + k) % 3 {
                0 => ours.push(hotfix_install(img, &pkg)?),
                1 => {
                    let dst = d.join(format!("copy{r}"));
                    let script = format!("cp -a '{}' '{}' && sync", s(&tree), s(&dst));
                    cps.push(measure("sh", &["-c", &script])?);
                }
                _ => dpkgs.push(dpkg_install(&d.join(format!("dpkg-root{r}")), &deb)?),
            }
        }
    }
    let secs = |v: &[Run]| median(v.iter().map(|r| r.seconds).collect());
    let (h, c, k) = (secs(&ours), secs(&cps), secs(&dpkgs));
    let all = |v: &[Run]| {
        v.iter()
            .map(|r| format!("{:.2}", r.seconds))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "{files} files, {} MB, {rounds} rounds (median; every run in brackets)",
        hotfix_sp::mb(bytes)
    );
    println!(
        "  hotfix sp install (durable)      {h:>6.2} s  [{}]  peak RSS {}",
        all(&ours),
        max_rss(&ours)
    );
    println!(
        "  cp -a && sync                    {c:>6.2} s  [{}]  peak RSS {}",
        all(&cps),
        max_rss(&cps)
    );
    println!(
        "  dpkg -i (--root, unprivileged)   {k:>6.2} s  [{}]  peak RSS {}",
        all(&dpkgs),
        max_rss(&dpkgs)
    );
    // Each round runs the three close together, so per-round ratios cancel
    // the disk's slow and fast phases that medians of separate runs keep.
    let paired = |other: &[Run]| {
        median(
            ours.iter()
                .zip(other)
                .map(|(a, b)| a.seconds / b.seconds)
                .collect(),
        )
    };
    println!(
        "  hotfix / cp = {:.2}x   hotfix / dpkg = {:.2}x   (median of per-round ratios: {:.2}x, {:.2}x)",
        h / c,
        h / k,
        paired(&cps),
        paired(&dpkgs)
    );
    Ok(())
}

/// The bench's working directory, removed when the bench ends, whether it
/// finished or failed (a failed run used to leave gigabytes behind).
struct Workdir(PathBuf);

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = remove_tree(&OsFs, &self.0);
    }
}

/// A generated XP SP1 image before the install (160 MB measured), rounded
/// up.
const IMAGE_BYTES: u64 = 170_000_000;

/// Refuses to start what needs `needed` bytes in `dir` when fewer are free,
/// saying what to change.
fn ensure_space(dir: &Path, needed: u64, what: &str) -> Result<(), BenchError> {
    let free = OsFs.free_space(dir).map_err(|e| err("free space", e))?;
    if free >= needed {
        return Ok(());
    }
    let gb = |b: u64| b as f64 / 1e9;
    Err(BenchError::msg(format!(
        "bench: {what} needs about {:.1} GB in {}, {:.1} GB free; free some space, pass --dir on a larger filesystem, or use fewer --rounds or --no-growth",
        gb(needed),
        dir.display(),
        gb(free)
    )))
}

/// `hotfix bench`.
pub fn run(a: &BenchArgs) -> Result<(), BenchError> {
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hotfix-bench-{}", std::process::id()))
    });
    let fs = OsFs;
    if fs.exists(&dir) {
        remove_tree(&fs, &dir).map_err(|e| err("clean", e))?;
    }
    create_dir_all(&fs, &dir).map_err(|e| err("create", e))?;
    let _workdir = Workdir(dir.clone());
    println!("side by side on the same payload:");
    let d = dir.join("side");
    create_dir_all(&fs, &d).map_err(|e| err("create", e))?;
    side_by_side(&d, a.files, a.scale, a.rounds.max(1))?;
    if !a.no_growth {
        println!("growth of hotfix sp install with the file count:");
        for n in [500, 2000, 8000] {
            let d = dir.join(format!("{n}"));
            create_dir_all(&fs, &d).map_err(|e| err("create", e))?;
            let (image, pkg, _, bytes) = prepare(&d, n, a.scale, 0)?;
            let ours = hotfix_install(&image, &pkg)?;
            println!(
                "{n:>6} files {:>6} MB | hotfix sp install (durable) {:>7.2} s  peak RSS {}",
                hotfix_sp::mb(bytes),
                ours.seconds,
                max_rss(std::slice::from_ref(&ours))
            );
        }
    }
    if let Some(k) = own_peak_rss_kb() {
        println!(
            "bench process (synthesis, not install) peak RSS {} MB",
            k / 1024
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }
}

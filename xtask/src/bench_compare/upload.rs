//! `cargo xtask bench-upload`: uploading a local file to the emulator on
//! loopback, three ways, in one run on one machine (BENCHMARKS.md):
//!
//! - `curl -T FILE` to the emulator's raw PUT (`--bench-raw-put`: no
//!   signature, but stored, MD5 and CRC-64 computed, as PutObject): the
//!   ceiling of one HTTP PUT;
//! - `vod upload FILE --no-resume`, the whole flow as a user runs it:
//!   process start, CreateUploadVideo, multipart with 4 parts in flight,
//!   CRC-64 checks, CompleteMultipartUpload;
//! - Alibaba's `oss2.resumable_upload` with 4 threads and the same part
//!   size, after CreateUploadVideo through the official Python SDK (timed:
//!   the upload alone, not the interpreter's start).
//!
//! Each round runs the three back to back (ratios within a round; the
//! median of the rounds is reported). Then the peak RSS of `vod upload` of
//! a larger file (default 1 GiB) on a fresh emulator.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use super::emulator::{Emulator, ACCESS_KEY_ID, ACCESS_KEY_SECRET};
use super::machine::{load_average, peak_rss_of};
use super::process::{json_output, output, status, step};
use super::report::median;
use super::{ours, Failure, Official};

const USAGE: &str = "usage: cargo xtask bench-upload [--size-mib N] [--rss-size-mib N] [--rounds R]
                                 [--skip-setup] [--no-official] [--official-src DIR] [--markdown FILE]

  --size-mib      the file timed three ways [default: 256]
  --rss-size-mib  the file whose upload's peak RSS is measured [default: 1024]
  --rounds        rounds of the three uploads [default: 3]
  --skip-setup    reuse xtask/bench-official/ as installed by an earlier run
  --no-official   leave out oss2 (no Python needed)
  --official-src  where the official scripts are [default: ../shared/bench/official]
  --markdown      also write the results table as Markdown to FILE";

/// The part size both multipart uploaders use (our default).
const PART: u64 = 8 << 20;

struct Options {
    size_mib: u64,
    rss_size_mib: u64,
    rounds: usize,
    skip_setup: bool,
    official: bool,
    official_src: PathBuf,
    markdown: Option<PathBuf>,
}

fn parse(root: &Path, args: &[&str]) -> Result<Options, Failure> {
    let mut o = Options {
        size_mib: 256,
        rss_size_mib: 1024,
        rounds: 3,
        skip_setup: false,
        official: true,
        official_src: root.join("../shared/bench/official"),
        markdown: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().copied().ok_or(format!("{arg} needs a value"));
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg}: {v:?} is not a number"))
        };
        match *arg {
            "--size-mib" => o.size_mib = number(value()?)?,
            "--rss-size-mib" => o.rss_size_mib = number(value()?)?,
            "--rounds" => o.rounds = number(value()?)?.max(1) as usize,
            "--skip-setup" => o.skip_setup = true,
            "--no-official" => o.official = false,
            "--official-src" => o.official_src = PathBuf::from(value()?),
            "--markdown" => o.markdown = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if o.size_mib == 0 || o.rss_size_mib == 0 {
        return Err("sizes must be at least 1 MiB".to_owned());
    }
    Ok(o)
}

pub fn main(args: &[&str]) -> ExitCode {
    let root = crate::repo_root();
    let result = parse(&root, args).and_then(|o| run(&root, &o));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-upload: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A file of `mib` MiB of pseudo-random bytes (xorshift: incompressible
/// enough, and the same every run).
fn make_file(path: &Path, mib: u64) -> Result<(), Failure> {
    use std::io::Write as _;
    if std::fs::metadata(path).is_ok_and(|m| m.len() == mib << 20) {
        return Ok(());
    }
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        w.write_all(&block)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}

/// The emulator's OSS endpoint.
fn oss_endpoint(api: &str) -> Result<String, Failure> {
    let v = json_output(Command::new("curl").args(["-sS", &format!("{api}/__emulator/oss")]))?;
    v["endpoint"]
        .as_str()
        .filter(|e| e.starts_with("http://"))
        .map(str::to_owned)
        .ok_or_else(|| format!("the emulator gave no OSS endpoint: {v}"))
}

fn vod_upload(target: &Path, api: &str, file: &Path) -> Command {
    let mut cmd = Command::new(target.join("release/vod"));
    cmd.args(["--endpoint", api, "upload"])
        .arg(file)
        .args(["--no-resume", "--part-size", &PART.to_string()])
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .stderr(Stdio::null());
    cmd
}

/// Seconds of one run of `cmd` (its own start included).
fn timed(cmd: &mut Command) -> Result<f64, Failure> {
    let started = Instant::now();
    output(cmd)?;
    Ok(started.elapsed().as_secs_f64())
}

struct Round {
    curl: f64,
    ours: f64,
    oss2: Option<f64>,
}

fn run(root: &Path, o: &Options) -> Result<(), Failure> {
    let target = ours::target_dir(root);
    step("build (release): emulator and vod binary");
    status(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "--release", "-p", "vod-emulator", "-p", "vod-cli"]),
    )?;
    let official = if o.official {
        let official = Official::install(root, &o.official_src, o.skip_setup)?;
        std::fs::write(official.dir().join("oss2_upload.py"), OSS2_UPLOAD)
            .map_err(|e| format!("writing oss2_upload.py: {e}"))?;
        Some(official)
    } else {
        None
    };
    let dir = target.join("bench-upload");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join(format!("file-{}mib.mp4", o.size_mib));
    let big = dir.join(format!("file-{}mib.mp4", o.rss_size_mib));
    step("files");
    make_file(&file, o.size_mib)?;
    make_file(&big, o.rss_size_mib)?;
    let bytes = (o.size_mib << 20) as f64;
    let load = load_average();

    let mut rounds = Vec::new();
    for r in 0..o.rounds {
        // A fresh emulator each round: it keeps every object in memory.
        let emulator = Emulator::start_with(&target, &["--bench-raw-put"])?;
        let oss = oss_endpoint(&emulator.url)?;
        step(&format!(
            "round {}/{}: curl, vod upload, oss2",
            r + 1,
            o.rounds
        ));
        let curl = {
            let out = output(
                Command::new("curl")
                    .args([
                        "-sS",
                        "-H",
                        "Expect:",
                        "-o",
                        "/dev/null",
                        "-w",
                        "%{time_total}",
                        "-T",
                    ])
                    .arg(&file)
                    .arg(format!("{oss}/__raw/outin-emulator/bench/curl-{r}.mp4")),
            )?;
            out.trim()
                .parse::<f64>()
                .map_err(|_| format!("curl printed {out:?}"))?
        };
        let ours = timed(&mut vod_upload(&target, &emulator.url, &file))?;
        let oss2 = match &official {
            Some(official) => {
                let v = json_output(
                    official
                        .python()
                        .arg("oss2_upload.py")
                        .arg(&emulator.url)
                        .arg(&file)
                        .args(["resumable", "4", &PART.to_string()]),
                )?;
                Some(
                    v["seconds"]
                        .as_f64()
                        .ok_or_else(|| format!("oss2_upload.py printed {v}"))?,
                )
            }
            None => None,
        };
        eprintln!(
            "curl {curl:.3} s, vod upload {ours:.3} s{}",
            oss2.map_or(String::new(), |s| format!(", oss2 {s:.3} s"))
        );
        rounds.push(Round { curl, ours, oss2 });
    }

    step(&format!("peak RSS of vod upload, {} MiB", o.rss_size_mib));
    let emulator = Emulator::start(&target)?;
    let (rss_kib, rss_how) = peak_rss_of(vod_upload(&target, &emulator.url, &big))?;
    drop(emulator);

    let mb_s = |secs: f64| bytes / secs / 1e6;
    let ours_vs_curl = median(&rounds.iter().map(|r| r.curl / r.ours).collect::<Vec<_>>());
    let ours_vs_oss2: Vec<f64> = rounds
        .iter()
        .filter_map(|r| r.oss2.map(|s| s / r.ours))
        .collect();
    let mut rows = vec![
        format!(
            "| `curl -T` (one PUT, unsigned) | {:.0} MB/s | |",
            mb_s(median(&rounds.iter().map(|r| r.curl).collect::<Vec<_>>()))
        ),
        format!(
            "| `vod upload` (whole flow, 4 parts in flight) | {:.0} MB/s | {:.2}x curl (target at least 0.80): {} |",
            mb_s(median(&rounds.iter().map(|r| r.ours).collect::<Vec<_>>())),
            ours_vs_curl,
            verdict(ours_vs_curl >= 0.8)
        ),
    ];
    if !ours_vs_oss2.is_empty() {
        let ratio = median(&ours_vs_oss2);
        let oss2: Vec<f64> = rounds.iter().filter_map(|r| r.oss2).collect();
        rows.push(format!(
            "| `oss2.resumable_upload`, 4 threads (upload only) | {:.0} MB/s | ours {:.2}x oss2 (target at least 2): {} |",
            mb_s(median(&oss2)),
            ratio,
            verdict(ratio >= 2.0)
        ));
    }
    rows.push(format!(
        "| peak RSS of `vod upload`, {} MiB file ({rss_how}) | {:.1} MiB | target at most 64 MiB: {} |",
        o.rss_size_mib,
        rss_kib / 1024.0,
        verdict(rss_kib <= 64.0 * 1024.0)
    ));
    let table = format!(
        "{} MiB file, part size {} MiB, {} rounds, medians; 1-minute load average at start: {}\n\n| what | result | ratio |\n|---|---|---|\n{}\n",
        o.size_mib,
        PART >> 20,
        o.rounds,
        load.map_or("?".to_owned(), |l| format!("{l:.2}")),
        rows.join("\n")
    );
    println!("\n{table}");
    if let Some(path) = &o.markdown {
        std::fs::write(path, &table).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

/// Our script driving the official SDKs (CreateUploadVideo, then oss2),
/// written into the official folder, which git ignores, to run there.
const OSS2_UPLOAD: &str = include_str!("../official/oss2_upload.py");

//! `cargo xtask conformance`: see `crates/vod-conformance`.

use std::path::PathBuf;
use std::process::ExitCode;

/// `cargo xtask conformance [--skip-setup] [--official-src DIR]`: installs the
/// official SDKs as `bench-compare` does, then runs `vod-conformance` (a crate
/// of its own, so that this tool builds while generated code is stale) with
/// their Python; it writes CONFORMANCE.md.
pub fn main(args: &[&str]) -> ExitCode {
    let root = crate::repo_root();
    let mut skip_setup = false;
    let mut src = root.join("../shared/bench/official");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--skip-setup" => skip_setup = true,
            "--official-src" => match rest.next() {
                Some(dir) => src = PathBuf::from(dir),
                None => return usage("--official-src needs a folder"),
            },
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let official = match crate::bench_compare::Official::install(&root, &src, skip_setup) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::FAILURE;
        }
    };
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args(["run", "-q", "-p", "vod-conformance", "--"])
            .arg("--python")
            .arg(official.dir().join("venv/bin/python"))
            .arg("--work")
            .arg(official.dir())
            .arg("--out")
            .arg(root.join("CONFORMANCE.md"))
            .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("conformance: vod-conformance failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("conformance: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("conformance: {problem}\nusage: cargo xtask conformance [--skip-setup] [--official-src DIR]");
    ExitCode::from(2)
}

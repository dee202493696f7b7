//! `cargo xtask bench-compare`: this SDK and Alibaba's official ones, side by
//! side, on one machine in one run (BENCHMARKS.md explains each number).
//!
//! 1. Copies the official SDKs' benchmark scripts from `../shared/bench/official`
//!    into `xtask/bench-official/` (git ignores it) and runs their `setup.sh`,
//!    which installs the pinned official packages from the Python and npm package registries.
//! 2. Builds the emulator, the `vod` binary and the benches (release).
//! 3. Waits until the machine is quiet (1-minute load average under
//!    `--max-load`), then runs, in this order: three rounds of our criterion
//!    `sign` bench, the official Python and Node RPC V1 and ACS3 signers, and
//!    our codec and round-trip benches, so that each ratio is taken within a round;
//!    the official Python clients and our client against one emulator; the
//!    loopback CPU split and the memory probes.
//! 4. Prints a table of ratios (and writes it as Markdown with `--markdown`).
//!
//! `run` below calls the modules in turn: `official` installs and runs the
//! official scripts (and writes the ACS3 request they sign); `ours` builds ours
//! and runs criterion; `emulator` serves both clients; `measure` makes the
//! measuring steps in order, each on a quiet machine; `machine` gives the
//! machine's facts, load and peak RSS; `report` turns the results into rows,
//! which `table` lays out; `process` runs the commands.

mod emulator;
mod machine;
mod measure;
mod official;

pub(crate) use official::Official;
mod ours;
mod process;
mod report;
mod table;
pub mod upload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ours::Ours;
use report::Results;

const USAGE: &str = "usage: cargo xtask bench-compare [--quick] [--skip-setup] [--official-src DIR]
                                  [--max-load L] [--wait-minutes M] [--markdown FILE]

  --quick          shorter runs (a smoke test; not for publishing)
  --skip-setup     reuse xtask/bench-official/ as installed by an earlier run
  --official-src   where the official scripts are [default: ../shared/bench/official]
  --max-load       measure only below this 1-minute load average [default: 1.2]
  --wait-minutes   how long to wait for that before measuring anyway [default: 30]
  --markdown       also write the results table as Markdown to FILE";

/// The command line, parsed.
struct Options {
    quick: bool,
    skip_setup: bool,
    official_src: PathBuf,
    max_load: f64,
    wait: Duration,
    markdown: Option<PathBuf>,
}

type Failure = String;

pub fn main(args: &[&str]) -> ExitCode {
    let root = crate::repo_root();
    let options = match parse(&root, args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&root, &options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-compare: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(root: &Path, args: &[&str]) -> Result<Options, Failure> {
    let mut o = Options {
        quick: false,
        skip_setup: false,
        official_src: root.join("../shared/bench/official"),
        max_load: 1.2,
        wait: Duration::from_secs(30 * 60),
        markdown: None,
    };
    let mut it = args.iter();
    while let Some(&arg) = it.next() {
        let mut value = || it.next().copied().ok_or(format!("{arg} needs a value"));
        match arg {
            "--quick" => o.quick = true,
            "--skip-setup" => o.skip_setup = true,
            "--official-src" => o.official_src = PathBuf::from(value()?),
            "--max-load" => {
                o.max_load = value()?.parse().map_err(|_| "--max-load takes a number")?
            }
            "--wait-minutes" => {
                let m: f64 = value()?
                    .parse()
                    .map_err(|_| "--wait-minutes takes a number")?;
                o.wait = Duration::from_secs_f64(m * 60.0);
            }
            "--markdown" => o.markdown = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                return Err("bench-compare: this SDK and the official ones, side by side".into())
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

fn run(root: &Path, o: &Options) -> Result<(), Failure> {
    official::check_tools()?;
    let official = Official::install(root, &o.official_src, o.skip_setup)?;
    let ours = Ours::build(root, o.quick)?;
    let mut r = Results {
        machine: machine::facts(root),
        ..Results::default()
    };
    measure::rounds(o, &ours, &official, &mut r)?;
    measure::end_to_end(o, &ours, &official, &mut r)?;
    measure::loopback_and_memory(o, &ours, &mut r)?;
    if let Some(l) = machine::load_average() {
        r.loads.push(("end".to_owned(), l));
    }

    let report = r.report();
    println!("\n{}", report.text());
    if let Some(path) = &o.markdown {
        std::fs::write(path, report.markdown()).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

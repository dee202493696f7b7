//! The measuring steps, in order, each after waiting for a quiet machine.

use std::io::Write as _;
use std::time::{Duration, Instant};

use super::emulator::{Emulator, ACCESS_KEY_ID, ACCESS_KEY_SECRET};
use super::machine::{load_average, peak_rss_of};
use super::official::Official;
use super::ours::{Ours, CODEC_IDS, SIGN_IDS};
use super::process::{json_output, step};
use super::report::{median, Results, Round};
use super::{Failure, Options};

/// How many rounds of measurements (ours, then the official signers) a full run makes.
const ROUNDS: usize = 3;

/// Rounds of our signers, the official signers, then our codec and round
/// trip; our figures are the medians over the rounds.
pub(super) fn rounds(
    o: &Options,
    ours: &Ours,
    official: &Official,
    r: &mut Results,
) -> Result<(), Failure> {
    // This host's speed drifts over minutes (a shared VM: a bare parse measured
    // 3.4 to 5.4 µs in runs an hour apart), so every ratio is taken within a
    // round, and the report gives the median round (with the range for the
    // official signers).
    let (runs, iters) = if o.quick {
        ("3", "5000")
    } else {
        ("7", "20000")
    };
    official.write_acs3_signers()?;
    let rounds = if o.quick { 1 } else { ROUNDS };
    for round in 1..=rounds {
        let of = format!("round {round} of {rounds}");
        measuring(&format!("{of}: ours (criterion: aliyun-sign sign)"), o, r);
        ours.criterion("aliyun-sign", &["sign"])?;
        let mut this = Round {
            ns: ours.medians(SIGN_IDS)?,
            ..Round::default()
        };
        // Their RPC V1 signers (their scripts), then their ACS3 signers (ours,
        // on the request `sign/acs3` signs; each must give our Authorization
        // header before it is timed).
        measuring(&format!("{of}: official Python (bench_sign.py)"), o, r);
        this.python_sign = json_output(official.python().args([
            "bench_sign.py",
            "--runs",
            runs,
            "--iters",
            iters,
        ]))?;
        measuring(&format!("{of}: official Node (node/bench_sign.js)"), o, r);
        this.node_sign = json_output(official.node().args(["node/bench_sign.js", runs, iters]))?;
        measuring(&format!("{of}: official ACS3 (sign_acs3.py, .js)"), o, r);
        this.python_acs3 = json_output(official.python().args([
            "sign_acs3.py",
            "sign_acs3_request.json",
            runs,
            iters,
        ]))?;
        this.node_acs3 = json_output(official.node().args([
            "node/sign_acs3.js",
            "sign_acs3_request.json",
            runs,
            iters,
        ]))?;
        // Then our client's own benches (kept after theirs, so that our
        // signer and theirs run back to back).
        measuring(
            &format!("{of}: ours (criterion: aliyun-vod codec, round_trip)"),
            o,
            r,
        );
        ours.criterion("aliyun-vod", &["codec", "round_trip"])?;
        this.ns.extend(ours.medians(CODEC_IDS)?);
        r.rounds.push(this);
    }
    // Our figures are the medians over the rounds.
    for (key, _) in SIGN_IDS.iter().chain(CODEC_IDS) {
        let each: Vec<f64> = r.rounds.iter().map(|x| x.ns[key]).collect();
        r.ns.insert(key, median(&each));
    }
    Ok(())
}

/// How long each load generator runs.
fn seconds(o: &Options) -> &'static str {
    if o.quick {
        "2"
    } else {
        "5"
    }
}

/// Against one emulator: ours, then the official Python clients, then the
/// `vod` binary making one call (its peak RSS).
pub(super) fn end_to_end(
    o: &Options,
    ours: &Ours,
    official: &Official,
    r: &mut Results,
) -> Result<(), Failure> {
    let seconds = seconds(o);
    let mut emulator = Emulator::start(&ours.target)?;
    let hostport = emulator.url.trim_start_matches("http://").to_owned();
    measuring(
        &format!("end to end against the emulator at {}", emulator.url),
        o,
        r,
    );
    r.e2e.insert(
        "ours",
        json_output(ours.loadgen().args([
            "emulator",
            "--endpoint",
            &emulator.url,
            "--seconds",
            seconds,
        ]))?,
    );
    for mode in ["v1", "v3", "old"] {
        let e2e = |extra: &[&str]| {
            json_output(
                official
                    .python()
                    .args(["bench_e2e.py", &hostport, "--mode", mode])
                    .args(extra),
            )
        };
        let mut full = e2e(&["--seconds", seconds])?;
        // Their CPU figure counts the interpreter's start-up and imports: a run
        // of one call measures that, to be taken off.
        full["one_call"] = e2e(&["--max-requests", "1"])?;
        r.e2e.insert(mode, full);
    }
    // The `vod` binary making one call.
    measuring("peak RSS of the vod binary making one call", o, r);
    let job_ids: Vec<String> = (0..10u128)
        .map(|i| format!("{:032x}", 0x3d1c_0a1b_2c3d_4e5f_6071_8293_a4b5_c6d0 + i))
        .collect();
    let mut vod = ours.vod();
    vod.args([
        "--endpoint",
        &emulator.url,
        "get-url-upload-infos",
        "--job-ids",
    ])
    .arg(job_ids.join(","))
    .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
    .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET);
    r.vod_one_call = Some(peak_rss_of(vod)?);
    emulator.stop();
    Ok(())
}

/// Where the CPU goes at 16 in flight, and memory.
pub(super) fn loopback_and_memory(
    o: &Options,
    ours: &Ours,
    r: &mut Results,
) -> Result<(), Failure> {
    let seconds = seconds(o);
    measuring("loopback: CPU of client and server per call", o, r);
    for in_flight in ["1", "16"] {
        r.loopback.insert(
            in_flight,
            // The client on one thread (a current-thread runtime), the server
            // on another: on 2 cores the fastest and cheapest arrangement.
            json_output(ours.loadgen().args([
                "loopback",
                "--in-flight",
                in_flight,
                "--seconds",
                seconds,
                "--workers",
                "1",
            ]))?,
        );
    }
    measuring("memory probes", o, r);
    r.memory = json_output(ours.loadgen().args(["memory", "--calls", "10000"]))?;
    Ok(())
}

/// Announces a measuring step and first waits until the 1-minute load average
/// is under `--max-load` (for at most `--wait-minutes`), so that what else runs
/// on the machine (builds, other jobs) does not skew it. Records the load.
fn measuring(what: &str, o: &Options, r: &mut Results) {
    step(what);
    let start = Instant::now();
    let mut waited = false;
    let load = loop {
        match load_average() {
            Some(l) if l >= o.max_load && start.elapsed() < o.wait => {
                eprint!(
                    "\rwaiting for a quiet machine: load average {l:.2} (want < {})   ",
                    o.max_load
                );
                let _ = std::io::stderr().flush();
                waited = true;
                std::thread::sleep(Duration::from_secs(10));
            }
            other => break other,
        }
    };
    if waited {
        eprintln!();
    }
    if let Some(l) = load {
        if l >= o.max_load {
            eprintln!("load average still {l:.2}: measuring anyway");
            r.noisy = true;
        }
        r.loads.push((what.to_owned(), l));
    }
}

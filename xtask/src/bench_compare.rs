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

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const USAGE: &str = "usage: cargo xtask bench-compare [--quick] [--skip-setup] [--official-src DIR]
                                  [--max-load L] [--wait-minutes M] [--markdown FILE]

  --quick          shorter runs (a smoke test; not for publishing)
  --skip-setup     reuse xtask/bench-official/ as installed by an earlier run
  --official-src   where the official scripts are [default: ../shared/bench/official]
  --max-load       measure only below this 1-minute load average [default: 1.2]
  --wait-minutes   how long to wait for that before measuring anyway [default: 30]
  --markdown       also write the results table as Markdown to FILE";

/// The emulator's test key, which the official scripts use too.
const ACCESS_KEY_ID: &str = "LTAI5tTestAccessKey0001";
const ACCESS_KEY_SECRET: &str = "TestAccessKeySecret0123456789ab";

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
    let root = aliyun_codegen::repo_root();
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
    for tool in ["python3", "node", "npm", "bash"] {
        output(Command::new(tool).arg("--version"))
            .map_err(|e| format!("{tool} is needed for the official SDKs: {e}"))?;
    }
    let target = target_dir(root);
    let official = root.join("xtask/bench-official");
    step("official SDKs: copy the scripts and install the pinned packages");
    copy_official(&o.official_src, &official)?;
    if !(o.skip_setup && official.join("venv/bin/python").exists()) {
        status(Command::new("bash").arg("setup.sh").current_dir(&official))?;
    }

    step("build (release): emulator, vod binary, benches");
    status(cargo(root, &target).args([
        "build",
        "--release",
        "-p",
        "vod-emulator",
        "-p",
        "vod-cli",
    ]))?;
    let bench_bins = bench_executables(root, &target)?;
    let loadgen = bench_bins
        .get("loadgen")
        .ok_or("the aliyun-vod loadgen bench was not built")?
        .clone();

    let mut r = Results {
        machine: machine(root),
        ..Results::default()
    };

    // 1. Ours, criterion.
    let criterion_args: &[&str] = if o.quick {
        &["--warm-up-time", "1", "--measurement-time", "2"]
    } else {
        &[]
    };
    let criterion_home = target.join("criterion");
    let criterion = |package: &str, benches: &[&str]| {
        let mut cmd = cargo(root, &target);
        cmd.args(["bench", "-p", package]);
        for b in benches {
            cmd.args(["--bench", b]);
        }
        cmd.arg("--")
            .args(criterion_args)
            .env("CRITERION_HOME", &criterion_home);
        status(&mut cmd)
    };
    let medians = |ids: &[(&'static str, &str)]| -> Result<BTreeMap<&'static str, f64>, Failure> {
        let mut out = BTreeMap::new();
        for (key, id) in ids {
            let file = criterion_home.join(id).join("new/estimates.json");
            let v = read_json(&file)?;
            let median = v["median"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{}: no median", file.display()))?;
            out.insert(*key, median);
        }
        Ok(out)
    };

    // 2. Rounds: our signers, the official signers, then our codec and round trip.
    // This host's speed drifts over minutes (a shared VM: a bare parse measured
    // 3.4 to 5.4 µs in runs an hour apart), so every ratio is taken within a
    // round, and the report gives the median round (with the range for the
    // official signers).
    let (runs, iters) = if o.quick {
        ("3", "5000")
    } else {
        ("7", "20000")
    };
    let request = official.join("sign_acs3_request.json");
    let written = [
        (request.clone(), acs3_request().to_string()),
        (official.join("sign_acs3.py"), SIGN_ACS3_PY.to_owned()),
        (official.join("node/sign_acs3.js"), SIGN_ACS3_JS.to_owned()),
    ];
    for (path, text) in written {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let rounds = if o.quick { 1 } else { ROUNDS };
    for round in 1..=rounds {
        let of = format!("round {round} of {rounds}");
        measuring(
            &format!("{of}: ours (criterion: aliyun-sign sign)"),
            o,
            &mut r,
        );
        criterion("aliyun-sign", &["sign"])?;
        let mut this = Round {
            ns: medians(SIGN_IDS)?,
            ..Round::default()
        };
        // Their RPC V1 signers (their scripts), then their ACS3 signers (ours,
        // on the request `sign/acs3` signs; each must give our Authorization
        // header before it is timed).
        measuring(&format!("{of}: official Python (bench_sign.py)"), o, &mut r);
        this.python_sign = json_output(
            Command::new(official.join("venv/bin/python"))
                .args(["bench_sign.py", "--runs", runs, "--iters", iters])
                .current_dir(&official),
        )?;
        measuring(
            &format!("{of}: official Node (node/bench_sign.js)"),
            o,
            &mut r,
        );
        this.node_sign = json_output(
            Command::new("node")
                .args(["node/bench_sign.js", runs, iters])
                .current_dir(&official),
        )?;
        measuring(
            &format!("{of}: official ACS3 (sign_acs3.py, .js)"),
            o,
            &mut r,
        );
        this.python_acs3 = json_output(
            Command::new(official.join("venv/bin/python"))
                .args(["sign_acs3.py", "sign_acs3_request.json", runs, iters])
                .current_dir(&official),
        )?;
        this.node_acs3 = json_output(
            Command::new("node")
                .args(["node/sign_acs3.js", "sign_acs3_request.json", runs, iters])
                .current_dir(&official),
        )?;
        // Then our client's own benches (kept after theirs, so that our
        // signer and theirs run back to back).
        measuring(
            &format!("{of}: ours (criterion: aliyun-vod codec, round_trip)"),
            o,
            &mut r,
        );
        criterion("aliyun-vod", &["codec", "round_trip"])?;
        this.ns.extend(medians(CODEC_IDS)?);
        r.rounds.push(this);
    }
    // Our figures are the medians over the rounds.
    for (key, _) in SIGN_IDS.iter().chain(CODEC_IDS) {
        let each: Vec<f64> = r.rounds.iter().map(|x| x.ns[key]).collect();
        r.ns.insert(key, median(&each));
    }

    // 3. End to end against one emulator: theirs and ours, alternating.
    let seconds = if o.quick { "2" } else { "5" };
    let mut emulator = Emulator::start(&target)?;
    let hostport = emulator.url.trim_start_matches("http://").to_owned();
    measuring(
        &format!("end to end against the emulator at {}", emulator.url),
        o,
        &mut r,
    );
    r.e2e.insert(
        "ours",
        json_output(Command::new(&loadgen).args([
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
                Command::new(official.join("venv/bin/python"))
                    .args(["bench_e2e.py", &hostport, "--mode", mode])
                    .args(extra)
                    .current_dir(&official),
            )
        };
        let mut full = e2e(&["--seconds", seconds])?;
        // Their CPU figure counts the interpreter's start-up and imports: a run
        // of one call measures that, to be taken off.
        full["one_call"] = e2e(&["--max-requests", "1"])?;
        r.e2e.insert(mode, full);
    }
    // The `vod` binary making one call.
    measuring("peak RSS of the vod binary making one call", o, &mut r);
    let job_ids: Vec<String> = (0..10u128)
        .map(|i| format!("{:032x}", 0x3d1c_0a1b_2c3d_4e5f_6071_8293_a4b5_c6d0 + i))
        .collect();
    let mut vod = Command::new(target.join("release/vod"));
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

    // 4. Where the CPU goes at 16 in flight, and memory.
    measuring("loopback: CPU of client and server per call", o, &mut r);
    for in_flight in ["1", "16"] {
        r.loopback.insert(
            in_flight,
            // The client on one thread (a current-thread runtime), the server
            // on another: on 2 cores the fastest and cheapest arrangement.
            json_output(Command::new(&loadgen).args([
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
    measuring("memory probes", o, &mut r);
    r.memory = json_output(Command::new(&loadgen).args(["memory", "--calls", "10000"]))?;
    if let Some(l) = load_average() {
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

/// Our scripts timing the official ACS3 signers (the official folder's scripts
/// time RPC V1 only); written into that folder, which git ignores, to run there.
const SIGN_ACS3_PY: &str = include_str!("official/sign_acs3.py");
const SIGN_ACS3_JS: &str = include_str!("official/sign_acs3.js");

/// The request `sign/acs3` (`crates/aliyun-sign/benches/sign.rs`) signs, with
/// the Authorization header our signer gives for it.
fn acs3_request() -> Value {
    use aliyun_sign::{acs3, Credentials, Method, Nonce, Timestamp};
    let ts = Timestamp::parse("2024-05-06T07:08:09Z").expect("a valid timestamp");
    let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
    let job_ids: Vec<String> = (0..10u128)
        .map(|i| format!("{:032x}", 0x3d1c_0a1b_2c3d_4e5f_6071_8293_a4b5_c6d0 + i))
        .collect();
    let job_ids = job_ids.join(",");
    let request = acs3::Acs3Request {
        method: Method::Post,
        host: "vod.cn-shanghai.aliyuncs.com",
        pathname: "/",
        action: "GetURLUploadInfos",
        version: "2017-03-21",
        timestamp: &ts,
        nonce: &nonce,
        body: b"",
        content_type: None,
    };
    let credentials = Credentials::new(ACCESS_KEY_ID, ACCESS_KEY_SECRET);
    let signed = acs3::sign(&credentials, &request, &[("JobIds", &job_ids)]);
    let mut headers = serde_json::Map::new();
    let mut expected = Value::Null;
    for (name, value) in signed.headers() {
        if *name == "authorization" {
            expected = Value::from(value.as_str());
        } else {
            headers.insert((*name).to_owned(), Value::from(value.as_str()));
        }
    }
    serde_json::json!({
        "method": "POST",
        "pathname": "/",
        "query": { "JobIds": job_ids },
        "headers": headers,
        "payload": acs3::EMPTY_PAYLOAD_SHA256,
        "access_key_id": ACCESS_KEY_ID,
        "secret": ACCESS_KEY_SECRET,
        "expected": expected,
    })
}

/// How many rounds of measurements (ours, then the official signers) a full run makes.
const ROUNDS: usize = 3;

/// Criterion benchmark ids (directories under `target/criterion`) and our
/// names: the signing benches...
const SIGN_IDS: &[(&str, &str)] = &[
    ("sign_v1", "sign/rpc_v1"),
    ("floor", "hmac_sha1_floor"),
    ("floor_keyed", "hmac_sha1_floor_keyed"),
    ("sign_v1_urls", "sign/rpc_v1_upload_urls"),
    ("floor_urls", "hmac_sha1_floor_upload_urls"),
    ("sign_acs3", "sign/acs3"),
    ("acs3_floor", "acs3_floor"),
    ("acs3_floor_keyed", "acs3_floor_keyed"),
];

/// ...and the client's (`aliyun-vod`).
const CODEC_IDS: &[(&str, &str)] = &[
    ("encode_ids", "encode/job_ids_10"),
    ("encode_urls", "encode/upload_urls_10"),
    ("decode_json", "decode_json/infos_10"),
    ("decode_json_floor", "decode_json/parse_floor"),
    ("decode_xml", "decode_xml/infos_10"),
    ("decode_xml_floor", "decode_xml/parse_floor"),
    ("rt1", "round_trip/in_flight_1"),
    ("rt16", "round_trip/in_flight_16"),
];

/// The median of the finite values; NaN when there is none.
fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One round of measurements: ours (criterion medians, ns) and the official
/// signer scripts' output.
#[derive(Default)]
struct Round {
    ns: BTreeMap<&'static str, f64>,
    python_sign: Value,
    node_sign: Value,
    python_acs3: Value,
    node_acs3: Value,
}

/// Sizes of the response fixtures, for MB/s.
fn fixture_len(root: &Path, name: &str) -> Option<f64> {
    let p = root.join("crates/aliyun-vod/benches/data").join(name);
    std::fs::metadata(p).ok().map(|m| m.len() as f64)
}

#[derive(Default)]
struct Results {
    machine: BTreeMap<&'static str, String>,
    /// Each measuring step and the load average when it started.
    loads: Vec<(String, f64)>,
    /// Some step started above `--max-load`.
    noisy: bool,
    ns: BTreeMap<&'static str, f64>,
    rounds: Vec<Round>,
    e2e: BTreeMap<&'static str, Value>,
    /// Peak RSS (KiB) of the `vod` binary making one call, and how it was measured.
    vod_one_call: Option<(f64, &'static str)>,
    loopback: BTreeMap<&'static str, Value>,
    memory: Value,
}

/// One line of the report: what, ours, theirs (or the reference), ratio, target.
struct Row {
    what: String,
    ours: String,
    theirs: String,
    ratio: String,
    target: String,
}

impl Row {
    fn new(what: &str, ours: String, theirs: String, ratio: String, target: String) -> Row {
        Row {
            what: what.to_owned(),
            ours,
            theirs,
            ratio,
            target,
        }
    }
}

struct Report {
    header: Vec<String>,
    rows: Vec<Row>,
}

/// `x` in the first of `units` (divisor, decimals, suffix) it reaches, or in
/// the last.
fn scaled(x: f64, units: &[(f64, usize, &str)]) -> String {
    let (div, decimals, suffix) = units
        .iter()
        .find(|(div, _, _)| x >= *div)
        .or(units.last())
        .copied()
        .unwrap_or((1.0, 0, ""));
    format!("{:.*}{suffix}", decimals, x / div)
}

fn us(ns: f64) -> String {
    scaled(ns, &[(1e6, 2, " ms"), (1e3, 2, " µs"), (1.0, 0, " ns")])
}

fn per_s(rate: f64) -> String {
    scaled(rate, &[(1e6, 2, " M/s"), (1e3, 1, " k/s"), (1.0, 0, "/s")])
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

impl Results {
    fn report(&self) -> Report {
        let ns = |k: &str| self.ns.get(k).copied().unwrap_or(f64::NAN);
        let mut rows = Vec::new();
        let mut row = |what: &str, ours: String, theirs: String, ratio: String, target: String| {
            rows.push(Row {
                what: what.to_owned(),
                ours,
                theirs,
                ratio,
                target,
            })
        };

        // Signing: times are medians over the rounds; a ratio to a floor is
        // the median of the rounds' ratios.
        let to_floor = |what: &str, floor: &str| {
            let per_round: Vec<f64> = self
                .rounds
                .iter()
                .map(|x| {
                    x.ns.get(what).copied().unwrap_or(f64::NAN)
                        / x.ns.get(floor).copied().unwrap_or(f64::NAN)
                })
                .collect();
            median(&per_round)
        };
        let sign = ns("sign_v1");
        let v1_floor = to_floor("sign_v1", "floor");
        row(
            "sign RPC V1 (10 JobIds) vs bare HMAC-SHA1",
            us(sign),
            format!("floor {}", us(ns("floor"))),
            format!("{v1_floor:.2}x floor"),
            format!(
                "≤ 2x, < 2 µs: {}",
                verdict(v1_floor <= 2.0 && sign < 2000.0)
            ),
        );
        row(
            "  vs HMAC-SHA1 with the key schedule kept, as the signer keeps it",
            us(sign),
            format!("floor {}", us(ns("floor_keyed"))),
            format!("{:.2}x floor", to_floor("sign_v1", "floor_keyed")),
            String::new(),
        );
        row(
            "sign RPC V1 (10 UploadURLs) vs bare HMAC-SHA1",
            us(ns("sign_v1_urls")),
            format!("floor {}", us(ns("floor_urls"))),
            format!("{:.2}x floor", to_floor("sign_v1_urls", "floor_urls")),
            String::new(),
        );
        // Against the official signers: rates are medians over the rounds, and
        // each ratio is the median of the rounds' ratios (ours and theirs from
        // the same round), with the lowest and highest.
        let rounds = &self.rounds;
        let signers = |theirs: fn(&Round) -> &Value,
                       ours: &str,
                       lang: &str,
                       min: f64,
                       rows: &mut Vec<Row>| {
            let Some(names) = rounds
                .first()
                .and_then(|first| theirs(first)["results"].as_object())
            else {
                rows.push(Row::new(
                    &format!("  vs the fastest official {lang} signer"),
                    String::new(),
                    "no figures".to_owned(),
                    String::new(),
                    format!("≥ {min}x: {}", verdict(false)),
                ));
                return;
            };
            let rate = |round: &Round, name: &str| {
                theirs(round)["results"][name]["median_ops_per_s"]
                    .as_f64()
                    .unwrap_or(f64::NAN)
            };
            let ours_rate = |round: &Round| 1e9 / round.ns.get(ours).copied().unwrap_or(f64::NAN);
            let ours_all: Vec<f64> = rounds.iter().map(ours_rate).collect();
            // Rounds without a figure (a missing rate) are left out; none at
            // all is NaN, which no target accepts.
            let ratio = |per_round: &[f64]| {
                let ok: Vec<f64> = per_round
                    .iter()
                    .copied()
                    .filter(|r| r.is_finite())
                    .collect();
                let lo = ok.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = ok.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mid = median(&ok);
                match ok.len() {
                    0 => (f64::NAN, "no figures".to_owned()),
                    1 => (mid, format!("{mid:.1}x")),
                    _ => (mid, format!("{mid:.1}x ({lo:.1}–{hi:.1}x)")),
                }
            };
            for name in names.keys() {
                let theirs_all: Vec<f64> = rounds.iter().map(|x| rate(x, name)).collect();
                let per_round: Vec<f64> = rounds
                    .iter()
                    .map(|x| ours_rate(x) / rate(x, name))
                    .collect();
                rows.push(Row {
                    what: format!("  vs {lang}: {name}"),
                    ours: per_s(median(&ours_all)),
                    theirs: per_s(median(&theirs_all)),
                    ratio: ratio(&per_round).1,
                    target: String::new(),
                });
            }
            let is_signer =
                |name: &str| !name.contains("full per-request") && !name.contains("get_signed_url");
            let best = |round: &Round| {
                names
                    .keys()
                    .filter(|n| is_signer(n))
                    .map(|n| rate(round, n))
                    .filter(|r| r.is_finite() && *r > 0.0)
                    .fold(f64::NAN, f64::max)
            };
            let best_all: Vec<f64> = rounds.iter().map(best).collect();
            let per_round: Vec<f64> = rounds.iter().map(|x| ours_rate(x) / best(x)).collect();
            let (speedup, shown) = ratio(&per_round);
            rows.push(Row {
                what: format!("  vs the fastest official {lang} signer"),
                ours: per_s(median(&ours_all)),
                theirs: per_s(median(&best_all)),
                ratio: shown,
                target: format!("≥ {min}x: {}", verdict(speedup >= min)),
            });
        };
        signers(|x| &x.python_sign, "sign_v1", "Python", 40.0, &mut rows);
        signers(|x| &x.node_sign, "sign_v1", "Node", 8.0, &mut rows);
        let acs3 = ns("sign_acs3");
        rows.push(Row::new(
            "sign ACS3-HMAC-SHA256 (10 JobIds) vs bare SHA-256 + HMAC-SHA256",
            us(acs3),
            format!("floor {}", us(ns("acs3_floor"))),
            format!("{:.2}x floor", to_floor("sign_acs3", "acs3_floor")),
            format!("< 2 µs: {}", verdict(acs3 < 2000.0)),
        ));
        rows.push(Row::new(
            "  vs the same with the HMAC key schedule kept, as the signer keeps it",
            us(acs3),
            format!("floor {}", us(ns("acs3_floor_keyed"))),
            format!("{:.2}x floor", to_floor("sign_acs3", "acs3_floor_keyed")),
            String::new(),
        ));
        // The same targets as RPC V1, against the official ACS3 signers.
        signers(
            |x| &x.python_acs3,
            "sign_acs3",
            "Python (ACS3)",
            40.0,
            &mut rows,
        );
        signers(|x| &x.node_acs3, "sign_acs3", "Node (ACS3)", 8.0, &mut rows);

        // Encode and decode.
        let mut row = |what: &str, ours: String, theirs: String, ratio: String, target: String| {
            rows.push(Row {
                what: what.to_owned(),
                ours,
                theirs,
                ratio,
                target,
            })
        };
        row(
            "encode: typed input → signed form body (10 JobIds)",
            us(ns("encode_ids")),
            String::new(),
            String::new(),
            String::new(),
        );
        row(
            "encode: typed input → signed form body (10 UploadURLs)",
            us(ns("encode_urls")),
            String::new(),
            String::new(),
            String::new(),
        );
        let root = aliyun_codegen::repo_root();
        for (key, floor, file, limit) in [
            (
                "decode_json",
                "decode_json_floor",
                "get_url_upload_infos_10.json",
                10_000.0,
            ),
            (
                "decode_xml",
                "decode_xml_floor",
                "get_url_upload_infos_10.xml",
                25_000.0,
            ),
        ] {
            let t = ns(key);
            let f = ns(floor);
            let mbps = fixture_len(&root, file)
                .map(|b| b / t * 1e3)
                .unwrap_or(f64::NAN);
            row(
                &format!("{key}: 10 infos → typed output ({mbps:.0} MB/s) vs bare parse"),
                us(t),
                format!("parse floor {}", us(f)),
                format!("{:.2}x floor", to_floor(key, floor)),
                format!("< {}: {}", us(limit), verdict(t < limit)),
            );
        }

        // Round trip on loopback.
        let cores = self
            .machine
            .get("cores")
            .and_then(|c| c.parse::<f64>().ok())
            .unwrap_or(2.0);
        for (key, label) in [("rt1", "1 in flight"), ("rt16", "16 in flight")] {
            let t = ns(key);
            let target = if key == "rt16" {
                format!("≥ 20 k/s: {}", verdict(1e9 / t >= 20_000.0))
            } else {
                String::new()
            };
            row(
                &format!("round trip, loopback, {label}"),
                per_s(1e9 / t),
                format!("{} per call", us(t)),
                String::new(),
                target,
            );
        }
        let own = ns("encode_ids") + ns("decode_json");
        // The median of the rounds' shares, each from one round's figures.
        let shares: Vec<f64> = self
            .rounds
            .iter()
            .map(|x| {
                let n = |k: &str| x.ns.get(k).copied().unwrap_or(f64::NAN);
                (n("encode_ids") + n("decode_json")) / (n("rt16") * cores)
            })
            .collect();
        let share = median(&shares);
        row(
            "  client's own CPU (encode+sign+decode) / total CPU per call at 16",
            us(own),
            format!("{} × {cores} cores", us(ns("rt16"))),
            format!("{:.1}%", share * 100.0),
            format!("< 10%: {}", verdict(share < 0.10)),
        );
        if let Some(l) = self.loopback.get("16") {
            let f = |k: &str| l[k].as_f64().unwrap_or(f64::NAN);
            row(
                "  measured: client process CPU / server thread CPU per call",
                us(f("client_cpu_per_call_us") * 1e3),
                format!("server {}", us(f("server_thread_cpu_per_call_us") * 1e3)),
                format!(
                    "{:.1}% of client CPU is ours",
                    own / (f("client_cpu_per_call_us") * 1e3) * 100.0
                ),
                format!("{} at {}", per_s(f("rps")), "16 in flight"),
            );
        }

        // End to end against the emulator.
        if let Some(ours) = self.e2e.get("ours") {
            let ours_rps = ours["rps"].as_f64().unwrap_or(f64::NAN);
            let ours_cpu = ours["cpu_per_call_us"].as_f64().unwrap_or(f64::NAN);
            let ours_rss = ours["peak_rss_kib_end"].as_f64().unwrap_or(f64::NAN);
            for (mode, label) in [
                ("v1", "alibabacloud-vod20170321 (V1 signature)"),
                ("v3", "alibabacloud-vod20170321 (default, ACS3)"),
                ("old", "aliyun-python-sdk-vod (aliyunsdkcore)"),
            ] {
                let Some(t) = self.e2e.get(mode) else {
                    continue;
                };
                let rps = t["rps"].as_f64().unwrap_or(f64::NAN);
                let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
                // CPU per call without the start-up (the one-call run's CPU).
                let cpu = (f(t, "client_cpu_s") - f(&t["one_call"], "client_cpu_s")) * 1e6
                    / (f(t, "requests") - f(&t["one_call"], "requests"));
                let rss = t["peak_rss_kb_end"].as_f64().unwrap_or(f64::NAN);
                row(
                    &format!("emulator, sequential calls/s vs {label}"),
                    per_s(ours_rps),
                    per_s(rps),
                    format!("{:.1}x", ours_rps / rps),
                    String::new(),
                );
                row(
                    "  client CPU per call",
                    us(ours_cpu * 1e3),
                    us(cpu * 1e3),
                    format!("{:.1}x less", cpu / ours_cpu),
                    String::new(),
                );
                row(
                    "  client peak RSS",
                    mib(ours_rss),
                    mib(rss),
                    format!("{:.1}x less", rss / ours_rss),
                    String::new(),
                );
            }
        }

        // Memory.
        let m = &self.memory;
        let kib = |k: &str| m[k]["peak_rss_kib"].as_f64().unwrap_or(f64::NAN);
        if let Some((v, how)) = self.vod_one_call {
            let theirs = self
                .e2e
                .get("v1")
                .and_then(|t| t["peak_rss_kb_end"].as_f64());
            row(
                &format!("peak RSS: `vod` binary, one call ({how})"),
                mib(v),
                theirs
                    .map(|t| format!("official Python client {}", mib(t)))
                    .unwrap_or_default(),
                theirs
                    .map(|t| format!("{:.1}x less", t / v))
                    .unwrap_or_default(),
                String::new(),
            );
        }
        row(
            "peak RSS: library client, idle / one call",
            format!("{} / {}", mib(kib("idle")), mib(kib("one_call"))),
            String::new(),
            String::new(),
            String::new(),
        );
        let calls = m["in_flight"]["detail"]["calls"]
            .as_f64()
            .unwrap_or(10_000.0);
        row(
            "peak RSS: 10,000 calls in flight at once",
            mib(kib("in_flight")),
            format!(
                "{:.1} KiB per call",
                (kib("in_flight") - kib("idle")) / calls
            ),
            String::new(),
            String::new(),
        );
        row(
            "peak RSS: batch helper, 100,000 job IDs (10,000 calls)",
            mib(kib("batch")),
            String::new(),
            String::new(),
            String::new(),
        );

        let mut header = Vec::new();
        for (k, v) in &self.machine {
            header.push(format!("{k}: {v}"));
        }
        let loads: Vec<String> = self.loads.iter().map(|(_, l)| format!("{l:.2}")).collect();
        header.push(format!(
            "load average (1 min) at each step: {}{}",
            loads.join(", "),
            if self.noisy {
                " (some steps were NOT quiet: treat their numbers with care)"
            } else {
                ""
            }
        ));
        Report { header, rows }
    }
}

impl Report {
    const TITLES: [&'static str; 5] = [
        "benchmark",
        "ours",
        "official / reference",
        "ratio",
        "target",
    ];

    fn cells(r: &Row) -> [&str; 5] {
        [&r.what, &r.ours, &r.theirs, &r.ratio, &r.target]
    }

    fn text(&self) -> String {
        let mut out = self.header.join("\n");
        out.push_str("\n\n");
        let mut widths = Self::TITLES.map(|t| t.chars().count());
        for r in &self.rows {
            for (w, cell) in widths.iter_mut().zip(Self::cells(r)) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 5]| {
            let mut s = String::new();
            for (cell, width) in cells.iter().zip(&widths) {
                s.push_str(cell);
                s.push_str(&" ".repeat(width - cell.chars().count() + 2));
            }
            s.trim_end().to_owned() + "\n"
        };
        out.push_str(&line(Self::TITLES));
        for r in &self.rows {
            out.push_str(&line(Self::cells(r)));
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            out.push_str(&format!("- {h}\n"));
        }
        out.push_str("\n| benchmark | ours | official / reference | ratio | target |\n|---|---|---|---|---|\n");
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                r.what.replace('|', "\\|"),
                r.ours,
                r.theirs,
                r.ratio,
                r.target
            ));
        }
        out
    }
}

fn step(what: &str) {
    eprintln!("\n==> {what}");
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir().map(|c| c.join(&dir)).unwrap_or(dir)
            }
        }
        None => root.join("target"),
    }
}

fn cargo(root: &Path, target: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root).env("CARGO_TARGET_DIR", target);
    cmd
}

/// Builds the benches and returns their executables by target name.
fn bench_executables(root: &Path, target: &Path) -> Result<BTreeMap<String, PathBuf>, Failure> {
    let out = output(cargo(root, target).args([
        "bench",
        "--no-run",
        "-p",
        "aliyun-sign",
        "-p",
        "aliyun-vod",
        "--message-format=json-render-diagnostics",
    ]))?;
    let mut found = BTreeMap::new();
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let (Some(name), Some(exe)) = (v["target"]["name"].as_str(), v["executable"].as_str()) {
            if v["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bench"))
            {
                found.insert(name.to_owned(), PathBuf::from(exe));
            }
        }
    }
    Ok(found)
}

/// Copies the official scripts (not their installed packages) to `to`.
fn copy_official(from: &Path, to: &Path) -> Result<(), Failure> {
    if !from.join("setup.sh").exists() {
        return Err(format!(
            "{} has no setup.sh: pass --official-src (the official scripts live in ../shared/bench/official)",
            from.display()
        ));
    }
    copy_tree(from, to).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "venv" || name == "node_modules" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            // The source may be read-only; the copy must stay replaceable.
            if dst.exists() {
                std::fs::remove_file(&dst)?;
            }
            std::fs::copy(&src, &dst)?;
            let mut perms = std::fs::metadata(&dst)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&dst, perms)?;
        }
    }
    Ok(())
}

struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    fn start(target: &Path) -> Result<Self, Failure> {
        let exe = target.join("release/vod-emulator");
        let mut child = Command::new(&exe)
            .args(["--port", "0"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{}: {e}", exe.display()))?;
        let stdout = child.stdout.take().ok_or("no emulator stdout")?;
        let mut first = String::new();
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut first)
            .map_err(|e| format!("reading the emulator's address: {e}"))?;
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let url = first.trim().to_owned();
        if !url.starts_with("http://") {
            let _ = child.kill();
            return Err(format!(
                "the emulator printed {url:?} instead of its address"
            ));
        }
        Ok(Emulator { child, url })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Peak RSS (KiB) of a command run to completion. GNU time reports the
/// kernel's figure (`wait4`); without it, the child's `VmHWM` is sampled until
/// it exits (a lower bound, close when the peak is not in the last moments).
/// Python's `resource` is no help here: its children's figure includes the
/// forked interpreter itself.
fn peak_rss_of(mut cmd: Command) -> Result<(f64, &'static str), Failure> {
    let gnu_time = Path::new("/usr/bin/time");
    if gnu_time.exists() {
        let mut timed = Command::new(gnu_time);
        timed
            .args(["-f", "peak_rss_kib=%M", "--"])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                timed.env(k, v);
            }
        }
        let out = timed
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("{timed:?}: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if let Some(kib) = stderr
            .lines()
            .find_map(|l| l.strip_prefix("peak_rss_kib="))
            .and_then(|v| v.trim().parse().ok())
        {
            if !out.status.success() {
                return Err(format!("{cmd:?} failed: {stderr}"));
            }
            return Ok((kib, "GNU time"));
        }
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0.0f64;
    loop {
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .map(str::to_owned)
            })
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        {
            peak = peak.max(kib);
        }
        match child.try_wait() {
            Ok(Some(s)) if s.success() => return Ok((peak, "VmHWM sampled")),
            Ok(Some(s)) => return Err(format!("{cmd:?} failed ({s})")),
            Ok(None) => std::thread::sleep(Duration::from_micros(200)),
            Err(e) => return Err(format!("{cmd:?}: {e}")),
        }
    }
}

fn machine(root: &Path) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Some(model) = cpuinfo.lines().find_map(|l| l.strip_prefix("model name")) {
        m.insert("cpu", model.trim_start_matches([' ', '\t', ':']).to_owned());
    }
    let flags = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    m.insert(
        "sha extensions",
        if has("sha_ni") { "yes (SHA-NI)" } else { "no" }.to_owned(),
    );
    m.insert(
        "cores",
        std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    if let Ok(mem) = std::fs::read_to_string("/proc/meminfo") {
        if let Some(total) = mem.lines().find_map(|l| l.strip_prefix("MemTotal:")) {
            m.insert("memory", total.trim().to_owned());
        }
    }
    if let Ok(k) = std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        m.insert("kernel", format!("Linux {}", k.trim()));
    }
    let version = |cmd: &mut Command| output(cmd).map(|s| s.trim().to_owned()).unwrap_or_default();
    m.insert(
        "rustc",
        version(Command::new("rustc").arg("--version").current_dir(root)),
    );
    m.insert("python", version(Command::new("python3").arg("--version")));
    m.insert("node", version(Command::new("node").arg("--version")));
    m
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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

fn read_json(path: &Path) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a command and parses the last line of its standard output that is a
/// JSON object (the official scripts print pretty JSON: then all of it).
fn json_output(cmd: &mut Command) -> Result<Value, Failure> {
    let out = output(cmd)?;
    serde_json::from_str(&out)
        .or_else(|_| {
            out.lines()
                .rev()
                .find_map(|l| serde_json::from_str::<Value>(l).ok())
                .ok_or(())
        })
        .map_err(|()| format!("{cmd:?} printed no JSON:\n{out}"))
}

fn output(cmd: &mut Command) -> Result<String, Failure> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn status(cmd: &mut Command) -> Result<(), Failure> {
    let s = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !s.success() {
        return Err(format!("{cmd:?} failed ({s})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use aliyun_sign::{acs3, Method};
    use serde_json::{json, Value};

    use super::{median, Report, Results, Round};

    #[test]
    fn units_scale_as_before() {
        use super::{per_s, us};
        assert_eq!(us(957.4), "957 ns");
        assert_eq!(us(1_290.0), "1.29 µs");
        assert_eq!(us(2_500_000.0), "2.50 ms");
        assert_eq!(per_s(19_300.0), "19.3 k/s");
        assert_eq!(per_s(1_040_000.0), "1.04 M/s");
        assert_eq!(per_s(946.0), "946/s");
        assert_eq!(us(f64::NAN), "NaN ns");
    }

    #[test]
    fn medians_skip_what_is_not_a_figure() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[f64::NAN, 5.0, f64::INFINITY]), 5.0);
        assert!(median(&[]).is_nan());
        assert!(median(&[f64::NAN]).is_nan());
    }

    fn target(report: &Report, what: &str) -> String {
        let row = report.rows.iter().find(|r| r.what == what);
        row.map(|r| r.target.clone())
            .unwrap_or_else(|| panic!("no row {what:?}"))
    }

    /// A signer script that printed no usable rate cannot meet a target.
    #[test]
    fn a_missing_official_rate_is_a_miss_not_a_win() {
        let round = |rate: Value| Round {
            ns: [("sign_v1", 1000.0), ("sign_acs3", 1500.0)]
                .into_iter()
                .collect(),
            python_sign: json!({"results": {"a signer": {"median_ops_per_s": rate}}}),
            ..Round::default()
        };
        let mut r = Results {
            rounds: vec![
                round(json!(10_000.0)),
                round(json!(null)),
                round(json!(20_000.0)),
            ],
            ..Results::default()
        };
        let report = r.report();
        // 100x and 50x: the median of the two rounds with a figure.
        let row = report
            .rows
            .iter()
            .find(|x| x.what == "  vs the fastest official Python signer")
            .expect("row");
        assert_eq!(row.ratio, "75.0x (50.0–100.0x)");
        assert_eq!(row.target, "≥ 40x: met");

        r.rounds = vec![round(json!(null))];
        let report = r.report();
        assert_eq!(
            target(&report, "  vs the fastest official Python signer"),
            "≥ 40x: MISSED"
        );
        // No Node figures at all: still a row, still a miss.
        assert_eq!(
            target(&report, "  vs the fastest official Node signer"),
            "≥ 8x: MISSED"
        );
    }

    /// The request handed to the official ACS3 signers is the one our signer
    /// signed, stage by stage, and its signature is the one Alibaba's Python
    /// signer (`Client.get_authorization`, alibabacloud_openapi_util 0.2.4)
    /// gave for it when this test was written.
    #[test]
    fn the_acs3_request_for_the_official_signers_is_signed_as_they_sign_it() {
        let v = super::acs3_request();
        let text = |x: &serde_json::Value| x.as_str().expect("a string").to_owned();
        let headers: Vec<(String, String)> = v["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, x)| (k.clone(), text(x)))
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, x)| (k.as_str(), x.as_str()))
            .collect();
        let (block, names) = acs3::canonical_headers(&headers);
        let job_ids = text(&v["query"]["JobIds"]);
        let canonical = acs3::canonical_request(
            Method::Post,
            "/",
            &acs3::canonical_query_string(&[("JobIds", &job_ids)]),
            &block,
            &names,
            &text(&v["payload"]),
        );
        let signature = acs3::signature(&text(&v["secret"]), &acs3::string_to_sign(&canonical));
        assert_eq!(
            text(&v["expected"]),
            acs3::authorization(&text(&v["access_key_id"]), &names, &signature)
        );
        assert_eq!(
            signature,
            "3772842d25c237865537d8d40d00b37110c59c61e8bd92232b2f36237b7b3d98"
        );
    }
}

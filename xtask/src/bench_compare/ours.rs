//! Ours: the emulator, `vod` and our benches built, and criterion run and read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::process::{output, read_json, status, step};
use super::Failure;

/// Criterion benchmark ids (directories under `target/criterion`) and our
/// names: the signing benches...
pub(super) const SIGN_IDS: &[(&str, &str)] = &[
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
pub(super) const CODEC_IDS: &[(&str, &str)] = &[
    ("encode_ids", "encode/job_ids_10"),
    ("encode_urls", "encode/upload_urls_10"),
    ("decode_json", "decode_json/infos_10"),
    ("decode_json_floor", "decode_json/parse_floor"),
    ("decode_xml", "decode_xml/infos_10"),
    ("decode_xml_floor", "decode_xml/parse_floor"),
    ("rt1", "round_trip/in_flight_1"),
    ("rt16", "round_trip/in_flight_16"),
];

/// Our side, built: the emulator, the `vod` binary and the benches (release),
/// and how criterion runs them.
pub(super) struct Ours {
    root: PathBuf,
    pub(super) target: PathBuf,
    loadgen: PathBuf,
    criterion_home: PathBuf,
    criterion_args: &'static [&'static str],
}

impl Ours {
    /// Builds (release) the emulator, the `vod` binary and the benches.
    pub(super) fn build(root: &Path, quick: bool) -> Result<Ours, Failure> {
        let target = target_dir(root);
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
        let criterion_args: &[&str] = if quick {
            &["--warm-up-time", "1", "--measurement-time", "2"]
        } else {
            &[]
        };
        Ok(Ours {
            root: root.to_owned(),
            criterion_home: target.join("criterion"),
            target,
            loadgen,
            criterion_args,
        })
    }

    /// Runs these criterion benches of `package`.
    pub(super) fn criterion(&self, package: &str, benches: &[&str]) -> Result<(), Failure> {
        let mut cmd = cargo(&self.root, &self.target);
        cmd.args(["bench", "-p", package]);
        for b in benches {
            cmd.args(["--bench", b]);
        }
        cmd.arg("--")
            .args(self.criterion_args)
            .env("CRITERION_HOME", &self.criterion_home);
        status(&mut cmd)
    }

    /// The medians (ns) criterion last measured for these ids, by our names.
    pub(super) fn medians(
        &self,
        ids: &[(&'static str, &str)],
    ) -> Result<BTreeMap<&'static str, f64>, Failure> {
        let mut out = BTreeMap::new();
        for (key, id) in ids {
            let file = self.criterion_home.join(id).join("new/estimates.json");
            let v = read_json(&file)?;
            let median = v["median"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{}: no median", file.display()))?;
            out.insert(*key, median);
        }
        Ok(out)
    }

    /// The `loadgen` bench, to run with its arguments.
    pub(super) fn loadgen(&self) -> Command {
        Command::new(&self.loadgen)
    }

    /// The `vod` binary, to run with its arguments.
    pub(super) fn vod(&self) -> Command {
        Command::new(self.target.join("release/vod"))
    }
}

/// Sizes of the response fixtures, for MB/s.
pub(super) fn fixture_len(root: &Path, name: &str) -> Option<f64> {
    let p = root.join("crates/aliyun-vod/benches/data").join(name);
    std::fs::metadata(p).ok().map(|m| m.len() as f64)
}

pub(super) fn target_dir(root: &Path) -> PathBuf {
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

//! The machine: its facts for the report, its load average, a command's peak RSS.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::output;
use super::Failure;

/// Facts about the machine, for the report's header.
pub(super) fn facts(root: &Path) -> BTreeMap<&'static str, String> {
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

/// The 1-minute load average.
pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Peak RSS (KiB) of a command run to completion. GNU time reports the
/// kernel's figure (`wait4`); without it, the child's `VmHWM` is sampled until
/// it exits (a lower bound, close when the peak is not in the last moments).
/// Python's `resource` is no help here: its children's figure includes the
/// forked interpreter itself.
pub(super) fn peak_rss_of(mut cmd: Command) -> Result<(f64, &'static str), Failure> {
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

//! Running commands: announcing a step, and a command's status, output or JSON.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::Failure;

pub(super) fn step(what: &str) {
    eprintln!("\n==> {what}");
}

pub(super) fn read_json(path: &Path) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a command and parses the last line of its standard output that is a
/// JSON object (the official scripts print pretty JSON: then all of it).
pub(super) fn json_output(cmd: &mut Command) -> Result<Value, Failure> {
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

pub(super) fn output(cmd: &mut Command) -> Result<String, Failure> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(super) fn status(cmd: &mut Command) -> Result<(), Failure> {
    let s = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !s.success() {
        return Err(format!("{cmd:?} failed ({s})"));
    }
    Ok(())
}

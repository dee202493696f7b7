//! The emulator, started on a free port and stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::Failure;

/// The emulator's test key, which the official scripts use too.
pub(super) const ACCESS_KEY_ID: &str = "LTAI5tTestAccessKey0001";
pub(super) const ACCESS_KEY_SECRET: &str = "TestAccessKeySecret0123456789ab";

/// A running emulator, killed when dropped.
pub(super) struct Emulator {
    child: Child,
    pub(super) url: String,
}

impl Emulator {
    /// Starts the release `vod-emulator` on a free port and reads its address.
    pub(super) fn start(target: &Path) -> Result<Self, Failure> {
        Self::start_with(target, &[])
    }

    /// The same with more flags.
    pub(super) fn start_with(target: &Path, flags: &[&str]) -> Result<Self, Failure> {
        let exe = target.join("release/vod-emulator");
        let mut child = Command::new(&exe)
            .args(["--port", "0"])
            .args(flags)
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

    pub(super) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

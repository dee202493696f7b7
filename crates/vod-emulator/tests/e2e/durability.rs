//! Jobs in a data directory survive a restart, in process and after `kill -9`
//! of the standalone binary (which also checks its first stdout line).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use vod_emulator::EmulatorConfig;

use crate::support::*;

#[tokio::test]
async fn restart_with_a_data_dir_keeps_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let src = Sources::start().await;
    let config = EmulatorConfig::default()
        .with_step_delay(Duration::ZERO)
        .with_data_dir(dir.path());
    let emu = start(config.clone()).await;
    let ids = upload(
        &emu.base_url(),
        &[&src.url(77, "keep.mp4")],
        &[("UserData", "{}")],
    )
    .await;
    let before = wait_terminal(&emu.base_url(), &ids).await;
    emu.shutdown().await;

    let emu = start(config).await;
    assert_eq!(emu.stats().jobs, 1);
    let after = wait_terminal(&emu.base_url(), &ids).await;
    assert_eq!(before, after);
    assert_eq!(after[0]["FileSize"], "77");
    emu.shutdown().await;
}

struct Binary(Child);

impl Binary {
    /// Starts `vod-emulator` and reads its base URL from the first stdout line.
    fn start(args: &[&str]) -> (Binary, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vod-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim_end().to_owned();
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "first line: {line:?}"
        );
        (Binary(child), base)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn unfinished_jobs_resume_after_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let src = Sources::start().await;
    let (bin, base) =
        Binary::start(&["--port", "0", "--data-dir", data, "--step-delay-ms", "5000"]);
    let ids = upload(&base, &[&src.url(55, "resume.mp4")], &[]).await;
    drop(bin); // SIGKILL, acknowledged jobs must be on disk already

    let (_bin, base) = Binary::start(&["--data-dir", data, "--step-delay-ms", "0"]);
    let infos = wait_terminal(&base, &ids).await;
    assert_eq!(infos[0]["Status"], "SUCCESS");
    assert_eq!(infos[0]["FileSize"], "55");
}

//! Cross-crate end-to-end tests live in `tests/tests/`: the SDK (`aliyun-vod`
//! over `aliyun-runtime`) against the emulator (`vod-emulator`), over real
//! HTTP on 127.0.0.1. The `vod` binary's end-to-end tests live in
//! `crates/vod-cli/tests/`, the only place Cargo builds the binary for them
//! (`CARGO_BIN_EXE_vod`). This library holds what several of the tests use;
//! `src/bin/limit_worker.rs` is a worker process of the shared limiter's.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A client configuration for the emulator at `base_url` with its default
/// AccessKey: what most tests start from (add retries, limiters, formats).
pub fn emulator_config(base_url: &str) -> aliyun_vod::Config {
    aliyun_vod::Config::new()
        .endpoint(base_url)
        .credentials(aliyun_vod::Credentials::new(
            vod_emulator::DEFAULT_ACCESS_KEY_ID,
            vod_emulator::DEFAULT_ACCESS_KEY_SECRET,
        ))
}

/// Serves 1 KiB at any path on 127.0.0.1 (a source for URL uploads);
/// returns the base URL.
pub async fn file_server() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    let app = axum::Router::new().fallback(|| async { vec![7u8; 1024] });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A log sink for a tracing subscriber, readable afterwards (the secret
/// capture tests search it).
#[derive(Clone, Default)]
pub struct Buf(Arc<Mutex<Vec<u8>>>);

impl Buf {
    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Installs a global subscriber at TRACE writing here (once per test
    /// binary).
    pub fn install_trace_subscriber(&self) {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber in this test binary");
    }
}

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An environment for the credentials chain: these variables and this home
/// directory, nothing of the machine's.
#[derive(Clone, Debug, Default)]
pub struct TestEnv {
    /// The variables.
    pub vars: HashMap<String, String>,
    /// The home directory.
    pub home: PathBuf,
}

impl aliyun_runtime::credentials::Environment for TestEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn home_dir(&self) -> Option<PathBuf> {
        Some(self.home.clone())
    }
}

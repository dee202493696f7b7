//! Shared by the benches: realistic inputs, the response fixtures and a minimal
//! loopback HTTP server that answers every request with one fixed body.
//!
//! The server does not verify signatures (it answers whatever arrives): the
//! benches measure the client. `cargo xtask bench-compare` runs the client
//! against the emulator, which does verify them, for the side-by-side with
//! Alibaba's official SDKs.

#![allow(dead_code)] // each bench uses a part

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The emulator's test AccessKey (also accepted by the fixed-body server, which
/// checks nothing).
pub const ACCESS_KEY_ID: &str = "LTAI5tTestAccessKey0001";
/// Its secret.
pub const ACCESS_KEY_SECRET: &str = "TestAccessKeySecret0123456789ab";

/// A `GetURLUploadInfos` answer with 10 jobs in various states, as the service
/// sends it (compact JSON; `UserData` is a JSON string inside JSON).
pub const INFOS_10_JSON: &[u8] = include_bytes!("../data/get_url_upload_infos_10.json");
/// The same answer in XML.
pub const INFOS_10_XML: &[u8] = include_bytes!("../data/get_url_upload_infos_10.xml");

/// 10 job IDs (32 hex digits each, as UploadMediaByURL returns them); the same
/// ones the official SDK scripts send.
pub fn job_ids() -> Vec<String> {
    (0..10u128)
        .map(|i| format!("{:032x}", 0x3d1c_0a1b_2c3d_4e5f_6071_8293_a4b5_c6d0 + i))
        .collect()
}

/// 10 source URLs that need percent-encoding (twice on the wire: once as list
/// items, once by the signature): paths with spaces and non-ASCII, query strings
/// with `&`, `=`, `+` and existing escapes, as pre-signed OSS URLs have.
pub fn upload_urls() -> Vec<String> {
    (0..10)
        .map(|i| {
            format!(
                "https://example-bucket.oss-cn-shanghai.aliyuncs.com/videos/2024/05/06/\
                 lecture {i:02} (final)-é.mp4?Expires=17150{i:05}&OSSAccessKeyId=LTAI5tExample\
                 &Signature=k2Hx%2Bq{i}9zQ%3D&response-content-type=video/mp4"
            )
        })
        .collect()
}

/// A client for `endpoint` with the test key, rate limiting off (the limiter
/// would pace a benchmark to the service's 100 calls/s) and no retries.
pub fn client(endpoint: &str) -> aliyun_vod::Client {
    aliyun_vod::Client::new(
        aliyun_vod::Config::new()
            .endpoint(endpoint)
            .credentials(aliyun_vod::Credentials::new(
                ACCESS_KEY_ID,
                ACCESS_KEY_SECRET,
            ))
            .rate_limit(false)
            .retry(aliyun_vod::RetryConfig::disabled()),
    )
    .expect("a loopback endpoint is valid")
}

/// The client's runtime: the calling thread alone (`workers == 1`, a
/// current-thread runtime), or a multi-threaded one with `workers` threads.
pub fn client_runtime(workers: usize) -> tokio::runtime::Runtime {
    let mut builder = if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    builder.enable_all().build().expect("client runtime")
}

/// A running fixed-body server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The Linux thread id of the server's only thread (for per-thread CPU time).
    pub tid: Option<u32>,
}

/// Starts a server on 127.0.0.1:0, on a thread of its own with a single-threaded
/// runtime, answering every request with `body` (HTTP/1.1, keep-alive).
///
/// With `hold = Some(n)`, each answer waits until `n` requests have arrived (or
/// 60 s have passed), so that `n` calls are in flight at once.
pub fn start_server(
    body: &'static [u8],
    content_type: &'static str,
    hold: Option<usize>,
) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("fixed-body-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .expect("bind 127.0.0.1:0");
                let addr = listener.local_addr().expect("local address");
                tx.send((format!("http://{addr}"), current_tid()))
                    .expect("the caller waits for the address");
                let arrived = Arc::new(AtomicUsize::new(0));
                let released = Arc::new(tokio::sync::Notify::new());
                let app = axum::Router::new().fallback(move || {
                    let arrived = arrived.clone();
                    let released = released.clone();
                    async move {
                        if let Some(n) = hold {
                            let notified = released.notified();
                            if arrived.fetch_add(1, Ordering::SeqCst) + 1 >= n {
                                released.notify_waiters();
                            } else {
                                let _ =
                                    tokio::time::timeout(Duration::from_secs(60), notified).await;
                            }
                        }
                        ([(axum::http::header::CONTENT_TYPE, content_type)], body)
                    }
                });
                axum::serve(listener, app).await.expect("serve");
            });
        })
        .expect("spawn the server thread");
    let (url, tid) = rx.recv().expect("the server starts");
    Server { url, tid }
}

/// The calling thread's Linux thread id, from `/proc/thread-self/stat`.
pub fn current_tid() -> Option<u32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// CPU time (user + system) of the whole process, from `/proc/self/stat`.
pub fn process_cpu() -> Option<Duration> {
    stat_cpu("/proc/self/stat")
}

/// CPU time (user + system) of one thread of this process.
pub fn thread_cpu(tid: u32) -> Option<Duration> {
    stat_cpu(&format!("/proc/self/task/{tid}/stat"))
}

fn stat_cpu(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces, hence the `)`):
    // state is field 3, utime 14, stime 15, in clock ticks.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture Rust targets.
    Some(Duration::from_millis(ticks * 10))
}

/// Peak resident set size of this process in KiB (`VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

//! Not a timing benchmark: a load generator and memory probe for
//! `cargo xtask bench-compare` (see BENCHMARKS.md). Each mode prints one JSON
//! object on standard output.
//!
//! - `emulator --endpoint URL [--seconds 5] [--max-requests N]`: sequential
//!   `GetURLUploadInfos` calls (10 job IDs, one in flight, on one thread), as
//!   the official SDKs' `bench_e2e.py` makes them against the same endpoint:
//!   calls/s, the process's CPU time per call and its peak RSS.
//! - `loopback [--in-flight 16] [--seconds 5]`: calls against the fixed-body
//!   server on a thread of its own, with the CPU time of the server thread and of
//!   the rest of the process (the client) per call.
//! - `memory`: peak RSS of client processes (children of this one, the server
//!   stays here): idle, after one call, holding 10,000 calls in flight at once,
//!   and running the batch helper over 100,000 job IDs (10,000 calls).
//!
//! Under a plain `cargo bench` (no mode given) it prints this usage and exits.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde_json::{json, Value};

const USAGE: &str =
    "usage: loadgen emulator --endpoint URL [--seconds S] [--max-requests N]\n       \
                     loadgen loopback [--in-flight N] [--seconds S] [--workers W]\n       \
                     loadgen memory [--calls N]\n\
                     (run by `cargo xtask bench-compare`; see BENCHMARKS.md)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number = |name: &str, default: f64| {
        flag(name)
            .map(|v| {
                v.parse::<f64>()
                    .unwrap_or_else(|_| fail(&format!("{name} takes a number")))
            })
            .unwrap_or(default)
    };
    let out = match args.first().map(String::as_str) {
        Some("emulator") => {
            let endpoint = flag("--endpoint").unwrap_or_else(|| fail("emulator needs --endpoint"));
            emulator(
                &endpoint,
                number("--seconds", 5.0),
                number("--max-requests", 1e9) as u64,
            )
        }
        Some("loopback") => loopback(
            number("--in-flight", 16.0) as usize,
            number("--seconds", 5.0),
            number("--workers", 1.0) as usize,
        ),
        Some("memory") => memory(number("--calls", 10_000.0) as usize),
        // Children of `memory`.
        Some("memory-client") => {
            let endpoint =
                flag("--endpoint").unwrap_or_else(|| fail("memory-client needs --endpoint"));
            let what = flag("--what").unwrap_or_else(|| fail("memory-client needs --what"));
            memory_client(&endpoint, &what, number("--calls", 10_000.0) as usize)
        }
        _ => {
            // `cargo bench` runs every bench target with `--bench`.
            eprintln!("loadgen: nothing to time here.\n{USAGE}");
            return;
        }
    };
    println!("{out}");
}

fn fail(message: &str) -> ! {
    eprintln!("loadgen: {message}\n{USAGE}");
    std::process::exit(2)
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// One `GetURLUploadInfos` call with the 10 job IDs; how many of them the
/// answer accounts for (found plus `NonExists`).
async fn call(client: &aliyun_vod::Client, ids: &[String]) -> usize {
    let out = client
        .get_url_upload_infos()
        .job_ids(ids.iter().cloned())
        .send()
        .await
        .unwrap_or_else(|e| fail(&format!("call failed: {e}")));
    out.url_upload_info_list.len() + out.non_exists.len()
}

fn emulator(endpoint: &str, seconds: f64, max_requests: u64) -> Value {
    let rt = current_thread_runtime();
    let client = support::client(endpoint);
    let ids = support::job_ids();
    rt.block_on(async {
        // Warm-up and sanity: every job ID is accounted for.
        let answered = call(&client, &ids).await;
        assert_eq!(answered, 10, "10 job IDs, 10 results (found + NonExists)");
        let rss_after_setup = support::peak_rss_kib();
        let cpu_start = support::process_cpu().unwrap_or_default();
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(seconds);
        let mut n = 0u64;
        while n < max_requests {
            call(&client, &ids).await;
            n += 1;
            if Instant::now() >= deadline {
                break;
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let cpu = support::process_cpu()
            .unwrap_or_default()
            .saturating_sub(cpu_start);
        json!({
            "mode": "emulator",
            "requests": n,
            "seconds": elapsed,
            "rps": n as f64 / elapsed,
            "client_cpu_s": cpu.as_secs_f64(),
            "cpu_per_call_us": cpu.as_secs_f64() * 1e6 / n as f64,
            "peak_rss_kib_after_setup": rss_after_setup,
            "peak_rss_kib_end": support::peak_rss_kib(),
        })
    })
}

fn loopback(in_flight: usize, seconds: f64, workers: usize) -> Value {
    let server = support::start_server(support::INFOS_10_JSON, "application/json", None);
    let rt = support::client_runtime(workers);
    let client = support::client(&server.url);
    let ids = support::job_ids();
    rt.block_on(async {
        // Warm-up: open the connections.
        futures::stream::iter(0..in_flight * 50)
            .map(|_| call(&client, &ids))
            .buffer_unordered(in_flight)
            .for_each(|_| async {})
            .await;
        let server_cpu = || server.tid.and_then(support::thread_cpu).unwrap_or_default();
        let (cpu0, server0) = (support::process_cpu().unwrap_or_default(), server_cpu());
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(seconds);
        let mut calls = 0u64;
        // Rounds of 1,000 calls until the time is up, `in_flight` at a time.
        while Instant::now() < deadline {
            futures::stream::iter(0..1_000)
                .map(|_| call(&client, &ids))
                .buffer_unordered(in_flight)
                .for_each(|_| async {})
                .await;
            calls += 1_000;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let total = support::process_cpu()
            .unwrap_or_default()
            .saturating_sub(cpu0)
            .as_secs_f64();
        let server = server_cpu().saturating_sub(server0).as_secs_f64();
        let per_call_us = |s: f64| s * 1e6 / calls as f64;
        json!({
            "mode": "loopback",
            "in_flight": in_flight,
            "client_workers": workers,
            "calls": calls,
            "seconds": elapsed,
            "rps": calls as f64 / elapsed,
            "wall_per_call_us": per_call_us(elapsed),
            "process_cpu_per_call_us": per_call_us(total),
            "server_thread_cpu_per_call_us": per_call_us(server),
            "client_cpu_per_call_us": per_call_us(total - server),
        })
    })
}

/// Peak RSS of child processes doing client work against servers in this one.
fn memory(calls: usize) -> Value {
    let fixed = support::start_server(support::INFOS_10_JSON, "application/json", None);
    let holding = support::start_server(support::INFOS_10_JSON, "application/json", Some(calls));
    let echo = start_echo_server();
    let exe = std::env::current_exe().expect("own path");
    let child = |endpoint: &str, what: &str| -> Value {
        let out = Command::new(&exe)
            .args(["memory-client", "--endpoint", endpoint, "--what", what])
            .args(["--calls", &calls.to_string()])
            .output()
            .expect("run a memory client");
        if !out.status.success() {
            fail(&format!(
                "memory client {what} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    json!({
        "mode": "memory",
        "idle": child(&fixed.url, "idle"),
        "one_call": child(&fixed.url, "one-call"),
        "in_flight": child(&holding.url, "in-flight"),
        "batch": child(&echo, "batch"),
    })
}

fn memory_client(endpoint: &str, what: &str, calls: usize) -> Value {
    let rt = current_thread_runtime();
    let client = support::client(endpoint);
    let ids = support::job_ids();
    let before = support::peak_rss_kib();
    let start = Instant::now();
    let detail = rt.block_on(async {
        match what {
            "idle" => json!({}),
            "one-call" => json!({ "answered": call(&client, &ids).await }),
            "in-flight" => {
                // Every call is started at once; the server answers none until
                // all of them have arrived.
                let answered: usize = futures::future::join_all((0..calls).map(|_| call(&client, &ids)))
                    .await
                    .into_iter()
                    .sum();
                json!({ "calls": calls, "answered": answered })
            }
            "batch" => {
                let many: Vec<String> = (0..calls as u128 * 10).map(|i| format!("{i:032x}")).collect();
                let out = client
                    .get_url_upload_infos_by_job_ids(&many)
                    .await
                    .unwrap_or_else(|e| fail(&format!("batch failed: {e}")));
                json!({ "job_ids": many.len(), "calls": out.request_ids.len(), "non_exists": out.non_exists.len() })
            }
            other => fail(&format!("unknown memory client {other}")),
        }
    });
    json!({
        "what": what,
        "detail": detail,
        "seconds": start.elapsed().as_secs_f64(),
        "peak_rss_kib_before": before,
        "peak_rss_kib": support::peak_rss_kib(),
    })
}

/// A server that answers every `GetURLUploadInfos` with all its job IDs in
/// `NonExists`, as the service does for unknown jobs, so the batch helper's
/// merged output holds one entry per job ID.
fn start_echo_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        current_thread_runtime().block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(format!(
                "http://{}",
                listener.local_addr().expect("address")
            ))
            .expect("caller waits");
            let app = axum::Router::new().fallback(|body: String| async move {
                let ids: Vec<String> = body
                    .split('&')
                    .find_map(|p| p.strip_prefix("JobIds="))
                    .map(|v| {
                        aliyun_runtime::percent_decode(v)
                            .split(',')
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let body = json!({
                    "RequestId": "00000000-0000-0000-0000-000000000000",
                    "NonExists": ids,
                    "URLUploadInfoList": [],
                });
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body.to_string(),
                )
            });
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server starts")
}

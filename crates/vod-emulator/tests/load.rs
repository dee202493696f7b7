//! The emulator binary under load: 200 concurrent clients (each with its own
//! connections) for 10 s on loopback, mixing uploads and lookups, against a
//! throttling limit the emulator is told to apply. No request may fail other
//! than by that throttling; every acknowledged job must be found, with its URL,
//! exactly once; the emulator's resident memory must stay flat once warm.
//! Bounded: 10 s of load, a cap on calls per client, a timeout on the whole.
//!
//! The figures (calls, throughput, throttled, jobs, memory) are printed to
//! standard error; RELIABILITY.md quotes a run.

mod harness;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{call, http, job_id, lookup, set_faults, sources, stats, upload, Binary};

const CLIENTS: usize = 200;
const LOAD_FOR: Duration = Duration::from_secs(10);
/// Caps each client's calls whatever the machine's speed.
const MAX_CALLS_PER_CLIENT: usize = 10_000;
/// The emulator's throttling limit (requests per second over all callers).
const THROTTLE_QPS: f64 = 1_500.0;
/// What the emulator may gain per request after the warm-up: it keeps each
/// request's nonce for 15 minutes and each upload's job (a few hundred bytes
/// together, measured about 0.3 KiB); a leak of a request or response per
/// call would exceed it.
const MAX_RSS_GROWTH_PER_CALL_BYTES: u64 = 1024;
/// And in all, whatever the machine's speed.
const MAX_RSS_GROWTH_KIB: u64 = 32 * 1024;
const WARM_UP: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Report {
    calls: u64,
    /// Calls made after the warm-up.
    calls_warm: u64,
    throttled: u64,
    failures: Vec<String>,
    /// (JobId, source URL) of every acknowledged upload.
    acked: Vec<(String, String)>,
}

async fn client(n: usize, base: String, src: String, warm: Instant, deadline: Instant) -> Report {
    let http = http();
    let mut r = Report::default();
    let mut i = 0;
    while Instant::now() < deadline && i < MAX_CALLS_PER_CLIENT {
        i += 1;
        r.calls += 1;
        if Instant::now() >= warm {
            r.calls_warm += 1;
        }
        let answer = if r.acked.is_empty() || i % 10 == 0 {
            let url = format!("{src}/load/{n}/{i}.mp4");
            let answer = upload(&http, &base, &url).await;
            if let Ok(a) = &answer {
                if a.status == 200 {
                    match job_id(a) {
                        Some(id) => r.acked.push((id, url)),
                        None => r.failures.push(format!("no JobId: {}", a.body)),
                    }
                }
            }
            answer
        } else {
            let ids: Vec<String> = r
                .acked
                .iter()
                .rev()
                .take(10)
                .map(|(id, _)| id.clone())
                .collect();
            let joined = ids.join(",");
            let answer = call(&http, &base, "GetURLUploadInfos", &[("JobIds", &joined)]).await;
            if let Ok(a) = &answer {
                if a.status == 200 {
                    let found = a.body["URLUploadInfoList"].as_array().map_or(0, Vec::len);
                    let missing = a.body["NonExists"].as_array().map_or(0, Vec::len);
                    if found != ids.len() || missing != 0 {
                        r.failures
                            .push(format!("lookup of {ids:?} lost a job: {}", a.body));
                    }
                }
            }
            answer
        };
        match answer {
            Ok(a) if a.status == 200 => {}
            Ok(a) if a.code() == "Throttling.User" => {
                r.throttled += 1;
                // As a well-behaved client does: wait what the service asked.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(a) => r.failures.push(format!("HTTP {}: {}", a.status, a.body)),
            Err(e) => r.failures.push(e),
        }
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_for_ten_seconds_lose_nothing_and_hold_memory() {
    tokio::time::timeout(Duration::from_secs(120), run())
        .await
        .expect("the load test finished within its bound");
}

async fn run() {
    let qps = THROTTLE_QPS.to_string();
    let emu = Binary::start(&[
        "--port",
        "0",
        "--step-delay-ms",
        "0",
        "--throttle-qps",
        &qps,
    ]);
    let base = emu.base.clone();
    set_faults(
        &base,
        &format!(r#"{{"throttle_qps": {THROTTLE_QPS}, "retry_after_ms": 50}}"#),
    )
    .await;
    let src = sources().await;

    // Memory, sampled every 100 ms while the load runs.
    let emu = Arc::new(emu);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let sampler = tokio::spawn({
        let (emu, stop) = (Arc::clone(&emu), Arc::clone(&stop));
        async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(kib) = emu.rss_kib() {
                    samples.push((started.elapsed(), kib));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        }
    });

    let deadline = started + LOAD_FOR;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let warm = started + WARM_UP;
            tokio::spawn(client(n, base.clone(), src.clone(), warm, deadline))
        })
        .collect();
    let mut reports = Vec::new();
    for c in clients {
        reports.push(c.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();

    let calls: u64 = reports.iter().map(|r| r.calls).sum();
    let calls_warm: u64 = reports.iter().map(|r| r.calls_warm).sum();
    let throttled: u64 = reports.iter().map(|r| r.throttled).sum();
    let failures: Vec<String> = reports.iter().flat_map(|r| r.failures.clone()).collect();
    let acked: Vec<(String, String)> = reports.into_iter().flat_map(|r| r.acked).collect();
    let warm = samples
        .iter()
        .find(|(t, _)| *t >= WARM_UP)
        .map(|(_, kib)| *kib)
        .expect("memory sampled after the warm-up");
    let peak_after_warm = samples
        .iter()
        .filter(|(t, _)| *t >= WARM_UP)
        .map(|(_, kib)| *kib)
        .max()
        .unwrap_or(warm);
    let end = samples.last().map(|(_, kib)| *kib).unwrap_or(warm);
    eprintln!(
        "load: {CLIENTS} clients, {elapsed:.1?}: {calls} calls ({:.0}/s), {throttled} throttled, \
         {} failed, {} jobs acknowledged; RSS {} KiB at {WARM_UP:?}, peak {} KiB after, {} KiB at the end \
         ({calls_warm} calls after the warm-up)",
        calls as f64 / elapsed.as_secs_f64(),
        failures.len(),
        acked.len(),
        warm,
        peak_after_warm,
        end,
    );

    assert!(
        failures.is_empty(),
        "{} failed calls besides throttling, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(
        acked.len() >= CLIENTS,
        "every client uploaded at least once"
    );
    let growth_kib = peak_after_warm.saturating_sub(warm);
    assert!(
        growth_kib <= MAX_RSS_GROWTH_KIB
            && growth_kib * 1024 <= MAX_RSS_GROWTH_PER_CALL_BYTES * calls_warm.max(1),
        "RSS grew from {warm} KiB to {peak_after_warm} KiB over {calls_warm} calls"
    );

    // Nothing lost, nothing doubled: every acknowledged job is there once, with
    // its URL, and the store holds exactly the acknowledged uploads (a
    // throttled upload creates no job).
    set_faults(&base, "{}").await;
    let ids: Vec<String> = acked.iter().map(|(id, _)| id.clone()).collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a JobId was handed out twice");
    let chunks: Vec<Vec<String>> = ids.chunks(500).map(<[String]>::to_vec).collect();
    let lookups = chunks.into_iter().map(|chunk| {
        let base = base.clone();
        tokio::spawn(async move { lookup(&http(), &base, &chunk).await })
    });
    let mut found = Vec::new();
    for l in lookups {
        let (f, missing) = l.await.unwrap();
        assert!(missing.is_empty(), "acknowledged jobs lost: {missing:?}");
        found.extend(f);
    }
    found.sort();
    let mut want = acked.clone();
    want.sort();
    assert_eq!(found.len(), want.len());
    assert!(found == want, "a job's URL changed");
    let s = stats(&base).await;
    assert_eq!(s.jobs, acked.len(), "{s:?}");
    assert_eq!(s.upload_media_by_url_calls, acked.len() as u64, "{s:?}");
    assert_eq!(s.faults_injected, throttled, "{s:?}");
    drop(emu);
}

//! One process of a fleet for the shared rate limiter's end-to-end tests
//! (`tests/tests/shared_limit.rs`): `limit_worker EMULATOR_URL REDIS_URL
//! TASKS START_MS END_MS FALLBACK_SHARE ATTEMPTS`. From START_MS to END_MS (Unix
//! milliseconds, the same for every worker), TASKS tasks call
//! GetURLUploadInfos (100 calls/s for the account) through one client whose
//! limiter is shared on Redis, each call tried at most ATTEMPTS times. Prints one JSON line: the
//! Unix millisecond of each success and of each throttled answer, the failed count, and
//! whether it fell back to its local limiter.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliyun_runtime::{RedisLimiter, RedisLimiterSettings};
use aliyun_vod::{Client, Config, Credentials, RetryConfig};

fn now_ms() -> u64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, emulator, redis, tasks, start, end, share, attempts] = &args[..] else {
        eprintln!("usage: limit_worker EMULATOR_URL REDIS_URL TASKS START_MS END_MS FALLBACK_SHARE ATTEMPTS");
        std::process::exit(2);
    };
    let number = |s: &str| s.parse::<u64>().expect("a number");
    let (tasks, start, end) = (number(tasks), number(start), number(end));
    let settings = RedisLimiterSettings {
        fallback_share: share.parse().expect("a share"),
        probe_interval: Duration::from_millis(200),
        ..RedisLimiterSettings::default()
    };
    let limiter = RedisLimiter::with_settings(redis, settings).expect("a redis:// URL");
    let client = Client::new(
        Config::new()
            .endpoint(emulator)
            .credentials(Credentials::new(
                vod_emulator::DEFAULT_ACCESS_KEY_ID,
                vod_emulator::DEFAULT_ACCESS_KEY_SECRET,
            ))
            .retry(RetryConfig {
                max_attempts: attempts.parse().expect("a number of attempts"),
                ..RetryConfig::default()
            })
            .rate_limiter(limiter.clone()),
    )
    .expect("a client");
    let wait = start.saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;

    let ok = Arc::new(Mutex::new(Vec::new()));
    let (throttled, failed) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(0u64)));
    let fell_back = Arc::new(Mutex::new(false));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, ok, throttled, failed) = (
            client.clone(),
            ok.clone(),
            throttled.clone(),
            failed.clone(),
        );
        let (limiter, fell_back) = (limiter.clone(), fell_back.clone());
        handles.push(tokio::spawn(async move {
            while now_ms() < end {
                let call = client
                    .get_url_upload_infos()
                    .job_ids(["0123456789abcdef0123456789abcdef"])
                    .send();
                // A call started after the end does not count.
                let result = call.await;
                let at = now_ms();
                if limiter.is_falling_back() {
                    *fell_back.lock().unwrap() = true;
                }
                match result {
                    Ok(_) if at <= end => ok.lock().unwrap().push(at),
                    Ok(_) => {}
                    Err(e) if e.code().is_some_and(|c| c.starts_with("Throttling")) => {
                        throttled.lock().unwrap().push(at);
                    }
                    Err(e) => {
                        eprintln!("call failed: {e}");
                        *failed.lock().unwrap() += 1;
                    }
                }
            }
        }));
    }
    for h in handles {
        h.await.expect("a task");
    }
    let line = serde_json::json!({
        "ok": *ok.lock().unwrap(),
        "throttled": *throttled.lock().unwrap(),
        "failed": *failed.lock().unwrap(),
        "fell_back": *fell_back.lock().unwrap(),
        "falling_back_at_end": limiter.is_falling_back(),
    });
    println!("{line}");
}

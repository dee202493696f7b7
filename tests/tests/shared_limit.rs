//! The rate limiter shared on Redis, end to end: a real `redis-server`
//! (started here on 127.0.0.1, a free port, no persistence), the emulator
//! throttling at the operation's limit, and worker processes
//! (`src/bin/limit_worker.rs`) calling it at once. Without `redis-server` on
//! the PATH these tests say so and pass, except under CI (`CI=true`), whose
//! `.ci/run` installs it: there they fail.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aliyun_runtime::{RedisLimiter, RedisLimiterSettings};
use aliyun_vod::{Client, RetryConfig};
use vod_emulator::{Emulator, EmulatorConfig, Faults, RunningEmulator};

const WORKER: &str = env!("CARGO_BIN_EXE_limit_worker");
/// GetURLUploadInfos' limit, calls per second per account.
const LIMIT: f64 = 100.0;

/// A redis-server child on 127.0.0.1; killed on drop.
struct Redis {
    child: std::process::Child,
    port: u16,
}

impl Redis {
    /// `None` (after saying why) when no redis-server is installed, outside CI.
    fn start() -> Option<Redis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        match Redis::start_on(port) {
            Ok(redis) => Some(redis),
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("SKIPPED: cannot start redis-server ({e}); install Debian's redis-server package to run the shared limiter tests");
                None
            }
            Err(e) => panic!("CI must have redis-server (.ci/run installs it): {e}"),
        }
    }

    fn start_on(port: u16) -> std::io::Result<Redis> {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "local"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = redis.child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "redis-server exited: {status}"
                )));
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::other(
                    "redis-server did not listen within 10 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// SIGKILL, as a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn now_ms() -> u64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(d.as_millis()).unwrap()
}

async fn throttling_emulator() -> RunningEmulator {
    Emulator::start(EmulatorConfig::default().with_faults(Faults {
        throttle_qps: Some(LIMIT),
        ..Faults::default()
    }))
    .await
    .unwrap()
}

/// What all the workers did.
#[derive(Default)]
struct Fleet {
    ok: Vec<u64>,
    throttled: Vec<u64>,
    failed: u64,
    fell_back: usize,
    falling_back_at_end: usize,
}

impl Fleet {
    /// Successes per second between `from` and `to` (Unix ms).
    fn rate(&self, from: u64, to: u64) -> f64 {
        let n = self.ok.iter().filter(|t| (from..to).contains(t)).count();
        n as f64 * 1000.0 / (to - from) as f64
    }
}

/// Starts `workers` processes of `tasks` tasks each, calling from `start` to
/// `end`; `during` runs meanwhile; then collects what they printed.
async fn fleet(
    emulator: &str,
    redis: &str,
    workers: usize,
    tasks: usize,
    (start, end): (u64, u64),
    share: f64,
    attempts: u32,
) -> Vec<tokio::process::Child> {
    (0..workers)
        .map(|_| {
            tokio::process::Command::new(WORKER)
                .args([emulator, redis])
                .arg(tasks.to_string())
                .arg(start.to_string())
                .arg(end.to_string())
                .arg(share.to_string())
                .arg(attempts.to_string())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap()
        })
        .collect()
}

async fn collect(children: Vec<tokio::process::Child>) -> Fleet {
    let mut fleet = Fleet::default();
    for child in children {
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("a worker ran over a minute")
            .unwrap();
        assert!(out.status.success(), "worker: {:?}", out.status);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        fleet.ok.extend(
            v["ok"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_u64().unwrap()),
        );
        fleet.throttled.extend(
            v["throttled"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_u64().unwrap()),
        );
        fleet.failed += v["failed"].as_u64().unwrap();
        fleet.fell_back += usize::from(v["fell_back"].as_bool().unwrap());
        fleet.falling_back_at_end += usize::from(v["falling_back_at_end"].as_bool().unwrap());
    }
    fleet
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_one_limit_without_a_throttled_answer() {
    let Some(redis) = Redis::start() else { return };
    let emu = throttling_emulator().await;
    let start = now_ms() + 1_500; // every worker is up by then
    let end = start + 3_000;
    let children = fleet(&emu.base_url(), &redis.url(), 4, 16, (start, end), 0.25, 1).await;
    let fleet = collect(children).await;
    let rate = fleet.rate(start, end);
    assert_eq!(fleet.throttled.len(), 0, "rate {rate:.1}/s");
    assert_eq!(fleet.failed, 0);
    assert!(
        (0.9 * LIMIT..=LIMIT).contains(&rate),
        "combined rate {rate:.1}/s, limit {LIMIT}/s"
    );
    assert_eq!(fleet.fell_back, 0, "Redis was up throughout");
    println!("4 processes x 16 tasks: {rate:.1} calls/s combined, limit {LIMIT}/s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_then_back_falls_back_then_shares_again() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let port = redis.port;
    let emu = throttling_emulator().await;
    // Fallback at a tenth of the limit each: 4 processes, 40 calls/s.
    let share = 0.1;
    let start = now_ms() + 1_500;
    let (kill_at, back_at, end) = (start + 1_000, start + 2_500, start + 4_500);
    let children = fleet(&emu.base_url(), &redis.url(), 4, 16, (start, end), share, 3).await;
    tokio::time::sleep(Duration::from_millis(kill_at - now_ms())).await;
    redis.kill();
    tokio::time::sleep(Duration::from_millis(back_at - now_ms())).await;
    let redis = Redis::start_on(port).unwrap();
    let fleet = collect(children).await;

    // At the switch, the local share may meet the last shared second and
    // draw a throttling answer; retried, as by default, no call fails.
    assert_eq!(
        (fleet.failed, fleet.throttled.len()),
        (0, 0),
        "no call fails because Redis is down"
    );
    assert_eq!(fleet.fell_back, 4, "every process fell back");
    assert_eq!(
        fleet.falling_back_at_end, 0,
        "every process returned to Redis"
    );
    let before = fleet.rate(start, kill_at);
    let during = fleet.rate(kill_at + 500, back_at);
    // Whole seconds: the limiter lets a second's calls start at once.
    let after = fleet.rate(back_at, end);
    let fallback = 4.0 * LIMIT * share;
    let hist: Vec<usize> = (0..45)
        .map(|i| {
            fleet
                .ok
                .iter()
                .filter(|t| (start + i * 100..start + i * 100 + 100).contains(t))
                .count()
        })
        .collect();
    let th: Vec<u64> = fleet.throttled.iter().map(|t| t - start).collect();
    println!("throttled {th:?} hist {hist:?}");
    println!(
        "shared {before:.1}/s, Redis down {during:.1}/s (fallback {fallback}/s), back {after:.1}/s"
    );
    assert!(before >= 0.85 * LIMIT, "before: {before:.1}/s");
    assert!(
        (0.5 * fallback..=1.1 * fallback).contains(&during),
        "during: {during:.1}/s, fallback {fallback}/s"
    );
    assert!(after >= 0.85 * LIMIT, "after: {after:.1}/s");
    // The shared windows live in the new server again.
    let mut c = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("aliyun-rate:*")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!keys.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_redis_is_given_up_on_within_the_timeout() {
    let Some(redis) = Redis::start() else { return };
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = RedisLimiterSettings {
        timeout: Duration::from_millis(50),
        ..RedisLimiterSettings::default()
    };
    let limiter = RedisLimiter::with_settings(&redis.url(), settings).unwrap();
    let client = Client::new(
        vod_e2e::emulator_config(&emu.base_url())
            .retry(RetryConfig::disabled())
            .rate_limiter(limiter.clone()),
    )
    .unwrap();
    let call = || {
        client
            .get_url_upload_infos()
            .job_ids(["0123456789abcdef0123456789abcdef"])
            .send()
    };
    call().await.unwrap();
    assert!(!limiter.is_falling_back());

    // The server stalls for a second (DEBUG SLEEP blocks it).
    let url = redis.url();
    let stall = tokio::spawn(async move {
        let mut c = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        // This client gives up waiting before the server wakes: no matter.
        let _: Result<(), _> = redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg("1")
            .query_async(&mut c)
            .await;
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    call().await.unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert!(limiter.is_falling_back());
    stall.await.unwrap();

    // Awake again: the next probe (after the interval) shares again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    call().await.unwrap();
    assert!(!limiter.is_falling_back());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_answer_slows_every_process_sharing_the_limit() {
    let Some(redis) = Redis::start() else { return };
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = |limiter: RedisLimiter| {
        Client::new(
            vod_e2e::emulator_config(&emu.base_url())
                .retry(RetryConfig::disabled())
                .rate_limiter(limiter),
        )
        .unwrap()
    };
    let call = |c: &Client| {
        c.get_url_upload_infos()
            .job_ids(["0123456789abcdef0123456789abcdef"])
            .send()
    };
    // The time to wait told by x-acs-retry-after (800 ms), or only by the
    // quota header's TimeLeft (a 0.4/s bucket: 2.5 s, longer than the 1 s
    // pause a throttling answer without a hint gets).
    for (qps, retry_after_ms, told) in [(0.001, Some(800), 800), (0.4, None, 2_500)] {
        // Two clients with their own local limiters and connections: two
        // processes, as Redis sees them; a fresh account each round.
        let account = format!("account-{qps}");
        let (a, b) = (
            client(
                RedisLimiter::new(&redis.url())
                    .unwrap()
                    .with_account(&account),
            ),
            client(
                RedisLimiter::new(&redis.url())
                    .unwrap()
                    .with_account(&account),
            ),
        );
        emu.set_faults(Faults {
            throttle_qps: Some(qps),
            retry_after_ms,
            ..Faults::default()
        })
        .unwrap();
        // The bucket's one token goes; the next call is throttled.
        call(&a).await.unwrap();
        let e = call(&a).await.unwrap_err();
        assert_eq!(e.code(), Some("Throttling.User"));
        emu.set_faults(Faults::default()).unwrap();
        // B never saw the throttling, yet waits for the pause A shared.
        let t = Instant::now();
        call(&b).await.unwrap();
        let waited = t.elapsed();
        assert!(
            waited >= Duration::from_millis(told - 300),
            "b waited only {waited:?}, told {told} ms"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_cancelled_while_it_waits_gives_its_start_back() {
    let Some(redis) = Redis::start() else { return };
    let shared = RedisLimiter::new(&redis.url()).unwrap();
    let local = aliyun_runtime::RateLimiters::default();
    let acquire = || shared.acquire(&local, "key-id", "OneASecond", 1);
    // A takes this second's start; B is given the next one, and gives up.
    acquire().await;
    let t = Instant::now();
    assert!(tokio::time::timeout(Duration::from_millis(100), acquire())
        .await
        .is_err());
    tokio::time::sleep(Duration::from_millis(100)).await; // the release lands
                                                          // C gets the start B gave back, not the one after it.
    acquire().await;
    let waited = t.elapsed();
    assert!(
        (Duration::from_millis(900)..Duration::from_millis(1_600)).contains(&waited),
        "C started {waited:?} after A"
    );
    assert!(!shared.is_falling_back());
}

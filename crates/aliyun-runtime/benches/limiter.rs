//! What one limiter acquire costs, when the limit is far away (so nothing
//! waits): the local limiter (`limiter/local`) against the one shared on a
//! loopback Redis (`limiter/redis`: one Lua script, one round trip), and
//! the floor of the latter, a bare PING round trip (`limiter/redis_ping_floor`). The bench
//! starts its own `redis-server` on 127.0.0.1 and a free port, and skips the
//! Redis row without one. `cargo bench -p aliyun-runtime --features redis --bench limiter`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aliyun_runtime::{RateLimiters, RedisLimiter};
use criterion::{criterion_group, criterion_main, Criterion};

/// A limit no bench run reaches in one second.
const FAR: u32 = 1_000_000_000;

struct Redis(Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis() -> Option<(Redis, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let redis = Redis(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((redis, format!("redis://127.0.0.1:{port}/")))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("limiter");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("local", |b| {
        // A fresh limiter per batch: it remembers the last `limit` starts.
        b.to_async(&rt).iter_custom(|iters| async move {
            let local = RateLimiters::default();
            let t = Instant::now();
            for _ in 0..iters {
                local.acquire("GetURLUploadInfos", FAR).await;
            }
            t.elapsed()
        });
    });
    match redis() {
        Some((_server, url)) => {
            let shared = RedisLimiter::new(&url).unwrap();
            let local = RateLimiters::default();
            group.bench_function("redis", |b| {
                b.to_async(&rt)
                    .iter(|| shared.acquire(&local, "LTAI5tBenchKey", "GetURLUploadInfos", FAR));
            });
            assert!(!shared.is_falling_back(), "Redis answered throughout");
            // The floor: one PING round trip on the same kind of connection.
            let conn = rt
                .block_on(
                    redis::Client::open(url)
                        .unwrap()
                        .get_multiplexed_async_connection(),
                )
                .unwrap();
            group.bench_function("redis_ping_floor", |b| {
                b.to_async(&rt).iter(|| {
                    let mut c = conn.clone();
                    async move {
                        redis::cmd("PING")
                            .query_async::<String>(&mut c)
                            .await
                            .unwrap()
                    }
                });
            });
        }
        None => eprintln!("limiter/redis skipped: no redis-server could be started"),
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Typed calls through the real client (reqwest, keep-alive) to a minimal
//! loopback HTTP server answering the 10-job JSON body, with 1 and 16 calls in
//! flight. Throughput is in calls (elements) per second; the time per
//! iteration is wall time per call, so with 16 in flight it is the inverse of
//! the throughput, not a call's latency.
//!
//! The server runs on one thread of its own (a single-threaded runtime) and the
//! client on another, so on a 2-core machine each has a core. The server checks
//! no signature (see `support`). Run with
//! `cargo bench -p aliyun-vod --bench round_trip`.

mod support;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::StreamExt as _;

fn round_trip(c: &mut Criterion) {
    let server = support::start_server(support::INFOS_10_JSON, "application/json", None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let client = support::client(&server.url);
    let ids = support::job_ids();
    let call = || {
        let request = client.get_url_upload_infos().job_ids(ids.iter().cloned());
        async move {
            let out = request.send().await.expect("the loopback server answers");
            debug_assert_eq!(out.url_upload_info_list.len(), 10);
            out
        }
    };
    // Opens the connections and checks the answer once.
    rt.block_on(async {
        let out = call().await;
        assert_eq!(out.url_upload_info_list.len(), 10);
    });

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));
    for in_flight in [1usize, 16] {
        group.bench_function(format!("in_flight_{in_flight}"), |b| {
            b.iter_custom(|calls| {
                rt.block_on(async {
                    let start = Instant::now();
                    futures::stream::iter(0..calls)
                        .map(|_| call())
                        .buffer_unordered(in_flight)
                        .for_each(|_| async {})
                        .await;
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);

//! The SDK against the emulator's fault switches, one test per fault: what the
//! caller sees (a typed error or a success after retries) and what the
//! emulator saw (its request, job and fault counters), so a retry that should
//! not happen, or one that should and does not, fails the test. Everything on
//! 127.0.0.1, ephemeral ports; every wait bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aliyun_vod::upload_media_by_url::UploadMediaByUrlOutput;
use aliyun_vod::{
    Client, Config, Credentials, Error, Format, HttpMethod, RetryConfig, SignatureVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vod_e2e::file_server;
use vod_emulator::{
    Emulator, EmulatorConfig, Faults, RunningEmulator, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
};

async fn emulator() -> RunningEmulator {
    Emulator::start(
        EmulatorConfig::default()
            .with_step_delay(Duration::from_millis(5))
            .with_seed(7),
    )
    .await
    .unwrap()
}

/// Quick retries (3 attempts), no client-side rate limit unless a test wants it.
fn config(emu: &RunningEmulator) -> Config {
    Config::new()
        .endpoint(emu.base_url())
        .credentials(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_ACCESS_KEY_SECRET,
        ))
        .retry(RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        })
        .rate_limit(false)
}

fn client(emu: &RunningEmulator) -> Client {
    Client::new(config(emu)).unwrap()
}

fn faults(f: impl FnOnce(&mut Faults)) -> Faults {
    let mut faults = Faults::default();
    f(&mut faults);
    faults
}

async fn get(c: &Client) -> Result<(), Error> {
    c.get_url_upload_infos()
        .job_ids(["0123456789abcdef0123456789abcdef"])
        .send()
        .await
        .map(|_| ())
}

async fn upload(c: &Client, url: &str) -> Result<UploadMediaByUrlOutput, Error> {
    c.upload_media_by_url().upload_urls([url]).send().await
}

/// API requests the emulator received since `before`.
fn requests_since(emu: &RunningEmulator, before: u64) -> u64 {
    emu.stats().requests - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_xx_bursts_are_retried_for_reads_then_calls_recover() {
    let emu = emulator().await;
    let files = file_server().await;
    let c = client(&emu);

    // A burst of two 503s: the third attempt succeeds.
    emu.set_faults(faults(|f| f.fail_next = 2)).unwrap();
    let before = emu.stats().requests;
    get(&c).await.unwrap();
    assert_eq!(requests_since(&emu, before), 3);

    // A burst longer than the retries: the typed, transient error...
    emu.set_faults(faults(|f| f.error_rate = 1.0)).unwrap();
    let before = emu.stats().requests;
    let err = get(&c).await.unwrap_err();
    let code = err.code().unwrap_or_default().to_owned();
    assert!(
        code == "ServiceUnavailable" || code == "InternalError",
        "{err}"
    );
    assert!(err.is_transient() && err.may_have_been_sent(), "{err:?}");
    assert!(
        matches!(err.as_service().map(|e| e.status), Some(500 | 503)),
        "{err:?}"
    );
    assert_eq!(requests_since(&emu, before), 3);
    // ...then recovery: the same client succeeds at once.
    emu.set_faults(Faults::default()).unwrap();
    let before = emu.stats().requests;
    get(&c).await.unwrap();
    assert_eq!(requests_since(&emu, before), 1);

    // A proxy's HTML 502 page is transient too.
    emu.set_faults(faults(|f| f.bad_gateway_next = 2)).unwrap();
    let before = emu.stats().requests;
    get(&c).await.unwrap();
    assert_eq!(requests_since(&emu, before), 3);

    // UploadMediaByURL is sent once: the 503 comes back, no job was created.
    emu.set_faults(faults(|f| f.fail_next = 1)).unwrap();
    let (before, jobs) = (emu.stats().requests, emu.stats().jobs);
    let err = upload(&c, &format!("{files}/burst.mp4")).await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceUnavailable"), "{err}");
    assert_eq!(requests_since(&emu, before), 1);
    assert_eq!(emu.stats().jobs, jobs);
    // And once the service is back, the upload goes through.
    upload(&c, &format!("{files}/burst.mp4")).await.unwrap();
    assert_eq!(emu.stats().jobs, jobs + 1);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_backed_off_until_every_call_succeeds() {
    let emu = emulator().await;
    emu.set_faults(faults(|f| {
        f.throttle_qps = Some(20.0);
        f.retry_after_ms = Some(100);
    }))
    .unwrap();
    // Generous attempts: 40 calls through a 20/s bucket take about a second.
    let c = Client::new(config(&emu).retry(RetryConfig {
        max_attempts: 30,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(300),
    }))
    .unwrap();
    let started = Instant::now();
    let calls = (0..40).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { get(&c).await })
    });
    for r in futures_join(calls).await {
        r.unwrap();
    }
    let elapsed = started.elapsed();
    let stats = emu.stats();
    let throttled = stats.faults_injected;
    // Some calls were throttled, and every throttled attempt was retried.
    assert!(throttled > 0, "{stats:?}");
    assert_eq!(stats.requests, 40 + throttled, "{stats:?}");
    // The bucket holds 20 and refills 20/s: the other 20 cannot all have
    // passed in less than a second, however the client hurried.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    // Each caller waits at least the 100 ms the service asked for between two
    // attempts, so none made more than 1 + elapsed / 100 ms of them.
    let most = 40.0 * (1.0 + elapsed.as_secs_f64() / 0.1);
    assert!(
        (throttled as f64) <= most,
        "{throttled} throttled answers for 40 calls in {elapsed:?}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_limiter_keeps_a_burst_under_the_service_qps_limit() {
    let emu = emulator().await;
    // The service allows 100 calls/s for GetURLUploadInfos; the emulator's
    // bucket here is 150 (capacity 150, refill 150/s), which leaves room for
    // arrival jitter on a loaded machine and still throttles any burst that
    // ignores the limit.
    emu.set_faults(faults(|f| f.throttle_qps = Some(150.0)))
        .unwrap();
    let limited =
        Client::new(config(&emu).rate_limit(true).retry(RetryConfig::disabled())).unwrap();
    let started = Instant::now();
    let calls = (0..250).map(|_| {
        let c = limited.clone();
        tokio::spawn(async move { get(&c).await })
    });
    for r in futures_join(calls).await {
        r.unwrap();
    }
    // 250 calls at 100/s: the last 50 cannot start before 2 s.
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(emu.stats().faults_injected, 0, "{:?}", emu.stats());

    // The same burst, bigger, without the limiter: the service throttles it.
    emu.set_faults(faults(|f| f.throttle_qps = Some(150.0)))
        .unwrap();
    let unlimited = Client::new(config(&emu).retry(RetryConfig::disabled())).unwrap();
    let calls = (0..400).map(|_| {
        let c = unlimited.clone();
        tokio::spawn(async move { get(&c).await })
    });
    let throttled = futures_join(calls)
        .await
        .into_iter()
        .filter(|r| {
            r.as_ref()
                .is_err_and(|e| e.code() == Some("Throttling.User"))
        })
        .count();
    assert!(throttled > 0, "400 unpaced calls were not throttled");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_beyond_the_attempt_timeout_is_a_typed_timeout_retried_only_if_safe() {
    let emu = emulator().await;
    let files = file_server().await;
    let timeout = Duration::from_millis(300);
    let c = Client::new(config(&emu).attempt_timeout(timeout)).unwrap();
    emu.set_faults(faults(|f| f.latency_ms = 2_000)).unwrap();

    let before = emu.stats().requests;
    let err = get(&c).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { sent: true, after } if after == timeout),
        "{err:?}"
    );
    assert!(err.is_transient() && err.to_string().contains("timed out after"));
    assert_eq!(requests_since(&emu, before), 3, "a read is retried");

    let before = emu.stats().requests;
    let err = upload(&c, &format!("{files}/slow.mp4")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: true, .. }), "{err:?}");
    assert!(err.to_string().contains("may have been sent"), "{err}");
    assert_eq!(requests_since(&emu, before), 1, "an upload is not");

    // Slow once, then fast: the retry of the read succeeds. The fault is
    // lifted as soon as the first attempt has arrived, long before it times out.
    let before = emu.stats().requests;
    let call = tokio::spawn({
        let c = c.clone();
        async move { get(&c).await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while requests_since(&emu, before) == 0 {
        assert!(Instant::now() < deadline, "the first attempt never arrived");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // The emulator counts a request, then decides its faults: give it a moment.
    // Later than the timeout is fine too (the first attempt then timed out).
    tokio::time::sleep(Duration::from_millis(100)).await;
    emu.set_faults(Faults::default()).unwrap();
    call.await.unwrap().unwrap();
    assert_eq!(requests_since(&emu, before), 2);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_retried_for_reads_and_never_duplicates_an_upload() {
    let emu = emulator().await;
    let files = file_server().await;
    let c = client(&emu);

    emu.set_faults(faults(|f| f.drop_next = 1)).unwrap();
    let before = emu.stats().requests;
    get(&c).await.unwrap();
    assert_eq!(requests_since(&emu, before), 2);

    emu.set_faults(faults(|f| f.drop_rate = 1.0)).unwrap();
    let before = emu.stats().requests;
    let err = get(&c).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: true, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("broke off"), "{err}");
    assert_eq!(requests_since(&emu, before), 3);

    // One upload cut mid-answer: a typed error, sent once, exactly one job.
    emu.set_faults(faults(|f| f.drop_next = 1)).unwrap();
    let url = format!("{files}/cut.mp4");
    let (before, jobs) = (emu.stats().requests, emu.stats().jobs);
    let err = upload(&c, &url).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: true, .. }),
        "{err:?}"
    );
    assert!(err.may_have_been_sent() && err.is_transient(), "{err:?}");
    assert_eq!(requests_since(&emu, before), 1);
    assert_eq!(emu.stats().jobs, jobs + 1);
    let found = c
        .get_url_upload_infos()
        .upload_urls([&url])
        .send()
        .await
        .unwrap();
    assert_eq!(found.url_upload_info_list.len(), 1, "{found:?}");

    // Twenty uploads with half the answers cut: every call made exactly one
    // job, whether its answer arrived or not.
    emu.set_faults(faults(|f| f.drop_rate = 0.5)).unwrap();
    let (calls, jobs) = (emu.stats().upload_media_by_url_calls, emu.stats().jobs);
    let urls: Vec<String> = (0..20).map(|i| format!("{files}/half/{i}.mp4")).collect();
    let mut acked = Vec::new();
    let mut cut = 0;
    for url in &urls {
        match upload(&c, url).await {
            Ok(out) => acked.extend(out.upload_jobs.into_iter().filter_map(|j| j.job_id)),
            Err(Error::Transport { sent: true, .. }) => cut += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(cut > 0 && !acked.is_empty(), "cut {cut}, acked {acked:?}");
    emu.set_faults(Faults::default()).unwrap();
    let stats = emu.stats();
    assert_eq!(stats.upload_media_by_url_calls - calls, 20, "{stats:?}");
    assert_eq!(stats.jobs - jobs, 20, "{stats:?}");
    let by_url = c.get_url_upload_infos_by_upload_urls(&urls).await.unwrap();
    assert_eq!(by_url.infos.len(), 20, "one job per URL, no duplicate");
    for id in &acked {
        assert!(by_url.job(id).is_some(), "acknowledged job {id} missing");
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_or_non_json_bodies_are_decode_errors_with_status_and_first_bytes() {
    let emu = emulator().await;
    let files = file_server().await;

    for format in [Format::Json, Format::Xml] {
        let c = Client::new(config(&emu).format(format)).unwrap();
        emu.set_faults(faults(|f| f.truncate_next = 1)).unwrap();
        let before = emu.stats().requests;
        let err = get(&c).await.unwrap_err();
        let Error::Decode(d) = &err else {
            panic!("{format:?}: expected a decode error, got {err:?}")
        };
        let start = match format {
            Format::Json => "{\"RequestId\":\"",
            Format::Xml => "<?xml version='1.0' encoding='UTF-8'?><GetURLUploadInfosResponse>",
        };
        assert_eq!(d.status, 200, "{d:?}");
        assert!(d.body_start.starts_with(start), "{format:?}: {d:?}");
        let shown = err.to_string();
        assert!(
            shown.contains("(HTTP 200)") && shown.contains("body starts with"),
            "{shown}"
        );
        assert!(
            !err.is_transient(),
            "a 200 that does not decode is not retried"
        );
        assert_eq!(requests_since(&emu, before), 1, "{format:?}");
    }

    // A proxy's HTML page: retried as a 5xx, then the decode error shows it.
    let c = client(&emu);
    emu.set_faults(faults(|f| f.bad_gateway_next = 5)).unwrap();
    let before = emu.stats().requests;
    let err = get(&c).await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(d.status, 502);
    assert!(d.body_start.starts_with("<html>"), "{d:?}");
    assert!(!d.message.is_empty(), "{d:?}");
    assert!(err.to_string().contains("HTTP 502"), "{err}");
    assert_eq!(requests_since(&emu, before), 3);

    // UploadMediaByURL: neither kind of answer is resent.
    emu.set_faults(faults(|f| f.bad_gateway_next = 1)).unwrap();
    let (before, jobs) = (emu.stats().requests, emu.stats().jobs);
    let err = upload(&c, &format!("{files}/gw.mp4")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.status == 502),
        "{err:?}"
    );
    assert_eq!(requests_since(&emu, before), 1);
    assert_eq!(
        emu.stats().jobs,
        jobs,
        "the gateway answered, not the service"
    );

    emu.set_faults(faults(|f| f.truncate_next = 1)).unwrap();
    let (before, jobs) = (emu.stats().requests, emu.stats().jobs);
    let err = upload(&c, &format!("{files}/half.mp4")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.status == 200),
        "{err:?}"
    );
    assert_eq!(requests_since(&emu, before), 1);
    assert_eq!(emu.stats().jobs, jobs + 1, "processed once, not resent");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_twenty_minutes_off_is_refused_with_a_hint_to_check_it() {
    let emu = emulator().await;
    for skew in [time::Duration::minutes(20), time::Duration::minutes(-20)] {
        for signature in [SignatureVersion::V1, SignatureVersion::V3] {
            let clock: aliyun_runtime::Clock =
                Arc::new(move || time::OffsetDateTime::now_utc() + skew);
            let c = Client::new(config(&emu).signature_version(signature).clock(clock)).unwrap();
            let before = emu.stats().requests;
            let err = get(&c).await.unwrap_err();
            let e = err
                .as_service()
                .unwrap_or_else(|| panic!("expected a service error, got {err:?}"));
            assert_eq!(e.code, "InvalidTimeStamp.Expired", "{skew} {signature:?}");
            let hint = e.hint.as_deref().unwrap_or_default();
            assert!(hint.contains("check this machine's clock"), "{hint}");
            assert!(hint.contains("within 15 minutes"), "{hint}");
            assert!(err.to_string().contains("\nhint: "), "{err}");
            assert!(!err.is_transient());
            assert_eq!(requests_since(&emu, before), 1, "not retried");
        }
    }
    // Ten minutes off is inside the service's window.
    let clock: aliyun_runtime::Clock =
        Arc::new(|| time::OffsetDateTime::now_utc() - time::Duration::minutes(10));
    get(&Client::new(config(&emu).clock(clock)).unwrap())
        .await
        .unwrap();
    emu.shutdown().await;
}

/// Sends a prepared request byte for byte over a fresh connection; returns
/// the status and body.
async fn send_raw(prepared: &aliyun_runtime::PreparedRequest) -> (u16, String) {
    let rest = prepared.url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let method = match prepared.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    };
    let body = prepared.body.clone().unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in &prepared.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_is_refused_and_sdk_retries_never_reuse_a_nonce() {
    let emu = emulator().await;
    for signature in [SignatureVersion::V1, SignatureVersion::V3] {
        for method in [HttpMethod::Post, HttpMethod::Get] {
            let c = Client::new(config(&emu).signature_version(signature).method(method)).unwrap();
            let creds = c.runtime().credentials().await.unwrap();
            let prepared = c.runtime().prepare(
                &aliyun_vod::get_url_upload_infos::OPERATION,
                &[("JobIds".into(), "abc".to_owned())],
                &creds,
            );
            let (status, body) = send_raw(&prepared).await;
            assert_eq!(status, 200, "{signature:?} {method:?}: {body}");
            let (status, body) = send_raw(&prepared).await;
            assert_eq!(status, 400, "{signature:?} {method:?}: {body}");
            assert!(body.contains("SignatureNonceUsed"), "{body}");
        }
    }
    // A dropped answer means the emulator accepted the request and recorded
    // its nonce; the retry passes only because it is signed with a new one.
    let c = client(&emu);
    emu.set_faults(faults(|f| f.drop_next = 2)).unwrap();
    let before = emu.stats().requests;
    get(&c).await.unwrap();
    assert_eq!(requests_since(&emu, before), 3);
    emu.shutdown().await;
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

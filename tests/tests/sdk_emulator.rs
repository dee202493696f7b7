//! The SDK against the emulator over real HTTP: the wire modes agree, retries
//! follow each operation's safety, STS tokens and clock skew are checked.
//! Everything listens on 127.0.0.1, ephemeral ports; every wait is bounded.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use aliyun_vod::get_url_upload_infos::GetUrlUploadInfosOutput;
use aliyun_vod::{Client, Config, Credentials, Format, HttpMethod, RetryConfig, SignatureVersion};
use vod_emulator::{
    Emulator, EmulatorConfig, Faults, RunningEmulator, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
};

const FILE_BYTES: usize = 32 * 1024;

/// Serves `FILE_BYTES` bytes at any path; returns the base URL.
async fn file_server() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async { vec![1u8; FILE_BYTES] });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn emulator(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config.with_step_delay(Duration::from_millis(5)))
        .await
        .unwrap()
}

/// A client for `emulator` with quick retries and no client-side rate limit.
fn config(emulator: &RunningEmulator) -> Config {
    Config::new()
        .endpoint(emulator.base_url())
        .credentials(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_ACCESS_KEY_SECRET,
        ))
        .retry(RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        })
        .rate_limit(false)
}

/// Polls until every job is terminal (at most 10 s).
async fn wait_all(client: &Client, ids: &[String]) -> GetUrlUploadInfosOutput {
    for _ in 0..500 {
        let out = client
            .get_url_upload_infos()
            .job_ids(ids.iter().cloned())
            .send()
            .await
            .unwrap();
        if out.url_upload_info_list.len() == ids.len()
            && out
                .url_upload_info_list
                .iter()
                .all(|i| i.status.as_ref().is_some_and(|s| s.is_terminal()))
        {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("jobs {ids:?} did not finish within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wire_mode_agrees_on_jobs_with_awkward_urls() {
    let emu = emulator(EmulatorConfig::default()).await;
    let files = file_server().await;
    let urls: Vec<String> = ["/a b.mp4", "/c,d.mp4", "/e.mp4?f=1&g=h+i", "/ü 字.mp4"]
        .iter()
        .map(|p| format!("{files}{p}"))
        .collect();
    let client = Client::new(config(&emu)).unwrap();
    let uploaded = client
        .upload_media_by_url()
        .upload_urls(urls.iter().cloned())
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = urls
        .iter()
        .map(|u| {
            uploaded
                .upload_jobs
                .iter()
                .find(|j| j.source_url.as_deref() == Some(u))
                .and_then(|j| j.job_id.clone())
                .unwrap_or_else(|| panic!("no job for {u}: {uploaded:?}"))
        })
        .collect();
    let done = wait_all(&client, &ids).await;
    for info in &done.url_upload_info_list {
        assert_eq!(info.status.as_ref().map(|s| s.as_str()), Some("SUCCESS"));
        assert_eq!(info.file_size, Some(FILE_BYTES as i64));
    }

    let mut seen = Vec::new();
    for format in [Format::Json, Format::Xml] {
        for signature in [SignatureVersion::V1, SignatureVersion::V3] {
            for method in [HttpMethod::Get, HttpMethod::Post] {
                let c = Client::new(
                    config(&emu)
                        .format(format)
                        .signature_version(signature)
                        .method(method),
                )
                .unwrap();
                let by_id = c
                    .get_url_upload_infos()
                    .job_ids(ids.iter().cloned().chain(["0000nope".to_owned()]))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{format:?}/{signature:?}/{method:?}: {e}"));
                let by_url = c
                    .get_url_upload_infos()
                    .upload_urls(urls.iter().cloned())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{format:?}/{signature:?}/{method:?}: {e}"));
                assert_eq!(by_id.non_exists, ["0000nope"]);
                assert!(by_url.non_exists.is_empty(), "{by_url:?}");
                let mut jobs = by_url.url_upload_info_list.clone();
                jobs.sort_by(|a, b| a.job_id.cmp(&b.job_id));
                let mut expected = by_id.url_upload_info_list.clone();
                expected.sort_by(|a, b| a.job_id.cmp(&b.job_id));
                assert_eq!(jobs, expected, "{format:?}/{signature:?}/{method:?}");
                seen.push((format!("{format:?}/{signature:?}/{method:?}"), expected));
            }
        }
    }
    for (name, jobs) in &seen[1..] {
        assert_eq!(jobs, &seen[0].1, "{name} differs from {}", seen[0].0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_tokens_and_clock_skew_are_enforced_and_explained() {
    let key = Credentials::new("STS.e2e", "e2e-secret").with_security_token("e2e-token");
    let emu = emulator(EmulatorConfig::default().with_access_keys([key.clone()])).await;
    let base = config(&emu).credentials(key.clone());
    Client::new(base.clone())
        .unwrap()
        .get_url_upload_infos()
        .job_ids(["x"])
        .send()
        .await
        .unwrap();

    let no_token = Client::new(
        base.clone()
            .credentials(Credentials::new("STS.e2e", "e2e-secret")),
    )
    .unwrap();
    let err = no_token
        .get_url_upload_infos()
        .job_ids(["x"])
        .send()
        .await
        .unwrap_err();
    assert!(
        err.code().is_some_and(|c| c.contains("SecurityToken")),
        "{err}"
    );

    let skewed = Client::new(base.clock(Arc::new(|| {
        time::OffsetDateTime::now_utc() - time::Duration::hours(1)
    })))
    .unwrap();
    let err = skewed
        .get_url_upload_infos()
        .job_ids(["x"])
        .send()
        .await
        .unwrap_err();
    assert!(
        err.code()
            .is_some_and(|c| c.starts_with("InvalidTimeStamp")),
        "{err}"
    );
    let hint = err
        .as_service()
        .and_then(|e| e.hint.clone())
        .unwrap_or_default();
    assert!(hint.contains("clock"), "{err}");
    assert!(!format!("{err} {err:?}").contains("e2e-secret"));
    assert!(!format!("{err} {err:?}").contains("e2e-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_waiter_and_batches_see_many_jobs_through_failures() {
    let emu = emulator(EmulatorConfig::default()).await;
    let files = file_server().await;
    let client = Client::new(config(&emu)).unwrap();
    let urls: Vec<String> = (0..15).map(|i| format!("{files}/batch/{i}.mp4")).collect();
    let uploaded = client
        .upload_media_by_url()
        .upload_urls(urls.iter().cloned())
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = uploaded
        .upload_jobs
        .iter()
        .filter_map(|j| j.job_id.clone())
        .collect();
    assert_eq!(ids.len(), 15);
    ids.push("0000unknown".to_owned());

    // The first poll's two calls (10 + 6 IDs) fail through all of the
    // client's 3 attempts each: a transient error the waiter outlives.
    emu.set_faults(Faults {
        fail_next: 6,
        ..Faults::default()
    })
    .unwrap();
    let mut reports = Vec::new();
    let options = aliyun_vod::waiter::WaitOptions {
        poll_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(50),
        timeout: Duration::from_secs(20),
    };
    let done = aliyun_vod::waiter::wait_for_jobs(&client, &ids, options, |p| {
        reports.push((p.finished(), p.last_error.is_some()))
    })
    .await
    .unwrap();
    assert!(!done.all_succeeded() && done.is_done(), "{done}");
    assert_eq!(done.succeeded().count(), 15, "{done}");
    assert_eq!(done.non_exists, ["0000unknown"]);
    assert!(
        reports.first().is_some_and(|(_, failed)| *failed),
        "{reports:?}"
    );
    assert!(reports.windows(2).all(|w| w[0].0 <= w[1].0), "{reports:?}");

    let by_url = client
        .get_url_upload_infos_by_upload_urls(&urls)
        .await
        .unwrap();
    let order: Vec<_> = by_url
        .infos
        .iter()
        .map(|i| i.upload_url.clone().unwrap())
        .collect();
    assert_eq!(order, urls, "batches keep the input order");
    assert_eq!(by_url.request_ids.len(), 2);
}

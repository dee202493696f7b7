//! Fault injection, through the library handle and the admin endpoints.

use std::time::{Duration, Instant};

use vod_emulator::{EmulatorConfig, Faults, Stats};

use crate::support::*;

const UNKNOWN: &str = "0123456789abcdef0123456789abcdef";

fn lookup() -> Call {
    call("GetURLUploadInfos", &[("JobIds", UNKNOWN)])
}

async fn admin_post(base: &str, body: &str) -> Reply {
    reply(
        reqwest::Client::new()
            .post(format!("{base}/__emulator/faults"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn admin_stats(base: &str) -> Stats {
    let r = reply(
        reqwest::get(format!("{base}/__emulator/stats"))
            .await
            .unwrap(),
    )
    .await;
    serde_json::from_str(&r.text).unwrap()
}

#[tokio::test]
async fn fail_next_then_success() {
    let emu = emulator().await;
    let base = emu.base_url();
    emu.set_faults(Faults {
        fail_next: 2,
        ..Faults::default()
    })
    .unwrap();
    for _ in 0..2 {
        let r = lookup().v1(&base).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (503, "ServiceUnavailable"),
            "{}",
            r.text
        );
    }
    assert_eq!(lookup().v1(&base).await.status, 200);
    assert_eq!(emu.faults().fail_next, 0);
    let stats = emu.stats();
    assert_eq!(
        (stats.requests, stats.errors, stats.faults_injected),
        (3, 2, 2)
    );
}

#[tokio::test]
async fn error_rate_and_latency() {
    let emu = start(EmulatorConfig::default().with_seed(42).with_faults(Faults {
        error_rate: 1.0,
        latency_ms: 150,
        ..Faults::default()
    }))
    .await;
    let base = emu.base_url();
    let t = Instant::now();
    let r = lookup().v1(&base).await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert!(
        matches!(
            (r.status, r.code().as_str()),
            (503, "ServiceUnavailable") | (500, "InternalError")
        ),
        "{}",
        r.text
    );
    assert!(emu
        .set_faults(Faults {
            error_rate: 2.0,
            ..Faults::default()
        })
        .is_err());
}

#[tokio::test]
async fn throttling_through_the_admin_endpoint() {
    let emu = emulator().await;
    let base = emu.base_url();
    let r = admin_post(&base, r#"{"throttle_qps": 1, "retry_after_ms": 250}"#).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["throttle_qps"], 1.0);
    assert_eq!(lookup().v1(&base).await.status, 200);
    let r = lookup().v1(&base).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "Throttling.User"),
        "{}",
        r.text
    );
    assert_eq!(r.header("x-acs-retry-after"), Some("250"));

    // Back to normal, and bad settings are refused.
    assert_eq!(admin_post(&base, "{}").await.status, 200);
    assert_eq!(lookup().v1(&base).await.status, 200);
    for bad in [r#"{"error_rate": 1.5}"#, r#"{"fail_nxt": 1}"#, "not json"] {
        let r = admin_post(&base, bad).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error"].is_string());
    }
}

#[tokio::test]
async fn admin_endpoints_are_never_faulted() {
    let emu = start(EmulatorConfig::default().with_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    }))
    .await;
    let base = emu.base_url();
    let stats = admin_stats(&base).await;
    assert_eq!(stats, Stats::default());
    let r = reply(
        reqwest::get(format!("{base}/__emulator/faults"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.json()["fail_next"],
        1,
        "reading faults does not use them up"
    );
    assert_eq!(lookup().v1(&base).await.status, 503);
    assert_eq!(admin_stats(&base).await.requests, 1);
}

#[tokio::test]
async fn a_dropped_upload_answer_has_still_created_its_jobs() {
    let emu = emulator().await;
    let src = Sources::start().await;
    let base = emu.base_url();
    let r = admin_post(&base, r#"{"drop_next": 1}"#).await;
    assert_eq!(r.status, 200);
    let url = src.url(21, "dropped.mp4");
    let joined = encode_list(&[&url]);
    let encoded = call("UploadMediaByURL", &[("UploadURLs", &joined)]).v1_encoded();
    let outcome = async {
        let response = reqwest::Client::new()
            .post(format!("{base}/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded)
            .send()
            .await?;
        response.text().await
    }
    .await;
    let err = outcome.expect_err("the connection is cut mid-response");
    assert!(
        err.is_body() || err.is_request() || err.is_decode(),
        "{err:?}"
    );

    let stats = admin_stats(&base).await;
    assert_eq!(
        (
            stats.jobs,
            stats.upload_media_by_url_calls,
            stats.faults_injected
        ),
        (1, 1, 1)
    );
    let r = call("GetURLUploadInfos", &[("UploadURLs", &joined)])
        .v1(&base)
        .await;
    let info = &r.json()["URLUploadInfoList"][0];
    assert_eq!(info["UploadURL"], url.as_str());
    // drop_next is used up: the next answer is whole.
    assert_eq!(r.status, 200);
}

//! Retry safety and rate limits as the spec sets them for the real operations:
//! GetURLUploadInfos is safe to retry and limited to 100 calls/s; UploadMediaByURL
//! is never sent twice (a repeat could create duplicate uploads), unless the
//! connection failed before anything was sent.

mod support;

use std::time::{Duration, Instant};

use aliyun_vod::{Client, Config, Error, RetryConfig};
use serde_json::json;
use support::{Reply, Req, Server};

fn infos(req: &Req) -> Reply {
    Reply::formatted(
        req,
        200,
        &json!({"RequestId": format!("req-{}", req.index), "URLUploadInfoList": []}),
    )
}

fn uploaded(req: &Req) -> Reply {
    Reply::formatted(
        req,
        200,
        &json!({"RequestId": format!("req-{}", req.index), "UploadJobs": [{"JobId": "job-1", "SourceURL": "https://example.com/a.mp4"}]}),
    )
}

fn config(url: &str) -> Config {
    Config::new()
        .endpoint(url)
        .credentials(support::credentials())
        .attempt_timeout(Duration::from_millis(300))
        .retry(RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(4),
            max_delay: Duration::from_millis(20),
        })
}

fn client(url: &str) -> Client {
    Client::new(config(url)).unwrap()
}

async fn get(c: &Client) -> Result<(), Error> {
    c.get_url_upload_infos()
        .job_ids(["job-1"])
        .send()
        .await
        .map(|_| ())
}

async fn upload(c: &Client) -> Result<(), Error> {
    c.upload_media_by_url()
        .upload_urls(["https://example.com/a.mp4"])
        .send()
        .await
        .map(|_| ())
}

#[test]
fn the_spec_marks_get_url_upload_infos_safe_and_limited_and_upload_media_by_url_unsafe() {
    let get = &aliyun_vod::get_url_upload_infos::OPERATION;
    let upload = &aliyun_vod::upload_media_by_url::OPERATION;
    assert_eq!((get.retry_safe, get.qps_limit), (true, Some(100)));
    assert!(!upload.retry_safe);
}

#[tokio::test]
async fn get_url_upload_infos_retries_throttling_then_succeeds() {
    let server = Server::start(|req| match req.index {
        0 => Reply::error(
            req,
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        1 => Reply::error(
            req,
            503,
            "ServiceUnAvailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        _ => infos(req),
    })
    .await;
    get(&client(&server.url)).await.unwrap();
    assert_eq!(server.count(), 3);
    assert!(server.requests().iter().all(|r| r.rejected.is_none()));
}

#[tokio::test]
async fn upload_media_by_url_is_not_retried_after_the_request_was_sent() {
    let server = Server::start(|req| match req.index {
        0 => Reply::error(req, 400, "Throttling.User", "slow down"),
        1 => Reply::error(req, 503, "ServiceUnavailable", "try later")
            .header("x-acs-retry-after", "5"),
        2 => Reply::error(req, 500, "InternalError", "oops"),
        3 => uploaded(req).cut_after(10),
        4 => uploaded(req).delayed(Duration::from_secs(2)),
        _ => uploaded(req),
    })
    .await;
    let c = client(&server.url);
    let mut errors = Vec::new();
    for expected_count in 1..=5 {
        errors.push(upload(&c).await.unwrap_err());
        assert_eq!(server.count(), expected_count, "after {:?}", errors.last());
    }
    assert_eq!(errors[0].code(), Some("Throttling.User"));
    assert_eq!(errors[1].code(), Some("ServiceUnavailable"));
    assert_eq!(errors[2].code(), Some("InternalError"));
    assert!(
        matches!(errors[3], Error::Transport { sent: true, .. }),
        "{:?}",
        errors[3]
    );
    assert!(
        matches!(errors[4], Error::Timeout { sent: true, .. }),
        "{:?}",
        errors[4]
    );
    assert!(errors.iter().all(Error::may_have_been_sent));
    upload(&c).await.unwrap();
}

#[tokio::test]
async fn get_url_upload_infos_is_retried_after_a_broken_or_timed_out_exchange() {
    let server = Server::start(|req| match req.index {
        0 => infos(req).cut_after(10),
        1 => infos(req).delayed(Duration::from_secs(2)),
        _ => infos(req),
    })
    .await;
    get(&client(&server.url)).await.unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn upload_media_by_url_is_retried_when_the_connection_was_refused() {
    let url = support::refused_url().await;
    let (result, logs) = support::with_logs(upload(&client(&url))).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{err:?}"
    );
    assert!(!err.may_have_been_sent());
    assert_eq!(logs.matches("sending attempt").count(), 3, "{logs}");
    assert_eq!(logs.matches("retry=true").count(), 2, "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_url_upload_infos_is_held_to_100_calls_per_second() {
    let server = Server::start(infos).await;
    let c = client(&server.url);
    let start = Instant::now();
    let calls = (0..150).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { get(&c).await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let arrivals: Vec<Instant> = server.requests().iter().map(|r| r.arrived).collect();
    let first_second = arrivals
        .iter()
        .filter(|a| **a < start + Duration::from_secs(1))
        .count();
    assert!(
        first_second <= 100,
        "{first_second} calls arrived in the first second"
    );
    assert_eq!(arrivals.len(), 150);
    assert!(start.elapsed() >= Duration::from_secs(1));
}

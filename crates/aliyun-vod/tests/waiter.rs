//! The waiter: polls until every job is terminal (or unknown), reports progress,
//! gives up after its timeout with the last state seen.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aliyun_vod::get_url_upload_infos::UrlUploadJobStatus;
use aliyun_vod::waiter::{wait_for_jobs, watch_jobs, Progress, WaitError, WaitOptions};
use aliyun_vod::{Client, Config, RetryConfig};
use futures::StreamExt as _;
use serde_json::{json, Value};
use support::{Reply, Req, Server};

/// The statuses a job goes through, one per poll of it; the last one repeats.
fn script(job: &str) -> &'static [&'static str] {
    match job {
        j if j.starts_with("ok") => &["PENDING", "DOWNLOADING", "UPLOADING", "SUCCESS"],
        j if j.starts_with("fail") => &["PENDING", "DOWNLOAD_FAIL"],
        j if j.starts_with("stuck") => &["PROCESSING"],
        _ => &[],
    }
}

/// A server playing each job's script; remembers how often each job was asked for.
async fn vod(flaky_first: bool) -> (Server, Arc<Mutex<HashMap<String, usize>>>) {
    let polls: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen = polls.clone();
    let server = Server::start(move |req: &Req| {
        if flaky_first && req.index == 0 {
            return Reply::error(req, 503, "ServiceUnavailable", "try later");
        }
        let mut polls = seen.lock().unwrap();
        let mut infos = Vec::new();
        let mut missing = Vec::new();
        for id in req.list("JobIds") {
            let steps = script(&id);
            if steps.is_empty() {
                missing.push(Value::from(id));
                continue;
            }
            let n = polls.entry(id.clone()).or_default();
            let status = steps[(*n).min(steps.len() - 1)];
            *n += 1;
            let mut info = json!({"JobId": id, "Status": status});
            match status {
                "SUCCESS" => info["MediaId"] = json!(format!("media-{id}")),
                "DOWNLOAD_FAIL" => {
                    info["ErrorCode"] = json!("DownloadFailed");
                    info["ErrorMessage"] = json!("the source URL answered 404");
                }
                _ => {}
            }
            infos.push(info);
        }
        Reply::formatted(
            req,
            200,
            &json!({"RequestId": format!("req-{}", req.index), "NonExists": missing, "URLUploadInfoList": infos}),
        )
    })
    .await;
    (server, polls)
}

fn client(server: &Server) -> Client {
    Client::new(
        Config::new()
            .endpoint(&server.url)
            .credentials(support::credentials())
            .retry(RetryConfig::disabled()),
    )
    .unwrap()
}

fn fast(timeout: Duration) -> WaitOptions {
    WaitOptions {
        poll_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
        timeout,
    }
}

fn status(p: &Progress, job: &str) -> Option<UrlUploadJobStatus> {
    p.job(job).and_then(|i| i.status.clone())
}

#[tokio::test]
async fn waits_until_every_job_succeeds_reporting_each_poll() {
    let (server, _) = vod(false).await;
    let mut reports = Vec::new();
    let done = wait_for_jobs(
        &client(&server),
        ["ok-1", "ok-2", "ok-1"],
        fast(Duration::from_secs(10)),
        |p| reports.push(p.clone()),
    )
    .await
    .unwrap();
    assert!(done.is_done() && done.all_succeeded(), "{done:?}");
    assert_eq!(done.polls, 4);
    assert_eq!(done.total(), 2, "the repeated id counts once");
    assert_eq!(
        done.job("ok-2").unwrap().media_id.as_deref(),
        Some("media-ok-2")
    );
    let seen: Vec<_> = reports.iter().map(|p| status(p, "ok-1").unwrap()).collect();
    assert_eq!(
        seen,
        [
            UrlUploadJobStatus::Pending,
            UrlUploadJobStatus::Downloading,
            UrlUploadJobStatus::Uploading,
            UrlUploadJobStatus::Success
        ]
    );
    assert_eq!(reports.last(), Some(&done));
    assert_eq!(server.count(), 4);
    assert_eq!(
        done.to_string().split(" after").next(),
        Some("2 of 2 jobs finished (0 failed, 0 unknown)")
    );
}

#[tokio::test]
async fn failed_and_unknown_jobs_finish_the_wait_and_are_reported() {
    let (server, polls) = vod(false).await;
    let done = wait_for_jobs(
        &client(&server),
        ["ok-1", "fail-1", "nosuch-1"],
        fast(Duration::from_secs(10)),
        |_| {},
    )
    .await
    .unwrap();
    assert!(done.is_done());
    assert!(!done.all_succeeded());
    assert_eq!(done.non_exists, ["nosuch-1"]);
    let failed: Vec<_> = done.failed().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].job_id.as_deref(), Some("fail-1"));
    assert_eq!(failed[0].status, Some(UrlUploadJobStatus::DownloadFail));
    assert_eq!(failed[0].error_code.as_deref(), Some("DownloadFailed"));
    assert_eq!(done.succeeded().count(), 1);
    // Finished jobs are not asked for again.
    let polls = polls.lock().unwrap();
    assert_eq!((polls["fail-1"], polls["ok-1"]), (2, 4));
    let after_first: Vec<_> = server.requests()[1..]
        .iter()
        .flat_map(|r| r.list("JobIds"))
        .collect();
    assert!(
        !after_first.contains(&"nosuch-1".to_owned()),
        "{after_first:?}"
    );
}

#[tokio::test]
async fn times_out_with_the_last_state_seen() {
    let (server, _) = vod(false).await;
    let err = wait_for_jobs(
        &client(&server),
        ["ok-1", "stuck-1"],
        fast(Duration::from_millis(300)),
        |_| {},
    )
    .await
    .unwrap_err();
    let WaitError::Timeout { after, last } = &err else {
        panic!("expected a timeout, got {err:?}")
    };
    assert_eq!(*after, Duration::from_millis(300));
    assert_eq!(last.pending, ["stuck-1"]);
    assert_eq!(
        status(last, "stuck-1"),
        Some(UrlUploadJobStatus::Processing)
    );
    assert_eq!(status(last, "ok-1"), Some(UrlUploadJobStatus::Success));
    assert!(last.polls >= 4, "{last:?}");
    assert!(err.to_string().contains("still pending: stuck-1"), "{err}");
}

#[tokio::test]
async fn transient_poll_failures_do_not_end_the_wait() {
    let (server, _) = vod(true).await;
    let mut reports = Vec::new();
    let done = wait_for_jobs(
        &client(&server),
        ["fail-2"],
        fast(Duration::from_secs(10)),
        |p| reports.push(p.clone()),
    )
    .await
    .unwrap();
    assert!(
        reports[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("ServiceUnavailable"),
        "{:?}",
        reports[0]
    );
    assert!(reports[0].infos.is_empty());
    assert_eq!(done.last_error, None);
    assert_eq!(
        status(&done, "fail-2"),
        Some(UrlUploadJobStatus::DownloadFail)
    );
}

#[tokio::test]
async fn a_lasting_poll_failure_ends_the_wait() {
    let server = Server::start(|req| {
        Reply::error(
            req,
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })
    .await;
    let err = wait_for_jobs(
        &client(&server),
        ["ok-1"],
        fast(Duration::from_secs(10)),
        |_| {},
    )
    .await
    .unwrap_err();
    let WaitError::Poll { error, last } = &err else {
        panic!("expected a poll error, got {err:?}")
    };
    assert_eq!(error.code(), Some("InvalidAccessKeyId.NotFound"));
    assert_eq!(last.pending, ["ok-1"]);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn progress_is_also_available_as_a_stream() {
    let (server, _) = vod(false).await;
    let items: Vec<_> = watch_jobs(&client(&server), ["fail-3"], fast(Duration::from_secs(10)))
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    let last = items.last().unwrap().as_ref().unwrap();
    assert!(last.is_done());
    assert_eq!(last.finished(), 1);
}

#[tokio::test]
async fn no_jobs_means_done_at_once_without_a_call() {
    let (server, _) = vod(false).await;
    let done = wait_for_jobs(
        &client(&server),
        Vec::<String>::new(),
        WaitOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(done.is_done() && done.all_succeeded());
    assert_eq!(server.count(), 0);
}

//! The background life of one upload job: really download the source (to learn
//! its size), then walk the statuses a real upload goes through.
//!
//! `PENDING -> DOWNLOADING -> DOWNLOAD_SUCCESS -> UPLOADING -> UPLOAD_SUCCESS ->
//! SUCCESS`, with the configured step delay before each; a download that fails
//! ends in `DOWNLOAD_FAIL`. Shutting down stops a job between steps (never in
//! the middle of a store write); it is resumed at the next start.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aliyun_sign::Timestamp;

use crate::jobs::{Job, JobStatus};
use crate::state::Shared;

/// Starts `job_id`'s worker.
pub(crate) fn spawn(shared: &Arc<Shared>, job_id: String) {
    let worker = run(Arc::clone(shared), job_id);
    let mut workers = shared.workers();
    // Finished workers leave a result behind until joined: reap them here.
    while workers.try_join_next().is_some() {}
    workers.spawn(worker);
}

async fn run(shared: Arc<Shared>, job_id: String) {
    let Some(job) = shared.jobs.get(&job_id) else {
        return;
    };
    let Some(Ok(permit)) = stoppable(&shared, shared.downloads.acquire()).await else {
        return;
    };
    if !pause(&shared).await {
        return;
    }
    // A job canceled while it waited is gone from the store: stop here.
    match shared
        .jobs
        .update(&job_id, |j| j.status = JobStatus::Downloading)
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => return,
        Err(e) => tracing::warn!(job_id, "{e}"),
    }
    let Some(outcome) = stoppable(&shared, fetch(&shared, &job.upload_url)).await else {
        return;
    };
    drop(permit);
    match outcome {
        Ok(size) => {
            set(&shared, &job_id, |j| {
                j.status = JobStatus::DownloadSuccess;
                j.file_size = Some(size);
            })
            .await
        }
        Err(failure) => {
            tracing::debug!(job_id, code = failure.code, "download failed");
            set(&shared, &job_id, |j| {
                j.status = JobStatus::DownloadFail;
                j.error_code = Some(failure.code);
                j.error_message = Some(failure.message);
                j.complete_time = Some(now());
            })
            .await;
            if let Some(done) = shared.jobs.get(&job_id) {
                crate::events::job_done(&shared, &done);
            }
            return;
        }
    }
    for status in [JobStatus::Uploading, JobStatus::UploadSuccess] {
        if !pause(&shared).await {
            return;
        }
        set(&shared, &job_id, |j| j.status = status).await;
    }
    if !pause(&shared).await {
        return;
    }
    set(&shared, &job_id, |j| {
        j.status = JobStatus::Success;
        j.media_id = Some(new_hex_id());
        j.complete_time = Some(now());
    })
    .await;
    if let Some(done) = shared.jobs.get(&job_id) {
        crate::events::job_done(&shared, &done);
    }
}

/// A fresh 32-hex-digit id (JobId, MediaId).
pub(crate) fn new_hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The current time as the service spells it (`yyyy-MM-ddTHH:mm:ssZ`, UTC).
pub(crate) fn now() -> String {
    Timestamp::now().as_str().to_owned()
}

async fn set(shared: &Shared, job_id: &str, change: impl FnOnce(&mut Job)) {
    if let Err(e) = shared.jobs.update(job_id, change).await {
        tracing::warn!(job_id, "{e}");
    }
}

/// Waits one step delay; false if the emulator is shutting down.
async fn pause(shared: &Shared) -> bool {
    let delay = shared.step_delay;
    if delay.is_zero() {
        return !*shared.stop.borrow();
    }
    stoppable(shared, tokio::time::sleep(delay)).await.is_some()
}

/// Runs `work` unless the emulator shuts down first.
async fn stoppable<T>(shared: &Shared, work: impl Future<Output = T>) -> Option<T> {
    let mut stop = shared.stop.clone();
    tokio::select! {
        // An error means the emulator is gone: stop too.
        _ = stop.wait_for(|stopping| *stopping) => None,
        out = work => Some(out),
    }
}

struct Failure {
    code: String,
    message: String,
}

impl Failure {
    fn download(message: String) -> Self {
        Failure {
            code: "DownloadFailed".to_owned(),
            message,
        }
    }
}

/// Downloads `url`, counting its bytes without keeping them.
async fn fetch(shared: &Shared, url: &str) -> Result<u64, Failure> {
    let limit = shared.limits.max_download_bytes;
    let timeout = shared.limits.download_timeout;
    let too_large = || {
        Failure::download(format!(
            "the source is larger than the emulator's download limit of {limit} bytes"
        ))
    };
    let transport = |e: reqwest::Error| {
        if e.is_timeout() {
            Failure::download(format!(
                "the download did not finish within {}",
                describe(timeout)
            ))
        } else {
            Failure::download(format!("cannot download the source: {}", chain(&e)))
        }
    };
    let mut response = shared.fetcher.get(url).send().await.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(Failure {
            code: status.as_u16().to_string(),
            message: format!("the source answered HTTP {status}"),
        });
    }
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut size: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large());
        }
    }
    Ok(size)
}

fn describe(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// An error and its sources, `: `-joined (reqwest's own message leaves out why).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

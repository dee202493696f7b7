//! Waiting for URL upload jobs to finish, and for videos to be playable
//! ([`wait_for_video`]).
//!
//! [`wait_for_jobs`] polls `GetURLUploadInfos` until every job has reached a
//! terminal status ([`UrlUploadJobStatus::is_terminal`]: `SUCCESS`,
//! `DOWNLOAD_FAIL`, `UPLOAD_FAIL`) or is unknown to the service (`NonExists`),
//! calling you back with a [`Progress`] after each poll. [`watch_jobs`] is the
//! same as a [`Stream`] of progress reports, for `select!` loops and UIs.
//!
//! - Polls start [`WaitOptions::poll_interval`] apart and the gap doubles after
//!   each poll up to [`WaitOptions::max_interval`]. Only jobs still pending are
//!   asked for, through the [batch helper](crate::batch), so any number of jobs
//!   works and the client's rate limiter is respected.
//! - A job that failed is a finished job, not an error: the wait ends `Ok` and
//!   [`Progress::failed`] lists it with its `ErrorCode` and `ErrorMessage`. Use
//!   [`Progress::all_succeeded`] to decide.
//! - A poll that fails with a transient error ([`Error::is_transient`]: throttling,
//!   5xx, timeouts, broken connections), even after the client's own retries,
//!   does not end the wait: it is reported in [`Progress::last_error`] and the
//!   next poll comes as planned. Any other error ends it with [`WaitError::Poll`].
//! - After [`WaitOptions::timeout`] the wait ends with [`WaitError::Timeout`],
//!   which carries the last state seen.
//!
//! ```no_run
//! # async fn demo(client: aliyun_vod::Client, job_ids: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use aliyun_vod::waiter::{wait_for_jobs, WaitOptions};
//!
//! let options = WaitOptions {
//!     poll_interval: Duration::from_secs(2),
//!     max_interval: Duration::from_secs(20),
//!     timeout: Duration::from_secs(600),
//! };
//! let done = wait_for_jobs(&client, &job_ids, options, |p| {
//!     eprintln!("{} of {} jobs finished", p.finished(), p.total());
//! })
//! .await?;
//! for job in done.failed() {
//!     eprintln!("{:?} failed: {:?} {:?}", job.job_id, job.error_code, job.error_message);
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use tokio::time::Instant;

use crate::get_url_upload_infos::{UrlUploadJobInfo, UrlUploadJobStatus};
use crate::{Client, Error};

/// How often to poll and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    /// The gap before the second poll (the first is immediate).
    pub poll_interval: Duration,
    /// The longest gap between polls; the gap doubles up to it.
    pub max_interval: Duration,
    /// How long to wait in all before giving up with [`WaitError::Timeout`].
    pub timeout: Duration,
}

impl Default for WaitOptions {
    /// Every 2 s at first, at most every 30 s, for 30 minutes.
    fn default() -> Self {
        WaitOptions {
            poll_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// The state of the jobs after a poll. The final report is also the wait's
/// result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Polls made so far.
    pub polls: u32,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// The latest state of every job the service has returned, in input order.
    pub infos: Vec<UrlUploadJobInfo>,
    /// Job IDs the service does not know, in input order. They count as finished.
    pub non_exists: Vec<String>,
    /// Job IDs not finished yet, in input order.
    pub pending: Vec<String>,
    /// The transient error of the last poll, when it failed (the wait goes on).
    pub last_error: Option<String>,
}

impl Progress {
    /// Whether every job is finished (terminal or unknown).
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// How many jobs are being waited for.
    pub fn total(&self) -> usize {
        self.finished() + self.pending.len()
    }

    /// How many jobs are finished (terminal or unknown).
    pub fn finished(&self) -> usize {
        self.infos.iter().filter(|i| is_terminal(i)).count() + self.non_exists.len()
    }

    /// Jobs that finished with `SUCCESS`.
    pub fn succeeded(&self) -> impl Iterator<Item = &UrlUploadJobInfo> {
        self.infos
            .iter()
            .filter(|i| i.status == Some(UrlUploadJobStatus::Success))
    }

    /// Jobs that finished any other way (`DOWNLOAD_FAIL`, `UPLOAD_FAIL`).
    pub fn failed(&self) -> impl Iterator<Item = &UrlUploadJobInfo> {
        self.infos
            .iter()
            .filter(|i| is_terminal(i) && i.status != Some(UrlUploadJobStatus::Success))
    }

    /// Whether every job finished with `SUCCESS` (none failed, none unknown).
    pub fn all_succeeded(&self) -> bool {
        self.is_done() && self.non_exists.is_empty() && self.failed().next().is_none()
    }

    /// The latest state of one job.
    pub fn job(&self, job_id: &str) -> Option<&UrlUploadJobInfo> {
        self.infos
            .iter()
            .find(|i| i.job_id.as_deref() == Some(job_id))
    }
}

impl fmt::Display for Progress {
    /// `3 of 5 jobs finished (1 failed, 0 unknown) after 4 polls in 12.0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} jobs finished ({} failed, {} unknown) after {} polls in {:.1?}",
            self.finished(),
            self.total(),
            self.failed().count(),
            self.non_exists.len(),
            self.polls,
            self.elapsed
        )
    }
}

/// Why a wait ended without every job finished.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// [`WaitOptions::timeout`] passed first; `last` is the last state seen.
    #[error("gave up after {after:?}: {last}; still pending: {}", last.pending.join(", "))]
    Timeout {
        /// The timeout that passed.
        after: Duration,
        /// The last state seen.
        last: Progress,
    },
    /// A poll failed with an error that polling again would not fix (invalid
    /// job IDs, credentials, permissions); `last` is the state before it.
    #[error("polling failed: {error}")]
    Poll {
        /// The error.
        #[source]
        error: Error,
        /// The last state seen.
        last: Progress,
    },
}

impl WaitError {
    /// The last state seen before the wait ended.
    pub fn last(&self) -> &Progress {
        match self {
            WaitError::Timeout { last, .. } | WaitError::Poll { last, .. } => last,
        }
    }
}

/// Waits until every job is finished, calling `on_progress` after each poll;
/// returns the final state. No job IDs: returns at once, without a call.
/// See the [module docs](crate::waiter).
pub async fn wait_for_jobs<I, S, F>(
    client: &Client,
    job_ids: I,
    options: WaitOptions,
    mut on_progress: F,
) -> Result<Progress, WaitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
    F: FnMut(&Progress),
{
    let stream = watch_jobs(client, job_ids, options);
    futures::pin_mut!(stream);
    let mut last = Progress::default();
    while let Some(item) = stream.next().await {
        last = item?;
        on_progress(&last);
    }
    Ok(last)
}

/// The wait as a stream: one `Ok(Progress)` after each poll, ending after the
/// report in which every job is finished, or after one `Err` (timeout or a
/// failed poll). Dropping the stream stops polling.
pub fn watch_jobs<I, S>(
    client: &Client,
    job_ids: I,
    options: WaitOptions,
) -> impl Stream<Item = Result<Progress, WaitError>> + Send + 'static
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let ids = crate::batch::collect(job_ids);
    let started = Instant::now();
    let watch = Watch {
        client: client.clone(),
        latest: vec![None; ids.len()],
        unknown: vec![false; ids.len()],
        ids,
        options,
        started,
        deadline: started + options.timeout,
        interval: options.poll_interval,
        polls: 0,
        last_error: None,
        ended: false,
    };
    futures::stream::unfold(watch, |mut w| async move {
        if w.ended {
            return None;
        }
        let item = w.step().await;
        Some((item, w))
    })
}

struct Watch {
    client: Client,
    ids: Vec<String>,
    /// The latest info of each job, by input position.
    latest: Vec<Option<UrlUploadJobInfo>>,
    /// Whether the service reported each job as unknown.
    unknown: Vec<bool>,
    options: WaitOptions,
    started: Instant,
    deadline: Instant,
    interval: Duration,
    polls: u32,
    last_error: Option<String>,
    ended: bool,
}

impl Watch {
    /// Sleeps if a poll came before, polls, and says what happened.
    async fn step(&mut self) -> Result<Progress, WaitError> {
        if self.polls > 0 {
            let now = Instant::now();
            if now >= self.deadline {
                return Err(self.timeout());
            }
            tokio::time::sleep_until((now + self.interval).min(self.deadline)).await;
            self.interval =
                (self.interval * 2).min(self.options.max_interval.max(self.options.poll_interval));
        }
        let pending = self.pending();
        if !pending.is_empty() {
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            let poll = self.client.get_url_upload_infos_by_job_ids(&pending);
            let result = match tokio::time::timeout(remaining, poll).await {
                Ok(result) => result,
                Err(_) => return Err(self.timeout()),
            };
            self.polls += 1;
            match result {
                Ok(out) => {
                    self.last_error = None;
                    self.absorb(out);
                }
                Err(e) if e.error.is_transient() => {
                    tracing::warn!(error = %e, "poll failed; polling again");
                    self.last_error = Some(e.to_string());
                    self.absorb(e.partial);
                }
                Err(e) => {
                    self.ended = true;
                    return Err(WaitError::Poll {
                        error: e.error,
                        last: self.progress(),
                    });
                }
            }
        }
        let progress = self.progress();
        if progress.is_done() {
            self.ended = true;
        } else if Instant::now() >= self.deadline {
            self.ended = true;
            return Err(self.timeout());
        }
        Ok(progress)
    }

    fn absorb(&mut self, out: crate::batch::BatchOutput) {
        for info in out.infos {
            let Some(id) = info.job_id.as_deref() else {
                continue;
            };
            if let Some(i) = self.ids.iter().position(|x| x == id) {
                self.latest[i] = Some(info);
            }
        }
        for missing in out.non_exists {
            if let Some(i) = self.ids.iter().position(|x| *x == missing) {
                self.unknown[i] = true;
            }
        }
    }

    fn pending(&self) -> Vec<String> {
        self.ids
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                !self.unknown[*i] && !self.latest[*i].as_ref().is_some_and(is_terminal)
            })
            .map(|(_, id)| id.clone())
            .collect()
    }

    fn progress(&self) -> Progress {
        Progress {
            polls: self.polls,
            elapsed: self.started.elapsed(),
            infos: self.latest.iter().flatten().cloned().collect(),
            non_exists: self
                .ids
                .iter()
                .zip(&self.unknown)
                .filter(|(_, u)| **u)
                .map(|(id, _)| id.clone())
                .collect(),
            pending: self.pending(),
            last_error: self.last_error.clone(),
        }
    }

    fn timeout(&mut self) -> WaitError {
        self.ended = true;
        WaitError::Timeout {
            after: self.options.timeout,
            last: self.progress(),
        }
    }
}

/// Whether a job has reached a terminal status (one the spec marks terminal).
pub fn is_terminal(info: &UrlUploadJobInfo) -> bool {
    info.status
        .as_ref()
        .is_some_and(UrlUploadJobStatus::is_terminal)
}

#[cfg(feature = "media")]
pub use video::{wait_for_video, VideoProgress, VideoWaitError};

/// Waiting for a video (GetVideoInfo is in feature `media`).
#[cfg(feature = "media")]
mod video {
    use super::*;

    /// Statuses after which a video's status no longer changes by itself:
    /// `Normal`, and the failures.
    const VIDEO_FAILED: &[&str] = &["UploadFail", "TranscodeFail", "ProduceFail", "Blocked"];

    /// The state of a video after a poll of `GetVideoInfo`.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct VideoProgress {
        /// The video.
        pub video_id: String,
        /// Its status as answered (`Uploading`, `UploadSucc`, `Transcoding`,
        /// `Normal`, `UploadFail`, ...); empty before the first answer.
        pub status: String,
        /// Polls made so far.
        pub polls: u32,
        /// Time since the wait began.
        pub elapsed: Duration,
        /// The transient error of the last poll, when it failed (the wait goes on).
        pub last_error: Option<String>,
    }

    impl VideoProgress {
        /// The video is playable (`Normal`).
        pub fn is_normal(&self) -> bool {
            self.status == "Normal"
        }

        /// The video ended in a failure status.
        pub fn has_failed(&self) -> bool {
            VIDEO_FAILED.contains(&self.status.as_str())
        }

        /// Normal or failed: the wait is over.
        pub fn is_done(&self) -> bool {
            self.is_normal() || self.has_failed()
        }
    }

    /// Why a wait for a video ended before it was done.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum VideoWaitError {
        /// [`WaitOptions::timeout`] passed first; `last` is the last state seen.
        #[error("gave up after {after:?}: video {} is still {:?}", last.video_id, last.status)]
        Timeout {
            /// The timeout that passed.
            after: Duration,
            /// The last state seen.
            last: VideoProgress,
        },
        /// A poll failed with an error that polling again would not fix (an
        /// unknown video, credentials, permissions).
        #[error("polling failed: {error}")]
        Poll {
            /// The error.
            #[source]
            error: Error,
            /// The last state seen.
            last: VideoProgress,
        },
    }

    /// Waits until a video is `Normal` or has failed (`UploadFail`,
    /// `TranscodeFail`, `ProduceFail`, `Blocked`), polling `GetVideoInfo` on the
    /// schedule of [`wait_for_jobs`] (first poll at once, the gap doubling up to
    /// [`WaitOptions::max_interval`]; transient errors do not end the wait) and
    /// calling `on_progress` after each poll. A failed video ends the wait `Ok`:
    /// check [`VideoProgress::is_normal`].
    pub async fn wait_for_video<F>(
        client: &Client,
        video_id: &str,
        options: WaitOptions,
        mut on_progress: F,
    ) -> Result<VideoProgress, VideoWaitError>
    where
        F: FnMut(&VideoProgress),
    {
        let started = Instant::now();
        let deadline = started + options.timeout;
        let mut interval = options.poll_interval;
        let mut last = VideoProgress {
            video_id: video_id.to_owned(),
            ..VideoProgress::default()
        };
        loop {
            if last.polls > 0 {
                let now = Instant::now();
                if now >= deadline {
                    return Err(VideoWaitError::Timeout {
                        after: options.timeout,
                        last,
                    });
                }
                tokio::time::sleep_until((now + interval).min(deadline)).await;
                interval = (interval * 2).min(options.max_interval.max(options.poll_interval));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let poll = client.get_video_info().video_id(video_id).send();
            let result = match tokio::time::timeout(remaining, poll).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(VideoWaitError::Timeout {
                        after: options.timeout,
                        last,
                    })
                }
            };
            last.polls += 1;
            last.elapsed = started.elapsed();
            match result {
                Ok(out) => {
                    last.last_error = None;
                    if let Some(status) = out.video.and_then(|v| v.status) {
                        last.status = status.as_str().to_owned();
                    }
                }
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "poll failed; polling again");
                    last.last_error = Some(e.to_string());
                }
                Err(error) => return Err(VideoWaitError::Poll { error, last }),
            }
            on_progress(&last);
            if last.is_done() {
                return Ok(last);
            }
        }
    }
}

//! What the request handlers and job workers share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::auth::Authenticator;
use crate::config::Limits;
use crate::faults::FaultState;
use crate::jobs::JobStore;

/// Downloads running at once; further jobs wait in `PENDING`.
const CONCURRENT_DOWNLOADS: usize = 8;

/// Counters of a running emulator, also served as JSON by
/// `GET /__emulator/stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Jobs in the store (those loaded from the data directory included).
    pub jobs: usize,
    /// API requests received (`/__emulator/*` excluded), whatever their outcome.
    pub requests: u64,
    /// API requests answered with an error body (injected faults included).
    pub errors: u64,
    /// Authenticated `UploadMediaByURL` calls, including those whose answer
    /// failed or was dropped.
    pub upload_media_by_url_calls: u64,
    /// Requests that a fault was injected into (failed, throttled or dropped).
    pub faults_injected: u64,
    /// STS calls answered with credentials.
    pub sts_calls: u64,
    /// Credentials the metadata service and the credentials URI handed out.
    pub metadata_credentials_served: u64,
    /// Media records created (CreateUploadVideo).
    pub videos_created: u64,
    /// Image records created (CreateUploadImage).
    pub images_created: u64,
    /// Auxiliary media records created (CreateUploadAttachedMedia).
    pub attached_media_created: u64,
    /// Objects stored in the emulator's OSS (PutObject, CompleteMultipartUpload).
    pub oss_objects_stored: u64,
    /// Parts stored (UploadPart), retries included.
    pub oss_parts_stored: u64,
    /// Multipart uploads aborted (AbortMultipartUpload).
    pub oss_uploads_aborted: u64,
    /// Multipart uploads initiated and neither completed nor aborted.
    pub oss_uploads_open: usize,
    /// RefreshUploadVideo calls answered.
    pub upload_refreshes: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) upload_media_by_url_calls: AtomicU64,
    pub(crate) faults_injected: AtomicU64,
    pub(crate) sts_calls: AtomicU64,
    pub(crate) metadata_credentials_served: AtomicU64,
    pub(crate) videos_created: AtomicU64,
    pub(crate) images_created: AtomicU64,
    pub(crate) attached_media_created: AtomicU64,
    pub(crate) oss_objects_stored: AtomicU64,
    pub(crate) oss_parts_stored: AtomicU64,
    pub(crate) oss_uploads_aborted: AtomicU64,
    pub(crate) upload_refreshes: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) struct Shared {
    pub(crate) auth: Authenticator,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) jobs: JobStore,
    pub(crate) limits: Limits,
    pub(crate) step_delay: Duration,
    pub(crate) counters: Counters,
    pub(crate) fetcher: reqwest::Client,
    pub(crate) downloads: Semaphore,
    pub(crate) workers: Mutex<JoinSet<()>>,
    /// Turns true when the emulator shuts down.
    pub(crate) stop: watch::Receiver<bool>,
    /// Where event notifications go, if anywhere.
    pub(crate) callback: Option<crate::config::CallbackConfig>,
    /// How play URLs are signed, if they are.
    pub(crate) url_signing: Option<crate::config::UrlSigningConfig>,
    /// What the local STS and metadata service accept and issue.
    pub(crate) identity: crate::identity::IdentityConfig,
    /// IMDSv2 session tokens handed out.
    pub(crate) metadata_tokens: crate::identity::SessionTokens,
    /// The OSS objects and multipart uploads.
    pub(crate) oss: Mutex<crate::oss::OssStore>,
    /// Media records of local uploads.
    pub(crate) videos: Mutex<crate::uploads::Videos>,
    /// The OSS endpoint (`http://IP:PORT`), known once its port is bound.
    pub(crate) oss_endpoint: std::sync::OnceLock<String>,
    /// Unauthenticated `PUT /__raw/...` accepted (benchmarks only).
    pub(crate) bench_raw_put: bool,
}

impl Shared {
    pub(crate) fn new(
        auth: Authenticator,
        faults: FaultState,
        jobs: JobStore,
        config: &crate::config::EmulatorConfig,
        stop: watch::Receiver<bool>,
    ) -> Result<Arc<Self>, reqwest::Error> {
        // No proxy: sources are usually on loopback, and an inherited proxy
        // setting would make tests depend on the environment.
        let fetcher = reqwest::Client::builder()
            .no_proxy()
            .timeout(config.limits.download_timeout)
            .connect_timeout(config.limits.download_timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(Arc::new(Shared {
            auth,
            faults: Mutex::new(faults),
            jobs,
            limits: config.limits.clone(),
            step_delay: config.step_delay,
            counters: Counters::default(),
            fetcher,
            downloads: Semaphore::new(CONCURRENT_DOWNLOADS),
            workers: Mutex::new(JoinSet::new()),
            stop,
            callback: config.callback.clone(),
            url_signing: config.url_signing.clone(),
            identity: config.identity.clone(),
            bench_raw_put: config.bench_raw_put,
            metadata_tokens: Default::default(),
            oss: Mutex::default(),
            videos: Mutex::default(),
            oss_endpoint: std::sync::OnceLock::new(),
        }))
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn workers(&self) -> MutexGuard<'_, JoinSet<()>> {
        self.workers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts `faults` in force; `expire_credentials_now` acts once and is
    /// not kept. Returns what is in force.
    pub(crate) fn set_faults(&self, mut faults: crate::faults::Faults) -> crate::faults::Faults {
        if std::mem::take(&mut faults.expire_credentials_now) {
            self.auth.expire_issued(time::OffsetDateTime::now_utc());
        }
        self.faults().set(faults.clone(), std::time::Instant::now());
        faults
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            jobs: self.jobs.len(),
            requests: self.counters.requests.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            upload_media_by_url_calls: self
                .counters
                .upload_media_by_url_calls
                .load(Ordering::Relaxed),
            faults_injected: self.counters.faults_injected.load(Ordering::Relaxed),
            sts_calls: self.counters.sts_calls.load(Ordering::Relaxed),
            metadata_credentials_served: self
                .counters
                .metadata_credentials_served
                .load(Ordering::Relaxed),
            videos_created: self.counters.videos_created.load(Ordering::Relaxed),
            images_created: self.counters.images_created.load(Ordering::Relaxed),
            attached_media_created: self.counters.attached_media_created.load(Ordering::Relaxed),
            oss_objects_stored: self.counters.oss_objects_stored.load(Ordering::Relaxed),
            oss_parts_stored: self.counters.oss_parts_stored.load(Ordering::Relaxed),
            oss_uploads_aborted: self.counters.oss_uploads_aborted.load(Ordering::Relaxed),
            oss_uploads_open: self
                .oss
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .open_uploads(),
            upload_refreshes: self.counters.upload_refreshes.load(Ordering::Relaxed),
        }
    }
}

//! An upload in progress: the CreateUpload* call (or, resuming, a
//! RefreshUploadVideo), then the OSS requests with their retries, credential
//! renewals, integrity checks and checkpoints.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aliyun_runtime::Credentials;
use bytes::Bytes;
use futures::StreamExt as _;
use md5::{Digest as _, Md5};
use time::OffsetDateTime;

use super::checkpoint::{self, Checkpoint, DonePart, FileIdentity};
use super::crc64::{combine, CRC64};
use super::prepare::{io_problem, read_into, CreateCall, Created};
use super::{
    oss, MediaKind, ProgressFn, UploadError, UploadOutput, UploadProgress, CHECKPOINT_EVERY, CHUNK,
    MAX_ATTEMPTS, MAX_REFRESHES,
};
use crate::upload_grant::{GrantError, UploadAddress, UploadAuth};

/// Bytes and parts done, reported to the callback.
pub(super) struct Progress {
    sent: AtomicU64,
    total: u64,
    parts_done: AtomicU32,
    parts_total: AtomicU32,
    callback: Option<ProgressFn>,
}

impl Progress {
    pub(super) fn new(total: u64, callback: Option<ProgressFn>) -> Self {
        Progress {
            sent: AtomicU64::new(0),
            total,
            parts_done: AtomicU32::new(0),
            parts_total: AtomicU32::new(1),
            callback,
        }
    }

    fn report(&self) {
        if let Some(f) = &self.callback {
            f(&UploadProgress {
                bytes_sent: self.sent.load(Ordering::Relaxed).min(self.total),
                total_bytes: self.total,
                parts_done: self.parts_done.load(Ordering::Relaxed),
                parts_total: self.parts_total.load(Ordering::Relaxed),
            });
        }
    }

    fn add(&self, bytes: u64) {
        self.sent.fetch_add(bytes, Ordering::Relaxed);
        self.report();
    }

    fn take_back(&self, bytes: u64) {
        self.sent.fetch_sub(bytes, Ordering::Relaxed);
        self.report();
    }

    fn part_done(&self) {
        self.parts_done.fetch_add(1, Ordering::Relaxed);
        self.report();
    }
}

/// A request body that counts its bytes into the progress as they go out;
/// `counted` holds what this attempt counted, to take back if it fails.
fn counted_body(data: Bytes, progress: &Arc<Progress>, counted: &Arc<AtomicU64>) -> reqwest::Body {
    let chunks: Vec<Bytes> = (0..data.len())
        .step_by(CHUNK)
        .map(|at| data.slice(at..(at + CHUNK).min(data.len())))
        .collect();
    let progress = Arc::clone(progress);
    let counted = Arc::clone(counted);
    reqwest::Body::wrap_stream(futures::stream::iter(chunks).map(move |chunk| {
        progress.add(chunk.len() as u64);
        counted.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Ok::<_, std::io::Error>(chunk)
    }))
}

/// The credentials of the upload and how to renew them.
struct Grant {
    auth: UploadAuth,
    generation: u64,
}

fn margin(auth: &UploadAuth) -> Duration {
    let lifetime = auth.lifetime_seconds.map(Duration::from_secs);
    match lifetime {
        Some(l) => (l / 5).min(Duration::from_secs(300)),
        None => Duration::from_secs(300),
    }
}

/// One upload in progress.
pub(super) struct Run {
    pub(super) client: crate::Client,
    pub(super) file: Arc<std::fs::File>,
    pub(super) path: PathBuf,
    pub(super) size: u64,
    pub(super) parallelism: usize,
    pub(super) checkpoint_at: Option<PathBuf>,
    pub(super) progress: Arc<Progress>,
    pub(super) refreshes: AtomicU32,
    pub(super) kind: MediaKind,
    pub(super) create: CreateCall,
    /// Part buffers not in use.
    pub(super) buffers: std::sync::Mutex<Vec<bytes::BytesMut>>,
}

/// The OSS side of a run: target, credentials.
struct Session<'a> {
    run: &'a Run,
    media_id: String,
    file_url: Option<String>,
    target: oss::Target,
    grant: tokio::sync::Mutex<Grant>,
}

impl Run {
    pub(super) async fn go(
        &self,
        identity: FileIdentity,
        part_size: u64,
    ) -> Result<UploadOutput, UploadError> {
        let mut resumed = None;
        if let Some(at) = &self.checkpoint_at {
            let found = checkpoint::load(at).map_err(|problem| UploadError::Checkpoint {
                path: at.clone(),
                problem,
            })?;
            if let Some(cp) = found {
                if cp.file == identity {
                    resumed = Some(cp);
                } else {
                    tracing::info!(video_id = %cp.video_id, "the file changed since its checkpoint; starting over");
                    self.abandon(&cp).await;
                    self.forget()?;
                }
            }
        }
        if let (None, Some(at)) = (&resumed, &self.checkpoint_at) {
            checkpoint::check_writable(at).map_err(|e| UploadError::Checkpoint {
                path: at.clone(),
                problem: format!("cannot be written: {e}"),
            })?;
        }
        let mut recreated = false;
        loop {
            let (cp, session) = match resumed.take() {
                Some(cp) => {
                    let (address, auth) = match self.refresh(&cp.video_id).await {
                        Ok(grant) => grant,
                        // Deleted since: nothing to resume, and a new record
                        // duplicates nothing.
                        Err(UploadError::Api(aliyun_runtime::Error::Service(e)))
                            if e.code == "InvalidVideo.NotFound" =>
                        {
                            tracing::info!(video_id = %cp.video_id, "the checkpoint's video no longer exists; starting over");
                            self.forget()?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    if address.bucket != cp.bucket || address.object_key != cp.object_key {
                        return Err(UploadError::Checkpoint {
                            path: self.checkpoint_at.clone().unwrap_or_default(),
                            problem: "RefreshUploadVideo moved the upload to another object; delete the checkpoint to start over".to_owned(),
                        });
                    }
                    let session = self.session(cp.video_id.clone(), None, &address, auth)?;
                    (cp, session)
                }
                None => {
                    let created = self.create().await?;
                    tracing::info!(kind = self.kind.noun(), media_id = %created.id, bucket = %created.address.bucket, object = %created.address.object_key, "created the media record");
                    let cp = Checkpoint::new(
                        identity.clone(),
                        created.id.clone(),
                        created.address.endpoint.clone(),
                        created.address.bucket.clone(),
                        created.address.object_key.clone(),
                        part_size,
                    );
                    self.save(&cp)?;
                    let session =
                        self.session(created.id, created.file_url, &created.address, created.auth)?;
                    (cp, session)
                }
            };
            let was_resumed = !cp.parts.is_empty() || cp.upload_id.is_some();
            let media_id = cp.video_id.clone();
            match session.upload(cp).await {
                Ok(mut out) => {
                    out.resumed = was_resumed;
                    out.credential_refreshes = self.refreshes.load(Ordering::Relaxed);
                    if let Some(at) = &self.checkpoint_at {
                        // The upload is done whatever happens to its
                        // checkpoint; a stale one resumes as completed.
                        if let Err(e) = checkpoint::remove(at) {
                            tracing::warn!(path = %at.display(), error = %e, "could not remove the checkpoint");
                        }
                    }
                    return Ok(out);
                }
                // Not refreshable and nothing in OSS yet: a new record, once.
                Err(UploadError::CredentialsExpired { parts_done: 0, .. }) if !recreated => {
                    tracing::warn!(kind = self.kind.noun(), %media_id, "the upload credentials expired before any part went up; creating the record again");
                    recreated = true;
                    self.progress.sent.store(0, Ordering::Relaxed);
                }
                Err(e) => {
                    return Err(UploadError::Interrupted {
                        media_id,
                        kind: self.kind.clone(),
                        resumable: self.checkpoint_at.is_some(),
                        source: Box::new(e),
                    })
                }
            }
        }
    }

    /// The CreateUpload* call: the record, where its file goes and the
    /// credentials to put it there.
    async fn create(&self) -> Result<Created, UploadError> {
        let runtime = self.client.runtime();
        let (id, address, auth, file_url) = match &self.create {
            CreateCall::Video(input) => {
                let out: crate::create_upload_video::CreateUploadVideoOutput = runtime
                    .send(&crate::create_upload_video::OPERATION, input)
                    .await?;
                (out.video_id, out.upload_address, out.upload_auth, None)
            }
            CreateCall::Image(input) => {
                let out: crate::create_upload_image::CreateUploadImageOutput = runtime
                    .send(&crate::create_upload_image::OPERATION, input)
                    .await?;
                (
                    out.image_id,
                    out.upload_address,
                    out.upload_auth,
                    out.file_url.or(out.image_url),
                )
            }
            CreateCall::Attached(input) => {
                let out: crate::create_upload_attached_media::CreateUploadAttachedMediaOutput =
                    runtime
                        .send(&crate::create_upload_attached_media::OPERATION, input)
                        .await?;
                (
                    out.media_id,
                    out.upload_address,
                    out.upload_auth,
                    out.file_url.or(out.media_url),
                )
            }
        };
        let field = match self.kind {
            MediaKind::Video => "VideoId",
            MediaKind::Image { .. } => "ImageId",
            MediaKind::AttachedMedia { .. } => "MediaId",
        };
        let id = id.filter(|v| !v.is_empty()).ok_or(GrantError {
            field: field.to_owned(),
            problem: "is missing or empty",
        })?;
        Ok(Created {
            id,
            address: UploadAddress::decode(address.as_deref().unwrap_or(""))?,
            auth: UploadAuth::decode(auth.as_deref().unwrap_or(""))?,
            file_url,
        })
    }

    fn session(
        &self,
        media_id: String,
        file_url: Option<String>,
        address: &UploadAddress,
        auth: UploadAuth,
    ) -> Result<Session<'_>, UploadError> {
        let region = auth
            .region
            .clone()
            .or_else(|| address.region())
            .unwrap_or_else(|| "cn-shanghai".to_owned());
        let target = oss::Target::new(
            &address.endpoint,
            &address.bucket,
            &address.object_key,
            &region,
        )
        .map_err(|problem| GrantError {
            field: "UploadAddress.Endpoint".to_owned(),
            problem: if problem.contains("URL") {
                "is not an http(s) URL"
            } else {
                "is not scheme://host[:port]"
            },
        })?;
        Ok(Session {
            run: self,
            media_id,
            file_url,
            target,
            grant: tokio::sync::Mutex::new(Grant {
                auth,
                generation: 0,
            }),
        })
    }

    /// RefreshUploadVideo: the address and fresh credentials for `video_id`.
    async fn refresh(&self, video_id: &str) -> Result<(UploadAddress, UploadAuth), UploadError> {
        let n = self.refreshes.fetch_add(1, Ordering::Relaxed);
        if n >= MAX_REFRESHES {
            return Err(UploadError::Oss {
                operation: "RefreshUploadVideo".to_owned(),
                detail: format!(
                    "OSS kept refusing the credentials after {MAX_REFRESHES} refreshes"
                ),
            });
        }
        let input = crate::refresh_upload_video::RefreshUploadVideoInput {
            video_id: Some(video_id.to_owned()),
        };
        let out: crate::refresh_upload_video::RefreshUploadVideoOutput = self
            .client
            .runtime()
            .send(&crate::refresh_upload_video::OPERATION, &input)
            .await?;
        tracing::debug!(%video_id, "refreshed the upload credentials");
        Ok((
            UploadAddress::decode(out.upload_address.as_deref().unwrap_or(""))?,
            UploadAuth::decode(out.upload_auth.as_deref().unwrap_or(""))?,
        ))
    }

    /// Aborts the multipart upload of a checkpoint that no longer applies;
    /// best effort (it may be gone already).
    async fn abandon(&self, cp: &Checkpoint) {
        let Some(upload_id) = &cp.upload_id else {
            return;
        };
        let Ok((address, auth)) = self.refresh(&cp.video_id).await else {
            return;
        };
        if let Ok(session) = self.session(cp.video_id.clone(), None, &address, auth) {
            session.abort(upload_id).await;
        }
    }

    fn save(&self, cp: &Checkpoint) -> Result<(), UploadError> {
        let Some(at) = &self.checkpoint_at else {
            return Ok(());
        };
        checkpoint::store(at, cp).map_err(|e| UploadError::Checkpoint {
            path: at.clone(),
            problem: format!("could not be written: {e}"),
        })
    }

    fn forget(&self) -> Result<(), UploadError> {
        let Some(at) = &self.checkpoint_at else {
            return Ok(());
        };
        checkpoint::remove(at).map_err(|e| UploadError::Checkpoint {
            path: at.clone(),
            problem: format!("could not be removed: {e}"),
        })
    }

    async fn read(&self, offset: u64, len: u64) -> Result<Bytes, UploadError> {
        Ok(self.read_checked(offset, len, false).await?.0)
    }

    /// Reads `len` bytes at `offset` and, with `crc`, their CRC-64, on a
    /// blocking thread (the checksum costs as much CPU as the read), into a
    /// buffer from the pool (see [`Run::recycle`]).
    async fn read_checked(
        &self,
        offset: u64,
        len: u64,
        crc: bool,
    ) -> Result<(Bytes, u64), UploadError> {
        let file = Arc::clone(&self.file);
        let path = self.path.clone();
        let mut buf = self
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            // A recycled buffer of the right length is overwritten as is.
            if buf.len() != len as usize {
                buf.clear();
                buf.resize(len as usize, 0);
            }
            read_into(&file, offset, &mut buf).map(|()| {
                let sum = if crc { CRC64.checksum(&buf) } else { 0 };
                (buf.freeze(), sum)
            })
        })
        .await
        .map_err(|e| UploadError::File {
            path: self.path.clone(),
            problem: format!("the read task failed: {e}"),
        })?
        .map_err(|e| UploadError::File {
            path,
            problem: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "became shorter while uploading".to_owned()
            } else {
                io_problem(&e)
            },
        })
    }

    /// Gives a part's buffer back to the pool once nothing else holds it, so
    /// an upload allocates at most one buffer per part in flight however
    /// many parts it sends (allocating afresh for each part left the
    /// allocator holding freed buffers on several threads).
    fn recycle(&self, data: Bytes) {
        if let Ok(buf) = data.try_into_mut() {
            let mut pool = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < self.parallelism {
                pool.push(buf);
            }
        }
    }

    /// Fails when the file's size or modification time moved since `identity`.
    fn check_unchanged(&self, identity: &FileIdentity) -> Result<(), UploadError> {
        let meta = self.file.metadata().map_err(|e| UploadError::File {
            path: self.path.clone(),
            problem: io_problem(&e),
        })?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        if meta.len() != identity.size || modified != identity.modified_ns {
            return Err(UploadError::File {
                path: self.path.clone(),
                problem: "changed while uploading".to_owned(),
            });
        }
        Ok(())
    }
}

/// `"ABC..."` → `abc...`, for comparing ETags with MD5s.
fn bare_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_ascii_lowercase()
}

impl Session<'_> {
    /// The credentials to sign with now (refreshed first when they are
    /// about to expire) and their generation.
    async fn credentials(&self) -> Result<(Credentials, u64), UploadError> {
        let mut grant = self.grant.lock().await;
        let renew_at = grant.auth.refresh_at(margin(&grant.auth));
        if self.run.kind.refreshable() && renew_at.is_some_and(|at| OffsetDateTime::now_utc() >= at)
        {
            self.renew(&mut grant).await?;
        }
        Ok((grant.auth.credentials().clone(), grant.generation))
    }

    /// OSS refused the credentials of `generation`: renew them unless that
    /// happened already meanwhile.
    async fn refused(&self, generation: u64) -> Result<(), UploadError> {
        let mut grant = self.grant.lock().await;
        if grant.generation == generation {
            self.renew(&mut grant).await?;
        }
        Ok(())
    }

    async fn renew(&self, grant: &mut Grant) -> Result<(), UploadError> {
        if !self.run.kind.refreshable() {
            return Err(UploadError::CredentialsExpired {
                kind: self.run.kind.clone(),
                parts_done: self.run.progress.parts_done.load(Ordering::Relaxed),
            });
        }
        let (_, auth) = self.run.refresh(&self.media_id).await?;
        grant.auth = auth;
        grant.generation += 1;
        Ok(())
    }

    /// Sends with fresh credentials until it succeeds, fails for good, or
    /// runs out of attempts.
    async fn retrying<F, Fut>(&self, operation: &str, send: F) -> Result<oss::Answer, UploadError>
    where
        F: Fn(Credentials) -> Fut,
        Fut: Future<Output = Result<oss::Answer, oss::Failure>>,
    {
        let mut attempt = 1;
        loop {
            let (credentials, generation) = self.credentials().await?;
            match send(credentials).await {
                Ok(answer) => return Ok(answer),
                Err(f) if f.credentials_refused() => {
                    tracing::info!(operation, "OSS refused the upload credentials; refreshing");
                    self.refused(generation).await?;
                }
                Err(f) if f.transient() && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(operation, attempt, problem = %f.describe(), "retrying");
                    let base = Duration::from_millis(200) * (1 << (attempt - 1));
                    tokio::time::sleep(base).await;
                    attempt += 1;
                }
                Err(f) => {
                    return Err(UploadError::Oss {
                        operation: operation.to_owned(),
                        detail: f.describe(),
                    })
                }
            }
        }
    }

    async fn upload(&self, mut cp: Checkpoint) -> Result<UploadOutput, UploadError> {
        let size = self.run.size;
        if size <= cp.part_size {
            return self.put_object(cp).await;
        }
        let count = size.div_ceil(cp.part_size) as u32;
        self.run
            .progress
            .parts_total
            .store(count, Ordering::Relaxed);
        let mut done: std::collections::BTreeMap<u32, DonePart> = std::collections::BTreeMap::new();
        let upload_id = match cp.upload_id.clone() {
            Some(id) => match self.reconcile(&cp, &id).await? {
                Some(found) => {
                    done = found;
                    id
                }
                None => {
                    // The multipart upload is gone: completed just before a
                    // crash (every part was checkpointed, and the object is
                    // the file), or aborted or expired (start it again).
                    if let Some(out) = self.completed_before(&cp, count).await {
                        return Ok(out);
                    }
                    cp.parts.clear();
                    self.initiate(&mut cp).await?
                }
            },
            None => self.initiate(&mut cp).await?,
        };
        cp.parts = done.values().cloned().collect();
        self.run.save(&cp)?;
        let already: u64 = done.keys().map(|n| self.part_len(&cp, *n)).sum();
        self.run.progress.sent.store(already, Ordering::Relaxed);
        self.run
            .progress
            .parts_done
            .store(done.len() as u32, Ordering::Relaxed);
        self.run.progress.report();

        let todo: Vec<u32> = (1..=count).filter(|n| !done.contains_key(n)).collect();
        let sent = todo.len() as u32;
        let mut parts = futures::stream::iter(todo)
            .map(|n| self.upload_part(&cp, &upload_id, n))
            .buffer_unordered(self.run.parallelism);
        let mut last_saved = tokio::time::Instant::now();
        let mut failed = None;
        let mut progress_cp = cp.clone();
        while let Some(result) = parts.next().await {
            match result {
                Ok(part) => {
                    self.run.progress.part_done();
                    done.insert(part.number, part);
                    if last_saved.elapsed() >= CHECKPOINT_EVERY {
                        progress_cp.parts = done.values().cloned().collect();
                        self.run.save(&progress_cp)?;
                        last_saved = tokio::time::Instant::now();
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(parts);
        progress_cp.parts = done.values().cloned().collect();
        if let Some(e) = failed {
            let file_problem = matches!(e, UploadError::File { .. } | UploadError::Integrity(_));
            if self.run.checkpoint_at.is_some() && !file_problem {
                // Resumable: keep the multipart upload and the parts done
                // for the next run (which asks ListParts what OSS holds).
                self.run.save(&progress_cp)?;
                return Err(e);
            }
            // Giving up: no later run will go on with this multipart upload.
            self.abort(&upload_id).await;
            progress_cp.upload_id = None;
            progress_cp.parts.clear();
            self.run.save(&progress_cp)?;
            return Err(e);
        }
        self.run.save(&progress_cp)?;
        if let Err(e) = self.run.check_unchanged(&cp.file) {
            self.abort(&upload_id).await;
            self.run.forget()?;
            return Err(e);
        }
        let whole = done.values().fold(0u64, |acc, p| {
            combine(acc, p.crc64, self.part_len(&cp, p.number))
        });
        let list: Vec<(u32, String)> = done.values().map(|p| (p.number, p.etag.clone())).collect();
        self.complete(&upload_id, &list, whole).await?;
        Ok(UploadOutput {
            media_id: self.media_id.clone(),
            kind: self.run.kind.clone(),
            file_url: self.file_url.clone(),
            bucket: cp.bucket.clone(),
            object_key: cp.object_key.clone(),
            size,
            crc64: whole,
            parts: count,
            parts_sent: sent,
            resumed: false,
            credential_refreshes: 0,
        })
    }

    /// The upload's output when the object is already in OSS, complete:
    /// the checkpoint lists every part and HeadObject's CRC-64 is theirs
    /// combined.
    async fn completed_before(&self, cp: &Checkpoint, count: u32) -> Option<UploadOutput> {
        let numbers: Vec<u32> = cp.parts.iter().map(|p| p.number).collect();
        if numbers != (1..=count).collect::<Vec<u32>>() {
            return None;
        }
        let whole = cp.parts.iter().fold(0u64, |acc, p| {
            combine(acc, p.crc64, self.part_len(cp, p.number))
        });
        let head = self.head().await.ok()?;
        let length = head
            .header("content-length")
            .and_then(|l| l.parse::<u64>().ok());
        if head.crc64() != Some(whole) || length.is_some_and(|l| l != self.run.size) {
            return None;
        }
        tracing::info!(media_id = %self.media_id, "the object was completed before; nothing to send");
        Some(UploadOutput {
            media_id: self.media_id.clone(),
            kind: self.run.kind.clone(),
            file_url: self.file_url.clone(),
            bucket: cp.bucket.clone(),
            object_key: cp.object_key.clone(),
            size: self.run.size,
            crc64: whole,
            parts: count,
            parts_sent: 0,
            resumed: true,
            credential_refreshes: 0,
        })
    }

    fn part_len(&self, cp: &Checkpoint, number: u32) -> u64 {
        let start = u64::from(number - 1) * cp.part_size;
        cp.part_size.min(self.run.size.saturating_sub(start))
    }

    async fn put_object(&self, cp: Checkpoint) -> Result<UploadOutput, UploadError> {
        let (data, crc) = self.run.read_checked(0, self.run.size, true).await?;
        let length = data.len().to_string();
        let counted = Arc::new(AtomicU64::new(0));
        let answer = self
            .retrying("PutObject", |credentials| {
                self.run
                    .progress
                    .take_back(counted.swap(0, Ordering::Relaxed));
                let body = counted_body(data.clone(), &self.run.progress, &counted);
                let length = length.clone();
                async move {
                    self.target
                        .send(
                            &credentials,
                            reqwest::Method::PUT,
                            &[],
                            &[("content-length", &length)],
                            body,
                        )
                        .await
                }
            })
            .await?;
        verify("the object", &answer, crc, &data)?;
        self.run.progress.part_done();
        self.run.check_unchanged(&cp.file)?;
        Ok(UploadOutput {
            media_id: self.media_id.clone(),
            kind: self.run.kind.clone(),
            file_url: self.file_url.clone(),
            bucket: cp.bucket,
            object_key: cp.object_key,
            size: self.run.size,
            crc64: crc,
            parts: 1,
            parts_sent: 1,
            resumed: false,
            credential_refreshes: 0,
        })
    }

    async fn initiate(&self, cp: &mut Checkpoint) -> Result<String, UploadError> {
        let answer = self
            .retrying("InitiateMultipartUpload", |credentials| async move {
                self.target
                    .send(
                        &credentials,
                        reqwest::Method::POST,
                        &[("uploads", "")],
                        &[],
                        reqwest::Body::from(""),
                    )
                    .await
            })
            .await?;
        let upload_id = oss::xml_fields(&answer.body)
            .into_iter()
            .find(|(path, _)| path == "InitiateMultipartUploadResult/UploadId")
            .map(|(_, id)| id)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| UploadError::Oss {
                operation: "InitiateMultipartUpload".to_owned(),
                detail: "the answer has no UploadId".to_owned(),
            })?;
        cp.upload_id = Some(upload_id.clone());
        cp.parts.clear();
        self.run.save(cp)?;
        Ok(upload_id)
    }

    /// What of the file OSS already holds in `upload_id`: the parts whose
    /// size and ETag match (a part unknown to the checkpoint, finished just
    /// before a crash, is accepted when its ETag is the MD5 of the file's
    /// bytes). `None` when the multipart upload no longer exists.
    async fn reconcile(
        &self,
        cp: &Checkpoint,
        upload_id: &str,
    ) -> Result<Option<std::collections::BTreeMap<u32, DonePart>>, UploadError> {
        let mut listed = Vec::new();
        let mut marker = 0u32;
        loop {
            let marker_text = marker.to_string();
            let page = self
                .retrying("ListParts", |credentials| {
                    let marker_text = marker_text.clone();
                    async move {
                        self.target
                            .send(
                                &credentials,
                                reqwest::Method::GET,
                                &[
                                    ("uploadId", upload_id),
                                    ("max-parts", "1000"),
                                    ("part-number-marker", &marker_text),
                                ],
                                &[],
                                reqwest::Body::from(""),
                            )
                            .await
                    }
                })
                .await;
            let page = match page {
                Ok(p) => p,
                Err(UploadError::Oss { detail, .. }) if detail.contains("NoSuchUpload") => {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            };
            let (parts, next) = oss::parse_list_parts(&page.body);
            listed.extend(parts);
            match next {
                Some(n) if n > marker => marker = n,
                _ => break,
            }
        }
        let count = self.run.size.div_ceil(cp.part_size) as u32;
        let mut done = std::collections::BTreeMap::new();
        for part in listed {
            if part.number == 0
                || part.number > count
                || part.size != self.part_len(cp, part.number)
            {
                continue;
            }
            let known = cp
                .parts
                .iter()
                .find(|p| p.number == part.number && bare_etag(&p.etag) == bare_etag(&part.etag));
            let entry = match known {
                Some(p) => p.clone(),
                None => {
                    let start = u64::from(part.number - 1) * cp.part_size;
                    let data = self.run.read(start, self.part_len(cp, part.number)).await?;
                    if hex::encode(Md5::digest(&data)) != bare_etag(&part.etag) {
                        continue;
                    }
                    DonePart {
                        number: part.number,
                        etag: part.etag.clone(),
                        crc64: CRC64.checksum(&data),
                    }
                }
            };
            done.insert(part.number, entry);
        }
        tracing::info!(media_id = %self.media_id, parts_in_oss = done.len(), parts = count, "resuming");
        Ok(Some(done))
    }

    async fn upload_part(
        &self,
        cp: &Checkpoint,
        upload_id: &str,
        number: u32,
    ) -> Result<DonePart, UploadError> {
        let start = u64::from(number - 1) * cp.part_size;
        let (data, crc) = self
            .run
            .read_checked(start, self.part_len(cp, number), true)
            .await?;
        let result = self.send_part(upload_id, number, &data, crc).await;
        self.run.recycle(data);
        result
    }

    /// UploadPart of bytes read, checked against OSS's answer.
    async fn send_part(
        &self,
        upload_id: &str,
        number: u32,
        data: &Bytes,
        crc: u64,
    ) -> Result<DonePart, UploadError> {
        let length = data.len().to_string();
        let number_text = number.to_string();
        let counted = Arc::new(AtomicU64::new(0));
        let operation = format!("UploadPart {number}");
        let answer = self
            .retrying(&operation, |credentials| {
                self.run
                    .progress
                    .take_back(counted.swap(0, Ordering::Relaxed));
                let body = counted_body(data.clone(), &self.run.progress, &counted);
                let (length, number_text) = (length.clone(), number_text.clone());
                async move {
                    self.target
                        .send(
                            &credentials,
                            reqwest::Method::PUT,
                            &[("partNumber", &number_text), ("uploadId", upload_id)],
                            &[("content-length", &length)],
                            body,
                        )
                        .await
                }
            })
            .await;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                self.run
                    .progress
                    .take_back(counted.swap(0, Ordering::Relaxed));
                return Err(e);
            }
        };
        verify(&format!("part {number}"), &answer, crc, data)?;
        Ok(DonePart {
            number,
            etag: answer
                .etag()
                .unwrap_or_else(|| format!("\"{}\"", hex::encode_upper(Md5::digest(data)))),
            crc64: crc,
        })
    }

    async fn complete(
        &self,
        upload_id: &str,
        parts: &[(u32, String)],
        whole: u64,
    ) -> Result<(), UploadError> {
        let body = oss::complete_body(parts);
        let answer = self
            .retrying("CompleteMultipartUpload", |credentials| {
                let body = body.clone();
                async move {
                    let length = body.len().to_string();
                    self.target
                        .send(
                            &credentials,
                            reqwest::Method::POST,
                            &[("uploadId", upload_id)],
                            &[
                                ("content-type", "application/xml"),
                                ("content-length", &length),
                            ],
                            reqwest::Body::from(body),
                        )
                        .await
                }
            })
            .await;
        let answer = match answer {
            Ok(a) => a,
            // An earlier attempt may have completed it before its answer
            // was lost: what OSS holds decides.
            Err(UploadError::Oss { detail, .. }) if detail.contains("NoSuchUpload") => {
                self.head().await?
            }
            Err(e) => return Err(e),
        };
        match answer.crc64() {
            Some(crc) if crc == whole => Ok(()),
            Some(crc) => Err(UploadError::Integrity(format!(
                "the object's CRC-64 is {crc}, the file's {whole}"
            ))),
            None => Err(UploadError::Integrity(
                "OSS did not report the object's CRC-64 (x-oss-hash-crc64ecma)".to_owned(),
            )),
        }
    }

    /// HeadObject.
    async fn head(&self) -> Result<oss::Answer, UploadError> {
        self.retrying("HeadObject", |credentials| async move {
            self.target
                .send(
                    &credentials,
                    reqwest::Method::HEAD,
                    &[],
                    &[],
                    reqwest::Body::from(""),
                )
                .await
        })
        .await
    }

    /// AbortMultipartUpload, best effort: logged, never an error.
    async fn abort(&self, upload_id: &str) {
        let result = self
            .retrying("AbortMultipartUpload", |credentials| async move {
                self.target
                    .send(
                        &credentials,
                        reqwest::Method::DELETE,
                        &[("uploadId", upload_id)],
                        &[],
                        reqwest::Body::from(""),
                    )
                    .await
            })
            .await;
        match result {
            Ok(_) => tracing::info!(media_id = %self.media_id, "aborted the multipart upload"),
            Err(e) => {
                tracing::warn!(media_id = %self.media_id, error = %e, "could not abort the multipart upload")
            }
        }
    }
}

/// Checks an answer's CRC-64 (or, without one, its ETag, against the MD5
/// of `data`) against the bytes sent, whose CRC-64 is `crc`.
fn verify(what: &str, answer: &oss::Answer, crc: u64, data: &[u8]) -> Result<(), UploadError> {
    let md5 = || hex::encode(Md5::digest(data));
    match (answer.crc64(), answer.etag()) {
        (Some(got), _) if got == crc => Ok(()),
        (Some(got), _) => Err(UploadError::Integrity(format!(
            "OSS holds {what} with CRC-64 {got}, the file's bytes have {crc}"
        ))),
        (None, Some(etag)) if bare_etag(&etag) == md5() => Ok(()),
        (None, Some(_)) => Err(UploadError::Integrity(format!(
            "OSS holds {what} with an ETag that is not the MD5 of the bytes sent"
        ))),
        (None, None) => Err(UploadError::Integrity(format!(
            "OSS answered {what} with neither CRC-64 nor ETag"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_against_the_bytes() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "etag",
            "\"0CC175B9C0F1B6A831C399E269772661\"".parse().unwrap(),
        );
        let answer = oss::Answer {
            headers: headers.clone(),
            body: Bytes::new(),
        };
        assert!(verify("x", &answer, 1, b"a").is_ok());
        assert!(verify("x", &answer, 1, b"b").is_err());
        headers.insert("x-oss-hash-crc64ecma", "7".parse().unwrap());
        let answer = oss::Answer {
            headers,
            body: Bytes::new(),
        };
        assert!(verify("x", &answer, 7, b"b").is_ok());
        assert!(matches!(
            verify("x", &answer, 8, b"a"),
            Err(UploadError::Integrity(_))
        ));
    }
}

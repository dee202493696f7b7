//! Uploading local files: [`Client::upload_file`] creates the media record
//! (CreateUploadVideo), decodes where the file goes and the STS credentials
//! to put it there ([`crate::upload_grant`]), and puts the file into OSS:
//! one PutObject for a file of at most one part, otherwise a multipart
//! upload with a bounded number of parts in flight, each read from disk
//! when its turn comes (memory stays at most parts in flight x part size).
//!
//! - **Credentials that expire.** UploadAuth lasts an hour at most; before
//!   it runs out, and whenever OSS refuses it as expired or unknown, the
//!   upload asks RefreshUploadVideo for new credentials for the same video
//!   and goes on with the same multipart upload and the parts already done.
//! - **Integrity.** Every part's CRC-64 is checked against OSS's
//!   `x-oss-hash-crc64ecma` (or, without it, its ETag against the part's
//!   MD5), and the whole object's CRC-64, combined from the parts', against
//!   OSS's answer at the end: a mismatch is an error, never a success.
//! - **Retries.** A part, PutObject or ListParts that failed in transit or
//!   with a 5xx is sent again (they are idempotent), up to 4 attempts; a
//!   CompleteMultipartUpload answered NoSuchUpload after a retry is checked
//!   against the stored object instead of failing. When a part cannot go
//!   up, the multipart upload is aborted and the error names the part.
//! - **Resume.** With [`UploadFile::checkpoint_dir`], a checkpoint (the
//!   file's identity, VideoId, address, uploadId, part size, parts done; no
//!   credentials) is kept up to date, atomically. Uploading the same file
//!   again resumes it: RefreshUploadVideo (never a second
//!   CreateUploadVideo), ListParts to learn what OSS holds, then only the
//!   missing parts. A file that changed starts over (its old multipart
//!   upload is aborted); a finished upload removes its checkpoint.
//!
//! ```no_run
//! # async fn demo(client: aliyun_vod::Client) -> Result<(), aliyun_vod::upload::UploadError> {
//! let done = client
//!     .upload_file("talk.mp4")
//!     .title("Conference talk")
//!     .cate_id(1000001)
//!     .checkpoint_dir("/var/tmp/vod-uploads")
//!     .on_progress(|p| eprintln!("{}/{} bytes", p.bytes_sent, p.total_bytes))
//!     .send()
//!     .await?;
//! println!("{} ({} bytes in {} parts)", done.media_id, done.size, done.parts);
//! # Ok(()) }
//! ```

mod checkpoint;
mod crc64;
mod oss;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aliyun_runtime::Credentials;
use bytes::Bytes;
use futures::StreamExt as _;
use md5::{Digest as _, Md5};
use time::OffsetDateTime;

use crate::create_upload_video::CreateUploadVideoInput;
use crate::upload_grant::{GrantError, UploadAddress, UploadAuth};
use checkpoint::{Checkpoint, DonePart, FileIdentity};
use crc64::{combine, CRC64};

/// OSS's smallest part (all but the last).
pub const MIN_PART_SIZE: u64 = 100 << 10;
/// OSS's largest part.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// OSS's most parts in one multipart upload.
pub const MAX_PARTS: u64 = 10_000;
/// The part size when none is set and the file allows it.
pub const DEFAULT_PART_SIZE: u64 = 8 << 20;
/// Parts in flight when not set.
pub const DEFAULT_PARALLELISM: usize = 4;
/// Most parts in flight.
pub const MAX_PARALLELISM: usize = 32;
/// Attempts per OSS request (transient failures only).
const MAX_ATTEMPTS: u32 = 4;
/// Most RefreshUploadVideo calls in one upload.
const MAX_REFRESHES: u32 = 50;
/// Bytes per body chunk (the progress granularity).
const CHUNK: usize = 256 << 10;
/// A checkpoint is rewritten at most this often while parts complete (the
/// parts in between are found again with ListParts on resume).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Why an upload failed. Never holds a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// A setting of the upload is out of range.
    #[error("{field}: {rule}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// The rule it breaks.
        rule: String,
    },
    /// The local file cannot be uploaded (missing, unreadable, empty, not a
    /// regular file, too large) or changed while uploading.
    #[error("{}: {problem}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A VOD call (CreateUploadVideo, RefreshUploadVideo) failed.
    #[error(transparent)]
    Api(#[from] aliyun_runtime::Error),
    /// VOD's UploadAddress or UploadAuth could not be decoded.
    #[error("VOD answered an unusable upload grant: {0}")]
    Grant(#[from] GrantError),
    /// An OSS request failed for good.
    #[error("OSS {operation} failed: {detail}")]
    Oss {
        /// `UploadPart 3`, `CompleteMultipartUpload`, ...
        operation: String,
        /// Status, code, message and request id, or the transport problem.
        detail: String,
    },
    /// What OSS holds is not what was sent.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// OSS refused expired credentials of an image or attached media, which
    /// cannot be refreshed, after some of the file went up.
    #[error("the upload credentials expired after {parts_done} part(s) went up; {} uploads cannot be refreshed: upload the file again", kind.noun())]
    CredentialsExpired {
        /// What was being uploaded.
        kind: MediaKind,
        /// Parts already in OSS.
        parts_done: u32,
    },
    /// The checkpoint could not be read or written.
    #[error("checkpoint {}: {problem}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The media record exists but its file did not (all) go up.
    #[error("upload of {} {media_id} failed{}: {source}", kind.noun(), if *resumable { " (run it again to resume)" } else { "" })]
    Interrupted {
        /// The media record created for the file.
        media_id: String,
        /// What it is.
        kind: MediaKind,
        /// A checkpoint lets the same upload go on.
        resumable: bool,
        /// What went wrong.
        source: Box<UploadError>,
    },
}

/// How far an upload is; handed to [`UploadFile::on_progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes sent or already in OSS (falls back when a part is sent again).
    pub bytes_sent: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Parts confirmed by OSS.
    pub parts_done: u32,
    /// Parts in all (1 for a PutObject).
    pub parts_total: u32,
}

type ProgressFn = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// What a file becomes: which CreateUpload* call makes its record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaKind {
    /// A video or audio (CreateUploadVideo): refreshable and resumable.
    Video,
    /// An image (CreateUploadImage) of this `ImageType` (`default`, `cover`).
    Image {
        /// The `ImageType`.
        image_type: String,
    },
    /// Auxiliary media (CreateUploadAttachedMedia) of this `BusinessType`
    /// (`watermark`, `subtitle`, `material`).
    AttachedMedia {
        /// The `BusinessType`.
        business_type: String,
    },
}

impl MediaKind {
    /// `video`, `image`, `attached media`.
    pub fn noun(&self) -> &'static str {
        match self {
            MediaKind::Video => "video",
            MediaKind::Image { .. } => "image",
            MediaKind::AttachedMedia { .. } => "attached media",
        }
    }

    /// Only videos get new credentials for the same record
    /// (RefreshUploadVideo).
    fn refreshable(&self) -> bool {
        matches!(self, MediaKind::Video)
    }
}

/// A finished upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOutput {
    /// The media record: its VideoId, ImageId or MediaId.
    pub media_id: String,
    /// What it is.
    pub kind: MediaKind,
    /// The file's URL as CreateUploadImage or CreateUploadAttachedMedia
    /// answered it (`FileURL`); `None` for videos.
    pub file_url: Option<String>,
    /// The OSS bucket and object key it went to.
    pub bucket: String,
    /// The object key.
    pub object_key: String,
    /// Bytes uploaded (the file's size).
    pub size: u64,
    /// The object's CRC-64 (`x-oss-hash-crc64ecma`), equal to the file's.
    pub crc64: u64,
    /// Parts of the object (1 for a PutObject).
    pub parts: u32,
    /// Parts sent by this run (fewer than `parts` when it resumed).
    pub parts_sent: u32,
    /// It went on from a checkpoint.
    pub resumed: bool,
    /// Times the credentials were refreshed (RefreshUploadVideo).
    pub credential_refreshes: u32,
}

/// An upload of one local file; see [`Client::upload_file`] and the
/// [module documentation](self).
#[must_use = "an upload does nothing until `.send().await`"]
pub struct UploadFile {
    client: crate::Client,
    path: PathBuf,
    kind: MediaKind,
    input: CreateUploadVideoInput,
    part_size: Option<u64>,
    parallelism: usize,
    checkpoint_dir: Option<PathBuf>,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFile")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("input", &self.input)
            .field("part_size", &self.part_size)
            .field("parallelism", &self.parallelism)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .finish_non_exhaustive()
    }
}

impl crate::Client {
    /// Uploads the local file at `path` as a new video: CreateUploadVideo,
    /// then OSS. The title defaults to the file's name without extension.
    pub fn upload_file(&self, path: impl Into<PathBuf>) -> UploadFile {
        self.upload_as(path.into(), MediaKind::Video)
    }

    /// Uploads the local file at `path` as a new image of `image_type`
    /// (`default` or `cover`): CreateUploadImage, then OSS. Image
    /// credentials cannot be refreshed and image uploads do not resume.
    pub fn upload_image(
        &self,
        path: impl Into<PathBuf>,
        image_type: impl Into<String>,
    ) -> UploadFile {
        self.upload_as(
            path.into(),
            MediaKind::Image {
                image_type: image_type.into(),
            },
        )
    }

    /// Uploads the local file at `path` as auxiliary media of
    /// `business_type` (`watermark`, `subtitle`, `material`):
    /// CreateUploadAttachedMedia, then OSS. Like images, not refreshable.
    pub fn upload_attached_media(
        &self,
        path: impl Into<PathBuf>,
        business_type: impl Into<String>,
    ) -> UploadFile {
        self.upload_as(
            path.into(),
            MediaKind::AttachedMedia {
                business_type: business_type.into(),
            },
        )
    }

    fn upload_as(&self, path: PathBuf, kind: MediaKind) -> UploadFile {
        UploadFile {
            client: self.clone(),
            path,
            kind,
            input: CreateUploadVideoInput::default(),
            part_size: None,
            parallelism: DEFAULT_PARALLELISM,
            checkpoint_dir: None,
            progress: None,
        }
    }
}

impl UploadFile {
    /// The video's title (at most 128 characters); the file's stem if unset.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.input.title = Some(title.into());
        self
    }
    /// The file name VOD records (it must end with the format's extension);
    /// the file's own name if unset.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.input.file_name = Some(name.into());
        self
    }
    /// The description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.input.description = Some(text.into());
        self
    }
    /// The category id.
    pub fn cate_id(mut self, id: i64) -> Self {
        self.input.cate_id = Some(id);
        self
    }
    /// Tags (at most 16).
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.input.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }
    /// The transcoding template group.
    pub fn template_group_id(mut self, id: impl Into<String>) -> Self {
        self.input.template_group_id = Some(id.into());
        self
    }
    /// The workflow (takes precedence over the template group).
    pub fn workflow_id(mut self, id: impl Into<String>) -> Self {
        self.input.workflow_id = Some(id.into());
        self
    }
    /// The storage location (bucket address) to upload to.
    pub fn storage_location(mut self, location: impl Into<String>) -> Self {
        self.input.storage_location = Some(location.into());
        self
    }
    /// User data (a JSON string: callback settings, pass-through values).
    pub fn user_data(mut self, json: impl Into<String>) -> Self {
        self.input.user_data = Some(json.into());
        self
    }
    /// The cover image URL.
    pub fn cover_url(mut self, url: impl Into<String>) -> Self {
        self.input.cover_url = Some(url.into());
        self
    }
    /// The VOD application.
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.input.app_id = Some(id.into());
        self
    }
    /// Every CreateUploadVideo field at once (title and file name still
    /// default as above when left empty).
    pub fn input(mut self, input: CreateUploadVideoInput) -> Self {
        self.input = input;
        self
    }
    /// Part size in bytes, from [`MIN_PART_SIZE`] to [`MAX_PART_SIZE`]; by
    /// default [`DEFAULT_PART_SIZE`], larger when the file needs it to stay
    /// within [`MAX_PARTS`]. A file of at most one part goes up in one
    /// PutObject.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = Some(bytes);
        self
    }
    /// Parts in flight at once, 1 to [`MAX_PARALLELISM`]
    /// (default [`DEFAULT_PARALLELISM`]).
    pub fn parallelism(mut self, parts: usize) -> Self {
        self.parallelism = parts;
        self
    }
    /// Keep a checkpoint in `dir` so that an interrupted upload of the same
    /// file resumes (see the module documentation).
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }
    /// Called as bytes go out and parts complete, from the upload's tasks:
    /// keep it quick.
    pub fn on_progress(mut self, f: impl Fn(&UploadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Runs the upload.
    pub async fn send(self) -> Result<UploadOutput, UploadError> {
        if !(1..=MAX_PARALLELISM).contains(&self.parallelism) {
            return Err(UploadError::Invalid {
                field: "parallelism",
                rule: format!("must be 1 to {MAX_PARALLELISM}"),
            });
        }
        let opened = open(&self.path).await?;
        let part_size = choose_part_size(&self.path, opened.identity.size, self.part_size)?;
        let mut input = self.input.clone();
        fill_names(&mut input, &self.path)?;
        let create = create_call(
            &self.kind,
            input,
            opened.identity.size,
            self.checkpoint_dir.is_some(),
        )?;
        let at = self
            .checkpoint_dir
            .as_deref()
            .map(|dir| checkpoint::location(dir, &opened.identity.path));
        let run = Run {
            client: self.client.clone(),
            file: Arc::clone(&opened.file),
            path: self.path.clone(),
            size: opened.identity.size,
            parallelism: self.parallelism,
            checkpoint_at: at,
            progress: Arc::new(Progress::new(opened.identity.size, self.progress.clone())),
            refreshes: AtomicU32::new(0),
            kind: self.kind.clone(),
            create,
        };
        run.go(opened.identity, part_size).await
    }
}

/// The CreateUpload* call of a file, checked against its rules.
#[derive(Clone, Debug)]
enum CreateCall {
    Video(CreateUploadVideoInput),
    Image(crate::create_upload_image::CreateUploadImageInput),
    Attached(crate::create_upload_attached_media::CreateUploadAttachedMediaInput),
}

/// What a CreateUpload* call answered.
struct Created {
    id: String,
    address: UploadAddress,
    auth: UploadAuth,
    file_url: Option<String>,
}

fn create_call(
    kind: &MediaKind,
    mut input: CreateUploadVideoInput,
    size: u64,
    checkpointed: bool,
) -> Result<CreateCall, UploadError> {
    let call = match kind {
        MediaKind::Video => {
            // Refused before anything is created: the rules CreateUploadVideo
            // would check when sent.
            input.validate().map_err(aliyun_runtime::Error::from)?;
            input.file_size = Some(i64::try_from(size).unwrap_or(i64::MAX));
            return Ok(CreateCall::Video(input));
        }
        other => {
            let video_only = [
                (input.template_group_id.is_some(), "template_group_id"),
                (input.workflow_id.is_some(), "workflow_id"),
                (input.cover_url.is_some(), "cover_url"),
            ];
            for (set, field) in video_only {
                if set {
                    return Err(UploadError::Invalid {
                        field,
                        rule: format!("applies to videos only, not to {} uploads", other.noun()),
                    });
                }
            }
            if checkpointed {
                return Err(UploadError::Invalid {
                    field: "checkpoint_dir",
                    rule: format!(
                        "only video uploads resume: {} credentials cannot be refreshed",
                        other.noun()
                    ),
                });
            }
            let ext = input
                .file_name
                .as_deref()
                .and_then(|n| Path::new(n).extension())
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            match other {
                MediaKind::Image { image_type } => {
                    CreateCall::Image(crate::create_upload_image::CreateUploadImageInput {
                        title: input.title,
                        image_type: Some(image_type.clone()),
                        image_ext: ext,
                        original_file_name: input.file_name,
                        tags: input.tags,
                        storage_location: input.storage_location,
                        cate_id: input.cate_id,
                        user_data: input.user_data,
                        description: input.description,
                        app_id: input.app_id,
                    })
                }
                _ => {
                    let business_type = match other {
                        MediaKind::AttachedMedia { business_type } => business_type.clone(),
                        _ => String::new(),
                    };
                    CreateCall::Attached(
                        crate::create_upload_attached_media::CreateUploadAttachedMediaInput {
                            title: input.title,
                            business_type: Some(business_type),
                            media_ext: ext,
                            file_name: input.file_name,
                            file_size: Some(size.to_string()),
                            tags: input.tags,
                            storage_location: input.storage_location,
                            description: input.description,
                            user_data: input.user_data,
                            cate_ids: input.cate_id.map(|c| vec![c.to_string()]),
                            app_id: input.app_id,
                        },
                    )
                }
            }
        }
    };
    match &call {
        CreateCall::Image(i) => i.validate(),
        CreateCall::Attached(i) => i.validate(),
        CreateCall::Video(i) => i.validate(),
    }
    .map_err(aliyun_runtime::Error::from)?;
    Ok(call)
}

struct Opened {
    file: Arc<std::fs::File>,
    identity: FileIdentity,
}

/// Opens the file and reads its identity; every way it cannot be uploaded
/// is an error here, before anything is created.
async fn open(path: &Path) -> Result<Opened, UploadError> {
    let path = path.to_owned();
    let fail = |path: &Path, problem: String| UploadError::File {
        path: path.to_owned(),
        problem,
    };
    tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&path).map_err(|e| fail(&path, io_problem(&e)))?;
        if !meta.is_file() {
            return Err(fail(&path, "is not a regular file".to_owned()));
        }
        if meta.len() == 0 {
            return Err(fail(
                &path,
                "is empty (VOD takes no empty media)".to_owned(),
            ));
        }
        let file = std::fs::File::open(&path).map_err(|e| fail(&path, io_problem(&e)))?;
        let absolute = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let identity =
            FileIdentity::of(&absolute, &file).map_err(|e| fail(&path, io_problem(&e)))?;
        Ok(Opened {
            file: Arc::new(file),
            identity,
        })
    })
    .await
    .map_err(|e| UploadError::File {
        path: PathBuf::new(),
        problem: format!("the file task failed: {e}"),
    })?
}

fn io_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".to_owned(),
        _ => format!("cannot be read: {e}"),
    }
}

fn choose_part_size(path: &Path, size: u64, wanted: Option<u64>) -> Result<u64, UploadError> {
    if size > MAX_PARTS * MAX_PART_SIZE {
        return Err(UploadError::File {
            path: path.to_owned(),
            problem: format!(
                "is {size} bytes; OSS takes at most {MAX_PARTS} parts of {MAX_PART_SIZE} bytes"
            ),
        });
    }
    let least = size.div_ceil(MAX_PARTS);
    match wanted {
        Some(p) if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&p) => Err(UploadError::Invalid {
            field: "part_size",
            rule: format!("must be {MIN_PART_SIZE} to {MAX_PART_SIZE} bytes, not {p}"),
        }),
        Some(p) if p < least => Err(UploadError::Invalid {
            field: "part_size",
            rule: format!(
                "a {size}-byte file needs parts of at least {least} bytes (OSS takes at most {MAX_PARTS} parts)"
            ),
        }),
        Some(p) => Ok(p),
        None => Ok(DEFAULT_PART_SIZE.max(least.next_multiple_of(1 << 20))),
    }
}

/// Title from the file's stem and FileName from its name, when unset.
fn fill_names(input: &mut CreateUploadVideoInput, path: &Path) -> Result<(), UploadError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if input
        .file_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        input.file_name = Some(name.clone());
    }
    let file_name = input.file_name.as_deref().unwrap_or_default();
    let has_extension = Path::new(file_name)
        .extension()
        .is_some_and(|e| !e.is_empty());
    if !has_extension {
        return Err(UploadError::Invalid {
            field: "file_name",
            rule: format!(
                "{file_name:?} has no extension; VOD needs one to know the format (set .file_name(\"name.mp4\"))"
            ),
        });
    }
    if input.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(name);
        input.title = Some(stem);
    }
    Ok(())
}

/// Reads `len` bytes at `offset` (blocking).
pub(crate) fn read_at(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt as _;
        file.read_exact_at(&mut buf, offset)?;
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt as _;
        let mut done = 0;
        while done < len {
            let n = file.seek_read(&mut buf[done..], offset + done as u64)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
    }
    Ok(buf)
}

/// Bytes and parts done, reported to the callback.
struct Progress {
    sent: AtomicU64,
    total: u64,
    parts_done: AtomicU32,
    parts_total: AtomicU32,
    callback: Option<ProgressFn>,
}

impl Progress {
    fn new(total: u64, callback: Option<ProgressFn>) -> Self {
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
        counted.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        progress.add(chunk.len() as u64);
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
struct Run {
    client: crate::Client,
    file: Arc<std::fs::File>,
    path: PathBuf,
    size: u64,
    parallelism: usize,
    checkpoint_at: Option<PathBuf>,
    progress: Arc<Progress>,
    refreshes: AtomicU32,
    kind: MediaKind,
    create: CreateCall,
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
    async fn go(
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
        let mut recreated = false;
        loop {
            let (cp, session) = match resumed.take() {
                Some(cp) => {
                    let (address, auth) = self.refresh(&cp.video_id).await?;
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
                        checkpoint::remove(at).map_err(|e| UploadError::Checkpoint {
                            path: at.clone(),
                            problem: format!("could not be removed: {e}"),
                        })?;
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
        let file = Arc::clone(&self.file);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || read_at(&file, offset, len as usize))
            .await
            .map_err(|e| UploadError::File {
                path: self.path.clone(),
                problem: format!("the read task failed: {e}"),
            })?
            .map(Bytes::from)
            .map_err(|e| UploadError::File {
                path,
                problem: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    "became shorter while uploading".to_owned()
                } else {
                    io_problem(&e)
                },
            })
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
        if let (true, Some(at)) = (self.run.kind.refreshable(), grant.auth.expires_at) {
            if OffsetDateTime::now_utc() + margin(&grant.auth) >= at {
                self.renew(&mut grant).await?;
            }
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
                    // The multipart upload is gone (aborted or expired).
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
            // Give up on this multipart upload; a later run starts a new
            // one for the same video.
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

    fn part_len(&self, cp: &Checkpoint, number: u32) -> u64 {
        let start = u64::from(number - 1) * cp.part_size;
        cp.part_size.min(self.run.size.saturating_sub(start))
    }

    async fn put_object(&self, cp: Checkpoint) -> Result<UploadOutput, UploadError> {
        let data = self.run.read(0, self.run.size).await?;
        let crc = CRC64.checksum(&data);
        let md5 = hex::encode(Md5::digest(&data));
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
        verify("the object", &answer, crc, &md5)?;
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
        let data = self.run.read(start, self.part_len(cp, number)).await?;
        let crc = CRC64.checksum(&data);
        let md5 = hex::encode(Md5::digest(&data));
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
        verify(&format!("part {number}"), &answer, crc, &md5)?;
        Ok(DonePart {
            number,
            etag: answer
                .etag()
                .unwrap_or_else(|| format!("\"{}\"", md5.to_uppercase())),
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

/// Checks an answer's CRC-64 (or, without one, its ETag) against the bytes sent.
fn verify(what: &str, answer: &oss::Answer, crc: u64, md5: &str) -> Result<(), UploadError> {
    match (answer.crc64(), answer.etag()) {
        (Some(got), _) if got == crc => Ok(()),
        (Some(got), _) => Err(UploadError::Integrity(format!(
            "OSS holds {what} with CRC-64 {got}, the file's bytes have {crc}"
        ))),
        (None, Some(etag)) if bare_etag(&etag) == md5 => Ok(()),
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
    fn part_sizes_stay_within_oss_limits() {
        let p = Path::new("f.mp4");
        assert_eq!(choose_part_size(p, 1, None).unwrap(), DEFAULT_PART_SIZE);
        // 100 GiB needs parts over 10 MiB: rounded up to whole MiB.
        let big = 100 << 30;
        let part = choose_part_size(p, big, None).unwrap();
        assert!(
            big.div_ceil(part) <= MAX_PARTS && part % (1 << 20) == 0,
            "{part}"
        );
        assert!(matches!(
            choose_part_size(p, 10, Some(1000)),
            Err(UploadError::Invalid {
                field: "part_size",
                ..
            })
        ));
        let e = choose_part_size(p, 10_000 * MIN_PART_SIZE + 1, Some(MIN_PART_SIZE)).unwrap_err();
        assert!(e.to_string().contains("at least 102401 bytes"), "{e}");
        assert!(choose_part_size(p, MAX_PARTS * MAX_PART_SIZE + 1, None).is_err());
    }

    #[test]
    fn names_default_from_the_file() {
        let mut input = CreateUploadVideoInput::default();
        fill_names(&mut input, Path::new("/tmp/My talk.final.mov")).unwrap();
        assert_eq!(input.title.as_deref(), Some("My talk.final"));
        assert_eq!(input.file_name.as_deref(), Some("My talk.final.mov"));
        let mut input = CreateUploadVideoInput::default();
        let e = fill_names(&mut input, Path::new("/tmp/README")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("file_name: \"README\" has no extension"),
            "{e}"
        );
    }

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
        let md5 = hex::encode(Md5::digest(b"a"));
        assert!(verify("x", &answer, 1, &md5).is_ok());
        assert!(verify("x", &answer, 1, "00").is_err());
        headers.insert("x-oss-hash-crc64ecma", "7".parse().unwrap());
        let answer = oss::Answer {
            headers,
            body: Bytes::new(),
        };
        assert!(verify("x", &answer, 7, "00").is_ok());
        assert!(matches!(
            verify("x", &answer, 8, &md5),
            Err(UploadError::Integrity(_))
        ));
    }
}

//! Uploading local files: [`Client::upload_file`](crate::Client::upload_file) creates the media record
//! (CreateUploadVideo), decodes where the file goes and the STS credentials
//! to put it there ([`crate::upload_grant`]), and puts the file into OSS:
//! one PutObject for a file of at most one part, otherwise a multipart
//! upload with a bounded number of parts in flight, each read from disk
//! when its turn comes (memory stays at most parts in flight x part size).
//! [`Client::upload_image`](crate::Client::upload_image) and [`Client::upload_attached_media`](crate::Client::upload_attached_media) do the
//! same after CreateUploadImage or CreateUploadAttachedMedia; their
//! credentials cannot be refreshed (see [`UploadError::CredentialsExpired`])
//! and they do not resume.
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
//!   up, the error names the part; the multipart upload is aborted, unless
//!   a checkpoint keeps it (with the parts done) for the next run.
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
pub mod crc64;
mod oss;
mod prepare;
mod run;

use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use crate::create_upload_attached_media::AttachedMediaBusinessType;
use crate::create_upload_image::UploadImageType;
use crate::create_upload_video::{CreateUploadVideoInput, UploadUserData};
use crate::upload_grant::GrantError;
use prepare::{choose_part_size, create_call, fill_names, open};
use run::{Progress, Run};

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
pub(super) const MAX_ATTEMPTS: u32 = 4;
/// Most RefreshUploadVideo calls in one upload.
pub(super) const MAX_REFRESHES: u32 = 50;
/// Bytes per body chunk (the progress granularity).
pub(super) const CHUNK: usize = 256 << 10;
/// A checkpoint is rewritten at most this often while parts complete (the
/// parts in between are found again with ListParts on resume).
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

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

pub(super) type ProgressFn = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// What a file becomes: which CreateUpload* call makes its record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaKind {
    /// A video or audio (CreateUploadVideo): refreshable and resumable.
    Video,
    /// An image (CreateUploadImage) of this `ImageType` (`default`, `cover`).
    Image {
        /// The `ImageType`.
        image_type: UploadImageType,
    },
    /// Auxiliary media (CreateUploadAttachedMedia) of this `BusinessType`
    /// (`watermark`, `subtitle`, `material`).
    AttachedMedia {
        /// The `BusinessType`.
        business_type: AttachedMediaBusinessType,
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

/// An upload of one local file; see [`Client::upload_file`](crate::Client::upload_file) and the
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
        image_type: impl Into<UploadImageType>,
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
        business_type: impl Into<AttachedMediaBusinessType>,
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
    /// User data: event callback settings, your own values handed back in
    /// the events, upload acceleration ([`UploadUserData`]; read one from
    /// JSON text with `serde_json::from_str`).
    pub fn user_data(mut self, user_data: UploadUserData) -> Self {
        self.input.user_data = Some(user_data);
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
            buffers: std::sync::Mutex::new(Vec::new()),
        };
        run.go(opened.identity, part_size).await
    }
}

//! `vod upload FILE...`: each file becomes a video through the SDK's
//! `upload_file` (CreateUploadVideo, then OSS, multipart for large files),
//! one file after the other, with progress on stderr (a bar per file and a
//! total on a terminal, plain lines otherwise). Uploads are resumable by
//! default: a checkpoint per file lets the same command go on after a crash
//! or Ctrl-C without creating a second video. `--wait` then polls each video
//! until it is Normal (or failed) and adds its play URLs.
//!
//! Prints `{"Uploads": [...]}` (and `"Failed": [...]` when a file could not
//! go up); the exit code is that of the first failure.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aliyun_vod::create_upload_video::UploadUserData;
use aliyun_vod::upload::{MediaKind, UploadError, UploadOutput, UploadProgress};
use aliyun_vod::waiter::{wait_for_video, VideoWaitError};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};

use crate::error::CliError;
use crate::ops::Context;
use crate::wait::WaitArgs;

/// Flags of `vod upload`.
#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    /// Local files to upload, one video (image, attached media) each.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What the files become: videos (CreateUploadVideo), images
    /// (CreateUploadImage) or attached media (CreateUploadAttachedMedia).
    #[arg(long, value_enum, default_value = "video")]
    pub kind: Kind,
    /// ImageType of images: default or cover.
    #[arg(long, default_value = "default")]
    pub image_type: String,
    /// BusinessType of attached media: watermark, subtitle or material.
    #[arg(long, required_if_eq("kind", "attached-media"))]
    pub business_type: Option<String>,
    /// Title of the video (one file only; default: the file name without extension).
    #[arg(long)]
    pub title: Option<String>,
    /// Description of the video.
    #[arg(long)]
    pub description: Option<String>,
    /// Category ID.
    #[arg(long, value_name = "ID")]
    pub cate_id: Option<i64>,
    /// Tags, comma-separated (at most 16).
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Transcoding template group ID.
    #[arg(long, value_name = "ID")]
    pub template_group_id: Option<String>,
    /// Workflow ID (takes precedence over the template group).
    #[arg(long, value_name = "ID")]
    pub workflow_id: Option<String>,
    /// Storage location (bucket address) to upload to.
    #[arg(long)]
    pub storage_location: Option<String>,
    /// User data, a JSON object: MessageCallback {CallbackURL, CallbackType},
    /// Extend (your own values, handed back in events), AccelerateConfig.
    #[arg(long, value_name = "JSON", value_parser = parse_user_data)]
    pub user_data: Option<UploadUserData>,
    /// VOD application ID.
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// Part size: bytes, or with KiB, MiB or GiB (default 8MiB, more for huge files).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub part_size: Option<u64>,
    /// Parts in flight at once (1 to 32).
    #[arg(long, value_name = "N", default_value_t = aliyun_vod::upload::DEFAULT_PARALLELISM)]
    pub parallel: usize,
    /// Where checkpoints of unfinished uploads are kept
    /// [default: $XDG_STATE_HOME/vod/uploads or ~/.local/state/vod/uploads].
    #[arg(long, value_name = "DIR", env = "VOD_CHECKPOINT_DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Keep no checkpoint: an interrupted upload starts over (a new video).
    #[arg(long, conflicts_with = "checkpoint_dir")]
    pub no_resume: bool,
    /// After each upload, poll until the video is Normal or failed, and print its play URLs.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub waiting: WaitArgs,
}

/// `--kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A video or audio: resumable, credentials refreshed.
    Video,
    /// An image.
    Image,
    /// A watermark, subtitle or material.
    AttachedMedia,
}

/// `8MiB`, `100KiB`, `1GiB`, `1048576`.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (bytes, or a number with KiB, MiB or GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        _ => return Err(format!("{s:?}: the unit must be KiB, MiB or GiB")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn default_checkpoint_dir() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
        .unwrap_or_else(std::env::temp_dir);
    state.join("vod").join("uploads")
}

fn upload_error(e: UploadError) -> CliError {
    match e {
        UploadError::Api(e) => CliError::Sdk(e),
        UploadError::Invalid { .. } | UploadError::File { .. } => CliError::Usage(e.to_string()),
        other => CliError::Other(other.to_string()),
    }
}

/// Progress on stderr: bars on a terminal, else a line per part (at most
/// one a second per file) and one when a file is done.
struct Display {
    bars: Option<MultiProgress>,
    total: Option<ProgressBar>,
}

impl Display {
    fn new(files: &[PathBuf]) -> Display {
        if !std::io::stderr().is_terminal() {
            return Display {
                bars: None,
                total: None,
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = (files.len() > 1).then(|| {
            let sum: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let bar = multi.add(ProgressBar::new(sum));
            bar.set_style(style());
            bar.set_prefix("total");
            bar
        });
        Display {
            bars: Some(multi),
            total,
        }
    }

    /// The progress callback for one file.
    fn for_file(&self, path: &Path) -> impl Fn(&UploadProgress) + Send + Sync + 'static {
        let name = crate::output::printable(
            &path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let bar = self.bars.as_ref().map(|multi| {
            let bar = match &self.total {
                Some(total) => multi.insert_before(total, ProgressBar::new(0)),
                None => multi.add(ProgressBar::new(0)),
            };
            bar.set_style(style());
            bar.set_prefix(name.clone());
            bar
        });
        let total = self.total.clone();
        let base = total.as_ref().map_or(0, ProgressBar::position);
        let lines = Mutex::new((Instant::now() - Duration::from_secs(2), 0u32));
        move |p: &UploadProgress| match &bar {
            Some(bar) => {
                bar.set_length(p.total_bytes);
                bar.set_position(p.bytes_sent);
                if let Some(total) = &total {
                    total.set_position(base + p.bytes_sent);
                }
            }
            None => {
                let mut last = lines.lock().unwrap_or_else(|e| e.into_inner());
                let finished = p.parts_done == p.parts_total;
                if p.parts_done != last.1
                    && (finished || last.0.elapsed() >= Duration::from_secs(1))
                {
                    *last = (Instant::now(), p.parts_done);
                    eprintln!(
                        "upload: {name}: {}/{} parts, {:.1}/{:.1} MiB",
                        p.parts_done,
                        p.parts_total,
                        p.bytes_sent as f64 / 1048576.0,
                        p.total_bytes as f64 / 1048576.0
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(multi) = &self.bars {
            let _ = multi.clear();
        }
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:20!} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// Runs `vod upload`.
pub async fn run(ctx: &Context, args: UploadArgs) -> Result<(), CliError> {
    if args.files.len() > 1 && args.title.is_some() {
        return Err(CliError::Usage(
            "--title names one video: with several files, each takes its file name".to_owned(),
        ));
    }
    if args.kind != Kind::Video && args.wait {
        return Err(CliError::Usage(
            "--wait polls videos: images and attached media have no status to wait for".to_owned(),
        ));
    }
    // Only videos resume: the others cannot get fresh credentials.
    let checkpoints = (!args.no_resume && args.kind == Kind::Video).then(|| {
        args.checkpoint_dir
            .clone()
            .unwrap_or_else(default_checkpoint_dir)
    });
    let display = Display::new(&args.files);
    let mut uploads = Vec::new();
    let mut failed = Vec::new();
    let mut first_error = None;
    for path in &args.files {
        let client = ctx.client();
        let upload = match args.kind {
            Kind::Video => client.upload_file(path),
            Kind::Image => client.upload_image(path, args.image_type.as_str()),
            Kind::AttachedMedia => {
                client.upload_attached_media(path, args.business_type.clone().unwrap_or_default())
            }
        };
        let mut upload = upload
            .parallelism(args.parallel)
            .on_progress(display.for_file(path));
        if let Some(t) = &args.title {
            upload = upload.title(t);
        }
        if let Some(v) = &args.description {
            upload = upload.description(v);
        }
        if let Some(v) = args.cate_id {
            upload = upload.cate_id(v);
        }
        if !args.tags.is_empty() {
            upload = upload.tags(args.tags.iter().cloned());
        }
        if let Some(v) = &args.template_group_id {
            upload = upload.template_group_id(v);
        }
        if let Some(v) = &args.workflow_id {
            upload = upload.workflow_id(v);
        }
        if let Some(v) = &args.storage_location {
            upload = upload.storage_location(v);
        }
        if let Some(v) = args.user_data.clone() {
            upload = upload.user_data(v);
        }
        if let Some(v) = &args.app_id {
            upload = upload.app_id(v);
        }
        if let Some(v) = args.part_size {
            upload = upload.part_size(v);
        }
        if let Some(dir) = &checkpoints {
            upload = upload.checkpoint_dir(dir);
        }
        let result = match upload.send().await {
            Ok(out) => {
                tracing::info!(media_id = %out.media_id, file = %path.display(), "uploaded");
                if args.wait {
                    finish_with_wait(ctx, path, &out, &args.waiting).await
                } else {
                    Ok(entry(path, &out))
                }
            }
            Err(e) => Err(upload_error(e)),
        };
        match result {
            Ok(value) => uploads.push(value),
            Err(e) => {
                failed.push(json!({
                    "File": path.display().to_string(),
                    "Error": e.report(&|_| None).trim_start_matches("vod: "),
                }));
                first_error.get_or_insert(e);
            }
        }
    }
    display.finish();
    let mut printed = json!({ "Uploads": uploads });
    if !failed.is_empty() {
        printed["Failed"] = Value::Array(failed);
    }
    // Printed even when some failed: the videos that did go up are known.
    ctx.print(&printed)?;
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn entry(path: &Path, out: &UploadOutput) -> Value {
    let id_key = match out.kind {
        MediaKind::Image { .. } => "ImageId",
        MediaKind::AttachedMedia { .. } => "MediaId",
        _ => "VideoId",
    };
    let mut value = json!({
        "File": path.display().to_string(),
        "Size": out.size,
        "Parts": out.parts,
        "PartsSent": out.parts_sent,
        "Resumed": out.resumed,
        "Crc64": out.crc64.to_string(),
    });
    value[id_key] = json!(out.media_id);
    if let Some(url) = &out.file_url {
        value["FileURL"] = json!(url);
    }
    value
}

/// `--wait`: the video's final status and, when Normal, its play URLs.
async fn finish_with_wait(
    ctx: &Context,
    path: &Path,
    out: &UploadOutput,
    waiting: &WaitArgs,
) -> Result<Value, CliError> {
    let mut value = entry(path, out);
    let done = wait_for_video(ctx.client(), &out.media_id, waiting.options(), |p| {
        tracing::debug!(video_id = %p.video_id, status = %p.status, "polled");
    })
    .await
    .map_err(|e| match e {
        VideoWaitError::Timeout { .. } => CliError::WaitTimeout(e.to_string()),
        VideoWaitError::Poll { error, .. } => CliError::Sdk(error),
        other => CliError::Other(other.to_string()),
    })?;
    value["Status"] = json!(done.status);
    if !done.is_normal() {
        return Err(CliError::JobsFailed(format!(
            "video {} ended {}",
            out.media_id, done.status
        )));
    }
    let play = ctx
        .client()
        .get_play_info()
        .video_id(&out.media_id)
        .send()
        .await?;
    let urls: Vec<String> = play
        .play_info_list
        .map(|l| l.play_info)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.play_url)
        .collect();
    value["PlayURLs"] = json!(urls);
    Ok(value)
}

/// `--user-data`: JSON text read into the typed object (unknown keys kept).
fn parse_user_data(text: &str) -> Result<UploadUserData, String> {
    serde_json::from_str(text).map_err(|e| format!("not a UserData JSON object: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_reads_as_the_typed_object_keeping_other_keys() {
        let u = parse_user_data(
            r#"{"MessageCallback": {"CallbackURL": "https://cb.example.com"}, "Extend": {"k": 1}, "Vod": 2}"#,
        )
        .unwrap();
        let cb = u.message_callback.unwrap();
        assert_eq!(cb.callback_url.as_deref(), Some("https://cb.example.com"));
        assert_eq!(u.extend.unwrap()["k"], 1);
        assert_eq!(u.other_keys["Vod"], 2);
        assert!(parse_user_data("[1]").unwrap_err().contains("UserData"));
        assert!(parse_user_data("{").is_err());
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("100KiB"), Ok(100 << 10));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert!(parse_size("8 parsecs").unwrap_err().contains("unit"));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}

//! Local-file uploads, the VOD side: CreateUploadVideo creates a media
//! record and answers where to put the file (the emulator's OSS) with STS
//! credentials for it; RefreshUploadVideo answers fresh credentials for the
//! same record; GetVideoInfo reports it `Uploading` until its object is
//! stored, then `UploadSucc`, then `Normal` one step later.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::render::Node;
use crate::request::ApiRequest;
use crate::state::{Counters, Shared};

/// The bucket every upload goes to.
const BUCKET: &str = "outin-emulator";
/// The region the emulator's OSS says it is in (the signatures' scope).
pub(crate) const REGION: &str = "cn-shanghai";
/// How long UploadAuth lasts at most, as the real service grants it.
const UPLOAD_AUTH_LIFETIME: Duration = Duration::from_secs(3000);
/// Records kept at most.
const MAX_VIDEOS: usize = 100_000;

/// The media records.
#[derive(Default)]
pub(crate) struct Videos(HashMap<String, Video>);

struct Video {
    title: String,
    object: String,
    created: OffsetDateTime,
    /// When its object was first seen stored.
    stored: Option<(Instant, u64)>,
}

impl Video {
    /// `Uploading` until its object is stored, `UploadSucc` for one step,
    /// then `Normal`; and its size once stored.
    fn status(&self, step: Duration) -> (&'static str, Option<u64>) {
        match self.stored {
            None => ("Uploading", None),
            Some((at, size)) if at.elapsed() < step => ("UploadSucc", Some(size)),
            Some((_, size)) => ("Normal", Some(size)),
        }
    }
}

fn videos(shared: &Shared) -> std::sync::MutexGuard<'_, Videos> {
    shared.videos.lock().unwrap_or_else(|e| e.into_inner())
}

fn iso(t: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&format).unwrap_or_default()
}

fn b64_json(value: &serde_json::Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(value.to_string())
}

/// A fresh grant for `object`: UploadAddress and UploadAuth.
fn grant(shared: &Shared, object: &str) -> Result<(String, String), ApiError> {
    let endpoint = shared
        .oss_endpoint
        .get()
        .ok_or_else(ApiError::service_unavailable)?;
    let lifetime = UPLOAD_AUTH_LIFETIME.min(shared.identity.max_lifetime);
    let expires = OffsetDateTime::now_utc() + lifetime;
    let c = shared
        .auth
        .issue_for(expires, Some((BUCKET.to_owned(), object.to_owned())));
    let address = serde_json::json!({"Endpoint": endpoint, "Bucket": BUCKET, "FileName": object});
    let auth = serde_json::json!({
        "SecurityToken": c.security_token().map_or("", |t| t.expose()),
        "AccessKeyId": c.access_key_id(),
        "ExpireUTCTime": iso(expires),
        "AccessKeySecret": c.access_key_secret().expose(),
        "Expiration": lifetime.as_secs().to_string(),
        "Region": REGION,
    });
    Ok((b64_json(&address), b64_json(&auth)))
}

/// `CreateUploadVideo`.
pub(crate) fn create_upload_video(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let title = req.param("Title").unwrap_or_default().trim().to_owned();
    if title.is_empty() {
        return Err(ApiError::missing("Title"));
    }
    if title.len() > 128 {
        return Err(ApiError::invalid("Title", "at most 128 bytes."));
    }
    let file_name = req.param("FileName").unwrap_or_default().trim().to_owned();
    if file_name.is_empty() {
        return Err(ApiError::missing("FileName"));
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| ApiError::invalid("FileName", "it must end with the file's extension."))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let object = format!("sv/{}/{id}.{ext}", &id[..8]);
    let (address, auth) = grant(shared, &object)?;
    {
        let mut v = videos(shared);
        if v.0.len() >= MAX_VIDEOS {
            return Err(ApiError::invalid(
                "Title",
                "the emulator holds too many videos.",
            ));
        }
        v.0.insert(
            id.clone(),
            Video {
                title,
                object,
                created: OffsetDateTime::now_utc(),
                stored: None,
            },
        );
    }
    Counters::bump(&shared.counters.videos_created);
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        ("VideoId", Node::text(id)),
        ("UploadAddress", Node::text(address)),
        ("UploadAuth", Node::text(auth)),
    ]))
}

fn video_id(req: &ApiRequest) -> Result<String, ApiError> {
    let id = req.param("VideoId").unwrap_or_default().trim().to_owned();
    if id.is_empty() {
        return Err(ApiError::missing("VideoId"));
    }
    Ok(id)
}

/// `RefreshUploadVideo`: new credentials for the same record and address.
pub(crate) fn refresh_upload_video(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let id = video_id(req)?;
    let object = videos(shared)
        .0
        .get(&id)
        .map(|v| v.object.clone())
        .ok_or_else(ApiError::video_not_found)?;
    let (address, auth) = grant(shared, &object)?;
    Counters::bump(&shared.counters.upload_refreshes);
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        ("VideoId", Node::text(id)),
        ("UploadAddress", Node::text(address)),
        ("UploadAuth", Node::text(auth)),
    ]))
}

/// `GetVideoInfo`.
pub(crate) fn get_video_info(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let id = video_id(req)?;
    let stored_now = {
        let v = videos(shared);
        let video = v.0.get(&id).ok_or_else(ApiError::video_not_found)?;
        match video.stored {
            Some(_) => None,
            None => shared
                .oss
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .object(BUCKET, &video.object)
                .map(|data| data.len() as u64),
        }
    };
    let mut v = videos(shared);
    let video = v.0.get_mut(&id).ok_or_else(ApiError::video_not_found)?;
    if let Some(size) = stored_now {
        video.stored = Some((Instant::now(), size));
    }
    let (status, size) = video.status(shared.step_delay);
    let mut fields = vec![
        ("VideoId", Node::text(id.clone())),
        ("Title", Node::text(video.title.clone())),
        ("Status", Node::text(status)),
        ("CreationTime", Node::text(iso(video.created))),
        (
            "StorageLocation",
            Node::text(format!("{BUCKET}.oss-{REGION}.aliyuncs.com")),
        ),
        ("RegionId", Node::text(REGION)),
    ];
    if let Some(size) = size {
        fields.push(("Size", Node::Number(serde_json::Number::from(size))));
    }
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        ("Video", Node::Object(fields)),
    ]))
}

/// Whether the request's VideoId is a record CreateUploadVideo made.
pub(crate) fn is_uploaded(shared: &Shared, req: &ApiRequest) -> bool {
    req.param("VideoId")
        .is_some_and(|id| videos(shared).0.contains_key(id.trim()))
}

/// The stored bytes of an uploaded video, if any.
pub(crate) fn stored_bytes(shared: &Shared, id: &str) -> Option<bytes::Bytes> {
    let object = videos(shared).0.get(id)?.object.clone();
    shared
        .oss
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .object(BUCKET, &object)
}

/// `GetPlayInfo` of an uploaded video: one original-quality stream, served
/// from the emulator (signed when URL signing is configured), once the
/// video is `Normal`.
pub(crate) fn get_play_info(
    shared: &Shared,
    req: &ApiRequest,
    host: &str,
    request_id: &str,
) -> Result<Node, ApiError> {
    let id = video_id(req)?;
    // GetVideoInfo's view first: it notices a newly stored object.
    get_video_info(shared, req, request_id)?;
    let (title, object, status, size) = {
        let v = videos(shared);
        let video = v.0.get(&id).ok_or_else(ApiError::video_not_found)?;
        let (status, size) = video.status(shared.step_delay);
        (video.title.clone(), video.object.clone(), status, size)
    };
    if status != "Normal" {
        return Err(ApiError::no_stream());
    }
    let ext = object.rsplit_once('.').map_or("mp4", |(_, e)| e).to_owned();
    let url = crate::play::play_url(
        shared.url_signing.as_ref(),
        &format!("http://{host}/play/{id}/video.{ext}"),
    )?;
    let mut info = vec![
        ("PlayURL", Node::text(url)),
        ("Format", Node::text(ext)),
        ("Definition", Node::text("OD")),
        ("Status", Node::text("Normal")),
        ("StreamType", Node::text("video")),
    ];
    if let Some(size) = size {
        info.push(("Size", Node::Number(serde_json::Number::from(size))));
    }
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (
            "VideoBase",
            Node::Object(vec![
                ("VideoId", Node::text(id)),
                ("Title", Node::text(title)),
                ("Status", Node::text(status)),
                ("MediaType", Node::text("video")),
            ]),
        ),
        (
            "PlayInfoList",
            Node::Object(vec![(
                "PlayInfo",
                Node::List {
                    item: None,
                    items: vec![Node::Object(info)],
                },
            )]),
        ),
    ]))
}

/// `DeleteVideo`: removes records made by CreateUploadVideo and their
/// objects; other IDs are answered in `NonExistVideoIds`.
pub(crate) fn delete_video(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let ids: Vec<String> = req
        .param("VideoIds")
        .unwrap_or_default()
        .split(',')
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(ApiError::missing("VideoIds"));
    }
    if ids.len() > 20 {
        return Err(ApiError::invalid("VideoIds", "at most 20 IDs."));
    }
    let mut missing = Vec::new();
    for id in ids {
        let removed = videos(shared).0.remove(&id);
        match removed {
            Some(video) => shared
                .oss
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove_object(BUCKET, &video.object),
            None => missing.push(Node::text(id)),
        }
    }
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (
            "NonExistVideoIds",
            Node::List {
                item: None,
                items: missing,
            },
        ),
        (
            "ForbiddenVideoIds",
            Node::List {
                item: None,
                items: Vec::new(),
            },
        ),
    ]))
}

/// The extension named by `param` (or of `FileName`/`OriginalFileName`),
/// lower-cased, else `default`.
fn extension(
    req: &ApiRequest,
    param: &str,
    name_param: &str,
    default: &str,
) -> Result<String, ApiError> {
    let from_name = req
        .param(name_param)
        .and_then(|n| n.rsplit_once('.').map(|(_, e)| e.to_owned()));
    let ext = req
        .param(param)
        .map(str::to_owned)
        .filter(|e| !e.trim().is_empty())
        .or(from_name)
        .unwrap_or_else(|| default.to_owned())
        .trim()
        .to_ascii_lowercase();
    if ext.is_empty() || ext.len() > 8 || !ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            param,
            "it must be a file extension such as png.",
        ));
    }
    Ok(ext)
}

/// `CreateUploadImage`: an image record and where to put its file. Images
/// cannot be refreshed; there is no record to poll.
pub(crate) fn create_upload_image(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let image_type = req.param("ImageType").unwrap_or_default().trim().to_owned();
    if image_type.is_empty() || !image_type.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            "ImageType",
            "it must be a word such as default or cover.",
        ));
    }
    let ext = extension(req, "ImageExt", "OriginalFileName", "png")?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let object = format!("image/{image_type}/{id}.{ext}");
    media_answer(
        shared,
        request_id,
        "ImageId",
        "ImageURL",
        &id,
        &object,
        &shared.counters.images_created,
    )
}

/// `CreateUploadAttachedMedia`: an auxiliary media record (watermark,
/// subtitle, material) and where to put its file.
pub(crate) fn create_upload_attached_media(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let business = req
        .param("BusinessType")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if business.is_empty() || !business.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            "BusinessType",
            "it must be a word such as watermark, subtitle or material.",
        ));
    }
    let ext = extension(req, "MediaExt", "FileName", "bin")?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let object = format!("{business}/{id}.{ext}");
    media_answer(
        shared,
        request_id,
        "MediaId",
        "MediaURL",
        &id,
        &object,
        &shared.counters.attached_media_created,
    )
}

fn media_answer(
    shared: &Shared,
    request_id: &str,
    id_field: &'static str,
    url_field: &'static str,
    id: &str,
    object: &str,
    counter: &std::sync::atomic::AtomicU64,
) -> Result<Node, ApiError> {
    let (address, auth) = grant(shared, object)?;
    let endpoint = shared.oss_endpoint.get().cloned().unwrap_or_default();
    let file_url = format!("{endpoint}/{BUCKET}/{object}");
    Counters::bump(counter);
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (id_field, Node::text(id)),
        (url_field, Node::text(file_url.clone())),
        ("FileURL", Node::text(file_url)),
        ("UploadAddress", Node::text(address)),
        ("UploadAuth", Node::text(auth)),
    ]))
}

//! VOD's event notifications, typed: what a callback (or an MNS message)
//! carries, keyed by `EventType`. Each known event is a struct of the fields
//! Alibaba's event reference lists; everything is read through the runtime's
//! normalizer with a static shape, so a number sent as text (`"Duration":
//! "15.0"` in VideoAnalysisComplete) reads as a number, and a missing field is
//! `None`, never an error. The whole body is kept as JSON ([`Received::raw`])
//! for fields and event types this SDK does not know yet.
//!
//! Verify a callback first ([`crate::callback::verify`]); [`parse`] only reads.

use aliyun_runtime::normalize::normalize;
use aliyun_runtime::serde_json::{self, Value};
use aliyun_runtime::shape::{Field, Shape};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A received event: the typed view and the body as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// The event, typed when its `EventType` is one this SDK knows.
    pub event: Event,
    /// The whole body as sent.
    pub raw: Value,
}

/// An event by its `EventType`. Open: an event type this SDK does not know is
/// [`Event::Other`] (see [`Received::raw`] for its fields).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A video or audio file was uploaded.
    FileUploadComplete(FileUploaded),
    /// An image was uploaded.
    ImageUploadComplete(FileUploaded),
    /// An attached media file (watermark, subtitle, material) was uploaded.
    AttachedMediaUploadComplete(FileUploaded),
    /// One output stream (a definition in a format) finished transcoding.
    StreamTranscodeComplete(Stream),
    /// Every stream of a transcoding finished.
    TranscodeComplete(TranscodeComplete),
    /// Snapshots were taken.
    SnapshotComplete(SnapshotComplete),
    /// Automated review finished.
    AiMediaAuditComplete(AuditComplete),
    /// The source file was analysed (its metadata can be read).
    VideoAnalysisComplete(VideoAnalysisComplete),
    /// Media was deleted.
    DeleteMediaComplete(DeleteMediaComplete),
    /// An event type this SDK does not know yet.
    Other {
        /// Its `EventType`.
        event_type: String,
    },
}

/// The fields every event has.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Common {
    /// `EventTime`, as sent (UTC; some events add milliseconds after a colon).
    #[serde(rename = "EventTime", default)]
    pub event_time: Option<String>,
    /// `Status`: `success` or `fail`.
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    /// `Extend`: the `Extend` of the call's `UserData`, passed through.
    #[serde(rename = "Extend", default)]
    pub extend: Option<String>,
    /// `ErrorCode`, when it failed.
    #[serde(rename = "ErrorCode", default)]
    pub error_code: Option<String>,
    /// `ErrorMessage`, when it failed.
    #[serde(rename = "ErrorMessage", default)]
    pub error_message: Option<String>,
}

impl Common {
    /// Whether `Status` says it succeeded.
    pub fn succeeded(&self) -> bool {
        self.status.as_deref() == Some("success")
    }
}

/// FileUploadComplete, ImageUploadComplete, AttachedMediaUploadComplete.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct FileUploaded {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// The media's ID: `VideoId`, `ImageId` or `AttachedMediaId`.
    #[serde(
        alias = "VideoId",
        alias = "ImageId",
        alias = "AttachedMediaId",
        default
    )]
    pub media_id: Option<String>,
    /// `Size`, bytes.
    #[serde(rename = "Size", default)]
    pub size: Option<i64>,
    /// `FileUrl` (video) or `FileURL` (image, attached media).
    #[serde(alias = "FileUrl", alias = "FileURL", default)]
    pub file_url: Option<String>,
}

/// One output stream (StreamTranscodeComplete, and each of TranscodeComplete).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Stream {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `VideoId` (on StreamTranscodeComplete).
    #[serde(rename = "VideoId", default)]
    pub video_id: Option<String>,
    /// `JobId`.
    #[serde(rename = "JobId", default)]
    pub job_id: Option<String>,
    /// `Definition`: FD, LD, SD, HD, OD, 2K, 4K, ...
    #[serde(rename = "Definition", default)]
    pub definition: Option<String>,
    /// `Format`: mp4, m3u8, ...
    #[serde(rename = "Format", default)]
    pub format: Option<String>,
    /// `FileUrl`: the play URL, unsigned.
    #[serde(rename = "FileUrl", default)]
    pub file_url: Option<String>,
    /// `Duration`, seconds.
    #[serde(rename = "Duration", default)]
    pub duration: Option<f64>,
    /// `Size`, bytes.
    #[serde(rename = "Size", default)]
    pub size: Option<i64>,
    /// `Width`, pixels.
    #[serde(rename = "Width", default)]
    pub width: Option<i64>,
    /// `Height`, pixels.
    #[serde(rename = "Height", default)]
    pub height: Option<i64>,
    /// `Bitrate`, Kbit/s.
    #[serde(rename = "Bitrate", default)]
    pub bitrate: Option<f64>,
    /// `Fps`.
    #[serde(rename = "Fps", default)]
    pub fps: Option<f64>,
    /// `Encrypt`.
    #[serde(rename = "Encrypt", default)]
    pub encrypt: Option<bool>,
}

/// TranscodeComplete.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TranscodeComplete {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `VideoId`.
    #[serde(rename = "VideoId", default)]
    pub video_id: Option<String>,
    /// `StreamInfos`: each stream.
    #[serde(rename = "StreamInfos", default)]
    pub streams: Vec<Stream>,
}

/// SnapshotComplete.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SnapshotComplete {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `VideoId`.
    #[serde(rename = "VideoId", default)]
    pub video_id: Option<String>,
    /// `CoverUrl`.
    #[serde(rename = "CoverUrl", default)]
    pub cover_url: Option<String>,
    /// `SubType` (`SpecifiedTime` for SubmitSnapshotJob).
    #[serde(rename = "SubType", default)]
    pub sub_type: Option<String>,
}

/// AIMediaAuditComplete.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct AuditComplete {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `MediaId`.
    #[serde(rename = "MediaId", default)]
    pub media_id: Option<String>,
    /// `JobId`, as SubmitAIMediaAuditJob returned it.
    #[serde(rename = "JobId", default)]
    pub job_id: Option<String>,
    /// `Data`: the review result, as JSON text (sent as text or as an object).
    #[serde(rename = "Data", default)]
    pub data: Option<String>,
}

/// VideoAnalysisComplete.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct VideoAnalysisComplete {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `VideoId`.
    #[serde(rename = "VideoId", default)]
    pub video_id: Option<String>,
    /// `Duration`, seconds.
    #[serde(rename = "Duration", default)]
    pub duration: Option<f64>,
    /// `Width`, pixels.
    #[serde(rename = "Width", default)]
    pub width: Option<i64>,
    /// `Height`, pixels.
    #[serde(rename = "Height", default)]
    pub height: Option<i64>,
    /// `Size`, bytes.
    #[serde(rename = "Size", default)]
    pub size: Option<i64>,
}

/// DeleteMediaComplete.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct DeleteMediaComplete {
    /// The common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `MediaId`.
    #[serde(rename = "MediaId", default)]
    pub media_id: Option<String>,
    /// `MediaType`: video, image or attached.
    #[serde(rename = "MediaType", default)]
    pub media_type: Option<String>,
    /// `DeleteType`: all, mezzanine or stream.
    #[serde(rename = "DeleteType", default)]
    pub delete_type: Option<String>,
}

const fn f(name: &'static str, shape: &'static Shape) -> Field {
    Field { name, shape }
}

const S: &Shape = &Shape::String;
const I: &Shape = &Shape::Integer;
const N: &Shape = &Shape::Number;
const B: &Shape = &Shape::Boolean;

/// Every field any event has, by its shape: the normalizer keeps these (and
/// makes numbers of numeric text), the structs read what they know.
static STREAM: Shape = Shape::Object(&[
    f("EventTime", S),
    f("EventType", S),
    f("Status", S),
    f("Extend", S),
    f("ErrorCode", S),
    f("ErrorMessage", S),
    f("VideoId", S),
    f("JobId", S),
    f("Definition", S),
    f("Format", S),
    f("FileUrl", S),
    f("Duration", N),
    f("Size", I),
    f("Width", I),
    f("Height", I),
    f("Bitrate", N),
    f("Fps", N),
    f("Encrypt", B),
]);

static EVENT: Shape = Shape::Object(&[
    f("EventTime", S),
    f("EventType", S),
    f("Status", S),
    f("Extend", S),
    f("ErrorCode", S),
    f("ErrorMessage", S),
    f("VideoId", S),
    f("ImageId", S),
    f("AttachedMediaId", S),
    f("MediaId", S),
    f("JobId", S),
    f("Size", I),
    f("FileUrl", S),
    f("FileURL", S),
    f("Definition", S),
    f("Format", S),
    f("Duration", N),
    f("Width", I),
    f("Height", I),
    f("Bitrate", N),
    f("Fps", N),
    f("Encrypt", B),
    f("CoverUrl", S),
    f("SubType", S),
    f("Data", S),
    f("MediaType", S),
    f("DeleteType", S),
    f(
        "StreamInfos",
        &Shape::List {
            item: &STREAM,
            xml_item: None,
        },
    ),
]);

/// Why a body is not an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not a JSON object.
    #[error("the body is not a JSON object: {0}")]
    NotJson(String),
    /// No `EventType`.
    #[error("the body has no EventType")]
    NoEventType,
}

/// Reads an event notification's body (JSON).
pub fn parse(body: &[u8]) -> Result<Received, EventError> {
    let raw: Value =
        serde_json::from_slice(body).map_err(|e| EventError::NotJson(e.to_string()))?;
    if !raw.is_object() {
        return Err(EventError::NotJson("not an object".into()));
    }
    let event_type = raw
        .get("EventType")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or(EventError::NoEventType)?
        .to_owned();
    let normalized = normalize(raw.clone(), &EVENT).unwrap_or_default();
    fn read<T: DeserializeOwned + Default>(v: &Value) -> T {
        // Every field is optional and normalized to its type: nothing to fail on.
        serde_json::from_value(v.clone()).unwrap_or_default()
    }
    let event = match event_type.as_str() {
        "FileUploadComplete" => Event::FileUploadComplete(read(&normalized)),
        "ImageUploadComplete" => Event::ImageUploadComplete(read(&normalized)),
        "AttachedMediaUploadComplete" => Event::AttachedMediaUploadComplete(read(&normalized)),
        "StreamTranscodeComplete" => Event::StreamTranscodeComplete(read(&normalized)),
        "TranscodeComplete" => Event::TranscodeComplete(read(&normalized)),
        "SnapshotComplete" => Event::SnapshotComplete(read(&normalized)),
        "AIMediaAuditComplete" => Event::AiMediaAuditComplete(read(&normalized)),
        "VideoAnalysisComplete" => Event::VideoAnalysisComplete(read(&normalized)),
        "DeleteMediaComplete" => Event::DeleteMediaComplete(read(&normalized)),
        _ => Event::Other { event_type },
    };
    Ok(Received { event, raw })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn p(v: Value) -> Received {
        parse(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn known_events_read_typed_with_loose_numbers() {
        let r = p(
            json!({"Status": "success", "EventTime": "2017-03-20T07:49:17Z",
            "EventType": "FileUploadComplete", "VideoId": "v1", "Size": 1439213,
            "FileUrl": "http://b/x.mp4", "Extend": "{\"k\":1}"}),
        );
        let Event::FileUploadComplete(e) = &r.event else {
            panic!("{r:?}")
        };
        assert_eq!((e.media_id.as_deref(), e.size), (Some("v1"), Some(1439213)));
        assert!(e.common.succeeded());
        // An image spells it FileURL and ImageId.
        let r = p(
            json!({"EventType": "ImageUploadComplete", "ImageId": "i1", "FileURL": "u", "Size": "10"}),
        );
        let Event::ImageUploadComplete(e) = &r.event else {
            panic!()
        };
        assert_eq!(
            (e.media_id.as_deref(), e.file_url.as_deref(), e.size),
            (Some("i1"), Some("u"), Some(10))
        );
        // Numbers as text, as VideoAnalysisComplete sends them.
        let r = p(
            json!({"EventType": "VideoAnalysisComplete", "VideoId": "v", "Duration": "15.5",
            "Width": "1920", "Height": "1080", "Size": "42"}),
        );
        let Event::VideoAnalysisComplete(e) = &r.event else {
            panic!()
        };
        assert_eq!(
            (e.duration, e.width, e.height, e.size),
            (Some(15.5), Some(1920), Some(1080), Some(42))
        );
        // Streams of a transcoding, Duration as an integer literal.
        let r = p(
            json!({"EventType": "TranscodeComplete", "VideoId": "v", "Status": "success",
            "StreamInfos": [{"Status": "success", "Bitrate": "925", "Definition": "LD", "Duration": 15,
            "Format": "mp4", "Fps": "30", "Height": 960, "Width": 540, "JobId": "j"}]}),
        );
        let Event::TranscodeComplete(e) = &r.event else {
            panic!()
        };
        assert_eq!(e.streams.len(), 1);
        assert_eq!(
            (
                e.streams[0].duration,
                e.streams[0].bitrate,
                e.streams[0].fps
            ),
            (Some(15.0), Some(925.0), Some(30.0))
        );
        // Review data sent as an object reads as its JSON text.
        let r = p(
            json!({"EventType": "AIMediaAuditComplete", "MediaId": "m", "Data": {"Suggestion": "pass"}}),
        );
        let Event::AiMediaAuditComplete(e) = &r.event else {
            panic!()
        };
        assert_eq!(e.data.as_deref(), Some(r#"{"Suggestion":"pass"}"#));
    }

    #[test]
    fn unknown_types_and_fields_are_kept_raw() {
        let body = json!({"EventType": "SomethingNew", "Detail": {"a": 1}});
        let r = p(body.clone());
        assert_eq!(
            r.event,
            Event::Other {
                event_type: "SomethingNew".into()
            }
        );
        assert_eq!(r.raw, body);
        let r = p(json!({"EventType": "DeleteMediaComplete", "MediaId": "m", "NewField": 1}));
        assert_eq!(r.raw["NewField"], 1);
        assert_eq!(
            parse(b"[]"),
            Err(EventError::NotJson("not an object".into()))
        );
        assert_eq!(parse(br#"{"VideoId": "v"}"#), Err(EventError::NoEventType));
        assert!(matches!(parse(b"{"), Err(EventError::NotJson(_))));
    }
}

//! Playback: with URL signing configured, GetPlayInfo answers play URLs on
//! this emulator signed with the configured type and key, and a GET of a play
//! URL is served only when it verifies and has not expired (403 otherwise),
//! as a CDN domain with URL authentication does. Without it, GetPlayInfo is
//! answered from its shape like any operation and play URLs are served as is.

use aliyun_vod::url_signing::{self, CForm, UrlKey};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::config::{SigningType, UrlSigningConfig};
use crate::error::ApiError;
use crate::render::Node;
use crate::request::ApiRequest;
use crate::state::Shared;

/// The bytes a play URL serves: a stand-in for the media.
pub(crate) const MEDIA: &[u8] = b"emulated media stream\n";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `plain` signed as configured, or as is without URL signing.
pub(crate) fn play_url(
    signing: Option<&UrlSigningConfig>,
    plain: &str,
) -> Result<String, ApiError> {
    let Some(signing) = signing else {
        return Ok(plain.to_owned());
    };
    let key = UrlKey::new(signing.key.clone());
    match signing.kind {
        SigningType::A => url_signing::sign_a(plain, &key, now(), "0", "0"),
        SigningType::B => url_signing::sign_b(plain, &key, now()),
        SigningType::C => url_signing::sign_c(plain, &key, now(), CForm::Path),
    }
    .map_err(|e| ApiError::invalid("VideoId", &e.to_string()))
}

/// GetPlayInfo with signed URLs: one stream, on this emulator.
pub(crate) fn get_play_info(
    signing: &UrlSigningConfig,
    req: &ApiRequest,
    host: &str,
    request_id: &str,
) -> Result<Node, ApiError> {
    let video_id = req
        .param("VideoId")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing("VideoId"))?;
    let signed = play_url(
        Some(signing),
        &format!("http://{host}/play/{video_id}/video.mp4"),
    )?;
    let play_info = Node::Object(vec![
        ("PlayURL", Node::text(signed)),
        ("Format", Node::text("mp4")),
        ("Definition", Node::text("OD")),
        ("Status", Node::text("Normal")),
        ("StreamType", Node::text("video")),
    ]);
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (
            "VideoBase",
            Node::Object(vec![
                ("VideoId", Node::text(video_id)),
                ("Status", Node::text("Normal")),
            ]),
        ),
        (
            "PlayInfoList",
            Node::Object(vec![(
                "PlayInfo",
                Node::List {
                    item: None,
                    items: vec![play_info],
                },
            )]),
        ),
    ]))
}

/// A GET of a play URL (any path but `/`): an uploaded video's bytes, or
/// the stand-in media.
pub(crate) fn serve(shared: &Shared, host: &str, path_and_query: &str) -> Response {
    let media = || -> Response {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let id = path
            .strip_prefix("/play/")
            .and_then(|rest| rest.split('/').next());
        match id.and_then(|id| crate::uploads::stored_bytes(shared, id)) {
            Some(bytes) => (StatusCode::OK, bytes).into_response(),
            None => (StatusCode::OK, MEDIA).into_response(),
        }
    };
    let Some(signing) = shared.url_signing.as_ref() else {
        return media();
    };
    let url = format!("http://{host}{path_and_query}");
    let key = UrlKey::new(signing.key.clone());
    let verified = match signing.kind {
        SigningType::A => url_signing::verify_a(&url, &key, now(), signing.ttl),
        SigningType::B => url_signing::verify_b(&url, &key, now(), signing.ttl),
        SigningType::C => url_signing::verify_c(&url, &key, now(), signing.ttl),
    };
    match verified {
        Ok(()) => media(),
        Err(e) => {
            tracing::debug!(error = %e, "play URL refused");
            (StatusCode::FORBIDDEN, format!("403 Forbidden: {e}\n")).into_response()
        }
    }
}

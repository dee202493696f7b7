//! The HTTP side: the API endpoint (any path but `/__emulator/*`) and the admin
//! endpoints that black-box tests use to inject faults and read counters.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::faults::Faults;
use crate::generic;
use crate::identity;
use crate::ops;
use crate::render::{render, Format, Node};
use crate::request::{format_hint, header as header_of, ApiRequest};
use crate::state::{Counters, Shared};

/// The API version this emulator models.
const API_VERSION: &str = "2017-03-21";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__emulator/faults", get(get_faults).post(post_faults))
        .route("/__emulator/stats", get(get_stats))
        .route("/__emulator/oss", get(get_oss))
        .route("/__emulator/credentials", get(identity::credentials_uri))
        .route("/latest/api/token", put(identity::metadata_token))
        .route(
            "/latest/meta-data/ram/security-credentials/",
            get(identity::metadata_roles),
        )
        .route(
            "/latest/meta-data/ram/security-credentials/{role}",
            get(identity::metadata_credentials),
        )
        .fallback(api)
        .with_state(shared)
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &shared.faults().faults().clone())
}

/// Replaces the faults with the JSON body (a [`Faults`]); answers the new
/// settings, or 400 `{"error": ...}`.
async fn post_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let faults = serde_json::from_slice::<Faults>(&body)
        .map_err(|e| e.to_string())
        .and_then(|f| f.validate().map(|()| f));
    match faults {
        Ok(f) => json(StatusCode::OK, &shared.set_faults(f)),
        Err(e) => json(StatusCode::BAD_REQUEST, &serde_json::json!({ "error": e })),
    }
}

/// Where the emulator's OSS listens: `{"endpoint": "http://IP:PORT"}`.
async fn get_oss(State(shared): State<Arc<Shared>>) -> Response {
    let endpoint = shared.oss_endpoint.get().cloned().unwrap_or_default();
    json(StatusCode::OK, &serde_json::json!({ "endpoint": endpoint }))
}

async fn get_stats(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &shared.stats())
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One API call: body (capped), faults, authentication, the operation, and
/// perhaps a dropped connection.
async fn api(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let host = header_of(&headers, "host").unwrap_or_default();
    // A GET of any path but `/` is a play URL, not an API call.
    if method == Method::GET && uri.path() != "/" {
        let pq = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        return crate::play::serve(&shared, &host, pq);
    }
    Counters::bump(&shared.counters.requests);
    let request_id = uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase();
    let reply = |format: Format, result: Result<(Cow<'static, str>, Node), ApiError>| {
        if result.is_err() {
            Counters::bump(&shared.counters.errors);
        }
        respond(format, result, &request_id, &host)
    };

    let limit = shared.limits.max_body_bytes;
    let body = match read_body(body, &headers, limit).await {
        Ok(b) => b,
        Err(e) => return reply(format_hint(uri.query(), &headers), Err(e)),
    };
    let req = ApiRequest::new(method, uri.path(), uri.query(), headers, body);
    let format = req.format();

    let before = shared.faults().before(Instant::now());
    if !before.latency.is_zero() {
        tokio::time::sleep(before.latency).await;
    }
    if let Some(e) = before.error {
        Counters::bump(&shared.counters.faults_injected);
        return reply(format, Err(e));
    }
    if before.bad_gateway {
        Counters::bump(&shared.counters.faults_injected);
        Counters::bump(&shared.counters.errors);
        return bad_gateway_page();
    }

    let verified = if identity::is_anonymous(&req) {
        Ok(crate::auth::Verified {
            access_key_id: String::new(),
            action: req.param("Action").map(str::to_owned),
            version: req.param("Version").map(str::to_owned),
        })
    } else {
        shared
            .auth
            .verify(&req, OffsetDateTime::now_utc(), Instant::now())
    };
    let result = match verified {
        Ok(caller) => {
            tracing::debug!(access_key_id = caller.access_key_id, action = ?caller.action, "authenticated");
            call(&shared, &req, caller.action, caller.version, &request_id).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        tracing::debug!(code = e.code, "request refused");
    }
    let response = reply(format, result);
    if shared.faults().drop_response() {
        Counters::bump(&shared.counters.faults_injected);
        return cut(response);
    }
    if shared.faults().truncate_response() {
        Counters::bump(&shared.counters.faults_injected);
        return truncate(response).await;
    }
    response
}

/// The `bad_gateway` fault: what a proxy answers when the service behind it
/// cannot be reached.
fn bad_gateway_page() -> Response {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
                <body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        page,
    )
        .into_response()
}

/// The `truncate` fault: the status and headers as they were, then the first
/// half of the body, and a clean end (the length is that of the half).
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    // The body is a string built in memory; reading it cannot fail or block.
    let whole = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = whole.slice(..whole.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(half.len()));
    Response::from_parts(parts, Body::from(half))
}

/// Routes an authenticated call to its operation; answers the response's
/// root element name and body.
async fn call(
    shared: &Arc<Shared>,
    req: &ApiRequest,
    action: Option<String>,
    version: Option<String>,
    request_id: &str,
) -> Result<(Cow<'static, str>, Node), ApiError> {
    let action = action
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::missing("Action"))?;
    match version.as_deref() {
        None | Some("") => return Err(ApiError::missing("Version")),
        Some(API_VERSION) => {}
        Some(identity::STS_VERSION) => {
            let (root, body) = identity::sts(shared, req, &action, request_id)?;
            return Ok((root.into(), body));
        }
        Some(_) => return Err(ApiError::invalid_version()),
    }
    if action == "UploadMediaByURL" {
        Counters::bump(&shared.counters.upload_media_by_url_calls);
    }
    // Every operation of the spec, modelled with state or not, first gets
    // the service's parameter checks from its table; UploadMediaByURL's item
    // limit is the emulator's configurable one (`Limits`), checked by its
    // handler.
    if let Some(op) = generic::find(&action) {
        generic::check(op, req, action != "UploadMediaByURL")?;
    }
    match action.as_str() {
        "UploadMediaByURL" => {
            let body = ops::upload_media_by_url(shared, req, request_id).await?;
            Ok(("UploadMediaByURLResponse".into(), body))
        }
        "GetURLUploadInfos" => {
            let body = ops::get_url_upload_infos(shared, req, request_id)?;
            Ok(("GetURLUploadInfosResponse".into(), body))
        }
        "CreateUploadVideo" => {
            let body = crate::uploads::create_upload_video(shared, req, request_id)?;
            Ok(("CreateUploadVideoResponse".into(), body))
        }
        "RefreshUploadVideo" => {
            let body = crate::uploads::refresh_upload_video(shared, req, request_id)?;
            Ok(("RefreshUploadVideoResponse".into(), body))
        }
        "CreateUploadImage" => {
            let body = crate::uploads::create_upload_image(shared, req, request_id)?;
            Ok(("CreateUploadImageResponse".into(), body))
        }
        "CreateUploadAttachedMedia" => {
            let body = crate::uploads::create_upload_attached_media(shared, req, request_id)?;
            Ok(("CreateUploadAttachedMediaResponse".into(), body))
        }
        "DeleteVideo" => {
            let body = crate::uploads::delete_video(shared, req, request_id)?;
            Ok(("DeleteVideoResponse".into(), body))
        }
        "GetVideoInfo" => {
            let body = crate::uploads::get_video_info(shared, req, request_id)?;
            Ok(("GetVideoInfoResponse".into(), body))
        }
        "CancelUrlUploadJobs" => {
            let body = ops::cancel_url_upload_jobs(shared, req, request_id).await?;
            Ok(("CancelUrlUploadJobsResponse".into(), body))
        }
        "GetPlayInfo" if crate::uploads::is_uploaded(shared, req) => {
            let host = req.header("host").unwrap_or_default();
            let body = crate::uploads::get_play_info(shared, req, &host, request_id)?;
            Ok(("GetPlayInfoResponse".into(), body))
        }
        "GetPlayInfo" if shared.url_signing.is_some() => {
            let host = req.header("host").unwrap_or_default();
            let signing = shared
                .url_signing
                .as_ref()
                .ok_or_else(ApiError::invalid_action)?;
            let body = crate::play::get_play_info(signing, req, &host, request_id)?;
            Ok(("GetPlayInfoResponse".into(), body))
        }
        other => match generic::find(other) {
            Some(op) => {
                let body = generic::answer(op, req, request_id)?;
                Ok((format!("{other}Response").into(), body))
            }
            None => Err(ApiError::invalid_action()),
        },
    }
}

fn respond(
    format: Format,
    result: Result<(Cow<'static, str>, Node), ApiError>,
    request_id: &str,
    host: &str,
) -> Response {
    let (status, body, retry_after, quota) = match result {
        Ok((root, node)) => (StatusCode::OK, render(format, &root, &node), None, None),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.body(format, request_id, host),
            e.retry_after_ms,
            e.quota_header,
        ),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", v);
    }
    if let Some(ms) = retry_after {
        headers.insert("x-acs-retry-after", HeaderValue::from(ms));
    }
    if let Some(v) = quota.and_then(|q| HeaderValue::from_str(&q).ok()) {
        headers.insert("x-ratelimit-user-api", v);
    }
    response
}

/// Reads the body, refusing it as soon as it is known to exceed `limit`.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let declared = header_of(headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::body_too_large(limit));
    }
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        // A body that breaks off is the client's problem; answer what we can.
        let chunk =
            chunk.map_err(|_| ApiError::invalid("body", "the request body was cut short."))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::body_too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The `drop` fault: the status and headers go out, then half the body, then
/// the connection is cut (a body error makes hyper abort it).
fn cut(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let stream = body
        .into_data_stream()
        .take(1)
        .map(|chunk| chunk.map(|b| b.slice(..b.len() / 2)))
        .chain(futures::stream::once(async {
            // Give the partial body time to leave before the cut.
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(axum::Error::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "emulator fault: response dropped",
            )))
        }));
    Response::from_parts(parts, Body::from_stream(stream))
}

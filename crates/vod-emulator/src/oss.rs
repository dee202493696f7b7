//! A local OSS bucket endpoint for uploads, on its own port (path-style
//! addressing: `/{bucket}/{key}`, as SDKs use for an IP endpoint). Every
//! request must carry an OSS Signature V4 made with credentials the
//! emulator issued (UploadAuth, STS) and their security token; it is
//! checked with `aliyun-sign`'s staged signer. Objects and multipart uploads
//! live in memory.
//!
//! Operations: PutObject, GetObject, InitiateMultipartUpload, UploadPart,
//! ListParts, CompleteMultipartUpload, AbortMultipartUpload; answers carry
//! `ETag` and `x-oss-hash-crc64ecma` as OSS does.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, MutexGuard};

use aliyun_sign::oss4;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use md5::{Digest, Md5};
use time::OffsetDateTime;

use crate::state::{Counters, Shared};

/// How far `x-oss-date` may be from the emulator's clock.
const CLOCK_WINDOW: time::Duration = time::Duration::minutes(15);
/// Most parts of one multipart upload.
const MAX_PARTS: u32 = 10_000;

/// The CRC-64 OSS reports (`x-oss-hash-crc64ecma`): CRC-64/XZ.
use aliyun_vod::upload::crc64;

/// Objects and multipart uploads.
#[derive(Default)]
pub(crate) struct OssStore {
    objects: HashMap<(String, String), Bytes>,
    uploads: HashMap<String, Multipart>,
}

struct Multipart {
    bucket: String,
    key: String,
    parts: BTreeMap<u32, Part>,
}

struct Part {
    etag: String,
    data: Bytes,
    crc: u64,
    at: OffsetDateTime,
}

impl OssStore {
    /// The stored object, if any.
    pub(crate) fn object(&self, bucket: &str, key: &str) -> Option<Bytes> {
        self.objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }

    /// The multipart upload `id` of `bucket`/`key`, or NoSuchUpload.
    fn upload(&self, id: &str, bucket: &str, key: &str) -> Result<&Multipart, OssError> {
        self.uploads
            .get(id)
            .filter(|u| u.bucket == bucket && u.key == key)
            .ok_or_else(no_such_upload)
    }

    /// The same, to change.
    fn upload_mut(
        &mut self,
        id: &str,
        bucket: &str,
        key: &str,
    ) -> Result<&mut Multipart, OssError> {
        self.uploads
            .get_mut(id)
            .filter(|u| u.bucket == bucket && u.key == key)
            .ok_or_else(no_such_upload)
    }

    /// Deletes an object, if present.
    pub(crate) fn remove_object(&mut self, bucket: &str, key: &str) {
        self.objects.remove(&(bucket.to_owned(), key.to_owned()));
    }

    /// Multipart uploads neither completed nor aborted.
    pub(crate) fn open_uploads(&self) -> usize {
        self.uploads.len()
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

fn no_such_upload() -> OssError {
    oss_error(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        "The specified upload does not exist.",
    )
}

/// An OSS error: status, code and message, answered as OSS's XML.
struct OssError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn oss_error(status: StatusCode, code: &'static str, message: impl Into<String>) -> OssError {
    OssError {
        status,
        code,
        message: message.into(),
    }
}

impl OssError {
    fn respond(self, request_id: &str) -> Response {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>{}</Code>\n  <Message>{}</Message>\n  <RequestId>{request_id}</RequestId>\n  <HostId>oss.emulator</HostId>\n</Error>\n",
            self.code,
            xml_escape(&self.message)
        );
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        r
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn store(shared: &Shared) -> MutexGuard<'_, OssStore> {
    shared.oss.lock().unwrap_or_else(|e| e.into_inner())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let result = match uri.path().strip_prefix("/__raw") {
        Some(rest) if shared.bench_raw_put && method == Method::PUT => {
            raw_put(&shared, rest, body).await
        }
        _ => serve(&shared, &method, &uri, &headers, body).await,
    };
    let mut response = match result {
        Ok(r) => r,
        Err(e) => {
            Counters::bump(&shared.counters.errors);
            tracing::debug!(code = e.code, "OSS request refused");
            e.respond(&request_id)
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-oss-request-id", v);
    }
    response
}

/// The request's path as bucket and key (decoded).
fn bucket_and_key(uri: &Uri) -> Result<(String, String), OssError> {
    let path = uri.path().trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let key = aliyun_sign::percent_decode(key);
    if bucket.is_empty() || key.is_empty() {
        return Err(oss_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "this endpoint serves object requests only: /{bucket}/{key}",
        ));
    }
    Ok((bucket.to_owned(), key))
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (
                        aliyun_sign::percent_decode(k),
                        aliyun_sign::percent_decode(v),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Checks the V4 signature against a key the emulator issued.
fn verify(
    shared: &Shared,
    method: &Method,
    bucket: &str,
    key: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Result<(), OssError> {
    let denied = |code, message: &str| oss_error(StatusCode::FORBIDDEN, code, message);
    let auth = header_text(headers, "authorization")
        .ok_or_else(|| denied("AccessDenied", "the request is not signed"))?;
    let fields = auth
        .strip_prefix(oss4::ALGORITHM)
        .ok_or_else(|| denied("AccessDenied", "only OSS4-HMAC-SHA256 is accepted"))?;
    let mut credential = None;
    let mut additional = "";
    let mut signature = None;
    for field in fields.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("AdditionalHeaders", v)) => additional = v,
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (credential, signature) = credential.zip(signature).ok_or_else(|| {
        denied(
            "AccessDenied",
            "Authorization lacks Credential or Signature",
        )
    })?;
    let mut scope = credential.splitn(5, '/');
    let (id, date, region, product) = match (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) {
        (Some(id), Some(d), Some(r), Some(p), Some("aliyun_v4_request")) => (id, d, r, p),
        _ => return Err(denied("AccessDenied", "the Credential scope is malformed")),
    };
    let now = OffsetDateTime::now_utc();
    if shared.faults().oss_expired() {
        Counters::bump(&shared.counters.faults_injected);
        return Err(denied(
            "SecurityTokenExpired",
            "The security token you provided has expired.",
        ));
    }
    let credentials = shared.auth.key(id, now).map_err(|e| match e.code {
        "InvalidSecurityToken.Expired" => denied(
            "SecurityTokenExpired",
            "The security token you provided has expired.",
        ),
        _ => denied(
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
        ),
    })?;
    let sent_token = header_text(headers, "x-oss-security-token").unwrap_or_default();
    let want_token = credentials
        .security_token()
        .map(|t| t.expose())
        .unwrap_or("");
    if !crate::auth::ct_eq(&sent_token, want_token) {
        return Err(denied(
            "InvalidAccessKeyId",
            "The security token does not match the AccessKeyId.",
        ));
    }
    let datetime = header_text(headers, "x-oss-date").unwrap_or_default();
    let at = time::PrimitiveDateTime::parse(
        &datetime,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .map(time::PrimitiveDateTime::assume_utc)
    .map_err(|_| denied("AccessDenied", "x-oss-date is missing or malformed"))?;
    if (now - at).abs() > CLOCK_WINDOW || !datetime.starts_with(date) {
        return Err(denied(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ));
    }
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), std::str::from_utf8(v.as_bytes()).unwrap_or("")))
        .collect();
    let listed: Vec<&str> = additional.split(';').filter(|h| !h.is_empty()).collect();
    let (block, signed_additional) = oss4::canonical_headers(&pairs, &listed);
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let payload = header_text(headers, "x-oss-content-sha256")
        .unwrap_or_else(|| oss4::UNSIGNED_PAYLOAD.to_owned());
    let canonical = oss4::canonical_request(
        method.as_str(),
        &oss4::canonical_uri(Some(bucket), Some(key)),
        &oss4::canonical_query(&query),
        &block,
        &signed_additional,
        &payload,
    );
    let scope = oss4::scope(date, region, product);
    let string_to_sign = oss4::string_to_sign(&datetime, &scope, &canonical);
    let signing_key = oss4::signing_key(
        credentials.access_key_secret().expose(),
        date,
        region,
        product,
    );
    let expected = oss4::signature(&signing_key, &string_to_sign);
    if !crate::auth::ct_eq(&expected, signature) {
        return Err(denied(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    // An upload grant reaches its own object only.
    if let Some((b, k)) = shared.auth.object_of(id) {
        if b != bucket || k != key {
            return Err(denied(
                "AccessDenied",
                "You have no right to access this object because of the policy of your credentials.",
            ));
        }
    }
    Ok(())
}

/// `PUT /__raw/BUCKET/KEY` without authentication (benchmarks only): the
/// same work as PutObject after its signature check.
async fn raw_put(shared: &Shared, path: &str, body: Body) -> Result<Response, OssError> {
    let uri: Uri = path.parse().map_err(|_| {
        oss_error(
            StatusCode::BAD_REQUEST,
            "InvalidURI",
            "not a bucket and key",
        )
    })?;
    let (bucket, key) = bucket_and_key(&uri)?;
    let data = read_body(body, 4 << 30).await?;
    let (tag, crc) = (etag(&data), crc64::checksum(&data));
    store(shared).objects.insert((bucket, key), data);
    Counters::bump(&shared.counters.oss_objects_stored);
    Ok(with_integrity(StatusCode::OK, &tag, crc, String::new()))
}

/// Reads about half of the announced body, then answers with a body that
/// fails at once: the server drops the connection mid-request.
async fn cut_in_the_middle(body: Body, headers: &HeaderMap) -> Response {
    let announced: usize = header_text(headers, "content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut stream = body.into_data_stream();
    let mut read = 0;
    while read < announced / 2 {
        match stream.next().await {
            Some(Ok(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("cut by a fault"))
    });
    (StatusCode::OK, Body::from_stream(failing)).into_response()
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, OssError> {
    use axum::body::HttpBody as _;
    // Room for the announced length up front (growing by doubling would
    // copy a large part several times).
    let announced = usize::try_from(body.size_hint().lower()).unwrap_or(0);
    let mut buf = BytesMut::with_capacity(announced.min(limit));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            oss_error(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                "the request body was cut short",
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(oss_error(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                format!("a request body may hold at most {limit} bytes here"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn etag(data: &[u8]) -> String {
    format!("\"{}\"", hex_upper(&Md5::digest(data)))
}

/// The bytes of a hex string (pairs that are not hex are skipped).
fn hex_bytes(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn with_integrity(status: StatusCode, etag: &str, crc: u64, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert("x-oss-hash-crc64ecma", HeaderValue::from(crc));
    r
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    r
}

async fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OssError> {
    let (bucket, key) = bucket_and_key(uri)?;
    let query = query_pairs(uri);
    verify(shared, method, &bucket, &key, &query, headers)?;
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = shared.limits.max_oss_body_bytes;
    match (
        method.as_str(),
        param("uploads"),
        param("uploadId"),
        param("partNumber"),
    ) {
        ("PUT", None, None, None) => {
            let data = read_body(body, limit).await?;
            let (tag, crc) = (etag(&data), crc64::checksum(&data));
            store(shared).objects.insert((bucket, key), data);
            Counters::bump(&shared.counters.oss_objects_stored);
            Ok(with_integrity(StatusCode::OK, &tag, crc, String::new()))
        }
        ("GET" | "HEAD", None, None, None) => match store(shared).object(&bucket, &key) {
            Some(data) => {
                let (tag, crc) = (etag(&data), crc64::checksum(&data));
                let mut r = with_integrity(StatusCode::OK, &tag, crc, String::new());
                *r.body_mut() = Body::from(data);
                Ok(r)
            }
            None => Err(oss_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            )),
        },
        ("POST", Some(_), None, None) => {
            let upload_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
            let answer = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult>\n  <Bucket>{}</Bucket>\n  <Key>{}</Key>\n  <UploadId>{upload_id}</UploadId>\n</InitiateMultipartUploadResult>\n",
                xml_escape(&bucket),
                xml_escape(&key)
            );
            store(shared).uploads.insert(
                upload_id,
                Multipart {
                    bucket,
                    key,
                    parts: BTreeMap::new(),
                },
            );
            Ok(xml(StatusCode::OK, answer))
        }
        ("PUT", None, Some(upload_id), Some(number)) => {
            let number = number
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PARTS).contains(n))
                .ok_or_else(|| {
                    oss_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidArgument",
                        "partNumber must be from 1 to 10000",
                    )
                })?;
            let upload_id = upload_id.to_owned();
            if shared.faults().fail_part(number) {
                Counters::bump(&shared.counters.faults_injected);
                return Err(oss_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                ));
            }
            let (latency, cut) = shared.faults().part();
            if cut {
                Counters::bump(&shared.counters.faults_injected);
                return Ok(cut_in_the_middle(body, headers).await);
            }
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let data = read_body(body, limit).await?;
            let (tag, crc) = (etag(&data), crc64::checksum(&data));
            let mut s = store(shared);
            let upload = s.upload_mut(&upload_id, &bucket, &key)?;
            upload.parts.insert(
                number,
                Part {
                    etag: tag.clone(),
                    data,
                    crc,
                    at: OffsetDateTime::now_utc(),
                },
            );
            Counters::bump(&shared.counters.oss_parts_stored);
            Ok(with_integrity(StatusCode::OK, &tag, crc, String::new()))
        }
        ("GET", None, Some(upload_id), None) => {
            let s = store(shared);
            let upload = s.upload(upload_id, &bucket, &key)?;
            let marker: u32 = param("part-number-marker")
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            let max_parts: usize = param("max-parts")
                .and_then(|m| m.parse().ok())
                .filter(|m| (1..=1000).contains(m))
                .unwrap_or(1000);
            let page: Vec<(&u32, &Part)> = upload
                .parts
                .range(marker.saturating_add(1)..)
                .take(max_parts)
                .collect();
            let next = page.last().map_or(marker, |(n, _)| **n);
            let truncated = upload
                .parts
                .range(next.saturating_add(1)..)
                .next()
                .is_some();
            let mut out = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult>\n  <Bucket>{}</Bucket>\n  <Key>{}</Key>\n  <UploadId>{upload_id}</UploadId>\n  <PartNumberMarker>{marker}</PartNumberMarker>\n  <NextPartNumberMarker>{next}</NextPartNumberMarker>\n  <MaxParts>{max_parts}</MaxParts>\n  <IsTruncated>{truncated}</IsTruncated>\n",
                xml_escape(&bucket),
                xml_escape(&key)
            );
            for (n, part) in page {
                out.push_str(&format!(
                    "  <Part>\n    <PartNumber>{n}</PartNumber>\n    <LastModified>{}</LastModified>\n    <ETag>{}</ETag>\n    <HashCrc64ecma>{}</HashCrc64ecma>\n    <Size>{}</Size>\n  </Part>\n",
                    part.at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    xml_escape(&part.etag),
                    part.crc,
                    part.data.len()
                ));
            }
            out.push_str("</ListPartsResult>\n");
            Ok(xml(StatusCode::OK, out))
        }
        ("POST", None, Some(upload_id), None) => {
            let delay = shared.faults().faults().oss_complete_latency_ms;
            let upload_id = upload_id.to_owned();
            let data = read_body(body, 1 << 20).await?;
            let listed = parse_complete(&data)?;
            // The store's lock is released before any await below.
            let (tag, crc) = {
                let mut s = store(shared);
                let upload = s.upload(&upload_id, &bucket, &key)?;
                let total: usize = listed
                    .iter()
                    .filter_map(|(n, _)| upload.parts.get(n))
                    .map(|p| p.data.len())
                    .sum();
                let mut whole = BytesMut::with_capacity(total);
                // OSS's multipart ETag: the MD5 of the parts' MD5s, then `-N`;
                // the CRC-64 combined from the parts', as OSS does.
                let mut digests = Md5::new();
                let mut crc = 0u64;
                let mut last = 0;
                for (i, (number, tag)) in listed.iter().enumerate() {
                    if *number <= last {
                        return Err(oss_error(
                            StatusCode::BAD_REQUEST,
                            "InvalidPartOrder",
                            "The list of parts was not in ascending order.",
                        ));
                    }
                    last = *number;
                    let part = upload
                        .parts
                        .get(number)
                        .filter(|p| p.etag.trim_matches('"').eq_ignore_ascii_case(tag.trim_matches('"')))
                        .ok_or_else(|| oss_error(StatusCode::BAD_REQUEST, "InvalidPart", "One or more of the specified parts could not be found or the ETag did not match."))?;
                    if i + 1 < listed.len() && part.data.len() < 100 * 1024 {
                        return Err(oss_error(
                            StatusCode::BAD_REQUEST,
                            "EntityTooSmall",
                            "Your proposed upload is smaller than the minimum allowed object size.",
                        ));
                    }
                    whole.extend_from_slice(&part.data);
                    digests.update(hex_bytes(part.etag.trim_matches('"')));
                    crc = crc64::combine(crc, part.crc, part.data.len() as u64);
                }
                let whole = whole.freeze();
                let tag = format!("\"{}-{}\"", hex_upper(&digests.finalize()), listed.len());
                s.uploads.remove(&upload_id);
                s.objects.insert((bucket.clone(), key.clone()), whole);
                (tag, crc)
            };
            Counters::bump(&shared.counters.oss_objects_stored);
            // Stored; the answer may be slow to come (a crash before it
            // arrives leaves a client that does not know it is done).
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            let answer = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult>\n  <Bucket>{}</Bucket>\n  <Key>{}</Key>\n  <ETag>{}</ETag>\n</CompleteMultipartUploadResult>\n",
                xml_escape(&bucket),
                xml_escape(&key),
                xml_escape(&tag)
            );
            let mut r = with_integrity(StatusCode::OK, &tag, crc, answer);
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            );
            Ok(r)
        }
        ("DELETE", None, Some(upload_id), None) => {
            let removed = store(shared).uploads.remove(upload_id);
            match removed {
                Some(_) => {
                    Counters::bump(&shared.counters.oss_uploads_aborted);
                    Ok(StatusCode::NO_CONTENT.into_response())
                }
                None => Err(no_such_upload()),
            }
        }
        _ => Err(oss_error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "the emulator's OSS models the object and multipart upload operations only",
        )),
    }
}

/// The parts a CompleteMultipartUpload body lists: (number, ETag).
fn parse_complete(body: &[u8]) -> Result<Vec<(u32, String)>, OssError> {
    let malformed = || {
        oss_error(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed.",
        )
    };
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut parts = Vec::new();
    let (mut number, mut tag) = (None, None);
    let mut current = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|_| malformed())? {
            quick_xml::events::Event::Start(e) => {
                current = String::from_utf8_lossy(e.name().as_ref()).into_owned();
            }
            quick_xml::events::Event::Text(t) => {
                let text = t.unescape().map_err(|_| malformed())?.trim().to_owned();
                match current.as_str() {
                    "PartNumber" => number = text.parse::<u32>().ok(),
                    "ETag" => tag = Some(text),
                    _ => {}
                }
            }
            quick_xml::events::Event::End(e) => {
                if e.name().as_ref() == b"Part" {
                    parts.push((
                        number.take().ok_or_else(malformed)?,
                        tag.take().ok_or_else(malformed)?,
                    ));
                }
                current.clear();
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if parts.is_empty() {
        return Err(malformed());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_is_the_xz_variant_oss_uses() {
        // The check value Alibaba's OSS SDKs test against.
        assert_eq!(crc64::checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
    }

    #[test]
    fn complete_bodies_parse_in_order() {
        let body = br#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"A"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"B"</ETag></Part></CompleteMultipartUpload>"#;
        let parts = parse_complete(body).ok().unwrap();
        assert_eq!(parts, [(1, "\"A\"".to_owned()), (2, "\"B\"".to_owned())]);
        assert!(parse_complete(b"<CompleteMultipartUpload/>").is_err());
        assert!(parse_complete(b"<Part><ETag>x</ETag></Part>").is_err());
    }
}

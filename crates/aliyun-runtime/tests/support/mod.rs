//! A small Alibaba-style RPC server on 127.0.0.1 for the HTTP tests of
//! `aliyun-runtime` and `aliyun-vod` (the latter includes this file by path).
//!
//! Like the real service, it checks every request before the test's handler
//! sees it: the RPC V1 signature (recomputed with `aliyun_sign::rpc::sign_params`)
//! or the ACS3 signature (recomputed stage by stage), the AccessKey ID, the
//! timestamp (15 minutes of skew at most) and that no `SignatureNonce` is used
//! twice. A request that fails a check gets the service's error, so a client
//! that signs wrongly fails its test. Every request is recorded, checked or not.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aliyun_sign::{acs3, rpc, Credentials, HttpMethod, Timestamp};
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// The AccessKey ID the server knows.
pub const KEY_ID: &str = "LTAI5tTestKeyId0001";
/// The AccessKey secret the server knows; reserved characters on purpose, so
/// encoded forms of it are exercised too.
pub const SECRET: &str = "t3st/Secret+Value=0123";

/// Credentials the server accepts.
pub fn credentials() -> Credentials {
    Credentials::new(KEY_ID, SECRET)
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Req {
    /// Arrival order, from 0.
    pub index: usize,
    /// When the handler saw it.
    pub arrived: Instant,
    /// `GET`, `POST`, ...
    pub method: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Decoded form-body parameters.
    pub form: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// `None` when the request passed every check, else the error code sent back.
    pub rejected: Option<String>,
}

impl Req {
    /// A parameter from the form body or the query string.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .chain(self.query.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The action, from `Action` (V1) or `x-acs-action` (V3).
    pub fn action(&self) -> &str {
        self.param("Action")
            .or_else(|| self.header("x-acs-action"))
            .unwrap_or("")
    }

    /// The nonce, from `SignatureNonce` (V1) or `x-acs-signature-nonce` (V3).
    pub fn nonce(&self) -> &str {
        self.param("SignatureNonce")
            .or_else(|| self.header("x-acs-signature-nonce"))
            .unwrap_or("")
    }

    /// `XML` when the client asked for XML, else `JSON`.
    pub fn format(&self) -> &str {
        self.param("Format").unwrap_or("JSON")
    }

    /// The items of a comma-separated list parameter.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.param(name)
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// How a reply's body is delivered.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// Whole.
    Full,
    /// Only the first `n` bytes, then the connection is broken.
    CutAfter(usize),
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    pub delivery: Delivery,
}

impl Reply {
    /// A body with its content type.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            delivery: Delivery::Full,
        }
    }

    /// A JSON body.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Reply::raw(status, "application/json;charset=utf-8", value.to_string())
    }

    /// A body in the format the request asked for: JSON as given, or XML built
    /// from the same value (objects become elements, arrays repeat the element).
    pub fn formatted(req: &Req, status: u16, value: &serde_json::Value) -> Self {
        if req.format() == "XML" {
            let mut xml = String::from("<?xml version='1.0' encoding='UTF-8'?>");
            let root = format!("{}Response", req.action());
            write_xml(&mut xml, &root, value);
            Reply::raw(status, "text/xml;charset=utf-8", xml)
        } else {
            Reply::json(status, value)
        }
    }

    /// A service error as Alibaba sends it, in the requested format.
    pub fn error(req: &Req, status: u16, code: &str, message: &str) -> Self {
        let value = serde_json::json!({
            "RequestId": format!("err-{}", req.index),
            "HostId": "vod.cn-shanghai.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
        });
        if req.format() == "XML" {
            let mut xml = String::from("<?xml version='1.0' encoding='UTF-8'?>");
            write_xml(&mut xml, "Error", &value);
            Reply::raw(status, "text/xml;charset=utf-8", xml)
        } else {
            Reply::json(status, &value)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Answers only after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends the status line, headers and `n` bytes of the body, then breaks the
    /// connection.
    pub fn cut_after(mut self, n: usize) -> Self {
        self.delivery = Delivery::CutAfter(n);
        self
    }
}

fn write_xml(out: &mut String, name: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                write_xml(out, name, item);
            }
        }
        serde_json::Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                write_xml(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        serde_json::Value::Null => out.push_str(&format!("<{name}/>")),
        serde_json::Value::String(s) => {
            out.push_str(&format!("<{name}>{}</{name}>", escape(s)));
        }
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

type Handler = dyn Fn(&Req) -> Reply + Send + Sync;

struct State {
    secret: String,
    handler: Box<Handler>,
    log: Mutex<Vec<Req>>,
    nonces: Mutex<HashSet<String>>,
}

/// A running server; stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Starts a server that knows [`SECRET`] and answers checked requests with
    /// `handler`.
    pub async fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_with_secret(SECRET, handler).await
    }

    /// Starts a server that believes [`KEY_ID`]'s secret is `secret`.
    pub async fn start_with_secret(
        secret: &str,
        handler: impl Fn(&Req) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let state = Arc::new(State {
            secret: secret.to_owned(),
            handler: Box::new(handler),
            log: Mutex::new(Vec::new()),
            nonces: Mutex::new(HashSet::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let state = shared.clone();
            async move { serve(state, req).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server { url, state, task }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Req> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.state.log.lock().unwrap().len()
    }
}

/// A port on 127.0.0.1 with nothing listening: connecting to it is refused.
pub async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}")
}

async fn serve(state: Arc<State>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(aliyun_sign::decode_pairs)
        .unwrap_or_default();
    let is_form = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form = if is_form {
        aliyun_sign::decode_pairs(&String::from_utf8_lossy(&body))
    } else {
        Vec::new()
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut req = Req {
        index: 0,
        arrived: Instant::now(),
        method: parts.method.as_str().to_owned(),
        query,
        form,
        headers,
        rejected: None,
    };
    let reply = {
        let mut log = state.log.lock().unwrap();
        req.index = log.len();
        let check = check(&state, &req, parts.uri.path(), &body);
        if let Err((_, code, _)) = &check {
            req.rejected = Some(code.clone());
        }
        log.push(req.clone());
        check
    };
    let reply = match reply {
        Ok(()) => (state.handler)(&req),
        Err((status, code, message)) => Reply::error(&req, status, &code, &message),
    };
    respond(reply).await
}

async fn respond(reply: Reply) -> Response {
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let body = match reply.delivery {
        Delivery::Full => Body::from(reply.body),
        Delivery::CutAfter(n) => {
            use futures::StreamExt as _;
            let head = Bytes::from(reply.body[..n.min(reply.body.len())].to_vec());
            // Let the status line, headers and first bytes reach the client
            // before the connection breaks.
            let head = futures::stream::once(async move { Ok::<_, std::io::Error>(head) });
            let cut = futures::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other("connection cut by the test server"))
            });
            Body::from_stream(head.chain(cut))
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("valid status");
    for (k, v) in &reply.headers {
        response.headers_mut().insert(
            HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            HeaderValue::from_str(v).expect("header value"),
        );
    }
    response
}

type Rejection = (u16, String, String);

fn reject<T>(status: u16, code: &str, message: impl Into<String>) -> Result<T, Rejection> {
    Err((status, code.to_owned(), message.into()))
}

fn check(state: &State, req: &Req, path: &str, body: &[u8]) -> Result<(), Rejection> {
    let method = match req.method.as_str() {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        other => {
            return reject(
                400,
                "UnsupportedHTTPMethod",
                format!("{other} is not allowed"),
            )
        }
    };
    let (key_id, timestamp) = match req.header("authorization") {
        Some(auth) if auth.starts_with(acs3::ALGORITHM) => {
            check_acs3(state, req, method, auth, path, body)?
        }
        _ => check_rpc_v1(state, req, method)?,
    };
    if key_id != KEY_ID {
        return reject(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    }
    let Ok(ts) = Timestamp::parse(&timestamp) else {
        return reject(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp is not valid.",
        );
    };
    let skew = (time::OffsetDateTime::now_utc() - ts.to_datetime()).abs();
    if skew > time::Duration::minutes(15) {
        return reject(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date header is expired.",
        );
    }
    let nonce = req.nonce().to_owned();
    if nonce.is_empty() || !state.nonces.lock().unwrap().insert(nonce) {
        return reject(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        );
    }
    Ok(())
}

/// Checks an RPC V1 request; returns its AccessKey ID and timestamp.
fn check_rpc_v1(
    state: &State,
    req: &Req,
    method: HttpMethod,
) -> Result<(String, String), Rejection> {
    let mut pairs: Vec<(&str, &str)> = req
        .query
        .iter()
        .chain(req.form.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let Some(pos) = pairs.iter().position(|(k, _)| *k == "Signature") else {
        return reject(
            400,
            "MissingSignature",
            "Signature is mandatory for this action.",
        );
    };
    let (_, given) = pairs.remove(pos);
    for (name, expected) in [
        ("SignatureMethod", Some("HMAC-SHA1")),
        ("SignatureVersion", Some("1.0")),
        ("SignatureNonce", None),
        ("Timestamp", None),
        ("Version", None),
        ("Action", None),
        ("Format", None),
        ("AccessKeyId", None),
    ] {
        match (req.param(name), expected) {
            (None, _) => {
                return reject(
                    400,
                    &format!("Missing{name}"),
                    format!("{name} is mandatory."),
                )
            }
            (Some(v), Some(e)) if v != e => {
                return reject(
                    400,
                    &format!("Invalid{name}"),
                    format!("{name} must be {e}."),
                )
            }
            _ => {}
        }
    }
    let signed = rpc::sign_params(&state.secret, method, pairs);
    if signed.signature() != given {
        return reject(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature does not match our calculation. server string to sign is:{}",
                signed.string_to_sign()
            ),
        );
    }
    Ok((
        req.param("AccessKeyId").unwrap_or("").to_owned(),
        req.param("Timestamp").unwrap_or("").to_owned(),
    ))
}

/// Checks an ACS3-HMAC-SHA256 request; returns its AccessKey ID and timestamp.
fn check_acs3(
    state: &State,
    req: &Req,
    method: HttpMethod,
    auth: &str,
    path: &str,
    body: &[u8],
) -> Result<(String, String), Rejection> {
    let fields = auth[acs3::ALGORITHM.len()..].trim();
    let field = |name: &str| {
        fields
            .split(',')
            .find_map(|f| f.trim().strip_prefix(name))
            .unwrap_or("")
            .to_owned()
    };
    let key_id = field("Credential=");
    let signed_headers = field("SignedHeaders=");
    let given = field("Signature=");
    for required in [
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ] {
        if !signed_headers.split(';').any(|h| h == required) {
            return reject(
                400,
                "IncompleteSignature",
                format!("{required} must be signed."),
            );
        }
    }
    let payload = acs3::payload_sha256(body);
    if req.header("x-acs-content-sha256") != Some(payload.as_str()) {
        return reject(
            400,
            "ContentSHA256NotMatch",
            "x-acs-content-sha256 does not match the body.",
        );
    }
    let headers: Vec<(&str, &str)> = signed_headers
        .split(';')
        .map(|h| (h, req.header(h).unwrap_or("")))
        .collect();
    let (block, names) = acs3::canonical_headers(&headers);
    let query: Vec<(&str, &str)> = req
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let canonical = acs3::canonical_request(
        method,
        path,
        &acs3::canonical_query_string(&query),
        &block,
        &names,
        &payload,
    );
    let to_sign = acs3::string_to_sign(&canonical);
    if acs3::signature(&state.secret, &to_sign) != given {
        return reject(
            400,
            "SignatureDoesNotMatch",
            format!(
                "The request signature does not conform to Aliyun standards. server string to sign is:{to_sign}"
            ),
        );
    }
    Ok((key_id, req.header("x-acs-date").unwrap_or("").to_owned()))
}

/// A tracing-subscriber writer whose output tests read back.
#[derive(Clone, Default)]
pub struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuf {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// A subscriber writing here at `level` and below, without colours.
    pub fn subscriber(&self, level: tracing::Level) -> impl tracing::Subscriber + Send + Sync {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }
}

/// Runs `fut` with tracing at DEBUG captured into a string.
pub async fn with_logs<F: std::future::Future>(fut: F) -> (F::Output, String) {
    use tracing::instrument::WithSubscriber as _;
    // While only one dispatcher exists, tracing-core caches a callsite's
    // interest from the subscriber of the thread that hits it first: a log line
    // first reached by another test while this one's subscriber is live would be
    // cached as "never" for the whole run. A second dispatcher, alive for the
    // whole run, makes it ask every subscriber each time instead.
    static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    SECOND.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let buf = LogBuf::default();
    let out = fut
        .with_subscriber(buf.subscriber(tracing::Level::DEBUG))
        .await;
    (out, buf.text())
}

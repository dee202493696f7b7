//! The client: resolves the endpoint, signs, sends, retries, rate-limits and
//! decodes. One `reqwest` connection pool per client; clones share it, and share
//! the rate limiter.

use std::sync::Arc;
use std::time::Duration;

use aliyun_sign::{acs3, rpc, Credentials, Method, Nonce, Timestamp};
use rand::Rng;
use serde::de::DeserializeOwned;

use crate::config::{Config, Format, HttpMethod, SignatureVersion};
use crate::error::{DecodeError, Error, ServiceError};
use crate::rate_limit::RateLimiters;
use crate::shape::{xml_to_flat_object, Shape};

/// A product's static description, generated from its spec.
#[derive(Debug)]
pub struct Product {
    /// Product code, e.g. `vod`.
    pub code: &'static str,
    /// API version, e.g. `2017-03-21`.
    pub version: &'static str,
    /// `(region, endpoint host)` pairs.
    pub endpoints: &'static [(&'static str, &'static str)],
    /// The region used when none is configured.
    pub default_region: &'static str,
}

/// An operation's static description, generated from its spec.
#[derive(Debug)]
pub struct OperationMeta {
    /// `Action`, e.g. `GetURLUploadInfos`.
    pub action: &'static str,
    /// Whether a request that may have reached the service can be sent again
    /// (reads: yes; writes such as UploadMediaByURL: no, a retry could duplicate).
    pub retry_safe: bool,
    /// The service's QPS limit per account for this operation, if any.
    pub qps_limit: Option<u32>,
}

/// A generated response type: decodable from JSON directly and from XML by its shape.
pub trait Output: DeserializeOwned + Send + 'static {
    /// The response's shape, for XML decoding.
    const SHAPE: &'static Shape;
}

/// A generated operation input: validates itself and maps to wire parameters.
pub trait Operation {
    /// The response type.
    type Output: Output;
    /// The operation's static description.
    const META: &'static OperationMeta;
    /// Checks the input against the spec's rules and returns the parameters in
    /// wire form; nothing is sent when this fails.
    fn to_params(&self) -> Result<Vec<(&'static str, String)>, crate::ValidationError>;
}

/// A signed request, ready to send (or to print for `--dry-run`).
#[derive(Clone)]
pub struct PreparedRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// The full URL, query string included.
    pub url: String,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The form body, for POST with signature V1.
    pub body: Option<String>,
    /// The `Timestamp` / `x-acs-date` that was signed.
    pub timestamp: String,
    /// What [`PreparedRequest::string_to_sign`] is rebuilt from: only a
    /// signature error or a dry run needs it, so it is not built per call.
    signed: SignedStages,
}

/// The signer's intermediate output kept for diagnostics.
#[derive(Clone)]
enum SignedStages {
    /// RPC V1: the string to sign is `METHOD&%2F&` + the percent-encoded
    /// canonical query string (the wire form without `&Signature=...`).
    Rpc { method: Method, canonical: String },
    /// ACS3: the string to sign itself (81 bytes).
    Acs3 { string_to_sign: String },
}

impl PreparedRequest {
    /// The string that was signed (carries the STS token when there is one:
    /// pass it through [`aliyun_sign::redact`] before showing it). For RPC V1
    /// it is rebuilt on each call.
    pub fn string_to_sign(&self) -> std::borrow::Cow<'_, str> {
        match &self.signed {
            SignedStages::Rpc { method, canonical } => {
                std::borrow::Cow::Owned(rpc::string_to_sign(*method, canonical))
            }
            SignedStages::Acs3 { string_to_sign } => std::borrow::Cow::Borrowed(string_to_sign),
        }
    }

    /// A printable form with the STS token and secret replaced by `** redacted **`.
    pub fn redacted(&self, credentials: &Credentials) -> String {
        let r = |s: &str| aliyun_sign::redact(s, credentials);
        let method = match self.method {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        };
        let mut out = format!("{method} {}\n", r(&self.url));
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {}\n", r(v)));
        }
        if let Some(body) = &self.body {
            out.push('\n');
            out.push_str(&r(body));
            out.push('\n');
        }
        out
    }
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // URL, body and string to sign may hold the STS token: keep them out.
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// A client for one product. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    product: &'static Product,
    base_url: String,
    host: String,
    config: Config,
    limiters: RateLimiters,
    user_agent: String,
    /// Credentials resolved once per client: the default chain reads files, and
    /// a batch or a waiter must not re-read them (or see them change) per call.
    credentials: tokio::sync::OnceCell<Credentials>,
}

/// The runtime's version; product crates are released in lockstep with it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest response body the client reads. Alibaba's RPC answers are a
/// few KiB (VOD's largest, 100 jobs, well under 1 MiB); a body past this is
/// not an answer, and is refused as a decode error rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

impl Client {
    /// Builds a client; fails on an unknown region or a malformed endpoint.
    pub fn new(product: &'static Product, config: Config) -> Result<Self, Error> {
        let (base_url, host) = resolve_endpoint(product, &config)?;
        let user_agent = user_agent(product, config.user_agent.as_deref());
        let mut builder = reqwest::Client::builder()
            // The connect timer must fire before the whole-attempt timer, so a
            // connection that never opened is reported as such (nothing was sent,
            // safe to retry) and never as an exchange that timed out.
            .connect_timeout(effective_connect_timeout(&config))
            .timeout(config.read_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A signed request must never be replayed to another host: the URL (GET)
            // carries the STS token. A 3xx surfaces as an error instead.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&host) {
            // A local emulator or test server: a system proxy must not intercept it.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                product,
                base_url,
                host,
                config,
                limiters: RateLimiters::default(),
                user_agent,
                credentials: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The base URL requests go to, e.g. `https://vod.cn-shanghai.aliyuncs.com`.
    pub fn endpoint(&self) -> &str {
        &self.inner.base_url
    }

    /// Resolves credentials through the configured provider, without caching
    /// (for tools that show which credentials would be used).
    pub fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.inner.config.credentials.provide()?)
    }

    /// The credentials calls are signed with: resolved on first use, on a
    /// blocking thread (the default chain reads files), then kept for the
    /// client's life. A failure is not kept, so a later call tries again.
    pub async fn resolved_credentials(&self) -> Result<Credentials, Error> {
        let provider = std::sync::Arc::clone(&self.inner.config.credentials);
        self.inner
            .credentials
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || provider.provide())
                    .await
                    .map_err(|e| Error::Config(format!("credentials lookup did not finish: {e}")))?
                    .map_err(Error::from)
            })
            .await
            .cloned()
    }

    fn now(&self) -> Timestamp {
        match &self.inner.config.clock {
            Some(clock) => Timestamp::from_datetime(clock()),
            None => Timestamp::now(),
        }
    }

    /// Signs a request with a fresh timestamp and nonce, without sending it.
    pub fn prepare(
        &self,
        meta: &OperationMeta,
        params: &[(&'static str, String)],
        credentials: &Credentials,
    ) -> PreparedRequest {
        let cfg = &self.inner.config;
        let ts = self.now();
        let nonce = Nonce::random();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let method = match cfg.method {
            HttpMethod::Get => Method::Get,
            HttpMethod::Post => Method::Post,
        };
        let base_url = self.inner.base_url.as_str();
        let mut headers = Vec::with_capacity(2);
        headers.push(("user-agent".to_owned(), self.inner.user_agent.clone()));
        match cfg.signature {
            SignatureVersion::V1 => {
                let signed = rpc::sign(
                    credentials,
                    &rpc::RpcRequest {
                        method,
                        action: meta.action,
                        version: self.inner.product.version,
                        format: cfg.format.as_str(),
                        timestamp: &ts,
                        nonce: &nonce,
                    },
                    &pairs,
                );
                // Only the canonical string is kept for the string to sign;
                // it is the wire form up to `&Signature=`.
                let canonical = signed.canonicalized_query_string().to_owned();
                let encoded = signed.into_encoded();
                let (url, body) = match cfg.method {
                    HttpMethod::Get => {
                        let mut url = String::with_capacity(base_url.len() + 2 + encoded.len());
                        url.push_str(base_url);
                        url.push_str("/?");
                        url.push_str(&encoded);
                        (url, None)
                    }
                    HttpMethod::Post => {
                        headers.push((
                            "content-type".to_owned(),
                            "application/x-www-form-urlencoded".to_owned(),
                        ));
                        let mut url = String::with_capacity(base_url.len() + 1);
                        url.push_str(base_url);
                        url.push('/');
                        (url, Some(encoded))
                    }
                };
                PreparedRequest {
                    method: cfg.method,
                    url,
                    headers,
                    body,
                    timestamp: ts.as_str().to_owned(),
                    signed: SignedStages::Rpc { method, canonical },
                }
            }
            SignatureVersion::V3 => {
                // The format travels as a parameter so XML can be asked for here too.
                let mut pairs = pairs;
                pairs.push(("Format", cfg.format.as_str()));
                let signed = acs3::sign(
                    credentials,
                    &acs3::Acs3Request {
                        method,
                        host: &self.inner.host,
                        pathname: "/",
                        action: meta.action,
                        version: self.inner.product.version,
                        timestamp: &ts,
                        nonce: &nonce,
                        body: b"",
                        content_type: None,
                    },
                    &pairs,
                );
                headers.reserve(signed.headers().len());
                for (k, v) in signed.headers() {
                    if *k != "host" {
                        headers.push(((*k).to_owned(), v.clone()));
                    }
                }
                let query = signed.query();
                let mut url = String::with_capacity(base_url.len() + 2 + query.len());
                url.push_str(base_url);
                url.push('/');
                if !query.is_empty() {
                    url.push('?');
                    url.push_str(query);
                }
                PreparedRequest {
                    method: cfg.method,
                    url,
                    headers,
                    body: None,
                    timestamp: ts.as_str().to_owned(),
                    signed: SignedStages::Acs3 {
                        string_to_sign: signed.string_to_sign().to_owned(),
                    },
                }
            }
        }
    }

    /// Validates and runs a generated operation input.
    pub async fn send<O: Operation>(&self, input: &O) -> Result<O::Output, Error> {
        let params = input.to_params()?;
        self.execute::<O::Output>(O::META, params).await
    }

    /// Runs one operation: rate limit, sign, send, retry as allowed, decode.
    ///
    /// Every attempt waits for the rate limiter and is signed afresh (new
    /// `SignatureNonce` and `Timestamp`). An attempt that failed is tried again,
    /// up to [`crate::RetryConfig::max_attempts`] in all, when
    /// - the connection could not be opened (nothing was sent), for any operation;
    /// - for operations whose [`OperationMeta::retry_safe`] is set only: the
    ///   service answered a transient error ([`Error::is_transient`]) or sent
    ///   `x-acs-retry-after`, or the exchange broke or timed out after sending.
    pub async fn execute<O: Output>(
        &self,
        meta: &'static OperationMeta,
        params: Vec<(&'static str, String)>,
    ) -> Result<O, Error> {
        let cfg = &self.inner.config;
        let credentials = self.resolved_credentials().await?;
        let max_attempts = cfg.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if cfg.rate_limit {
                if let Some(qps) = meta.qps_limit {
                    self.inner.limiters.acquire(meta.action, qps).await;
                }
            }
            let prepared = self.prepare(meta, &params, &credentials);
            tracing::debug!(action = meta.action, attempt, "sending attempt");
            tracing::trace!(request = %prepared.redacted(&credentials), "signed request");
            let outcome = self.send_once(meta, &prepared, &credentials).await;
            let (err, retry_after) = match outcome {
                Ok(Ok(output)) => return Ok(output),
                Ok(Err((err, retry_after))) => (err, retry_after),
                Err(err) => (err, None),
            };
            let retry = attempt < max_attempts
                && is_retryable(&err, meta.retry_safe, retry_after.is_some());
            tracing::debug!(
                action = meta.action,
                attempt,
                error = %err,
                retry,
                "attempt failed"
            );
            if !retry {
                return Err(err);
            }
            let delay = backoff(
                cfg.retry.base_delay,
                cfg.retry.max_delay,
                attempt,
                retry_after,
            );
            tracing::debug!(
                action = meta.action,
                attempt,
                delay_ms = delay.as_millis() as u64,
                "backing off"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt. `Err` is a transport failure; `Ok(Err(..))` an answered failure
    /// with the service's `x-acs-retry-after`, if any.
    async fn send_once<O: Output>(
        &self,
        meta: &OperationMeta,
        prepared: &PreparedRequest,
        credentials: &Credentials,
    ) -> Result<Result<O, (Error, Option<Duration>)>, Error> {
        let inner = &self.inner;
        let mut req = match prepared.method {
            HttpMethod::Get => inner.http.get(&prepared.url),
            HttpMethod::Post => inner.http.post(&prepared.url),
        };
        for (k, v) in &prepared.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(body) = &prepared.body {
            req = req.body(body.clone());
        }
        let started = std::time::Instant::now();
        let mut resp = req
            .send()
            .await
            .map_err(|e| transport_error(e, &inner.config, &inner.base_url, false))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_millis);
        let broke = |e: reqwest::Error| {
            let mut err = transport_error(e, &inner.config, &inner.base_url, true);
            if let Error::Transport { sent, .. } | Error::Timeout { sent, .. } = &mut err {
                *sent = true; // the status line arrived: the service has the request
            }
            err
        };
        // Read at most MAX_RESPONSE_BYTES: a server (or anything posing as one)
        // must not be able to exhaust memory with an endless body.
        let mut body: Vec<u8> = Vec::new();
        let mut too_large = resp
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64);
        while !too_large {
            let Some(chunk) = resp.chunk().await.map_err(broke)? else {
                break;
            };
            too_large = body.len() + chunk.len() > MAX_RESPONSE_BYTES;
            let room = MAX_RESPONSE_BYTES
                .saturating_sub(body.len())
                .min(chunk.len());
            body.extend_from_slice(&chunk[..room]);
        }
        if too_large {
            let e = DecodeError::new(
                status,
                format!("the response body is larger than {MAX_RESPONSE_BYTES} bytes; it was not read to the end"),
                &body,
            );
            // Only the first bytes are shown: no need to redact all of it.
            let head = &body[..body.len().min(64 * 1024)];
            return Ok(Err((
                redact_error(Error::Decode(e), head, credentials),
                retry_after,
            )));
        }
        tracing::debug!(
            action = meta.action,
            status,
            bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "response"
        );
        if (200..300).contains(&status) {
            return Ok(decode_output::<O>(inner.config.format, status, &body)
                .map_err(|e| (redact_error(e, &body, credentials), None)));
        }
        let err = match decode_service_error(status, &body) {
            Ok(mut service) => {
                // A proxy or a debugging server may echo the request back.
                let r = |s: &mut String| *s = aliyun_sign::redact(s, credentials);
                r(&mut service.code);
                r(&mut service.message);
                for field in [
                    &mut service.recommend,
                    &mut service.request_id,
                    &mut service.host_id,
                ] {
                    if let Some(value) = field.as_mut() {
                        r(value);
                    }
                }
                service.hint = hint_for(&service, prepared, credentials);
                Error::Service(Box::new(service))
            }
            Err(decode) => redact_error(Error::Decode(decode), &body, credentials),
        };
        Ok(Err((err, retry_after)))
    }
}

fn resolve_endpoint(product: &Product, config: &Config) -> Result<(String, String), Error> {
    if let Some(endpoint) = &config.endpoint {
        let with_scheme = if endpoint.contains("://") {
            endpoint.clone()
        } else {
            format!("https://{endpoint}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| Error::Config(format!("endpoint {endpoint:?} is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "endpoint {endpoint:?} must be http or https"
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Error::Config(format!("endpoint {endpoint:?} has no host")))?;
        // RPC calls go to `/`; a path, query or fragment would be dropped silently.
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(format!(
                "endpoint {endpoint:?} must be a scheme, host and optional port only (RPC calls go to /)"
            )));
        }
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let base = format!("{}://{host}", url.scheme());
        return Ok((base, host));
    }
    let region = config.region.as_deref().unwrap_or(product.default_region);
    match product.endpoints.iter().find(|(r, _)| *r == region) {
        Some((_, host)) => Ok((format!("https://{host}"), (*host).to_owned())),
        None => {
            let known: Vec<&str> = product.endpoints.iter().map(|(r, _)| *r).collect();
            Err(Error::Config(format!(
                "unknown region {region:?} for {}; known regions: {} (or set an explicit endpoint)",
                product.code,
                known.join(", ")
            )))
        }
    }
}

fn user_agent(product: &Product, suffix: Option<&str>) -> String {
    let mut ua = format!(
        "aliyun-{}-rs/{VERSION} ({}; {}) rust",
        product.code,
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    if let Some(extra) = suffix {
        ua.push(' ');
        ua.push_str(extra);
    }
    ua
}

fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The connect timeout, kept below the whole-attempt timeout (see `Client::new`).
fn effective_connect_timeout(config: &Config) -> Duration {
    config.connect_timeout.min(config.read_timeout.mul_f64(0.9))
}

/// Maps a reqwest failure. The URL is dropped first: with GET it carries the STS
/// token, and reqwest's `Display` would print it.
fn transport_error(e: reqwest::Error, config: &Config, base_url: &str, in_body: bool) -> Error {
    let e = e.without_url();
    let connect = e.is_connect();
    if e.is_timeout() {
        return Error::Timeout {
            after: if connect {
                effective_connect_timeout(config)
            } else {
                config.read_timeout
            },
            sent: !connect,
        };
    }
    let mut message = if connect {
        format!("could not connect to {base_url}")
    } else if in_body {
        format!("the response from {base_url} broke off")
    } else {
        format!("the exchange with {base_url} failed")
    };
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        message,
        sent: !connect,
        source: Some(Box::new(e)),
    }
}

/// Rebuilds a decode error's excerpt from the redacted body, so a body that
/// echoes the request never shows the STS token.
fn redact_error(err: Error, body: &[u8], credentials: &Credentials) -> Error {
    match err {
        Error::Decode(d) => {
            let shown = aliyun_sign::redact(&String::from_utf8_lossy(body), credentials);
            let message = aliyun_sign::redact(&d.message, credentials);
            Error::Decode(DecodeError::new(d.status, message, shown.as_bytes()))
        }
        other => other,
    }
}

/// Decodes a success body by the requested format (sniffing the first byte, so a
/// body in the other format still decodes).
pub fn decode_output<O: Output>(format: Format, status: u16, body: &[u8]) -> Result<O, Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let xml = match first {
        Some(b'<') => true,
        Some(b'{') => false,
        _ => format == Format::Xml,
    };
    let result = if xml {
        crate::shape::from_xml::<O>(body, O::SHAPE).map_err(|e| e.0)
    } else {
        // One UTF-8 check of the whole body is cheaper than one per string;
        // a body that fails it goes through `from_slice` for the precise error.
        match std::str::from_utf8(body) {
            Ok(text) => serde_json::from_str::<O>(text),
            Err(_) => serde_json::from_slice::<O>(body),
        }
        .or_else(|direct| {
            // The one thing the lenient decoders cannot absorb on the direct
            // path is an object repeating a key (serde's derive refuses a
            // duplicate field). Through a `Value` the last one wins, as
            // before; a body that is not JSON keeps the first error.
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| serde_json::from_value::<O>(v).ok())
                .ok_or(direct)
        })
        .map_err(|e| e.to_string())
    };
    result.map_err(|message| Error::Decode(DecodeError::new(status, message, body)))
}

/// Decodes an error body (JSON or XML) into a [`ServiceError`].
pub fn decode_service_error(status: u16, body: &[u8]) -> Result<ServiceError, DecodeError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let map = match first {
        Some(b'{') => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) => {
                return Err(DecodeError::new(
                    status,
                    "error body is not an object",
                    body,
                ))
            }
            Err(e) => return Err(DecodeError::new(status, e.to_string(), body)),
        },
        Some(b'<') => xml_to_flat_object(body).map_err(|e| DecodeError::new(status, e.0, body))?,
        _ => {
            return Err(DecodeError::new(
                status,
                "error body is neither JSON nor XML",
                body,
            ))
        }
    };
    let get = |k: &str| {
        map.get(k).and_then(|v| match v {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let Some(code) = get("Code") else {
        return Err(DecodeError::new(status, "error body has no Code", body));
    };
    Ok(ServiceError {
        status,
        code,
        message: get("Message").unwrap_or_default(),
        request_id: get("RequestId"),
        host_id: get("HostId"),
        recommend: get("Recommend"),
        hint: None,
    })
}

const SERVER_STS_MARKER: &str = "server string to sign is:";

fn hint_for(
    err: &ServiceError,
    prepared: &PreparedRequest,
    credentials: &Credentials,
) -> Option<String> {
    let code = err.code.as_str();
    if code == "SignatureDoesNotMatch" || code == "IncompleteSignature" {
        let ours = aliyun_sign::redact(&prepared.string_to_sign(), credentials);
        let theirs = err
            .message
            .find(SERVER_STS_MARKER)
            .map(|i| err.message[i + SERVER_STS_MARKER.len()..].trim().to_owned());
        return Some(match theirs {
            Some(theirs) if theirs == ours => format!(
                "the service computed the same string to sign as this client, so the AccessKey secret \
                 is wrong for AccessKey ID {}",
                credentials.access_key_id()
            ),
            Some(theirs) => format!(
                "the service signed a different string than this client (a proxy may have altered \
                 the request):\n  client: {ours}\n  server: {theirs}"
            ),
            None => format!(
                "check the AccessKey secret for AccessKey ID {}; client string to sign: {ours}",
                credentials.access_key_id()
            ),
        });
    }
    if code.starts_with("InvalidTimeStamp") {
        return Some(format!(
            "the request was signed at {} (UTC); check this machine's clock, which must be within \
             15 minutes of the service's",
            prepared.timestamp
        ));
    }
    if code.starts_with("InvalidAccessKeyId") {
        return Some(format!(
            "AccessKey ID {} is unknown to the service or disabled; check which credentials were picked up",
            credentials.access_key_id()
        ));
    }
    None
}

/// Whether an attempt may be tried again. A request that certainly never left
/// (the connection could not be opened) always may; one that may have reached
/// the service only for operations the spec marks safe to repeat, and then only
/// for transient failures or when the service asked for a retry with
/// `x-acs-retry-after`. Throttling of an unsafe operation is not retried either:
/// the spec's rule is that such an operation is never sent twice.
fn is_retryable(err: &Error, retry_safe: bool, has_retry_after: bool) -> bool {
    if !err.may_have_been_sent() {
        return matches!(err, Error::Transport { .. } | Error::Timeout { .. });
    }
    retry_safe && (err.is_transient() || has_retry_after)
}

/// Exponential backoff with "equal jitter" (half fixed, half random), so a retry
/// never comes right on the heels of a failure; the service's `x-acs-retry-after`
/// wins when it asks for longer (capped at one minute).
fn backoff(base: Duration, max: Duration, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32 << (attempt - 1).min(16)).min(max);
    let half = exp / 2;
    let jittered =
        half + Duration::from_secs_f64(rand::thread_rng().gen_range(0.0..=half.as_secs_f64()));
    match retry_after {
        Some(ra) => ra.min(Duration::from_secs(60)).max(jittered),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PRODUCT: Product = Product {
        code: "vod",
        version: "2017-03-21",
        endpoints: &[
            ("cn-shanghai", "vod.cn-shanghai.aliyuncs.com"),
            ("ap-southeast-1", "vod.ap-southeast-1.aliyuncs.com"),
        ],
        default_region: "cn-shanghai",
    };

    #[test]
    fn endpoints() {
        let (base, host) = resolve_endpoint(&PRODUCT, &Config::new()).unwrap();
        assert_eq!(
            (base.as_str(), host.as_str()),
            (
                "https://vod.cn-shanghai.aliyuncs.com",
                "vod.cn-shanghai.aliyuncs.com"
            )
        );
        for bad in ["http://127.0.0.1:8080/vod", "http://h/?x=1", "http://h/#f"] {
            let err = resolve_endpoint(&PRODUCT, &Config::new().endpoint(bad)).unwrap_err();
            assert!(
                err.to_string().contains("RPC calls go to /"),
                "{bad}: {err}"
            );
        }
        let (base, host) =
            resolve_endpoint(&PRODUCT, &Config::new().endpoint("http://127.0.0.1:8080/")).unwrap();
        assert_eq!(
            (base.as_str(), host.as_str()),
            ("http://127.0.0.1:8080", "127.0.0.1:8080")
        );
        let err = resolve_endpoint(&PRODUCT, &Config::new().region("mars-1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: unknown region \"mars-1\" for vod; known regions: cn-shanghai, ap-southeast-1 (or set an explicit endpoint)"
        );
    }

    #[test]
    fn loopback_endpoints_bypass_proxies() {
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "[::1]:80",
            "localhost:9",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "vod.cn-shanghai.aliyuncs.com",
            "10.0.0.1:80",
            "[2001:db8::1]:443",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn user_agent_names_the_sdk_version_and_platform() {
        let ua = user_agent(&PRODUCT, Some("app/1"));
        assert!(
            ua.starts_with(&format!("aliyun-vod-rs/{VERSION} (")),
            "{ua}"
        );
        assert!(ua.ends_with(") rust app/1"), "{ua}");
    }

    #[test]
    fn error_bodies_in_both_formats() {
        let json = br#"{"RequestId":"R1","HostId":"vod.cn-shanghai.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://x"}"#;
        let e = decode_service_error(400, json).unwrap();
        assert_eq!(e.code, "Throttling.User");
        assert_eq!(e.to_string(), "Throttling.User: Request was denied due to user flow control. (RequestId R1, HTTP 400)");
        let xml = br#"<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R2</RequestId><HostId>h</HostId><Code>InvalidParameter</Code><Message>bad &amp; worse</Message><Recommend>r</Recommend></Error>"#;
        let e = decode_service_error(400, xml).unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("InvalidParameter", "bad & worse", Some("R2"))
        );
        let bad = decode_service_error(502, b"<html>Bad gateway").unwrap_err();
        assert_eq!(bad.status, 502);
        assert!(bad.body_start.starts_with("<html>"));
    }

    #[test]
    fn retry_rules() {
        let svc = |status, code: &str| {
            Error::from(ServiceError {
                status,
                code: code.into(),
                message: String::new(),
                request_id: None,
                host_id: None,
                recommend: None,
                hint: None,
            })
        };
        assert!(is_retryable(&svc(400, "Throttling.User"), true, false));
        assert!(!is_retryable(&svc(400, "Throttling.User"), false, false));
        assert!(is_retryable(&svc(400, "Anything"), true, true));
        assert!(!is_retryable(&svc(400, "Anything"), false, true));
        assert!(is_retryable(&svc(503, "ServiceUnavailable"), true, false));
        assert!(!is_retryable(&svc(503, "ServiceUnavailable"), false, false));
        assert!(!is_retryable(&svc(400, "InvalidParameter"), true, false));
        let sent = Error::Transport {
            message: String::new(),
            sent: true,
            source: None,
        };
        let unsent = Error::Transport {
            message: String::new(),
            sent: false,
            source: None,
        };
        assert!(is_retryable(&sent, true, false) && !is_retryable(&sent, false, false));
        assert!(is_retryable(&unsent, false, false));
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(5);
        for attempt in 1..10 {
            let d = backoff(base, max, attempt, None);
            let exp = (base * (1 << (attempt - 1))).min(max);
            assert!(d <= exp && d >= exp / 2, "attempt {attempt}: {d:?}");
        }
        assert!(
            backoff(base, max, 1, Some(Duration::from_millis(700))) >= Duration::from_millis(700)
        );
    }
}

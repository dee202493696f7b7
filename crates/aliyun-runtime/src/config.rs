//! Client configuration.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::credentials::{DefaultChain, ProvideCredentials};

/// Response format requested with the `Format` parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// `JSON` (default).
    #[default]
    Json,
    /// `XML`.
    Xml,
}

impl Format {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// `json` or `xml`, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("json") {
            Ok(Format::Json)
        } else if s.eq_ignore_ascii_case("xml") {
            Ok(Format::Xml)
        } else {
            Err(format!("unknown format {s:?} (JSON or XML)"))
        }
    }
}

/// Which signature the client sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignatureVersion {
    /// RPC signature V1 (HMAC-SHA1), the default.
    #[default]
    V1,
    /// ACS3-HMAC-SHA256.
    V3,
}

impl std::str::FromStr for SignatureVersion {
    type Err = String;

    /// `v1` or `v3`, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("v1") {
            Ok(SignatureVersion::V1)
        } else if s.eq_ignore_ascii_case("v3") {
            Ok(SignatureVersion::V3)
        } else {
            Err(format!("unknown signature version {s:?} (v1 or v3)"))
        }
    }
}

pub use aliyun_sign::HttpMethod;

/// Retry behaviour. Attempts are re-signed each time (fresh nonce and timestamp).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each time. Each wait is drawn
    /// between half the current value and the value itself ("equal jitter").
    pub base_delay: Duration,
    /// The longest backoff (an `x-acs-retry-after` from the service may exceed it
    /// up to one minute).
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        }
    }
}

/// A clock, injectable so tests can skew time.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Everything a [`crate::Client`] is built from.
#[derive(Clone)]
pub struct Config {
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) user_agent: Option<String>,
    pub(crate) method: HttpMethod,
    pub(crate) format: Format,
    pub(crate) signature: SignatureVersion,
    pub(crate) retry: RetryConfig,
    pub(crate) rate_limit: bool,
    #[cfg(feature = "redis")]
    pub(crate) shared_limiter: Option<crate::RedisLimiter>,
    pub(crate) credentials: Arc<dyn ProvideCredentials>,
    pub(crate) clock: Option<Clock>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Config");
        f.field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("user_agent", &self.user_agent)
            .field("method", &self.method)
            .field("format", &self.format)
            .field("signature", &self.signature)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit);
        #[cfg(feature = "redis")]
        f.field("shared_limiter", &self.shared_limiter);
        f.field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region: None,
            endpoint: None,
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            user_agent: None,
            method: HttpMethod::Post,
            format: Format::Json,
            signature: SignatureVersion::V1,
            retry: RetryConfig::default(),
            rate_limit: true,
            #[cfg(feature = "redis")]
            shared_limiter: None,
            credentials: Arc::new(DefaultChain::new()),
            clock: None,
        }
    }
}

impl Config {
    /// Defaults: the product's default region, HTTPS, POST, JSON, signature V1,
    /// 3 attempts, rate limiting on, credentials from the default chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// The region (`cn-shanghai`); the endpoint comes from the product's table.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint, e.g. `http://127.0.0.1:8080` for the emulator, or a
    /// host name (HTTPS is assumed when no scheme is given).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Explicit credentials, or any [`ProvideCredentials`].
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Arc::new(provider);
        self
    }

    /// The time allowed to open a connection. Expiry is [`crate::Error::Timeout`]
    /// with `sent: false`, and is retried for every operation.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed for the whole exchange of one attempt, from connecting to
    /// the last byte of the response; a stalled or dripping server cannot hold a
    /// call longer. Expiry is [`crate::Error::Timeout`]. The connect timeout is
    /// kept below it, so a connection that never opened is always reported as
    /// not sent.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// A `User-Agent` suffix (the SDK's own name and version always lead).
    pub fn user_agent(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent = Some(suffix.into());
        self
    }

    /// GET or POST.
    pub fn method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// JSON or XML responses (decoded into the same types either way).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// RPC V1 (default) or ACS3-HMAC-SHA256.
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature = version;
        self
    }

    /// Retry attempts and backoff.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Shares the QPS limits with every process that uses the same Redis
    /// server (feature `redis`): see [`crate::RedisLimiter`]. Applies while
    /// rate limiting is on.
    #[cfg(feature = "redis")]
    pub fn rate_limiter(mut self, limiter: crate::RedisLimiter) -> Self {
        self.shared_limiter = Some(limiter);
        self
    }

    /// Turns the client-side QPS limiter on (default) or off.
    pub fn rate_limit(mut self, enabled: bool) -> Self {
        self.rate_limit = enabled;
        self
    }

    /// A clock other than the system's (tests use it to skew time).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }
}

//! Error types. Every variant says whether the request may have reached the
//! service, and `Display` says what to fix; no variant ever holds a secret.

use std::fmt;
use std::time::Duration;

pub use crate::credentials::CredentialsError;

/// Anything an operation call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input broke a rule of the operation's spec; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The service answered with an error body (boxed: it is the largest variant).
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// No credentials could be found; nothing was sent.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The client is misconfigured (unknown region, bad endpoint); nothing was sent.
    #[error("configuration error: {0}")]
    Config(String),
    /// The connection failed or broke.
    #[error("transport error ({}): {message}", if *.sent { "the request may have been sent" } else { "nothing was sent" })]
    Transport {
        /// What failed.
        message: String,
        /// Whether the request may have reached the service.
        sent: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// No answer within the configured timeout.
    #[error("timed out after {after:?} waiting for the service ({})", if *.sent { "the request may have been sent" } else { "nothing was sent" })]
    Timeout {
        /// The timeout that expired.
        after: Duration,
        /// Whether the request may have reached the service.
        sent: bool,
    },
    /// The response could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl Error {
    /// Whether the request may have reached the service (and so may have had an
    /// effect). `false` means it certainly did not.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Error::Validation(_) | Error::Credentials(_) | Error::Config(_) => false,
            Error::Transport { sent, .. } | Error::Timeout { sent, .. } => *sent,
            Error::Service(_) | Error::Decode(_) => true,
        }
    }

    /// The service error, if this is one.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e.as_ref()),
            _ => None,
        }
    }

    /// Whether the same call could succeed when tried again later: throttling
    /// (`Throttling*` codes), a service-side failure (`ServiceUnavailable`,
    /// `ServiceUnAvailable`, `InternalError`, any 5xx), a connection that failed
    /// or broke, a timeout, or an undecodable 5xx body (typically a gateway's
    /// page). The client retries these by itself for operations that are safe to
    /// repeat; helpers that poll (waiters) keep polling through them.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Service(e) => {
                e.code.starts_with("Throttling")
                    || matches!(
                        e.code.as_str(),
                        "ServiceUnavailable" | "ServiceUnAvailable" | "InternalError"
                    )
                    || e.status >= 500
            }
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Decode(d) => d.status >= 500,
            Error::Validation(_) | Error::Credentials(_) | Error::Config(_) => false,
        }
    }

    /// The service's error code (`Throttling.User`, ...), if the service answered one.
    pub fn code(&self) -> Option<&str> {
        self.as_service().map(|e| e.code.as_str())
    }
}

/// An error answered by the service: match on [`ServiceError::code`], not on the
/// HTTP status (Alibaba's published statuses disagree with each other).
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// `Code`, e.g. `InvalidParameter`, `Throttling.User`.
    pub code: String,
    /// `Message`.
    pub message: String,
    /// `RequestId`, to quote to Alibaba Cloud support.
    pub request_id: Option<String>,
    /// `HostId`.
    pub host_id: Option<String>,
    /// `Recommend`: a troubleshooting link.
    pub recommend: Option<String>,
    /// What this SDK can tell about the cause (clock skew, wrong secret, ...).
    pub hint: Option<String>,
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("host_id", &self.host_id)
            .field("recommend", &self.recommend)
            .field("hint", &self.hint)
            .finish()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        match &self.request_id {
            Some(id) => write!(f, " (RequestId {id}, HTTP {})", self.status)?,
            None => write!(f, " (HTTP {})", self.status)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// A response body that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "could not decode the response (HTTP {status}): {message}; body starts with {body_start:?}"
)]
pub struct DecodeError {
    /// HTTP status.
    pub status: u16,
    /// Why decoding failed.
    pub message: String,
    /// The first bytes of the body (at most 256, lossily as UTF-8).
    pub body_start: String,
}

impl DecodeError {
    pub(crate) fn new(status: u16, message: impl Into<String>, body: &[u8]) -> Self {
        let end = body.len().min(256);
        DecodeError {
            status,
            message: message.into(),
            body_start: String::from_utf8_lossy(&body[..end]).into_owned(),
        }
    }
}

/// Which rule of the spec an input broke.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A required parameter was not set.
    Required,
    /// None of a group's parameters was set; the group's members are named.
    AtLeastOneOf(Vec<String>),
    /// A list has fewer items than allowed.
    MinItems {
        /// The minimum.
        min: usize,
        /// What was given.
        got: usize,
    },
    /// A list has more items than allowed.
    MaxItems {
        /// The maximum.
        max: usize,
        /// What was given.
        got: usize,
    },
    /// A list item is empty or only white space.
    BlankItem {
        /// Zero-based position in the list.
        index: usize,
    },
    /// A list item contains the list's separator (`,` for most lists).
    ItemContainsSeparator {
        /// Zero-based position in the list.
        index: usize,
        /// The separator.
        separator: char,
    },
    /// A value contains a control character.
    ControlCharacter {
        /// Zero-based position in the list, for list items.
        index: Option<usize>,
    },
    /// A value is longer than allowed (in bytes).
    MaxLength {
        /// The maximum.
        max: usize,
        /// What was given.
        got: usize,
        /// Zero-based position in the list, for list items.
        index: Option<usize>,
    },
    /// A value is not an absolute `http` or `https` URL.
    NotHttpUrl {
        /// Zero-based position in the list, for list items.
        index: Option<usize>,
    },
    /// A value is not one of the allowed values.
    NotInEnum {
        /// The allowed values.
        allowed: Vec<String>,
    },
    /// A value could not be serialised as JSON.
    Json(String),
    /// A value has the wrong JSON type (from `--input-json` or a CLI flag).
    WrongType {
        /// What it must be: `an integer`, `a list`, ...
        expected: &'static str,
    },
    /// Text that must be JSON does not parse.
    NotJson(String),
    /// All pages were asked of an operation that does not page.
    NotPaginated,
    /// A name the operation (or the object) does not have.
    Unknown {
        /// The names it has.
        known: Vec<String>,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn at(index: &Option<usize>) -> String {
            index.map(|i| format!("item {i}: ")).unwrap_or_default()
        }
        match self {
            Rule::Required => f.write_str("is required"),
            Rule::NotJson(e) => write!(f, "is not valid JSON: {e}"),
            Rule::NotPaginated => f.write_str("the operation does not page"),
            Rule::AtLeastOneOf(names) => {
                write!(f, "at least one of {} must be set", names.join(", "))
            }
            Rule::MinItems { min, got } => write!(f, "needs at least {min} item(s), got {got}"),
            Rule::MaxItems { max, got } => write!(f, "takes at most {max} items, got {got}"),
            Rule::BlankItem { index } => write!(f, "item {index} is empty or blank"),
            Rule::ItemContainsSeparator { index, separator } => {
                write!(
                    f,
                    "item {index} contains {separator:?}, which separates items on the wire"
                )
            }
            Rule::ControlCharacter { index } => {
                write!(f, "{}contains a control character", at(index))
            }
            Rule::MaxLength { max, got, index } => {
                write!(
                    f,
                    "{}is {got} bytes long, more than the {max} allowed",
                    at(index)
                )
            }
            Rule::NotHttpUrl { index } => write!(f, "{}is not an absolute http(s) URL", at(index)),
            Rule::NotInEnum { allowed } => write!(f, "must be one of {}", allowed.join(", ")),
            Rule::Json(e) => write!(f, "could not be serialised as JSON: {e}"),
            Rule::WrongType { expected } => write!(f, "must be {expected}"),
            Rule::Unknown { known } => write!(f, "is not known here; known: {}", known.join(", ")),
        }
    }
}

/// An input that breaks a rule of the operation's spec; raised before anything
/// is sent. `param` is the wire name (`JobIds`), as in Alibaba's documentation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid input for {operation}: parameter {param} {rule}")]
pub struct ValidationError {
    /// The operation, e.g. `GetURLUploadInfos`.
    pub operation: &'static str,
    /// The parameter's wire name (for a group rule, the first member).
    pub param: String,
    /// The rule it broke.
    pub rule: Rule,
}

impl ValidationError {
    /// A new validation error.
    pub fn new(operation: &'static str, param: impl Into<String>, rule: Rule) -> Self {
        ValidationError {
            operation,
            param: param.into(),
            rule,
        }
    }
}

//! The two kinds of error: [`EmulatorError`] for the emulator itself (it could
//! not start, its store failed), and [`ApiError`], an Alibaba service error that
//! a request is answered with.

use std::path::PathBuf;

use crate::render::{render, Format, Node};

/// The emulator could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The job store in the data directory could not be opened or read.
    #[error("cannot open the job store {path}: {source}")]
    Store {
        /// The store file.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The configuration is inconsistent (the message says how).
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// Serving, printing the address, or waiting for Ctrl-C failed.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// An Alibaba service error: code, HTTP status and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// `x-acs-retry-after` (milliseconds), for throttling.
    pub(crate) retry_after_ms: Option<u64>,
    /// `x-ratelimit-user-api` (`Limit:..,Remain:0,TimeLeft:..`), for throttling.
    pub(crate) quota_header: Option<String>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_ms: None,
            quota_header: None,
        }
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!("The input parameter \"{param}\" that is mandatory for processing this request is not supplied."),
        )
    }

    /// `InvalidParameter`; `problem` completes "The parameter "X" ...".
    pub(crate) fn invalid(param: &str, problem: &str) -> Self {
        Self::invalid_with_code("InvalidParameter", param, problem)
    }

    pub(crate) fn invalid_with_code(code: &'static str, param: &str, problem: &str) -> Self {
        Self::new(
            400,
            code,
            format!("The specified parameter \"{param}\" is not valid: {problem}"),
        )
    }

    pub(crate) fn signature_mismatch(server_string_to_sign: &str) -> Self {
        Self::new(
            400,
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation. server string to sign is:{server_string_to_sign}"),
        )
    }

    pub(crate) fn incomplete_signature(problem: &str) -> Self {
        Self::new(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {problem}"),
        )
    }

    pub(crate) fn unknown_access_key() -> Self {
        Self::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    }

    pub(crate) fn nonce_used() -> Self {
        Self::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        )
    }

    pub(crate) fn timestamp_expired() -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }

    pub(crate) fn timestamp_format(param: &str) -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Format",
            format!("Specified time stamp or date value is not well formatted: \"{param}\" must be yyyy-MM-ddTHH:mm:ssZ (UTC)."),
        )
    }

    pub(crate) fn missing_security_token() -> Self {
        Self::new(
            400,
            "MissingSecurityToken",
            "This AccessKey is an STS AccessKey: the request must carry its SecurityToken.",
        )
    }

    pub(crate) fn security_token_expired() -> Self {
        Self::new(
            400,
            "InvalidSecurityToken.Expired",
            "The SecurityToken has expired.",
        )
    }

    pub(crate) fn oidc_token_invalid() -> Self {
        Self::new(
            400,
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDC token is not one the identity provider issued.",
        )
    }

    pub(crate) fn video_not_found() -> Self {
        Self::new(404, "InvalidVideo.NotFound", "The video does not exist.")
    }

    pub(crate) fn no_stream() -> Self {
        Self::new(
            404,
            "InvalidVideo.NoneStream",
            "The video has no stream to play yet.",
        )
    }

    pub(crate) fn security_token_mismatch() -> Self {
        Self::new(
            400,
            "InvalidSecurityToken.Mismatch",
            "The SecurityToken does not match the AccessKeyId.",
        )
    }

    /// Throttled by a `limit` per second bucket whose next token comes in
    /// `time_left_ms`.
    pub(crate) fn throttled(retry_after_ms: Option<u64>, limit: f64, time_left_ms: u64) -> Self {
        ApiError {
            retry_after_ms,
            quota_header: Some(format!(
                "Limit:{},Remain:0,TimeLeft:{time_left_ms},Reset:{}",
                limit.ceil(),
                (time::OffsetDateTime::now_utc() + std::time::Duration::from_millis(time_left_ms))
                    .unix_timestamp()
            )),
            ..Self::new(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            )
        }
    }

    pub(crate) fn invalid_action() -> Self {
        Self::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    pub(crate) fn invalid_version() -> Self {
        Self::new(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        )
    }

    pub(crate) fn unsupported_method() -> Self {
        Self::new(
            405,
            "UnsupportedHTTPMethod",
            "This http method is not supported: use GET or POST.",
        )
    }

    pub(crate) fn body_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body is larger than the limit of {limit} bytes."),
        )
    }

    pub(crate) fn service_unavailable() -> Self {
        Self::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }

    pub(crate) fn internal() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    /// The error body, in Alibaba's shape.
    pub(crate) fn body(&self, format: Format, request_id: &str, host_id: &str) -> String {
        let node = Node::Object(vec![
            ("RequestId", Node::text(request_id)),
            ("HostId", Node::text(host_id)),
            ("Code", Node::text(self.code)),
            ("Message", Node::text(self.message.as_str())),
            (
                "Recommend",
                Node::text(format!(
                    "https://api.aliyun.com/troubleshoot?q={}&product=Vod",
                    self.code
                )),
            ),
        ]);
        render(format, "Error", &node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_match_alibabas_shape() {
        let e = ApiError::missing("JobIds");
        assert_eq!(
            e.body(Format::Json, "R-1", "h:1"),
            r#"{"RequestId":"R-1","HostId":"h:1","Code":"MissingParameter","Message":"The input parameter \"JobIds\" that is mandatory for processing this request is not supplied.","Recommend":"https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Vod"}"#
        );
        assert_eq!(
            ApiError::nonce_used().body(Format::Xml, "R-1", "h:1"),
            "<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R-1</RequestId><HostId>h:1</HostId>\
             <Code>SignatureNonceUsed</Code><Message>Specified signature nonce was used already.</Message>\
             <Recommend>https://api.aliyun.com/troubleshoot?q=SignatureNonceUsed&amp;product=Vod</Recommend></Error>"
        );
    }
}

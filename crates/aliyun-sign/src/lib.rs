//! Alibaba Cloud request signatures, byte-exact with Alibaba's official SDKs.
//!
//! This crate owns the signing algorithms and nothing else: no I/O, no async, no
//! HTTP-library types. Time and nonce are inputs ([`Timestamp`], [`Nonce`]), so a
//! signature is a pure function of its arguments.
//!
//! - [`rpc`]: RPC signature V1 (`HMAC-SHA1`, `SignatureVersion=1.0`), the default
//!   for RPC-style APIs such as ApsaraVideo VOD.
//! - [`acs3`]: signature V3 (`ACS3-HMAC-SHA256`), what Alibaba's newest SDKs send.
//! - [`percent_encode`]: the one encoder both use, for signing and for the wire.
//! - [`Credentials`]: an AccessKey pair (+ STS token) whose `Debug` and `Display`
//!   never show the secret or the token.
//!
//! Every stage of each algorithm is a public function, checked separately against
//! Alibaba's published and official-SDK vectors (`tests/vectors*`).
//!
//! ```
//! use aliyun_sign::{rpc, Credentials, Method, Nonce, Timestamp};
//!
//! let creds = Credentials::new("LTAI5tTestAccessKey0001", "TestAccessKeySecret0123456789ab");
//! let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
//! let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
//! let signed = rpc::sign(
//!     &creds,
//!     &rpc::RpcRequest {
//!         method: Method::Post,
//!         action: "GetURLUploadInfos",
//!         version: "2017-03-21",
//!         format: "JSON",
//!         timestamp: &ts,
//!         nonce: &nonce,
//!     },
//!     &[("JobIds", "a1,b2")],
//! );
//! // The POST body (or GET query string), encoded exactly as signed:
//! assert!(signed.encoded().starts_with("AccessKeyId=LTAI5tTestAccessKey0001&Action=GetURLUploadInfos"));
//! assert!(signed.encoded().contains("&JobIds=a1%2Cb2&"));
//! ```

#![deny(missing_docs)]

pub mod acs3;
mod common;
mod credentials;
mod encode;
pub mod rpc;

pub use common::{Method, Nonce, Timestamp, TimestampError};
pub use credentials::{Credentials, Secret};
pub use encode::{is_unreserved, percent_encode, percent_encode_into};

/// Splits an `&`-joined, percent-encoded parameter string into decoded pairs.
/// `+` is kept as a literal `+`: this crate never writes it for a space.
pub fn decode_pairs(encoded: &str) -> Vec<(String, String)> {
    encoded
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8 is
/// replaced with U+FFFD).
pub fn percent_decode(input: &str) -> String {
    percent_encoding::percent_decode_str(input)
        .decode_utf8_lossy()
        .into_owned()
}

/// Replaces every appearance of the credentials' secret and STS token in `text`
/// (as given, percent-encoded once and twice, as they appear in canonical strings
/// and strings to sign) with `** redacted **`. Use it before showing a string to
/// sign or a canonical request.
///
/// ```
/// use aliyun_sign::{redact, Credentials};
/// let c = Credentials::new("id", "sec").with_security_token("a+b/c=");
/// let sts = "POST&%2F&SecurityToken%3Da%252Bb%252Fc%253D%26x%3D1";
/// assert_eq!(redact(sts, &c), "POST&%2F&SecurityToken%3D** redacted **%26x%3D1");
/// ```
pub fn redact(text: &str, credentials: &Credentials) -> String {
    let mut out = text.to_owned();
    let mut secrets: Vec<&str> = vec![credentials.access_key_secret().expose()];
    if let Some(t) = credentials.security_token() {
        secrets.push(t.expose());
    }
    for s in secrets.into_iter().filter(|s| !s.is_empty()) {
        let once = percent_encode(s);
        let twice = percent_encode(&once);
        // Longest form first, so a shorter form never matches inside a longer one.
        for form in [twice, once, s.to_owned()] {
            if out.contains(&form) {
                out = out.replace(&form, "** redacted **");
            }
        }
    }
    out
}

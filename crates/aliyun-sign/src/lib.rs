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
//! use aliyun_sign::{rpc, Credentials, HttpMethod, Nonce, Timestamp};
//!
//! let creds = Credentials::new("LTAI5tTestAccessKey0001", "TestAccessKeySecret0123456789ab");
//! let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
//! let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
//! let signed = rpc::sign(
//!     &creds,
//!     &rpc::RpcRequest {
//!         method: HttpMethod::Post,
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
pub mod oss4;
pub mod rpc;

pub use common::{HttpMethod, Nonce, Timestamp, TimestampError};
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

/// Secrets shorter than this are not searched for as bare substrings (a three-letter
/// test secret would otherwise mangle words like `security`); they are still
/// redacted where they are known to travel.
const MIN_SEARCHED_SECRET: usize = 8;

/// Replaces the credentials' secret and STS token in `text` with `** redacted **`.
/// Use it before showing a string to sign, a canonical request, a request line or
/// anything a server echoed back.
///
/// Two passes: first the places the token travels are blanked whatever the token
/// is (the `SecurityToken` parameter, plain or percent-encoded once or twice as in
/// strings to sign, and the `x-acs-security-token` header); then the secret and
/// token are searched for anywhere, as given and percent-encoded once and twice.
///
/// ```
/// use aliyun_sign::{redact, Credentials};
/// let c = Credentials::new("id", "secret-value-123").with_security_token("a+b/c=token");
/// let sts = "POST&%2F&SecurityToken%3Da%252Bb%252Fc%253Dtoken%26x%3D1";
/// assert_eq!(redact(sts, &c), "POST&%2F&SecurityToken%3D** redacted **%26x%3D1");
/// assert_eq!(redact("x-acs-security-token: a+b/c=token\nhost: h", &c), "x-acs-security-token: ** redacted **\nhost: h");
/// assert_eq!(redact("echo secret-value-123!", &c), "echo ** redacted **!");
/// ```
pub fn redact(text: &str, credentials: &Credentials) -> String {
    let mut out = text.to_owned();
    if credentials.security_token().is_some() {
        // `name` followed by the value up to the first of `ends`.
        for (name, ends) in [
            ("SecurityToken=", &["&", "\n", " "][..]),
            ("SecurityToken%3D", &["%26", "&", "\n", " "][..]),
            ("SecurityToken%253D", &["%2526", "%26", "&", "\n", " "][..]),
            ("x-acs-security-token:", &["\n"][..]),
        ] {
            out = blank_values(&out, name, ends);
        }
    }
    let mut secrets: Vec<&str> = vec![credentials.access_key_secret().expose()];
    if let Some(t) = credentials.security_token() {
        secrets.push(t.expose());
    }
    for s in secrets
        .into_iter()
        .filter(|s| s.len() >= MIN_SEARCHED_SECRET)
    {
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

/// Replaces the value after each `name` (up to the earliest of `ends`, or the end
/// of the text) with `** redacted **`, keeping one leading space if there is one.
fn blank_values(text: &str, name: &str, ends: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(name) {
        let (head, tail) = rest.split_at(i + name.len());
        out.push_str(head);
        let value_start = if tail.starts_with(' ') { 1 } else { 0 };
        let end = ends
            .iter()
            .filter_map(|e| tail[value_start..].find(e))
            .min()
            .map(|e| e + value_start)
            .unwrap_or(tail.len());
        out.push_str(&tail[..value_start]);
        if end > value_start {
            out.push_str("** redacted **");
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_test_secrets_do_not_mangle_labels() {
        let c = Credentials::new("id", "sec").with_security_token("tok");
        let text =
            "GET http://h/?AccessKeyId=id&SecurityToken=tok&X=1\nx-acs-security-token: tok\n";
        assert_eq!(
            redact(text, &c),
            "GET http://h/?AccessKeyId=id&SecurityToken=** redacted **&X=1\nx-acs-security-token: ** redacted **\n"
        );
    }

    #[test]
    fn every_encoding_of_a_long_token_is_removed() {
        let token = "CAIS+/abc==token-value-long";
        let c = Credentials::new("id", "secret-value-long").with_security_token(token);
        let once = percent_encode(token);
        let twice = percent_encode(&once);
        for text in [
            token.to_owned(),
            once.clone(),
            twice.clone(),
            format!("a {token} b {once} c {twice}"),
        ] {
            let r = redact(&text, &c);
            assert!(
                !r.contains(token) && !r.contains(&once) && !r.contains(&twice),
                "{r}"
            );
        }
        assert_eq!(redact("no secrets here", &c), "no secrets here");
    }
}

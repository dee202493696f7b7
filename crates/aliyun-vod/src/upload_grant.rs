//! Where an upload goes and the credentials to put it there: the
//! `UploadAddress` and `UploadAuth` that CreateUploadVideo, RefreshUploadVideo,
//! CreateUploadImage and CreateUploadAttachedMedia answer, each a Base64 JSON
//! document, decoded into typed values.
//!
//! `UploadAuth` is an STS credential for the target bucket: its secret and
//! token never appear in `Debug`, `Display` or an error, and an error never
//! quotes the decoded document.
//!
//! ```
//! use aliyun_vod::upload_grant::{UploadAddress, UploadAuth};
//! use base64::Engine as _;
//! let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
//!
//! let address = UploadAddress::decode(&b64(
//!     r#"{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com","Bucket":"outin-1","FileName":"sv/1/a.mp4"}"#,
//! )).unwrap();
//! assert_eq!(address.region().as_deref(), Some("cn-shanghai"));
//!
//! let auth = UploadAuth::decode(&b64(
//!     r#"{"AccessKeyId":"STS.x","AccessKeySecret":"s3cret","SecurityToken":"CAIS-token","ExpireUTCTime":"2026-12-03T08:00:00Z","Expiration":"3600"}"#,
//! )).unwrap();
//! assert!(!format!("{auth:?}").contains("s3cret"));
//! assert_eq!(auth.credentials().security_token().map(|t| t.expose()), Some("CAIS-token"));
//! ```

use std::fmt;

use aliyun_runtime::serde_json;
use aliyun_runtime::Credentials;
use base64::Engine as _;
use serde::Deserialize;
use time::OffsetDateTime;

/// A grant that could not be decoded: which one and field, and the rule it
/// breaks. Never holds any of its content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct GrantError {
    /// `UploadAuth`, `UploadAddress.Bucket`, ...
    pub field: String,
    /// What is wrong.
    pub problem: &'static str,
}

fn error(field: impl Into<String>, problem: &'static str) -> GrantError {
    GrantError {
        field: field.into(),
        problem,
    }
}

/// Base64 (standard alphabet, padding optional), then JSON.
fn decode_json<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<T, GrantError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(error(what, "is missing or empty"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .map_err(|_| error(what, "is not Base64"))?;
    serde_json::from_slice(&bytes).map_err(|_| error(what, "is not the JSON document expected"))
}

fn required(value: Option<String>, field: &str) -> Result<String, GrantError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| error(field, "is missing or empty"))
}

/// Where the upload goes: an OSS endpoint, bucket and object key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadAddress {
    /// The OSS endpoint, e.g. `https://oss-cn-shanghai.aliyuncs.com`.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The object key (`FileName`).
    pub object_key: String,
}

#[derive(Deserialize)]
struct RawAddress {
    #[serde(rename = "Endpoint")]
    endpoint: Option<String>,
    #[serde(rename = "Bucket")]
    bucket: Option<String>,
    #[serde(rename = "FileName")]
    file_name: Option<String>,
}

impl UploadAddress {
    /// Decodes the `UploadAddress` of an answer.
    pub fn decode(text: &str) -> Result<Self, GrantError> {
        let raw: RawAddress = decode_json(text, "UploadAddress")?;
        let endpoint = required(raw.endpoint, "UploadAddress.Endpoint")?;
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(error("UploadAddress.Endpoint", "is not an http(s) URL"));
        }
        let bucket = required(raw.bucket, "UploadAddress.Bucket")?;
        let bucket_name = bucket.len() <= 63
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !bucket_name {
            return Err(error(
                "UploadAddress.Bucket",
                "is not a bucket name (lower-case letters, digits and hyphens)",
            ));
        }
        Ok(UploadAddress {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            bucket,
            object_key: required(raw.file_name, "UploadAddress.FileName")?,
        })
    }

    /// The OSS region of the endpoint (`oss-cn-shanghai[-internal].aliyuncs.com`
    /// gives `cn-shanghai`), for the signature's scope; `None` for an endpoint
    /// of another form (a local emulator's).
    pub fn region(&self) -> Option<String> {
        let host = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest);
        let host = host.split(['/', ':']).next().unwrap_or(host);
        let label = host.strip_suffix(".aliyuncs.com")?.split('.').next()?;
        let region = label.strip_prefix("oss-")?;
        let region = region.strip_suffix("-internal").unwrap_or(region);
        (!region.is_empty()).then(|| region.to_owned())
    }
}

/// STS credentials for the upload, and when they expire.
#[derive(Clone)]
pub struct UploadAuth {
    credentials: Credentials,
    /// When they expire (`ExpireUTCTime`), if the answer says.
    pub expires_at: Option<OffsetDateTime>,
    /// Their lifetime in seconds as answered (`Expiration`), if it says.
    pub lifetime_seconds: Option<u64>,
    /// The region (`Region`), if the answer says.
    pub region: Option<String>,
}

impl fmt::Debug for UploadAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadAuth")
            .field("access_key_id", &self.credentials.access_key_id())
            .field("access_key_secret", &"** redacted **")
            .field("security_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .field("lifetime_seconds", &self.lifetime_seconds)
            .field("region", &self.region)
            .finish()
    }
}

#[derive(Deserialize)]
struct RawAuth {
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: Option<String>,
    #[serde(rename = "SecurityToken")]
    security_token: Option<String>,
    #[serde(rename = "ExpireUTCTime")]
    expire_utc_time: Option<String>,
    /// A number or a string of one, depending on the answer.
    #[serde(rename = "Expiration")]
    expiration: Option<serde_json::Value>,
    #[serde(rename = "Region")]
    region: Option<String>,
}

impl UploadAuth {
    /// Decodes the `UploadAuth` of an answer.
    pub fn decode(text: &str) -> Result<Self, GrantError> {
        let raw: RawAuth = decode_json(text, "UploadAuth")?;
        let id = required(raw.access_key_id, "UploadAuth.AccessKeyId")?;
        let secret = required(raw.access_key_secret, "UploadAuth.AccessKeySecret")?;
        let token = required(raw.security_token, "UploadAuth.SecurityToken")?;
        let expires_at = match raw.expire_utc_time.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(
                OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339)
                    .map_err(|_| error("UploadAuth.ExpireUTCTime", "is not an RFC 3339 time"))?,
            ),
            None => None,
        };
        let lifetime_seconds = match raw.expiration {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        };
        Ok(UploadAuth {
            credentials: Credentials::new(id, secret).with_security_token(token),
            expires_at,
            lifetime_seconds,
            region: raw.region.filter(|r| !r.trim().is_empty()),
        })
    }

    /// The credentials to sign OSS requests with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// When to ask for new credentials: `margin` before they expire, or
    /// `None` when the answer did not say when that is.
    pub fn refresh_at(&self, margin: std::time::Duration) -> Option<OffsetDateTime> {
        self.expires_at.map(|at| at - margin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    const SECRET: &str = "Grant/Secret+Value=1";
    const TOKEN: &str = "CAIS+grant/token==";

    #[test]
    fn auth_decodes_and_never_shows_its_secrets() {
        let json = format!(
            r#"{{"AccessKeyId":"STS.NKt","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}","ExpireUTCTime":"2026-12-03T08:00:22Z","Expiration":3600,"Region":"cn-beijing"}}"#
        );
        let auth = UploadAuth::decode(&b64(&json)).unwrap();
        assert_eq!(auth.credentials().access_key_id(), "STS.NKt");
        assert_eq!(auth.credentials().access_key_secret().expose(), SECRET);
        assert_eq!(auth.lifetime_seconds, Some(3600));
        assert_eq!(auth.region.as_deref(), Some("cn-beijing"));
        let at = auth.expires_at.unwrap();
        assert_eq!((at.hour(), at.minute(), at.second()), (8, 0, 22));
        assert_eq!(
            auth.refresh_at(std::time::Duration::from_secs(300))
                .unwrap()
                .minute(),
            55
        );
        let shown = format!("{auth:?} {auth:#?}");
        assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
        // Expiration as a string, unpadded Base64.
        let json = format!(
            r#"{{"AccessKeyId":"a","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}","Expiration":"1800"}}"#
        );
        let unpadded = b64(&json).trim_end_matches('=').to_owned();
        let auth = UploadAuth::decode(&unpadded).unwrap();
        assert_eq!((auth.lifetime_seconds, auth.expires_at), (Some(1800), None));
    }

    #[test]
    fn bad_grants_name_the_field_and_quote_nothing() {
        let cases = [
            ("".to_owned(), "UploadAuth: is missing or empty"),
            ("%%%".to_owned(), "UploadAuth: is not Base64"),
            (
                b64(&format!("[\"{SECRET}\"]")),
                "UploadAuth: is not the JSON document expected",
            ),
            (
                b64(&format!(
                    r#"{{"AccessKeyId":"a","SecurityToken":"{TOKEN}"}}"#
                )),
                "UploadAuth.AccessKeySecret: is missing or empty",
            ),
            (
                b64(&format!(
                    r#"{{"AccessKeyId":"a","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}","ExpireUTCTime":"soon"}}"#
                )),
                "UploadAuth.ExpireUTCTime: is not an RFC 3339 time",
            ),
        ];
        for (text, want) in cases {
            let e = UploadAuth::decode(&text).unwrap_err();
            assert_eq!(e.to_string(), want);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
        }
    }

    #[test]
    fn address_decodes_and_knows_its_region() {
        let a = UploadAddress::decode(&b64(
            r#"{"Endpoint":"https://oss-cn-shanghai-internal.aliyuncs.com/","Bucket":"outin-abc","FileName":"sv/5a/5a.mp4"}"#,
        ))
        .unwrap();
        assert_eq!(a.endpoint, "https://oss-cn-shanghai-internal.aliyuncs.com");
        assert_eq!(
            (a.bucket.as_str(), a.object_key.as_str()),
            ("outin-abc", "sv/5a/5a.mp4")
        );
        assert_eq!(a.region().as_deref(), Some("cn-shanghai"));
        let local = UploadAddress {
            endpoint: "http://127.0.0.1:8080".to_owned(),
            ..a.clone()
        };
        assert_eq!(local.region(), None);
        let e = UploadAddress::decode(&b64(
            r#"{"Endpoint":"ftp://x","Bucket":"b","FileName":"f"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "UploadAddress.Endpoint: is not an http(s) URL"
        );
        let e =
            UploadAddress::decode(&b64(r#"{"Endpoint":"https://x","FileName":"f"}"#)).unwrap_err();
        assert_eq!(e.field, "UploadAddress.Bucket");
        let e = UploadAddress::decode(&b64(
            r#"{"Endpoint":"https://x","Bucket":"////","FileName":"f"}"#,
        ))
        .unwrap_err();
        assert_eq!(e.field, "UploadAddress.Bucket");
    }
}

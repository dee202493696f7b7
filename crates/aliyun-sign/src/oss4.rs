//! OSS Signature V4: `OSS4-HMAC-SHA256`, header mode. VOD hands uploads to
//! OSS with STS credentials (CreateUploadVideo's UploadAuth); every OSS
//! request of an upload is signed this way.
//!
//! The stages, each a public function, as Alibaba's OSS SDKs define them:
//!
//! 1. [`canonical_uri`][]: `/bucket/key` from the logical bucket and key (not
//!    the URL path), percent-encoded byte by byte, `/` kept.
//! 2. [`canonical_query`][]: every query parameter, names and values
//!    [percent-encoded](crate::percent_encode) (`/` too), sorted by name; a
//!    parameter without a value is its bare name.
//! 3. [`canonical_headers`][]: `x-oss-*`, `content-type`, `content-md5` and the
//!    additional headers the caller names (those present and not signed
//!    anyway), names lower-cased, values trimmed, sorted; repeated names are
//!    joined with `,`. Returns the header block and the additional list.
//! 4. [`canonical_request`][]: `METHOD\nURI\nQUERY\nHEADERS\nADDITIONAL\nPAYLOAD_HASH`.
//! 5. [`string_to_sign`][]: `OSS4-HMAC-SHA256\n<x-oss-date>\n<scope>\n` + hex
//!    SHA-256 of the canonical request, where the [`scope`] is
//!    `<date>/<region>/<product>/aliyun_v4_request`.
//! 6. [`signing_key`][]: HMAC-SHA256 keyed with `aliyun_v4` + secret over the
//!    date, then the region, the product and `aliyun_v4_request`;
//!    [`signature`] is the hex HMAC-SHA256 of the string to sign under it, and
//!    [`authorization`] builds the `Authorization` header value.
//!
//! [`sign`] adds the headers the signer owns (`x-oss-date`,
//! `x-oss-content-sha256: UNSIGNED-PAYLOAD`, and `x-oss-security-token` with an
//! STS token, which is therefore signed) and runs every stage.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{percent_encode, Credentials};

/// The algorithm name, first in the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";
/// The payload hash of header-mode requests: the body is not hashed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The product of plain OSS in the scope.
pub const PRODUCT: &str = "oss";

/// `/bucket/key`, `/bucket/` or `/`, percent-encoded with `/` kept.
///
/// ```
/// use aliyun_sign::oss4::canonical_uri;
/// assert_eq!(canonical_uri(Some("b"), Some("a b/c+d.mp4")), "/b/a%20b/c%2Bd.mp4");
/// assert_eq!(canonical_uri(Some("b"), None), "/b/");
/// assert_eq!(canonical_uri(None, None), "/");
/// ```
pub fn canonical_uri(bucket: Option<&str>, key: Option<&str>) -> String {
    let mut raw = String::from("/");
    if let Some(bucket) = bucket {
        raw.push_str(bucket);
        raw.push('/');
        if let Some(key) = key {
            raw.push_str(key);
        }
    }
    let segments: Vec<String> = raw.split('/').map(percent_encode).collect();
    segments.join("/")
}

/// The canonical query: encoded pairs sorted by name (then value), `name=value`
/// or the bare name when the value is empty, joined with `&`.
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
        .collect();
    parts.join("&")
}

fn signed_by_default(lower: &str) -> bool {
    lower.starts_with("x-oss-") || lower == "content-type" || lower == "content-md5"
}

/// The canonical header block (`name:value\n` per signed header) and the
/// additional headers actually signed (`a;b`, possibly empty): of
/// `additional`, those present in `headers` and not signed anyway,
/// lower-cased, sorted, without repeats.
pub fn canonical_headers(headers: &[(&str, &str)], additional: &[&str]) -> (String, String) {
    let present: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    let mut extra: Vec<String> = additional
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !signed_by_default(h) && present.contains(h))
        .collect();
    extra.sort();
    extra.dedup();
    let mut signed: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if !(signed_by_default(&lower) || extra.contains(&lower)) {
            continue;
        }
        let value = value.trim();
        match signed.iter_mut().find(|(n, _)| *n == lower) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(value);
            }
            None => signed.push((lower, value.to_owned())),
        }
    }
    signed.sort();
    let mut block = String::new();
    for (name, value) in &signed {
        block.push_str(name);
        block.push(':');
        block.push_str(value);
        block.push('\n');
    }
    (block, extra.join(";"))
}

/// The six parts joined with `\n` (the header block ends with its own `\n`).
pub fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &str,
    additional: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n{uri}\n{query}\n{headers}\n{additional}\n{payload_hash}")
}

/// `20231216T162057Z`: the `x-oss-date` value.
pub fn datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `<date>/<region>/<product>/aliyun_v4_request`; `date` is the first eight
/// characters of [`datetime`].
pub fn scope(date: &str, region: &str, product: &str) -> String {
    format!("{date}/{region}/{product}/aliyun_v4_request")
}

/// The string to sign.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    let hash = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{datetime}\n{scope}\n{hash}")
}

fn hmac(key: &[u8], message: &str) -> [u8; 32] {
    // HMAC takes a key of any length: new_from_slice cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The signing key of a day, region and product.
pub fn signing_key(secret: &str, date: &str, region: &str, product: &str) -> [u8; 32] {
    let k = hmac(format!("aliyun_v4{secret}").as_bytes(), date);
    let k = hmac(&k, region);
    let k = hmac(&k, product);
    hmac(&k, "aliyun_v4_request")
}

/// The hex signature of `string_to_sign` under `key`.
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign))
}

/// `OSS4-HMAC-SHA256 Credential=<id>/<scope>[,AdditionalHeaders=<a;b>],Signature=<hex>`.
pub fn authorization(
    access_key_id: &str,
    scope: &str,
    additional: &str,
    signature: &str,
) -> String {
    let mut out = format!("{ALGORITHM} Credential={access_key_id}/{scope}");
    if !additional.is_empty() {
        out.push_str(",AdditionalHeaders=");
        out.push_str(additional);
    }
    out.push_str(",Signature=");
    out.push_str(signature);
    out
}

/// One OSS request to sign.
#[derive(Clone, Copy, Debug)]
pub struct OssRequest<'a> {
    /// `PUT`, `POST`, `GET`, `DELETE`, `HEAD`.
    pub method: &'a str,
    /// The region id in the scope (`cn-shanghai`, not `oss-cn-shanghai`).
    pub region: &'a str,
    /// [`PRODUCT`] for OSS.
    pub product: &'a str,
    /// The bucket, if the request addresses one.
    pub bucket: Option<&'a str>,
    /// The object key (raw, not encoded), if the request addresses one.
    pub key: Option<&'a str>,
    /// The headers the caller sends (those the signer owns are replaced).
    pub headers: &'a [(&'a str, &'a str)],
    /// The query parameters, raw.
    pub query: &'a [(&'a str, &'a str)],
    /// Other headers to sign (`content-length`, ...).
    pub additional_headers: &'a [&'a str],
    /// The signing time.
    pub time: OffsetDateTime,
}

/// A signed OSS request: the headers to add and each stage, for tests.
///
/// `Debug` redacts `x-oss-security-token` and leaves out the stages, which
/// carry it.
#[derive(Clone)]
pub struct SignedOss {
    headers: Vec<(&'static str, String)>,
    canonical_request: String,
    string_to_sign: String,
}

impl std::fmt::Debug for SignedOss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let v = if *k == "x-oss-security-token" {
                    "** redacted **"
                } else {
                    v.as_str()
                };
                (*k, v)
            })
            .collect();
        f.debug_struct("SignedOss")
            .field("headers", &shown)
            .finish_non_exhaustive()
    }
}

impl SignedOss {
    /// The headers to send besides the caller's: `x-oss-date`,
    /// `x-oss-content-sha256`, `x-oss-security-token` (with an STS token) and
    /// `authorization`.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The canonical request (holds the STS token, if any).
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| *k == "authorization")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Signs `req` with `credentials`: adds the signer's own headers (replacing
/// any the caller gave) and runs every stage.
pub fn sign(credentials: &Credentials, req: &OssRequest<'_>) -> SignedOss {
    let datetime = datetime(req.time);
    let mut own: Vec<(&'static str, String)> = vec![
        ("x-oss-date", datetime.clone()),
        ("x-oss-content-sha256", UNSIGNED_PAYLOAD.to_owned()),
    ];
    if let Some(token) = credentials.security_token().map(|t| t.expose()) {
        if !token.is_empty() {
            own.push(("x-oss-security-token", token.to_owned()));
        }
    }
    let mut headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(k, _)| !own.iter().any(|(o, _)| k.eq_ignore_ascii_case(o)))
        .copied()
        .collect();
    headers.extend(own.iter().map(|(k, v)| (*k, v.as_str())));
    let (block, additional) = canonical_headers(&headers, req.additional_headers);
    let canonical_request = canonical_request(
        req.method,
        &canonical_uri(req.bucket, req.key),
        &canonical_query(req.query),
        &block,
        &additional,
        UNSIGNED_PAYLOAD,
    );
    let scope = scope(&datetime[..8], req.region, req.product);
    let string_to_sign = string_to_sign(&datetime, &scope, &canonical_request);
    let key = signing_key(
        credentials.access_key_secret().expose(),
        &datetime[..8],
        req.region,
        req.product,
    );
    let signature = signature(&key, &string_to_sign);
    own.push((
        "authorization",
        authorization(credentials.access_key_id(), &scope, &additional, &signature),
    ));
    SignedOss {
        headers: own,
        canonical_request,
        string_to_sign,
    }
}

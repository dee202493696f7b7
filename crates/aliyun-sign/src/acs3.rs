//! Signature V3: `ACS3-HMAC-SHA256`.
//!
//! The stages, each a public function:
//!
//! 1. [`canonical_query_string`][]: query parameters sorted by name, names and values
//!    [percent-encoded](crate::percent_encode).
//! 2. [`canonical_headers`][]: `host`, `content-type` and every `x-acs-*` header, names
//!    lower-cased, values trimmed, sorted by name; repeated names are joined with `,`.
//!    Returns the header block and the `SignedHeaders` list.
//! 3. [`canonical_request`][]: `METHOD\nPATH\nQUERY\nHEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH`.
//! 4. [`string_to_sign`][]: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
//! 5. [`signature`][]: hex HMAC-SHA256 keyed with the secret; [`authorization`] builds
//!    the `Authorization` header value.
//!
//! [`sign`] adds the `x-acs-*` headers an RPC call needs and runs every stage.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::common::{HttpMethod, Nonce, Timestamp};
use crate::credentials::Credentials;

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Hex SHA-256 of the empty body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Stage 1: the canonical query string (same rules as RPC V1's canonical string).
///
/// ```
/// use aliyun_sign::acs3::canonical_query_string;
/// assert_eq!(canonical_query_string(&[("test", "ok"), ("empty", "")]), "empty=&test=ok");
/// ```
pub fn canonical_query_string(query: &[(&str, &str)]) -> String {
    crate::rpc::canonicalized_query_string(query)
}

/// Stage 2: the canonical header block (each line ends in `\n`) and the
/// `SignedHeaders` value (`;`-separated names).
///
/// ```
/// use aliyun_sign::acs3::canonical_headers;
/// let (block, signed) = canonical_headers(&[("X-Acs-Test", " a "), ("x-acs-test", "b"), ("Accept", "x")]);
/// assert_eq!(block, "x-acs-test:a,b\n");
/// assert_eq!(signed, "x-acs-test");
/// ```
pub fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .filter_map(|(name, value)| {
            let lower = name.trim().to_ascii_lowercase();
            is_signed_header(&lower).then(|| (lower, value.trim()))
        })
        .collect();
    // Sort by name, then by value, so repeated headers give one answer whatever
    // order they were supplied in.
    signed.sort_unstable();
    let mut block = String::new();
    let mut names = String::new();
    let mut i = 0;
    while i < signed.len() {
        let name = &signed[i].0;
        if !names.is_empty() {
            names.push(';');
        }
        names.push_str(name);
        block.push_str(name);
        block.push(':');
        let mut first = true;
        while i < signed.len() && signed[i].0 == *name {
            if !first {
                block.push(',');
            }
            block.push_str(signed[i].1);
            first = false;
            i += 1;
        }
        block.push('\n');
    }
    (block, names)
}

fn is_signed_header(lower: &str) -> bool {
    lower == "host" || lower == "content-type" || lower.starts_with("x-acs-")
}

/// Stage 3: the canonical request.
///
/// `canonical_headers` is stage 2's block (ending in `\n`), which is why a blank
/// line separates it from the signed header names.
pub fn canonical_request(
    method: HttpMethod,
    pathname: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_sha256: &str,
) -> String {
    let mut out = String::with_capacity(
        16 + pathname.len()
            + canonical_query.len()
            + canonical_headers.len()
            + signed_headers.len()
            + payload_sha256.len(),
    );
    out.push_str(method.as_str());
    out.push('\n');
    out.push_str(pathname);
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    out.push_str(canonical_headers);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_sha256);
    out
}

/// Stage 4: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    let digest = Sha256::digest(canonical_request.as_bytes());
    let mut out = String::with_capacity(ALGORITHM.len() + 1 + 64);
    out.push_str(ALGORITHM);
    out.push('\n');
    push_hex(&mut out, &digest);
    out
}

/// Stage 5: hex HMAC-SHA256 of the string to sign, keyed with the secret itself.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = hmac_key(secret);
    mac.update(string_to_sign.as_bytes());
    hex32(&mac.finalize().into_bytes())
}

/// The `Authorization` header value.
///
/// ```
/// use aliyun_sign::acs3::authorization;
/// assert_eq!(
///     authorization("AKID", "host;x-acs-date", "abc"),
///     "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=host;x-acs-date,Signature=abc"
/// );
/// ```
pub fn authorization(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    let parts = [
        ALGORITHM,
        " Credential=",
        access_key_id,
        ",SignedHeaders=",
        signed_headers,
        ",Signature=",
        signature,
    ];
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Hex SHA-256 of a request body (`x-acs-content-sha256`).
pub fn payload_sha256(body: &[u8]) -> String {
    if body.is_empty() {
        return EMPTY_PAYLOAD_SHA256.to_owned();
    }
    hex32(&Sha256::digest(body))
}

/// What one ACS3 call needs to be signed.
#[derive(Clone, Copy, Debug)]
pub struct Acs3Request<'a> {
    /// HTTP method.
    pub method: HttpMethod,
    /// The `host` header, e.g. `vod.cn-shanghai.aliyuncs.com` (with `:port` when
    /// the URL names one).
    pub host: &'a str,
    /// The path, `/` for RPC-style APIs.
    pub pathname: &'a str,
    /// `x-acs-action`.
    pub action: &'a str,
    /// `x-acs-version`.
    pub version: &'a str,
    /// `x-acs-date`.
    pub timestamp: &'a Timestamp,
    /// `x-acs-signature-nonce`.
    pub nonce: &'a Nonce,
    /// The request body (empty for none) and its content type.
    pub body: &'a [u8],
    /// `content-type` of the body; signed when present.
    pub content_type: Option<&'a str>,
}

/// The result of [`sign`]: headers to send, the query string to send, and the
/// stages for diagnostics.
///
/// `Debug` redacts `x-acs-security-token` and leaves out the stages, which carry
/// the token too: pass them through [`crate::redact`] before showing them.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedAcs3 {
    headers: Vec<(&'static str, String)>,
    query: String,
    canonical_request: String,
    string_to_sign: String,
    signature: String,
}

impl std::fmt::Debug for SignedAcs3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if *k == "x-acs-security-token" {
                    "** redacted **"
                } else {
                    v.as_str()
                };
                (*k, shown)
            })
            .collect();
        f.debug_struct("SignedAcs3")
            .field("headers", &headers)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl SignedAcs3 {
    /// Headers to send, `authorization` included (`host` too: send it as given).
    /// The STS token, when present, is among them as `x-acs-security-token`.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The query string to send after `?`: the canonical query, encoded as signed.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Stage 3 output.
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// Stage 4 output.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Stage 5 output (hex).
    pub fn signature(&self) -> &str {
        &self.signature
    }
}

/// Signs one RPC call with ACS3-HMAC-SHA256. `query` holds the operation's
/// parameters in wire form (values not yet encoded); they travel in the query
/// string whatever the method.
///
/// The result is what stages 1 to 5 give (a test checks it against them); the
/// headers it signs are known and lower-case, so it writes their canonical
/// block in sorted order directly, and the HMAC key schedule is kept per
/// credentials.
pub fn sign(
    credentials: &Credentials,
    request: &Acs3Request<'_>,
    query: &[(&str, &str)],
) -> SignedAcs3 {
    let payload_hash = payload_sha256(request.body);
    let token = credentials.security_token().map(|t| t.expose());
    // With an STS token, Alibaba's SDKs send and sign the AccessKey ID beside it.
    let token_key_id = token.map(|_| credentials.access_key_id());
    // Every signed header, sorted by name (the order stage 2 gives).
    let signed: [(&'static str, Option<&str>); 9] = [
        ("content-type", request.content_type),
        ("host", Some(request.host)),
        ("x-acs-accesskey-id", token_key_id),
        ("x-acs-action", Some(request.action)),
        ("x-acs-content-sha256", Some(&payload_hash)),
        ("x-acs-date", Some(request.timestamp.as_str())),
        ("x-acs-security-token", token),
        ("x-acs-signature-nonce", Some(request.nonce.as_str())),
        ("x-acs-version", Some(request.version)),
    ];
    let present = || signed.iter().filter_map(|(k, v)| v.map(|v| (*k, v)));

    let query_string = canonical_query_string(query);
    // Each header is `name:value\n` in the block and `name;` in the list.
    let names_len: usize = present().map(|(k, _)| k.len() + 1).sum();
    let values_len: usize = present().map(|(_, v)| v.len() + 2).sum();
    let mut signed_headers = String::with_capacity(names_len);
    let mut canonical_request = String::with_capacity(
        request.method.as_str().len()
            + request.pathname.len()
            + query_string.len()
            + 2 * names_len
            + values_len
            + payload_hash.len()
            + 8,
    );
    canonical_request.push_str(request.method.as_str());
    canonical_request.push('\n');
    canonical_request.push_str(request.pathname);
    canonical_request.push('\n');
    canonical_request.push_str(&query_string);
    canonical_request.push('\n');
    for (name, value) in present() {
        canonical_request.push_str(name);
        canonical_request.push(':');
        canonical_request.push_str(value.trim());
        canonical_request.push('\n');
        if !signed_headers.is_empty() {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
    }
    canonical_request.push('\n');
    canonical_request.push_str(&signed_headers);
    canonical_request.push('\n');
    canonical_request.push_str(&payload_hash);

    let string_to_sign = string_to_sign(&canonical_request);
    let mut mac = credentials.acs3_key().clone();
    mac.update(string_to_sign.as_bytes());
    let signature = hex32(&mac.finalize().into_bytes());

    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(10);
    headers.push(("host", request.host.to_owned()));
    if let Some(ct) = request.content_type {
        headers.push(("content-type", ct.to_owned()));
    }
    if let Some(id) = token_key_id {
        headers.push(("x-acs-accesskey-id", id.to_owned()));
    }
    headers.push(("x-acs-action", request.action.to_owned()));
    headers.push(("x-acs-content-sha256", payload_hash));
    headers.push(("x-acs-date", request.timestamp.as_str().to_owned()));
    if let Some(token) = token {
        headers.push(("x-acs-security-token", token.to_owned()));
    }
    headers.push(("x-acs-signature-nonce", request.nonce.as_str().to_owned()));
    headers.push(("x-acs-version", request.version.to_owned()));
    headers.push((
        "authorization",
        authorization(credentials.access_key_id(), &signed_headers, &signature),
    ));
    SignedAcs3 {
        headers,
        query: query_string,
        canonical_request,
        string_to_sign,
        signature,
    }
}

/// Appends lower-case hex of `bytes` (the `hex` crate's `encode` goes through a
/// `char` iterator, several times slower for a 32-byte digest).
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// Lower-case hex of a SHA-256 digest or HMAC-SHA256 tag.
fn hex32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_hex(&mut out, bytes);
    out
}

/// HMAC-SHA256 keyed with `secret`, ready to take a string to sign.
pub(crate) fn hmac_key(secret: &str) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_complete() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(hex32(&bytes), hex::encode(&bytes));
        assert_eq!(hex32(&[]), "");
        assert_eq!(payload_sha256(b""), hex::encode(Sha256::digest(b"")));
    }

    /// `sign` against the five public stages, header by header, for every
    /// combination of body, content type, STS token and padded values.
    #[test]
    fn sign_is_the_stages_run_in_order() {
        let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
        let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
        for token in [None, Some("sts-token")] {
            for (body, content_type) in [
                (&b""[..], None),
                (&b"a=1&b=2"[..], Some("application/x-www-form-urlencoded")),
                (&b"{}"[..], Some(" application/json ")),
            ] {
                for host in ["vod.cn-shanghai.aliyuncs.com", " 127.0.0.1:8080 "] {
                    let mut creds = Credentials::new("AKID", "s3cr3t");
                    if let Some(t) = token {
                        creds = creds.with_security_token(t);
                    }
                    let request = Acs3Request {
                        method: HttpMethod::Post,
                        host,
                        pathname: "/",
                        action: "GetURLUploadInfos",
                        version: "2017-03-21",
                        timestamp: &ts,
                        nonce: &nonce,
                        body,
                        content_type,
                    };
                    let query = [("JobIds", "a,b"), ("Format", "JSON"), ("Empty", "")];
                    let signed = sign(&creds, &request, &query);

                    let sent: Vec<(&str, &str)> = signed
                        .headers()
                        .iter()
                        .filter(|(k, _)| *k != "authorization")
                        .map(|(k, v)| (*k, v.as_str()))
                        .collect();
                    let (block, names) = canonical_headers(&sent);
                    let query_string = canonical_query_string(&query);
                    let canonical = canonical_request(
                        HttpMethod::Post,
                        "/",
                        &query_string,
                        &block,
                        &names,
                        &payload_sha256(body),
                    );
                    let sts = string_to_sign(&canonical);
                    let sig = signature("s3cr3t", &sts);
                    assert_eq!(signed.query(), query_string);
                    assert_eq!(signed.canonical_request(), canonical);
                    assert_eq!(signed.string_to_sign(), sts);
                    assert_eq!(signed.signature(), sig);
                    let auth = signed.headers().last().unwrap();
                    assert_eq!(
                        *auth,
                        ("authorization", authorization("AKID", &names, &sig))
                    );
                    // Every header the stages sign is sent, the token only with STS.
                    assert_eq!(
                        sent.iter().any(|(k, _)| *k == "x-acs-security-token"),
                        token.is_some()
                    );
                    assert_eq!(
                        sent.iter().any(|(k, _)| *k == "content-type"),
                        content_type.is_some()
                    );
                }
            }
        }
    }
}

//! RPC signature V1: `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`.
//!
//! The stages, each a public function so a failure can be pinned to one of them:
//!
//! 1. [`canonicalized_query_string`][]: every parameter except `Signature`, sorted by
//!    name in byte order, each name and value [percent-encoded](crate::percent_encode),
//!    joined as `k=v` pairs with `&`.
//! 2. [`string_to_sign`][]: `METHOD&%2F&` followed by the percent-encoded canonical string.
//! 3. [`signature`][]: Base64 of HMAC-SHA1 keyed with `secret + "&"`.
//!
//! [`sign`] runs all three over the common parameters plus the operation's own and
//! returns the wire form: the canonical string with `&Signature=...` appended, which
//! is sent unchanged as a GET query string or a POST form body.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::common::{Method, Nonce, Timestamp};
use crate::credentials::Credentials;
use crate::encode::{is_unreserved, percent_encode_into};

/// `SignatureMethod` of RPC V1.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// `SignatureVersion` of RPC V1.
pub const SIGNATURE_VERSION: &str = "1.0";

/// Stage 1: the canonicalized query string.
///
/// Pairs are sorted by name in byte order (then by value, so that even repeated
/// names give one answer whatever order the caller used); names and values are
/// percent-encoded.
///
/// ```
/// use aliyun_sign::rpc::canonicalized_query_string;
/// let c = canonicalized_query_string(&[("b", "x y"), ("a", "1,2"), ("B", "~")]);
/// assert_eq!(c, "B=~&a=1%2C2&b=x%20y");
/// ```
pub fn canonicalized_query_string(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params.to_vec();
    sort_pairs(&mut sorted);
    let mut out = String::with_capacity(encoded_len_hint(&sorted));
    write_pairs(&mut out, &sorted);
    out
}

/// Stage 2: `METHOD&%2F&` + percent-encoded canonicalized query string.
///
/// ```
/// use aliyun_sign::{rpc::string_to_sign, Method};
/// assert_eq!(string_to_sign(Method::Get, "a=1&b=x%20y"), "GET&%2F&a%3D1%26b%3Dx%2520y");
/// ```
pub fn string_to_sign(method: Method, canonicalized_query_string: &str) -> String {
    let mut out = String::with_capacity(8 + canonicalized_query_string.len() * 5 / 4);
    out.push_str(method.as_str());
    out.push_str("&%2F&");
    percent_encode_into(&mut out, canonicalized_query_string);
    out
}

/// Stage 3: Base64(HMAC-SHA1(secret + "&", string to sign)).
///
/// ```
/// use aliyun_sign::rpc::signature;
/// assert_eq!(
///     signature("secret", "GET&%2F&body%3Dtest%26query%3Dtest"),
///     "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
/// );
/// ```
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mac = hmac_sha1(secret, string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// The raw HMAC-SHA1 (20 bytes) keyed with `secret + "&"`.
pub fn hmac_sha1(secret: &str, message: &str) -> [u8; 20] {
    let mut mac = hmac_key(secret);
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 keyed with `secret&`, the key built on the stack for ordinary lengths.
fn hmac_key(secret: &str) -> Hmac<Sha1> {
    let mut buf = [0u8; 128];
    let key: std::borrow::Cow<'_, [u8]> = if secret.len() < buf.len() {
        buf[..secret.len()].copy_from_slice(secret.as_bytes());
        buf[secret.len()] = b'&';
        std::borrow::Cow::Borrowed(&buf[..=secret.len()])
    } else {
        let mut key = Vec::with_capacity(secret.len() + 1);
        key.extend_from_slice(secret.as_bytes());
        key.push(b'&');
        std::borrow::Cow::Owned(key)
    };
    <Hmac<Sha1> as Mac>::new_from_slice(&key).expect("HMAC accepts keys of any length")
}

/// The common parameters of one RPC call besides credentials.
#[derive(Clone, Copy, Debug)]
pub struct RpcRequest<'a> {
    /// HTTP method; part of the string to sign.
    pub method: Method,
    /// `Action`, e.g. `GetURLUploadInfos`.
    pub action: &'a str,
    /// `Version`, the API version, e.g. `2017-03-21`.
    pub version: &'a str,
    /// `Format`: `JSON` or `XML`.
    pub format: &'a str,
    /// `Timestamp`.
    pub timestamp: &'a Timestamp,
    /// `SignatureNonce`.
    pub nonce: &'a Nonce,
}

/// The result of [`sign`]: the signed parameters in wire form, plus the
/// intermediate stages for diagnostics (compare them with the service's
/// `SignatureDoesNotMatch` message).
///
/// `Debug` shows only the signature: the other stages carry the STS token when
/// there is one. Pass them through [`crate::redact`] before showing them.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRpc {
    method: Method,
    /// The wire form; its first `canonical_len` bytes are the canonical string.
    encoded: String,
    canonical_len: usize,
    signature: String,
}

impl std::fmt::Debug for SignedRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRpc")
            .field("method", &self.method)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl SignedRpc {
    /// Stage 1 output.
    pub fn canonicalized_query_string(&self) -> &str {
        &self.encoded[..self.canonical_len]
    }

    /// Stage 2 output, rebuilt on demand (the signer streams it into the HMAC
    /// without keeping it).
    pub fn string_to_sign(&self) -> String {
        string_to_sign(self.method, self.canonicalized_query_string())
    }

    /// Stage 3 output: the `Signature` parameter's value.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Every parameter, `Signature` included, percent-encoded exactly as signed and
    /// joined with `&`: the GET query string (after `?`) or the POST form body.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// Consumes the result, keeping only [`SignedRpc::encoded`].
    pub fn into_encoded(self) -> String {
        self.encoded
    }

    /// The signed parameter list, decoded: `(name, value)` in canonical order with
    /// `Signature` last.
    pub fn params(&self) -> Vec<(String, String)> {
        crate::decode_pairs(&self.encoded)
    }
}

/// Signs one RPC call: the common parameters (`AccessKeyId`, `Action`, `Format`,
/// `SignatureMethod`, `SignatureNonce`, `SignatureVersion`, `Timestamp`, `Version`
/// and `SecurityToken` for STS credentials) plus `params`, the operation's own
/// parameters in wire form (values not yet encoded).
///
/// ```
/// use aliyun_sign::{rpc, Credentials, Method, Nonce, Timestamp};
/// let creds = Credentials::new("testAccessKeyId", "testAccessKeySecret");
/// let ts = Timestamp::parse("2017-10-10T12:02:54Z").unwrap();
/// let nonce = Nonce::new("8f8a035d-6496-4268-afd4-67c22837e38d");
/// let req = rpc::RpcRequest {
///     method: Method::Get,
///     action: "GetVideoPlayAuth",
///     version: "2017-03-21",
///     format: "JSON",
///     timestamp: &ts,
///     nonce: &nonce,
/// };
/// let signed = rpc::sign(&creds, &req, &[("VideoId", "5aed81b74ba84920be578cdfe004af4b")]);
/// assert_eq!(signed.signature(), "Ibgh7y8Vp47LBuAsf5Xhi1SvDss=");
/// assert!(signed.encoded().ends_with("&Signature=Ibgh7y8Vp47LBuAsf5Xhi1SvDss%3D"));
/// ```
pub fn sign(
    credentials: &Credentials,
    request: &RpcRequest<'_>,
    params: &[(&str, &str)],
) -> SignedRpc {
    let mut all: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 9);
    all.extend_from_slice(&[
        ("AccessKeyId", credentials.access_key_id()),
        ("Action", request.action),
        ("Format", request.format),
        ("SignatureMethod", SIGNATURE_METHOD),
        ("SignatureNonce", request.nonce.as_str()),
        ("SignatureVersion", SIGNATURE_VERSION),
        ("Timestamp", request.timestamp.as_str()),
        ("Version", request.version),
    ]);
    if let Some(token) = credentials.security_token() {
        all.push(("SecurityToken", token.expose()));
    }
    all.extend_from_slice(params);
    sign_params(
        credentials.access_key_secret().expose(),
        request.method,
        all,
    )
}

/// Signs a complete parameter list (common parameters already included), for
/// callers that build the list themselves, such as servers verifying a request.
///
/// One pass over the sorted pairs writes both the canonical string and the
/// string to sign (a reserved byte is `%XX` in the first and `%25XX` in the
/// second), so neither stage re-reads the other's output.
pub fn sign_params(secret: &str, method: Method, mut params: Vec<(&str, &str)>) -> SignedRpc {
    sort_pairs(&mut params);
    // A cheap over-estimate: most values need few escapes.
    let raw: usize = params.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut encoded: Vec<u8> = Vec::with_capacity(raw + raw / 2 + 48);
    let mut sts: Vec<u8> = Vec::with_capacity(raw * 2 + 16);
    sts.extend_from_slice(method.as_str().as_bytes());
    sts.extend_from_slice(b"&%2F&");
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            encoded.push(b'&');
            sts.extend_from_slice(b"%26");
        }
        encode_both(&mut encoded, &mut sts, k.as_bytes());
        encoded.push(b'=');
        sts.extend_from_slice(b"%3D");
        encode_both(&mut encoded, &mut sts, v.as_bytes());
    }
    let canonical_len = encoded.len();
    let mut mac = hmac_key(secret);
    mac.update(&sts);
    let digest: [u8; 20] = mac.finalize().into_bytes().into();
    let signature = base64::engine::general_purpose::STANDARD.encode(digest);
    if canonical_len > 0 {
        encoded.push(b'&');
    }
    encoded.extend_from_slice(b"Signature=");
    for &b in signature.as_bytes() {
        if is_unreserved(b) {
            encoded.push(b);
        } else {
            encoded.extend_from_slice(&[b'%', HEX[(b >> 4) as usize], HEX[(b & 0x0F) as usize]]);
        }
    }
    // Only ASCII was written, so this never fails; no panic path either way.
    let encoded = String::from_utf8(encoded)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    SignedRpc {
        method,
        encoded,
        canonical_len,
        signature,
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `input` percent-encoded to `out` and percent-encoded twice to `sts`:
/// runs of unreserved bytes are found with a table lookup per byte and copied
/// to both buffers at once.
#[inline]
fn encode_both(out: &mut Vec<u8>, sts: &mut Vec<u8>, input: &[u8]) {
    let n = input.len();
    let mut i = 0;
    while i < n {
        let run = i;
        while i < n && UNRESERVED[input[i] as usize] {
            i += 1;
        }
        if run < i {
            out.extend_from_slice(&input[run..i]);
            sts.extend_from_slice(&input[run..i]);
        }
        if i < n {
            let b = input[i];
            let hi = HEX[(b >> 4) as usize];
            let lo = HEX[(b & 0x0F) as usize];
            out.extend_from_slice(&[b'%', hi, lo]);
            sts.extend_from_slice(&[b'%', b'2', b'5', hi, lo]);
            i += 1;
        }
    }
}

/// `UNRESERVED[b]` is [`is_unreserved`]`(b)`, as a table.
static UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_unreserved(b as u8);
        b += 1;
    }
    t
};

fn sort_pairs(pairs: &mut [(&str, &str)]) {
    pairs.sort_unstable_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.cmp(b.1))
    });
}

fn encoded_len_hint(pairs: &[(&str, &str)]) -> usize {
    pairs
        .iter()
        .map(|(k, v)| {
            let escapes = v.bytes().filter(|b| !is_unreserved(*b)).count();
            k.len() + v.len() + 2 * escapes + 2
        })
        .sum()
}

fn write_pairs(out: &mut String, pairs: &[(&str, &str)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode_into(out, k);
        out.push('=');
        percent_encode_into(out, v);
    }
}

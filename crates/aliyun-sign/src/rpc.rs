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

use crate::common::{HttpMethod, Nonce, Timestamp};
use crate::credentials::Credentials;
use crate::encode::{escape, is_unreserved, next_reserved, percent_encode_into};

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
/// use aliyun_sign::{rpc::string_to_sign, HttpMethod};
/// assert_eq!(string_to_sign(HttpMethod::Get, "a=1&b=x%20y"), "GET&%2F&a%3D1%26b%3Dx%2520y");
/// ```
pub fn string_to_sign(method: HttpMethod, canonicalized_query_string: &str) -> String {
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
pub(crate) fn hmac_key(secret: &str) -> Hmac<Sha1> {
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
    pub method: HttpMethod,
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
    method: HttpMethod,
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
/// use aliyun_sign::{rpc, Credentials, HttpMethod, Nonce, Timestamp};
/// let creds = Credentials::new("testAccessKeyId", "testAccessKeySecret");
/// let ts = Timestamp::parse("2017-10-10T12:02:54Z").unwrap();
/// let nonce = Nonce::new("8f8a035d-6496-4268-afd4-67c22837e38d");
/// let req = rpc::RpcRequest {
///     method: HttpMethod::Get,
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
    let common = [
        ("AccessKeyId", credentials.access_key_id()),
        ("Action", request.action),
        ("Format", request.format),
        ("SignatureMethod", SIGNATURE_METHOD),
        ("SignatureNonce", request.nonce.as_str()),
        ("SignatureVersion", SIGNATURE_VERSION),
        ("Timestamp", request.timestamp.as_str()),
        ("Version", request.version),
    ];
    let token = credentials
        .security_token()
        .map(|t| ("SecurityToken", t.expose()));
    let count = common.len() + usize::from(token.is_some()) + params.len();
    if count > INLINE_PARAMS {
        let mut all = common.to_vec();
        all.extend(token);
        all.extend_from_slice(params);
        return sign_pairs(credentials.rpc_key().clone(), request.method, &mut all);
    }
    // The usual case: the list lives on the stack.
    let mut buf = [("", ""); INLINE_PARAMS];
    buf[..common.len()].copy_from_slice(&common);
    let mut n = common.len();
    if let Some(token) = token {
        buf[n] = token;
        n += 1;
    }
    buf[n..count].copy_from_slice(params);
    sign_pairs(
        credentials.rpc_key().clone(),
        request.method,
        &mut buf[..count],
    )
}

/// How many parameters [`sign`] sorts on the stack; longer lists use the heap.
const INLINE_PARAMS: usize = 24;

/// Signs a complete parameter list (common parameters already included), for
/// callers that build the list themselves, such as servers verifying a request.
pub fn sign_params(secret: &str, method: HttpMethod, mut params: Vec<(&str, &str)>) -> SignedRpc {
    sign_pairs(hmac_key(secret), method, &mut params)
}

/// Sorts `params` and signs them.
///
/// One pass over the sorted pairs writes both the canonical string and the
/// string to sign (a reserved byte is `%XX` in the first and `%25XX` in the
/// second), so neither stage re-reads the other's output. The string to sign is
/// never kept: it goes through a stack buffer straight into the HMAC.
fn sign_pairs(key: Hmac<Sha1>, method: HttpMethod, params: &mut [(&str, &str)]) -> SignedRpc {
    sort_pairs(params);
    // Room for the usual case (few escapes) and the signature; grows if needed.
    let raw: usize = params.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out: Vec<u8> = Vec::with_capacity(raw + raw / 4 + SIGNATURE_ROOM);
    let mut to_sign = MacSink::new(key);
    to_sign.write(method.as_str().as_bytes());
    to_sign.write(b"&%2F&");
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
            to_sign.write(b"%26");
        }
        encode_both(&mut out, &mut to_sign, k.as_bytes());
        out.push(b'=');
        to_sign.write(b"%3D");
        encode_both(&mut out, &mut to_sign, v.as_bytes());
    }
    let canonical_len = out.len();
    let signature = base64_digest(&to_sign.finish());
    if canonical_len > 0 {
        out.push(b'&');
    }
    out.extend_from_slice(b"Signature=");
    for &b in &signature {
        // Base64 leaves three reserved characters: `+`, `/` and `=`.
        match b {
            b'+' => out.extend_from_slice(b"%2B"),
            b'/' => out.extend_from_slice(b"%2F"),
            b'=' => out.extend_from_slice(b"%3D"),
            _ => out.push(b),
        }
    }
    // Only ASCII was written, so neither conversion fails; no panic path either way.
    let encoded = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let signature = std::str::from_utf8(&signature)
        .map(str::to_owned)
        .unwrap_or_default();
    SignedRpc {
        method,
        encoded,
        canonical_len,
        signature,
    }
}

/// `&Signature=` and a percent-encoded Base64 HMAC-SHA1 (28 characters, each
/// at most 3 bytes once encoded).
const SIGNATURE_ROOM: usize = 12 + 3 * 28;

/// The string to sign on its way into the HMAC: bytes are gathered in a stack
/// buffer and hashed a buffer at a time, so the string is never allocated.
struct MacSink {
    mac: Hmac<Sha1>,
    buf: [u8; STS_CHUNK],
    len: usize,
}

/// Bytes of the string to sign gathered before they are hashed (the usual
/// request fits, so the HMAC is fed once).
const STS_CHUNK: usize = 512;

impl MacSink {
    fn new(key: Hmac<Sha1>) -> Self {
        MacSink {
            mac: key,
            buf: [0; STS_CHUNK],
            len: 0,
        }
    }

    /// Appends `bytes`.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.spill(bytes);
        }
    }

    /// Appends `%25` and the two hex digits of an escape (`%XX` encoded again),
    /// byte by byte: no temporary that a wider load would have to read back.
    #[inline]
    fn write_escape(&mut self, hi: u8, lo: u8) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + 5) {
            dst[0] = b'%';
            dst[1] = b'2';
            dst[2] = b'5';
            dst[3] = hi;
            dst[4] = lo;
            self.len += 5;
        } else {
            self.spill(&[b'%', b'2', b'5', hi, lo]);
        }
    }

    /// `write` when the buffer is full: hash what it holds, then start over.
    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.mac.update(&self.buf[..self.len]);
        self.len = 0;
        if bytes.len() < STS_CHUNK {
            self.write(bytes);
        } else {
            self.mac.update(bytes);
        }
    }

    fn finish(self) -> [u8; 20] {
        let mut mac = self.mac;
        mac.update(&self.buf[..self.len]);
        mac.finalize().into_bytes().into()
    }
}

/// Appends `input` percent-encoded to `out` and percent-encoded twice to `to_sign`:
/// each run of unreserved bytes (found eight bytes at a time by
/// [`next_reserved`]) is copied to both at once, and the byte that ends it
/// becomes `%XX` in `out` and `%25XX` in `to_sign`.
///
/// Always inlined into the loop over the parameters: most names and values are
/// short, and a call per string (prologue, constants reloaded) costs more than
/// encoding it.
#[inline(always)]
fn encode_both(out: &mut Vec<u8>, to_sign: &mut MacSink, input: &[u8]) {
    let mut start = 0;
    loop {
        let end = next_reserved(input, start);
        let run = &input[start..end];
        out.extend_from_slice(run);
        to_sign.write(run);
        let Some(&b) = input.get(end) else {
            return;
        };
        let [pct, hi, lo] = escape(b);
        out.extend_from_slice(&[pct, hi, lo]);
        to_sign.write_escape(hi, lo);
        start = end + 1;
    }
}

/// Standard Base64 (with padding) of an HMAC-SHA1 digest: 20 bytes, 28
/// characters, written without allocating.
fn base64_digest(digest: &[u8; 20]) -> [u8; 28] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = [b'='; 28];
    // Six groups of three bytes make four characters each; the last two bytes
    // make three, and the `=` already there pads the fourth.
    for (group, chars) in digest.chunks(3).zip(out.chunks_exact_mut(4)) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for (j, c) in chars.iter_mut().enumerate().take(group.len() + 1) {
            *c = ALPHABET[((n >> (18 - 6 * j)) & 0x3F) as usize];
        }
    }
    out
}

/// Byte order of names, then of values. Most names differ in their first byte,
/// which is compared inline before the general comparison.
fn sort_pairs(pairs: &mut [(&str, &str)]) {
    pairs.sort_unstable_by(|a, b| {
        let (x, y) = (a.0.as_bytes(), b.0.as_bytes());
        match (x.first(), y.first()) {
            (Some(p), Some(q)) if p != q => p.cmp(q),
            _ => x.cmp(y).then_with(|| a.1.cmp(b.1)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass signer against the three public stages run one after the
    /// other, on inputs that put escapes at every offset of a word and cross the
    /// string-to-sign buffer.
    #[test]
    fn one_pass_signer_matches_the_stages() {
        let mut values: Vec<String> = Vec::new();
        for len in 0..20 {
            for at in 0..len {
                let mut v: Vec<char> = "abcdefghijklmnopqrstu".chars().take(len).collect();
                v[at] = ['/', ' ', 'é', '%', '=', '&', '~', '*'][at % 8];
                values.push(v.into_iter().collect());
            }
        }
        values.push("x".repeat(STS_CHUNK * 3 + 5));
        values.push("%&=".repeat(STS_CHUNK));
        values.push("https://e.com/a b.mp4?x=1&y=%2B,😀".repeat(40));
        for method in [HttpMethod::Get, HttpMethod::Post] {
            for v in &values {
                let params = vec![("Zeta", v.as_str()), ("A b", "1"), ("Action", v.as_str())];
                let signed = sign_params("secret", method, params.clone());
                let canonical = canonicalized_query_string(&params);
                let to_sign = string_to_sign(method, &canonical);
                let sig = signature("secret", &to_sign);
                assert_eq!(signed.canonicalized_query_string(), canonical);
                assert_eq!(signed.string_to_sign(), to_sign);
                assert_eq!(signed.signature(), sig);
                assert_eq!(
                    signed.encoded(),
                    format!("{canonical}&Signature={}", crate::percent_encode(&sig))
                );
            }
        }
    }

    #[test]
    fn base64_of_digests_matches_the_base64_crate() {
        for seed in 0u8..=255 {
            let digest: [u8; 20] = std::array::from_fn(|i| {
                seed.wrapping_mul(31)
                    .wrapping_add((i as u8).wrapping_mul(97))
            });
            assert_eq!(
                base64_digest(&digest).as_slice(),
                base64::engine::general_purpose::STANDARD
                    .encode(digest)
                    .as_bytes()
            );
        }
    }

    #[test]
    fn long_parameter_lists_sign_like_short_ones() {
        let creds = Credentials::new("id", "secret");
        let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
        let nonce = Nonce::new("n");
        let req = RpcRequest {
            method: HttpMethod::Post,
            action: "A",
            version: "V",
            format: "JSON",
            timestamp: &ts,
            nonce: &nonce,
        };
        let names: Vec<String> = (0..40).map(|i| format!("P{i:02}")).collect();
        let params: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v w")).collect();
        for n in [0, 1, INLINE_PARAMS - 8, INLINE_PARAMS - 7, 40] {
            let signed = sign(&creds, &req, &params[..n]);
            let mut all = vec![
                ("AccessKeyId", "id"),
                ("Action", "A"),
                ("Format", "JSON"),
                ("SignatureMethod", SIGNATURE_METHOD),
                ("SignatureNonce", "n"),
                ("SignatureVersion", SIGNATURE_VERSION),
                ("Timestamp", "2024-05-06T07:08:09Z"),
                ("Version", "V"),
            ];
            all.extend_from_slice(&params[..n]);
            let expected = sign_params("secret", HttpMethod::Post, all);
            assert_eq!(signed, expected, "{n} parameters");
        }
    }
}

//! Request authentication, both signature versions, rebuilt from the request as
//! received with `aliyun-sign`'s stages:
//!
//! - RPC V1: every parameter (query and form body) except `Signature`, signed
//!   with [`aliyun_sign::rpc::sign_params`] for the request's own method.
//! - ACS3-HMAC-SHA256: the canonical request rebuilt from the method, the path,
//!   the decoded then re-canonicalised query, the headers named in
//!   `SignedHeaders`, and the SHA-256 of the body actually received (so a wrong
//!   `x-acs-content-sha256` fails the signature too).
//!
//! Then the clock window, the STS token and the nonce. A nonce is recorded only
//! once everything else passed, so a forged request cannot burn one.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use aliyun_sign::{acs3, rpc, Credentials, HttpMethod, Timestamp};
use axum::http::HeaderMap;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::request::ApiRequest;

/// How far a request's time may be from the server clock (nonces are kept for
/// twice this).
pub(crate) const CLOCK_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Most nonces remembered at once; past it the oldest are forgotten early, so a
/// flood cannot grow memory without bound.
const MAX_NONCES: usize = 1_000_000;

/// Who called and what for, once authenticated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) access_key_id: String,
    pub(crate) action: Option<String>,
    pub(crate) version: Option<String>,
}

/// Issued STS keys kept at most (the oldest expired ones go first).
const MAX_ISSUED: usize = 100_000;

/// A key the emulator accepts: configured (no expiry) or issued by its STS
/// or metadata service (until it expires).
#[derive(Clone)]
struct Key {
    credentials: Credentials,
    expires: Option<OffsetDateTime>,
    /// The one OSS object (bucket, key) an upload grant may touch.
    object: Option<(String, String)>,
}

pub(crate) struct Authenticator {
    keys: RwLock<HashMap<String, Key>>,
    nonces: Mutex<NonceCache>,
}

impl Authenticator {
    pub(crate) fn new(keys: &[Credentials]) -> Self {
        Authenticator {
            keys: RwLock::new(
                keys.iter()
                    .map(|c| {
                        let key = Key {
                            credentials: c.clone(),
                            expires: None,
                            object: None,
                        };
                        (c.access_key_id().to_owned(), key)
                    })
                    .collect(),
            ),
            // A request stays acceptable until its own timestamp + the window, and
            // its timestamp may lie a window ahead of arrival: remember each nonce
            // for two windows, so no replay outlives its nonce.
            nonces: Mutex::new(NonceCache::new(2 * CLOCK_WINDOW, MAX_NONCES)),
        }
    }

    /// Authenticates `req` at wall-clock time `now` (monotonic `tick` for the
    /// nonce window).
    pub(crate) fn verify(
        &self,
        req: &ApiRequest,
        now: OffsetDateTime,
        tick: Instant,
    ) -> Result<Verified, ApiError> {
        let method = match req.method.as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            _ => return Err(ApiError::unsupported_method()),
        };
        if req.is_acs3() {
            self.verify_acs3(req, method, now, tick)
        } else {
            self.verify_v1(req, method, now, tick)
        }
    }

    fn verify_v1(
        &self,
        req: &ApiRequest,
        method: HttpMethod,
        now: OffsetDateTime,
        tick: Instant,
    ) -> Result<Verified, ApiError> {
        let id = required(req.param("AccessKeyId"), "AccessKeyId")?;
        let given = required(req.param("Signature"), "Signature")?;
        let timestamp = required(req.param("Timestamp"), "Timestamp")?;
        let nonce = required(req.param("SignatureNonce"), "SignatureNonce")?;
        let key = self.key(id, now)?;
        if let Some(m) = req.param("SignatureMethod") {
            if m != rpc::SIGNATURE_METHOD {
                return Err(ApiError::invalid(
                    "SignatureMethod",
                    "only HMAC-SHA1 is supported.",
                ));
            }
        }
        if let Some(v) = req.param("SignatureVersion") {
            if v != rpc::SIGNATURE_VERSION {
                return Err(ApiError::invalid(
                    "SignatureVersion",
                    "only 1.0 is supported.",
                ));
            }
        }
        check_time(timestamp, "Timestamp", now)?;
        let pairs: Vec<(&str, &str)> = req.params().filter(|(k, _)| *k != "Signature").collect();
        let signed = rpc::sign_params(key.access_key_secret().expose(), method, pairs);
        if !ct_eq(signed.signature(), given) {
            return Err(ApiError::signature_mismatch(&signed.string_to_sign()));
        }
        check_token(&key, req.param("SecurityToken"))?;
        self.use_nonce(id, nonce, tick)?;
        Ok(Verified {
            access_key_id: id.to_owned(),
            action: req.param("Action").map(str::to_owned),
            version: req.param("Version").map(str::to_owned),
        })
    }

    fn verify_acs3(
        &self,
        req: &ApiRequest,
        method: HttpMethod,
        now: OffsetDateTime,
        tick: Instant,
    ) -> Result<Verified, ApiError> {
        let header = req.header("authorization").unwrap_or_default();
        let auth = Authorization::parse(&header)?;
        let key = self.key(auth.credential, now)?;
        let date = req.header("x-acs-date");
        let date = required(date.as_deref(), "x-acs-date")?;
        let nonce = req.header("x-acs-signature-nonce");
        let nonce = required(nonce.as_deref(), "x-acs-signature-nonce")?;
        check_time(date, "x-acs-date", now)?;

        let signed_names = auth.signed_headers();
        // Every official signer signs at least these; a request that leaves one
        // out could have it changed in transit.
        for name in req.headers.keys() {
            let name = name.as_str();
            let must = name == "host" || name == "content-type" || name.starts_with("x-acs-");
            if must && !signed_names.iter().any(|s| s == name) {
                return Err(ApiError::incomplete_signature(&format!(
                    "the header \"{name}\" must be listed in SignedHeaders."
                )));
            }
        }
        let query: Vec<(&str, &str)> = req
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let canonical_request = acs3::canonical_request(
            method,
            &req.path,
            &acs3::canonical_query_string(&query),
            &header_block(&req.headers, &signed_names),
            &signed_names.join(";"),
            &acs3::payload_sha256(&req.body),
        );
        let string_to_sign = acs3::string_to_sign(&canonical_request);
        let expected = acs3::signature(key.access_key_secret().expose(), &string_to_sign);
        if !ct_eq(&expected, &auth.signature.to_ascii_lowercase()) {
            return Err(ApiError::signature_mismatch(&string_to_sign));
        }
        check_token(&key, req.header("x-acs-security-token").as_deref())?;
        self.use_nonce(auth.credential, nonce, tick)?;
        Ok(Verified {
            access_key_id: auth.credential.to_owned(),
            action: req.header("x-acs-action"),
            version: req.header("x-acs-version"),
        })
    }

    /// The key `id`, refused once expired.
    pub(crate) fn key(&self, id: &str, now: OffsetDateTime) -> Result<Credentials, ApiError> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys.get(id).ok_or_else(ApiError::unknown_access_key)?;
        if key.expires.is_some_and(|at| now >= at) {
            return Err(ApiError::security_token_expired());
        }
        Ok(key.credentials.clone())
    }

    /// The OSS object an issued key is limited to, if it is an upload grant.
    pub(crate) fn object_of(&self, id: &str) -> Option<(String, String)> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(id).and_then(|k| k.object.clone())
    }

    /// Issues temporary credentials valid until `expires`, accepted from now on.
    pub(crate) fn issue(&self, expires: OffsetDateTime) -> Credentials {
        self.issue_for(expires, None)
    }

    /// The same, limited on OSS to `object` (bucket, key) when given, as the
    /// STS policy of an UploadAuth is.
    pub(crate) fn issue_for(
        &self,
        expires: OffsetDateTime,
        object: Option<(String, String)>,
    ) -> Credentials {
        let random = || uuid::Uuid::new_v4().simple().to_string();
        let credentials = Credentials::new(format!("STS.{}", &random()[..24]), random())
            .with_security_token(format!("CAIS{}{}", random(), random()));
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= MAX_ISSUED {
            let now = OffsetDateTime::now_utc();
            keys.retain(|_, k| k.expires.is_none_or(|at| at > now));
        }
        keys.insert(
            credentials.access_key_id().to_owned(),
            Key {
                credentials: credentials.clone(),
                expires: Some(expires),
                object,
            },
        );
        credentials
    }

    /// The issued keys still held.
    pub(crate) fn issued(&self) -> Vec<Credentials> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.values()
            .filter(|k| k.expires.is_some())
            .map(|k| k.credentials.clone())
            .collect()
    }

    /// Makes every issued key expire now (the "credentials expire" fault).
    pub(crate) fn expire_issued(&self, now: OffsetDateTime) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        for key in keys.values_mut() {
            if key.expires.is_some() {
                key.expires = Some(now);
            }
        }
    }

    fn use_nonce(&self, id: &str, nonce: &str, tick: Instant) -> Result<(), ApiError> {
        let fresh = self
            .nonces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(format!("{id}\n{nonce}"), tick);
        if fresh {
            Ok(())
        } else {
            Err(ApiError::nonce_used())
        }
    }
}

fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing(name))
}

pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn check_time(text: &str, name: &str, now: OffsetDateTime) -> Result<(), ApiError> {
    let at = Timestamp::parse(text)
        .map_err(|_| ApiError::timestamp_format(name))?
        .to_datetime();
    if (now - at).unsigned_abs() > CLOCK_WINDOW {
        return Err(ApiError::timestamp_expired());
    }
    Ok(())
}

/// An STS key needs its token; a permanent key must not carry one.
fn check_token(key: &Credentials, given: Option<&str>) -> Result<(), ApiError> {
    let given = given.filter(|t| !t.is_empty());
    match (key.security_token(), given) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(ApiError::missing_security_token()),
        (Some(want), Some(got)) if ct_eq(want.expose(), got) => Ok(()),
        _ => Err(ApiError::security_token_mismatch()),
    }
}

/// The canonical header block of the named headers: `name:values\n` per name,
/// values trimmed, sorted and joined with `,`. Built here rather than with
/// [`acs3::canonical_headers`] because that one keeps only `host`,
/// `content-type` and `x-acs-*`, while the official Python SDK also signs
/// `accept` and `user-agent`.
fn header_block(headers: &HeaderMap, names: &[String]) -> String {
    let mut block = String::new();
    for name in names {
        let mut values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
            .collect();
        values.sort_unstable();
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
    }
    block
}

/// `ACS3-HMAC-SHA256 Credential=ID,SignedHeaders=a;b,Signature=hex`.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(header: &'a str) -> Result<Self, ApiError> {
        let malformed = || {
            ApiError::incomplete_signature(
                "the Authorization header must read \"ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>\".",
            )
        };
        let (algorithm, rest) = header.trim().split_once(' ').ok_or_else(malformed)?;
        if algorithm != acs3::ALGORITHM {
            return Err(ApiError::incomplete_signature(&format!(
                "the signature algorithm \"{algorithm}\" is not supported; use ACS3-HMAC-SHA256."
            )));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=').ok_or_else(malformed)?;
            match k {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed_headers = Some(v),
                "Signature" => signature = Some(v),
                _ => return Err(malformed()),
            }
        }
        match (credential, signed_headers, signature) {
            (Some(c), Some(h), Some(s)) if !c.is_empty() && !s.is_empty() => Ok(Authorization {
                credential: c,
                signed_headers: h,
                signature: s,
            }),
            _ => Err(malformed()),
        }
    }

    /// The signed header names, lower-cased, sorted and without repeats, as
    /// the canonical request lists them.
    fn signed_headers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .signed_headers
            .split(';')
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// Nonces seen within the window, oldest first for pruning.
struct NonceCache {
    seen: HashSet<String>,
    order: VecDeque<(Instant, String)>,
    window: Duration,
    cap: usize,
}

impl NonceCache {
    fn new(window: Duration, cap: usize) -> Self {
        NonceCache {
            seen: HashSet::new(),
            order: VecDeque::new(),
            window,
            cap,
        }
    }

    /// Records `key`; false if it was seen within the window.
    fn insert(&mut self, key: String, now: Instant) -> bool {
        while let Some((at, _)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.window && self.order.len() < self.cap {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.order.push_back((now, key));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_refused_within_the_window_and_pruned_after() {
        let t = Instant::now();
        let mut c = NonceCache::new(Duration::from_secs(10), 3);
        assert!(c.insert("a".into(), t));
        assert!(!c.insert("a".into(), t + Duration::from_secs(9)));
        assert!(c.insert("a".into(), t + Duration::from_secs(10)));
        assert_eq!(c.seen.len(), 1);
        for k in ["b", "c", "d", "e"] {
            assert!(c.insert(k.into(), t + Duration::from_secs(11)));
        }
        assert!(c.seen.len() <= 3 && c.order.len() == c.seen.len());
    }

    #[test]
    fn a_nonce_outlives_every_replay_of_its_request() {
        // Signed 14 minutes ahead of the server clock, first seen at t0: the
        // timestamp check accepts a replay until t0 + 29 minutes, so the nonce
        // must still be remembered then.
        let auth = Authenticator::new(&[]);
        let t0 = Instant::now();
        let mut cache = auth.nonces.lock().unwrap();
        assert!(cache.insert("id:n1".into(), t0));
        assert!(!cache.insert("id:n1".into(), t0 + Duration::from_secs(16 * 60)));
        assert!(!cache.insert("id:n1".into(), t0 + Duration::from_secs(29 * 60)));
    }

    #[test]
    fn authorization_header_parses_and_rejects_other_shapes() {
        let a = Authorization::parse(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=x-acs-date;Host,Signature=ab",
        )
        .unwrap();
        assert_eq!((a.credential, a.signature), ("AK", "ab"));
        assert_eq!(a.signed_headers(), ["host", "x-acs-date"]);
        for bad in [
            "ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host,Signature=ab",
            "ACS3-HMAC-SHA256 Credential=AK",
            "ACS3-HMAC-SHA256",
        ] {
            let e = Authorization::parse(bad).err().expect(bad);
            assert_eq!(e.code, "IncompleteSignature", "{bad}");
        }
    }

    #[test]
    fn tokens_must_match_the_key_kind() {
        let sts = Credentials::new("id", "s").with_security_token("tok");
        let plain = Credentials::new("id", "s");
        assert!(check_token(&sts, Some("tok")).is_ok());
        assert_eq!(
            check_token(&sts, None).unwrap_err().code,
            "MissingSecurityToken"
        );
        assert_eq!(
            check_token(&sts, Some("tok2")).unwrap_err().code,
            "InvalidSecurityToken.Mismatch"
        );
        assert!(check_token(&plain, Some("")).is_ok());
        assert!(check_token(&plain, Some("tok")).is_err());
    }
}

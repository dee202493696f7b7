//! Signed playback URLs: Alibaba's URL signing types A, B and C, which a VOD
//! (CDN) domain checks before it serves a file. Pure functions: the time is an
//! argument, nothing is sent. Each signs a URL and verifies one (the emulator
//! serves play URLs only when they verify).
//!
//! In all three the signature is the hex MD5 of the path, a time and the
//! domain's private key, put together in the type's own order:
//!
//! | type | hashed | signed URL | time |
//! | --- | --- | --- | --- |
//! | A | `{path}-{timestamp}-{rand}-{uid}-{key}` | `{url}?auth_key={timestamp}-{rand}-{uid}-{md5}` | Unix seconds, decimal |
//! | B | `{key}{time}{path}` | `{scheme}://{host}/{time}/{md5}{path}` | `YYYYMMDDHHMM`, UTC+8 |
//! | C | `{key}{path}{hex time}` | `/{md5}/{hex time}{path}` or `{path}?KEY1={md5}&KEY2={hex time}` | Unix seconds, hex |
//!
//! The time is when the URL was signed; the domain serves it until that time
//! plus the validity period configured for the domain (the `ttl` of the
//! verifiers). Alibaba's own demos pass "now plus the wanted lifetime" as the
//! time, which stretches a URL's life by the configured period; `vod
//! sign-url --ttl` does the same (see the CLI's help).
//!
//! Known answers (the worked examples of Alibaba's signing pages, every hash
//! recomputed) are in `tests/vectors-url-signing/`. Where a page's prose and
//! its example disagree, the example wins: type A's page states its example's
//! time as 00:00 in UTC+8 while the timestamp it hashes, 1444435200, is 00:00
//! UTC; type C's page writes the hex time in upper case, and so do we (its
//! hash is taken over the time as written).

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// How a type C signature travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CForm {
    /// In the path: `/{md5}/{hex time}/path`.
    Path,
    /// In the query: `path?KEY1={md5}&KEY2={hex time}`.
    Query,
}

/// Why a URL could not be signed or did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlSigningError {
    /// Not an absolute `http(s)` URL with a path.
    #[error("not an absolute http(s) URL: {0}")]
    NotAUrl(String),
    /// A rand or uid with `-` (it separates the fields of `auth_key`).
    #[error("{0} must not contain '-'")]
    Field(&'static str),
    /// The URL carries no signature of the type.
    #[error("the URL carries no type {0} signature")]
    Unsigned(char),
    /// The signature does not match the path, time and key.
    #[error("the signature does not match")]
    BadSignature,
    /// Signed at `signed_at` (Unix seconds), valid for `ttl` seconds: expired.
    #[error("expired: signed at {signed_at}, valid for {ttl} s")]
    Expired {
        /// When the URL was signed, Unix seconds.
        signed_at: i64,
        /// The validity period it was checked against.
        ttl: i64,
    },
}

/// The private key of a domain's URL signing, redacted in `Debug`.
#[derive(Clone)]
pub struct UrlKey(String);

impl UrlKey {
    /// The key as configured for the domain.
    pub fn new(key: impl Into<String>) -> Self {
        UrlKey(key.into())
    }
}

impl std::fmt::Debug for UrlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlKey(** redacted **)")
    }
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn parse(url: &str) -> Result<url::Url, UrlSigningError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        _ => Err(UrlSigningError::NotAUrl(url.to_owned())),
    }
}

/// `scheme://host[:port]`.
fn origin(u: &url::Url) -> String {
    u.origin().ascii_serialization()
}

fn check_time(signed_at: i64, ttl: i64, now: i64) -> Result<(), UrlSigningError> {
    if now > signed_at.saturating_add(ttl) {
        return Err(UrlSigningError::Expired { signed_at, ttl });
    }
    Ok(())
}

/// Type A: adds `auth_key={timestamp}-{rand}-{uid}-{md5}` to the query.
/// `rand` and `uid` are the page's fields (`0` when unused) and must not
/// contain `-`.
pub fn sign_a(
    url: &str,
    key: &UrlKey,
    timestamp: i64,
    rand: &str,
    uid: &str,
) -> Result<String, UrlSigningError> {
    let u = parse(url)?;
    for (name, v) in [("rand", rand), ("uid", uid)] {
        if v.contains('-') || v.is_empty() {
            return Err(UrlSigningError::Field(name));
        }
    }
    let ts = timestamp.to_string();
    let hash = md5_hex(&[u.path(), "-", &ts, "-", rand, "-", uid, "-", &key.0]);
    let sep = if u.query().is_some() { '&' } else { '?' };
    Ok(format!("{url}{sep}auth_key={ts}-{rand}-{uid}-{hash}"))
}

/// Checks a type A URL: its `auth_key` matches and `now` is within `ttl`
/// seconds of its timestamp.
pub fn verify_a(url: &str, key: &UrlKey, now: i64, ttl: i64) -> Result<(), UrlSigningError> {
    let u = parse(url)?;
    let auth = u
        .query_pairs()
        .find(|(k, _)| k == "auth_key")
        .map(|(_, v)| v.into_owned())
        .ok_or(UrlSigningError::Unsigned('A'))?;
    let mut parts = auth.splitn(4, '-');
    let (Some(ts), Some(rand), Some(uid), Some(hash)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(UrlSigningError::Unsigned('A'));
    };
    let signed_at: i64 = ts.parse().map_err(|_| UrlSigningError::Unsigned('A'))?;
    let want = md5_hex(&[u.path(), "-", ts, "-", rand, "-", uid, "-", &key.0]);
    if !same(&want, hash) {
        return Err(UrlSigningError::BadSignature);
    }
    check_time(signed_at, ttl, now)
}

/// `YYYYMMDDHHMM` in UTC+8 (type B's time).
fn b_time(timestamp: i64) -> Result<String, UrlSigningError> {
    let beijing = UtcOffset::from_hms(8, 0, 0).map_err(|_| UrlSigningError::BadSignature)?;
    let t = OffsetDateTime::from_unix_timestamp(timestamp)
        .map_err(|_| UrlSigningError::Field("timestamp"))?
        .to_offset(beijing);
    Ok(format!(
        "{:04}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    ))
}

fn b_time_parse(text: &str) -> Option<i64> {
    if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let format = time::macros::format_description!("[year][month][day][hour][minute]");
    let t = PrimitiveDateTime::parse(text, &format).ok()?;
    let beijing = UtcOffset::from_hms(8, 0, 0).ok()?;
    Some(t.assume_offset(beijing).unix_timestamp())
}

/// Type B: `{scheme}://{host}/{YYYYMMDDHHMM}/{md5}{path}`, the time in UTC+8
/// (minutes: the seconds of `timestamp` are dropped).
pub fn sign_b(url: &str, key: &UrlKey, timestamp: i64) -> Result<String, UrlSigningError> {
    let u = parse(url)?;
    let t = b_time(timestamp)?;
    let hash = md5_hex(&[&key.0, &t, u.path()]);
    let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
    Ok(format!("{}/{t}/{hash}{}{query}", origin(&u), u.path()))
}

/// Checks a type B URL.
pub fn verify_b(url: &str, key: &UrlKey, now: i64, ttl: i64) -> Result<(), UrlSigningError> {
    let u = parse(url)?;
    let path = u.path();
    let mut segments = path.trim_start_matches('/').splitn(3, '/');
    let (Some(t), Some(hash), Some(rest)) = (segments.next(), segments.next(), segments.next())
    else {
        return Err(UrlSigningError::Unsigned('B'));
    };
    let signed_at = b_time_parse(t).ok_or(UrlSigningError::Unsigned('B'))?;
    let original = format!("/{rest}");
    if !same(&md5_hex(&[&key.0, t, &original]), hash) {
        return Err(UrlSigningError::BadSignature);
    }
    check_time(signed_at, ttl, now)
}

/// Type C, in either form; the hex time in upper case, as the page's example.
pub fn sign_c(
    url: &str,
    key: &UrlKey,
    timestamp: i64,
    form: CForm,
) -> Result<String, UrlSigningError> {
    let u = parse(url)?;
    if timestamp < 0 {
        return Err(UrlSigningError::Field("timestamp"));
    }
    let hex_time = format!("{timestamp:X}");
    let hash = md5_hex(&[&key.0, u.path(), &hex_time]);
    Ok(match form {
        CForm::Path => {
            let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("{}/{hash}/{hex_time}{}{query}", origin(&u), u.path())
        }
        CForm::Query => {
            let sep = if u.query().is_some() { '&' } else { '?' };
            format!("{url}{sep}KEY1={hash}&KEY2={hex_time}")
        }
    })
}

/// Checks a type C URL in either form.
pub fn verify_c(url: &str, key: &UrlKey, now: i64, ttl: i64) -> Result<(), UrlSigningError> {
    let u = parse(url)?;
    let pairs: Vec<(String, String)> = u.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (hash, hex_time, path) = match (get("KEY1"), get("KEY2")) {
        (Some(h), Some(t)) => (h, t, u.path().to_owned()),
        _ => {
            let mut segments = u.path().trim_start_matches('/').splitn(3, '/');
            let (Some(h), Some(t), Some(rest)) =
                (segments.next(), segments.next(), segments.next())
            else {
                return Err(UrlSigningError::Unsigned('C'));
            };
            (h.to_owned(), t.to_owned(), format!("/{rest}"))
        }
    };
    let signed_at =
        i64::from_str_radix(&hex_time, 16).map_err(|_| UrlSigningError::Unsigned('C'))?;
    if !same(&md5_hex(&[&key.0, &path, &hex_time]), &hash) {
        return Err(UrlSigningError::BadSignature);
    }
    check_time(signed_at, ttl, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "aliyuncdnexp1234";

    #[test]
    fn b_times_are_minutes_in_utc_plus_8() {
        assert_eq!(b_time(1_439_596_800).unwrap(), "201508150800");
        assert_eq!(b_time_parse("201508150800"), Some(1_439_596_800));
        assert_eq!(b_time_parse("2015081508"), None);
        assert_eq!(b_time_parse("20150815080x"), None);
    }

    #[test]
    fn what_signs_verifies_and_nothing_else_does() {
        let key = UrlKey::new(KEY);
        let url = "https://cdn.example.com/v/a.mp4?x=1";
        let now = 1_700_000_000;
        let a = sign_a(url, &key, now, "r1", "u1").unwrap();
        let b = sign_b(url, &key, now).unwrap();
        let c1 = sign_c(url, &key, now, CForm::Path).unwrap();
        let c2 = sign_c(url, &key, now, CForm::Query).unwrap();
        assert!(verify_a(&a, &key, now + 10, 1800).is_ok());
        assert!(verify_b(&b, &key, now + 10, 1800).is_ok());
        assert!(verify_c(&c1, &key, now + 10, 1800).is_ok());
        assert!(verify_c(&c2, &key, now + 10, 1800).is_ok());
        // Another key, a tampered path, an expired time.
        let other = UrlKey::new("other");
        assert_eq!(
            verify_a(&a, &other, now, 1800),
            Err(UrlSigningError::BadSignature)
        );
        assert_eq!(
            verify_a(&a.replace("a.mp4", "b.mp4"), &key, now, 1800),
            Err(UrlSigningError::BadSignature)
        );
        assert!(matches!(
            verify_b(&b, &key, now + 1801, 1800),
            Err(UrlSigningError::Expired { .. })
        ));
        assert!(matches!(
            verify_c(&c1, &key, now + 1801, 1800),
            Err(UrlSigningError::Expired { .. })
        ));
        assert_eq!(
            verify_a(url, &key, now, 1800),
            Err(UrlSigningError::Unsigned('A'))
        );
        assert_eq!(
            verify_c(url, &key, now, 1800),
            Err(UrlSigningError::Unsigned('C'))
        );
        assert_eq!(
            sign_a(url, &key, now, "a-b", "0"),
            Err(UrlSigningError::Field("rand"))
        );
        assert!(matches!(
            sign_b("not a url", &key, now),
            Err(UrlSigningError::NotAUrl(_))
        ));
        assert_eq!(format!("{key:?}"), "UrlKey(** redacted **)");
    }
}

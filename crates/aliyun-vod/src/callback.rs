//! Verifying VOD's HTTP callbacks (event notifications): VOD signs each
//! callback with two headers, `X-VOD-TIMESTAMP` (Unix seconds) and
//! `X-VOD-SIGNATURE`, the hex MD5 of `{callback URL}|{timestamp}|{key}` with
//! the callback URL exactly as configured and the authentication key set in
//! the console. Pure function: the time is an argument.
//!
//! **The body is not signed**: a signature proves that someone with the key
//! sent a callback to this URL at this time, not what the callback says. Use
//! HTTPS for the callback URL, keep the allowed clock skew small, and treat
//! an event as a hint to read the state back from the API when it matters.
//!
//! Known answer: the worked example of Alibaba's "HTTP callback
//! authentication" page, in `tests/vectors-url-signing/callback.json`.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The callback authentication key, redacted in `Debug`.
#[derive(Clone)]
pub struct CallbackKey(String);

impl CallbackKey {
    /// The key as set in the console.
    pub fn new(key: impl Into<String>) -> Self {
        CallbackKey(key.into())
    }
}

impl std::fmt::Debug for CallbackKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackKey(** redacted **)")
    }
}

/// Why a callback does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// A header is missing or empty.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// `X-VOD-TIMESTAMP` is not Unix seconds.
    #[error("X-VOD-TIMESTAMP is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is further than the allowed skew from now.
    #[error("stale: the callback is {skew} s away from now, more than the {allowed} s allowed")]
    Stale {
        /// Seconds between the timestamp and now.
        skew: i64,
        /// The skew allowed.
        allowed: i64,
    },
    /// No key gives this signature.
    #[error("the signature does not match")]
    BadSignature,
    /// Verified, but the body is not an event.
    #[error("the body is not an event: {0}")]
    NotAnEvent(crate::events::EventError),
}

/// `X-VOD-SIGNATURE` for a callback to `callback_url` at `timestamp`.
pub fn sign(callback_url: &str, timestamp: &str, key: &CallbackKey) -> String {
    let mut h = Md5::new();
    for part in [callback_url, "|", timestamp, "|", key.0.as_str()] {
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Checks a callback's headers: both present, the timestamp within
/// `max_skew` seconds of `now` (Unix seconds), and the signature made with one
/// of `keys` (two during a key rotation) over `callback_url` as configured.
/// The signature is compared in constant time.
pub fn verify(
    callback_url: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    keys: &[&CallbackKey],
    now: i64,
    max_skew: i64,
) -> Result<(), CallbackError> {
    let timestamp = timestamp
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(CallbackError::MissingHeader("X-VOD-TIMESTAMP"))?;
    let signature = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(CallbackError::MissingHeader("X-VOD-SIGNATURE"))?;
    let at: i64 = timestamp.parse().map_err(|_| CallbackError::BadTimestamp)?;
    let skew = now.saturating_sub(at).saturating_abs();
    if skew > max_skew {
        return Err(CallbackError::Stale {
            skew,
            allowed: max_skew,
        });
    }
    let given = signature.to_ascii_lowercase();
    let matched = keys.iter().fold(false, |found, key| {
        let want = sign(callback_url, timestamp, key);
        found | bool::from(want.as_bytes().ct_eq(given.as_bytes()))
    });
    if matched {
        Ok(())
    } else {
        Err(CallbackError::BadSignature)
    }
}

/// [`verify`], then reads the body ([`crate::events::parse`]): the typed
/// event of a callback that verifies, or why it does not.
pub fn verify_event(
    callback_url: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    keys: &[&CallbackKey],
    now: i64,
    max_skew: i64,
) -> Result<crate::events::Received, CallbackError> {
    verify(callback_url, timestamp, signature, keys, now, max_skew)?;
    crate::events::parse(body).map_err(CallbackError::NotAnEvent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://example.com/vod/events";

    #[test]
    fn tampering_staleness_and_rotation() {
        let old = CallbackKey::new("old-key");
        let new = CallbackKey::new("new-key");
        let now = 1_700_000_000;
        let ts = now.to_string();
        let sig = sign(URL, &ts, &old);
        let v = |url: &str, t: Option<&str>, s: Option<&str>, keys: &[&CallbackKey], now: i64| {
            verify(url, t, s, keys, now, 300)
        };
        assert_eq!(v(URL, Some(&ts), Some(&sig), &[&old], now), Ok(()));
        // Rotation: either key.
        assert_eq!(v(URL, Some(&ts), Some(&sig), &[&new, &old], now), Ok(()));
        assert_eq!(
            v(URL, Some(&ts), Some(&sig), &[&new], now),
            Err(CallbackError::BadSignature)
        );
        // Tampered URL, timestamp or signature.
        assert_eq!(
            v(
                "https://example.com/other",
                Some(&ts),
                Some(&sig),
                &[&old],
                now
            ),
            Err(CallbackError::BadSignature)
        );
        let later = (now + 1).to_string();
        assert_eq!(
            v(URL, Some(&later), Some(&sig), &[&old], now),
            Err(CallbackError::BadSignature)
        );
        let mut bad = sig.clone();
        bad.replace_range(..1, if sig.starts_with('0') { "1" } else { "0" });
        assert_eq!(
            v(URL, Some(&ts), Some(&bad), &[&old], now),
            Err(CallbackError::BadSignature)
        );
        // Upper-case hex is the same signature.
        assert_eq!(
            v(URL, Some(&ts), Some(&sig.to_uppercase()), &[&old], now),
            Ok(())
        );
        // Stale either way, missing or bad headers.
        assert_eq!(
            v(URL, Some(&ts), Some(&sig), &[&old], now + 301),
            Err(CallbackError::Stale {
                skew: 301,
                allowed: 300
            })
        );
        assert!(matches!(
            v(URL, Some(&ts), Some(&sig), &[&old], now - 301),
            Err(CallbackError::Stale { .. })
        ));
        assert_eq!(
            v(URL, None, Some(&sig), &[&old], now),
            Err(CallbackError::MissingHeader("X-VOD-TIMESTAMP"))
        );
        assert_eq!(
            v(URL, Some(&ts), Some(" "), &[&old], now),
            Err(CallbackError::MissingHeader("X-VOD-SIGNATURE"))
        );
        assert_eq!(
            v(URL, Some("soon"), Some(&sig), &[&old], now),
            Err(CallbackError::BadTimestamp)
        );
        assert_eq!(format!("{old:?}"), "CallbackKey(** redacted **)");
    }

    #[test]
    fn a_verified_body_reads_as_its_event() {
        let key = CallbackKey::new("k");
        let ts = "1700000000";
        let sig = sign(URL, ts, &key);
        let body = br#"{"EventType": "DeleteMediaComplete", "MediaId": "m"}"#;
        let got =
            verify_event(URL, Some(ts), Some(&sig), body, &[&key], 1_700_000_000, 60).unwrap();
        assert!(matches!(
            got.event,
            crate::events::Event::DeleteMediaComplete(_)
        ));
        // The signature is checked first: a bad one is refused whatever the body.
        assert_eq!(
            verify_event(URL, Some(ts), Some("00"), body, &[&key], 1_700_000_000, 60).unwrap_err(),
            CallbackError::BadSignature
        );
        assert!(matches!(
            verify_event(URL, Some(ts), Some(&sig), b"[]", &[&key], 1_700_000_000, 60),
            Err(CallbackError::NotAnEvent(_))
        ));
    }
}

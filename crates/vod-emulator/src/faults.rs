//! Fault injection: what can go wrong on purpose, and the state that decides,
//! request by request, whether it does.
//!
//! Faults apply to API requests only (the `metadata_*` ones to the metadata
//! service and the credentials URI), never to the admin endpoints.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Faults to inject. `Default` injects none. Also the JSON body of
/// `POST /__emulator/faults` (missing fields take their default, unknown
/// fields are refused):
///
/// ```
/// let f: vod_emulator::Faults = serde_json::from_str(r#"{"fail_next": 2, "throttle_qps": 5}"#).unwrap();
/// assert_eq!(f.fail_next, 2);
/// assert_eq!(f.throttle_qps, Some(5.0));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Milliseconds to wait before answering each request.
    pub latency_ms: u64,
    /// Share of requests (0.0–1.0) answered with `ServiceUnavailable` (503) or
    /// `InternalError` (500), half each.
    pub error_rate: f64,
    /// The next N requests are answered with `ServiceUnavailable` (503).
    pub fail_next: u32,
    /// Requests per second allowed (token bucket with a one-second burst);
    /// excess requests get `Throttling.User`, with an `x-ratelimit-user-api`
    /// header saying when the next token comes. `None` disables throttling.
    pub throttle_qps: Option<f64>,
    /// `x-acs-retry-after` (milliseconds) sent with `Throttling.User`.
    pub retry_after_ms: Option<u64>,
    /// The next N requests are processed, then their connection is cut in the
    /// middle of the response body.
    pub drop_next: u32,
    /// Share of requests (0.0–1.0) processed and then cut like `drop_next`.
    pub drop_rate: f64,
    /// The next N requests are not processed but answered `502 Bad Gateway`
    /// with an HTML page, as a proxy in front of the service would: a body
    /// that is neither JSON nor XML.
    pub bad_gateway_next: u32,
    /// The next N requests are processed, then answered with only the first
    /// half of their body; the response ends cleanly (its length matches), so
    /// the client sees a complete answer whose body is cut short.
    pub truncate_next: u32,
    /// The next N requests to the instance metadata service or the
    /// credentials URI are answered `500` (an IMDSv2 token request among
    /// them makes the client fall back to IMDSv1, when it may).
    pub metadata_fail_next: u32,
    /// Milliseconds to wait before answering each metadata or credentials
    /// URI request.
    pub metadata_latency_ms: u64,
    /// UploadPart of this part number is answered `500 InternalError`
    /// (`oss_fail_part_times` times; then it succeeds).
    pub oss_fail_part: Option<u32>,
    /// How many times `oss_fail_part` fails (default 0: with a part set,
    /// give a count; `u32::MAX` for always).
    pub oss_fail_part_times: u32,
    /// Setting faults with this on makes every key issued so far (UploadAuth,
    /// STS, metadata) expire at once; it is not kept on.
    pub expire_credentials_now: bool,
    /// The next N OSS requests are refused `403 SecurityTokenExpired`, as
    /// if their credentials had run out.
    pub oss_expired_next: u32,
    /// Milliseconds CompleteMultipartUpload waits, after storing the
    /// object, before it answers.
    pub oss_complete_latency_ms: u64,
    /// Milliseconds each UploadPart waits before it is stored.
    pub oss_part_latency_ms: u64,
    /// The next N UploadParts read half their body, then the connection is
    /// cut (nothing stored).
    pub oss_drop_part_next: u32,
}

impl Faults {
    /// Checks that rates are within 0.0–1.0 and the QPS is positive.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0.0 and 1.0, not {rate}"));
            }
        }
        match self.throttle_qps {
            Some(q) if !(q.is_finite() && q > 0.0) => {
                Err(format!("throttle_qps must be a positive number, not {q}"))
            }
            _ => Ok(()),
        }
    }
}

/// The live fault settings plus what they need to decide: the throttling
/// bucket and the random source.
pub(crate) struct FaultState {
    faults: Faults,
    bucket: Option<TokenBucket>,
    rng: StdRng,
}

/// What to do with one request before it is processed.
pub(crate) struct Before {
    pub(crate) latency: Duration,
    pub(crate) error: Option<ApiError>,
    /// Answer a proxy's `502 Bad Gateway` page instead of processing.
    pub(crate) bad_gateway: bool,
}

impl FaultState {
    pub(crate) fn new(faults: Faults, seed: Option<u64>, now: Instant) -> Self {
        let rng = match seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_entropy(),
        };
        let mut state = FaultState {
            faults: Faults::default(),
            bucket: None,
            rng,
        };
        state.set(faults, now);
        state
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Replaces the settings; the throttling bucket starts full.
    pub(crate) fn set(&mut self, faults: Faults, now: Instant) {
        self.bucket = faults.throttle_qps.map(|qps| TokenBucket::new(qps, now));
        self.faults = faults;
    }

    /// Decides the latency and whether the request fails before any work:
    /// `fail_next` first, then `bad_gateway_next`, then `error_rate`, then
    /// throttling.
    pub(crate) fn before(&mut self, now: Instant) -> Before {
        let latency = Duration::from_millis(self.faults.latency_ms);
        if self.faults.fail_next == 0 && self.faults.bad_gateway_next > 0 {
            self.faults.bad_gateway_next -= 1;
            return Before {
                latency,
                error: None,
                bad_gateway: true,
            };
        }
        let error = if self.faults.fail_next > 0 {
            self.faults.fail_next -= 1;
            Some(ApiError::service_unavailable())
        } else if self.faults.error_rate > 0.0 && self.rng.gen_bool(self.faults.error_rate) {
            Some(if self.rng.gen_bool(0.5) {
                ApiError::service_unavailable()
            } else {
                ApiError::internal()
            })
        } else if let Some(time_left) = self.bucket.as_mut().and_then(|b| b.take(now).err()) {
            let qps = self.faults.throttle_qps.unwrap_or(1.0);
            let ms = u64::try_from(time_left.as_millis()).unwrap_or(u64::MAX);
            Some(ApiError::throttled(self.faults.retry_after_ms, qps, ms))
        } else {
            None
        };
        Before {
            latency,
            error,
            bad_gateway: false,
        }
    }

    /// The latency of a metadata request, and whether it fails.
    pub(crate) fn metadata(&mut self) -> (Duration, bool) {
        let fail = self.faults.metadata_fail_next > 0;
        if fail {
            self.faults.metadata_fail_next -= 1;
        }
        (Duration::from_millis(self.faults.metadata_latency_ms), fail)
    }

    /// Whether UploadPart of part `number` fails now.
    pub(crate) fn fail_part(&mut self, number: u32) -> bool {
        if self.faults.oss_fail_part == Some(number) && self.faults.oss_fail_part_times > 0 {
            if self.faults.oss_fail_part_times != u32::MAX {
                self.faults.oss_fail_part_times -= 1;
            }
            return true;
        }
        false
    }

    /// Whether to refuse this OSS request as expired.
    pub(crate) fn oss_expired(&mut self) -> bool {
        let refuse = self.faults.oss_expired_next > 0;
        if refuse {
            self.faults.oss_expired_next -= 1;
        }
        refuse
    }

    /// How long this UploadPart waits, and whether its connection is cut
    /// in the middle of its body.
    pub(crate) fn part(&mut self) -> (Duration, bool) {
        let drop = self.faults.oss_drop_part_next > 0;
        if drop {
            self.faults.oss_drop_part_next -= 1;
        }
        (Duration::from_millis(self.faults.oss_part_latency_ms), drop)
    }

    /// Whether to cut this (processed) request's response.
    pub(crate) fn drop_response(&mut self) -> bool {
        if self.faults.drop_next > 0 {
            self.faults.drop_next -= 1;
            return true;
        }
        self.faults.drop_rate > 0.0 && self.rng.gen_bool(self.faults.drop_rate)
    }

    /// Whether to answer only the first half of this (processed) request's body.
    pub(crate) fn truncate_response(&mut self) -> bool {
        if self.faults.truncate_next > 0 {
            self.faults.truncate_next -= 1;
            return true;
        }
        false
    }
}

/// `qps` tokens per second, at most `max(qps, 1)` stored.
struct TokenBucket {
    qps: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(qps: f64, now: Instant) -> Self {
        let capacity = qps.max(1.0);
        TokenBucket {
            qps,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a token; `Err`: none left, and how long until the next.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.qps).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                ((1.0 - self.tokens) / self.qps).min(3600.0),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(state: &mut FaultState, now: Instant) -> Option<&'static str> {
        state.before(now).error.map(|e| e.code)
    }

    #[test]
    fn fail_next_counts_down() {
        let t = Instant::now();
        let mut s = FaultState::new(
            Faults {
                fail_next: 2,
                ..Faults::default()
            },
            Some(1),
            t,
        );
        assert_eq!(code(&mut s, t), Some("ServiceUnavailable"));
        assert_eq!(code(&mut s, t), Some("ServiceUnavailable"));
        assert_eq!(code(&mut s, t), None);
    }

    #[test]
    fn token_bucket_allows_a_burst_then_refills() {
        let t = Instant::now();
        let mut s = FaultState::new(
            Faults {
                throttle_qps: Some(2.0),
                retry_after_ms: Some(300),
                ..Faults::default()
            },
            Some(1),
            t,
        );
        assert_eq!(code(&mut s, t), None);
        assert_eq!(code(&mut s, t), None);
        let e = s
            .before(t)
            .error
            .expect("third request in the same instant is throttled");
        assert_eq!((e.code, e.retry_after_ms), ("Throttling.User", Some(300)));
        // The next token of a 2/s bucket comes in 500 ms.
        let quota = e.quota_header.unwrap();
        assert!(
            quota.starts_with("Limit:2,Remain:0,TimeLeft:500,Reset:"),
            "{quota}"
        );
        assert_eq!(code(&mut s, t + Duration::from_millis(500)), None);
    }

    #[test]
    fn rates_are_validated_and_error_rate_one_always_fails() {
        let bad = Faults {
            error_rate: 1.5,
            ..Faults::default()
        };
        assert!(bad.validate().unwrap_err().contains("error_rate"));
        let t = Instant::now();
        let mut s = FaultState::new(
            Faults {
                error_rate: 1.0,
                ..Faults::default()
            },
            Some(7),
            t,
        );
        let codes: Vec<_> = (0..20).map(|_| code(&mut s, t).unwrap()).collect();
        assert!(codes.contains(&"ServiceUnavailable") && codes.contains(&"InternalError"));
    }

    #[test]
    fn bad_gateway_next_and_truncate_next_count_down() {
        let t = Instant::now();
        let mut s = FaultState::new(
            Faults {
                fail_next: 1,
                bad_gateway_next: 1,
                truncate_next: 1,
                ..Faults::default()
            },
            Some(1),
            t,
        );
        let first = s.before(t);
        assert_eq!(first.error.map(|e| e.code), Some("ServiceUnavailable"));
        assert!(!first.bad_gateway);
        let second = s.before(t);
        assert!(second.bad_gateway && second.error.is_none());
        let third = s.before(t);
        assert!(!third.bad_gateway && third.error.is_none());
        assert!(s.truncate_response());
        assert!(!s.truncate_response());
    }

    #[test]
    fn drop_next_then_drop_rate() {
        let t = Instant::now();
        let mut s = FaultState::new(
            Faults {
                drop_next: 1,
                ..Faults::default()
            },
            Some(1),
            t,
        );
        assert!(s.drop_response());
        assert!(!s.drop_response());
    }
}

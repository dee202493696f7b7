//! When an attempt is tried again, and how long to wait before it.

use std::time::Duration;

use rand::Rng;

use crate::error::Error;

/// Whether an attempt may be tried again. A request that certainly never left
/// (the connection could not be opened) always may; one that may have reached
/// the service only for operations the spec marks safe to repeat, and then only
/// for transient failures or when the service asked for a retry with
/// `x-acs-retry-after`. Throttling of an unsafe operation is not retried either:
/// the spec's rule is that such an operation is never sent twice.
pub(crate) fn is_retryable(err: &Error, retry_safe: bool, has_retry_after: bool) -> bool {
    if !err.may_have_been_sent() {
        return matches!(err, Error::Transport { .. } | Error::Timeout { .. });
    }
    retry_safe && (err.is_transient() || has_retry_after)
}

/// Exponential backoff with "equal jitter" (half fixed, half random), so a retry
/// never comes right on the heels of a failure; the service's `x-acs-retry-after`
/// wins when it asks for longer (capped at one minute).
pub(crate) fn backoff(
    base: Duration,
    max: Duration,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << (attempt - 1).min(16)).min(max);
    let half = exp / 2;
    let jittered =
        half + Duration::from_secs_f64(rand::thread_rng().gen_range(0.0..=half.as_secs_f64()));
    match retry_after {
        Some(ra) => ra.min(Duration::from_secs(60)).max(jittered),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;

    #[test]
    fn retry_rules() {
        let svc = |status, code: &str| {
            Error::from(ServiceError {
                status,
                code: code.into(),
                message: String::new(),
                request_id: None,
                host_id: None,
                recommend: None,
                hint: None,
            })
        };
        assert!(is_retryable(&svc(400, "Throttling.User"), true, false));
        assert!(!is_retryable(&svc(400, "Throttling.User"), false, false));
        assert!(is_retryable(&svc(400, "Anything"), true, true));
        assert!(!is_retryable(&svc(400, "Anything"), false, true));
        assert!(is_retryable(&svc(503, "ServiceUnavailable"), true, false));
        assert!(!is_retryable(&svc(503, "ServiceUnavailable"), false, false));
        assert!(!is_retryable(&svc(400, "InvalidParameter"), true, false));
        let sent = Error::Transport {
            message: String::new(),
            sent: true,
            source: None,
        };
        let unsent = Error::Transport {
            message: String::new(),
            sent: false,
            source: None,
        };
        assert!(is_retryable(&sent, true, false) && !is_retryable(&sent, false, false));
        assert!(is_retryable(&unsent, false, false));
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(5);
        for attempt in 1..10 {
            let d = backoff(base, max, attempt, None);
            let exp = (base * (1 << (attempt - 1))).min(max);
            assert!(d <= exp && d >= exp / 2, "attempt {attempt}: {d:?}");
        }
        assert!(
            backoff(base, max, 1, Some(Duration::from_millis(700))) >= Duration::from_millis(700)
        );
    }
}

//! Temporary credentials, cached and refreshed ahead of expiry.
//!
//! [`Refreshing`] wraps a source that fetches temporary credentials (STS,
//! the instance metadata service, a credentials URI) and
//!
//! - serves the cached credentials until their refresh time, a fixed margin
//!   before they expire ([`Timing`]);
//! - refreshes one at a time however many tasks ask (single flight): a caller
//!   that still holds valid credentials is never made to wait for someone
//!   else's refresh; a caller with none waits for it, then reuses its result;
//! - after a failed refresh keeps serving credentials that are still valid and
//!   tries again with exponential backoff, never more than once per backoff
//!   step however many callers ask;
//! - never blocks an async worker thread (a `tokio` mutex for the refresh; the
//!   cache itself behind a `std` mutex held only to copy a value).
//!
//! Times are taken on the `tokio` clock: the wall-clock expiry a source reports
//! is turned into a deadline on that clock when the credentials arrive, so a
//! test can pause time and step it past a refresh.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// A boxed, sendable future (what [`Fetch::fetch`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Credentials that expire, as a source returns them.
#[derive(Clone, Debug)]
pub struct Temporary {
    /// The credentials (with their STS token).
    pub credentials: Credentials,
    /// When they stop working, wall clock (UTC).
    pub expiration: OffsetDateTime,
}

/// A source of temporary credentials (one fetch: one network exchange).
pub trait Fetch: Send + Sync + fmt::Debug {
    /// Where the credentials come from, for messages and logs (never a value).
    fn source(&self) -> String;
    /// Fetches fresh credentials. `Err` is the reason, safe to show: no secret.
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, String>>;
}

/// When to refresh and how to back off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Refresh once fewer than this remain before expiry, or half the
    /// credentials' life when they were issued for less than twice this (so
    /// short-lived credentials are not refreshed on every call).
    pub refresh_before: Duration,
    /// Refresh this long after a fetch even when expiry is far (the official
    /// libraries refresh ECS role credentials hourly); `None`: only by expiry.
    pub refresh_after: Option<Duration>,
    /// Credentials with fewer than this left are not served at all (a request
    /// signed with them could arrive after they expired).
    pub min_remaining: Duration,
    /// The first wait after a failed refresh; doubled per failure.
    pub backoff_base: Duration,
    /// The longest wait between refresh attempts.
    pub backoff_max: Duration,
}

impl Default for Timing {
    /// Refresh 15 minutes before expiry (when Alibaba's Python credentials
    /// library counts STS credentials stale; the Go one waits until 3
    /// minutes), serve nothing with less than 10 s left, back off from 1 s to
    /// 1 min.
    fn default() -> Self {
        Timing {
            refresh_before: Duration::from_secs(15 * 60),
            refresh_after: None,
            min_remaining: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

impl Timing {
    /// The ECS RAM role's: as [`Timing::default`], and also an hour after
    /// each fetch, as the official Python library prefetches them.
    pub fn ecs() -> Self {
        Timing {
            refresh_after: Some(Duration::from_secs(3600)),
            ..Timing::default()
        }
    }
}

#[derive(Clone)]
struct Cached {
    credentials: Credentials,
    expiration: OffsetDateTime,
    /// Deadline on the tokio clock: past it, not served.
    unusable_at: Instant,
    /// Deadline on the tokio clock: past it, a refresh is due.
    refresh_at: Instant,
}

impl Cached {
    /// Servable without a refresh.
    fn fresh(&self, now: Instant) -> bool {
        now < self.refresh_at && now < self.unusable_at
    }
}

/// What the refresh lock guards: the failures since the last success.
#[derive(Default)]
struct Failures {
    count: u32,
    retry_at: Option<Instant>,
    last: Option<String>,
}

/// A [`Fetch`] source behind a cache that refreshes ahead of expiry (see the
/// [module docs](crate::credentials)).
pub struct Refreshing {
    fetch: Box<dyn Fetch>,
    timing: Timing,
    cached: Mutex<Option<Cached>>,
    refresh: tokio::sync::Mutex<Failures>,
    wall: fn() -> OffsetDateTime,
}

impl fmt::Debug for Refreshing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cached credentials are not shown; when they expire is harmless.
        f.debug_struct("Refreshing")
            .field("fetch", &self.fetch)
            .field("timing", &self.timing)
            .field("expiration", &self.expiration())
            .finish_non_exhaustive()
    }
}

impl Refreshing {
    /// Caches `fetch` with the default [`Timing`].
    pub fn new(fetch: impl Fetch + 'static) -> Self {
        Self::with_timing(fetch, Timing::default())
    }

    /// Caches `fetch` with the given timing.
    pub fn with_timing(fetch: impl Fetch + 'static, timing: Timing) -> Self {
        Refreshing {
            fetch: Box::new(fetch),
            timing,
            cached: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(Failures::default()),
            wall: OffsetDateTime::now_utc,
        }
    }

    /// Where the credentials come from.
    pub fn source(&self) -> String {
        self.fetch.source()
    }

    /// When the cached credentials expire, if any are cached.
    pub fn expiration(&self) -> Option<OffsetDateTime> {
        self.snapshot().map(|c| c.expiration)
    }

    fn snapshot(&self) -> Option<Cached> {
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn store(&self, temporary: Temporary, now: Instant) -> Cached {
        let left = temporary.expiration - (self.wall)();
        let left = Duration::try_from(left).unwrap_or(Duration::ZERO);
        let margin = self.timing.refresh_before.min(left / 2);
        let mut refresh_at = now + left.saturating_sub(margin);
        if let Some(after) = self.timing.refresh_after {
            refresh_at = refresh_at.min(now + after);
        }
        let cached = Cached {
            credentials: temporary.credentials,
            expiration: temporary.expiration,
            unusable_at: now + left.saturating_sub(self.timing.min_remaining),
            refresh_at,
        };
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(cached.clone());
        cached
    }

    /// Credentials valid now: the cached ones, or fresh ones.
    pub async fn get(&self) -> Result<(Credentials, OffsetDateTime), String> {
        let now = Instant::now();
        let cached = self.snapshot();
        if let Some(c) = &cached {
            if c.fresh(now) {
                return Ok((c.credentials.clone(), c.expiration));
            }
        }
        let usable = cached.filter(|c| now < c.unusable_at);
        let mut failures = match &usable {
            // Still valid: refresh only if nobody else is, and never wait.
            Some(c) => match self.refresh.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok((c.credentials.clone(), c.expiration)),
            },
            None => self.refresh.lock().await,
        };
        // Someone may have refreshed while this caller waited for the lock.
        let now = Instant::now();
        let current = self.snapshot();
        if let Some(c) = &current {
            if c.fresh(now) {
                return Ok((c.credentials.clone(), c.expiration));
            }
        }
        let usable = current.filter(|c| now < c.unusable_at);
        if failures.retry_at.is_some_and(|at| now < at) {
            return match usable {
                Some(c) => Ok((c.credentials.clone(), c.expiration)),
                None => Err(failures
                    .last
                    .clone()
                    .unwrap_or_else(|| "refresh failed".to_owned())),
            };
        }
        let fetched = self.fetch.fetch().await.and_then(|t| {
            let left = Duration::try_from(t.expiration - (self.wall)()).unwrap_or(Duration::ZERO);
            if left <= self.timing.min_remaining {
                return Err(format!(
                    "the credentials it returned expire at {}, too soon to use",
                    t.expiration
                ));
            }
            Ok(t)
        });
        match fetched {
            Ok(temporary) => {
                *failures = Failures::default();
                let c = self.store(temporary, Instant::now());
                tracing::debug!(
                    source = %self.fetch.source(),
                    access_key_id = c.credentials.access_key_id(),
                    expiration = %c.expiration,
                    "temporary credentials refreshed"
                );
                Ok((c.credentials, c.expiration))
            }
            Err(reason) => {
                failures.count = failures.count.saturating_add(1);
                let delay = self
                    .timing
                    .backoff_base
                    .saturating_mul(1 << failures.count.saturating_sub(1).min(16))
                    .min(self.timing.backoff_max);
                failures.retry_at = Some(Instant::now() + delay);
                failures.last = Some(reason.clone());
                tracing::warn!(
                    source = %self.fetch.source(),
                    failures = failures.count,
                    retry_in_ms = delay.as_millis() as u64,
                    still_valid = usable.is_some(),
                    reason = %reason,
                    "refreshing credentials failed"
                );
                match usable {
                    Some(c) => Ok((c.credentials, c.expiration)),
                    None => Err(reason),
                }
            }
        }
    }
}

impl ProvideCredentials for Refreshing {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            self.get()
                .await
                .map(|(c, _)| c)
                .map_err(|reason| CredentialsError::single(self.source(), reason))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;

    /// Counts fetches; each yields credentials named after the count, valid
    /// for `life` (or fails while `failing` is set), after `delay`.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicU32>,
        failing: Arc<std::sync::atomic::AtomicBool>,
        life: Duration,
        delay: Duration,
    }

    impl Fetch for Counting {
        fn source(&self) -> String {
            "test source".to_owned()
        }
        fn fetch(&self) -> BoxFuture<'_, Result<Temporary, String>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(self.delay).await;
                if self.failing.load(Ordering::SeqCst) {
                    return Err(format!("fetch {n} failed"));
                }
                Ok(Temporary {
                    credentials: Credentials::new(format!("STS.{n}"), "secret")
                        .with_security_token("token"),
                    expiration: OffsetDateTime::now_utc() + self.life,
                })
            })
        }
    }

    fn counting(
        life: Duration,
        delay: Duration,
    ) -> (
        Refreshing,
        Arc<AtomicU32>,
        Arc<std::sync::atomic::AtomicBool>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r = Refreshing::new(Counting {
            calls: calls.clone(),
            failing: failing.clone(),
            life,
            delay,
        });
        (r, calls, failing)
    }

    async fn id(r: &Refreshing) -> String {
        r.get().await.unwrap().0.access_key_id().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_only_once_the_margin_before_expiry_is_reached() {
        let (r, calls, _) = counting(Duration::from_secs(3600), Duration::ZERO);
        assert_eq!(id(&r).await, "STS.1");
        tokio::time::advance(Duration::from_secs(3600 - 901)).await;
        assert_eq!(id(&r).await, "STS.1");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(id(&r).await, "STS.2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(r.expiration().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_hundred_callers_share_one_fetch() {
        let (r, calls, _) = counting(Duration::from_secs(3600), Duration::from_millis(200));
        let r = Arc::new(r);
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { id(&r).await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "STS.1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // At refresh time, with valid credentials: one refresh, nobody waits.
        tokio::time::advance(Duration::from_secs(3500)).await;
        let started = Instant::now();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { id(&r).await })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(ids.iter().all(|i| i == "STS.1" || i == "STS.2"), "{ids:?}");
        // The refreshing caller itself waited for the fetch; others did not.
        assert!(
            ids.iter().filter(|i| *i == "STS.1").count() >= 98,
            "{ids:?}"
        );
        assert!(Instant::now() - started <= Duration::from_millis(200));
        assert_eq!(id(&r).await, "STS.2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_serves_valid_credentials_and_backs_off() {
        // 600 s of life: refreshed at half-life, not 15 min before expiry
        // (which would be on every call).
        let (r, calls, failing) = counting(Duration::from_secs(600), Duration::ZERO);
        assert_eq!(id(&r).await, "STS.1");
        tokio::time::advance(Duration::from_secs(299)).await;
        assert_eq!(id(&r).await, "STS.1");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        failing.store(true, Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(131)).await;
        // Due, fails, still valid: served.
        assert_eq!(id(&r).await, "STS.1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // Within the backoff: no new attempt, however many ask.
        for _ in 0..50 {
            assert_eq!(id(&r).await, "STS.1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert_eq!(id(&r).await, "STS.1");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // Backoff doubled: 2 s now.
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(id(&r).await, "STS.1");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // Expired (less than 10 s left) and still failing: an error naming why.
        tokio::time::advance(Duration::from_secs(170)).await;
        tokio::time::advance(Duration::from_secs(61)).await;
        let e = r.get().await.unwrap_err();
        assert!(e.starts_with("fetch "), "{e}");
        // Recovery.
        failing.store(false, Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(61)).await;
        let (c, _) = r.get().await.unwrap();
        assert!(c.access_key_id().starts_with("STS."));
    }

    #[tokio::test(start_paused = true)]
    async fn ecs_timing_also_refreshes_an_hour_after_a_fetch() {
        let calls = Arc::new(AtomicU32::new(0));
        let r = Refreshing::with_timing(
            Counting {
                calls: calls.clone(),
                failing: Arc::default(),
                life: Duration::from_secs(6 * 3600),
                delay: Duration::ZERO,
            },
            Timing::ecs(),
        );
        assert_eq!(id(&r).await, "STS.1");
        tokio::time::advance(Duration::from_secs(3599)).await;
        assert_eq!(id(&r).await, "STS.1");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(id(&r).await, "STS.2");
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_too_short_lived_to_use_are_refused() {
        let (r, _, _) = counting(Duration::from_secs(5), Duration::ZERO);
        let e = r.get().await.unwrap_err();
        assert!(e.contains("too soon to use"), "{e}");
        let e = r.provide().await.unwrap_err();
        assert_eq!(e.attempts[0].source, "test source");
    }

    #[test]
    fn debug_shows_no_secret() {
        let (r, _, _) = counting(Duration::from_secs(3600), Duration::ZERO);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(r.get()).unwrap();
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("token"),
            "{shown}"
        );
        assert!(shown.contains("expiration"), "{shown}");
    }
}

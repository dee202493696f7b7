//! A rate limiter shared by every process of a fleet, on Redis (feature
//! `redis`).
//!
//! The service counts calls per account, per API, per second, whichever
//! process makes them. [`RedisLimiter`] keeps, per (account, action, limit),
//! one sorted set of call start times on the Redis server, and one Lua
//! script, run atomically in one round trip per call, reserves the next start:
//! the earliest time, on Redis's clock, at which no one-second window holds
//! more than the limit, never before a start already reserved (so callers are
//! served in order across processes) nor inside a pause the service asked
//! for. The caller then sleeps until its start. A caller cancelled while it
//! waits gives its reservation back.
//!
//! Redis failing must never fail or stall a call: each Redis exchange has a
//! short timeout; when one fails, this process falls back to its own local
//! limiter at a share of the limit (so N processes at a share of 1/N stay
//! within it), logs that once, and tries Redis again at most once per
//! `probe_interval`, returning to the shared limiter as soon as Redis answers.
//!
//! Accounts are keyed by a hash of the AccessKeyId (or of an account name
//! given with [`RedisLimiter::with_account`]), never the key itself.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::rate_limit::RateLimiters;

/// Reserves a start. KEYS: the window's sorted set, its pause key. ARGV: the
/// limit, this call's member, the window in microseconds. Answers the wait in
/// microseconds.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local at = now
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local kth = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  at = math.max(at, tonumber(kth[2]) + window)
end
if n > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  at = math.max(at, tonumber(last[2]))
end
local pause = redis.call('GET', KEYS[2])
if pause then
  at = math.max(at, tonumber(pause))
end
redis.call('ZADD', KEYS[1], at, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.floor((at - now + window) / 1000) + 1000)
return at - now
";

/// Pauses a window. KEYS: the pause key. ARGV: the pause in milliseconds.
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ms = tonumber(ARGV[1])
local till = now + ms * 1000
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(current) < till then
  redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', ms + 1000)
end
return 0
";

/// The window: one second, as the service counts.
const WINDOW: Duration = Duration::from_secs(1);

/// How a [`RedisLimiter`] behaves when Redis is slow or gone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RedisLimiterSettings {
    /// The longest one Redis exchange (connecting included) may take before
    /// this process falls back to its local limiter (default 100 ms).
    pub timeout: Duration,
    /// The share of each limit the local limiter allows while Redis is
    /// unavailable (default 0.25: four processes stay within the limit).
    pub fallback_share: f64,
    /// How often, while falling back, Redis is tried again (default 1 s).
    pub probe_interval: Duration,
    /// The prefix of every Redis key (default `aliyun-rate`).
    pub key_prefix: &'static str,
    /// Added to the one-second window (default 20 ms): calls from many
    /// processes reach the service with some jitter after their reserved
    /// starts, and a window at exactly one second could then count one call
    /// too many. Costs 2% of the limit.
    pub window_margin: Duration,
}

impl Default for RedisLimiterSettings {
    fn default() -> Self {
        RedisLimiterSettings {
            timeout: Duration::from_millis(100),
            fallback_share: 0.25,
            probe_interval: Duration::from_secs(1),
            key_prefix: "aliyun-rate",
            window_margin: Duration::from_millis(20),
        }
    }
}

/// A rate limiter on Redis, shared by every process that points at the same
/// server (see the [module docs](self)). Cheap to clone; clones share the
/// connection.
#[derive(Clone)]
pub struct RedisLimiter {
    inner: Arc<Inner>,
    /// What calls are counted against instead of their AccessKeyId.
    account: Option<Arc<str>>,
}

struct Inner {
    client: redis::Client,
    /// `host:port`, for messages (never the URL: it may hold a password).
    shown: String,
    settings: RedisLimiterSettings,
    reserve: redis::Script,
    pause: redis::Script,
    connection: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    /// Set while falling back: when Redis may be tried again.
    retry_at: Option<Instant>,
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("server", &self.inner.shown)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// Where one call's limits live in Redis.
struct Keys {
    window: String,
    pause: String,
}

impl RedisLimiter {
    /// A limiter on the Redis server at `url` (`redis://host:port/db`, with
    /// `user:password@` if needed). Nothing is sent yet: an unreachable
    /// server is not an error here, only a fallback later. `Err`: the URL is
    /// not a Redis URL.
    pub fn new(url: &str) -> Result<Self, String> {
        Self::with_settings(url, RedisLimiterSettings::default())
    }

    /// Like [`new`](Self::new), with other [`RedisLimiterSettings`].
    pub fn with_settings(url: &str, settings: RedisLimiterSettings) -> Result<Self, String> {
        let client = redis::Client::open(url)
            .map_err(|_| "the rate limiter's Redis URL is not a valid redis:// URL".to_owned())?;
        let shown = client.get_connection_info().addr().to_string();
        if !(settings.fallback_share > 0.0 && settings.fallback_share <= 1.0) {
            return Err(format!(
                "fallback_share must be above 0 and at most 1, not {}",
                settings.fallback_share
            ));
        }
        Ok(RedisLimiter {
            inner: Arc::new(Inner {
                client,
                shown,
                settings,
                reserve: redis::Script::new(RESERVE),
                pause: redis::Script::new(PAUSE),
                connection: tokio::sync::Mutex::new(None),
                health: Mutex::new(Health::default()),
            }),
            account: None,
        })
    }

    /// Counts every call against `account` (say, the Alibaba Cloud account
    /// id) instead of the AccessKeyId that signs it: processes that sign with
    /// different keys of one account, such as STS credentials that change at
    /// every refresh, then share its limits. Only a hash of it reaches Redis.
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into().into());
        self
    }

    /// Whether this process is falling back to its local limiter now.
    pub fn is_falling_back(&self) -> bool {
        self.health().retry_at.is_some()
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.inner.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keys(&self, access_key_id: &str, action: &str, limit: u32) -> Keys {
        let account = self.account.as_deref().unwrap_or(access_key_id);
        let digest = Sha256::digest(account.as_bytes());
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let window = format!("{}:{hash}:{action}:{limit}", self.inner.settings.key_prefix);
        Keys {
            pause: format!("{window}:pause"),
            window,
        }
    }

    /// Waits until a call to `action`, limited to `per_second` for the
    /// account of `access_key_id`, may start: by the shared limiter, or by
    /// `local` at the fallback share when Redis is unavailable. (A client
    /// given this limiter calls it before every attempt; it is public for
    /// callers that pace their own work by the same limits.)
    ///
    /// Cancel-safe: dropped while waiting, it gives its reservation back.
    pub async fn acquire(
        &self,
        local: &RateLimiters,
        access_key_id: &str,
        action: &'static str,
        per_second: u32,
    ) {
        let limit = per_second.max(1);
        let share = (f64::from(limit) * self.inner.settings.fallback_share).floor();
        // The float is at least 0 and at most `limit`: the cast cannot truncate.
        let fallback_limit = (share as u32).max(1);
        let keys = self.keys(access_key_id, action, limit);
        loop {
            if self.should_try(Instant::now()) {
                if let Some(wait) = self.reserve(&keys, limit).await {
                    let mut reservation = Reservation {
                        limiter: self,
                        window: keys.window.clone(),
                        member: wait.1,
                        done: false,
                    };
                    // tokio's timer ticks in milliseconds: a start due now
                    // must not wait for the next tick.
                    if !wait.0.is_zero() {
                        tokio::time::sleep(wait.0).await;
                    }
                    reservation.done = true;
                    return;
                }
            }
            // Falling back. A waiter of the local limiter also tries Redis
            // again when the next probe is due (the local limiter is
            // cancel-safe: leaving its queue takes no slot), so the process
            // returns to the shared limits as soon as Redis answers, rather
            // than adding its local share on top of them.
            let probe_at = self
                .health()
                .retry_at
                .unwrap_or_else(|| Instant::now() + self.inner.settings.probe_interval);
            tokio::select! {
                () = local.acquire(action, fallback_limit) => return,
                () = tokio::time::sleep_until(probe_at) => {}
            }
        }
    }

    /// Reserves a start: how long to wait for it, and the reservation's
    /// member. `None`: Redis did not answer.
    async fn reserve(&self, keys: &Keys, limit: u32) -> Option<(Duration, String)> {
        let member = uuid_like();
        let window_micros = u64::try_from((WINDOW + self.inner.settings.window_margin).as_micros())
            .unwrap_or(u64::MAX);
        let wait_micros = self
            .exchange(|mut c| {
                let script = self.inner.reserve.clone();
                let (window, pause, member) =
                    (keys.window.clone(), keys.pause.clone(), member.clone());
                async move {
                    script
                        .key(window)
                        .key(pause)
                        .arg(limit)
                        .arg(member)
                        .arg(window_micros)
                        .invoke_async::<i64>(&mut c)
                        .await
                }
            })
            .await?;
        Some((
            Duration::from_micros(wait_micros.max(0).unsigned_abs()),
            member,
        ))
    }

    /// Holds back every process's calls to `action` for `pause` (the service
    /// said the quota is spent). Best effort: if Redis does not answer, the
    /// local pause the caller also sets is what remains.
    pub(crate) async fn pause(
        &self,
        access_key_id: &str,
        action: &'static str,
        per_second: u32,
        pause: Duration,
    ) {
        if !self.should_try(Instant::now()) {
            return;
        }
        let keys = self.keys(access_key_id, action, per_second.max(1));
        let ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX).max(1);
        self.exchange(|mut c| {
            let script = self.inner.pause.clone();
            let key = keys.pause.clone();
            async move { script.key(key).arg(ms).invoke_async::<i64>(&mut c).await }
        })
        .await;
    }

    /// Whether Redis should be asked now: it is healthy, or the next probe is due.
    fn should_try(&self, now: Instant) -> bool {
        self.health().retry_at.is_none_or(|at| now >= at)
    }

    /// Runs one exchange within the timeout, connecting first if needed.
    /// `None`: it failed; the fallback is logged (once) and the connection
    /// dropped, so the next probe connects afresh.
    async fn exchange<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let connection = {
                let mut slot = self.inner.connection.lock().await;
                match &*slot {
                    Some(c) => c.clone(),
                    None => {
                        let c = self
                            .inner
                            .client
                            .get_multiplexed_async_connection()
                            .await
                            .map_err(|e| describe(&e))?;
                        *slot = Some(c.clone());
                        c
                    }
                }
            };
            call(connection).await.map_err(|e| describe(&e))
        };
        let outcome = match tokio::time::timeout(self.inner.settings.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no answer within {} ms",
                self.inner.settings.timeout.as_millis()
            )),
        };
        match outcome {
            Ok(value) => {
                let recovered = self.health().retry_at.take().is_some();
                if recovered {
                    tracing::info!(server = %self.inner.shown, "shared rate limiter: Redis answers again; back to the shared limits");
                }
                Some(value)
            }
            Err(reason) => {
                *self.inner.connection.lock().await = None;
                let first = {
                    let mut health = self.health();
                    let first = health.retry_at.is_none();
                    health.retry_at = Some(Instant::now() + self.inner.settings.probe_interval);
                    first
                };
                if first {
                    tracing::warn!(
                        server = %self.inner.shown,
                        %reason,
                        share = self.inner.settings.fallback_share,
                        "shared rate limiter: Redis unavailable; this process falls back to its local limiter at a share of each limit"
                    );
                }
                None
            }
        }
    }
}

/// A Redis error, without anything that could carry the URL's password.
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connection_refusal() {
        "connection refused".to_owned()
    } else if e.is_io_error() || e.is_connection_dropped() {
        "connection lost".to_owned()
    } else {
        format!("{:?} error", e.kind())
    }
}

/// A reserved start not yet reached: dropped early (the caller was
/// cancelled), it is given back.
struct Reservation<'a> {
    limiter: &'a RedisLimiter,
    window: String,
    member: String,
    done: bool,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let limiter = self.limiter.clone();
        let (window, member) = (
            std::mem::take(&mut self.window),
            std::mem::take(&mut self.member),
        );
        runtime.spawn(async move {
            limiter
                .exchange(|mut c| async move {
                    redis::cmd("ZREM")
                        .arg(window)
                        .arg(member)
                        .query_async::<i64>(&mut c)
                        .await
                })
                .await;
        });
    }
}

/// A member unique to one call: random, no dependency on a uuid crate.
fn uuid_like() -> String {
    let n: u128 = rand::random();
    format!("{n:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_the_account_and_never_hold_it() {
        let l = RedisLimiter::new("redis://:hunter2@127.0.0.1:6399/0").unwrap();
        let k = l.keys("LTAI5tSecretLookingId", "GetURLUploadInfos", 100);
        assert!(k.window.starts_with("aliyun-rate:"));
        assert!(k.window.ends_with(":GetURLUploadInfos:100"));
        assert!(!k.window.contains("LTAI5t"));
        assert_eq!(k.pause, format!("{}:pause", k.window));
        // Same account, same keys; another account, others.
        assert_eq!(
            l.keys("LTAI5tSecretLookingId", "A", 1).window,
            l.keys("LTAI5tSecretLookingId", "A", 1).window
        );
        assert_ne!(
            l.keys("other", "A", 1).window,
            l.keys("LTAI5tSecretLookingId", "A", 1).window
        );
        // An explicit account replaces the key id.
        let a = l.clone().with_account("1234567890123456");
        assert_eq!(a.keys("id-1", "A", 1).window, a.keys("id-2", "A", 1).window);
        let shown = format!("{l:?} {a:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("127.0.0.1:6399"),
            "{shown}"
        );
    }

    #[test]
    fn bad_urls_and_shares_are_refused() {
        assert!(RedisLimiter::new("http://127.0.0.1:6379").is_err());
        let e = RedisLimiter::new("redis://:pw-secret@bad host:1").unwrap_err();
        assert!(!e.contains("pw-secret"));
        let bad = RedisLimiterSettings {
            fallback_share: 0.0,
            ..RedisLimiterSettings::default()
        };
        assert!(RedisLimiter::with_settings("redis://127.0.0.1", bad).is_err());
    }

    #[tokio::test]
    async fn an_unreachable_server_falls_back_at_once_and_probes_later() {
        // A port nothing listens on: refused at once.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let l = RedisLimiter::new(&format!("redis://127.0.0.1:{port}/")).unwrap();
        let local = RateLimiters::default();
        let t = std::time::Instant::now();
        for _ in 0..3 {
            l.acquire(&local, "id", "A", 100).await;
        }
        assert!(l.is_falling_back());
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert!(
            !l.should_try(Instant::now()),
            "no probe before the interval"
        );
    }
}

//! The client and its one request pipeline ([`Client::invoke`]): credentials,
//! rate limiter, signing, sending, retries and reading the body, for any
//! operation described by data. Compiled once, whatever the number of
//! operations; typed calls ([`Client::send`]) are thin wrappers around it.
//! One `reqwest` connection pool per client; clones share it, and share the
//! rate limiter.

use std::sync::Arc;
use std::time::Duration;

use aliyun_sign::{Credentials, Nonce, Timestamp};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::Config;
use crate::decode::{decode_service_error, redact_error, Response};
use crate::diagnose::hint_for;
use crate::endpoint::{is_loopback, resolve_endpoint, user_agent, Product};
use crate::error::{DecodeError, Error};
use crate::operation::Operation;
use crate::params::{encode_input, WireParams};
use crate::prepare::{prepare, PreparedRequest, Target};
use crate::rate_limit::RateLimiters;
use crate::retry::{backoff, is_retryable};
use crate::transport::{effective_connect_timeout, exchange, MAX_RESPONSE_BYTES};

/// A client for one product. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    product: &'static Product,
    base_url: String,
    host: String,
    config: Config,
    limiters: RateLimiters,
    user_agent: String,
}

impl Client {
    /// Builds a client; fails on an unknown region or a malformed endpoint.
    pub fn new(product: &'static Product, config: Config) -> Result<Self, Error> {
        let (base_url, host) = resolve_endpoint(product, &config)?;
        let user_agent = user_agent(product, config.user_agent.as_deref());
        let mut builder = reqwest::Client::builder()
            // The connect timer must fire before the whole-attempt timer, so a
            // connection that never opened is reported as such (nothing was sent,
            // safe to retry) and never as an exchange that timed out.
            .connect_timeout(effective_connect_timeout(&config))
            .timeout(config.attempt_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A signed request must never be replayed to another host: the URL (GET)
            // carries the STS token. A 3xx surfaces as an error instead.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&host) {
            // A local emulator or test server: a system proxy must not intercept it.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                product,
                base_url,
                host,
                config,
                limiters: RateLimiters::default(),
                user_agent,
            }),
        })
    }

    /// Refuses, before anything is sent, an operation that does not exist in
    /// the client's region (some exist only in one or two). A client built with
    /// an explicit endpoint is not checked: the endpoint says where it goes.
    pub fn check_region(&self, op: &Operation) -> Result<(), Error> {
        let cfg = &self.inner.config;
        if op.regions.is_empty() || cfg.endpoint.is_some() {
            return Ok(());
        }
        let region = cfg
            .region
            .as_deref()
            .unwrap_or(self.inner.product.default_region);
        if op.regions.contains(&region) {
            return Ok(());
        }
        Err(Error::Config(format!(
            "{} is only available in {}; this client is for {region} (build one with .region(\"{}\") for it)",
            op.action,
            op.regions.join(", "),
            op.regions[0]
        )))
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The base URL requests go to, e.g. `https://vod.cn-shanghai.aliyuncs.com`.
    pub fn endpoint(&self) -> &str {
        &self.inner.base_url
    }

    /// The credentials the next attempt would be signed with, from the
    /// configured provider. The client asks before every attempt, so a long
    /// call (a waiter, an upload, retries) always signs with credentials valid
    /// at that moment; providers cache (the default chain resolves its source
    /// once, temporary credentials are refreshed ahead of expiry).
    pub async fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.inner.config.credentials.provide().await?)
    }

    fn now(&self) -> Timestamp {
        match &self.inner.config.clock {
            Some(clock) => Timestamp::from_datetime(clock()),
            None => Timestamp::now(),
        }
    }

    /// Signs a call of `op` with a fresh timestamp and nonce, without sending it.
    pub fn prepare(
        &self,
        op: &Operation,
        params: &[(std::borrow::Cow<'static, str>, String)],
        credentials: &Credentials,
    ) -> PreparedRequest {
        let inner = &self.inner;
        let target = Target {
            base_url: &inner.base_url,
            host: &inner.host,
            version: inner.product.version,
            user_agent: &inner.user_agent,
        };
        prepare(
            &inner.config,
            &target,
            op,
            params,
            credentials,
            &self.now(),
            &Nonce::random(),
        )
    }

    /// Validates a typed input, runs it through [`Client::invoke`] and decodes
    /// the typed output. What every generated `send()` calls.
    pub async fn send<I, O>(&self, op: &'static Operation, input: &I) -> Result<O, Error>
    where
        I: Serialize + ?Sized,
        O: DeserializeOwned,
    {
        let params = encode_input(op, input)?;
        self.invoke(op, params).await?.decode()
    }

    /// The request pipeline: runs one call of `op` with parameters already in
    /// wire form (see [`crate::params::encode`]) and returns the success answer
    /// undecoded. Rate limit, sign, send, retry as allowed, read the body.
    ///
    /// Every attempt waits for the rate limiter and is signed afresh (new
    /// `SignatureNonce` and `Timestamp`). An attempt that failed is tried again,
    /// up to [`crate::RetryConfig::max_attempts`] in all, when
    /// - the connection could not be opened (nothing was sent), for any operation;
    /// - for operations whose [`Operation::retry_safe`] is set only: the
    ///   service answered a transient error ([`Error::is_transient`]) or sent
    ///   `x-acs-retry-after`, or the exchange broke or timed out after sending.
    pub async fn invoke(
        &self,
        op: &'static Operation,
        params: WireParams,
    ) -> Result<Response, Error> {
        self.check_region(op)?;
        let cfg = &self.inner.config;
        let max_attempts = cfg.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if cfg.rate_limit {
                if let Some(qps) = op.qps_limit {
                    self.wait_for_quota(op, qps).await?;
                }
            }
            // Asked per attempt: a retry after a long backoff, or the next
            // poll of a waiter, must not sign with credentials that expired.
            let credentials = if op.anonymous {
                Credentials::new("", "")
            } else {
                self.credentials().await?
            };
            let prepared = self.prepare(op, &params, &credentials);
            tracing::debug!(action = op.action, attempt, "sending attempt");
            tracing::trace!(
                request = %crate::prepare::redact_sensitive(&prepared.redacted(&credentials), op, &params),
                "signed request"
            );
            let (err, retry_after) = match self.attempt(op, &prepared, &credentials).await {
                Ok(Ok((status, body))) => {
                    return Ok(Response {
                        op,
                        format: cfg.format,
                        status,
                        body,
                        credentials,
                    })
                }
                Ok(Err((err, retry_after))) => (err, retry_after),
                Err(err) => (err, None),
            };
            let retry =
                attempt < max_attempts && is_retryable(&err, op.retry_safe, retry_after.is_some());
            tracing::debug!(
                action = op.action,
                attempt,
                error = %err,
                retry,
                "attempt failed"
            );
            if !retry {
                return Err(err);
            }
            let delay = backoff(
                cfg.retry.base_delay,
                cfg.retry.max_delay,
                attempt,
                retry_after,
            );
            tracing::debug!(
                action = op.action,
                attempt,
                delay_ms = delay.as_millis() as u64,
                "backing off"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Waits for the QPS limiter: the shared one when configured (keyed by
    /// the account that signs), else this client's own.
    async fn wait_for_quota(&self, op: &'static Operation, qps: u32) -> Result<(), Error> {
        #[cfg(feature = "redis")]
        if let (Some(shared), false) = (&self.inner.config.shared_limiter, op.anonymous) {
            let credentials = self.credentials().await?;
            shared
                .acquire(
                    &self.inner.limiters,
                    credentials.access_key_id(),
                    op.action,
                    qps,
                )
                .await;
            return Ok(());
        }
        self.inner.limiters.acquire(op.action, qps).await;
        Ok(())
    }

    /// The service said `op`'s quota is spent for `pause`: hold back this
    /// client's calls, and every process's when the limiter is shared.
    async fn slow_down(&self, op: &'static Operation, credentials: &Credentials, pause: Duration) {
        let cfg = &self.inner.config;
        let Some(qps) = op.qps_limit.filter(|_| cfg.rate_limit) else {
            return;
        };
        tracing::debug!(
            action = op.action,
            pause_ms = pause.as_millis() as u64,
            "quota spent: holding calls back"
        );
        self.inner.limiters.pause(op.action, qps, pause);
        #[cfg(feature = "redis")]
        if let (Some(shared), false) = (&cfg.shared_limiter, op.anonymous) {
            shared
                .pause(credentials.access_key_id(), op.action, qps, pause)
                .await;
        }
        #[cfg(not(feature = "redis"))]
        let _ = credentials;
    }

    /// One attempt. `Err` is a transport failure; `Ok(Ok((status, body)))` a
    /// success; `Ok(Err(..))` an answered failure with the service's
    /// `x-acs-retry-after`, if any.
    async fn attempt(
        &self,
        op: &'static Operation,
        prepared: &PreparedRequest,
        credentials: &Credentials,
    ) -> Result<Result<(u16, Vec<u8>), (Error, Option<Duration>)>, Error> {
        let inner = &self.inner;
        let started = std::time::Instant::now();
        let answer = exchange(&inner.http, &inner.config, &inner.base_url, prepared).await?;
        let (status, body, quota) = (answer.status, answer.body, answer.quota);
        // Alibaba's newer runtimes take the quota headers' TimeLeft when the
        // service sends no x-acs-retry-after.
        let retry_after = answer.retry_after.or_else(|| {
            quota
                .filter(|q| status >= 400 && !q.time_left.is_zero())
                .map(|q| q.time_left)
        });
        if answer.too_large {
            let e = DecodeError::new(
                status,
                format!("the response body is larger than {MAX_RESPONSE_BYTES} bytes; it was not read to the end"),
                &body,
            );
            // Only the first bytes are shown: no need to redact all of it.
            let head = &body[..body.len().min(64 * 1024)];
            return Ok(Err((
                redact_error(Error::Decode(e), head, credentials),
                retry_after,
            )));
        }
        tracing::debug!(
            action = op.action,
            status,
            bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "response"
        );
        if (200..300).contains(&status) {
            if let Some(q) = quota.filter(|q| q.exhausted && !q.time_left.is_zero()) {
                self.slow_down(op, credentials, q.time_left).await;
            }
            return Ok(Ok((status, body)));
        }
        let err = match decode_service_error(status, &body) {
            Ok(mut service) => {
                // A proxy or a debugging server may echo the request back.
                let r = |s: &mut String| *s = aliyun_sign::redact(s, credentials);
                r(&mut service.code);
                r(&mut service.message);
                for field in [
                    &mut service.recommend,
                    &mut service.request_id,
                    &mut service.host_id,
                ] {
                    if let Some(value) = field.as_mut() {
                        r(value);
                    }
                }
                service.hint = hint_for(&service, prepared, credentials);
                Error::Service(Box::new(service))
            }
            Err(decode) => redact_error(Error::Decode(decode), &body, credentials),
        };
        if err.code().is_some_and(|c| c.starts_with("Throttling")) {
            // Without a hint from the service, one window.
            let pause = retry_after.unwrap_or(Duration::from_secs(1));
            self.slow_down(op, credentials, pause).await;
        }
        Ok(Err((err, retry_after)))
    }
}

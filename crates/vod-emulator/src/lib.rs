//! A local ApsaraVideo VOD (API 2017-03-21) emulator, for tests and demos that
//! must not touch the real service.
//!
//! It owns a real HTTP server speaking VOD's RPC style: it verifies every
//! request's signature (RPC V1 and ACS3-HMAC-SHA256, with `aliyun-sign`), its
//! clock window, nonce and STS token, answers Alibaba's error bodies and codes
//! in JSON or XML, and models URL uploads (`UploadMediaByURL`,
//! `GetURLUploadInfos`) with jobs that really download their source. It also
//! plays the places temporary credentials come from (a local STS, an ECS
//! instance metadata service, a credentials URI; see [`IdentityConfig`]) and
//! accepts the keys they issue until they expire. Faults
//! (latency, 5xx, throttling, dropped connections, truncated or non-JSON
//! bodies) can be injected through
//! [`RunningEmulator::set_faults`] or `POST /__emulator/faults`.
//!
//! It must not sign requests (clients do that) nor depend on the SDK crates it
//! is used to test; it never logs secrets.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vod_emulator::EmulatorError> {
//! use vod_emulator::{Emulator, EmulatorConfig, Faults};
//!
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! println!("send requests to {}", emulator.base_url());
//! emulator.set_faults(Faults { fail_next: 1, ..Faults::default() })?;
//! assert_eq!(emulator.stats().requests, 0);
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod auth;
mod cli;
mod config;
mod error;
mod events;
mod faults;
mod generic;
mod identity;
mod jobs;
mod ops;
mod oss;
mod play;
mod render;
mod request;
mod server;
mod state;
mod uploads;
mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use cli::{run, EmulatorArgs};
pub use config::{
    CallbackConfig, EmulatorConfig, Limits, SigningType, UrlSigningConfig, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
};
pub use error::EmulatorError;
pub use faults::Faults;
pub use identity::IdentityConfig;
pub use state::Stats;

use crate::auth::Authenticator;
use crate::faults::FaultState;
use crate::jobs::JobStore;
use crate::state::Shared;

/// How long [`RunningEmulator::shutdown`] lets open connections finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Starts emulators.
pub struct Emulator;

impl Emulator {
    /// Binds the configured address, loads stored jobs (resuming unfinished
    /// ones), and serves on the current tokio runtime until
    /// [`RunningEmulator::shutdown`] or drop.
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
        if config.access_keys.is_empty() {
            return Err(EmulatorError::Config("no AccessKey to accept".to_owned()));
        }
        config.faults.validate().map_err(EmulatorError::Config)?;
        let (jobs, resume) = JobStore::open(config.data_dir.as_deref())?;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let shared = Shared::new(
            Authenticator::new(&config.access_keys),
            FaultState::new(config.faults.clone(), config.seed, Instant::now()),
            jobs,
            &config,
            stopped.clone(),
        )
        .map_err(|e| EmulatorError::Config(format!("cannot build the download client: {e}")))?;
        for id in resume {
            worker::spawn(&shared, id);
        }
        let oss_listener = tokio::net::TcpListener::bind(std::net::SocketAddr::new(addr.ip(), 0))
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: std::net::SocketAddr::new(addr.ip(), 0),
                source,
            })?;
        let oss_addr = oss_listener.local_addr()?;
        let _ = shared.oss_endpoint.set(format!("http://{oss_addr}"));
        let oss_app = oss::router(Arc::clone(&shared));
        let mut oss_stopping = stopped.clone();
        let oss_server = tokio::spawn(async move {
            axum::serve(oss_listener, oss_app)
                .with_graceful_shutdown(async move {
                    let _ = oss_stopping.wait_for(|s| *s).await;
                })
                .await
        });
        let app = server::router(Arc::clone(&shared));
        let mut stopping = stopped;
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // An error means the handle is gone: stop too.
                    let _ = stopping.wait_for(|s| *s).await;
                })
                .await
        });
        tracing::info!(%addr, "VOD emulator listening");
        Ok(RunningEmulator {
            addr,
            shared,
            stop,
            server: Some(server),
            oss_server: Some(oss_server),
        })
    }
}

/// A running emulator. Dropping it stops the server too (without waiting);
/// [`RunningEmulator::shutdown`] stops it and waits.
pub struct RunningEmulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    oss_server: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// `http://IP:PORT`, the endpoint to give clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://IP:PORT` of the emulator's OSS (the `Endpoint` of the
    /// `UploadAddress` it answers).
    pub fn oss_base_url(&self) -> String {
        self.shared.oss_endpoint.get().cloned().unwrap_or_default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the injected faults (counters such as `fail_next` restart from
    /// the new values). Refuses rates outside 0.0–1.0 and non-positive QPS.
    pub fn set_faults(&self, faults: Faults) -> Result<(), EmulatorError> {
        faults.validate().map_err(EmulatorError::Config)?;
        self.shared.set_faults(faults);
        Ok(())
    }

    /// The faults in force now (`fail_next` and `drop_next` count down).
    pub fn faults(&self) -> Faults {
        self.shared.faults().faults().clone()
    }

    /// Makes every key issued by the local STS or metadata service expire
    /// now: requests signed with them are refused with
    /// `InvalidSecurityToken.Expired` from here on.
    pub fn expire_issued_credentials(&self) {
        self.shared
            .auth
            .expire_issued(time::OffsetDateTime::now_utc());
    }

    /// The bytes of an object in the emulator's OSS, if stored.
    pub fn stored_object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.shared
            .oss
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .object(bucket, key)
            .map(|b| b.to_vec())
    }

    /// Every credential the local STS, metadata service and upload grants
    /// issued that is still held (for tests that look for leaks).
    pub fn issued_credentials(&self) -> Vec<aliyun_sign::Credentials> {
        self.shared.auth.issued()
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Stops accepting requests, lets open ones finish (up to 5 s), stops the
    /// job workers between two steps, and closes the store, so the same data
    /// directory can be opened again.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for server in [self.server.take(), self.oss_server.take()]
            .into_iter()
            .flatten()
        {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                abort.abort();
            }
        }
        let mut workers = std::mem::take(&mut *self.shared.workers());
        while workers.join_next().await.is_some() {}
        self.shared.jobs.close();
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

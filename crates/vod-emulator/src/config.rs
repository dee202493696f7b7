//! What an emulator starts with.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use aliyun_sign::Credentials;

use crate::faults::Faults;

/// The AccessKey id every emulator accepts unless told otherwise (the one
/// Alibaba's official SDK benchmark scripts in `shared/bench/official` use).
pub const DEFAULT_ACCESS_KEY_ID: &str = "LTAI5tTestAccessKey0001";
/// The secret of [`DEFAULT_ACCESS_KEY_ID`].
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "TestAccessKeySecret0123456789ab";

/// How to start an [`Emulator`](crate::Emulator). `Default` gives an in-memory
/// emulator on `127.0.0.1` (any free port) that accepts the default AccessKey.
///
/// ```
/// use std::time::Duration;
/// use vod_emulator::{EmulatorConfig, Faults};
/// use aliyun_sign::Credentials;
///
/// let config = EmulatorConfig::default()
///     .with_access_keys([Credentials::new("STS.id", "secret").with_security_token("token")])
///     .with_step_delay(Duration::ZERO)
///     .with_faults(Faults { fail_next: 1, ..Faults::default() });
/// assert_eq!(config.access_keys.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// The AccessKeys requests may be signed with. A key with a security token
    /// is an STS key: its requests must carry that token.
    pub access_keys: Vec<Credentials>,
    /// Where jobs are stored (redb file `jobs.redb`); `None` keeps them in memory.
    pub data_dir: Option<PathBuf>,
    /// The pause between two statuses of an upload job (default 100 ms).
    pub step_delay: Duration,
    /// Faults to inject from the start; change them later with
    /// [`RunningEmulator::set_faults`](crate::RunningEmulator::set_faults).
    pub faults: Faults,
    /// The address to listen on (default `127.0.0.1:0`, any free port).
    pub bind: SocketAddr,
    /// Size and time limits.
    pub limits: Limits,
    /// Seed of the random draws of rate-based faults; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// Where to POST signed event notifications, and the key to sign them.
    pub callback: Option<CallbackConfig>,
    /// URL signing of the play domain: GetPlayInfo answers signed URLs and
    /// the emulator serves play URLs only when they verify.
    pub url_signing: Option<UrlSigningConfig>,
    /// The local STS and instance metadata service.
    pub identity: crate::identity::IdentityConfig,
    /// Accept unauthenticated `PUT /__raw/BUCKET/KEY` on the OSS port,
    /// stored like PutObject: the baseline of the upload benchmark (a
    /// plain curl PUT). Off by default.
    pub bench_raw_put: bool,
}

/// Alibaba's URL signing types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SigningType {
    /// `?auth_key=...`.
    A,
    /// `/{time}/{md5}/path`.
    B,
    /// `/{md5}/{hex time}/path`.
    C,
}

/// The play domain's URL signing.
#[derive(Clone)]
pub struct UrlSigningConfig {
    /// The type.
    pub kind: SigningType,
    /// The key.
    pub key: String,
    /// Seconds a signed URL is served after its time.
    pub ttl: i64,
}

impl std::fmt::Debug for UrlSigningConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSigningConfig")
            .field("kind", &self.kind)
            .field("key", &"** redacted **")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// Event notifications: VOD's HTTP callbacks, signed as the service signs
/// them (`X-VOD-TIMESTAMP`, `X-VOD-SIGNATURE`).
#[derive(Clone)]
pub struct CallbackConfig {
    /// The callback URL.
    pub url: String,
    /// The callback authentication key.
    pub key: String,
}

impl std::fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackConfig")
            .field("url", &self.url)
            .field("key", &"** redacted **")
            .finish()
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            access_keys: vec![Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            )],
            data_dir: None,
            step_delay: Duration::from_millis(100),
            faults: Faults::default(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            limits: Limits::default(),
            seed: None,
            callback: None,
            url_signing: None,
            identity: crate::identity::IdentityConfig::default(),
            bench_raw_put: false,
        }
    }
}

impl EmulatorConfig {
    /// Replaces the accepted AccessKeys.
    pub fn with_access_keys(mut self, keys: impl IntoIterator<Item = Credentials>) -> Self {
        self.access_keys = keys.into_iter().collect();
        self
    }

    /// Stores jobs durably in `dir` (created if missing).
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Sets the pause between two job statuses.
    pub fn with_step_delay(mut self, delay: Duration) -> Self {
        self.step_delay = delay;
        self
    }

    /// Sets the faults injected from the start.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the listening address.
    pub fn with_bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Seeds the random draws of rate-based faults, for reproducible runs.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Signs play URLs (see [`UrlSigningConfig`]).
    pub fn with_url_signing(mut self, kind: SigningType, key: impl Into<String>, ttl: i64) -> Self {
        self.url_signing = Some(UrlSigningConfig {
            kind,
            key: key.into(),
            ttl,
        });
        self
    }

    /// Sets what the local STS and metadata service accept and issue.
    pub fn with_identity(mut self, identity: crate::identity::IdentityConfig) -> Self {
        self.identity = identity;
        self
    }

    /// Accepts unauthenticated raw PUTs for benchmarks (see [`Self::bench_raw_put`]).
    pub fn with_bench_raw_put(mut self, on: bool) -> Self {
        self.bench_raw_put = on;
        self
    }

    /// Sends signed event notifications to `url` (see [`CallbackConfig`]).
    pub fn with_callback(mut self, url: impl Into<String>, key: impl Into<String>) -> Self {
        self.callback = Some(CallbackConfig {
            url: url.into(),
            key: key.into(),
        });
        self
    }
}

/// Size and time limits of an emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted (default 1 MiB); larger ones get 413.
    pub max_body_bytes: usize,
    /// Most URLs one `UploadMediaByURL` call may carry (default 20, as the real service).
    pub max_jobs_per_call: usize,
    /// Largest source a job downloads (default 1 GiB); larger ones fail the job.
    pub max_download_bytes: u64,
    /// Longest a job's download may take (default 60 s).
    pub download_timeout: Duration,
    /// Largest body one OSS request may carry (default 64 MiB: a part).
    pub max_oss_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_jobs_per_call: 20,
            max_download_bytes: 1 << 30,
            download_timeout: Duration::from_secs(60),
            max_oss_body_bytes: 64 << 20,
        }
    }
}

//! The command-line face: [`EmulatorArgs`] (flattened into `vod emulator` and
//! the standalone `vod-emulator` binary) and [`run`].

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use aliyun_sign::Credentials;

use crate::config::{EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET};
use crate::error::EmulatorError;
use crate::faults::Faults;
use crate::Emulator;

/// Flags of an emulator run.
///
/// `Debug` leaves out the secret and the security token.
#[derive(Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// AccessKey id to accept (default: the test key LTAI5tTestAccessKey0001).
    #[arg(
        long,
        env = "VOD_EMULATOR_ACCESS_KEY_ID",
        requires = "access_key_secret"
    )]
    pub access_key_id: Option<String>,
    /// Secret of --access-key-id.
    #[arg(
        long,
        env = "VOD_EMULATOR_ACCESS_KEY_SECRET",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    pub access_key_secret: Option<String>,
    /// Make the key an STS key: requests must carry this security token.
    #[arg(long, env = "VOD_EMULATOR_SECURITY_TOKEN", hide_env_values = true)]
    pub security_token: Option<String>,
    /// POST signed event notifications (upload jobs done) to this URL.
    #[arg(long, requires = "callback_key")]
    pub callback_url: Option<String>,
    /// The key that signs them.
    #[arg(
        long,
        env = "VOD_EMULATOR_CALLBACK_KEY",
        hide_env_values = true,
        requires = "callback_url"
    )]
    pub callback_key: Option<String>,
    /// Sign play URLs with this URL signing type (GetPlayInfo answers signed
    /// URLs; play URLs are served only when signed and unexpired).
    #[arg(long, value_enum, requires = "url_signing_key")]
    pub url_signing: Option<crate::config::SigningType>,
    /// The URL signing key.
    #[arg(
        long,
        env = "VOD_EMULATOR_URL_SIGNING_KEY",
        hide_env_values = true,
        requires = "url_signing"
    )]
    pub url_signing_key: Option<String>,
    /// Seconds a signed play URL is served after its time.
    #[arg(long, default_value_t = 1800)]
    pub url_signing_ttl: i64,
    /// Keep jobs in this directory (they survive restarts); in memory if unset.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Milliseconds between two statuses of an upload job.
    #[arg(long, default_value_t = 100)]
    pub step_delay_ms: u64,
    /// Milliseconds to wait before answering each API request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of API requests (0.0-1.0) answered with 503 or 500.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// API requests per second allowed; excess ones get Throttling.User.
    #[arg(long)]
    pub throttle_qps: Option<f64>,
    /// Share of API requests (0.0-1.0) processed, then cut mid-response.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// The OIDC token the local STS accepts in AssumeRoleWithOIDC.
    #[arg(long, env = "VOD_EMULATOR_OIDC_TOKEN", hide_env_values = true)]
    pub oidc_token: Option<String>,
    /// The RAM role the local instance metadata service serves.
    #[arg(long)]
    pub ecs_role: Option<String>,
    /// Longest lifetime, in seconds, of credentials the local STS and
    /// metadata service issue, and of upload grants (UploadAuth; at most
    /// 3000 s, as the service grants them).
    #[arg(long, default_value_t = 3600)]
    pub credentials_lifetime_secs: u64,
    /// The metadata service refuses reads without an IMDSv2 session token.
    #[arg(long)]
    pub imdsv2_only: bool,
    /// Accept unauthenticated PUT /__raw/BUCKET/KEY on the OSS port, stored
    /// like PutObject (the curl baseline of the upload benchmark).
    #[arg(long)]
    pub bench_raw_put: bool,
}

impl std::fmt::Debug for EmulatorArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorArgs")
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("access_key_id", &self.access_key_id)
            .field("data_dir", &self.data_dir)
            .field("step_delay_ms", &self.step_delay_ms)
            .field("latency_ms", &self.latency_ms)
            .field("error_rate", &self.error_rate)
            .field("throttle_qps", &self.throttle_qps)
            .field("drop_rate", &self.drop_rate)
            .field("ecs_role", &self.ecs_role)
            .field("credentials_lifetime_secs", &self.credentials_lifetime_secs)
            .field("imdsv2_only", &self.imdsv2_only)
            .field("bench_raw_put", &self.bench_raw_put)
            .finish_non_exhaustive()
    }
}

impl EmulatorArgs {
    /// The configuration these flags describe.
    pub fn to_config(&self) -> Result<EmulatorConfig, EmulatorError> {
        let (id, secret) = match (&self.access_key_id, &self.access_key_secret) {
            (Some(id), Some(secret)) => (id.as_str(), secret.as_str()),
            (None, None) => (DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
            _ => {
                return Err(EmulatorError::Config(
                    "--access-key-id and --access-key-secret go together".to_owned(),
                ))
            }
        };
        let mut key = Credentials::new(id, secret);
        if let Some(token) = &self.security_token {
            key = key.with_security_token(token.as_str());
        }
        let faults = Faults {
            latency_ms: self.latency_ms,
            error_rate: self.error_rate,
            throttle_qps: self.throttle_qps,
            drop_rate: self.drop_rate,
            ..Faults::default()
        };
        faults.validate().map_err(EmulatorError::Config)?;
        let mut config = EmulatorConfig::default()
            .with_access_keys([key])
            .with_bind(SocketAddr::new(self.bind, self.port))
            .with_step_delay(Duration::from_millis(self.step_delay_ms))
            .with_faults(faults)
            .with_identity(crate::identity::IdentityConfig {
                oidc_token: self.oidc_token.clone(),
                ecs_role: self.ecs_role.clone(),
                max_lifetime: Duration::from_secs(self.credentials_lifetime_secs),
                imdsv2_only: self.imdsv2_only,
            });
        config.data_dir.clone_from(&self.data_dir);
        config.bench_raw_put = self.bench_raw_put;
        if let (Some(kind), Some(key)) = (self.url_signing, &self.url_signing_key) {
            config = config.with_url_signing(kind, key.as_str(), self.url_signing_ttl);
        }
        if let (Some(url), Some(key)) = (&self.callback_url, &self.callback_key) {
            config = config.with_callback(url.as_str(), key.as_str());
        }
        Ok(config)
    }
}

/// Starts an emulator, prints its base URL (`http://127.0.0.1:PORT`) as the
/// first line of standard output, and serves until Ctrl-C or SIGTERM.
pub async fn run(args: EmulatorArgs) -> Result<(), EmulatorError> {
    let emulator = Emulator::start(args.to_config()?).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", emulator.base_url())?;
        out.flush()?;
    }
    let stopped = wait_for_stop_signal().await;
    emulator.shutdown().await;
    Ok(stopped?)
}

async fn wait_for_stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn flags_map_to_a_config_and_debug_hides_secrets() {
        let cli = Cli::try_parse_from([
            "x",
            "--port",
            "0",
            "--access-key-id",
            "STS.a",
            "--access-key-secret",
            "shh-secret",
            "--security-token",
            "tok-secret",
            "--throttle-qps",
            "3",
            "--oidc-token",
            "oidc-secret",
            "--ecs-role",
            "uploader",
        ])
        .unwrap();
        let debug = format!("{:?}", cli.args);
        assert!(
            !debug.contains("shh-secret")
                && !debug.contains("tok-secret")
                && !debug.contains("oidc-secret"),
            "{debug}"
        );
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.access_keys[0].access_key_id(), "STS.a");
        assert!(config.access_keys[0].security_token().is_some());
        assert_eq!(config.faults.throttle_qps, Some(3.0));
        assert!(config.bind.ip().is_loopback());
        assert_eq!(config.identity.ecs_role.as_deref(), Some("uploader"));
        assert!(!format!("{config:?}").contains("oidc-secret"));
    }

    #[test]
    fn bad_rates_and_lonely_ids_are_refused() {
        assert!(Cli::try_parse_from(["x", "--access-key-id", "a"]).is_err());
        let cli = Cli::try_parse_from(["x", "--error-rate", "2"]).unwrap();
        assert!(cli.args.to_config().is_err());
    }
}

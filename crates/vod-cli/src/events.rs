//! `vod events listen --port N --key K [--url URL]`: a developer's listener
//! for VOD's event callbacks. It verifies each callback and prints every
//! verified event as one line of JSON (the body as sent) on stdout; refused
//! ones are logged on stderr and answered 401, so VOD retries them.

use std::net::{Ipv4Addr, SocketAddr};

use aliyun_vod::callback::CallbackKey;
use aliyun_vod::receiver::{router, Receiver};
use clap::Args;

use crate::error::CliError;

/// `vod events listen`'s arguments.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The port to listen on (127.0.0.1; 0 picks a free one, printed first).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The callback authentication key (or set VOD_CALLBACK_KEY).
    #[arg(long, env = "VOD_CALLBACK_KEY", hide_env_values = true)]
    pub key: String,
    /// The callback URL exactly as configured in VOD (what it signs); by
    /// default this listener's own address.
    #[arg(long)]
    pub url: Option<String>,
    /// Clock skew allowed, seconds.
    #[arg(long, default_value_t = 300)]
    pub max_skew: i64,
}

/// Listens until interrupted.
pub async fn listen(args: ListenArgs) -> Result<(), CliError> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
            .await
            .map_err(|e| CliError::Other(format!("cannot listen on port {}: {e}", args.port)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Other(e.to_string()))?;
    let url = args.url.unwrap_or_else(|| format!("http://{addr}/"));
    crate::ops::print_stdout(&format!(
        "listening on http://{addr}/ for callbacks to {url}\n"
    ))?;
    let receiver = Receiver::new(url, CallbackKey::new(args.key)).with_max_skew(args.max_skew);
    let app = router(receiver, |received| async move {
        crate::ops::print_stdout(&format!("{}\n", received.raw)).map_err(|e| format!("{e:?}"))
    });
    axum::serve(listener, app)
        .await
        .map_err(|e| CliError::Other(format!("the listener stopped: {e}")))
}

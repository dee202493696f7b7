//! `vod-emulator`: the emulator as a standalone program. Prints its base URL as
//! the first line of standard output, then serves until Ctrl-C or SIGTERM.
//! Logs go to standard error (`RUST_LOG` filters them; default `warn`).

use std::process::ExitCode;

use clap::Parser;
use vod_emulator::EmulatorArgs;

/// A local ApsaraVideo VOD emulator (UploadMediaByURL, GetURLUploadInfos).
#[derive(Parser)]
#[command(name = "vod-emulator", version)]
struct Cli {
    #[command(flatten)]
    args: EmulatorArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match vod_emulator::run(Cli::parse().args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vod-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

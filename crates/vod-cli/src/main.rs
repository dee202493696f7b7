//! `vod`: a command-line client for ApsaraVideo VOD (API 2017-03-21).
//!
//! One subcommand per operation in `spec/` (a table generated into
//! `generated/commands.rs`; this crate holds no per-operation code), plus
//! `wait` (and `--wait` on the commands whose spec declares one), `emulator`
//! and `demo`. It stays thin: `command` turns flags into the operation's input,
//! the runtime checks, encodes and sends it, `output` prints.

#[cfg(not(feature = "upload"))]
compile_error!("vod-cli needs its `upload` feature: the demo and `--wait` are built on it");

#[rustfmt::skip]
mod generated {
    pub mod commands;
}
mod command;
mod demo;
mod error;
mod events;
mod ops;
mod output;
mod sign_url;
mod upload;
mod wait;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use aliyun_vod::{Format, HttpMethod, SignatureVersion};
use command::{CommandSpec, WaitIds};
use error::{CliError, ExitCode};
use generated::commands::COMMANDS;
use ops::{Context, LoggedChain, Wire};
use output::OutputKind;
use wait::WaitArgs;

/// Exit codes and environment, shown by `vod --help`.
const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the service (or the emulator) answered an error: its Code, Message and RequestId are on stderr
  2  usage: bad flags, or input that breaks the API's rules (nothing was sent)
  3  transport: unreachable, timed out, undecodable answer, or --max-wait ran out
  4  no credentials found (nothing was sent)
  5  --wait / wait: every job finished, but one failed or does not exist

Credentials come, in this order, from ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET
and ALIBABA_CLOUD_SECURITY_TOKEN; an OIDC role (ALIBABA_CLOUD_ROLE_ARN,
ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE); the profile (--profile,
ALIBABA_CLOUD_PROFILE) in ~/.aliyun/config.json or ~/.alibabacloud/credentials; the ECS RAM
role; ALIBABA_CLOUD_CREDENTIALS_URI. -v names the source and the expiry. Lists: --job-ids a,b,c, or repeat
the flag (one item each) for values that contain commas.

Try `vod demo` for an offline run against a local emulator.";

/// Flags every command accepts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
struct Global {
    /// Region, e.g. cn-shanghai; picks the endpoint.
    #[arg(long, global = true, env = "ALIBABA_CLOUD_REGION_ID")]
    region: Option<String>,
    /// Endpoint URL, overriding the region's (e.g. a `vod emulator` address).
    #[arg(long, global = true, value_name = "URL", env = "VOD_ENDPOINT")]
    endpoint: Option<String>,
    /// Credentials profile (aliyun CLI config or credentials file).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Wire format of responses; the printed output is the same either way.
    #[arg(long, global = true, default_value = "json",
          value_parser = PossibleValuesParser::new(["json", "xml"]).try_map(|s| s.parse::<Format>()))]
    format: Format,
    /// Signature: v1 (RPC HMAC-SHA1) or v3 (ACS3-HMAC-SHA256).
    #[arg(long, global = true, default_value = "v1",
          value_parser = PossibleValuesParser::new(["v1", "v3"]).try_map(|s| s.parse::<SignatureVersion>()))]
    signature: SignatureVersion,
    /// HTTP method, for operations that accept both (some take only GET).
    #[arg(long, global = true, default_value = "post",
          value_parser = PossibleValuesParser::new(["get", "post"]).try_map(|s| s.parse::<HttpMethod>()))]
    method: HttpMethod,
    /// Seconds allowed for each HTTP exchange.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = wait::parse_seconds)]
    timeout: Option<std::time::Duration>,
    /// How to print results [default: json; table for demo].
    #[arg(long, global = true, value_enum)]
    output: Option<OutputKind>,
    /// Print the signed request (secret and token redacted) instead of sending it.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Log to stderr: -v info, -vv debug, -vvv trace (secrets are never logged).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
    /// Share the QPS limits with every process using this Redis server
    /// (redis://[:password@]host:port/db); if it fails, a quarter of each limit.
    #[arg(long, global = true, value_name = "URL", env = "VOD_RATE_LIMIT_REDIS",
          hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(RedisUrl(s.to_owned())))]
    rate_limit_redis: Option<RedisUrl>,
}

/// A Redis URL; `Debug` shows none of it (it may hold a password).
#[derive(Clone)]
struct RedisUrl(String);

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisUrl(..)")
    }
}

impl Global {
    fn wire(&self) -> Wire {
        Wire {
            format: self.format,
            signature: self.signature,
            method: self.method,
            timeout: self.timeout,
        }
    }

    fn context(&self) -> Result<Context, CliError> {
        let mut config =
            aliyun_vod::Config::new().credentials(LoggedChain::new(self.profile.as_deref()));
        if let Some(region) = &self.region {
            config = config.region(region.as_str());
        }
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint(endpoint.as_str());
        }
        if let Some(url) = &self.rate_limit_redis {
            let limiter = aliyun_runtime::RedisLimiter::new(&url.0)
                .map_err(|e| CliError::Usage(format!("--rate-limit-redis: {e}")))?;
            config = config.rate_limiter(limiter);
        }
        let client = aliyun_vod::Client::new(self.wire().apply(config))?;
        Ok(Context::new(
            client,
            self.output.unwrap_or(OutputKind::Json),
            self.dry_run,
        ))
    }
}

/// Adds a derived struct's flags to `cmd`, keeping `cmd`'s own description
/// (a derived `augment_args` would replace it with the struct's doc comment).
fn with_args<A: Args>(cmd: Command) -> Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = A::augment_args(cmd)
        .about(None::<&str>)
        .long_about(None::<&str>);
    let cmd = match about {
        Some(text) => cmd.about(text),
        None => cmd,
    };
    match long_about {
        Some(text) => cmd.long_about(text),
        None => cmd,
    }
}

/// The command whose operation polls for the others' waits (it waits for
/// what its own input names): what `vod wait` runs.
fn polling_command() -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.wait.as_ref().is_some_and(|w| w.ids == WaitIds::Input))
}

/// An operation's command, with the waiter's flags when its spec declares a wait.
fn operation_command(spec: &CommandSpec) -> Command {
    let mut cmd = spec.command();
    if let Some(pages) = spec.operation.pages {
        cmd = cmd.arg(
            Arg::new("all-pages")
                .long("all-pages")
                .action(ArgAction::SetTrue)
                .help(format!(
                    "Fetch every page ({} counting up) and print them as one answer, the items of {} joined",
                    pages.page,
                    pages.items.join(".")
                )),
        );
    }
    if spec.wait.is_none() {
        return cmd;
    }
    let wait_flag = Arg::new("wait")
        .long("wait")
        .action(ArgAction::SetTrue)
        .help_heading("Waiting")
        .help("Poll until every job is finished (progress on stderr), then print the result");
    with_args::<WaitArgs>(cmd.arg(wait_flag))
        .mut_arg("interval", |a| a.requires("wait"))
        .mut_arg("max_interval", |a| a.requires("wait"))
        .mut_arg("max_wait", |a| a.requires("wait"))
}

/// The whole command tree.
fn cli() -> Command {
    let operations = COMMANDS.iter().map(operation_command);
    let wait_cmd = polling_command().map(|poll| {
        with_args::<WaitArgs>(
            poll.command()
                .name("wait")
                .about(format!(
                    "Waits for jobs to finish ({} until every job is terminal)",
                    poll.operation.action
                ))
                .long_about(format!(
                    "Polls {} until every job named by the flags is finished, with progress on \
                     stderr (a bar on a terminal, lines otherwise), then prints the result like \
                     {}. Exit code 5 if a job failed or does not exist, 3 if --max-wait runs out.",
                    poll.operation.action, poll.name
                )),
        )
    });
    let emulator_cmd = with_args::<vod_emulator::EmulatorArgs>(
        Command::new("emulator")
            .about("Runs the local VOD emulator; prints its base URL on the first line of stdout"),
    );
    let sign_url_cmd = with_args::<sign_url::SignUrlArgs>(Command::new("sign-url").about(
        "Prints a playback URL signed for a VOD domain's URL authentication (type A, B or C); nothing is sent",
    ));
    let events_cmd = Command::new("events")
        .about("VOD's event callbacks")
        .subcommand_required(true)
        .subcommand(with_args::<events::ListenArgs>(
            Command::new("listen")
                .about("Listens on 127.0.0.1 and prints each verified callback as a line of JSON"),
        ));
    let upload_cmd = with_args::<upload::UploadArgs>(Command::new("upload").about(
        "Uploads local files as videos (CreateUploadVideo, then OSS; resumable: run it again after a crash)",
    ));
    let demo_cmd = Command::new("demo").about(
        "Uploads a generated sample file to an in-process emulator, waits, prints the job (no account needed)",
    );
    with_args::<Global>(
        Command::new("vod")
            .version(env!("CARGO_PKG_VERSION"))
            .about("Alibaba Cloud ApsaraVideo VOD (API 2017-03-21) from the command line")
            .after_help(AFTER_HELP)
            .subcommand_required(true)
            .arg_required_else_help(true),
    )
    .subcommands(operations)
    .subcommands(wait_cmd)
    .subcommand(upload_cmd)
    .subcommand(demo_cmd)
    .subcommand(sign_url_cmd)
    .subcommand(events_cmd)
    .subcommand(emulator_cmd)
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    // Our crates only: dependencies stay at warn, whatever -v says.
    let ours = [
        "vod",
        "aliyun_runtime",
        "aliyun_vod",
        "aliyun_sign",
        "vod_emulator",
    ];
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        n => {
            let level = match n {
                1 => "info",
                2 => "debug",
                _ => "trace",
            };
            let directives: Vec<String> = ours.iter().map(|c| format!("{c}={level}")).collect();
            EnvFilter::new(format!("warn,{}", directives.join(",")))
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn dispatch(global: &Global, name: &str, m: &ArgMatches) -> Result<(), CliError> {
    match name {
        "emulator" => {
            let args = vod_emulator::EmulatorArgs::from_arg_matches(m)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            vod_emulator::run(args)
                .await
                .map_err(|e| CliError::Other(e.to_string()))
        }
        "demo" => demo::run(&global.wire(), global.output).await,
        "upload" => {
            let args = upload::UploadArgs::from_arg_matches(m)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            if global.dry_run {
                return Err(CliError::Usage(
                    "upload has no --dry-run: it is a sequence of calls, each depending on the last".to_owned(),
                ));
            }
            upload::run(&global.context()?, args).await
        }
        "events" => match m.subcommand() {
            Some(("listen", sub)) => {
                let args = events::ListenArgs::from_arg_matches(sub)
                    .map_err(|e| CliError::Usage(e.to_string()))?;
                events::listen(args).await
            }
            _ => Err(CliError::Usage("vod events listen".to_owned())),
        },
        "sign-url" => {
            let args = sign_url::SignUrlArgs::from_arg_matches(m)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let now = aliyun_runtime::time::OffsetDateTime::now_utc().unix_timestamp();
            ops::print_stdout(&format!("{}\n", sign_url::sign(&args, now)?))
        }
        "wait" => {
            let spec = polling_command()
                .ok_or_else(|| CliError::Usage("no operation polls for waits".to_owned()))?;
            if CommandSpec::wants_skeleton(m) {
                return print_skeleton(spec);
            }
            let ctx = global.context()?.waiting(wait_args(m)?);
            ctx.run(spec, m).await
        }
        _ => {
            let spec = COMMANDS
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| CliError::Usage(format!("unknown command {name}")))?;
            if CommandSpec::wants_skeleton(m) {
                return print_skeleton(spec);
            }
            let mut ctx = global.context()?;
            // With --dry-run, the first page's request is printed.
            if spec.operation.pages.is_some() && m.get_flag("all-pages") && !global.dry_run {
                return ctx.run_all_pages(spec, m).await;
            }
            if spec.wait.is_some() && m.get_flag("wait") {
                ctx = ctx.waiting(wait_args(m)?);
            }
            ctx.run(spec, m).await
        }
    }
}

/// `--generate-skeleton`: nothing is sent, so no client (and no
/// credentials) is needed.
fn print_skeleton(spec: &CommandSpec) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(&spec.skeleton())
        .map_err(|e| CliError::Other(format!("cannot print the skeleton: {e}")))?;
    ops::print_stdout(&format!("{text}\n"))
}

fn wait_args(m: &ArgMatches) -> Result<WaitArgs, CliError> {
    WaitArgs::from_arg_matches(m).map_err(|e| CliError::Usage(e.to_string()))
}

fn main() -> std::process::ExitCode {
    let cmd = cli();
    let matches = cmd.clone().get_matches();
    let global = match Global::from_arg_matches(&matches) {
        Ok(g) => g,
        Err(e) => e.exit(),
    };
    init_tracing(global.verbose);
    let Some((name, sub)) = matches.subcommand() else {
        unreachable!("clap requires a subcommand");
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vod: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(ExitCode::Service as u8);
        }
    };
    let result = runtime.block_on(dispatch(&global, name, sub));
    // Don't wait for stray tasks (a file server, idle connections).
    runtime.shutdown_background();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let sub_cmd = cmd.find_subcommand(name);
            let flag_for = |param: &str| {
                sub_cmd?
                    .get_arguments()
                    .find(|a| a.get_id() == param)
                    .and_then(|a| a.get_long())
                    .map(|l| format!("--{l}"))
            };
            // The report quotes the service's message and codes: nothing in
            // them may drive the terminal.
            eprintln!("{}", output::printable(&e.report(&flag_for)));
            std::process::ExitCode::from(e.exit_code() as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_tree_is_consistent() {
        // Catches a spec parameter whose flag clashes with a global one.
        super::cli().debug_assert();
    }

    #[test]
    fn every_flag_of_the_cli_itself_is_reserved_for_the_generator() {
        // The generator gives a parameter whose kebab-case name is one of these
        // its wire spelling instead; a flag missing from the list could clash.
        let cli = super::cli();
        let mut longs: Vec<String> = cli
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        // Global flags, plus what hand-written code adds to generated commands
        // (the waiter's flags on get-url-upload-infos).
        for spec in super::COMMANDS {
            let Some(sub) = cli.find_subcommand(spec.name) else {
                continue;
            };
            let generated: Vec<String> = spec
                .command()
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect();
            longs.extend(
                sub.get_arguments()
                    .filter_map(|a| a.get_long().map(str::to_owned))
                    .filter(|l| !generated.contains(l)),
            );
        }
        longs.sort();
        longs.dedup();
        for long in longs {
            assert!(
                super::generated::commands::RESERVED_FLAGS.contains(&long.as_str()),
                "--{long} is a flag of the CLI itself: add it to the reserved flags of \
                 vod_layout() in xtask/src/main.rs and run cargo xtask codegen"
            );
        }
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        use clap::FromArgMatches;
        let m = super::cli()
            .try_get_matches_from([
                "vod",
                "get-url-upload-infos",
                "--job-ids",
                "a",
                "--format",
                "xml",
                "-vv",
            ])
            .unwrap();
        let g = super::Global::from_arg_matches(&m).unwrap();
        assert_eq!(g.format, aliyun_vod::Format::Xml);
        assert_eq!(g.verbose, 2);
    }
}

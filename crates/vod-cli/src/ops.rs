//! The hand-written side of the generated commands: the [`Context`] every
//! operation command runs in, and the flag readers the generated code calls.
//! Nothing here names an operation: adding one to `spec/` adds its command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aliyun_runtime::credentials::{CredentialsError, DefaultChain};
use aliyun_runtime::{Credentials, Operation, ProvideCredentials};
use aliyun_vod::{Config, Format, HttpMethod, SignatureVersion};
use serde::Serialize;

pub use crate::error::CliError;
use crate::output::{render, OutputKind};
use crate::wait::WaitArgs;

/// What a command runs with: the client built from the global flags, and how
/// to print.
pub struct Context {
    client: aliyun_vod::Client,
    output: OutputKind,
    dry_run: bool,
    wait: Option<WaitArgs>,
}

/// The wire-level settings shared by every command that calls the service.
#[derive(Clone, Debug, Default)]
pub struct Wire {
    /// `--format`.
    pub format: Format,
    /// `--signature`.
    pub signature: SignatureVersion,
    /// `--method`.
    pub method: HttpMethod,
    /// `--timeout`.
    pub timeout: Option<Duration>,
}

impl Wire {
    /// Applies these settings to a client configuration.
    pub fn apply(&self, mut config: Config) -> Config {
        config = config
            .format(self.format)
            .signature_version(self.signature)
            .method(self.method);
        if let Some(t) = self.timeout {
            config = config
                .read_timeout(t)
                .connect_timeout(t.min(Duration::from_secs(5)));
        }
        config
    }
}

impl Context {
    /// A context over an existing client.
    pub fn new(client: aliyun_vod::Client, output: OutputKind, dry_run: bool) -> Self {
        Context {
            client,
            output,
            dry_run,
            wait: None,
        }
    }

    /// Makes a GetURLUploadInfos run wait until its jobs are finished
    /// (`--wait`, `vod wait`); other operations are unaffected.
    pub fn waiting(mut self, args: WaitArgs) -> Self {
        self.wait = Some(args);
        self
    }

    /// The client (for the waiter).
    pub fn client(&self) -> &aliyun_vod::Client {
        &self.client
    }

    /// Validates `input`, then either prints the signed request (`--dry-run`)
    /// or sends it and prints the response (or waits, see [`Context::waiting`]).
    pub async fn run<O>(&self, input: &O) -> Result<(), CliError>
    where
        O: Operation + 'static,
        O::Output: Serialize,
    {
        if !self.dry_run {
            if let (Some(args), Some(input)) = (&self.wait, crate::wait::as_waitable(input)) {
                // Validated by the batch helper, which lifts the 10-item limit.
                return crate::wait::run(self, input, args).await;
            }
        }
        let params = input.to_params()?;
        let runtime = self.client.runtime();
        if self.dry_run {
            return self.print_prepared(O::META, &params);
        }
        tracing::info!(
            action = O::META.action,
            endpoint = runtime.endpoint(),
            "calling"
        );
        let output: O::Output = runtime.execute(O::META, params).await?;
        self.print(&output)
    }

    /// Prints the signed request that would be sent, with the secret and the
    /// STS token redacted (the signature itself is harmless to show).
    pub fn print_prepared(
        &self,
        meta: &'static aliyun_runtime::OperationMeta,
        params: &[(&'static str, String)],
    ) -> Result<(), CliError> {
        let runtime = self.client.runtime();
        let credentials = runtime.credentials()?;
        let prepared = runtime.prepare(meta, params, &credentials);
        let mut text = prepared.redacted(&credentials);
        text.push_str(&format!(
            "\n# string to sign\n{}\n# dry run: nothing was sent\n",
            aliyun_sign::redact(&prepared.string_to_sign(), &credentials)
        ));
        print_stdout(&text)
    }

    /// Prints a response as `--output` asks.
    pub fn print<T: Serialize>(&self, value: &T) -> Result<(), CliError> {
        let value = serde_json::to_value(value)
            .map_err(|e| CliError::Other(format!("cannot print the response: {e}")))?;
        print_stdout(&render(&value, self.output))
    }
}

/// Writes to stdout; a closed pipe (`vod ... | head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Other(format!("cannot write to stdout: {e}"))),
    }
}

/// The default credentials chain, which also says (at `-v`) where the
/// credentials came from, once, naming the AccessKey ID only.
#[derive(Debug)]
pub struct LoggedChain {
    chain: DefaultChain,
    logged: AtomicBool,
}

impl LoggedChain {
    /// The default chain, with `--profile` if given.
    pub fn new(profile: Option<&str>) -> Arc<Self> {
        let chain = match profile {
            Some(p) => DefaultChain::new().with_profile(p),
            None => DefaultChain::new(),
        };
        Arc::new(LoggedChain {
            chain,
            logged: AtomicBool::new(false),
        })
    }
}

impl ProvideCredentials for LoggedChain {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        let (credentials, source) = self.chain.provide_with_source()?;
        if !self.logged.swap(true, Ordering::Relaxed) {
            tracing::info!(
                access_key_id = credentials.access_key_id(),
                sts = credentials.security_token().is_some(),
                %source,
                "credentials found"
            );
        }
        Ok(credentials)
    }
}

/// A list flag: given once, the value is split on commas (`--job-ids a,b`);
/// given several times, each value is one item as typed, so URLs that contain
/// commas go in one flag each (`--upload-urls URL1 --upload-urls URL2`).
/// Items of a split value are trimmed; blank ones are kept so the spec's rules
/// can name them.
pub fn list_arg(m: &clap::ArgMatches, id: &str) -> Option<Vec<String>> {
    let values: Vec<&String> = m.get_many::<String>(id)?.collect();
    match values.as_slice() {
        [one] => Some(one.split(',').map(|s| s.trim().to_owned()).collect()),
        many => Some(many.iter().map(|s| (*s).clone()).collect()),
    }
}

/// A JSON flag: the JSON text itself, or `@FILE` to read it from a file.
pub fn json_arg<T: serde::de::DeserializeOwned>(
    m: &clap::ArgMatches,
    id: &str,
) -> Result<Option<T>, CliError> {
    let Some(raw) = m.get_one::<String>(id) else {
        return Ok(None);
    };
    let text = match raw.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("parameter {id}: cannot read {path}: {e}")))?,
        None => raw.clone(),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::Usage(format!("parameter {id}: not valid JSON for it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(args: &[&str]) -> clap::ArgMatches {
        clap::Command::new("t")
            .arg(
                clap::Arg::new("L")
                    .long("l")
                    .action(clap::ArgAction::Append),
            )
            .arg(clap::Arg::new("J").long("j"))
            .get_matches_from(std::iter::once("t").chain(args.iter().copied()))
    }

    #[test]
    fn lists_split_once_and_keep_repeated_values_whole() {
        assert_eq!(list_arg(&matches(&[]), "L"), None);
        assert_eq!(
            list_arg(&matches(&["--l", "a, b,c"]), "L").unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(
            list_arg(&matches(&["--l", "http://h/a,b.mp4", "--l", "c d"]), "L").unwrap(),
            ["http://h/a,b.mp4", "c d"]
        );
        assert_eq!(
            list_arg(&matches(&["--l", "a,,b"]), "L").unwrap(),
            ["a", "", "b"]
        );
    }

    #[test]
    fn json_flags_parse_or_name_the_parameter() {
        let v: Option<serde_json::Value> = json_arg(&matches(&["--j", "[1]"]), "J").unwrap();
        assert_eq!(v.unwrap(), serde_json::json!([1]));
        let none: Option<serde_json::Value> = json_arg(&matches(&[]), "J").unwrap();
        assert!(none.is_none());
        let err = json_arg::<serde_json::Value>(&matches(&["--j", "{"]), "J").unwrap_err();
        assert!(
            matches!(&err, CliError::Usage(m) if m.starts_with("parameter J:")),
            "{err:?}"
        );
    }
}

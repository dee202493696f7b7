//! The [`Context`] every operation command runs in: one path for every
//! operation, from the command's input (a JSON object keyed by wire names) through
//! the runtime's encoder and request pipeline to the printed answer. Nothing
//! here names an operation: adding one to `spec/` adds its command.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aliyun_runtime::credentials::{DefaultChain, ProvideFuture};
use aliyun_runtime::time::OffsetDateTime;
use aliyun_runtime::{Credentials, Operation, ProvideCredentials, WireParams};
use aliyun_vod::{Config, Format, HttpMethod, SignatureVersion};
use serde::Serialize;

use crate::command::{CommandSpec, WaitIds};
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
                .attempt_timeout(t)
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

    /// Makes a run of a command whose spec declares a wait wait until the
    /// items it names or creates are finished (`--wait`, `vod wait`).
    pub fn waiting(mut self, args: WaitArgs) -> Self {
        self.wait = Some(args);
        self
    }

    /// The client (for the waiter).
    pub fn client(&self) -> &aliyun_vod::Client {
        &self.client
    }

    /// Runs one operation command: the flags become the operation's input,
    /// which the runtime checks and encodes; then either prints the signed
    /// request (`--dry-run`) or sends it and prints the answer, or waits (see
    /// [`Context::waiting`]).
    pub async fn run(&self, spec: &CommandSpec, m: &clap::ArgMatches) -> Result<(), CliError> {
        let input = spec.input(m)?;
        let op = spec.operation;
        if let (false, Some(args), Some(wait)) = (self.dry_run, &self.wait, &spec.wait) {
            if wait.ids == WaitIds::Input {
                // Checked by the batch helper, which lifts the per-call item limit.
                return crate::wait::run(self, wait, crate::wait::Items::from_input(&input)?, args)
                    .await;
            }
        }
        let params = aliyun_runtime::params::encode(op, &input)?;
        if self.dry_run {
            return self.print_prepared(op, &params).await;
        }
        let runtime = self.client.runtime();
        tracing::info!(action = op.action, endpoint = runtime.endpoint(), "calling");
        let mut output = runtime.invoke(op, params).await?.to_json()?;
        // Credentials in an answer (UploadAuth, PlayAuth, data keys) are never printed.
        aliyun_runtime::shape::redact_secrets(&mut output, op.output);
        if let (Some(args), Some(wait)) = (&self.wait, &spec.wait) {
            if let WaitIds::Output { list, field } = wait.ids {
                // What the call created is on stderr before any poll, so the
                // IDs survive a wait that fails (the call is not one to repeat).
                crate::output::print_stderr(&format!(
                    "created: {}",
                    crate::output::printable(&output.to_string())
                ));
                let ids = crate::wait::Items::from_output(&output, list, field);
                if ids.is_empty() {
                    return Err(CliError::Other(format!(
                        "the answer lists no {list}[].{field} to wait for"
                    )));
                }
                return crate::wait::run(self, wait, ids, args).await;
            }
        }
        self.print(&output)
    }

    /// `--all-pages`: every page of the call, printed as one answer: the
    /// first page with the items of all of them in its list (the paging
    /// fields stay as the first page had them).
    pub async fn run_all_pages(
        &self,
        spec: &CommandSpec,
        m: &clap::ArgMatches,
    ) -> Result<(), CliError> {
        let op = spec.operation;
        let Some(pages) = op.pages else {
            return Err(CliError::Usage(format!("{} does not page", spec.name)));
        };
        let input = spec.input(m)?;
        let mut paginator =
            aliyun_runtime::pages::Paginator::new(self.client.runtime().clone(), op, input)?;
        let mut merged: Option<serde_json::Value> = None;
        let mut items = Vec::new();
        let mut count = 0;
        while let Some(page) = paginator.next_page().await {
            let page = page?;
            count += 1;
            if let Some(list) = aliyun_runtime::pages::items_at(&page, pages.items) {
                items.extend(list.iter().cloned());
            }
            tracing::info!(page = count, items = items.len(), "fetched a page");
            merged.get_or_insert(page);
        }
        let mut merged = merged.unwrap_or_else(|| serde_json::json!({}));
        set_items(&mut merged, pages.items, items);
        aliyun_runtime::shape::redact_secrets(&mut merged, op.output);
        self.print(&merged)
    }

    /// Prints the signed request that would be sent, with the secret and the
    /// STS token redacted (the signature itself is harmless to show).
    pub async fn print_prepared(
        &self,
        op: &Operation,
        params: &WireParams,
    ) -> Result<(), CliError> {
        let runtime = self.client.runtime();
        let credentials = if op.anonymous {
            Credentials::new("", "")
        } else {
            runtime.credentials().await?
        };
        let prepared = runtime.prepare(op, params, &credentials);
        let mut text = prepared.redacted(&credentials);
        text.push_str(&format!(
            "\n# string to sign\n{}\n# dry run: nothing was sent\n",
            aliyun_sign::redact(&prepared.string_to_sign(), &credentials)
        ));
        print_stdout(&aliyun_runtime::redact_sensitive(&text, op, params))
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

/// The default credentials chain, which also says (at `-v`) which source gave
/// the credentials and when they expire, naming the AccessKey ID only: once,
/// and again whenever temporary credentials are refreshed.
#[derive(Debug)]
pub struct LoggedChain {
    chain: DefaultChain,
    /// The expiry last logged (`Some(None)`: permanent credentials logged).
    logged: Mutex<Option<Option<OffsetDateTime>>>,
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
            logged: Mutex::new(None),
        })
    }
}

impl ProvideCredentials for LoggedChain {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            let r = self.chain.resolve().await?;
            let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
            if *logged != Some(r.expiration) {
                let first = logged.is_none();
                *logged = Some(r.expiration);
                let expires = r
                    .expiration
                    .map_or_else(|| "never (an AccessKey)".to_owned(), |t| t.to_string());
                tracing::info!(
                    access_key_id = r.credentials.access_key_id(),
                    sts = r.credentials.security_token().is_some(),
                    source = %r.source,
                    %expires,
                    "{}",
                    if first { "credentials found" } else { "credentials refreshed" }
                );
            }
            Ok(r.credentials)
        })
    }
}

/// Puts `items` at `path` in `value`, making the objects on the way (an
/// empty list leaves the value as it is, as the runtime leaves empty lists out).
fn set_items(value: &mut serde_json::Value, path: &[&str], items: Vec<serde_json::Value>) {
    let Some((last, wrappers)) = path.split_last() else {
        return;
    };
    if items.is_empty() {
        return;
    }
    let mut at = value;
    for name in wrappers {
        let Some(object) = at.as_object_mut() else {
            return;
        };
        at = object
            .entry(name.to_string())
            .or_insert_with(|| serde_json::json!({}));
    }
    if let Some(object) = at.as_object_mut() {
        object.insert(last.to_string(), serde_json::Value::Array(items));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::set_items;

    #[test]
    fn all_items_go_where_the_first_page_had_them() {
        let mut page = json!({"Total": 3, "VideoList": {"Video": [{"Id": 1}]}});
        set_items(
            &mut page,
            &["VideoList", "Video"],
            vec![json!({"Id": 1}), json!({"Id": 2})],
        );
        assert_eq!(
            page,
            json!({"Total": 3, "VideoList": {"Video": [{"Id": 1}, {"Id": 2}]}})
        );
        // The wrappers are made when the first page had none; no items, no change.
        let mut empty = json!({"Total": 0});
        set_items(&mut empty, &["VideoList", "Video"], vec![]);
        assert_eq!(empty, json!({"Total": 0}));
        set_items(&mut empty, &["VideoList", "Video"], vec![json!(1)]);
        assert_eq!(empty, json!({"Total": 0, "VideoList": {"Video": [1]}}));
    }
}

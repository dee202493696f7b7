//! Credentials: explicit, or resolved by the default chain.
//!
//! [`DefaultChain`] looks, in this order, where Alibaba's official credentials
//! libraries and the `aliyun` CLI look; the first source that yields credentials wins
//! and is kept:
//!
//! 1. The environment: `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
//!    (plus `ALIBABA_CLOUD_SECURITY_TOKEN` for STS credentials). Setting only one of
//!    the pair is a mistake and stops the chain with an error naming the other; so is
//!    setting one of these variables to a value that is not valid UTF-8 (the error
//!    names the variable, never the value).
//! 2. An OIDC role ([`OidcRole`]) when [`ENV_ROLE_ARN`], [`ENV_OIDC_PROVIDER_ARN`] and
//!    [`ENV_OIDC_TOKEN_FILE`] are all set.
//! 3. The `aliyun` CLI's config, `~/.aliyun/config.json` (or `ALIBABA_CLOUD_CONFIG_FILE`;
//!    not read when [`ENV_CLI_PROFILE_DISABLED`] is `true`): profiles of mode `AK`,
//!    `StsToken`, `RamRoleArn`, `ChainableRamRoleArn`, `EcsRamRole` and `OIDC`.
//! 4. The credentials file `~/.alibabacloud/credentials`, else
//!    `~/.alibabacloud/credentials.ini` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`): sections
//!    of `type` `access_key`, `sts`, `ram_role_arn`, `ecs_ram_role` and `oidc_role_arn`.
//! 5. The ECS RAM role from the instance metadata service ([`EcsRamRole`]), unless
//!    [`ENV_ECS_METADATA_DISABLED`] is `true`.
//! 6. A credentials URI ([`CredentialsUri`]) named by [`ENV_CREDENTIALS_URI`].
//!
//! Temporary credentials (roles, metadata, URI) come through [`Refreshing`], which
//! refreshes them ahead of expiry as [`Timing`] says, one fetch at a time. Roles are
//! assumed through the STS client this crate generates from `spec/sts`
//! ([`crate::sts`]), at the endpoint [`StsEndpoint`] chooses.
//!
//! The profile (config.json) or section (credentials file) is the one given to
//! [`DefaultChain::with_profile`], else `ALIBABA_CLOUD_PROFILE`, else config.json's
//! `current`, else `default`; an `ALIBABA_CLOUD_PROFILE` that is not valid UTF-8 stops
//! the chain with an error. The two file-path variables may hold any path, UTF-8 or
//! not. Every value is trimmed (a path that is not UTF-8 is used as is), and an empty
//! value counts as not set. When nothing is found, [`CredentialsError`] lists every
//! place the chain looked and why each failed. No secret or token (AccessKey secret,
//! STS token, OIDC token, metadata session token) ever reaches an error, a `Debug` or
//! `Display` output, or a log event.

// Layout: this file holds the public surface (the traits, the error, the
// variable names) and the helpers the sources share; `chain` holds
// `DefaultChain`; each source has its own module: `env`, `cli_config`
// (`~/.aliyun/config.json`), `ini` (`~/.alibabacloud/credentials`), `role`
// (STS), `imds` (instance metadata, credentials URI); `cache` refreshes
// temporary credentials and `http` is the small client of `imds`.

mod cache;
mod chain;
mod cli_config;
mod env;
mod http;
mod imds;
mod ini;
mod role;

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

pub use aliyun_sign::{Credentials, Secret};
pub use cache::{BoxFuture, Fetch, Refreshing, Temporary, Timing};
pub use chain::{DefaultChain, Resolved};
pub use imds::{CredentialsUri, EcsRamRole, DEFAULT_METADATA_ENDPOINT};
pub use role::{
    AssumeRole, OidcRole, RoleSession, StsEndpoint, DEFAULT_DURATION_SECONDS, MIN_DURATION_SECONDS,
};

/// The AccessKey id variable.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// The AccessKey secret variable.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// The STS security token variable (optional).
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// The variable naming the profile (config.json) or section (credentials file).
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// The variable overriding the path of the `aliyun` CLI's config.json.
pub const ENV_CONFIG_FILE: &str = "ALIBABA_CLOUD_CONFIG_FILE";
/// The variable overriding the path of the INI credentials file.
pub const ENV_CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// `true`: the chain does not read the `aliyun` CLI's config.json.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// The role ARN of the OIDC role source (and a default for AssumeRole).
pub const ENV_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// The OIDC identity provider's ARN.
pub const ENV_OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// The file holding the OIDC token (read on every refresh).
pub const ENV_OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// The role session name when a profile gives none.
pub const ENV_ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// The STS region: `sts.<region>.aliyuncs.com`.
pub const ENV_STS_REGION: &str = "ALIBABA_CLOUD_STS_REGION";
/// `true`: STS's VPC endpoint, `sts-vpc.<region>.aliyuncs.com` (with a region).
pub const ENV_VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
/// Ours: the STS endpoint as a full URL, over the region (tests, private networks).
pub const ENV_STS_ENDPOINT: &str = "ALIBABA_CLOUD_STS_ENDPOINT";
/// The ECS RAM role's name (skips asking the metadata service for it).
pub const ENV_ECS_METADATA: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// `true`: the chain never asks the instance metadata service.
pub const ENV_ECS_METADATA_DISABLED: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `true`: IMDSv2 only (no fallback to requests without a session token).
pub const ENV_IMDSV1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// Ours: the instance metadata service as a full URL (tests, private networks).
pub const ENV_ECS_METADATA_ENDPOINT: &str = "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT";
/// A URI answering temporary credentials.
pub const ENV_CREDENTIALS_URI: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// Where the chain reads environment variables and the home directory from; injectable for tests.
pub trait Environment: Send + Sync {
    /// The value of the variable `name`, if set (and valid Unicode).
    fn var(&self, name: &str) -> Option<String>;
    /// The raw value of the variable `name`, if set, Unicode or not. The chain reads
    /// variables through this, so that a value that is set but not valid Unicode is
    /// reported rather than taken for unset. By default, [`var`](Self::var)'s value.
    fn var_os(&self, name: &str) -> Option<OsString> {
        self.var(name).map(OsString::from)
    }
    /// The user's home directory, if known.
    fn home_dir(&self) -> Option<PathBuf>;
}

/// The real process environment; the home directory is `$HOME` (`%USERPROFILE%` on Windows).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn var_os(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }

    fn home_dir(&self) -> Option<PathBuf> {
        let name = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }
}

/// What [`ProvideCredentials::provide`] returns: a boxed, sendable future.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// Something that yields credentials (explicit value, the default chain, a
/// refreshing source, or a user's own).
///
/// The client asks before every attempt it signs, so a provider must answer
/// quickly when it has credentials (cache them) and must not block the async
/// thread it runs on (read files on a blocking thread, talk to the network
/// asynchronously).
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with, valid now.
    fn provide(&self) -> ProvideFuture<'_>;
}

/// Explicit credentials: always themselves.
impl ProvideCredentials for Credentials {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide(&self) -> ProvideFuture<'_> {
        (**self).provide()
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Box<T> {
    fn provide(&self) -> ProvideFuture<'_> {
        (**self).provide()
    }
}

/// Every place the chain looked and why each failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    /// The places looked at, in order.
    pub attempts: Vec<Attempt>,
}

/// One place the chain looked, and why it yielded no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Where: `environment (ALIBABA_CLOUD_ACCESS_KEY_ID)`, a file path, ...
    pub source: String,
    /// Why it failed: `not set`, `file not found`, ...
    pub reason: String,
}

impl CredentialsError {
    /// The error of a single source that failed for `reason`.
    pub fn single(source: impl Into<String>, reason: impl Into<String>) -> Self {
        CredentialsError {
            attempts: vec![Attempt::new(source, reason)],
        }
    }
}

impl Attempt {
    /// An attempt at `source` that failed for `reason`.
    pub fn new(source: impl Into<String>, reason: impl Into<String>) -> Self {
        Attempt {
            source: source.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no credentials found")?;
        if self.attempts.is_empty() {
            return Ok(());
        }
        f.write_str(":")?;
        for attempt in &self.attempts {
            write!(f, "\n  - {attempt}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CredentialsError {}

/// What a profile (config.json) or section (credentials file) describes:
/// credentials, or how to get them. No `Debug`: it may hold a secret.
pub(crate) enum Recipe {
    /// An AccessKey (with its STS token, if any).
    Static(Credentials),
    /// `AssumeRole`, signed with what `signer` gives.
    AssumeRole {
        signer: Box<Recipe>,
        role: RoleSpec,
        external_id: Option<String>,
    },
    /// `AssumeRoleWithOIDC` with the token in a file.
    Oidc {
        role: RoleSpec,
        provider_arn: String,
        token_file: PathBuf,
    },
    /// The ECS RAM role from the instance metadata service.
    EcsRamRole { role_name: Option<String> },
}

impl Recipe {
    /// For messages: what kind of source the recipe builds.
    fn kind(&self) -> &'static str {
        match self {
            Recipe::Static(c) if c.security_token().is_some() => "STS token",
            Recipe::Static(_) => "AccessKey",
            Recipe::AssumeRole { .. } => "RAM role",
            Recipe::Oidc { .. } => "OIDC role",
            Recipe::EcsRamRole { .. } => "ECS RAM role",
        }
    }
}

/// A role as a file describes it; what it leaves out comes from the
/// environment or the defaults when the chain builds it.
#[derive(Default)]
pub(crate) struct RoleSpec {
    role_arn: String,
    session_name: Option<String>,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    sts_region: Option<String>,
    vpc: Option<bool>,
}

/// What a file source yielded: a recipe, or a failed attempt; and whether the
/// file held the chosen profile at all.
struct FileOutcome {
    result: Result<(Recipe, String), Attempt>,
    has_profile: bool,
}

impl FileOutcome {
    fn failed(source: impl Into<String>, reason: impl Into<String>) -> Self {
        FileOutcome {
            result: Err(Attempt::new(source, reason)),
            has_profile: false,
        }
    }
}

/// The trimmed value of `name`; `None` when unset or blank. `Err`: set, but not
/// valid UTF-8 (a mistake, not a reason to look elsewhere).
fn var(env: &dyn Environment, name: &str) -> Result<Option<String>, Attempt> {
    match env.var_os(name).map(OsString::into_string) {
        None => Ok(None),
        Some(Ok(value)) => Ok(non_empty(Some(value))),
        // The value is not shown: it may be a secret.
        Some(Err(_)) => Err(Attempt::new(
            format!("environment ({name})"),
            "set, but not valid UTF-8",
        )),
    }
}

/// A path from `name`; `None` when unset or blank. A path need not be UTF-8.
fn path_var(env: &dyn Environment, name: &str) -> Option<PathBuf> {
    match env.var_os(name)?.into_string() {
        Ok(value) => non_empty(Some(value)).map(PathBuf::from),
        Err(raw) => Some(PathBuf::from(raw)),
    }
}

/// A source's find (the chain logs it once settled, on its own thread: files
/// are read on a blocking one).
fn found(recipe: Recipe, source: String) -> (Recipe, String) {
    (recipe, source)
}

/// Trimmed, and `None` when blank.
fn non_empty(value: Option<String>) -> Option<String> {
    value.and_then(|v| {
        let t = v.trim();
        (!t.is_empty()).then(|| t.to_owned())
    })
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        // io::Error's Display names the OS error, never the file contents.
        _ => format!("cannot read: {e}"),
    })
}

/// A name read from a file or the environment, quoted, escaped and bounded, for messages.
fn shown(name: &str) -> String {
    format!("\"{}\"", shown_bare(name))
}

fn shown_bare(name: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = name
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if name.chars().count() > MAX {
        out.push_str("...");
    }
    out
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| shown_bare(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fixtures shared by the tests of every source: an environment from a map and
/// a temporary home directory to write the files in.
#[cfg(test)]
mod test_support {
    use std::collections::HashMap;
    use std::ffi::OsString;
    use std::fs;
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::{Credentials, CredentialsError, DefaultChain, Environment, ProvideCredentials};

    pub(super) const SECRET: &str = "S3cr3t-VALUE-never-shown";
    pub(super) const TOKEN: &str = "T0ken-VALUE-never-shown";
    /// A loopback endpoint nothing listens on.
    pub(super) const CLOSED_ENDPOINT: &str = "http://127.0.0.1:9";

    /// Variables from a map (values need not be Unicode), home in a temporary directory.
    pub(super) struct MapEnvironment {
        pub(super) vars: HashMap<String, OsString>,
        pub(super) home: Option<PathBuf>,
    }

    impl Environment for MapEnvironment {
        fn var(&self, name: &str) -> Option<String> {
            self.var_os(name)?.into_string().ok()
        }

        fn var_os(&self, name: &str) -> Option<OsString> {
            self.vars.get(name).cloned()
        }

        fn home_dir(&self) -> Option<PathBuf> {
            self.home.clone()
        }
    }

    pub(super) struct Fixture {
        home: tempfile::TempDir,
        vars: HashMap<String, OsString>,
    }

    impl Fixture {
        /// A home directory with nothing in it; the instance metadata
        /// service off (a test must never reach 100.100.100.200).
        pub(super) fn new() -> Self {
            Fixture {
                home: tempfile::tempdir().unwrap(),
                vars: HashMap::from([
                    (
                        super::ENV_ECS_METADATA_DISABLED.to_owned(),
                        OsString::from("true"),
                    ),
                    // Nothing listens on the discard port: a role source
                    // fails here at once, and never reaches the real STS.
                    (
                        super::ENV_STS_ENDPOINT.to_owned(),
                        OsString::from(CLOSED_ENDPOINT),
                    ),
                ]),
            }
        }

        pub(super) fn var(self, name: &str, value: &str) -> Self {
            self.var_os(name, value)
        }

        pub(super) fn var_os(mut self, name: &str, value: impl Into<OsString>) -> Self {
            self.vars.insert(name.to_owned(), value.into());
            self
        }

        pub(super) fn path(&self, rel: &str) -> PathBuf {
            self.home.path().join(rel)
        }

        pub(super) fn write(self, rel: &str, contents: impl AsRef<[u8]>) -> Self {
            let path = self.path(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
            self
        }

        pub(super) fn config(self, json: &str) -> Self {
            self.write(".aliyun/config.json", json)
        }

        pub(super) fn ini(self, text: &str) -> Self {
            self.write(".alibabacloud/credentials", text)
        }

        pub(super) fn chain(&self) -> DefaultChain {
            DefaultChain::with_environment(Arc::new(MapEnvironment {
                vars: self.vars.clone(),
                home: Some(self.home.path().to_owned()),
            }))
        }

        pub(super) fn p(&self, rel: &str) -> String {
            self.path(rel).display().to_string()
        }
    }

    pub(super) fn ak_profile(name: &str, id: &str) -> String {
        format!(
            r#"{{"name": "{name}", "mode": "AK", "access_key_id": "{id}", "access_key_secret": "{SECRET}", "region_id": "cn-shanghai"}}"#
        )
    }

    pub(super) fn config_with(current: &str, profiles: &[String]) -> String {
        format!(
            r#"{{"current": "{current}", "profiles": [{}], "meta_path": ""}}"#,
            profiles.join(", ")
        )
    }

    pub(super) fn ini_ak(section: &str, id: &str) -> String {
        format!(
            "[{section}]\ntype = access_key\naccess_key_id = {id}\naccess_key_secret = {SECRET}\n"
        )
    }

    /// Runs a future to completion on a fresh current-thread runtime.
    pub(super) fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// `provide()`, waited for.
    pub(super) trait BlockingProvide {
        fn provide_blocking(&self) -> Result<Credentials, CredentialsError>;
    }

    impl<T: ProvideCredentials + ?Sized> BlockingProvide for T {
        fn provide_blocking(&self) -> Result<Credentials, CredentialsError> {
            block_on(self.provide())
        }
    }

    impl DefaultChain {
        pub(super) fn provide_with_source_blocking(
            &self,
        ) -> Result<(Credentials, String), CredentialsError> {
            block_on(self.provide_with_source())
        }
    }

    pub(super) fn ok(chain: &DefaultChain) -> (Credentials, String) {
        match chain.provide_with_source_blocking() {
            Ok(found) => found,
            Err(e) => panic!("expected credentials, got: {e}"),
        }
    }

    pub(super) fn err(chain: &DefaultChain) -> CredentialsError {
        match chain.provide_blocking() {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e,
        }
    }

    pub(super) fn assert_no_secret(text: &str) {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains("S3cr3t"), "secret leaked: {text}");
    }

    /// `prefix` followed by bytes that are not UTF-8.
    #[cfg(unix)]
    pub(super) fn not_utf8(prefix: &str) -> OsString {
        use std::os::unix::ffi::OsStrExt as _;
        let mut bytes = prefix.as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff\xfe-tail");
        std::ffi::OsStr::from_bytes(&bytes).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::test_support::*;
    use super::*;

    #[cfg(unix)]
    #[test]
    fn file_path_variables_need_not_be_utf8() {
        // A path is not a credential: any bytes the OS allows are a path, and it is used.
        let f = Fixture::new()
            .config(&config_with(
                "default",
                &[ak_profile("default", "home-cfg")],
            ))
            .ini(&ini_ak("default", "home-ini"));
        let config = f.path("missing").join(not_utf8("config"));
        let ini = f.path("missing").join(not_utf8("credentials"));
        let f = f
            .var_os(ENV_CONFIG_FILE, config.clone())
            .var_os(ENV_CREDENTIALS_FILE, ini.clone());
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1],
            Attempt::new(
                format!("{} (ALIBABA_CLOUD_CONFIG_FILE)", config.display()),
                "file not found"
            )
        );
        assert_eq!(
            e.attempts[2],
            Attempt::new(
                format!("{} (ALIBABA_CLOUD_CREDENTIALS_FILE)", ini.display()),
                "file not found"
            )
        );

        #[cfg(target_os = "linux")]
        {
            let path = f.path(".").join(not_utf8("config"));
            fs::write(
                &path,
                config_with("default", &[ak_profile("default", "odd-path-id")]),
            )
            .unwrap();
            let f = f.var_os(ENV_CONFIG_FILE, path);
            assert_eq!(
                f.chain().provide_blocking().unwrap().access_key_id(),
                "odd-path-id"
            );
        }
    }

    #[test]
    fn an_environment_without_var_os_is_read_through_var() {
        struct VarOnly;
        impl Environment for VarOnly {
            fn var(&self, name: &str) -> Option<String> {
                match name {
                    ENV_ACCESS_KEY_ID => Some("var-id".to_owned()),
                    ENV_ACCESS_KEY_SECRET => Some(SECRET.to_owned()),
                    _ => None,
                }
            }
            fn home_dir(&self) -> Option<PathBuf> {
                None
            }
        }
        assert_eq!(VarOnly.var_os(ENV_ACCESS_KEY_ID), Some("var-id".into()));
        assert_eq!(VarOnly.var_os(ENV_PROFILE), None);
        let chain = DefaultChain::with_environment(Arc::new(VarOnly));
        assert_eq!(chain.provide_blocking().unwrap().access_key_id(), "var-id");
    }

    #[test]
    fn trailing_whitespace_and_newlines_in_secrets_are_trimmed() {
        let json = format!(
            r#"{{"profiles": [{{"name": " default ", "mode": " AK ", "access_key_id": " cfg-id\n", "access_key_secret": "{SECRET} \n"}}]}}"#
        );
        let f = Fixture::new().config(&json);
        let c = f.chain().provide_blocking().unwrap();
        assert_eq!(c.access_key_id(), "cfg-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);

        let f = Fixture::new().ini(&format!(
            "[default]  \r\ntype = access_key \r\naccess_key_id = ini-id\t\r\naccess_key_secret = {SECRET}   \r\n\r\n"
        ));
        let c = f.chain().provide_blocking().unwrap();
        assert_eq!(c.access_key_id(), "ini-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
    }

    #[test]
    fn names_in_messages_are_escaped_and_bounded() {
        let long = "x".repeat(100);
        let f = Fixture::new()
            .config(r#"{"profiles": []}"#)
            .var(ENV_PROFILE, &format!("a\nb{long}"));
        let e = err(&f.chain());
        assert!(e.to_string().lines().count() == 6, "{e}");
        assert!(e.attempts[1].reason.contains("\"a\\nbxxx"));
        assert!(e.attempts[1].reason.contains("...\""));
        assert!(!e.attempts[1].reason.contains(&long));
    }

    /// Collects every event's fields as text.
    struct Capture(std::sync::Mutex<Vec<String>>);

    struct Fields<'a>(&'a mut String);

    impl tracing::field::Visit for Fields<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
            self.0.push_str(&format!("{}={:?} ", field.name(), value));
        }
    }

    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut text = String::new();
            event.record(&mut Fields(&mut text));
            self.0.lock().unwrap().push(text);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn tracing_names_the_source_and_key_id_only() {
        let capture = Arc::new(Capture(std::sync::Mutex::new(Vec::new())));
        let f = Fixture::new().config(&format!(
            r#"{{"profiles": [{{"name": "default", "mode": "StsToken", "access_key_id": "cfg-id", "access_key_secret": "{SECRET}", "sts_token": "{TOKEN}"}}]}}"#
        ));
        tracing::subscriber::with_default(capture.clone(), || {
            // A callsite another test's thread registers while no subscriber
            // listens gets a "never" interest; if that registration finishes
            // after this thread's rebuild, the events are lost. Rebuild and
            // run again until they arrive (a few rounds at most).
            for _ in 0..5 {
                tracing::callsite::rebuild_interest_cache();
                f.chain().provide_blocking().unwrap();
                let _ = Fixture::new()
                    .var(ENV_ACCESS_KEY_SECRET, SECRET)
                    .chain()
                    .provide_blocking();
                if !capture.0.lock().unwrap().is_empty() {
                    break;
                }
            }
        });
        let events = capture.0.lock().unwrap().join("\n");
        assert!(events.contains("cfg-id"), "{events}");
        assert!(events.contains("config.json"), "{events}");
        assert_no_secret(&events);
    }

    #[test]
    fn explicit_credentials_provide_themselves() {
        let c = Credentials::new("explicit-id", SECRET).with_security_token(TOKEN);
        assert_eq!(c.provide_blocking().unwrap(), c);
        let shared: Arc<dyn ProvideCredentials> = Arc::new(c.clone());
        assert_eq!(shared.provide_blocking().unwrap(), c);
        let boxed: Box<dyn ProvideCredentials> = Box::new(c.clone());
        assert_eq!(boxed.provide_blocking().unwrap(), c);
        assert_no_secret(&format!("{shared:?} {boxed:?}"));
    }

    #[test]
    fn error_display_forms() {
        assert_eq!(
            CredentialsError { attempts: vec![] }.to_string(),
            "no credentials found"
        );
        let e = CredentialsError {
            attempts: vec![Attempt::new("a", "b"), Attempt::new("c", "d")],
        };
        assert_eq!(e.to_string(), "no credentials found:\n  - a: b\n  - c: d");
        let _: &dyn std::error::Error = &e;
    }

    #[test]
    fn process_environment_reads_the_process() {
        let env = ProcessEnvironment;
        assert_eq!(
            env.var("ALIYUN_RUNTIME_TEST_SURELY_UNSET_VARIABLE_93127"),
            None
        );
        assert_eq!(
            env.var_os("ALIYUN_RUNTIME_TEST_SURELY_UNSET_VARIABLE_93127"),
            None
        );
        if let Some(path) = std::env::var_os("PATH") {
            assert_eq!(env.var_os("PATH"), Some(path.clone()));
            assert_eq!(env.var("PATH").map(Into::into), Some(path));
        }
        let _ = DefaultChain::new();
        let _ = DefaultChain::default();
    }
}

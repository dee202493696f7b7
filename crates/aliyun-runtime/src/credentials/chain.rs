//! [`DefaultChain`]: the order in which the sources are tried, the profile they
//! read, the settings the role sources take from the environment, and the
//! error that lists every place tried.

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use super::cache::{Refreshing, Timing};
use super::cli_config::try_cli_config;
use super::env::try_environment;
use super::http::checked_endpoint;
use super::imds::{CredentialsUri, EcsRamRole, DEFAULT_METADATA_ENDPOINT};
use super::ini::try_credentials_file;
use super::role::{AssumeRole, OidcRole, RoleSession, StsEndpoint, DEFAULT_DURATION_SECONDS};
use super::{
    non_empty, path_var, shown, var, Attempt, Credentials, CredentialsError, Environment,
    FileOutcome, ProcessEnvironment, ProvideCredentials, ProvideFuture, Recipe, RoleSpec,
    ENV_ACCESS_KEY_ID, ENV_CLI_PROFILE_DISABLED, ENV_CREDENTIALS_URI, ENV_ECS_METADATA,
    ENV_ECS_METADATA_DISABLED, ENV_ECS_METADATA_ENDPOINT, ENV_IMDSV1_DISABLED,
    ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE, ENV_PROFILE, ENV_ROLE_ARN, ENV_ROLE_SESSION_NAME,
    ENV_STS_ENDPOINT, ENV_STS_REGION, ENV_VPC_ENDPOINT_ENABLED,
};

/// The default credentials chain (see the [module docs](super) for the order).
///
/// The first call walks the chain; the source that yields credentials is
/// kept, and later calls ask only it (a temporary source refreshes itself),
/// as the official libraries reuse their last provider. A walk that found
/// nothing is not kept: the next call walks again. Clones share what was
/// found. Files are read on a blocking thread, the network asynchronously.
#[derive(Clone)]
pub struct DefaultChain {
    env: Arc<dyn Environment>,
    profile: Option<String>,
    sts_endpoint: Option<String>,
    metadata_endpoint: Option<String>,
    found: Arc<tokio::sync::OnceCell<Arc<Winner>>>,
}

/// The source the walk settled on.
struct Winner {
    source: String,
    provider: Provider,
}

enum Provider {
    Static(Credentials),
    Refreshing(Arc<Refreshing>),
}

impl Provider {
    fn shared(self) -> Arc<dyn ProvideCredentials> {
        match self {
            Provider::Static(c) => Arc::new(c),
            Provider::Refreshing(r) => r,
        }
    }
}

/// Credentials, where they came from, and when they expire.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The credentials (their `Debug` redacts the secret parts).
    pub credentials: Credentials,
    /// The source: `environment`, a file and profile, a role and how it is assumed.
    pub source: String,
    /// When temporary credentials expire; `None` for an AccessKey.
    pub expiration: Option<OffsetDateTime>,
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment is not shown: it may hold secrets.
        f.debug_struct("DefaultChain")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl Default for DefaultChain {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the profile name came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProfileOrigin {
    Explicit,
    Environment,
}

/// What the role and metadata sources take from the environment, read once per walk.
struct Settings {
    sts_url: Option<Result<String, String>>,
    sts_region: Option<String>,
    vpc: bool,
    session_name: Option<String>,
    metadata_endpoint: Result<String, String>,
    ecs_role: Option<String>,
    imdsv1_disabled: bool,
}

fn is_true(env: &dyn Environment, name: &str) -> bool {
    var(env, name)
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl DefaultChain {
    /// The chain over the real process environment, the profile taken from
    /// `ALIBABA_CLOUD_PROFILE` (or config.json's `current`, or `default`).
    pub fn new() -> Self {
        Self::with_environment(Arc::new(ProcessEnvironment))
    }

    /// The chain over another environment (tests, embedding).
    pub fn with_environment(env: Arc<dyn Environment>) -> Self {
        DefaultChain {
            env,
            profile: None,
            sts_endpoint: None,
            metadata_endpoint: None,
            found: Arc::default(),
        }
    }

    /// Uses this profile (e.g. from a CLI `--profile` flag) in both files; it overrides
    /// `ALIBABA_CLOUD_PROFILE` and config.json's `current`. Blank means none.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = non_empty(Some(profile.into()));
        self.found = Arc::default();
        self
    }

    /// Sends the role sources' STS calls to `url` (a full URL; http only to
    /// a loopback host), over `ALIBABA_CLOUD_STS_ENDPOINT`, a region or the default.
    pub fn with_sts_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sts_endpoint = Some(url.into());
        self.found = Arc::default();
        self
    }

    /// Reads the ECS RAM role from the instance metadata service at `url`
    /// (a full URL; http only to a loopback host) instead of
    /// `http://100.100.100.200`, over `ALIBABA_CLOUD_ECS_METADATA_ENDPOINT`.
    pub fn with_metadata_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metadata_endpoint = Some(url.into());
        self.found = Arc::default();
        self
    }

    /// The explicit profile, if one was given.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// Credentials valid now, with their source and expiry.
    pub async fn resolve(&self) -> Result<Resolved, CredentialsError> {
        let winner = self
            .found
            .get_or_try_init(|| async { self.walk().await.map(Arc::new) })
            .await?;
        match &winner.provider {
            Provider::Static(c) => Ok(Resolved {
                credentials: c.clone(),
                source: winner.source.clone(),
                expiration: None,
            }),
            Provider::Refreshing(r) => match r.get().await {
                Ok((credentials, expiration)) => Ok(Resolved {
                    credentials,
                    source: winner.source.clone(),
                    expiration: Some(expiration),
                }),
                Err(reason) => Err(CredentialsError::single(winner.source.clone(), reason)),
            },
        }
    }

    /// Like [`resolve`](Self::resolve), only the credentials and the source.
    pub async fn provide_with_source(&self) -> Result<(Credentials, String), CredentialsError> {
        self.resolve().await.map(|r| (r.credentials, r.source))
    }

    fn settings(&self) -> Settings {
        let env = &*self.env;
        let text = |name: &str| var(env, name).ok().flatten();
        let sts_url = match &self.sts_endpoint {
            Some(url) => Some(checked_endpoint(url, "the STS endpoint")),
            None => text(ENV_STS_ENDPOINT).map(|u| checked_endpoint(&u, ENV_STS_ENDPOINT)),
        };
        let metadata_endpoint = match &self.metadata_endpoint {
            Some(url) => checked_endpoint(url, "the metadata endpoint"),
            None => match text(ENV_ECS_METADATA_ENDPOINT) {
                Some(u) => checked_endpoint(&u, ENV_ECS_METADATA_ENDPOINT),
                None => Ok(DEFAULT_METADATA_ENDPOINT.to_owned()),
            },
        };
        Settings {
            sts_url,
            sts_region: text(ENV_STS_REGION),
            vpc: is_true(env, ENV_VPC_ENDPOINT_ENABLED),
            session_name: text(ENV_ROLE_SESSION_NAME),
            metadata_endpoint,
            ecs_role: text(ENV_ECS_METADATA),
            imdsv1_disabled: is_true(env, ENV_IMDSV1_DISABLED),
        }
    }

    /// Walks the sources in order; the first that yields credentials wins.
    async fn walk(&self) -> Result<Winner, CredentialsError> {
        let env = &*self.env;
        let settings = self.settings();
        let mut attempts = Vec::new();

        // 1. The environment's AccessKey.
        match try_environment(env) {
            Ok(Some((recipe, source))) => {
                return self
                    .settle(recipe, source, &settings)
                    .await
                    .map_err(|a| CredentialsError { attempts: vec![a] })
            }
            Ok(None) => attempts.push(Attempt::new(
                format!("environment ({ENV_ACCESS_KEY_ID})"),
                "not set",
            )),
            Err(mistake) => {
                return Err(CredentialsError {
                    attempts: vec![mistake],
                })
            }
        }

        // 2. The OIDC role the environment names (ACK's RRSA sets these).
        let oidc = [ENV_ROLE_ARN, ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE]
            .map(|name| var(env, name).ok().flatten());
        match oidc {
            [None, None, None] => {}
            [Some(role_arn), Some(provider_arn), Some(_)] => {
                let token_file = path_var(env, ENV_OIDC_TOKEN_FILE).unwrap_or_default();
                let recipe = Recipe::Oidc {
                    role: RoleSpec {
                        role_arn,
                        ..RoleSpec::default()
                    },
                    provider_arn,
                    token_file,
                };
                match self
                    .settle(recipe, "environment (OIDC)".to_owned(), &settings)
                    .await
                {
                    Ok(winner) => return Ok(winner),
                    Err(a) => attempts.push(a),
                }
            }
            partial => {
                let missing: Vec<&str> = [ENV_ROLE_ARN, ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE]
                    .into_iter()
                    .zip(&partial)
                    .filter(|(_, v)| v.is_none())
                    .map(|(name, _)| name)
                    .collect();
                attempts.push(Attempt::new(
                    "OIDC role (environment)",
                    format!(
                        "{} not set, so the other variables are ignored",
                        missing.join(", ")
                    ),
                ));
            }
        }

        let chosen = match self.chosen_profile() {
            Ok(chosen) => chosen,
            Err(mistake) => {
                attempts.push(mistake);
                return Err(CredentialsError { attempts });
            }
        };
        let profile = chosen.as_ref().map(|(name, _)| name.clone());

        // 3. The aliyun CLI's config.json.
        let config = if is_true(env, ENV_CLI_PROFILE_DISABLED) {
            FileOutcome::failed(
                "~/.aliyun/config.json",
                format!("not read: {ENV_CLI_PROFILE_DISABLED} is true"),
            )
        } else {
            let (env, p) = (Arc::clone(&self.env), profile.clone());
            blocking(move || try_cli_config(&*env, p.as_deref())).await
        };
        let has_config_profile = config.has_profile;
        match config.result {
            Ok((recipe, source)) => match self.settle(recipe, source, &settings).await {
                Ok(winner) => return Ok(winner),
                Err(a) => attempts.push(a),
            },
            Err(attempt) => attempts.push(attempt),
        }

        // 4. The INI credentials file.
        let ini = {
            let (env, p) = (Arc::clone(&self.env), profile.clone());
            blocking(move || try_credentials_file(&*env, p.as_deref())).await
        };
        let has_ini_profile = ini.has_profile;
        match ini.result {
            Ok((recipe, source)) => match self.settle(recipe, source, &settings).await {
                Ok(winner) => return Ok(winner),
                Err(a) => attempts.push(a),
            },
            Err(attempt) => attempts.push(attempt),
        }

        if let Some((name, ProfileOrigin::Explicit)) = &chosen {
            if !has_config_profile && !has_ini_profile {
                attempts.push(Attempt::new(
                    format!("profile {}", shown(name)),
                    "given explicitly, but found in neither the aliyun CLI config nor the credentials file",
                ));
            }
        }

        // 5. The ECS RAM role, from the instance metadata service.
        if is_true(env, ENV_ECS_METADATA_DISABLED) {
            attempts.push(Attempt::new(
                "ECS RAM role (instance metadata)",
                format!("not tried: {ENV_ECS_METADATA_DISABLED} is true"),
            ));
        } else {
            let recipe = Recipe::EcsRamRole { role_name: None };
            match self
                .settle(recipe, "instance metadata".to_owned(), &settings)
                .await
            {
                Ok(winner) => return Ok(winner),
                Err(a) => attempts.push(a),
            }
        }

        // 6. A credentials URI.
        match var(env, ENV_CREDENTIALS_URI).ok().flatten() {
            Some(uri) => {
                let source = format!("environment ({ENV_CREDENTIALS_URI})");
                match CredentialsUri::new(uri) {
                    Ok(fetch) => {
                        let r = Arc::new(Refreshing::new(fetch));
                        match r.get().await {
                            Ok(_) => {
                                return Ok(Winner {
                                    source: format!("{source}: {}", r.source()),
                                    provider: Provider::Refreshing(r),
                                })
                            }
                            Err(reason) => attempts.push(Attempt::new(r.source(), reason)),
                        }
                    }
                    Err(reason) => attempts.push(Attempt::new(source, reason)),
                }
            }
            None => attempts.push(Attempt::new(
                format!("credentials URI ({ENV_CREDENTIALS_URI})"),
                "not set",
            )),
        }

        Err(CredentialsError { attempts })
    }

    /// Builds what `recipe` describes and, for a temporary source, fetches
    /// once to prove it works. `Err`: the attempt, to list.
    async fn settle(
        &self,
        recipe: Recipe,
        source: String,
        settings: &Settings,
    ) -> Result<Winner, Attempt> {
        let provider = build(recipe, settings).map_err(|reason| Attempt::new(&source, reason))?;
        let source = match &provider {
            Provider::Static(c) => {
                tracing::debug!(
                    source = %source,
                    access_key_id = %c.access_key_id(),
                    sts = c.security_token().is_some(),
                    "credentials resolved"
                );
                source
            }
            Provider::Refreshing(r) => {
                let described = format!("{source}: {}", r.source());
                match r.get().await {
                    Ok((c, expiration)) => tracing::debug!(
                        source = %described,
                        access_key_id = %c.access_key_id(),
                        %expiration,
                        "credentials resolved"
                    ),
                    Err(reason) => return Err(Attempt::new(described, reason)),
                }
                described
            }
        };
        Ok(Winner { source, provider })
    }

    /// `Err`: `ALIBABA_CLOUD_PROFILE` is set, but not valid UTF-8.
    fn chosen_profile(&self) -> Result<Option<(String, ProfileOrigin)>, Attempt> {
        if let Some(p) = &self.profile {
            return Ok(Some((p.clone(), ProfileOrigin::Explicit)));
        }
        Ok(var(&*self.env, ENV_PROFILE)?.map(|p| (p, ProfileOrigin::Environment)))
    }
}

/// Runs a file read on a blocking thread (never on an async worker).
async fn blocking(read: impl FnOnce() -> FileOutcome + Send + 'static) -> FileOutcome {
    match tokio::task::spawn_blocking(read).await {
        Ok(outcome) => outcome,
        Err(e) => FileOutcome::failed("credentials file", format!("the read did not finish: {e}")),
    }
}

/// The provider a recipe describes; `Err` is why it cannot be built.
fn build(recipe: Recipe, settings: &Settings) -> Result<Provider, String> {
    match recipe {
        Recipe::Static(c) => Ok(Provider::Static(c)),
        Recipe::AssumeRole {
            signer,
            role,
            external_id,
        } => {
            let signer_kind = signer.kind();
            let signer = build(*signer, settings)?.shared();
            let fetch =
                AssumeRole::new(session(role, settings)?, external_id, signer, signer_kind)?;
            Ok(Provider::Refreshing(Arc::new(Refreshing::new(fetch))))
        }
        Recipe::Oidc {
            role,
            provider_arn,
            token_file,
        } => {
            let fetch = OidcRole::new(session(role, settings)?, provider_arn, token_file)?;
            Ok(Provider::Refreshing(Arc::new(Refreshing::new(fetch))))
        }
        Recipe::EcsRamRole { role_name } => {
            let endpoint = settings.metadata_endpoint.clone()?;
            let fetch = EcsRamRole::new(
                endpoint,
                role_name.or_else(|| settings.ecs_role.clone()),
                settings.imdsv1_disabled,
            )?;
            Ok(Provider::Refreshing(Arc::new(Refreshing::with_timing(
                fetch,
                Timing::ecs(),
            ))))
        }
    }
}

/// A file's role with what it leaves out taken from the environment, then the defaults.
fn session(role: RoleSpec, settings: &Settings) -> Result<RoleSession, String> {
    let mut session = RoleSession::new(role.role_arn);
    if let Some(name) = role.session_name.or_else(|| settings.session_name.clone()) {
        session.session_name = name;
    }
    session.duration_seconds = role.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS);
    session.policy = role.policy;
    session.endpoint = StsEndpoint {
        url: settings.sts_url.clone().transpose()?,
        region: role.sts_region.or_else(|| settings.sts_region.clone()),
        vpc: role.vpc.unwrap_or(settings.vpc),
    };
    Ok(session)
}

impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(async move { self.resolve().await.map(|r| r.credentials) })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::credentials::test_support::*;
    use crate::credentials::{ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN};

    #[test]
    fn env_wins_over_files() {
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "env-id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET)
            .config(&config_with("default", &[ak_profile("default", "cfg-id")]))
            .ini(&ini_ak("default", "ini-id"));
        let (c, source) = ok(&f.chain());
        assert_eq!(c.access_key_id(), "env-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
        assert!(c.security_token().is_none());
        assert_eq!(source, "environment");
    }

    #[test]
    fn config_wins_over_the_credentials_file() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("default", "cfg-id")]))
            .ini(&ini_ak("default", "ini-id"));
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "cfg-id"
        );
    }

    #[test]
    fn config_missing_profile_falls_through_to_the_credentials_file() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("dev", "dev-id")]))
            .ini(&ini_ak("default", "ini-id"));
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "ini-id"
        );
    }

    #[cfg(unix)]
    #[test]
    fn profile_not_utf8_is_an_error_naming_the_variable() {
        // Not a fall back to the default profile: that could be another account.
        let f = Fixture::new()
            .var_os(ENV_PROFILE, not_utf8("staging"))
            .config(&config_with("default", &[ak_profile("default", "cfg-id")]))
            .ini(&ini_ak("default", "ini-id"));
        let e = err(&f.chain());
        assert_eq!(
            e.to_string(),
            "no credentials found:\n  \
             - environment (ALIBABA_CLOUD_ACCESS_KEY_ID): not set\n  \
             - environment (ALIBABA_CLOUD_PROFILE): set, but not valid UTF-8"
        );
        assert!(!format!("{e:?}").contains("staging"));

        // An explicit profile overrides the variable, which is then not read.
        let c = f
            .chain()
            .with_profile("default")
            .provide_blocking()
            .unwrap();
        assert_eq!(c.access_key_id(), "cfg-id");

        // Credentials in the environment win before the profile matters.
        let f = f
            .var(ENV_ACCESS_KEY_ID, "env-id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET);
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "env-id"
        );
    }

    #[test]
    fn env_profile_overrides_current_and_with_profile_overrides_env() {
        let json = config_with(
            "dev",
            &[
                ak_profile("default", "default-id"),
                ak_profile("dev", "dev-id"),
                ak_profile("prod", "prod-id"),
                ak_profile("cli", "cli-id"),
            ],
        );
        let f = Fixture::new().config(&json).var(ENV_PROFILE, "prod");
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "prod-id"
        );
        let chain = f.chain().with_profile("cli");
        assert_eq!(chain.profile(), Some("cli"));
        assert_eq!(chain.provide_blocking().unwrap().access_key_id(), "cli-id");
        // A blank explicit profile is none.
        assert_eq!(
            f.chain()
                .with_profile("  ")
                .provide_blocking()
                .unwrap()
                .access_key_id(),
            "prod-id"
        );
    }

    #[test]
    fn nothing_found_lists_every_place_exactly() {
        let f = Fixture::new();
        let e = err(&f.chain());
        assert_eq!(
            e.to_string(),
            format!(
                "no credentials found:\n  \
                 - environment (ALIBABA_CLOUD_ACCESS_KEY_ID): not set\n  \
                 - {}: file not found\n  \
                 - {}: file not found (nor credentials.ini beside it)\n  \
                 - ECS RAM role (instance metadata): not tried: ALIBABA_CLOUD_ECS_METADATA_DISABLED is true\n  \
                 - credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI): not set",
                f.p(".aliyun/config.json"),
                f.p(".alibabacloud/credentials")
            )
        );
        assert_eq!(e.attempts.len(), 5);
    }

    #[test]
    fn explicit_profile_found_nowhere_says_so() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("default", "a")]))
            .ini(&ini_ak("default", "b"));
        let e = err(&f.chain().with_profile("staging"));
        assert_eq!(e.attempts.len(), 6);
        assert_eq!(
            e.attempts[3],
            Attempt::new(
                "profile \"staging\"",
                "given explicitly, but found in neither the aliyun CLI config nor the credentials file"
            )
        );
        assert!(e.attempts[1].reason.contains("\"staging\" not found"));
        assert!(e.attempts[2].reason.contains("[staging] not found"));

        // Found but broken in one file: that attempt explains, no summary line.
        let f = Fixture::new().ini("[staging]\ntype = access_key\n");
        let e = err(&f.chain().with_profile("staging"));
        assert_eq!(e.attempts.len(), 5);

        // Not added for a profile that came from ALIBABA_CLOUD_PROFILE.
        let f = Fixture::new().var(ENV_PROFILE, "staging");
        assert_eq!(err(&f.chain()).attempts.len(), 5);
    }

    #[test]
    fn unknown_home_is_a_failed_attempt() {
        let chain = DefaultChain::with_environment(Arc::new(MapEnvironment {
            vars: HashMap::from([(ENV_ECS_METADATA_DISABLED.to_owned(), "true".into())]),
            home: None,
        }));
        assert_eq!(
            chain.provide_blocking().unwrap_err().to_string(),
            "no credentials found:\n  \
             - environment (ALIBABA_CLOUD_ACCESS_KEY_ID): not set\n  \
             - ~/.aliyun/config.json: home directory unknown\n  \
             - ~/.alibabacloud/credentials: home directory unknown\n  \
             - ECS RAM role (instance metadata): not tried: ALIBABA_CLOUD_ECS_METADATA_DISABLED is true\n  \
             - credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI): not set"
        );
    }

    #[test]
    fn no_secret_in_any_debug_or_display() {
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "env-id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET)
            .var(ENV_SECURITY_TOKEN, TOKEN)
            .var(ENV_PROFILE, "p");
        let chain = f.chain().with_profile("explicit");
        let c = chain.provide_blocking().unwrap();
        assert_eq!(c.access_key_secret().expose(), SECRET);
        let debug = format!("{chain:?} {chain:#?} {c:?} {c:#?} {c}");
        assert_no_secret(&debug);
        assert_eq!(
            format!("{chain:?}"),
            "DefaultChain { profile: Some(\"explicit\"), .. }"
        );

        // Every error path with the secret and token present in the files.
        let cases = [
            Fixture::new().config(&format!(
                r#"{{"profiles": [{{"name": "default", "mode": "StsToken", "access_key_id": "", "access_key_secret": "{SECRET}", "sts_token": "{TOKEN}"}}]}}"#
            )),
            Fixture::new().config(&format!(
                r#"{{"profiles": [{{"name": "default", "mode": "Nope", "access_key_secret": "{SECRET}", "sts_token": "{TOKEN}"}}]}}"#
            )),
            Fixture::new().config(&format!(r#"{{"profiles": [{{"name": "{SECRET}x", "sts_token": {TOKEN}}}"#)),
            Fixture::new().ini(&format!("[default]\ntype = sts\naccess_key_secret = {SECRET}\nsecurity_token = {TOKEN}\n")),
            Fixture::new().ini(&format!("[default]\ntype = other\naccess_key_secret = {SECRET}\nsecurity_token = {TOKEN}\n")),
            Fixture::new().var(ENV_ACCESS_KEY_SECRET, SECRET).var(ENV_SECURITY_TOKEN, TOKEN),
        ];
        for f in &cases {
            let e = err(&f.chain());
            assert_no_secret(&format!("{e} {e:?} {e:#?} {:?}", f.chain()));
        }
    }

    #[test]
    fn chain_is_a_shareable_provider() {
        fn assert_provider<T: ProvideCredentials + Clone + 'static>() {}
        assert_provider::<DefaultChain>();
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "env-id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET);
        let shared: Arc<dyn ProvideCredentials> = Arc::new(f.chain());
        assert_eq!(shared.provide_blocking().unwrap().access_key_id(), "env-id");
    }
}

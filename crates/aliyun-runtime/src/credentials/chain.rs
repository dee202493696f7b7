//! [`DefaultChain`]: the order in which the sources are tried, the profile they
//! read, and the error that lists every place tried.

use std::fmt;
use std::sync::Arc;

use super::cli_config::try_cli_config;
use super::env::try_environment;
use super::ini::try_credentials_file;
use super::{
    non_empty, shown, var, Attempt, Credentials, CredentialsError, Environment, ProcessEnvironment,
    ProvideCredentials, ENV_ACCESS_KEY_ID, ENV_PROFILE,
};

/// The default credentials chain: environment, then the `aliyun` CLI's config.json,
/// then the INI credentials file (see the [module docs](super)).
///
/// It reads the sources on every [`provide`](ProvideCredentials::provide) call and
/// caches nothing. It holds only the environment and the profile name, so its
/// `Debug` can show no secret.
#[derive(Clone)]
pub struct DefaultChain {
    env: Arc<dyn Environment>,
    profile: Option<String>,
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

impl DefaultChain {
    /// The chain over the real process environment, the profile taken from
    /// `ALIBABA_CLOUD_PROFILE` (or config.json's `current`, or `default`).
    pub fn new() -> Self {
        Self::with_environment(Arc::new(ProcessEnvironment))
    }

    /// The chain over another environment (tests, embedding).
    pub fn with_environment(env: Arc<dyn Environment>) -> Self {
        DefaultChain { env, profile: None }
    }

    /// Uses this profile (e.g. from a CLI `--profile` flag) in both files; it overrides
    /// `ALIBABA_CLOUD_PROFILE` and config.json's `current`. Blank means none.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = non_empty(Some(profile.into()));
        self
    }

    /// The explicit profile, if one was given.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// Like [`provide`](ProvideCredentials::provide), also telling which source
    /// supplied the credentials (`environment`, or a file path and profile).
    pub fn provide_with_source(&self) -> Result<(Credentials, String), CredentialsError> {
        let env = &*self.env;
        let mut attempts = Vec::new();

        match try_environment(env) {
            Ok(Some(found)) => return Ok(found),
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

        let chosen = match self.chosen_profile() {
            Ok(chosen) => chosen,
            Err(mistake) => {
                attempts.push(mistake);
                return Err(CredentialsError { attempts });
            }
        };

        let config = try_cli_config(env, chosen.as_ref().map(|(name, _)| name.as_str()));
        match config.result {
            Ok(found) => return Ok(found),
            Err(attempt) => attempts.push(attempt),
        }

        let ini = try_credentials_file(env, chosen.as_ref().map(|(name, _)| name.as_str()));
        match ini.result {
            Ok(found) => return Ok(found),
            Err(attempt) => attempts.push(attempt),
        }

        if let Some((name, ProfileOrigin::Explicit)) = &chosen {
            if !config.has_profile && !ini.has_profile {
                attempts.push(Attempt::new(
                    format!("profile {}", shown(name)),
                    "given explicitly, but found in neither the aliyun CLI config nor the credentials file",
                ));
            }
        }

        Err(CredentialsError { attempts })
    }

    /// `Err`: `ALIBABA_CLOUD_PROFILE` is set, but not valid UTF-8.
    fn chosen_profile(&self) -> Result<Option<(String, ProfileOrigin)>, Attempt> {
        if let Some(p) = &self.profile {
            return Ok(Some((p.clone(), ProfileOrigin::Explicit)));
        }
        Ok(var(&*self.env, ENV_PROFILE)?.map(|p| (p, ProfileOrigin::Environment)))
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        self.provide_with_source().map(|(creds, _)| creds)
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
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "cfg-id");
    }

    #[test]
    fn config_missing_profile_falls_through_to_the_credentials_file() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("dev", "dev-id")]))
            .ini(&ini_ak("default", "ini-id"));
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "ini-id");
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
        let c = f.chain().with_profile("default").provide().unwrap();
        assert_eq!(c.access_key_id(), "cfg-id");

        // Credentials in the environment win before the profile matters.
        let f = f
            .var(ENV_ACCESS_KEY_ID, "env-id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET);
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "env-id");
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
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "prod-id");
        let chain = f.chain().with_profile("cli");
        assert_eq!(chain.profile(), Some("cli"));
        assert_eq!(chain.provide().unwrap().access_key_id(), "cli-id");
        // A blank explicit profile is none.
        assert_eq!(
            f.chain()
                .with_profile("  ")
                .provide()
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
                 - {}: file not found (nor credentials.ini beside it)",
                f.p(".aliyun/config.json"),
                f.p(".alibabacloud/credentials")
            )
        );
        assert_eq!(e.attempts.len(), 3);
    }

    #[test]
    fn explicit_profile_found_nowhere_says_so() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("default", "a")]))
            .ini(&ini_ak("default", "b"));
        let e = err(&f.chain().with_profile("staging"));
        assert_eq!(e.attempts.len(), 4);
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
        assert_eq!(e.attempts.len(), 3);

        // Not added for a profile that came from ALIBABA_CLOUD_PROFILE.
        let f = Fixture::new().var(ENV_PROFILE, "staging");
        assert_eq!(err(&f.chain()).attempts.len(), 3);
    }

    #[test]
    fn unknown_home_is_a_failed_attempt() {
        let chain = DefaultChain::with_environment(Arc::new(MapEnvironment {
            vars: HashMap::new(),
            home: None,
        }));
        assert_eq!(
            chain.provide().unwrap_err().to_string(),
            "no credentials found:\n  \
             - environment (ALIBABA_CLOUD_ACCESS_KEY_ID): not set\n  \
             - ~/.aliyun/config.json: home directory unknown\n  \
             - ~/.alibabacloud/credentials: home directory unknown"
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
        let c = chain.provide().unwrap();
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
        assert_eq!(shared.provide().unwrap().access_key_id(), "env-id");
    }
}

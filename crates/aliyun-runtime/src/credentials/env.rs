//! The environment source: `ALIBABA_CLOUD_ACCESS_KEY_ID` and
//! `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, plus `ALIBABA_CLOUD_SECURITY_TOKEN` for STS.

use super::{
    found, var, Attempt, Credentials, Environment, Recipe, ENV_ACCESS_KEY_ID,
    ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN,
};

/// `Ok(None)`: neither variable set. `Err`: exactly one of the pair set, or one
/// of the variables set but not valid UTF-8.
pub(super) fn try_environment(env: &dyn Environment) -> Result<Option<(Recipe, String)>, Attempt> {
    let id = var(env, ENV_ACCESS_KEY_ID)?;
    let secret = var(env, ENV_ACCESS_KEY_SECRET)?;
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(Attempt::new(
            format!("environment ({ENV_ACCESS_KEY_SECRET})"),
            format!("not set, but {ENV_ACCESS_KEY_ID} is (set both or neither)"),
        )),
        (None, Some(_)) => Err(Attempt::new(
            format!("environment ({ENV_ACCESS_KEY_ID})"),
            format!("not set, but {ENV_ACCESS_KEY_SECRET} is (set both or neither)"),
        )),
        (Some(id), Some(secret)) => {
            let mut creds = Credentials::new(id, secret);
            if let Some(token) = var(env, ENV_SECURITY_TOKEN)? {
                creds = creds.with_security_token(token);
            }
            Ok(Some(found(Recipe::Static(creds), "environment".to_owned())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_support::*;

    #[test]
    fn env_with_token_and_trimmed_values() {
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, " env-id\n")
            .var(ENV_ACCESS_KEY_SECRET, &format!("{SECRET}  \n"))
            .var(ENV_SECURITY_TOKEN, &format!("\t{TOKEN}\r\n"));
        let c = f.chain().provide_blocking().unwrap();
        assert_eq!(c.access_key_id(), "env-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
        assert_eq!(c.security_token().unwrap().expose(), TOKEN);
    }

    #[test]
    fn env_blank_values_count_as_unset() {
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "   ")
            .var(ENV_ACCESS_KEY_SECRET, "")
            .var(ENV_SECURITY_TOKEN, TOKEN)
            .ini(&ini_ak("default", "ini-id"));
        let c = f.chain().provide_blocking().unwrap();
        assert_eq!(c.access_key_id(), "ini-id");
        assert!(c.security_token().is_none());

        // A blank token alongside a full pair is no token.
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET)
            .var(ENV_SECURITY_TOKEN, "  ");
        assert!(f
            .chain()
            .provide_blocking()
            .unwrap()
            .security_token()
            .is_none());
    }

    #[test]
    fn only_id_set_is_an_error_naming_the_secret_variable() {
        // Valid files do not rescue a half-set pair: it is a configuration mistake.
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "env-id")
            .config(&config_with("default", &[ak_profile("default", "cfg-id")]))
            .ini(&ini_ak("default", "ini-id"));
        let e = err(&f.chain());
        assert_eq!(
            e.attempts,
            vec![Attempt::new(
                "environment (ALIBABA_CLOUD_ACCESS_KEY_SECRET)",
                "not set, but ALIBABA_CLOUD_ACCESS_KEY_ID is (set both or neither)"
            )]
        );
        assert_eq!(
            e.to_string(),
            "no credentials found:\n  - environment (ALIBABA_CLOUD_ACCESS_KEY_SECRET): not set, but ALIBABA_CLOUD_ACCESS_KEY_ID is (set both or neither)"
        );
    }

    #[test]
    fn only_secret_set_is_an_error_naming_the_id_variable() {
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_SECRET, SECRET)
            .var(ENV_SECURITY_TOKEN, TOKEN);
        let e = err(&f.chain());
        assert_eq!(e.attempts.len(), 1);
        assert_eq!(
            e.attempts[0].source,
            "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)"
        );
        assert!(e.attempts[0].reason.starts_with("not set"));
        assert_no_secret(&format!("{e} {e:?}"));
    }

    #[cfg(unix)]
    #[test]
    fn env_value_not_utf8_is_an_error_naming_the_variable() {
        let broken = |name: &str| {
            // Valid files do not rescue it: the variable is set, so it was meant to be used.
            let f = Fixture::new()
                .var(ENV_ACCESS_KEY_ID, "env-id")
                .var(ENV_ACCESS_KEY_SECRET, SECRET)
                .var(ENV_SECURITY_TOKEN, TOKEN)
                .var_os(name, not_utf8(SECRET))
                .config(&config_with("default", &[ak_profile("default", "cfg-id")]))
                .ini(&ini_ak("default", "ini-id"));
            err(&f.chain())
        };
        for name in [ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN] {
            let e = broken(name);
            assert_eq!(
                e.attempts,
                vec![Attempt::new(
                    format!("environment ({name})"),
                    "set, but not valid UTF-8"
                )]
            );
            assert_eq!(
                e.to_string(),
                format!(
                    "no credentials found:\n  - environment ({name}): set, but not valid UTF-8"
                )
            );
            let shown = format!("{e} {e:?} {e:#?}");
            assert_no_secret(&shown);
            assert!(!shown.contains("tail"), "{shown}");
        }

        // Set alone, it is reported as itself, not as the other half of the pair missing.
        let f = Fixture::new().var_os(ENV_ACCESS_KEY_SECRET, not_utf8("x"));
        assert_eq!(
            err(&f.chain()).attempts,
            vec![Attempt::new(
                "environment (ALIBABA_CLOUD_ACCESS_KEY_SECRET)",
                "set, but not valid UTF-8"
            )]
        );
    }
}

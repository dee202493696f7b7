//! The `aliyun` CLI's config source: `~/.aliyun/config.json` (or
//! `ALIBABA_CLOUD_CONFIG_FILE`), profiles of mode `AK` and `StsToken`.

use serde::Deserialize;

use super::{
    found, list, non_empty, path_var, read_file, shown, Attempt, Credentials, Environment,
    FileOutcome, ENV_CONFIG_FILE,
};

pub(super) fn try_cli_config(env: &dyn Environment, profile: Option<&str>) -> FileOutcome {
    let (path, source) = match path_var(env, ENV_CONFIG_FILE) {
        Some(path) => {
            let source = format!("{} ({ENV_CONFIG_FILE})", path.display());
            (path, source)
        }
        None => match env.home_dir() {
            Some(home) => {
                let path = home.join(".aliyun").join("config.json");
                let source = path.display().to_string();
                (path, source)
            }
            None => return FileOutcome::failed("~/.aliyun/config.json", "home directory unknown"),
        },
    };
    let text = match read_file(&path) {
        Ok(text) => text,
        Err(reason) => return FileOutcome::failed(source, reason),
    };
    let config: CliConfig = match serde_json::from_str(&text) {
        Ok(c) => c,
        // Only the category and position: serde_json's message may quote file contents.
        Err(e) => return FileOutcome::failed(source, json_error_reason(&e)),
    };
    let name = profile
        .map(str::to_owned)
        .or_else(|| non_empty(config.current.clone()))
        .unwrap_or_else(|| "default".to_owned());
    let profiles = config.profiles.unwrap_or_default();
    let Some(p) = profiles
        .iter()
        .find(|p| p.name.as_deref().map(str::trim) == Some(name.as_str()))
    else {
        let names: Vec<&str> = profiles
            .iter()
            .filter_map(|p| p.name.as_deref().map(str::trim))
            .filter(|n| !n.is_empty())
            .collect();
        let has = if names.is_empty() {
            "the file has no profiles".to_owned()
        } else {
            format!("the file has: {}", list(&names))
        };
        return FileOutcome::failed(source, format!("profile {} not found; {has}", shown(&name)));
    };
    let result = cli_profile_credentials(p, &name)
        .map(|creds| found(creds, format!("{source} profile {}", shown(&name))))
        .map_err(|reason| Attempt::new(source, reason));
    FileOutcome {
        result,
        has_profile: true,
    }
}

fn json_error_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax => "invalid JSON",
        Category::Eof => "invalid JSON (unexpected end of file)",
        Category::Data => "unexpected JSON structure (a field has the wrong type)",
        Category::Io => "cannot read",
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}

// The aliyun CLI's config.json. No Debug on these: they hold secrets.

#[derive(Deserialize, Default)]
#[serde(default)]
struct CliConfig {
    current: Option<String>,
    profiles: Option<Vec<CliProfile>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CliProfile {
    name: Option<String>,
    mode: Option<String>,
    access_key_id: Option<String>,
    access_key_secret: Option<String>,
    sts_token: Option<String>,
}

fn cli_profile_credentials(p: &CliProfile, name: &str) -> Result<Credentials, String> {
    let need = |value: &Option<String>, key: &str, mode: &str| {
        non_empty(value.clone()).ok_or_else(|| {
            format!(
                "profile {} (mode {mode}): {key} is missing or empty",
                shown(name)
            )
        })
    };
    let Some(mode) = non_empty(p.mode.clone()) else {
        return Err(format!(
            "profile {}: mode is not set (supported: AK, StsToken)",
            shown(name)
        ));
    };
    if mode.eq_ignore_ascii_case("AK") {
        let id = need(&p.access_key_id, "access_key_id", "AK")?;
        let secret = need(&p.access_key_secret, "access_key_secret", "AK")?;
        Ok(Credentials::new(id, secret))
    } else if mode.eq_ignore_ascii_case("StsToken") {
        let id = need(&p.access_key_id, "access_key_id", "StsToken")?;
        let secret = need(&p.access_key_secret, "access_key_secret", "StsToken")?;
        let token = need(&p.sts_token, "sts_token", "StsToken")?;
        Ok(Credentials::new(id, secret).with_security_token(token))
    } else {
        Err(format!(
            "profile {}: mode {} is not supported by this SDK yet (supported: AK, StsToken)",
            shown(name),
            shown(&mode)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_support::*;
    use crate::credentials::{ProvideCredentials, ENV_PROFILE};

    #[test]
    fn config_ak_mode() {
        let f = Fixture::new().config(&config_with("default", &[ak_profile("default", "cfg-id")]));
        let (c, source) = ok(&f.chain());
        assert_eq!(c.access_key_id(), "cfg-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
        assert!(c.security_token().is_none());
        assert_eq!(
            source,
            format!("{} profile \"default\"", f.p(".aliyun/config.json"))
        );
    }

    #[test]
    fn config_sts_token_mode() {
        let profile = format!(
            r#"{{"name": "default", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "{SECRET}", "sts_token": "{TOKEN}"}}"#
        );
        let f = Fixture::new().config(&config_with("default", &[profile]));
        let c = f.chain().provide().unwrap();
        assert_eq!(c.access_key_id(), "STS.id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
        assert_eq!(c.security_token().unwrap().expose(), TOKEN);
    }

    #[test]
    fn config_ak_mode_ignores_a_stray_sts_token() {
        let profile = format!(
            r#"{{"name": "default", "mode": "AK", "access_key_id": "id", "access_key_secret": "{SECRET}", "sts_token": "{TOKEN}"}}"#
        );
        let f = Fixture::new().config(&config_with("", &[profile]));
        assert!(f.chain().provide().unwrap().security_token().is_none());
    }

    #[test]
    fn config_current_selects_the_profile() {
        let f = Fixture::new().config(&config_with(
            "dev",
            &[
                ak_profile("default", "default-id"),
                ak_profile("dev", "dev-id"),
            ],
        ));
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "dev-id");
    }

    #[test]
    fn config_without_current_uses_default() {
        let json = format!(
            r#"{{"profiles": [{}, {}]}}"#,
            ak_profile("dev", "dev-id"),
            ak_profile("default", "default-id")
        );
        let f = Fixture::new().config(&json);
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "default-id");
    }

    #[test]
    fn config_missing_profile_lists_the_available_ones() {
        let f = Fixture::new()
            .config(&config_with(
                "default",
                &[ak_profile("default", "a"), ak_profile("dev", "b")],
            ))
            .var(ENV_PROFILE, "prod");
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1],
            Attempt::new(
                f.p(".aliyun/config.json"),
                "profile \"prod\" not found; the file has: default, dev"
            )
        );
        // ALIBABA_CLOUD_PROFILE names the section in the credentials file too.
        assert_eq!(e.attempts.len(), 3);

        let f = Fixture::new().config(r#"{"current": "x", "profiles": []}"#);
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1].reason,
            "profile \"x\" not found; the file has no profiles"
        );
    }

    #[test]
    fn config_unsupported_mode() {
        let json = r#"{"current": "default", "profiles": [{"name": "default", "mode": "RamRoleArn",
            "access_key_id": "id", "access_key_secret": "x", "ram_role_arn": "acs:ram::1:role/r"}]}"#;
        let f = Fixture::new().config(json);
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1].reason,
            "profile \"default\": mode \"RamRoleArn\" is not supported by this SDK yet (supported: AK, StsToken)"
        );

        let f = Fixture::new().config(r#"{"profiles": [{"name": "default"}]}"#);
        assert_eq!(
            err(&f.chain()).attempts[1].reason,
            "profile \"default\": mode is not set (supported: AK, StsToken)"
        );
    }

    #[test]
    fn config_incomplete_profile_names_the_missing_key() {
        let json = r#"{"profiles": [{"name": "default", "mode": "AK", "access_key_id": "id", "access_key_secret": "  "}]}"#;
        let f = Fixture::new().config(json);
        assert_eq!(
            err(&f.chain()).attempts[1].reason,
            "profile \"default\" (mode AK): access_key_secret is missing or empty"
        );

        let json = format!(
            r#"{{"profiles": [{{"name": "default", "mode": "StsToken", "access_key_id": "id", "access_key_secret": "{SECRET}"}}]}}"#
        );
        let f = Fixture::new().config(&json);
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1].reason,
            "profile \"default\" (mode StsToken): sts_token is missing or empty"
        );
        assert_no_secret(&format!("{e} {e:?}"));
    }

    #[test]
    fn config_invalid_json_shows_position_not_contents() {
        let bad = format!(
            "{{\n  \"profiles\": [\n    {{\"name\": \"default\", \"access_key_secret\": \"{SECRET}\" oops}}\n  ]\n}}\n"
        );
        let f = Fixture::new().config(&bad);
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1],
            Attempt::new(
                f.p(".aliyun/config.json"),
                "invalid JSON at line 3, column 73"
            )
        );
        assert_no_secret(&format!("{e} {e:?}"));
        assert!(!e.to_string().contains("oops"));
    }

    #[test]
    fn config_wrong_types_do_not_leak_values() {
        // serde_json's own message would quote the string it did not expect.
        let bad = format!(r#"{{"current": "default", "profiles": "{SECRET}"}}"#);
        let f = Fixture::new().config(&bad);
        let e = err(&f.chain());
        assert!(
            e.attempts[1].reason.starts_with(
                "unexpected JSON structure (a field has the wrong type) at line 1, column"
            ),
            "{e}"
        );
        assert_no_secret(&format!("{e} {e:?}"));

        let f = Fixture::new().config("");
        assert_eq!(
            err(&f.chain()).attempts[1].reason,
            "invalid JSON (unexpected end of file) at line 1, column 0"
        );
    }

    #[test]
    fn config_file_override() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("default", "home-id")]))
            .write(
                "elsewhere/cli.json",
                config_with("default", &[ak_profile("default", "other-id")]),
            );
        let f = {
            let p = f.p("elsewhere/cli.json");
            f.var(ENV_CONFIG_FILE, &p)
        };
        let (c, source) = ok(&f.chain());
        assert_eq!(c.access_key_id(), "other-id");
        assert_eq!(
            source,
            format!(
                "{} (ALIBABA_CLOUD_CONFIG_FILE) profile \"default\"",
                f.p("elsewhere/cli.json")
            )
        );

        // An override that points nowhere does not fall back to the default path.
        let f = Fixture::new().config(&config_with("default", &[ak_profile("default", "home-id")]));
        let missing = f.p("nope.json");
        let f = f.var(ENV_CONFIG_FILE, &missing);
        assert_eq!(
            err(&f.chain()).attempts[1],
            Attempt::new(
                format!("{missing} (ALIBABA_CLOUD_CONFIG_FILE)"),
                "file not found"
            )
        );
    }
}

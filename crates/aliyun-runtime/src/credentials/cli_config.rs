//! The `aliyun` CLI's config source: `~/.aliyun/config.json` (or
//! `ALIBABA_CLOUD_CONFIG_FILE`), profiles of mode `AK`, `StsToken`,
//! `RamRoleArn`, `ChainableRamRoleArn`, `EcsRamRole` and `OIDC`, with the
//! keys the `aliyun` CLI writes.

use std::path::PathBuf;

use serde::Deserialize;

use super::{
    found, list, non_empty, path_var, read_file, shown, Attempt, Credentials, Environment,
    FileOutcome, Recipe, RoleSpec, ENV_CONFIG_FILE,
};

/// The modes this SDK reads, for messages.
const MODES: &str = "AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC";

/// How deep `source_profile` may chain (a cycle stops here too).
const MAX_CHAIN: usize = 8;

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
    let result = cli_profile_recipe(p, &name, &profiles, 0)
        .map(|recipe| found(recipe, format!("{source} profile {}", shown(&name))))
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
    ram_role_arn: Option<String>,
    ram_session_name: Option<String>,
    role_session_name: Option<String>,
    expired_seconds: Option<i64>,
    policy: Option<String>,
    external_id: Option<String>,
    sts_region: Option<String>,
    enable_vpc: Option<bool>,
    ram_role_name: Option<String>,
    oidc_provider_arn: Option<String>,
    oidc_token_file: Option<String>,
    source_profile: Option<String>,
}

fn cli_profile_recipe(
    p: &CliProfile,
    name: &str,
    profiles: &[CliProfile],
    depth: usize,
) -> Result<Recipe, String> {
    let Some(mode) = non_empty(p.mode.clone()) else {
        return Err(format!(
            "profile {}: mode is not set (supported: {MODES})",
            shown(name)
        ));
    };
    let need = |value: &Option<String>, key: &str| {
        non_empty(value.clone()).ok_or_else(|| {
            format!(
                "profile {} (mode {mode}): {key} is missing or empty",
                shown(name)
            )
        })
    };
    let role = |session_name: Option<String>| -> Result<RoleSpec, String> {
        Ok(RoleSpec {
            role_arn: need(&p.ram_role_arn, "ram_role_arn")?,
            session_name,
            // 0 counts as not set, as in the official libraries.
            duration_seconds: p.expired_seconds.filter(|s| *s != 0),
            policy: non_empty(p.policy.clone()),
            sts_region: non_empty(p.sts_region.clone()),
            vpc: p.enable_vpc,
        })
    };
    let access_key = || -> Result<Credentials, String> {
        Ok(Credentials::new(
            need(&p.access_key_id, "access_key_id")?,
            need(&p.access_key_secret, "access_key_secret")?,
        ))
    };
    match mode.to_ascii_lowercase().as_str() {
        "ak" => Ok(Recipe::Static(access_key()?)),
        "ststoken" => Ok(Recipe::Static(
            access_key()?.with_security_token(need(&p.sts_token, "sts_token")?),
        )),
        "ramrolearn" => Ok(Recipe::AssumeRole {
            signer: Box::new(Recipe::Static(access_key()?)),
            role: role(non_empty(p.ram_session_name.clone()))?,
            external_id: non_empty(p.external_id.clone()),
        }),
        "chainableramrolearn" => {
            let source = need(&p.source_profile, "source_profile")?;
            if depth >= MAX_CHAIN {
                return Err(format!(
                    "profile {}: source_profile chains deeper than {MAX_CHAIN} profiles (a cycle?)",
                    shown(name)
                ));
            }
            let Some(sp) = profiles
                .iter()
                .find(|q| q.name.as_deref().map(str::trim) == Some(source.as_str()))
            else {
                return Err(format!(
                    "profile {}: source_profile {} not found",
                    shown(name),
                    shown(&source)
                ));
            };
            let signer = cli_profile_recipe(sp, &source, profiles, depth + 1)?;
            Ok(Recipe::AssumeRole {
                signer: Box::new(signer),
                role: role(non_empty(p.ram_session_name.clone()))?,
                external_id: non_empty(p.external_id.clone()),
            })
        }
        "ecsramrole" => Ok(Recipe::EcsRamRole {
            role_name: non_empty(p.ram_role_name.clone()),
        }),
        "oidc" => Ok(Recipe::Oidc {
            // The official libraries disagree on the key; both are read.
            role: role(
                non_empty(p.role_session_name.clone())
                    .or_else(|| non_empty(p.ram_session_name.clone())),
            )?,
            provider_arn: need(&p.oidc_provider_arn, "oidc_provider_arn")?,
            token_file: PathBuf::from(need(&p.oidc_token_file, "oidc_token_file")?),
        }),
        _ => Err(format!(
            "profile {}: mode {} is not supported by this SDK (supported: {MODES})",
            shown(name),
            shown(&mode)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_support::*;
    use crate::credentials::ENV_PROFILE;

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
        let c = f.chain().provide_blocking().unwrap();
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
        assert!(f
            .chain()
            .provide_blocking()
            .unwrap()
            .security_token()
            .is_none());
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
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "dev-id"
        );
    }

    #[test]
    fn config_without_current_uses_default() {
        let json = format!(
            r#"{{"profiles": [{}, {}]}}"#,
            ak_profile("dev", "dev-id"),
            ak_profile("default", "default-id")
        );
        let f = Fixture::new().config(&json);
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "default-id"
        );
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
        assert_eq!(e.attempts.len(), 5);

        let f = Fixture::new().config(r#"{"current": "x", "profiles": []}"#);
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1].reason,
            "profile \"x\" not found; the file has no profiles"
        );
    }

    #[test]
    fn config_unsupported_mode() {
        let json = r#"{"current": "default", "profiles": [{"name": "default", "mode": "CloudSSO",
            "access_key_id": "id", "access_key_secret": "x", "ram_role_arn": "acs:ram::1:role/r"}]}"#;
        let f = Fixture::new().config(json);
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[1].reason,
            "profile \"default\": mode \"CloudSSO\" is not supported by this SDK (supported: AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC)"
        );

        let f = Fixture::new().config(r#"{"profiles": [{"name": "default"}]}"#);
        assert_eq!(
            err(&f.chain()).attempts[1].reason,
            "profile \"default\": mode is not set (supported: AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC)"
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

//! The credentials-file source: `~/.alibabacloud/credentials`, else
//! `~/.alibabacloud/credentials.ini` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`), sections
//! of `type = access_key` and `type = sts`; and the INI parser it reads them with.

use std::collections::HashMap;
use std::path::Path;

use super::{
    found, list, non_empty, path_var, read_file, shown, shown_bare, Attempt, Credentials,
    Environment, FileOutcome, Recipe, RoleSpec, ENV_CREDENTIALS_FILE,
};

/// The types this SDK reads, for messages.
const TYPES: &str = "access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn";

pub(super) fn try_credentials_file(env: &dyn Environment, profile: Option<&str>) -> FileOutcome {
    let (path, source) = match path_var(env, ENV_CREDENTIALS_FILE) {
        Some(path) => {
            let source = format!("{} ({ENV_CREDENTIALS_FILE})", path.display());
            (path, source)
        }
        None => match env.home_dir() {
            Some(home) => {
                let dir = home.join(".alibabacloud");
                let primary = dir.join("credentials");
                let fallback = dir.join("credentials.ini");
                if !exists(&primary) && exists(&fallback) {
                    let source = fallback.display().to_string();
                    (fallback, source)
                } else {
                    let source = primary.display().to_string();
                    if !exists(&primary) {
                        return FileOutcome::failed(
                            source,
                            "file not found (nor credentials.ini beside it)",
                        );
                    }
                    (primary, source)
                }
            }
            None => {
                return FileOutcome::failed("~/.alibabacloud/credentials", "home directory unknown")
            }
        },
    };
    let text = match read_file(&path) {
        Ok(text) => text,
        Err(reason) => return FileOutcome::failed(source, reason),
    };
    let ini = Ini::parse(&text);
    let name = profile.unwrap_or("default");
    let Some(section) = ini.section(name) else {
        let names = ini.section_names();
        let has = if names.is_empty() {
            "the file has no sections".to_owned()
        } else {
            format!("the file has: {}", list(&names))
        };
        return FileOutcome::failed(
            source,
            format!("section [{}] not found; {has}", shown_bare(name)),
        );
    };
    let result = ini_section_recipe(&section, name)
        .map(|recipe| found(recipe, format!("{source} [{}]", shown_bare(name))))
        .map_err(|reason| Attempt::new(source, reason));
    FileOutcome {
        result,
        has_profile: true,
    }
}

fn exists(path: &Path) -> bool {
    // An unreadable entry counts as existing, so that the read reports why.
    path.try_exists().unwrap_or(true)
}

// The INI credentials file. No Debug: it holds secrets.

/// Sections in file order; a name may repeat (later keys win when merged).
struct Ini {
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl Ini {
    /// Never fails: lines that are neither a section header, a comment nor
    /// `key = value` inside a section are ignored.
    fn parse(text: &str) -> Ini {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut in_section = false;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                // A malformed header drops the keys under it rather than filing them
                // under the previous section.
                in_section = match rest.find(']') {
                    Some(end) => {
                        sections.push((rest[..end].trim().to_owned(), Vec::new()));
                        true
                    }
                    None => false,
                };
                continue;
            }
            if !in_section {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            if key.is_empty() {
                continue;
            }
            if let Some((_, entries)) = sections.last_mut() {
                entries.push((key, ini_value(value)));
            }
        }
        Ini { sections }
    }

    /// The keys of every section named `name`, merged; `None` if there is none.
    fn section(&self, name: &str) -> Option<HashMap<String, String>> {
        let mut merged: Option<HashMap<String, String>> = None;
        for (_, entries) in self.sections.iter().filter(|(n, _)| n == name) {
            let map = merged.get_or_insert_with(HashMap::new);
            for (k, v) in entries {
                map.insert(k.clone(), v.clone());
            }
        }
        merged
    }

    fn section_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.sections {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }
}

/// A value: trimmed; `"quoted"` taken verbatim between the quotes (then trimmed);
/// unquoted, a `#` or `;` after whitespace starts a comment.
fn ini_value(raw: &str) -> String {
    let v = raw.trim();
    if let Some(rest) = v.strip_prefix('"') {
        if let Some(end) = rest.find('"') {
            return rest[..end].trim().to_owned();
        }
        return v.to_owned();
    }
    let mut prev_space = false;
    for (i, c) in v.char_indices() {
        if prev_space && (c == '#' || c == ';') {
            return v[..i].trim().to_owned();
        }
        prev_space = c.is_whitespace();
    }
    v.to_owned()
}

fn ini_section_recipe(section: &HashMap<String, String>, name: &str) -> Result<Recipe, String> {
    let get = |key: &str| non_empty(section.get(key).cloned());
    let Some(ty) = get("type") else {
        return Err(format!(
            "section [{}]: type is not set (supported: {TYPES})",
            shown_bare(name)
        ));
    };
    let need = |key: &str| {
        get(key).ok_or_else(|| {
            format!(
                "section [{}] (type {ty}): {key} is missing or empty",
                shown_bare(name)
            )
        })
    };
    let role = || -> Result<RoleSpec, String> {
        Ok(RoleSpec {
            role_arn: need("role_arn")?,
            session_name: get("role_session_name"),
            policy: get("policy"),
            ..RoleSpec::default()
        })
    };
    let access_key = || -> Result<Credentials, String> {
        Ok(Credentials::new(
            need("access_key_id")?,
            need("access_key_secret")?,
        ))
    };
    match ty.to_ascii_lowercase().as_str() {
        "access_key" => Ok(Recipe::Static(access_key()?)),
        "sts" => Ok(Recipe::Static(
            access_key()?.with_security_token(need("security_token")?),
        )),
        "ram_role_arn" => Ok(Recipe::AssumeRole {
            signer: Box::new(Recipe::Static(access_key()?)),
            role: role()?,
            external_id: get("external_id"),
        }),
        "ecs_ram_role" => Ok(Recipe::EcsRamRole {
            role_name: get("role_name"),
        }),
        "oidc_role_arn" => Ok(Recipe::Oidc {
            role: role()?,
            provider_arn: need("oidc_provider_arn")?,
            token_file: need("oidc_token_file_path")?.into(),
        }),
        _ => Err(format!(
            "section [{}]: type {} is not supported by this SDK (supported: {TYPES})",
            shown_bare(name),
            shown(&ty)
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::credentials::test_support::*;
    use crate::credentials::ENV_PROFILE;

    #[test]
    fn ini_default_section() {
        let f = Fixture::new().ini(&format!(
            "{}\n{}",
            ini_ak("other", "other-id"),
            ini_ak("default", "default-id")
        ));
        let (c, source) = ok(&f.chain());
        assert_eq!(c.access_key_id(), "default-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
        assert_eq!(
            source,
            format!("{} [default]", f.p(".alibabacloud/credentials"))
        );
    }

    #[test]
    fn ini_named_section_from_env_or_with_profile() {
        let text = format!(
            "{}{}{}",
            ini_ak("default", "default-id"),
            ini_ak("prod", "prod-id"),
            ini_ak("cli", "cli-id")
        );
        let f = Fixture::new().ini(&text).var(ENV_PROFILE, "prod");
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "prod-id"
        );
        assert_eq!(
            f.chain()
                .with_profile("cli")
                .provide_blocking()
                .unwrap()
                .access_key_id(),
            "cli-id"
        );
    }

    #[test]
    fn ini_current_of_config_json_does_not_pick_the_section() {
        // config.json's `current` is the CLI's notion; the credentials file uses `default`.
        let f = Fixture::new()
            .config(&config_with("dev", &[]))
            .ini(&format!(
                "{}{}",
                ini_ak("dev", "dev-id"),
                ini_ak("default", "default-id")
            ));
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "default-id"
        );
    }

    #[test]
    fn ini_sts_type() {
        let f = Fixture::new().ini(&format!(
            "[default]\ntype = sts\naccess_key_id = STS.id\naccess_key_secret = {SECRET}\nsecurity_token = {TOKEN}\n"
        ));
        let c = f.chain().provide_blocking().unwrap();
        assert_eq!(c.access_key_id(), "STS.id");
        assert_eq!(c.security_token().unwrap().expose(), TOKEN);

        let f = Fixture::new().ini(&format!(
            "[default]\ntype = sts\naccess_key_id = STS.id\naccess_key_secret = {SECRET}\n"
        ));
        let e = err(&f.chain());
        assert_eq!(
            e.attempts[2].reason,
            "section [default] (type sts): security_token is missing or empty"
        );
    }

    #[test]
    fn ini_falls_back_to_credentials_ini() {
        let f = Fixture::new().write(".alibabacloud/credentials.ini", ini_ak("default", "ini-id"));
        let (c, source) = ok(&f.chain());
        assert_eq!(c.access_key_id(), "ini-id");
        assert_eq!(
            source,
            format!("{} [default]", f.p(".alibabacloud/credentials.ini"))
        );

        // `credentials` is preferred when both exist, even if it lacks the section.
        let f = Fixture::new()
            .write(".alibabacloud/credentials.ini", ini_ak("default", "ini-id"))
            .ini(&ini_ak("default", "plain-id"));
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "plain-id"
        );
    }

    #[test]
    fn ini_file_override() {
        let f = Fixture::new()
            .ini(&ini_ak("default", "home-id"))
            .write("custom/creds", ini_ak("default", "custom-id"));
        let p = f.p("custom/creds");
        let f = f.var(ENV_CREDENTIALS_FILE, &p);
        let (c, source) = ok(&f.chain());
        assert_eq!(c.access_key_id(), "custom-id");
        assert_eq!(
            source,
            format!("{p} (ALIBABA_CLOUD_CREDENTIALS_FILE) [default]")
        );
    }

    #[test]
    fn ini_quotes_comments_and_spacing() {
        let text = format!(
            "\u{feff}# leading comment\n; another\n\n  [ default ]  \n\
             type=\"access_key\"\n\
             access_key_id   =   \"quoted-id\"   # trailing comment\n\
             ; access_key_id = commented-out\n\
             # access_key_secret = commented-out\n\
             Access_Key_Secret = {SECRET} ; inline comment\n\
             garbage line without equals\n"
        );
        let f = Fixture::new().ini(&text);
        let c = f.chain().provide_blocking().unwrap();
        assert_eq!(c.access_key_id(), "quoted-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
    }

    #[test]
    fn ini_value_rules() {
        assert_eq!(ini_value(" plain "), "plain");
        assert_eq!(
            ini_value("\" spaced # not a comment \""),
            "spaced # not a comment"
        );
        assert_eq!(ini_value("a#b;c"), "a#b;c");
        assert_eq!(ini_value("abc # comment"), "abc");
        assert_eq!(ini_value("abc\t; comment"), "abc");
        assert_eq!(ini_value("\"unterminated"), "\"unterminated");
        assert_eq!(ini_value("\"\""), "");
        assert_eq!(ini_value("x=y=="), "x=y==");
    }

    #[test]
    fn ini_unsupported_type_missing_type_and_missing_section() {
        let f = Fixture::new().ini("[default]\ntype = rsa_key_pair\naccess_key_id = x\n");
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default]: type \"rsa_key_pair\" is not supported by this SDK (supported: access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn)"
        );

        let f = Fixture::new().ini(&format!(
            "[default]\naccess_key_id = x\naccess_key_secret = {SECRET}\n"
        ));
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default]: type is not set (supported: access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn)"
        );

        let f = Fixture::new().ini(&format!("{}{}", ini_ak("a", "1"), ini_ak("b", "2")));
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default] not found; the file has: a, b"
        );

        let f = Fixture::new().ini("type = access_key\n");
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default] not found; the file has no sections"
        );
    }

    #[test]
    fn ini_incomplete_section_names_the_missing_key() {
        let f = Fixture::new()
            .ini("[default]\ntype = access_key\naccess_key_id = id\naccess_key_secret =\n");
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default] (type access_key): access_key_secret is missing or empty"
        );
    }

    #[test]
    fn ini_parser_never_panics() {
        let samples = [
            "",
            "[",
            "]",
            "[]",
            "[[x]]\n=\n==\n\"",
            "[default\ntype = access_key",
            "= value\n[a]\n=\n",
            "[é]\nclé = \"valeur\u{1F600}\n",
            "\u{feff}",
            "\r\n\r\n[default]\r\ntype = access_key\r\n",
            "[a]\nk = \"\n",
            "[a]\nk = ;\nk2 = #\n",
        ];
        for s in samples {
            let ini = Ini::parse(s);
            let _ = ini.section("default");
            let _ = ini.section_names();
        }
        // Pseudo-random text over the characters that matter to the parser.
        let alphabet: Vec<char> = "[]=\"#; \t\r\nabcé\u{1F600}\u{feff}".chars().collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(seed % 40) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                s.push(alphabet[((seed >> 33) as usize) % alphabet.len()]);
            }
            let ini = Ini::parse(&s);
            for (name, _) in &ini.sections {
                let _ = ini.section(name);
            }
            let _ = ini_value(&s);
            seed = seed.wrapping_add(0x2545_F491_4F6C_DD1D);
        }
    }

    #[test]
    fn ini_duplicate_sections_merge_later_wins() {
        let f = Fixture::new().ini(&format!(
            "[default]\ntype = access_key\naccess_key_id = first\n[other]\nx = y\n[default]\naccess_key_id = second\naccess_key_secret = {SECRET}\n"
        ));
        assert_eq!(
            f.chain().provide_blocking().unwrap().access_key_id(),
            "second"
        );
    }

    #[test]
    fn ini_unreadable_file_is_a_failed_attempt() {
        let f = Fixture::new().write(".alibabacloud/credentials", [0xff, 0xfe, 0x00, b'[']);
        let e = err(&f.chain());
        assert!(e.attempts[2].reason.starts_with("cannot read: "), "{e}");

        // A directory where the file should be.
        let f = Fixture::new();
        fs::create_dir_all(f.path(".alibabacloud/credentials")).unwrap();
        let e = err(&f.chain());
        assert!(e.attempts[2].reason.starts_with("cannot read: "), "{e}");
    }
}

//! Credentials: explicit, or resolved by the default chain.
//!
//! [`DefaultChain`] looks, in this order, where Alibaba's official credentials
//! libraries and the `aliyun` CLI look; the first source that yields credentials wins:
//!
//! 1. The environment: `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
//!    (plus `ALIBABA_CLOUD_SECURITY_TOKEN` for STS credentials). Setting only one of
//!    the pair is a mistake and stops the chain with an error naming the other; so is
//!    setting one of these variables to a value that is not valid UTF-8 (the error
//!    names the variable, never the value).
//! 2. The `aliyun` CLI's config, `~/.aliyun/config.json` (or `ALIBABA_CLOUD_CONFIG_FILE`):
//!    profiles of mode `AK` and `StsToken`.
//! 3. The credentials file `~/.alibabacloud/credentials`, else
//!    `~/.alibabacloud/credentials.ini` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`): sections
//!    of `type = access_key` and `type = sts`.
//!
//! The profile (config.json) or section (credentials file) is the one given to
//! [`DefaultChain::with_profile`], else `ALIBABA_CLOUD_PROFILE`, else config.json's
//! `current`, else `default`; an `ALIBABA_CLOUD_PROFILE` that is not valid UTF-8 stops
//! the chain with an error. The two file-path variables may hold any path, UTF-8 or
//! not. Every value is trimmed (a path that is not UTF-8 is used as is), and an empty
//! value counts as not set. When nothing is found, [`CredentialsError`] lists every
//! place the chain looked and why each failed. No secret or token ever reaches an
//! error, a `Debug` or `Display` output, or a log event.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

pub use aliyun_sign::{Credentials, Secret};

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

/// Something that yields credentials (explicit value, the default chain, or a user's own).
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with.
    fn provide(&self) -> Result<Credentials, CredentialsError>;
}

/// Explicit credentials: always themselves.
impl ProvideCredentials for Credentials {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.clone())
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        (**self).provide()
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Box<T> {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
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

/// The default credentials chain: environment, then the `aliyun` CLI's config.json,
/// then the INI credentials file (see the [module docs](self)).
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

/// What a file source yielded: credentials, or a failed attempt; and whether the
/// file held the chosen profile at all.
struct FileOutcome {
    result: Result<(Credentials, String), Attempt>,
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
        let mut attempts = Vec::new();

        match self.try_environment() {
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

        let config = self.try_cli_config(chosen.as_ref().map(|(name, _)| name.as_str()));
        match config.result {
            Ok(found) => return Ok(found),
            Err(attempt) => attempts.push(attempt),
        }

        let ini = self.try_credentials_file(chosen.as_ref().map(|(name, _)| name.as_str()));
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

    /// The trimmed value of `name`; `None` when unset or blank. `Err`: set, but not
    /// valid UTF-8 (a mistake, not a reason to look elsewhere).
    fn var(&self, name: &str) -> Result<Option<String>, Attempt> {
        match self.env.var_os(name).map(OsString::into_string) {
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
    fn path_var(&self, name: &str) -> Option<PathBuf> {
        match self.env.var_os(name)?.into_string() {
            Ok(value) => non_empty(Some(value)).map(PathBuf::from),
            Err(raw) => Some(PathBuf::from(raw)),
        }
    }

    /// `Err`: `ALIBABA_CLOUD_PROFILE` is set, but not valid UTF-8.
    fn chosen_profile(&self) -> Result<Option<(String, ProfileOrigin)>, Attempt> {
        if let Some(p) = &self.profile {
            return Ok(Some((p.clone(), ProfileOrigin::Explicit)));
        }
        Ok(self
            .var(ENV_PROFILE)?
            .map(|p| (p, ProfileOrigin::Environment)))
    }

    /// `Ok(None)`: neither variable set. `Err`: exactly one of the pair set, or one
    /// of the variables set but not valid UTF-8.
    fn try_environment(&self) -> Result<Option<(Credentials, String)>, Attempt> {
        let id = self.var(ENV_ACCESS_KEY_ID)?;
        let secret = self.var(ENV_ACCESS_KEY_SECRET)?;
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
                if let Some(token) = self.var(ENV_SECURITY_TOKEN)? {
                    creds = creds.with_security_token(token);
                }
                Ok(Some(found(creds, "environment".to_owned())))
            }
        }
    }

    fn try_cli_config(&self, profile: Option<&str>) -> FileOutcome {
        let (path, source) = match self.path_var(ENV_CONFIG_FILE) {
            Some(path) => {
                let source = format!("{} ({ENV_CONFIG_FILE})", path.display());
                (path, source)
            }
            None => match self.env.home_dir() {
                Some(home) => {
                    let path = home.join(".aliyun").join("config.json");
                    let source = path.display().to_string();
                    (path, source)
                }
                None => {
                    return FileOutcome::failed("~/.aliyun/config.json", "home directory unknown")
                }
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
            return FileOutcome::failed(
                source,
                format!("profile {} not found; {has}", shown(&name)),
            );
        };
        let result = cli_profile_credentials(p, &name)
            .map(|creds| found(creds, format!("{source} profile {}", shown(&name))))
            .map_err(|reason| Attempt::new(source, reason));
        FileOutcome {
            result,
            has_profile: true,
        }
    }

    fn try_credentials_file(&self, profile: Option<&str>) -> FileOutcome {
        let (path, source) = match self.path_var(ENV_CREDENTIALS_FILE) {
            Some(path) => {
                let source = format!("{} ({ENV_CREDENTIALS_FILE})", path.display());
                (path, source)
            }
            None => match self.env.home_dir() {
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
                    return FileOutcome::failed(
                        "~/.alibabacloud/credentials",
                        "home directory unknown",
                    )
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
        let result = ini_section_credentials(&section, name)
            .map(|creds| found(creds, format!("{source} [{}]", shown_bare(name))))
            .map_err(|reason| Attempt::new(source, reason));
        FileOutcome {
            result,
            has_profile: true,
        }
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        self.provide_with_source().map(|(creds, _)| creds)
    }
}

fn found(creds: Credentials, source: String) -> (Credentials, String) {
    tracing::debug!(
        source = %source,
        access_key_id = %creds.access_key_id(),
        sts = creds.security_token().is_some(),
        "credentials resolved"
    );
    (creds, source)
}

/// Trimmed, and `None` when blank.
fn non_empty(value: Option<String>) -> Option<String> {
    value.and_then(|v| {
        let t = v.trim();
        (!t.is_empty()).then(|| t.to_owned())
    })
}

fn exists(path: &Path) -> bool {
    // An unreadable entry counts as existing, so that the read reports why.
    path.try_exists().unwrap_or(true)
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        // io::Error's Display names the OS error, never the file contents.
        _ => format!("cannot read: {e}"),
    })
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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
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

fn ini_section_credentials(
    section: &HashMap<String, String>,
    name: &str,
) -> Result<Credentials, String> {
    let get = |key: &str| non_empty(section.get(key).cloned());
    let need = |key: &str, ty: &str| {
        get(key).ok_or_else(|| {
            format!(
                "section [{}] (type {ty}): {key} is missing or empty",
                shown_bare(name)
            )
        })
    };
    let Some(ty) = get("type") else {
        return Err(format!(
            "section [{}]: type is not set (supported: access_key, sts)",
            shown_bare(name)
        ));
    };
    if ty.eq_ignore_ascii_case("access_key") {
        let id = need("access_key_id", "access_key")?;
        let secret = need("access_key_secret", "access_key")?;
        Ok(Credentials::new(id, secret))
    } else if ty.eq_ignore_ascii_case("sts") {
        let id = need("access_key_id", "sts")?;
        let secret = need("access_key_secret", "sts")?;
        let token = need("security_token", "sts")?;
        Ok(Credentials::new(id, secret).with_security_token(token))
    } else {
        Err(format!(
            "section [{}]: type {} not supported by this SDK yet (supported: access_key, sts)",
            shown_bare(name),
            shown(&ty)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const SECRET: &str = "S3cr3t-VALUE-never-shown";
    const TOKEN: &str = "T0ken-VALUE-never-shown";

    /// Variables from a map (values need not be Unicode), home in a temporary directory.
    struct MapEnvironment {
        vars: HashMap<String, OsString>,
        home: Option<PathBuf>,
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

    struct Fixture {
        home: tempfile::TempDir,
        vars: HashMap<String, OsString>,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                home: tempfile::tempdir().unwrap(),
                vars: HashMap::new(),
            }
        }

        fn var(self, name: &str, value: &str) -> Self {
            self.var_os(name, value)
        }

        fn var_os(mut self, name: &str, value: impl Into<OsString>) -> Self {
            self.vars.insert(name.to_owned(), value.into());
            self
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.home.path().join(rel)
        }

        fn write(self, rel: &str, contents: impl AsRef<[u8]>) -> Self {
            let path = self.path(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
            self
        }

        fn config(self, json: &str) -> Self {
            self.write(".aliyun/config.json", json)
        }

        fn ini(self, text: &str) -> Self {
            self.write(".alibabacloud/credentials", text)
        }

        fn chain(&self) -> DefaultChain {
            DefaultChain::with_environment(Arc::new(MapEnvironment {
                vars: self.vars.clone(),
                home: Some(self.home.path().to_owned()),
            }))
        }

        fn p(&self, rel: &str) -> String {
            self.path(rel).display().to_string()
        }
    }

    fn ak_profile(name: &str, id: &str) -> String {
        format!(
            r#"{{"name": "{name}", "mode": "AK", "access_key_id": "{id}", "access_key_secret": "{SECRET}", "region_id": "cn-shanghai"}}"#
        )
    }

    fn config_with(current: &str, profiles: &[String]) -> String {
        format!(
            r#"{{"current": "{current}", "profiles": [{}], "meta_path": ""}}"#,
            profiles.join(", ")
        )
    }

    fn ini_ak(section: &str, id: &str) -> String {
        format!(
            "[{section}]\ntype = access_key\naccess_key_id = {id}\naccess_key_secret = {SECRET}\n"
        )
    }

    fn ok(chain: &DefaultChain) -> (Credentials, String) {
        match chain.provide_with_source() {
            Ok(found) => found,
            Err(e) => panic!("expected credentials, got: {e}"),
        }
    }

    fn err(chain: &DefaultChain) -> CredentialsError {
        match chain.provide() {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e,
        }
    }

    fn assert_no_secret(text: &str) {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains("S3cr3t"), "secret leaked: {text}");
    }

    // ---- environment

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
    fn env_with_token_and_trimmed_values() {
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, " env-id\n")
            .var(ENV_ACCESS_KEY_SECRET, &format!("{SECRET}  \n"))
            .var(ENV_SECURITY_TOKEN, &format!("\t{TOKEN}\r\n"));
        let c = f.chain().provide().unwrap();
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
        let c = f.chain().provide().unwrap();
        assert_eq!(c.access_key_id(), "ini-id");
        assert!(c.security_token().is_none());

        // A blank token alongside a full pair is no token.
        let f = Fixture::new()
            .var(ENV_ACCESS_KEY_ID, "id")
            .var(ENV_ACCESS_KEY_SECRET, SECRET)
            .var(ENV_SECURITY_TOKEN, "  ");
        assert!(f.chain().provide().unwrap().security_token().is_none());
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

    /// `prefix` followed by bytes that are not UTF-8.
    #[cfg(unix)]
    fn not_utf8(prefix: &str) -> OsString {
        use std::os::unix::ffi::OsStrExt as _;
        let mut bytes = prefix.as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff\xfe-tail");
        std::ffi::OsStr::from_bytes(&bytes).to_owned()
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
            assert_eq!(f.chain().provide().unwrap().access_key_id(), "odd-path-id");
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
        assert_eq!(chain.provide().unwrap().access_key_id(), "var-id");
    }

    // ---- config.json

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
    fn config_missing_profile_falls_through_to_the_credentials_file() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("dev", "dev-id")]))
            .ini(&ini_ak("default", "ini-id"));
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "ini-id");
    }

    #[test]
    fn config_wins_over_the_credentials_file() {
        let f = Fixture::new()
            .config(&config_with("default", &[ak_profile("default", "cfg-id")]))
            .ini(&ini_ak("default", "ini-id"));
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "cfg-id");
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

    // ---- credentials file (INI)

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
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "prod-id");
        assert_eq!(
            f.chain()
                .with_profile("cli")
                .provide()
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
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "default-id");
    }

    #[test]
    fn ini_sts_type() {
        let f = Fixture::new().ini(&format!(
            "[default]\ntype = sts\naccess_key_id = STS.id\naccess_key_secret = {SECRET}\nsecurity_token = {TOKEN}\n"
        ));
        let c = f.chain().provide().unwrap();
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
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "plain-id");
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
        let c = f.chain().provide().unwrap();
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
        let f = Fixture::new().ini("[default]\ntype = ram_role_arn\naccess_key_id = x\n");
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default]: type \"ram_role_arn\" not supported by this SDK yet (supported: access_key, sts)"
        );

        let f = Fixture::new().ini(&format!(
            "[default]\naccess_key_id = x\naccess_key_secret = {SECRET}\n"
        ));
        assert_eq!(
            err(&f.chain()).attempts[2].reason,
            "section [default]: type is not set (supported: access_key, sts)"
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
        assert_eq!(f.chain().provide().unwrap().access_key_id(), "second");
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

    // ---- trimming

    #[test]
    fn trailing_whitespace_and_newlines_in_secrets_are_trimmed() {
        let json = format!(
            r#"{{"profiles": [{{"name": " default ", "mode": " AK ", "access_key_id": " cfg-id\n", "access_key_secret": "{SECRET} \n"}}]}}"#
        );
        let f = Fixture::new().config(&json);
        let c = f.chain().provide().unwrap();
        assert_eq!(c.access_key_id(), "cfg-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);

        let f = Fixture::new().ini(&format!(
            "[default]  \r\ntype = access_key \r\naccess_key_id = ini-id\t\r\naccess_key_secret = {SECRET}   \r\n\r\n"
        ));
        let c = f.chain().provide().unwrap();
        assert_eq!(c.access_key_id(), "ini-id");
        assert_eq!(c.access_key_secret().expose(), SECRET);
    }

    // ---- nothing found

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
    fn names_in_messages_are_escaped_and_bounded() {
        let long = "x".repeat(100);
        let f = Fixture::new()
            .config(r#"{"profiles": []}"#)
            .var(ENV_PROFILE, &format!("a\nb{long}"));
        let e = err(&f.chain());
        assert!(e.to_string().lines().count() == 4, "{e}");
        assert!(e.attempts[1].reason.contains("\"a\\nbxxx"));
        assert!(e.attempts[1].reason.contains("...\""));
        assert!(!e.attempts[1].reason.contains(&long));
    }

    // ---- secrets never shown

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
            f.chain().provide().unwrap();
            let _ = Fixture::new()
                .var(ENV_ACCESS_KEY_SECRET, SECRET)
                .chain()
                .provide();
        });
        let events = capture.0.lock().unwrap().join("\n");
        assert!(events.contains("cfg-id"), "{events}");
        assert!(events.contains("config.json"), "{events}");
        assert_no_secret(&events);
    }

    // ---- providers

    #[test]
    fn explicit_credentials_provide_themselves() {
        let c = Credentials::new("explicit-id", SECRET).with_security_token(TOKEN);
        assert_eq!(c.provide().unwrap(), c);
        let shared: Arc<dyn ProvideCredentials> = Arc::new(c.clone());
        assert_eq!(shared.provide().unwrap(), c);
        let boxed: Box<dyn ProvideCredentials> = Box::new(c.clone());
        assert_eq!(boxed.provide().unwrap(), c);
        assert_no_secret(&format!("{shared:?} {boxed:?}"));
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

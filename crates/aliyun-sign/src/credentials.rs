//! AccessKey credentials whose secret parts never reach Debug or Display.

use std::fmt;

/// A secret string (AccessKey secret, STS token). `Debug` prints `"** redacted **"`
/// and `Display` prints `** redacted **`; the value is reachable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself. Call it only where the value is used (signing).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"** redacted **\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// An AccessKey pair, with the STS security token when the pair is temporary.
///
/// ```
/// use aliyun_sign::Credentials;
/// let c = Credentials::new("LTAI5tExample", "very-secret").with_security_token("sts-token");
/// assert_eq!(
///     format!("{c:?}"),
///     r#"Credentials { access_key_id: "LTAI5tExample", access_key_secret: "** redacted **", security_token: Some("** redacted **") }"#
/// );
/// assert_eq!(c.to_string(), "AccessKey LTAI5tExample (STS)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
}

impl Credentials {
    /// Long-term AccessKey credentials.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<Secret>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
        }
    }

    /// Adds the STS security token of temporary credentials.
    pub fn with_security_token(mut self, token: impl Into<Secret>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// The AccessKey id (not secret: it names the key).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKey secret.
    pub fn access_key_secret(&self) -> &Secret {
        &self.access_key_secret
    }

    /// The STS security token, for temporary credentials.
    pub fn security_token(&self) -> Option<&Secret> {
        self.security_token.as_ref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("security_token", &self.security_token)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKey {}", self.access_key_id)?;
        if self.security_token.is_some() {
            f.write_str(" (STS)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_exact_and_redacted() {
        let c = Credentials::new("id1", "s3cr3t-value").with_security_token("t0k3n-value");
        let dbg = format!("{c:?}");
        assert_eq!(
            dbg,
            "Credentials { access_key_id: \"id1\", access_key_secret: \"** redacted **\", security_token: Some(\"** redacted **\") }"
        );
        let alt = format!("{c:#?} {c}");
        assert!(!alt.contains("s3cr3t") && !alt.contains("t0k3n"));
        let plain = Credentials::new("id2", "x");
        assert_eq!(
            format!("{plain:?}"),
            "Credentials { access_key_id: \"id2\", access_key_secret: \"** redacted **\", security_token: None }"
        );
        assert_eq!(plain.to_string(), "AccessKey id2");
    }
}

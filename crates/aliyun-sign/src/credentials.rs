//! AccessKey credentials whose secret parts never reach Debug or Display.

use std::fmt;
use std::sync::{Arc, OnceLock};

use hmac::Hmac;
use sha1::Sha1;
use sha2::Sha256;

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
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    /// HMAC-SHA1 keyed with `secret&`, its key schedule (two SHA-1 blocks)
    /// computed on first use and reused by every RPC V1 signature made with
    /// these credentials and their clones (the secret cannot change after
    /// construction, so clones may share it). As secret as the secret: never
    /// printed.
    rpc_key: Arc<OnceLock<Hmac<Sha1>>>,
    /// The same for ACS3: HMAC-SHA256 keyed with the secret.
    acs3_key: Arc<OnceLock<Hmac<Sha256>>>,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.access_key_id == other.access_key_id
            && self.access_key_secret == other.access_key_secret
            && self.security_token == other.security_token
    }
}

impl Eq for Credentials {}

impl Credentials {
    /// Long-term AccessKey credentials.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<Secret>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            rpc_key: Arc::default(),
            acs3_key: Arc::default(),
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

    /// HMAC-SHA1 keyed for RPC V1 signatures, ready to take a string to sign.
    pub(crate) fn rpc_key(&self) -> &Hmac<Sha1> {
        self.rpc_key
            .get_or_init(|| crate::rpc::hmac_key(self.access_key_secret.expose()))
    }

    /// HMAC-SHA256 keyed for ACS3 signatures, ready to take a string to sign.
    pub(crate) fn acs3_key(&self) -> &Hmac<Sha256> {
        self.acs3_key
            .get_or_init(|| crate::acs3::hmac_key(self.access_key_secret.expose()))
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

    #[test]
    fn the_kept_hmac_key_is_invisible_and_follows_the_secret() {
        use hmac::Mac;
        let used = Credentials::new("id", "s3cr3t-value");
        let fresh = Credentials::new("id", "s3cr3t-value");
        let mac = |c: &Credentials| {
            let mut m = c.rpc_key().clone();
            m.update(b"GET&%2F&a%3Db");
            m.finalize().into_bytes()
        };
        let first = mac(&used);
        // Kept or not, equal credentials compare equal and print alike.
        assert_eq!(used, fresh);
        assert_eq!(format!("{used:?}"), format!("{fresh:?}"));
        assert!(!format!("{used:#?}").contains("s3cr3t"));
        // The kept key is the secret's, and clones share it, even clones made
        // before it was first computed (the client hands out clones per call).
        assert_eq!(mac(&used), first);
        assert_eq!(mac(&used.clone()), first);
        let early = Credentials::new("id", "s3cr3t-value");
        let copy = early.clone();
        let _ = mac(&copy);
        assert!(std::ptr::eq(early.rpc_key(), copy.rpc_key()));
        assert_eq!(mac(&fresh), first);
        assert_eq!(
            first[..],
            crate::rpc::hmac_sha1("s3cr3t-value", "GET&%2F&a%3Db")
        );
        assert_ne!(mac(&Credentials::new("id", "other")), first);

        // The ACS3 key likewise: the secret's, shared by clones.
        let mac3 = |c: &Credentials| {
            let mut m = c.acs3_key().clone();
            m.update(b"ACS3-HMAC-SHA256\nabc");
            hex::encode(m.finalize().into_bytes())
        };
        let copy = fresh.clone();
        assert_eq!(mac3(&copy), mac3(&fresh));
        assert!(std::ptr::eq(fresh.acs3_key(), copy.acs3_key()));
        assert_eq!(
            mac3(&fresh),
            crate::acs3::signature("s3cr3t-value", "ACS3-HMAC-SHA256\nabc")
        );
        assert_eq!(used, fresh);
    }
}

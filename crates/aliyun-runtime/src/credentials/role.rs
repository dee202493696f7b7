//! RAM roles through STS: `AssumeRole` signed with other credentials (a
//! profile's AccessKey, another role), and `AssumeRoleWithOIDC` with a token
//! read from a file (ACK's RRSA mounts one in the pod). Both are calls of the
//! typed STS client generated from `spec/sts` ([`crate::sts`]), through the
//! same signer, transport and retries as any product call.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::cache::{BoxFuture, Fetch, Temporary};
use super::{shown, CredentialsError, ProvideCredentials, ProvideFuture};
use crate::config::Config;
use crate::sts;

/// STS's timeouts in Alibaba's credentials libraries: 5 s to connect, 10 s to read.
const STS_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const STS_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The duration asked for when none is configured, and the least STS grants.
pub const DEFAULT_DURATION_SECONDS: i64 = 3600;
/// The shortest session STS grants.
pub const MIN_DURATION_SECONDS: i64 = 900;

/// Where STS is: an explicit endpoint (a full URL), else
/// `sts[-vpc].<region>.aliyuncs.com` when a region is known, else the
/// central `sts.aliyuncs.com`, as Alibaba's credentials libraries choose it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StsEndpoint {
    /// A full URL that overrides the rest (`ALIBABA_CLOUD_STS_ENDPOINT`).
    pub url: Option<String>,
    /// The STS region (`ALIBABA_CLOUD_STS_REGION`, a profile's `sts_region`).
    pub region: Option<String>,
    /// The VPC endpoint (`ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`, `enable_vpc`);
    /// only with a region.
    pub vpc: bool,
}

impl StsEndpoint {
    /// The base URL requests go to.
    pub fn base_url(&self) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        match &self.region {
            Some(region) => {
                let prefix = if self.vpc { "sts-vpc" } else { "sts" };
                format!("https://{prefix}.{region}.aliyuncs.com")
            }
            None => "https://sts.aliyuncs.com".to_owned(),
        }
    }
}

/// What both role calls share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSession {
    /// `acs:ram::<account>:role/<name>`.
    pub role_arn: String,
    /// Shown in audit logs; generated when not given.
    pub session_name: String,
    /// Seconds, at least [`MIN_DURATION_SECONDS`].
    pub duration_seconds: i64,
    /// A policy that narrows the role's (JSON).
    pub policy: Option<String>,
    /// Where STS is.
    pub endpoint: StsEndpoint,
}

impl RoleSession {
    /// A session for `role_arn` with the defaults: a generated session name
    /// (`credentials-rust-<unix seconds>`, as the official libraries name
    /// theirs), 3600 seconds, no policy, STS chosen by default.
    pub fn new(role_arn: impl Into<String>) -> Self {
        RoleSession {
            role_arn: role_arn.into(),
            session_name: default_session_name(),
            duration_seconds: DEFAULT_DURATION_SECONDS,
            policy: None,
            endpoint: StsEndpoint::default(),
        }
    }

    /// Checks what STS would refuse anyway, before anything is sent.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.role_arn.trim().is_empty() {
            return Err("the role ARN is empty".to_owned());
        }
        if self.duration_seconds < MIN_DURATION_SECONDS {
            return Err(format!(
                "the session duration {} s is shorter than STS's minimum, {MIN_DURATION_SECONDS} s",
                self.duration_seconds
            ));
        }
        Ok(())
    }

    fn client(&self, credentials: Arc<dyn ProvideCredentials>) -> Result<sts::Client, String> {
        let config = Config::new()
            .endpoint(self.endpoint.base_url())
            .credentials(credentials)
            .connect_timeout(STS_CONNECT_TIMEOUT)
            .attempt_timeout(STS_CONNECT_TIMEOUT + STS_READ_TIMEOUT)
            .rate_limit(false);
        sts::Client::new(config).map_err(|e| format!("STS client: {e}"))
    }
}

fn default_session_name() -> String {
    let secs = time::OffsetDateTime::now_utc().unix_timestamp();
    format!("credentials-rust-{secs}")
}

/// Reads STS's `Credentials` object.
fn temporary(c: Option<sts::types::StsCredentials>) -> Result<Temporary, String> {
    let c = c.ok_or("STS answered without Credentials")?;
    let need = |v: Option<String>, name: &str| {
        super::non_empty(v).ok_or_else(|| format!("STS answered without Credentials.{name}"))
    };
    let expiration = c.expiration_at();
    let id = need(c.access_key_id, "AccessKeyId")?;
    let secret = need(c.access_key_secret, "AccessKeySecret")?;
    let token = need(c.security_token, "SecurityToken")?;
    let expiration = match expiration {
        Some(Ok(t)) => t,
        Some(Err(_)) => return Err("STS answered an Expiration that is not a time".to_owned()),
        None => return Err("STS answered without Credentials.Expiration".to_owned()),
    };
    Ok(Temporary {
        credentials: super::Credentials::new(id, secret).with_security_token(token),
        expiration,
    })
}

/// `AssumeRole`, signed with the credentials of another provider.
#[derive(Debug)]
pub struct AssumeRole {
    session: RoleSession,
    external_id: Option<String>,
    client: sts::Client,
    source: String,
}

impl AssumeRole {
    /// Assumes `session`'s role with credentials from `signer`, which
    /// `source` names for messages (`profile "dev"`, ...).
    pub fn new(
        session: RoleSession,
        external_id: Option<String>,
        signer: Arc<dyn ProvideCredentials>,
        source: impl Into<String>,
    ) -> Result<Self, String> {
        session.check()?;
        let client = session.client(signer)?;
        Ok(AssumeRole {
            session,
            external_id,
            client,
            source: source.into(),
        })
    }
}

impl Fetch for AssumeRole {
    fn source(&self) -> String {
        format!(
            "RAM role {} (AssumeRole at {}, signed with {})",
            shown(&self.session.role_arn),
            self.session.endpoint.base_url(),
            self.source
        )
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, String>> {
        Box::pin(async move {
            let s = &self.session;
            let out = self
                .client
                .assume_role()
                .role_arn(s.role_arn.clone())
                .role_session_name(s.session_name.clone())
                .duration_seconds(s.duration_seconds)
                .set_policy(s.policy.clone())
                .set_external_id(self.external_id.clone())
                .send()
                .await
                .map_err(|e| failure("AssumeRole", e))?;
            temporary(out.credentials)
        })
    }
}

/// `AssumeRoleWithOIDC`, anonymous, with the token in a file read afresh on
/// every fetch (the kubelet rotates it).
#[derive(Debug)]
pub struct OidcRole {
    session: RoleSession,
    provider_arn: String,
    token_file: PathBuf,
    client: sts::Client,
}

impl OidcRole {
    /// Assumes `session`'s role as OIDC provider `provider_arn` with the
    /// token in `token_file`.
    pub fn new(
        session: RoleSession,
        provider_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Result<Self, String> {
        session.check()?;
        let client = session.client(Arc::new(Unsigned))?;
        Ok(OidcRole {
            session,
            provider_arn: provider_arn.into(),
            token_file: token_file.into(),
            client,
        })
    }
}

impl Fetch for OidcRole {
    fn source(&self) -> String {
        format!(
            "OIDC role {} (AssumeRoleWithOIDC at {}, token file {})",
            shown(&self.session.role_arn),
            self.session.endpoint.base_url(),
            self.token_file.display()
        )
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, String>> {
        Box::pin(async move {
            let token = tokio::fs::read_to_string(&self.token_file)
                .await
                .map_err(|e| format!("cannot read the OIDC token file: {e}"))?;
            // A JWT holds no whitespace: trimming only forgives a file
            // written with a trailing newline.
            let token = token.trim();
            if token.is_empty() {
                return Err("the OIDC token file is empty".to_owned());
            }
            let s = &self.session;
            let out = self
                .client
                .assume_role_with_oidc()
                .role_arn(s.role_arn.clone())
                .oidc_provider_arn(self.provider_arn.clone())
                .oidc_token(token.to_owned())
                .role_session_name(s.session_name.clone())
                .duration_seconds(s.duration_seconds)
                .set_policy(s.policy.clone())
                .send()
                .await
                // The token is not a credential the runtime knows to redact.
                .map_err(|e| failure("AssumeRoleWithOIDC", e).replace(token, "** redacted **"))?;
            temporary(out.credentials)
        })
    }
}

/// Why an STS call failed. An answer that could not be decoded is not
/// quoted: it may be a cut-short success, whose body holds the new
/// credentials (and a decoder's message can quote a value).
fn failure(call: &str, e: crate::Error) -> String {
    match e {
        crate::Error::Decode(d) => format!(
            "{call} failed: STS answered HTTP {} with a body that could not be decoded (not shown: it may hold credentials)",
            d.status
        ),
        other => format!("{call} failed: {other}"),
    }
}

/// The credentials of an anonymous client: there are none to give.
#[derive(Debug)]
struct Unsigned;

impl ProvideCredentials for Unsigned {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(std::future::ready(Err(CredentialsError::single(
            "anonymous STS client",
            "signs nothing",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_endpoints_are_chosen_as_the_official_libraries_choose_them() {
        let mut e = StsEndpoint::default();
        assert_eq!(e.base_url(), "https://sts.aliyuncs.com");
        e.vpc = true;
        assert_eq!(
            e.base_url(),
            "https://sts.aliyuncs.com",
            "VPC needs a region"
        );
        e.region = Some("cn-shanghai".to_owned());
        assert_eq!(e.base_url(), "https://sts-vpc.cn-shanghai.aliyuncs.com");
        e.vpc = false;
        assert_eq!(e.base_url(), "https://sts.cn-shanghai.aliyuncs.com");
        e.url = Some("http://127.0.0.1:9".to_owned());
        assert_eq!(e.base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn sessions_are_checked_before_sending() {
        let mut s = RoleSession::new("acs:ram::1:role/r");
        assert!(s.session_name.starts_with("credentials-rust-"));
        assert_eq!(s.duration_seconds, 3600);
        assert!(s.check().is_ok());
        s.duration_seconds = 899;
        assert_eq!(
            s.check().unwrap_err(),
            "the session duration 899 s is shorter than STS's minimum, 900 s"
        );
        s.duration_seconds = 900;
        s.role_arn = " ".to_owned();
        assert_eq!(s.check().unwrap_err(), "the role ARN is empty");
    }
}

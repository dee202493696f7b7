//! The ECS RAM role, from the instance metadata service (IMDS) at
//! `http://100.100.100.200`, as Alibaba's credentials libraries read it:
//!
//! 1. `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds:
//!    21600` for a session token (IMDSv2); when that fails and IMDSv1 is
//!    not disabled (`ALIBABA_CLOUD_IMDSV1_DISABLED`), go on without one;
//! 2. the role name: configured (`ALIBABA_CLOUD_ECS_METADATA`, a profile's
//!    `ram_role_name`), else `GET /latest/meta-data/ram/security-credentials/`;
//! 3. `GET /latest/meta-data/ram/security-credentials/<role>`, each GET with
//!    `X-aliyun-ecs-metadata-token` when there is a token.
//!
//! Timeouts as theirs: 1 s to connect, 1 s to read. A token is fetched for
//! every refresh and never kept, logged or shown.

use std::time::Duration;

use super::cache::{BoxFuture, Fetch, Temporary};
use super::http::{self, CredentialsBody};
use super::shown;

/// The metadata service's address.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const READ_TIMEOUT: Duration = Duration::from_secs(1);
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
/// The session token's life the official libraries ask for (6 hours).
const TOKEN_TTL_SECONDS: &str = "21600";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// The ECS RAM role source.
#[derive(Debug)]
pub struct EcsRamRole {
    endpoint: String,
    role_name: Option<String>,
    imdsv1_disabled: bool,
    http: reqwest::Client,
}

impl EcsRamRole {
    /// Reads the role `role_name` (discovered when `None`) from the metadata
    /// service at `endpoint` (a base URL; [`DEFAULT_METADATA_ENDPOINT`] on ECS).
    pub fn new(
        endpoint: impl Into<String>,
        role_name: Option<String>,
        imdsv1_disabled: bool,
    ) -> Result<Self, String> {
        Ok(EcsRamRole {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            role_name: role_name.filter(|r| !r.trim().is_empty()),
            imdsv1_disabled,
            http: http::client(CONNECT_TIMEOUT, READ_TIMEOUT)?,
        })
    }

    /// `Ok(None)`: no token, IMDSv1 allowed.
    async fn token(&self) -> Result<Option<String>, String> {
        let req = self
            .http
            .put(format!("{}/latest/api/token", self.endpoint))
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS);
        let failure = match http::send(req, "the metadata token request").await {
            Ok((200, token)) if !token.trim().is_empty() => {
                return Ok(Some(token.trim().to_owned()))
            }
            Ok((200, _)) => "the metadata token request answered an empty token".to_owned(),
            Ok((status, _)) => format!("the metadata token request answered HTTP {status}"),
            Err(e) => e,
        };
        if self.imdsv1_disabled {
            return Err(format!(
                "{failure}, and IMDSv1 is disabled (ALIBABA_CLOUD_IMDSV1_DISABLED)"
            ));
        }
        tracing::debug!(reason = %failure, "no IMDSv2 token; falling back to IMDSv1");
        Ok(None)
    }

    async fn get(&self, path: &str, token: Option<&str>, what: &str) -> Result<String, String> {
        let mut req = self.http.get(format!("{}{path}", self.endpoint));
        if let Some(t) = token {
            req = req.header(TOKEN_HEADER, t);
        }
        match http::send(req, what).await? {
            (200, body) => Ok(body),
            (status, _) => Err(format!("{what} answered HTTP {status}")),
        }
    }
}

impl Fetch for EcsRamRole {
    fn source(&self) -> String {
        match &self.role_name {
            Some(role) => format!("ECS RAM role {} ({})", shown(role), self.endpoint),
            None => format!("ECS RAM role ({})", self.endpoint),
        }
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, String>> {
        Box::pin(async move {
            let token = self.token().await?;
            let role = match &self.role_name {
                Some(role) => role.clone(),
                None => {
                    let listed = self
                        .get(CREDENTIALS_PATH, token.as_deref(), "the role name request")
                        .await?;
                    let role = listed.lines().next().unwrap_or("").trim().to_owned();
                    if role.is_empty() {
                        return Err("the instance has no RAM role attached".to_owned());
                    }
                    role
                }
            };
            let path = format!("{CREDENTIALS_PATH}{}", crate::percent_encode(&role));
            let body = self
                .get(&path, token.as_deref(), "the role credentials request")
                .await?;
            CredentialsBody::parse(&body, &format!("the role {}", shown(&role)))
        })
    }
}

/// Credentials from a URI (`ALIBABA_CLOUD_CREDENTIALS_URI`): a GET answering
/// `{Code?, AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`.
/// Timeouts as the official libraries': 5 s to connect, 10 s to read.
#[derive(Debug)]
pub struct CredentialsUri {
    uri: String,
    http: reqwest::Client,
}

impl CredentialsUri {
    /// Reads credentials from `uri`.
    pub fn new(uri: impl Into<String>) -> Result<Self, String> {
        Ok(CredentialsUri {
            uri: uri.into(),
            http: http::client(Duration::from_secs(5), Duration::from_secs(10))?,
        })
    }

    /// The URI without its query (which may hold a token), for messages.
    fn shown_uri(&self) -> String {
        match url::Url::parse(&self.uri) {
            Ok(mut u) => {
                u.set_query(None);
                let _ = u.set_password(None);
                u.to_string()
            }
            Err(_) => "(not a URL)".to_owned(),
        }
    }
}

impl Fetch for CredentialsUri {
    fn source(&self) -> String {
        format!("credentials URI {}", self.shown_uri())
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, String>> {
        Box::pin(async move {
            url::Url::parse(&self.uri).map_err(|e| format!("not a URL: {e}"))?;
            match http::send(self.http.get(&self.uri), "the credentials URI").await? {
                (200, body) => CredentialsBody::parse(&body, "the credentials URI"),
                (status, _) => Err(format!("the credentials URI answered HTTP {status}")),
            }
        })
    }
}

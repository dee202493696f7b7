//! Where temporary credentials come from, played locally: an STS endpoint
//! (API 2015-04-01: `AssumeRole`, `AssumeRoleWithOIDC`), an ECS instance
//! metadata service (the IMDSv2 token flow, the role listing, the role's
//! credentials) and a credentials URI. Every key they issue is accepted by the
//! emulator's API until it expires, so a client can be tested end to end on
//! credentials it obtained itself.
//!
//! Nothing here logs or echoes a token or a secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::render::Node;
use crate::request::{header as header_of, ApiRequest};
use crate::state::{Counters, Shared};

/// The STS API version.
pub(crate) const STS_VERSION: &str = "2015-04-01";

/// The header carrying an IMDSv2 session token.
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// The header asking for a session token's lifetime, in seconds.
const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
/// The longest session token lifetime the metadata service grants.
const MAX_TOKEN_TTL: u64 = 21_600;
/// Session tokens kept at most (expired ones go first).
const MAX_TOKENS: usize = 10_000;
/// The account id in ARNs the local STS answers.
const ACCOUNT: &str = "1234567890123456";

/// What the local STS and metadata service accept and issue. `Default`: no
/// OIDC token accepted, no RAM role attached, credentials for at most an hour,
/// IMDSv1 allowed.
#[derive(Clone)]
pub struct IdentityConfig {
    /// The OIDC token `AssumeRoleWithOIDC` accepts (after trimming); `None`
    /// refuses every token.
    pub oidc_token: Option<String>,
    /// The RAM role the metadata service says is attached; `None`: none is
    /// (the credentials paths answer 404).
    pub ecs_role: Option<String>,
    /// The longest lifetime of issued credentials, whatever a caller asks
    /// for: tests shorten it to watch credentials expire.
    pub max_lifetime: Duration,
    /// Refuse metadata reads without a session token (IMDSv2 enforced).
    pub imdsv2_only: bool,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            oidc_token: None,
            ecs_role: None,
            max_lifetime: Duration::from_secs(3600),
            imdsv2_only: false,
        }
    }
}

impl std::fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityConfig")
            .field(
                "oidc_token",
                &self.oidc_token.as_ref().map(|_| "** redacted **"),
            )
            .field("ecs_role", &self.ecs_role)
            .field("max_lifetime", &self.max_lifetime)
            .field("imdsv2_only", &self.imdsv2_only)
            .finish()
    }
}

/// Session tokens the metadata service handed out, with their expiry.
#[derive(Default)]
pub(crate) struct SessionTokens(Mutex<HashMap<String, Instant>>);

impl SessionTokens {
    fn issue(&self, ttl: Duration, now: Instant) -> String {
        // A recognisable prefix, so tests can search logs for any token.
        let token = format!(
            "MDST{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut tokens = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= MAX_TOKENS {
            tokens.retain(|_, until| *until > now);
        }
        tokens.insert(token.clone(), now + ttl);
        token
    }

    fn valid(&self, token: &str, now: Instant) -> bool {
        let tokens = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tokens.get(token).is_some_and(|until| *until > now)
    }
}

/// Whether the request is a call the real STS takes unsigned.
pub(crate) fn is_anonymous(req: &ApiRequest) -> bool {
    req.param("Version") == Some(STS_VERSION) && req.param("Action") == Some("AssumeRoleWithOIDC")
}

/// An STS call (signature already checked, unless anonymous): its response
/// root and body.
pub(crate) fn sts(
    shared: &Shared,
    req: &ApiRequest,
    action: &str,
    request_id: &str,
) -> Result<(String, Node), ApiError> {
    let config = &shared.identity;
    let oidc = match action {
        "AssumeRole" => false,
        "AssumeRoleWithOIDC" => true,
        _ => return Err(ApiError::invalid_action()),
    };
    let role_arn = req.param("RoleArn").unwrap_or_default();
    if role_arn.is_empty() {
        return Err(ApiError::missing("RoleArn"));
    }
    let role = arn_name(role_arn, "role").ok_or_else(|| {
        ApiError::invalid(
            "RoleArn",
            "it must be acs:ram::<account id>:role/<role name>.",
        )
    })?;
    let session = match req.param("RoleSessionName") {
        Some(s) => s.to_owned(),
        None if oidc => format!("oidc-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        None => return Err(ApiError::missing("RoleSessionName")),
    };
    if !(2..=64).contains(&session.len())
        || !session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(ApiError::invalid(
            "RoleSessionName",
            "it must be 2 to 64 letters, digits or -_.@ characters.",
        ));
    }
    let duration = match req.param("DurationSeconds") {
        None => 3600,
        Some(d) => d
            .parse::<u64>()
            .ok()
            .filter(|d| (900..=43_200).contains(d))
            .ok_or_else(|| {
                ApiError::invalid("DurationSeconds", "it must be from 900 to 43200 seconds.")
            })?,
    };
    if let Some(policy) = req.param("Policy") {
        if serde_json::from_str::<serde_json::Value>(policy).is_err() {
            return Err(ApiError::invalid("Policy", "it is not a JSON document."));
        }
    }
    if oidc {
        let provider = req.param("OIDCProviderArn").unwrap_or_default();
        if provider.is_empty() {
            return Err(ApiError::missing("OIDCProviderArn"));
        }
        if arn_name(provider, "oidc-provider").is_none() {
            return Err(ApiError::invalid(
                "OIDCProviderArn",
                "it must be acs:ram::<account id>:oidc-provider/<provider name>.",
            ));
        }
        let token = req.param("OIDCToken").unwrap_or_default();
        if token.is_empty() {
            return Err(ApiError::missing("OIDCToken"));
        }
        let accepted = config
            .oidc_token
            .as_deref()
            .is_some_and(|t| crate::auth::ct_eq(t.trim(), token));
        if !accepted {
            return Err(ApiError::oidc_token_invalid());
        }
    }

    let lifetime = Duration::from_secs(duration).min(config.max_lifetime);
    let (credentials, expiration) = issue(shared, lifetime);
    Counters::bump(&shared.counters.sts_calls);
    tracing::debug!(action, role, "STS issued credentials");
    let mut body = vec![
        ("RequestId", Node::text(request_id)),
        (
            "AssumedRoleUser",
            Node::Object(vec![
                ("Arn", Node::text(format!("{role_arn}/{session}"))),
                (
                    "AssumedRoleId",
                    Node::text(format!("3{}:{session}", &ACCOUNT[1..])),
                ),
            ]),
        ),
        ("Credentials", credentials_node(&credentials, &expiration)),
    ];
    if oidc {
        body.push((
            "OIDCTokenInfo",
            Node::Object(vec![
                (
                    "Subject",
                    Node::text("system:serviceaccount:emulator:default"),
                ),
                ("Issuer", Node::text("https://oidc.emulator.invalid")),
                ("ClientIds", Node::text("sts.aliyuncs.com")),
            ]),
        ));
    }
    Ok((format!("{action}Response"), Node::Object(body)))
}

/// `acs:ram::<digits>:<kind>/<name>` → `name`.
fn arn_name<'a>(arn: &'a str, kind: &str) -> Option<&'a str> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix(kind)?.strip_prefix('/')?;
    let ok = !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit());
    (ok && !name.is_empty()).then_some(name)
}

/// Issues a key for `lifetime`; answers it with its expiration as STS writes
/// it (`2026-12-03T04:00:00Z`, whole seconds, rounded down).
fn issue(shared: &Shared, lifetime: Duration) -> (aliyun_sign::Credentials, String) {
    let expires = OffsetDateTime::now_utc() + lifetime;
    let credentials = shared.auth.issue(expires);
    (credentials, iso(expires))
}

/// `2026-12-03T04:00:00Z`: whole seconds, rounded down, as STS and the
/// metadata service write times.
fn iso(t: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&format).unwrap_or_default()
}

fn credentials_node(c: &aliyun_sign::Credentials, expiration: &str) -> Node {
    Node::Object(vec![
        (
            "SecurityToken",
            Node::text(c.security_token().map_or("", |t| t.expose())),
        ),
        ("AccessKeyId", Node::text(c.access_key_id())),
        (
            "AccessKeySecret",
            Node::text(c.access_key_secret().expose()),
        ),
        ("Expiration", Node::text(expiration)),
    ])
}

/// What the metadata service and the credentials URI answer: the
/// credentials as a JSON document with `Code: Success`.
fn credentials_document(shared: &Shared) -> Response {
    let (c, expiration) = issue(shared, shared.identity.max_lifetime);
    Counters::bump(&shared.counters.metadata_credentials_served);
    let body = serde_json::json!({
        "AccessKeyId": c.access_key_id(),
        "AccessKeySecret": c.access_key_secret().expose(),
        "SecurityToken": c.security_token().map_or("", |t| t.expose()),
        "Expiration": expiration,
        "LastUpdated": iso(OffsetDateTime::now_utc()),
        "Code": "Success",
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        body.to_string(),
    )
        .into_response()
}

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], text.into()).into_response()
}

/// The metadata service's faults: the latency waited, the failure to
/// answer instead, if any.
async fn metadata_fault(shared: &Shared) -> Option<Response> {
    let (latency, fail) = shared.faults().metadata();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if fail {
        Counters::bump(&shared.counters.faults_injected);
        return Some(plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error"));
    }
    None
}

/// The refusal of a metadata read, if refused: it needs a valid session
/// token, or none when IMDSv1 is allowed.
fn metadata_refusal(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let refusal = match header_of(headers, TOKEN_HEADER) {
        Some(token) if shared.metadata_tokens.valid(&token, Instant::now()) => return None,
        Some(_) => "invalid metadata token",
        None if shared.identity.imdsv2_only => "a metadata token is required",
        None => return None,
    };
    Some(plain(StatusCode::UNAUTHORIZED, refusal))
}

/// `PUT /latest/api/token`: an IMDSv2 session token for the asked lifetime.
pub(crate) async fn metadata_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = metadata_fault(&shared).await {
        return r;
    }
    let ttl = header_of(&headers, TOKEN_TTL_HEADER)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|t| (1..=MAX_TOKEN_TTL).contains(t));
    match ttl {
        Some(ttl) => plain(
            StatusCode::OK,
            shared
                .metadata_tokens
                .issue(Duration::from_secs(ttl), Instant::now()),
        ),
        None => plain(
            StatusCode::BAD_REQUEST,
            format!("{TOKEN_TTL_HEADER} must be from 1 to {MAX_TOKEN_TTL}"),
        ),
    }
}

/// `GET /latest/meta-data/ram/security-credentials/`: the attached role.
pub(crate) async fn metadata_roles(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = metadata_fault(&shared).await {
        return r;
    }
    if let Some(r) = metadata_refusal(&shared, &headers) {
        return r;
    }
    match &shared.identity.ecs_role {
        Some(role) => plain(StatusCode::OK, role.clone()),
        None => plain(StatusCode::NOT_FOUND, "no RAM role attached"),
    }
}

/// `GET /latest/meta-data/ram/security-credentials/{role}`: its credentials.
pub(crate) async fn metadata_credentials(
    State(shared): State<Arc<Shared>>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = metadata_fault(&shared).await {
        return r;
    }
    if let Some(r) = metadata_refusal(&shared, &headers) {
        return r;
    }
    if shared.identity.ecs_role.as_deref() != Some(role.as_str()) {
        return plain(StatusCode::NOT_FOUND, "no such RAM role attached");
    }
    credentials_document(&shared)
}

/// `GET /__emulator/credentials`: a credentials URI
/// (`ALIBABA_CLOUD_CREDENTIALS_URI`), under the metadata faults.
pub(crate) async fn credentials_uri(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(r) = metadata_fault(&shared).await {
        return r;
    }
    credentials_document(&shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_checked() {
        assert_eq!(
            arn_name("acs:ram::123:role/uploader", "role"),
            Some("uploader")
        );
        assert_eq!(
            arn_name("acs:ram::123:oidc-provider/ack", "oidc-provider"),
            Some("ack")
        );
        for bad in [
            "acs:ram::123:role/",
            "acs:ram:::role/x",
            "acs:ram::12a:role/x",
            "acs:ecs::123:role/x",
            "acs:ram::123:user/x",
            "",
        ] {
            assert_eq!(arn_name(bad, "role"), None, "{bad}");
        }
    }

    #[test]
    fn session_tokens_expire() {
        let tokens = SessionTokens::default();
        let now = Instant::now();
        let t = tokens.issue(Duration::from_secs(5), now);
        assert!(tokens.valid(&t, now));
        assert!(!tokens.valid(&t, now + Duration::from_secs(5)));
        assert!(!tokens.valid("forged", now));
    }

    #[test]
    fn debug_hides_the_oidc_token() {
        let config = IdentityConfig {
            oidc_token: Some("eyJ-secret-token".to_owned()),
            ..IdentityConfig::default()
        };
        assert!(!format!("{config:?}").contains("eyJ-secret-token"));
    }
}

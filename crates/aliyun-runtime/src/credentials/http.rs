//! The small HTTP exchanges of the credential sources (instance metadata, a
//! credentials URI): a client with the source's timeouts, bounded bodies,
//! and errors that name the host and never a body or a token.

use std::time::Duration;

/// The largest answer a credential source may send (they are a few hundred bytes).
const MAX_BODY: usize = 64 << 10;

/// A client for one source: no proxy for loopback or link-local hosts (the
/// metadata service at 100.100.100.200 is reached directly), no redirects.
pub(super) fn client(connect: Duration, read: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(connect + read)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| format!("could not build an HTTP client: {e}"))
}

/// Sends `req` and returns the status and body (at most [`MAX_BODY`]).
pub(super) async fn send(
    req: reqwest::RequestBuilder,
    what: &str,
) -> Result<(u16, String), String> {
    let mut resp = req.send().await.map_err(|e| describe(e, what))?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(e, what))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "{what}: the answer is larger than {MAX_BODY} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let body = String::from_utf8(body).map_err(|_| format!("{what}: the answer is not UTF-8"))?;
    Ok((status, body))
}

/// A transport failure, without the URL (it may carry a token) or the body.
fn describe(e: reqwest::Error, what: &str) -> String {
    let e = e.without_url();
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut message = format!("{what} {kind}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// The fields every temporary-credentials answer shares (the instance
/// metadata service and a credentials URI answer alike). No `Debug`: it
/// holds the secret.
#[derive(serde::Deserialize)]
pub(super) struct CredentialsBody {
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "AccessKeyId")]
    pub access_key_id: Option<String>,
    #[serde(rename = "AccessKeySecret")]
    pub access_key_secret: Option<String>,
    #[serde(rename = "SecurityToken")]
    pub security_token: Option<String>,
    #[serde(rename = "Expiration")]
    pub expiration: Option<String>,
}

impl CredentialsBody {
    /// Parses and checks an answer: `Code` `Success`, every field present,
    /// the expiration a time. Errors name the field, never a value.
    pub(super) fn parse(body: &str, what: &str) -> Result<super::Temporary, String> {
        let b: CredentialsBody = serde_json::from_str(body).map_err(|e| {
            format!(
                "{what}: the answer is not the expected JSON (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if let Some(code) = b.code.as_deref() {
            if code != "Success" {
                return Err(format!(
                    "{what}: Code is {}, not Success",
                    super::shown(code)
                ));
            }
        }
        let need = |v: Option<String>, name: &str| {
            super::non_empty(v).ok_or_else(|| format!("{what}: the answer has no {name}"))
        };
        let id = need(b.access_key_id, "AccessKeyId")?;
        let secret = need(b.access_key_secret, "AccessKeySecret")?;
        let token = need(b.security_token, "SecurityToken")?;
        let expiration = need(b.expiration, "Expiration")?;
        let expiration = crate::parse_time(&expiration).map_err(|_| {
            format!(
                "{what}: Expiration {} is not a time",
                super::shown(&expiration)
            )
        })?;
        Ok(super::Temporary {
            credentials: super::Credentials::new(id, secret).with_security_token(token),
            expiration,
        })
    }
}

/// Checks an endpoint URL given for tests or private networks: absolute,
/// http or https, http only to a loopback host. Returns it without a
/// trailing slash.
pub(super) fn checked_endpoint(url: &str, variable: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url)
        .map_err(|e| format!("{variable}: {} is not a URL ({e})", super::shown(url)))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if !loopback {
                return Err(format!(
                    "{variable}: http is allowed only for a loopback host (127.0.0.1, ::1, localhost); use https"
                ));
            }
        }
        other => {
            return Err(format!(
                "{variable}: scheme {} is not http or https",
                super::shown(other)
            ))
        }
    }
    if parsed.host().is_none() {
        return Err(format!("{variable}: {} has no host", super::shown(url)));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_allow_http_only_for_loopback() {
        assert_eq!(
            checked_endpoint("http://127.0.0.1:8080/", "V").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(checked_endpoint("http://[::1]:1", "V").is_ok());
        assert!(checked_endpoint("http://localhost:1", "V").is_ok());
        assert!(checked_endpoint("https://sts-vpc.cn-shanghai.aliyuncs.com", "V").is_ok());
        let e = checked_endpoint("http://sts.aliyuncs.com", "V").unwrap_err();
        assert!(e.contains("only for a loopback host"), "{e}");
        let e = checked_endpoint("ftp://127.0.0.1", "V").unwrap_err();
        assert!(e.contains("not http or https"), "{e}");
        let e = checked_endpoint("sts.aliyuncs.com", "V").unwrap_err();
        assert!(e.starts_with("V: \"sts.aliyuncs.com\" is not a URL"), "{e}");
    }

    #[test]
    fn credential_answers_are_checked_field_by_field() {
        let ok = r#"{"Code":"Success","AccessKeyId":"STS.a","AccessKeySecret":"s3cr3t-value","SecurityToken":"t0ken-value","Expiration":"2030-01-01T00:00:00Z","LastUpdated":"2029-12-31T23:00:00Z"}"#;
        let t = CredentialsBody::parse(ok, "x").unwrap();
        assert_eq!(t.credentials.access_key_id(), "STS.a");
        assert_eq!(t.expiration.year(), 2030);
        let e = CredentialsBody::parse(&ok.replace("Success", "Failed"), "x")
            .err()
            .unwrap();
        assert_eq!(e, "x: Code is \"Failed\", not Success");
        let e = CredentialsBody::parse(&ok.replace("\"SecurityToken\"", "\"Other\""), "x")
            .err()
            .unwrap();
        assert_eq!(e, "x: the answer has no SecurityToken");
        let e = CredentialsBody::parse(&ok.replace("2030-01-01T00:00:00Z", "soon"), "x")
            .err()
            .unwrap();
        assert_eq!(e, "x: Expiration \"soon\" is not a time");
        let e = CredentialsBody::parse("{\"AccessKeySecret\": \"s3cr3t-value", "x")
            .err()
            .unwrap();
        assert!(
            e.starts_with("x: the answer is not the expected JSON"),
            "{e}"
        );
        assert!(!e.contains("s3cr3t"));
    }
}

//! A request signed and ready to send (or to print for `--dry-run`).

use aliyun_sign::{acs3, rpc, Credentials, HttpMethod, Nonce, Timestamp};

use crate::config::{Config, SignatureVersion};
use crate::operation::Operation;

/// A signed request, ready to send (or to print for `--dry-run`).
#[derive(Clone)]
pub struct PreparedRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// The full URL, query string included.
    pub url: String,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The form body, for POST with signature V1.
    pub body: Option<String>,
    /// The `Timestamp` / `x-acs-date` that was signed.
    pub timestamp: String,
    /// What [`PreparedRequest::string_to_sign`] is rebuilt from: only a
    /// signature error or a dry run needs it, so it is not built per call.
    signed: SignedStages,
}

/// The signer's intermediate output kept for diagnostics.
#[derive(Clone)]
enum SignedStages {
    /// RPC V1: the string to sign is `METHOD&%2F&` + the percent-encoded
    /// canonical query string (the wire form without `&Signature=...`).
    Rpc {
        method: HttpMethod,
        canonical: String,
    },
    /// ACS3: the string to sign itself (81 bytes).
    Acs3 { string_to_sign: String },
    /// An anonymous operation: nothing was signed.
    Unsigned,
}

impl PreparedRequest {
    /// The string that was signed (carries the STS token when there is one:
    /// pass it through [`aliyun_sign::redact`] before showing it). For RPC V1
    /// it is rebuilt on each call.
    pub fn string_to_sign(&self) -> std::borrow::Cow<'_, str> {
        match &self.signed {
            SignedStages::Rpc { method, canonical } => {
                std::borrow::Cow::Owned(rpc::string_to_sign(*method, canonical))
            }
            SignedStages::Acs3 { string_to_sign } => std::borrow::Cow::Borrowed(string_to_sign),
            SignedStages::Unsigned => std::borrow::Cow::Borrowed(""),
        }
    }

    /// A printable form with the STS token and secret replaced by `** redacted **`.
    pub fn redacted(&self, credentials: &Credentials) -> String {
        let r = |s: &str| aliyun_sign::redact(s, credentials);
        let mut out = format!("{} {}\n", self.method, r(&self.url));
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {}\n", r(v)));
        }
        if let Some(body) = &self.body {
            out.push('\n');
            out.push_str(&r(body));
            out.push('\n');
        }
        out
    }
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // URL, body and string to sign may hold the STS token: keep them out.
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Where and as whom a request is signed: what the client fixes once.
pub(crate) struct Target<'a> {
    /// `scheme://host[:port]`.
    pub base_url: &'a str,
    /// `host[:port]`, as signed by ACS3.
    pub host: &'a str,
    /// The product's API version.
    pub version: &'a str,
    /// The `User-Agent` header.
    pub user_agent: &'a str,
}

/// Signs one call of `op` with `params` at `ts` with `nonce`.
pub(crate) fn prepare(
    config: &Config,
    target: &Target<'_>,
    op: &Operation,
    params: &[(std::borrow::Cow<'static, str>, String)],
    credentials: &Credentials,
    ts: &Timestamp,
    nonce: &Nonce,
) -> PreparedRequest {
    let method = op.method(config.method);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_str()))
        .collect();
    let base_url = target.base_url;
    let mut headers = Vec::with_capacity(2);
    headers.push(("user-agent".to_owned(), target.user_agent.to_owned()));
    if op.anonymous {
        return unsigned(config, target, op, method, &pairs, headers, ts, nonce);
    }
    match config.signature {
        SignatureVersion::V1 => {
            let signed = rpc::sign(
                credentials,
                &rpc::RpcRequest {
                    method,
                    action: op.action,
                    version: target.version,
                    format: config.format.as_str(),
                    timestamp: ts,
                    nonce,
                },
                &pairs,
            );
            // Only the canonical string is kept for the string to sign;
            // it is the wire form up to `&Signature=`.
            let canonical = signed.canonicalized_query_string().to_owned();
            let encoded = signed.into_encoded();
            let (url, body) = match method {
                HttpMethod::Get => {
                    let mut url = String::with_capacity(base_url.len() + 2 + encoded.len());
                    url.push_str(base_url);
                    url.push_str("/?");
                    url.push_str(&encoded);
                    (url, None)
                }
                HttpMethod::Post => {
                    headers.push((
                        "content-type".to_owned(),
                        "application/x-www-form-urlencoded".to_owned(),
                    ));
                    let mut url = String::with_capacity(base_url.len() + 1);
                    url.push_str(base_url);
                    url.push('/');
                    (url, Some(encoded))
                }
            };
            PreparedRequest {
                method,
                url,
                headers,
                body,
                timestamp: ts.as_str().to_owned(),
                signed: SignedStages::Rpc { method, canonical },
            }
        }
        SignatureVersion::V3 => {
            // The format travels as a parameter so XML can be asked for here too.
            let mut pairs = pairs;
            pairs.push(("Format", config.format.as_str()));
            let signed = acs3::sign(
                credentials,
                &acs3::Acs3Request {
                    method,
                    host: target.host,
                    pathname: "/",
                    action: op.action,
                    version: target.version,
                    timestamp: ts,
                    nonce,
                    body: b"",
                    content_type: None,
                },
                &pairs,
            );
            headers.reserve(signed.headers().len());
            for (k, v) in signed.headers() {
                if *k != "host" {
                    headers.push(((*k).to_owned(), v.clone()));
                }
            }
            let query = signed.query();
            let mut url = String::with_capacity(base_url.len() + 2 + query.len());
            url.push_str(base_url);
            url.push('/');
            if !query.is_empty() {
                url.push('?');
                url.push_str(query);
            }
            PreparedRequest {
                method,
                url,
                headers,
                body: None,
                timestamp: ts.as_str().to_owned(),
                signed: SignedStages::Acs3 {
                    string_to_sign: signed.string_to_sign().to_owned(),
                },
            }
        }
    }
}

/// An anonymous operation (STS's AssumeRoleWithOIDC): the common parameters
/// in the query, the operation's own in the form body (POST) or the query
/// (GET), and no signature, as Alibaba's credentials libraries send it.
#[allow(clippy::too_many_arguments)]
fn unsigned(
    config: &Config,
    target: &Target<'_>,
    op: &Operation,
    method: HttpMethod,
    pairs: &[(&str, &str)],
    mut headers: Vec<(String, String)>,
    ts: &Timestamp,
    nonce: &Nonce,
) -> PreparedRequest {
    let common = [
        ("Action", op.action),
        ("Format", config.format.as_str()),
        ("Version", target.version),
        ("Timestamp", ts.as_str()),
        ("SignatureNonce", nonce.as_str()),
    ];
    let form = |pairs: &mut dyn Iterator<Item = &(&str, &str)>| {
        pairs
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    aliyun_sign::percent_encode(k),
                    aliyun_sign::percent_encode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let (query, body) = match method {
        HttpMethod::Get => (form(&mut common.iter().chain(pairs)), None),
        HttpMethod::Post => {
            headers.push((
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ));
            (form(&mut common.iter()), Some(form(&mut pairs.iter())))
        }
    };
    PreparedRequest {
        method,
        url: format!("{}/?{query}", target.base_url),
        headers,
        body,
        timestamp: ts.as_str().to_owned(),
        signed: SignedStages::Unsigned,
    }
}

/// `text` with the values of `op`'s sensitive parameters (an OIDC token, a
/// password) blanked, in every form a request shows them: as sent,
/// percent-encoded once (the query or body) and twice (RPC V1's string to sign).
pub fn redact_sensitive(
    text: &str,
    op: &Operation,
    params: &[(std::borrow::Cow<'static, str>, String)],
) -> String {
    let mut out = text.to_owned();
    for (name, value) in params {
        let sensitive = op.param(name).is_some_and(|p| p.sensitive);
        if !sensitive || value.is_empty() {
            continue;
        }
        let once = aliyun_sign::percent_encode(value);
        let twice = aliyun_sign::percent_encode(&once);
        // Longest form first, so a shorter one never matches inside it.
        for form in [twice, once, value.clone()] {
            out = out.replace(&form, "** redacted **");
        }
    }
    out
}

//! One HTTP exchange: send a prepared request, read the answer's body (capped
//! at [`MAX_RESPONSE_BYTES`]), and map transport failures to errors that say
//! whether the request may have been sent, never showing the URL.

use std::time::Duration;

use crate::config::Config;
use crate::error::Error;
use crate::prepare::PreparedRequest;

/// The largest response body the client reads. Alibaba's RPC answers are a
/// few KiB (VOD's largest, 100 jobs, well under 1 MiB); a body past this is
/// not an answer, and is refused as a decode error rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// The connect timeout, kept below the whole-attempt timeout (see `Client::new`).
pub(crate) fn effective_connect_timeout(config: &Config) -> Duration {
    config
        .connect_timeout
        .min(config.attempt_timeout.mul_f64(0.9))
}

/// Maps a reqwest failure. The URL is dropped first: with GET it carries the STS
/// token, and reqwest's `Display` would print it.
pub(crate) fn transport_error(
    e: reqwest::Error,
    config: &Config,
    base_url: &str,
    in_body: bool,
) -> Error {
    let e = e.without_url();
    let connect = e.is_connect();
    if e.is_timeout() {
        return Error::Timeout {
            after: if connect {
                effective_connect_timeout(config)
            } else {
                config.attempt_timeout
            },
            sent: !connect,
        };
    }
    let mut message = if connect {
        format!("could not connect to {base_url}")
    } else if in_body {
        format!("the response from {base_url} broke off")
    } else {
        format!("the exchange with {base_url} failed")
    };
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        message,
        sent: !connect,
        source: Some(Box::new(e)),
    }
}

/// The service's quota headers, `x-ratelimit-user-api` (this API) and
/// `x-ratelimit-user` (the account), each `Limit:100,Remain:0,TimeLeft:850,Reset:...`,
/// as Alibaba's newer runtimes read them: the larger `TimeLeft` (milliseconds)
/// is how long until the quota opens again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Quota {
    /// A header said `Remain:0`: the next call in this window would be throttled.
    pub exhausted: bool,
    /// The larger `TimeLeft` of the two headers.
    pub time_left: Duration,
}

impl Quota {
    pub(crate) fn from_headers(headers: &reqwest::header::HeaderMap) -> Option<Quota> {
        let texts = ["x-ratelimit-user-api", "x-ratelimit-user"]
            .map(|name| headers.get(name).and_then(|v| v.to_str().ok()));
        Quota::parse(texts.into_iter().flatten())
    }

    /// `None` when no header carries a field we read.
    pub(crate) fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<Quota> {
        let mut quota: Option<Quota> = None;
        for text in headers {
            for pair in text.split(',') {
                let Some((key, value)) = pair.split_once(':') else {
                    continue;
                };
                let Ok(value) = value.trim().parse::<u64>() else {
                    continue;
                };
                let q = quota.get_or_insert_with(Quota::default);
                match key.trim() {
                    "Remain" => q.exhausted |= value == 0,
                    "TimeLeft" => q.time_left = q.time_left.max(Duration::from_millis(value)),
                    _ => {}
                }
            }
        }
        quota
    }
}

/// What came back from one exchange.
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The service's `x-acs-retry-after`, if it sent one.
    pub retry_after: Option<Duration>,
    /// What the service's quota headers said, if it sent any.
    pub quota: Option<Quota>,
    /// The body, at most [`MAX_RESPONSE_BYTES`].
    pub body: Vec<u8>,
    /// Whether the body went past [`MAX_RESPONSE_BYTES`] (and was cut there).
    pub too_large: bool,
}

/// Sends `prepared` and reads the whole answer. `Err` is a transport failure;
/// any status, success or not, is an [`Answer`].
pub(crate) async fn exchange(
    http: &reqwest::Client,
    config: &Config,
    base_url: &str,
    prepared: &PreparedRequest,
) -> Result<Answer, Error> {
    let mut req = match prepared.method {
        aliyun_sign::HttpMethod::Get => http.get(&prepared.url),
        aliyun_sign::HttpMethod::Post => http.post(&prepared.url),
    };
    for (k, v) in &prepared.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    if let Some(body) = &prepared.body {
        req = req.body(body.clone());
    }
    let mut resp = req
        .send()
        .await
        .map_err(|e| transport_error(e, config, base_url, false))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("x-acs-retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis);
    let quota = Quota::from_headers(resp.headers());
    let broke = |e: reqwest::Error| {
        let mut err = transport_error(e, config, base_url, true);
        if let Error::Transport { sent, .. } | Error::Timeout { sent, .. } = &mut err {
            *sent = true; // the status line arrived: the service has the request
        }
        err
    };
    // Read at most MAX_RESPONSE_BYTES: a server (or anything posing as one)
    // must not be able to exhaust memory with an endless body.
    let mut body: Vec<u8> = Vec::new();
    let mut too_large = resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64);
    while !too_large {
        let Some(chunk) = resp.chunk().await.map_err(broke)? else {
            break;
        };
        too_large = body.len() + chunk.len() > MAX_RESPONSE_BYTES;
        let room = MAX_RESPONSE_BYTES
            .saturating_sub(body.len())
            .min(chunk.len());
        body.extend_from_slice(&chunk[..room]);
    }
    Ok(Answer {
        status,
        retry_after,
        quota,
        body,
        too_large,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_headers_give_the_longer_time_left_and_exhaustion() {
        let q = Quota::parse([
            "Limit:100,Remain:0,TimeLeft:850,Reset:1796270000",
            "Limit:500, Remain:12, TimeLeft:200",
        ])
        .unwrap();
        assert_eq!(
            q,
            Quota {
                exhausted: true,
                time_left: Duration::from_millis(850)
            }
        );
        let q = Quota::parse(["Limit:100,Remain:3,TimeLeft:10"]).unwrap();
        assert!(!q.exhausted);
        for junk in ["", "garbage", "TimeLeft:soon", "Remain:-1"] {
            assert_eq!(Quota::parse([junk]), None, "{junk}");
        }
    }
}

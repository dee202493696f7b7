//! The few OSS requests an upload needs, signed with OSS Signature V4
//! ([`aliyun_sign::oss4`]) and the STS credentials of UploadAuth: PutObject,
//! InitiateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload,
//! AbortMultipartUpload. One attempt each; the caller retries and refreshes.
//!
//! Addressing: virtual-hosted (`https://bucket.oss-region.aliyuncs.com/key`)
//! for a named endpoint, path-style (`http://127.0.0.1:port/bucket/key`) for
//! an IP or `localhost` one. The signature covers `/bucket/key` either way.

use std::time::Duration;

use aliyun_runtime::Credentials;
use aliyun_sign::oss4;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use time::OffsetDateTime;

/// Largest error or XML answer read.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Where the object goes.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    http: reqwest::Client,
    /// `scheme://host[:port]` the requests go to, bucket included when
    /// virtual-hosted.
    base: String,
    path_style: bool,
    pub(crate) bucket: String,
    pub(crate) key: String,
    region: String,
}

/// A request that failed.
#[derive(Clone, Debug)]
pub(crate) enum Failure {
    /// OSS answered an error.
    Answered {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// No answer (every request of an upload may be sent again).
    Transport { problem: String },
}

impl Failure {
    /// The credentials were refused as expired or unknown: new ones may do.
    pub(crate) fn credentials_refused(&self) -> bool {
        matches!(self, Failure::Answered { status: 403, code, .. }
            if matches!(code.as_str(), "SecurityTokenExpired" | "InvalidAccessKeyId" | "InvalidSecurityToken" | "AccessKeyIdExpired"))
    }

    /// Worth another attempt with the same request.
    pub(crate) fn transient(&self) -> bool {
        match self {
            Failure::Transport { .. } => true,
            Failure::Answered { status, code, .. } => {
                *status >= 500 || *status == 429 || code == "RequestTimeout"
            }
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Failure::Answered {
                status,
                code,
                message,
                request_id,
            } => {
                let mut s = format!("HTTP {status} {code}");
                if !message.is_empty() {
                    s.push_str(": ");
                    s.push_str(message);
                }
                if let Some(id) = request_id {
                    s.push_str(&format!(" (request id {id})"));
                }
                s
            }
            Failure::Transport { problem, .. } => problem.clone(),
        }
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `x-oss-hash-crc64ecma`, if present and a number.
    pub(crate) fn crc64(&self) -> Option<u64> {
        self.header("x-oss-hash-crc64ecma")?.trim().parse().ok()
    }

    pub(crate) fn etag(&self) -> Option<String> {
        self.header("etag").map(|t| t.trim().to_owned())
    }
}

fn is_loopback_or_ip(host: &str) -> bool {
    let host = host.trim_start_matches('[');
    let host = host.split(']').next().unwrap_or(host);
    let bare = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    };
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok()
}

impl Target {
    /// A target for `endpoint` (`scheme://host[:port]`), bucket and key.
    pub(crate) fn new(
        endpoint: &str,
        bucket: &str,
        key: &str,
        region: &str,
    ) -> Result<Target, String> {
        let (scheme, host) = endpoint
            .split_once("://")
            .ok_or_else(|| "is not an http(s) URL".to_owned())?;
        let host = host.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err("must be scheme://host[:port]".to_owned());
        }
        let path_style = is_loopback_or_ip(host);
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Between bytes, not for the whole part: a large part on a slow
            // link takes as long as it takes.
            .read_timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none());
        if path_style {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| format!("could not build the HTTP client: {e}"))?;
        let base = if path_style {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{bucket}.{host}")
        };
        Ok(Target {
            http,
            base,
            path_style,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            region: region.to_owned(),
        })
    }

    fn url(&self, query: &[(&str, &str)]) -> String {
        let path = if self.path_style {
            oss4::canonical_uri(Some(&self.bucket), Some(&self.key))
        } else {
            let uri = oss4::canonical_uri(Some(&self.bucket), Some(&self.key));
            // Drop the `/bucket` segment: the bucket is in the host.
            uri[1 + aliyun_sign::percent_encode(&self.bucket).len()..].to_owned()
        };
        let query = oss4::canonical_query(query);
        if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        }
    }

    /// One signed request; the answer when it is a 2xx.
    pub(crate) async fn send(
        &self,
        credentials: &Credentials,
        method: reqwest::Method,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: reqwest::Body,
    ) -> Result<Answer, Failure> {
        let signed = oss4::sign(
            credentials,
            &oss4::OssRequest {
                method: method.as_str(),
                region: &self.region,
                product: oss4::PRODUCT,
                bucket: Some(&self.bucket),
                key: Some(&self.key),
                headers,
                query,
                additional_headers: &[],
                time: OffsetDateTime::now_utc(),
            },
        );
        let mut request = self.http.request(method, self.url(query));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        for (name, value) in signed.headers() {
            request = request.header(*name, value.as_str());
        }
        let response = request.body(body).send().await.map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_limited(response).await?;
        if (200..300).contains(&status) {
            return Ok(Answer { headers, body });
        }
        let fields = xml_fields(&body);
        let field = |name: &str| {
            fields
                .iter()
                .find(|(path, _)| path == &format!("Error/{name}"))
                .map(|(_, v)| v.clone())
        };
        // Only these three: OSS's error document also echoes the canonical
        // request and string to sign, which carry the security token.
        let code = field("Code").unwrap_or_else(|| format!("HTTP{status}"));
        let mut message = field("Message").unwrap_or_default();
        if message.len() > 300 {
            let mut cut = 300;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let request_id = field("RequestId").or_else(|| {
            headers
                .get("x-oss-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        Err(Failure::Answered {
            status,
            code,
            message,
            request_id,
        })
    }
}

fn transport(e: &reqwest::Error) -> Failure {
    // The error's Display names the URL; the URL has no secret (header
    // signing), but keep it short and about the cause.
    let problem = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        let mut cause = String::from("the connection broke");
        let mut source = std::error::Error::source(e);
        if let Some(s) = source.take() {
            cause = format!("the connection broke: {s}");
        }
        cause
    };
    Failure::Transport { problem }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Bytes, Failure> {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(Failure::Transport {
                        problem: format!("the answer exceeded {MAX_ANSWER_BYTES} bytes"),
                    });
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(out)),
            Err(e) => return Err(transport(&e)),
        }
    }
}

/// The text elements of an XML document as (`Parent/Child`, text), in
/// document order. Malformed input gives what was read before the fault.
pub(crate) fn xml_fields(xml: &[u8]) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                if let (Some(_), Ok(text)) = (stack.last(), t.unescape()) {
                    out.push((stack.join("/"), text.into_owned()));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    out
}

/// A part as ListParts reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ListedPart {
    pub(crate) number: u32,
    pub(crate) etag: String,
    pub(crate) size: u64,
}

/// One ListParts page: its parts, and the marker of the next page if any.
pub(crate) fn parse_list_parts(xml: &[u8]) -> (Vec<ListedPart>, Option<u32>) {
    let mut parts: Vec<ListedPart> = Vec::new();
    let mut truncated = false;
    let mut next = None;
    for (path, text) in xml_fields(xml) {
        match path.as_str() {
            "ListPartsResult/IsTruncated" => truncated = text.eq_ignore_ascii_case("true"),
            "ListPartsResult/NextPartNumberMarker" => next = text.trim().parse().ok(),
            "ListPartsResult/Part/PartNumber" => parts.push(ListedPart {
                number: text.trim().parse().unwrap_or(0),
                ..ListedPart::default()
            }),
            "ListPartsResult/Part/ETag" => {
                if let Some(p) = parts.last_mut() {
                    p.etag = text.trim().to_owned();
                }
            }
            "ListPartsResult/Part/Size" => {
                if let Some(p) = parts.last_mut() {
                    p.size = text.trim().parse().unwrap_or(0);
                }
            }
            _ => {}
        }
    }
    parts.retain(|p| p.number > 0);
    (parts, next.filter(|_| truncated))
}

/// The CompleteMultipartUpload document.
pub(crate) fn complete_body(parts: &[(u32, String)]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>\n");
    for (number, etag) in parts {
        out.push_str(&format!(
            "  <Part><PartNumber>{number}</PartNumber><ETag>{}</ETag></Part>\n",
            quick_xml::escape::partial_escape(etag.as_str())
        ));
    }
    out.push_str("</CompleteMultipartUpload>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addressing() {
        let t = Target::new("http://127.0.0.1:9000", "b", "sv/a b.mp4", "cn-shanghai").unwrap();
        assert_eq!(t.url(&[]), "http://127.0.0.1:9000/b/sv/a%20b.mp4");
        assert_eq!(
            t.url(&[("uploadId", "X/1"), ("partNumber", "2")]),
            "http://127.0.0.1:9000/b/sv/a%20b.mp4?partNumber=2&uploadId=X%2F1"
        );
        let t = Target::new(
            "https://oss-cn-shanghai.aliyuncs.com",
            "outin-1",
            "sv/x.mp4",
            "cn-shanghai",
        )
        .unwrap();
        assert_eq!(
            t.url(&[("uploads", "")]),
            "https://outin-1.oss-cn-shanghai.aliyuncs.com/sv/x.mp4?uploads"
        );
        assert!(Target::new("oss-cn-shanghai.aliyuncs.com", "b", "k", "r").is_err());
        assert!(is_loopback_or_ip("localhost:80") && is_loopback_or_ip("[::1]:9000"));
        assert!(!is_loopback_or_ip("oss-cn-hangzhou.aliyuncs.com"));
    }

    #[test]
    fn list_parts_pages() {
        let xml = br#"<?xml version="1.0"?><ListPartsResult><Bucket>b</Bucket>
            <NextPartNumberMarker>2</NextPartNumberMarker><IsTruncated>true</IsTruncated>
            <Part><PartNumber>1</PartNumber><ETag>"AA"</ETag><Size>5</Size></Part>
            <Part><PartNumber>2</PartNumber><ETag>"B&amp;B"</ETag><Size>7</Size></Part>
            </ListPartsResult>"#;
        let (parts, next) = parse_list_parts(xml);
        assert_eq!(next, Some(2));
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[1].number, parts[1].etag.as_str(), parts[1].size),
            (2, "\"B&B\"", 7)
        );
        let (parts, next) = parse_list_parts(b"<ListPartsResult><IsTruncated>false</IsTruncated><NextPartNumberMarker>0</NextPartNumberMarker></ListPartsResult>");
        assert!(parts.is_empty() && next.is_none());
        // Garbage gives nothing rather than a panic.
        assert_eq!(parse_list_parts(b"<<<\xff").0, vec![]);
    }

    #[test]
    fn complete_document_escapes() {
        let body = complete_body(&[(1, "\"A\"".to_owned())]);
        assert!(
            body.contains("<PartNumber>1</PartNumber><ETag>\"A\"</ETag>"),
            "{body}"
        );
    }
}

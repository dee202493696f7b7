//! One API request, decoded once: parameters from the query string and from a
//! form-encoded body, headers, and the raw body the ACS3 payload hash covers.

use axum::http::{HeaderMap, Method};
use bytes::Bytes;

use crate::render::Format;

/// A decoded API request.
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// The path as sent (still percent-encoded), as ACS3 signs it.
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    /// Pairs of an `application/x-www-form-urlencoded` body (empty otherwise).
    pub(crate) form: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl ApiRequest {
    pub(crate) fn new(
        method: Method,
        path: &str,
        query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        let form = if is_form(&headers) {
            decode_form(&body)
        } else {
            Vec::new()
        };
        ApiRequest {
            method,
            path: path.to_owned(),
            query: query.map(|q| decode_form(q.as_bytes())).unwrap_or_default(),
            form,
            headers,
            body,
        }
    }

    /// Every parameter, query first, then body.
    pub(crate) fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query
            .iter()
            .chain(&self.form)
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A parameter's value; when it is given more than once, the last one
    /// (so a body value overrides a query value).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .last()
    }

    /// A header's value (the first, if repeated); bytes that are not UTF-8 are
    /// replaced.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        header(&self.headers, name)
    }

    /// Whether the request is signed with signature V3 (`Authorization: ACS3-...`).
    pub(crate) fn is_acs3(&self) -> bool {
        is_acs3(&self.headers)
    }

    /// The response format: `Format` when given (JSON if it says so, in any
    /// case, else XML), otherwise JSON for V3 requests and XML for V1, as the
    /// real service.
    pub(crate) fn format(&self) -> Format {
        format_of(self.param("Format"), &self.headers)
    }
}

/// The format to answer in before the body is read (for errors about the body
/// itself): from the query string and headers only.
pub(crate) fn format_hint(query: Option<&str>, headers: &HeaderMap) -> Format {
    let pairs = query.map(|q| decode_form(q.as_bytes())).unwrap_or_default();
    let given = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "Format")
        .map(|(_, v)| v.as_str());
    format_of(given, headers)
}

fn format_of(given: Option<&str>, headers: &HeaderMap) -> Format {
    match given {
        Some(f) if f.eq_ignore_ascii_case("json") => Format::Json,
        Some(_) => Format::Xml,
        None if is_acs3(headers) => Format::Json,
        None => Format::Xml,
    }
}

fn is_acs3(headers: &HeaderMap) -> bool {
    header(headers, "authorization").is_some_and(|a| a.trim_start().starts_with("ACS3-"))
}

pub(crate) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn is_form(headers: &HeaderMap) -> bool {
    header(headers, "content-type").is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    })
}

/// `application/x-www-form-urlencoded` decoding: `%XX` escapes, `+` is a space.
fn decode_form(input: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(input).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn query_and_form_body_are_merged_with_plus_as_space() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        let req = ApiRequest::new(
            Method::POST,
            "/",
            Some("Action=X&A=1+2&Format=json"),
            headers,
            Bytes::from_static(b"A=3%2B4&B=%E4%B8%AD"),
        );
        assert_eq!(req.param("A"), Some("3+4"));
        assert_eq!(req.param("B"), Some("中"));
        assert_eq!(req.params().count(), 5);
        assert_eq!(req.query[1].1, "1 2");
        assert_eq!(req.format(), Format::Json);
    }

    #[test]
    fn format_defaults_by_signature_version() {
        let mut headers = HeaderMap::new();
        assert_eq!(format_hint(None, &headers), Format::Xml);
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=00",
            ),
        );
        assert_eq!(format_hint(None, &headers), Format::Json);
        assert_eq!(format_hint(Some("Format=XML"), &headers), Format::Xml);
    }

    #[test]
    fn other_bodies_are_not_parameters() {
        let req = ApiRequest::new(
            Method::POST,
            "/",
            None,
            HeaderMap::new(),
            Bytes::from_static(b"A=1"),
        );
        assert_eq!(req.param("A"), None);
    }
}

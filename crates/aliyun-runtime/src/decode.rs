//! Reading answers: a success body into the output's normalized JSON value
//! (JSON parsed, XML read by the output's shape, then [`normalize`]d) and from
//! there into the typed output; an error body into a [`ServiceError`].

use aliyun_sign::Credentials;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::Format;
use crate::error::{DecodeError, Error, ServiceError};
use crate::normalize::normalize;
use crate::operation::Operation;
use crate::shape::{xml_to_flat_object, xml_to_value, Shape};

/// A success answer, not yet decoded: what the pipeline
/// ([`crate::Client::invoke`]) returns. Decode it into the operation's typed
/// output with [`Response::decode`], or into JSON with [`Response::to_json`].
pub struct Response {
    pub(crate) op: &'static Operation,
    pub(crate) format: Format,
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// For redacting decode errors: a body may echo the request.
    pub(crate) credentials: Credentials,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may echo the request (and so the STS token): keep it out.
        f.debug_struct("Response")
            .field("action", &self.op.action)
            .field("status", &self.status)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the body into the operation's typed output.
    pub fn decode<O: DeserializeOwned>(&self) -> Result<O, Error> {
        decode_output::<O>(self.format, self.status, &self.body, self.op.output)
            .map_err(|e| redact_error(e, &self.body, &self.credentials))
    }

    /// The body as JSON, whatever format it came in: wire names, the output's
    /// types, only the fields the output knows. The typed output decodes from
    /// this very value.
    pub fn to_json(&self) -> Result<Value, Error> {
        decode_value(self.format, self.status, &self.body, self.op.output)
            .map_err(|e| redact_error(e, &self.body, &self.credentials))
    }
}

/// Rebuilds a decode error's excerpt from the redacted body, so a body that
/// echoes the request never shows the STS token.
pub(crate) fn redact_error(err: Error, body: &[u8], credentials: &Credentials) -> Error {
    match err {
        Error::Decode(d) => {
            let shown = aliyun_sign::redact(&String::from_utf8_lossy(body), credentials);
            let message = aliyun_sign::redact(&d.message, credentials);
            Error::Decode(DecodeError::new(d.status, message, shown.as_bytes()))
        }
        other => other,
    }
}

/// Decodes a success body into `O` through [`decode_value`]. Each output type
/// is read from a [`Value`] only, so its `Deserialize` is compiled once.
pub fn decode_output<O: DeserializeOwned>(
    format: Format,
    status: u16,
    body: &[u8],
    shape: &Shape,
) -> Result<O, Error> {
    let value = decode_value(format, status, body, shape)?;
    serde_json::from_value(value).map_err(|e| {
        Error::Decode(DecodeError::new(
            status,
            format!("the response does not fit the output type: {e}"),
            body,
        ))
    })
}

/// Decodes a success body by the requested format (sniffing the first byte, so a
/// body in the other format still decodes) into the value [`normalize`] gives
/// for `shape`. An object repeating a key keeps the last value.
pub fn decode_value(
    format: Format,
    status: u16,
    body: &[u8],
    shape: &Shape,
) -> Result<Value, Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let xml = match first {
        Some(b'<') => true,
        Some(b'{') => false,
        _ => format == Format::Xml,
    };
    let parsed = if xml {
        xml_to_value(body, shape).map_err(|e| e.0)
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
    };
    let value = parsed.map_err(|message| Error::Decode(DecodeError::new(status, message, body)))?;
    match normalize(value, shape) {
        Some(v) => Ok(v),
        None => Err(Error::Decode(DecodeError::new(
            status,
            "the body is not an object".to_owned(),
            body,
        ))),
    }
}

/// Decodes an error body (JSON or XML) into a [`ServiceError`].
pub fn decode_service_error(status: u16, body: &[u8]) -> Result<ServiceError, DecodeError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let map = match first {
        Some(b'{') => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) => {
                return Err(DecodeError::new(
                    status,
                    "error body is not an object",
                    body,
                ))
            }
            Err(e) => return Err(DecodeError::new(status, e.to_string(), body)),
        },
        Some(b'<') => xml_to_flat_object(body).map_err(|e| DecodeError::new(status, e.0, body))?,
        _ => {
            return Err(DecodeError::new(
                status,
                "error body is neither JSON nor XML",
                body,
            ))
        }
    };
    let get = |k: &str| {
        map.get(k).and_then(|v| match v {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let Some(code) = get("Code") else {
        return Err(DecodeError::new(status, "error body has no Code", body));
    };
    Ok(ServiceError {
        status,
        code,
        message: get("Message").unwrap_or_default(),
        request_id: get("RequestId"),
        host_id: get("HostId"),
        recommend: get("Recommend"),
        hint: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_both_formats() {
        let json = br#"{"RequestId":"R1","HostId":"vod.cn-shanghai.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://x"}"#;
        let e = decode_service_error(400, json).unwrap();
        assert_eq!(e.code, "Throttling.User");
        assert_eq!(e.to_string(), "Throttling.User: Request was denied due to user flow control. (RequestId R1, HTTP 400)");
        let xml = br#"<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R2</RequestId><HostId>h</HostId><Code>InvalidParameter</Code><Message>bad &amp; worse</Message><Recommend>r</Recommend></Error>"#;
        let e = decode_service_error(400, xml).unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("InvalidParameter", "bad & worse", Some("R2"))
        );
        let bad = decode_service_error(502, b"<html>Bad gateway").unwrap_err();
        assert_eq!(bad.status, 502);
        assert!(bad.body_start.starts_with("<html>"));
    }
}

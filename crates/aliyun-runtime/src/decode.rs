//! Reading answers: a success body into the typed output (JSON directly, XML
//! through the output's shape), an error body into a [`ServiceError`].

use aliyun_sign::Credentials;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::Format;
use crate::error::{DecodeError, Error, ServiceError};
use crate::operation::Operation;
use crate::shape::{xml_to_flat_object, Shape};

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

    /// Decodes the body into the operation's typed output and gives it back as
    /// JSON (wire names, the output's types), whatever format it came in.
    pub fn to_json(&self) -> Result<serde_json::Value, Error> {
        (self.op.output_json)(self)
    }
}

/// [`Response::to_json`] for an operation whose output type is `O`: what
/// generated descriptors put in [`Operation::output_json`].
#[doc(hidden)]
pub fn typed_json<O: DeserializeOwned + Serialize>(
    response: &Response,
) -> Result<serde_json::Value, Error> {
    let output: O = response.decode()?;
    serde_json::to_value(output).map_err(|e| {
        Error::Decode(DecodeError::new(
            response.status,
            format!("the decoded response does not serialise: {e}"),
            b"",
        ))
    })
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

/// Decodes a success body by the requested format (sniffing the first byte, so a
/// body in the other format still decodes).
pub fn decode_output<O: DeserializeOwned>(
    format: Format,
    status: u16,
    body: &[u8],
    shape: &Shape,
) -> Result<O, Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let xml = match first {
        Some(b'<') => true,
        Some(b'{') => false,
        _ => format == Format::Xml,
    };
    let result = if xml {
        crate::shape::from_xml::<O>(body, shape).map_err(|e| e.0)
    } else {
        // One UTF-8 check of the whole body is cheaper than one per string.
        match std::str::from_utf8(body) {
            Ok(text) => decode_json::<O>(text),
            Err(e) => Err(format!("the body is not UTF-8: {e}")),
        }
    };
    result.map_err(|message| Error::Decode(DecodeError::new(status, message, body)))
}

/// JSON text into `O`. Each output type is instantiated with one JSON
/// deserializer only (`from_str`): every other instantiation would be compiled
/// again for every operation.
fn decode_json<O: DeserializeOwned>(text: &str) -> Result<O, String> {
    serde_json::from_str::<O>(text).or_else(|direct| {
        // The one thing the lenient decoders cannot absorb on the direct path
        // is an object repeating a key (serde's derive refuses a duplicate
        // field). Rewritten through a `Value`, the last one wins; a body that
        // is not JSON keeps the first error.
        last_key_wins(text)
            .and_then(|rewritten| serde_json::from_str::<O>(&rewritten).ok())
            .ok_or_else(|| direct.to_string())
    })
}

/// `text` with every object's repeated keys collapsed to the last value, or
/// `None` when it is not JSON.
fn last_key_wins(text: &str) -> Option<String> {
    let value = serde_json::from_str::<serde_json::Value>(text).ok()?;
    serde_json::to_string(&value).ok()
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

//! Checks shared by the response-decoding targets.
#![allow(dead_code)] // each target uses part of it

use std::fmt::Debug;

use aliyun_runtime::{decode_output, serde_json, Error, Format, Operation};

/// What a 200 body of either operation must do, whatever its bytes: decode, or
/// fail with a decode error naming the status and quoting the body's first bytes.
/// A value that decodes must survive being encoded as JSON and decoded again.
pub fn check_output<O>(op: &Operation, format: Format, data: &[u8])
where
    O: serde::de::DeserializeOwned + serde::Serialize + PartialEq + Debug,
{
    match decode_output::<O>(format, 200, data, op.output) {
        Ok(out) => {
            let json = serde_json::to_vec(&out).expect("a decoded output serialises");
            let again = decode_output::<O>(Format::Json, 200, &json, op.output)
                .unwrap_or_else(|e| panic!("a re-encoded output does not decode: {e}"));
            assert_eq!(out, again, "decoding is not idempotent");
            let _ = format!("{out:?}");
        }
        Err(Error::Decode(d)) => {
            assert_eq!(d.status, 200);
            assert_eq!(d.body_start, body_start(data));
            let _ = d.to_string();
        }
        Err(other) => panic!("not a decode error: {other:?}"),
    }
}

/// What [`aliyun_runtime::DecodeError::body_start`] must hold: the first 256
/// bytes, lossily as UTF-8.
pub fn body_start(data: &[u8]) -> String {
    String::from_utf8_lossy(&data[..data.len().min(256)]).into_owned()
}

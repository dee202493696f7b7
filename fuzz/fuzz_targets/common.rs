//! Checks shared by the response-decoding targets.
#![allow(dead_code)] // each target uses part of it

use std::fmt::Debug;

use aliyun_runtime::{decode_output, decode_value, serde_json, Error, Format, Operation};

/// What a 200 body of either operation must do, whatever its bytes: decode, or
/// fail with a decode error naming the status and quoting the body's first bytes.
/// A body that decodes normalizes to a value that decodes to itself and to the
/// same output.
pub fn check_output<O>(op: &Operation, format: Format, data: &[u8])
where
    O: serde::de::DeserializeOwned + PartialEq + Debug,
{
    match decode_output::<O>(format, 200, data, op.output) {
        Ok(out) => {
            // The normalized value is what the output was read from: reading
            // it again as a JSON body gives the same value and the same output.
            let value = decode_value(format, 200, data, op.output).expect("decoded once");
            let json = serde_json::to_vec(&value).expect("a value serialises");
            let again = decode_value(Format::Json, 200, &json, op.output)
                .unwrap_or_else(|e| panic!("a normalized body does not decode: {e}"));
            assert_eq!(value, again, "normalizing is not idempotent");
            let typed = decode_output::<O>(Format::Json, 200, &json, op.output)
                .unwrap_or_else(|e| panic!("a normalized body does not decode: {e}"));
            assert_eq!(out, typed, "decoding is not idempotent");
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

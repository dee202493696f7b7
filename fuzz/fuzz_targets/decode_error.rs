//! Error-body decoding: `decode_service_error` on any status and body (JSON,
//! XML or neither). The first two bytes choose the status.
#![no_main]

mod common;

use aliyun_runtime::{decode_service_error, Error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 1000, rest),
        _ => (400, data),
    };
    match decode_service_error(status, body) {
        Ok(e) => {
            assert_eq!(e.status, status);
            assert!(!e.code.is_empty(), "a service error always has a code");
            assert!(e.to_string().starts_with(&e.code));
            let err = Error::from(e);
            let _ = (
                err.is_transient(),
                err.may_have_been_sent(),
                format!("{err:?}"),
            );
        }
        Err(d) => {
            assert_eq!(d.status, status);
            assert_eq!(d.body_start, common::body_start(body));
            let _ = Error::from(d).to_string();
        }
    }
});

//! Replays the committed fuzz corpora of the response decoders (`fuzz/corpus/
//! decode_json`, `decode_xml`, `decode_error`: seeds, and every input that once
//! crashed a target) with the same checks as the fuzz targets, so `cargo test`
//! catches a regression without a fuzzer. The targets themselves are in
//! `fuzz/fuzz_targets/`; RELIABILITY.md says how to run them.

use std::fmt::Debug;
use std::path::PathBuf;

use aliyun_runtime::{decode_output, decode_service_error, decode_value, Error, Format, Operation};
use aliyun_vod::cancel_url_upload_jobs::CancelUrlUploadJobsOutput;
use aliyun_vod::get_url_upload_infos::GetUrlUploadInfosOutput;
use aliyun_vod::upload_media_by_url::UploadMediaByUrlOutput;

/// Every file of `fuzz/corpus/<target>`, with its name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

fn body_start(data: &[u8]) -> String {
    String::from_utf8_lossy(&data[..data.len().min(256)]).into_owned()
}

/// The check of `fuzz/fuzz_targets/common.rs`; answers whether it decoded.
fn check_output<O>(op: &Operation, format: Format, name: &str, data: &[u8]) -> bool
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
                .unwrap_or_else(|e| panic!("{name}: a normalized body does not decode: {e}"));
            assert_eq!(value, again, "{name}: normalizing is not idempotent");
            let typed = decode_output::<O>(Format::Json, 200, &json, op.output)
                .unwrap_or_else(|e| panic!("{name}: a normalized body does not decode: {e}"));
            assert_eq!(out, typed, "{name}: decoding is not idempotent");
            true
        }
        Err(Error::Decode(d)) => {
            assert_eq!(d.status, 200, "{name}");
            assert_eq!(d.body_start, body_start(data), "{name}");
            false
        }
        Err(other) => panic!("{name}: not a decode error: {other:?}"),
    }
}

fn replay_outputs(target: &str, format: Format) -> usize {
    let mut decoded = 0;
    for (name, data) in corpus(target) {
        let a = check_output::<GetUrlUploadInfosOutput>(
            &aliyun_vod::get_url_upload_infos::OPERATION,
            format,
            &name,
            &data,
        );
        let b = check_output::<UploadMediaByUrlOutput>(
            &aliyun_vod::upload_media_by_url::OPERATION,
            format,
            &name,
            &data,
        );
        let c = check_output::<CancelUrlUploadJobsOutput>(
            &aliyun_vod::cancel_url_upload_jobs::OPERATION,
            format,
            &name,
            &data,
        );
        decoded += usize::from(a || b || c);
    }
    decoded
}

#[test]
fn decode_json_corpus() {
    assert!(replay_outputs("decode_json", Format::Json) > 0);
}

#[test]
fn decode_xml_corpus() {
    assert!(replay_outputs("decode_xml", Format::Xml) > 0);
}

#[test]
fn decode_error_corpus() {
    for (name, data) in corpus("decode_error") {
        let (status, body) = match data.as_slice() {
            [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 1000, rest),
            _ => (400, data.as_slice()),
        };
        match decode_service_error(status, body) {
            Ok(e) => {
                assert_eq!(e.status, status, "{name}");
                assert!(!e.code.is_empty(), "{name}");
                assert!(e.to_string().starts_with(&e.code), "{name}");
            }
            Err(d) => {
                assert_eq!(d.status, status, "{name}");
                assert_eq!(d.body_start, body_start(body), "{name}");
            }
        }
    }
}

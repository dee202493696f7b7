//! The client's own work per call, without I/O:
//!
//! - `encode/*`: a typed `GetURLUploadInfos` input to the signed request (the
//!   form body and headers): validation, wire parameters, timestamp and nonce,
//!   the RPC V1 signature. This is what `send()` does before the HTTP exchange.
//! - `decode_json/*`, `decode_xml/*`: a 10-job response body to the typed output
//!   (throughput in bytes of body per second), and `parse_floor`: the bare parse
//!   of the same body that any decoder must do, keeping nothing.
//!
//! Signing alone is in `crates/aliyun-sign/benches/sign.rs`. Run with
//! `cargo bench -p aliyun-vod --bench codec`.

mod support;

use aliyun_runtime::params::encode_input;
use aliyun_runtime::{decode_output, Format};
use aliyun_vod::get_url_upload_infos::{
    GetUrlUploadInfosInput, GetUrlUploadInfosOutput, OPERATION,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn encode(c: &mut Criterion) {
    let client = support::client("http://127.0.0.1:9");
    let runtime = client.runtime();
    let credentials =
        aliyun_vod::Credentials::new(support::ACCESS_KEY_ID, support::ACCESS_KEY_SECRET);
    let by_job_ids = GetUrlUploadInfosInput {
        job_ids: Some(support::job_ids()),
        upload_urls: None,
    };
    let by_urls = GetUrlUploadInfosInput {
        job_ids: None,
        upload_urls: Some(support::upload_urls()),
    };
    // The body carries what was asked for, encoded as signed.
    let body = |input: &GetUrlUploadInfosInput| {
        let params = encode_input(&OPERATION, input).expect("valid input");
        runtime
            .prepare(&OPERATION, &params, &credentials)
            .body
            .unwrap_or_default()
    };
    assert!(body(&by_job_ids).contains("&JobIds=3d1c0a1b2c3d4e5f60718293a4b5c6d0%2C"));
    assert!(body(&by_urls).contains("&UploadURLs=https%253A%252F%252Fexample-bucket."));

    let mut group = c.benchmark_group("encode");
    for (name, input) in [("job_ids_10", &by_job_ids), ("upload_urls_10", &by_urls)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let params = encode_input(&OPERATION, black_box(input)).expect("valid input");
                runtime.prepare(&OPERATION, &params, &credentials)
            })
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    for (group_name, format, body) in [
        ("decode_json", Format::Json, support::INFOS_10_JSON),
        ("decode_xml", Format::Xml, support::INFOS_10_XML),
    ] {
        let out: GetUrlUploadInfosOutput =
            decode_output(format, 200, body, OPERATION.output).expect("fixture decodes");
        assert_eq!(out.url_upload_info_list.len(), 10, "{group_name}");
        assert!(out
            .url_upload_info_list
            .iter()
            .all(|i| i.job_id.is_some() && i.status.is_some()));
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("infos_10", |b| {
            b.iter(|| {
                decode_output::<GetUrlUploadInfosOutput>(
                    format,
                    200,
                    black_box(body),
                    OPERATION.output,
                )
            })
        });
        // The floor: what any decoder of this body must do. JSON: one UTF-8
        // check and serde_json's parse with nothing kept (strings unescaped
        // in place, no allocation). XML: quick-xml reading every event and
        // unescaping every text.
        group.bench_function("parse_floor", |b| match format {
            Format::Json => b.iter(|| {
                let text = std::str::from_utf8(black_box(body)).expect("UTF-8");
                serde_json::from_str::<serde::de::IgnoredAny>(text).expect("JSON")
            }),
            Format::Xml => b.iter(|| xml_parse_floor(black_box(body))),
        });
        group.finish();
    }
}

/// Reads every XML event, unescaping text; returns the text bytes seen.
fn xml_parse_floor(body: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut text = 0;
    loop {
        match reader.read_event().expect("XML") {
            quick_xml::events::Event::Text(t) => text += t.unescape().expect("text").len(),
            quick_xml::events::Event::Eof => return text,
            _ => {}
        }
    }
}

criterion_group!(codec, encode, decode);
criterion_main!(codec);

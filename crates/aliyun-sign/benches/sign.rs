//! Signing benchmarks: the whole RPC V1 signer on realistic requests against the
//! floor (one bare HMAC-SHA1 over the same string to sign, measured in the same
//! run), and ACS3.
//!
//! - `sign/rpc_v1`: GetURLUploadInfos with 10 JobIds (vector `jobids_10_post`,
//!   the input the official SDKs' scripts time);
//! - `sign/rpc_v1_upload_urls`: with 10 UploadURLs, already percent-encoded once
//!   as list items (as the client sends them), so the signer escapes a lot;
//! - `hmac_sha1_floor*`: HMAC-SHA1 keyed with `secret&` over each string to
//!   sign: what no signer can avoid;
//! - `hmac_sha1_floor_keyed`: the same with the key schedule computed once, as
//!   the signer keeps it per credentials: its floor when warmed up;
//! - `sign/acs3`: ACS3-HMAC-SHA256 of the same call, against `acs3_floor` (the
//!   SHA-256 of its canonical request plus the HMAC-SHA256 of its string to
//!   sign) and `acs3_floor_keyed` (the same with the HMAC key schedule kept).

use aliyun_sign::{acs3, percent_encode, rpc, Credentials, HttpMethod, Nonce, Timestamp};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

const SECRET: &str = "TestAccessKeySecret0123456789ab";

const JOB_IDS: &str = "3d1c0a1b2c3d4e5f60718293a4b5c6d0,3d1c0a1b2c3d4e5f60718293a4b5c6d1,\
3d1c0a1b2c3d4e5f60718293a4b5c6d2,3d1c0a1b2c3d4e5f60718293a4b5c6d3,3d1c0a1b2c3d4e5f60718293a4b5c6d4,\
3d1c0a1b2c3d4e5f60718293a4b5c6d5,3d1c0a1b2c3d4e5f60718293a4b5c6d6,3d1c0a1b2c3d4e5f60718293a4b5c6d7,\
3d1c0a1b2c3d4e5f60718293a4b5c6d8,3d1c0a1b2c3d4e5f60718293a4b5c6d9";

/// `UploadURLs` as the client sends it: each URL percent-encoded, then joined
/// with commas (the same URLs as `crates/aliyun-vod/benches`).
fn upload_urls() -> String {
    (0..10)
        .map(|i| {
            percent_encode(&format!(
                "https://example-bucket.oss-cn-shanghai.aliyuncs.com/videos/2024/05/06/\
                 lecture {i:02} (final)-é.mp4?Expires=17150{i:05}&OSSAccessKeyId=LTAI5tExample\
                 &Signature=k2Hx%2Bq{i}9zQ%3D&response-content-type=video/mp4"
            ))
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn benches(c: &mut Criterion) {
    let creds = Credentials::new("LTAI5tTestAccessKey0001", SECRET);
    let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
    let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
    let req = rpc::RpcRequest {
        method: HttpMethod::Post,
        action: "GetURLUploadInfos",
        version: "2017-03-21",
        format: "JSON",
        timestamp: &ts,
        nonce: &nonce,
    };
    let urls = upload_urls();
    for (name, floor, params) in [
        ("rpc_v1", "hmac_sha1_floor", [("JobIds", JOB_IDS)]),
        (
            "rpc_v1_upload_urls",
            "hmac_sha1_floor_upload_urls",
            [("UploadURLs", urls.as_str())],
        ),
    ] {
        let signed = rpc::sign(&creds, &req, &params);
        if name == "rpc_v1" {
            // Known answer (vector jobids_10_post), so the benchmark measures a
            // correct signer.
            assert_eq!(signed.signature(), "gnMLWEk1wacAFuFxBjEr2pociNM=");
        }
        let string_to_sign = signed.string_to_sign();
        assert_eq!(
            rpc::signature(SECRET, &string_to_sign),
            signed.signature(),
            "{name}"
        );
        let mut group = c.benchmark_group("sign");
        group.bench_function(name, |b| {
            b.iter(|| rpc::sign(black_box(&creds), black_box(&req), black_box(&params)))
        });
        group.finish();
        c.bench_function(floor, |b| {
            b.iter(|| rpc::hmac_sha1(black_box(SECRET), black_box(&string_to_sign)))
        });
        if name == "rpc_v1" {
            // Like for like: the signer keeps the key schedule (two SHA-1
            // blocks) per credentials, so this is its floor once warmed up.
            let keyed = <Hmac<Sha1> as Mac>::new_from_slice(format!("{SECRET}&").as_bytes())
                .expect("any key length");
            c.bench_function("hmac_sha1_floor_keyed", |b| {
                b.iter(|| {
                    let mut mac = black_box(&keyed).clone();
                    mac.update(black_box(&string_to_sign).as_bytes());
                    mac.finalize().into_bytes()
                })
            });
        }
    }
    let v3 = acs3::Acs3Request {
        method: HttpMethod::Post,
        host: "vod.cn-shanghai.aliyuncs.com",
        pathname: "/",
        action: "GetURLUploadInfos",
        version: "2017-03-21",
        timestamp: &ts,
        nonce: &nonce,
        body: b"",
        content_type: None,
    };
    let params = [("JobIds", JOB_IDS)];
    let signed = acs3::sign(&creds, &v3, &params);
    // The known answer: what Alibaba's Python ACS3 signer gives for this very
    // request, which `cargo xtask bench-compare` hands to the official signers
    // (its test pins the same value), so both sides time the same work.
    assert_eq!(
        signed.signature(),
        "3772842d25c237865537d8d40d00b37110c59c61e8bd92232b2f36237b7b3d98"
    );
    let canonical_request = signed.canonical_request().to_owned();
    let string_to_sign = signed.string_to_sign().to_owned();
    assert_eq!(acs3::string_to_sign(&canonical_request), string_to_sign);
    assert_eq!(acs3::signature(SECRET, &string_to_sign), signed.signature());
    let mut group = c.benchmark_group("sign");
    group.bench_function("acs3", |b| {
        b.iter(|| acs3::sign(black_box(&creds), black_box(&v3), black_box(&params)))
    });
    group.finish();
    // What no ACS3 signer can avoid: the SHA-256 of the canonical request and
    // the HMAC-SHA256 of the string to sign (its key schedule computed per
    // call in the bare floor, kept in the keyed one, as the signer keeps it).
    let keyed = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    let floor = |mut mac: Hmac<Sha256>| {
        let digest = Sha256::digest(black_box(&canonical_request).as_bytes());
        mac.update(b"ACS3-HMAC-SHA256\n");
        let mut hex = [0u8; 64];
        hex::encode_to_slice(digest, &mut hex).expect("64 hex digits");
        mac.update(&hex);
        mac.finalize().into_bytes()
    };
    c.bench_function("acs3_floor", |b| {
        b.iter(|| {
            floor(
                <Hmac<Sha256> as Mac>::new_from_slice(black_box(SECRET).as_bytes())
                    .expect("any key length"),
            )
        })
    });
    c.bench_function("acs3_floor_keyed", |b| {
        b.iter(|| floor(black_box(&keyed).clone()))
    });
}

criterion_group!(sign, benches);
criterion_main!(sign);

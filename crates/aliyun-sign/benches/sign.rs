//! Signing benchmarks: the whole RPC V1 signer on a realistic request against the
//! floor (one bare HMAC-SHA1 over the same string to sign), and ACS3.

use aliyun_sign::{acs3, rpc, Credentials, Method, Nonce, Timestamp};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const JOB_IDS: &str = "3d1c0a1b2c3d4e5f60718293a4b5c6d0,3d1c0a1b2c3d4e5f60718293a4b5c6d1,\
3d1c0a1b2c3d4e5f60718293a4b5c6d2,3d1c0a1b2c3d4e5f60718293a4b5c6d3,3d1c0a1b2c3d4e5f60718293a4b5c6d4,\
3d1c0a1b2c3d4e5f60718293a4b5c6d5,3d1c0a1b2c3d4e5f60718293a4b5c6d6,3d1c0a1b2c3d4e5f60718293a4b5c6d7,\
3d1c0a1b2c3d4e5f60718293a4b5c6d8,3d1c0a1b2c3d4e5f60718293a4b5c6d9";

fn benches(c: &mut Criterion) {
    let creds = Credentials::new("LTAI5tTestAccessKey0001", "TestAccessKeySecret0123456789ab");
    let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
    let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
    let req = rpc::RpcRequest {
        method: Method::Post,
        action: "GetURLUploadInfos",
        version: "2017-03-21",
        format: "JSON",
        timestamp: &ts,
        nonce: &nonce,
    };
    let params = [("JobIds", JOB_IDS)];
    let signed = rpc::sign(&creds, &req, &params);
    // Known answer (vector jobids_10_post), so the benchmark measures a correct signer.
    assert_eq!(signed.signature(), "gnMLWEk1wacAFuFxBjEr2pociNM=");
    let string_to_sign = signed.string_to_sign();

    c.bench_function("sign/rpc_v1", |b| {
        b.iter(|| rpc::sign(black_box(&creds), black_box(&req), black_box(&params)))
    });
    c.bench_function("hmac_sha1_floor", |b| {
        b.iter(|| {
            rpc::hmac_sha1(
                black_box("TestAccessKeySecret0123456789ab"),
                black_box(&string_to_sign),
            )
        })
    });
    let v3 = acs3::Acs3Request {
        method: Method::Post,
        host: "vod.cn-shanghai.aliyuncs.com",
        pathname: "/",
        action: "GetURLUploadInfos",
        version: "2017-03-21",
        timestamp: &ts,
        nonce: &nonce,
        body: b"",
        content_type: None,
    };
    c.bench_function("sign/acs3", |b| {
        b.iter(|| acs3::sign(black_box(&creds), black_box(&v3), black_box(&params)))
    });
}

criterion_group!(sign, benches);
criterion_main!(sign);

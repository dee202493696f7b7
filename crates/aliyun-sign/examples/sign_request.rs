//! Signs a GetURLUploadInfos request with RPC V1 and prints what would be sent.
//! The secret is the well-known test secret of the shared vectors, never a real one.

use aliyun_sign::{acs3, redact, rpc, Credentials, HttpMethod, Nonce, Timestamp};

fn main() {
    let creds = Credentials::new("LTAI5tTestAccessKey0001", "TestAccessKeySecret0123456789ab");
    let ts = Timestamp::now();
    let nonce = Nonce::random();
    let signed = rpc::sign(
        &creds,
        &rpc::RpcRequest {
            method: HttpMethod::Post,
            action: "GetURLUploadInfos",
            version: "2017-03-21",
            format: "JSON",
            timestamp: &ts,
            nonce: &nonce,
        },
        &[("JobIds", "86c1925fba0a,7afb201e7fa1")],
    );
    println!("credentials:    {creds:?}");
    println!(
        "string to sign: {}",
        redact(&signed.string_to_sign(), &creds)
    );
    println!("signature:      {}", signed.signature());
    println!("POST / body:    {}", signed.encoded());

    let v3 = acs3::sign(
        &creds,
        &acs3::Acs3Request {
            method: HttpMethod::Post,
            host: "vod.cn-shanghai.aliyuncs.com",
            pathname: "/",
            action: "GetURLUploadInfos",
            version: "2017-03-21",
            timestamp: &ts,
            nonce: &nonce,
            body: b"",
            content_type: None,
        },
        &[("JobIds", "86c1925fba0a,7afb201e7fa1")],
    );
    println!("ACS3 query:     {}", v3.query());
    for (name, value) in v3.headers() {
        println!("ACS3 header:    {name}: {value}");
    }
}

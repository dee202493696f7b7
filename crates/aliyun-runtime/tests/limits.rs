//! A server cannot make the client buffer without bound: a body larger than
//! `MAX_RESPONSE_BYTES`, declared or endless, ends the call with a decode error
//! that shows the status and first bytes, after reading at most the cap.
//! Servers on 127.0.0.1, ephemeral ports.

use std::time::Duration;

use aliyun_runtime::shape::Shape;
use aliyun_runtime::{
    Client, Config, Credentials, Error, Operation, Product, RetryConfig, MAX_RESPONSE_BYTES,
};
use axum::body::Body;
use bytes::Bytes;
use serde::Deserialize;

static PRODUCT: Product = Product {
    code: "vod",
    version: "2017-03-21",
    endpoints: &[],
    default_region: "cn-shanghai",
};

static READ: Operation = Operation {
    action: "DescribeThings",
    methods: &[],
    retry_safe: true,
    anonymous: false,
    qps_limit: None,
    params: &[],
    groups: &[],
    output: &Shape::Object(&[aliyun_runtime::shape::Field {
        name: "RequestId",
        shape: &Shape::String,
    }]),
    pages: None,
    regions: &[],
};

#[derive(Debug, Deserialize)]
struct Out {
    #[serde(rename = "RequestId", default)]
    request_id: String,
}

/// Serves `body()` for every request; returns the base URL.
async fn serve(body: fn() -> Body) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move || async move { body() });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn call(url: &str) -> Result<Out, Error> {
    let client = Client::new(
        &PRODUCT,
        Config::new()
            .endpoint(url)
            .credentials(Credentials::new("LTAI5tLimits", "limits-secret-value"))
            .attempt_timeout(Duration::from_secs(30))
            .retry(RetryConfig::disabled()),
    )
    .unwrap();
    client.send(&READ, &serde_json::json!({})).await
}

fn expect_too_large(result: Result<Out, Error>, start: &str) {
    let err = result.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(d.status, 200);
    assert!(
        d.message
            .contains(&format!("larger than {MAX_RESPONSE_BYTES} bytes")),
        "{d:?}"
    );
    assert!(d.body_start.starts_with(start), "{:?}", d.body_start);
    assert!(d.body_start.len() <= 256 * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_is_cut_at_the_cap() {
    let url = serve(|| {
        let head = futures::stream::once(async {
            Ok::<_, std::io::Error>(Bytes::from_static(b"{\"RequestId\":\""))
        });
        let endless = futures::stream::repeat_with(|| Ok(Bytes::from(vec![b'x'; 64 * 1024])));
        Body::from_stream(futures::StreamExt::chain(head, endless))
    })
    .await;
    let result = tokio::time::timeout(Duration::from_secs(60), call(&url))
        .await
        .expect("the call ends although the body does not");
    expect_too_large(result, "{\"RequestId\":\"x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let url = serve(|| {
        let mut body = b"{\"RequestId\":\"".to_vec();
        body.resize(MAX_RESPONSE_BYTES + 1, b'x');
        Body::from(body)
    })
    .await;
    expect_too_large(call(&url).await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_under_the_cap_still_decodes() {
    let url = serve(|| {
        let mut body = b"{\"RequestId\":\"".to_vec();
        body.resize(1 << 20, b'x');
        body.extend_from_slice(b"\"}");
        Body::from(body)
    })
    .await;
    assert_eq!(call(&url).await.unwrap().request_id.len(), (1 << 20) - 14);
}

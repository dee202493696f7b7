//! The runtime against a real HTTP server on 127.0.0.1 that verifies every
//! signature (see `support`). Operations here are made up: `DescribeThings` is
//! safe to retry and limited to 100 calls/s, `CreateThing` is neither, so these
//! tests pin the runtime's rules independently of any product's spec.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aliyun_runtime::operation::{Param, StringRules, Ty};
use aliyun_runtime::shape::{Field, Shape};
use aliyun_runtime::{
    Client, Config, Error, Format, HttpMethod, Operation, Product, RetryConfig, SignatureVersion,
};
use serde::Deserialize;
use serde_json::json;
use support::{Reply, Req, Server};

static PRODUCT: Product = Product {
    code: "vod",
    version: "2017-03-21",
    endpoints: &[
        ("cn-shanghai", "vod.cn-shanghai.aliyuncs.com"),
        ("eu-central-1", "vod.eu-central-1.aliyuncs.com"),
    ],
    default_region: "cn-shanghai",
};

static NAMES: [Param; 1] = [Param::new("Names", Ty::String(StringRules::ANY))];

static READ: Operation = READ_OP;

static WRITE: Operation = Operation {
    action: "CreateThing",
    retry_safe: false,
    anonymous: false,
    qps_limit: None,
    ..READ_OP
};

const READ_OP: Operation = Operation {
    action: "DescribeThings",
    methods: &[HttpMethod::Post, HttpMethod::Get],
    retry_safe: true,
    anonymous: false,
    qps_limit: Some(100),
    params: &NAMES,
    groups: &[],
    output: &THINGS_SHAPE,
    pages: None,
    regions: &[],
};

#[derive(Debug, Deserialize, PartialEq)]
struct Things {
    #[serde(rename = "RequestId", default)]
    request_id: String,
    #[serde(rename = "Things", default)]
    things: Vec<String>,
    #[serde(rename = "Size", default)]
    size: Option<i64>,
}

static THINGS_SHAPE: Shape = Shape::Object(&[
    Field {
        name: "RequestId",
        shape: &Shape::String,
    },
    Field {
        name: "Things",
        shape: &Shape::List {
            item: &Shape::String,
            xml_item: Some("Thing"),
        },
    },
    Field {
        name: "Size",
        shape: &Shape::Integer,
    },
]);

/// The success body: echoes the `Names` parameter as the list of things.
fn ok(req: &Req) -> Reply {
    let names: Vec<String> = req.list("Names");
    Reply::formatted(
        req,
        200,
        &json!({"RequestId": format!("req-{}", req.index), "Things": {"Thing": names}, "Size": "24"}),
    )
}

/// A config for the test server: fast backoff, 3 attempts.
fn config(server_url: &str) -> Config {
    Config::new()
        .endpoint(server_url)
        .credentials(support::credentials())
        .retry(RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(4),
            max_delay: Duration::from_millis(20),
        })
}

fn client(config: Config) -> Client {
    Client::new(&PRODUCT, config).expect("client")
}

async fn call(client: &Client, op: &'static Operation) -> Result<Things, Error> {
    client.send(op, &json!({"Names": "a b,c/é"})).await
}

fn service(err: &Error) -> &aliyun_runtime::ServiceError {
    err.as_service()
        .unwrap_or_else(|| panic!("expected a service error, got {err:?}"))
}

// ---- the wire: methods, parameters, headers, signatures

#[tokio::test]
async fn post_sends_parameters_in_the_form_body_only() {
    let server = Server::start(ok).await;
    let out = call(&client(config(&server.url)), &READ).await.unwrap();
    assert_eq!(out.things, ["a b", "c/é"]);
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert!(req.query.is_empty(), "{:?}", req.query);
    assert_eq!(req.param("Names"), Some("a b,c/é"));
    assert_eq!(req.param("Action"), Some("DescribeThings"));
    assert_eq!(req.param("Version"), Some("2017-03-21"));
    assert_eq!(req.param("Format"), Some("JSON"));
    assert_eq!(req.rejected, None);
}

#[tokio::test]
async fn get_sends_parameters_in_the_query_string_only() {
    let server = Server::start(ok).await;
    let c = client(config(&server.url).method(HttpMethod::Get));
    let out = call(&c, &READ).await.unwrap();
    assert_eq!(out.things, ["a b", "c/é"]);
    let req = &server.requests()[0];
    assert_eq!(req.method, "GET");
    assert!(req.form.is_empty());
    assert!(req
        .query
        .iter()
        .any(|(k, v)| k == "Names" && v == "a b,c/é"));
    assert!(req.query.iter().any(|(k, _)| k == "Signature"));
}

/// An operation that accepts only GET (six VOD operations do).
static GET_ONLY: Operation = Operation {
    action: "DescribeThingsByGet",
    methods: &[HttpMethod::Get],
    ..READ_OP
};

#[tokio::test]
async fn an_operation_is_sent_with_a_method_it_accepts_whatever_the_configuration() {
    let server = Server::start(ok).await;
    // POST is configured (the default); the GET-only operation goes as GET,
    // signed for GET, and the service accepts it.
    let c = client(config(&server.url));
    let out = call(&c, &GET_ONLY).await.unwrap();
    assert_eq!(out.things, ["a b", "c/é"]);
    call(&c, &READ).await.unwrap();
    let reqs = server.requests();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[1].method.as_str()),
        ("GET", "POST")
    );
    assert_eq!(reqs[0].rejected, None);
}

#[tokio::test]
async fn user_agent_names_the_sdk_its_version_and_the_callers_suffix() {
    let server = Server::start(ok).await;
    let c = client(config(&server.url).user_agent("my-app/2.1"));
    call(&c, &READ).await.unwrap();
    let ua = server.requests()[0]
        .header("user-agent")
        .unwrap()
        .to_owned();
    let sdk = format!("aliyun-vod-rs/{}", env!("CARGO_PKG_VERSION"));
    assert!(ua.starts_with(&sdk), "{ua}");
    assert!(ua.ends_with(" my-app/2.1"), "{ua}");
}

#[tokio::test]
async fn signature_v3_requests_pass_a_verifying_server_with_get_post_and_sts() {
    let server = Server::start(ok).await;
    for (method, creds) in [
        (HttpMethod::Post, support::credentials()),
        (HttpMethod::Get, support::credentials()),
        (
            HttpMethod::Post,
            support::credentials().with_security_token("sts+token/with=reserved"),
        ),
    ] {
        let c = client(
            config(&server.url)
                .signature_version(SignatureVersion::V3)
                .method(method)
                .credentials(creds),
        );
        let out = call(&c, &READ).await.unwrap();
        assert_eq!(out.things, ["a b", "c/é"]);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.rejected, None);
        assert!(r
            .header("authorization")
            .unwrap()
            .starts_with("ACS3-HMAC-SHA256 "));
        assert_eq!(r.header("x-acs-action"), Some("DescribeThings"));
    }
    assert_eq!(
        reqs[2].header("x-acs-security-token"),
        Some("sts+token/with=reserved")
    );

    // The server does check: a wrong secret is refused, with the same hint as V1.
    let server = Server::start_with_secret("the-real-secret", ok).await;
    let c = client(config(&server.url).signature_version(SignatureVersion::V3));
    let err = call(&c, &READ).await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    let hint = service(&err).hint.as_deref().unwrap();
    assert!(hint.contains("AccessKey secret is wrong"), "{hint}");
}

#[tokio::test]
async fn sts_token_is_sent_and_signed_with_signature_v1() {
    let server = Server::start(ok).await;
    let creds = support::credentials().with_security_token("sts+token/with=reserved");
    for method in [HttpMethod::Post, HttpMethod::Get] {
        let c = client(
            config(&server.url)
                .method(method)
                .credentials(creds.clone()),
        );
        call(&c, &READ).await.unwrap();
    }
    for r in server.requests() {
        assert_eq!(r.rejected, None);
        assert_eq!(r.param("SecurityToken"), Some("sts+token/with=reserved"));
    }
}

// ---- decoding

#[tokio::test]
async fn json_and_xml_responses_decode_to_the_same_value() {
    let server = Server::start(ok).await;
    let json = call(&client(config(&server.url)), &READ).await.unwrap();
    let xml = call(&client(config(&server.url).format(Format::Xml)), &READ)
        .await
        .unwrap();
    assert_eq!(server.requests()[1].param("Format"), Some("XML"));
    assert_eq!((json.things, json.size), (xml.things, xml.size));
    assert_eq!(json.size, Some(24));
}

// ---- errors

#[tokio::test]
async fn service_errors_carry_status_code_message_request_id_host_id_and_recommend() {
    for format in [Format::Json, Format::Xml] {
        let server = Server::start(|req| {
            Reply::error(
                req,
                400,
                "InvalidParameter",
                "The specified parameter \"Names\" is not valid.",
            )
        })
        .await;
        let err = call(&client(config(&server.url).format(format)), &READ)
            .await
            .unwrap_err();
        let e = service(&err);
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "InvalidParameter");
        assert_eq!(e.message, "The specified parameter \"Names\" is not valid.");
        assert_eq!(e.request_id.as_deref(), Some("err-0"));
        assert_eq!(e.host_id.as_deref(), Some("vod.cn-shanghai.aliyuncs.com"));
        assert!(e.recommend.as_deref().unwrap().contains("InvalidParameter"));
        assert_eq!(err.code(), Some("InvalidParameter"));
        assert!(err.may_have_been_sent());
        assert_eq!(
            err.to_string(),
            "InvalidParameter: The specified parameter \"Names\" is not valid. (RequestId err-0, HTTP 400)"
        );
        assert_eq!(server.count(), 1, "a client error is not retried");
    }
}

#[tokio::test]
async fn undecodable_bodies_are_decode_errors_with_status_and_first_bytes() {
    let server =
        Server::start(|_| Reply::raw(502, "text/html", "<html><body>Bad gateway</body></html>"))
            .await;
    let err = call(&client(config(&server.url)), &READ).await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(d.status, 502);
    assert!(d.body_start.starts_with("<html><body>Bad gateway"), "{d:?}");
    assert!(err.to_string().contains("HTTP 502"), "{err}");
    assert_eq!(server.count(), 3, "a gateway page on 5xx is transient");

    let server =
        Server::start(|_| Reply::raw(200, "application/json", "{\"RequestId\": [oops")).await;
    let err = call(&client(config(&server.url)), &READ).await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(
        (d.status, d.body_start.as_str()),
        (200, "{\"RequestId\": [oops")
    );
    assert_eq!(server.count(), 1, "a bad 200 body is not retried");
}

#[tokio::test]
async fn signature_mismatch_over_the_same_string_to_sign_blames_the_secret() {
    let server = Server::start_with_secret("the-real-secret", ok).await;
    let err = call(&client(config(&server.url)), &READ).await.unwrap_err();
    let e = service(&err);
    assert_eq!(e.code, "SignatureDoesNotMatch");
    let hint = e.hint.as_deref().unwrap();
    assert!(hint.contains("AccessKey secret is wrong"), "{hint}");
    assert!(hint.contains(support::KEY_ID), "{hint}");
    assert!(err.to_string().contains("\nhint: "), "{err}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn signature_mismatch_over_different_strings_to_sign_shows_both() {
    let server = Server::start(|req| {
        Reply::error(
            req,
            400,
            "SignatureDoesNotMatch",
            "Specified signature does not match our calculation. server string to sign is:POST&%2F&Action%3DTampered",
        )
    })
    .await;
    let err = call(&client(config(&server.url)), &READ).await.unwrap_err();
    let hint = service(&err).hint.as_deref().unwrap().to_owned();
    assert!(
        hint.contains("server: POST&%2F&Action%3DTampered"),
        "{hint}"
    );
    assert!(hint.contains("client: POST&%2F&AccessKeyId%3D"), "{hint}");
}

#[tokio::test]
async fn expired_timestamp_says_to_check_the_clock() {
    let server = Server::start(ok).await;
    let skewed: aliyun_runtime::Clock =
        Arc::new(|| time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let err = call(&client(config(&server.url).clock(skewed)), &READ)
        .await
        .unwrap_err();
    let e = service(&err);
    assert_eq!(e.code, "InvalidTimeStamp.Expired");
    assert!(e.hint.as_deref().unwrap().contains("clock"), "{e:?}");
}

#[test]
fn unknown_region_is_a_config_error_listing_the_known_regions() {
    let err = Client::new(&PRODUCT, Config::new().region("mars-1")).unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    let text = err.to_string();
    assert!(
        text.contains("\"mars-1\"") && text.contains("cn-shanghai, eu-central-1"),
        "{text}"
    );
    assert!(!err.may_have_been_sent());
    let c = Client::new(&PRODUCT, Config::new().region("eu-central-1")).unwrap();
    assert_eq!(c.endpoint(), "https://vod.eu-central-1.aliyuncs.com");
}

// ---- retries

#[tokio::test]
async fn throttling_then_success_retries_a_safe_operation() {
    let server = Server::start(|req| match req.index {
        0 => Reply::error(
            req,
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        1 => Reply::error(
            req,
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        _ => ok(req),
    })
    .await;
    let out = call(&client(config(&server.url)), &READ).await.unwrap();
    assert_eq!(out.request_id, "req-2");
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn every_attempt_is_signed_afresh_with_a_new_nonce() {
    let server = Server::start(|req| match req.index {
        0 | 1 => Reply::error(
            req,
            500,
            "InternalError",
            "The request processing has failed due to some unknown error.",
        ),
        _ => ok(req),
    })
    .await;
    for signature in [SignatureVersion::V1, SignatureVersion::V3] {
        let c = client(config(&server.url).signature_version(signature));
        call(&c, &READ).await.unwrap();
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    // The server rejects a reused nonce, so none rejected means all distinct;
    // check directly as well.
    assert!(reqs.iter().all(|r| r.rejected.is_none()), "{reqs:?}");
    let mut nonces: Vec<&str> = reqs.iter().map(Req::nonce).collect();
    nonces.sort_unstable();
    nonces.dedup();
    assert_eq!(nonces.len(), 4);
}

#[tokio::test]
async fn retries_stop_after_the_configured_number_of_attempts() {
    let server = Server::start(|req| Reply::error(req, 500, "InternalError", "boom")).await;
    let c = client(config(&server.url).retry(RetryConfig {
        max_attempts: 5,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }));
    let err = call(&c, &READ).await.unwrap_err();
    assert_eq!(err.code(), Some("InternalError"));
    assert_eq!(server.count(), 5);

    let c = client(config(&server.url).retry(RetryConfig::disabled()));
    call(&c, &READ).await.unwrap_err();
    assert_eq!(server.count(), 6);
}

#[tokio::test]
async fn non_transient_service_errors_are_not_retried() {
    let server = Server::start(|req| Reply::error(req, 403, "Forbidden.RAM", "not allowed")).await;
    let err = call(&client(config(&server.url)), &READ).await.unwrap_err();
    assert_eq!(err.code(), Some("Forbidden.RAM"));
    assert!(!err.is_transient());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn unsafe_operation_is_never_retried_once_the_request_was_sent() {
    let server = Server::start(|req| match req.index % 2 {
        0 => Reply::error(req, 503, "ServiceUnavailable", "try later"),
        _ => {
            Reply::error(req, 400, "Throttling.User", "slow down").header("x-acs-retry-after", "1")
        }
    })
    .await;
    let c = client(config(&server.url));
    assert_eq!(
        call(&c, &WRITE).await.unwrap_err().code(),
        Some("ServiceUnavailable")
    );
    assert_eq!(server.count(), 1);
    assert_eq!(
        call(&c, &WRITE).await.unwrap_err().code(),
        Some("Throttling.User")
    );
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn x_acs_retry_after_makes_any_error_retryable_and_is_waited_for() {
    let server = Server::start(|req| match req.index {
        0 => Reply::error(req, 429, "Busy", "come back later").header("x-acs-retry-after", "400"),
        _ => ok(req),
    })
    .await;
    call(&client(config(&server.url)), &READ).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].arrived - reqs[0].arrived;
    // Backoff alone would wait at most 4 ms here.
    assert!(gap >= Duration::from_millis(400), "retried after {gap:?}");
}

#[tokio::test]
async fn attempt_timeout_is_a_timeout_error_retried_only_for_safe_operations() {
    let server = Server::start(|req| ok(req).delayed(Duration::from_millis(1500))).await;
    let c = client(config(&server.url).attempt_timeout(Duration::from_millis(150)));
    let err = call(&c, &READ).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { sent: true, after } if after == Duration::from_millis(150)),
        "{err:?}"
    );
    assert!(err.is_transient() && err.may_have_been_sent());
    assert_eq!(server.count(), 3);

    let err = call(&c, &WRITE).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: true, .. }), "{err:?}");
    assert_eq!(server.count(), 4, "CreateThing was sent once");
}

#[tokio::test]
async fn body_cut_mid_response_is_a_transport_error_retried_only_for_safe_operations() {
    let server = Server::start(|req| match req.index {
        0 | 2 => ok(req).cut_after(12),
        _ => ok(req),
    })
    .await;
    let c = client(config(&server.url));
    let out = call(&c, &READ).await.unwrap();
    assert_eq!(out.request_id, "req-1");
    assert_eq!(server.count(), 2);

    let err = call(&c, &WRITE).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: true, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("may have been sent"), "{err}");
    assert!(err.to_string().contains("broke off"), "{err}");
    assert_eq!(server.count(), 3, "CreateThing was sent once");
}

#[tokio::test]
async fn connection_refused_is_not_sent_and_is_retried_even_for_unsafe_operations() {
    let url = support::refused_url().await;
    let c = client(config(&url));
    let (result, logs) = support::with_logs(call(&c, &WRITE)).await;
    let err = result.unwrap_err();
    let Error::Transport { sent, message, .. } = &err else {
        panic!("expected a transport error, got {err:?}")
    };
    assert!(!sent);
    assert!(!err.may_have_been_sent());
    assert!(
        message.starts_with(&format!("could not connect to {url}")),
        "{message}"
    );
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    assert_eq!(logs.matches("sending attempt").count(), 3, "{logs}");
}

// ---- rate limiting

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiter_holds_100_calls_per_second_across_clones() {
    let server = Server::start(ok).await;
    let c = client(config(&server.url));
    let clones = [c.clone(), c.clone(), c];
    let start = Instant::now();
    let calls = (0..250).map(|i| {
        let c = clones[i % 3].clone();
        tokio::spawn(async move { call(&c, &READ).await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    let arrivals: Vec<Instant> = server.requests().iter().map(|r| r.arrived).collect();
    assert_eq!(arrivals.len(), 250);
    // A call cannot arrive before it starts, and the limiter starts at most
    // 100 in each second from `start`: these counts are exact bounds.
    let before = |s: u64| {
        arrivals
            .iter()
            .filter(|a| **a < start + Duration::from_secs(s))
            .count()
    };
    assert!(
        before(1) <= 100,
        "{} arrived in the first second",
        before(1)
    );
    assert!(
        before(2) <= 200,
        "{} arrived in the first two seconds",
        before(2)
    );
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// Counted, not timed. The runtime's clock is paused and held still: a blocking
/// task keeps it from auto-advancing while the calls wait for the loopback server.
/// On that clock no second ever passes, so a limited client gets exactly its 100
/// calls through, however long the machine takes, and an unlimited one all 120.
#[tokio::test(start_paused = true)]
async fn rate_limiter_can_be_turned_off() {
    use futures::StreamExt as _;

    let (release, held) = std::sync::mpsc::channel::<()>();
    let holder = tokio::task::spawn_blocking(move || {
        // Only turns a hang into a failure if calls wait for a second that never
        // comes (the clock then moves, which the assertions below catch).
        let _ = held.recv_timeout(Duration::from_secs(60));
    });
    let t0 = tokio::time::Instant::now();
    let limit = READ.qps_limit.unwrap() as usize;
    let spawn_calls = |c: &Client| {
        (0..120)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { call(&c, &READ).await })
            })
            .collect::<Vec<_>>()
    };

    // Control: with the limiter on, the first 100 calls finish and the other 20
    // wait for a second that does not pass, so the server sees exactly 100.
    let limited = Server::start(ok).await;
    let calls = spawn_calls(&client(config(&limited.url)));
    let aborts: Vec<_> = calls.iter().map(|h| h.abort_handle()).collect();
    let mut done = futures::stream::iter(calls).buffer_unordered(120);
    for _ in 0..limit {
        done.next().await.unwrap().unwrap().unwrap();
    }
    assert_eq!(tokio::time::Instant::now(), t0, "the clock moved");
    assert_eq!(limited.count(), limit);
    aborts.iter().for_each(|a| a.abort());
    drop(done);

    // Off: all 120 calls go through on the same clock that stood still.
    let unlimited = Server::start(ok).await;
    let calls = spawn_calls(&client(config(&unlimited.url).rate_limit(false)));
    let results = futures::future::join_all(calls).await;
    assert_eq!(
        tokio::time::Instant::now(),
        t0,
        "the clock moved: some call waited for the limiter"
    );
    for r in results {
        r.unwrap().unwrap();
    }
    let requests = unlimited.requests();
    assert_eq!(requests.len(), 120);
    assert!(requests.len() > limit);
    assert!(requests.iter().all(|r| r.rejected.is_none()));

    release.send(()).unwrap();
    holder.await.unwrap();
}

#[test]
fn client_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<Config>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
}

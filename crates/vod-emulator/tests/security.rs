//! The emulator's own defences: where it listens, that a request must be
//! signed before any work is done, that secrets are compared in constant time,
//! and the caps on what its source fetcher downloads. (Body size, jobs per
//! call and the clock, nonce and STS checks are in `e2e/auth.rs` and
//! `e2e/upload.rs`.)

#[path = "e2e/support.rs"]
#[allow(dead_code)]
mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aliyun_sign::{Credentials, HttpMethod, Timestamp};
use axum::body::Body;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use vod_emulator::{EmulatorArgs, EmulatorConfig, Limits};

use support::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: EmulatorArgs,
}

#[tokio::test]
async fn it_listens_on_loopback_unless_told_otherwise() {
    assert_eq!(
        EmulatorConfig::default().bind,
        SocketAddr::from(([127, 0, 0, 1], 0))
    );
    let args = Cli::try_parse_from(["vod-emulator"]).unwrap().args;
    let config = args.to_config().unwrap();
    assert!(config.bind.ip().is_loopback(), "{:?}", config.bind);
    let emu = emulator().await;
    assert!(emu.addr().ip().is_loopback(), "{:?}", emu.addr());
    // Told otherwise, it says so (not started here: tests stay on loopback).
    let args = Cli::try_parse_from(["vod-emulator", "--bind", "0.0.0.0", "--port", "8080"])
        .unwrap()
        .args;
    assert_eq!(
        args.to_config().unwrap().bind,
        SocketAddr::from(([0, 0, 0, 0], 8080))
    );
}

/// A source server that counts the requests it gets, with paths that misbehave:
/// `/chunked/N` streams N bytes without a length, `/slow` drips a byte every 100 ms for 5 s, `/redirect-file`
/// redirects to `file:///etc/passwd`, `/redirect-loop` to itself; anything else
/// answers 10 bytes.
struct Hostile {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Hostile {
    async fn start() -> Hostile {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let app = axum::Router::new().fallback(move |uri: Uri| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { hostile(uri) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Hostile { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn stream_of(n: usize, every: Duration) -> Body {
    let chunks = futures::stream::unfold(0usize, move |sent| async move {
        if sent >= n {
            return None;
        }
        if !every.is_zero() {
            tokio::time::sleep(every).await;
        }
        let size = (n - sent).min(if every.is_zero() { 4096 } else { 1 });
        Some((Ok::<_, std::io::Error>(vec![b'x'; size]), sent + size))
    });
    Body::from_stream(chunks)
}

fn hostile(uri: Uri) -> Response {
    let path = uri.path();
    let n = |p: &str| {
        p.rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    if path.starts_with("/chunked/") {
        stream_of(n(path), Duration::ZERO).into_response()
    } else if path == "/slow" {
        stream_of(50, Duration::from_millis(100)).into_response()
    } else if path == "/redirect-file" {
        (
            StatusCode::FOUND,
            [(header::LOCATION, "file:///etc/passwd")],
        )
            .into_response()
    } else if path == "/redirect-loop" {
        (StatusCode::FOUND, [(header::LOCATION, "/redirect-loop")]).into_response()
    } else {
        vec![b'x'; 10].into_response()
    }
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_uploads_are_refused_before_any_work() {
    let emu = emulator().await;
    let base = emu.base_url();
    let src = Hostile::start().await;
    let joined = encode_list(&[&src.url("/never-fetched.mp4")]);
    let upload = || call("UploadMediaByURL", &[("UploadURLs", joined.as_str())]);

    let unsigned = send_v1(
        &base,
        HttpMethod::Post,
        &format!("Action=UploadMediaByURL&Version=2017-03-21&Format=JSON&UploadURLs={joined}"),
    )
    .await;
    let no_signature = {
        let encoded = upload().v1_encoded();
        let cut = encoded.find("&Signature=").unwrap();
        send_v1(&base, HttpMethod::Post, &encoded[..cut]).await
    };
    let wrong_secret = upload()
        .creds(Credentials::new(
            vod_emulator::DEFAULT_ACCESS_KEY_ID,
            "not-the-secret",
        ))
        .v1(&base)
        .await;
    let short_signature = {
        let encoded = upload().v1_encoded();
        let cut = encoded.find("&Signature=").unwrap();
        send_v1(
            &base,
            HttpMethod::Post,
            &format!("{}&Signature=x", &encoded[..cut]),
        )
        .await
    };
    let tampered = send_v1(
        &base,
        HttpMethod::Post,
        &upload().v1_encoded().replace("never-fetched", "other-file"),
    )
    .await;
    let unknown_key = upload()
        .creds(Credentials::new("LTAI5tNobody", "x"))
        .v3(&base)
        .await;
    let wrong_v3 = upload()
        .creds(Credentials::new(
            vod_emulator::DEFAULT_ACCESS_KEY_ID,
            "not-the-secret",
        ))
        .v3(&base)
        .await;
    let expired = upload()
        .timestamp(Timestamp::from_datetime(
            time::OffsetDateTime::now_utc() - Duration::from_secs(3600),
        ))
        .v1(&base)
        .await;
    let replayed = {
        let encoded = upload().format(Some("JSON")).v1_encoded();
        let first = send_v1(&base, HttpMethod::Post, &encoded).await;
        assert_eq!(first.status, 200, "{}", first.text);
        send_v1(&base, HttpMethod::Post, &encoded).await
    };
    for (case, r, code) in [
        ("unsigned", unsigned, "MissingParameter"),
        ("no Signature", no_signature, "MissingParameter"),
        ("wrong secret", wrong_secret, "SignatureDoesNotMatch"),
        ("short signature", short_signature, "SignatureDoesNotMatch"),
        ("tampered", tampered, "SignatureDoesNotMatch"),
        ("unknown key", unknown_key, "InvalidAccessKeyId.NotFound"),
        ("wrong V3 secret", wrong_v3, "SignatureDoesNotMatch"),
        ("expired", expired, "InvalidTimeStamp.Expired"),
        ("replayed", replayed, "SignatureNonceUsed"),
    ] {
        assert_eq!(r.code(), code, "{case}: {}", r.text);
    }
    // Only the one properly signed upload did anything: one call, one job.
    let stats = emu.stats();
    assert_eq!(
        (stats.upload_media_by_url_calls, stats.jobs),
        (1, 1),
        "{stats:?}"
    );
    assert_eq!(stats.errors, 9, "{stats:?}");
    // The refused ones never reached the fetcher either (the accepted one may
    // have by now: at most one fetch).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(src.hits() <= 1, "{} fetches", src.hits());
}

/// Signature and token comparisons go through `subtle`'s constant-time
/// equality. Timing cannot be asserted reliably in a test, so this pins the
/// construction: the verifier's source must compare secrets only with `ct_eq`.
#[test]
fn secrets_are_compared_in_constant_time() {
    let source = include_str!("../src/auth.rs");
    assert!(source.contains("use subtle::ConstantTimeEq;"));
    assert!(source.contains("a.as_bytes().ct_eq(b.as_bytes()).into()"));
    for use_site in [
        "ct_eq(signed.signature(), given)",
        "ct_eq(&expected, &auth.signature.to_ascii_lowercase())",
        "ct_eq(want.expose(), got)",
    ] {
        assert!(source.contains(use_site), "{use_site} is gone");
    }
    for line in source.lines() {
        let code = line.trim();
        let compares = code.contains("==") || code.contains("!=");
        let secret = ["signature", "given", "expected", "expose()", "token"]
            .iter()
            .any(|s| code.contains(s));
        assert!(
            !(compares && secret) || code.starts_with("//"),
            "a secret compared with ==: {code}"
        );
    }
}

#[tokio::test]
async fn the_fetcher_refuses_other_schemes_and_caps_size_and_time() {
    let emu = start(
        EmulatorConfig::default()
            .with_step_delay(Duration::ZERO)
            .with_limits(Limits {
                max_download_bytes: 1000,
                download_timeout: Duration::from_millis(500),
                ..Limits::default()
            }),
    )
    .await;
    let base = emu.base_url();
    let src = Hostile::start().await;

    // Schemes other than http(s) are refused by the API, before any job.
    for bad in [
        "file:///etc/passwd",
        "ftp://127.0.0.1/a.mp4",
        "gopher://127.0.0.1:70/a",
        "data:video/mp4;base64,AAAA",
        "javascript:alert(1)",
    ] {
        let joined = encode_list(&[bad]);
        let r = call("UploadMediaByURL", &[("UploadURLs", &joined)])
            .v1(&base)
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "InvalidParameter.UploadURLs"),
            "{bad}: {}",
            r.text
        );
    }
    assert_eq!(emu.stats().jobs, 0);

    let urls = [
        src.url("/chunked/1001"),  // over the cap, no Content-Length
        src.url("/slow"),          // 5 s of dripping, 500 ms allowed
        src.url("/redirect-file"), // redirected to another scheme
        src.url("/redirect-loop"), // redirected forever
        src.url("/chunked/1000"),  // exactly the cap: fine
        src.url("/ok.mp4"),        // fine
    ];
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let ids = upload(&base, &refs, &[]).await;
    let started = std::time::Instant::now();
    let infos = wait_terminal(&base, &ids).await;
    let by_id = |id: &str| infos.iter().find(|i| i["JobId"] == id).unwrap().clone();
    let status = |i: usize| by_id(&ids[i])["Status"].as_str().unwrap().to_owned();
    let message = |i: usize| {
        by_id(&ids[i])["ErrorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status(0), "DOWNLOAD_FAIL", "{}", urls[0]);
    assert!(message(0).contains("limit of 1000 bytes"), "{}", message(0));
    assert_eq!(status(1), "DOWNLOAD_FAIL");
    assert!(
        message(1).contains("did not finish within 500 ms"),
        "{}",
        message(1)
    );
    for i in [2, 3] {
        assert_eq!(
            status(i),
            "DOWNLOAD_FAIL",
            "{}: {}",
            urls[i],
            by_id(&ids[i])
        );
    }
    assert_eq!(status(4), "SUCCESS");
    assert_eq!(by_id(&ids[4])["FileSize"], "1000");
    assert_eq!(status(5), "SUCCESS");
    // The slow source was cut at its time cap, not read to the end.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

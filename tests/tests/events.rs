//! The emulator's event notifications, end to end: an upload job that ends is
//! announced to the callback URL with a signature the SDK's verifier accepts,
//! with the job's own callback URL and Extend from its UserData, and a
//! callback that is refused is sent again (twice) before the emulator gives up.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aliyun_vod::callback::{verify, CallbackKey};
use aliyun_vod::events::{parse, Event};
use aliyun_vod::upload_media_by_url::{MessageCallback, UploadUserData};
use aliyun_vod::{Client, Config, Credentials};
use axum::http::{HeaderMap, StatusCode};
use vod_emulator::{Emulator, EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET};

type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A server that records every callback and answers the statuses of `answers`
/// in turn (200 once they run out); also serves any file for the jobs.
async fn server(answers: Vec<u16>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let answers = Arc::new(Mutex::new(answers));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let record = Arc::clone(&seen);
    let app = axum::Router::new()
        .route(
            "/events",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let record = Arc::clone(&record);
                let answers = Arc::clone(&answers);
                async move {
                    record.lock().unwrap().push((headers, body.to_vec()));
                    let mut a = answers.lock().unwrap();
                    let status = if a.is_empty() { 200 } else { a.remove(0) };
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        )
        .fallback(|| async { vec![7u8; 2048] });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn client(base: String) -> Client {
    Client::new(Config::new().endpoint(base).credentials(Credentials::new(
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
    )))
    .unwrap()
}

async fn wait_for(seen: &Seen, n: usize) -> Vec<(HeaderMap, Vec<u8>)> {
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    seen.lock().unwrap().clone()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_uploads_are_announced_signed_and_retried() {
    let (base, seen) = server(vec![500, 500]).await;
    let callback = format!("{base}/events");
    let key = CallbackKey::new("callback-key");
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_step_delay(Duration::from_millis(10))
            .with_callback(callback.clone(), "callback-key"),
    )
    .await
    .unwrap();
    let client = client(emu.base_url());
    client
        .upload_media_by_url()
        .upload_urls([format!("{base}/a.mp4")])
        .user_data(UploadUserData {
            extend: Some(serde_json::json!({"order": 7})),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    // Two refusals of the first event, then it and the other two accepted.
    let got = wait_for(&seen, 5).await;
    assert_eq!(got.len(), 5, "{got:?}");
    let mut types = Vec::new();
    for (headers, body) in &got {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        verify(
            &callback,
            h("x-vod-timestamp"),
            h("x-vod-signature"),
            &[&key],
            now(),
            60,
        )
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
        let received = parse(body).unwrap();
        assert_eq!(received.raw["Extend"], r#"{"order":7}"#);
        types.push(received.raw["EventType"].as_str().unwrap().to_owned());
        if let Event::FileUploadComplete(e) = &received.event {
            assert!(e.common.succeeded());
            assert_eq!(e.size, Some(2048));
        }
    }
    assert_eq!(
        types,
        [
            "UploadByURLComplete",
            "UploadByURLComplete",
            "UploadByURLComplete",
            "FileUploadComplete",
            "TranscodeComplete"
        ]
    );
    // Signed with another key, they would not verify.
    let (headers, _) = &got[3];
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    assert!(verify(
        &callback,
        h("x-vod-timestamp"),
        h("x-vod-signature"),
        &[&CallbackKey::new("x")],
        now(),
        60
    )
    .is_err());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_names_its_own_callback_url_in_user_data() {
    let (configured, configured_seen) = server(vec![]).await;
    let (own, own_seen) = server(vec![]).await;
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_step_delay(Duration::from_millis(10))
            .with_callback(format!("{configured}/events"), "k"),
    )
    .await
    .unwrap();
    let user_data = UploadUserData {
        message_callback: Some(MessageCallback {
            callback_url: Some(format!("{own}/events")),
            ..Default::default()
        }),
        ..Default::default()
    };
    client(emu.base_url())
        .upload_media_by_url()
        .upload_urls([format!("{own}/b.mp4")])
        .user_data(user_data)
        .send()
        .await
        .unwrap();
    assert_eq!(wait_for(&own_seen, 3).await.len(), 3);
    assert!(configured_seen.lock().unwrap().is_empty());
    emu.shutdown().await;
}

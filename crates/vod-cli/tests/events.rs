//! `vod events listen` over real HTTP on loopback: a signed callback is
//! answered 200 and printed as a line of JSON; a tampered one is answered 401
//! and not printed; and the emulator's own events, sent when an upload job
//! ends, are verified and printed.

use std::process::Stdio;
use std::time::Duration;

use aliyun_vod::callback::{sign, CallbackKey};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// POSTs `body` with the callback headers; answers the status code.
async fn post(addr: &str, ts: &str, signature: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /events HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         X-VOD-TIMESTAMP: {ts}\r\nX-VOD-SIGNATURE: {signature}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_events_are_printed_and_others_refused() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vod"))
        .args([
            "events",
            "listen",
            "--port",
            "0",
            "--url",
            "https://example.com/events",
        ])
        .env("VOD_CALLBACK_KEY", "callback-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let key = CallbackKey::new("callback-key");
    let body = r#"{"EventType":"FileUploadComplete","VideoId":"v1","Status":"success"}"#;
    let good = sign("https://example.com/events", &now, &key);
    // Tampered: another key, another URL.
    let other = sign(
        "https://example.com/events",
        &now,
        &CallbackKey::new("guess"),
    );
    assert_eq!(post(&addr, &now, &other, body).await, 401);
    let wrong_url = sign("https://example.com/other", &now, &key);
    assert_eq!(post(&addr, &now, &wrong_url, body).await, 401);
    assert_eq!(post(&addr, &now, &good, "not json").await, 400);
    assert_eq!(post(&addr, &now, &good, body).await, 200);

    let printed = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(event["VideoId"], "v1");
    assert!(!printed.contains("callback-key"));
    child.kill().await.ok();
}

/// Starts `vod events listen` with `key`; its address and stdout lines.
async fn listen(
    key: &str,
) -> (
    tokio::process::Child,
    String,
    tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vod"))
        .args(["events", "listen", "--port", "0"])
        .env("VOD_CALLBACK_KEY", key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    (child, addr, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulators_events_are_verified_and_printed() {
    use vod_emulator::{
        Emulator, EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
    };
    let (mut child, addr, mut lines) = listen("shared-key").await;
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_step_delay(Duration::from_millis(10))
            .with_callback(format!("http://{addr}/"), "shared-key"),
    )
    .await
    .unwrap();
    // The job's source: the listener itself does not serve files, so the job
    // fails to download, which the service announces too.
    let client = aliyun_vod::Client::new(
        aliyun_vod::Config::new()
            .endpoint(emu.base_url())
            .credentials(aliyun_vod::Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            )),
    )
    .unwrap();
    client
        .upload_media_by_url()
        .upload_urls([format!("http://{addr}/missing.mp4")])
        .send()
        .await
        .unwrap();
    let printed = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(event["EventType"], "UploadByURLComplete", "{printed}");
    assert_eq!(event["Status"], "fail", "{printed}");
    emu.shutdown().await;
    child.kill().await.ok();
}

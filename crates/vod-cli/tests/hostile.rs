//! The `vod` binary against a hostile server (127.0.0.1, ephemeral port) that
//! puts terminal control sequences in every string it answers: in a success
//! body printed as a table or as JSON, and in an error's code and message.
//! None may reach the terminal raw: a server must not be able to clear the
//! screen, retitle the window or hide text behind colours.

use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use tokio::process::Command;

const VOD: &str = env!("CARGO_BIN_EXE_vod");

/// Set-title (OSC), clear-screen and colour (CSI, 7-bit and 8-bit), bell,
/// carriage return, backspace and DEL.
const EVIL: &str = "ok\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[8mhidden\u{9b}31m\r\u{8}\u{7f}";

fn is_raw_control(c: char) -> bool {
    c.is_control() && c != '\n'
}

async fn hostile_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|body: String| async move {
        let info = json!({
            "JobId": EVIL, "Status": EVIL, "UploadURL": EVIL, "ErrorCode": EVIL,
            "ErrorMessage": EVIL, "UserData": EVIL, "CreationTime": EVIL,
        });
        if body.contains("JobIds=fail") {
            let error = json!({
                "RequestId": EVIL, "HostId": EVIL, "Code": EVIL,
                "Message": EVIL, "Recommend": EVIL,
            });
            (StatusCode::BAD_REQUEST, error.to_string()).into_response()
        } else {
            let ok = json!({
                "RequestId": EVIL,
                "NonExists": [EVIL],
                "URLUploadInfoList": [info],
            });
            ok.to_string().into_response()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn vod(endpoint: &str, args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let child = Command::new(VOD)
        .arg("--endpoint")
        .arg(endpoint)
        .args(args)
        .env_clear()
        // Never the real instance metadata service (tests stay on this machine).
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tHostileTest")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "hostile-test-secret")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("vod finished")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_sequences_from_a_server_never_reach_the_terminal() {
    let server = hostile_server().await;
    for output in ["table", "json"] {
        let (code, stdout, stderr) = vod(
            &server,
            &["--output", output, "get-url-upload-infos", "--job-ids", "a"],
        )
        .await;
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            stdout.contains("hidden"),
            "the text itself is kept: {stdout:?}"
        );
        assert!(
            !stdout.chars().chain(stderr.chars()).any(is_raw_control),
            "--output {output}: {stdout:?} {stderr:?}"
        );
    }
    let (code, stdout, stderr) = vod(&server, &["get-url-upload-infos", "--job-ids", "fail"]).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("Message:") && stderr.contains("hidden"),
        "{stderr:?}"
    );
    assert!(
        !stdout.chars().chain(stderr.chars()).any(is_raw_control),
        "{stdout:?} {stderr:?}"
    );
}

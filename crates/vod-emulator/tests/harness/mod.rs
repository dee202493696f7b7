//! Shared by the load and crash tests: the `vod-emulator` binary as a child
//! process, a source server, and signed API calls over plain reqwest.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aliyun_sign::{rpc, Credentials, HttpMethod, Nonce, Timestamp};
use serde_json::Value;

/// The standalone emulator, killed with SIGKILL when dropped.
pub struct Binary {
    child: Child,
    /// `http://127.0.0.1:PORT`, read from its first stdout line.
    pub base: String,
}

impl Binary {
    pub fn start(args: &[&str]) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vod-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the emulator binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let base = line.trim_end().to_owned();
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "binds loopback by default; first line {line:?}"
        );
        Binary { child, base }
    }

    /// Resident memory in KiB, from `/proc` (Linux only).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// SIGKILL, then reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file server on 127.0.0.1: any path answers 64 bytes. Returns its base URL.
pub async fn sources() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async { vec![b'v'; 64] });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// An HTTP client for one simulated caller (its own connection pool).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// What an API call came back with.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or_default()
    }
}

/// One RPC V1 call (POST form body, JSON), signed with the emulator's default key.
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Answer, String> {
    let creds = Credentials::new(
        vod_emulator::DEFAULT_ACCESS_KEY_ID,
        vod_emulator::DEFAULT_ACCESS_KEY_SECRET,
    );
    let body = rpc::sign(
        &creds,
        &rpc::RpcRequest {
            method: HttpMethod::Post,
            action,
            version: "2017-03-21",
            format: "JSON",
            timestamp: &Timestamp::now(),
            nonce: &Nonce::random(),
        },
        params,
    )
    .into_encoded();
    let response = http
        .post(format!("{base}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{action}: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| format!("{action}: {e}"))?;
    let body = serde_json::from_str(&text).map_err(|e| format!("{action}: {e}: {text}"))?;
    Ok(Answer { status, body })
}

/// Uploads one URL; the JobId when the emulator acknowledged it.
pub async fn upload(http: &reqwest::Client, base: &str, url: &str) -> Result<Answer, String> {
    let encoded = aliyun_sign::percent_encode(url);
    call(http, base, "UploadMediaByURL", &[("UploadURLs", &encoded)]).await
}

/// The `JobId` of the first job of an UploadMediaByURL answer.
pub fn job_id(answer: &Answer) -> Option<String> {
    answer.body["UploadJobs"][0]["JobId"]
        .as_str()
        .map(str::to_owned)
}

/// Looks up job IDs (any number, 10 per call); returns `(JobId, UploadURL)`
/// of every job found and the IDs reported as not existing.
pub async fn lookup(
    http: &reqwest::Client,
    base: &str,
    ids: &[String],
) -> (Vec<(String, String)>, Vec<String>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for chunk in ids.chunks(10) {
        let joined = chunk.join(",");
        let a = call(http, base, "GetURLUploadInfos", &[("JobIds", &joined)])
            .await
            .expect("lookup answered");
        assert_eq!(a.status, 200, "{}", a.body);
        for info in a.body["URLUploadInfoList"].as_array().unwrap() {
            found.push((
                info["JobId"].as_str().unwrap().to_owned(),
                info["UploadURL"].as_str().unwrap().to_owned(),
            ));
        }
        for id in a.body["NonExists"].as_array().unwrap() {
            missing.push(id.as_str().unwrap().to_owned());
        }
    }
    (found, missing)
}

/// `GET /__emulator/stats`.
pub async fn stats(base: &str) -> vod_emulator::Stats {
    let text = http()
        .get(format!("{base}/__emulator/stats"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `POST /__emulator/faults`.
pub async fn set_faults(base: &str, json: &str) {
    let r = http()
        .post(format!("{base}/__emulator/faults"))
        .body(json.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

//! The built `vod` binary against an emulator started in this test process
//! (or by `vod emulator`), with source files served by a small axum server.
//! Everything listens on 127.0.0.1, ephemeral ports; every wait is bounded.
//!
//! These live in the vod-cli package because only there does Cargo build the
//! binary first and hand its path over as `CARGO_BIN_EXE_vod`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use vod_emulator::{
    Emulator, EmulatorConfig, Faults, IdentityConfig, RunningEmulator, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
};

/// `s` percent-encoded, RFC 3986 unreserved characters kept (as signing does).
fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const VOD: &str = env!("CARGO_BIN_EXE_vod");
const FILE_BYTES: usize = 64 * 1024;
/// Longest any single `vod` run may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Serves `FILE_BYTES` bytes at any path, except 404 for paths containing
/// `missing`. Returns the base URL.
async fn file_server() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
        if uri.path().contains("missing") {
            (axum::http::StatusCode::NOT_FOUND, Vec::new())
        } else {
            (axum::http::StatusCode::OK, vec![7u8; FILE_BYTES])
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.all()))
    }

    fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{}", self.all());
        self
    }
}

/// A test's world: an emulator, a file server, an empty home directory.
struct World {
    emulator: RunningEmulator,
    files: String,
    home: tempfile::TempDir,
}

impl World {
    /// Jobs take a few tens of milliseconds.
    async fn new() -> Self {
        Self::with(EmulatorConfig::default().with_step_delay(Duration::from_millis(10))).await
    }

    async fn with(config: EmulatorConfig) -> Self {
        let emulator = Emulator::start(config).await.unwrap();
        World {
            emulator,
            files: file_server().await,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn endpoint(&self) -> String {
        self.emulator.base_url()
    }

    /// Runs `vod ARGS` with the emulator's default key and endpoint.
    async fn vod(&self, args: &[&str]) -> Out {
        self.vod_env(
            args,
            &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET),
            ],
        )
        .await
    }

    /// `vod ARGS` to spawn, with the emulator's default key and endpoint in
    /// a clean environment (as [`World::vod`] runs it).
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(VOD);
        cmd.args(args)
            .env_clear()
            // Never the real instance metadata service (tests stay on this machine).
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("HOME", self.home.path())
            .env("VOD_ENDPOINT", self.endpoint())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET)
            .kill_on_drop(true);
        cmd
    }

    /// Runs `vod ARGS` in a clean environment: only `env`, the endpoint and
    /// an empty HOME (so no real profile can be read).
    async fn vod_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let endpoint = self.endpoint();
        let mut all = vec![("VOD_ENDPOINT", endpoint.as_str())];
        all.extend_from_slice(env);
        run_vod(args, &all, self.home.path()).await
    }

    /// Uploads `urls` (one flag each) and returns the job IDs in order.
    async fn upload(&self, urls: &[String]) -> Vec<String> {
        let mut args = vec!["upload-media-by-url"];
        for u in urls {
            args.extend(["--upload-urls", u]);
        }
        let out = self.vod(&args).await.ok().json();
        let jobs = out["UploadJobs"].as_array().expect("UploadJobs");
        urls.iter()
            .map(|u| {
                let job = jobs
                    .iter()
                    .find(|j| j["SourceURL"] == *u.as_str())
                    .unwrap_or_else(|| panic!("no job for {u} in {out}"));
                job["JobId"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

async fn run_vod(args: &[&str], env: &[(&str, &str)], home: &Path) -> Out {
    let child = Command::new(VOD)
        .args(args)
        .env_clear()
        // Never the real instance metadata service (tests stay on this machine).
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .env("HOME", home)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(RUN_LIMIT, child)
        .await
        .unwrap_or_else(|_| panic!("vod {args:?} ran longer than {RUN_LIMIT:?}"))
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn infos(v: &Value) -> &Vec<Value> {
    v["URLUploadInfoList"]
        .as_array()
        .unwrap_or_else(|| panic!("no URLUploadInfoList in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_wait_and_query_by_ids_and_by_awkward_urls() {
    let w = World::new().await;
    let urls: Vec<String> = [
        "/dir/my video.mp4",
        "/a,b.mp4",
        "/q.mp4?x=1&y=a+b",
        "/vidéo 测试.mp4",
    ]
    .iter()
    .map(|p| format!("{}{p}", w.files))
    .collect();
    let ids = w.upload(&urls).await;

    let waited = w
        .vod(&["wait", "--job-ids", &ids.join(","), "--interval", "0.05"])
        .await
        .ok();
    assert!(waited.stderr.contains("waiting: "), "{}", waited.all());
    let list = infos(&waited.json()).clone();
    assert_eq!(list.len(), urls.len(), "{}", waited.all());
    for info in &list {
        assert_eq!(info["Status"], "SUCCESS", "{info}");
        assert_eq!(info["FileSize"], FILE_BYTES as u64, "{info}");
        assert!(info["MediaId"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // By URL: one flag per URL, so the comma stays inside its item.
    let mut args = vec!["get-url-upload-infos"];
    for u in &urls {
        args.extend(["--upload-urls", u.as_str()]);
    }
    let by_url = w.vod(&args).await.ok().json();
    assert!(
        by_url
            .get("NonExists")
            .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)),
        "{by_url}"
    );
    for (url, id) in urls.iter().zip(&ids) {
        let found = infos(&by_url)
            .iter()
            .find(|i| i["UploadURL"] == *url.as_str())
            .unwrap_or_else(|| panic!("{url} not found in {by_url}"));
        assert_eq!(found["JobId"], *id.as_str());
    }

    // The same result as a table, one SUCCESS row per job.
    let table = w
        .vod(&[
            "get-url-upload-infos",
            "--job-ids",
            &ids.join(","),
            "--output",
            "table",
        ])
        .await
        .ok();
    let header = table
        .stdout
        .lines()
        .find(|l| l.starts_with("JobId"))
        .unwrap_or_else(|| panic!("{}", table.all()));
    for col in ["Status", "FileSize", "MediaId", "UploadURL"] {
        assert!(header.contains(col), "{header}");
    }
    assert_eq!(table.stdout.matches("SUCCESS").count(), ids.len());
    assert!(table.stdout.contains("测试"), "{}", table.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_url_upload_infos_wait_flag_polls_too() {
    let w = World::new().await;
    let ids = w.upload(&[format!("{}/w.mp4", w.files)]).await;
    let out = w
        .vod(&[
            "get-url-upload-infos",
            "--JobIds",
            &ids[0],
            "--wait",
            "--interval",
            "0.05",
        ])
        .await
        .ok();
    assert_eq!(infos(&out.json())[0]["Status"], "SUCCESS");
    // A failed download ends the wait with exit code 5.
    let ids = w.upload(&[format!("{}/missing.mp4", w.files)]).await;
    let out = w
        .vod(&[
            "get-url-upload-infos",
            "--job-ids",
            &ids[0],
            "--wait",
            "--interval",
            "0.05",
        ])
        .await;
    assert_eq!(out.code, 5, "{}", out.all());
    assert_eq!(infos(&out.json())[0]["Status"], "DOWNLOAD_FAIL");
    assert!(out.stderr.contains("DOWNLOAD_FAIL"), "{}", out.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_media_by_url_wait_waits_for_the_jobs_it_created() {
    let w = World::new().await;
    let urls = [format!("{}/a.mp4", w.files), format!("{}/b.mp4", w.files)];
    let out = w
        .vod(&[
            "upload-media-by-url",
            "--upload-urls",
            &urls[0],
            "--upload-urls",
            &urls[1],
            "--wait",
            "--interval",
            "0.05",
        ])
        .await
        .ok();
    // What it prints is the created jobs' final state, as the polling
    // operation reports it: both finished, both the jobs just created.
    let jobs = infos(&out.json()).clone();
    assert_eq!(jobs.len(), 2, "{}", out.all());
    for url in &urls {
        let job = jobs
            .iter()
            .find(|j| j["UploadURL"] == percent(url) || j["UploadURL"] == *url.as_str())
            .unwrap_or_else(|| panic!("no job for {url}: {}", out.all()));
        assert_eq!(job["Status"], "SUCCESS", "{}", out.all());
    }
    assert_eq!(
        w.emulator.stats().jobs,
        2,
        "exactly the two jobs were created"
    );
    // Without a wait declared in its spec, a command has no --wait flag.
    let out = w
        .vod(&["cancel-url-upload-jobs", "--job-ids", "x", "--wait"])
        .await;
    assert_eq!(out.code, 2, "{}", out.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_operation_runs_against_the_emulator_and_paged_ones_take_all_pages() {
    let w = World::new().await;
    // An operation the emulator answers from its shape.
    let info = w
        .vod(&["get-mezzanine-info", "--video-id", "v1"])
        .await
        .ok()
        .json();
    assert!(info["Mezzanine"].is_object(), "{info}");
    // --all-pages: the emulator's answer is one page (Total 1).
    let all = w
        .vod(&["get-video-list", "--page-size", "10", "--all-pages"])
        .await
        .ok()
        .json();
    assert_eq!(
        all["VideoList"]["Video"].as_array().map(Vec::len),
        Some(1),
        "{all}"
    );
    // Flags arrive as text; a start past page 1 is taken (the emulator's
    // page 2 is empty, so nothing is listed).
    let later = w
        .vod(&[
            "get-video-list",
            "--page-no",
            "2",
            "--page-size",
            "10",
            "--all-pages",
        ])
        .await
        .ok()
        .json();
    assert!(
        later.get("VideoList").is_none_or(|v| v["Video"].is_null()),
        "{later}"
    );
    // Credentials in an answer are never printed (UploadAuth).
    let created = w
        .vod(&[
            "create-upload-video",
            "--title",
            "t",
            "--file-name",
            "a.mp4",
        ])
        .await
        .ok();
    assert!(
        created.stdout.contains("** redacted **"),
        "{}",
        created.all()
    );
    let issued = w.emulator.issued_credentials();
    assert_eq!(issued.len(), 1);
    for secret in [
        issued[0].access_key_secret().expose(),
        issued[0].security_token().unwrap().expose(),
    ] {
        assert!(!created.all().contains(secret), "{}", created.all());
    }
    assert!(
        created.json()["UploadAddress"].is_string(),
        "{}",
        created.all()
    );
    // Only operations that page have the flag.
    let out = w
        .vod(&["get-mezzanine-info", "--video-id", "v1", "--all-pages"])
        .await;
    assert_eq!(out.code, 2, "{}", out.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_skeleton_prints_every_parameter_typed_without_credentials() {
    let home = tempfile::tempdir().unwrap();
    let out = run_vod(
        &["upload-media-by-url", "--generate-skeleton"],
        &[],
        home.path(),
    )
    .await
    .ok();
    let v = out.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "AppId",
            "SessionId",
            "StorageLocation",
            "TemplateGroupId",
            "UploadMetadatas",
            "UploadURLs",
            "UserData",
            "WorkflowId"
        ]
    );
    // Lists are arrays (the spec's example), JSON parameters their structure,
    // with numbers as numbers.
    assert_eq!(
        v["UploadURLs"],
        serde_json::json!(["https://example.com/video.mp4"])
    );
    // Optional parameters the spec gives no example for are null (unset), so a
    // skeleton sent back as it is sends none of them.
    assert_eq!(v["UploadMetadatas"], Value::Null);
    assert_eq!(v["AppId"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_json_from_text_file_or_stdin_and_flags_win() {
    let w = World::new().await;
    let ids = w.upload(&[format!("{}/j.mp4", w.files)]).await;
    // Text, with a flag overriding its key: the flag's job is the one asked.
    let out = w
        .vod(&[
            "get-url-upload-infos",
            "--input-json",
            r#"{"JobIds": ["nope"]}"#,
            "--job-ids",
            &ids[0],
        ])
        .await
        .ok();
    assert_eq!(infos(&out.json())[0]["JobId"], *ids[0].as_str());
    // A file.
    let file = w.home.path().join("input.json");
    std::fs::write(&file, format!(r#"{{"JobIds": ["{}"]}}"#, ids[0])).unwrap();
    let arg = format!("@{}", file.display());
    let out = w
        .vod(&["get-url-upload-infos", "--input-json", &arg])
        .await
        .ok();
    assert_eq!(infos(&out.json())[0]["JobId"], *ids[0].as_str());
    // Standard input.
    let mut child = w
        .command(&["get-url-upload-infos", "--input-json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!(r#"{{"JobIds": ["{}"]}}"#, ids[0]).as_bytes())
            .await
            .unwrap();
    }
    let done = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let v: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(infos(&v)[0]["JobId"], *ids[0].as_str());
    // A name the operation does not have is a usage error naming it; nothing is sent.
    let before = w.emulator.stats().requests;
    let out = w
        .vod(&[
            "get-url-upload-infos",
            "--input-json",
            r#"{"JobID": ["x"]}"#,
        ])
        .await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("JobID"), "{}", out.all());
    // The same with --wait, which lifts only the per-call item limit.
    let out = w
        .vod(&[
            "get-url-upload-infos",
            "--input-json",
            r#"{"JobIds": ["a"], "Typo": 1}"#,
            "--wait",
        ])
        .await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("Typo"), "{}", out.all());
    assert_eq!(w.emulator.stats().requests, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_takes_more_than_ten_jobs_where_the_plain_command_refuses() {
    let w = World::new().await;
    let urls: Vec<String> = (0..12)
        .map(|i| format!("{}/many/{i}.mp4", w.files))
        .collect();
    let ids = w.upload(&urls).await;
    let all = format!("{},0000unknown", ids.join(","));

    let refused = w.vod(&["get-url-upload-infos", "--job-ids", &all]).await;
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains("at most 10 items, got 13"),
        "{}",
        refused.all()
    );

    let out = w
        .vod(&[
            "wait",
            "--job-ids",
            &all,
            "--interval",
            "0.05",
            "--max-interval",
            "0.1",
        ])
        .await;
    // Every real job succeeded; the unknown one makes the wait fail with 5.
    assert_eq!(out.code, 5, "{}", out.all());
    let v = out.json();
    let list = infos(&v);
    assert_eq!(list.len(), 12, "{v}");
    for (info, id) in list.iter().zip(&ids) {
        assert_eq!(info["JobId"], *id.as_str(), "input order is kept");
        assert_eq!(info["Status"], "SUCCESS");
    }
    assert_eq!(v["NonExists"], serde_json::json!(["0000unknown"]));
    assert_eq!(
        v["RequestId"].as_str().unwrap().split(',').count(),
        2,
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_that_runs_out_prints_the_last_state_and_exits_3() {
    // Each job step takes a minute: nothing finishes during the test.
    let w = World::with(EmulatorConfig::default().with_step_delay(Duration::from_secs(60))).await;
    let ids = w.upload(&[format!("{}/slow.mp4", w.files)]).await;
    let started = std::time::Instant::now();
    let out = w
        .vod(&[
            "wait",
            "--job-ids",
            &ids[0],
            "--interval",
            "0.1",
            "--max-wait",
            "0.5",
        ])
        .await;
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(infos(&out.json())[0]["Status"], "PENDING", "{}", out.all());
    assert!(out.stderr.contains("raise --max-wait"), "{}", out.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_formats_signatures_and_methods_print_the_same() {
    let w = World::new().await;
    let ids = w.upload(&[format!("{}/same.mp4", w.files)]).await;
    w.vod(&["wait", "--job-ids", &ids[0], "--interval", "0.05"])
        .await
        .ok();
    let query = format!("{},0000nonexistent", ids[0]);
    let mut seen: Vec<(String, Value)> = Vec::new();
    for format in ["json", "xml"] {
        for signature in ["v1", "v3"] {
            for method in ["get", "post"] {
                let out = w
                    .vod(&[
                        "get-url-upload-infos",
                        "--job-ids",
                        &query,
                        "--format",
                        format,
                        "--signature",
                        signature,
                        "--method",
                        method,
                    ])
                    .await
                    .ok();
                let mut v = out.json();
                assert!(v["RequestId"].as_str().is_some_and(|r| !r.is_empty()));
                v.as_object_mut().unwrap().remove("RequestId");
                seen.push((format!("{format}/{signature}/{method}"), v));
            }
        }
    }
    let (first_name, first) = &seen[0];
    assert_eq!(first["NonExists"], serde_json::json!(["0000nonexistent"]));
    for (name, v) in &seen[1..] {
        assert_eq!(v, first, "{name} differs from {first_name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_reported_with_code_request_id_and_hint() {
    let w = World::new().await;
    let wrong = "definitely-the-wrong-secret";
    for signature in ["v1", "v3"] {
        let out = w
            .vod_env(
                &[
                    "get-url-upload-infos",
                    "--job-ids",
                    "x",
                    "--signature",
                    signature,
                ],
                &[
                    ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
                    ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", wrong),
                ],
            )
            .await;
        assert_eq!(out.code, 1, "{}", out.all());
        for part in ["SignatureDoesNotMatch", "RequestId:", "secret is wrong"] {
            assert!(out.stderr.contains(part), "{part:?} missing: {}", out.all());
        }
        assert!(!out.stderr.contains(wrong) && !out.stdout.contains(wrong));
        assert!(out.stdout.is_empty(), "{}", out.all());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_listed_and_fail_a_wait() {
    let w = World::new().await;
    let out = w
        .vod(&["get-url-upload-infos", "--JobIds", "0123456789abcdef"])
        .await
        .ok();
    assert_eq!(
        out.json()["NonExists"],
        serde_json::json!(["0123456789abcdef"])
    );
    let out = w
        .vod(&[
            "wait",
            "--job-ids",
            "0123456789abcdef",
            "--interval",
            "0.05",
        ])
        .await;
    assert_eq!(out.code, 5, "{}", out.all());
    assert!(
        out.stderr.contains("not found: 0123456789abcdef"),
        "{}",
        out.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_fails_before_anything_is_sent() {
    let w = World::new().await;
    let eleven: Vec<String> = (0..11).map(|i| format!("job{i}")).collect();
    let cases: Vec<(Vec<String>, &[&str])> = vec![
        (
            vec![
                "get-url-upload-infos".into(),
                "--job-ids".into(),
                eleven.join(","),
            ],
            &["JobIds", "at most 10 items, got 11", "--job-ids"],
        ),
        (
            vec!["wait".into(), "--job-ids".into(), "a,,b".into()],
            &["JobIds", "item 1 is empty or blank"],
        ),
        (
            vec!["get-url-upload-infos".into()],
            &["at least one of JobIds, UploadURLs"],
        ),
        (
            vec![
                "upload-media-by-url".into(),
                "--upload-urls".into(),
                "not a url".into(),
            ],
            &["UploadURLs", "not an absolute http(s) URL"],
        ),
        (
            vec![
                "upload-media-by-url".into(),
                "--upload-urls".into(),
                "http://h/a.mp4".into(),
                "--upload-metadatas".into(),
                "{oops".into(),
            ],
            &["UploadMetadatas", "JSON"],
        ),
        (
            vec!["get-url-upload-infos".into(), "--no-such-flag".into()],
            &["--no-such-flag"],
        ),
    ];
    for (args, parts) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = w.vod(&args).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        for p in parts {
            assert!(
                out.stderr.contains(p),
                "{args:?}: {p:?} missing: {}",
                out.all()
            );
        }
    }
    // Without VOD_ENDPOINT, an unknown region is a usage error too.
    let args = [
        "--region",
        "mars-1",
        "get-url-upload-infos",
        "--job-ids",
        "a",
    ];
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET),
    ];
    let out = run_vod(&args, &env, w.home.path()).await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("unknown region"), "{}", out.all());
    assert_eq!(w.emulator.stats().requests, 0, "something was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_timeout_and_credential_failures_have_their_exit_codes() {
    let w = World::new().await;
    // Nothing listens on a port we just closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = w
        .vod(&[
            "--endpoint",
            &closed,
            "get-url-upload-infos",
            "--job-ids",
            "a",
        ])
        .await;
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(out.stderr.contains("nothing was sent"), "{}", out.all());
    // A wait fails as fast: its first query is not polled again.
    let out = w
        .vod(&["--endpoint", &closed, "wait", "--job-ids", "a"])
        .await;
    assert_eq!(out.code, 3, "{}", out.all());

    w.emulator
        .set_faults(Faults {
            latency_ms: 3_000,
            ..Faults::default()
        })
        .unwrap();
    let started = std::time::Instant::now();
    let out = w
        .vod(&["--timeout", "0.2", "get-url-upload-infos", "--job-ids", "a"])
        .await;
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(out.stderr.contains("timed out"), "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(10));
    w.emulator.set_faults(Faults::default()).unwrap();

    let out = w
        .vod_env(&["get-url-upload-infos", "--job-ids", "a"], &[])
        .await;
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(out.stderr.contains("no credentials found"), "{}", out.all());
    let out = w
        .vod_env(
            &[
                "--profile",
                "nosuch",
                "get-url-upload-infos",
                "--job-ids",
                "a",
            ],
            &[],
        )
        .await;
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(out.stderr.contains("nosuch"), "{}", out.all());

    let help = run_vod(&["--help"], &[], w.home.path()).await.ok();
    assert!(help.stdout.contains("Exit codes:"), "{}", help.all());
    for cmd in [
        "get-url-upload-infos",
        "upload-media-by-url",
        "wait",
        "demo",
        "emulator",
    ] {
        assert!(help.stdout.contains(cmd), "{cmd} missing: {}", help.all());
    }
}

/// A secret and an STS token with characters that percent-encoding changes.
const SECRET: &str = "Kn0wn/Secret+Value=Zz9";
const TOKEN: &str = "CAIS/Kn0wnSts+Token==Yy8";

fn assert_no_secret(text: &str) {
    for s in [SECRET, TOKEN] {
        for form in [s.to_owned(), percent(s), percent(&percent(s))] {
            assert!(!text.contains(&form), "{form:?} leaked in:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_signed_request_without_secret_or_token() {
    let w = World::new().await;
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.KnownKeyId"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
    ];
    let url = format!("{}/dry.mp4", w.files);
    for signature in ["v1", "v3"] {
        for method in ["get", "post"] {
            for cmd in [
                vec!["get-url-upload-infos", "--job-ids", "a,b"],
                vec!["upload-media-by-url", "--upload-urls", &url],
                vec!["wait", "--job-ids", "a"],
                // A secret parameter (the callback key), with characters
                // that are encoded once in the body and twice when signed.
                vec![
                    "set-message-callback",
                    "--callback-type",
                    "HTTP",
                    "--auth-key",
                    "cb key/with+signs=",
                ],
            ] {
                let mut args = vec!["--dry-run", "--signature", signature, "--method", method];
                args.extend(cmd);
                let out = w.vod_env(&args, &env).await.ok();
                let text = out.all();
                assert_no_secret(&text);
                for form in [
                    "cb key/with+signs=",
                    "cb%20key%2Fwith%2Bsigns%3D",
                    "cb%2520key",
                ] {
                    assert!(!text.contains(form), "{form} in {text}");
                }
                assert!(text.contains("STS.KnownKeyId"), "{text}");
                assert!(text.contains("** redacted **"), "{text}");
                assert!(text.contains("nothing was sent"), "{text}");
                let signed = if signature == "v1" {
                    "Signature="
                } else {
                    "authorization: ACS3-HMAC-SHA256"
                };
                assert!(text.contains(signed), "{text}");
            }
        }
    }
    assert_eq!(w.emulator.stats().requests, 0, "a dry run sent something");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_name_the_key_id_but_never_the_secret_or_token() {
    let key = aliyun_runtime::Credentials::new("STS.KnownKeyId", SECRET).with_security_token(TOKEN);
    let w = World::with(EmulatorConfig::default().with_access_keys([key])).await;

    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.KnownKeyId"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
    ];
    for signature in ["v1", "v3"] {
        let out = w
            .vod_env(
                &[
                    "-vvv",
                    "--signature",
                    signature,
                    "--method",
                    "get",
                    "get-url-upload-infos",
                    "--job-ids",
                    "x",
                ],
                &env,
            )
            .await
            .ok();
        assert!(out.stderr.contains("credentials found"), "{}", out.all());
        assert!(out.stderr.contains("STS.KnownKeyId"), "{}", out.all());
        assert_no_secret(&out.all());
    }
    // The emulator wants the token: without it the call fails, naming it.
    let out = w
        .vod_env(&["get-url-upload-infos", "--job-ids", "x"], &env[..2])
        .await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("SecurityToken"), "{}", out.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_name_the_temporary_credentials_source_and_expiry_only() {
    const OIDC_TOKEN: &str = "eyJ-cli-oidc/token+value";
    let w = World::with(EmulatorConfig::default().with_identity(IdentityConfig {
        oidc_token: Some(OIDC_TOKEN.to_owned()),
        ecs_role: Some("vod-ecs-role".to_owned()),
        ..IdentityConfig::default()
    }))
    .await;
    let token_file = w.home.path().join("oidc-token");
    std::fs::write(&token_file, OIDC_TOKEN).unwrap();
    let endpoint = w.endpoint();
    let oidc = [
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::123:role/vod"),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::123:oidc-provider/ack",
        ),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("ALIBABA_CLOUD_STS_ENDPOINT", endpoint.as_str()),
    ];
    let ecs = [
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false"),
        ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", endpoint.as_str()),
    ];
    for (env, source) in [
        (&oidc[..], "environment (OIDC): OIDC role"),
        (&ecs[..], "instance metadata: ECS RAM role"),
    ] {
        for args in [
            &["-v", "get-url-upload-infos", "--job-ids", "x"][..],
            &[
                "-v",
                "--dry-run",
                "--method",
                "get",
                "get-url-upload-infos",
                "--job-ids",
                "x",
            ],
        ] {
            let out = w.vod_env(args, env).await.ok();
            let text = out.all();
            assert!(out.stderr.contains("credentials found"), "{text}");
            assert!(out.stderr.contains(source), "{text}");
            assert!(out.stderr.contains("expires="), "{text}");
            // The OIDC token, and the emulator's issued tokens (CAIS...).
            for form in [
                OIDC_TOKEN.to_owned(),
                percent(OIDC_TOKEN),
                "CAIS".to_owned(),
            ] {
                assert!(!text.contains(&form), "{form} in {text}");
            }
        }
    }
    let stats = w.emulator.stats();
    assert_eq!((stats.sts_calls, stats.metadata_credentials_served), (2, 2));

    // An http endpoint that is not loopback is refused before anything is sent.
    let out = w
        .vod_env(
            &["get-url-upload-infos", "--job-ids", "x"],
            &[
                ("ALIBABA_CLOUD_STS_ENDPOINT", "http://sts.example.com"),
                oidc[0],
                oidc[1],
                oidc[2],
            ],
        )
        .await;
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.stderr.contains("ALIBABA_CLOUD_STS_ENDPOINT"),
        "{}",
        out.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_rate_limiter_that_is_down_never_fails_a_call_nor_shows_its_password() {
    let w = World::new().await;
    // Nothing listens on port 1: refused at once, so the call falls back.
    let out = w
        .vod(&[
            "-v",
            "--rate-limit-redis",
            "redis://:redis-pw-secret@127.0.0.1:1/0",
            "get-url-upload-infos",
            "--job-ids",
            "x",
        ])
        .await
        .ok();
    let text = out.all();
    assert!(text.contains("falls back to its local limiter"), "{text}");
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("redis-pw-secret"), "{text}");

    let mut env = vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET),
    ];
    env.push(("VOD_RATE_LIMIT_REDIS", "http://:redis-pw-secret@host/"));
    let out = w
        .vod_env(&["get-url-upload-infos", "--job-ids", "x"], &env)
        .await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("--rate-limit-redis"), "{}", out.all());
    assert!(!out.all().contains("redis-pw-secret"), "{}", out.all());
    assert_eq!(
        w.emulator.stats().requests,
        1,
        "the refused URL sent nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_offline_and_ends_with_the_success_row() {
    let home = tempfile::tempdir().unwrap();
    // No credentials and no endpoint at all: the demo needs neither.
    let out = run_vod(&["demo"], &[], home.path()).await.ok();
    for step in [
        "1/9 ",
        "2/9 ",
        "3/9 ",
        "4/9 ",
        "5/9 event received",
        "6/9 played",
        "7/9 uploaded a generated",
        "in 5 parts",
        "8/9 GetVideoInfo: video",
        "is Normal",
        "9/9 played it back",
        "identical to the file",
    ] {
        assert!(out.stdout.contains(step), "{}", out.all());
    }
    let last = out
        .stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap();
    assert!(last.contains("SUCCESS"), "{}", out.all());
    assert!(last.contains("/sample.mp4"), "{}", out.all());
}

/// `vod emulator` as a child process: its first stdout line is the base URL.
struct EmulatorProcess {
    child: tokio::process::Child,
    url: String,
}

async fn spawn_emulator(data_dir: &Path, home: &Path) -> EmulatorProcess {
    let mut child = Command::new(VOD)
        .args(["emulator", "--step-delay-ms", "10", "--data-dir"])
        .arg(data_dir)
        .env_clear()
        // Never the real instance metadata service (tests stay on this machine).
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .env("HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("vod emulator printed no URL")
        .unwrap()
        .expect("vod emulator closed stdout");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    EmulatorProcess { child, url }
}

impl EmulatorProcess {
    /// Stops it like Ctrl-C would (SIGTERM), so the store closes cleanly.
    async fn stop(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let termed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        if !termed {
            self.child.start_kill().unwrap();
        }
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("vod emulator did not stop")
            .unwrap();
        if termed {
            assert!(status.success(), "vod emulator exited with {status}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_command_keeps_jobs_across_restarts() {
    let files = file_server().await;
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let env = |url: &str| {
        vec![
            ("VOD_ENDPOINT", url.to_owned()),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                DEFAULT_ACCESS_KEY_ID.to_owned(),
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                DEFAULT_ACCESS_KEY_SECRET.to_owned(),
            ),
        ]
    };
    let vod = |args: Vec<String>, url: String| {
        let home = home.path().to_owned();
        async move {
            let env = env(&url);
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_vod(&args, &env, &home).await
        }
    };

    let first = spawn_emulator(data.path(), home.path()).await;
    let source = format!("{files}/kept.mp4");
    let uploaded = vod(
        vec![
            "upload-media-by-url".into(),
            "--upload-urls".into(),
            source.clone(),
        ],
        first.url.clone(),
    )
    .await
    .ok()
    .json();
    let id = uploaded["UploadJobs"][0]["JobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = vod(
        vec![
            "wait".into(),
            "--job-ids".into(),
            id.clone(),
            "--interval".into(),
            "0.05".into(),
        ],
        first.url.clone(),
    )
    .await
    .ok()
    .json();
    first.stop().await;

    let second = spawn_emulator(data.path(), home.path()).await;
    let after = vod(
        vec![
            "get-url-upload-infos".into(),
            "--job-ids".into(),
            id.clone(),
        ],
        second.url.clone(),
    )
    .await
    .ok()
    .json();
    second.stop().await;
    assert_eq!(infos(&after)[0]["Status"], "SUCCESS", "{after}");
    assert_eq!(infos(&after)[0]["MediaId"], infos(&before)[0]["MediaId"]);
    assert_eq!(infos(&after)[0]["UploadURL"], *source.as_str());
}

/// `kill -9` in the middle of `vod upload`, then the same command again:
/// it resumes from the checkpoint under $HOME (the default place), sends
/// only the parts OSS does not hold, creates no second video, and the
/// video plays back the file's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vod_upload_killed_then_run_again_resumes_the_same_video() {
    const PART: usize = 100 << 10;
    const PARTS: u64 = 20;
    let w = World::with(
        EmulatorConfig::default()
            .with_step_delay(Duration::from_millis(10))
            .with_faults(Faults {
                oss_part_latency_ms: 60,
                ..Faults::default()
            }),
    )
    .await;
    let data: Vec<u8> = (0..PARTS as usize * PART - 5)
        .map(|i| (i * 31 + i / 977) as u8)
        .collect();
    let file = w.home.path().join("talk.mp4");
    std::fs::write(&file, &data).unwrap();
    let file_arg = file.to_str().unwrap().to_owned();
    let args = [
        "upload",
        file_arg.as_str(),
        "--part-size",
        "100KiB",
        "--parallel",
        "2",
    ];

    let mut child = w
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut waited = Duration::ZERO;
    while w.emulator.stats().oss_parts_stored < 6 {
        assert!(waited < RUN_LIMIT, "no progress: {:?}", w.emulator.stats());
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += Duration::from_millis(5);
    }
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    let at_kill = w.emulator.stats();
    assert!(
        at_kill.oss_parts_stored < PARTS,
        "killed too late: {at_kill:?}"
    );
    let checkpoints = w.home.path().join(".local/state/vod/uploads");
    assert_eq!(checkpoint_files(&checkpoints), 1);

    let mut again: Vec<&str> = args.to_vec();
    again.extend(["--wait", "--interval", "0.05"]);
    let out = w.vod(&again).await.ok().json();
    let up = &out["Uploads"][0];
    assert_eq!(up["Resumed"], true, "{out}");
    assert_eq!(up["Status"], "Normal", "{out}");
    let stats = w.emulator.stats();
    assert_eq!(stats.videos_created, 1, "one media record: {stats:?}");
    let sent_again = up["PartsSent"].as_u64().unwrap();
    assert_eq!(
        stats.oss_parts_stored,
        at_kill.oss_parts_stored + sent_again
    );
    // Parts in flight at the kill (at most --parallel) may go twice; no other.
    assert!(stats.oss_parts_stored <= PARTS + 2, "{stats:?}");
    assert_eq!(checkpoint_files(&checkpoints), 0);
    let url = up["PlayURLs"][0].as_str().unwrap();
    let played = http_get(url).await;
    assert!(played == data, "the video plays the file's bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vod_upload_takes_images_and_refuses_what_it_cannot_do() {
    let w = World::new().await;
    let image = w.home.path().join("cover.png");
    std::fs::write(&image, vec![3u8; 2048]).unwrap();
    let image_arg = image.to_str().unwrap();
    let out = w
        .vod(&[
            "upload",
            image_arg,
            "--kind",
            "image",
            "--image-type",
            "cover",
        ])
        .await
        .ok()
        .json();
    let up = &out["Uploads"][0];
    assert!(
        up["ImageId"].is_string() && up.get("VideoId").is_none(),
        "{out}"
    );
    assert!(up["FileURL"].as_str().unwrap().ends_with(".png"), "{out}");
    assert_eq!(w.emulator.stats().images_created, 1);
    // No status to wait for; one title for two files; a missing file.
    for (args, want) in [
        (
            vec!["upload", image_arg, "--kind", "image", "--wait"],
            "--wait polls videos",
        ),
        (
            vec!["upload", image_arg, image_arg, "--title", "t"],
            "--title names one video",
        ),
        (vec!["upload", "/nonexistent/clip.mp4"], "does not exist"),
    ] {
        let out = w.vod(&args).await;
        assert_eq!(out.code, 2, "{}", out.all());
        assert!(out.stderr.contains(want), "{}", out.all());
    }
    assert_eq!(w.emulator.stats().videos_created, 0);
}

/// The checkpoints in `dir` (a kill in the middle of writing one leaves a
/// temporary file beside them, never a half-written checkpoint).
fn checkpoint_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("upload-") && name.ends_with(".json")
        })
        .count()
}

/// A plain HTTP GET over loopback (no extra client dependency).
async fn http_get(url: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).await.unwrap();
    let at = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(all.starts_with(b"HTTP/1.0 200") || all.starts_with(b"HTTP/1.1 200"));
    all.split_off(at)
}

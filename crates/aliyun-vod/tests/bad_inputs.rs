//! The bad-input matrix: every input the spec refuses fails with the exact
//! validation error (parameter and rule) before anything is sent (the
//! verifying test server counts zero requests), and the awkward inputs it
//! accepts (non-ASCII and emoji URLs, secrets with trailing white space read
//! from files) go out correctly. Cases already pinned in `validation.rs`
//! (11 JobIds, an empty list, a comma in an ID, neither parameter set, an ftp
//! URL) are not repeated here.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aliyun_runtime::credentials::{DefaultChain, Environment};
use aliyun_vod::cancel_url_upload_jobs::CancelUrlUploadJobsInput;
use aliyun_vod::get_url_upload_infos::GetUrlUploadInfosInput;
use aliyun_vod::upload_media_by_url::UploadMediaByUrlInput;
use aliyun_vod::{Client, Config, Error, Rule, ValidationError};
use serde_json::json;
use support::{Reply, Server};

async fn server() -> Server {
    Server::start(|req| {
        Reply::formatted(
            req,
            200,
            &json!({"RequestId": "ok", "UploadJobs": [], "URLUploadInfoList": []}),
        )
    })
    .await
}

fn client(server: &Server) -> Client {
    Client::new(
        Config::new()
            .endpoint(&server.url)
            .credentials(support::credentials()),
    )
    .unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn by_ids(ids: Vec<String>) -> GetUrlUploadInfosInput {
    GetUrlUploadInfosInput {
        job_ids: Some(ids),
        ..Default::default()
    }
}

fn by_urls(urls: Vec<String>) -> GetUrlUploadInfosInput {
    GetUrlUploadInfosInput {
        upload_urls: Some(urls),
        ..Default::default()
    }
}

fn upload(urls: Vec<String>) -> UploadMediaByUrlInput {
    UploadMediaByUrlInput {
        upload_urls: Some(urls),
        ..Default::default()
    }
}

/// A URL of exactly `len` bytes.
fn url_of_len(len: usize) -> String {
    let head = "https://example.com/";
    format!("{head}{}", "a".repeat(len - head.len()))
}

/// A generated input and its operation.
trait Input: serde::Serialize {
    fn operation() -> &'static aliyun_runtime::Operation;
}

impl Input for GetUrlUploadInfosInput {
    fn operation() -> &'static aliyun_runtime::Operation {
        &aliyun_vod::get_url_upload_infos::OPERATION
    }
}

impl Input for UploadMediaByUrlInput {
    fn operation() -> &'static aliyun_runtime::Operation {
        &aliyun_vod::upload_media_by_url::OPERATION
    }
}

impl Input for aliyun_vod::cancel_url_upload_jobs::CancelUrlUploadJobsInput {
    fn operation() -> &'static aliyun_runtime::Operation {
        &aliyun_vod::cancel_url_upload_jobs::OPERATION
    }
}

/// Sends `input` through the runtime's typed path, as a builder's `send()` does.
async fn send<I: Input>(client: &Client, input: &I) -> Result<serde::de::IgnoredAny, Error> {
    client.runtime().send(I::operation(), input).await
}

/// Sends `input` through the client and returns the validation error it must
/// fail with; panics on anything else.
async fn refused<I: Input>(client: &Client, input: &I) -> ValidationError {
    match send(client, input).await {
        Err(Error::Validation(v)) => v,
        Err(other) => panic!("expected a validation error, got {other:?}"),
        Ok(_) => panic!("expected a validation error, the call succeeded"),
    }
}

#[tokio::test]
async fn every_refused_input_names_its_parameter_and_rule_and_sends_nothing() {
    let server = server().await;
    let c = client(&server);
    let eleven_urls: Vec<String> = (0..11)
        .map(|i| format!("https://example.com/{i}.mp4"))
        .collect();
    let twenty_one_urls: Vec<String> = (0..21)
        .map(|i| format!("https://example.com/{i}.mp4"))
        .collect();
    let long = url_of_len(8193);

    // (case, input, parameter, rule, Display of the error)
    let get_cases: Vec<(&str, GetUrlUploadInfosInput, &str, Rule, &str)> = vec![
        (
            "11 UploadURLs",
            by_urls(eleven_urls),
            "UploadURLs",
            Rule::MaxItems { max: 10, got: 11 },
            "invalid input for GetURLUploadInfos: parameter UploadURLs takes at most 10 items, got 11",
        ),
        (
            "an empty UploadURLs list",
            by_urls(Vec::new()),
            "UploadURLs",
            Rule::MinItems { min: 1, got: 0 },
            "invalid input for GetURLUploadInfos: parameter UploadURLs needs at least 1 item(s), got 0",
        ),
        (
            "an empty string ID",
            by_ids(strings(&[""])),
            "JobIds",
            Rule::BlankItem { index: 0 },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0 is empty or blank",
        ),
        (
            "a white-space-only ID",
            by_ids(strings(&["ok", "   "])),
            "JobIds",
            Rule::BlankItem { index: 1 },
            "invalid input for GetURLUploadInfos: parameter JobIds item 1 is empty or blank",
        ),
        (
            "a tab-only ID (blank before it is a control character)",
            by_ids(strings(&["\t"])),
            "JobIds",
            Rule::BlankItem { index: 0 },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0 is empty or blank",
        ),
        (
            "an ideographic-space-only ID",
            by_ids(strings(&["\u{3000}"])),
            "JobIds",
            Rule::BlankItem { index: 0 },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0 is empty or blank",
        ),
        (
            "a comma in the last of several IDs",
            by_ids(strings(&["a", "b", "c,"])),
            "JobIds",
            Rule::ItemContainsSeparator { index: 2, separator: ',' },
            "invalid input for GetURLUploadInfos: parameter JobIds item 2 contains ',', which separates items on the wire",
        ),
        (
            "a NUL in an ID",
            by_ids(strings(&["a\0b"])),
            "JobIds",
            Rule::ControlCharacter { index: Some(0) },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0: contains a control character",
        ),
        (
            "a newline in an ID (header or log injection)",
            by_ids(strings(&["ok", "job\r\nX-Injected: 1"])),
            "JobIds",
            Rule::ControlCharacter { index: Some(1) },
            "invalid input for GetURLUploadInfos: parameter JobIds item 1: contains a control character",
        ),
        (
            "an escape sequence in an ID",
            by_ids(strings(&["\u{1b}[31mred"])),
            "JobIds",
            Rule::ControlCharacter { index: Some(0) },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0: contains a control character",
        ),
        (
            "DEL in an ID",
            by_ids(strings(&["a\u{7f}"])),
            "JobIds",
            Rule::ControlCharacter { index: Some(0) },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0: contains a control character",
        ),
        (
            "a C1 control (NEL) in an ID",
            by_ids(strings(&["a\u{85}b"])),
            "JobIds",
            Rule::ControlCharacter { index: Some(0) },
            "invalid input for GetURLUploadInfos: parameter JobIds item 0: contains a control character",
        ),
        (
            "a URL over 8 KiB",
            by_urls(vec![long.clone()]),
            "UploadURLs",
            Rule::MaxLength {
                max: 8192,
                got: 8193,
                index: Some(0),
            },
            "invalid input for GetURLUploadInfos: parameter UploadURLs item 0: is 8193 bytes long, more than the 8192 allowed",
        ),
        (
            "a tab inside a URL",
            by_urls(strings(&["https://example.com/a\tb.mp4"])),
            "UploadURLs",
            Rule::ControlCharacter { index: Some(0) },
            "invalid input for GetURLUploadInfos: parameter UploadURLs item 0: contains a control character",
        ),
    ];
    for (case, input, param, rule, display) in get_cases {
        let v = refused(&c, &input).await;
        assert_eq!(
            (v.operation, v.param.as_str(), &v.rule),
            ("GetURLUploadInfos", param, &rule),
            "{case}"
        );
        assert_eq!(v.to_string(), display, "{case}");
    }

    let not_urls = [
        "not a url",
        "example.com/video.mp4",
        "//example.com/video.mp4",
        "/video.mp4",
        "ftp://example.com/video.mp4",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:video/mp4;base64,AAAA",
        "mailto:a@example.com",
        "http://",
        "https://",
        "http:// example.com/a.mp4",
        "",
    ];
    for (i, bad) in not_urls.iter().enumerate() {
        let urls = vec!["https://example.com/ok.mp4".to_owned(), (*bad).to_owned()];
        let v = refused(&c, &upload(urls)).await;
        let want = if bad.is_empty() {
            Rule::BlankItem { index: 1 }
        } else {
            Rule::NotHttpUrl { index: Some(1) }
        };
        assert_eq!(
            (v.param.as_str(), &v.rule),
            ("UploadURLs", &want),
            "case {i}: {bad:?}"
        );
    }

    let upload_cases: Vec<(&str, UploadMediaByUrlInput, Rule, &str)> = vec![
        (
            "21 URLs",
            upload(twenty_one_urls),
            Rule::MaxItems { max: 20, got: 21 },
            "invalid input for UploadMediaByURL: parameter UploadURLs takes at most 20 items, got 21",
        ),
        (
            "an empty URL list",
            upload(Vec::new()),
            Rule::MinItems { min: 1, got: 0 },
            "invalid input for UploadMediaByURL: parameter UploadURLs needs at least 1 item(s), got 0",
        ),
        (
            "a URL over 8 KiB",
            upload(vec![long]),
            Rule::MaxLength {
                max: 8192,
                got: 8193,
                index: Some(0),
            },
            "invalid input for UploadMediaByURL: parameter UploadURLs item 0: is 8193 bytes long, more than the 8192 allowed",
        ),
        (
            "a newline inside a URL",
            upload(strings(&["https://example.com/a\nb.mp4"])),
            Rule::ControlCharacter { index: Some(0) },
            "invalid input for UploadMediaByURL: parameter UploadURLs item 0: contains a control character",
        ),
        (
            "a white-space-only URL",
            upload(strings(&["https://example.com/a.mp4", " "])),
            Rule::BlankItem { index: 1 },
            "invalid input for UploadMediaByURL: parameter UploadURLs item 1 is empty or blank",
        ),
    ];
    for (case, input, rule, display) in upload_cases {
        let v = refused(&c, &input).await;
        assert_eq!(
            (v.operation, v.param.as_str(), &v.rule),
            ("UploadMediaByURL", "UploadURLs", &rule),
            "{case}"
        );
        assert_eq!(v.to_string(), display, "{case}");
    }

    let cancel_cases: Vec<(&str, CancelUrlUploadJobsInput, &str, Rule)> = vec![
        (
            "neither list",
            CancelUrlUploadJobsInput::default(),
            "JobIds",
            Rule::AtLeastOneOf(vec!["JobIds".into(), "UploadUrls".into()]),
        ),
        (
            "11 JobIds",
            CancelUrlUploadJobsInput {
                job_ids: Some((0..11).map(|i| format!("job{i}")).collect()),
                ..Default::default()
            },
            "JobIds",
            Rule::MaxItems { max: 10, got: 11 },
        ),
        (
            "a blank JobId",
            CancelUrlUploadJobsInput {
                job_ids: Some(strings(&["a", ""])),
                ..Default::default()
            },
            "JobIds",
            Rule::BlankItem { index: 1 },
        ),
        (
            "a non-URL",
            CancelUrlUploadJobsInput {
                upload_urls: Some(strings(&["example.com/a.mp4"])),
                ..Default::default()
            },
            "UploadUrls",
            Rule::NotHttpUrl { index: Some(0) },
        ),
    ];
    for (case, input, param, rule) in cancel_cases {
        let v = refused(&c, &input).await;
        assert_eq!(
            (v.operation, v.param.as_str(), &v.rule),
            ("CancelUrlUploadJobs", param, &rule),
            "{case}"
        );
    }

    // The fluent builders refuse the same way, and a refusal is never "maybe sent".
    let err = c
        .get_url_upload_infos()
        .job_ids([" "])
        .send()
        .await
        .unwrap_err();
    assert!(!err.may_have_been_sent() && !err.is_transient(), "{err:?}");
    assert_eq!(server.count(), 0, "a refused input reached the server");
}

#[tokio::test]
async fn limits_are_inclusive() {
    let server = server().await;
    let c = client(&server);
    let ten: Vec<String> = (0..10).map(|i| format!("job{i}")).collect();
    send(&c, &by_ids(ten)).await.unwrap();
    let twenty: Vec<String> = (0..20)
        .map(|i| format!("https://example.com/{i}.mp4"))
        .collect();
    send(&c, &upload(twenty)).await.unwrap();
    let exact = url_of_len(8192);
    send(&c, &upload(vec![exact.clone()])).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.rejected.is_none()), "{reqs:?}");
    assert_eq!(reqs[2].param("UploadURLs"), Some(&*percent(&exact)));
}

fn percent(s: &str) -> String {
    aliyun_sign::percent_encode(s)
}

#[tokio::test]
async fn non_ascii_and_emoji_urls_are_accepted_and_encoded_item_by_item() {
    let server = server().await;
    let c = client(&server);
    let urls = strings(&[
        "https://example.com/视频/第1集 高清.mp4",
        "https://example.com/🎬/clip 😀.mp4?title=café&n=1",
        "https://例子.测试/ü,ß.mp4",
        "http://127.0.0.1:8080/a%20b.mp4",
    ]);
    send(&c, &upload(urls.clone())).await.unwrap();
    send(&c, &by_urls(urls.clone())).await.unwrap();
    let want = urls
        .iter()
        .map(|u| percent(u))
        .collect::<Vec<_>>()
        .join(",");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_eq!(req.rejected, None, "{req:?}");
        // Decoded once by the server: the items are still encoded, so the
        // commas between them are the only bare ones.
        assert_eq!(req.param("UploadURLs"), Some(want.as_str()));
        let back: Vec<String> = req
            .list("UploadURLs")
            .iter()
            .map(|i| aliyun_sign::percent_decode(i))
            .collect();
        assert_eq!(back, urls);
    }
    assert!(want.contains("%F0%9F%8E%AC") && want.contains("%E8%A7%86%E9%A2%91"));
    // An already-encoded %20 is sent as %2520: the SDK encodes what it is given.
    assert!(want.ends_with("a%2520b.mp4"), "{want}");
}

#[test]
fn an_unknown_or_blank_region_is_a_config_error_listing_the_known_ones() {
    for region in ["mars-1", "", "CN-SHANGHAI", "cn-shanghai "] {
        let err = Client::new(Config::new().region(region)).unwrap_err();
        let Error::Config(message) = &err else {
            panic!("{region:?}: expected a config error, got {err:?}")
        };
        assert_eq!(
            message,
            &format!(
                "unknown region {region:?} for vod; known regions: cn-beijing, cn-shanghai, \
                 cn-shenzhen, cn-hongkong, ap-northeast-1, ap-southeast-1, ap-southeast-5, \
                 ap-south-1, eu-central-1, me-central-1 (or set an explicit endpoint)"
            )
        );
        assert!(!err.may_have_been_sent());
    }
    for endpoint in ["ftp://vod.example.com", "http://", "http://[::1"] {
        let err = Client::new(Config::new().endpoint(endpoint)).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{endpoint}: {err:?}");
        assert!(err.to_string().contains(endpoint), "{err}");
    }
}

/// Variables from a map, the home directory in a temporary directory.
struct FakeEnv {
    vars: HashMap<String, String>,
    home: PathBuf,
}

impl Environment for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn home_dir(&self) -> Option<PathBuf> {
        Some(self.home.clone())
    }
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempHome(PathBuf);

impl TempHome {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "vod-bad-inputs-{tag}-{}-{}",
            std::process::id(),
            aliyun_sign::Nonce::random().as_str()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempHome(dir)
    }

    fn write(&self, rel: &str, contents: &str) -> &Self {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    fn chain(&self, vars: &[(&str, &str)]) -> DefaultChain {
        // Never the real instance metadata service (tests stay on this machine).
        let off = [("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")];
        DefaultChain::with_environment(Arc::new(FakeEnv {
            vars: off
                .iter()
                .chain(vars)
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            home: self.0.clone(),
        }))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn missing_credentials_fail_before_sending_and_list_where_they_were_looked_for() {
    let server = server().await;
    let home = TempHome::new("none");
    let c = Client::new(
        Config::new()
            .endpoint(&server.url)
            .credentials(home.chain(&[])),
    )
    .unwrap();
    let err = c
        .get_url_upload_infos()
        .job_ids(["a"])
        .send()
        .await
        .unwrap_err();
    let Error::Credentials(e) = &err else {
        panic!("expected a credentials error, got {err:?}")
    };
    let sources: Vec<&str> = e.attempts.iter().map(|a| a.source.as_str()).collect();
    assert_eq!(sources.len(), 5, "{err}");
    assert_eq!(sources[0], "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)");
    assert!(sources[1].contains(".aliyun") && sources[1].contains("config.json"));
    assert!(sources[2].contains(".alibabacloud"), "{err}");
    assert!(
        err.to_string().starts_with("no credentials found:\n  - "),
        "{err}"
    );
    assert!(!err.may_have_been_sent());

    // Half a pair in the environment is a mistake, named, not a fall-through.
    let half = home.chain(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", support::KEY_ID)]);
    let c = Client::new(Config::new().endpoint(&server.url).credentials(half)).unwrap();
    let err = c
        .get_url_upload_infos()
        .job_ids(["a"])
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        "{err}"
    );
    assert_eq!(server.count(), 0);
    let _ = home.path();
}

#[tokio::test]
async fn secrets_with_trailing_white_space_or_newlines_are_trimmed_as_the_official_tools_do() {
    let server = server().await;
    let id = support::KEY_ID;
    let secret = support::SECRET;
    // Each of these, untrimmed, would sign with the wrong key and be refused
    // with SignatureDoesNotMatch by the verifying server.
    let ini = TempHome::new("ini");
    ini.write(
        ".alibabacloud/credentials",
        &format!(
            "[default]\r\ntype = access_key\r\naccess_key_id = {id}  \r\naccess_key_secret = {secret} \t\r\n"
        ),
    );
    let json = TempHome::new("json");
    json.write(
        ".aliyun/config.json",
        &format!(
            r#"{{"current": "default", "profiles": [{{"name": "default", "mode": "AK",
                "access_key_id": " {id}\n", "access_key_secret": "{secret}\n"}}]}}"#
        ),
    );
    let env = TempHome::new("env");
    let sources = [
        ("credentials file, CRLF and trailing blanks", ini.chain(&[])),
        ("aliyun CLI config.json, trailing newline", json.chain(&[])),
        (
            "environment, trailing newline from `export X=$(cat file)`-style tools",
            env.chain(&[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", &format!("{id}\n")),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &format!("{secret}\r\n")),
            ]),
        ),
    ];
    for (case, chain) in sources {
        let c = Client::new(Config::new().endpoint(&server.url).credentials(chain)).unwrap();
        let creds = c.runtime().credentials().await.unwrap();
        assert_eq!(
            (creds.access_key_id(), creds.access_key_secret().expose()),
            (id, secret),
            "{case}"
        );
        c.get_url_upload_infos()
            .job_ids(["a"])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.rejected.is_none()), "{reqs:?}");
}

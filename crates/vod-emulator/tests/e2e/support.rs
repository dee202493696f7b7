//! Shared test helpers: a source server to "upload" from, request signing with
//! `aliyun-sign`, and polling.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aliyun_sign::{acs3, rpc, Credentials, HttpMethod, Nonce, Timestamp};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::Value;
use vod_emulator::{Emulator, EmulatorConfig, RunningEmulator};

pub const VERSION: &str = "2017-03-21";

pub fn default_creds() -> Credentials {
    Credentials::new(
        vod_emulator::DEFAULT_ACCESS_KEY_ID,
        vod_emulator::DEFAULT_ACCESS_KEY_SECRET,
    )
}

/// An in-memory emulator with no step delay.
pub async fn emulator() -> RunningEmulator {
    start(EmulatorConfig::default().with_step_delay(Duration::ZERO)).await
}

pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// A file server on loopback: `/bytes/N/anything` answers N bytes,
/// `/status/C/anything` answers status C, anything else 404.
pub struct Sources {
    pub addr: SocketAddr,
}

impl Sources {
    pub async fn start() -> Sources {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(serve_source);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Sources { addr }
    }

    /// `http://127.0.0.1:P/bytes/{size}/{rest}` (rest is used as given).
    pub fn url(&self, size: usize, rest: &str) -> String {
        format!("http://{}/bytes/{size}/{rest}", self.addr)
    }

    pub fn status_url(&self, status: u16) -> String {
        format!("http://{}/status/{status}/file.mp4", self.addr)
    }
}

async fn serve_source(uri: Uri) -> axum::response::Response {
    let mut parts = uri.path().split('/').skip(1);
    let kind = parts.next().unwrap_or_default();
    let n: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    match kind {
        "bytes" => vec![b'v'; n].into_response(),
        "status" => StatusCode::from_u16(n as u16)
            .unwrap_or(StatusCode::NOT_FOUND)
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A reply as received.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error `Code` of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or_default().to_owned()
    }
}

/// One API call, signed one of three ways.
#[derive(Clone)]
pub struct Call {
    pub action: String,
    pub params: Vec<(String, String)>,
    pub format: Option<String>,
    pub method: HttpMethod,
    pub creds: Credentials,
    pub timestamp: Timestamp,
    pub nonce: Nonce,
}

pub fn call(action: &str, params: &[(&str, &str)]) -> Call {
    Call {
        action: action.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        format: Some("JSON".to_owned()),
        method: HttpMethod::Post,
        creds: default_creds(),
        timestamp: Timestamp::now(),
        nonce: Nonce::random(),
    }
}

impl Call {
    pub fn format(mut self, format: Option<&str>) -> Self {
        self.format = format.map(str::to_owned);
        self
    }

    pub fn method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    pub fn creds(mut self, creds: Credentials) -> Self {
        self.creds = creds;
        self
    }

    pub fn timestamp(mut self, timestamp: Timestamp) -> Self {
        self.timestamp = timestamp;
        self
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The RPC V1 wire form (query string or form body).
    pub fn v1_encoded(&self) -> String {
        match &self.format {
            Some(format) => rpc::sign(
                &self.creds,
                &rpc::RpcRequest {
                    method: self.method,
                    action: &self.action,
                    version: VERSION,
                    format,
                    timestamp: &self.timestamp,
                    nonce: &self.nonce,
                },
                &self.pairs(),
            )
            .into_encoded(),
            // rpc::sign always sends Format; sign the list by hand to leave it out.
            None => {
                let mut all = vec![
                    ("AccessKeyId", self.creds.access_key_id()),
                    ("Action", self.action.as_str()),
                    ("SignatureMethod", "HMAC-SHA1"),
                    ("SignatureNonce", self.nonce.as_str()),
                    ("SignatureVersion", "1.0"),
                    ("Timestamp", self.timestamp.as_str()),
                    ("Version", VERSION),
                ];
                if let Some(t) = self.creds.security_token() {
                    all.push(("SecurityToken", t.expose()));
                }
                all.extend(self.pairs());
                rpc::sign_params(self.creds.access_key_secret().expose(), self.method, all)
                    .into_encoded()
            }
        }
    }

    /// Sends it signed with RPC V1 (GET query or POST form body).
    pub async fn v1(&self, base: &str) -> Reply {
        send_v1(base, self.method, &self.v1_encoded()).await
    }

    /// Sends it signed with ACS3-HMAC-SHA256, parameters in the query string.
    pub async fn v3(&self, base: &str) -> Reply {
        self.v3_with(base, false, |_| {}).await
    }

    /// V3 with the parameters in a form body when `form_body`; `tamper` may
    /// change the request after signing.
    pub async fn v3_with(
        &self,
        base: &str,
        form_body: bool,
        tamper: impl FnOnce(&mut reqwest::Request),
    ) -> Reply {
        let host = base.trim_start_matches("http://");
        let mut query = self.pairs();
        if let Some(f) = &self.format {
            query.push(("Format", f.as_str()));
        }
        let body = if form_body {
            let body = url_form(&query);
            query.clear();
            body
        } else {
            String::new()
        };
        let signed = acs3::sign(
            &self.creds,
            &acs3::Acs3Request {
                method: self.method,
                host,
                pathname: "/",
                action: &self.action,
                version: VERSION,
                timestamp: &self.timestamp,
                nonce: &self.nonce,
                body: body.as_bytes(),
                content_type: form_body.then_some("application/x-www-form-urlencoded"),
            },
            &query,
        );
        let url = if signed.query().is_empty() {
            format!("{base}/")
        } else {
            format!("{base}/?{}", signed.query())
        };
        let client = reqwest::Client::new();
        let mut builder = match self.method {
            HttpMethod::Get => client.get(url),
            HttpMethod::Post => client.post(url),
        };
        for (name, value) in signed.headers() {
            if *name != "host" {
                builder = builder.header(*name, value);
            }
        }
        let mut request = builder.body(body).build().unwrap();
        tamper(&mut request);
        reply(client.execute(request).await.expect("request sent")).await
    }
}

/// Percent-encodes pairs the way aliyun-sign does (no `+`).
pub fn url_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                aliyun_sign::percent_encode(k),
                aliyun_sign::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn send_v1(base: &str, method: HttpMethod, encoded: &str) -> Reply {
    let client = reqwest::Client::new();
    let request = match method {
        HttpMethod::Get => client.get(format!("{base}/?{encoded}")),
        HttpMethod::Post => client
            .post(format!("{base}/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded.to_owned()),
    };
    reply(request.send().await.expect("request sent")).await
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    Reply {
        status,
        headers,
        text,
    }
}

/// Uploads `urls` (each percent-encoded, then joined) and returns the JobIds.
pub async fn upload(base: &str, urls: &[&str], extra: &[(&str, &str)]) -> Vec<String> {
    let joined = encode_list(urls);
    let mut params = vec![("UploadURLs", joined.as_str())];
    params.extend_from_slice(extra);
    let r = call("UploadMediaByURL", &params).v1(base).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["UploadJobs"]
        .as_array()
        .expect("UploadJobs")
        .iter()
        .map(|j| j["JobId"].as_str().unwrap().to_owned())
        .collect()
}

/// Each item percent-encoded, then joined with commas (as Alibaba's docs ask).
pub fn encode_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|u| aliyun_sign::percent_encode(u))
        .collect::<Vec<_>>()
        .join(",")
}

/// GetURLUploadInfos by JobIds until every job is terminal (10 s at most).
pub async fn wait_terminal(base: &str, ids: &[String]) -> Vec<Value> {
    let joined = ids.join(",");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = call("GetURLUploadInfos", &[("JobIds", &joined)])
            .v1(base)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let infos = r.json()["URLUploadInfoList"].as_array().unwrap().clone();
        let done = infos.len() == ids.len()
            && infos.iter().all(|i| {
                matches!(
                    i["Status"].as_str(),
                    Some("SUCCESS") | Some("DOWNLOAD_FAIL")
                )
            });
        if done {
            return infos;
        }
        assert!(Instant::now() < deadline, "jobs not finished: {infos:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

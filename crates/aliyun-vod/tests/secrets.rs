//! Neither the AccessKey secret nor the STS token ever shows: not in any
//! tracing output at TRACE level (the `log` records of the HTTP stack included),
//! nor in the `Debug` or `Display` of configs, credentials, clients, requests,
//! outputs or errors, whatever goes wrong, even when the server echoes the
//! request back. One test per binary: it installs the global subscriber.

mod support;

use std::time::Duration;

use aliyun_vod::{Client, Config, Credentials, Error, HttpMethod, RetryConfig, SignatureVersion};
use serde_json::json;
use support::{Reply, Req, Server};

const TOKEN: &str = "CAIS+sts/Token==Value9f8e7d6c5b4a";

fn creds() -> Credentials {
    support::credentials().with_security_token(TOKEN)
}

fn ok(req: &Req) -> Reply {
    Reply::formatted(
        req,
        200,
        &json!({"RequestId": "r", "URLUploadInfoList": [{"JobId": "j", "Status": "SUCCESS", "UserData": "{}"}]}),
    )
}

/// Every parameter the server received, echoed back in an error message.
fn echo(req: &Req) -> String {
    req.query
        .iter()
        .chain(req.form.iter())
        .chain(req.headers.iter())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn config(url: &str) -> Config {
    Config::new()
        .endpoint(url)
        .credentials(creds())
        .attempt_timeout(Duration::from_millis(200))
        .retry(RetryConfig {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        })
}

async fn get(config: Config) -> (Client, Result<String, Error>) {
    let client = Client::new(config).unwrap();
    let result = client
        .get_url_upload_infos()
        .job_ids(["j"])
        .send()
        .await
        .map(|out| format!("{out:?}"));
    (client, result)
}

/// Everything a person could see about one call.
fn shown(client: &Client, result: &Result<String, Error>) -> String {
    let result = match result {
        Ok(out) => out.clone(),
        Err(e) => format!("{e}\n{e:?}\n{e:#?}\n{:?}", std::error::Error::source(e)),
    };
    format!("{client:?}\n{:?}\n{result}", client.runtime().config())
}

#[test]
fn no_secret_or_token_in_logs_debug_or_display() {
    let logs = support::LogBuf::default();
    tracing::subscriber::set_global_default(logs.subscriber(tracing::Level::TRACE))
        .expect("the only subscriber in this test binary");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut texts: Vec<String> = Vec::new();
    rt.block_on(async {
        let server = Server::start(ok).await;
        for (method, signature) in [
            (HttpMethod::Post, SignatureVersion::V1),
            (HttpMethod::Get, SignatureVersion::V1),
            (HttpMethod::Post, SignatureVersion::V3),
            (HttpMethod::Get, SignatureVersion::V3),
        ] {
            let (client, result) = get(config(&server.url)
                .method(method)
                .signature_version(signature))
            .await;
            assert!(result.is_ok(), "{result:?}");
            texts.push(shown(&client, &result));
            let credentials = client.runtime().credentials().await.unwrap();
            let prepared = client.runtime().prepare(
                &aliyun_vod::get_url_upload_infos::OPERATION,
                &[("JobIds".into(), "j".to_owned())],
                &credentials,
            );
            texts.push(format!(
                "{credentials:?} {credentials} {prepared:?} {}",
                prepared.redacted(&credentials)
            ));
        }
        assert!(server.requests().iter().all(|r| r.rejected.is_none()));
        assert!(server
            .requests()
            .iter()
            .any(|r| r.param("SecurityToken") == Some(TOKEN)));

        // The service's string to sign (which holds the token) in SignatureDoesNotMatch.
        let wrong = Server::start_with_secret("another-secret", ok).await;
        for method in [HttpMethod::Get, HttpMethod::Post] {
            let (client, result) = get(config(&wrong.url).method(method)).await;
            assert_eq!(
                result.as_ref().unwrap_err().code(),
                Some("SignatureDoesNotMatch")
            );
            texts.push(shown(&client, &result));
        }

        // A server that echoes the whole request: in an error message, in a
        // body that cannot be decoded, and in a success body's unknown field.
        let echoing = Server::start(|req| match req.index % 3 {
            0 => Reply::error(req, 400, "InvalidParameter", &echo(req)),
            1 => Reply::raw(502, "text/html", format!("<html>{}</html>", echo(req))),
            _ => Reply::raw(
                200,
                "application/json",
                format!("{{\"RequestId\": [\"{}\"", echo(req)),
            ),
        })
        .await;
        for _ in 0..3 {
            let (client, result) = get(config(&echoing.url).method(HttpMethod::Get)).await;
            assert!(result.is_err());
            texts.push(shown(&client, &result));
        }

        // Transport failures with the token in the URL.
        let slow = Server::start(|req| ok(req).delayed(Duration::from_secs(2))).await;
        let (client, result) = get(config(&slow.url).method(HttpMethod::Get)).await;
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        texts.push(shown(&client, &result));
        let cut = Server::start(|req| ok(req).cut_after(5)).await;
        let (client, result) = get(config(&cut.url).method(HttpMethod::Get)).await;
        assert!(
            matches!(result, Err(Error::Transport { sent: true, .. })),
            "{result:?}"
        );
        texts.push(shown(&client, &result));
        let refused = support::refused_url().await;
        let (client, result) = get(config(&refused).method(HttpMethod::Get)).await;
        assert!(
            matches!(result, Err(Error::Transport { sent: false, .. })),
            "{result:?}"
        );
        texts.push(shown(&client, &result));
    });
    drop(rt);

    let logs = logs.text();
    // The capture did see the calls, at every level.
    assert!(
        logs.contains("sending attempt") && logs.contains("signed request"),
        "{logs}"
    );
    assert!(logs.contains("TRACE"), "{logs}");
    texts.push(logs);

    let secrets = [support::SECRET, TOKEN];
    for text in &texts {
        for secret in secrets {
            let once = aliyun_sign::percent_encode(secret);
            let twice = aliyun_sign::percent_encode(&once);
            for form in [secret.to_owned(), once, twice] {
                assert!(!text.contains(&form), "{form:?} appears in:\n{text}");
            }
        }
    }
    // And the redaction marker shows where something was withheld.
    assert!(texts.iter().any(|t| t.contains("** redacted **")));
}

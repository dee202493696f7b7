//! A known AccessKey secret and STS token never show, end to end: the SDK and
//! the emulator run in this process with every tracing event captured at TRACE
//! level, through every wire mode, the errors the emulator answers (wrong
//! secret, whose message carries the server's string to sign; expired clock;
//! missing token) and its faults (cut, slow, truncated, proxy page); then the
//! `Debug` and `Display` of everything a caller can print are searched for the
//! secret and token, as given and percent-encoded once and twice.
//! (`crates/aliyun-vod/tests/secrets.rs` does the same against an echoing test
//! server; `crates/vod-cli/tests/cli.rs` for `--dry-run` and `-v`.) One test:
//! it installs the global subscriber.

use std::sync::Arc;
use std::time::Duration;

use aliyun_vod::{Client, Config, Credentials, Format, HttpMethod, RetryConfig, SignatureVersion};
use vod_e2e::Buf;
use vod_emulator::{Emulator, EmulatorConfig, Faults, RunningEmulator};

const KEY_ID: &str = "STS.E2eKnownKeyId";
/// Reserved characters on purpose: their encoded forms are searched for too.
const SECRET: &str = "E2e/Known+Secret=Value42";
const TOKEN: &str = "CAIS+e2e/Known==StsToken&x=1";

fn key() -> Credentials {
    Credentials::new(KEY_ID, SECRET).with_security_token(TOKEN)
}

fn config(emu: &RunningEmulator, credentials: Credentials) -> Config {
    Config::new()
        .endpoint(emu.base_url())
        .credentials(credentials)
        .attempt_timeout(Duration::from_millis(300))
        .retry(RetryConfig {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .rate_limit(false)
}

/// Everything a person could print about one call.
async fn run_and_show(client: &Client, texts: &mut Vec<String>) -> bool {
    let got = client
        .get_url_upload_infos()
        .job_ids(["0123456789abcdef0123456789abcdef"])
        .send()
        .await;
    let ok = got.is_ok();
    let shown = match &got {
        Ok(out) => format!("{out:?}"),
        Err(e) => format!(
            "{e}\n{e:?}\n{e:#?}\n{:?}\n{:?}",
            std::error::Error::source(e),
            e.as_service()
        ),
    };
    texts.push(format!(
        "{shown}\n{client:?}\n{:?}",
        client.runtime().config()
    ));
    ok
}

#[test]
fn no_secret_or_token_anywhere_in_an_sdk_and_emulator_run() {
    let logs = Buf::default();
    logs.install_trace_subscriber();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut texts: Vec<String> = Vec::new();
    rt.block_on(async {
        let emu_config = EmulatorConfig::default()
            .with_access_keys([key()])
            .with_step_delay(Duration::ZERO);
        texts.push(format!("{emu_config:?}"));
        let emu = Emulator::start(emu_config).await.unwrap();
        texts.push(format!("{emu:?}"));

        for format in [Format::Json, Format::Xml] {
            for signature in [SignatureVersion::V1, SignatureVersion::V3] {
                for method in [HttpMethod::Get, HttpMethod::Post] {
                    let c = Client::new(
                        config(&emu, key())
                            .format(format)
                            .signature_version(signature)
                            .method(method),
                    )
                    .unwrap();
                    assert!(run_and_show(&c, &mut texts).await, "{texts:?}");
                    let creds = c.runtime().credentials().await.unwrap();
                    let prepared = c.runtime().prepare(
                        &aliyun_vod::get_url_upload_infos::OPERATION,
                        &[("JobIds".into(), "x".to_owned())],
                        &creds,
                    );
                    texts.push(format!(
                        "{creds:?} {creds} {prepared:?}\n{}",
                        prepared.redacted(&creds)
                    ));
                }
            }
        }

        // Refusals: the wrong secret (the emulator's message quotes its string
        // to sign, which holds the token), a skewed clock, a missing token.
        for method in [HttpMethod::Get, HttpMethod::Post] {
            let wrong = Credentials::new(KEY_ID, "Not/The+Secret=0").with_security_token(TOKEN);
            let c = Client::new(config(&emu, wrong).method(method)).unwrap();
            assert!(!run_and_show(&c, &mut texts).await);
        }
        let skewed: aliyun_runtime::Clock =
            Arc::new(|| time::OffsetDateTime::now_utc() + time::Duration::minutes(20));
        let c = Client::new(config(&emu, key()).clock(skewed).method(HttpMethod::Get)).unwrap();
        assert!(!run_and_show(&c, &mut texts).await);
        let c = Client::new(config(&emu, Credentials::new(KEY_ID, SECRET))).unwrap();
        assert!(!run_and_show(&c, &mut texts).await);

        // Faults, with the token in the URL (GET).
        let c = Client::new(config(&emu, key()).method(HttpMethod::Get)).unwrap();
        for faults in [
            Faults {
                drop_next: 2,
                ..Faults::default()
            },
            Faults {
                latency_ms: 1_000,
                ..Faults::default()
            },
            Faults {
                truncate_next: 1,
                ..Faults::default()
            },
            Faults {
                bad_gateway_next: 2,
                ..Faults::default()
            },
            Faults {
                fail_next: 2,
                ..Faults::default()
            },
        ] {
            emu.set_faults(faults).unwrap();
            assert!(!run_and_show(&c, &mut texts).await, "{:?}", emu.faults());
        }
        emu.set_faults(Faults::default()).unwrap();
        texts.push(format!("{:?}", emu.stats()));
        emu.shutdown().await;
    });
    drop(rt);

    let logs = logs.text();
    // The capture saw both sides at every level.
    for needle in [
        "TRACE",
        "signed request",
        "authenticated",
        "request refused",
    ] {
        assert!(logs.contains(needle), "{needle:?} not logged:\n{logs}");
    }
    texts.push(logs);

    for text in &texts {
        for secret in [SECRET, TOKEN] {
            let once = aliyun_runtime::percent_encode(secret);
            let twice = aliyun_runtime::percent_encode(&once);
            for form in [secret.to_owned(), once, twice] {
                assert!(!text.contains(&form), "{form:?} appears in:\n{text}");
            }
        }
    }
    assert!(texts.iter().any(|t| t.contains("** redacted **")));
    assert!(texts.iter().any(|t| t.contains(KEY_ID)));
}

//! The secrets of temporary credentials never show: the OIDC token, the
//! AccessKey secret a role is assumed with, the IMDSv2 session token, and the
//! keys STS, the metadata service and a credentials URI hand out. The chain
//! runs every temporary source against the emulator, then its failures (a
//! refused token, STS down, an STS answer cut short, a metadata service
//! failing), with every tracing event captured at TRACE; then the logs and
//! the `Debug` and `Display` of everything a caller can print are searched
//! for each secret, as given and percent-encoded once and twice. One test: it
//! installs the global subscriber.

use std::sync::Arc;
use std::time::Duration;

use aliyun_runtime::credentials::DefaultChain;
use aliyun_vod::{Client, Config, HttpMethod, SignatureVersion};
use vod_e2e::{Buf, TestEnv};
use vod_emulator::{
    Emulator, EmulatorConfig, Faults, IdentityConfig, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
};

/// Reserved characters on purpose: their encoded forms are searched for too.
const OIDC_TOKEN: &str = "eyJ+secret/OIDC=token&sub=1";
const WRONG_TOKEN: &str = "eyJ+wrong/OIDC=token";

#[test]
fn no_token_or_issued_key_shows_anywhere_in_a_credentials_run() {
    let logs = Buf::default();
    logs.install_trace_subscriber();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut texts: Vec<String> = Vec::new();
    let mut secrets: Vec<String> = vec![OIDC_TOKEN.to_owned(), WRONG_TOKEN.to_owned()];
    rt.block_on(async {
        let identity = IdentityConfig {
            oidc_token: Some(OIDC_TOKEN.to_owned()),
            ecs_role: Some("vod-ecs-role".to_owned()),
            imdsv2_only: true,
            ..IdentityConfig::default()
        };
        texts.push(format!("{identity:?}"));
        let emu = Emulator::start(
            EmulatorConfig::default()
                .with_identity(identity)
                .with_step_delay(Duration::ZERO),
        )
        .await
        .unwrap();
        let base = emu.base_url();
        let home = tempfile::tempdir().unwrap();
        let token_file = home.path().join("token");
        std::fs::write(&token_file, OIDC_TOKEN).unwrap();
        let token_path = token_file.to_str().unwrap().to_owned();
        let ini = home.path().join("credentials.ini");
        std::fs::write(
            &ini,
            format!("[default]\ntype = ram_role_arn\naccess_key_id = {DEFAULT_ACCESS_KEY_ID}\naccess_key_secret = {DEFAULT_ACCESS_KEY_SECRET}\nrole_arn = acs:ram::123:role/vod\n"),
        )
        .unwrap();
        let ini_path = ini.to_str().unwrap().to_owned();
        secrets.push(DEFAULT_ACCESS_KEY_SECRET.to_owned());

        let chain = |vars: &[(&str, &str)]| {
            let env = TestEnv {
                vars: vars
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                home: home.path().to_owned(),
            };
            DefaultChain::with_environment(Arc::new(env))
                .with_sts_endpoint(&base)
                .with_metadata_endpoint(&base)
        };
        let oidc = [
            ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::123:role/vod"),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::123:oidc-provider/ack"),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_path.as_str()),
        ];
        let uri = format!("{base}/__emulator/credentials");
        let sources: [&[(&str, &str)]; 4] = [
            &oidc,
            &[("ALIBABA_CLOUD_CREDENTIALS_FILE", ini_path.as_str())],
            &[],
            &[
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
                ("ALIBABA_CLOUD_CREDENTIALS_URI", uri.as_str()),
            ],
        ];

        // Every temporary source, and VOD calls signed with what it gave.
        for vars in sources {
            let chain = chain(vars);
            let resolved = chain.resolve().await.unwrap();
            let c = &resolved.credentials;
            secrets.push(c.access_key_secret().expose().to_owned());
            secrets.push(c.security_token().unwrap().expose().to_owned());
            texts.push(format!("{resolved:?} {resolved:#?} {c} {chain:?}"));
            for signature in [SignatureVersion::V1, SignatureVersion::V3] {
                let client = Client::new(
                    Config::new()
                        .endpoint(&base)
                        .credentials(chain.clone())
                        .method(HttpMethod::Get)
                        .signature_version(signature)
                        .rate_limit(false),
                )
                .unwrap();
                let out = client
                    .get_url_upload_infos()
                    .job_ids(["0123456789abcdef0123456789abcdef"])
                    .send()
                    .await
                    .unwrap();
                texts.push(format!("{out:?} {client:?} {:?}", client.runtime().config()));
            }
        }
        assert_eq!(emu.stats().sts_calls, 2);
        assert_eq!(emu.stats().metadata_credentials_served, 2);

        // Failures: every error, shown every way.
        let show_failure = |vars: &[(&str, &str)], faults: Faults| {
            emu.set_faults(faults).unwrap();
            let chain = chain(vars);
            async move {
                let e = chain.resolve().await.unwrap_err();
                format!("{e}\n{e:?}\n{e:#?}")
            }
        };
        let wrong_file = home.path().join("wrong");
        std::fs::write(&wrong_file, WRONG_TOKEN).unwrap();
        let wrong = [oidc[0], oidc[1], ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", wrong_file.to_str().unwrap())];
        let disabled = ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
        let failures = [
            (vec![wrong[0], wrong[1], wrong[2], disabled], Faults::default()),
            (
                vec![oidc[0], oidc[1], oidc[2], disabled],
                Faults {
                    fail_next: 5,
                    ..Faults::default()
                },
            ),
            (
                vec![oidc[0], oidc[1], oidc[2], disabled],
                Faults {
                    truncate_next: 1,
                    ..Faults::default()
                },
            ),
            (
                vec![("ALIBABA_CLOUD_CREDENTIALS_FILE", ini_path.as_str()), disabled],
                Faults {
                    truncate_next: 1,
                    ..Faults::default()
                },
            ),
            (
                vec![("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")],
                Faults {
                    metadata_fail_next: 1,
                    ..Faults::default()
                },
            ),
        ];
        for (vars, faults) in failures {
            let shown = show_failure(&vars, faults).await;
            texts.push(shown);
        }
        // Uploads: UploadAuth's keys go to the SDK (refreshed once midway)
        // and must not show in its logs, output or errors.
        let uploader = Client::new(vod_e2e::emulator_config(&base).rate_limit(false)).unwrap();
        let file = home.path().join("clip.mp4");
        std::fs::write(&file, vec![9u8; 300 << 10]).unwrap();
        // Parts take 30 ms; once the first is in, every issued key expires.
        let slow = Faults {
            oss_part_latency_ms: 30,
            ..Faults::default()
        };
        emu.set_faults(slow.clone()).unwrap();
        let upload = uploader
            .upload_file(&file)
            .part_size(100 << 10)
            .parallelism(1)
            .send();
        let expire = async {
            while emu.stats().oss_parts_stored < 1 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            emu.set_faults(Faults {
                expire_credentials_now: true,
                ..slow
            })
            .unwrap();
        };
        let (out, ()) = tokio::join!(upload, expire);
        let out = out.unwrap();
        assert_eq!(out.credential_refreshes, 1);
        texts.push(format!("{out:?}"));
        emu.set_faults(Faults {
            oss_fail_part: Some(2),
            oss_fail_part_times: u32::MAX,
            ..Faults::default()
        })
        .unwrap();
        let failed = uploader
            .upload_file(&file)
            .part_size(100 << 10)
            .send()
            .await
            .unwrap_err();
        texts.push(format!("{failed} {failed:?}"));
        emu.set_faults(Faults::default()).unwrap();
        for c in emu.issued_credentials() {
            secrets.push(c.access_key_secret().expose().to_owned());
            secrets.extend(c.security_token().map(|t| t.expose().to_owned()));
        }
        texts.push(format!("{:?}", emu.stats()));
        emu.shutdown().await;
    });
    drop(rt);

    let logs = logs.text();
    // The capture saw both sides, the refreshes and the failures.
    for needle in [
        "TRACE",
        "signed request",
        "STS issued credentials",
        "credentials resolved",
        "authenticated",
        "request refused",
    ] {
        assert!(logs.contains(needle), "{needle:?} not logged:\n{logs}");
    }
    let all = texts.join("\n");
    for needle in [
        "AuthenticationFail.OIDCToken.Invalid",
        "ServiceUnavailable",
        "could not be decoded (not shown",
        "IMDSv1 is disabled",
    ] {
        assert!(all.contains(needle), "{needle:?} not shown:\n{all}");
    }
    texts.push(logs);

    for text in &texts {
        for secret in &secrets {
            let once = aliyun_runtime::percent_encode(secret);
            let twice = aliyun_runtime::percent_encode(&once);
            for form in [secret.clone(), once, twice] {
                assert!(!text.contains(&form), "{form:?} appears in:\n{text}");
            }
        }
        // The emulator's issued STS tokens and IMDSv2 session tokens start so.
        for prefix in ["CAIS", "MDST"] {
            assert!(!text.contains(prefix), "a token appears in:\n{text}");
        }
    }
}

//! Temporary credentials end to end: the default chain against the
//! emulator's local STS, instance metadata service and credentials URI, and
//! the emulator accepting the keys they issue (until they expire). Every
//! source of the chain, its order, IMDSv2 with its IMDSv1 fallback, single
//! flight under 100 concurrent callers, and credentials that expire while a
//! waiter runs. The chain reads an injected environment whose home is a
//! temporary directory, so nothing of this machine's is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aliyun_runtime::credentials::{
    DefaultChain, OidcRole, Refreshing, RoleSession, StsEndpoint, Timing,
};
use aliyun_runtime::ProvideCredentials;
use aliyun_vod::waiter::{wait_for_jobs, WaitOptions};
use aliyun_vod::{Client, Config};
use vod_e2e::{file_server, TestEnv};
use vod_emulator::{
    Emulator, EmulatorConfig, Faults, IdentityConfig, RunningEmulator, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
};

const OIDC_TOKEN: &str = "eyJ-e2e-oidc-token";
const ROLE_ARN: &str = "acs:ram::1234567890123456:role/vod-uploader";
const PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/ack-rrsa";
const ECS_ROLE: &str = "vod-ecs-role";

/// An emulator playing STS and the metadata service, and a home directory.
struct World {
    emu: RunningEmulator,
    home: tempfile::TempDir,
    vars: HashMap<String, String>,
}

fn identity() -> IdentityConfig {
    IdentityConfig {
        oidc_token: Some(OIDC_TOKEN.to_owned()),
        ecs_role: Some(ECS_ROLE.to_owned()),
        ..IdentityConfig::default()
    }
}

impl World {
    async fn start(identity: IdentityConfig) -> World {
        let emu = Emulator::start(
            EmulatorConfig::default()
                .with_identity(identity)
                .with_step_delay(Duration::ZERO),
        )
        .await
        .unwrap();
        World {
            emu,
            home: tempfile::tempdir().unwrap(),
            vars: HashMap::new(),
        }
    }

    fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    fn unset(&mut self, name: &str) -> &mut Self {
        self.vars.remove(name);
        self
    }

    /// Writes `text` to `relative` under the home directory.
    fn file(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.home.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn token_file(&self) -> PathBuf {
        // Kubernetes mounts the token with a trailing newline.
        self.file("oidc/token", &format!("{OIDC_TOKEN}\n"))
    }

    /// A fresh chain over this world, its STS and metadata service.
    fn chain(&self) -> DefaultChain {
        let env = TestEnv {
            vars: self.vars.clone(),
            home: self.home.path().to_owned(),
        };
        DefaultChain::with_environment(Arc::new(env))
            .with_sts_endpoint(self.emu.base_url())
            .with_metadata_endpoint(self.emu.base_url())
    }

    fn client(&self, credentials: impl ProvideCredentials + 'static) -> Client {
        Client::new(
            Config::new()
                .endpoint(self.emu.base_url())
                .credentials(credentials)
                .rate_limit(false),
        )
        .unwrap()
    }
}

fn config_json(profile: &str) -> String {
    format!(
        r#"{{"current": "default", "profiles": [
            {{"name": "base", "mode": "AK", "access_key_id": "{DEFAULT_ACCESS_KEY_ID}", "access_key_secret": "{DEFAULT_ACCESS_KEY_SECRET}"}},
            {profile}
        ]}}"#
    )
}

/// One source set up on its own; what its resolved source must mention.
struct Case {
    name: &'static str,
    setup: fn(&mut World),
    source: &'static str,
}

fn oidc_env(w: &mut World) {
    let file = w.token_file();
    w.set("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN)
        .set("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER_ARN)
        .set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", file.to_str().unwrap())
        .set("ALIBABA_CLOUD_ROLE_SESSION_NAME", "e2e-session");
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "OIDC from the environment",
            setup: oidc_env,
            source: "environment (OIDC)",
        },
        Case {
            name: "config.json RamRoleArn",
            setup: |w| {
                w.file(
                    ".aliyun/config.json",
                    &config_json(&format!(
                        r#"{{"name": "default", "mode": "RamRoleArn", "access_key_id": "{DEFAULT_ACCESS_KEY_ID}", "access_key_secret": "{DEFAULT_ACCESS_KEY_SECRET}", "ram_role_arn": "{ROLE_ARN}", "ram_session_name": "e2e", "external_id": "ext-1"}}"#
                    )),
                );
            },
            source: "AssumeRole",
        },
        Case {
            name: "config.json ChainableRamRoleArn",
            setup: |w| {
                w.file(
                    ".aliyun/config.json",
                    &config_json(&format!(
                        r#"{{"name": "default", "mode": "ChainableRamRoleArn", "source_profile": "base", "ram_role_arn": "{ROLE_ARN}"}}"#
                    )),
                );
            },
            source: "AssumeRole",
        },
        Case {
            name: "config.json EcsRamRole",
            setup: |w| {
                w.file(
                    ".aliyun/config.json",
                    &config_json(&format!(
                        r#"{{"name": "default", "mode": "EcsRamRole", "ram_role_name": "{ECS_ROLE}"}}"#
                    )),
                );
            },
            source: "ECS RAM role",
        },
        Case {
            name: "config.json OIDC",
            setup: |w| {
                let file = w.token_file();
                w.file(
                    ".aliyun/config.json",
                    &config_json(&format!(
                        r#"{{"name": "default", "mode": "OIDC", "ram_role_arn": "{ROLE_ARN}", "oidc_provider_arn": "{PROVIDER_ARN}", "oidc_token_file": "{}", "role_session_name": "e2e"}}"#,
                        file.display()
                    )),
                );
            },
            source: "OIDC",
        },
        Case {
            name: "INI ram_role_arn",
            setup: |w| {
                w.file(
                    ".alibabacloud/credentials",
                    &format!("[default]\ntype = ram_role_arn\naccess_key_id = {DEFAULT_ACCESS_KEY_ID}\naccess_key_secret = {DEFAULT_ACCESS_KEY_SECRET}\nrole_arn = {ROLE_ARN}\nrole_session_name = e2e\n"),
                );
            },
            source: "AssumeRole",
        },
        Case {
            name: "INI ecs_ram_role",
            setup: |w| {
                w.file(
                    ".alibabacloud/credentials",
                    &format!("[default]\ntype = ecs_ram_role\nrole_name = {ECS_ROLE}\n"),
                );
            },
            source: "ECS RAM role",
        },
        Case {
            name: "INI oidc_role_arn",
            setup: |w| {
                let file = w.token_file();
                w.file(
                    ".alibabacloud/credentials",
                    &format!(
                        "[default]\ntype = oidc_role_arn\nrole_arn = {ROLE_ARN}\noidc_provider_arn = {PROVIDER_ARN}\noidc_token_file_path = {}\n",
                        file.display()
                    ),
                );
            },
            source: "OIDC",
        },
        Case {
            name: "instance metadata, role discovered",
            setup: |_| {},
            source: "instance metadata",
        },
        Case {
            name: "instance metadata, role named",
            setup: |w| {
                w.set("ALIBABA_CLOUD_ECS_METADATA", ECS_ROLE);
            },
            source: ECS_ROLE,
        },
        Case {
            name: "credentials URI",
            setup: |w| {
                let uri = format!("{}/__emulator/credentials", w.emu.base_url());
                w.set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
                    .set("ALIBABA_CLOUD_CREDENTIALS_URI", uri);
            },
            source: "ALIBABA_CLOUD_CREDENTIALS_URI",
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_source_yields_sts_credentials_the_emulator_accepts() {
    // IMDSv2 enforced: the metadata cases pass only through the token flow.
    let mut w = World::start(IdentityConfig {
        imdsv2_only: true,
        ..identity()
    })
    .await;
    for case in cases() {
        w.vars.clear();
        let _ = std::fs::remove_dir_all(w.home.path().join(".aliyun"));
        let _ = std::fs::remove_dir_all(w.home.path().join(".alibabacloud"));
        (case.setup)(&mut w);
        let chain = w.chain();
        let resolved = chain
            .resolve()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(
            resolved.source.contains(case.source),
            "{}: {}",
            case.name,
            resolved.source
        );
        assert!(
            resolved.credentials.access_key_id().starts_with("STS."),
            "{}",
            case.name
        );
        assert!(resolved.credentials.security_token().is_some());
        let expires = resolved.expiration.expect("temporary credentials expire");
        assert!(expires > time::OffsetDateTime::now_utc() + time::Duration::minutes(50));

        // The VOD API takes them, through the same chain.
        let out = w
            .client(chain)
            .get_url_upload_infos()
            .job_ids(["0123456789abcdef0123456789abcdef"])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(out.non_exists.len(), 1);
    }
    let stats = w.emu.stats();
    // Six cases assume a role, five read the metadata service or the URI.
    assert_eq!(
        (stats.sts_calls, stats.metadata_credentials_served),
        (6, 5),
        "{stats:?}"
    );
    assert_eq!(stats.errors, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_tries_sources_in_the_official_order() {
    let mut w = World::start(identity()).await;
    oidc_env(&mut w);
    let uri = format!("{}/__emulator/credentials", w.emu.base_url());
    w.set("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .set("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET)
        .set("ALIBABA_CLOUD_CREDENTIALS_URI", uri);
    w.file(
        ".aliyun/config.json",
        &config_json(&format!(
            r#"{{"name": "default", "mode": "EcsRamRole", "ram_role_name": "{ECS_ROLE}"}}"#
        )),
    );
    w.file(
        ".alibabacloud/credentials",
        &format!("[default]\ntype = ram_role_arn\naccess_key_id = {DEFAULT_ACCESS_KEY_ID}\naccess_key_secret = {DEFAULT_ACCESS_KEY_SECRET}\nrole_arn = {ROLE_ARN}\n"),
    );
    let config_file = w.home.path().join(".aliyun/config.json");
    let ini_file = w.home.path().join(".alibabacloud/credentials");

    let source = |w: &World| {
        let chain = w.chain();
        async move { chain.resolve().await.unwrap().source }
    };
    let s = source(&w).await;
    assert_eq!(s, "environment");
    w.unset("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .unset("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    let s = source(&w).await;
    assert!(s.starts_with("environment (OIDC)"), "{s}");
    w.unset("ALIBABA_CLOUD_ROLE_ARN");
    let s = source(&w).await;
    assert!(
        s.contains("config.json") && s.contains("ECS RAM role"),
        "{s}"
    );
    std::fs::remove_file(&config_file).unwrap();
    let s = source(&w).await;
    assert!(s.contains("credentials") && s.contains("AssumeRole"), "{s}");
    std::fs::remove_file(&ini_file).unwrap();
    let s = source(&w).await;
    assert!(s.starts_with("instance metadata"), "{s}");
    w.set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    let s = source(&w).await;
    assert!(
        s.starts_with("environment (ALIBABA_CLOUD_CREDENTIALS_URI)"),
        "{s}"
    );

    // Nothing left: the error lists every place, and why.
    w.unset("ALIBABA_CLOUD_CREDENTIALS_URI");
    let e = w.chain().resolve().await.unwrap_err().to_string();
    for place in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "OIDC role (environment)",
        "config.json",
        "credentials",
        "ECS RAM role",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
    ] {
        assert!(e.contains(place), "{place} not in {e}");
    }
    assert!(e.contains("ALIBABA_CLOUD_ROLE_ARN not set"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imdsv1_is_the_fallback_only_when_allowed_and_slowness_fails_cleanly() {
    let mut w = World::start(identity()).await;
    // The token request fails; the role's credentials are read without one.
    let fail_token = Faults {
        metadata_fail_next: 1,
        ..Faults::default()
    };
    w.emu.set_faults(fail_token.clone()).unwrap();
    let r = w.chain().resolve().await.unwrap();
    assert!(r.source.starts_with("instance metadata"), "{}", r.source);
    assert_eq!(w.emu.stats().metadata_credentials_served, 1);

    // Not when IMDSv1 is disabled.
    w.set("ALIBABA_CLOUD_IMDSV1_DISABLED", "true");
    w.emu.set_faults(fail_token).unwrap();
    let e = w.chain().resolve().await.unwrap_err().to_string();
    assert!(
        e.contains("HTTP 500") && e.contains("IMDSv1 is disabled"),
        "{e}"
    );

    // A metadata service slower than its timeouts (1 s to connect, 1 s to
    // read) is given up on.
    w.emu
        .set_faults(Faults {
            metadata_latency_ms: 2_500,
            ..Faults::default()
        })
        .unwrap();
    let e = w.chain().resolve().await.unwrap_err().to_string();
    assert!(e.contains("ECS RAM role") && e.contains("timed out"), "{e}");

    // A role that is not attached.
    w.emu.set_faults(Faults::default()).unwrap();
    w.set("ALIBABA_CLOUD_ECS_METADATA", "not-attached");
    let e = w.chain().resolve().await.unwrap_err().to_string();
    assert!(e.contains("HTTP 404"), "{e}");
    assert_eq!(w.emu.stats().metadata_credentials_served, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_oidc_token_or_role_is_reported_without_the_token() {
    let mut w = World::start(IdentityConfig {
        oidc_token: Some("some-other-token".to_owned()),
        ..identity()
    })
    .await;
    oidc_env(&mut w);
    w.set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    let e = w.chain().resolve().await.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains("AuthenticationFail.OIDCToken.Invalid"),
        "{shown}"
    );
    assert!(!shown.contains(OIDC_TOKEN), "{shown}");
    w.set("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::123:user/not-a-role");
    let e = w.chain().resolve().await.unwrap_err().to_string();
    assert!(e.contains("RoleArn"), "{e}");
    assert_eq!(w.emu.stats().sts_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_callers_share_one_sts_call() {
    let mut w = World::start(identity()).await;
    oidc_env(&mut w);
    let client = w.client(w.chain());
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .get_url_upload_infos()
                .job_ids(["0123456789abcdef0123456789abcdef"])
                .send()
                .await
        })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    let stats = w.emu.stats();
    assert_eq!(stats.sts_calls, 1, "{stats:?}");
    assert_eq!(stats.requests, 101, "{stats:?}");
}

fn token_file_in(dir: &Path) -> PathBuf {
    let path = dir.join("token");
    std::fs::write(&path, OIDC_TOKEN).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_expire_and_are_refreshed_while_a_waiter_runs() {
    // The local STS issues 3-second credentials; the emulator refuses them
    // once expired. The job takes about 4 s, so the waiter's polls outlive
    // two generations of credentials, and succeed only if each is signed
    // with credentials valid when it is sent.
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_identity(IdentityConfig {
                max_lifetime: Duration::from_secs(3),
                ..identity()
            })
            .with_step_delay(Duration::from_millis(1_000)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut session = RoleSession::new(ROLE_ARN);
    session.endpoint = StsEndpoint {
        url: Some(emu.base_url()),
        ..StsEndpoint::default()
    };
    let role = OidcRole::new(session, PROVIDER_ARN, token_file_in(dir.path())).unwrap();
    let timing = Timing {
        refresh_before: Duration::from_secs(1),
        min_remaining: Duration::from_millis(500),
        ..Timing::default()
    };
    let provider = Refreshing::with_timing(role, timing);
    let client = Client::new(
        Config::new()
            .endpoint(emu.base_url())
            .credentials(provider)
            .rate_limit(false),
    )
    .unwrap();
    let files = file_server().await;
    let created = client
        .upload_media_by_url()
        .upload_urls([format!("{files}/clip.mp4")])
        .send()
        .await
        .unwrap();
    let job = created.upload_jobs[0].job_id.clone().unwrap();
    let done = wait_for_jobs(
        &client,
        [job],
        WaitOptions {
            poll_interval: Duration::from_millis(200),
            max_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(30),
        },
        |_| {},
    )
    .await
    .unwrap();
    assert!(done.all_succeeded(), "{done:?}");
    let stats = emu.stats();
    assert!(stats.sts_calls >= 2, "{stats:?}");
    assert_eq!(
        stats.errors, 0,
        "no request signed with expired keys: {stats:?}"
    );

    // The emulator does refuse them: expire every issued key at once, and the
    // provider, which still believes its credentials valid, is refused.
    emu.expire_issued_credentials();
    let e = client
        .get_url_upload_infos()
        .job_ids(["0123456789abcdef0123456789abcdef"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.as_service().map(|s| s.code.as_str()),
        Some("InvalidSecurityToken.Expired")
    );
}

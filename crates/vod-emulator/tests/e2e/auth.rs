//! Authentication: both signature versions, clock window, nonces, STS, and the
//! error bodies that refuse a request.

use std::time::Duration;

use aliyun_sign::{Credentials, HttpMethod, Timestamp};
use vod_emulator::EmulatorConfig;

use crate::support::*;

const UNKNOWN: &str = "0123456789abcdef0123456789abcdef";

fn lookup() -> Call {
    call("GetURLUploadInfos", &[("JobIds", UNKNOWN)])
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.text);
}

#[tokio::test]
async fn v1_get_v1_post_and_v3_are_accepted() {
    let emu = emulator().await;
    let base = emu.base_url();
    for r in [
        lookup().method(HttpMethod::Get).v1(&base).await,
        lookup().method(HttpMethod::Post).v1(&base).await,
        lookup().method(HttpMethod::Post).v3(&base).await,
        lookup().method(HttpMethod::Get).v3(&base).await,
        // V3 with the business parameters in a form body.
        lookup().v3_with(&base, true, |_| {}).await,
    ] {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["NonExists"], serde_json::json!([UNKNOWN]));
    }
}

#[tokio::test]
async fn error_bodies_carry_request_id_host_and_recommendation() {
    let emu = emulator().await;
    let base = emu.base_url();
    let r = lookup()
        .creds(Credentials::new("LTAI5tNobody", "x"))
        .v1(&base)
        .await;
    assert_error(&r, 404, "InvalidAccessKeyId.NotFound");
    let body = r.json();
    let id = body["RequestId"].as_str().unwrap();
    assert!(uuid_upper(id), "{id}");
    assert_eq!(r.header("x-acs-request-id"), Some(id));
    assert_eq!(body["HostId"], base.trim_start_matches("http://"));
    assert_eq!(
        body["Recommend"],
        "https://api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Vod"
    );

    let r = lookup()
        .creds(Credentials::new("LTAI5tNobody", "x"))
        .format(Some("XML"))
        .v1(&base)
        .await;
    assert_eq!(r.status, 404);
    assert!(
        r.text
            .starts_with("<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>"),
        "{}",
        r.text
    );
    assert!(r.text.contains("<Code>InvalidAccessKeyId.NotFound</Code>"));
    assert!(r
        .text
        .contains("q=InvalidAccessKeyId.NotFound&amp;product=Vod</Recommend></Error>"));
}

fn uuid_upper(s: &str) -> bool {
    s.len() == 36
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
}

#[tokio::test]
async fn wrong_signatures_are_refused_with_the_server_string_to_sign() {
    let emu = emulator().await;
    let base = emu.base_url();
    let wrong = Credentials::new(vod_emulator::DEFAULT_ACCESS_KEY_ID, "not-the-secret");

    let r = lookup()
        .creds(wrong.clone())
        .method(HttpMethod::Get)
        .v1(&base)
        .await;
    assert_error(&r, 400, "SignatureDoesNotMatch");
    let message = r.json()["Message"].as_str().unwrap().to_owned();
    let prefix =
        "Specified signature is not matched with our calculation. server string to sign is:";
    assert!(
        message.starts_with(&format!("{prefix}GET&%2F&AccessKeyId%3D")),
        "{message}"
    );

    let r = lookup().creds(wrong).v3(&base).await;
    assert_error(&r, 400, "SignatureDoesNotMatch");
    let message = r.json()["Message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with(&format!("{prefix}ACS3-HMAC-SHA256\n")),
        "{message}"
    );

    // A parameter changed after signing (V1).
    let encoded = lookup()
        .v1_encoded()
        .replace(UNKNOWN, "ffffffffffffffffffffffffffffffff");
    assert_error(
        &send_v1(&base, HttpMethod::Post, &encoded).await,
        400,
        "SignatureDoesNotMatch",
    );

    // The V1 method is part of what is signed: POST-signed, sent as GET.
    let encoded = lookup().v1_encoded();
    assert_error(
        &send_v1(&base, HttpMethod::Get, &encoded).await,
        400,
        "SignatureDoesNotMatch",
    );

    // V3: the body changed after signing (x-acs-content-sha256 no longer matches).
    let r = lookup()
        .v3_with(&base, true, |req| {
            *req.body_mut() = Some(format!("JobIds={UNKNOWN}&Format=JSON&X=1").into());
        })
        .await;
    assert_error(&r, 400, "SignatureDoesNotMatch");

    // V3: a query parameter added after signing.
    let r = lookup()
        .v3_with(&base, false, |req| {
            req.url_mut()
                .query_pairs_mut()
                .append_pair("UploadURLs", "x");
        })
        .await;
    assert_error(&r, 400, "SignatureDoesNotMatch");

    // V3: an x-acs-* header added after signing must have been signed.
    let r = lookup()
        .v3_with(&base, false, |req| {
            req.headers_mut()
                .insert("x-acs-extra", "1".parse().unwrap());
        })
        .await;
    assert_error(&r, 400, "IncompleteSignature");
    assert_eq!(emu.stats().requests, 7);
}

#[tokio::test]
async fn unsigned_and_unknown_callers_are_refused() {
    let emu = emulator().await;
    let base = emu.base_url();
    let r = send_v1(
        &base,
        HttpMethod::Get,
        "Action=GetURLUploadInfos&Version=2017-03-21&JobIds=a&Format=JSON",
    )
    .await;
    assert_error(&r, 400, "MissingParameter");
    assert!(r.json()["Message"]
        .as_str()
        .unwrap()
        .contains("\"AccessKeyId\""));

    for r in [
        lookup()
            .creds(Credentials::new("LTAI5tNobody", "x"))
            .v1(&base)
            .await,
        lookup()
            .creds(Credentials::new("LTAI5tNobody", "x"))
            .v3(&base)
            .await,
    ] {
        assert_error(&r, 404, "InvalidAccessKeyId.NotFound");
    }

    let r = reply(
        reqwest::Client::new()
            .post(format!("{base}/"))
            .header("authorization", "ACS3-HMAC-SHA256 garbage")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 400, "IncompleteSignature");
}

#[tokio::test]
async fn reused_nonces_are_refused() {
    let emu = emulator().await;
    let base = emu.base_url();
    let encoded = lookup().v1_encoded();
    assert_eq!(send_v1(&base, HttpMethod::Post, &encoded).await.status, 200);
    assert_error(
        &send_v1(&base, HttpMethod::Post, &encoded).await,
        400,
        "SignatureNonceUsed",
    );

    let c = lookup();
    assert_eq!(c.v3(&base).await.status, 200);
    assert_error(&c.v3(&base).await, 400, "SignatureNonceUsed");
}

#[tokio::test]
async fn timestamps_outside_fifteen_minutes_are_refused() {
    let emu = emulator().await;
    let base = emu.base_url();
    let old =
        Timestamp::from_datetime(time::OffsetDateTime::now_utc() - Duration::from_secs(20 * 60));
    let ahead =
        Timestamp::from_datetime(time::OffsetDateTime::now_utc() + Duration::from_secs(20 * 60));
    let near =
        Timestamp::from_datetime(time::OffsetDateTime::now_utc() - Duration::from_secs(10 * 60));
    assert_error(
        &lookup().timestamp(old.clone()).v1(&base).await,
        400,
        "InvalidTimeStamp.Expired",
    );
    assert_error(
        &lookup().timestamp(ahead).v1(&base).await,
        400,
        "InvalidTimeStamp.Expired",
    );
    assert_error(
        &lookup().timestamp(old).v3(&base).await,
        400,
        "InvalidTimeStamp.Expired",
    );
    assert_eq!(lookup().timestamp(near).v1(&base).await.status, 200);
}

#[tokio::test]
async fn sts_keys_need_their_token() {
    let sts = Credentials::new("STS.NUgYrLnoC", "StsSecret").with_security_token("CAIS+token/=");
    let emu = start(
        EmulatorConfig::default()
            .with_step_delay(Duration::ZERO)
            .with_access_keys([sts.clone()]),
    )
    .await;
    let base = emu.base_url();
    assert_eq!(lookup().creds(sts.clone()).v1(&base).await.status, 200);
    assert_eq!(lookup().creds(sts.clone()).v3(&base).await.status, 200);

    let bad = Credentials::new("STS.NUgYrLnoC", "StsSecret").with_security_token("other");
    assert_error(
        &lookup().creds(bad.clone()).v1(&base).await,
        400,
        "InvalidSecurityToken.Mismatch",
    );
    assert_error(
        &lookup().creds(bad).v3(&base).await,
        400,
        "InvalidSecurityToken.Mismatch",
    );

    let none = Credentials::new("STS.NUgYrLnoC", "StsSecret");
    assert_error(
        &lookup().creds(none.clone()).v1(&base).await,
        400,
        "MissingSecurityToken",
    );
    assert_error(
        &lookup().creds(none).v3(&base).await,
        400,
        "MissingSecurityToken",
    );

    // The default key is not configured here.
    assert_error(
        &lookup().v1(&base).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let emu = start(EmulatorConfig::default().with_limits(vod_emulator::Limits {
        max_body_bytes: 4096,
        ..vod_emulator::Limits::default()
    }))
    .await;
    let base = emu.base_url();
    let big = "x".repeat(5000);
    let c = call("GetURLUploadInfos", &[("JobIds", &big)]);
    let r = c.v1(&base).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(
        r.text.contains("<Code>RequestEntityTooLarge</Code>"),
        "{}",
        r.text
    );
    // Without a Content-Length (chunked), the cap holds too.
    let encoded = c.v1_encoded();
    let stream = futures::stream::iter(
        encoded
            .into_bytes()
            .chunks(1000)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let r = reply(
        reqwest::Client::new()
            .post(format!("{base}/?Format=JSON"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 413, "RequestEntityTooLarge");
}

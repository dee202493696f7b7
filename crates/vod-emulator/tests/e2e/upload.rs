//! UploadMediaByURL and GetURLUploadInfos: jobs, statuses, lookups, formats.

use aliyun_sign::HttpMethod;
use serde_json::Value;
use vod_emulator::{EmulatorConfig, Limits};

use crate::support::*;

fn is_hex32(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[tokio::test]
async fn upload_then_poll_until_success_with_the_real_file_size() {
    let emu = emulator().await;
    let src = Sources::start().await;
    let (a, b) = (src.url(1234, "a.mp4"), src.url(0, "empty.mp4"));
    let user_data = r#"{"Extend":{"localId":"x & y"}}"#;
    let joined = encode_list(&[&a, &b]);
    let r = call(
        "UploadMediaByURL",
        &[("UploadURLs", &joined), ("UserData", user_data)],
    )
    .v1(&emu.base_url())
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let body = r.json();
    let jobs = body["UploadJobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["SourceURL"], a.as_str(), "input order kept");
    assert_eq!(jobs[1]["SourceURL"], b.as_str());
    assert!(jobs.iter().all(|j| is_hex32(&j["JobId"])));
    let ids: Vec<String> = jobs
        .iter()
        .map(|j| j["JobId"].as_str().unwrap().to_owned())
        .collect();

    let infos = wait_terminal(&emu.base_url(), &ids).await;
    for (info, (id, size)) in infos.iter().zip([(&ids[0], "1234"), (&ids[1], "0")]) {
        assert_eq!(info["JobId"], id.as_str());
        assert_eq!(info["Status"], "SUCCESS");
        assert_eq!(info["FileSize"], size);
        assert_eq!(info["UserData"], user_data);
        assert!(is_hex32(&info["MediaId"]), "{info}");
        for t in ["CreationTime", "CompleteTime"] {
            let t = info[t].as_str().unwrap();
            assert!(aliyun_sign::Timestamp::parse(t).is_ok(), "{t}");
        }
        assert!(info.get("ErrorCode").is_none() && info.get("ErrorMessage").is_none());
    }
    assert_eq!(emu.stats().jobs, 2);
    assert_eq!(emu.stats().upload_media_by_url_calls, 1);
}

#[tokio::test]
async fn statuses_are_walked_one_step_delay_at_a_time() {
    let emu =
        start(EmulatorConfig::default().with_step_delay(std::time::Duration::from_millis(300)))
            .await;
    let src = Sources::start().await;
    let ids = upload(&emu.base_url(), &[&src.url(5, "slow.mp4")], &[]).await;
    let r = call("GetURLUploadInfos", &[("JobIds", &ids[0])])
        .v1(&emu.base_url())
        .await;
    let info = &r.json()["URLUploadInfoList"][0];
    assert_eq!(info["Status"], "PENDING");
    assert!(
        info.get("MediaId").is_none()
            && info.get("CompleteTime").is_none()
            && info.get("FileSize").is_none()
    );
}

#[tokio::test]
async fn failing_sources_end_in_download_fail() {
    let emu = start(
        EmulatorConfig::default()
            .with_step_delay(std::time::Duration::ZERO)
            .with_limits(Limits {
                max_download_bytes: 100,
                ..Limits::default()
            }),
    )
    .await;
    let src = Sources::start().await;
    // A port nobody listens on: bind one, then free it.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let unreachable = format!("http://{closed}/x.mp4");
    let urls = [
        src.status_url(404),
        unreachable,
        src.url(101, "big.mp4"),
        src.url(100, "ok.mp4"),
    ];
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let ids = upload(&emu.base_url(), &refs, &[]).await;
    let infos = wait_terminal(&emu.base_url(), &ids).await;
    let by_id = |id: &str| infos.iter().find(|i| i["JobId"] == id).unwrap().clone();

    let not_found = by_id(&ids[0]);
    assert_eq!(not_found["Status"], "DOWNLOAD_FAIL");
    assert_eq!(not_found["ErrorCode"], "404");
    assert!(not_found["ErrorMessage"].as_str().unwrap().contains("404"));
    assert!(not_found.get("MediaId").is_none());
    assert!(not_found["CompleteTime"].is_string());

    let refused = by_id(&ids[1]);
    assert_eq!(refused["Status"], "DOWNLOAD_FAIL");
    assert_eq!(refused["ErrorCode"], "DownloadFailed");

    let big = by_id(&ids[2]);
    assert_eq!(big["Status"], "DOWNLOAD_FAIL");
    assert!(
        big["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("limit of 100 bytes"),
        "{big}"
    );

    assert_eq!(by_id(&ids[3])["Status"], "SUCCESS");
}

#[tokio::test]
async fn lookup_by_upload_urls_with_awkward_characters() {
    let emu = emulator().await;
    let src = Sources::start().await;
    let base = emu.base_url();
    let urls = [
        src.url(11, "my video.mp4"),
        src.url(12, "a,b.mp4"),
        src.url(13, "x.mp4?a=1&b=2"),
        src.url(14, "c++ intro.mp4"),
        src.url(15, "视频 ü.mp4"),
    ];
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let ids = upload(&base, &refs, &[]).await;
    wait_terminal(&base, &ids).await;

    let joined = encode_list(&refs);
    let r = call("GetURLUploadInfos", &[("UploadURLs", &joined)])
        .v1(&base)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    let infos = body["URLUploadInfoList"].as_array().unwrap();
    assert_eq!(body["NonExists"], serde_json::json!([]));
    let got: Vec<(&str, &str)> = infos
        .iter()
        .map(|i| {
            (
                i["UploadURL"].as_str().unwrap(),
                i["FileSize"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, String)> = refs
        .iter()
        .zip(11..)
        .map(|(u, n)| (*u, n.to_string()))
        .collect();
    assert_eq!(
        got,
        want.iter()
            .map(|(u, n)| (*u, n.as_str()))
            .collect::<Vec<_>>()
    );

    // Uploaded again: the URL is answered once, with its latest job.
    let again = upload(&base, &refs[..1], &[]).await;
    let twice = encode_list(&[refs[0], refs[0]]);
    let r = call("GetURLUploadInfos", &[("UploadURLs", &twice)])
        .v1(&base)
        .await;
    let infos = r.json()["URLUploadInfoList"].as_array().unwrap().clone();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0]["JobId"], again[0].as_str());
}

#[tokio::test]
async fn job_ids_win_and_unknown_ids_are_listed() {
    let emu = emulator().await;
    let src = Sources::start().await;
    let base = emu.base_url();
    let ids = upload(&base, &[&src.url(3, "a.mp4")], &[]).await;
    let unknown = "0123456789abcdef0123456789abcdef";
    let job_ids = format!("{},{unknown}", ids[0]);
    let r = call(
        "GetURLUploadInfos",
        &[
            ("JobIds", &job_ids),
            ("UploadURLs", "http%3A%2F%2Fnowhere%2Fx"),
        ],
    )
    .v1(&base)
    .await;
    let body = r.json();
    assert_eq!(body["NonExists"], serde_json::json!([unknown]));
    assert_eq!(body["URLUploadInfoList"][0]["JobId"], ids[0].as_str());
    assert!(body["RequestId"].is_string());

    let r = call(
        "GetURLUploadInfos",
        &[("UploadURLs", "http%3A%2F%2Fnowhere%2Fx")],
    )
    .v1(&base)
    .await;
    assert_eq!(
        r.json()["NonExists"],
        serde_json::json!(["http://nowhere/x"])
    );
}

#[tokio::test]
async fn parameter_errors() {
    let emu = emulator().await;
    let base = emu.base_url();
    let check = |r: Reply, status: u16, code: &str, needle: &str| {
        assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.text);
        let message = r.json()["Message"].as_str().unwrap().to_owned();
        assert!(message.contains(needle), "{message}");
    };
    let r = call("GetURLUploadInfos", &[]).v1(&base).await;
    check(
        r,
        400,
        "MissingParameter",
        r#"The input parameter "JobIds" that is mandatory for processing this request is not supplied."#,
    );

    let eleven: Vec<String> = (0..11).map(|i| format!("{i:032x}")).collect();
    let r = call("GetURLUploadInfos", &[("JobIds", &eleven.join(","))])
        .v1(&base)
        .await;
    check(r, 400, "InvalidParameter", "JobIds");
    let r = call(
        "GetURLUploadInfos",
        &[("UploadURLs", &["http%3A%2F%2Fh%2Fa"; 11].join(","))],
    )
    .v1(&base)
    .await;
    check(r, 400, "InvalidParameter", "UploadURLs");

    let r = call("UploadMediaByURL", &[]).v1(&base).await;
    check(r, 400, "MissingParameter", "UploadURLs");
    let r = call(
        "UploadMediaByURL",
        &[("UploadURLs", "ftp%3A%2F%2Fh%2Fa.mp4")],
    )
    .v1(&base)
    .await;
    check(r, 400, "InvalidParameter.UploadURLs", "ftp://h/a.mp4");
    let r = call(
        "UploadMediaByURL",
        &[("UploadURLs", &["http%3A%2F%2Fh%2Fa"; 21].join(","))],
    )
    .v1(&base)
    .await;
    check(r, 400, "InvalidParameter", "at most 20");
    let r = call(
        "UploadMediaByURL",
        &[
            ("UploadURLs", "http%3A%2F%2Fh%2Fa"),
            ("UploadMetadatas", "{not json"),
        ],
    )
    .v1(&base)
    .await;
    check(r, 400, "InvalidParameter", "UploadMetadatas");
    assert_eq!(emu.stats().jobs, 0, "no job is created by a refused call");

    let r = call("DeleteEverything", &[("VideoIds", "x")])
        .v1(&base)
        .await;
    check(r, 404, "InvalidAction.NotFound", "api is not found");
}

#[tokio::test]
async fn upload_metadatas_are_accepted_with_matching_urls() {
    let emu = emulator().await;
    let src = Sources::start().await;
    let url = src.url(7, "m.mp4");
    let meta = serde_json::json!([{ "SourceURL": url, "Title": "t" }]).to_string();
    let ids = upload(&emu.base_url(), &[&url], &[("UploadMetadatas", &meta)]).await;
    assert_eq!(
        wait_terminal(&emu.base_url(), &ids).await[0]["FileSize"],
        "7"
    );
}

#[tokio::test]
async fn xml_bodies_and_default_formats() {
    let emu = emulator().await;
    let src = Sources::start().await;
    let base = emu.base_url();
    let (a, b) = (src.url(9, "a.mp4?x=1&y=2"), src.url(8, "b.mp4"));
    let joined = encode_list(&[&a, &b]);
    let r = call("UploadMediaByURL", &[("UploadURLs", &joined)])
        .format(Some("XML"))
        .v1(&base)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/xml;charset=utf-8")
    );
    let text = &r.text;
    assert!(
        text.contains("<UploadMediaByURLResponse><RequestId>"),
        "{text}"
    );
    assert_eq!(text.matches("<UploadJobs><SourceURL>").count(), 2, "{text}");
    assert!(
        text.contains(&format!(
            "<SourceURL>{}</SourceURL>",
            a.replace('&', "&amp;")
        )),
        "{text}"
    );
    let id = text
        .split("<JobId>")
        .nth(1)
        .unwrap()
        .split("</JobId>")
        .next()
        .unwrap()
        .to_owned();
    wait_terminal(&base, std::slice::from_ref(&id)).await;

    // No Format on a V1 request: XML, as the real service.
    let ids = format!("{id},ffffffffffffffffffffffffffffffff");
    let r = call("GetURLUploadInfos", &[("JobIds", &ids)])
        .format(None)
        .method(HttpMethod::Get)
        .v1(&base)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let text = &r.text;
    assert!(
        text.contains("<GetURLUploadInfosResponse><RequestId>"),
        "{text}"
    );
    assert!(
        text.contains("<NonExists>ffffffffffffffffffffffffffffffff</NonExists>"),
        "{text}"
    );
    assert!(
        text.contains("<URLUploadInfoList><UrlUploadJobInfoDTO><CreationTime>"),
        "{text}"
    );
    assert!(
        text.contains("<Status>SUCCESS</Status>") && text.contains("<FileSize>9</FileSize>"),
        "{text}"
    );
    assert!(text.contains("x=1&amp;y=2</UploadURL>"), "{text}");

    // No Format on a V3 request: JSON.
    let r = call("GetURLUploadInfos", &[("JobIds", &id)])
        .format(None)
        .v3(&base)
        .await;
    assert_eq!(r.json()["URLUploadInfoList"][0]["JobId"], id.as_str());
    // Format given in lower case is honoured.
    let r = call("GetURLUploadInfos", &[("JobIds", &id)])
        .format(Some("json"))
        .v1(&base)
        .await;
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

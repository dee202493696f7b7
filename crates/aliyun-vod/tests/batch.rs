//! The batch helper: any number of job IDs or URLs, de-duplicated, split into
//! calls of at most 10, run concurrently, merged in input order.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use aliyun_vod::{Client, Config, Error, RetryConfig, Rule};
use serde_json::{json, Value};
use support::{Reply, Req, Server};

/// Knows every job except those whose ID starts with `missing`; answers in
/// reverse order, so ordering is the helper's work.
fn jobs(req: &Req) -> Reply {
    let mut infos = Vec::new();
    let mut missing = Vec::new();
    let by_url = req.param("JobIds").is_none();
    let items = if by_url {
        req.list("UploadURLs")
    } else {
        req.list("JobIds")
    };
    for item in items {
        let key = if by_url {
            aliyun_sign::percent_decode(&item)
        } else {
            item
        };
        if key.contains("missing") {
            missing.push(Value::from(key));
            continue;
        }
        let (job, url) = if by_url {
            (format!("job-for-{}", key.len()), key.clone())
        } else {
            (key.clone(), format!("https://example.com/{key}.mp4"))
        };
        infos.push(json!({"JobId": job, "UploadURL": url, "Status": "SUCCESS", "FileSize": "24"}));
    }
    infos.reverse();
    missing.reverse();
    Reply::formatted(
        req,
        200,
        &json!({"RequestId": format!("req-{}", req.index), "NonExists": missing, "URLUploadInfoList": infos}),
    )
}

fn client(server: &Server) -> Client {
    Client::new(
        Config::new()
            .endpoint(&server.url)
            .credentials(support::credentials())
            .retry(RetryConfig::disabled()),
    )
    .unwrap()
}

#[tokio::test]
async fn thirty_five_ids_with_unknown_and_repeated_ones_take_four_calls_merged_in_input_order() {
    let server = Server::start(jobs).await;
    // 35 distinct ids, every 7th unknown, plus 5 repeats.
    let unique: Vec<String> = (0..35)
        .map(|i| {
            if i % 7 == 3 {
                format!("missing-{i}")
            } else {
                format!("job-{i}")
            }
        })
        .collect();
    let mut input = unique.clone();
    input.extend(unique[..5].iter().cloned());

    let out = client(&server)
        .get_url_upload_infos_by_job_ids(&input)
        .await
        .unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    let mut sent = Vec::new();
    for r in &reqs {
        assert_eq!(r.rejected, None);
        let ids = r.list("JobIds");
        assert!(ids.len() <= 10, "{} ids in one call", ids.len());
        sent.extend(ids);
    }
    assert_eq!(sent.len(), 35, "each id asked for exactly once");
    assert_eq!(sent.iter().collect::<HashSet<_>>().len(), 35);

    let found: Vec<&str> = out
        .infos
        .iter()
        .map(|i| i.job_id.as_deref().unwrap())
        .collect();
    let expected_found: Vec<&str> = unique
        .iter()
        .map(String::as_str)
        .filter(|s| !s.contains("missing"))
        .collect();
    assert_eq!(found, expected_found);
    let expected_missing: Vec<&str> = unique
        .iter()
        .map(String::as_str)
        .filter(|s| s.contains("missing"))
        .collect();
    assert_eq!(out.non_exists, expected_missing);
    assert_eq!(out.non_exists.len(), 5);
    assert_eq!(out.request_ids.len(), 4);
    assert_eq!(out.job("job-34").unwrap().file_size, Some(24));
}

#[tokio::test]
async fn calls_of_a_batch_run_concurrently() {
    let server = Server::start(|req| jobs(req).delayed(Duration::from_millis(400))).await;
    let ids: Vec<String> = (0..40).map(|i| format!("job-{i}")).collect();
    client(&server)
        .get_url_upload_infos_by_job_ids(&ids)
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    // One after another, each would arrive 400 ms after the one before.
    let spread = reqs[3].arrived - reqs[0].arrived;
    assert!(
        spread < Duration::from_millis(400),
        "calls arrived over {spread:?}"
    );
}

#[tokio::test]
async fn upload_urls_are_batched_and_matched_back_to_the_input() {
    let server = Server::start(jobs).await;
    let urls: Vec<String> = (0..12)
        .map(|i| format!("https://example.com/{}{i}.mp4", "v".repeat(i)))
        .chain(["https://example.com/missing a.mp4".to_owned()])
        .collect();
    let out = client(&server)
        .get_url_upload_infos_by_upload_urls(&urls)
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.param("JobIds").is_none()));
    let got: Vec<&str> = out
        .infos
        .iter()
        .map(|i| i.upload_url.as_deref().unwrap())
        .collect();
    assert_eq!(
        got,
        urls[..12].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(out.non_exists, ["https://example.com/missing a.mp4"]);
}

#[tokio::test]
async fn no_ids_means_no_call() {
    let server = Server::start(jobs).await;
    let out = client(&server)
        .get_url_upload_infos_by_job_ids(Vec::<String>::new())
        .await
        .unwrap();
    assert_eq!(out, Default::default());
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn an_invalid_id_fails_the_batch_before_anything_is_sent() {
    let server = Server::start(jobs).await;
    let mut ids: Vec<String> = (0..25).map(|i| format!("job-{i}")).collect();
    ids[17] = "bad,id".into();
    let err = client(&server)
        .get_url_upload_infos_by_job_ids(&ids)
        .await
        .unwrap_err();
    let Error::Validation(v) = &err.error else {
        panic!("expected a validation error, got {err:?}")
    };
    // Item 7 of the second call.
    assert_eq!(
        (v.param.as_str(), &v.rule),
        (
            "JobIds",
            &Rule::ItemContainsSeparator {
                index: 7,
                separator: ','
            }
        )
    );
    assert_eq!(err.unresolved.len(), 25);
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn a_failed_call_keeps_the_other_calls_results() {
    let server = Server::start(|req| {
        if req.list("JobIds").iter().any(|id| id == "job-15") {
            Reply::error(req, 403, "Forbidden", "not yours")
        } else {
            jobs(req)
        }
    })
    .await;
    let ids: Vec<String> = (0..25).map(|i| format!("job-{i}")).collect();
    let err = client(&server)
        .get_url_upload_infos_by_job_ids(&ids)
        .await
        .unwrap_err();
    assert_eq!((err.failed_calls, err.calls), (1, 3));
    assert_eq!(err.error.code(), Some("Forbidden"));
    assert_eq!(err.unresolved, ids[10..20]);
    assert_eq!(err.partial.infos.len(), 15);
    assert!(err.to_string().starts_with("1 of 3 GetURLUploadInfos calls failed, 10 item(s) unresolved; first failure: Forbidden: not yours"), "{err}");
    // `?` into the SDK's error keeps the failure.
    let as_sdk: Error = err.into();
    assert_eq!(as_sdk.code(), Some("Forbidden"));
}

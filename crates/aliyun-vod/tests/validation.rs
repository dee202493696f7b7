//! Inputs are checked against the spec's rules before anything is sent: each
//! failure is a validation error naming the parameter and the rule, and the
//! server never sees a request.

mod support;

use aliyun_vod::{Client, Config, Error, Rule, ValidationError};
use serde_json::json;
use support::{Reply, Server};

async fn server() -> Server {
    Server::start(|req| Reply::formatted(req, 200, &json!({"RequestId": "ok"}))).await
}

fn client(server: &Server) -> Client {
    Client::new(
        Config::new()
            .endpoint(&server.url)
            .credentials(support::credentials()),
    )
    .unwrap()
}

fn validation(err: Error) -> ValidationError {
    match err {
        Error::Validation(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("job{i}")).collect()
}

#[tokio::test]
async fn eleven_job_ids_break_the_max_items_rule() {
    let server = server().await;
    let err = client(&server)
        .get_url_upload_infos()
        .job_ids(ids(11))
        .send()
        .await
        .unwrap_err();
    assert!(!err.may_have_been_sent());
    let v = validation(err);
    assert_eq!(
        (v.operation, v.param.as_str()),
        ("GetURLUploadInfos", "JobIds")
    );
    assert_eq!(v.rule, Rule::MaxItems { max: 10, got: 11 });
    assert_eq!(
        v.to_string(),
        "invalid input for GetURLUploadInfos: parameter JobIds takes at most 10 items, got 11"
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn an_empty_job_id_list_breaks_the_min_items_rule() {
    let server = server().await;
    let v = validation(
        client(&server)
            .get_url_upload_infos()
            .job_ids(Vec::<String>::new())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(v.param, "JobIds");
    assert_eq!(v.rule, Rule::MinItems { min: 1, got: 0 });
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn a_job_id_containing_a_comma_is_refused() {
    let server = server().await;
    let v = validation(
        client(&server)
            .get_url_upload_infos()
            .job_ids(["ok", "a,b"])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(v.param, "JobIds");
    assert_eq!(
        v.rule,
        Rule::ItemContainsSeparator {
            index: 1,
            separator: ','
        }
    );
    assert!(v.to_string().contains("item 1 contains ','"), "{v}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn neither_job_ids_nor_upload_urls_is_refused() {
    let server = server().await;
    let v = validation(
        client(&server)
            .get_url_upload_infos()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(v.param, "JobIds");
    assert_eq!(
        v.rule,
        Rule::AtLeastOneOf(vec!["JobIds".into(), "UploadURLs".into()])
    );
    assert!(
        v.to_string()
            .contains("at least one of JobIds, UploadURLs must be set"),
        "{v}"
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn with_both_set_job_ids_are_sent_and_upload_urls_are_not() {
    let server = server().await;
    client(&server)
        .get_url_upload_infos()
        .job_ids(["j1", "j2"])
        .upload_urls(["https://example.com/a.mp4"])
        .send()
        .await
        .unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.rejected, None);
    assert_eq!(req.param("JobIds"), Some("j1,j2"));
    assert_eq!(req.param("UploadURLs"), None);
}

#[tokio::test]
async fn upload_urls_are_percent_encoded_one_by_one_then_joined() {
    let server = server().await;
    client(&server)
        .get_url_upload_infos()
        .upload_urls(["https://example.com/a b,c.mp4", "http://e.com/视频.mp4"])
        .send()
        .await
        .unwrap();
    // Decoded once by the server: each item is still encoded, the comma between
    // items is not.
    assert_eq!(
        server.requests()[0].param("UploadURLs"),
        Some(
            "https%3A%2F%2Fexample.com%2Fa%20b%2Cc.mp4,http%3A%2F%2Fe.com%2F%E8%A7%86%E9%A2%91.mp4"
        )
    );
}

#[tokio::test]
async fn upload_media_by_url_checks_its_urls_before_sending() {
    let server = server().await;
    let c = client(&server);
    let v = validation(c.upload_media_by_url().send().await.unwrap_err());
    assert_eq!((v.param.as_str(), &v.rule), ("UploadURLs", &Rule::Required));
    let v = validation(
        c.upload_media_by_url()
            .upload_urls(["https://example.com/ok.mp4", "ftp://example.com/x.mp4"])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(v.param, "UploadURLs");
    assert_eq!(v.rule, Rule::NotHttpUrl { index: Some(1) });
    assert_eq!(server.count(), 0);
}

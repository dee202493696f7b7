//! The generated response types decode Alibaba's JSON and XML alike, from the
//! reference page's own samples (`tests/data/seed.*`) and from variants the
//! service or older documentation produce: fields left out, empty elements,
//! unknown fields and enum values, numbers as strings or numbers, and both XML
//! list layouts. Both directly and through a client talking to a local server.

mod support;

use aliyun_vod::get_url_upload_infos::UrlUploadJobStatus;
use aliyun_vod::get_url_upload_infos::{self, GetUrlUploadInfosOutput};
use aliyun_vod::runtime::{decode_output, Format};
use aliyun_vod::upload_media_by_url::{self, UploadMediaByUrlOutput};
use aliyun_vod::{Client, Config};
use support::{Reply, Server};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode(name: &str) -> GetUrlUploadInfosOutput {
    let format = if name.ends_with(".xml") {
        Format::Xml
    } else {
        Format::Json
    };
    decode_output(
        format,
        200,
        &fixture(name),
        get_url_upload_infos::OPERATION.output,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn seed_json_sample_decodes_every_field() {
    let out = decode("seed.json");
    assert_eq!(out.request_id, "25818875-5F78-4AF6-D7393642CA58****");
    // The page's sample puts one odd string in the list; it is kept as sent.
    assert_eq!(out.non_exists, [r#"["****1", "****2"]"#]);
    assert_eq!(out.url_upload_info_list.len(), 1);
    let job = &out.url_upload_info_list[0];
    assert_eq!(job.job_id.as_deref(), Some("86c1925fba0****"));
    assert_eq!(job.status, Some(UrlUploadJobStatus::Success));
    assert!(job.status.as_ref().unwrap().is_terminal());
    assert_eq!(job.creation_time.as_deref(), Some("2019-01-01T01:01:01Z"));
    assert_eq!(job.complete_time.as_deref(), Some("2019-01-01T01:11:01Z"));
    assert_eq!(job.error_code.as_deref(), Some("200"));
    assert_eq!(job.error_message.as_deref(), Some("error_message"));
    assert_eq!(job.upload_url.as_deref(), Some("http://****.mp4"));
    assert_eq!(
        job.media_id.as_deref(),
        Some("93ab850b4f6f54b6e91d24d81d4****")
    );
    assert_eq!(job.file_size, Some(24));
    assert!(job
        .user_data
        .as_deref()
        .unwrap()
        .starts_with("{\"MessageCallback\":"));
    let created = job.creation_time_at().unwrap().unwrap();
    assert_eq!(created.unix_timestamp(), 1_546_304_461);
}

#[test]
fn seed_xml_sample_decodes_to_the_same_value_as_the_json_sample() {
    assert_eq!(decode("seed.xml"), decode("seed.json"));
}

#[test]
fn fields_left_out_while_pending_are_none() {
    for name in ["pending.json", "pending.xml"] {
        let out = decode(name);
        assert!(out.non_exists.is_empty(), "{name}");
        let job = &out.url_upload_info_list[0];
        assert_eq!(job.status, Some(UrlUploadJobStatus::Pending), "{name}");
        assert!(!job.status.as_ref().unwrap().is_terminal());
        assert_eq!(
            (
                &job.media_id,
                &job.error_code,
                &job.error_message,
                &job.complete_time,
                &job.file_size
            ),
            (&None, &None, &None, &None, &None),
            "{name}"
        );
    }
    assert_eq!(decode("pending.json"), decode("pending.xml"));
}

#[test]
fn empty_xml_elements_mean_absent_fields_and_empty_lists() {
    assert_eq!(decode("empty-elements.xml"), decode("pending.json"));
    let empty = decode("empty-lists.xml");
    assert_eq!(empty, decode("empty-lists.json"));
    assert!(empty.non_exists.is_empty() && empty.url_upload_info_list.is_empty());
    assert_eq!(empty.request_id, "EMPTY-LISTS");
}

#[test]
fn unknown_fields_are_ignored_and_unknown_status_is_kept() {
    for name in ["unknown.json", "unknown.xml"] {
        let out = decode(name);
        assert_eq!(out.non_exists, ["job-gone"], "{name}");
        let job = &out.url_upload_info_list[0];
        let status = job.status.clone().unwrap();
        assert_eq!(
            status,
            UrlUploadJobStatus::Unknown("TRANSCODING".into()),
            "{name}"
        );
        assert_eq!(status.as_str(), "TRANSCODING");
        assert!(
            !status.is_terminal(),
            "an unseen status is not taken as final"
        );
        assert_eq!(job.file_size, Some(1_048_576), "{name}");
    }
    assert_eq!(decode("unknown.json"), decode("unknown.xml"));
}

#[test]
fn file_size_decodes_from_a_number_or_a_string() {
    let json = decode("two-jobs.json"); // "FileSize": 24
    let strings = decode("two-jobs-wrapped-lists.json"); // "FileSize": "24"
    assert_eq!(json.url_upload_info_list[0].file_size, Some(24));
    assert_eq!(json, strings);
}

#[test]
fn both_xml_list_layouts_decode_alike() {
    let expected = decode("two-jobs.json");
    assert_eq!(expected.url_upload_info_list.len(), 2);
    assert_eq!(expected.non_exists, ["job-x", "job-y"]);
    for name in [
        "two-jobs-wrapped.xml",
        "two-jobs-repeated.xml",
        "two-jobs-nonexists-wrapped.xml",
    ] {
        assert_eq!(decode(name), expected, "{name}");
    }
}

#[test]
fn upload_media_by_url_output_decodes_from_json_and_xml() {
    let json: UploadMediaByUrlOutput = decode_output(
        Format::Json,
        200,
        &fixture("upload-media-by-url.json"),
        upload_media_by_url::OPERATION.output,
    )
    .unwrap();
    let xml: UploadMediaByUrlOutput = decode_output(
        Format::Xml,
        200,
        &fixture("upload-media-by-url.xml"),
        upload_media_by_url::OPERATION.output,
    )
    .unwrap();
    assert_eq!(json, xml);
    assert_eq!(
        json.upload_jobs[0].job_id.as_deref(),
        Some("ad90a501b1b9472374ad005046****")
    );
    assert_eq!(
        json.upload_jobs[0].source_url.as_deref(),
        Some("http://****.mp4")
    );
}

#[test]
fn debug_output_of_a_job_redacts_user_data() {
    let out = decode("seed.json");
    let text = format!("{:?}", out.url_upload_info_list[0]);
    assert!(
        text.contains("user_data: Some(\"** redacted **\")"),
        "{text}"
    );
    assert!(!text.contains("MessageCallback"), "{text}");
}

/// Serves the fixture `NAME.json` or `NAME.xml`, as the request's Format asks.
fn serve_fixture(name: &'static str) -> impl Fn(&support::Req) -> Reply + Send + Sync {
    move |req| {
        if req.format() == "XML" {
            Reply::raw(
                200,
                "text/xml;charset=utf-8",
                fixture(&format!("{name}.xml")),
            )
        } else {
            Reply::raw(
                200,
                "application/json;charset=utf-8",
                fixture(&format!("{name}.json")),
            )
        }
    }
}

#[tokio::test]
async fn a_client_decodes_the_seed_samples_in_both_formats() {
    let server = Server::start(serve_fixture("seed")).await;
    let mut outs = Vec::new();
    for format in [Format::Json, Format::Xml] {
        let client = Client::new(
            Config::new()
                .endpoint(&server.url)
                .credentials(support::credentials())
                .format(format),
        )
        .unwrap();
        let out = client
            .get_url_upload_infos()
            .job_ids(["86c1925fba0****"])
            .send()
            .await
            .unwrap();
        outs.push(out);
    }
    let formats: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.format().to_owned())
        .collect();
    assert_eq!(formats, ["JSON", "XML"]);
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0].url_upload_info_list[0].file_size, Some(24));
}

#[test]
fn odd_values_never_cost_the_whole_response() {
    // A repeated key (the last one wins), a number where an object list
    // belongs, a non-object item and an object where a string belongs.
    let body = br#"{"RequestId":"r1","RequestId":"r2","NonExists":["x",{"k":1},"y"],
        "URLUploadInfoList":[{"JobId":"a","JobId":"b","Status":"SUCCESS"},3,"s",
            {"JobId":"c","FileSize":{"n":1},"MediaId":{"id":"m"}}]}"#;
    let out: GetUrlUploadInfosOutput = decode_output(
        Format::Json,
        200,
        body,
        get_url_upload_infos::OPERATION.output,
    )
    .expect("decodes");
    assert_eq!(out.request_id, "r2");
    assert_eq!(out.non_exists, ["x", "y"]);
    let jobs: Vec<_> = out
        .url_upload_info_list
        .iter()
        .map(|j| j.job_id.as_deref())
        .collect();
    assert_eq!(jobs, [Some("b"), Some("c")]);
    assert_eq!(
        out.url_upload_info_list[0].status,
        Some(UrlUploadJobStatus::Success)
    );
    assert_eq!(out.url_upload_info_list[1].file_size, None);
    assert_eq!(
        out.url_upload_info_list[1].media_id.as_deref(),
        Some(r#"{"id":"m"}"#)
    );
    // What is not JSON at all still fails, with the parser's own message.
    let err = decode_output::<GetUrlUploadInfosOutput>(
        Format::Json,
        200,
        b"{\"RequestId\":",
        get_url_upload_infos::OPERATION.output,
    )
    .expect_err("truncated");
    assert!(err.to_string().contains("EOF"), "{err}");
}

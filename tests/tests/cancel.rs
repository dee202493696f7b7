//! CancelUrlUploadJobs, the operation added to the repository by a spec file
//! alone: its generated client method against the emulator. Jobs stay PENDING
//! for a long step delay, so there is time to cancel them; a job that already
//! finished is not canceled.

use std::time::Duration;

use aliyun_vod::{Client, Config, Credentials, Format, Rule};
use vod_e2e::file_server;
use vod_emulator::{Emulator, EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET};

fn client(base_url: String, format: Format) -> Client {
    Client::new(
        Config::new()
            .endpoint(base_url)
            .credentials(Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            ))
            .format(format)
            .rate_limit(false),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_jobs_are_canceled_by_id_and_by_url_and_then_no_longer_exist() {
    // A step delay far longer than the test: created jobs stay PENDING.
    let emu = Emulator::start(EmulatorConfig::default().with_step_delay(Duration::from_secs(600)))
        .await
        .unwrap();
    let files = file_server().await;
    for format in [Format::Json, Format::Xml] {
        let client = client(emu.base_url(), format);
        let by_id = format!("{files}/one.mp4");
        let by_url = format!("{files}/two, with comma & space.mp4");
        let created = client
            .upload_media_by_url()
            .upload_urls([by_id.clone(), by_url.clone()])
            .send()
            .await
            .unwrap();
        let ids: Vec<String> = created
            .upload_jobs
            .iter()
            .filter_map(|j| j.job_id.clone())
            .collect();
        assert_eq!(ids.len(), 2);

        let out = client
            .cancel_url_upload_jobs()
            .job_ids([ids[0].clone(), "no-such-job".to_owned()])
            .send()
            .await
            .unwrap();
        assert_eq!(out.canceled_jobs, [ids[0].clone()], "{format:?}");
        assert_eq!(out.non_exists, ["no-such-job"], "{format:?}");

        let out = client
            .cancel_url_upload_jobs()
            .upload_urls([by_url.clone()])
            .send()
            .await
            .unwrap();
        assert_eq!(out.canceled_jobs, [ids[1].clone()], "{format:?}");
        assert!(out.non_exists.is_empty());

        let after = client
            .get_url_upload_infos()
            .job_ids(ids.clone())
            .send()
            .await
            .unwrap();
        assert!(
            after.url_upload_info_list.is_empty(),
            "{format:?}: {after:?}"
        );
        assert_eq!(after.non_exists, ids, "{format:?}");
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_job_is_not_canceled() {
    let emu = Emulator::start(EmulatorConfig::default().with_step_delay(Duration::ZERO))
        .await
        .unwrap();
    let files = file_server().await;
    let client = client(emu.base_url(), Format::Json);
    let created = client
        .upload_media_by_url()
        .upload_urls([format!("{files}/done.mp4")])
        .send()
        .await
        .unwrap();
    let id = created.upload_jobs[0].job_id.clone().unwrap();
    // Bounded wait for the job to finish.
    for _ in 0..500 {
        let out = client
            .get_url_upload_infos()
            .job_ids([id.clone()])
            .send()
            .await
            .unwrap();
        if out
            .url_upload_info_list
            .first()
            .and_then(|i| i.status.as_ref())
            .is_some_and(|s| s.is_terminal())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let out = client
        .cancel_url_upload_jobs()
        .job_ids([id.clone()])
        .send()
        .await
        .unwrap();
    assert!(
        out.canceled_jobs.is_empty() && out.non_exists.is_empty(),
        "{out:?}"
    );
    let still = client
        .get_url_upload_infos()
        .job_ids([id])
        .send()
        .await
        .unwrap();
    assert_eq!(still.url_upload_info_list.len(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn cancel_inputs_are_checked_before_sending() {
    // Port 9 (discard) on loopback: nothing is listening, and nothing is sent anyway.
    let client = client("http://127.0.0.1:9".to_owned(), Format::Json);
    let err = client.cancel_url_upload_jobs().send().await.unwrap_err();
    let aliyun_vod::Error::Validation(v) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(v.param, "JobIds");
    assert_eq!(
        v.rule,
        Rule::AtLeastOneOf(vec!["JobIds".into(), "UploadUrls".into()])
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("j{i}")).collect();
    let err = client
        .cancel_url_upload_jobs()
        .job_ids(eleven)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("JobIds takes at most 10 items, got 11"),
        "{err}"
    );
    assert!(!err.may_have_been_sent());
}

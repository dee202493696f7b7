//! Event notifications, sent as the service sends them: when an upload job
//! ends, a signed POST (`X-VOD-TIMESTAMP`, `X-VOD-SIGNATURE` over the callback
//! URL, the time and the key) of `UploadByURLComplete` and, for a job that
//! succeeded, `FileUploadComplete` and `TranscodeComplete` (the video is
//! Normal). The URL is the configured one, or the job's
//! own when its `UserData` names one (`{"MessageCallback": {"CallbackURL":
//! ..}}`), as the service allows; `UserData.Extend` comes back as `Extend`. A
//! callback that is not answered 200 is sent again twice, a step delay apart.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::jobs::{Job, JobStatus};
use crate::state::Shared;

/// Attempts per event: the first and two retries.
const ATTEMPTS: usize = 3;

/// Sends the events of a finished job, in the background.
pub(crate) fn job_done(shared: &std::sync::Arc<Shared>, job: &Job) {
    let Some(config) = &shared.callback else {
        return;
    };
    let user_data: Map<String, Value> = job
        .user_data
        .as_deref()
        .and_then(|u| serde_json::from_str(u).ok())
        .unwrap_or_default();
    let url = user_data
        .get("MessageCallback")
        .and_then(|m| m.get("CallbackURL"))
        .and_then(Value::as_str)
        .unwrap_or(&config.url)
        .to_owned();
    let extend = user_data.get("Extend").map(|e| match e {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let mut events = vec![upload_by_url(job, extend.clone())];
    if job.status == JobStatus::Success {
        events.push(file_upload(job, extend.clone()));
        // The emulator has one stream, ready at once: the video is Normal.
        events.push(transcode(job, extend));
    }
    let client = shared.fetcher.clone();
    let key = aliyun_vod::callback::CallbackKey::new(config.key.clone());
    let delay = shared.step_delay;
    shared.workers().spawn(async move {
        for event in events {
            send(&client, &url, &key, &event, delay).await;
        }
    });
}

fn base(event_type: &str, job: &Job, extend: Option<String>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("EventTime".into(), json!(crate::worker::now()));
    m.insert("EventType".into(), json!(event_type));
    let ok = job.status == JobStatus::Success;
    m.insert("Status".into(), json!(if ok { "success" } else { "fail" }));
    if let Some(e) = extend {
        m.insert("Extend".into(), json!(e));
    }
    m
}

fn upload_by_url(job: &Job, extend: Option<String>) -> Value {
    let mut m = base("UploadByURLComplete", job, extend);
    m.insert("JobId".into(), json!(job.job_id));
    m.insert("SourceURL".into(), json!(job.upload_url));
    if let Some(id) = &job.media_id {
        m.insert("VideoId".into(), json!(id));
    }
    if let Some(size) = job.file_size {
        m.insert("Size".into(), json!(size));
    }
    if let Some(code) = &job.error_code {
        m.insert("ErrorCode".into(), json!(code));
    }
    if let Some(message) = &job.error_message {
        m.insert("ErrorMessage".into(), json!(message));
    }
    Value::Object(m)
}

fn file_upload(job: &Job, extend: Option<String>) -> Value {
    let mut m = base("FileUploadComplete", job, extend);
    if let Some(id) = &job.media_id {
        m.insert("VideoId".into(), json!(id));
    }
    if let Some(size) = job.file_size {
        m.insert("Size".into(), json!(size));
    }
    m.insert("FileUrl".into(), json!(job.upload_url));
    Value::Object(m)
}

fn transcode(job: &Job, extend: Option<String>) -> Value {
    let mut m = base("TranscodeComplete", job, extend);
    if let Some(id) = &job.media_id {
        m.insert("VideoId".into(), json!(id));
    }
    let stream = json!({
        "Status": "success", "Definition": "OD", "Format": "mp4",
        "FileUrl": job.upload_url, "Size": job.file_size,
    });
    m.insert("StreamInfos".into(), json!([stream]));
    Value::Object(m)
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    key: &aliyun_vod::callback::CallbackKey,
    event: &Value,
    delay: Duration,
) {
    let body = event.to_string();
    for attempt in 1..=ATTEMPTS {
        // Signed afresh for each attempt, as the time is part of it.
        let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
        let signature = aliyun_vod::callback::sign(url, &ts, key);
        let result = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-vod-timestamp", &ts)
            .header("x-vod-signature", signature)
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(r) if r.status().as_u16() == 200 => return,
            Ok(r) => tracing::warn!(
                attempt,
                status = r.status().as_u16(),
                url,
                "callback not accepted"
            ),
            Err(e) => tracing::warn!(attempt, error = %e, url, "callback failed"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(delay).await;
        }
    }
}

//! The modelled operations. Each validates its parameters as the real service
//! does and returns the response body as a [`Node`] (RequestId first).

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::ApiError;
use crate::jobs::{Job, JobStatus};
use crate::render::Node;
use crate::request::ApiRequest;
use crate::state::Shared;
use crate::worker;

/// Most JobIds or UploadURLs one GetURLUploadInfos call may ask for.
const MAX_QUERY_ITEMS: usize = 10;

/// `UploadMediaByURL`: one job per URL, stored before the answer, fetched in
/// the background.
pub(crate) async fn upload_media_by_url(
    shared: &Arc<Shared>,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let items = list(req.param("UploadURLs"));
    if items.is_empty() {
        return Err(ApiError::missing("UploadURLs"));
    }
    let max = shared.limits.max_jobs_per_call;
    if items.len() > max {
        return Err(ApiError::invalid(
            "UploadURLs",
            &format!("at most {max} URLs per call, got {}.", items.len()),
        ));
    }
    let urls = items
        .iter()
        .map(|item| {
            let url = aliyun_sign::percent_decode(item);
            check_source_url(&url)?;
            Ok(url)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let metadatas = match req.param("UploadMetadatas").filter(|m| !m.is_empty()) {
        None => Vec::new(),
        Some(text) => serde_json::from_str::<Vec<serde_json::Value>>(text).map_err(|e| {
            ApiError::invalid("UploadMetadatas", &format!("not a JSON array: {e}."))
        })?,
    };
    let user_data = req.param("UserData").map(str::to_owned);
    let creation_time = worker::now();
    let jobs: Vec<Job> = urls
        .into_iter()
        .map(|url| Job {
            job_id: worker::new_hex_id(),
            seq: shared.jobs.next_seq(),
            upload_metadata: metadata_for(&metadatas, &url),
            upload_url: url,
            user_data: user_data.clone(),
            status: JobStatus::Pending,
            creation_time: creation_time.clone(),
            complete_time: None,
            media_id: None,
            file_size: None,
            error_code: None,
            error_message: None,
        })
        .collect();
    let answer: Vec<Node> = jobs
        .iter()
        .map(|j| {
            Node::Object(vec![
                ("SourceURL", Node::text(j.upload_url.as_str())),
                ("JobId", Node::text(j.job_id.as_str())),
            ])
        })
        .collect();
    let ids: Vec<String> = jobs.iter().map(|j| j.job_id.clone()).collect();
    shared.jobs.insert(jobs).await.map_err(|e| {
        tracing::error!("{e}");
        ApiError::internal()
    })?;
    for id in ids {
        worker::spawn(shared, id);
    }
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (
            "UploadJobs",
            Node::List {
                item: None,
                items: answer,
            },
        ),
    ]))
}

/// `GetURLUploadInfos`: by JobIds (wins when both are given) or by UploadURLs
/// (each URL's latest job); unknown ones are listed in `NonExists`.
pub(crate) fn get_url_upload_infos(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let (keys, by_url) = job_keys(req, "UploadURLs")?;
    let mut seen_keys = HashSet::new();
    let mut seen_jobs = HashSet::new();
    let mut non_exists = Vec::new();
    let mut infos = Vec::new();
    for key in keys {
        if !seen_keys.insert(key.clone()) {
            continue;
        }
        match find_job(shared, &key, by_url) {
            Some(job) => {
                if seen_jobs.insert(job.job_id.clone()) {
                    infos.push(job.to_node());
                }
            }
            None => non_exists.push(Node::Text(key)),
        }
    }
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (
            "NonExists",
            Node::List {
                item: None,
                items: non_exists,
            },
        ),
        (
            "URLUploadInfoList",
            Node::List {
                item: Some("UrlUploadJobInfoDTO"),
                items: infos,
            },
        ),
    ]))
}

/// `CancelUrlUploadJobs`: cancels jobs still `PENDING`, by JobIds (wins) or by
/// UploadUrls (each URL's latest job). Canceled jobs are removed, so later
/// queries list them in `NonExists` (the service's own docs do not say what a
/// canceled job looks like afterwards; this is the emulator's choice). Jobs that
/// already started are listed in neither list.
pub(crate) async fn cancel_url_upload_jobs(
    shared: &Shared,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    let (keys, by_url) = job_keys(req, "UploadUrls")?;
    let mut non_exists = Vec::new();
    let mut candidates = Vec::new();
    for key in keys {
        match find_job(shared, &key, by_url) {
            Some(job) => candidates.push(job.job_id),
            None => non_exists.push(Node::Text(key)),
        }
    }
    let canceled = shared.jobs.cancel_pending(&candidates).await.map_err(|e| {
        tracing::error!("{e}");
        ApiError::internal()
    })?;
    Ok(Node::Object(vec![
        ("RequestId", Node::text(request_id)),
        (
            "CanceledJobs",
            Node::List {
                item: None,
                items: canceled.into_iter().map(Node::Text).collect(),
            },
        ),
        (
            "NonExists",
            Node::List {
                item: None,
                items: non_exists,
            },
        ),
    ]))
}

/// The jobs a query names: JobIds when given (they win), else the URL list
/// `urls_param` (its items percent-decoded after splitting, as callers encode
/// each URL before joining). Returns the keys and whether they are URLs.
fn job_keys(req: &ApiRequest, urls_param: &str) -> Result<(Vec<String>, bool), ApiError> {
    let job_ids = list(req.param("JobIds"));
    let upload_urls = list(req.param(urls_param));
    let (name, keys, by_url) = if !job_ids.is_empty() {
        (
            "JobIds",
            job_ids.into_iter().map(str::to_owned).collect::<Vec<_>>(),
            false,
        )
    } else if !upload_urls.is_empty() {
        let urls = upload_urls
            .into_iter()
            .map(aliyun_sign::percent_decode)
            .collect();
        (urls_param, urls, true)
    } else {
        return Err(ApiError::missing("JobIds"));
    };
    if keys.len() > MAX_QUERY_ITEMS {
        return Err(ApiError::invalid(
            name,
            &format!("at most {MAX_QUERY_ITEMS} items, got {}.", keys.len()),
        ));
    }
    Ok((keys, by_url))
}

/// The job a key names: by ID, or a URL's latest job.
fn find_job(shared: &Shared, key: &str, by_url: bool) -> Option<crate::jobs::Job> {
    if by_url {
        shared.jobs.latest_for_url(key)
    } else {
        shared.jobs.get(key)
    }
}

/// A comma-separated list parameter's items, trimmed, empty ones left out.
fn list(value: Option<&str>) -> Vec<&str> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn check_source_url(url: &str) -> Result<(), ApiError> {
    let ok = url::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_with_code(
            "InvalidParameter.UploadURLs",
            "UploadURLs",
            &format!("{url:?} is not an absolute http(s) URL (percent-encode each URL before joining them with commas)."),
        ))
    }
}

/// The `UploadMetadatas` entry whose `SourceURL` names `url` (encoded or not).
fn metadata_for(metadatas: &[serde_json::Value], url: &str) -> Option<String> {
    metadatas
        .iter()
        .find(|m| {
            m.get("SourceURL")
                .and_then(|s| s.as_str())
                .is_some_and(|s| s == url || aliyun_sign::percent_decode(s) == url)
        })
        .map(|m| m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_trimmed_and_skip_empty_items() {
        assert_eq!(list(Some(" a, b,,c ,")), ["a", "b", "c"]);
        assert!(list(None).is_empty());
    }

    #[test]
    fn source_urls_must_be_absolute_http() {
        assert!(check_source_url("https://h.example/a b.mp4").is_ok());
        for bad in [
            "ftp://h/a",
            "file:///etc/passwd",
            "/relative",
            "http%3A%2F%2Fh%2Fa",
        ] {
            let e = check_source_url(bad).unwrap_err();
            assert_eq!(e.code, "InvalidParameter.UploadURLs", "{bad}");
        }
    }
}

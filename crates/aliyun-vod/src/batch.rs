//! `GetURLUploadInfos` for any number of job IDs or upload URLs.
//!
//! The API takes at most [`MAX_ITEMS_PER_CALL`] job IDs (or upload URLs) per
//! call. [`Client::get_url_upload_infos_by_job_ids`] and
//! [`Client::get_url_upload_infos_by_upload_urls`] take any number:
//!
//! 1. duplicates are dropped (the first occurrence keeps its place);
//! 2. every call is built and validated before any is sent, so an invalid item
//!    (blank, containing a comma, not a URL) fails the whole batch with nothing sent;
//! 3. the calls run concurrently, at most [`MAX_CONCURRENT_CALLS`] at a time, each
//!    under the client's rate limiter (100 calls/s per client for this API) and
//!    retry policy;
//! 4. the answers are merged: every job found and every `NonExists` entry, in the
//!    order of the input.
//!
//! When some calls fail (after the client's own retries), the others' results
//! are not lost: [`BatchError`] carries them along with the items that remain
//! unresolved and the first failure.
//!
//! ```no_run
//! # async fn demo(client: aliyun_vod::Client, ids: Vec<String>) -> Result<(), aliyun_vod::Error> {
//! let out = client.get_url_upload_infos_by_job_ids(&ids).await?;
//! for info in &out.infos {
//!     println!("{:?}: {:?}", info.job_id, info.status);
//! }
//! for id in &out.non_exists {
//!     println!("no such job: {id}");
//! }
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use futures::StreamExt as _;

use crate::get_url_upload_infos::UrlUploadJobInfo;
use crate::get_url_upload_infos::{GetUrlUploadInfosInput, GetUrlUploadInfosOutput};
use crate::{Client, Error};

/// The most job IDs (or upload URLs) one `GetURLUploadInfos` call takes, from the
/// spec (both lists share the limit).
pub const MAX_ITEMS_PER_CALL: usize = crate::get_url_upload_infos::JOB_IDS_MAX_ITEMS;

const _: () = assert!(
    crate::get_url_upload_infos::JOB_IDS_MAX_ITEMS
        == crate::get_url_upload_infos::UPLOAD_URLS_MAX_ITEMS,
    "the batch helper chunks both lists by one size"
);

/// The most calls a batch has in flight at once. The rate limiter still paces
/// them; this only bounds open connections for very large batches.
pub const MAX_CONCURRENT_CALLS: usize = 8;

/// The merged answer of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutput {
    /// Every job found, ordered by the position of its job ID (or upload URL) in
    /// the input. One upload URL may match several jobs (it was uploaded several
    /// times); those keep the service's order. Jobs the service returned for no
    /// item of the input (it should not happen) come last.
    pub infos: Vec<UrlUploadJobInfo>,
    /// Every item the service reported as unknown, in input order.
    pub non_exists: Vec<String>,
    /// The `RequestId` of each call, in the order of the calls (quote them to
    /// Alibaba Cloud support).
    pub request_ids: Vec<String>,
}

impl BatchOutput {
    /// The job with this ID, if it was found.
    pub fn job(&self, job_id: &str) -> Option<&UrlUploadJobInfo> {
        self.infos
            .iter()
            .find(|i| i.job_id.as_deref() == Some(job_id))
    }
}

/// Some calls of a batch failed. The results of the others are in
/// [`BatchError::partial`]; converting into [`Error`] (as `?` does in a function
/// returning `aliyun_vod::Error`) keeps only the first failure.
#[derive(Debug)]
pub struct BatchError {
    /// The first failure, in input order. A [`Error::Validation`] means nothing
    /// was sent.
    pub error: Error,
    /// How many calls failed, of [`BatchError::calls`].
    pub failed_calls: usize,
    /// How many calls the batch was split into.
    pub calls: usize,
    /// The items (after de-duplication) whose call failed, in input order.
    pub unresolved: Vec<String>,
    /// What the calls that succeeded returned.
    pub partial: BatchOutput,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} GetURLUploadInfos calls failed, {} item(s) unresolved; first failure: {}",
            self.failed_calls,
            self.calls,
            self.unresolved.len(),
            self.error
        )
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<BatchError> for Error {
    fn from(e: BatchError) -> Self {
        e.error
    }
}

/// Which parameter the items go in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    JobIds,
    UploadUrls,
}

impl Client {
    /// `GetURLUploadInfos` for any number of job IDs: de-duplicated, split into
    /// calls of at most [`MAX_ITEMS_PER_CALL`], run concurrently under the rate
    /// limiter, merged in input order. No items: no call, an empty output.
    /// See the [module docs](crate::batch).
    pub async fn get_url_upload_infos_by_job_ids<I, S>(
        &self,
        job_ids: I,
    ) -> Result<BatchOutput, BatchError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        run(self, By::JobIds, collect(job_ids)).await
    }

    /// `GetURLUploadInfos` for any number of upload URLs (as given to
    /// `UploadMediaByURL`, not yet encoded: each is percent-encoded on the wire).
    /// Otherwise as [`Client::get_url_upload_infos_by_job_ids`].
    pub async fn get_url_upload_infos_by_upload_urls<I, S>(
        &self,
        upload_urls: I,
    ) -> Result<BatchOutput, BatchError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        run(self, By::UploadUrls, collect(upload_urls)).await
    }
}

/// The items in input order, each once (the waiter uses it too).
pub(crate) fn collect<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut seen = HashSet::new();
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .filter(|s| seen.insert(s.clone()))
        .collect()
}

async fn run(client: &Client, by: By, items: Vec<String>) -> Result<BatchOutput, BatchError> {
    if items.is_empty() {
        return Ok(BatchOutput::default());
    }
    let chunks: Vec<&[String]> = items.chunks(MAX_ITEMS_PER_CALL).collect();
    let inputs: Vec<GetUrlUploadInfosInput> = chunks
        .iter()
        .map(|chunk| {
            let mut input = GetUrlUploadInfosInput::default();
            match by {
                By::JobIds => input.job_ids = Some(chunk.to_vec()),
                By::UploadUrls => input.upload_urls = Some(chunk.to_vec()),
            }
            input
        })
        .collect();
    for input in &inputs {
        if let Err(e) = input.validate() {
            return Err(BatchError {
                error: e.into(),
                failed_calls: chunks.len(),
                calls: chunks.len(),
                unresolved: items.clone(),
                partial: BatchOutput::default(),
            });
        }
    }
    // Owned futures (a client clone is an `Arc` clone): borrowed ones would make
    // the whole batch future lose `Send` to higher-ranked lifetimes.
    let calls = inputs.into_iter().enumerate().map(|(i, input)| {
        let runtime = client.runtime().clone();
        async move {
            (
                i,
                runtime
                    .send(&crate::get_url_upload_infos::OPERATION, &input)
                    .await,
            )
        }
    });
    let mut results: Vec<(usize, Result<GetUrlUploadInfosOutput, Error>)> =
        futures::stream::iter(calls)
            .buffer_unordered(MAX_CONCURRENT_CALLS)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);

    let mut answers = Vec::new();
    let mut first_error = None;
    let mut failed_calls = 0;
    let mut unresolved = Vec::new();
    for (i, result) in results {
        match result {
            Ok(out) => answers.push(out),
            Err(e) => {
                failed_calls += 1;
                unresolved.extend_from_slice(chunks[i]);
                first_error.get_or_insert(e);
            }
        }
    }
    let output = merge(by, &items, answers);
    match first_error {
        None => Ok(output),
        Some(error) => Err(BatchError {
            error,
            failed_calls,
            calls: chunks.len(),
            unresolved,
            partial: output,
        }),
    }
}

/// Merges the answers (in call order) into input order.
fn merge(by: By, items: &[String], answers: Vec<GetUrlUploadInfosOutput>) -> BatchOutput {
    let position: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    // The service may answer a URL in the form it was sent (percent-encoded).
    let find = |key: &str| {
        position.get(key).copied().or_else(|| {
            position
                .get(aliyun_runtime::percent_decode(key).as_str())
                .copied()
        })
    };
    let mut infos = Vec::new();
    let mut non_exists = Vec::new();
    let mut request_ids = Vec::new();
    for out in answers {
        request_ids.push(out.request_id);
        for info in out.url_upload_info_list {
            let key = match by {
                By::JobIds => info.job_id.as_deref(),
                By::UploadUrls => info.upload_url.as_deref(),
            };
            let pos = key.and_then(find).unwrap_or(usize::MAX);
            infos.push((pos, info));
        }
        for missing in out.non_exists {
            let pos = find(&missing).unwrap_or(usize::MAX);
            non_exists.push((pos, missing));
        }
    }
    // Stable: equal positions keep the service's order.
    infos.sort_by_key(|(pos, _)| *pos);
    non_exists.sort_by_key(|(pos, _)| *pos);
    BatchOutput {
        infos: infos.into_iter().map(|(_, i)| i).collect(),
        non_exists: non_exists.into_iter().map(|(_, s)| s).collect(),
        request_ids,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(job: &str, url: &str) -> UrlUploadJobInfo {
        UrlUploadJobInfo {
            job_id: Some(job.into()),
            upload_url: Some(url.into()),
            ..Default::default()
        }
    }

    #[test]
    fn duplicates_are_dropped_keeping_first_positions() {
        assert_eq!(collect(["b", "a", "b", "c", "a"]), ["b", "a", "c"]);
    }

    #[test]
    fn the_call_limit_matches_the_generated_validation() {
        let ids = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let input = |n| GetUrlUploadInfosInput {
            job_ids: Some(ids(n)),
            ..Default::default()
        };
        assert!(input(MAX_ITEMS_PER_CALL).validate().is_ok());
        assert!(input(MAX_ITEMS_PER_CALL + 1).validate().is_err());
    }

    #[test]
    fn merge_orders_by_input_and_keeps_unexpected_items_last() {
        let items: Vec<String> = ["j1", "j2", "j3", "j4"].map(String::from).to_vec();
        let answers = vec![
            GetUrlUploadInfosOutput {
                request_id: "r1".into(),
                non_exists: vec!["j3".into()],
                url_upload_info_list: vec![info("zz", "u"), info("j2", "u")],
            },
            GetUrlUploadInfosOutput {
                request_id: "r2".into(),
                non_exists: vec!["j4".into()],
                url_upload_info_list: vec![info("j1", "u")],
            },
        ];
        let out = merge(By::JobIds, &items, answers);
        let ids: Vec<_> = out
            .infos
            .iter()
            .map(|i| i.job_id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["j1", "j2", "zz"]);
        assert_eq!(out.non_exists, ["j3", "j4"]);
        assert_eq!(out.request_ids, ["r1", "r2"]);
        assert_eq!(out.job("j2").unwrap().job_id.as_deref(), Some("j2"));
    }

    #[test]
    fn merge_matches_urls_as_given_or_percent_encoded() {
        let items = vec![
            "https://e.com/a b.mp4".to_owned(),
            "https://e.com/c.mp4".to_owned(),
        ];
        let answers = vec![GetUrlUploadInfosOutput {
            request_id: "r".into(),
            non_exists: vec![],
            url_upload_info_list: vec![
                info("2", "https://e.com/c.mp4"),
                info("1", "https%3A%2F%2Fe.com%2Fa%20b.mp4"),
                info("1b", "https://e.com/a b.mp4"),
            ],
        }];
        let out = merge(By::UploadUrls, &items, answers);
        let ids: Vec<_> = out
            .infos
            .iter()
            .map(|i| i.job_id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["1", "1b", "2"]);
    }
}

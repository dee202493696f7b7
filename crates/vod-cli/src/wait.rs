//! `--wait` and `vod wait`: waits until every job is terminal with the SDK's
//! waiter (`aliyun_vod::waiter`), showing progress on stderr (a bar on a
//! terminal, plain lines otherwise), then prints the jobs as GetURLUploadInfos
//! returns them.
//!
//! A wait makes one GetURLUploadInfos query first (so a wrong endpoint, key or
//! ID fails at once with its own exit code, instead of being polled as a
//! transient error until `--max-wait`), hands the unfinished jobs to the
//! waiter, and queries once more at the end for the state it prints. Queries go
//! through the SDK's batch helper, so a wait takes any number of job IDs or
//! URLs (the plain operation command keeps the API's limit of 10).

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use aliyun_vod::batch::BatchOutput;
use aliyun_vod::get_url_upload_infos::{self, GetUrlUploadInfosOutput};
use aliyun_vod::get_url_upload_infos::{UrlUploadJobInfo, UrlUploadJobStatus};
use aliyun_vod::waiter::{self, is_terminal, WaitError, WaitOptions};
use indicatif::{ProgressBar, ProgressStyle};

use crate::command::Wait;
use crate::error::CliError;
use crate::ops::Context;

/// Flags of the waiter.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Waiting")]
pub struct WaitArgs {
    /// Seconds before the second poll (fractions allowed); the gap then doubles.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub interval: Duration,
    /// The longest gap between two polls, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub max_interval: Duration,
    /// Give up after this many seconds, with exit code 3.
    #[arg(long, value_name = "SECONDS", default_value = "1800", value_parser = parse_seconds)]
    pub max_wait: Duration,
}

impl WaitArgs {
    /// The waiter's options from the flags.
    pub fn options(&self) -> WaitOptions {
        WaitOptions {
            poll_interval: self.interval,
            max_interval: self.max_interval.max(self.interval),
            timeout: self.max_wait,
        }
    }
}

/// Parses a positive number of seconds (`0.5`, `10`).
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0 * 7.0) {
        return Err(format!("{s} is not between 0 and 604800 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Where progress goes.
pub enum Progress {
    /// An indicatif bar (stderr is a terminal), drawn from the first answer on.
    Bar(Option<ProgressBar>),
    /// One line on stderr each time the counts change.
    Lines {
        /// The last line printed, not to repeat it.
        last: String,
    },
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn on_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Progress::Bar(None)
        } else {
            Progress::Lines {
                last: String::new(),
            }
        }
    }

    fn update(&mut self, done: usize, total: usize, summary: &str) {
        // Statuses come from the service: keep their control characters away
        // from the terminal.
        let summary = &crate::output::printable(summary);
        match self {
            Progress::Bar(slot) => {
                let bar = slot.get_or_insert_with(|| {
                    let style = ProgressStyle::with_template(
                        "{spinner:.green} [{elapsed}] [{bar:30.cyan/blue}] {pos}/{len} jobs finished  {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    let bar = ProgressBar::new(total as u64).with_style(style);
                    bar.enable_steady_tick(Duration::from_millis(100));
                    bar
                });
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(summary.to_owned());
            }
            Progress::Lines { last } => {
                let line = format!("waiting: {done}/{total} jobs finished ({summary})");
                if *last != line {
                    eprintln!("{line}");
                    *last = line;
                }
            }
        }
    }

    fn finish(&mut self) {
        if let Progress::Bar(Some(bar)) = self {
            bar.finish_and_clear();
        }
    }
}

/// How a wait ended.
pub struct Waited {
    /// The jobs' state at the end, as GetURLUploadInfos returns it.
    pub output: GetUrlUploadInfosOutput,
    /// Whether every job was terminal (otherwise `--max-wait` ran out).
    pub finished: bool,
    /// How long it took.
    pub elapsed: Duration,
}

/// What a wait asks about: JobIds, else UploadURLs (the operation's precedence).
#[derive(Debug)]
pub enum Items {
    /// Job IDs.
    JobIds(Vec<String>),
    /// Source URLs.
    UploadUrls(Vec<String>),
}

impl Items {
    /// The items a GetURLUploadInfos input names (`JobIds` wins over
    /// `UploadURLs`, as in the operation). Names the operation does not have,
    /// items that are not strings, and neither list are the encoder's errors,
    /// as without `--wait`; only the per-call item limit is lifted (the batch
    /// helper splits the calls).
    pub fn from_input(
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, CliError> {
        let op = &get_url_upload_infos::OPERATION;
        // Check the input as the calls that will carry it: each list cut into
        // pieces of at most its limit, every piece through the encoder.
        let limit = |key: &str| {
            match op.param(key).map(|p| p.ty) {
                Some(aliyun_runtime::operation::Ty::List(rules)) => rules.max_items,
                _ => None,
            }
            .unwrap_or(usize::MAX)
            .max(1)
        };
        let calls = input
            .iter()
            .filter_map(|(k, v)| Some(v.as_array()?.len().div_ceil(limit(k))))
            .max()
            .unwrap_or(1)
            .max(1);
        for call in 0..calls {
            let mut piece = input.clone();
            for (key, value) in piece.iter_mut() {
                if let serde_json::Value::Array(items) = value {
                    let size = limit(key);
                    let start = (call * size).min(items.len());
                    let mut part: Vec<_> = items.drain(start..).take(size).collect();
                    if part.is_empty() {
                        part = items.iter().take(size).cloned().collect();
                    }
                    *items = part;
                }
            }
            aliyun_runtime::params::encode(op, &piece)?;
        }
        let strings = |key: &str| -> Option<Vec<String>> {
            let items = input.get(key)?.as_array()?;
            Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )
        };
        Ok(match strings("JobIds") {
            Some(ids) => Items::JobIds(ids),
            None => Items::UploadUrls(strings("UploadURLs").unwrap_or_default()),
        })
    }

    /// Whether there is nothing to ask about.
    pub fn is_empty(&self) -> bool {
        match self {
            Items::JobIds(v) | Items::UploadUrls(v) => v.is_empty(),
        }
    }

    /// The job IDs an operation's answer lists: `field` of each item of `list`.
    pub fn from_output(output: &serde_json::Value, list: &str, field: &str) -> Self {
        let ids = output
            .get(list)
            .and_then(serde_json::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.get(field)?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Items::JobIds(ids)
    }

    async fn query(
        &self,
        client: &aliyun_vod::Client,
    ) -> Result<GetUrlUploadInfosOutput, CliError> {
        let batch = match self {
            Items::JobIds(ids) => client.get_url_upload_infos_by_job_ids(ids).await,
            Items::UploadUrls(urls) => client.get_url_upload_infos_by_upload_urls(urls).await,
        };
        let out = batch.map_err(|e| CliError::Sdk(e.into()))?;
        Ok(as_output(out))
    }
}

/// A merged batch in the operation's own output type; a batch of several calls
/// has their RequestIds comma-separated.
fn as_output(batch: BatchOutput) -> GetUrlUploadInfosOutput {
    GetUrlUploadInfosOutput {
        request_id: batch.request_ids.join(","),
        url_upload_info_list: batch.infos,
        non_exists: batch.non_exists,
    }
}

/// The merged output as the CLI prints any GetURLUploadInfos answer (what
/// `Response::to_json` gives for one call): wire names, absent fields left out.
/// Response types do not serialize (see `aliyun_runtime::normalize`), so the
/// one merged answer the CLI prints is written here; a test holds it to the
/// runtime's view of the same body.
pub fn output_json(out: &GetUrlUploadInfosOutput) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let job = |i: &UrlUploadJobInfo| {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        let text = |s: &Option<String>| s.clone().map(Value::String);
        put("CompleteTime", text(&i.complete_time));
        put("CreationTime", text(&i.creation_time));
        put("ErrorCode", text(&i.error_code));
        put("ErrorMessage", text(&i.error_message));
        put("FileSize", i.file_size.map(Value::from));
        put("JobId", text(&i.job_id));
        put("MediaId", text(&i.media_id));
        put("Status", i.status.as_ref().map(|s| Value::from(s.as_str())));
        put("UploadURL", text(&i.upload_url));
        put("UserData", text(&i.user_data));
        Value::Object(m)
    };
    // Empty lists and text are left out, as the runtime leaves them out.
    let mut top = Map::new();
    if !out.non_exists.is_empty() {
        top.insert("NonExists".into(), json!(out.non_exists));
    }
    if !out.request_id.is_empty() {
        top.insert("RequestId".into(), json!(out.request_id));
    }
    if !out.url_upload_info_list.is_empty() {
        let jobs = out.url_upload_info_list.iter().map(job).collect();
        top.insert("URLUploadInfoList".into(), Value::Array(jobs));
    }
    Value::Object(top)
}

/// Waits until every job `input` names is terminal or `--max-wait` has passed.
/// Unknown IDs or URLs (NonExists) have nothing to wait for.
pub async fn wait(
    client: &aliyun_vod::Client,
    items: Items,
    args: &WaitArgs,
    progress: &mut Progress,
) -> Result<Waited, CliError> {
    let started = Instant::now();
    let first = items.query(client).await?;
    let (done, total, summary) = summarize(&first.url_upload_info_list, first.non_exists.len());
    progress.update(done, total, &summary);
    let pending: Vec<String> = first
        .url_upload_info_list
        .iter()
        .filter(|i| !is_terminal(i))
        .filter_map(|i| i.job_id.clone())
        .collect();
    if pending.is_empty() {
        progress.finish();
        return Ok(Waited {
            output: first,
            finished: true,
            elapsed: started.elapsed(),
        });
    }
    // The waiter polls only the jobs still pending; those already finished at
    // the first query, and the items not found then, stay in the counts.
    let finished_before: Vec<UrlUploadJobInfo> = first
        .url_upload_info_list
        .iter()
        .filter(|i| is_terminal(i))
        .cloned()
        .collect();
    let unknown_before = first.non_exists.len();
    let result = waiter::wait_for_jobs(client, &pending, args.options(), |p| {
        let mut seen = finished_before.clone();
        seen.extend(p.infos.iter().cloned());
        let (done, _, summary) = summarize(&seen, unknown_before + p.non_exists.len());
        let summary = match &p.last_error {
            Some(e) => format!("{summary}; last poll failed, retrying: {e}"),
            None => summary,
        };
        tracing::debug!(polls = p.polls, %summary, "polled");
        progress.update(done, total, &summary);
    })
    .await;
    progress.finish();
    let finished = match result {
        Ok(_) => true,
        Err(WaitError::Timeout { .. }) => false,
        Err(WaitError::Poll { error, .. }) => return Err(error.into()),
        Err(other) => return Err(CliError::Other(other.to_string())),
    };
    Ok(Waited {
        output: items.query(client).await?,
        finished,
        elapsed: started.elapsed(),
    })
}

/// `(terminal jobs, all jobs and unknown items, "SUCCESS 2, DOWNLOADING 1")`;
/// unknown items count as finished.
fn summarize(infos: &[UrlUploadJobInfo], unknown: usize) -> (usize, usize, String) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for info in infos {
        let status = info
            .status
            .as_ref()
            .map_or("(no status)", UrlUploadJobStatus::as_str);
        *counts.entry(status).or_default() += 1;
    }
    let mut parts: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    if unknown > 0 {
        parts.push(format!("not found {unknown}"));
    }
    let done = infos.iter().filter(|i| is_terminal(i)).count() + unknown;
    (done, infos.len() + unknown, parts.join(", "))
}

/// Waits, prints the jobs like `get-url-upload-infos`, and fails unless every
/// job succeeded.
///
/// `wait` is what the spec declares; this is the waiter for operations that
/// poll with GetURLUploadInfos (URL upload jobs), the only kind the spec has.
pub async fn run(
    ctx: &Context,
    wait_for: &Wait,
    items: Items,
    args: &WaitArgs,
) -> Result<(), CliError> {
    if !std::ptr::eq(wait_for.poll, &get_url_upload_infos::OPERATION) {
        return Err(CliError::Other(format!(
            "no waiter polls with {} yet",
            wait_for.poll.action
        )));
    }
    let mut progress = Progress::on_stderr();
    let waited = wait(ctx.client(), items, args, &mut progress).await?;
    ctx.print(&output_json(&waited.output))?;
    if !waited.finished {
        let out = &waited.output;
        let (done, total, summary) = summarize(&out.url_upload_info_list, out.non_exists.len());
        return Err(CliError::WaitTimeout(format!(
            "{done}/{total} jobs finished after {:.1} s ({summary}); raise --max-wait to wait longer",
            waited.elapsed.as_secs_f64()
        )));
    }
    check_all_succeeded(&waited.output)
}

/// `Ok` when every job is SUCCESS and nothing was unknown.
pub fn check_all_succeeded(output: &GetUrlUploadInfosOutput) -> Result<(), CliError> {
    let mut problems: Vec<String> = output
        .url_upload_info_list
        .iter()
        .filter(|i| i.status != Some(UrlUploadJobStatus::Success))
        .map(|i| {
            let mut s = format!(
                "job {} ended {}",
                i.job_id.as_deref().unwrap_or("?"),
                i.status.as_ref().map_or("without a status", |s| s.as_str())
            );
            if let Some(code) = &i.error_code {
                s.push_str(&format!(
                    " ({code}: {})",
                    i.error_message.as_deref().unwrap_or("")
                ));
            }
            s
        })
        .collect();
    if !output.non_exists.is_empty() {
        problems.push(format!("not found: {}", output.non_exists.join(", ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::JobsFailed(format!(
            "not every job succeeded: {}",
            problems.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merged_output_prints_as_the_runtime_shows_one_answer() {
        let body = serde_json::json!({
            "RequestId": "r-1",
            "NonExists": ["n1"],
            "URLUploadInfoList": [{
                "CompleteTime": "2026-12-02T10:00:00Z", "CreationTime": "2026-12-02T09:00:00Z",
                "ErrorCode": "E", "ErrorMessage": "m", "FileSize": "24", "JobId": "j",
                "MediaId": "v", "Status": "SUCCESS", "UploadURL": "http://a/b.mp4",
                "UserData": "{}", "Unknown": 1
            }, {"JobId": "k"}]
        })
        .to_string();
        let shape = get_url_upload_infos::OPERATION.output;
        let format = aliyun_runtime::Format::Json;
        let typed: GetUrlUploadInfosOutput =
            aliyun_runtime::decode_output(format, 200, body.as_bytes(), shape).unwrap();
        let runtime = aliyun_runtime::decode_value(format, 200, body.as_bytes(), shape).unwrap();
        assert_eq!(output_json(&typed), runtime);
    }

    fn job(id: &str, status: &str) -> UrlUploadJobInfo {
        UrlUploadJobInfo {
            job_id: Some(id.into()),
            status: Some(status.into()),
            ..Default::default()
        }
    }

    #[test]
    fn summaries_count_terminal_jobs_and_unknown_ids() {
        let out = GetUrlUploadInfosOutput {
            url_upload_info_list: vec![
                job("a", "SUCCESS"),
                job("b", "DOWNLOADING"),
                job("c", "UPLOAD_FAIL"),
            ],
            non_exists: vec!["zz".into()],
            ..Default::default()
        };
        assert_eq!(
            summarize(&out.url_upload_info_list, 1),
            (
                3,
                4,
                "DOWNLOADING 1, SUCCESS 1, UPLOAD_FAIL 1, not found 1".to_owned()
            )
        );
        let err = check_all_succeeded(&out).unwrap_err();
        assert!(
            matches!(&err, CliError::JobsFailed(m) if m.contains("job b ended DOWNLOADING") && m.contains("not found: zz")),
            "{err:?}"
        );
    }

    #[test]
    fn seconds_parse_with_fractions_and_refuse_nonsense() {
        assert_eq!(parse_seconds("0.25").unwrap(), Duration::from_millis(250));
        assert!(parse_seconds("0").is_err() && parse_seconds("x").is_err());
    }
}

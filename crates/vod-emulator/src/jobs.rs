//! URL upload jobs and where they are kept: an in-memory index, written through
//! to redb (one table, JobId -> JSON of the job) when a data directory is set.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;
use crate::render::Node;

const JOBS: TableDefinition<&str, &str> = TableDefinition::new("jobs");

/// The store file inside the data directory.
const STORE_FILE: &str = "jobs.redb";

/// A job's status, in the order a successful job goes through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum JobStatus {
    Pending,
    Downloading,
    DownloadSuccess,
    Uploading,
    UploadSuccess,
    Success,
    DownloadFail,
}

impl JobStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "PENDING",
            JobStatus::Downloading => "DOWNLOADING",
            JobStatus::DownloadSuccess => "DOWNLOAD_SUCCESS",
            JobStatus::Uploading => "UPLOADING",
            JobStatus::UploadSuccess => "UPLOAD_SUCCESS",
            JobStatus::Success => "SUCCESS",
            JobStatus::DownloadFail => "DOWNLOAD_FAIL",
        }
    }

    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::DownloadFail)
    }
}

/// One URL upload job, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Job {
    pub(crate) job_id: String,
    /// Creation order across the store: the latest job of a URL has the highest.
    pub(crate) seq: u64,
    /// The source URL, decoded.
    pub(crate) upload_url: String,
    pub(crate) user_data: Option<String>,
    /// This URL's entry of `UploadMetadatas` (JSON), when one names it.
    pub(crate) upload_metadata: Option<String>,
    pub(crate) status: JobStatus,
    pub(crate) creation_time: String,
    pub(crate) complete_time: Option<String>,
    pub(crate) media_id: Option<String>,
    pub(crate) file_size: Option<u64>,
    pub(crate) error_code: Option<String>,
    pub(crate) error_message: Option<String>,
}

impl Job {
    /// The `UrlUploadJobInfoDTO` of GetURLUploadInfos; empty fields are left out.
    pub(crate) fn to_node(&self) -> Node {
        let mut f: Vec<(&'static str, Node)> = Vec::with_capacity(10);
        f.push(("CreationTime", Node::text(self.creation_time.as_str())));
        f.push(("Status", Node::text(self.status.as_str())));
        if let Some(m) = &self.error_message {
            f.push(("ErrorMessage", Node::text(m.as_str())));
        }
        if let Some(c) = &self.error_code {
            f.push(("ErrorCode", Node::text(c.as_str())));
        }
        if let Some(t) = &self.complete_time {
            f.push(("CompleteTime", Node::text(t.as_str())));
        }
        f.push(("JobId", Node::text(self.job_id.as_str())));
        if let Some(u) = &self.user_data {
            f.push(("UserData", Node::text(u.as_str())));
        }
        f.push(("UploadURL", Node::text(self.upload_url.as_str())));
        if let Some(m) = &self.media_id {
            f.push(("MediaId", Node::text(m.as_str())));
        }
        if let Some(s) = self.file_size {
            f.push(("FileSize", Node::text(s.to_string())));
        }
        Node::Object(f)
    }
}

/// A store write failed (the request is answered with `InternalError`).
#[derive(Debug, thiserror::Error)]
#[error("job store write failed: {0}")]
pub(crate) struct StoreError(String);

#[derive(Default)]
struct Index {
    jobs: HashMap<String, Job>,
    /// URL -> (seq, JobId) of its latest job.
    latest_by_url: HashMap<String, (u64, String)>,
}

impl Index {
    fn put(&mut self, job: Job) {
        let newer = match self.latest_by_url.get(&job.upload_url) {
            Some((seq, _)) => *seq <= job.seq,
            None => true,
        };
        if newer {
            self.latest_by_url
                .insert(job.upload_url.clone(), (job.seq, job.job_id.clone()));
        }
        self.jobs.insert(job.job_id.clone(), job);
    }
}

pub(crate) struct JobStore {
    index: Mutex<Index>,
    /// `None` in memory mode, and after [`JobStore::close`].
    db: Mutex<Option<Arc<Database>>>,
    next_seq: AtomicU64,
}

impl JobStore {
    /// Opens the store; with a data directory, loads every stored job and
    /// returns the ids of those not finished, to be resumed.
    pub(crate) fn open(data_dir: Option<&Path>) -> Result<(Self, Vec<String>), EmulatorError> {
        let mut index = Index::default();
        let db = match data_dir {
            None => None,
            Some(dir) => {
                let path = dir.join(STORE_FILE);
                let fail = |e: BoxError| EmulatorError::Store {
                    path: path.clone(),
                    source: e,
                };
                std::fs::create_dir_all(dir).map_err(|e| fail(e.into()))?;
                let db = Database::create(&path).map_err(|e| fail(e.into()))?;
                for job in load(&db, &path).map_err(fail)? {
                    index.put(job);
                }
                Some(Arc::new(db))
            }
        };
        let resume: Vec<String> = {
            let mut v: Vec<&Job> = index
                .jobs
                .values()
                .filter(|j| !j.status.is_terminal())
                .collect();
            v.sort_by_key(|j| j.seq);
            v.into_iter().map(|j| j.job_id.clone()).collect()
        };
        let next = index.jobs.values().map(|j| j.seq + 1).max().unwrap_or(0);
        Ok((
            JobStore {
                index: Mutex::new(index),
                db: Mutex::new(db),
                next_seq: AtomicU64::new(next),
            },
            resume,
        ))
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Stores new jobs: durably first (when there is a data directory), then
    /// in the index, so a job is never visible before it would survive a crash.
    pub(crate) async fn insert(&self, jobs: Vec<Job>) -> Result<(), StoreError> {
        self.persist(&jobs).await?;
        let mut index = self.lock();
        for job in jobs {
            index.put(job);
        }
        Ok(())
    }

    /// Changes a job and writes it through. Returns the job as changed.
    pub(crate) async fn update(
        &self,
        job_id: &str,
        change: impl FnOnce(&mut Job),
    ) -> Result<Option<Job>, StoreError> {
        let job = {
            let mut index = self.lock();
            let Some(job) = index.jobs.get_mut(job_id) else {
                return Ok(None);
            };
            change(job);
            job.clone()
        };
        self.persist(std::slice::from_ref(&job)).await?;
        Ok(Some(job))
    }

    /// Removes the jobs among `job_ids` that are still `PENDING` (deleting them
    /// from the store too) and returns their ids. Taken under the index lock, so
    /// a worker that starts a job at the same moment either sees it gone or
    /// moves it on first, never both.
    pub(crate) async fn cancel_pending(
        &self,
        job_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let canceled: Vec<String> = {
            let mut index = self.lock();
            let mut out = Vec::new();
            for id in job_ids {
                if index
                    .jobs
                    .get(id)
                    .is_some_and(|j| j.status == JobStatus::Pending)
                {
                    if let Some(job) = index.jobs.remove(id) {
                        if index
                            .latest_by_url
                            .get(&job.upload_url)
                            .is_some_and(|(_, latest)| latest == id)
                        {
                            index.latest_by_url.remove(&job.upload_url);
                        }
                        out.push(job.job_id);
                    }
                }
            }
            out
        };
        let Some(db) = self.db.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return Ok(canceled);
        };
        let ids = canceled.clone();
        tokio::task::spawn_blocking(move || delete(&db, &ids))
            .await
            .map_err(|e| StoreError(e.to_string()))?
            .map_err(|e| StoreError(e.to_string()))?;
        Ok(canceled)
    }

    pub(crate) fn get(&self, job_id: &str) -> Option<Job> {
        self.lock().jobs.get(job_id).cloned()
    }

    /// The latest job created for `url`.
    pub(crate) fn latest_for_url(&self, url: &str) -> Option<Job> {
        let index = self.lock();
        let (_, id) = index.latest_by_url.get(url)?;
        index.jobs.get(id).cloned()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Releases the database file (later writes stay in memory only), so the
    /// same data directory can be opened again in this process.
    pub(crate) fn close(&self) {
        self.db.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn persist(&self, jobs: &[Job]) -> Result<(), StoreError> {
        let Some(db) = self.db.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return Ok(());
        };
        let rows = jobs
            .iter()
            .map(|j| {
                serde_json::to_string(j)
                    .map(|json| (j.job_id.clone(), json))
                    .map_err(|e| StoreError(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        tokio::task::spawn_blocking(move || write(&db, &rows))
            .await
            .map_err(|e| StoreError(e.to_string()))?
            .map_err(|e| StoreError(e.to_string()))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn delete(db: &Database, ids: &[String]) -> Result<(), BoxError> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(JOBS)?;
        for id in ids {
            table.remove(id.as_str())?;
        }
    }
    txn.commit()?;
    Ok(())
}

fn write(db: &Database, rows: &[(String, String)]) -> Result<(), BoxError> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(JOBS)?;
        for (id, json) in rows {
            table.insert(id.as_str(), json.as_str())?;
        }
    }
    txn.commit()?;
    Ok(())
}

fn load(db: &Database, path: &Path) -> Result<Vec<Job>, BoxError> {
    // Creates the table on first use, so the read below always finds it.
    write(db, &[])?;
    let txn = db.begin_read()?;
    let table = txn.open_table(JOBS)?;
    let mut jobs = Vec::new();
    for row in table.iter()? {
        let (id, json) = row?;
        let job: Job = serde_json::from_str(json.value()).map_err(|e| {
            format!(
                "{}: job {} is not valid JSON: {e}",
                path.display(),
                id.value()
            )
        })?;
        jobs.push(job);
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, seq: u64, url: &str) -> Job {
        Job {
            job_id: id.into(),
            seq,
            upload_url: url.into(),
            user_data: None,
            upload_metadata: None,
            status: JobStatus::Pending,
            creation_time: "2024-01-01T00:00:00Z".into(),
            complete_time: None,
            media_id: None,
            file_size: None,
            error_code: None,
            error_message: None,
        }
    }

    #[tokio::test]
    async fn latest_job_per_url_and_reopen_resumes_unfinished() {
        let dir = tempfile::tempdir().unwrap();
        let (store, resume) = JobStore::open(Some(dir.path())).unwrap();
        assert!(resume.is_empty());
        store
            .insert(vec![job("a", 0, "http://x/1"), job("b", 1, "http://x/1")])
            .await
            .unwrap();
        store
            .update("a", |j| j.status = JobStatus::Success)
            .await
            .unwrap();
        assert_eq!(store.latest_for_url("http://x/1").unwrap().job_id, "b");
        store.close();
        drop(store);

        let (store, resume) = JobStore::open(Some(dir.path())).unwrap();
        assert_eq!(resume, ["b"]);
        assert_eq!(store.get("a").unwrap().status, JobStatus::Success);
        assert_eq!(store.next_seq(), 2);
    }

    #[test]
    fn dto_leaves_out_empty_fields() {
        let mut j = job("a", 0, "http://x/1");
        let Node::Object(fields) = j.to_node() else {
            unreachable!()
        };
        let names: Vec<_> = fields.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["CreationTime", "Status", "JobId", "UploadURL"]);
        j.file_size = Some(24);
        j.media_id = Some("m".into());
        let Node::Object(fields) = j.to_node() else {
            unreachable!()
        };
        assert!(fields.contains(&("FileSize", Node::text("24"))));
    }
}

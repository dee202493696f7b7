//! The checkpoint of a resumable upload: a small JSON file per local file,
//! replaced atomically (written beside, flushed, renamed), so a crash leaves
//! either the previous checkpoint or the next, never half of one. It holds
//! no secret: credentials are asked afresh (RefreshUploadVideo) on resume.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// Bytes hashed at each end of the file for its fingerprint.
const EDGE: u64 = 1 << 20;
/// The checkpoint format.
const VERSION: u32 = 1;

/// What says a file is the one a checkpoint was made for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileIdentity {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 if unknown).
    pub(crate) modified_ns: u128,
    /// Hex MD5 of the first and last MiB.
    pub(crate) fingerprint: String,
}

impl FileIdentity {
    /// Reads the identity of an open file (blocking).
    pub(crate) fn of(path: &Path, file: &std::fs::File) -> std::io::Result<FileIdentity> {
        let meta = file.metadata()?;
        let size = meta.len();
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let mut hash = Md5::new();
        let head = size.min(EDGE);
        hash.update(super::prepare::read_at(file, 0, head as usize)?);
        let tail_start = size.saturating_sub(EDGE).max(head);
        hash.update(super::prepare::read_at(
            file,
            tail_start,
            (size - tail_start) as usize,
        )?);
        Ok(FileIdentity {
            path: path.to_owned(),
            size,
            modified_ns,
            fingerprint: hex::encode(hash.finalize()),
        })
    }
}

/// A part already in OSS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DonePart {
    pub(crate) number: u32,
    pub(crate) etag: String,
    pub(crate) crc64: u64,
}

/// Everything needed to go on with an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) version: u32,
    pub(crate) file: FileIdentity,
    pub(crate) video_id: String,
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
    pub(crate) object_key: String,
    pub(crate) part_size: u64,
    /// The multipart upload, once initiated.
    pub(crate) upload_id: Option<String>,
    pub(crate) parts: Vec<DonePart>,
}

impl Checkpoint {
    pub(crate) fn new(
        file: FileIdentity,
        video_id: String,
        endpoint: String,
        bucket: String,
        object_key: String,
        part_size: u64,
    ) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            file,
            video_id,
            endpoint,
            bucket,
            object_key,
            part_size,
            upload_id: None,
            parts: Vec::new(),
        }
    }
}

/// The checkpoint file of `file` in `dir`: named by a hash of the file's
/// absolute path.
pub(crate) fn location(dir: &Path, file: &Path) -> PathBuf {
    let digest = Md5::digest(file.as_os_str().as_encoded_bytes());
    dir.join(format!("upload-{}.json", hex::encode(digest)))
}

/// The checkpoint at `at`: `Ok(None)` when there is none, an error when it
/// cannot be read or is not one of ours.
pub(crate) fn load(at: &Path) -> Result<Option<Checkpoint>, String> {
    let text = match std::fs::read(at) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    let cp: Checkpoint = aliyun_runtime::serde_json::from_slice(&text)
        .map_err(|_| "is not an upload checkpoint (delete it to start over)".to_owned())?;
    if cp.version != VERSION {
        return Err(format!(
            "has format version {}, this SDK writes {VERSION} (delete it to start over)",
            cp.version
        ));
    }
    let parts = cp.file.size.div_ceil(cp.part_size.max(1));
    if !(super::MIN_PART_SIZE..=super::MAX_PART_SIZE).contains(&cp.part_size)
        || parts > super::MAX_PARTS
    {
        return Err("has a part size OSS would refuse (delete it to start over)".to_owned());
    }
    Ok(Some(cp))
}

/// Fails unless a checkpoint can be written beside `at` (the folder is
/// made if missing): checked before anything is created, so a media record
/// never exists without the checkpoint that resumes it.
pub(crate) fn check_writable(at: &Path) -> std::io::Result<()> {
    let dir = at.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    tempfile::NamedTempFile::new_in(dir).map(drop)
}

/// Writes `cp` to `at` atomically.
pub(crate) fn store(at: &Path, cp: &Checkpoint) -> std::io::Result<()> {
    let dir = at.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let json = aliyun_runtime::serde_json::to_vec_pretty(cp).map_err(std::io::Error::other)?;
    // Named so that one left by a process killed mid-write is recognisable.
    let mut tmp = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(&json)?;
    tmp.as_file().sync_all()?;
    tmp.persist(at).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the checkpoint at `at`, if any.
pub(crate) fn remove(at: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(at) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_strangers() {
        let dir = tempfile::tempdir().unwrap();
        let at = location(dir.path(), Path::new("/videos/a.mp4"));
        assert_eq!(load(&at), Ok(None));
        let mut cp = Checkpoint::new(
            FileIdentity {
                path: "/videos/a.mp4".into(),
                size: 10,
                modified_ns: 5,
                fingerprint: "00".into(),
            },
            "vid".into(),
            "http://127.0.0.1:1".into(),
            "b".into(),
            "k".into(),
            1 << 20,
        );
        cp.upload_id = Some("U".into());
        cp.parts.push(DonePart {
            number: 1,
            etag: "\"E\"".into(),
            crc64: 42,
        });
        store(&at, &cp).unwrap();
        assert_eq!(load(&at), Ok(Some(cp.clone())));
        // Nothing else left in the folder: the temporary file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut odd = cp.clone();
        odd.part_size = 0;
        store(&at, &odd).unwrap();
        assert!(load(&at).unwrap_err().contains("part size"));
        std::fs::write(&at, b"{\"half\":").unwrap();
        assert!(load(&at).unwrap_err().contains("not an upload checkpoint"));
        remove(&at).unwrap();
        remove(&at).unwrap();
        assert_eq!(load(&at), Ok(None));
        check_writable(&dir.path().join("new/sub/x.json")).unwrap();
        assert!(dir.path().join("new/sub").is_dir());
        std::fs::write(dir.path().join("file"), b"").unwrap();
        assert!(check_writable(&dir.path().join("file/x.json")).is_err());
    }
}

//! The file side of an upload, before anything is sent: opening and
//! checking the file, choosing the part size, defaulting the names, and
//! building (and checking) the CreateUpload* call of its kind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::checkpoint::FileIdentity;
use super::{MediaKind, UploadError, DEFAULT_PART_SIZE, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};
use crate::create_upload_video::CreateUploadVideoInput;
use crate::upload_grant::{UploadAddress, UploadAuth};

/// The CreateUpload* call of a file, checked against its rules.
#[derive(Clone, Debug)]
pub(super) enum CreateCall {
    Video(CreateUploadVideoInput),
    Image(crate::create_upload_image::CreateUploadImageInput),
    Attached(crate::create_upload_attached_media::CreateUploadAttachedMediaInput),
}

/// What a CreateUpload* call answered.
pub(super) struct Created {
    pub(super) id: String,
    pub(super) address: UploadAddress,
    pub(super) auth: UploadAuth,
    pub(super) file_url: Option<String>,
}

pub(super) fn create_call(
    kind: &MediaKind,
    mut input: CreateUploadVideoInput,
    size: u64,
    checkpointed: bool,
) -> Result<CreateCall, UploadError> {
    let call = match kind {
        MediaKind::Video => {
            // Refused before anything is created: the rules CreateUploadVideo
            // would check when sent.
            input.validate().map_err(aliyun_runtime::Error::from)?;
            input.file_size = Some(i64::try_from(size).unwrap_or(i64::MAX));
            return Ok(CreateCall::Video(input));
        }
        other => {
            let video_only = [
                (input.template_group_id.is_some(), "template_group_id"),
                (input.workflow_id.is_some(), "workflow_id"),
                (input.cover_url.is_some(), "cover_url"),
            ];
            for (set, field) in video_only {
                if set {
                    return Err(UploadError::Invalid {
                        field,
                        rule: format!("applies to videos only, not to {} uploads", other.noun()),
                    });
                }
            }
            if checkpointed {
                return Err(UploadError::Invalid {
                    field: "checkpoint_dir",
                    rule: format!(
                        "only video uploads resume: {} credentials cannot be refreshed",
                        other.noun()
                    ),
                });
            }
            let ext = input
                .file_name
                .as_deref()
                .and_then(|n| Path::new(n).extension())
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            match other {
                MediaKind::Image { image_type } => {
                    CreateCall::Image(crate::create_upload_image::CreateUploadImageInput {
                        title: input.title,
                        image_type: Some(image_type.clone()),
                        image_ext: ext.map(Into::into),
                        original_file_name: input.file_name,
                        tags: input.tags,
                        storage_location: input.storage_location,
                        cate_id: input.cate_id,
                        user_data: input.user_data,
                        description: input.description,
                        app_id: input.app_id,
                    })
                }
                MediaKind::AttachedMedia { .. } | MediaKind::Video => {
                    let business_type = match other {
                        MediaKind::AttachedMedia { business_type } => Some(business_type.clone()),
                        _ => None,
                    };
                    CreateCall::Attached(
                        crate::create_upload_attached_media::CreateUploadAttachedMediaInput {
                            title: input.title,
                            business_type,
                            media_ext: ext,
                            file_name: input.file_name,
                            file_size: Some(size.to_string()),
                            tags: input.tags,
                            storage_location: input.storage_location,
                            description: input.description,
                            user_data: input.user_data,
                            cate_ids: input.cate_id.map(|c| vec![c]),
                            app_id: input.app_id,
                        },
                    )
                }
            }
        }
    };
    match &call {
        CreateCall::Image(i) => i.validate(),
        CreateCall::Attached(i) => i.validate(),
        CreateCall::Video(i) => i.validate(),
    }
    .map_err(aliyun_runtime::Error::from)?;
    Ok(call)
}

pub(super) struct Opened {
    pub(super) file: Arc<std::fs::File>,
    pub(super) identity: FileIdentity,
}

/// Opens the file and reads its identity; every way it cannot be uploaded
/// is an error here, before anything is created.
pub(super) async fn open(path: &Path) -> Result<Opened, UploadError> {
    let path = path.to_owned();
    let fail = |path: &Path, problem: String| UploadError::File {
        path: path.to_owned(),
        problem,
    };
    tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&path).map_err(|e| fail(&path, io_problem(&e)))?;
        if !meta.is_file() {
            return Err(fail(&path, "is not a regular file".to_owned()));
        }
        if meta.len() == 0 {
            return Err(fail(
                &path,
                "is empty (VOD takes no empty media)".to_owned(),
            ));
        }
        let file = std::fs::File::open(&path).map_err(|e| fail(&path, io_problem(&e)))?;
        let absolute = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let identity =
            FileIdentity::of(&absolute, &file).map_err(|e| fail(&path, io_problem(&e)))?;
        Ok(Opened {
            file: Arc::new(file),
            identity,
        })
    })
    .await
    .map_err(|e| UploadError::File {
        path: PathBuf::new(),
        problem: format!("the file task failed: {e}"),
    })?
}

pub(super) fn io_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".to_owned(),
        _ => format!("cannot be read: {e}"),
    }
}

pub(super) fn choose_part_size(
    path: &Path,
    size: u64,
    wanted: Option<u64>,
) -> Result<u64, UploadError> {
    if size > MAX_PARTS * MAX_PART_SIZE {
        return Err(UploadError::File {
            path: path.to_owned(),
            problem: format!(
                "is {size} bytes; OSS takes at most {MAX_PARTS} parts of {MAX_PART_SIZE} bytes"
            ),
        });
    }
    let least = size.div_ceil(MAX_PARTS);
    match wanted {
        Some(p) if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&p) => Err(UploadError::Invalid {
            field: "part_size",
            rule: format!("must be {MIN_PART_SIZE} to {MAX_PART_SIZE} bytes, not {p}"),
        }),
        Some(p) if p < least => Err(UploadError::Invalid {
            field: "part_size",
            rule: format!(
                "a {size}-byte file needs parts of at least {least} bytes (OSS takes at most {MAX_PARTS} parts)"
            ),
        }),
        Some(p) => Ok(p),
        None => Ok(DEFAULT_PART_SIZE.max(least.next_multiple_of(1 << 20))),
    }
}

/// Title from the file's stem and FileName from its name, when unset.
pub(super) fn fill_names(
    input: &mut CreateUploadVideoInput,
    path: &Path,
) -> Result<(), UploadError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if input
        .file_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        input.file_name = Some(name.clone());
    }
    let file_name = input.file_name.as_deref().unwrap_or_default();
    let has_extension = Path::new(file_name)
        .extension()
        .is_some_and(|e| !e.is_empty());
    if !has_extension {
        return Err(UploadError::Invalid {
            field: "file_name",
            rule: format!(
                "{file_name:?} has no extension; VOD needs one to know the format (set .file_name(\"name.mp4\"))"
            ),
        });
    }
    if input.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(name);
        input.title = Some(stem);
    }
    Ok(())
}

/// Reads `len` bytes at `offset` (blocking).
pub(crate) fn read_at(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    read_into(file, offset, &mut buf)?;
    Ok(buf)
}

/// Fills `buf` from `offset` (blocking); a file that ends first is
/// `UnexpectedEof`.
pub(crate) fn read_into(file: &std::fs::File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt as _;
        file.read_exact_at(buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt as _;
        let mut done = 0;
        while done < buf.len() {
            let n = file.seek_read(&mut buf[done..], offset + done as u64)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_stay_within_oss_limits() {
        let p = Path::new("f.mp4");
        assert_eq!(choose_part_size(p, 1, None).unwrap(), DEFAULT_PART_SIZE);
        // 100 GiB needs parts over 10 MiB: rounded up to whole MiB.
        let big = 100 << 30;
        let part = choose_part_size(p, big, None).unwrap();
        assert!(
            big.div_ceil(part) <= MAX_PARTS && part % (1 << 20) == 0,
            "{part}"
        );
        assert!(matches!(
            choose_part_size(p, 10, Some(1000)),
            Err(UploadError::Invalid {
                field: "part_size",
                ..
            })
        ));
        let e = choose_part_size(p, 10_000 * MIN_PART_SIZE + 1, Some(MIN_PART_SIZE)).unwrap_err();
        assert!(e.to_string().contains("at least 102401 bytes"), "{e}");
        assert!(choose_part_size(p, MAX_PARTS * MAX_PART_SIZE + 1, None).is_err());
    }

    #[test]
    fn names_default_from_the_file() {
        let mut input = CreateUploadVideoInput::default();
        fill_names(&mut input, Path::new("/tmp/My talk.final.mov")).unwrap();
        assert_eq!(input.title.as_deref(), Some("My talk.final"));
        assert_eq!(input.file_name.as_deref(), Some("My talk.final.mov"));
        let mut input = CreateUploadVideoInput::default();
        let e = fill_names(&mut input, Path::new("/tmp/README")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("file_name: \"README\" has no extension"),
            "{e}"
        );
    }
}

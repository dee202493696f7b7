//! Uploading local files end to end: the SDK's `upload_file` against the
//! emulator's VOD (CreateUploadVideo, RefreshUploadVideo, GetVideoInfo) and
//! its OSS (V4 signatures with the issued STS keys, PutObject, multipart,
//! CRC-64), with the emulator's fault switches.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aliyun_vod::upload::{UploadError, UploadProgress};
use aliyun_vod::Client;
use vod_e2e::emulator_config;
use vod_emulator::{Emulator, EmulatorConfig, Faults, IdentityConfig, RunningEmulator};

const PART: u64 = 100 << 10;

async fn emulator(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config.with_step_delay(Duration::from_millis(20)))
        .await
        .unwrap()
}

fn client(emu: &RunningEmulator) -> Client {
    Client::new(emulator_config(&emu.base_url()).rate_limit(false)).unwrap()
}

/// A file of `len` bytes that differ from part to part.
fn write_file(dir: &Path, name: &str, len: usize, seed: u8) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_left(7) as u8 ^ seed)
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

/// OSS holds exactly `bytes` for the upload `out`.
fn assert_stored(emu: &RunningEmulator, out: &aliyun_vod::upload::UploadOutput, bytes: &[u8]) {
    let stored = emu.stored_object(&out.bucket, &out.object_key);
    assert!(
        stored.as_deref() == Some(bytes),
        "{out:?}: the stored object differs"
    );
}

async fn video_status(client: &Client, id: &str) -> String {
    let out = client.get_video_info().video_id(id).send().await.unwrap();
    out.video
        .and_then(|v| v.status)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_goes_up_in_one_put_and_a_large_one_in_parts() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();

    let (small, small_bytes) = write_file(dir.path(), "small.mp4", 50_000, 1);
    let out = client.upload_file(&small).send().await.unwrap();
    assert_eq!((out.parts, out.size), (1, 50_000));
    assert_stored(&emu, &out, &small_bytes);
    assert_eq!(emu.stats().oss_parts_stored, 0);

    let (large, large_bytes) = write_file(dir.path(), "large.mov", 3 * PART as usize + 123, 2);
    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let out = client
        .upload_file(&large)
        .title("A large one")
        .part_size(PART)
        .parallelism(3)
        .on_progress(move |p| sink.lock().unwrap().push(*p))
        .send()
        .await
        .unwrap();
    assert_eq!((out.parts, out.parts_sent, out.resumed), (4, 4, false));
    assert!(out.object_key.ends_with(".mov"), "{out:?}");
    assert_stored(&emu, &out, &large_bytes);
    let stats = emu.stats();
    assert_eq!((stats.videos_created, stats.oss_parts_stored), (2, 4));
    assert_eq!((stats.oss_uploads_open, stats.errors), (0, 0));
    let seen = seen.lock().unwrap().clone();
    let last = seen.last().unwrap();
    assert_eq!(
        (
            last.bytes_sent,
            last.total_bytes,
            last.parts_done,
            last.parts_total
        ),
        (large_bytes.len() as u64, large_bytes.len() as u64, 4, 4)
    );
    assert!(
        seen.len() > 4,
        "progress comes per chunk too: {}",
        seen.len()
    );
    // The record leaves Uploading once its object is there.
    assert_ne!(video_status(&client, &out.media_id).await, "Uploading");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_cannot_go_up_are_refused_before_anything_is_created() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing.mp4");
    let (no_extension, _) = write_file(dir.path(), "README", 10, 0);

    let cases: Vec<(PathBuf, &str)> = vec![
        (empty, "is empty"),
        (missing, "does not exist"),
        (dir.path().to_owned(), "is not a regular file"),
        (no_extension, "has no extension"),
    ];
    for (path, want) in cases {
        let e = client.upload_file(&path).send().await.unwrap_err();
        assert!(e.to_string().contains(want), "{}: {e}", path.display());
    }
    // A title over 128 characters breaks CreateUploadVideo's rule: refused
    // here, not by the service.
    let (ok, _) = write_file(dir.path(), "ok.mp4", 10, 0);
    let e = client
        .upload_file(&ok)
        .title("t".repeat(129))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, UploadError::Api(_)) && e.to_string().contains("Title"),
        "{e}"
    );
    let e = client
        .upload_file(&ok)
        .parallelism(0)
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("parallelism: "), "{e}");
    // A checkpoint that could not be written would leave a record nothing
    // can resume: refused before anything is created.
    let e = client
        .upload_file(&ok)
        .checkpoint_dir(ok.join("sub"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::Checkpoint { .. }), "{e}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let (locked, _) = write_file(dir.path(), "locked.mp4", 10, 0);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads anything: only check where the file is really unreadable.
        if std::fs::File::open(&locked).is_err() {
            let e = client.upload_file(&locked).send().await.unwrap_err();
            assert!(e.to_string().contains("permission denied"), "{e}");
        }
    }
    let stats = emu.stats();
    assert_eq!((stats.videos_created, stats.requests), (0, 0), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_refused_in_the_middle_are_refreshed_for_the_same_video() {
    let emu = Arc::new(emulator(EmulatorConfig::default()).await);
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "clip.mp4", 6 * PART as usize, 3);
    let expired = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (emu2, flag) = (Arc::clone(&emu), Arc::clone(&expired));
    let out = client
        .upload_file(&path)
        .part_size(PART)
        .parallelism(1)
        .on_progress(move |p| {
            // Once two parts are in, every key issued so far dies.
            if p.parts_done == 2 && !flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
                emu2.expire_issued_credentials();
            }
        })
        .send()
        .await
        .unwrap();
    assert!(expired.load(std::sync::atomic::Ordering::SeqCst));
    assert_stored(&emu, &out, &bytes);
    let stats = emu.stats();
    assert_eq!(stats.videos_created, 1, "{stats:?}");
    assert_eq!(stats.upload_refreshes, 1, "{stats:?}");
    assert_eq!(out.credential_refreshes, 1);
    assert_eq!(
        stats.oss_parts_stored, 6,
        "no part went up twice: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_about_to_expire_are_renewed_before_oss_refuses_them() {
    // UploadAuth lives 2 s here; parts take 150 ms each, one at a time, so
    // the upload outlives several grants.
    let emu = emulator(
        EmulatorConfig::default()
            .with_identity(IdentityConfig {
                max_lifetime: Duration::from_secs(2),
                ..IdentityConfig::default()
            })
            .with_faults(Faults {
                oss_part_latency_ms: 150,
                ..Faults::default()
            }),
    )
    .await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "long.mp4", 30 * PART as usize, 4);
    let out = client
        .upload_file(&path)
        .part_size(PART)
        .parallelism(1)
        .send()
        .await
        .unwrap();
    assert_stored(&emu, &out, &bytes);
    let stats = emu.stats();
    assert_eq!(stats.videos_created, 1);
    assert!(out.credential_refreshes >= 1, "{out:?}");
    assert_eq!(stats.errors, 0, "nothing was refused: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_fails_once_is_retried_and_one_that_always_fails_aborts() {
    let emu = emulator(EmulatorConfig::default().with_faults(Faults {
        oss_fail_part: Some(2),
        oss_fail_part_times: 1,
        oss_drop_part_next: 1,
        ..Faults::default()
    }))
    .await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "a.mp4", 4 * PART as usize, 5);
    let out = client
        .upload_file(&path)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_stored(&emu, &out, &bytes);
    assert_eq!(
        emu.stats().faults_injected,
        2,
        "one 500, one connection cut"
    );

    emu.set_faults(Faults {
        oss_fail_part: Some(3),
        oss_fail_part_times: u32::MAX,
        ..Faults::default()
    })
    .unwrap();
    let e = client
        .upload_file(&path)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("UploadPart 3") && shown.contains("InternalError"),
        "{shown}"
    );
    let UploadError::Interrupted {
        media_id: video_id,
        resumable,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(!resumable && !video_id.is_empty());
    let stats = emu.stats();
    assert_eq!(
        (stats.oss_uploads_aborted, stats.oss_uploads_open),
        (1, 0),
        "{stats:?}"
    );
    assert_eq!(video_status(&client, video_id).await, "Uploading");
}

/// The parts OSS stored so far.
async fn wait_for_parts(emu: &RunningEmulator, at_least: u64) {
    for _ in 0..500 {
        if emu.stats().oss_parts_stored >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("parts never reached {at_least}: {:?}", emu.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_resumes_and_a_changed_file_starts_over() {
    let emu = emulator(EmulatorConfig::default().with_faults(Faults {
        oss_part_latency_ms: 40,
        ..Faults::default()
    }))
    .await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let (path, bytes) = write_file(dir.path(), "movie.mp4", 12 * PART as usize + 7, 6);
    let upload = || {
        client
            .upload_file(&path)
            .part_size(PART)
            .parallelism(2)
            .checkpoint_dir(&checkpoints)
    };

    // Cancelled (the future dropped, as Ctrl-C does) after 4 parts.
    let running = tokio::spawn(upload().send());
    wait_for_parts(&emu, 4).await;
    running.abort();
    let _ = running.await;
    assert_eq!(std::fs::read_dir(&checkpoints).unwrap().count(), 1);

    let before = emu.stats().oss_parts_stored;
    let out = upload().send().await.unwrap();
    assert!(out.resumed, "{out:?}");
    assert_stored(&emu, &out, &bytes);
    let stats = emu.stats();
    assert_eq!(stats.videos_created, 1, "one media record: {stats:?}");
    assert_eq!(stats.upload_refreshes, 1);
    // Only missing parts went up again: those in flight at the cancel at most.
    assert_eq!(u64::from(out.parts_sent), stats.oss_parts_stored - before);
    assert!(stats.oss_parts_stored <= 13 + 2, "{stats:?}");
    assert_eq!(
        std::fs::read_dir(&checkpoints).unwrap().count(),
        0,
        "removed when done"
    );

    // Interrupted again, then the file changes: a new upload from scratch,
    // the old multipart upload aborted.
    let running = tokio::spawn(upload().send());
    wait_for_parts(&emu, stats.oss_parts_stored + 3).await;
    running.abort();
    let _ = running.await;
    let (_, changed) = write_file(dir.path(), "movie.mp4", 12 * PART as usize + 7, 7);
    let out = upload().send().await.unwrap();
    assert!(!out.resumed);
    assert_stored(&emu, &out, &changed);
    let stats = emu.stats();
    assert_eq!(stats.videos_created, 3, "{stats:?}");
    assert_eq!(
        (stats.oss_uploads_aborted, stats.oss_uploads_open),
        (1, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_video_becomes_normal_plays_its_bytes_and_can_be_deleted() {
    use aliyun_vod::waiter::{wait_for_video, WaitOptions};
    let emu = emulator(EmulatorConfig::default()).await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "play.mp4", 3 * PART as usize, 8);
    let out = client
        .upload_file(&path)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    // Not playable before it is Normal.
    let mut statuses = Vec::new();
    let done = wait_for_video(
        &client,
        &out.media_id,
        WaitOptions {
            poll_interval: Duration::from_millis(5),
            max_interval: Duration::from_millis(10),
            timeout: Duration::from_secs(10),
        },
        |p| statuses.push(p.status.clone()),
    )
    .await
    .unwrap();
    assert!(done.is_normal(), "{done:?}");
    assert_eq!(
        statuses.first().map(String::as_str),
        Some("UploadSucc"),
        "{statuses:?}"
    );
    let play = client
        .get_play_info()
        .video_id(&out.media_id)
        .send()
        .await
        .unwrap();
    let infos = play.play_info_list.unwrap().play_info;
    let url = infos[0].play_url.clone().unwrap();
    let played = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(played.as_ref(), bytes.as_slice(), "{url}");

    let deleted = client
        .delete_video()
        .video_ids([out.media_id.clone(), "nope".to_owned()])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.non_exist_video_ids, vec!["nope".to_owned()]);
    let e = client
        .get_video_info()
        .video_id(&out.media_id)
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("InvalidVideo.NotFound"), "{e}");
    assert!(emu.stored_object(&out.bucket, &out.object_key).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_attached_media_go_up_and_are_created_again_only_before_any_part() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let (image, image_bytes) = write_file(dir.path(), "cover.PNG", 40_000, 9);
    let out = client
        .upload_image(&image, "cover")
        .title("A cover")
        .send()
        .await
        .unwrap();
    assert_eq!(out.kind.noun(), "image");
    assert!(
        out.object_key.starts_with("image/cover/") && out.object_key.ends_with(".png"),
        "{out:?}"
    );
    assert!(out.file_url.as_deref().unwrap().ends_with(&out.object_key));
    assert_stored(&emu, &out, &image_bytes);

    let (subs, subs_bytes) = write_file(dir.path(), "talk.srt", 3 * PART as usize, 10);
    let out = client
        .upload_attached_media(&subs, "subtitle")
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!((out.parts, out.kind.noun()), (3, "attached media"));
    assert_stored(&emu, &out, &subs_bytes);

    // Refused as expired before any byte went up: a new record, once.
    emu.set_faults(Faults {
        oss_expired_next: 1,
        ..Faults::default()
    })
    .unwrap();
    let out = client.upload_image(&image, "default").send().await.unwrap();
    assert_stored(&emu, &out, &image_bytes);
    let stats = emu.stats();
    assert_eq!(
        (stats.images_created, stats.upload_refreshes),
        (3, 0),
        "{stats:?}"
    );

    // Expired after a part went up: images cannot be refreshed, a clear error.
    emu.set_faults(Faults {
        oss_part_latency_ms: 20,
        ..Faults::default()
    })
    .unwrap();
    let upload = client
        .upload_attached_media(&subs, "subtitle")
        .part_size(PART)
        .parallelism(1)
        .send();
    let expire = async {
        while emu.stats().oss_parts_stored < 4 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        emu.set_faults(Faults {
            expire_credentials_now: true,
            ..Faults::default()
        })
        .unwrap();
    };
    let (result, ()) = tokio::join!(upload, expire);
    let e = result.unwrap_err();
    assert!(
        e.to_string()
            .contains("attached media uploads cannot be refreshed: upload the file again"),
        "{e}"
    );
    assert_eq!(emu.stats().attached_media_created, 2);

    // Video-only settings and checkpoints are refused up front.
    let e = client
        .upload_image(&image, "default")
        .workflow_id("w")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "workflow_id: applies to videos only, not to image uploads"
    );
    let e = client
        .upload_image(&image, "default")
        .checkpoint_dir(dir.path())
        .send()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("checkpoint_dir: only video uploads resume"),
        "{e}"
    );
}

/// A Python with Alibaba's official SDKs installed (`oss2`,
/// `alibabacloud_vod20170321`): `VOD_OFFICIAL_PYTHON`, or the virtualenv
/// that `cargo xtask bench-upload` / `bench-compare` or the shared setup
/// script made.
fn official_python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os("VOD_OFFICIAL_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            root.join("xtask/bench-official/venv/bin/python"),
            root.join("../shared/bench/official/venv/bin/python"),
        ])
        .find(|p| p.exists())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_oss2_uploads_to_the_emulator_unchanged() {
    let Some(python) = official_python() else {
        eprintln!(
            "skipped: no Python with the official SDKs (run ../shared/bench/official/setup.sh)"
        );
        return;
    };
    let emu = emulator(EmulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "official.mp4", 3 * PART as usize + 1, 11);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../xtask/src/official/oss2_upload.py");
    for mode in [&["put"][..], &["resumable", "4", "102400"][..]] {
        let out = tokio::process::Command::new(&python)
            .arg(&script)
            .arg(emu.base_url())
            .arg(&path)
            .args(mode)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{mode:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: serde_json::Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
        let id = printed["video_id"].as_str().unwrap();
        // The video goes Normal, and plays exactly what oss2 sent.
        let client = client(&emu);
        let options = aliyun_vod::waiter::WaitOptions {
            poll_interval: Duration::from_millis(10),
            max_interval: Duration::from_millis(20),
            timeout: Duration::from_secs(10),
        };
        let done = aliyun_vod::waiter::wait_for_video(&client, id, options, |_| {})
            .await
            .unwrap();
        assert!(done.is_normal(), "{done:?}");
        let play = client.get_play_info().video_id(id).send().await.unwrap();
        let url = play.play_info_list()[0].play_url.clone().unwrap();
        let played = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
        assert!(
            played.as_ref() == bytes.as_slice(),
            "{mode:?}: the bytes differ"
        );
    }
    let stats = emu.stats();
    assert_eq!(
        (stats.videos_created, stats.oss_objects_stored),
        (2, 2),
        "{stats:?}"
    );
    assert_eq!(stats.oss_parts_stored, 4, "oss2 sent 4 parts: {stats:?}");
    assert_eq!(stats.errors, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_whose_video_was_deleted_starts_over() {
    let emu = emulator(EmulatorConfig::default().with_faults(Faults {
        oss_fail_part: Some(2),
        oss_fail_part_times: u32::MAX,
        ..Faults::default()
    }))
    .await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let (path, bytes) = write_file(dir.path(), "gone.mp4", 3 * PART as usize, 12);
    let upload = || {
        client
            .upload_file(&path)
            .part_size(PART)
            .checkpoint_dir(&checkpoints)
            .send()
    };
    let e = upload().await.unwrap_err();
    let UploadError::Interrupted {
        media_id,
        resumable: true,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    client
        .delete_video()
        .video_ids([media_id.clone()])
        .send()
        .await
        .unwrap();
    emu.set_faults(Faults::default()).unwrap();
    let out = upload().await.unwrap();
    assert!(!out.resumed && out.media_id != *media_id, "{out:?}");
    assert_stored(&emu, &out, &bytes);
    assert_eq!(emu.stats().videos_created, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_part_keeps_the_resumable_upload_and_a_crash_after_complete_sends_nothing() {
    let emu = emulator(EmulatorConfig::default().with_faults(Faults {
        oss_fail_part: Some(3),
        oss_fail_part_times: u32::MAX,
        ..Faults::default()
    }))
    .await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let (path, bytes) = write_file(dir.path(), "keep.mp4", 5 * PART as usize, 13);
    let upload = || {
        client
            .upload_file(&path)
            .part_size(PART)
            .parallelism(1)
            .checkpoint_dir(&checkpoints)
            .send()
    };
    // Part 3 keeps failing: with a checkpoint the multipart upload is kept
    // (not aborted) with parts 1 and 2, and the next run sends only 3 to 5.
    let e = upload().await.unwrap_err();
    assert!(
        matches!(
            e,
            UploadError::Interrupted {
                resumable: true,
                ..
            }
        ),
        "{e}"
    );
    let stats = emu.stats();
    assert_eq!(
        (stats.oss_uploads_aborted, stats.oss_uploads_open),
        (0, 1),
        "{stats:?}"
    );
    emu.set_faults(Faults {
        oss_complete_latency_ms: 3_000,
        ..Faults::default()
    })
    .unwrap();
    // Cancelled while CompleteMultipartUpload's answer is on its way: the
    // object is complete, the checkpoint still there.
    let running = tokio::spawn(upload());
    for _ in 0..500 {
        if emu.stats().oss_objects_stored == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.abort();
    let _ = running.await;
    assert_eq!(emu.stats().oss_objects_stored, 1);
    emu.set_faults(Faults::default()).unwrap();
    let out = upload().await.unwrap();
    assert!(out.resumed && out.parts_sent == 0, "{out:?}");
    assert_stored(&emu, &out, &bytes);
    let stats = emu.stats();
    assert_eq!(
        (stats.videos_created, stats.oss_objects_stored),
        (1, 1),
        "{stats:?}"
    );
    assert_eq!(stats.oss_parts_stored, 5, "parts 1-2, then 3-5: {stats:?}");
    assert_eq!(std::fs::read_dir(&checkpoints).unwrap().count(), 0);
}

/// A signed OSS PUT of `body` to `bucket/key` with `credentials`: the status
/// and OSS's error code.
async fn oss_put(
    endpoint: &str,
    credentials: &aliyun_vod::Credentials,
    bucket: &str,
    key: &str,
) -> (u16, String) {
    let signed = aliyun_sign::oss4::sign(
        credentials,
        &aliyun_sign::oss4::OssRequest {
            method: "PUT",
            region: "cn-shanghai",
            product: aliyun_sign::oss4::PRODUCT,
            bucket: Some(bucket),
            key: Some(key),
            headers: &[],
            query: &[],
            additional_headers: &[],
            time: time::OffsetDateTime::now_utc(),
        },
    );
    let mut request = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}/{key}"))
        .body("x");
    for (name, value) in signed.headers() {
        request = request.header(*name, value.as_str());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let code = text
        .split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or_default()
        .to_owned();
    (status, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_grant_reaches_its_own_object_only() {
    use aliyun_vod::upload_grant::{UploadAddress, UploadAuth};
    let emu = emulator(EmulatorConfig::default()).await;
    let client = client(&emu);
    let created = client
        .create_upload_video()
        .title("t")
        .file_name("a.mp4")
        .send()
        .await
        .unwrap();
    let address = UploadAddress::decode(created.upload_address.as_deref().unwrap()).unwrap();
    let auth = UploadAuth::decode(created.upload_auth.as_deref().unwrap()).unwrap();
    let own = oss_put(
        &address.endpoint,
        auth.credentials(),
        &address.bucket,
        &address.object_key,
    )
    .await;
    assert_eq!(own, (200, String::new()));
    let other = oss_put(
        &address.endpoint,
        auth.credentials(),
        &address.bucket,
        "sv/someone/else.mp4",
    )
    .await;
    assert_eq!(other, (403, "AccessDenied".to_owned()));
    // The benchmark's unsigned raw PUT is off unless asked for.
    let raw = reqwest::Client::new()
        .put(format!(
            "{}/__raw/{}/x.mp4",
            address.endpoint, address.bucket
        ))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 403);
    assert_eq!(emu.stats().oss_objects_stored, 1);
}

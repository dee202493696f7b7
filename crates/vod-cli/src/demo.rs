//! `vod demo`: the README's main job with no Alibaba Cloud account. It starts
//! the emulator in this process, serves a generated sample file, uploads it by
//! URL, waits for the job, receives and verifies the event the emulator calls
//! back with, plays the video back through a signed URL; then uploads a
//! generated local file (OSS multipart), waits until it is Normal, plays it
//! back and compares the bytes; and prints the URL job's final state. It
//! never reads the user's credentials: the client gets the emulator's test
//! AccessKey explicitly.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use aliyun_runtime::Credentials;
use aliyun_vod::callback::CallbackKey;
use aliyun_vod::events::{Event, Received};
use aliyun_vod::receiver::{router, Receiver};
use aliyun_vod::upload_media_by_url::UploadMetadata;
use vod_emulator::{
    Emulator, EmulatorConfig, SigningType, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};

use crate::error::CliError;
use crate::ops::{print_stdout, Context, Wire};
use crate::output::OutputKind;
use crate::wait::{check_all_succeeded, wait, Items, Progress, WaitArgs};

/// Size of the generated sample file.
const SAMPLE_BYTES: usize = 320 * 1024;

/// Runs the demo; `output` is `--output` (a table unless JSON is asked for).
pub async fn run(wire: &Wire, output: Option<OutputKind>) -> Result<(), CliError> {
    let started = Instant::now();
    let say = |line: String| print_stdout(&format!("{line}\n"));

    let (callback_url, mut events, receiver) = receive_events().await?;
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_step_delay(Duration::from_millis(150))
            .with_callback(callback_url.as_str(), CALLBACK_KEY)
            .with_url_signing(SigningType::A, PLAY_KEY, 600),
    )
    .await
    .map_err(|e| CliError::Other(format!("cannot start the emulator: {e}")))?;
    let base = emulator.base_url();
    say(format!(
        "1/9 starting the local VOD emulator at {base} (events to {callback_url}, play URLs signed, type A)"
    ))?;

    let (source_url, server) = serve_sample().await?;
    say(format!(
        "2/9 serving a generated {} KiB sample file at {source_url}",
        SAMPLE_BYTES / 1024
    ))?;

    let config = wire.apply(
        aliyun_vod::Config::new()
            .endpoint(base.as_str())
            .credentials(Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            )),
    );
    let client = aliyun_vod::Client::new(config)?;
    let uploaded = client
        .upload_media_by_url()
        .upload_urls([source_url.clone()])
        .upload_metadatas([UploadMetadata {
            source_url: source_url.clone(),
            title: Some("vod demo sample".to_owned()),
            ..UploadMetadata::default()
        }])
        .send()
        .await?;
    let job_id = uploaded
        .upload_jobs
        .first()
        .and_then(|j| j.job_id.clone())
        .ok_or_else(|| CliError::Other("UploadMediaByURL returned no job".to_owned()))?;
    say(format!(
        "3/9 UploadMediaByURL created job {job_id}; the emulator now downloads the file"
    ))?;

    say("4/9 GetURLUploadInfos: polling until the job is finished".to_owned())?;
    let args = WaitArgs {
        interval: Duration::from_millis(100),
        max_interval: Duration::from_millis(250),
        max_wait: Duration::from_secs(30),
    };
    let waited = wait(
        &client,
        Items::JobIds(vec![job_id]),
        &args,
        &mut Progress::on_stderr(),
    )
    .await;
    server.abort();
    let waited = match waited {
        Ok(w) if w.finished => w,
        Ok(_) => {
            emulator.shutdown().await;
            return Err(CliError::WaitTimeout(
                "the demo job did not finish within 30 s".to_owned(),
            ));
        }
        Err(e) => {
            emulator.shutdown().await;
            return Err(e);
        }
    };

    // The emulator calls back when the job ends, signed as VOD signs it.
    let video_id = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .ok()
            .flatten()
            .ok_or_else(|| CliError::Other("no event arrived from the emulator".to_owned()))?;
        if let Event::FileUploadComplete(e) = &event.event {
            say(format!(
                "5/9 event received and its signature verified: FileUploadComplete for video {}",
                e.media_id.as_deref().unwrap_or("?")
            ))?;
            break e.media_id.clone().unwrap_or_default();
        }
    };

    // Playback through a signed URL; the same URL unsigned is refused.
    let play = client.get_play_info().video_id(video_id).send().await?;
    let url = play
        .play_info_list()
        .first()
        .and_then(|p| p.play_url.clone())
        .ok_or_else(|| CliError::Other("GetPlayInfo returned no play URL".to_owned()))?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| CliError::Other(e.to_string()))?;
    let get = |u: String| {
        let http = http.clone();
        async move {
            let r = http
                .get(u)
                .send()
                .await
                .map_err(|e| CliError::Other(e.to_string()))?;
            let status = r.status().as_u16();
            let bytes = r
                .bytes()
                .await
                .map_err(|e| CliError::Other(e.to_string()))?;
            Ok::<_, CliError>((status, bytes.to_vec()))
        }
    };
    let (signed_status, played) = get(url.clone()).await?;
    let played = played.len();
    let unsigned = url.split('?').next().unwrap_or(&url).to_owned();
    let (unsigned_status, _) = get(unsigned).await?;
    if signed_status != 200 || unsigned_status != 403 {
        emulator.shutdown().await;
        return Err(CliError::Other(format!(
            "playback: the signed URL answered {signed_status}, the unsigned one {unsigned_status}"
        )));
    }
    say(format!(
        "6/9 played {played} bytes through the signed URL GetPlayInfo returned; unsigned, it is refused ({unsigned_status})"
    ))?;
    receiver.abort();

    // A local file, the way most media reaches VOD: CreateUploadVideo, then
    // OSS multipart (signed V4 with the STS keys VOD issued), then back.
    let result = upload_local_file(&client, &say, &get).await;
    emulator.shutdown().await;
    result?;
    say(format!(
        "done in {:.1} s; the job as GetURLUploadInfos reports it:\n",
        started.elapsed().as_secs_f64()
    ))?;
    let ctx = Context::new(client, output.unwrap_or(OutputKind::Table), false);
    ctx.print(&crate::wait::output_json(&waited.output))?;
    check_all_succeeded(&waited.output)
}

/// Size of the generated local file and the part size it goes up in.
const LOCAL_BYTES: usize = 1_300_000;
const LOCAL_PART: u64 = 256 << 10;

/// Steps 7 to 9: writes a generated file, uploads it with `upload_file`
/// (five parts, three in flight), waits until the video is Normal, and
/// plays it back through its signed URL, comparing every byte.
async fn upload_local_file<S, G, F>(
    client: &aliyun_vod::Client,
    say: &S,
    get: &G,
) -> Result<(), CliError>
where
    S: Fn(String) -> Result<(), CliError>,
    G: Fn(String) -> F,
    F: std::future::Future<Output = Result<(u16, Vec<u8>), CliError>>,
{
    let path = std::env::temp_dir().join(format!("vod-demo-{}.mp4", std::process::id()));
    let data = sample_mp4(LOCAL_BYTES);
    std::fs::write(&path, &data)
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))?;
    let uploaded = client
        .upload_file(&path)
        .title("vod demo local file")
        .part_size(LOCAL_PART)
        .parallelism(3)
        .send()
        .await;
    let _ = std::fs::remove_file(&path);
    let uploaded = uploaded.map_err(|e| CliError::Other(e.to_string()))?;
    say(format!(
        "7/9 uploaded a generated {} KiB local file as video {} in {} parts (OSS multipart, CRC-64 {:016x} checked)",
        LOCAL_BYTES / 1024,
        uploaded.media_id,
        uploaded.parts,
        uploaded.crc64
    ))?;
    let options = aliyun_vod::waiter::WaitOptions {
        poll_interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(30),
    };
    let done = aliyun_vod::waiter::wait_for_video(client, &uploaded.media_id, options, |_| {})
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    if !done.is_normal() {
        return Err(CliError::JobsFailed(format!(
            "the demo video ended {}",
            done.status
        )));
    }
    say(format!(
        "8/9 GetVideoInfo: video {} is {} after {} polls",
        uploaded.media_id, done.status, done.polls
    ))?;
    let play = client
        .get_play_info()
        .video_id(&uploaded.media_id)
        .send()
        .await?;
    let url = play
        .play_info_list()
        .first()
        .and_then(|p| p.play_url.clone())
        .ok_or_else(|| CliError::Other("GetPlayInfo returned no play URL".to_owned()))?;
    let (status, played) = get(url).await?;
    if status != 200 || played != data {
        return Err(CliError::Other(format!(
            "the uploaded video played back {} bytes (HTTP {status}) that differ from the file",
            played.len()
        )));
    }
    say(format!(
        "9/9 played it back through its signed URL: {} bytes, identical to the file",
        played.len()
    ))
}

/// The keys of the demo's callbacks and play domain (the emulator's, local).
const CALLBACK_KEY: &str = "demo-callback-key";
const PLAY_KEY: &str = "demo-play-key";

/// Receives the emulator's callbacks on 127.0.0.1 (any free port), verified
/// as a user's service would: the callback URL, the verified events, and the
/// server task.
async fn receive_events() -> Result<
    (
        String,
        tokio::sync::mpsc::UnboundedReceiver<Received>,
        tokio::task::JoinHandle<()>,
    ),
    CliError,
> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(|e| CliError::Other(format!("cannot listen for events: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Other(format!("cannot listen for events: {e}")))?;
    let url = format!("http://{addr}/events");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = router(
        Receiver::new(url.as_str(), CallbackKey::new(CALLBACK_KEY)),
        move |received| {
            let tx = tx.clone();
            async move { tx.send(received).map_err(|e| e.to_string()) }
        },
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, rx, server))
}

/// Serves the sample on 127.0.0.1 (any free port); returns its URL and the
/// server task.
async fn serve_sample() -> Result<(String, tokio::task::JoinHandle<()>), CliError> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(|e| CliError::Other(format!("cannot serve the sample file: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Other(format!("cannot serve the sample file: {e}")))?;
    let body = sample_mp4(SAMPLE_BYTES);
    let app = axum::Router::new().route(
        "/sample.mp4",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "video/mp4")], body) }
        }),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}/sample.mp4"), server))
}

/// `len` bytes that start like an MP4 file (an `ftyp` box, then one `mdat`
/// box) filled with a fixed pseudo-random pattern.
fn sample_mp4(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&24u32.to_be_bytes());
    out.extend_from_slice(b"ftypisom\0\0\x02\0isommp41");
    let mdat = u32::try_from(len - out.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&mdat.to_be_bytes());
    out.extend_from_slice(b"mdat");
    let mut x: u32 = 0x9e37_79b9;
    while out.len() < len {
        // xorshift32: cheap, deterministic filler.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(x as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_looks_like_an_mp4() {
        let s = super::sample_mp4(4096);
        assert_eq!(s.len(), 4096);
        assert_eq!(&s[4..8], b"ftyp");
        assert_eq!(&s[28..32], b"mdat");
        assert_eq!(u32::from_be_bytes([s[24], s[25], s[26], s[27]]), 4096 - 24);
    }
}

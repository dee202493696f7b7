//! `kill -9` of the emulator binary in the middle of a stream of uploads, three
//! times over, with a data directory: after each restart every job that was
//! acknowledged before the kill is still there with its URL. (A single upload
//! killed while its job is pending, and its resumption, is in `e2e/durability.rs`.)

mod harness;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::{http, job_id, lookup, sources, stats, upload, Binary};

/// Uploaders running when the process is killed.
const UPLOADERS: usize = 16;
const ROUNDS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_job_survives_kill_dash_nine_mid_upload() {
    tokio::time::timeout(Duration::from_secs(90), run())
        .await
        .expect("the crash test finished within its bound");
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let src = sources().await;
    // JobId -> URL of every upload the emulator answered with 200.
    let acked: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let mut in_flight_at_kill = 0;

    for round in 0..ROUNDS {
        // A step delay keeps jobs unfinished, so workers write to the store too.
        let emu = Binary::start(&["--data-dir", &data, "--step-delay-ms", "30"]);
        let base = emu.base.clone();

        // Everything acknowledged so far survived the previous kill.
        let before: Vec<(String, String)> = acked
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let ids: Vec<String> = before.iter().map(|(id, _)| id.clone()).collect();
        let (found, missing) = lookup(&http(), &base, &ids).await;
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged jobs lost after kill -9: {missing:?}"
        );
        let found: HashMap<String, String> = found.into_iter().collect();
        for (id, url) in &before {
            assert_eq!(found.get(id), Some(url), "round {round}: job {id}");
        }
        assert!(stats(&base).await.jobs >= before.len());

        // Uploads until the kill; an answer counts only once fully received.
        let stop_at = Instant::now() + Duration::from_secs(30);
        let uploaders: Vec<_> = (0..UPLOADERS)
            .map(|u| {
                let (base, src, acked) = (base.clone(), src.clone(), Arc::clone(&acked));
                tokio::spawn(async move {
                    let http = http();
                    let mut i = 0;
                    while Instant::now() < stop_at {
                        i += 1;
                        let url = format!("{src}/crash/{round}/{u}/{i}.mp4");
                        match upload(&http, &base, &url).await {
                            Ok(a) if a.status == 200 => {
                                let id = job_id(&a).expect("JobId");
                                acked.lock().unwrap().insert(id, url);
                            }
                            Ok(a) => panic!("upload refused: {}", a.body),
                            // The kill: this answer never arrived.
                            Err(_) => return true,
                        }
                    }
                    false
                })
            })
            .collect();
        // Kill once this round has had a good number of answers.
        let target = before.len() + 200;
        let deadline = Instant::now() + Duration::from_secs(20);
        while acked.lock().unwrap().len() < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        emu.kill9();
        for u in uploaders {
            if u.await.expect("uploader") {
                in_flight_at_kill += 1;
            }
        }
        assert!(
            acked.lock().unwrap().len() > before.len(),
            "round {round}: no upload was acknowledged"
        );
    }

    // The last round's acknowledged jobs, after a final restart.
    let emu = Binary::start(&["--data-dir", &data, "--step-delay-ms", "0"]);
    let acked = acked.lock().unwrap().clone();
    let ids: Vec<String> = acked.keys().cloned().collect();
    let (found, missing) = lookup(&http(), &emu.base, &ids).await;
    assert!(missing.is_empty(), "acknowledged jobs lost: {missing:?}");
    assert_eq!(found.len(), acked.len());
    for (id, url) in found {
        assert_eq!(acked.get(&id), Some(&url));
    }
    eprintln!(
        "crash: {ROUNDS} kill -9 rounds, {} acknowledged jobs all present, {in_flight_at_kill} uploads in flight at the kills",
        acked.len()
    );
}

//! Signed playback against the emulator: GetPlayInfo answers a URL signed with
//! the domain's type and key, the emulator serves it, and refuses it tampered,
//! expired or unsigned; for each of the types A, B and C.

use std::time::Duration;

use aliyun_vod::url_signing::{self, CForm, UrlKey};
use aliyun_vod::{Client, Config, Credentials};
use vod_emulator::{
    Emulator, EmulatorConfig, SigningType, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};

async fn status(url: &str) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_urls_are_served_only_signed_and_unexpired() {
    for kind in [SigningType::A, SigningType::B, SigningType::C] {
        let emu =
            Emulator::start(EmulatorConfig::default().with_url_signing(kind, "play-key", 600))
                .await
                .unwrap();
        let client = Client::new(Config::new().endpoint(emu.base_url()).credentials(
            Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        ))
        .unwrap();
        let info = client.get_play_info().video_id("v1").send().await.unwrap();
        let url = info.play_info_list()[0].play_url.clone().unwrap();
        assert_eq!(status(&url).await, 200, "{kind:?} {url}");

        // Tampered path, unsigned, another key, expired.
        assert_eq!(
            status(&url.replacen("video.mp4", "other.mp4", 1)).await,
            403,
            "{kind:?}"
        );
        let plain = format!("{}/play/v1/video.mp4", emu.base_url());
        assert_eq!(status(&plain).await, 403, "{kind:?}");
        let key = UrlKey::new("guess");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let wrong = match kind {
            SigningType::A => url_signing::sign_a(&plain, &key, now, "0", "0"),
            SigningType::B => url_signing::sign_b(&plain, &key, now),
            SigningType::C => url_signing::sign_c(&plain, &key, now, CForm::Path),
        }
        .unwrap();
        assert_eq!(status(&wrong).await, 403, "{kind:?}");
        let key = UrlKey::new("play-key");
        let old = now - 3600;
        let expired = match kind {
            SigningType::A => url_signing::sign_a(&plain, &key, old, "0", "0"),
            SigningType::B => url_signing::sign_b(&plain, &key, old),
            SigningType::C => url_signing::sign_c(&plain, &key, old, CForm::Query),
        }
        .unwrap();
        assert_eq!(status(&expired).await, 403, "{kind:?}");
        emu.shutdown().await;
    }
}
